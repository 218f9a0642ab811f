//! The connected phase (SPEC §5): ticks, pass-through, distribution headers
//! with atom-cache refs, fragments and control messages.
//!
//! After the handshake both directions of a node connection carry frames of
//! `Length:u32` followed by `Length` bytes:
//!
//! | body | kind | [`FrameDecoded::type_name`] |
//! |---|---|---|
//! | empty | tick | `TICK` |
//! | `112, 131, Control, [131, Payload]` | pass-through (§5.2) | the control op's name (`REG_SEND`) |
//! | `131, 68, header, Control, [Payload]` | normal header (§5.3) | the control op's name |
//! | `131, 69, header, Control, first chunk` | first fragment (§5.4) | `FRAGMENT` |
//! | `131, 70, SequenceId, FragmentId, chunk` | continuation (§5.4) | `FRAGMENT`; the last one: the op's name |
//!
//! (`UNKNOWN` when the control message is not a tuple with a known
//! operation, or did not decode.)
//!
//! A [`ConnectedDecoder`] decodes ONE direction of a connection: it keeps
//! that direction's receiver atom cache (new refs fill slots, old refs read
//! them, across frames) and the fragments of messages still being
//! reassembled, per SequenceId. [`ConnectedDecoder::decode_frame`] reads one
//! frame from the front of a byte slice and returns a [`ConnFrame`]: the
//! shared [`FrameDecoded`] (spans, status, notes, fields) plus the typed
//! header, control term and payload term, and for the last fragment of a
//! message the reassembled bytes with their own span tree. A frame that is
//! not whole yet is Incomplete with the exact number of bytes missing (the
//! length prefix says it), never an error; a caller may wait for them
//! before decoding. [`ConnectedDecoder::joined_late`] decodes a direction
//! whose beginning was not captured.
//!
//! Bytes that decode but that an OTP receiver would refuse (unknown
//! operations, wrong arity, flags not negotiated, `Unused` not `''`, ...)
//! are notes, not errors; bytes that do not decode (a bad term, an old ref
//! to an empty cache slot, a fragment out of order) make the frame Invalid.
//!
//! ```
//! use erldist_codec::dist::{encode_message, ConnectedDecoder, EncodeMode};
//! use erldist_codec::etf::text::parse;
//! let control = parse("{6, #Pid<'a@h'.9.0;c=1>, '', rex}").unwrap();
//! let msg = parse("hello").unwrap();
//! let bytes = encode_message(&control, Some(&msg), EncodeMode::Header).unwrap();
//! let mut rx = ConnectedDecoder::new(None);
//! let f = rx.decode_frame(&bytes, 0);
//! assert!(f.frame.status.is_complete());
//! assert_eq!(f.frame.type_name, "REG_SEND");
//! assert_eq!(f.field("to_name"), Some("rex"));
//! assert_eq!(f.field("message"), Some("hello"));
//! // A prefix is incomplete, never an error.
//! assert!(rx.decode_frame(&bytes[..10], 0).frame.status.is_incomplete());
//! ```

pub mod atom_cache;
pub mod control;
pub mod encode;
pub mod fields;
pub mod header;

pub use atom_cache::{slot, split_slot, AtomCache, SenderAtomCache, ATOM_CACHE_SIZE, SENDER_SLOTS};
pub use control::{
    check_control, element_detail, element_labels, element_meaning, op_of, spec_element_name,
    Check, ControlOp, OpInfo, Payload, ALTACT_ALIAS, ALTACT_EXIT, ALTACT_NAME, ALTACT_PRIO,
    ALTACT_TOKEN, OPS, SPAWN_REPLY_LINK, SPAWN_REPLY_MONITOR,
};
pub use encode::{
    encode_fragments, encode_message, encode_tick, frame_body, EncodeMode, MessageParts,
};
pub use fields::{
    control_from_fields, encode_control_fields, field_schema, message_types, FieldInfo, Fields,
};
pub use header::{
    AtomRef, DistHeader, HeaderKind, DIST_FRAG_CONT, DIST_FRAG_HEADER, DIST_HEADER, PASS_THROUGH,
    VERSION_MAGIC,
};

use crate::conn::FrameDecoded;
use crate::epmd::Note;
use crate::etf::text::{to_erlang_with, PrintOptions};
use crate::etf::{decode_term, Limits, Term, TermOptions};
use crate::reader::{DecodeError, Incomplete, RResult, Reader, Status, Stop};
use crate::span::{Span, Value};
use header::{group, read_header, HeaderRead};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Longest Erlang text put into [`FrameDecoded::fields`] (64 KiB); longer
/// terms end with `...` there (the typed terms are whole).
pub const FIELD_TEXT_MAX: usize = 64 * 1024;

// The capability flags this module looks at (SPEC §4).
const DFLAG_DIST_HDR_ATOM_CACHE: u64 = 0x2000;
const DFLAG_SEND_SENDER: u64 = 0x8_0000;
const DFLAG_EXIT_PAYLOAD: u64 = 0x40_0000;
const DFLAG_FRAGMENTS: u64 = 0x80_0000;
const DFLAG_UNLINK_ID: u64 = 0x200_0000;
const DFLAG_SPAWN: u64 = 1 << 32;
const DFLAG_ALIAS: u64 = 1 << 35;
const DFLAG_ALTACT_SIG: u64 = 1 << 37;

/// What kind of connected-phase frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// Length 0: a keep-alive.
    Tick,
    /// `112, 131, Control, [131, Payload]`.
    PassThrough,
    /// `131, 68`: normal distribution header.
    Header,
    /// `131, 69`: first fragment.
    FragmentStart,
    /// `131, 70`: continuation fragment.
    FragmentCont,
}

