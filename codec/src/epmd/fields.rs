//! The message schemas: which fields each EPMD message has, their kinds,
//! defaults and which are derived. The CLI's `encode` and the builder read
//! them; [`encode_fields`] turns field values into bytes, computing derived
//! fields (lengths, the request prefix) unless they are given, so a user can
//! build a deliberately wrong frame.

use super::text::{DumpLine, NamesLine};
use super::*;
use std::collections::BTreeMap;

/// Field values by snake_case name, as text (`"9506"`, `"0x4d"`, `"M"`, `"node"`).
pub type Fields = BTreeMap<String, String>;

/// How a field's value is written and parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// 1-byte unsigned integer (also accepts one character: `M`).
    U8,
    /// 2-byte big-endian unsigned integer.
    U16,
    /// 4-byte big-endian unsigned integer.
    U32,
    /// Distribution flags (8 bytes, or 4 in version 5 messages): a number
    /// (decimal, `0x` hex) or flag names joined by `|`.
    Flags,
    /// Text, sent as its UTF-8 bytes.
    Text,
    /// Opaque bytes, given as hex.
    Hex,
    /// One of a few ASCII words.
    Word,
    /// A list `name=port[:fd],...`.
    Nodes,
}

/// One field of a message schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldInfo {
    /// snake_case name, as in spans and JSON.
    pub name: &'static str,
    /// Value kind.
    pub kind: FieldKind,
    /// Computed from other fields unless given (lengths, prefix).
    pub derived: bool,
    /// Default value when not given (`None`: required).
    pub default: Option<&'static str>,
    /// Allowed words for [`FieldKind::Word`], or named values for numbers.
    pub choices: &'static [&'static str],
    /// What the field is.
    pub doc: &'static str,
}

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

const fn derived(name: &'static str, kind: FieldKind, doc: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        kind,
        derived: true,
        default: None,
        choices: &[],
        doc,
    }
}

const fn choice(
    name: &'static str,
    kind: FieldKind,
    default: &'static str,
    choices: &'static [&'static str],
    doc: &'static str,
) -> FieldInfo {
    FieldInfo {
        name,
        kind,
        derived: false,
        default: Some(default),
        choices,
        doc,
    }
}

use FieldKind::*;

const PREFIX: FieldInfo = derived("length_prefix", U16, "request length, excluding itself");
const NODE_TYPES: &[&str] = &["77 M normal", "72 H hidden", "104 h C node"];

const ALIVE2_REQ_FIELDS: &[FieldInfo] = &[
    PREFIX,
    f("port", U16, None, "the node's distribution listen port"),
    choice("node_type", U8, "77", NODE_TYPES, "node type"),
    f("protocol", U8, Some("0"), "0 = TCP/IPv4"),
    f(
        "highest_version",
        U16,
        Some("6"),
        "highest distribution version",
    ),
    f(
        "lowest_version",
        U16,
        Some("5"),
        "lowest distribution version",
    ),
    derived("name_len", U16, "Nlen: byte length of the name"),
    f("name", Text, None, "alive part of the node name"),
    derived("extra_len", U16, "Elen: byte length of Extra"),
    f("extra", Hex, Some(""), "opaque extra bytes"),
];
const PORT2_RESP_FIELDS: &[FieldInfo] = &[
    f("result", U8, Some("0"), "0 = found, 1 = not found"),
    f("port", U16, Some("0"), "the node's port (found form)"),
    choice("node_type", U8, "77", NODE_TYPES, "node type"),
    f("protocol", U8, Some("0"), "protocol"),
    f("highest_version", U16, Some("6"), "highest version"),
    f("lowest_version", U16, Some("5"), "lowest version"),
    derived("name_len", U16, "Nlen"),
    f("name", Text, Some(""), "the registered alive name"),
    derived("extra_len", U16, "Elen"),
    f("extra", Hex, Some(""), "extra bytes"),
];

const ALIVE2_RESP_FIELDS: &[FieldInfo] = &[
    f("result", U8, Some("0"), "0 = ok, 1 = error"),
    f("creation", U16, None, "16-bit creation"),
];
const ALIVE2_X_RESP_FIELDS: &[FieldInfo] = &[
    f("result", U8, Some("0"), "0 = ok, 1 = error"),
    f("creation", U32, None, "32-bit creation"),
];
const PORT_PLEASE2_REQ_FIELDS: &[FieldInfo] =
    &[PREFIX, f("name", Text, None, "alive name to look up")];
