//! From input text or bytes to the report every front end renders, and its
//! JSON form (docs/json-contract.md).

use crate::conn::Side;
use crate::epmd::{
    decode_reply, decode_request, request_name, Decoded, Direction, Note, ReplyContext, Status,
    ALIVE2_RESP, ALIVE2_X_RESP, PORT2_RESP,
};
use crate::input::{self, conversation, epmd_log, Format, InputError};
use crate::lint::{self, Lint};
use crate::session::{
    Phase, Protocol, ProtocolChoice, Reassembled, Session, SessionFrame, SessionOptions,
};
use crate::span::{Span, SpanJson, Value};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Which input format to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatChoice {
    /// Detect it.
    #[default]
    Auto,
    /// Plain hex.
    Hex,
    /// `epmd -d -d -d` output.
    EpmdLog,
    /// The bytes themselves.
    Raw,
    /// Wireshark's "Follow TCP Stream" hex dump (`tshark -q -z follow,tcp,hex,N`).
    TcpFollow,
    /// Per-stream same-direction runs (`*.streams.txt`).
    Streams,
    /// A packet capture file (pcap or pcapng): TCP reassembled per
    /// connection, each decoded as a session.
    Pcap,
    /// Any text format by name ([`Format::from_name`]): the dumps (`xxd`,
    /// `hexdump-c`, `od`, `tshark-x`, `tcpdump-x`, ...), the literals
    /// (`erlang-binary`, `js-array`, `python-bytes`, `node-buffer`, ...),
    /// `base64`. `Named(Format::Hex)` is the same as [`FormatChoice::Hex`].
    Named(Format),
}

impl FormatChoice {
    /// The choice named `name`: `auto`, `pcap`, or a [`Format`] name.
    pub fn from_name(name: &str) -> Option<FormatChoice> {
        Some(match name {
            "auto" => FormatChoice::Auto,
            "pcap" => FormatChoice::Pcap,
            "hex" => FormatChoice::Hex,
            "epmd-log" => FormatChoice::EpmdLog,
            "raw" => FormatChoice::Raw,
            "tcp-follow" => FormatChoice::TcpFollow,
            "streams" => FormatChoice::Streams,
            other => FormatChoice::Named(Format::from_name(other)?),
        })
    }

    /// The choice's name ([`FormatChoice::from_name`] reads it back).
    pub fn name(self) -> &'static str {
        match self {
            FormatChoice::Auto => "auto",
            FormatChoice::Pcap => "pcap",
            FormatChoice::Hex => "hex",
            FormatChoice::EpmdLog => "epmd-log",
            FormatChoice::Raw => "raw",
            FormatChoice::TcpFollow => "tcp-follow",
            FormatChoice::Streams => "streams",
            FormatChoice::Named(f) => f.as_str(),
        }
    }
}

/// Which way the bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirectionChoice {
    /// Infer per frame (and say so).
    #[default]
    Auto,
    /// Client to epmd.
    Request,
    /// epmd to client.
    Reply,
}

/// Options for [`decode_text`] and [`decode_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// Input format.
    pub format: FormatChoice,
    /// Direction (for a node connection: request = the initiator's bytes,
    /// reply = the acceptor's).
    pub direction: DirectionChoice,
    /// EPMD, node connection, or detect.
    pub protocol: ProtocolChoice,
    /// The cookie, to check handshake digests.
    pub cookie: Option<Vec<u8>>,
}

/// Where a frame's direction came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The user said it (`--direction`).
    Given,
    /// The epmd log's `** got` / `** sent` lines say it.
    Log,
    /// Guessed from the bytes.
    Inferred,
}

/// One decoded frame: the JSON contract's frame object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The spec's name (`ALIVE2_REQ`, …, `UNKNOWN`).
    pub type_name: &'static str,
    /// Request or reply.
    pub direction: Direction,
    /// True when the direction was inferred from the bytes.
    pub direction_inferred: bool,
    /// Where the direction came from.
    pub direction_source: Source,
    /// Why this direction.
    pub direction_reason: String,
    /// Offset of the frame in the decoded byte stream.
    pub offset: usize,
    /// The frame's bytes.
    pub bytes: Vec<u8>,
    /// Named values (empty unless the frame decoded completely).
    pub fields: Vec<(String, Value)>,
    /// The span tree; offsets are absolute in the byte stream.
    pub spans: Vec<Span>,
    /// The decode status.
    pub status: Status,
    /// Remarks (not errors).
    pub notes: Vec<Note>,
    /// 1-based line in the input text where the frame came from (logs).
    pub line: Option<usize>,
    /// What epmd's log says about this frame.
    pub epmd_says: Vec<String>,
    /// EPMD or node connection.
    pub protocol: Protocol,
    /// Who sent it: the side that connected (initiator) or accepted.
    pub side: Side,
    /// EPMD, handshake or connected phase.
    pub phase: Phase,
    /// Index of the conversation in [`Report::connections`], when the input
    /// held conversations (follow dumps, runs listings, captures).
    pub stream: Option<usize>,
    /// For the last fragment of a fragmented message: the whole message.
    pub reassembled: Option<Reassembled>,
    /// Classic mistakes recognised in the frame ([`crate::lint`]).
    pub lint: Vec<Lint>,
}