impl FrameKind {
    /// `TICK`, `PASS_THROUGH`, `DIST_HEADER`, `DIST_FRAG_HEADER`, `DIST_FRAG_CONT`.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Tick => "TICK",
            FrameKind::PassThrough => "PASS_THROUGH",
            FrameKind::Header => HeaderKind::Normal.name(),
            FrameKind::FragmentStart => HeaderKind::FragmentStart.name(),
            FrameKind::FragmentCont => HeaderKind::FragmentCont.name(),
        }
    }
}

/// Where one fragment's chunk sits in the stream and in the reassembled
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentChunk {
    /// FragmentId of the frame that carried it.
    pub fragment_id: u64,
    /// Absolute offset of the chunk's first byte in the decoded stream.
    pub stream_offset: usize,
    /// Offset of the chunk in the reassembled message.
    pub message_offset: usize,
    /// Its length.
    pub length: usize,
}

/// A fragmented message, put back together on its last fragment.
#[derive(Debug, Clone, PartialEq)]
pub struct Reassembled {
    /// The SequenceId.
    pub sequence_id: u64,
    /// How many fragments it took.
    pub fragments: u64,
    /// Control term and payload, as one buffer (no header, no 131).
    pub bytes: Vec<u8>,
    /// Their span tree (`control`, `message`); offsets relative to
    /// [`bytes`](Self::bytes).
    pub spans: Vec<Span>,
    /// Which bytes came from which frame.
    pub chunks: Vec<FragmentChunk>,
}

impl Reassembled {
    /// The absolute stream offset of a byte of the reassembled message.
    pub fn stream_offset(&self, message_offset: usize) -> Option<usize> {
        map_offset(&self.chunks, message_offset)
    }
}

/// One decoded connected-phase frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnFrame {
    /// Spans, status, notes and fields, as every node-connection frame has.
    pub frame: FrameDecoded,
    /// The kind, once the first body bytes are there.
    pub kind: Option<FrameKind>,
    /// The distribution header (header and fragment kinds).
    pub header: Option<DistHeader>,
    /// The control message's operation (also unknown codes).
    pub op: Option<ControlOp>,
    /// The control term (for a fragmented message: on the first and the
    /// last fragment).
    pub control: Option<Term>,
    /// The payload term (for a fragmented message: on the last fragment).
    pub payload: Option<Term>,
    /// The reassembled message, on a message's last fragment.
    pub reassembled: Option<Reassembled>,
}

impl ConnFrame {
    /// A field's Erlang text (`from_pid`, `to_name`, `message`, ...).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.frame
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
struct Pending {
    /// The FragmentId the next continuation must carry.
    next: u64,
    total: u64,
    refs: Vec<Option<String>>,
    data: Vec<u8>,
    chunks: Vec<FragmentChunk>,
}

/// The connected-phase decoder of ONE direction of a node connection.
#[derive(Clone)]
pub struct ConnectedDecoder {
    negotiated: Option<u64>,
    cache: AtomCache,
    pending: BTreeMap<u64, Pending>,
    limits: Limits,
    lenient: bool,
}

impl std::fmt::Debug for ConnectedDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedDecoder")
            .field("negotiated", &self.negotiated)
            .field("cached_atoms", &self.cache.len())
            .field("pending_sequences", &self.pending.len())
            .finish()
    }
}

impl Default for ConnectedDecoder {
    fn default() -> ConnectedDecoder {
        ConnectedDecoder::new(None)
    }
}

impl ConnectedDecoder {
    /// A decoder for one direction. `negotiated` = the DFLAGs both sides
    /// agreed on when the handshake was seen (then frame kinds and control
    /// messages the flags do not allow get notes), `None` when unknown
    /// (every kind is accepted).
    pub fn new(negotiated: Option<u64>) -> ConnectedDecoder {
        ConnectedDecoder {
            negotiated,
            cache: AtomCache::new(),
            pending: BTreeMap::new(),
            limits: Limits::default(),
            lenient: false,
        }
    }

    /// A decoder for a direction whose beginning was not seen (a capture
    /// that starts mid-connection): an old atom-cache ref to an empty slot
    /// and a continuation fragment of an unknown sequence are notes instead
    /// of errors (the atom shows as `'$atom_cache_ref_N'`, the fragment's
    /// message is not reassembled). [`new`](Self::new) treats both as OTP
    /// does: the connection is killed (Invalid).
    pub fn joined_late(negotiated: Option<u64>) -> ConnectedDecoder {
        ConnectedDecoder {
            lenient: true,
            ..ConnectedDecoder::new(negotiated)
        }
    }

    /// The same with term-decoding limits.
    pub fn with_limits(negotiated: Option<u64>, limits: Limits) -> ConnectedDecoder {
        ConnectedDecoder {
            limits,
            ..ConnectedDecoder::new(negotiated)
        }
    }

    /// The negotiated flags given to [`new`](Self::new).
    pub fn negotiated(&self) -> Option<u64> {
        self.negotiated
    }

    /// This direction's receiver atom cache.
    pub fn atom_cache(&self) -> &AtomCache {
        &self.cache
    }

    /// Fragmented messages still waiting for fragments: (SequenceId, the
    /// FragmentId expected next, bytes so far).
    pub fn pending_fragments(&self) -> Vec<(u64, u64, usize)> {
        self.pending
            .iter()
            .map(|(s, p)| (*s, p.next, p.data.len()))
            .collect()
    }

