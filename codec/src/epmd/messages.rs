//! The EPMD wire types and their readers and writers.

use super::text::{read_dump_lines, read_names_lines, DumpLine, NamesLine};
use super::*;
use crate::reader::{lossy, RResult};

/// ALIVE2_REQ (120): register a node. Layout after the 2-byte length prefix:
/// `120, PortNo:u16, NodeType:u8, Protocol:u8, HighestVersion:u16,
/// LowestVersion:u16, Nlen:u16, NodeName[Nlen], Elen:u16, Extra[Elen]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive2Req {
    /// The node's distribution listen port.
    pub port: u16,
    /// 77 `M` normal (OTP sends it for hidden nodes too), 72 `H` hidden.
    pub node_type: u8,
    /// 0 = TCP/IPv4.
    pub protocol: u8,
    /// Highest distribution version (6 for OTP 23+).
    pub highest_version: u16,
    /// Lowest distribution version.
    pub lowest_version: u16,
    /// The alive part of the node name (before `@`).
    pub name: Vec<u8>,
    /// Opaque extra bytes, echoed in PORT2_RESP.
    pub extra: Vec<u8>,
    /// Bytes after Extra inside the declared length (epmd ignores them).
    pub trailing: Vec<u8>,
}

/// Node details as PORT2_RESP carries them (ALIVE2_REQ's fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Listen port.
    pub port: u16,
    /// Node type.
    pub node_type: u8,
    /// Protocol.
    pub protocol: u8,
    /// Highest version.
    pub highest_version: u16,
    /// Lowest version.
    pub lowest_version: u16,
    /// Alive name.
    pub name: Vec<u8>,
    /// Extra bytes.
    pub extra: Vec<u8>,
}

/// ALIVE2_RESP (121): `121, Result:u8, Creation:u16`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive2Resp {
    /// 0 ok, 1 error.
    pub result: u8,
    /// The node's creation (1..3 for version-5 registrations; 99 on error).
    pub creation: u16,
}

/// ALIVE2_X_RESP (118): `118, Result:u8, Creation:u32`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive2XResp {
    /// 0 ok, 1 error.
    pub result: u8,
    /// The node's creation (≥ 4 from epmd; 99 on error).
    pub creation: u32,
}

/// PORT_PLEASE2_REQ (122): `122, NodeName` (the rest of the frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPlease2Req {
    /// The alive name looked up.
    pub name: Vec<u8>,
    /// A trailing NUL was sent (epmd tolerates and strips one).
    pub nul_terminated: bool,
}

/// PORT2_RESP (119): `119, 0, <NodeInfo>` when found, `119, Result` otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port2Resp {
    /// Result 0 and the node's registration.
    Found(NodeInfo),
    /// A non-zero result (epmd sends 1): no such name.
    NotFound {
        /// The result byte.
        result: u8,
    },
}

/// NAMES_RESP: `EPMDPortNo:u32` then `name <alive> at port <N>\n` per node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesResp {
    /// epmd's own listening port.
    pub epmd_port: u32,
    /// One line per registered node, newest first.
    pub lines: Vec<NamesLine>,
}

/// DUMP_RESP: `EPMDPortNo:u32` then NUL-terminated lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpResp {
    /// epmd's own listening port.
    pub epmd_port: u32,
    /// Active then old/unused nodes.
    pub lines: Vec<DumpLine>,
}

/// STOP_REQ (115): `115, NodeName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReq {
    /// The alive name to stop.
    pub name: Vec<u8>,
}

/// KILL_RESP: the 2 ASCII bytes `OK` or `NO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillResp {
    /// `OK` (epmd exits) or `NO` (nodes are registered).
    pub word: Vec<u8>,
}

/// STOP_RESP: `STOPPED`, or `NOEXIST` followed by `STOPPED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopResp {
    /// The 7-byte words in order.
    pub words: Vec<Vec<u8>>,
}

/// NAMES_REQ, DUMP_REQ and KILL_REQ: just the code (epmd ignores anything after it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleReq {
    /// Bytes after the code inside the declared length (normally none).
    pub trailing: Vec<u8>,
}

