//! The handshake wire types (SPEC §3.2), their reader and their writer.

use super::flags::{missing_for, DistFlags};
use super::*;
use crate::epmd::{len_u16, EncodeError, Note};
use crate::reader::{bytes_word, lossy, Incomplete, RResult, Reader, Status as ReadStatus, Stop};
use crate::span::Value;

/// `send_name` version 5, tag `n` (initiator; OTP ≤ 24 only). Layout after
/// the 2-byte length: `'n', Version:u16, Flags:u32, Name` (the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendNameV5 {
    /// The distribution version (5).
    pub version: u16,
    /// The low 32 flag bits (the high ones follow in a `c` complement).
    pub flags: u32,
    /// The full node name, `name@host`.
    pub name: Vec<u8>,
}

/// `send_name` version 6, tag `N` (initiator, OTP 23+). Layout after the
/// 2-byte length: `'N', Flags:u64, Creation:u32, Nlen:u16, Name[Nlen],
/// [ignored]`; at least 15 + Nlen bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendName {
    /// All 64 flag bits.
    pub flags: DistFlags,
    /// The sender's creation (0 when it asks for a dynamic name).
    pub creation: u32,
    /// `name@host`, or just `host` with NAME_ME.
    pub name: Vec<u8>,
    /// Bytes after the name inside the length (OTP ignores them).
    pub ignored: Vec<u8>,
}

/// `status`, tag `s`: `'s', Status` (the rest), or `'s', "named:",
/// Nlen:u16, Name[Nlen], Creation:u32, [ignored]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A status word: `ok`, `ok_simultaneous`, `nok`, `not_allowed`,
    /// `alive` (acceptor), `true` / `false` (initiator, answering `alive`).
    Text(Vec<u8>),
    /// `named:`: the acceptor gives a NAME_ME initiator its name.
    Named {
        /// The full dynamic node name.
        name: Vec<u8>,
        /// The creation the initiator is to use.
        creation: u32,
        /// Bytes after the creation (OTP ignores them).
        ignored: Vec<u8>,
    },
}

impl Status {
    /// The status text as sent (`named:` for the named form).
    pub fn word(&self) -> String {
        match self {
            Status::Text(t) => lossy(t),
            Status::Named { .. } => "named:".to_string(),
        }
    }
}

/// `challenge` version 5, tag `n` (acceptor; OTP ≤ 24, answering an `n`
/// without HANDSHAKE_23): `'n', Version:u16, Flags:u32, Challenge:u32,
/// Name` (the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeV5 {
    /// The distribution version (5).
    pub version: u16,
    /// The low 32 flag bits.
    pub flags: u32,
    /// The acceptor's challenge.
    pub challenge: u32,
    /// The acceptor's full node name.
    pub name: Vec<u8>,
}

/// `challenge` version 6, tag `N` (acceptor): `'N', Flags:u64,
/// Challenge:u32, Creation:u32, Nlen:u16, Name[Nlen], [ignored]`; at least
/// 19 + Nlen bytes. Note Challenge sits *before* Creation, unlike
/// `send_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// All 64 flag bits.
    pub flags: DistFlags,
    /// The acceptor's challenge.
    pub challenge: u32,
    /// The acceptor's creation.
    pub creation: u32,
    /// The acceptor's full node name.
    pub name: Vec<u8>,
    /// Bytes after the name inside the length (OTP ignores them).
    pub ignored: Vec<u8>,
}

/// `complement`, tag `c` (initiator, only after an `n` send_name):
/// `'c', FlagsHigh:u32, Creation:u32`; exactly 9 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complement {
    /// Flag bits 32..63.
    pub flags_high: u32,
    /// The initiator's creation.
    pub creation: u32,
}

/// `challenge_reply`, tag `r` (initiator): `'r', Challenge:u32,
/// Digest[16]`; exactly 21 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeReply {
    /// The initiator's own challenge for the acceptor.
    pub challenge: u32,
    /// MD5(cookie ++ decimal(acceptor's challenge)).
    pub digest: [u8; 16],
}

/// `challenge_ack`, tag `a` (acceptor): `'a', Digest[16]`; exactly 17
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAck {
    /// MD5(cookie ++ decimal(initiator's challenge)).
    pub digest: [u8; 16],
}

/// A frame whose tag is not a handshake message of its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMessage {
    /// The tag byte.
    pub tag: u8,
    /// The bytes after the tag.
    pub body: Vec<u8>,
}

/// Any handshake message. Every variant keeps what is needed to re-encode
/// the exact bytes it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeMessage {
    /// `n` send_name (version 5).
    SendNameV5(SendNameV5),
    /// `N` send_name (version 6).
    SendName(SendName),
    /// `s` status.
    Status(Status),
    /// `n` challenge (version 5).
    ChallengeV5(ChallengeV5),
    /// `N` challenge (version 6).
    Challenge(Challenge),
    /// `c` complement.
    Complement(Complement),
    /// `r` challenge_reply.
    ChallengeReply(ChallengeReply),
    /// `a` challenge_ack.
    ChallengeAck(ChallengeAck),
    /// Anything else (only produced by the builder; the decoder reports an
    /// unknown tag as invalid).
    Unknown(UnknownMessage),
}