    /// Decodes one `Length:u32`-framed frame from the front of `data`
    /// (`base` = absolute offset of `data[0]`, for spans). `data` may hold
    /// more frames (only the first is read: see
    /// [`FrameDecoded::consumed`]) or only a prefix of one (Incomplete with
    /// the bytes needed; the state is left alone). The atom cache and the
    /// fragment buffers change only when a frame is complete.
    pub fn decode_frame(&mut self, data: &[u8], base: usize) -> ConnFrame {
        let mut out = ConnFrame {
            frame: FrameDecoded {
                type_name: "UNKNOWN",
                spans: Vec::new(),
                consumed: data.len(),
                status: Status::Complete,
                notes: Vec::new(),
                fields: Vec::new(),
            },
            kind: None,
            header: None,
            op: None,
            control: None,
            payload: None,
            reassembled: None,
        };
        let Some(prefix) = data.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
            out.frame.status = Status::Incomplete(Incomplete::new(
                Some(4 - data.len()),
                "CONNECTED.length_prefix".into(),
            ));
            return out;
        };
        let len = u32::from_be_bytes(prefix);
        let frame_end = usize::try_from(len).unwrap_or(usize::MAX).saturating_add(4);
        let whole = data.len() >= frame_end;
        let slice = data.get(..frame_end.min(data.len())).unwrap_or(data);
        let mut r = Reader::new(slice, base, "CONNECTED");
        r.bounded = whole;
        let result = self.body(&mut r, &mut out, whole, len);
        out.frame.spans = std::mem::take(&mut r.spans);
        out.frame.status = match result {
            Err(Stop::Invalid(e)) => Status::Invalid(e),
            Err(Stop::Incomplete(i)) if !whole => Status::Incomplete(Incomplete::with_reason(
                Some(frame_end - data.len()),
                i.field,
                format!("the length prefix declares {len} bytes"),
            )),
            Err(Stop::Incomplete(i)) => Status::Invalid(DecodeError {
                offset: base.saturating_add(slice.len()),
                field: i.field,
                message: "internal: incomplete inside a whole frame".into(),
            }),
            Ok(()) if !whole => Status::Incomplete(Incomplete::new(
                Some(frame_end - data.len()),
                format!("{}.body", r.frame),
            )),
            Ok(()) => Status::Complete,
        };
        if whole {
            out.frame.consumed = frame_end;
        }
        out
    }

    fn body(
        &mut self,
        r: &mut Reader<'_>,
        out: &mut ConnFrame,
        whole: bool,
        len: u32,
    ) -> RResult<()> {
        r.u32("length_prefix", |v| {
            if v == 0 {
                "length 0: a tick (keep-alive; always legal, ignored by the receiver)".to_string()
            } else {
                format!("length prefix 0x{v:08x} = {v} bytes follow (4-byte big-endian)")
            }
        })?;
        if len == 0 {
            r.frame = "TICK";
            out.kind = Some(FrameKind::Tick);
            out.frame.type_name = "TICK";
            return Ok(());
        }
        let rest = r.rest();
        match rest.first() {
            None => Err(Stop::Incomplete(Incomplete::new(
                Some(1),
                "CONNECTED.body".into(),
            ))),
            Some(&VERSION_MAGIC) => match rest.get(1) {
                None if whole => Err(r.invalid(
                    r.offset(),
                    "body",
                    "a 1-byte frame holding only 131: a header needs its kind byte",
                )),
                None => Err(Stop::Incomplete(Incomplete::new(
                    Some(1),
                    "CONNECTED.kind".into(),
                ))),
                Some(&b) => match HeaderKind::from_byte(b) {
                    Some(HeaderKind::Normal) => self.normal(r, out, whole),
                    Some(HeaderKind::FragmentStart) => self.fragment_start(r, out, whole),
                    Some(HeaderKind::FragmentCont) => self.fragment_cont(r, out, whole),
                    None if b == VERSION_MAGIC => self.pass_through(r, out, whole),
                    None => Err(r.invalid(
                        r.offset().saturating_add(1),
                        "kind",
                        format!(
                            "{b} after 131: a distribution header is 131 followed by 68, 69 or \
                             70 (and read as pass-through, the second byte would have to be \
                             131): an OTP receiver kills the connection"
                        ),
                    )),
                },
            },
            Some(_) => self.pass_through(r, out, whole),
        }
    }

    fn header_flags(&self) -> Option<bool> {
        self.negotiated
            .map(|f| f & (DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS) != 0)
    }

    fn pass_through(
        &mut self,
        r: &mut Reader<'_>,
        out: &mut ConnFrame,
        whole: bool,
    ) -> RResult<()> {
        r.frame = "PASS_THROUGH";
        out.kind = Some(FrameKind::PassThrough);
        let at = r.offset();
        let b = r.u8("pass_through", |b| {
            if b == PASS_THROUGH {
                "112 'p' = pass-through: no distribution header, each term has its own 131"
                    .to_string()
            } else {
                format!(
                    "{b} (0x{b:02x}) where pass-through puts 112 'p': OTP skips this byte without \
                     checking it"
                )
            }
        })?;
        if b != PASS_THROUGH {
            out.frame.notes.push(Note {
                offset: at,
                field: r.path("pass_through"),
                message: format!(
                    "the first byte is {b}, not 112: OTP skips it without checking, so the \
                     frame is read as pass-through"
                ),
            });
        }
        if self.header_flags() == Some(true) {
            out.frame.notes.push(Note {
                offset: at,
                field: r.path("pass_through"),
                message: "a pass-through frame although DIST_HDR_ATOM_CACHE or FRAGMENTS was \
                          negotiated: OTP then expects 131 with 68, 69 or 70 and kills the \
                          connection"
                    .into(),
            });
        }
        self.message(r, out, whole, &[], true, Rest::Payload)?;
        Ok(())
    }

    /// Reads the header into a `dist_header` group; returns what it found.
    fn header(&self, r: &mut Reader<'_>, out: &mut ConnFrame) -> RResult<HeaderRead> {
        let start = r.offset();
        let mark = r.spans.len();
        let mut hr = HeaderRead {
            lenient: self.lenient,
            ..HeaderRead::default()
        };
        let res = read_header(r, &self.cache, &mut hr);
        let meaning = match &hr.header {
            Some(h) => header_meaning(h),
            None => "distribution header (incomplete or invalid)".to_string(),
        };
        group(r, mark, "dist_header", start, Value::Null, meaning);
        out.frame.notes.append(&mut hr.notes);
        out.header = hr.header.clone();
        res?;
        Ok(hr)
    }

    fn kind_note(&self, r: &Reader<'_>, out: &mut ConnFrame, kind: HeaderKind, at: usize) {
        let Some(flags) = self.negotiated else {
            return;
        };
        let message = match kind {
            HeaderKind::Normal if flags & (DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS) == 0 => {
                "a 131,68 header although neither DIST_HDR_ATOM_CACHE nor FRAGMENTS was \
                 negotiated: OTP reads the frame as pass-through, finds 68 where 131 must be \
                 and kills the connection"
            }
            HeaderKind::FragmentStart | HeaderKind::FragmentCont
                if flags & DFLAG_FRAGMENTS == 0 =>
            {
                "a fragment header although FRAGMENTS was not negotiated: an OTP receiver kills \
                 the connection"
            }
            _ => return,
        };
        out.frame.notes.push(Note {
            offset: at,
            field: r.path("kind"),
            message: message.into(),
        });
    }

    fn normal(&mut self, r: &mut Reader<'_>, out: &mut ConnFrame, whole: bool) -> RResult<()> {
        r.frame = "DIST_HEADER";
        out.kind = Some(FrameKind::Header);
        let at = r.offset().saturating_add(1);
        self.kind_note(r, out, HeaderKind::Normal, at);
        let hr = self.header(r, out)?;
        let refs = hr
            .header
            .as_ref()
            .map(DistHeader::atom_names)
            .unwrap_or_default();
        self.message(r, out, whole, &refs, false, Rest::Payload)?;
        if whole {
            self.apply(hr.updates);
        }
        Ok(())
    }

    fn apply(&mut self, updates: Vec<(usize, String)>) {
        for (s, a) in updates {
            self.cache.insert(s, a);
        }
    }

    fn fragment_start(
        &mut self,
        r: &mut Reader<'_>,
        out: &mut ConnFrame,
        whole: bool,
    ) -> RResult<()> {
        r.frame = "DIST_FRAG_HEADER";
        out.kind = Some(FrameKind::FragmentStart);
        out.frame.type_name = "FRAGMENT";
        let at = r.offset();
        self.kind_note(r, out, HeaderKind::FragmentStart, at.saturating_add(1));
        let hr = self.header(r, out)?;
        let (seq, frag) = match &hr.header {
            Some(h) => (h.sequence_id.unwrap_or(0), h.fragment_id.unwrap_or(1)),
            None => (0, 1),
        };
        let seq_at = at.saturating_add(2);
        if let Some(p) = self.pending.get(&seq) {
            return Err(r.invalid(
                seq_at,
                "sequence_id",
                format!(
                    "sequence {seq} already has a message in progress (FragmentId {} expected \
                     next): a new first fragment cannot start before it ends; an OTP receiver \
                     kills the connection",
                    p.next
                ),
            ));
        }
        let refs = hr
            .header
            .as_ref()
            .map(DistHeader::atom_names)
            .unwrap_or_default();
        if frag == 1 {
            out.frame.notes.push(Note {
                offset: seq_at.saturating_add(8),
                field: r.path("fragment_id"),
                message: "a first fragment that is also the last (FragmentId 1): the whole \
                          message is in this frame (OTP sends such a message with 131,68)"
                    .into(),
            });
            out.frame.type_name = "UNKNOWN";
            self.message(r, out, whole, &refs, false, Rest::Payload)?;
            if whole {
                self.apply(hr.updates);
            }
            return Ok(());
        }
        let data_at = r.offset();
        let data = r.rest();
        self.message(r, out, whole, &refs, false, Rest::Fragment)?;
        out.frame.type_name = "FRAGMENT";
        if whole {
            self.apply(hr.updates);
            self.pending.insert(
                seq,
                Pending {
                    next: frag - 1,
                    total: frag,
                    refs,
                    data: data.to_vec(),
                    chunks: vec![FragmentChunk {
                        fragment_id: frag,
                        stream_offset: data_at,
                        message_offset: 0,
                        length: data.len(),
                    }],
                },
            );
        }
        Ok(())
    }

    fn fragment_cont(
        &mut self,
        r: &mut Reader<'_>,
        out: &mut ConnFrame,
        whole: bool,
    ) -> RResult<()> {
        r.frame = "DIST_FRAG_CONT";
        out.kind = Some(FrameKind::FragmentCont);
        out.frame.type_name = "FRAGMENT";
        let at = r.offset();
        self.kind_note(r, out, HeaderKind::FragmentCont, at.saturating_add(1));
        let hr = self.header(r, out)?;
        let (seq, frag) = match &hr.header {
            Some(h) => (h.sequence_id.unwrap_or(0), h.fragment_id.unwrap_or(1)),
            None => (0, 1),
        };
        let seq_at = at.saturating_add(2);
        let Some(p) = self.pending.get(&seq) else {
            if self.lenient {
                out.frame.notes.push(Note {
                    offset: seq_at,
                    field: r.path("sequence_id"),
                    message: format!(
                        "no first fragment (131,69) of sequence {seq} was seen: this part of the \
                         message cannot be decoded (an OTP receiver kills the connection)"
                    ),
                });
                let data_at = r.offset();
                let n = r.remaining();
                r.take(n, "fragment_data")?;
                r.push(
                    "fragment_data",
                    data_at,
                    Value::UInt(u64::try_from(n).unwrap_or(u64::MAX)),
                    format!("{n} bytes of sequence {seq}, whose first fragment was not seen"),
                );
                return Ok(());
            }
            return Err(r.invalid(
                seq_at,
                "sequence_id",
                format!(
                    "no first fragment (131,69) of sequence {seq} is pending in this direction: \
                     an OTP receiver kills the connection"
                ),
            ));
        };
        if frag != p.next {
            return Err(r.invalid(
                seq_at.saturating_add(8),
                "fragment_id",
                format!(
                    "FragmentId {frag}, but sequence {seq} expects {} next (fragments count down \
                     to 1, in order): an OTP receiver kills the connection",
                    p.next
                ),
            ));
        }
        let message_offset = p.data.len();
        let total = p.total;
        let data_at = r.offset();
        let chunk = r.rest();
        let n = chunk.len();
        r.take(n, "fragment_data")?;
        r.push(
            "fragment_data",
            data_at,
            Value::UInt(u64::try_from(n).unwrap_or(u64::MAX)),
            format!(
                "{n} bytes of sequence {seq}: fragment {} of {total}, bytes {message_offset}..{} \
                 of the reassembled message",
                total.saturating_sub(frag).saturating_add(1),
                message_offset.saturating_add(n)
            ),
        );
        if !whole {
            return Ok(());
        }
        let this = FragmentChunk {
            fragment_id: frag,
            stream_offset: data_at,
            message_offset,
            length: n,
        };
        if frag > 1 {
            if let Some(p) = self.pending.get_mut(&seq) {
                p.data.extend_from_slice(chunk);
                p.chunks.push(this);
                p.next = frag - 1;
            }
            return Ok(());
        }
        let Some(mut p) = self.pending.remove(&seq) else {
            return Ok(());
        };
        p.data.extend_from_slice(chunk);
        p.chunks.push(this);
        let m = decode_message(&p.data, 0, &p.refs, false, true, Rest::Payload, self.limits);
        let mut re = Reassembled {
            sequence_id: seq,
            fragments: p.total,
            bytes: Vec::new(),
            spans: m.spans,
            chunks: p.chunks,
        };
        // Notes and errors about the reassembled bytes point into the stream.
        for mut note in m.notes {
            note.offset = re.stream_offset(note.offset).unwrap_or(data_at);
            note.field = format!("reassembled.{}", note.field);
            out.frame.notes.push(note);
        }
        out.frame.type_name = "UNKNOWN";
        let op_at = op_offset(&re.spans)
            .and_then(|o| re.stream_offset(o))
            .unwrap_or(data_at);
        self.finish(out, m.control, m.payload, op_at);
        re.bytes = p.data;
        out.reassembled = Some(re);
        match m.stop {
            Some(Stop::Invalid(mut e)) => {
                let rel = e.offset;
                e.offset = out
                    .reassembled
                    .as_ref()
                    .and_then(|re| re.stream_offset(rel))
                    .unwrap_or(data_at);
                e.field = format!("reassembled.{}", e.field);
                e.message = format!("{} (byte {rel} of the reassembled message)", e.message);
                Err(Stop::Invalid(e))
            }
            Some(Stop::Incomplete(i)) => Err(r.invalid(
                data_at,
                "reassembled",
                format!("the reassembled message ends too early: {}", i.message),
            )),
            None => Ok(()),
        }
    }

    /// Decodes the control term and what follows it from the reader's
    /// position to the end of the frame, appending the spans.
    fn message(
        &mut self,
        r: &mut Reader<'_>,
        out: &mut ConnFrame,
        whole: bool,
        refs: &[Option<String>],
        magic: bool,
        rest: Rest,
    ) -> RResult<()> {
        let at = r.offset();
        let data = r.rest();
        let m = decode_message(data, at, refs, magic, whole, rest, self.limits);
        let used = m.consumed.min(data.len());
        r.take(used, "message")?;
        let op_at = op_offset(&m.spans).unwrap_or(at);
        r.spans.extend(m.spans);
        out.frame.notes.extend(m.notes);
        self.finish(out, m.control, m.payload, op_at);
        match m.stop {
            Some(s) => Err(s),
            None => Ok(()),
        }
    }

    /// Sets the op, the type name, the terms and the fields.
    fn finish(
        &self,
        out: &mut ConnFrame,
        control: Option<Term>,
        payload: Option<Term>,
        op_at: usize,
    ) {
        let op = control.as_ref().and_then(op_of);
        out.op = op;
        if out.frame.type_name != "FRAGMENT" || payload.is_some() {
            out.frame.type_name = op.and_then(ControlOp::info).map_or("UNKNOWN", |i| i.name);
        }
        if let (Some(op), Some(flags)) = (op, self.negotiated) {
            if let Some((flag, name)) = needed_flag(op) {
                if flags & flag == 0 {
                    out.frame.notes.push(Note {
                        offset: op_at,
                        field: format!("{}.op", op.name()),
                        message: format!(
                            "{} although {name} was not negotiated (an OTP sender does not send \
                             it then)",
                            op.name()
                        ),
                    });
                }
            }
        }
        let opts = PrintOptions {
            max_bytes: Some(FIELD_TEXT_MAX),
            ..PrintOptions::READABLE
        };
        if let Some(Term::Tuple { elems, .. }) = &control {
            let labels = element_labels(op.and_then(ControlOp::info), elems.len());
            for (label, t) in labels.iter().zip(elems) {
                out.frame
                    .fields
                    .push(((*label).to_string(), Value::Text(to_erlang_with(t, &opts))));
            }
        } else if let Some(c) = &control {
            out.frame
                .fields
                .push(("control".into(), Value::Text(to_erlang_with(c, &opts))));
        }
        if let Some(p) = &payload {
            out.frame
                .fields
                .push(("message".into(), Value::Text(to_erlang_with(p, &opts))));
        }
        out.control = control;
        out.payload = payload;
    }
}