const PREFIX_ONLY: &[FieldInfo] = &[PREFIX];
const NAMES_RESP_FIELDS: &[FieldInfo] = &[
    f("epmd_port", U32, Some("4369"), "epmd's own port"),
    f("nodes", Nodes, Some(""), "name=port,... newest first"),
];
const DUMP_RESP_FIELDS: &[FieldInfo] = &[
    f("epmd_port", U32, Some("4369"), "epmd's own port"),
    f("nodes", Nodes, Some(""), "active nodes: name=port:fd,..."),
    f("old", Nodes, Some(""), "old/unused names: name=port:fd,..."),
];
const KILL_RESP_FIELDS: &[FieldInfo] = &[choice("result", Word, "OK", &["OK", "NO"], "OK or NO")];
const STOP_REQ_FIELDS: &[FieldInfo] = &[PREFIX, f("name", Text, None, "alive name to stop")];
const STOP_RESP_FIELDS: &[FieldInfo] = &[choice(
    "result",
    Word,
    "STOPPED",
    &["STOPPED", "NOEXIST"],
    "STOPPED, or NOEXIST (then STOPPED follows, as epmd sends it)",
)];

/// Every message type the codec can build, with its direction.
pub fn message_types() -> &'static [(&'static str, Direction)] {
    use Direction::*;
    &[
        ("ALIVE2_REQ", Request),
        ("ALIVE2_RESP", Reply),
        ("ALIVE2_X_RESP", Reply),
        ("PORT_PLEASE2_REQ", Request),
        ("PORT2_RESP", Reply),
        ("NAMES_REQ", Request),
        ("NAMES_RESP", Reply),
        ("DUMP_REQ", Request),
        ("DUMP_RESP", Reply),
        ("KILL_REQ", Request),
        ("KILL_RESP", Reply),
        ("STOP_REQ", Request),
        ("STOP_RESP", Reply),
    ]
}

/// The schema of a message type (by the spec's name, case-insensitive).
pub fn field_schema(type_name: &str) -> Option<&'static [FieldInfo]> {
    Some(match type_name.to_ascii_uppercase().as_str() {
        "ALIVE2_REQ" => ALIVE2_REQ_FIELDS,
        "ALIVE2_RESP" => ALIVE2_RESP_FIELDS,
        "ALIVE2_X_RESP" => ALIVE2_X_RESP_FIELDS,
        "PORT_PLEASE2_REQ" => PORT_PLEASE2_REQ_FIELDS,
        "PORT2_RESP" => PORT2_RESP_FIELDS,
        "NAMES_REQ" | "DUMP_REQ" | "KILL_REQ" => PREFIX_ONLY,
        "NAMES_RESP" => NAMES_RESP_FIELDS,
        "DUMP_RESP" => DUMP_RESP_FIELDS,
        "KILL_RESP" => KILL_RESP_FIELDS,
        "STOP_REQ" => STOP_REQ_FIELDS,
        "STOP_RESP" => STOP_RESP_FIELDS,
        _ => return None,
    })
}

fn bad(field: &str, message: impl Into<String>) -> EncodeError {
    EncodeError::new(field, message)
}