impl HandshakeMessage {
    /// The spec's name: `SEND_NAME`, `STATUS`, `CHALLENGE`, `COMPLEMENT`,
    /// `CHALLENGE_REPLY`, `CHALLENGE_ACK` or `UNKNOWN`.
    pub fn type_name(&self) -> &'static str {
        match self {
            HandshakeMessage::SendNameV5(_) | HandshakeMessage::SendName(_) => "SEND_NAME",
            HandshakeMessage::Status(_) => "STATUS",
            HandshakeMessage::ChallengeV5(_) | HandshakeMessage::Challenge(_) => "CHALLENGE",
            HandshakeMessage::Complement(_) => "COMPLEMENT",
            HandshakeMessage::ChallengeReply(_) => "CHALLENGE_REPLY",
            HandshakeMessage::ChallengeAck(_) => "CHALLENGE_ACK",
            HandshakeMessage::Unknown(_) => "UNKNOWN",
        }
    }

    /// The side that sends this message in OTP's handshake (a status is
    /// the acceptor's, except `true`/`false`).
    pub fn sender(&self) -> Side {
        match self {
            HandshakeMessage::SendNameV5(_)
            | HandshakeMessage::SendName(_)
            | HandshakeMessage::Complement(_)
            | HandshakeMessage::ChallengeReply(_) => Side::Initiator,
            HandshakeMessage::Status(Status::Text(t))
                if t.as_slice() == b"true" || t.as_slice() == b"false" =>
            {
                Side::Initiator
            }
            _ => Side::Acceptor,
        }
    }

    /// The exact wire bytes, 2-byte length included.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut b = Vec::new();
        match self {
            HandshakeMessage::SendNameV5(m) => {
                b.push(TAG_V5);
                b.extend_from_slice(&m.version.to_be_bytes());
                b.extend_from_slice(&m.flags.to_be_bytes());
                b.extend_from_slice(&m.name);
            }
            HandshakeMessage::SendName(m) => {
                b.push(TAG_V6);
                b.extend_from_slice(&m.flags.0.to_be_bytes());
                b.extend_from_slice(&m.creation.to_be_bytes());
                b.extend_from_slice(&len_u16(m.name.len(), "name")?);
                b.extend_from_slice(&m.name);
                b.extend_from_slice(&m.ignored);
            }
            HandshakeMessage::Status(Status::Text(t)) => {
                b.push(TAG_STATUS);
                b.extend_from_slice(t);
            }
            HandshakeMessage::Status(Status::Named {
                name,
                creation,
                ignored,
            }) => {
                b.push(TAG_STATUS);
                b.extend_from_slice(NAMED);
                b.extend_from_slice(&len_u16(name.len(), "name")?);
                b.extend_from_slice(name);
                b.extend_from_slice(&creation.to_be_bytes());
                b.extend_from_slice(ignored);
            }
            HandshakeMessage::ChallengeV5(m) => {
                b.push(TAG_V5);
                b.extend_from_slice(&m.version.to_be_bytes());
                b.extend_from_slice(&m.flags.to_be_bytes());
                b.extend_from_slice(&m.challenge.to_be_bytes());
                b.extend_from_slice(&m.name);
            }
            HandshakeMessage::Challenge(m) => {
                b.push(TAG_V6);
                b.extend_from_slice(&m.flags.0.to_be_bytes());
                b.extend_from_slice(&m.challenge.to_be_bytes());
                b.extend_from_slice(&m.creation.to_be_bytes());
                b.extend_from_slice(&len_u16(m.name.len(), "name")?);
                b.extend_from_slice(&m.name);
                b.extend_from_slice(&m.ignored);
            }
            HandshakeMessage::Complement(m) => {
                b.push(TAG_COMPLEMENT);
                b.extend_from_slice(&m.flags_high.to_be_bytes());
                b.extend_from_slice(&m.creation.to_be_bytes());
            }
            HandshakeMessage::ChallengeReply(m) => {
                b.push(TAG_CHALLENGE_REPLY);
                b.extend_from_slice(&m.challenge.to_be_bytes());
                b.extend_from_slice(&m.digest);
            }
            HandshakeMessage::ChallengeAck(m) => {
                b.push(TAG_CHALLENGE_ACK);
                b.extend_from_slice(&m.digest);
            }
            HandshakeMessage::Unknown(u) => {
                b.push(u.tag);
                b.extend_from_slice(&u.body);
            }
        }
        let mut out = len_u16(b.len(), "length")?.to_vec();
        out.extend_from_slice(&b);
        Ok(out)
    }

    /// The JSON contract's `fields`: snake_case names to values (`digest`
    /// as lowercase hex text; derived lengths are in the spans only).
    pub fn fields(&self) -> Vec<(String, Value)> {
        let f = |k: &str, v: Value| (k.to_string(), v);
        let text = |b: &[u8]| Value::Text(lossy(b));
        let hex = |b: &[u8]| Value::Text(crate::hex::encode(b));
        match self {
            HandshakeMessage::SendNameV5(m) => vec![
                f("version", Value::UInt(m.version.into())),
                f("flags", Value::UInt(m.flags.into())),
                f("name", text(&m.name)),
            ],
            HandshakeMessage::SendName(m) => vec![
                f("flags", Value::UInt(m.flags.0)),
                f("creation", Value::UInt(m.creation.into())),
                f("name", text(&m.name)),
            ],
            HandshakeMessage::Status(Status::Text(t)) => vec![f("status", text(t))],
            HandshakeMessage::Status(Status::Named { name, creation, .. }) => vec![
                f("status", Value::Text("named:".into())),
                f("name", text(name)),
                f("creation", Value::UInt((*creation).into())),
            ],
            HandshakeMessage::ChallengeV5(m) => vec![
                f("version", Value::UInt(m.version.into())),
                f("flags", Value::UInt(m.flags.into())),
                f("challenge", Value::UInt(m.challenge.into())),
                f("name", text(&m.name)),
            ],
            HandshakeMessage::Challenge(m) => vec![
                f("flags", Value::UInt(m.flags.0)),
                f("challenge", Value::UInt(m.challenge.into())),
                f("creation", Value::UInt(m.creation.into())),
                f("name", text(&m.name)),
            ],
            HandshakeMessage::Complement(m) => vec![
                f("flags_high", Value::UInt(m.flags_high.into())),
                f("creation", Value::UInt(m.creation.into())),
            ],
            HandshakeMessage::ChallengeReply(m) => vec![
                f("challenge", Value::UInt(m.challenge.into())),
                f("digest", hex(&m.digest)),
            ],
            HandshakeMessage::ChallengeAck(m) => vec![f("digest", hex(&m.digest))],
            HandshakeMessage::Unknown(u) => vec![
                f("tag", Value::UInt(u.tag.into())),
                f("bytes", Value::Bytes(u.body.clone())),
            ],
        }
    }

    /// The flags this message carries, as a 64-bit word (`n` messages give
    /// their low 32 bits, `c` its high 32).
    pub fn flags(&self) -> Option<DistFlags> {
        match self {
            HandshakeMessage::SendNameV5(m) => Some(DistFlags(m.flags.into())),
            HandshakeMessage::SendName(m) => Some(m.flags),
            HandshakeMessage::ChallengeV5(m) => Some(DistFlags(m.flags.into())),
            HandshakeMessage::Challenge(m) => Some(m.flags),
            HandshakeMessage::Complement(m) => Some(DistFlags(u64::from(m.flags_high) << 32)),
            _ => None,
        }
    }
}

