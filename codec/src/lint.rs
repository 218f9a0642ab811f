//! The classic mistakes, recognised in decoded frames, each named, explained,
//! and with the corrected bytes when they can be derived.
//!
//! | id | what |
//! |---|---|
//! | `ascii-decimal` | the numbers were sent as decimal text (`1209506770554node0`) |
//! | `missing-length-prefix` | a request without its 2-byte length (`7a 6e 6f 64 65`) |
//! | `one-byte-nlen` | ALIVE2_REQ's Nlen written as 1 byte; a PORT_PLEASE2_REQ name preceded by its length |
//! | `little-endian-port` | a port written low byte first |
//! | `name-with-host` | `name@host` where epmd wants the short name |
//! | `reply-with-prefix` | an EPMD reply with a length prefix (replies have none) |
//! | `versions-swapped` | HighestVersion below LowestVersion |
//! | `handshake-to-epmd` | a node's `N`/`n` send_name sent to epmd |
//! | `epmd-to-node` | an EPMD request sent to a node's distribution port |
//!
//! A lint is advice next to the decode, never a change to it: the frame is
//! still decoded exactly as epmd or the node would read it.
//!
//! ```
//! use erldist_codec::{decode_text, DecodeOptions};
//! // PORT_PLEASE2_REQ for "node", without its length prefix.
//! let r = decode_text("7a 6e 6f 64 65", &DecodeOptions::default());
//! let lint = &r.frames[0].lint[0];
//! assert_eq!(lint.id, "missing-length-prefix");
//! assert_eq!(lint.corrected.as_deref(), Some(&[0, 5, 0x7a, b'n', b'o', b'd', b'e'][..]));
//! ```

use crate::conn::Side;
use crate::epmd::{
    self, decode_reply, decode_request, Alive2Req, EpmdMessage, Port2Resp, PortPlease2Req,
    ReplyContext, ALIVE2_REQ, ALIVE2_RESP, ALIVE2_X_RESP, DUMP_REQ, KILL_REQ, NAMES_REQ,
    PORT2_RESP,
};
use crate::report::{Frame, Report};
use crate::session::{Phase, Protocol};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// One classic mistake found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// Stable id (`missing-length-prefix`, ...; see [`IDS`]).
    pub id: &'static str,
    /// What is wrong, with the numbers either way.
    pub message: String,
    /// Absolute byte offset the lint is about.
    pub offset: usize,
    /// The bytes that were probably meant, when they can be derived.
    pub corrected: Option<Vec<u8>>,
}

impl Serialize for Lint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("id", self.id)?;
        m.serialize_entry("message", &self.message)?;
        m.serialize_entry("offset", &self.offset)?;
        m.serialize_entry(
            "corrected",
            &self.corrected.as_deref().map(crate::hex::encode),
        )?;
        m.end()
    }
}

/// Every lint id with a one-line explanation.
pub const IDS: [(&str, &str); 14] = [
    ("ascii-decimal", "the numbers were written as decimal text (\"120 9506 77 ...\" sent as ASCII digits) instead of binary fields"),
    ("missing-length-prefix", "an EPMD request without its 2-byte big-endian length prefix"),
    ("one-byte-nlen", "a name length written as 1 byte (ALIVE2_REQ's Nlen is 2 bytes; PORT_PLEASE2_REQ has no Nlen at all)"),
    ("little-endian-port", "a port number written low byte first (every EPMD integer is big-endian)"),
    ("name-with-host", "a node name with @host where epmd wants the short (alive) name"),
    ("reply-with-prefix", "an EPMD reply with a 2-byte length prefix (only requests have one)"),
    ("versions-swapped", "HighestVersion and LowestVersion in the wrong order (HighestVersion comes first)"),
    ("handshake-to-epmd", "a node handshake send_name (N or n) sent to epmd instead of to the node"),
    ("epmd-to-node", "an EPMD request sent to a node's distribution port instead of to epmd"),
    ("wrong-length-prefix", "an EPMD request whose 2-byte length prefix does not count the request (it counts itself, is 1 byte, or is off)"),
    ("little-endian-field", "a length or a version written low byte first (every EPMD integer is big-endian)"),
    ("digest-mismatch", "a handshake digest that does not match MD5(cookie ++ challenge) for the cookie given"),
    ("bytes-after-alive2", "bytes sent on a registration socket after ALIVE2_REQ: epmd drops the registration and closes"),
    ("closed-after-alive2", "the registration socket closed right after ALIVE2_REQ: the registration lives only while it is open, so the name disappears"),
];

fn lint(id: &'static str, offset: usize, message: String, corrected: Option<Vec<u8>>) -> Lint {
    Lint {
        id,
        message,
        offset,
        corrected,
    }
}

/// `00 05` + body.
fn prefixed(body: &[u8]) -> Option<Vec<u8>> {
    let n = u16::try_from(body.len()).ok()?;
    let mut v = n.to_be_bytes().to_vec();
    v.extend_from_slice(body);
    Some(v)
}

/// The message when `bytes` are exactly one complete request.
fn whole_request(bytes: &[u8]) -> Option<EpmdMessage> {
    let d = decode_request(bytes, 0);
    if d.status.is_complete() && d.consumed == bytes.len() {
        d.message
    } else {
        None
    }
}

/// The message when `bytes` are exactly one complete reply.
fn whole_reply(bytes: &[u8]) -> Option<EpmdMessage> {
    let d = decode_reply(
        bytes,
        0,
        ReplyContext {
            eof: true,
            answers: None,
        },
    );
    if d.status.is_complete() && d.consumed == bytes.len() {
        d.message
    } else {
        None
    }
}

fn encode(m: EpmdMessage) -> Option<Vec<u8>> {
    m.encode().ok()
}

