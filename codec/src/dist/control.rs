//! Control messages (SPEC §5.5): the operation codes, the tuple each one
//! takes, and the checks an OTP 28 receiver makes.
//!
//! A control message is a tuple whose first element is the operation
//! ([`ControlOp`]); some operations are followed by a second term, the
//! payload ([`Payload`]). [`OpInfo`] describes each operation: its spec
//! name, its elements by snake_case name, the arity OTP demands, the
//! payload, since when it exists and its status.
//!
//! ```
//! use erldist_codec::dist::ControlOp;
//! let op = ControlOp::REG_SEND;
//! let info = op.info().unwrap();
//! assert_eq!(info.name, "REG_SEND");
//! assert_eq!(info.elements, &["op", "from_pid", "unused", "to_name"]);
//! assert_eq!(ControlOp(9).to_string(), "9 (unknown)");
//! ```

use crate::etf::{AtomEnc, Term};
use std::fmt;

/// A control message operation code: the first element of the control
/// tuple. Open: unknown codes are kept and shown as `N (unknown)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlOp(pub u8);

impl ControlOp {
    /// `{1, FromPid, ToPid}`: set up a link.
    pub const LINK: ControlOp = ControlOp(1);
    /// `{2, Unused, ToPid}` + Message: send to a pid (without the sender).
    pub const SEND: ControlOp = ControlOp(2);
    /// `{3, FromPid, ToPid, Reason}`: a linked process exited.
    pub const EXIT: ControlOp = ControlOp(3);
    /// `{4, FromPid, ToPid}`: the old unlink (rejected by OTP 26+).
    pub const UNLINK: ControlOp = ControlOp(4);
    /// `{5}`: the ancient node link (no handler in OTP 28).
    pub const NODE_LINK: ControlOp = ControlOp(5);
    /// `{6, FromPid, Unused, ToName}` + Message: send to a registered name.
    pub const REG_SEND: ControlOp = ControlOp(6);
    /// `{7, FromPid, ToPid}`: set ToPid's group leader to FromPid.
    pub const GROUP_LEADER: ControlOp = ControlOp(7);
    /// `{8, FromPid, ToPid, Reason}`: `exit/2`.
    pub const EXIT2: ControlOp = ControlOp(8);
    /// `{12, Unused, ToPid, TraceToken}` + Message.
    pub const SEND_TT: ControlOp = ControlOp(12);
    /// `{13, FromPid, ToPid, TraceToken, Reason}`.
    pub const EXIT_TT: ControlOp = ControlOp(13);
    /// `{16, FromPid, Unused, ToName, TraceToken}` + Message.
    pub const REG_SEND_TT: ControlOp = ControlOp(16);
    /// `{18, FromPid, ToPid, TraceToken, Reason}`.
    pub const EXIT2_TT: ControlOp = ControlOp(18);
    /// `{19, FromPid, ToProc, Ref}`: monitor a process (pid or name).
    pub const MONITOR_P: ControlOp = ControlOp(19);
    /// `{20, FromPid, ToProc, Ref}`: remove a monitor.
    pub const DEMONITOR_P: ControlOp = ControlOp(20);
    /// `{21, FromProc, ToPid, Ref, Reason}`: a monitored process exited.
    pub const MONITOR_P_EXIT: ControlOp = ControlOp(21);
    /// `{22, FromPid, ToPid}` + Message (OTP 21).
    pub const SEND_SENDER: ControlOp = ControlOp(22);
    /// `{23, FromPid, ToPid, TraceToken}` + Message (OTP 21).
    pub const SEND_SENDER_TT: ControlOp = ControlOp(23);
    /// `{24, FromPid, ToPid}` + Reason (OTP 22).
    pub const PAYLOAD_EXIT: ControlOp = ControlOp(24);
    /// `{25, FromPid, ToPid, TraceToken}` + Reason (OTP 22).
    pub const PAYLOAD_EXIT_TT: ControlOp = ControlOp(25);
    /// `{26, FromPid, ToPid}` + Reason (OTP 22).
    pub const PAYLOAD_EXIT2: ControlOp = ControlOp(26);
    /// `{27, FromPid, ToPid, TraceToken}` + Reason (OTP 22).
    pub const PAYLOAD_EXIT2_TT: ControlOp = ControlOp(27);
    /// `{28, FromProc, ToPid, Ref}` + Reason (OTP 22).
    pub const PAYLOAD_MONITOR_P_EXIT: ControlOp = ControlOp(28);
    /// `{29, ReqId, From, GroupLeader, {M, F, Arity}, OptList}` + ArgList (OTP 23).
    pub const SPAWN_REQUEST: ControlOp = ControlOp(29);
    /// `{30, ReqId, From, GroupLeader, {M, F, Arity}, OptList, Token}` + ArgList (OTP 23).
    pub const SPAWN_REQUEST_TT: ControlOp = ControlOp(30);
    /// `{31, ReqId, To, Flags, Result}` (OTP 23).
    pub const SPAWN_REPLY: ControlOp = ControlOp(31);
    /// `{32, ReqId, To, Flags, Result, Token}` (OTP 23).
    pub const SPAWN_REPLY_TT: ControlOp = ControlOp(32);
    /// `{33, FromPid, Alias}` + Message (OTP 24; deprecated in 28).
    pub const ALIAS_SEND: ControlOp = ControlOp(33);
    /// `{34, FromPid, Alias, Token}` + Message (OTP 24; deprecated in 28).
    pub const ALIAS_SEND_TT: ControlOp = ControlOp(34);
    /// `{35, Id, FromPid, ToPid}`: remove a link (OTP 23.3).
    pub const UNLINK_ID: ControlOp = ControlOp(35);
    /// `{36, Id, FromPid, ToPid}`: acknowledge an UNLINK_ID (OTP 23.3).
    pub const UNLINK_ID_ACK: ControlOp = ControlOp(36);
    /// `{37, Flags, SenderPid, To[, Token]}` + Data (OTP 28).
    pub const ALTACT_SIG_SEND: ControlOp = ControlOp(37);

