//! The handshake message schemas for the builder and the CLI's `encode`:
//! which fields each message has, their kinds and defaults, and which are
//! derived (`length`, `name_len`: computed unless given, so a user can build
//! a deliberately wrong frame). Same shape as the EPMD schemas
//! ([`crate::epmd::FieldInfo`]).

use super::flags::DistFlags;
use super::messages::*;
use crate::conn::Side;
use crate::epmd::{EncodeError, FieldInfo, FieldKind, Fields};

const fn f(
    name: &'static str,
    kind: FieldKind,
    default: Option<&'static str>,
    doc: &'static str,
) -> FieldInfo {
    FieldInfo {
        name,
        kind,
        derived: false,
        default,
        choices: &[],
        doc,
    }
}

const fn derived(name: &'static str, doc: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        kind: FieldKind::U16,
        derived: true,
        default: None,
        choices: &[],
        doc,
    }
}

use FieldKind::*;

const LENGTH: FieldInfo = derived("length", "2-byte length of the message after itself");
const NAME_LEN: FieldInfo = derived("name_len", "Nlen: byte length of the name");
const FLAGS: FieldInfo = f(
    "flags",
    Flags,
    Some("0x0D07DF7FBD"),
    "64-bit capability flags: a number or names joined by | (OTP 25's word by default)",
);
const FLAGS_LOW: FieldInfo = f(
    "flags",
    Flags,
    Some("0x07DF7FBD"),
    "32-bit capability flags (the low half): a number or names joined by |",
);
const VERSION: FieldInfo = f("version", U16, Some("5"), "distribution version (5)");
const CREATION: FieldInfo = f("creation", U32, Some("4"), "the node's creation");
const IGNORED: FieldInfo = f(
    "ignored",
    Hex,
    Some(""),
    "bytes after the name inside the length (OTP ignores them)",
);
const STATUS_WORDS: &[&str] = &[
    "ok",
    "ok_simultaneous",
    "nok",
    "not_allowed",
    "alive",
    "true",
    "false",
];

const SEND_NAME_FIELDS: &[FieldInfo] = &[
    LENGTH,
    FLAGS,
    CREATION,
    NAME_LEN,
    f("name", Text, None, "full node name, name@host"),
    IGNORED,
];
const SEND_NAME_V5_FIELDS: &[FieldInfo] = &[
    LENGTH,
    VERSION,
    FLAGS_LOW,
    f("name", Text, None, "full node name, name@host"),
];
const STATUS_FIELDS: &[FieldInfo] = &[
    LENGTH,
    FieldInfo {
        name: "status",
        kind: Text,
        derived: false,
        default: Some("ok"),
        choices: STATUS_WORDS,
        doc: "the status text (any text: OTP's words are listed)",
    },
];
const STATUS_NAMED_FIELDS: &[FieldInfo] = &[
    LENGTH,
    NAME_LEN,
    f("name", Text, None, "the assigned full node name"),
    CREATION,
    f("ignored", Hex, Some(""), "bytes after the creation"),
];
const CHALLENGE_FIELDS: &[FieldInfo] = &[
    LENGTH,
    FLAGS,
    f("challenge", U32, None, "the acceptor's challenge"),
    CREATION,
    NAME_LEN,
    f("name", Text, None, "the acceptor's full node name"),
    IGNORED,
];
const CHALLENGE_V5_FIELDS: &[FieldInfo] = &[
    LENGTH,
    VERSION,
    FLAGS_LOW,
    f("challenge", U32, None, "the acceptor's challenge"),
    f("name", Text, None, "the acceptor's full node name"),
];
const COMPLEMENT_FIELDS: &[FieldInfo] = &[
    LENGTH,
    f("flags_high", U32, Some("0x0D"), "flag bits 32..63"),
    CREATION,
];
const CHALLENGE_REPLY_FIELDS: &[FieldInfo] = &[
    LENGTH,
    f("challenge", U32, None, "the initiator's own challenge"),
    f(
        "digest",
        Hex,
        None,
        "16 bytes: MD5(cookie ++ decimal(acceptor's challenge))",
    ),
];
const CHALLENGE_ACK_FIELDS: &[FieldInfo] = &[
    LENGTH,
    f(
        "digest",
        Hex,
        None,
        "16 bytes: MD5(cookie ++ decimal(initiator's challenge))",
    ),
];

