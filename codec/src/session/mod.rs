//! Whole-session decoding: the two directions of one TCP conversation, fed
//! as chunks in the order they were seen (a frame may span chunks, a chunk
//! may hold several frames), decoded as EPMD or as a node connection
//! (handshake, then connected framing, with the atom caches and fragment
//! buffers of each direction carried along).
//!
//! This is what pcap import, the text forms of a conversation and the live
//! mode feed. It is sans-IO: [`Session::feed`] takes bytes and returns the
//! frames they completed; [`Session::close`] says a side has closed.
//!
//! ```
//! use erldist_codec::conn::Side;
//! use erldist_codec::session::{Session, SessionOptions};
//! let mut s = Session::new(SessionOptions::default());
//! // A PORT_PLEASE2_REQ for "b", split over two chunks, then the reply.
//! assert!(s.feed(Side::Initiator, &[0x00, 0x02]).is_empty());
//! let f = s.feed(Side::Initiator, &[0x7a, 0x62]);
//! assert_eq!(f[0].decoded.type_name, "PORT_PLEASE2_REQ");
//! let f = s.feed(Side::Acceptor, &[0x77, 0x01]);
//! assert_eq!(f[0].decoded.type_name, "PORT2_RESP");
//! ```

mod dist;

pub use dist::DistState;

use crate::conn::{FrameDecoded, Side};
use crate::epmd::{self, ReplyContext};
use crate::reader::{Incomplete, Status};
use crate::span::{Span, Value};
use serde::Serialize;

/// Which protocol a conversation speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// A client talking to epmd.
    Epmd,
    /// Two nodes (handshake, then the connected phase).
    Dist,
}

impl Protocol {
    /// `epmd` / `dist`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Epmd => "epmd",
            Protocol::Dist => "dist",
        }
    }
}

/// Which protocol to decode a conversation as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolChoice {
    /// Decide from the first bytes (and say why).
    #[default]
    Auto,
    /// EPMD.
    Epmd,
    /// A node connection.
    Dist,
}

/// Options for a [`Session`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// Protocol, or detect it.
    pub protocol: ProtocolChoice,
    /// The cookie, to check handshake digests.
    pub cookie: Option<Vec<u8>>,
    /// The acceptor's TCP port when known (4369 suggests epmd).
    pub acceptor_port: Option<u16>,
}

/// Where in a connection a frame sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// An EPMD request or reply.
    Epmd,
    /// A handshake message (2-byte length).
    Handshake,
    /// After the handshake (4-byte length).
    Connected,
}

impl Phase {
    /// `epmd`, `handshake`, `connected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Epmd => "epmd",
            Phase::Handshake => "handshake",
            Phase::Connected => "connected",
        }
    }
}

/// A fragmented message put back together: its own byte space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// The SequenceId its fragments carried.
    pub sequence_id: u64,
    /// How many fragments it took.
    pub fragments: u64,
    /// The message's bytes (control term and payload, no header).
    pub bytes: Vec<u8>,
    /// Their spans, offsets relative to `bytes`.
    pub spans: Vec<Span>,
}

/// One frame of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFrame {
    /// Who sent it.
    pub side: Side,
    /// EPMD, handshake or connected phase.
    pub phase: Phase,
    /// Offset of the frame in its side's byte stream (spans use it too).
    pub offset: usize,
    /// The frame's bytes.
    pub bytes: Vec<u8>,
    /// What it is.
    pub decoded: FrameDecoded,
    /// For the last fragment of a fragmented message: the whole message.
    pub reassembled: Option<Reassembled>,
}

#[derive(Debug, Default)]
struct SideBuf {
    /// Bytes received but not yet part of a decoded frame.
    pending: Vec<u8>,
    /// Offset of `pending[0]` in this side's stream.
    offset: usize,
    closed: bool,
}

/// The decoder of one conversation. See the [module docs](self).
#[derive(Debug)]
pub struct Session {
    opts: SessionOptions,
    protocol: Option<Protocol>,
    why: String,
    bufs: [SideBuf; 2],
    /// EPMD: the request code each reply answers, in order.
    epmd_requests: std::collections::VecDeque<u8>,
    dist: dist::DistState,
}