/// Where the control message's op element is.
fn op_offset(spans: &[Span]) -> Option<usize> {
    spans
        .iter()
        .find(|s| s.field == "control")
        .and_then(|c| c.children.iter().find(|e| e.field == "op"))
        .map(|s| s.offset)
}

fn needed_flag(op: ControlOp) -> Option<(u64, &'static str)> {
    Some(match op {
        ControlOp::SEND_SENDER | ControlOp::SEND_SENDER_TT => (DFLAG_SEND_SENDER, "SEND_SENDER"),
        ControlOp::PAYLOAD_EXIT
        | ControlOp::PAYLOAD_EXIT_TT
        | ControlOp::PAYLOAD_EXIT2
        | ControlOp::PAYLOAD_EXIT2_TT
        | ControlOp::PAYLOAD_MONITOR_P_EXIT => (DFLAG_EXIT_PAYLOAD, "EXIT_PAYLOAD"),
        ControlOp::SPAWN_REQUEST
        | ControlOp::SPAWN_REQUEST_TT
        | ControlOp::SPAWN_REPLY
        | ControlOp::SPAWN_REPLY_TT => (DFLAG_SPAWN, "SPAWN"),
        ControlOp::ALIAS_SEND | ControlOp::ALIAS_SEND_TT => (DFLAG_ALIAS, "ALIAS"),
        ControlOp::UNLINK_ID | ControlOp::UNLINK_ID_ACK => (DFLAG_UNLINK_ID, "UNLINK_ID"),
        ControlOp::ALTACT_SIG_SEND => (DFLAG_ALTACT_SIG, "ALTACT_SIG"),
        _ => return None,
    })
}