/// One conversation of the input: what it was decoded as and what its
/// handshake established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// How the input names it (`stream 3`).
    pub label: String,
    /// What it was decoded as (`None`: nothing to decide from).
    pub protocol: Option<Protocol>,
    /// Why (`detected: ...`, `given: dist`).
    pub protocol_reason: String,
    /// The initiator's address, when the input gives it.
    pub initiator: Option<String>,
    /// The acceptor's address.
    pub acceptor: Option<String>,
    /// 1-based line of the input where it starts.
    pub line: Option<usize>,
    /// What the handshake established (names, flags, digests) and the atom
    /// caches, by snake_case name.
    pub details: Vec<(String, Value)>,
}

/// The result of decoding an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `hex`, `epmd-log` or `raw`.
    pub format: &'static str,
    /// True when the format was detected rather than chosen.
    pub format_detected: bool,
    /// Frames in order.
    pub frames: Vec<Frame>,
    /// Input-level remarks (log lines ignored, ...).
    pub notes: Vec<String>,
    /// The input could not be read at all (bad hex): where and why.
    pub input_error: Option<InputError>,
    /// The conversations, when the input held whole conversations.
    pub connections: Vec<Connection>,
    /// Classic mistakes about the input as a whole, when it is not frames
    /// at all (decimal numbers typed as text).
    pub lint: Vec<Lint>,
}

impl Report {
    fn empty(format: Format, detected: bool) -> Report {
        Report {
            format: format.as_str(),
            format_detected: detected,
            frames: Vec::new(),
            notes: Vec::new(),
            input_error: None,
            connections: Vec::new(),
            lint: Vec::new(),
        }
    }
}

/// Decodes pasted text: any [`Format`] but raw bytes and capture files,
/// detected ([`input::detect`]) or chosen.
pub fn decode_text(text: &str, opts: &DecodeOptions) -> Report {
    let (format, detected) = match opts.format {
        FormatChoice::Auto => (input::detect(text), true),
        FormatChoice::Hex => (Format::Hex, false),
        FormatChoice::EpmdLog => (Format::EpmdLog, false),
        FormatChoice::TcpFollow => (Format::TcpFollow, false),
        FormatChoice::Streams => (Format::Streams, false),
        FormatChoice::Named(Format::Raw) | FormatChoice::Raw | FormatChoice::Pcap => {
            return decode_bytes(text.as_bytes(), opts)
        }
        FormatChoice::Named(f) => (f, false),
    };
    match format {
        Format::EpmdLog => decode_log(text, opts, detected),
        Format::TcpFollow | Format::Streams => {
            let parsed = if format == Format::TcpFollow {
                conversation::parse_follow(text)
            } else {
                conversation::parse_streams(text)
            };
            match parsed {
                Ok(c) => {
                    let mut r = decode_conversations(&c.conversations, opts);
                    r.format = format.as_str();
                    r.format_detected = detected;
                    r.notes.splice(0..0, c.notes);
                    lint::report(&mut r);
                    r
                }
                Err(e) => Report {
                    input_error: Some(e),
                    ..Report::empty(format, detected)
                },
            }
        }
        f if f.is_packets() => decode_packet_dump(text, f, opts, detected),
        _ => match input::read_bytes(text, format) {
            Ok(tb) => {
                let mut r = decode_one_stream(&tb.bytes, opts);
                r.format = format.as_str();
                r.format_detected = detected;
                r.notes
                    .splice(0..0, tb.notes.iter().map(ToString::to_string));
                r
            }
            Err(e) => Report {
                input_error: Some(e),
                lint: lint::text(text),
                ..Report::empty(format, detected)
            },
        },
    }
}