fn idx(side: Side) -> usize {
    match side {
        Side::Initiator => 0,
        Side::Acceptor => 1,
    }
}

impl Session {
    /// A session that has seen nothing yet.
    pub fn new(opts: SessionOptions) -> Session {
        let (protocol, why) = match opts.protocol {
            ProtocolChoice::Epmd => (Some(Protocol::Epmd), "given: epmd".to_string()),
            ProtocolChoice::Dist => (Some(Protocol::Dist), "given: dist".to_string()),
            ProtocolChoice::Auto => (None, String::new()),
        };
        let dist = dist::DistState::new(opts.cookie.clone());
        Session {
            opts,
            protocol,
            why,
            bufs: Default::default(),
            epmd_requests: Default::default(),
            dist,
        }
    }

    /// The protocol, once decided.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// Why this protocol (`given: dist`, `detected: ...`).
    pub fn protocol_reason(&self) -> &str {
        &self.why
    }

    /// The node-connection state (names, flags, atom caches) when the
    /// conversation is a node connection.
    pub fn dist(&self) -> &dist::DistState {
        &self.dist
    }

    /// Bytes `side` sent; returns the frames they completed, in order.
    pub fn feed(&mut self, side: Side, bytes: &[u8]) -> Vec<SessionFrame> {
        let mut out = Vec::new();
        let Some(b) = self.bufs.get_mut(idx(side)) else {
            return out;
        };
        b.pending.extend_from_slice(bytes);
        self.pump(side, false, &mut out);
        // A reply may have been waiting for its request.
        if self.protocol == Some(Protocol::Epmd) && side == Side::Initiator {
            self.pump(Side::Acceptor, false, &mut out);
        }
        out
    }

    /// `side` has closed its end: what it sent last is all there is.
    /// Returns the frames that completes (replies that run until the close),
    /// and an incomplete frame for bytes left over.
    pub fn close(&mut self, side: Side) -> Vec<SessionFrame> {
        let mut out = Vec::new();
        if let Some(b) = self.bufs.get_mut(idx(side)) {
            b.closed = true;
        }
        self.pump(side, true, &mut out);
        out
    }

    /// Both sides are done (end of capture): flushes what is left.
    pub fn finish(&mut self) -> Vec<SessionFrame> {
        let mut out = self.close(Side::Initiator);
        out.extend(self.close(Side::Acceptor));
        out
    }

    fn detect(&mut self) {
        if self.protocol.is_some() {
            return;
        }
        let init = self
            .bufs
            .first()
            .map(|b| b.pending.as_slice())
            .unwrap_or(&[]);
        let acc = self
            .bufs
            .get(1)
            .map(|b| b.pending.as_slice())
            .unwrap_or(&[]);
        if let Some((p, why)) = detect_protocol(init, acc, self.opts.acceptor_port) {
            self.protocol = Some(p);
            self.why = why;
        }
    }

    fn pump(&mut self, side: Side, eof: bool, out: &mut Vec<SessionFrame>) {
        self.detect();
        let protocol = match self.protocol {
            Some(p) => p,
            // Undecided: at the end, show what is there as undecoded.
            None if eof => {
                self.flush_unknown(side, out);
                return;
            }
            None => return,
        };
        let Some(b) = self.bufs.get_mut(idx(side)) else {
            return;
        };
        let mut pos = 0usize;
        loop {
            let rest = b.pending.get(pos..).unwrap_or(&[]);
            if rest.is_empty() {
                break;
            }
            let base = b.offset + pos;
            let step = match protocol {
                Protocol::Epmd => epmd_step(side, rest, base, b.closed, &mut self.epmd_requests),
                Protocol::Dist => self.dist.step(side, rest, base, b.closed),
            };
            match step {
                Step::Frame(f) => {
                    pos += f.bytes.len().max(1);
                    out.push(*f);
                }
                Step::Wait => break,
            }
        }
        b.pending.drain(..pos.min(b.pending.len()));
        b.offset += pos;
    }