/// Bytes that are not a known message. Requests keep their length prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// Request length prefix, when the frame is a request.
    pub prefix: Option<u16>,
    /// The bytes after the prefix (starting with the unknown tag).
    pub body: Vec<u8>,
}

/// Any EPMD frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpmdMessage {
    /// ALIVE2_REQ.
    Alive2Req(Alive2Req),
    /// ALIVE2_RESP.
    Alive2Resp(Alive2Resp),
    /// ALIVE2_X_RESP.
    Alive2XResp(Alive2XResp),
    /// PORT_PLEASE2_REQ.
    PortPlease2Req(PortPlease2Req),
    /// PORT2_RESP.
    Port2Resp(Port2Resp),
    /// NAMES_REQ.
    NamesReq(SimpleReq),
    /// NAMES_RESP.
    NamesResp(NamesResp),
    /// DUMP_REQ.
    DumpReq(SimpleReq),
    /// DUMP_RESP.
    DumpResp(DumpResp),
    /// KILL_REQ.
    KillReq(SimpleReq),
    /// KILL_RESP.
    KillResp(KillResp),
    /// STOP_REQ.
    StopReq(StopReq),
    /// STOP_RESP.
    StopResp(StopResp),
    /// An unknown tag.
    Unknown(Unknown),
}