    /// What the spec says about this operation, or `None` when unknown.
    pub fn info(self) -> Option<&'static OpInfo> {
        OPS.iter().find(|i| i.op == self)
    }

    /// The spec's name (`REG_SEND`), or `UNKNOWN`.
    pub fn name(self) -> &'static str {
        self.info().map_or("UNKNOWN", |i| i.name)
    }

    /// The operation with this spec name (case-insensitive).
    pub fn from_name(name: &str) -> Option<ControlOp> {
        OPS.iter()
            .find(|i| i.name.eq_ignore_ascii_case(name.trim()))
            .map(|i| i.op)
    }
}

impl fmt::Display for ControlOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.info() {
            Some(i) => write!(f, "{} {}", self.0, i.name),
            None => write!(f, "{} (unknown)", self.0),
        }
    }
}

/// What follows the control tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// The message sent.
    Message,
    /// The exit reason.
    Reason,
    /// SPAWN_REQUEST's argument list.
    ArgList,
    /// ALTACT_SIG_SEND's message or exit reason (by its EXIT flag).
    Data,
}

impl Payload {
    /// `Message`, `Reason`, `ArgList` or `Data`, as the spec names it.
    pub fn spec_name(self) -> &'static str {
        match self {
            Payload::Message => "Message",
            Payload::Reason => "Reason",
            Payload::ArgList => "ArgList",
            Payload::Data => "Data",
        }
    }
}