    fn flush_unknown(&mut self, side: Side, out: &mut Vec<SessionFrame>) {
        let Some(b) = self.bufs.get_mut(idx(side)) else {
            return;
        };
        if b.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut b.pending);
        let base = b.offset;
        b.offset += bytes.len();
        out.push(unknown_frame(
            side,
            Phase::Epmd,
            base,
            bytes,
            "neither an EPMD request nor a node handshake: not decoded",
        ));
    }
}

/// What one decoding step produced.
pub(crate) enum Step {
    /// A frame (complete, or the last incomplete one at a close).
    Frame(Box<SessionFrame>),
    /// More bytes are needed.
    Wait,
}

/// Bytes that could not be decoded at all, as one frame.
pub(crate) fn unknown_frame(
    side: Side,
    phase: Phase,
    base: usize,
    bytes: Vec<u8>,
    why: &str,
) -> SessionFrame {
    let span = Span::leaf(
        "undecoded",
        base,
        bytes.len(),
        Value::Bytes(bytes.clone()),
        why.to_string(),
    );
    SessionFrame {
        side,
        phase,
        offset: base,
        decoded: FrameDecoded {
            type_name: "UNKNOWN",
            spans: vec![span],
            consumed: bytes.len(),
            status: Status::Invalid(crate::reader::DecodeError {
                offset: base,
                field: "frame".into(),
                message: why.to_string(),
            }),
            notes: Vec::new(),
            fields: Vec::new(),
        },
        bytes,
        reassembled: None,
    }
}

fn epmd_step(
    side: Side,
    rest: &[u8],
    base: usize,
    closed: bool,
    requests: &mut std::collections::VecDeque<u8>,
) -> Step {
    let d = match side {
        Side::Initiator => {
            // A request is complete when its length prefix says so.
            let whole = match rest {
                [a, b, ..] => rest.len() >= 2 + usize::from(u16::from_be_bytes([*a, *b])),
                _ => false,
            };
            if !whole && !closed {
                return Step::Wait;
            }
            let d = epmd::decode_request(rest, base);
            if let Some(&code) = rest.get(2) {
                if d.status.is_complete() {
                    requests.push_back(code);
                }
            }
            d
        }
        Side::Acceptor => {
            let ctx = ReplyContext {
                eof: closed,
                answers: requests.front().copied(),
            };
            let d = epmd::decode_reply(rest, base, ctx);
            if d.status.is_incomplete() && !closed {
                return Step::Wait;
            }
            requests.pop_front();
            d
        }
    };
    // At a close, an incomplete frame takes every byte that is left.
    let consumed = if d.status.is_incomplete() {
        rest.len()
    } else {
        d.consumed.max(1).min(rest.len())
    };
    let fields = d.message.as_ref().map(|m| m.fields()).unwrap_or_default();
    let mut decoded = FrameDecoded {
        type_name: d.type_name,
        spans: d.spans,
        consumed,
        status: d.status,
        notes: d.notes,
        fields,
    };
    let bytes = rest.get(..consumed).unwrap_or(&[]).to_vec();
    close_invalid(&mut decoded, base, &bytes);
    Step::Frame(Box::new(SessionFrame {
        side,
        phase: Phase::Epmd,
        offset: base,
        bytes,
        decoded,
        reassembled: None,
    }))
}

/// An invalid frame: the bytes after the last decoded field are shown as not
/// decoded, so the leaves still cover the whole frame.
pub(crate) fn close_invalid(d: &mut FrameDecoded, base: usize, bytes: &[u8]) {
    let Status::Invalid(e) = &d.status else {
        return;
    };
    let end = base + bytes.len();
    let from = crate::span::leaves(&d.spans)
        .last()
        .map_or(base, |l| l.end());
    if from < end {
        let undecoded = bytes.get(from.saturating_sub(base)..).unwrap_or(&[]);
        d.spans.push(Span::leaf(
            "undecoded",
            from,
            end - from,
            Value::Bytes(undecoded.to_vec()),
            format!(
                "not decoded: the frame is invalid at byte {} ({})",
                e.offset, e.field
            ),
        ));
    }
}