/// A packet dump (`tshark -x`, `tcpdump -X` / `-xx`): the packets laid
/// into a capture and decoded as one ([`crate::capture`]), every TCP
/// connection with its ports; a dump whose rows are not packets (a payload
/// copied as a hex dump) is decoded as the bytes it shows.
fn decode_packet_dump(text: &str, format: Format, opts: &DecodeOptions, detected: bool) -> Report {
    let tool = match format {
        Format::TsharkX => "tshark -x",
        _ => "tcpdump",
    };
    let parsed = match format {
        Format::TsharkX => input::dumps::parse_tshark(text),
        _ => input::dumps::parse_tcpdump(text),
    };
    let dump = match parsed {
        Ok(d) => d,
        Err(e) => {
            return Report {
                input_error: Some(e),
                ..Report::empty(format, detected)
            }
        }
    };
    let mut notes: Vec<String> = dump.notes.iter().map(ToString::to_string).collect();
    let ip_first = format == Format::TcpdumpX;
    let Some((link, n)) = input::packets::dump_link(&dump.packets, ip_first) else {
        let bytes: Vec<u8> = dump
            .packets
            .iter()
            .flat_map(|p| p.bytes.iter().copied())
            .collect();
        let mut r = decode_one_stream(&bytes, opts);
        notes.push(format!(
            "no packet of the {tool} dump has IP and TCP headers: its {} bytes are decoded as they are (a payload copied as a hex dump?)",
            bytes.len()
        ));
        r.notes.splice(0..0, notes);
        r.format = format.as_str();
        r.format_detected = detected;
        return r;
    };
    let format = match (detected, format, link) {
        (true, Format::TcpdumpX | Format::TcpdumpXx, crate::capture::net::LinkType::RAW) => {
            Format::TcpdumpX
        }
        (true, Format::TcpdumpX | Format::TcpdumpXx, _) => Format::TcpdumpXx,
        _ => format,
    };
    let pcap = input::packets::to_pcap(&dump.packets, link);
    let copts = crate::capture::CaptureOptions {
        cookie: opts.cookie.clone(),
        protocol: opts.protocol,
        ..Default::default()
    };
    let mut r = crate::capture::decode_capture(&pcap, &copts);
    r.format = format.as_str();
    r.format_detected = detected;
    let places: Vec<String> = dump
        .packets
        .iter()
        .enumerate()
        .take(20)
        .map(|(i, p)| format!("{} at line {}", i + 1, p.line))
        .collect();
    if !dump.packets.iter().any(|p| {
        p.header
            .as_deref()
            .and_then(input::packets::tcpdump_time)
            .is_some()
    }) {
        notes.push(format!("{tool} shows no packet times: every t= below is 0"));
    }
    notes.push(format!(
        "{tool}: {} packets read as {link} ({n} of them TCP); numbered in text order: packet {}{}",
        dump.packets.len(),
        places.join(", "),
        if dump.packets.len() > 20 { ", ..." } else { "" }
    ));
    for note in std::mem::take(&mut r.notes) {
        notes.push(match note.strip_prefix("pcap: ") {
            Some(rest) => format!("{tool}: {rest}"),
            None => note,
        });
    }
    r.notes = notes;
    lint::report(&mut r);
    r
}

/// Decodes raw bytes as a stream of EPMD frames.
///
/// A pcap or pcapng file (by its magic number, with [`FormatChoice::Auto`]
/// or [`FormatChoice::Pcap`]) is decoded as a capture
/// ([`crate::capture::decode_capture`], epmd on its default port).
pub fn decode_bytes(bytes: &[u8], opts: &DecodeOptions) -> Report {
    let auto = opts.format == FormatChoice::Auto;
    if opts.format == FormatChoice::Pcap || (auto && crate::capture::is_capture(bytes)) {
        let copts = crate::capture::CaptureOptions {
            cookie: opts.cookie.clone(),
            protocol: opts.protocol,
            ..Default::default()
        };
        let mut r = crate::capture::decode_capture(bytes, &copts);
        r.format_detected = auto;
        lint::report(&mut r);
        return r;
    }
    let mut r = decode_one_stream(bytes, opts);
    r.format = Format::Raw.as_str();
    r.format_detected = opts.format == FormatChoice::Auto;
    r
}

