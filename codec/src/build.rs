//! The builder's catalog: every message the codec can build, over the three
//! protocols (EPMD, the handshake, the connected phase), with typed field
//! descriptions a form can render without per-message code, one
//! [`encode`], one [`decode_built`] that reads the bytes the way the
//! message's receiver would, and [`explain_override`]: what the receiver
//! makes of a frame whose derived field (a length, a prefix, an arity, the
//! operation) was overridden.
//!
//! The playground's builder, its JS API (`encode`, `messageTypes`) and the
//! CLI's `encode` read this one catalog.
//!
//! ```
//! use erldist_codec::build::{self, Fields};
//! let mut f = Fields::new();
//! f.insert("port".into(), "9506".into());
//! f.insert("name".into(), "node".into());
//! let b = build::build("ALIVE2_REQ", &f).unwrap();
//! assert_eq!(
//!     erldist_codec::hex::spaced(&b.bytes),
//!     "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"
//! );
//! assert!(b.frame.status.is_complete());
//! // Nlen overridden to 1: epmd reads the name as "n" and "od" as Elen.
//! f.insert("name_len".into(), "1".into());
//! let b = build::build("ALIVE2_REQ", &f).unwrap();
//! match &b.frame.status {
//!     erldist_codec::epmd::Status::Invalid(e) => assert_eq!(e.offset, 14),
//!     other => panic!("{other:?}"),
//! }
//! assert!(b.consequences[0].notes.iter().any(|n| n.contains("Elen")));
//! ```

use crate::conn::{FrameDecoded, Side};
use crate::dist::{self, ConnectedDecoder};
use crate::epmd::{self, Direction, EncodeError, FieldKind, ReplyContext};
use crate::handshake::{self, DistFlags, FLAG_TABLE};
use crate::reader::Status;
use crate::report::{Frame, Source};
use crate::session::{Phase, SessionFrame};
use crate::span::{Span, Value};
use serde::Serialize;

pub use crate::epmd::Fields;

/// Which protocol a message belongs to (the picker's groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Client ↔ epmd.
    Epmd,
    /// The node-to-node handshake (2-byte framing).
    Handshake,
    /// The connected phase (4-byte framing, control messages).
    Connected,
}

impl Protocol {
    /// Every protocol, in the picker's order.
    pub const ALL: [Protocol; 3] = [Protocol::Epmd, Protocol::Handshake, Protocol::Connected];

    /// `EPMD`, `Handshake`, `Connected phase`.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Epmd => "EPMD",
            Protocol::Handshake => "Handshake",
            Protocol::Connected => "Connected phase",
        }
    }
}

/// One message the builder can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageType {
    /// The spec's name, unique over the three protocols (`ALIVE2_REQ`,
    /// `SEND_NAME`, `REG_SEND`).
    pub name: &'static str,
    /// The protocol.
    pub protocol: Protocol,
    /// The side that sends it (the EPMD client is the initiator).
    pub side: Side,
    /// EPMD only: request (client → epmd) or reply.
    pub direction: Option<Direction>,
    /// Who sends it to whom, in words.
    pub sender: &'static str,
    /// The name the decoder gives it (`SEND_NAME_V5` decodes as `SEND_NAME`).
    pub decodes_as: &'static str,
    /// What it is.
    pub doc: String,
    /// Its fields in wire order.
    pub fields: Vec<Field>,
}

impl MessageType {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One field of a message, typed for a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// snake_case name, as in spans, JSON and URLs.
    pub name: &'static str,
    /// How the value is written and what it may be.
    pub kind: Kind,
    /// The value used when none is given (`None`: required, optional or
    /// derived).
    pub default: Option<String>,
    /// A value must be given.
    pub required: bool,
    /// Left out of the message unless given.
    pub optional: bool,
    /// A value to start from for a required field.
    pub example: Option<&'static str>,
    /// Computed unless given; a given value overrides it.
    pub derived: Option<Derived>,
    /// What the field is.
    pub doc: String,
}

/// What a derived field is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Derived {
    /// The fields it is computed from (empty: from the message type).
    pub from: Vec<&'static str>,
    /// How, in words.
    pub how: String,
}

/// A field's value type. Values are always text (numbers in decimal or
/// `0x` hex); [`check_value`] says whether a text is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// A big-endian unsigned integer of `bytes` bytes.
    Uint {
        /// Width on the wire.
        bytes: u8,
        /// Least value.
        min: u64,
        /// Greatest value.
        max: u64,
    },
    /// One of a few values (numbers, or ASCII words when `bytes` is 0).
    Enum {
        /// Width on the wire (0: a word of its own length).
        bytes: u8,
        /// The named values.
        choices: Vec<Choice>,
        /// Other numbers in range are allowed too.
        open: bool,
    },
    /// A distribution flag word: `bytes` bytes holding flag bits
    /// `first_bit..first_bit + 8 * bytes`.
    Flags {
        /// Width on the wire (8, or 4 for the halves).
        bytes: u8,
        /// The flag bit of the word's bit 0 (32 for the complement's high half).
        first_bit: u32,
        /// The named bits in range.
        bits: Vec<FlagBit>,
    },
    /// Text sent as UTF-8 (names); `suggestions` lists usual values.
    Text {
        /// Usual values (OTP's status words).
        suggestions: Vec<&'static str>,
    },
    /// Bytes given as hex, of a fixed size when `bytes` is set.
    Hex {
        /// Exact size, if fixed (a digest is 16).
        bytes: Option<usize>,
    },
    /// An Erlang term in Erlang syntax (`{hello, #Pid<'a@h'.1.0;c=4>}`).
    Term,
    /// A node list `name=port,...` (`name=port:fd` when `fd`).
    Nodes {
        /// Entries carry a file descriptor.
        fd: bool,
    },
}

/// One named value of an [`Kind::Enum`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The value as the field takes it (`77`, `OK`).
    pub value: String,
    /// The byte as a character, when the spec names it so (`M`).
    pub letter: Option<char>,
    /// What it means.
    pub meaning: String,
}