/// `named:` as it appears after the status tag.
pub(crate) const NAMED: &[u8] = b"named:";

/// What the message with this tag is, for this sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SendNameV5,
    SendName,
    Status,
    ChallengeV5,
    Challenge,
    Complement,
    ChallengeReply,
    ChallengeAck,
    Unknown,
}

fn kind_of(tag: u8, sender: Side) -> Kind {
    match (sender, tag) {
        (Side::Initiator, TAG_V5) => Kind::SendNameV5,
        (Side::Initiator, TAG_V6) => Kind::SendName,
        (Side::Acceptor, TAG_V5) => Kind::ChallengeV5,
        (Side::Acceptor, TAG_V6) => Kind::Challenge,
        (_, TAG_STATUS) => Kind::Status,
        (_, TAG_COMPLEMENT) => Kind::Complement,
        (_, TAG_CHALLENGE_REPLY) => Kind::ChallengeReply,
        (_, TAG_CHALLENGE_ACK) => Kind::ChallengeAck,
        _ => Kind::Unknown,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::SendNameV5 | Kind::SendName => "SEND_NAME",
        Kind::Status => "STATUS",
        Kind::ChallengeV5 | Kind::Challenge => "CHALLENGE",
        Kind::Complement => "COMPLEMENT",
        Kind::ChallengeReply => "CHALLENGE_REPLY",
        Kind::ChallengeAck => "CHALLENGE_ACK",
        Kind::Unknown => "UNKNOWN",
    }
}

/// The side OTP sends a kind from (None: either, for a status).
fn kind_sender(k: Kind) -> Option<Side> {
    match k {
        Kind::SendNameV5 | Kind::SendName | Kind::Complement | Kind::ChallengeReply => {
            Some(Side::Initiator)
        }
        Kind::ChallengeV5 | Kind::Challenge | Kind::ChallengeAck => Some(Side::Acceptor),
        Kind::Status | Kind::Unknown => None,
    }
}

fn arrow(sender: Side) -> &'static str {
    match sender {
        Side::Initiator => "initiator → acceptor",
        Side::Acceptor => "acceptor → initiator",
    }
}

fn tag_meaning(tag: u8, k: Kind, sender: Side) -> String {
    let label = crate::epmd::char_label(tag);
    let what = match k {
        Kind::SendNameV5 => "send_name, version 5 (old): Version, 32-bit Flags, Name",
        Kind::SendName => "send_name, version 6: 64-bit Flags, Creation, Nlen, Name",
        Kind::Status => {
            "status: the acceptor's verdict (or the initiator's true/false after `alive`)"
        }
        Kind::ChallengeV5 => "challenge, version 5 (old): Version, 32-bit Flags, Challenge, Name",
        Kind::Challenge => "challenge, version 6: 64-bit Flags, Challenge, Creation, Nlen, Name",
        Kind::Complement => {
            "complement: the high flag bits and the creation an `n` send_name could not carry"
        }
        Kind::ChallengeReply => {
            "challenge_reply: the initiator's own challenge and its digest of the acceptor's"
        }
        Kind::ChallengeAck => "challenge_ack: the acceptor's digest of the initiator's challenge",
        Kind::Unknown => "not a handshake message: OTP closes the connection",
    };
    format!("tag {tag} {label} = {what} ({})", arrow(sender))
}