/// One row of the SPEC §5.5 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OpInfo {
    /// The operation code.
    #[serde(serialize_with = "ser_op")]
    pub op: ControlOp,
    /// The spec's name (`REG_SEND`).
    pub name: &'static str,
    /// The tuple's elements by snake_case name, `op` first. For
    /// ALTACT_SIG_SEND the last (`token`) is present only with the TOKEN flag.
    pub elements: &'static [&'static str],
    /// The tuple size an OTP 28 receiver demands (the least, for
    /// ALTACT_SIG_SEND, which tolerates more).
    pub arity: usize,
    /// True when extra elements are tolerated (ALTACT_SIG_SEND).
    pub open_ended: bool,
    /// The term after the tuple, if any.
    pub payload: Option<Payload>,
    /// Since which OTP release (`""`: ancient).
    pub since: &'static str,
    /// False for operations an OTP 26+ receiver treats as invalid.
    pub accepted: bool,
    /// Status remarks (deprecation, what replaced it).
    pub status: &'static str,
}

fn ser_op<S: serde::Serializer>(op: &ControlOp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(op.0)
}

const fn op(
    code: u8,
    name: &'static str,
    elements: &'static [&'static str],
    payload: Option<Payload>,
    since: &'static str,
    status: &'static str,
) -> OpInfo {
    OpInfo {
        op: ControlOp(code),
        name,
        elements,
        arity: elements.len(),
        open_ended: false,
        payload,
        since,
        accepted: true,
        status,
    }
}

use Payload::*;

const FROM_TO: &[&str] = &["op", "from_pid", "to_pid"];
const FROM_TO_REASON: &[&str] = &["op", "from_pid", "to_pid", "reason"];
const FROM_TO_TT: &[&str] = &["op", "from_pid", "to_pid", "trace_token"];
const FROM_TO_TT_REASON: &[&str] = &["op", "from_pid", "to_pid", "trace_token", "reason"];
const MONITOR: &[&str] = &["op", "from_pid", "to_proc", "ref"];
const ID_FROM_TO: &[&str] = &["op", "id", "from_pid", "to_pid"];