/// One named flag bit of a [`Kind::Flags`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagBit {
    /// The flag's bit number (0..=63) in the 64-bit word.
    pub bit: u32,
    /// The value of this bit in the field (`1 << (bit - first_bit)`).
    pub mask: u64,
    /// The spec's name without `DFLAG_`.
    pub name: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Since which release.
    pub since: &'static str,
    /// Used inside the VM only; a node never sends it.
    pub internal: bool,
}

/// Why a field's text is not a valid value; for term text, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueError {
    /// What is wrong.
    pub message: String,
    /// Byte offset into the text, when known.
    pub offset: Option<usize>,
    /// 1-based line in the text, when known.
    pub line: Option<usize>,
    /// 1-based column (characters), when known.
    pub column: Option<usize>,
}

impl ValueError {
    fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            message: message.into(),
            offset: None,
            line: None,
            column: None,
        }
    }
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

// ---------------------------------------------------------------- catalog

/// What each EPMD and handshake message is (the dist operations describe
/// themselves through [`dist::OpInfo`]).
fn type_doc(name: &str) -> &'static str {
    match name {
        "ALIVE2_REQ" => "register a node with epmd (keep the socket open: closing it unregisters)",
        "ALIVE2_RESP" => {
            "registration reply with a 16-bit creation (to a HighestVersion < 6 request)"
        }
        "ALIVE2_X_RESP" => {
            "registration reply with a 32-bit creation (to a HighestVersion >= 6 request)"
        }
        "PORT_PLEASE2_REQ" => "which port does this node listen on?",
        "PORT2_RESP" => "the look-up reply: the node's registration, or not found",
        "NAMES_REQ" => "list the registered names",
        "NAMES_RESP" => "epmd's port, then one text line per registered node; epmd closes after it",
        "DUMP_REQ" => "dump epmd's tables (local clients only)",
        "DUMP_RESP" => "epmd's port, then NUL-terminated lines for active and old nodes",
        "KILL_REQ" => "stop epmd (local clients only)",
        "KILL_RESP" => "OK (epmd stops) or NO (nodes are registered)",
        "STOP_REQ" => "unregister a node by force (local only, needs -relaxed_command_check)",
        "STOP_RESP" => "STOPPED, or NOEXIST then STOPPED",
        "SEND_NAME" => "`N`: the initiator's name, 64-bit flags and creation (version 6)",
        "SEND_NAME_V5" => "`n`: the initiator's name and 32-bit flags (version 5, OTP <= 22)",
        "STATUS" => "`s`: the acceptor's verdict on the send_name (ok, nok, alive, ...)",
        "STATUS_NAMED" => {
            "`s` named: the acceptor assigns a NAME_ME initiator its name and creation"
        }
        "CHALLENGE" => "`N`: the acceptor's challenge, flags, creation and name (version 6)",
        "CHALLENGE_V5" => "`n`: the acceptor's challenge with 32-bit flags (version 5)",
        "COMPLEMENT" => "`c`: the high flag bits and creation after a version 5 send_name",
        "CHALLENGE_REPLY" => "`r`: the initiator's own challenge and its digest of the acceptor's",
        "CHALLENGE_ACK" => "`a`: the acceptor's digest of the initiator's challenge",
        "TICK" => "a 4-byte zero length: keep-alive, always legal",
        _ => "",
    }
}

fn epmd_sender(d: Direction) -> &'static str {
    match d {
        Direction::Request => "client → epmd",
        Direction::Reply => "epmd → client",
    }
}

fn handshake_sender(s: Side) -> &'static str {
    match s {
        Side::Initiator => "initiator (the node that connects) → acceptor",
        Side::Acceptor => "acceptor (the node connected to) → initiator",
    }
}

/// The decoder's name of a handshake builder type.
fn handshake_decodes_as(name: &'static str) -> &'static str {
    match name {
        "SEND_NAME_V5" => "SEND_NAME",
        "CHALLENGE_V5" => "CHALLENGE",
        "STATUS_NAMED" => "STATUS",
        n => n,
    }
}

/// A value to start from for a required field.
fn example(type_name: &str, field: &str) -> Option<&'static str> {
    Some(match (type_name, field) {
        ("ALIVE2_REQ", "port") => "5555",
        ("ALIVE2_RESP", "creation") => "1",
        ("ALIVE2_X_RESP", "creation") => "1795527648",
        (_, "name") if type_name.starts_with("CHALLENGE") || type_name == "STATUS_NAMED" => {
            "b@localhost"
        }
        ("SEND_NAME" | "SEND_NAME_V5", "name") => "a@localhost",
        (_, "name") => "foo",
        (_, "challenge") if type_name == "CHALLENGE_REPLY" => "0x9e3779b9",
        (_, "challenge") => "0x12345678",
        (_, "digest") => "00112233445566778899aabbccddeeff",
        (_, "from_pid" | "from" | "sender_pid" | "group_leader" | "from_proc") => {
            "#Pid<'a@localhost'.85.0;c=1795527648>"
        }
        (_, "to_pid" | "to" | "to_proc" | "result") => "#Pid<'b@localhost'.90.0;c=1795527649>",
        (_, "to_name") => "rex",
        (_, "reason") => "normal",
        (_, "trace_token" | "token") => "{0, 1, 2, #Pid<'a@localhost'.85.0;c=1795527648>, 3}",
        (_, "ref" | "req_id" | "alias") => {
            "#Ref<'a@localhost'.3186992820.3310682113.46830;c=1795527648>"
        }
        (_, "mfa") => "{erlang, node, 0}",
        (_, "id") => "1",
        ("SPAWN_REQUEST" | "SPAWN_REQUEST_TT", "message") => "[]",
        (_, "message") => "{hello, world}",
        _ => return None,
    })
}

fn parse_choices(choices: &[&str]) -> Vec<Choice> {
    choices
        .iter()
        .map(|c| {
            let mut words = c.splitn(3, ' ');
            let value = words.next().unwrap_or("").to_string();
            let second = words.next().unwrap_or("");
            let rest = words.next().unwrap_or("");
            let mut sc = second.chars();
            match (sc.next(), sc.next()) {
                (Some(l), None) => Choice {
                    value,
                    letter: Some(l),
                    meaning: rest.to_string(),
                },
                _ => Choice {
                    value,
                    letter: None,
                    meaning: [second, rest].join(" ").trim().to_string(),
                },
            }
        })
        .collect()
}