/// Guesses the direction of the bytes at the front of `b`.
pub fn infer_direction(b: &[u8]) -> (Direction, String) {
    let prefix = match b {
        [x, y, ..] => Some(u16::from_be_bytes([*x, *y])),
        _ => None,
    };
    if let (Some(len), Some(&code)) = (prefix, b.get(2)) {
        // Over epmd's limit is no request (`76 00 6b ...` is an
        // ALIVE2_X_RESP, not a KILL_REQ of 30208 bytes).
        if (1..=crate::epmd::MAX_REQUEST_LEN).contains(&len) {
            if let Some(name) = request_name(code) {
                return (
                    Direction::Request,
                    format!("inferred: a 2-byte length prefix ({len}) then the request code {code} ({name})"),
                );
            }
        }
    }
    let word = |w: &[u8]| b.starts_with(w) || (!b.is_empty() && w.starts_with(b));
    match b.first() {
        Some(&c @ (ALIVE2_X_RESP | ALIVE2_RESP | PORT2_RESP)) => {
            return (
                Direction::Reply,
                format!("inferred: starts with the reply code {c} and no length prefix"),
            )
        }
        _ if word(b"OK") || word(b"NO") || word(b"STOPPED") || word(b"NOEXIST") => {
            return (
                Direction::Reply,
                "inferred: an ASCII word that epmd answers KILL_REQ/STOP_REQ with".into(),
            )
        }
        Some(0) if b.get(1) == Some(&0) => {
            return (
                Direction::Reply,
                "inferred: a 4-byte port number (NAMES_RESP/DUMP_RESP); a request's length prefix is never 0".into(),
            )
        }
        _ => {}
    }
    match prefix {
        Some(len) if len >= 1 && usize::from(len) + 2 <= b.len() => (
            Direction::Request,
            format!("inferred: the first 2 bytes read as a plausible length prefix ({len}), but the code is not a known request"),
        ),
        // Printable text sent to epmd (numbers written as ASCII): show it as
        // the request epmd would take it for.
        Some(len) if b.iter().all(|c| (0x20..0x7f).contains(c)) => (
            Direction::Request,
            format!("inferred: printable text, read as epmd reads a request (length prefix {len})"),
        ),
        _ => (
            Direction::Reply,
            "inferred: neither a known request nor a known reply; shown as raw bytes".into(),
        ),
    }
}

/// Splits a byte stream into frames and decodes each.
pub fn decode_stream(bytes: &[u8], direction: DirectionChoice) -> Report {
    let mut frames = Vec::new();
    let mut pos = 0;
    let mut last_request: Option<u8> = None;
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let (dir, source, reason) = match direction {
            DirectionChoice::Request => (
                Direction::Request,
                Source::Given,
                "given: request".to_string(),
            ),
            DirectionChoice::Reply => (Direction::Reply, Source::Given, "given: reply".to_string()),
            DirectionChoice::Auto => {
                let (d, why) = infer_direction(rest);
                (d, Source::Inferred, why)
            }
        };
        let d = match dir {
            Direction::Request => decode_request(rest, pos),
            Direction::Reply => decode_reply(
                rest,
                pos,
                ReplyContext {
                    eof: true,
                    answers: last_request.take(),
                },
            ),
        };
        if dir == Direction::Request {
            last_request = rest.get(2).copied();
        }
        let consumed = d.consumed.max(1).min(rest.len());
        let frame_bytes = rest.get(..consumed).unwrap_or(&[]).to_vec();
        let mut f = make_frame(d, pos, frame_bytes, source, reason);
        f.lint = lint::epmd_frame(&f, rest);
        frames.push(f);
        pos += consumed;
    }
    Report {
        frames,
        ..Report::empty(Format::Hex, true)
    }
}

fn make_frame(d: Decoded, offset: usize, bytes: Vec<u8>, source: Source, reason: String) -> Frame {
    let mut spans = d.spans;
    // An invalid frame: the bytes after the last decoded field are shown as
    // not decoded, so the leaves still cover the whole frame.
    if let Status::Invalid(e) = &d.status {
        let end = offset + bytes.len();
        let from = crate::span::leaves(&spans)
            .last()
            .map_or(offset, |l| l.end());
        if from < end {
            spans.push(Span::leaf(
                "undecoded",
                from,
                end - from,
                Value::Bytes(bytes.get(from - offset..).unwrap_or(&[]).to_vec()),
                format!(
                    "not decoded: the frame is invalid at byte {} ({})",
                    e.offset, e.field
                ),
            ));
        }
    }
    Frame {
        type_name: d.type_name,
        direction: d.direction,
        direction_inferred: source == Source::Inferred,
        direction_source: source,
        direction_reason: reason,
        offset,
        fields: d.message.as_ref().map(|m| m.fields()).unwrap_or_default(),
        bytes,
        spans,
        status: d.status,
        notes: d.notes,
        line: None,
        epmd_says: Vec::new(),
        protocol: Protocol::Epmd,
        side: match d.direction {
            Direction::Request => Side::Initiator,
            Direction::Reply => Side::Acceptor,
        },
        phase: Phase::Epmd,
        stream: None,
        reassembled: None,
        lint: Vec::new(),
    }
}