/// Every handshake message the builder can make, with the side that sends
/// it. `SEND_NAME_V5`, `CHALLENGE_V5` are the `n` forms and
/// `STATUS_NAMED` the `named:` status; they decode as `SEND_NAME`,
/// `CHALLENGE` and `STATUS`.
pub fn message_types() -> &'static [(&'static str, Side)] {
    use Side::*;
    &[
        ("SEND_NAME", Initiator),
        ("SEND_NAME_V5", Initiator),
        ("STATUS", Acceptor),
        ("STATUS_NAMED", Acceptor),
        ("CHALLENGE", Acceptor),
        ("CHALLENGE_V5", Acceptor),
        ("COMPLEMENT", Initiator),
        ("CHALLENGE_REPLY", Initiator),
        ("CHALLENGE_ACK", Acceptor),
    ]
}

/// The schema of a builder message type (case-insensitive).
pub fn field_schema(type_name: &str) -> Option<&'static [FieldInfo]> {
    Some(match type_name.to_ascii_uppercase().as_str() {
        "SEND_NAME" => SEND_NAME_FIELDS,
        "SEND_NAME_V5" => SEND_NAME_V5_FIELDS,
        "STATUS" => STATUS_FIELDS,
        "STATUS_NAMED" => STATUS_NAMED_FIELDS,
        "CHALLENGE" => CHALLENGE_FIELDS,
        "CHALLENGE_V5" => CHALLENGE_V5_FIELDS,
        "COMPLEMENT" => COMPLEMENT_FIELDS,
        "CHALLENGE_REPLY" => CHALLENGE_REPLY_FIELDS,
        "CHALLENGE_ACK" => CHALLENGE_ACK_FIELDS,
        _ => return None,
    })
}

fn bad(field: &str, message: impl Into<String>) -> EncodeError {
    EncodeError::new(field, message)
}

/// An unsigned number: decimal, `0x`/`16#` hex, `_` separators allowed.
fn parse_num(field: &str, s: &str, max: u64) -> Result<u64, EncodeError> {
    let t = s.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .or_else(|| t.strip_prefix("16#"));
    let v = match hex {
        Some(h) => u64::from_str_radix(&h.replace('_', ""), 16)
            .map_err(|_| bad(field, format!("{s:?} is not a hex number")))?,
        None => t
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| bad(field, format!("{s:?} is not a number")))?,
    };
    if v > max {
        return Err(bad(field, format!("{v} is out of range 0..={max}")));
    }
    Ok(v)
}

struct Getter<'a> {
    schema: &'static [FieldInfo],
    fields: &'a Fields,
}

impl Getter<'_> {
    fn raw(&self, name: &str) -> Result<&str, EncodeError> {
        if let Some(v) = self.fields.get(name) {
            return Ok(v.as_str());
        }
        match self
            .schema
            .iter()
            .find(|i| i.name == name)
            .and_then(|i| i.default)
        {
            Some(d) => Ok(d),
            None => Err(bad(name, "required: give a value")),
        }
    }
    fn u16(&self, name: &str) -> Result<u16, EncodeError> {
        u16::try_from(parse_num(name, self.raw(name)?, u16::MAX.into())?)
            .map_err(|_| bad(name, "out of range"))
    }
    fn u32(&self, name: &str) -> Result<u32, EncodeError> {
        u32::try_from(parse_num(name, self.raw(name)?, u32::MAX.into())?)
            .map_err(|_| bad(name, "out of range"))
    }
    fn flags(&self, name: &str, max: u64) -> Result<DistFlags, EncodeError> {
        let f = DistFlags::parse(self.raw(name)?).map_err(|e| bad(name, e))?;
        if f.0 > max {
            return Err(bad(
                name,
                format!("{f} does not fit the 32-bit flags of a version 5 message"),
            ));
        }
        Ok(f)
    }
    fn text(&self, name: &str) -> Result<Vec<u8>, EncodeError> {
        Ok(self.raw(name)?.as_bytes().to_vec())
    }
    fn hex(&self, name: &str) -> Result<Vec<u8>, EncodeError> {
        crate::input::parse_hex(self.raw(name)?)
            .map(|p| p.bytes)
            .map_err(|e| bad(name, e.to_string()))
    }
    fn digest(&self, name: &str) -> Result<[u8; 16], EncodeError> {
        let b = self.hex(name)?;
        <[u8; 16]>::try_from(b.as_slice()).map_err(|_| {
            bad(
                name,
                format!("a digest is 16 bytes (32 hex digits), got {}", b.len()),
            )
        })
    }
}