fn choice(value: &str, meaning: &str) -> Choice {
    Choice {
        value: value.to_string(),
        letter: None,
        meaning: meaning.to_string(),
    }
}

fn word_meaning(w: &str) -> &'static str {
    match w {
        "OK" => "epmd stops",
        "NO" => "nodes are registered: epmd keeps running",
        "STOPPED" => "the node was unregistered",
        "NOEXIST" => "no such node (epmd sends STOPPED after it)",
        _ => "",
    }
}

fn flag_bits(bytes: u8, first_bit: u32) -> Vec<FlagBit> {
    let end = first_bit + 8 * u32::from(bytes);
    FLAG_TABLE
        .iter()
        .filter(|f| f.bit >= first_bit && f.bit < end)
        .map(|f| FlagBit {
            bit: f.bit,
            mask: 1u64 << (f.bit - first_bit),
            name: f.name,
            meaning: f.meaning,
            since: f.since,
            internal: f.internal,
        })
        .collect()
}

fn uint(bytes: u8) -> Kind {
    let max = match bytes {
        1 => u64::from(u8::MAX),
        2 => u64::from(u16::MAX),
        4 => u64::from(u32::MAX),
        _ => u64::MAX,
    };
    Kind::Uint { bytes, min: 0, max }
}

/// The typed kind of an EPMD or handshake schema field.
fn kind_of(type_name: &str, fi: &epmd::FieldInfo) -> Kind {
    match fi.kind {
        FieldKind::U8 if !fi.choices.is_empty() => Kind::Enum {
            bytes: 1,
            choices: parse_choices(fi.choices),
            open: true,
        },
        FieldKind::U8 if fi.name == "result" => Kind::Enum {
            bytes: 1,
            choices: if type_name == "PORT2_RESP" {
                vec![
                    choice("0", "found: the node's registration follows"),
                    choice("1", "not found: the reply ends here"),
                ]
            } else {
                vec![
                    choice("0", "ok: registered"),
                    choice("1", "error (name taken, bad name...)"),
                ]
            },
            open: true,
        },
        FieldKind::U8 if fi.name == "protocol" => Kind::Enum {
            bytes: 1,
            choices: vec![choice("0", "TCP/IPv4 (what OTP always sends)")],
            open: true,
        },
        FieldKind::U8 => uint(1),
        FieldKind::U16 => uint(2),
        FieldKind::U32 if fi.name == "flags_high" => Kind::Flags {
            bytes: 4,
            first_bit: 32,
            bits: flag_bits(4, 32),
        },
        FieldKind::U32 => uint(4),
        FieldKind::Flags => {
            let bytes = if type_name.ends_with("_V5") { 4 } else { 8 };
            Kind::Flags {
                bytes,
                first_bit: 0,
                bits: flag_bits(bytes, 0),
            }
        }
        FieldKind::Text => Kind::Text {
            suggestions: fi.choices.to_vec(),
        },
        FieldKind::Hex => Kind::Hex {
            bytes: (fi.name == "digest").then_some(16),
        },
        FieldKind::Word => Kind::Enum {
            bytes: 0,
            choices: fi
                .choices
                .iter()
                .map(|w| choice(w, word_meaning(w)))
                .collect(),
            open: false,
        },
        FieldKind::Nodes => Kind::Nodes {
            fd: type_name == "DUMP_RESP",
        },
    }
}

fn derived_how(protocol: Protocol, name: &str) -> (Vec<&'static str>, String) {
    let whole = |what: &str| (Vec::new(), what.to_string());
    match (protocol, name) {
        (Protocol::Epmd, "length_prefix") => {
            whole("the number of bytes after the 2-byte prefix (the whole request)")
        }
        (Protocol::Handshake, "length") => whole("the number of bytes after the 2-byte length"),
        (Protocol::Connected, "length_prefix") => {
            whole("the number of bytes after the 4-byte length")
        }
        (_, "name_len") => (vec!["name"], "the byte length of name".into()),
        (_, "extra_len") => (vec!["extra"], "the byte length of extra".into()),
        (_, "arity") => (
            Vec::new(),
            "the number of elements of the control tuple".into(),
        ),
        _ => whole("computed"),
    }
}

fn field_from_schema(
    protocol: Protocol,
    type_name: &'static str,
    fi: &epmd::FieldInfo,
    all: &[epmd::FieldInfo],
) -> Field {
    let derived = fi.derived.then(|| {
        let (mut from, how) = derived_how(protocol, fi.name);
        if from.is_empty() {
            from = all.iter().filter(|o| !o.derived).map(|o| o.name).collect();
        }
        Derived { from, how }
    });
    let required = !fi.derived && fi.default.is_none();
    Field {
        name: fi.name,
        kind: kind_of(type_name, fi),
        default: fi.default.map(str::to_string),
        required,
        optional: false,
        example: if required {
            example(type_name, fi.name)
        } else {
            None
        },
        derived,
        doc: fi.doc.to_string(),
    }
}

fn epmd_type(name: &'static str, dir: Direction) -> MessageType {
    let schema = epmd::field_schema(name).unwrap_or(&[]);
    MessageType {
        name,
        protocol: Protocol::Epmd,
        side: match dir {
            Direction::Request => Side::Initiator,
            Direction::Reply => Side::Acceptor,
        },
        direction: Some(dir),
        sender: epmd_sender(dir),
        decodes_as: name,
        doc: type_doc(name).to_string(),
        fields: schema
            .iter()
            .map(|fi| field_from_schema(Protocol::Epmd, name, fi, schema))
            .collect(),
    }
}

fn handshake_type(name: &'static str, side: Side) -> MessageType {
    let schema = handshake::field_schema(name).unwrap_or(&[]);
    MessageType {
        name,
        protocol: Protocol::Handshake,
        side,
        direction: None,
        sender: handshake_sender(side),
        decodes_as: handshake_decodes_as(name),
        doc: type_doc(name).to_string(),
        fields: schema
            .iter()
            .map(|fi| field_from_schema(Protocol::Handshake, name, fi, schema))
            .collect(),
    }
}

