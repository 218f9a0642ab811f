//! EPMD, the Erlang Port Mapper Daemon protocol (SPEC.md §1).
//!
//! Every request is `Length:u16` followed by `Length` bytes whose first byte
//! is the request code; replies carry **no** length prefix. [`decode_request`]
//! and [`decode_reply`] read one frame from the front of a byte slice and
//! return the typed message together with its span tree; every message
//! [`EpmdMessage::encode`]s back to the same bytes.
//!
//! ```
//! use erldist_codec::epmd::{decode_request, EpmdMessage};
//! // PORT_PLEASE2_REQ for "node": length 5, tag 'z', the name.
//! let d = decode_request(&[0x00, 0x05, 0x7a, b'n', b'o', b'd', b'e'], 0);
//! assert!(d.status.is_complete());
//! match &d.message {
//!     Some(EpmdMessage::PortPlease2Req(req)) => assert_eq!(req.name, b"node"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert_eq!(d.spans[0].meaning, "length prefix 0x0005 = 5 bytes follow");
//! ```

mod fields;
mod messages;
pub mod server;
mod text;

pub use fields::{
    encode_fields, field_schema, message_from_fields, message_types, FieldInfo, FieldKind, Fields,
};
pub use messages::*;

use crate::reader::{bytes_word, Incomplete, Reader, Stop};
use crate::span::{Span, Value};
use serde::Serialize;

/// ALIVE2_REQ `x`: register a node.
pub const ALIVE2_REQ: u8 = 120;
/// ALIVE2_RESP `y`: registration reply with a 16-bit creation.
pub const ALIVE2_RESP: u8 = 121;
/// ALIVE2_X_RESP `v`: registration reply with a 32-bit creation (OTP 23+).
pub const ALIVE2_X_RESP: u8 = 118;
/// PORT_PLEASE2_REQ `z`: look a node up.
pub const PORT_PLEASE2_REQ: u8 = 122;
/// PORT2_RESP `w`: the look-up reply.
pub const PORT2_RESP: u8 = 119;
/// NAMES_REQ `n`: list registered names.
pub const NAMES_REQ: u8 = 110;
/// DUMP_REQ `d`: dump epmd's tables (local only).
pub const DUMP_REQ: u8 = 100;
/// KILL_REQ `k`: stop epmd (local only).
pub const KILL_REQ: u8 = 107;
/// STOP_REQ `s`: unregister a node by force (local only, relaxed mode).
pub const STOP_REQ: u8 = 115;
/// Obsolete R3-era ALIVE_REQ `a` (modern epmd: "got garbage").
pub const ALIVE_REQ: u8 = 97;
/// Obsolete R3-era ALIVE_OK_RESP `Y`.
pub const ALIVE_OK_RESP: u8 = 89;
/// Obsolete R3-era PORT_PLEASE_REQ `p` (modern epmd: "got garbage").
pub const PORT_PLEASE_REQ: u8 = 112;

/// Largest request length epmd accepts (`Length + 2 < INBUF_SIZE = 3060`).
pub const MAX_REQUEST_LEN: u16 = 3057;
/// The default epmd port.
pub const DEFAULT_PORT: u16 = 4369;

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to epmd (length-prefixed).
    Request,
    /// epmd to client (no prefix).
    Reply,
}

impl Direction {
    /// `request` / `reply`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Reply => "reply",
        }
    }
}

pub use crate::reader::Status;

/// A remark about a frame that is not an error: something epmd ignores or a
/// value OTP never sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Absolute offset the note is about.
    pub offset: usize,
    /// Field path.
    pub field: String,
    /// The remark.
    pub message: String,
}

/// The result of decoding one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The typed message, when the frame decoded completely.
    pub message: Option<EpmdMessage>,
    /// The spec's name of the frame type (`ALIVE2_REQ`, …, `UNKNOWN`).
    pub type_name: &'static str,
    /// Which way the frame travels.
    pub direction: Direction,
    /// Top-level spans of the frame; leaves tile it when complete.
    pub spans: Vec<Span>,
    /// Bytes of the input that belong to this frame.
    pub consumed: usize,
    /// Complete, incomplete or invalid.
    pub status: Status,
    /// Remarks that are not errors.
    pub notes: Vec<Note>,
}

/// What a reply decoder may know from the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplyContext {
    /// The peer has closed: the bytes given are all there is.
    pub eof: bool,
    /// The request type this reply answers, when known.
    pub answers: Option<u8>,
}

/// Name of a request code (`ALIVE2_REQ`), or `None` if not a request code.
pub fn request_name(tag: u8) -> Option<&'static str> {
    Some(match tag {
        ALIVE2_REQ => "ALIVE2_REQ",
        PORT_PLEASE2_REQ => "PORT_PLEASE2_REQ",
        NAMES_REQ => "NAMES_REQ",
        DUMP_REQ => "DUMP_REQ",
        KILL_REQ => "KILL_REQ",
        STOP_REQ => "STOP_REQ",
        _ => return None,
    })
}