/// Parses an unsigned number: decimal, `0x` hex, or a single character.
fn parse_uint(field: &str, s: &str, max: u64) -> Result<u64, EncodeError> {
    let t = s.trim();
    let mut chars = t.chars();
    let v = if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_ascii_digit() {
            u64::from(c as u8 - b'0')
        } else {
            u64::from(u32::from(c))
        }
    } else if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).map_err(|_| bad(field, format!("{s:?} is not a hex number")))?
    } else {
        t.parse::<u64>()
            .map_err(|_| bad(field, format!("{s:?} is not a number")))?
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
        let info = self.schema.iter().find(|i| i.name == name);
        match info.and_then(|i| i.default) {
            Some(d) => Ok(d),
            None => Err(bad(name, "required: give a value")),
        }
    }
    fn uint(&self, name: &str, max: u64) -> Result<u64, EncodeError> {
        let s = self.raw(name)?;
        // Named choices: "77 M normal" also accepts "normal" and "M".
        let info = self.schema.iter().find(|i| i.name == name);
        if let Some(info) = info {
            for c in info.choices {
                let mut words = c.split(' ');
                let num = words.next().unwrap_or("");
                if words.any(|w| w == s.trim()) {
                    return parse_uint(name, num, max);
                }
            }
        }
        parse_uint(name, s, max)
    }
    fn u8(&self, name: &str) -> Result<u8, EncodeError> {
        u8::try_from(self.uint(name, u8::MAX.into())?).map_err(|_| bad(name, "out of range"))
    }
    fn u16(&self, name: &str) -> Result<u16, EncodeError> {
        u16::try_from(self.uint(name, u16::MAX.into())?).map_err(|_| bad(name, "out of range"))
    }
    fn u32(&self, name: &str) -> Result<u32, EncodeError> {
        u32::try_from(self.uint(name, u32::MAX.into())?).map_err(|_| bad(name, "out of range"))
    }
    fn text(&self, name: &str) -> Result<Vec<u8>, EncodeError> {
        Ok(self.raw(name)?.as_bytes().to_vec())
    }
    fn hex(&self, name: &str) -> Result<Vec<u8>, EncodeError> {
        crate::input::parse_hex(self.raw(name)?)
            .map(|p| p.bytes)
            .map_err(|e| bad(name, e.to_string()))
    }
    /// `name=port[:fd]` entries.
    fn nodes(&self, name: &str) -> Result<Vec<(Vec<u8>, u64, u64)>, EncodeError> {
        let s = self.raw(name)?;
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (n, rest) = item
                .rsplit_once('=')
                .ok_or_else(|| bad(name, format!("{item:?}: expected name=port")))?;
            let (p, fd) = match rest.split_once(':') {
                Some((p, fd)) => (p, parse_uint(name, fd, u64::MAX)?),
                None => (rest, 0),
            };
            out.push((n.as_bytes().to_vec(), parse_uint(name, p, u64::MAX)?, fd));
        }
        Ok(out)
    }
}