/// Bytes still needed when a side closes in the middle of a frame.
pub(crate) fn truncated(field: &str, needed: usize, why: &str) -> Status {
    Status::Incomplete(Incomplete::with_reason(
        Some(needed),
        field.to_string(),
        why.to_string(),
    ))
}

/// Decides the protocol from the first bytes of each side.
pub fn detect_protocol(
    init: &[u8],
    acc: &[u8],
    acceptor_port: Option<u16>,
) -> Option<(Protocol, String)> {
    if acceptor_port == Some(epmd::DEFAULT_PORT) {
        return Some((
            Protocol::Epmd,
            format!("detected: the acceptor's port is {}", epmd::DEFAULT_PORT),
        ));
    }
    let u16_at = |b: &[u8]| match b {
        [x, y, ..] => Some(usize::from(u16::from_be_bytes([*x, *y]))),
        _ => None,
    };
    let u32_at = |b: &[u8]| match b {
        [a, b2, c, d, ..] => Some(u32::from_be_bytes([*a, *b2, *c, *d])),
        _ => None,
    };
    // Connected-phase frames from the start (the handshake was not seen).
    for (b, who) in [(init, "initiator"), (acc, "acceptor")] {
        if let Some(len) = u32_at(b) {
            if len == 0 || matches!(b.get(4), Some(131 | 112)) && len < 1 << 28 {
                return Some((
                    Protocol::Dist,
                    format!(
                        "detected: the {who} starts with a 4-byte length then {}: the connected phase of a node connection (the handshake was not seen)",
                        if len == 0 { "nothing (a tick)".to_string() } else { format!("byte {}", b.get(4).copied().unwrap_or(0)) }
                    ),
                ));
            }
        }
    }
    if let (Some(len), Some(&code)) = (u16_at(init), init.get(2)) {
        match code {
            b'N' => {
                return Some((
                    Protocol::Dist,
                    "detected: the initiator starts with a 2-byte length then `N`: a v6 send_name".into(),
                ))
            }
            b'n' if len >= 7 => {
                return Some((
                    Protocol::Dist,
                    format!("detected: the initiator starts with a 2-byte length ({len}) then `n`: a v5 send_name (an epmd NAMES_REQ `n` has length 1)"),
                ))
            }
            _ => {}
        }
        if len >= 1 {
            if let Some(name) = epmd::request_name(code) {
                return Some((
                    Protocol::Epmd,
                    format!("detected: the initiator starts with a 2-byte length ({len}) then {code} ({name})"),
                ));
            }
        }
        // A length of 0 may be the start of a 4-byte length: wait for the
        // byte after it before guessing.
        if len == 0 && init.len() < 5 {
            return None;
        }
        return Some((
            Protocol::Epmd,
            "guessed: the first bytes are neither a node handshake nor a connected-phase frame; decoded as EPMD".into(),
        ));
    }
    if let Some(&c) = acc.first() {
        if matches!(
            c,
            epmd::ALIVE2_X_RESP | epmd::ALIVE2_RESP | epmd::PORT2_RESP
        ) {
            return Some((
                Protocol::Epmd,
                format!("detected: the acceptor starts with the epmd reply code {c}"),
            ));
        }
    }
    None
}

/// The status words an acceptor sends (`s` + word).
const STATUS_WORDS: [&[u8]; 6] = [
    b"ok",
    b"ok_simultaneous",
    b"nok",
    b"not_allowed",
    b"alive",
    b"named:",
];