/// What a request code means, for the tag span.
fn tag_meaning(tag: u8) -> String {
    let what = match tag {
        ALIVE2_REQ => "ALIVE2_REQ: register a node (keep this socket open: closing it unregisters)",
        PORT_PLEASE2_REQ => "PORT_PLEASE2_REQ: which port does this node listen on?",
        NAMES_REQ => "NAMES_REQ: list the registered names",
        DUMP_REQ => "DUMP_REQ: dump epmd's tables (local clients only)",
        KILL_REQ => "KILL_REQ: stop epmd (local clients only)",
        STOP_REQ => {
            "STOP_REQ: unregister a node by force (local only, needs -relaxed_command_check)"
        }
        ALIVE2_RESP => "ALIVE2_RESP: registration reply, 16-bit creation",
        ALIVE2_X_RESP => "ALIVE2_X_RESP: registration reply, 32-bit creation",
        PORT2_RESP => "PORT2_RESP: look-up reply",
        ALIVE_REQ => "obsolete R3 ALIVE_REQ: modern epmd logs \"got garbage\" and closes",
        PORT_PLEASE_REQ => {
            "obsolete R3 PORT_PLEASE_REQ: modern epmd logs \"got garbage\" and closes"
        }
        ALIVE_OK_RESP => "obsolete R3 ALIVE_OK_RESP",
        _ => "not an epmd code: epmd logs \"got garbage\" and closes without a reply",
    };
    format!("tag {tag} {} = {what}", char_label(tag))
}

/// `'x'` for printable bytes, empty otherwise.
pub(crate) fn char_label(b: u8) -> String {
    if (0x21..0x7f).contains(&b) {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

fn node_type_meaning(t: u8) -> String {
    let what = match t {
        77 => "normal node (OTP sends 77 for hidden nodes too)",
        72 => "hidden node (the documented value; OTP itself sends 77)",
        104 => "erl_interface C node (ei_epmd_r4_publish sends 104, not 72)",
        _ => "not a value OTP uses (epmd stores and echoes it without checking)",
    };
    format!("node type {t} = {}: {what}", char_label(t))
}

fn protocol_meaning(p: u8) -> String {
    if p == 0 {
        "protocol 0 = TCP/IPv4 (OTP always sends 0, even for IPv6 distribution)".to_string()
    } else {
        format!("protocol {p}: unknown (OTP always sends 0; epmd stores it anyway)")
    }
}

fn highest_meaning(v: u16) -> String {
    if v >= 6 {
        format!("HighestVersion {v}: distribution protocol {v}; being >= 6, epmd answers ALIVE2_X_RESP with a 32-bit creation")
    } else {
        format!("HighestVersion {v}: distribution protocol {v}; being < 6, epmd answers the old ALIVE2_RESP with a 16-bit creation")
    }
}

fn lowest_meaning(v: u16) -> String {
    format!("LowestVersion {v}: oldest distribution protocol version accepted (OTP 23-25 send 5)")
}

fn result_meaning(r: u8, what: &str) -> String {
    match r {
        0 => format!("result 0 = ok: {what}"),
        1 => "result 1 = error".to_string(),
        n => format!("result {n} = error (epmd only ever sends 0 or 1)"),
    }
}

/// Decodes one request (client → epmd) from the front of `data`; `base` is
/// the absolute offset of `data[0]`.
pub fn decode_request(data: &[u8], base: usize) -> Decoded {
    let mut r = Reader::new(data, base, "REQUEST");
    let mut notes = Vec::new();
    let mut type_name = "UNKNOWN";
    let result = messages::read_request(&mut r, &mut type_name, &mut notes);
    finish(r, result, type_name, Direction::Request, notes, data.len())
}

/// Decodes one reply (epmd → client) from the front of `data`.
pub fn decode_reply(data: &[u8], base: usize, ctx: ReplyContext) -> Decoded {
    let mut r = Reader::new(data, base, "REPLY");
    let mut notes = Vec::new();
    let mut type_name = "UNKNOWN";
    let result = messages::read_reply(&mut r, ctx, &mut type_name, &mut notes);
    finish(r, result, type_name, Direction::Reply, notes, data.len())
}

fn finish(
    r: Reader<'_>,
    result: Result<(EpmdMessage, usize), (Stop, usize)>,
    type_name: &'static str,
    direction: Direction,
    notes: Vec<Note>,
    available: usize,
) -> Decoded {
    match result {
        Ok((message, consumed)) => Decoded {
            type_name: message.type_name(),
            message: Some(message),
            direction,
            spans: r.spans,
            consumed,
            status: Status::Complete,
            notes,
        },
        Err((stop, consumed)) => Decoded {
            message: None,
            type_name,
            direction,
            spans: r.spans,
            consumed: consumed.min(available),
            status: match stop {
                Stop::Incomplete(i) => Status::Incomplete(i),
                Stop::Invalid(e) => Status::Invalid(e),
            },
            notes,
        },
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncodeError {
    /// The field (snake_case) at fault.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl EncodeError {
    /// An error about `field`.
    pub(crate) fn new(field: &str, message: impl Into<String>) -> EncodeError {
        EncodeError {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Checks that every given field is in the message's schema (`names`);
    /// the error names the first unknown one and lists the known ones.
    pub(crate) fn check_known<'n>(
        message: &str,
        names: impl Iterator<Item = &'n str> + Clone,
        given: &fields::Fields,
    ) -> Result<(), EncodeError> {
        for k in given.keys() {
            if !names.clone().any(|n| n == k) {
                let known: Vec<&str> = names.collect();
                return Err(EncodeError::new(
                    k,
                    format!(
                        "{message} has no field {k:?}; its fields: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for EncodeError {}

pub(crate) fn len_u16(n: usize, field: &str) -> Result<[u8; 2], EncodeError> {
    u16::try_from(n)
        .map(u16::to_be_bytes)
        .map_err(|_| EncodeError {
            field: field.to_string(),
            message: format!("{n} does not fit the 2-byte length field (max 65535)"),
        })
}

/// Span meaning of a 2-byte length field.
pub(crate) fn len_meaning(what: &str, v: u16) -> String {
    format!(
        "{what} {v} = {} follow (2-byte big-endian length)",
        bytes_word(usize::from(v))
    )
}

pub(crate) fn text_value(b: &[u8]) -> Value {
    Value::Text(crate::reader::lossy(b))
}