fn len_meaning(len: u16) -> String {
    format!(
        "2-byte length {len} ({} follow): handshake framing; after the handshake frames have a 4-byte length",
        bytes_word(usize::from(len))
    )
}

/// `n`: the fixed part of a field list, with sizes, for size checks.
struct Layout {
    fields: &'static [(&'static str, usize)],
    /// The total is exact (`c`, `r`, `a`) rather than a minimum.
    exact: bool,
    what: &'static str,
}

fn layout(k: Kind) -> Option<Layout> {
    Some(match k {
        Kind::SendNameV5 => Layout {
            fields: &[("tag", 1), ("version", 2), ("flags", 4)],
            exact: false,
            what: "an `n` send_name has at least 7 bytes (tag, Version, Flags) before the name",
        },
        Kind::SendName => Layout {
            fields: &[("tag", 1), ("flags", 8), ("creation", 4), ("name_len", 2)],
            exact: false,
            what: "an `N` send_name has at least 15 bytes (tag, Flags, Creation, Nlen) before the name",
        },
        Kind::ChallengeV5 => Layout {
            fields: &[("tag", 1), ("version", 2), ("flags", 4), ("challenge", 4)],
            exact: false,
            what: "an `n` challenge has at least 11 bytes (tag, Version, Flags, Challenge) before the name",
        },
        Kind::Challenge => Layout {
            fields: &[
                ("tag", 1),
                ("flags", 8),
                ("challenge", 4),
                ("creation", 4),
                ("name_len", 2),
            ],
            exact: false,
            what: "an `N` challenge has at least 19 bytes (tag, Flags, Challenge, Creation, Nlen) before the name",
        },
        Kind::Complement => Layout {
            fields: &[("tag", 1), ("flags_high", 4), ("creation", 4)],
            exact: true,
            what: "a complement is exactly 9 bytes (tag, FlagsHigh, Creation); OTP's recv_complement matches no other size and closes",
        },
        Kind::ChallengeReply => Layout {
            fields: &[("tag", 1), ("challenge", 4), ("digest", 16)],
            exact: true,
            what: "a challenge_reply is exactly 21 bytes (tag, Challenge, 16-byte Digest); OTP closes on any other size (length(SumB) =/= 16)",
        },
        Kind::ChallengeAck => Layout {
            fields: &[("tag", 1), ("digest", 16)],
            exact: true,
            what: "a challenge_ack is exactly 17 bytes (tag, 16-byte Digest); OTP closes on any other size (length(SumB) =/= 16)",
        },
        Kind::Status | Kind::Unknown => return None,
    })
}

/// Checks the declared length against a message's fixed layout. Returns
/// the error (offset relative to the tag, field, message) when it does not
/// fit.
fn size_error(l: &Layout, len: usize) -> Option<(usize, &'static str, String)> {
    let total: usize = l.fields.iter().map(|(_, n)| n).sum();
    let mut at = 0usize;
    for (name, n) in l.fields {
        if at + n > len {
            return Some((
                at,
                name,
                format!(
                    "the length says {len}, which cuts `{name}` ({n} bytes at body byte {at}) short: {}",
                    l.what
                ),
            ));
        }
        at += n;
    }
    if l.exact && len > total {
        let last = l.fields.last().map(|(n, _)| *n).unwrap_or("tag");
        return Some((
            total,
            last,
            format!(
                "the length says {len}, {} more than the {total} bytes allowed: {}",
                len - total,
                l.what
            ),
        ));
    }
    None
}

/// The outcome of reading one frame.
pub(crate) struct Read {
    pub type_name: &'static str,
    pub spans: Vec<crate::span::Span>,
    pub consumed: usize,
    pub status: ReadStatus,
    pub notes: Vec<Note>,
    pub message: Option<HandshakeMessage>,
}