/// How a lone byte stream of a node connection starts, if it does.
fn dist_start(b: &[u8]) -> Option<(Side, String)> {
    if let [0, 0, 0, 0, ..] = b {
        return Some((
            Side::Initiator,
            "starts with a tick (4 zero bytes): connected phase; which side sent it cannot be told, taken as the initiator (give --direction)".into(),
        ));
    }
    if let [a, b2, c, d, k, ..] = b {
        let len = u32::from_be_bytes([*a, *b2, *c, *d]);
        if matches!(k, 131 | 112) && (2..1 << 28).contains(&len) {
            return Some((
                Side::Initiator,
                format!("starts with a 4-byte length then {k}: connected phase; which side sent it cannot be told, taken as the initiator (give --direction)"),
            ));
        }
    }
    let [x, y, tag, rest @ ..] = b else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([*x, *y]));
    match *tag {
        b'N' if len >= 15 => Some((
            Side::Initiator,
            "starts with a 2-byte length then `N`: the first message of a connection is the initiator's send_name (the acceptor's `N` challenge only follows its status)".into(),
        )),
        b'n' if len >= 7 => Some((
            Side::Initiator,
            "starts with a 2-byte length then `n`: the first message of a connection is the initiator's send_name (v5)".into(),
        )),
        b's' if STATUS_WORDS
            .iter()
            .any(|w| rest.get(..len.saturating_sub(1).min(rest.len())).is_some_and(|t| t.starts_with(w) || (w.len() == len - 1 && t == *w))) =>
        {
            Some((
                Side::Acceptor,
                "starts with a 2-byte length then `s` and a status word: the acceptor's status (as EPMD it would be a STOP_REQ; give --protocol epmd for that)".into(),
            ))
        }
        _ => None,
    }
}

/// True when a lone byte stream starts like one direction of a node
/// connection rather than EPMD.
pub fn looks_like_dist(b: &[u8]) -> bool {
    dist_start(b).is_some()
}

/// Why a lone byte stream was taken as a node connection.
pub fn dist_reason(b: &[u8]) -> String {
    dist_start(b).map_or_else(
        || "given: dist".to_string(),
        |(_, why)| format!("detected: {why}"),
    )
}

/// Which side sent a lone byte stream of a node connection, and why.
pub fn infer_side(b: &[u8]) -> (Side, String) {
    match dist_start(b) {
        Some((side, why)) => (side, format!("inferred: {why}")),
        None => (
            Side::Initiator,
            "inferred: nothing says which side sent these bytes; taken as the initiator (give --direction)".into(),
        ),
    }
}

/// Splits 2-byte-framed handshake messages off the front of a transcript,
/// up to and including the message with tag `last`; returns the frames
/// (tag, bytes) and the rest.
fn handshake_frames(mut b: &[u8], last: u8) -> (Vec<(u8, &[u8])>, &[u8]) {
    let mut out = Vec::new();
    while let [x, y, tag, ..] = b {
        let n = 2 + usize::from(u16::from_be_bytes([*x, *y]));
        let (Some(frame), Some(rest)) = (b.get(..n), b.get(n..)) else {
            break;
        };
        let tag = *tag;
        out.push((tag, frame));
        b = rest;
        if tag == last {
            break;
        }
    }
    (out, b)
}

/// Orders two per-direction transcripts of one node connection the way the
/// handshake runs: the initiator's send_name, the acceptor's status and
/// challenge, the initiator's complement and reply, the acceptor's ack,
/// then everything else (the connected phase needs no cross-direction
/// order).
pub fn interleave_handshake<'a>(init: &'a [u8], acc: &'a [u8]) -> Vec<(Side, &'a [u8])> {
    if looks_connected_start(init) || looks_connected_start(acc) {
        return vec![(Side::Initiator, init), (Side::Acceptor, acc)];
    }
    let (i_frames, i_rest) = handshake_frames(init, b'r');
    let (a_frames, a_rest) = handshake_frames(acc, b'a');
    let mut out = Vec::new();
    let (i_first, i_late): (Vec<_>, Vec<_>) = {
        let cut = i_frames
            .iter()
            .position(|(t, _)| matches!(t, b'c' | b'r'))
            .unwrap_or(i_frames.len());
        let (a, b) = i_frames.split_at(cut);
        (a.to_vec(), b.to_vec())
    };
    let (a_first, a_late): (Vec<_>, Vec<_>) = {
        let cut = a_frames
            .iter()
            .position(|(t, _)| *t == b'a')
            .unwrap_or(a_frames.len());
        let (a, b) = a_frames.split_at(cut);
        (a.to_vec(), b.to_vec())
    };
    out.extend(i_first.into_iter().map(|(_, f)| (Side::Initiator, f)));
    out.extend(a_first.into_iter().map(|(_, f)| (Side::Acceptor, f)));
    out.extend(i_late.into_iter().map(|(_, f)| (Side::Initiator, f)));
    out.extend(a_late.into_iter().map(|(_, f)| (Side::Acceptor, f)));
    out.push((Side::Initiator, i_rest));
    out.push((Side::Acceptor, a_rest));
    out.retain(|(_, b)| !b.is_empty());
    out
}