/// The 4-byte length of every connected-phase frame.
fn dist_length_field(others: Vec<&'static str>) -> Field {
    let (_, how) = derived_how(Protocol::Connected, "length_prefix");
    Field {
        name: "length_prefix",
        kind: uint(4),
        default: None,
        required: false,
        optional: false,
        example: None,
        derived: Some(Derived { from: others, how }),
        doc: "4-byte length of the frame after itself (connected-phase framing)".into(),
    }
}

fn dist_type(name: &'static str) -> MessageType {
    let schema = dist::field_schema(name).unwrap_or_default();
    let info = dist::ControlOp::from_name(name).and_then(|op| op.info());
    let others: Vec<&'static str> = schema
        .iter()
        .filter(|f| !f.derived)
        .map(|f| f.name)
        .collect();
    let mut fields = vec![dist_length_field(others.clone())];
    if let Some(info) = info {
        fields.push(Field {
            name: "arity",
            kind: uint(1),
            default: None,
            required: false,
            optional: false,
            example: None,
            derived: Some(Derived {
                from: info.elements.to_vec(),
                how: derived_how(Protocol::Connected, "arity").1,
            }),
            doc: "the control tuple's arity (SMALL_TUPLE_EXT's element count)".into(),
        });
    }
    for fi in &schema {
        let required = !fi.derived && !fi.optional && fi.default.is_none();
        fields.push(Field {
            name: fi.name,
            kind: Kind::Term,
            default: fi.default.map(str::to_string),
            required,
            optional: fi.optional,
            example: if required {
                example(name, fi.name)
            } else {
                None
            },
            derived: fi.derived.then(|| Derived {
                from: Vec::new(),
                how: format!("the operation code of {name}"),
            }),
            doc: if fi.derived {
                "the operation code (an integer term); another value makes another operation"
                    .to_string()
            } else {
                fi.doc.to_string()
            },
        });
    }
    let doc = match info {
        Some(i) => {
            let elems: Vec<String> = i
                .elements
                .iter()
                .map(|e| {
                    if *e == "op" {
                        i.op.0.to_string()
                    } else {
                        dist::spec_element_name(e).to_string()
                    }
                })
                .collect();
            let mut d = format!("{{{}}}", elems.join(", "));
            if let Some(p) = i.payload {
                d.push_str(&format!(" + {}", p.spec_name()));
            }
            if !i.since.is_empty() {
                d.push_str(&format!(" (OTP {})", i.since));
            }
            if !i.status.is_empty() {
                d.push_str(&format!("; {}", i.status));
            }
            d
        }
        None => type_doc(name).to_string(),
    };
    MessageType {
        name,
        protocol: Protocol::Connected,
        side: Side::Initiator,
        direction: None,
        sender: "either node → the other (after the handshake)",
        decodes_as: name,
        doc,
        fields,
    }
}

/// Every message the builder can make, grouped by protocol in
/// [`Protocol::ALL`] order. Names are unique over the protocols.
pub fn catalog() -> Vec<MessageType> {
    let mut out: Vec<MessageType> = epmd::message_types()
        .iter()
        .map(|(n, d)| epmd_type(n, *d))
        .collect();
    out.extend(
        handshake::message_types()
            .iter()
            .map(|(n, s)| handshake_type(n, *s)),
    );
    out.extend(dist::message_types().into_iter().map(dist_type));
    out
}

/// The message type named `name` (case-insensitive).
pub fn message_type(name: &str) -> Option<MessageType> {
    let n = name.trim();
    if let Some((m, d)) = epmd::message_types()
        .iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(n))
    {
        return Some(epmd_type(m, *d));
    }
    if let Some((m, s)) = handshake::message_types()
        .iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(n))
    {
        return Some(handshake_type(m, *s));
    }
    dist::message_types()
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(n))
        .map(dist_type)
}

fn unknown_type(name: &str) -> EncodeError {
    EncodeError::new(
        "type",
        format!(
            "unknown message type {name:?}; one of {}",
            catalog()
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

// ---------------------------------------------------------------- values

/// An unsigned number: decimal, `0x`/`16#` hex, `_` separators allowed.
pub fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .or_else(|| t.strip_prefix("16#"));
    let clean = |s: &str| s.replace('_', "");
    match hex {
        Some(h) if !h.is_empty() => u64::from_str_radix(&clean(h), 16).ok(),
        Some(_) => None,
        None if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_') => {
            clean(t).parse().ok()
        }
        None => None,
    }
}

/// The choice an enum text names: its value, its letter or a word of its
/// meaning.
fn find_choice<'c>(choices: &'c [Choice], text: &str) -> Option<&'c Choice> {
    let t = text.trim();
    choices.iter().find(|c| {
        c.value.eq_ignore_ascii_case(t)
            || c.letter.is_some_and(|l| {
                let mut tc = t.chars();
                tc.next() == Some(l) && tc.next().is_none()
            })
            || (!t.is_empty() && c.meaning.split(' ').any(|w| w == t))
    })
}

/// Checks a field's text; the error says what is wrong (and where, for
/// term text).
pub fn check_value(field: &Field, text: &str) -> Result<(), ValueError> {
    canonical_value(field, text).map(|_| ())
}