/// Reads one length-framed handshake message from the front of `data`.
pub(crate) fn read_frame(data: &[u8], base: usize, sender: Side) -> Read {
    let mut notes = Vec::new();
    let mut r = Reader::new(data, base, "HANDSHAKE");
    let len = match r.u16("length", len_meaning) {
        Ok(v) => v,
        Err(stop) => {
            return Read {
                type_name: "UNKNOWN",
                spans: r.spans,
                consumed: data.len(),
                status: stop_status(stop),
                notes,
                message: None,
            }
        }
    };
    let len_us = usize::from(len);
    let frame_len = len_us + 2;
    let consumed_err = frame_len.min(data.len());
    if len == 0 {
        return Read {
            type_name: "UNKNOWN",
            spans: r.spans,
            consumed: 2,
            status: ReadStatus::Invalid(crate::DecodeError {
                offset: base,
                field: "HANDSHAKE.length".into(),
                message: "length 0: a handshake message has at least its 1-byte tag; OTP's receive gets an empty message and closes the connection".into(),
            }),
            notes,
            message: None,
        };
    }
    let body_avail = data.len().saturating_sub(2).min(len_us);
    let complete = body_avail == len_us;
    let needed = len_us - body_avail;
    let body = data.get(2..2 + body_avail).unwrap_or(&[]);
    let Some(&tag) = body.first() else {
        return Read {
            type_name: "UNKNOWN",
            spans: r.spans,
            consumed: data.len(),
            status: ReadStatus::Incomplete(Incomplete::with_reason(
                Some(needed),
                "HANDSHAKE.tag".into(),
                format!("the length says {len}"),
            )),
            notes,
            message: None,
        };
    };
    let kind = kind_of(tag, sender);
    let type_name = kind_name(kind);
    let mut br = Reader::new(body, base + 2, type_name);
    br.bounded = complete;
    if let Some(expected) = kind_sender(kind) {
        if expected != sender {
            notes.push(Note {
                offset: base + 2,
                field: format!("{type_name}.tag"),
                message: format!(
                    "{type_name} is sent by the {}, but this frame comes from the {}: OTP never sends it this way and the peer closes the connection",
                    expected.as_str(),
                    sender.as_str()
                ),
            });
        }
    }
    // Size errors are known from the length alone.
    let size = layout(kind).and_then(|l| size_error(&l, len_us));
    let res = read_body(&mut br, kind, sender, len, &mut notes);
    let mut spans = r.spans;
    spans.append(&mut br.spans);
    if let Some((at, field, message)) = size {
        return Read {
            type_name,
            spans,
            consumed: consumed_err,
            status: ReadStatus::Invalid(crate::DecodeError {
                offset: base + 2 + at,
                field: format!("{type_name}.{field}"),
                message,
            }),
            notes,
            message: None,
        };
    }
    match res {
        Ok(msg) if complete => Read {
            type_name,
            spans,
            consumed: frame_len,
            status: ReadStatus::Complete,
            notes,
            message: Some(msg),
        },
        Err(Stop::Invalid(e)) => Read {
            type_name,
            spans,
            consumed: consumed_err,
            status: ReadStatus::Invalid(e),
            notes,
            message: None,
        },
        Err(Stop::Incomplete(i)) => Read {
            type_name,
            spans,
            consumed: data.len(),
            status: ReadStatus::Incomplete(Incomplete::with_reason(
                Some(needed),
                i.field,
                format!("the length says {len}"),
            )),
            notes,
            message: None,
        },
        Ok(_) => Read {
            type_name,
            spans,
            consumed: data.len(),
            status: ReadStatus::Incomplete(Incomplete::with_reason(
                Some(needed),
                format!("{type_name}.body"),
                format!("the length says {len}"),
            )),
            notes,
            message: None,
        },
    }
}

fn stop_status(stop: Stop) -> ReadStatus {
    match stop {
        Stop::Incomplete(i) => ReadStatus::Incomplete(i),
        Stop::Invalid(e) => ReadStatus::Invalid(e),
    }
}

/// Until the body is whole, fields that run to the end of the frame cannot
/// be read.
fn need_whole(r: &Reader<'_>, field: &str) -> RResult<()> {
    if r.bounded {
        Ok(())
    } else {
        Err(Stop::Incomplete(Incomplete::new(None, r.path(field))))
    }
}

fn read_u64(r: &mut Reader<'_>, field: &str, meaning: impl FnOnce(u64) -> String) -> RResult<u64> {
    let start = r.offset();
    let b = r.take(8, field)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b.get(..8).unwrap_or(&[0; 8]));
    let v = u64::from_be_bytes(a);
    r.push(field, start, Value::UInt(v), meaning(v));
    Ok(v)
}

fn read_digest(r: &mut Reader<'_>, meaning: &str) -> RResult<[u8; 16]> {
    let b = r.bytes(16, "digest", |_| meaning.to_string())?;
    let mut d = [0u8; 16];
    d.copy_from_slice(b.get(..16).unwrap_or(&[0; 16]));
    Ok(d)
}

fn flags_meaning(v: u64) -> String {
    let f = DistFlags(v);
    format!("Flags {f}: {}", f.describe())
}

fn flags32_meaning(v: u32) -> String {
    let f = DistFlags(v.into());
    format!(
        "Flags {f} (32 bits: the high half comes in a `c` complement): {}",
        f.describe()
    )
}

fn version_meaning(v: u16) -> String {
    if v == 5 {
        "Version 5: the old distribution version (what OTP ≤ 22 speaks)".to_string()
    } else {
        format!("Version {v}: OTP sends 5 in an `n` message (6 is sent as an `N` message instead)")
    }
}

fn challenge_meaning(v: u32, whose: &str) -> String {
    format!(
        "Challenge {v} ({v:#010x}): the {whose}'s random number; the peer answers MD5(cookie ++ \"{v}\")"
    )
}

fn creation_meaning(v: u32, name_me: bool) -> String {
    if v == 0 && name_me {
        "Creation 0: asking for a dynamic name (NAME_ME), the acceptor assigns one in `named:`"
            .to_string()
    } else if v == 0 {
        "Creation 0: reserved (a static node's creation comes from epmd, ≥ 4 for version-6 registrations)".to_string()
    } else {
        format!(
            "Creation {v}: this incarnation's number, carried in its pids, ports and references"
        )
    }
}