/// Every operation of SPEC §5.5, in code order.
pub static OPS: &[OpInfo] = &[
    op(1, "LINK", FROM_TO, None, "", ""),
    op(
        2,
        "SEND",
        &["op", "unused", "to_pid"],
        Some(Message),
        "",
        "replaced by SEND_SENDER (22) when SEND_SENDER is negotiated",
    ),
    op(
        3,
        "EXIT",
        FROM_TO_REASON,
        None,
        "",
        "replaced by PAYLOAD_EXIT (24) when EXIT_PAYLOAD is negotiated",
    ),
    OpInfo {
        accepted: false,
        ..op(
            4,
            "UNLINK",
            FROM_TO,
            None,
            "",
            "obsolete: OTP 26+ treats it as invalid and kills the connection (use UNLINK_ID)",
        )
    },
    OpInfo {
        accepted: false,
        ..op(
            5,
            "NODE_LINK",
            &["op"],
            None,
            "",
            "ancient: OTP 28 has no handler, treats it as invalid and kills the connection",
        )
    },
    op(
        6,
        "REG_SEND",
        &["op", "from_pid", "unused", "to_name"],
        Some(Message),
        "",
        "",
    ),
    op(
        7,
        "GROUP_LEADER",
        FROM_TO,
        None,
        "",
        "FromPid is the new group leader of ToPid",
    ),
    op(
        8,
        "EXIT2",
        FROM_TO_REASON,
        None,
        "",
        "exit/2; replaced by PAYLOAD_EXIT2 (26) when EXIT_PAYLOAD is negotiated",
    ),
    op(
        12,
        "SEND_TT",
        &["op", "unused", "to_pid", "trace_token"],
        Some(Message),
        "",
        "",
    ),
    op(13, "EXIT_TT", FROM_TO_TT_REASON, None, "", ""),
    op(
        16,
        "REG_SEND_TT",
        &["op", "from_pid", "unused", "to_name", "trace_token"],
        Some(Message),
        "",
        "",
    ),
    op(18, "EXIT2_TT", FROM_TO_TT_REASON, None, "", ""),
    op(
        19,
        "MONITOR_P",
        MONITOR,
        None,
        "",
        "ToProc is a pid or a registered name",
    ),
    op(20, "DEMONITOR_P", MONITOR, None, "", ""),
    op(
        21,
        "MONITOR_P_EXIT",
        &["op", "from_proc", "to_pid", "ref", "reason"],
        None,
        "",
        "the 'DOWN' of a monitor",
    ),
    op(22, "SEND_SENDER", FROM_TO, Some(Message), "OTP 21", ""),
    op(
        23,
        "SEND_SENDER_TT",
        FROM_TO_TT,
        Some(Message),
        "OTP 21",
        "",
    ),
    op(24, "PAYLOAD_EXIT", FROM_TO, Some(Reason), "OTP 22", ""),
    op(
        25,
        "PAYLOAD_EXIT_TT",
        FROM_TO_TT,
        Some(Reason),
        "OTP 22",
        "",
    ),
    op(26, "PAYLOAD_EXIT2", FROM_TO, Some(Reason), "OTP 22", ""),
    op(
        27,
        "PAYLOAD_EXIT2_TT",
        FROM_TO_TT,
        Some(Reason),
        "OTP 22",
        "",
    ),
    op(
        28,
        "PAYLOAD_MONITOR_P_EXIT",
        &["op", "from_proc", "to_pid", "ref"],
        Some(Reason),
        "OTP 22",
        "",
    ),
    op(
        29,
        "SPAWN_REQUEST",
        &["op", "req_id", "from", "group_leader", "mfa", "opt_list"],
        Some(ArgList),
        "OTP 23",
        "needs the SPAWN flag",
    ),
    op(
        30,
        "SPAWN_REQUEST_TT",
        &[
            "op",
            "req_id",
            "from",
            "group_leader",
            "mfa",
            "opt_list",
            "token",
        ],
        Some(ArgList),
        "OTP 23",
        "needs the SPAWN flag",
    ),
    op(
        31,
        "SPAWN_REPLY",
        &["op", "req_id", "to", "flags", "result"],
        None,
        "OTP 23",
        "Flags: 1 = link set up, 2 = monitor set up",
    ),
    op(
        32,
        "SPAWN_REPLY_TT",
        &["op", "req_id", "to", "flags", "result", "token"],
        None,
        "OTP 23",
        "Flags: 1 = link set up, 2 = monitor set up",
    ),
    op(
        33,
        "ALIAS_SEND",
        &["op", "from_pid", "alias"],
        Some(Message),
        "OTP 24",
        "deprecated in OTP 28 (removal planned for OTP 30); needs the ALIAS flag",
    ),
    op(
        34,
        "ALIAS_SEND_TT",
        &["op", "from_pid", "alias", "token"],
        Some(Message),
        "OTP 24",
        "deprecated in OTP 28 (removal planned for OTP 30); needs the ALIAS flag",
    ),
    op(
        35,
        "UNLINK_ID",
        ID_FROM_TO,
        None,
        "OTP 23.3",
        "Id in 1..2^64-1; the peer answers UNLINK_ID_ACK",
    ),
    op(
        36,
        "UNLINK_ID_ACK",
        ID_FROM_TO,
        None,
        "OTP 23.3",
        "echoes the Id of the UNLINK_ID",
    ),
    OpInfo {
        arity: 4,
        open_ended: true,
        ..op(
            37,
            "ALTACT_SIG_SEND",
            &["op", "flags", "sender_pid", "to", "token"],
            Some(Data),
            "OTP 28",
            "needs the ALTACT_SIG flag; Flags: 1 PRIO, 2 TOKEN, 4 ALIAS, 8 NAME, 16 EXIT; \
             extra elements are tolerated",
        )
    },
];