/// epmd's log name of a request → the spec's name.
fn spec_name(epmd_name: &str) -> &str {
    match epmd_name {
        "PORT2_REQ" => "PORT_PLEASE2_REQ",
        other => other,
    }
}

fn decode_log(text: &str, opts: &DecodeOptions, detected: bool) -> Report {
    let parsed = epmd_log::parse(text);
    let mut frames = Vec::new();
    let mut pos = 0usize;
    for lf in parsed.frames {
        let (dir, source, reason) = match (opts.direction, lf.direction) {
            (DirectionChoice::Request, _) => (
                Direction::Request,
                Source::Given,
                "given: request".to_string(),
            ),
            (DirectionChoice::Reply, _) => {
                (Direction::Reply, Source::Given, "given: reply".to_string())
            }
            (DirectionChoice::Auto, Some(d)) => (d, Source::Log, lf.reason.clone()),
            (DirectionChoice::Auto, None) => {
                let (d, why) = infer_direction(&lf.bytes);
                (
                    d,
                    Source::Inferred,
                    format!("{why} (no `** got`/`** sent` line says)"),
                )
            }
        };
        let d = match dir {
            Direction::Request => decode_request(&lf.bytes, pos),
            Direction::Reply => decode_reply(
                &lf.bytes,
                pos,
                ReplyContext {
                    eof: lf.missing == 0,
                    answers: lf.answers,
                },
            ),
        };
        let mut notes = d.notes.clone();
        if let Some(name) = &lf.epmd_type {
            if spec_name(name) != d.type_name {
                notes.push(Note {
                    offset: pos,
                    field: d.type_name.to_string(),
                    message: format!(
                        "epmd logged `** got {name}` but the bytes decode as {}",
                        d.type_name
                    ),
                });
            }
        }
        if lf.missing > 0 {
            notes.push(Note {
                offset: pos + lf.bytes.len(),
                field: d.type_name.to_string(),
                message: format!(
                    "{} more bytes went over the wire than the log shows",
                    lf.missing
                ),
            });
        }
        let len = lf.bytes.len();
        // Two requests in one read: bytes past a complete frame are frames of their own.
        let split = if d.status.is_complete() && d.consumed < len {
            d.consumed
        } else {
            len
        };
        let mut f = make_frame(
            d,
            pos,
            lf.bytes.get(..split).unwrap_or(&[]).to_vec(),
            source,
            reason,
        );
        f.notes = notes;
        f.line = Some(lf.line);
        f.epmd_says = lf.epmd_says;
        f.lint = lint::epmd_frame(&f, &lf.bytes);
        frames.push(f);
        if let Some(extra) = lf.bytes.get(split..).filter(|e| !e.is_empty()) {
            for mut g in decode_stream(extra, opts.direction).frames {
                shift(&mut g, pos + split);
                g.line = Some(lf.line);
                g.direction_reason =
                    format!("{} (more bytes in the same dump)", g.direction_reason);
                frames.push(g);
            }
        }
        pos += len;
    }
    let mut notes: Vec<String> = parsed
        .notes
        .iter()
        .map(|n| format!("line {}: {}", n.line, n.message))
        .collect();
    if parsed.table_lines > 0 {
        notes.push(format!(
            "{} node-table lines (`*****     active name ...`) carry no frame bytes: not decoded",
            parsed.table_lines
        ));
    }
    Report {
        frames,
        notes,
        ..Report::empty(Format::EpmdLog, detected)
    }
}

/// Moves a frame (its offset, spans, notes and error) `by` bytes on.
pub(crate) fn shift(f: &mut Frame, by: usize) {
    fn shift_spans(spans: &mut [Span], by: usize) {
        for s in spans {
            s.offset += by;
            shift_spans(&mut s.children, by);
        }
    }
    f.offset += by;
    shift_spans(&mut f.spans, by);
    for n in &mut f.notes {
        n.offset += by;
    }
    match &mut f.status {
        Status::Invalid(e) => e.offset += by,
        Status::Complete | Status::Incomplete(_) => {}
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("format", self.format)?;
        m.serialize_entry("format_detected", &self.format_detected)?;
        m.serialize_entry("frames", &self.frames)?;
        m.serialize_entry("notes", &self.notes)?;
        m.serialize_entry("input_error", &self.input_error)?;
        m.serialize_entry("connections", &self.connections)?;
        m.serialize_entry("lint", &self.lint)?;
        m.end()
    }
}