fn read_body(
    r: &mut Reader<'_>,
    kind: Kind,
    sender: Side,
    len: u16,
    notes: &mut Vec<Note>,
) -> RResult<HandshakeMessage> {
    let tag_at = r.offset();
    let tag = r.u8("tag", |t| tag_meaning(t, kind, sender))?;
    match kind {
        Kind::SendNameV5 => {
            notes.push(Note {
                offset: tag_at,
                field: r.path("tag"),
                message: "version 5 `n` send_name: OTP 25+ never sends it; OTP 25.0-25.2 reject it (they close without a status, expecting only `N`); OTP 23/24 and 25.3+ accept it and, when HANDSHAKE_23 is set, answer with an `N` challenge and expect a `c` complement".to_string(),
            });
            let version = r.u16("version", version_meaning)?;
            if version != 5 {
                notes.push(Note {
                    offset: tag_at + 1,
                    field: r.path("version"),
                    message: format!("version {version}: OTP sends 5 here (and does not check it)"),
                });
            }
            let flags_at = r.offset();
            let flags = r.u32("flags", flags32_meaning)?;
            flag_notes(
                r,
                flags_at,
                DistFlags(flags.into()),
                FlagCheck::SendNameLow,
                notes,
            );
            need_whole(r, "name")?;
            let name_at = r.offset();
            let name = r
                .text(r.remaining(), "name", |b| {
                    format!(
                        "Name \"{}\": the full node name (the rest of the frame)",
                        lossy(b)
                    )
                })?
                .to_vec();
            name_notes(r, name_at, &name, false, notes);
            Ok(HandshakeMessage::SendNameV5(SendNameV5 {
                version,
                flags,
                name,
            }))
        }
        Kind::SendName => {
            let flags_at = r.offset();
            let flags = DistFlags(read_u64(r, "flags", flags_meaning)?);
            let name_me = flags.contains(DistFlags::NAME_ME);
            flag_notes(r, flags_at, flags, FlagCheck::SendName, notes);
            let cr_at = r.offset();
            let creation = r.u32("creation", |v| creation_meaning(v, name_me))?;
            if creation == 0 && !name_me {
                notes.push(Note {
                    offset: cr_at,
                    field: r.path("creation"),
                    message: "creation 0 without NAME_ME: OTP sends the creation epmd gave it (0 only when asking for a dynamic name); pids made with creation 0 denote a dead incarnation".to_string(),
                });
            }
            let (name, ignored) = read_name_rest(r, len, 15)?;
            name_notes(
                r,
                r.offset().saturating_sub(name.len() + ignored.len()),
                &name,
                name_me,
                notes,
            );
            Ok(HandshakeMessage::SendName(SendName {
                flags,
                creation,
                name,
                ignored,
            }))
        }
        Kind::Status => {
            need_whole(r, "status")?;
            let rest = r.rest();
            if rest.starts_with(NAMED) {
                return read_named(r, sender, notes);
            }
            let at = r.offset();
            let text = r
                .text(rest.len(), "status", |b| status_meaning(b, sender))?
                .to_vec();
            status_notes(r, at, &text, sender, notes);
            Ok(HandshakeMessage::Status(Status::Text(text)))
        }
        Kind::ChallengeV5 => {
            notes.push(Note {
                offset: tag_at,
                field: r.path("tag"),
                message: "version 5 `n` challenge: only OTP ≤ 24 sends it (to an `n` send_name without HANDSHAKE_23); an OTP 25+ initiator accepts only `N` and closes".to_string(),
            });
            let version = r.u16("version", version_meaning)?;
            let flags_at = r.offset();
            let flags = r.u32("flags", flags32_meaning)?;
            flag_notes(
                r,
                flags_at,
                DistFlags(flags.into()),
                FlagCheck::ChallengeLow,
                notes,
            );
            let challenge = r.u32("challenge", |v| challenge_meaning(v, "acceptor"))?;
            need_whole(r, "name")?;
            let name_at = r.offset();
            let name = r
                .text(r.remaining(), "name", |b| {
                    format!(
                        "Name \"{}\": the acceptor's node name (the rest of the frame)",
                        lossy(b)
                    )
                })?
                .to_vec();
            name_notes(r, name_at, &name, false, notes);
            Ok(HandshakeMessage::ChallengeV5(ChallengeV5 {
                version,
                flags,
                challenge,
                name,
            }))
        }
        Kind::Challenge => {
            let flags_at = r.offset();
            let flags = DistFlags(read_u64(r, "flags", flags_meaning)?);
            flag_notes(r, flags_at, flags, FlagCheck::Challenge, notes);
            let challenge = r.u32("challenge", |v| challenge_meaning(v, "acceptor"))?;
            let cr_at = r.offset();
            let creation = r.u32("creation", |v| creation_meaning(v, false))?;
            if creation == 0 {
                notes.push(Note {
                    offset: cr_at,
                    field: r.path("creation"),
                    message: "creation 0: OTP sends the creation epmd gave it; pids made with creation 0 denote a dead incarnation".to_string(),
                });
            }
            let (name, ignored) = read_name_rest(r, len, 19)?;
            name_notes(
                r,
                r.offset().saturating_sub(name.len() + ignored.len()),
                &name,
                false,
                notes,
            );
            Ok(HandshakeMessage::Challenge(Challenge {
                flags,
                challenge,
                creation,
                name,
                ignored,
            }))
        }
        Kind::Complement => {
            let flags_high = r.u32("flags_high", |v| {
                let f = DistFlags(u64::from(v) << 32);
                format!("FlagsHigh {v:#010x}: flag bits 32..63 = {}", f.describe())
            })?;
            let cr_at = r.offset();
            let creation = r.u32("creation", |v| creation_meaning(v, false))?;
            if creation == 0 {
                notes.push(Note {
                    offset: cr_at,
                    field: r.path("creation"),
                    message: "creation 0: reserved".to_string(),
                });
            }
            Ok(HandshakeMessage::Complement(Complement {
                flags_high,
                creation,
            }))
        }
        Kind::ChallengeReply => {
            let challenge = r.u32("challenge", |v| challenge_meaning(v, "initiator"))?;
            let digest = read_digest(
                r,
                "Digest: MD5(cookie ++ decimal(acceptor's challenge)), proving the initiator knows the cookie",
            )?;
            Ok(HandshakeMessage::ChallengeReply(ChallengeReply {
                challenge,
                digest,
            }))
        }
        Kind::ChallengeAck => {
            let digest = read_digest(
                r,
                "Digest: MD5(cookie ++ decimal(initiator's challenge)), proving the acceptor knows the cookie",
            )?;
            Ok(HandshakeMessage::ChallengeAck(ChallengeAck { digest }))
        }
        Kind::Unknown => {
            if r.remaining() > 0 {
                let n = r.remaining();
                r.bytes(n, "body", |_| {
                    "the rest of the frame (not interpreted)".to_string()
                })?;
            }
            Err(r.invalid(
                tag_at,
                "tag",
                format!(
                    "tag {tag} {} is not a handshake message the {} sends (expected {}); OTP closes the connection. The frame's {} bytes are skipped by its length",
                    crate::epmd::char_label(tag),
                    sender.as_str(),
                    match sender {
                        Side::Initiator => "'n', 'N', 's', 'c' or 'r'",
                        Side::Acceptor => "'s', 'n', 'N' or 'a'",
                    },
                    usize::from(len) + 2
                ),
            ))
        }
    }
}