impl EpmdMessage {
    /// The spec's name of this message.
    pub fn type_name(&self) -> &'static str {
        match self {
            EpmdMessage::Alive2Req(_) => "ALIVE2_REQ",
            EpmdMessage::Alive2Resp(_) => "ALIVE2_RESP",
            EpmdMessage::Alive2XResp(_) => "ALIVE2_X_RESP",
            EpmdMessage::PortPlease2Req(_) => "PORT_PLEASE2_REQ",
            EpmdMessage::Port2Resp(_) => "PORT2_RESP",
            EpmdMessage::NamesReq(_) => "NAMES_REQ",
            EpmdMessage::NamesResp(_) => "NAMES_RESP",
            EpmdMessage::DumpReq(_) => "DUMP_REQ",
            EpmdMessage::DumpResp(_) => "DUMP_RESP",
            EpmdMessage::KillReq(_) => "KILL_REQ",
            EpmdMessage::KillResp(_) => "KILL_RESP",
            EpmdMessage::StopReq(_) => "STOP_REQ",
            EpmdMessage::StopResp(_) => "STOP_RESP",
            EpmdMessage::Unknown(_) => "UNKNOWN",
        }
    }

    /// Request or reply.
    pub fn direction(&self) -> Direction {
        match self {
            EpmdMessage::Alive2Req(_)
            | EpmdMessage::PortPlease2Req(_)
            | EpmdMessage::NamesReq(_)
            | EpmdMessage::DumpReq(_)
            | EpmdMessage::KillReq(_)
            | EpmdMessage::StopReq(_) => Direction::Request,
            EpmdMessage::Unknown(u) if u.prefix.is_some() => Direction::Request,
            _ => Direction::Reply,
        }
    }

    /// The exact wire bytes, length prefix included for requests.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut body = Vec::new();
        match self {
            EpmdMessage::Alive2Req(m) => {
                body.push(ALIVE2_REQ);
                body.extend_from_slice(&m.port.to_be_bytes());
                body.push(m.node_type);
                body.push(m.protocol);
                body.extend_from_slice(&m.highest_version.to_be_bytes());
                body.extend_from_slice(&m.lowest_version.to_be_bytes());
                body.extend_from_slice(&len_u16(m.name.len(), "name")?);
                body.extend_from_slice(&m.name);
                body.extend_from_slice(&len_u16(m.extra.len(), "extra")?);
                body.extend_from_slice(&m.extra);
                body.extend_from_slice(&m.trailing);
            }
            EpmdMessage::PortPlease2Req(m) => {
                body.push(PORT_PLEASE2_REQ);
                body.extend_from_slice(&m.name);
                if m.nul_terminated {
                    body.push(0);
                }
            }
            EpmdMessage::NamesReq(m) | EpmdMessage::DumpReq(m) | EpmdMessage::KillReq(m) => {
                body.push(match self {
                    EpmdMessage::NamesReq(_) => NAMES_REQ,
                    EpmdMessage::DumpReq(_) => DUMP_REQ,
                    _ => KILL_REQ,
                });
                body.extend_from_slice(&m.trailing);
            }
            EpmdMessage::StopReq(m) => {
                body.push(STOP_REQ);
                body.extend_from_slice(&m.name);
            }
            EpmdMessage::Unknown(u) => {
                body.extend_from_slice(&u.body);
                return match u.prefix {
                    Some(p) => {
                        let mut out = p.to_be_bytes().to_vec();
                        out.extend_from_slice(&body);
                        Ok(out)
                    }
                    None => Ok(body),
                };
            }
            EpmdMessage::Alive2Resp(m) => {
                body.push(ALIVE2_RESP);
                body.push(m.result);
                body.extend_from_slice(&m.creation.to_be_bytes());
                return Ok(body);
            }
            EpmdMessage::Alive2XResp(m) => {
                body.push(ALIVE2_X_RESP);
                body.push(m.result);
                body.extend_from_slice(&m.creation.to_be_bytes());
                return Ok(body);
            }
            EpmdMessage::Port2Resp(Port2Resp::NotFound { result }) => {
                return Ok(vec![PORT2_RESP, *result]);
            }
            EpmdMessage::Port2Resp(Port2Resp::Found(n)) => {
                body.push(PORT2_RESP);
                body.push(0);
                body.extend_from_slice(&n.port.to_be_bytes());
                body.push(n.node_type);
                body.push(n.protocol);
                body.extend_from_slice(&n.highest_version.to_be_bytes());
                body.extend_from_slice(&n.lowest_version.to_be_bytes());
                body.extend_from_slice(&len_u16(n.name.len(), "name")?);
                body.extend_from_slice(&n.name);
                body.extend_from_slice(&len_u16(n.extra.len(), "extra")?);
                body.extend_from_slice(&n.extra);
                return Ok(body);
            }
            EpmdMessage::NamesResp(m) => {
                body.extend_from_slice(&m.epmd_port.to_be_bytes());
                for l in &m.lines {
                    body.extend_from_slice(&l.raw);
                }
                return Ok(body);
            }
            EpmdMessage::DumpResp(m) => {
                body.extend_from_slice(&m.epmd_port.to_be_bytes());
                for l in &m.lines {
                    body.extend_from_slice(&l.raw);
                }
                return Ok(body);
            }
            EpmdMessage::KillResp(m) => return Ok(m.word.clone()),
            EpmdMessage::StopResp(m) => return Ok(m.words.concat()),
        }
        let mut out = len_u16(body.len(), "length")?.to_vec();
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The JSON contract's `fields`: snake_case names to typed values
    /// (derived fields such as lengths are in the spans, not here).
    pub fn fields(&self) -> Vec<(String, Value)> {
        let f = |k: &str, v: Value| (k.to_string(), v);
        let node_fields = |n: &NodeInfo| {
            vec![
                f("port", Value::UInt(n.port.into())),
                f("node_type", Value::UInt(n.node_type.into())),
                f("protocol", Value::UInt(n.protocol.into())),
                f("highest_version", Value::UInt(n.highest_version.into())),
                f("lowest_version", Value::UInt(n.lowest_version.into())),
                f("name", text_value(&n.name)),
                f("extra", Value::Bytes(n.extra.clone())),
            ]
        };
        match self {
            EpmdMessage::Alive2Req(m) => node_fields(&m.node_info()),
            EpmdMessage::Alive2Resp(m) => vec![
                f("result", Value::UInt(m.result.into())),
                f("creation", Value::UInt(m.creation.into())),
            ],
            EpmdMessage::Alive2XResp(m) => vec![
                f("result", Value::UInt(m.result.into())),
                f("creation", Value::UInt(m.creation.into())),
            ],
            EpmdMessage::PortPlease2Req(m) => vec![f("name", text_value(&m.name))],
            EpmdMessage::Port2Resp(Port2Resp::NotFound { result }) => {
                vec![f("result", Value::UInt((*result).into()))]
            }
            EpmdMessage::Port2Resp(Port2Resp::Found(n)) => {
                let mut v = vec![f("result", Value::UInt(0))];
                v.extend(node_fields(n));
                v
            }
            EpmdMessage::NamesResp(m) => vec![
                f("epmd_port", Value::UInt(m.epmd_port.into())),
                f(
                    "nodes",
                    Value::List(
                        m.lines
                            .iter()
                            .map(|l| {
                                Value::Record(vec![
                                    f("name", text_value(&l.name)),
                                    f("port", Value::UInt(l.port)),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ],
            EpmdMessage::DumpResp(m) => vec![
                f("epmd_port", Value::UInt(m.epmd_port.into())),
                f(
                    "nodes",
                    Value::List(
                        m.lines
                            .iter()
                            .map(|l| {
                                Value::Record(vec![
                                    f("name", text_value(&l.name)),
                                    f("port", Value::UInt(l.port)),
                                    f("fd", Value::UInt(l.fd)),
                                    f(
                                        "state",
                                        Value::Text(
                                            if l.active { "active" } else { "old/unused" }.into(),
                                        ),
                                    ),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ],
            EpmdMessage::StopReq(m) => vec![f("name", text_value(&m.name))],
            EpmdMessage::KillResp(m) => vec![f("result", text_value(&m.word))],
            EpmdMessage::StopResp(m) => vec![
                f(
                    "result",
                    m.words
                        .first()
                        .map(|w| text_value(w))
                        .unwrap_or(Value::Null),
                ),
                f(
                    "words",
                    Value::List(m.words.iter().map(|w| text_value(w)).collect()),
                ),
            ],
            EpmdMessage::Unknown(u) => {
                let mut v = Vec::new();
                if let Some(t) = u.body.first() {
                    v.push(f("tag", Value::UInt((*t).into())));
                }
                v.push(f("bytes", Value::Bytes(u.body.clone())));
                v
            }
            EpmdMessage::NamesReq(_) | EpmdMessage::DumpReq(_) | EpmdMessage::KillReq(_) => {
                Vec::new()
            }
        }
    }
}

impl Alive2Req {
    /// The fields PORT2_RESP would echo for this registration.
    pub fn node_info(&self) -> NodeInfo {
        NodeInfo {
            port: self.port,
            node_type: self.node_type,
            protocol: self.protocol,
            highest_version: self.highest_version,
            lowest_version: self.lowest_version,
            name: self.name.clone(),
            extra: self.extra.clone(),
        }
    }
}

type Outcome = Result<(EpmdMessage, usize), (Stop, usize)>;

/// Reads one request. Records the frame type as soon as the tag is known.
pub(super) fn read_request(
    r: &mut Reader<'_>,
    type_name: &mut &'static str,
    notes: &mut Vec<Note>,
) -> Outcome {
    r.frame = "REQUEST";
    let total = r.remaining();
    let len = r
        .u16("length_prefix", |v| {
            format!(
                "length prefix 0x{v:04x} = {} follow",
                bytes_word(usize::from(v))
            )
        })
        .map_err(|s| (s, total))?;
    let frame_len = usize::from(len) + 2;
    let text = r.consumed_prefix_text();
    if let Some(t) = text {
        notes.push(Note {
            offset: r.offset().saturating_sub(2),
            field: "REQUEST.length_prefix".into(),
            message: format!(
                "the length prefix is the text {t:?} (ASCII 0x{len:04x} = {len}): numbers written as text? Every field is a binary big-endian integer: a 19-byte ALIVE2_REQ starts 00 11 78"
            ),
        });
    }
    if len == 0 {
        return Err((
            r.invalid(
                r.offset().saturating_sub(2),
                "length_prefix",
                "length prefix 0: a request has at least its 1-byte code (epmd: \"invalid packet size (0)\")",
            ),
            2,
        ));
    }
    if len > MAX_REQUEST_LEN {
        notes.push(Note {
            offset: r.offset().saturating_sub(2),
            field: "REQUEST.length_prefix".into(),
            message: format!(
                "length {len} is over epmd's limit of {MAX_REQUEST_LEN}: epmd logs \"invalid packet size ({len})\" and closes"
            ),
        });
    }
    let tag = r.rest().first().copied();
    if let Some(t) = tag {
        let name = request_name(t).unwrap_or("UNKNOWN");
        *type_name = name;
        r.frame = name;
        for n in notes.iter_mut() {
            if let Some(f) = n.field.strip_prefix("REQUEST.") {
                n.field = format!("{name}.{f}");
            }
        }
    }
    // Read the body inside the declared length; bytes beyond it are the next frame.
    let body_avail = r.remaining().min(usize::from(len));
    let truncated = body_avail < usize::from(len);
    let needed = usize::from(len) - body_avail;
    let rest = r.rest();
    let body = rest.get(..body_avail).unwrap_or(&[]);
    let mut br = Reader::new(body, r.offset(), r.frame);
    br.bounded = !truncated;
    let res = read_request_body(&mut br, len, notes);
    r.spans.append(&mut br.spans);
    match res {
        Ok(msg) if !truncated => Ok((msg, frame_len)),
        // The body was short: whatever stopped us, the frame simply is not whole yet,
        // unless the bytes we have are already wrong.
        Err(Stop::Invalid(e)) => Err((Stop::Invalid(e), frame_len)),
        Err(Stop::Incomplete(i)) => Err((
            Stop::Incomplete(Incomplete::with_reason(
                Some(needed),
                i.field,
                format!("the length prefix says {len}"),
            )),
            frame_len,
        )),
        Ok(_) => Err((
            Stop::Incomplete(Incomplete::with_reason(
                Some(needed),
                r.path("body"),
                format!("the length prefix says {len}"),
            )),
            frame_len,
        )),
    }
}

fn read_request_body(r: &mut Reader<'_>, len: u16, notes: &mut Vec<Note>) -> RResult<EpmdMessage> {
    let tag = r.u8("tag", tag_meaning)?;
    match tag {
        ALIVE2_REQ => {
            let port = r.u16("port", |v| {
                format!("PortNo {v}: the port this node listens on for distribution connections")
            })?;
            let node_type = r.u8("node_type", node_type_meaning)?;
            let protocol = r.u8("protocol", protocol_meaning)?;
            let highest_version = r.u16("highest_version", highest_meaning)?;
            let lowest_version = r.u16("lowest_version", lowest_meaning)?;
            if highest_version < lowest_version {
                notes.push(Note {
                    offset: r.offset().saturating_sub(4),
                    field: r.path("highest_version"),
                    message: format!(
                        "HighestVersion {highest_version} < LowestVersion {lowest_version}: HighestVersion comes first on the wire"
                    ),
                });
            }
            let nlen_at = r.offset();
            let nlen = r.u16("name_len", |v| len_meaning("Nlen", v))?;
            if r.bounded && usize::from(nlen) + 2 > r.remaining() {
                return Err(r.invalid(
                    nlen_at,
                    "name_len",
                    format!(
                        "Nlen declares {nlen} name bytes, but the length prefix leaves {} for the name and Elen (epmd: \"Node name size error\")",
                        r.remaining()
                    ),
                ));
            }
            let name_at = r.offset();
            let name = r.text(usize::from(nlen), "name", |b| {
                format!(
                    "NodeName \"{}\": the alive part of the node name only (no @host)",
                    lossy(b)
                )
            })?;
            check_name(r, name_at, name, notes)?;
            let elen_at = r.offset();
            let elen = r.u16("extra_len", |v| {
                if v == 0 {
                    "Elen 0 = no extra data (what OTP sends)".to_string()
                } else {
                    len_meaning("Elen", v)
                }
            })?;
            if r.bounded && usize::from(elen) > r.remaining() {
                return Err(r.invalid(
                    elen_at,
                    "extra_len",
                    format!(
                        "Elen declares {elen} extra bytes, but the length prefix leaves {} (epmd: \"Extra info size error\")",
                        r.remaining()
                    ),
                ));
            }
            let extra = if elen > 0 {
                r.bytes(usize::from(elen), "extra", |_| {
                    "Extra: opaque bytes epmd stores and echoes in PORT2_RESP".to_string()
                })?
                .to_vec()
            } else {
                Vec::new()
            };
            let trailing = read_trailing(r, notes)?;
            if len < 14 {
                notes.push(Note {
                    offset: r.offset(),
                    field: r.path("length_prefix"),
                    message: format!("epmd needs more than 13 body bytes (got {len}): \"packet to small for request ALIVE2_REQ\""),
                });
            }
            Ok(EpmdMessage::Alive2Req(Alive2Req {
                port,
                node_type,
                protocol,
                highest_version,
                lowest_version,
                name: name.to_vec(),
                extra,
                trailing,
            }))
        }
        PORT_PLEASE2_REQ | STOP_REQ => {
            let rest = r.rest();
            let nul = tag == PORT_PLEASE2_REQ && rest.last() == Some(&0);
            let name_len = rest.len() - usize::from(nul);
            let at = r.offset();
            if name_len == 0 && r.bounded {
                return Err(r.invalid(
                    at,
                    "name",
                    "empty node name: epmd answers nothing (\"packet too small\")",
                ));
            }
            let name = r.text(name_len, "name", |b| {
                format!(
                    "NodeName \"{}\": alive part only, the rest of the frame (no length field, no terminator)",
                    lossy(b)
                )
            })?;
            if !r.bounded {
                // More of the name may follow.
                return Err(Stop::Incomplete(Incomplete::new(None, r.path("name"))));
            }
            check_name(r, at, name, notes)?;
            if nul {
                r.bytes(1, "nul_terminator", |_| {
                    "a trailing NUL: epmd tolerates one and strips it".to_string()
                })?;
            }
            Ok(if tag == STOP_REQ {
                EpmdMessage::StopReq(StopReq {
                    name: name.to_vec(),
                })
            } else {
                EpmdMessage::PortPlease2Req(PortPlease2Req {
                    name: name.to_vec(),
                    nul_terminated: nul,
                })
            })
        }
        NAMES_REQ | DUMP_REQ | KILL_REQ => {
            let trailing = read_trailing(r, notes)?;
            let req = SimpleReq { trailing };
            Ok(match tag {
                NAMES_REQ => EpmdMessage::NamesReq(req),
                DUMP_REQ => EpmdMessage::DumpReq(req),
                _ => EpmdMessage::KillReq(req),
            })
        }
        _ => {
            let rest = r.rest().to_vec();
            if !rest.is_empty() {
                r.bytes(rest.len(), "body", |_| {
                    "the rest of the frame (unknown request: not interpreted)".to_string()
                })?;
            }
            let mut body = vec![tag];
            body.extend_from_slice(&rest);
            Ok(EpmdMessage::Unknown(Unknown {
                prefix: Some(len),
                body,
            }))
        }
    }
}

/// Bytes after the last field inside the declared length.
fn read_trailing(r: &mut Reader<'_>, notes: &mut Vec<Note>) -> RResult<Vec<u8>> {
    let n = r.remaining();
    if n == 0 {
        return Ok(Vec::new());
    }
    let at = r.offset();
    notes.push(Note {
        offset: at,
        field: r.path("trailing"),
        message: format!("{} after the last field: epmd ignores them", bytes_word(n)),
    });
    Ok(r.bytes(n, "trailing", |_| {
        "bytes after the last field, inside the length prefix: ignored by epmd".to_string()
    })?
    .to_vec())
}

fn check_name(r: &Reader<'_>, at: usize, name: &[u8], notes: &mut Vec<Note>) -> RResult<()> {
    if let Some(i) = name.iter().position(|&b| b == 0) {
        return Err(r.invalid(
            at + i,
            "name",
            "node name contains a NUL byte: epmd rejects it and answers nothing",
        ));
    }
    if let Some(i) = name.iter().position(|&b| b == b'@') {
        notes.push(Note {
            offset: at + i,
            field: r.path("name"),
            message: format!(
                "the name contains '@': epmd wants the alive part only (\"{}\"), not name@host",
                lossy(name.get(..i).unwrap_or(&[]))
            ),
        });
    }
    match std::str::from_utf8(name) {
        Err(e) => notes.push(Note {
            offset: at + e.valid_up_to(),
            field: r.path("name"),
            message: "the name is not valid UTF-8: epmd refuses it".into(),
        }),
        Ok(s) if s.chars().count() > 255 => notes.push(Note {
            offset: at,
            field: r.path("name"),
            message: format!("{} characters: epmd allows at most 255", s.chars().count()),
        }),
        Ok(_) => {}
    }
    Ok(())
}

/// Reads one reply.
pub(super) fn read_reply(
    r: &mut Reader<'_>,
    ctx: ReplyContext,
    type_name: &mut &'static str,
    notes: &mut Vec<Note>,
) -> Outcome {
    let total = r.remaining();
    r.bounded = false;
    let Some(&first) = r.rest().first() else {
        return Err((
            Stop::Incomplete(Incomplete::new(Some(1), "REPLY.tag".into())),
            0,
        ));
    };
    let kind = classify_reply(r.rest(), ctx);
    *type_name = kind;
    r.frame = kind;
    let res: RResult<EpmdMessage> = (|| match kind {
        "ALIVE2_RESP" | "ALIVE2_X_RESP" => {
            r.u8("tag", tag_meaning)?;
            let result = r.u8("result", |v| result_meaning(v, "registered"))?;
            if kind == "ALIVE2_RESP" {
                let creation = r.u16("creation", |c| creation_meaning(result, c.into(), false))?;
                Ok(EpmdMessage::Alive2Resp(Alive2Resp { result, creation }))
            } else {
                let creation = r.u32("creation", |c| creation_meaning(result, c.into(), true))?;
                Ok(EpmdMessage::Alive2XResp(Alive2XResp { result, creation }))
            }
        }
        "PORT2_RESP" => {
            r.u8("tag", tag_meaning)?;
            let result = r.u8("result", |v| {
                if v == 0 {
                    "result 0 = found: the node's registration follows".to_string()
                } else {
                    format!("result {v} = not found: no node of that name is registered (the reply ends here)")
                }
            })?;
            if result != 0 {
                return Ok(EpmdMessage::Port2Resp(Port2Resp::NotFound { result }));
            }
            let port = r.u16("port", |v| {
                format!("PortNo {v}: connect here for the distribution handshake (this is the node, not epmd)")
            })?;
            let node_type = r.u8("node_type", node_type_meaning)?;
            let protocol = r.u8("protocol", protocol_meaning)?;
            let highest_version = r.u16("highest_version", |v| {
                format!("HighestVersion {v}: the node speaks distribution versions up to {v}")
            })?;
            let lowest_version = r.u16("lowest_version", lowest_meaning)?;
            let nlen = r.u16("name_len", |v| len_meaning("Nlen", v))?;
            let name = r.text(usize::from(nlen), "name", |b| {
                format!("NodeName \"{}\": the registered alive name", lossy(b))
            })?;
            let elen = r.u16("extra_len", |v| {
                if v == 0 {
                    "Elen 0 = no extra data".to_string()
                } else {
                    len_meaning("Elen", v)
                }
            })?;
            let extra = if elen > 0 {
                r.bytes(usize::from(elen), "extra", |_| {
                    "Extra: the bytes the node registered with".to_string()
                })?
                .to_vec()
            } else {
                Vec::new()
            };
            Ok(EpmdMessage::Port2Resp(Port2Resp::Found(NodeInfo {
                port,
                node_type,
                protocol,
                highest_version,
                lowest_version,
                name: name.to_vec(),
                extra,
            })))
        }
        "KILL_RESP" => {
            let w = r.text(2, "result", |b| match b {
                b"OK" => "\"OK\": epmd is exiting".to_string(),
                _ => "\"NO\": nodes are registered and -relaxed_command_check is off, so epmd keeps running".to_string(),
            })?;
            Ok(EpmdMessage::KillResp(KillResp { word: w.to_vec() }))
        }
        "STOP_RESP" => {
            let mut words = Vec::new();
            loop {
                let i = words.len();
                let field = if i == 0 {
                    "result".to_string()
                } else {
                    format!("result[{i}]")
                };
                let w = r.text(7, &field, |b| match b {
                    b"STOPPED" => {
                        "\"STOPPED\": the registration is gone and its socket closed".to_string()
                    }
                    b"NOEXIST" => {
                        "\"NOEXIST\": no such name; epmd then also sends STOPPED (14 bytes in all)"
                            .to_string()
                    }
                    _ => "not a STOP_RESP word".to_string(),
                })?;
                let word = w.to_vec();
                if word != b"STOPPED" && word != b"NOEXIST" {
                    return Err(r.invalid(
                        r.offset() - 7,
                        &field,
                        format!("expected STOPPED or NOEXIST, found {:?}", lossy(&word)),
                    ));
                }
                let noexist = word == b"NOEXIST";
                words.push(word);
                if !noexist || words.len() > 1 {
                    break;
                }
                if r.remaining() == 0 && ctx.eof {
                    break;
                }
            }
            Ok(EpmdMessage::StopResp(StopResp { words }))
        }
        "NAMES_RESP" | "DUMP_RESP" => {
            let epmd_port = r.u32("epmd_port", |p| {
                format!("EPMDPortNo {p}: epmd's own port, as a 4-byte integer (not 2)")
            })?;
            if kind == "NAMES_RESP" {
                let lines = read_names_lines(r, ctx.eof)?;
                Ok(EpmdMessage::NamesResp(NamesResp { epmd_port, lines }))
            } else {
                let lines = read_dump_lines(r, ctx.eof)?;
                Ok(EpmdMessage::DumpResp(DumpResp { epmd_port, lines }))
            }
        }
        _ => {
            let n = r.remaining();
            let all = r.rest().to_vec();
            r.bytes(n, "bytes", |_| {
                format!(
                    "{}: not an epmd reply (first byte {} {}); shown as raw bytes",
                    bytes_word(n),
                    first,
                    char_label(first)
                )
            })?;
            Ok(EpmdMessage::Unknown(Unknown {
                prefix: None,
                body: all,
            }))
        }
    })();
    match res {
        Ok(m) => {
            let used = total - r.remaining();
            if let EpmdMessage::Alive2XResp(Alive2XResp {
                result: 0,
                creation,
            }) = &m
            {
                if *creation < 4 {
                    notes.push(Note {
                        offset: r.offset().saturating_sub(4),
                        field: r.path("creation"),
                        message: format!("creation {creation}: epmd gives version-6 registrations creations >= 4; 0..3 are for version 5"),
                    });
                }
            }
            Ok((m, used))
        }
        Err(Stop::Incomplete(i)) => Err((Stop::Incomplete(i), total)),
        Err(Stop::Invalid(e)) => Err((Stop::Invalid(e), total)),
    }
}

fn creation_meaning(result: u8, c: u64, wide: bool) -> String {
    if result != 0 && c == 99 {
        "creation 99: the placeholder epmd sends with an error".to_string()
    } else if wide {
        format!("creation {c}: this incarnation's 32-bit number, used in its pids, ports and refs")
    } else {
        format!("creation {c}: this incarnation's number (16-bit reply: 1..3 from epmd)")
    }
}

/// Decides which reply the bytes are, from the first bytes and the context.
fn classify_reply(data: &[u8], ctx: ReplyContext) -> &'static str {
    let expected = match ctx.answers {
        Some(NAMES_REQ) => Some("NAMES_RESP"),
        Some(DUMP_REQ) => Some("DUMP_RESP"),
        Some(KILL_REQ) => Some("KILL_RESP"),
        Some(STOP_REQ) => Some("STOP_RESP"),
        _ => None,
    };
    if let Some(e) = expected {
        return e;
    }
    match data {
        [ALIVE2_X_RESP, ..] => "ALIVE2_X_RESP",
        [ALIVE2_RESP, ..] => "ALIVE2_RESP",
        [PORT2_RESP, ..] => "PORT2_RESP",
        [b'O', b'K', ..] | [b'O'] => "KILL_RESP",
        [b'N', b'O', b'E', ..] => "STOP_RESP",
        [b'N', b'O', ..] | [b'N'] => "KILL_RESP",
        [b'S', ..] if b"STOPPED".starts_with(data.get(..data.len().min(7)).unwrap_or(&[])) => {
            "STOP_RESP"
        }
        [0, 0, ..] | [0] => {
            if data
                .get(4..)
                .is_some_and(|t| t.starts_with(b"active name") || t.starts_with(b"old/unused"))
            {
                "DUMP_RESP"
            } else {
                "NAMES_RESP"
            }
        }
        _ => "UNKNOWN",
    }
}