struct Fields<'a>(&'a [(String, Value)]);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Frame {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.type_name)?;
        m.serialize_entry("direction", &self.direction)?;
        m.serialize_entry("direction_inferred", &self.direction_inferred)?;
        m.serialize_entry("direction_source", &self.direction_source)?;
        m.serialize_entry("direction_reason", &self.direction_reason)?;
        m.serialize_entry("offset", &self.offset)?;
        m.serialize_entry("length", &self.bytes.len())?;
        m.serialize_entry("hex", &crate::hex::encode(&self.bytes))?;
        m.serialize_entry("fields", &Fields(&self.fields))?;
        m.serialize_entry(
            "spans",
            &Spans {
                spans: &self.spans,
                bytes: &self.bytes,
                offset: self.offset,
            },
        )?;
        serialize_status(&mut m, &self.status)?;
        m.serialize_entry("notes", &self.notes)?;
        m.serialize_entry("line", &self.line)?;
        m.serialize_entry("epmd_says", &self.epmd_says)?;
        m.serialize_entry("protocol", &self.protocol)?;
        m.serialize_entry("side", &self.side)?;
        m.serialize_entry("phase", &self.phase)?;
        m.serialize_entry("stream", &self.stream)?;
        match &self.reassembled {
            None => m.serialize_entry("reassembled", &None::<()>)?,
            Some(r) => m.serialize_entry(
                "reassembled",
                &ReassembledJson {
                    length: r.bytes.len(),
                    hex: crate::hex::encode(&r.bytes),
                    spans: Spans {
                        spans: &r.spans,
                        bytes: &r.bytes,
                        offset: 0,
                    },
                },
            )?,
        }
        m.serialize_entry("lint", &self.lint)?;
        m.end()
    }
}

/// A decoded external term, ready to render: `erldist term decode` and the
/// playground's term view.
#[derive(Debug, Clone, PartialEq)]
pub struct TermReport {
    /// `hex` or `raw`.
    pub format: &'static str,
    /// The input bytes.
    pub bytes: Vec<u8>,
    /// The decode (spans, status, inflated content).
    pub decoded: crate::etf::TermDecoded,
    /// The term as Erlang text, when it decoded.
    pub text: Option<String>,
    /// The text could not be read as hex.
    pub input_error: Option<InputError>,
}

/// Decodes a term given as hex text (`83 68 02 ...`, with or without the
/// 131 version byte: without it, the bytes are a bare term as inside
/// distribution messages).
pub fn decode_term_text(text: &str, opts: &crate::etf::TermOptions<'_>) -> TermReport {
    match input::parse_hex(text) {
        Ok(p) => {
            let mut r = decode_term_bytes(&p.bytes, opts);
            r.format = Format::Hex.as_str();
            r
        }
        Err(e) => TermReport {
            format: Format::Hex.as_str(),
            bytes: Vec::new(),
            decoded: crate::etf::decode_term(&[], 0, opts),
            text: None,
            input_error: Some(e),
        },
    }
}

/// Decodes a term from raw bytes (131 first, or a bare term).
pub fn decode_term_bytes(bytes: &[u8], opts: &crate::etf::TermOptions<'_>) -> TermReport {
    let decoded = if bytes.first() == Some(&crate::etf::tags::VERSION_MAGIC) {
        crate::etf::decode_external(bytes, 0, opts)
    } else {
        crate::etf::decode_term(bytes, 0, opts)
    };
    let text = decoded.term.as_ref().map(crate::etf::text::to_erlang);
    TermReport {
        format: Format::Raw.as_str(),
        bytes: bytes.to_vec(),
        decoded,
        text,
        input_error: None,
    }
}

/// Spans with their bytes (`bytes` starts at absolute `offset`).
struct Spans<'a> {
    spans: &'a [Span],
    bytes: &'a [u8],
    offset: usize,
}

/// The contract's `error` and `incomplete` keys of a status.
fn serialize_status<M: SerializeMap>(m: &mut M, status: &Status) -> Result<(), M::Error> {
    match status {
        Status::Invalid(e) => m.serialize_entry("error", e)?,
        _ => m.serialize_entry("error", &None::<()>)?,
    }
    match status {
        Status::Incomplete(i) => m.serialize_entry("incomplete", i),
        _ => m.serialize_entry("incomplete", &None::<()>),
    }
}