fn header_meaning(h: &DistHeader) -> String {
    match h.kind {
        HeaderKind::Normal => format!(
            "normal distribution header: {} atom-cache ref(s){}",
            h.refs.len(),
            if h.long_atoms { ", LongAtoms" } else { "" }
        ),
        HeaderKind::FragmentStart => format!(
            "first fragment of sequence {}: {} fragment(s) in all, {} atom-cache ref(s)",
            h.sequence_id.unwrap_or(0),
            h.fragment_id.unwrap_or(0),
            h.refs.len()
        ),
        HeaderKind::FragmentCont => format!(
            "continuation of sequence {}: FragmentId {}",
            h.sequence_id.unwrap_or(0),
            h.fragment_id.unwrap_or(0)
        ),
    }
}

/// A message-relative offset mapped into the stream through the chunks.
fn map_offset(chunks: &[FragmentChunk], off: usize) -> Option<usize> {
    chunks.iter().find_map(|c| {
        let rel = off.checked_sub(c.message_offset)?;
        (rel < c.length || (rel == c.length && c.length == 0))
            .then(|| c.stream_offset.saturating_add(rel))
    })
}

/// What follows the control term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    /// An optional payload term.
    Payload,
    /// The first chunk of a fragmented payload (raw bytes).
    Fragment,
}