/// `a` or `an` before a spec name.
fn article(name: &str) -> &'static str {
    if name.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

fn spaced(b: &[u8]) -> String {
    crate::hex::spaced(b)
}

fn shown(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Lints for one EPMD frame. `rest` is the frame's bytes and everything
/// after it in the same byte stream (a request without its prefix is
/// decoded with a wrong length, so its frame may not hold all of it).
pub fn epmd_frame(f: &Frame, rest: &[u8]) -> Vec<Lint> {
    let mut out = Vec::new();
    if f.protocol != Protocol::Epmd {
        return out;
    }
    let b = f.bytes.as_slice();
    let o = f.offset;
    let complete = f.status.is_complete();
    // A guessed direction may be wrong exactly because of the mistake.
    let maybe_request = f.side == Side::Initiator || f.direction_inferred;
    if maybe_request {
        if let Some(l) = ascii_decimal_bytes(b, o) {
            out.push(l);
            return out;
        }
        if !complete || f.type_name == "UNKNOWN" {
            out.extend(missing_prefix(rest, o));
            out.extend(one_byte_nlen_alive2(b, o));
            if out.is_empty() {
                out.extend(le_length(rest, o));
            }
            if out.is_empty() {
                out.extend(wrong_prefix(rest, o));
            }
        }
    }
    if f.side == Side::Initiator {
        out.extend(handshake_to_epmd(b, o));
    }
    out.extend(reply_with_prefix(b, o));
    if complete {
        let msg = if f.side == Side::Initiator {
            whole_request(b)
        } else {
            whole_reply(b)
        };
        if let Some(m) = msg {
            out.extend(message_lints(&m, b, o));
        }
    }
    out
}

/// Lints for one frame of a node connection: an EPMD request where the
/// node expects its handshake.
pub fn dist_frame(f: &Frame) -> Vec<Lint> {
    let mut out = Vec::new();
    if f.protocol != Protocol::Dist || f.phase != Phase::Handshake {
        return out;
    }
    out.extend(digest_mismatch(f));
    if f.side != Side::Initiator || (f.status.is_complete() && f.type_name != "UNKNOWN") {
        return out;
    }
    out.extend(epmd_to_node(&f.bytes, f.offset, "the node"));
    out
}

/// A CHALLENGE_REPLY / CHALLENGE_ACK whose digest the session checked
/// against the cookie given, and found wrong.
fn digest_mismatch(f: &Frame) -> Option<Lint> {
    let field = |k: &str| f.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    if field("digest_ok") != Some(&crate::span::Value::Bool(false)) {
        return None;
    }
    let crate::span::Value::Text(expected) = field("expected_digest")? else {
        return None;
    };
    let want = crate::input::parse_hex(expected).ok()?.bytes;
    let at = f.bytes.len().checked_sub(16)?;
    let got = f.bytes.get(at..)?;
    let mut fixed = f.bytes.get(..at)?.to_vec();
    fixed.extend_from_slice(&want);
    Some(lint(
        "digest-mismatch",
        f.offset + at,
        format!(
            "the {} digest {} is not MD5(cookie ++ challenge) for the cookie given ({}): the peer answers by closing the connection (\"Connection attempt from node ... rejected\", or the initiator logs a bad digest). Either the two nodes have different cookies, or the digest is computed wrongly: it is the 16-byte MD5 of the cookie text followed by the other side's challenge as unsigned decimal text",
            if f.type_name.contains("ACK") { "CHALLENGE_ACK" } else { "CHALLENGE_REPLY" },
            spaced(got),
            spaced(&want)
        ),
        Some(fixed),
    ))
}

fn epmd_to_node(b: &[u8], o: usize, to: &str) -> Option<Lint> {
    let m = whole_request(b)?;
    if matches!(m, EpmdMessage::Unknown(_)) {
        return None;
    }
    Some(lint(
        "epmd-to-node",
        o,
        format!(
            "these bytes are an EPMD {} sent to {to}: a node's distribution port expects a handshake send_name (`N`), and closes the connection on anything else. Send EPMD requests to epmd (port 4369), which answers with the node's port",
            m.type_name()
        ),
        None,
    ))
}

/// Checks on a complete, typed message.
fn message_lints(m: &EpmdMessage, b: &[u8], o: usize) -> Vec<Lint> {
    let mut out = Vec::new();
    match m {
        EpmdMessage::Alive2Req(r) => {
            // Port at bytes 3..5 (after the prefix and the code).
            if let Some(l) = le_port(r.port, 3, b, o, "ALIVE2_REQ") {
                out.push(l);
            }
            let le = |v: u16| v > 0xff && (1..=6).contains(&v.swap_bytes());
            if le(r.highest_version) || le(r.lowest_version) {
                let fix = |v: u16| if le(v) { v.swap_bytes() } else { v };
                let fixed = Alive2Req {
                    highest_version: fix(r.highest_version),
                    lowest_version: fix(r.lowest_version),
                    ..r.clone()
                };
                out.push(lint(
                    "little-endian-field",
                    o + if le(r.highest_version) { 7 } else { 9 },
                    format!(
                        "HighestVersion {} / LowestVersion {} (bytes {}): a version written low byte first? epmd stores them as read and echoes them in PORT2_RESP, so nodes looking this one up see a distribution version they do not speak. Big-endian they are {} / {}",
                        r.highest_version,
                        r.lowest_version,
                        spaced(b.get(7..11).unwrap_or(&[])),
                        fixed.highest_version,
                        fixed.lowest_version
                    ),
                    encode(EpmdMessage::Alive2Req(fixed)),
                ));
            } else if r.highest_version < r.lowest_version {
                let fixed = Alive2Req {
                    highest_version: r.lowest_version,
                    lowest_version: r.highest_version,
                    ..r.clone()
                };
                out.push(lint(
                    "versions-swapped",
                    o + 7,
                    format!(
                        "HighestVersion {} is below LowestVersion {}: the two fields are swapped (HighestVersion comes first); epmd picks its reply by HighestVersion, so it answers {} where a version-{} node expects {}",
                        r.highest_version,
                        r.lowest_version,
                        if r.highest_version >= 6 { "ALIVE2_X_RESP" } else { "the old ALIVE2_RESP (16-bit creation)" },
                        r.lowest_version,
                        if r.lowest_version >= 6 { "ALIVE2_X_RESP" } else { "ALIVE2_RESP" },
                    ),
                    encode(EpmdMessage::Alive2Req(fixed)),
                ));
            }
            if let Some(at) = r.name.iter().position(|&c| c == b'@') {
                let short = r.name.get(..at).unwrap_or(&[]).to_vec();
                let fixed = (!short.is_empty()).then(|| Alive2Req {
                    name: short.clone(),
                    ..r.clone()
                });
                out.push(lint(
                    "name-with-host",
                    o + 13,
                    format!(
                        "the name {:?} has a host part: epmd registers it as given, so nodes looking up {:?} will not find it. ALIVE2_REQ takes the short name (before @); the host is the machine epmd runs on",
                        shown(&r.name),
                        shown(&short)
                    ),
                    fixed.and_then(|f| encode(EpmdMessage::Alive2Req(f))),
                ));
            }
        }
        EpmdMessage::PortPlease2Req(r) => {
            if let Some(at) = r.name.iter().position(|&c| c == b'@') {
                let short = r.name.get(..at).unwrap_or(&[]).to_vec();
                out.push(lint(
                    "name-with-host",
                    o + 3,
                    format!(
                        "the name {:?} has a host part: epmd compares names byte for byte and answers \"not found\" (77 01). PORT_PLEASE2_REQ takes the short name {:?}; the host is where you connect to epmd",
                        shown(&r.name),
                        shown(&short)
                    ),
                    (!short.is_empty())
                        .then(|| {
                            encode(EpmdMessage::PortPlease2Req(PortPlease2Req {
                                name: short,
                                nul_terminated: r.nul_terminated,
                            }))
                        })
                        .flatten(),
                ));
            }
            out.extend(port_please_nlen(r, o));
        }
        EpmdMessage::Port2Resp(Port2Resp::Found(n)) => {
            if let Some(l) = le_port(n.port, 2, b, o, "PORT2_RESP") {
                out.push(l);
            }
            if n.highest_version < n.lowest_version {
                let mut fixed = b.to_vec();
                if let (Some(hi), Some(lo)) = (b.get(6..8), b.get(8..10)) {
                    let (hi, lo) = (hi.to_vec(), lo.to_vec());
                    fixed.splice(6..8, lo);
                    fixed.splice(8..10, hi);
                }
                out.push(lint(
                    "versions-swapped",
                    o + 6,
                    format!(
                        "HighestVersion {} is below LowestVersion {}: swapped (epmd echoes what the node registered, so the node's ALIVE2_REQ had them swapped)",
                        n.highest_version, n.lowest_version
                    ),
                    Some(fixed),
                ));
            }
        }
        _ => {}
    }
    out
}

/// A port that reads better low byte first: below 1024 one way and not the
/// other, or a round number (a multiple of 100) only the other way.
fn le_port(port: u16, at: usize, b: &[u8], o: usize, what: &str) -> Option<Lint> {
    let [hi, lo] = port.to_be_bytes();
    if hi == lo {
        return None;
    }
    let swapped = u16::from_le_bytes([hi, lo]);
    let low = |p: u16| p < 1024;
    let round = |p: u16| p != 0 && p % 100 == 0;
    let why = if low(port) && !low(swapped) {
        format!("{port} is below 1024, a privileged port no Erlang node listens on")
    } else if round(swapped) && !round(port) {
        format!("{swapped} is a round number and {port} is not")
    } else {
        return None;
    };
    port_lint(port, swapped, at, b, o, what, &why)
}

fn port_lint(
    port: u16,
    swapped: u16,
    at: usize,
    b: &[u8],
    o: usize,
    what: &str,
    why: &str,
) -> Option<Lint> {
    let mut fixed = b.to_vec();
    let slot = fixed.get_mut(at..at + 2)?;
    slot.reverse();
    Some(lint(
        "little-endian-port",
        o + at,
        format!(
            "the {what} port bytes {} read {port} big-endian (as epmd reads them) and {swapped} little-endian; {why}: written low byte first? Every EPMD integer is big-endian: port {swapped} is {}",
            spaced(&port.to_be_bytes()),
            spaced(&swapped.to_be_bytes())
        ),
        Some(fixed),
    ))
}

/// A PORT_PLEASE2_REQ whose name starts with its own length.
fn port_please_nlen(r: &PortPlease2Req, o: usize) -> Option<Lint> {
    let name = r.name.as_slice();
    let (skip, n) = match name {
        [0, n, rest @ ..] if usize::from(*n) == rest.len() && !rest.is_empty() => (2, *n),
        [n, rest @ ..] if usize::from(*n) == rest.len() && !rest.is_empty() => (1, *n),
        _ => return None,
    };
    let real = name.get(skip..)?.to_vec();
    if !real.iter().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    Some(lint(
        "one-byte-nlen",
        o + 3,
        format!(
            "the name starts with its own length ({}): PORT_PLEASE2_REQ has no Nlen, the name runs to the end of the request, so epmd looks up the {}-byte name {:?} and answers \"not found\" (77 01)",
            if skip == 2 { format!("00 {n:02x}, a 2-byte length") } else { format!("{n:02x}, a 1-byte length") },
            name.len(),
            shown(name)
        ),
        encode(EpmdMessage::PortPlease2Req(PortPlease2Req {
            name: real,
            nul_terminated: r.nul_terminated,
        })),
    ))
}

/// An ALIVE2_REQ whose Nlen (and maybe Elen) was written as one byte.
fn one_byte_nlen_alive2(b: &[u8], o: usize) -> Option<Lint> {
    let body = b.get(2..)?;
    if body.first() != Some(&ALIVE2_REQ) {
        return None;
    }
    let fixed = |n: usize| -> Option<(Alive2Req, &'static str)> {
        let port = u16::from_be_bytes([*body.get(1)?, *body.get(2)?]);
        let node_type = *body.get(3)?;
        let protocol = *body.get(4)?;
        let hi = u16::from_be_bytes([*body.get(5)?, *body.get(6)?]);
        let lo = u16::from_be_bytes([*body.get(7)?, *body.get(8)?]);
        let nlen = usize::from(*body.get(9)?);
        let name = body.get(10..10 + nlen)?;
        if nlen == 0 || !name.iter().all(|c| c.is_ascii_graphic()) {
            return None;
        }
        let after = body.get(10 + nlen..)?;
        // Elen: 2 bytes, 1 byte, or missing.
        let (extra, how) = match (n, after) {
            (0, [x, y, rest @ ..]) if usize::from(u16::from_be_bytes([*x, *y])) == rest.len() => {
                (rest.to_vec(), "")
            }
            (1, [e, rest @ ..]) if usize::from(*e) == rest.len() => {
                (rest.to_vec(), " and Elen as 1 byte too")
            }
            (2, []) => (Vec::new(), " and left Elen out"),
            _ => return None,
        };
        Some((
            Alive2Req {
                port,
                node_type,
                protocol,
                highest_version: hi,
                lowest_version: lo,
                name: name.to_vec(),
                extra,
                trailing: Vec::new(),
            },
            how,
        ))
    };
    let (req, how) = (0..3).find_map(fixed)?;
    let corrected = encode(EpmdMessage::Alive2Req(req.clone()))?;
    whole_request(&corrected)?;
    Some(lint(
        "one-byte-nlen",
        o + 11,
        format!(
            "Nlen is written as 1 byte ({:02x}){how}: ALIVE2_REQ's Nlen is 2 bytes, so epmd reads {} as the name length and every field after it shifts by one. With a 2-byte Nlen this registers {:?}",
            req.name.len(),
            spaced(b.get(11..13).unwrap_or(&[])),
            shown(&req.name)
        ),
        Some(corrected),
    ))
}

/// The length of the request at the front of a body that lacks its
/// prefix: from the body's structure where it has one.
fn body_len(body: &[u8]) -> usize {
    match body.first() {
        Some(&(NAMES_REQ | DUMP_REQ | KILL_REQ)) => 1,
        Some(&ALIVE2_REQ) => {
            let nlen = be16(body, 9).map_or(0, usize::from);
            let elen = be16(body, 11 + nlen).map_or(0, usize::from);
            (13 + nlen + elen).min(body.len())
        }
        _ => body.len(),
    }
}

/// The big-endian u16 at `at`.
fn be16(b: &[u8], at: usize) -> Option<u16> {
    match b.get(at..at + 2)? {
        [x, y] => Some(u16::from_be_bytes([*x, *y])),
        _ => None,
    }
}

/// A request at `rest` that starts with its code: the prefix is missing.
fn missing_prefix(rest: &[u8], o: usize) -> Option<Lint> {
    let code = *rest.first()?;
    let name = epmd::request_name(code)?;
    let n = body_len(rest);
    if n > usize::from(epmd::MAX_REQUEST_LEN) {
        // No request is that long (and the copy below stays small).
        return None;
    }
    let body = rest.get(..n)?;
    let corrected = prefixed(body)?;
    whole_request(&corrected)?;
    let read_as = match rest {
        [a, b2, ..] => format!(
            "epmd reads the first two bytes {} as the length {}",
            spaced(&[*a, *b2]),
            u16::from_be_bytes([*a, *b2])
        ),
        _ => "epmd waits for a second length byte".to_string(),
    };
    Some(lint(
        "missing-length-prefix",
        o,
        format!(
            "{} {name} (code {code} {}) without its 2-byte length prefix: {read_as}. Every request starts with its length ({n} here): {}",
            article(name),
            epmd::char_label(code),
            spaced(&corrected)
        ),
        Some(corrected),
    ))
}

/// A prefix written low byte first, or an ALIVE2_REQ whose Nlen or Elen is.
fn le_length(rest: &[u8], o: usize) -> Option<Lint> {
    let [x, y, body @ ..] = rest else { return None };
    let be = usize::from(u16::from_be_bytes([*x, *y]));
    let le = usize::from(u16::from_le_bytes([*x, *y]));
    if be != body.len() && le == body.len() && x != y {
        let corrected = prefixed(body)?;
        let m = whole_request(&corrected)?;
        return Some(lint(
            "little-endian-field",
            o,
            format!(
                "the length prefix {} is written low byte first: epmd reads it big-endian as {be}{}. The request is {le} bytes: {}",
                spaced(&[*x, *y]),
                if be > usize::from(epmd::MAX_REQUEST_LEN) {
                    ", more than it accepts, and closes the connection (\"invalid packet size\")".to_string()
                } else {
                    format!(" and waits for {} more bytes", be.saturating_sub(body.len()))
                },
                describe(&m, &corrected)
            ),
            Some(corrected),
        ));
    }
    // ALIVE2_REQ with a right prefix and Nlen / Elen low byte first.
    if be != body.len() || body.first() != Some(&ALIVE2_REQ) {
        return None;
    }
    let n = be16(body, 9)?;
    for (nswap, eswap) in [(true, false), (false, true), (true, true)] {
        let nlen = usize::from(if nswap { n.swap_bytes() } else { n });
        let Some(e) = be16(body, 11 + nlen) else {
            continue;
        };
        let elen = usize::from(if eswap { e.swap_bytes() } else { e });
        if 13 + nlen + elen != body.len() || (nswap && n == n.swap_bytes()) {
            continue;
        }
        let mut fixed = body.to_vec();
        if nswap {
            fixed.get_mut(9..11)?.reverse();
        }
        if eswap {
            fixed.get_mut(11 + nlen..13 + nlen)?.reverse();
        }
        let corrected = prefixed(&fixed)?;
        whole_request(&corrected)?;
        let which = match (nswap, eswap) {
            (true, false) => "Nlen",
            (false, true) => "Elen",
            _ => "Nlen and Elen",
        };
        return Some(lint(
            "little-endian-field",
            o + if nswap { 11 } else { 15 + nlen },
            format!(
                "{which} written low byte first: epmd reads {} as {} and the request does not hold that many bytes, so it logs a size error and closes without a reply. Big-endian: Nlen {nlen}, Elen {elen}",
                if nswap { spaced(body.get(9..11).unwrap_or(&[])) } else { spaced(body.get(11 + nlen..13 + nlen).unwrap_or(&[])) },
                if nswap { n } else { e },
            ),
            Some(corrected),
        ));
    }
    None
}

/// A prefix that is there but does not count the request: it counts itself,
/// is one byte, or is off.
fn wrong_prefix(rest: &[u8], o: usize) -> Option<Lint> {
    // A 1-byte length: `11 78 ...`.
    if let [n, code, ..] = rest {
        let body = rest.get(1..)?;
        if usize::from(*n) == body.len() && epmd::request_name(*code).is_some() {
            let corrected = prefixed(body)?;
            if let Some(m) = whole_request(&corrected) {
                return Some(lint(
                    "wrong-length-prefix",
                    o,
                    format!(
                        "a 1-byte length {n:02x}: the prefix is 2 bytes, so epmd reads {} as the length {} and {}. With a 2-byte prefix: {}",
                        spaced(rest.get(..2).unwrap_or(&[])),
                        u16::from_be_bytes([*n, *code]),
                        if u16::from_be_bytes([*n, *code]) > epmd::MAX_REQUEST_LEN { "closes the connection (\"invalid packet size\")" } else { "waits for bytes that never come" },
                        describe(&m, &corrected)
                    ),
                    Some(corrected),
                ));
            }
        }
    }
    let [x, y, body @ ..] = rest else { return None };
    let declared = usize::from(u16::from_be_bytes([*x, *y]));
    if declared == body.len() || epmd::request_name(*body.first()?).is_none() {
        return None;
    }
    let n = body_len(body);
    let corrected = prefixed(body.get(..n)?)?;
    let m = whole_request(&corrected)?;
    let why = if declared == n + 2 {
        "it counts the 2 prefix bytes too; the length excludes itself".to_string()
    } else {
        format!("the request is {n} bytes")
    };
    let effect = if declared > body.len() {
        format!(
            "epmd waits for {} more bytes (and closes after 60 s, or when more arrive in the same read)",
            declared - body.len()
        )
    } else {
        format!(
            "epmd reads more bytes than announced in one read and closes without a reply (\"got {} bytes in packet, expected {declared}\")",
            body.len()
        )
    };
    Some(lint(
        "wrong-length-prefix",
        o,
        format!(
            "the length prefix says {declared} ({}), but {why}: {effect}. Right: {}",
            spaced(&[*x, *y]),
            describe(&m, &corrected)
        ),
        Some(corrected),
    ))
}

/// `PORT_PLEASE2_REQ 00 05 7a ...`.
fn describe(m: &EpmdMessage, bytes: &[u8]) -> String {
    format!("{} {}", m.type_name(), spaced(bytes))
}

/// A reply sent with a request's length prefix.
fn reply_with_prefix(b: &[u8], o: usize) -> Option<Lint> {
    let [x, y, body @ ..] = b else { return None };
    let len = usize::from(u16::from_be_bytes([*x, *y]));
    if len != body.len() || body.is_empty() {
        return None;
    }
    let first = *body.first()?;
    let tagged = matches!(first, ALIVE2_X_RESP | ALIVE2_RESP | PORT2_RESP);
    let word = [&b"OK"[..], b"NO", b"STOPPED", b"NOEXIST"]
        .iter()
        .any(|w| body.starts_with(w));
    if !(tagged || word) {
        return None;
    }
    let m = whole_reply(body)?;
    Some(lint(
        "reply-with-prefix",
        o,
        format!(
            "{} {} with a 2-byte length prefix ({}): EPMD replies carry none (the client reads until epmd closes, or the fixed size); a client reads {} as the reply's first bytes",
            article(m.type_name()),
            m.type_name(),
            spaced(&[*x, *y]),
            spaced(&[*x, *y]),
        ),
        Some(body.to_vec()),
    ))
}

/// A send_name (`N`, or `n` longer than NAMES_REQ) sent to epmd.
fn handshake_to_epmd(b: &[u8], o: usize) -> Option<Lint> {
    let [_, _, tag, ..] = b else { return None };
    if *tag != b'N' && *tag != b'n' {
        return None;
    }
    let hf = crate::handshake::decode_frame(b, 0, Side::Initiator);
    if !hf.frame.status.is_complete() {
        return None;
    }
    let name = match hf.message? {
        crate::handshake::HandshakeMessage::SendName(s) => s.name,
        crate::handshake::HandshakeMessage::SendNameV5(s) => s.name,
        _ => return None,
    };
    let short: Vec<u8> = name.iter().copied().take_while(|&c| c != b'@').collect();
    let corrected = (!short.is_empty())
        .then(|| {
            encode(EpmdMessage::PortPlease2Req(PortPlease2Req {
                name: short.clone(),
                nul_terminated: false,
            }))
        })
        .flatten();
    Some(lint(
        "handshake-to-epmd",
        o,
        format!(
            "a node handshake send_name (`{}`, from {:?}) sent to epmd: epmd logs \"got garbage\" and closes. Ask epmd for the node's port first (PORT_PLEASE2_REQ for {:?}, offered as the corrected bytes), then send the send_name to that port",
            char::from(*tag),
            shown(&name),
            shown(&short)
        ),
        corrected,
    ))
}

// ---------------------------------------------------------------- ASCII decimal

/// Frame bytes that are decimal text.
fn ascii_decimal_bytes(b: &[u8], o: usize) -> Option<Lint> {
    if b.len() < 3
        || !b
            .iter()
            .all(|c| (0x20..0x7f).contains(c) || matches!(c, b'\n' | b'\r' | b'\t'))
    {
        return None;
    }
    let text = std::str::from_utf8(b).ok()?;
    let (corrected, reading) = ascii_decimal(text)?;
    Some(lint(
        "ascii-decimal",
        o,
        format!(
            "these bytes are the text {:?}: numbers written as decimal digits, which epmd reads as binary ({} taken as the length {}). Read as {reading}, the request is {}",
            text,
            spaced(b.get(..2).unwrap_or(&[])),
            be16(b, 0).unwrap_or(0),
            spaced(&corrected)
        ),
        Some(corrected),
    ))
}

/// For text that could not be read as bytes at all: is it a request
/// written as decimal text?
pub fn text(text: &str) -> Vec<Lint> {
    let t = text.trim();
    if t.len() > 4096 || !t.bytes().any(|c| c.is_ascii_digit()) {
        return Vec::new();
    }
    match ascii_decimal(t) {
        Some((corrected, reading)) => vec![lint(
            "ascii-decimal",
            0,
            format!(
                "the text {t:?} is decimal numbers, not bytes: sent as it is, epmd would read its ASCII codes. Read as {reading}, the request is {}",
                spaced(&corrected)
            ),
            Some(corrected),
        )],
        None => Vec::new(),
    }
}

/// Reads decimal text as an EPMD request: decimal byte values
/// (`0 5 122 110 111 100 101`), or fields (`120 9506 77 0 6 5 4 node 0`,
/// with or without separators, with or without the length first).
fn ascii_decimal(text: &str) -> Option<(Vec<u8>, String)> {
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
        .collect();
    // Decimal byte values.
    if tokens.len() >= 2 {
        let vals: Option<Vec<u8>> = tokens.iter().map(|t| t.parse::<u8>().ok()).collect();
        if let Some(v) = vals {
            if whole_request(&v).is_some() {
                return Some((v, "decimal byte values".into()));
            }
            if epmd::request_name(*v.first()?).is_some() {
                if let Some(p) = prefixed(&v) {
                    if whole_request(&p).is_some() {
                        return Some((
                            p,
                            "decimal byte values (and the length prefix added)".into(),
                        ));
                    }
                }
            }
        }
    }
    let s: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && !matches!(c, b',' | b';' | b':'))
        .collect();
    if s.len() > 1024 || !s.first()?.is_ascii_digit() {
        return None;
    }
    for plen in 0..=5usize {
        let (p, rest) = (s.get(..plen)?, s.get(plen..)?);
        if !p.iter().all(u8::is_ascii_digit) {
            break;
        }
        let Some((body, reading)) = fields(rest) else {
            continue;
        };
        if plen > 0 {
            let declared: usize = std::str::from_utf8(p).ok()?.parse().ok()?;
            if declared != body.len() {
                continue;
            }
        }
        let corrected = prefixed(&body)?;
        whole_request(&corrected)?;
        return Some((corrected, reading));
    }
    None
}