/// ALTACT_SIG_SEND flag PRIO: a priority signal.
pub const ALTACT_PRIO: u8 = 1;
/// ALTACT_SIG_SEND flag TOKEN: the tuple has a Token as element 5.
pub const ALTACT_TOKEN: u8 = 2;
/// ALTACT_SIG_SEND flag ALIAS: To is a reference (an alias).
pub const ALTACT_ALIAS: u8 = 4;
/// ALTACT_SIG_SEND flag NAME: To is a registered name.
pub const ALTACT_NAME: u8 = 8;
/// ALTACT_SIG_SEND flag EXIT: an exit signal (Data = reason), else a message.
pub const ALTACT_EXIT: u8 = 16;

/// SPAWN_REPLY flag: a link was set up.
pub const SPAWN_REPLY_LINK: u64 = 1;
/// SPAWN_REPLY flag: a monitor was set up.
pub const SPAWN_REPLY_MONITOR: u64 = 2;

/// The spec's wording of an element (`FromPid: the sending process`).
pub fn element_meaning(label: &str) -> &'static str {
    match label {
        "op" => "the operation",
        "from_pid" => "FromPid: the sending process",
        "to_pid" => "ToPid: the receiving process",
        "unused" => "Unused: the empty atom '' in OTP",
        "to_name" => "ToName: the registered name of the receiver",
        "reason" => "Reason: the exit reason",
        "trace_token" => "TraceToken: the sequential trace token",
        "to_proc" => "ToProc: the monitored process, a pid or a registered name",
        "ref" => "Ref: the monitor reference",
        "from_proc" => "FromProc: the monitored process, a pid or a registered name",
        "req_id" => "ReqId: the spawn request's reference",
        "from" => "From: the process that asked for the spawn",
        "group_leader" => "GroupLeader: the new process's group leader",
        "mfa" => "{Module, Function, Arity} to spawn",
        "opt_list" => "OptList: the spawn options",
        "to" => "To: the receiver",
        "flags" => "Flags",
        "result" => "Result: the new pid, or an error atom",
        "alias" => "Alias: the receiver's alias (a reference)",
        "id" => "Id: the unlink operation's identifier (1..2^64-1)",
        "sender_pid" => "SenderPid: the sending process",
        "token" => "Token: the sequential trace token",
        _ => "an extra element",
    }
}

/// The spec's CamelCase name of an element (`from_pid` → `FromPid`).
pub fn spec_element_name(label: &str) -> &'static str {
    match label {
        "op" => "Op",
        "from_pid" => "FromPid",
        "to_pid" => "ToPid",
        "unused" => "Unused",
        "to_name" => "ToName",
        "reason" => "Reason",
        "trace_token" => "TraceToken",
        "to_proc" => "ToProc",
        "ref" => "Ref",
        "from_proc" => "FromProc",
        "req_id" => "ReqId",
        "from" => "From",
        "group_leader" => "GroupLeader",
        "mfa" => "{M, F, Arity}",
        "opt_list" => "OptList",
        "to" => "To",
        "flags" => "Flags",
        "result" => "Result",
        "alias" => "Alias",
        "id" => "Id",
        "sender_pid" => "SenderPid",
        "token" => "Token",
        _ => "Element",
    }
}

/// The integer value of a term, when it is an integer that fits an `i128`.
pub(crate) fn int_value(t: &Term) -> Option<i128> {
    match t {
        Term::SmallInteger(v) => Some(i128::from(*v)),
        Term::Integer(v) => Some(i128::from(*v)),
        Term::Big { sign, digits, .. } => {
            let mut v: u128 = 0;
            for (i, d) in digits.iter().enumerate() {
                if *d == 0 {
                    continue;
                }
                if i >= 16 {
                    return None;
                }
                v |= u128::from(*d) << (8 * i);
            }
            let v = i128::try_from(v).ok()?;
            Some(if *sign != 0 { -v } else { v })
        }
        _ => None,
    }
}

fn is_pid(t: &Term) -> bool {
    matches!(t, Term::Pid(_))
}