/// The control term and what follows it, decoded from `data` (`base` =
/// absolute offset of `data[0]`).
struct Msg {
    control: Option<Term>,
    payload: Option<Term>,
    spans: Vec<Span>,
    notes: Vec<Note>,
    consumed: usize,
    stop: Option<Stop>,
}

fn decode_message(
    data: &[u8],
    base: usize,
    refs: &[Option<String>],
    magic: bool,
    whole: bool,
    rest: Rest,
    limits: Limits,
) -> Msg {
    let mut m = Msg {
        control: None,
        payload: None,
        spans: Vec::new(),
        notes: Vec::new(),
        consumed: 0,
        stop: None,
    };
    if let Err(stop) = decode_message_into(&mut m, data, base, refs, magic, whole, rest, limits) {
        m.stop = Some(stop);
    }
    m
}

#[allow(clippy::too_many_arguments)]
fn decode_message_into(
    m: &mut Msg,
    data: &[u8],
    base: usize,
    refs: &[Option<String>],
    magic: bool,
    whole: bool,
    rest: Rest,
    limits: Limits,
) -> Result<(), Stop> {
    let opts = TermOptions {
        limits,
        atom_refs: Some(refs),
    };
    let path = |part: &str, field: &str| format!("{part}.{field}");
    // The control term.
    if magic {
        version_byte(m, data, base, whole, "control")?;
    }
    let c_at = m.consumed;
    let input = data.get(c_at..).unwrap_or(&[]);
    let d = decode_term(input, base.saturating_add(c_at), &opts);
    let mut spans = d.spans(input);
    if let Some(top) = spans.first_mut() {
        relabel_control(top, d.term.as_ref());
    }
    m.spans.append(&mut spans);
    m.consumed = c_at.saturating_add(d.consumed.min(input.len()));
    let control = match d.status {
        Status::Complete => d.term,
        Status::Incomplete(i) if whole => {
            let msg = format!(
                "the frame ends inside the control message ({}: {} more byte(s) needed)",
                i.field,
                i.needed.unwrap_or(1)
            );
            if rest == Rest::Fragment {
                // The control message should be whole in the first fragment;
                // OTP's receiver reassembles first, so this is only unusual.
                m.spans.clear();
                m.consumed = 0;
                push_leaf(
                    m,
                    base,
                    data.len(),
                    "fragment_data",
                    "the first chunk of a fragmented message (the control message does not end \
                     in this fragment; decoded when the message is reassembled)"
                        .into(),
                );
                m.notes.push(Note {
                    offset: base,
                    field: "control".into(),
                    message: "the control message does not fit in the first fragment (OTP \
                              always puts it there whole)"
                        .into(),
                });
                return Ok(());
            }
            return Err(Stop::Invalid(DecodeError {
                offset: base.saturating_add(data.len()),
                field: path("control", &i.field),
                message: msg,
            }));
        }
        Status::Incomplete(i) => {
            return Err(Stop::Incomplete(Incomplete::new(
                i.needed,
                path("control", &i.field),
            )))
        }
        Status::Invalid(mut e) => {
            e.field = path("control", &e.field);
            return Err(Stop::Invalid(e));
        }
    };
    let control = control.unwrap_or(Term::Nil);
    if control::has_unresolved_ref(&control) {
        if let Some(at) = unresolved_at(&m.spans, refs.len()) {
            m.control = Some(control);
            return Err(unresolved(at, "control", refs.len()));
        }
        m.notes
            .push(unknown_atoms(base.saturating_add(c_at), "control"));
    }
    let control_span = m.spans.last().cloned();
    // What follows.
    let after = data.get(m.consumed..).unwrap_or(&[]);
    if rest == Rest::Fragment {
        if !after.is_empty() {
            let n = after.len();
            push_leaf(
                m,
                base,
                n,
                "payload_fragment",
                format!(
                    "the first {n} bytes of the payload; the rest follows in continuation \
                     fragments (decoded when the message is reassembled)"
                ),
            );
        }
        m.control = Some(control);
        return Ok(());
    }
    if after.is_empty() && !whole {
        // A payload may still come.
        m.control = Some(control);
        return Err(Stop::Incomplete(Incomplete::new(Some(1), "message".into())));
    }
    let mut payload = None;
    if !after.is_empty() {
        if magic {
            if let Err(e) = version_byte(m, data, base, whole, "message") {
                m.control = Some(control);
                return Err(e);
            }
        }
        let p_at = m.consumed;
        let input = data.get(p_at..).unwrap_or(&[]);
        let d = decode_term(input, base.saturating_add(p_at), &opts);
        let mut spans = d.spans(input);
        if let Some(top) = spans.first_mut() {
            relabel_payload(top, &control);
        }
        m.spans.append(&mut spans);
        m.consumed = p_at.saturating_add(d.consumed.min(input.len()));
        match d.status {
            Status::Complete => payload = d.term,
            Status::Incomplete(i) if whole => {
                m.control = Some(control);
                return Err(Stop::Invalid(DecodeError {
                    offset: base.saturating_add(data.len()),
                    field: path("message", &i.field),
                    message: format!(
                        "the frame ends inside the payload ({}: {} more byte(s) needed)",
                        i.field,
                        i.needed.unwrap_or(1)
                    ),
                }));
            }
            Status::Incomplete(i) => {
                m.control = Some(control);
                return Err(Stop::Incomplete(Incomplete::new(
                    i.needed,
                    path("message", &i.field),
                )));
            }
            Status::Invalid(mut e) => {
                m.control = Some(control);
                e.field = path("message", &e.field);
                return Err(Stop::Invalid(e));
            }
        }
        if payload.as_ref().is_some_and(control::has_unresolved_ref) {
            if let Some(at) = unresolved_at(&m.spans, refs.len()) {
                m.control = Some(control);
                m.payload = payload;
                return Err(unresolved(at, "message", refs.len()));
            }
            m.notes
                .push(unknown_atoms(base.saturating_add(p_at), "message"));
        }
        let left = data.len().saturating_sub(m.consumed);
        if left > 0 {
            let at = base.saturating_add(m.consumed);
            push_leaf(
                m,
                base,
                left,
                "trailing_bytes",
                format!("{left} bytes after the payload term"),
            );
            m.notes.push(Note {
                offset: at,
                field: "trailing_bytes".into(),
                message: format!(
                    "{left} bytes follow the payload term: they belong to no term (an OTP \
                     receiver fails to decode the message)"
                ),
            });
        }
    }
    // The receiver's checks, as notes on the element they are about.
    let name = op_of(&control).map_or("control", ControlOp::name);
    for c in check_control(&control, payload.is_some()) {
        let (offset, field) = match c.element {
            Some(i) => (
                control_span
                    .as_ref()
                    .and_then(|s| element_spans(s).nth(i))
                    .map_or(base, |s| s.offset),
                control_span
                    .as_ref()
                    .and_then(|s| element_spans(s).nth(i))
                    .map_or_else(|| "control".to_string(), |s| format!("{name}.{}", s.field)),
            ),
            None => (
                control_span.as_ref().map_or(base, |s| s.offset),
                name.to_string(),
            ),
        };
        m.notes.push(Note {
            offset,
            field,
            message: c.message,
        });
    }
    m.control = Some(control);
    m.payload = payload;
    Ok(())
}