fn num(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 5 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(d).ok()?.parse().ok()
}

/// The fields of one request written as decimal text without separators.
fn fields(s: &[u8]) -> Option<(Vec<u8>, String)> {
    let code = s.get(..3)?;
    let rest = s.get(3..)?;
    let word = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match code {
        b"110" | b"100" | b"107" if rest.is_empty() => {
            let c = u8::try_from(num(code)?).ok()?;
            Some((vec![c], format!("{} ({c})", epmd::request_name(c)?)))
        }
        b"122" | b"115" if !rest.is_empty() && rest.iter().any(|c| !c.is_ascii_digit()) => {
            let c = u8::try_from(num(code)?).ok()?;
            let mut v = vec![c];
            v.extend_from_slice(rest);
            Some((
                v,
                format!("{} ({c}) for {:?}", epmd::request_name(c)?, word(rest)),
            ))
        }
        b"120" => alive2_fields(rest),
        _ => None,
    }
}

/// `port type proto high low nlen name elen extra` as digits.
fn alive2_fields(s: &[u8]) -> Option<(Vec<u8>, String)> {
    for pl in (1..=5).rev() {
        let Some(port) = s
            .get(..pl)
            .and_then(num)
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        let r = s.get(pl..)?;
        for ty in [&b"77"[..], b"72", b"104"] {
            let Some(r) = r.strip_prefix(ty) else {
                continue;
            };
            let Some(r) = r.strip_prefix(b"0") else {
                continue;
            };
            for hl in 1..=2 {
                let Some(hi) = r.get(..hl).and_then(num).filter(|v| (1..=6).contains(v)) else {
                    continue;
                };
                let r = r.get(hl..)?;
                for ll in 1..=2 {
                    let Some(lo) = r.get(..ll).and_then(num).filter(|v| (1..=6).contains(v)) else {
                        continue;
                    };
                    let r = r.get(ll..)?;
                    for nl in 1..=4 {
                        let Some(nlen) = r.get(..nl).and_then(num) else {
                            continue;
                        };
                        let nlen = usize::try_from(nlen).ok()?;
                        let Some(name) = r.get(nl..nl + nlen) else {
                            continue;
                        };
                        if nlen == 0 || name.first().is_some_and(u8::is_ascii_digit) {
                            continue;
                        }
                        let after = r.get(nl + nlen..)?;
                        let extra: Option<Vec<u8>> = if after.is_empty() {
                            Some(Vec::new())
                        } else {
                            (1..=4).find_map(|el| {
                                let e = usize::try_from(after.get(..el).and_then(num)?).ok()?;
                                let x = after.get(el..)?;
                                (x.len() == e).then(|| x.to_vec())
                            })
                        };
                        let Some(extra) = extra else { continue };
                        let req = Alive2Req {
                            port,
                            node_type: u8::try_from(num(ty)?).ok()?,
                            protocol: 0,
                            highest_version: u16::try_from(hi).ok()?,
                            lowest_version: u16::try_from(lo).ok()?,
                            name: name.to_vec(),
                            extra,
                            trailing: Vec::new(),
                        };
                        let enc = encode(EpmdMessage::Alive2Req(req.clone()))?;
                        let body = enc.get(2..)?.to_vec();
                        return Some((
                            body,
                            format!(
                                "the fields of an ALIVE2_REQ (120, port {port}, node type {}, protocol 0, versions {hi}/{lo}, name {:?} ({nlen}), extra {})",
                                req.node_type,
                                shown(&req.name),
                                req.extra.len()
                            ),
                        ));
                    }
                }
            }
        }
    }
    None
}