impl Serialize for Spans<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<SpanJson<'_>> = self
            .spans
            .iter()
            .map(|span| SpanJson {
                span,
                stream: self.bytes,
                stream_offset: self.offset,
            })
            .collect();
        v.serialize(s)
    }
}

impl Serialize for TermReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = &self.decoded;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("format", self.format)?;
        m.serialize_entry("length", &self.bytes.len())?;
        m.serialize_entry("consumed", &d.consumed)?;
        m.serialize_entry("hex", &crate::hex::encode(&self.bytes))?;
        m.serialize_entry("text", &self.text)?;
        m.serialize_entry(
            "spans",
            &Spans {
                spans: &d.spans(&self.bytes),
                bytes: &self.bytes,
                offset: 0,
            },
        )?;
        serialize_status(&mut m, &d.status)?;
        match &d.inflated {
            Some(inf) => {
                struct Inf<'a>(&'a crate::etf::Inflated);
                impl Serialize for Inf<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut m = s.serialize_map(Some(2))?;
                        m.serialize_entry("hex", &crate::hex::encode(&self.0.bytes))?;
                        m.serialize_entry(
                            "spans",
                            &Spans {
                                spans: &self.0.spans(),
                                bytes: &self.0.bytes,
                                offset: 0,
                            },
                        )?;
                        m.end()
                    }
                }
                m.serialize_entry("inflated", &Inf(inf))?;
            }
            None => m.serialize_entry("inflated", &None::<()>)?,
        }
        m.serialize_entry("input_error", &self.input_error)?;
        m.end()
    }
}

#[derive(Serialize)]
struct ReassembledJson<'a> {
    length: usize,
    hex: String,
    spans: Spans<'a>,
}

impl Serialize for Connection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("label", &self.label)?;
        m.serialize_entry("protocol", &self.protocol)?;
        m.serialize_entry("protocol_reason", &self.protocol_reason)?;
        m.serialize_entry("initiator", &self.initiator)?;
        m.serialize_entry("acceptor", &self.acceptor)?;
        m.serialize_entry("line", &self.line)?;
        m.serialize_entry("details", &Fields(&self.details))?;
        m.end()
    }
}

/// The side a one-direction input was sent by, and why.
fn side_of(opts: &DecodeOptions, bytes: &[u8]) -> (Side, Source, String) {
    match opts.direction {
        DirectionChoice::Request => (
            Side::Initiator,
            Source::Given,
            "given: request (the initiator's bytes)".into(),
        ),
        DirectionChoice::Reply => (
            Side::Acceptor,
            Source::Given,
            "given: reply (the acceptor's bytes)".into(),
        ),
        DirectionChoice::Auto => {
            let (side, why) = crate::session::infer_side(bytes);
            (side, Source::Inferred, why)
        }
    }
}

/// One byte stream: EPMD frames (both directions may be mixed, each frame's
/// direction inferred), or one direction of a node connection.
fn decode_one_stream(bytes: &[u8], opts: &DecodeOptions) -> Report {
    let dist = match opts.protocol {
        ProtocolChoice::Epmd => false,
        ProtocolChoice::Dist => true,
        ProtocolChoice::Auto => crate::session::looks_like_dist(bytes),
    };
    if !dist {
        return decode_stream(bytes, opts.direction);
    }
    let (side, source, reason) = side_of(opts, bytes);
    let mut session = Session::new(SessionOptions {
        protocol: ProtocolChoice::Dist,
        cookie: opts.cookie.clone(),
        acceptor_port: None,
    });
    let mut sfs = session.feed(side, bytes);
    sfs.extend(session.finish());
    let frames = sfs
        .into_iter()
        .map(|sf| session_frame(sf, None, source, &reason))
        .collect();
    Report {
        frames,
        connections: vec![Connection {
            label: format!("the {}'s bytes", side.as_str()),
            protocol: Some(Protocol::Dist),
            protocol_reason: match opts.protocol {
                ProtocolChoice::Dist => "given: dist".into(),
                _ => crate::session::dist_reason(bytes),
            },
            initiator: None,
            acceptor: None,
            line: None,
            details: session.dist().details(),
        }],
        ..Report::empty(Format::Hex, true)
    }
}