/// The value in one canonical spelling (numbers in decimal, enums by
/// their value, flags as `0x` hex), so two texts can be compared; or why
/// the text is not valid.
pub fn canonical_value(field: &Field, text: &str) -> Result<String, ValueError> {
    match &field.kind {
        Kind::Uint { min, max, .. } => {
            let v = parse_number(text).ok_or_else(|| {
                ValueError::new(format!(
                    "{:?} is not a number (decimal or 0x hex)",
                    text.trim()
                ))
            })?;
            if v < *min || v > *max {
                return Err(ValueError::new(format!(
                    "{v} is out of range {min}..={max}"
                )));
            }
            Ok(v.to_string())
        }
        Kind::Enum {
            bytes,
            choices,
            open,
        } => {
            if let Some(c) = find_choice(choices, text) {
                return Ok(c.value.clone());
            }
            let known = choices
                .iter()
                .map(|c| c.value.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if *bytes == 0 || !*open {
                return Err(ValueError::new(format!(
                    "{:?}: one of {known}",
                    text.trim()
                )));
            }
            let max = match bytes {
                1 => 255,
                2 => 65535,
                _ => u64::from(u32::MAX),
            };
            match parse_number(text) {
                Some(v) if v <= max => Ok(v.to_string()),
                Some(v) => Err(ValueError::new(format!("{v} is out of range 0..={max}"))),
                None => Err(ValueError::new(format!(
                    "{:?}: a number 0..={max} or one of {known}",
                    text.trim()
                ))),
            }
        }
        Kind::Flags { bytes, .. } => {
            let f = DistFlags::parse(text).map_err(ValueError::new)?;
            if *bytes == 4 && f.0 > u64::from(u32::MAX) {
                return Err(ValueError::new(format!(
                    "{f} does not fit the 4-byte word (bits above 31 are set)"
                )));
            }
            Ok(format!("{:#x}", f.0))
        }
        Kind::Text { .. } => {
            if text.len() > usize::from(u16::MAX) {
                return Err(ValueError::new(format!(
                    "{} bytes: a 2-byte length holds at most 65535",
                    text.len()
                )));
            }
            Ok(text.to_string())
        }
        Kind::Hex { bytes } => {
            let b = crate::input::parse_hex(text)
                .map(|p| p.bytes)
                .map_err(|e| ValueError {
                    message: e.message.clone(),
                    offset: None,
                    line: Some(e.line),
                    column: Some(e.column),
                })?;
            if let Some(n) = bytes {
                if b.len() != *n {
                    return Err(ValueError::new(format!(
                        "{n} bytes ({} hex digits) expected, got {}",
                        n * 2,
                        b.len()
                    )));
                }
            }
            Ok(crate::hex::encode(&b))
        }
        Kind::Term => crate::etf::text::parse(text)
            .map(|t| crate::etf::text::to_erlang(&t))
            .map_err(|e| ValueError {
                message: e.message.clone(),
                offset: Some(e.offset),
                line: Some(e.line),
                column: Some(e.column),
            }),
        Kind::Nodes { fd } => {
            let mut out = Vec::new();
            for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let (n, rest) = item.rsplit_once('=').ok_or_else(|| {
                    ValueError::new(format!(
                        "{item:?}: expected name=port{}",
                        if *fd { "[:fd]" } else { "" }
                    ))
                })?;
                let (p, d) = match rest.split_once(':') {
                    Some((p, d)) => (p, Some(d)),
                    None => (rest, None),
                };
                let port = parse_number(p)
                    .ok_or_else(|| ValueError::new(format!("{item:?}: {p:?} is not a port")))?;
                let mut e = format!("{n}={port}");
                if let Some(d) = d {
                    let d = parse_number(d).ok_or_else(|| {
                        ValueError::new(format!("{item:?}: {d:?} is not a number"))
                    })?;
                    e.push_str(&format!(":{d}"));
                }
                out.push(e);
            }
            Ok(out.join(","))
        }
    }
}

// ---------------------------------------------------------------- encode

/// Where a derived field sits in the decoded frame's span tree.
fn span_path(field: &str) -> &[&str] {
    match field {
        "arity" => &["control", "arity"],
        "length_prefix" => &["length_prefix"],
        "length" => &["length"],
        "name_len" => &["name_len"],
        "extra_len" => &["extra_len"],
        "op" => &["control", "op"],
        _ => &[],
    }
}

fn find_span<'s>(spans: &'s [Span], path: &[&str]) -> Option<&'s Span> {
    let (first, rest) = path.split_first()?;
    let s = spans.iter().find(|s| s.field == *first)?;
    if rest.is_empty() {
        Some(s)
    } else {
        find_span(&s.children, rest)
    }
}

/// A derived field written into the bytes after encoding (a number); the
/// others (`op`) go through the protocol's encoder.
fn patched(f: &Field) -> bool {
    f.derived.is_some() && matches!(f.kind, Kind::Uint { .. })
}