fn looks_connected_start(b: &[u8]) -> bool {
    matches!(dist_start(b), Some((_, ref why)) if why.contains("connected phase"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_waits_for_enough_bytes() {
        // `00 00 00 4d` could be a 4-byte length: not EPMD yet.
        assert_eq!(detect_protocol(&[0, 0, 0, 0x4d], &[], None), None);
        let (p, _) = detect_protocol(&[0, 0, 0, 0x4d, 0x83, 0x44], &[], None).unwrap();
        assert_eq!(p, Protocol::Dist);
        // `n` with length 1 is NAMES_REQ, with length >= 7 a v5 send_name.
        let (p, _) = detect_protocol(&[0, 1, b'n'], &[], None).unwrap();
        assert_eq!(p, Protocol::Epmd);
        let (p, _) = detect_protocol(&[0, 9, b'n', 0, 5], &[], None).unwrap();
        assert_eq!(p, Protocol::Dist);
        // The port says epmd whatever the bytes.
        let (p, why) = detect_protocol(&[], &[], Some(4369)).unwrap();
        assert_eq!(p, Protocol::Epmd);
        assert!(why.contains("4369"));
    }

    #[test]
    fn a_frame_split_at_every_byte_decodes_the_same() {
        // SPEC §3.5's handshake, fed one byte at a time from both sides.
        let a = crate::input::parse_hex(
            "00 14 4e 00 00 00 2d 07 df 7f bc 12 34 56 78 00 05 70 79 40 76 6d \
             00 15 72 de ad be ef b5 b6 a5 db d6 34 e7 ce fb d9 b5 ab 31 36 6b dc 00 00 00 00",
        )
        .unwrap()
        .bytes;
        let b = crate::input::parse_hex(
            "00 03 73 6f 6b 00 17 4e 00 00 00 0d 07 df 7f bd 71 d6 c5 e3 6b 05 94 14 00 04 62 40 76 6d \
             00 11 61 c3 93 9b 31 d7 a9 13 d8 2e 2a ce 09 24 7c 7b 41",
        )
        .unwrap()
        .bytes;
        let mut s = Session::new(SessionOptions {
            cookie: Some(b"secret".to_vec()),
            ..SessionOptions::default()
        });
        let mut frames = Vec::new();
        // Send name, then status + challenge, then reply + tick, then ack.
        let (a1, a2) = a.split_at(22);
        let (b1, b2) = b.split_at(30);
        for (side, part) in [
            (Side::Initiator, a1),
            (Side::Acceptor, b1),
            (Side::Initiator, a2),
            (Side::Acceptor, b2),
        ] {
            for byte in part {
                frames.extend(s.feed(side, std::slice::from_ref(byte)));
            }
        }
        frames.extend(s.finish());
        let types: Vec<&str> = frames.iter().map(|f| f.decoded.type_name).collect();
        assert_eq!(
            types,
            [
                "SEND_NAME",
                "STATUS",
                "CHALLENGE",
                "CHALLENGE_REPLY",
                "TICK",
                "CHALLENGE_ACK"
            ]
        );
        assert!(frames.iter().all(|f| f.decoded.status.is_complete()));
        assert_eq!(s.dist().handshake().reply_digest_ok(), Some(true));
        assert_eq!(s.dist().handshake().ack_digest_ok(), Some(true));
    }
}