/// Decodes whole conversations (both directions, in the order the input
/// gives them).
pub fn decode_conversations(convs: &[conversation::Conversation], opts: &DecodeOptions) -> Report {
    let mut frames = Vec::new();
    let mut connections = Vec::new();
    for (i, c) in convs.iter().enumerate() {
        let mut session = Session::new(SessionOptions {
            protocol: opts.protocol,
            cookie: opts.cookie.clone(),
            acceptor_port: c.acceptor_port(),
        });
        let push = |sfs: Vec<SessionFrame>, line: Option<usize>, frames: &mut Vec<Frame>| {
            for sf in sfs {
                let mut f = session_frame(sf, Some(i), Source::Log, "");
                f.direction_reason = format!(
                    "the input says: {} (line {})",
                    match f.side {
                        Side::Initiator => "sent by the side that connected",
                        Side::Acceptor => "sent by the side that accepted",
                    },
                    line.unwrap_or(c.line)
                );
                f.line = line;
                frames.push(f);
            }
        };
        for chunk in &c.chunks {
            let sfs = session.feed(chunk.side, &chunk.bytes);
            push(sfs, Some(chunk.line), &mut frames);
        }
        let sfs = session.finish();
        push(sfs, None, &mut frames);
        connections.push(Connection {
            label: c.label.clone(),
            protocol: session.protocol(),
            protocol_reason: session.protocol_reason().to_string(),
            initiator: c.initiator.clone(),
            acceptor: c.acceptor.clone(),
            line: Some(c.line),
            details: session.dist().details(),
        });
    }
    Report {
        frames,
        connections,
        ..Report::empty(Format::Streams, true)
    }
}

/// Per-direction transcripts of one node connection (the initiator's bytes
/// and the acceptor's bytes, each in order): fed so that the handshake
/// messages arrive in the order the protocol sends them, which the digest
/// checks need.
pub fn decode_transcripts(initiator: &[u8], acceptor: &[u8], opts: &DecodeOptions) -> Report {
    let chunks = crate::session::interleave_handshake(initiator, acceptor);
    let conv = conversation::Conversation {
        label: "transcripts".into(),
        chunks: chunks
            .into_iter()
            .map(|(side, bytes)| conversation::Chunk {
                side,
                bytes: bytes.to_vec(),
                line: 0,
            })
            .collect(),
        line: 0,
        ..Default::default()
    };
    let mut r = decode_conversations(std::slice::from_ref(&conv), opts);
    r.format = Format::Raw.as_str();
    r.format_detected = false;
    for f in &mut r.frames {
        f.line = None;
        f.direction_source = Source::Given;
        f.direction_reason = format!("given: the {} transcript", f.side.as_str());
    }
    for c in &mut r.connections {
        c.line = None;
    }
    r
}

/// The report of a capture file (`format`: `pcap` or `pcapng`).
pub(crate) fn capture_report(
    format: &'static str,
    frames: Vec<Frame>,
    notes: Vec<String>,
    input_error: Option<InputError>,
    connections: Vec<Connection>,
) -> Report {
    let mut r = Report::empty(Format::Raw, false);
    r.format = format;
    r.frames = frames;
    r.notes = notes;
    r.input_error = input_error;
    r.connections = connections;
    r
}

/// A session's frame as a report frame.
pub(crate) fn session_frame(
    sf: SessionFrame,
    stream: Option<usize>,
    source: Source,
    reason: &str,
) -> Frame {
    let mut f = Frame {
        type_name: sf.decoded.type_name,
        direction: match sf.side {
            Side::Initiator => Direction::Request,
            Side::Acceptor => Direction::Reply,
        },
        direction_inferred: source == Source::Inferred,
        direction_source: source,
        direction_reason: reason.to_string(),
        offset: sf.offset,
        bytes: sf.bytes,
        fields: if sf.decoded.status.is_complete() {
            sf.decoded.fields
        } else {
            Vec::new()
        },
        spans: sf.decoded.spans,
        status: sf.decoded.status,
        notes: sf.decoded.notes,
        line: None,
        epmd_says: Vec::new(),
        protocol: match sf.phase {
            Phase::Epmd => Protocol::Epmd,
            _ => Protocol::Dist,
        },
        side: sf.side,
        phase: sf.phase,
        stream,
        reassembled: sf.reassembled,
        lint: Vec::new(),
    };
    f.lint = match f.protocol {
        Protocol::Epmd => lint::epmd_frame(&f, &f.bytes),
        Protocol::Dist => lint::dist_frame(&f),
    };
    f
}