fn is_ref(t: &Term) -> bool {
    matches!(t, Term::Ref(_))
}

fn is_atom(t: &Term) -> bool {
    matches!(t, Term::Atom(_))
}

fn is_list(t: &Term) -> bool {
    matches!(t, Term::Nil | Term::List { .. } | Term::String(_))
}

fn is_empty_atom(t: &Term) -> bool {
    match t {
        Term::Atom(a) => a.name.as_deref() == Some(""),
        _ => false,
    }
}

/// The element labels of a control tuple of `n` elements for `info`
/// (`element` past the known ones).
pub fn element_labels(info: Option<&OpInfo>, n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| {
            if i == 0 {
                return "op";
            }
            info.and_then(|inf| inf.elements.get(i).copied())
                .unwrap_or("element")
        })
        .collect()
}

/// The operation of a control term: the first element of a tuple, when it
/// is an integer 0..=255.
pub fn op_of(control: &Term) -> Option<ControlOp> {
    let Term::Tuple { elems, .. } = control else {
        return None;
    };
    let v = int_value(elems.first()?)?;
    u8::try_from(v).ok().map(ControlOp)
}

/// A remark about a control message: which element (index into the tuple,
/// `None` for the whole message) and what OTP makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The element at fault, or `None` for the tuple itself.
    pub element: Option<usize>,
    /// The remark.
    pub message: String,
}

const INVALID: &str =
    "an OTP receiver logs \"Invalid distribution message\" and kills the connection";