/// Reads the 131 in front of a pass-through term.
fn version_byte(
    m: &mut Msg,
    data: &[u8],
    base: usize,
    whole: bool,
    part: &str,
) -> Result<(), Stop> {
    let at = base.saturating_add(m.consumed);
    match data.get(m.consumed) {
        Some(&VERSION_MAGIC) => {
            let meaning = format!("131 = version magic: the {part} term follows");
            m.spans.push(Span::leaf(
                "version_magic",
                at,
                1,
                Value::UInt(131),
                meaning,
            ));
            m.consumed += 1;
            Ok(())
        }
        Some(&b) => Err(Stop::Invalid(DecodeError {
            offset: at,
            field: format!("{part}.version_magic"),
            message: format!(
                "{b} where pass-through puts 131 in front of the {part} term: an OTP receiver \
                     kills the connection"
            ),
        })),
        None if whole => Err(Stop::Invalid(DecodeError {
            offset: at,
            field: format!("{part}.version_magic"),
            message: format!("the frame ends before the {part} term"),
        })),
        None => Err(Stop::Incomplete(Incomplete::new(
            Some(1),
            format!("{part}.version_magic"),
        ))),
    }
}

fn push_leaf(m: &mut Msg, base: usize, n: usize, field: &'static str, meaning: String) {
    let at = base.saturating_add(m.consumed);
    m.spans.push(Span::leaf(
        field,
        at,
        n,
        Value::UInt(u64::try_from(n).unwrap_or(u64::MAX)),
        meaning,
    ));
    m.consumed = m.consumed.saturating_add(n);
}