// ---------------------------------------------------------------- whole report

/// Lints that need the whole report: a port written little-endian when
/// the other reading is a port a connection in the input goes to, and
/// EPMD requests on a connection to a node port the input announced.
pub fn report(r: &mut Report) {
    let acceptor_ports: Vec<u16> = r
        .connections
        .iter()
        .filter_map(|c| c.acceptor.as_deref())
        .filter_map(|a| a.rsplit(':').next()?.parse().ok())
        .collect();
    // Node ports from ALIVE2_REQ / PORT2_RESP, as epmd reads them.
    let mut node_ports: Vec<(u16, usize)> = Vec::new();
    for (i, f) in r.frames.iter().enumerate() {
        if f.protocol != Protocol::Epmd || !f.status.is_complete() {
            continue;
        }
        if let Some(p) = f
            .fields
            .iter()
            .find(|(k, _)| k == "port")
            .and_then(|(_, v)| v.as_u64())
            .and_then(|p| u16::try_from(p).ok())
        {
            node_ports.push((p, i));
        }
    }
    for (port, i) in &node_ports {
        let Some(f) = r.frames.get_mut(*i) else {
            continue;
        };
        if f.lint.iter().any(|l| l.id == "little-endian-port") {
            continue;
        }
        let swapped = port.swap_bytes();
        if swapped == *port || acceptor_ports.contains(port) || !acceptor_ports.contains(&swapped) {
            continue;
        }
        let at = if f.type_name == "ALIVE2_REQ" { 3 } else { 2 };
        let why = format!("a connection in this input goes to port {swapped}, and none to {port}");
        if let Some(l) = port_lint(*port, swapped, at, &f.bytes, f.offset, f.type_name, &why) {
            f.lint.push(l);
        }
    }
    // EPMD requests to a node port.
    let ports: Vec<u16> = node_ports.iter().map(|(p, _)| *p).collect();
    for (ci, c) in r.connections.iter().enumerate() {
        let Some(port) = c
            .acceptor
            .as_deref()
            .and_then(|a| a.rsplit(':').next()?.parse::<u16>().ok())
        else {
            continue;
        };
        if !ports.contains(&port) || c.protocol != Some(Protocol::Epmd) {
            continue;
        }
        for f in r.frames.iter_mut() {
            if f.stream != Some(ci) || f.side != Side::Initiator || f.protocol != Protocol::Epmd {
                continue;
            }
            if f.lint.iter().any(|l| l.id == "epmd-to-node") {
                continue;
            }
            let to = format!("port {port}, which this input shows is a node's distribution port");
            if let Some(l) = epmd_to_node(&f.bytes, f.offset, &to) {
                f.lint.push(l);
            }
        }
    }
}