/// The checks an OTP 28 receiver makes on a control message (SPEC §5.5),
/// as remarks; `has_payload` says whether a payload term followed.
pub fn check_control(control: &Term, has_payload: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let whole = |m: String| Check {
        element: None,
        message: m,
    };
    let Term::Tuple { elems, .. } = control else {
        out.push(whole(format!(
            "the control message is not a tuple: {INVALID}"
        )));
        return out;
    };
    let Some(op) = op_of(control) else {
        out.push(Check {
            element: elems.first().map(|_| 0),
            message: format!(
                "the first element is not an operation code (an integer 0..255): {INVALID}"
            ),
        });
        return out;
    };
    let Some(info) = op.info() else {
        out.push(Check {
            element: Some(0),
            message: format!("operation {} is not assigned: {INVALID}", op.0),
        });
        return out;
    };
    if !info.accepted {
        out.push(Check {
            element: Some(0),
            message: format!("{}: {}", info.name, info.status),
        });
    }
    let n = elems.len();
    let arity_ok = if info.open_ended {
        n >= info.arity
    } else {
        n == info.arity
    };
    if !arity_ok {
        let want = if info.open_ended {
            format!("at least {}", info.arity)
        } else {
            info.arity.to_string()
        };
        out.push(whole(format!(
            "{} with {n} elements, OTP demands {want}: {INVALID}",
            info.name
        )));
        return out;
    }
    match (info.payload, has_payload) {
        (Some(p), false) => out.push(whole(format!(
            "{} is followed by a payload ({}), but the frame ends after the control message",
            info.name,
            p.spec_name()
        ))),
        (None, true) => out.push(whole(format!(
            "{} takes no payload, but a second term follows the control message",
            info.name
        ))),
        _ => {}
    }
    let el = |i: usize| elems.get(i);
    let mut need = |i: usize, ok: fn(&Term) -> bool, what: &str| {
        if let Some(t) = el(i) {
            if !ok(t) {
                let label = info.elements.get(i).copied().unwrap_or("element");
                out.push(Check {
                    element: Some(i),
                    message: format!("{label} must be {what}: {INVALID}"),
                });
            }
        }
    };
    let pid_or_atom: fn(&Term) -> bool = |t| is_pid(t) || is_atom(t);
    match info.op {
        ControlOp::LINK
        | ControlOp::UNLINK
        | ControlOp::GROUP_LEADER
        | ControlOp::EXIT
        | ControlOp::EXIT2
        | ControlOp::EXIT_TT
        | ControlOp::EXIT2_TT
        | ControlOp::PAYLOAD_EXIT
        | ControlOp::PAYLOAD_EXIT_TT
        | ControlOp::PAYLOAD_EXIT2
        | ControlOp::PAYLOAD_EXIT2_TT
        | ControlOp::SEND_SENDER
        | ControlOp::SEND_SENDER_TT => {
            need(1, is_pid, "a pid");
            need(2, is_pid, "a pid");
        }
        ControlOp::SEND | ControlOp::SEND_TT => need(2, is_pid, "a pid"),
        ControlOp::REG_SEND | ControlOp::REG_SEND_TT => {
            need(1, is_pid, "a pid");
            need(3, is_atom, "an atom");
        }
        ControlOp::MONITOR_P | ControlOp::DEMONITOR_P => {
            need(1, is_pid, "a pid");
            need(2, pid_or_atom, "a pid or an atom");
            need(3, is_ref, "a reference");
        }
        ControlOp::MONITOR_P_EXIT | ControlOp::PAYLOAD_MONITOR_P_EXIT => {
            need(1, pid_or_atom, "a pid or an atom");
            need(2, is_pid, "a pid");
            need(3, is_ref, "a reference");
        }
        ControlOp::SPAWN_REQUEST | ControlOp::SPAWN_REQUEST_TT => {
            need(1, is_ref, "a reference");
            need(2, is_pid, "a pid");
            need(3, is_pid, "a pid");
            need(
                4,
                is_mfa,
                "{Module, Function, Arity} (atom, atom, small integer)",
            );
            need(5, is_list, "a list");
        }
        ControlOp::SPAWN_REPLY | ControlOp::SPAWN_REPLY_TT => {
            need(1, is_ref, "a reference");
            need(2, is_pid, "a pid");
            need(3, spawn_flags_ok, "an integer 0..2^27-1");
            need(4, pid_or_atom, "a pid or an error atom");
        }
        ControlOp::ALIAS_SEND | ControlOp::ALIAS_SEND_TT => {
            need(1, is_pid, "a pid");
            need(2, is_ref, "a reference");
        }
        ControlOp::UNLINK_ID | ControlOp::UNLINK_ID_ACK => {
            need(1, unlink_id_ok, "an integer 1..2^64-1");
            need(2, is_pid, "a pid");
            need(3, is_pid, "a pid");
        }
        ControlOp::ALTACT_SIG_SEND => {
            need(2, is_pid, "a pid");
            let flags = el(1).and_then(int_value);
            match flags {
                Some(f) if f >= 0 => {
                    let low = u8::try_from(f & 0xff).unwrap_or(0);
                    if low & ALTACT_ALIAS != 0 && low & ALTACT_NAME != 0 {
                        out.push(Check {
                            element: Some(1),
                            message: format!("ALIAS and NAME both set: {INVALID}"),
                        });
                    } else if low & ALTACT_ALIAS != 0 {
                        need(3, is_ref, "a reference (ALIAS flag)");
                    } else if low & ALTACT_NAME != 0 {
                        need(3, is_atom, "an atom (NAME flag)");
                    } else {
                        need(3, is_pid, "a pid (neither ALIAS nor NAME)");
                    }
                    if low & ALTACT_TOKEN != 0 && n < 5 {
                        out.push(whole(format!(
                            "the TOKEN flag is set but the tuple has no Token element: {INVALID}"
                        )));
                    }
                    if low & ALTACT_TOKEN != 0 && low & ALTACT_EXIT != 0 {
                        out.push(Check {
                            element: Some(1),
                            message: "TOKEN together with EXIT: OTP never sends a token with an \
                                      exit signal"
                                .into(),
                        });
                    }
                }
                _ => out.push(Check {
                    element: Some(1),
                    message: format!("flags must be a non-negative integer: {INVALID}"),
                }),
            }
        }
        _ => {}
    }
    // Unused is '' in OTP; the receiver ignores it.
    if let Some(i) = info.elements.iter().position(|e| *e == "unused") {
        if let Some(t) = el(i) {
            if !is_empty_atom(t) {
                out.push(Check {
                    element: Some(i),
                    message: "unused is the empty atom '' in OTP (the receiver ignores it)".into(),
                });
            }
        }
    }
    out
}