/// Atoms whose cache slot was empty (a decoder that joined late).
fn unknown_atoms(at: usize, part: &str) -> Note {
    Note {
        offset: at,
        field: part.to_string(),
        message: "some atoms come from cache slots this decoder never saw filled: shown as \
                  '$atom_cache_ref_N'"
            .into(),
    }
}

fn unresolved(at: usize, part: &str, n: usize) -> Stop {
    let why = if n == 0 {
        "there is no atom-cache ref to point to (no header, or a header with N = 0)".to_string()
    } else {
        format!("the header has only {n} ref(s)")
    };
    Stop::Invalid(DecodeError {
        offset: at,
        field: format!("{part}.index"),
        message: format!(
            "ATOM_CACHE_REF past the header's refs: {why}; an OTP receiver kills the connection"
        ),
    })
}

/// The offset of the first ATOM_CACHE_REF index byte at or past `n`.
fn unresolved_at(spans: &[Span], n: usize) -> Option<usize> {
    let leaves = crate::span::leaves(spans);
    leaves.windows(2).find_map(|w| match w {
        [tag, ix]
            if tag.field == "tag"
                && tag.value == Value::UInt(u64::from(crate::etf::tags::ATOM_CACHE_REF))
                && ix.field == "index"
                && ix
                    .value
                    .as_u64()
                    .is_some_and(|i| usize::try_from(i).map_or(true, |i| i >= n)) =>
        {
            Some(ix.offset)
        }
        _ => None,
    })
}

/// The element group spans of a tuple's span (every term is a group; the
/// tag and arity are leaves).
fn element_spans(s: &Span) -> impl Iterator<Item = &Span> {
    s.children.iter().filter(|c| !c.children.is_empty())
}

/// Names the control term's span `control` and its elements by their spec
/// names (`from_pid`, ...).
fn relabel_control(top: &mut Span, control: Option<&Term>) {
    let first_value = top
        .children
        .iter()
        .find(|c| c.field == "element")
        .and_then(|c| c.value.as_u64());
    let op = control.and_then(op_of).or_else(|| {
        first_value
            .and_then(|v| u8::try_from(v).ok())
            .map(ControlOp)
    });
    let is_tuple = matches!(control, Some(Term::Tuple { .. }))
        || top.children.iter().any(|c| c.field == "arity");
    let info = op.and_then(ControlOp::info);
    let tag_name = top.meaning.clone();
    top.field = Cow::Borrowed("control");
    top.meaning = Cow::Owned(match (op, info) {
        (Some(op), Some(info)) if is_tuple => {
            let n = top
                .children
                .iter()
                .filter(|c| !c.children.is_empty())
                .count();
            let names: Vec<&str> = element_labels(Some(info), n)
                .iter()
                .skip(1)
                .map(|l| spec_element_name(l))
                .collect();
            format!(
                "control message {} = {{{}, {}}} ({tag_name})",
                info.name,
                op.0,
                names.join(", ")
            )
        }
        (Some(op), None) if is_tuple => {
            format!(
                "control message with unknown operation {} ({tag_name})",
                op.0
            )
        }
        _ => format!("control message ({tag_name}; not a tuple with an operation)"),
    });
    if let Some(info) = info {
        top.value = Value::Text(info.name.to_string());
    }
    if !is_tuple {
        return;
    }
    let elements: Vec<&Term> = match control {
        Some(Term::Tuple { elems, .. }) => elems.iter().collect(),
        _ => Vec::new(),
    };
    let mut k = 0;
    for c in top.children.iter_mut() {
        if c.field != "element" {
            continue;
        }
        let label: &'static str = if k == 0 {
            "op"
        } else {
            info.and_then(|i| i.elements.get(k).copied())
                .unwrap_or("element")
        };
        let detail = match (op, elements.get(k)) {
            (Some(op), Some(t)) => element_detail(op, label, t),
            _ => None,
        };
        let orig = c.meaning.clone();
        c.meaning = Cow::Owned(match detail {
            Some(d) => format!("{d} ({orig})"),
            None => format!("{} ({orig})", element_meaning(label)),
        });
        c.field = Cow::Borrowed(label);
        k += 1;
    }
}

/// Names the payload's span `message`.
fn relabel_payload(top: &mut Span, control: &Term) {
    let what = op_of(control)
        .and_then(ControlOp::info)
        .and_then(|i| i.payload)
        .map_or("the payload term", |p| match p {
            Payload::Message => "Message: the message sent",
            Payload::Reason => "Reason: the exit reason",
            Payload::ArgList => "ArgList: the spawned function's arguments",
            Payload::Data => "Data: the message or exit reason (by the EXIT flag)",
        });
    let orig = top.meaning.clone();
    top.field = Cow::Borrowed("message");
    top.meaning = Cow::Owned(format!("{what} ({orig})"));
}