// ---------------------------------------------------------------- connections

/// What a tap saw of one connection besides its bytes: when each chunk
/// arrived and who closed, with times in milliseconds (any origin).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Per chunk, in order: the side that sent it, the end offset of the
    /// chunk in that side's byte stream, and when it arrived.
    pub chunks: Vec<(Side, usize, u64)>,
    /// Who closed (or half-closed) their side, in order, and when.
    pub closes: Vec<(Side, u64)>,
}

impl Timeline {
    /// When the byte at `offset` of `side`'s stream arrived.
    fn time_of(&self, side: Side, offset: usize) -> Option<u64> {
        self.chunks
            .iter()
            .find(|(s, end, _)| *s == side && *end > offset)
            .map(|(_, _, t)| *t)
    }

    /// The chunk holding byte `offset` of `side`'s stream also holds `later`.
    fn same_chunk(&self, side: Side, offset: usize, later: usize) -> bool {
        let mut start = 0;
        for (s, end, _) in &self.chunks {
            if *s != side {
                continue;
            }
            if (start..*end).contains(&offset) {
                return (start..*end).contains(&later);
            }
            start = *end;
        }
        false
    }

    fn closed(&self, side: Side) -> Option<u64> {
        self.closes
            .iter()
            .find(|(s, _)| *s == side)
            .map(|(_, t)| *t)
    }
}