fn is_mfa(t: &Term) -> bool {
    match t {
        Term::Tuple { elems, .. } => matches!(
            elems.as_slice(),
            [Term::Atom(_), Term::Atom(_), a] if int_value(a).is_some_and(|v| (0..=255).contains(&v))
        ),
        _ => false,
    }
}

fn spawn_flags_ok(t: &Term) -> bool {
    int_value(t).is_some_and(|v| (0..(1 << 27)).contains(&v))
}

fn unlink_id_ok(t: &Term) -> bool {
    int_value(t).is_some_and(|v| v >= 1 && v <= i128::from(u64::MAX))
}

/// A one-line reading of an element's value where the spec gives one
/// (SPAWN_REPLY and ALTACT_SIG_SEND flags), else `None`.
pub fn element_detail(op: ControlOp, label: &str, t: &Term) -> Option<String> {
    match (op, label) {
        (ControlOp::SPAWN_REPLY | ControlOp::SPAWN_REPLY_TT, "flags") => {
            let v = int_value(t)?;
            let mut parts = Vec::new();
            if v & 1 != 0 {
                parts.push("link set up");
            }
            if v & 2 != 0 {
                parts.push("monitor set up");
            }
            if parts.is_empty() {
                parts.push("no link, no monitor");
            }
            Some(format!("flags {v}: {}", parts.join(", ")))
        }
        (ControlOp::ALTACT_SIG_SEND, "flags") => {
            let v = int_value(t)?;
            let low = u8::try_from(v & 0xff).ok()?;
            let mut parts = Vec::new();
            for (bit, name) in [
                (ALTACT_PRIO, "PRIO"),
                (ALTACT_TOKEN, "TOKEN"),
                (ALTACT_ALIAS, "ALIAS"),
                (ALTACT_NAME, "NAME"),
                (ALTACT_EXIT, "EXIT"),
            ] {
                if low & bit != 0 {
                    parts.push(name);
                }
            }
            let kind = if low & ALTACT_EXIT != 0 {
                "exit signal"
            } else {
                "message"
            };
            let to = if low & ALTACT_ALIAS != 0 {
                "to an alias"
            } else if low & ALTACT_NAME != 0 {
                "to a registered name"
            } else {
                "to a pid"
            };
            let set = if parts.is_empty() {
                "none".to_string()
            } else {
                parts.join("|")
            };
            Some(format!("flags {v} ({set}): {kind} {to}"))
        }
        (_, "op") => Some(format!("operation {op}")),
        _ => None,
    }
}

/// Whether a term holds an ATOM_CACHE_REF whose name is unknown.
pub(crate) fn has_unresolved_ref(t: &Term) -> bool {
    t.walk().any(|s| {
        matches!(
            s,
            Term::Atom(crate::etf::Atom {
                enc: AtomEnc::CacheRef(_),
                name: None
            })
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (i, info) in OPS.iter().enumerate() {
            assert_eq!(info.elements.first(), Some(&"op"), "{}", info.name);
            assert_eq!(ControlOp::from_name(info.name), Some(info.op));
            if let Some(next) = OPS.get(i + 1) {
                assert!(info.op < next.op);
            }
        }
        assert_eq!(OPS.len(), 31);
        assert_eq!(ControlOp::ALTACT_SIG_SEND.name(), "ALTACT_SIG_SEND");
        assert_eq!(ControlOp(200).name(), "UNKNOWN");
    }
}