/// Builds a message from field values (defaults filled in); derived fields
/// are not applied here (see [`encode_fields`]).
pub fn message_from_fields(
    type_name: &str,
    fields: &Fields,
) -> Result<HandshakeMessage, EncodeError> {
    let schema = field_schema(type_name).ok_or_else(|| {
        let known: Vec<&str> = message_types().iter().map(|(n, _)| *n).collect();
        bad(
            "type",
            format!(
                "unknown handshake message {type_name:?}; one of {}",
                known.join(", ")
            ),
        )
    })?;
    EncodeError::check_known(
        &type_name.to_ascii_uppercase(),
        schema.iter().map(|i| i.name),
        fields,
    )?;
    let g = Getter { schema, fields };
    let low32 = u64::from(u32::MAX);
    Ok(match type_name.to_ascii_uppercase().as_str() {
        "SEND_NAME" => HandshakeMessage::SendName(SendName {
            flags: g.flags("flags", u64::MAX)?,
            creation: g.u32("creation")?,
            name: g.text("name")?,
            ignored: g.hex("ignored")?,
        }),
        "SEND_NAME_V5" => HandshakeMessage::SendNameV5(SendNameV5 {
            version: g.u16("version")?,
            flags: g.flags("flags", low32)?.low(),
            name: g.text("name")?,
        }),
        "STATUS" => HandshakeMessage::Status(Status::Text(g.text("status")?)),
        "STATUS_NAMED" => HandshakeMessage::Status(Status::Named {
            name: g.text("name")?,
            creation: g.u32("creation")?,
            ignored: g.hex("ignored")?,
        }),
        "CHALLENGE" => HandshakeMessage::Challenge(Challenge {
            flags: g.flags("flags", u64::MAX)?,
            challenge: g.u32("challenge")?,
            creation: g.u32("creation")?,
            name: g.text("name")?,
            ignored: g.hex("ignored")?,
        }),
        "CHALLENGE_V5" => HandshakeMessage::ChallengeV5(ChallengeV5 {
            version: g.u16("version")?,
            flags: g.flags("flags", low32)?.low(),
            challenge: g.u32("challenge")?,
            name: g.text("name")?,
        }),
        "COMPLEMENT" => HandshakeMessage::Complement(Complement {
            flags_high: g.u32("flags_high")?,
            creation: g.u32("creation")?,
        }),
        "CHALLENGE_REPLY" => HandshakeMessage::ChallengeReply(ChallengeReply {
            challenge: g.u32("challenge")?,
            digest: g.digest("digest")?,
        }),
        "CHALLENGE_ACK" => HandshakeMessage::ChallengeAck(ChallengeAck {
            digest: g.digest("digest")?,
        }),
        _ => {
            return Err(bad(
                "type",
                format!("unknown handshake message {type_name:?}"),
            ))
        }
    })
}

/// Encodes a message from field values. `length` and `name_len` are
/// computed unless given; a given value replaces the computed one in place,
/// producing a deliberately inconsistent frame.
///
/// ```
/// use erldist_codec::epmd::Fields;
/// use erldist_codec::handshake::encode_fields;
/// let mut f = Fields::new();
/// f.insert("status".into(), "ok".into());
/// assert_eq!(encode_fields("STATUS", &f).unwrap(), b"\x00\x03sok");
/// f.insert("length".into(), "9".into());
/// assert_eq!(encode_fields("STATUS", &f).unwrap(), b"\x00\x09sok");
/// ```
pub fn encode_fields(type_name: &str, fields: &Fields) -> Result<Vec<u8>, EncodeError> {
    let msg = message_from_fields(type_name, fields)?;
    let mut bytes = msg.encode()?;
    let schema = field_schema(type_name).unwrap_or(&[]);
    let g = Getter { schema, fields };
    for info in schema
        .iter()
        .filter(|i| i.derived && fields.contains_key(i.name))
    {
        let v = g.u16(info.name)?.to_be_bytes();
        let at = if info.name == "length" {
            0
        } else {
            // Find the field in the (consistent) encoding's spans.
            let sender = message_types()
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(type_name))
                .map(|(_, s)| *s)
                .unwrap_or(Side::Initiator);
            let d = super::decode_frame(&msg.encode()?, 0, sender);
            d.frame
                .spans
                .iter()
                .find(|s| s.field == info.name)
                .map(|s| s.offset)
                .ok_or_else(|| bad(info.name, "this frame has no such field to override"))?
        };
        let slot = bytes
            .get_mut(at..at + 2)
            .ok_or_else(|| bad(info.name, "field outside the frame"))?;
        slot.copy_from_slice(&v);
    }
    Ok(bytes)
}