/// How soon after ALIVE2_REQ a close counts as "right after" (ms).
pub const CLOSED_RIGHT_AFTER_MS: u64 = 2000;

/// Lints about one whole EPMD conversation (`frames` are its frames, both
/// sides, in order): bytes sent on the registration socket after
/// ALIVE2_REQ, and the registration socket closed right after it.
pub fn connection(frames: &mut [Frame], t: &Timeline) {
    let is_alive2 = |f: &Frame| {
        f.protocol == Protocol::Epmd
            && f.side == Side::Initiator
            && f.type_name == "ALIVE2_REQ"
            && f.status.is_complete()
    };
    let Some(i) = frames.iter().position(is_alive2) else {
        return;
    };
    let Some(req) = frames.get(i).cloned() else {
        return;
    };
    let name = req
        .fields
        .iter()
        .find(|(k, _)| k == "name")
        .and_then(|(_, v)| match v {
            crate::span::Value::Text(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let end = req.offset + req.bytes.len();
    let reply = frames
        .iter()
        .find(|f| {
            f.side == Side::Acceptor && matches!(f.type_name, "ALIVE2_X_RESP" | "ALIVE2_RESP")
        })
        .map(|f| {
            let ok = f
                .fields
                .iter()
                .any(|(k, v)| k == "result" && v.as_u64() == Some(0));
            (ok, f.offset)
        });
    let later = frames
        .iter()
        .skip(i + 1)
        .position(|f| f.side == Side::Initiator && !f.bytes.is_empty())
        .map(|p| p + i + 1);
    if let Some(j) = later {
        let Some(f) = frames.get_mut(j) else { return };
        if f.lint.iter().any(|l| l.id == "bytes-after-alive2") {
            return;
        }
        let together = t.same_chunk(Side::Initiator, end.saturating_sub(1), f.offset);
        let what = match reply {
            Some((true, _)) => format!(
                "epmd had registered {name:?}; on these bytes it logs \"got more than expected on ALIVE socket\", unregisters {name:?} and closes the connection"
            ),
            Some((false, _)) => "epmd had refused the registration; on these bytes it closes the connection".to_string(),
            None if together => format!(
                "they came in the same read as the ALIVE2_REQ, so epmd refuses the whole packet (\"got {} bytes in packet, expected {}\"): no reply, nothing registered, connection closed",
                req.bytes.len().saturating_sub(2) + f.bytes.len(),
                req.bytes.len().saturating_sub(2)
            ),
            None => format!(
                "epmd drops the registration of {name:?} and closes the connection (\"got more than expected on ALIVE socket\")"
            ),
        };
        f.lint.push(lint(
            "bytes-after-alive2",
            f.offset,
            format!(
                "{} sent on the registration socket after ALIVE2_REQ: {what}. A registration socket carries the ALIVE2_REQ and nothing else; send other requests (PORT_PLEASE2_REQ, NAMES_REQ) on new connections. The corrected bytes are the ALIVE2_REQ alone",
                bytes_word_of(f.bytes.len())
            ),
            Some(req.bytes.clone()),
        ));
        return;
    }
    let Some(closed) = t.closed(Side::Initiator) else {
        return;
    };
    if t.closed(Side::Acceptor).is_some_and(|a| a < closed) || matches!(reply, Some((false, _))) {
        return;
    }
    let after = t
        .time_of(Side::Initiator, end.saturating_sub(1))
        .map(|at| closed.saturating_sub(at));
    if after.is_some_and(|ms| ms > CLOSED_RIGHT_AFTER_MS) {
        return;
    }
    let Some(f) = frames.get_mut(i) else { return };
    if f.lint.iter().any(|l| l.id == "closed-after-alive2") {
        return;
    }
    f.lint.push(lint(
        "closed-after-alive2",
        f.offset,
        format!(
            "the client closed this socket {}after its ALIVE2_REQ{}: a registration lives only as long as the connection that made it, so epmd unregistered {name:?} at once and nodes looking it up get \"not found\" (77 01). Keep the socket open (and send nothing more on it) for as long as the node should be reachable; close it to unregister",
            after.map(|ms| format!("{ms} ms ")).unwrap_or_default(),
            if reply.is_none() { ", before epmd's reply arrived" } else { "" }
        ),
        None,
    ));
}

fn bytes_word_of(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_readings() {
        let (b, _) = ascii_decimal("1209506770554node0").unwrap();
        assert_eq!(
            b,
            vec![0, 17, 120, 0x25, 0x22, 77, 0, 0, 5, 0, 5, 0, 4, b'n', b'o', b'd', b'e', 0, 0]
        );
        let (b, _) = ascii_decimal("120 9506 77 0 6 5 4 node 0").unwrap();
        assert_eq!(b.get(7..11), Some(&[0, 6, 0, 5][..]));
        let (b, _) = ascii_decimal("0 5 122 110 111 100 101").unwrap();
        assert_eq!(b, vec![0, 5, 122, b'n', b'o', b'd', b'e']);
        let (b, _) = ascii_decimal("122node").unwrap();
        assert_eq!(b, vec![0, 5, 122, b'n', b'o', b'd', b'e']);
        let (b, _) = ascii_decimal("1110").unwrap();
        assert_eq!(b, vec![0, 1, 110]);
        assert!(ascii_decimal("hello").is_none());
        assert!(ascii_decimal("12345").is_none());
    }
}