/// Nlen, Name and the ignored rest of an `N` message whose fixed part is
/// `fixed` bytes (tag included).
fn read_name_rest(r: &mut Reader<'_>, len: u16, fixed: usize) -> RResult<(Vec<u8>, Vec<u8>)> {
    let nlen_at = r.offset();
    let nlen = r.u16("name_len", |v| {
        format!("Nlen {v}: the name has {}", bytes_word(usize::from(v)))
    })?;
    let min = fixed + usize::from(nlen);
    if usize::from(len) < min {
        return Err(r.invalid(
            nlen_at,
            "name_len",
            format!(
                "Nlen {nlen} needs at least {min} bytes ({fixed} + Nlen), but the length says {len} ({} for the name): OTP's lists:split fails and the connection is closed",
                usize::from(len).saturating_sub(fixed)
            ),
        ));
    }
    let name = r
        .text(usize::from(nlen), "name", |b| {
            format!("Name \"{}\": the full node name", lossy(b))
        })?
        .to_vec();
    need_whole(r, "ignored")?;
    let n = r.remaining();
    let ignored = if n > 0 {
        r.bytes(n, "ignored", |_| {
            format!(
                "{} after the name, inside the length: OTP ignores them",
                bytes_word(n)
            )
        })?
        .to_vec()
    } else {
        Vec::new()
    };
    Ok((name, ignored))
}

fn read_named(
    r: &mut Reader<'_>,
    sender: Side,
    notes: &mut Vec<Note>,
) -> RResult<HandshakeMessage> {
    let at = r.offset();
    r.text(NAMED.len(), "status", |_| {
        "\"named:\": the acceptor assigns the NAME_ME initiator its node name and creation"
            .to_string()
    })?;
    if sender == Side::Initiator {
        notes.push(Note {
            offset: at,
            field: r.path("status"),
            message: "`named:` comes from the acceptor; the initiator only answers `true`/`false`"
                .to_string(),
        });
    }
    let nlen_at = r.offset();
    let nlen = r.u16("name_len", |v| {
        format!("Nlen {v}: the name has {}", bytes_word(usize::from(v)))
    })?;
    if r.remaining() < usize::from(nlen) + 4 {
        return Err(r.invalid(
            nlen_at,
            "name_len",
            format!(
                "`named:` needs Nlen ({nlen}) name bytes and a 4-byte creation, but {} remain: the initiator's match fails and it closes",
                bytes_word(r.remaining())
            ),
        ));
    }
    let name_at = r.offset();
    let name = r
        .text(usize::from(nlen), "name", |b| {
            format!("Name \"{}\": the initiator's assigned node name", lossy(b))
        })?
        .to_vec();
    if name.iter().filter(|b| **b == b'@').count() != 1 {
        notes.push(Note {
            offset: name_at,
            field: r.path("name"),
            message:
                "the assigned name needs exactly one '@': the initiator's split_node/1 match fails"
                    .to_string(),
        });
    }
    let creation = r.u32("creation", |v| {
        format!("Creation {v}: the creation the initiator is to use")
    })?;
    let n = r.remaining();
    let ignored = if n > 0 {
        r.bytes(n, "ignored", |_| {
            format!("{} after the creation: OTP ignores them", bytes_word(n))
        })?
        .to_vec()
    } else {
        Vec::new()
    };
    Ok(HandshakeMessage::Status(Status::Named {
        name,
        creation,
        ignored,
    }))
}