/// Checks `fields` against `t` and puts them in canonical spelling for the
/// protocol encoders (enum letters and meanings become their values).
fn checked(t: &MessageType, fields: &Fields) -> Result<Fields, EncodeError> {
    let mut out = Fields::new();
    for (k, v) in fields {
        let f = t.field(k).ok_or_else(|| {
            EncodeError::new(
                k,
                format!(
                    "{} has no field {k:?}; its fields: {}",
                    t.name,
                    t.fields
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let c = canonical_value(f, v).map_err(|e| EncodeError::new(k, e.to_string()))?;
        let keep = match f.kind {
            // Enums go by their value; the rest as given (the protocol
            // encoders read every spelling, and texts stay exact).
            Kind::Enum { .. } => c,
            _ => v.clone(),
        };
        out.insert(k.clone(), keep);
    }
    Ok(out)
}

/// The bytes with every derived field computed (none overridden).
fn encode_consistent(t: &MessageType, fields: &Fields) -> Result<Vec<u8>, EncodeError> {
    let plain: Fields = fields
        .iter()
        .filter(|(k, _)| t.field(k).is_none_or(|f| !patched(f)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match t.protocol {
        Protocol::Epmd => epmd::encode_fields(t.name, &plain),
        Protocol::Handshake => handshake::encode_fields(t.name, &plain),
        Protocol::Connected => dist::encode_control_fields(t.name, &plain),
    }
}

/// Encodes a message from field values (text by snake_case name). Missing
/// fields take their defaults; derived fields are computed unless given,
/// and a given value replaces the computed one in place (a deliberately
/// inconsistent frame). The error names the field.
pub fn encode(type_name: &str, fields: &Fields) -> Result<Vec<u8>, EncodeError> {
    let t = message_type(type_name).ok_or_else(|| unknown_type(type_name))?;
    encode_type(&t, fields)
}

fn encode_type(t: &MessageType, fields: &Fields) -> Result<Vec<u8>, EncodeError> {
    let fields = checked(t, fields)?;
    let mut bytes = encode_consistent(t, &fields)?;
    let overrides: Vec<(&Field, u64)> = t
        .fields
        .iter()
        .filter(|f| patched(f))
        .filter_map(|f| {
            let v = fields.get(f.name)?;
            Some((f, parse_number(v).unwrap_or(0)))
        })
        .collect();
    if overrides.is_empty() {
        return Ok(bytes);
    }
    let frame = decode_type(t, &bytes);
    for (f, v) in overrides {
        let span = find_span(&frame.spans, span_path(f.name))
            .ok_or_else(|| EncodeError::new(f.name, "this frame has no such field to override"))?;
        let be = v.to_be_bytes();
        let src = be
            .get(be.len().saturating_sub(span.length)..)
            .filter(|_| span.length <= be.len())
            .ok_or_else(|| EncodeError::new(f.name, "the field is wider than a number"))?;
        let slot = bytes
            .get_mut(span.offset..span.end())
            .ok_or_else(|| EncodeError::new(f.name, "field outside the frame"))?;
        slot.copy_from_slice(src);
    }
    Ok(bytes)
}

// ---------------------------------------------------------------- decode

/// The flags two OTP 25 nodes agree on: what the connected phase of a
/// built message is decoded under.
fn otp25_negotiated() -> u64 {
    let word = handshake::field_schema("SEND_NAME")
        .and_then(|s| s.iter().find(|f| f.name == "flags"))
        .and_then(|f| f.default)
        .and_then(|d| DistFlags::parse(d).ok())
        .unwrap_or_default();
    word.expand_mandatory_25().0
}

/// The request code a reply type answers (its decode needs it).
fn answers(reply: &str) -> Option<u8> {
    Some(match reply {
        "ALIVE2_RESP" | "ALIVE2_X_RESP" => epmd::ALIVE2_REQ,
        "PORT2_RESP" => epmd::PORT_PLEASE2_REQ,
        "NAMES_RESP" => epmd::NAMES_REQ,
        "DUMP_RESP" => epmd::DUMP_REQ,
        "KILL_RESP" => epmd::KILL_REQ,
        "STOP_RESP" => epmd::STOP_REQ,
        _ => return None,
    })
}

/// One frame of `t` from the front of `data` (at absolute `base`), as its
/// receiver reads it.
fn decode_one(t: &MessageType, data: &[u8], base: usize) -> (FrameDecoded, Phase) {
    match t.protocol {
        Protocol::Epmd => {
            let d = match t.direction {
                Some(Direction::Reply) => epmd::decode_reply(
                    data,
                    base,
                    ReplyContext {
                        eof: true,
                        answers: answers(t.name),
                    },
                ),
                _ => epmd::decode_request(data, base),
            };
            let fields = d.message.as_ref().map(|m| m.fields()).unwrap_or_default();
            (
                FrameDecoded {
                    type_name: d.type_name,
                    spans: d.spans,
                    consumed: d.consumed,
                    status: d.status,
                    notes: d.notes,
                    fields,
                },
                Phase::Epmd,
            )
        }
        Protocol::Handshake => (
            handshake::decode_frame(data, base, t.side).frame,
            Phase::Handshake,
        ),
        Protocol::Connected => (
            ConnectedDecoder::new(Some(otp25_negotiated()))
                .decode_frame(data, base)
                .frame,
            Phase::Connected,
        ),
    }
}

/// Who reads the message.
fn receiver(t: &MessageType) -> &'static str {
    match (t.protocol, t.direction, t.side) {
        (Protocol::Epmd, Some(Direction::Reply), _) => "the client",
        (Protocol::Epmd, _, _) => "epmd",
        (Protocol::Handshake, _, Side::Initiator) => "the acceptor",
        (Protocol::Handshake, _, Side::Acceptor) => "the initiator",
        (Protocol::Connected, _, _) => "the receiving node",
    }
}

/// Decodes built bytes the way the receiver of `type_name` reads them: an
/// EPMD request as epmd does, a reply as the client does (knowing the
/// request it answers), a handshake message as sent by its sender, a
/// connected-phase message after an OTP 25 handshake with an empty atom
/// cache. The frame is complete, incomplete or invalid with spans, notes
/// and lint; bytes past the end the frame declares are kept in the frame
/// as an `after_frame` span (the receiver reads them as the next message).
pub fn decode_built(type_name: &str, bytes: &[u8]) -> Frame {
    let t = message_type(type_name).unwrap_or_else(|| epmd_type("UNKNOWN", Direction::Request));
    decode_type(&t, bytes)
}

fn decode_type(t: &MessageType, bytes: &[u8]) -> Frame {
    let (mut decoded, phase) = decode_one(t, bytes, 0);
    let consumed = if decoded.status.is_incomplete() {
        bytes.len()
    } else {
        decoded
            .consumed
            .clamp(1, bytes.len().max(1))
            .min(bytes.len())
    };
    let frame_bytes = bytes.get(..consumed).unwrap_or(bytes).to_vec();
    crate::session::close_invalid(&mut decoded, 0, &frame_bytes);
    let sf = SessionFrame {
        side: t.side,
        phase,
        offset: 0,
        bytes: frame_bytes,
        decoded,
        reassembled: None,
    };
    let reason = format!(
        "built: {} ({}), read as {} reads it",
        t.name,
        t.sender,
        receiver(t)
    );
    let mut f = crate::report::session_frame(sf, None, Source::Given, &reason);
    if let Some(rest) = bytes.get(consumed..).filter(|r| !r.is_empty()) {
        let next = describe_next(t, rest, consumed);
        f.spans.push(Span::leaf(
            "after_frame",
            consumed,
            rest.len(),
            Value::Bytes(rest.to_vec()),
            format!(
                "{} after the end the frame declares: {} reads them as the next message ({next})",
                crate::reader::bytes_word(rest.len()),
                receiver(t)
            ),
        ));
        f.notes.push(epmd::Note {
            offset: consumed,
            field: format!("{}.after_frame", f.type_name),
            message: format!(
                "the frame ends at byte {consumed} but {} were built: {} reads the rest as the next message ({next})",
                crate::reader::bytes_word(bytes.len()),
                receiver(t)
            ),
        });
        f.bytes = bytes.to_vec();
        if f.protocol == crate::session::Protocol::Epmd {
            f.lint = crate::lint::epmd_frame(&f, bytes);
        }
    }
    f
}

/// What the receiver makes of bytes left after a frame (at `base`).
fn describe_next(t: &MessageType, rest: &[u8], base: usize) -> String {
    let (d, _) = decode_one(t, rest, base);
    let first = crate::span::leaves(&d.spans)
        .first()
        .map(|l| l.meaning.to_string())
        .unwrap_or_default();
    let status = match &d.status {
        Status::Complete => format!("a whole {}", d.type_name),
        Status::Incomplete(i) => i.message.clone(),
        Status::Invalid(e) => format!("invalid at byte {} ({}): {}", e.offset, e.field, e.message),
    };
    if first.is_empty() {
        status
    } else {
        format!("{first}; {status}")
    }
}

// ---------------------------------------------------------------- explain

/// How a field is called in explanations.
fn label(field: &str) -> &str {
    match field {
        "length_prefix" => "the length prefix",
        "length" => "the length",
        "name_len" => "Nlen",
        "extra_len" => "Elen",
        "arity" => "the arity",
        "op" => "the operation",
        other => other,
    }
}

/// What the receiver does about an invalid frame.
fn reaction_invalid(t: &MessageType) -> &'static str {
    match (t.protocol, t.direction) {
        (Protocol::Epmd, Some(Direction::Reply)) => {
            "the client cannot read the reply: it gives up on the request and closes the connection"
        }
        (Protocol::Epmd, _) => "epmd logs the error and closes the connection without a reply",
        (Protocol::Handshake, _) => {
            "an OTP node closes the connection: the handshake fails and no connection is set up"
        }
        (Protocol::Connected, _) => {
            "an OTP node closes the connection on a malformed message: both sides see nodedown"
        }
    }
}

/// What happens while the receiver waits for bytes that never come.
fn reaction_wait(t: &MessageType) -> &'static str {
    match t.protocol {
        Protocol::Epmd if t.direction == Some(Direction::Reply) => {
            "the client waits for bytes that never come: after most replies epmd closes the connection and the client sees a truncated reply; after an ALIVE2 reply the connection stays open and the node hangs in registration"
        }
        Protocol::Epmd => {
            "the client waits for a reply and epmd for the missing bytes; epmd closes the connection after its packet timeout (60 s by default)"
        }
        Protocol::Handshake => {
            "both sides wait until the handshake timer (net_setuptime, 7 s by default) closes the connection"
        }
        Protocol::Connected => {
            "whatever the sender sends next (ticks, other messages) is read as the rest of this frame: the message is garbled, or with nothing more the connection is declared down after net_ticktime"
        }
    }
}

fn span_value(s: &Span) -> String {
    s.value.display()
}

fn leaf_text(l: &Span) -> String {
    let at = if l.length > 1 {
        format!("bytes {}-{}", l.offset, l.end() - 1)
    } else {
        format!("byte {}", l.offset)
    };
    format!("{} = {} ({at})", l.field, span_value(l))
}

/// What the status of a built frame means for its receiver.
fn outcome(t: &MessageType, frame: &Frame, consistent: &Frame) -> Vec<String> {
    let mut out = Vec::new();
    if frame.type_name != consistent.type_name {
        out.push(format!(
            "{} now reads the message as {} (not {})",
            receiver(t),
            frame.type_name,
            consistent.type_name
        ));
    }
    match &frame.status {
        Status::Invalid(e) => {
            out.push(format!(
                "error at byte {} in {}: {}",
                e.offset, e.field, e.message
            ));
            out.push(format!("{}.", capitalize(reaction_invalid(t))));
        }
        Status::Incomplete(i) => {
            out.push(format!("{} waits: {}", receiver(t), i.message));
            out.push(format!("{}.", capitalize(reaction_wait(t))));
        }
        Status::Complete => {
            let diffs: Vec<String> = frame
                .fields
                .iter()
                .filter_map(|(k, v)| {
                    let was = consistent.fields.iter().find(|(ck, _)| ck == k)?;
                    (was.1 != *v)
                        .then(|| format!("{k} {} (built as {})", v.display(), was.1.display()))
                })
                .collect();
            if diffs.is_empty() {
                out.push(format!(
                    "the frame still decodes, with the same values; {} takes it as built",
                    receiver(t)
                ));
            } else {
                out.push(format!(
                    "the frame still decodes, but reads differently: {}",
                    diffs.join(", ")
                ));
            }
            // What the decoder remarks now and did not before (what an OTP
            // receiver does about it).
            for n in &frame.notes {
                if n.field.ends_with(".after_frame") {
                    continue;
                }
                if !consistent.notes.iter().any(|c| c.message == n.message) {
                    out.push(format!("byte {} ({}): {}", n.offset, n.field, n.message));
                }
            }
        }
    }
    out
}

/// The first letter in upper case, except for epmd (always lower case).
fn capitalize(s: &str) -> String {
    if s.starts_with("epmd") {
        return s.to_string();
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What the receiver makes of `frame` (the decode of the built bytes)
/// because `field`, a derived field, was given in `fields` instead of
/// computed: the value either way, how the bytes after it are read, the
/// decode error at its byte and field, and what the receiver then does
/// (epmd closes without a reply, waits for bytes that never come, reads
/// the rest as the next request, ...). Empty when `field` is not derived.
pub fn explain_override(
    type_name: &str,
    fields: &Fields,
    field: &str,
    frame: &Frame,
) -> Vec<String> {
    let Some(t) = message_type(type_name) else {
        return Vec::new();
    };
    let Some(info) = t.field(field).filter(|f| f.derived.is_some()) else {
        return Vec::new();
    };
    let Ok(plain) = checked(&t, fields).map(|mut f| {
        f.remove(field);
        f
    }) else {
        return Vec::new();
    };
    let Ok(cbytes) = encode_type(&t, &plain) else {
        return Vec::new();
    };
    let consistent = decode_type(&t, &cbytes);
    let path = span_path(field);
    let (Some(cs), Some(gs)) = (
        find_span(&consistent.spans, path),
        find_span(&frame.spans, path),
    ) else {
        return vec![format!(
            "{} is not in the decoded frame: {}",
            label(field),
            outcome(&t, frame, &consistent).join("; ")
        )];
    };
    let (given, computed) = (span_value(gs), span_value(cs));
    let how = info.derived.as_ref().map_or("", |d| d.how.as_str());
    let mut notes = vec![format!(
        "{} says {given} where {how} is {computed}.",
        capitalize(label(field))
    )];
    if gs.value == cs.value && gs.length == cs.length {
        notes.push("The same as the computed value: the frame is unchanged.".into());
        return notes;
    }
    let rx = receiver(&t);
    let whole = cs.offset == 0 && matches!(info.kind, Kind::Uint { .. });
    match (whole, gs.value.as_u64(), cs.value.as_u64()) {
        (true, Some(g), Some(c)) if g > c => {
            notes.push(format!(
                "{} has the {c} bytes that were built and waits for {} more that never come.",
                capitalize(rx),
                g - c
            ));
            notes.push(format!("{}.", capitalize(reaction_wait(&t))));
            return notes;
        }
        (true, Some(g), Some(_)) => {
            let head = cs.length;
            let cut = usize::try_from(g).unwrap_or(0).saturating_add(head);
            let rest = cbytes.get(cut..).unwrap_or(&[]);
            notes.push(format!(
                "{} takes only the {} after the length as the whole message (bytes 0-{}).",
                capitalize(rx),
                crate::reader::bytes_word(usize::try_from(g).unwrap_or(0)),
                cut.saturating_sub(1)
            ));
            if t.protocol == Protocol::Epmd && !rest.is_empty() {
                notes.push(format!(
                    "Sent in one write, both parts reach epmd in one read: epmd logs \"got {} bytes in packet, expected {}\" and closes without a reply. Were they read separately, this is what epmd would make of them:",
                    cbytes.len(),
                    cut
                ));
            }
            let mut o = outcome(&t, frame, &consistent);
            if frame.status.is_complete() {
                o.retain(|l| !l.starts_with("the frame still decodes, with the same"));
            }
            notes.extend(
                o.into_iter()
                    .map(|l| format!("{}.", capitalize(&l).trim_end_matches('.'))),
            );
            if !rest.is_empty() {
                notes.push(format!(
                    "The remaining {} ({}) {} read as the start of the next message: {}.",
                    crate::reader::bytes_word(rest.len()),
                    crate::hex::spaced(rest),
                    if rest.len() == 1 { "is" } else { "are" },
                    describe_next(&t, rest, cut)
                ));
                if t.name == "ALIVE2_REQ" && frame.status.is_complete() {
                    notes.push("On a registration socket that next message itself is fatal: any byte after ALIVE2_REQ makes epmd drop the registration (\"got more than expected on ALIVE socket\").".into());
                }
            }
            return notes;
        }
        _ => {}
    }
    let error_at = match &frame.status {
        Status::Invalid(e) => Some(e.offset),
        _ => None,
    };
    let shifts = matches!(info.kind, Kind::Uint { .. });
    let read_on: Vec<String> = crate::span::leaves(&frame.spans)
        .into_iter()
        .filter(|_| shifts)
        .filter(|l| l.offset >= gs.end())
        .filter(|l| !matches!(l.field.as_ref(), "undecoded" | "after_frame" | "tag"))
        .take_while(|l| error_at.is_none_or(|e| l.offset <= e))
        .take(6)
        .map(leaf_text)
        .collect();
    if !read_on.is_empty() {
        notes.push(format!(
            "{} reads on from there: {}.",
            capitalize(rx),
            read_on.join(", ")
        ));
    }
    notes.extend(
        outcome(&t, frame, &consistent)
            .into_iter()
            .map(|l| format!("{}.", capitalize(&l).trim_end_matches('.'))),
    );
    notes
}

// ---------------------------------------------------------------- build

/// A derived field's value: computed, and given when overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DerivedValue {
    /// The field.
    pub name: &'static str,
    /// What the encoder computes.
    pub computed: String,
    /// The value given instead (an override).
    pub given: Option<String>,
}

/// What overriding a derived field does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consequence {
    /// The overridden field.
    pub field: &'static str,
    /// [`explain_override`]'s sentences.
    pub notes: Vec<String>,
}

/// A built message: bytes, their decode, the derived values and what the
/// overrides do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Their decode as the receiver reads them ([`decode_built`]).
    pub frame: Frame,
    /// Every derived field's computed (and given) value.
    pub derived: Vec<DerivedValue>,
    /// One entry per overridden derived field.
    pub consequences: Vec<Consequence>,
}

/// Encodes, decodes and explains in one call: what the builder page and
/// the JS API show.
pub fn build(type_name: &str, fields: &Fields) -> Result<Built, EncodeError> {
    let t = message_type(type_name).ok_or_else(|| unknown_type(type_name))?;
    let bytes = encode_type(&t, fields)?;
    let frame = decode_type(&t, &bytes);
    let canon = checked(&t, fields)?;
    let plain: Fields = canon
        .iter()
        .filter(|(k, _)| t.field(k).is_none_or(|f| f.derived.is_none()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let consistent = encode_type(&t, &plain).map(|b| decode_type(&t, &b)).ok();
    let mut derived = Vec::new();
    let mut consequences = Vec::new();
    for f in t.fields.iter().filter(|f| f.derived.is_some()) {
        let computed = consistent
            .as_ref()
            .and_then(|c| find_span(&c.spans, span_path(f.name)))
            .map(span_value)
            .unwrap_or_default();
        let given = fields.get(f.name).cloned();
        if given.is_some() {
            consequences.push(Consequence {
                field: f.name,
                notes: explain_override(t.name, fields, f.name, &frame),
            });
        }
        derived.push(DerivedValue {
            name: f.name,
            computed,
            given,
        });
    }
    Ok(Built {
        bytes,
        frame,
        derived,
        consequences,
    })
}