/// Builds a message from field values (defaults filled in, derived fields
/// computed), without overrides of derived fields.
pub fn message_from_fields(type_name: &str, fields: &Fields) -> Result<EpmdMessage, EncodeError> {
    let schema = field_schema(type_name).ok_or_else(|| {
        let known: Vec<&str> = message_types().iter().map(|(n, _)| *n).collect();
        bad(
            "type",
            format!(
                "unknown EPMD message {type_name:?}; one of {}",
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
    let node = |g: &Getter<'_>| -> Result<NodeInfo, EncodeError> {
        Ok(NodeInfo {
            port: g.u16("port")?,
            node_type: g.u8("node_type")?,
            protocol: g.u8("protocol")?,
            highest_version: g.u16("highest_version")?,
            lowest_version: g.u16("lowest_version")?,
            name: g.text("name")?,
            extra: g.hex("extra")?,
        })
    };
    Ok(match type_name.to_ascii_uppercase().as_str() {
        "ALIVE2_REQ" => {
            let n = node(&g)?;
            EpmdMessage::Alive2Req(Alive2Req {
                port: n.port,
                node_type: n.node_type,
                protocol: n.protocol,
                highest_version: n.highest_version,
                lowest_version: n.lowest_version,
                name: n.name,
                extra: n.extra,
                trailing: Vec::new(),
            })
        }
        "ALIVE2_RESP" => EpmdMessage::Alive2Resp(Alive2Resp {
            result: g.u8("result")?,
            creation: g.u16("creation")?,
        }),
        "ALIVE2_X_RESP" => EpmdMessage::Alive2XResp(Alive2XResp {
            result: g.u8("result")?,
            creation: g.u32("creation")?,
        }),
        "PORT_PLEASE2_REQ" => EpmdMessage::PortPlease2Req(PortPlease2Req {
            name: g.text("name")?,
            nul_terminated: false,
        }),
        "PORT2_RESP" => match g.u8("result")? {
            0 => EpmdMessage::Port2Resp(Port2Resp::Found(node(&g)?)),
            result => EpmdMessage::Port2Resp(Port2Resp::NotFound { result }),
        },
        "NAMES_REQ" => EpmdMessage::NamesReq(SimpleReq::default()),
        "DUMP_REQ" => EpmdMessage::DumpReq(SimpleReq::default()),
        "KILL_REQ" => EpmdMessage::KillReq(SimpleReq::default()),
        "NAMES_RESP" => EpmdMessage::NamesResp(NamesResp {
            epmd_port: g.u32("epmd_port")?,
            lines: g
                .nodes("nodes")?
                .iter()
                .map(|(n, p, _)| NamesLine::new(n, *p))
                .collect(),
        }),
        "DUMP_RESP" => {
            let mut lines: Vec<DumpLine> = g
                .nodes("nodes")?
                .iter()
                .map(|(n, p, fd)| DumpLine::new(true, n, *p, *fd))
                .collect();
            lines.extend(
                g.nodes("old")?
                    .iter()
                    .map(|(n, p, fd)| DumpLine::new(false, n, *p, *fd)),
            );
            EpmdMessage::DumpResp(DumpResp {
                epmd_port: g.u32("epmd_port")?,
                lines,
            })
        }
        "KILL_RESP" => {
            let w = g.raw("result")?.trim().to_ascii_uppercase();
            if w != "OK" && w != "NO" {
                return Err(bad("result", format!("{w:?}: KILL_RESP is OK or NO")));
            }
            EpmdMessage::KillResp(KillResp {
                word: w.into_bytes(),
            })
        }
        "STOP_REQ" => EpmdMessage::StopReq(StopReq {
            name: g.text("name")?,
        }),
        "STOP_RESP" => {
            let w = g.raw("result")?.trim().to_ascii_uppercase();
            let words = match w.as_str() {
                "STOPPED" => vec![b"STOPPED".to_vec()],
                "NOEXIST" => vec![b"NOEXIST".to_vec(), b"STOPPED".to_vec()],
                _ => {
                    return Err(bad(
                        "result",
                        format!("{w:?}: STOP_RESP is STOPPED or NOEXIST"),
                    ))
                }
            };
            EpmdMessage::StopResp(StopResp { words })
        }
        _ => return Err(bad("type", format!("unknown EPMD message {type_name:?}"))),
    })
}

/// Encodes a message from field values. Derived fields (`length_prefix`,
/// `name_len`, `extra_len`) are computed unless given; a given value replaces
/// the computed one in place, producing a deliberately inconsistent frame.
///
/// ```
/// use erldist_codec::epmd::{encode_fields, Fields};
/// let mut f = Fields::new();
/// f.insert("port".into(), "9506".into());
/// f.insert("name".into(), "node".into());
/// let bytes = encode_fields("ALIVE2_REQ", &f).unwrap();
/// assert_eq!(erldist_codec::hex::encode(&bytes), "0011782522 4d00000600050004 6e6f6465 0000".replace(' ', ""));
/// ```
pub fn encode_fields(type_name: &str, fields: &Fields) -> Result<Vec<u8>, EncodeError> {
    let msg = message_from_fields(type_name, fields)?;
    let mut bytes = msg.encode()?;
    let schema = field_schema(type_name).unwrap_or(&[]);
    let overrides: Vec<&FieldInfo> = schema
        .iter()
        .filter(|i| i.derived && fields.contains_key(i.name))
        .collect();
    if overrides.is_empty() {
        return Ok(bytes);
    }
    let decoded = match msg.direction() {
        Direction::Request => decode_request(&bytes, 0),
        Direction::Reply => decode_reply(
            &bytes,
            0,
            ReplyContext {
                eof: true,
                answers: None,
            },
        ),
    };
    for info in overrides {
        let span = decoded
            .spans
            .iter()
            .find(|s| s.field == info.name)
            .ok_or_else(|| bad(info.name, "this frame has no such field to override"))?;
        let g = Getter { schema, fields };
        let v = g.u16(info.name)?.to_be_bytes();
        let slot = bytes
            .get_mut(span.offset..span.offset + 2)
            .ok_or_else(|| bad(info.name, "field outside the frame"))?;
        slot.copy_from_slice(&v);
    }
    Ok(bytes)
}