fn status_meaning(b: &[u8], sender: Side) -> String {
    let word = lossy(b);
    let what = match (sender, b) {
        (Side::Acceptor, b"ok") => "continue: the challenge follows",
        (Side::Acceptor, b"ok_simultaneous") => {
            "continue: both nodes were connecting, the acceptor drops its own attempt (the initiator's name is greater)"
        }
        (Side::Acceptor, b"nok") => {
            "abort: both nodes were connecting and the acceptor's own attempt wins; the initiator waits to be killed"
        }
        (Side::Acceptor, b"not_allowed") => {
            "refused (not in the allow list, or mandatory flags missing); the acceptor closes"
        }
        (Side::Acceptor, b"alive") => {
            "the acceptor already has a connection to this node: the initiator must answer `strue` (the old one is dead, continue) or `sfalse` (abort)"
        }
        (Side::Initiator, b"true") => {
            "the initiator's answer to `alive`: the old connection is dead, continue"
        }
        (Side::Initiator, b"false") => "the initiator's answer to `alive`: abort",
        _ => "not a status OTP sends",
    };
    format!("Status \"{word}\": {what}")
}

fn status_notes(r: &Reader<'_>, at: usize, text: &[u8], sender: Side, notes: &mut Vec<Note>) {
    let known: &[&[u8]] = match sender {
        Side::Acceptor => &[b"ok", b"ok_simultaneous", b"nok", b"not_allowed", b"alive"],
        Side::Initiator => &[b"true", b"false"],
    };
    if !known.contains(&text) {
        let consequence = match sender {
            Side::Acceptor => "OTP's initiator shuts down ({recv_status_failed,unknown,...})",
            Side::Initiator => {
                "OTP's acceptor shuts down ({recv_status_failed,unexpected,...}); the initiator only sends `true` or `false` (after `alive`)"
            }
        };
        notes.push(Note {
            offset: at,
            field: r.path("status"),
            message: format!(
                "status \"{}\" is not one OTP sends: {consequence}",
                lossy(text)
            ),
        });
    }
}

/// Which mandatory check a received word would meet.
#[derive(Clone, Copy)]
enum FlagCheck {
    SendName,
    SendNameLow,
    Challenge,
    ChallengeLow,
}

fn flag_notes(
    r: &Reader<'_>,
    at: usize,
    flags: DistFlags,
    check: FlagCheck,
    notes: &mut Vec<Note>,
) {
    let path = r.path("flags");
    let unknown = DistFlags(
        flags
            .set_bits()
            .into_iter()
            .filter(|b| super::flags::flag_info(*b).is_none())
            .fold(0u64, |a, b| a | 1u64.checked_shl(b).unwrap_or(0)),
    );
    if unknown.0 != 0 {
        notes.push(Note {
            offset: at,
            field: path.clone(),
            message: format!(
                "{}: bits with no meaning yet; OTP keeps only what both sides set (the AND), so they are harmless",
                unknown.describe()
            ),
        });
    }
    let internal: Vec<&str> = super::flags::FLAG_TABLE
        .iter()
        .filter(|f| f.internal && flags.contains(f.flag()))
        .map(|f| f.name)
        .collect();
    if !internal.is_empty() {
        notes.push(Note {
            offset: at,
            field: path.clone(),
            message: format!(
                "{}: used inside the VM only, OTP never sends it",
                internal.join(", ")
            ),
        });
    }
    let low_only = matches!(check, FlagCheck::SendNameLow | FlagCheck::ChallengeLow);
    let mask = if low_only {
        DistFlags(0xffff_ffff)
    } else {
        !DistFlags::EMPTY
    };
    let m25 = missing_for(25, flags) & mask;
    let m26 = missing_for(26, flags) & mask;
    if m25.0 == 0 && m26.0 == 0 {
        return;
    }
    let who = match check {
        FlagCheck::SendName | FlagCheck::SendNameLow => "acceptor answers snot_allowed",
        FlagCheck::Challenge | FlagCheck::ChallengeLow => "initiator closes after the challenge",
    };
    let mut parts = Vec::new();
    if m25.0 != 0 {
        parts.push(format!(
            "an OTP 25 {who} (missing {})",
            m25.otp_missing_names().join(", ")
        ));
    }
    if m26.0 != 0 {
        parts.push(format!(
            "an OTP 26+ {who} (missing {})",
            m26.otp_missing_names().join(", ")
        ));
    }
    let scope = if low_only {
        " (low 32 bits only: the high half comes later)"
    } else {
        ""
    };
    let digest = if flags.contains(DistFlags::MANDATORY_25_DIGEST) {
        ""
    } else {
        "; MANDATORY_25_DIGEST is not set either"
    };
    notes.push(Note {
        offset: at,
        field: path,
        message: format!(
            "mandatory flags missing{scope}{digest}: {}",
            parts.join("; ")
        ),
    });
}

/// `name@host` with exactly one `@` and both parts non-empty, or a bare
/// host with NAME_ME (`dist_util:is_name_ok/2`).
pub fn name_ok(name: &[u8], name_me: bool) -> bool {
    let parts: Vec<&[u8]> = name.split(|b| *b == b'@').collect();
    match (parts.as_slice(), name_me) {
        ([n, h], false) => !n.is_empty() && !h.is_empty(),
        ([h], true) => !h.is_empty(),
        _ => false,
    }
}

fn name_notes(r: &Reader<'_>, at: usize, name: &[u8], name_me: bool, notes: &mut Vec<Note>) {
    if !name_ok(name, name_me) {
        let want = if name_me {
            "with NAME_ME the name is the host alone, without '@'"
        } else {
            "a node name is name@host with exactly one '@' and text on both sides"
        };
        notes.push(Note {
            offset: at,
            field: r.path("name"),
            message: format!(
                "\"{}\": {want}; OTP closes the connection without a status",
                lossy(name)
            ),
        });
    }
}
