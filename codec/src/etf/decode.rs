//! Bytes → a validated [`TermView`] (spans and term structure in one flat
//! [`SpanArena`]), safely: no panic, no allocation sized from a wire count,
//! a nesting limit, a limit on terms and one on inflated size.
//!
//! One pass writes one 16-byte node per term and nothing else: atoms,
//! strings, binaries and bignum digits stay in the input, containers are
//! node ranges. The owned [`Term`] ([`decode_external`], [`decode_term`]) is
//! built from the view; [`TermDecoded::spans`] renders the [`Span`] tree.

use super::arena::{Node, SpanArena, BAD_LAST, ENVELOPE, IMPROPER, MAX_NODES, NO_TAG, PARTIAL};
use super::tags::*;
use super::term::*;
use super::view::TermView;
use crate::reader::{DecodeError, Incomplete, Status, Stop};
use crate::span::Span;

/// Decoder limits. Decoding and encoding keep nesting on the heap, so the
/// depth limit is about what a sensible term looks like and what recursive
/// consumers (printing, `Drop`) can take, not about the decoder's stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of compound terms accepted.
    pub max_depth: usize,
    /// Largest inflated size of a COMPRESSED term.
    pub max_inflated: usize,
    /// Most terms in one decode (every term costs a span node: this bounds
    /// memory, e.g. for a small compressed input that inflates to millions
    /// of elements).
    pub max_terms: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 2048,
            max_inflated: 64 << 20,
            max_terms: 1_000_000,
        }
    }
}

/// Options for decoding a term.
#[derive(Debug, Clone, Copy, Default)]
pub struct TermOptions<'a> {
    /// Limits.
    pub limits: Limits,
    /// Atom names of the distribution header's refs, by ATOM_CACHE_REF index.
    pub atom_refs: Option<&'a [Option<String>]>,
}

/// The inflated content of a COMPRESSED term: its own byte space.
#[derive(Debug, Clone, PartialEq)]
pub struct Inflated {
    /// The inflated bytes (`Tag, Data`).
    pub bytes: Vec<u8>,
    /// Their spans, offsets relative to `bytes`.
    pub arena: SpanArena,
}

impl Inflated {
    /// The span tree of the inflated bytes (offsets relative to them).
    pub fn spans(&self) -> Vec<Span> {
        self.arena.to_spans(&self.bytes, 0)
    }
}

/// The result of decoding one term, owned (see [`TermView`] for the
/// borrowed result this is built from).
#[derive(Debug, Clone, PartialEq)]
pub struct TermDecoded {
    /// The term, when complete.
    pub term: Option<Term>,
    /// The spans (one node per term, fields implied by the tags), flat; see
    /// [`spans`](Self::spans).
    pub arena: SpanArena,
    /// The absolute offset of the input's first byte (as given to the decoder).
    pub base: usize,
    /// Bytes belonging to the term.
    pub consumed: usize,
    /// Complete, incomplete or invalid.
    pub status: Status,
    /// For a COMPRESSED term, the inflated bytes and their spans.
    pub inflated: Option<Inflated>,
}

impl TermDecoded {
    /// The span tree; `input` is the slice that was decoded (the decoder
    /// keeps no copy: texts and values are read back from it).
    pub fn spans(&self, input: &[u8]) -> Vec<Span> {
        self.arena.to_spans(input, self.base)
    }
}

/// Decodes `131, Tag, Data` (or `131, 80, ...` compressed) from the front of
/// `data` to an owned [`Term`]; `base` is the absolute offset of `data[0]`.
/// The same as [`decode_external_view`] followed by
/// [`TermView::into_decoded`].
pub fn decode_external(data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    decode_external_view(data, base, opts).into_decoded()
}

/// Decodes a term without the 131 (as inside distribution messages) to an
/// owned [`Term`]: [`decode_term_view`] then [`TermView::into_decoded`].
pub fn decode_term(data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    decode_term_view(data, base, opts).into_decoded()
}

/// Decodes `131, Tag, Data` (or `131, 80, ...` compressed) from the front of
/// `data` into a [`TermView`] that borrows `data`: the same validation,
/// limits, statuses and spans as [`decode_external`], without building an
/// owned [`Term`].
///
/// ```
/// use erldist_codec::etf::{decode_external_view, TermKind, TermOptions};
/// // term_to_binary({a,<<"hi">>}) on OTP 26+
/// let bytes = [0x83, 0x68, 0x02, 0x77, 0x01, b'a', 0x6d, 0, 0, 0, 2, b'h', b'i'];
/// let v = decode_external_view(&bytes, 0, &TermOptions::default());
/// let TermKind::Tuple { elems, .. } = v.root().unwrap().kind() else { panic!() };
/// let elems: Vec<_> = elems.collect();
/// assert!(matches!(elems[0].kind(), TermKind::Atom(a) if a.eq_str("a")));
/// assert!(matches!(elems[1].kind(), TermKind::Binary(b"hi")));
/// assert_eq!(v.spans()[1].meaning, "SMALL_TUPLE_EXT");
/// assert_eq!(v.to_erlang().unwrap(), "{a,<<\"hi\">>}");
/// ```
pub fn decode_external_view<'a>(
    data: &'a [u8],
    base: usize,
    opts: &TermOptions<'_>,
) -> TermView<'a> {
    let mut d = Dec::new(data, base, opts);
    let r = d.external();
    d.finish(r, true)
}

/// Decodes a term without the 131 (as inside distribution messages) into a
/// [`TermView`] that borrows `data`.
pub fn decode_term_view<'a>(data: &'a [u8], base: usize, opts: &TermOptions<'_>) -> TermView<'a> {
    let mut d = Dec::new(data, base, opts);
    let r = d.term();
    d.finish(r, false)
}

/// A stop was recorded in [`Dec::stop`] (kept out of the `Result` so the
/// hot path returns in registers).
struct Fail;

type R<T> = Result<T, Fail>;

/// Big-endian value of up to 8 bytes.
#[inline]
fn be8(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x))
}

#[inline]
fn node_pos_usize(p: u32) -> usize {
    usize::try_from(p).unwrap_or(usize::MAX)
}

/// A wire count as usize (saturating on 32-bit targets: the bytes run out first).
fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Node offsets are `u32`: input past 4 GiB is not read.
const MAX_INPUT: usize = u32::MAX as usize;

/// A container being read.
struct Frame {
    /// Its node.
    node: usize,
    /// Children still to read.
    left: usize,
    /// A list (its last child is the tail).
    list: bool,
}

pub(crate) struct Dec<'a, 'o> {
    /// The input, cut at 4 GiB.
    data: &'a [u8],
    /// The input as given.
    full: &'a [u8],
    pos: usize,
    base: usize,
    opts: &'o TermOptions<'o>,
    /// Running out of bytes is an error (inflated data), not "incomplete".
    bounded: bool,
    /// Terms read so far (against `max_terms`).
    terms: usize,
    arena: SpanArena,
    inflated: Option<Inflated>,
    stop: Option<Stop>,
}

impl<'a, 'o> Dec<'a, 'o> {
    fn new(full: &'a [u8], base: usize, opts: &'o TermOptions<'o>) -> Dec<'a, 'o> {
        Dec::with_cap(full, base, opts, MAX_INPUT)
    }

    /// A decoder that reads no further than `cap` bytes into `full`.
    fn with_cap(full: &'a [u8], base: usize, opts: &'o TermOptions<'o>, cap: usize) -> Dec<'a, 'o> {
        let data = full.get(..cap).unwrap_or(full);
        Dec {
            data,
            full,
            pos: 0,
            base,
            opts,
            bounded: false,
            terms: 0,
            arena: SpanArena {
                nodes: Vec::with_capacity((data.len() / 4).clamp(4, 4096)),
                refs: Vec::new(),
            },
            inflated: None,
            stop: None,
        }
    }

    fn finish(mut self, r: R<()>, external: bool) -> TermView<'a> {
        let (consumed, status) = match (r, self.stop.take()) {
            (Ok(()), _) => (self.pos, Status::Complete),
            (Err(Fail), Some(Stop::Incomplete(i))) => (self.full.len(), Status::Incomplete(i)),
            (Err(Fail), Some(Stop::Invalid(e))) => (self.full.len(), Status::Invalid(e)),
            (Err(Fail), None) => (
                self.full.len(),
                Status::Invalid(DecodeError {
                    offset: self.at(),
                    field: "term".into(),
                    message: "internal: a stop without its reason".into(),
                }),
            ),
        };
        TermView::new(
            self.full,
            self.base,
            self.arena,
            consumed,
            status,
            self.inflated,
            external,
        )
    }

    #[inline]
    fn at(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    #[cold]
    #[inline(never)]
    fn invalid(&mut self, offset: usize, field: &str, message: String) -> Fail {
        self.stop = Some(Stop::Invalid(DecodeError {
            offset,
            field: field.to_string(),
            message,
        }));
        Fail
    }

    #[cold]
    #[inline(never)]
    fn short(&mut self, n: usize, field: &'static str) -> Fail {
        let have = self.remaining();
        if self.bounded {
            let at = self.at();
            return self.invalid(
                at,
                field,
                format!("needs {n} bytes, {have} remain in the inflated data"),
            );
        }
        if self.is_capped() {
            return self.past_cap(field);
        }
        self.stop = Some(Stop::Incomplete(Incomplete::new(
            Some(n.saturating_sub(have)),
            field.to_string(),
        )));
        Fail
    }

    /// The input was cut at 4 GiB (node offsets are `u32`).
    fn is_capped(&self) -> bool {
        self.data.len() < self.full.len()
    }

    #[cold]
    fn past_cap(&mut self, field: &str) -> Fail {
        let at = self.at();
        self.invalid(
            at,
            field,
            "a term reaching past 4 GiB of input: not supported".into(),
        )
    }

    /// The next `n` bytes.
    #[inline]
    fn take(&mut self, n: usize, field: &'static str) -> R<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        match self.data.get(self.pos..end) {
            Some(s) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(self.short(n, field)),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self, field: &'static str) -> R<[u8; N]> {
        let end = self.pos.saturating_add(N);
        match self
            .data
            .get(self.pos..end)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
        {
            Some(a) => {
                self.pos = end;
                Ok(a)
            }
            None => Err(self.short(N, field)),
        }
    }

    #[inline]
    fn u8(&mut self, field: &'static str) -> R<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.short(1, field)),
        }
    }

    #[inline]
    fn u16(&mut self, field: &'static str) -> R<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    #[inline]
    fn u32(&mut self, field: &'static str) -> R<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Skips a fixed-size field.
    #[inline]
    fn skip(&mut self, n: usize, field: &'static str) -> R<()> {
        let end = self.pos.saturating_add(n);
        if end <= self.data.len() {
            self.pos = end;
            Ok(())
        } else {
            Err(self.short(n, field))
        }
    }

    /// A count read off the wire, checked against what the bytes can hold
    /// (each item needs at least `min` bytes).
    fn count(&mut self, n: u64, min: usize, at: usize, field: &'static str) -> R<usize> {
        let Ok(n) = usize::try_from(n) else {
            return Err(self.invalid(at, field, format!("{n} is too large")));
        };
        let room = self.remaining() / min.max(1);
        if self.bounded && n > room {
            let have = self.remaining();
            return Err(self.invalid(
                at,
                field,
                format!("declares {n} items but only {have} bytes remain"),
            ));
        }
        Ok(n)
    }

    /// Opens the node of the term (or envelope) whose tag is at `pos`.
    #[inline]
    fn open(&mut self, tag: Option<u8>) -> usize {
        let i = self.arena.nodes.len();
        self.arena.nodes.push(Node {
            pos: u32::try_from(self.pos).unwrap_or(u32::MAX),
            len: 0,
            next: u32::try_from(i + 1).unwrap_or(u32::MAX),
            tag: tag.unwrap_or(0),
            flags: if tag.is_some() { 0 } else { NO_TAG },
        });
        i
    }

    /// Opens the version byte's node or a COMPRESSED envelope's.
    fn open_envelope(&mut self, tag: u8) -> usize {
        let i = self.open(Some(tag));
        if let Some(n) = self.arena.nodes.get_mut(i) {
            n.flags = ENVELOPE;
        }
        i
    }

    /// Closes node `i` here: it holds every node since.
    #[inline]
    fn close(&mut self, i: usize) {
        let next = u32::try_from(self.arena.nodes.len()).unwrap_or(u32::MAX);
        let end = u32::try_from(self.pos).unwrap_or(u32::MAX);
        if let Some(n) = self.arena.nodes.get_mut(i) {
            n.len = end.saturating_sub(n.pos);
            n.next = next;
        }
    }

    /// Closes node `i` on an error: what was read so far.
    fn close_partial(&mut self, i: usize) {
        self.close(i);
        if let Some(n) = self.arena.nodes.get_mut(i) {
            n.flags |= PARTIAL;
        }
    }

    /// The last field read is refused: its leaf is not shown.
    #[cold]
    fn bad_last(&mut self) {
        if let Some(n) = self.arena.nodes.last_mut() {
            n.flags |= BAD_LAST;
        }
    }

    fn external(&mut self) -> R<()> {
        let start = self.at();
        let v = self.u8("version")?;
        if v != VERSION_MAGIC {
            return Err(self.invalid(
                start,
                "version",
                format!("expected the version byte 131 (0x83), found {v} (0x{v:02x})"),
            ));
        }
        self.pos -= 1;
        let i = self.open_envelope(VERSION_MAGIC);
        self.pos += 1;
        self.close(i);
        if self.data.get(self.pos) == Some(&COMPRESSED) {
            let g = self.open_envelope(COMPRESSED);
            let r = self.compressed();
            match r {
                Ok(()) => self.close(g),
                Err(_) => self.close_partial(g),
            }
            return r;
        }
        self.term()
    }

    fn compressed(&mut self) -> R<()> {
        self.u8("tag")?;
        let size_at = self.at();
        let size = usize_of(self.u32("uncompressed_size")?.into());
        if size > self.opts.limits.max_inflated {
            let max = self.opts.limits.max_inflated;
            return Err(self.invalid(
                size_at,
                "uncompressed_size",
                format!("{size} bytes once inflated is over the limit of {max}"),
            ));
        }
        // The zlib stream runs to the end of the input.
        let z_at = self.at();
        let z = self.data.get(self.pos..).unwrap_or(&[]);
        let (bytes, used) = match inflate(z, size) {
            Ok(Some(x)) => x,
            Ok(None) if self.is_capped() => return Err(self.past_cap("zlib")),
            Ok(None) => {
                self.stop = Some(Stop::Incomplete(Incomplete::new(
                    None,
                    "COMPRESSED.zlib".into(),
                )));
                return Err(Fail);
            }
            Err(m) => return Err(self.invalid(z_at, "zlib", m)),
        };
        if bytes.len() != size {
            return Err(self.invalid(
                size_at,
                "uncompressed_size",
                format!(
                    "declares {size} bytes but the zlib stream inflates to {}",
                    bytes.len()
                ),
            ));
        }
        self.pos += used;
        let opts = self.opts;
        let mut inner = Dec::new(&bytes, 0, opts);
        inner.bounded = true;
        let r = inner.term();
        let used_inner = inner.pos;
        let stop = inner.stop.take();
        let arena = std::mem::take(&mut inner.arena);
        let result = match (r, stop) {
            (Ok(()), _) if used_inner == bytes.len() => Ok(()),
            (Ok(()), _) => {
                let left = bytes.len() - used_inner;
                Err(self.invalid(
                    z_at,
                    "zlib",
                    format!("{left} bytes left over after the inflated term"),
                ))
            }
            (Err(Fail), Some(Stop::Invalid(mut e))) => {
                e.message = format!("in the inflated data at byte {}: {}", e.offset, e.message);
                e.offset = z_at;
                self.stop = Some(Stop::Invalid(e));
                Err(Fail)
            }
            (Err(Fail), Some(Stop::Incomplete(i))) => Err(self.invalid(z_at, "zlib", i.message)),
            (Err(Fail), None) => Err(self.invalid(z_at, "zlib", "internal: no reason".into())),
        };
        self.inflated = Some(Inflated { bytes, arena });
        result
    }

    /// One term and everything below it. Iterative: containers are kept on
    /// an explicit stack, so nesting costs heap, not call stack, and the
    /// depth limit is a clean error.
    ///
    /// The hot loop keeps the position, the node vector and the innermost
    /// container in locals, and reads the common tags inline when their
    /// bytes are all there; anything else (and every error) goes through
    /// [`head`](Self::head), which is the reference for every tag.
    fn term(&mut self) -> R<()> {
        let max_terms = self.opts.limits.max_terms;
        let max_depth = self.opts.limits.max_depth;
        let data = self.data;
        let bounded = self.bounded;
        let mut pos = self.pos;
        let mut nodes = std::mem::take(&mut self.arena.nodes);
        let mut terms = self.terms;
        // The container being filled; the root is a virtual one that wants
        // one term. `stack` holds the containers around it.
        let mut cur = Frame {
            node: usize::MAX,
            left: 1,
            list: false,
        };
        let mut stack: Vec<Frame> = Vec::new();
        let r = loop {
            terms += 1;
            if terms > max_terms || nodes.len() > MAX_NODES {
                self.pos = pos;
                let at = self.at();
                break Err(self.invalid(
                    at,
                    "term",
                    format!("more than {max_terms} terms in one decode: refused"),
                ));
            }
            let i = nodes.len();
            let node_pos = u32::try_from(pos).unwrap_or(u32::MAX);
            let next = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let tag = data.get(pos).copied();
            // Inline: a complete leaf term of `len` bytes, or a container
            // whose header is `len` bytes with `n` children.
            let fast: Option<(usize, usize)> = match tag {
                Some(SMALL_INTEGER_EXT) if pos + 2 <= data.len() => Some((2, 0)),
                Some(INTEGER_EXT) if pos + 5 <= data.len() => Some((5, 0)),
                Some(NIL_EXT) => Some((1, 0)),
                Some(SMALL_ATOM_UTF8_EXT) => match data.get(pos + 1) {
                    Some(&n) => {
                        let end = pos + 2 + usize::from(n);
                        match data.get(pos + 2..end) {
                            Some(b) if b.is_ascii() || std::str::from_utf8(b).is_ok() => {
                                Some((end - pos, 0))
                            }
                            _ => None,
                        }
                    }
                    None => None,
                },
                Some(NEW_FLOAT_EXT) => match data.get(pos + 1..pos + 9) {
                    Some(b) if f64::from_bits(be8(b)).is_finite() => Some((9, 0)),
                    _ => None,
                },
                Some(SMALL_TUPLE_EXT) => match data.get(pos + 1) {
                    Some(&n) if !bounded || usize::from(n) <= data.len() - pos - 2 => {
                        Some((2, usize::from(n)))
                    }
                    _ => None,
                },
                Some(LIST_EXT) => match data.get(pos + 1..pos + 5) {
                    Some(b) => {
                        let n = usize_of(be8(b));
                        if !bounded || n <= data.len() - pos - 5 {
                            Some((5, n.saturating_add(1)))
                        } else {
                            None
                        }
                    }
                    None => None,
                },
                Some(BINARY_EXT) => match data.get(pos + 1..pos + 5) {
                    Some(b) => {
                        let n = usize_of(be8(b));
                        if n <= data.len() - pos - 5 {
                            Some((5 + n, 0))
                        } else {
                            None
                        }
                    }
                    None => None,
                },
                Some(STRING_EXT) => match data.get(pos + 1..pos + 3) {
                    Some(b) => {
                        let n = usize_of(be8(b));
                        if n <= data.len() - pos - 3 {
                            Some((3 + n, 0))
                        } else {
                            None
                        }
                    }
                    None => None,
                },
                _ => None,
            };
            let left = match fast {
                Some((len, n)) => {
                    nodes.push(Node {
                        pos: node_pos,
                        len: u32::try_from(len).unwrap_or(u32::MAX),
                        next,
                        tag: tag.unwrap_or(0),
                        flags: 0,
                    });
                    pos += len;
                    n
                }
                None => {
                    let start = self.base.saturating_add(pos);
                    nodes.push(Node {
                        pos: node_pos,
                        len: 0,
                        next,
                        tag: tag.unwrap_or(0),
                        flags: if tag.is_some() { 0 } else { NO_TAG },
                    });
                    self.pos = pos;
                    self.arena.nodes = nodes;
                    let r = self.head(tag);
                    nodes = std::mem::take(&mut self.arena.nodes);
                    pos = self.pos;
                    let end = u32::try_from(pos).unwrap_or(u32::MAX);
                    let next = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
                    let ok = r.is_ok();
                    if let Some(n) = nodes.get_mut(i) {
                        n.len = end.saturating_sub(n.pos);
                        n.next = next;
                        if !ok {
                            n.flags |= PARTIAL;
                        }
                    }
                    match r {
                        Ok(n) if n > 0 && stack.len() >= max_depth => {
                            if let Some(n) = nodes.get_mut(i) {
                                n.flags |= PARTIAL;
                            }
                            break Err(self.invalid(
                                start,
                                "term",
                                format!("terms nested deeper than {max_depth} levels: refused"),
                            ));
                        }
                        Ok(n) => n,
                        Err(e) => break Err(e),
                    }
                }
            };
            if left > 0 {
                if stack.len() >= max_depth {
                    // An inline container over the depth limit: its node
                    // holds its header, like head's.
                    if let Some(n) = nodes.get_mut(i) {
                        n.flags |= PARTIAL;
                    }
                    self.pos = pos;
                    let start = self.base.saturating_add(node_pos_usize(node_pos));
                    break Err(self.invalid(
                        start,
                        "term",
                        format!("terms nested deeper than {max_depth} levels: refused"),
                    ));
                }
                stack.push(std::mem::replace(
                    &mut cur,
                    Frame {
                        node: i,
                        left,
                        list: tag == Some(LIST_EXT),
                    },
                ));
                continue;
            }
            // Hand the finished term to its container, closing every
            // container that this completes.
            let mut done_tag = tag;
            let finished = loop {
                cur.left = cur.left.saturating_sub(1);
                if cur.left > 0 {
                    break false;
                }
                let Some(parent) = stack.pop() else {
                    break true;
                };
                let end = u32::try_from(pos).unwrap_or(u32::MAX);
                let next = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
                let improper = cur.list && done_tag != Some(NIL_EXT);
                if let Some(n) = nodes.get_mut(cur.node) {
                    n.len = end.saturating_sub(n.pos);
                    n.next = next;
                    if improper {
                        n.flags |= IMPROPER;
                    }
                    done_tag = Some(n.tag);
                }
                cur = parent;
            };
            if finished {
                break Ok(());
            }
        };
        self.terms = terms;
        if r.is_err() {
            self.pos = pos.max(self.pos);
            // Close the open containers on what was read so far.
            let end = u32::try_from(self.pos).unwrap_or(u32::MAX);
            let next = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            for f in stack.iter().skip(1).chain(std::iter::once(&cur)) {
                if let Some(n) = nodes.get_mut(f.node) {
                    n.len = end.saturating_sub(n.pos);
                    n.next = next;
                    n.flags |= PARTIAL;
                }
            }
        } else {
            self.pos = pos;
        }
        self.arena.nodes = nodes;
        r
    }

    /// A sub-term that cannot contain other terms (node atoms, arities, a
    /// fun's pid): read directly. Gives its tag.
    fn flat(&mut self, field: &'static str) -> R<u8> {
        let start = self.at();
        let tag = self.data.get(self.pos).copied();
        let i = self.open(tag);
        let r = match tag {
            // Refused at the tag: reading a fun's fields here would recurse.
            Some(NEW_FUN_EXT | FUN_EXT) => {
                self.pos += 1;
                Err(self.cannot_nest(start, field))
            }
            _ => match self.head(tag) {
                Ok(_) if is_container(tag) => Err(self.cannot_nest(start, field)),
                Ok(_) => Ok(tag.unwrap_or(0)),
                Err(e) => Err(e),
            },
        };
        match r {
            Ok(_) => self.close(i),
            Err(_) => self.close_partial(i),
        }
        r
    }

    #[cold]
    fn cannot_nest(&mut self, start: usize, field: &'static str) -> Fail {
        self.invalid(
            start,
            field,
            format!("{field} cannot be a tuple, list, map or fun"),
        )
    }

    /// A flat sub-term that must be an atom (NIL allowed: "this node" inside
    /// LOCAL_EXT encodings).
    fn atom_term(&mut self, field: &'static str) -> R<()> {
        let at = self.at();
        let tag = self.flat(field)?;
        match tag {
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT | ATOM_CACHE_REF
            | NIL_EXT => Ok(()),
            _ => Err(self.invalid(at, field, format!("{field} must be an atom"))),
        }
    }

    #[inline(never)]
    fn pid(&mut self, tag: u8) -> R<()> {
        self.atom_term("node")?;
        self.skip(4, "id")?;
        self.skip(4, "serial")?;
        self.skip(if tag == NEW_PID_EXT { 4 } else { 1 }, "creation")
    }

    #[inline(never)]
    fn port(&mut self, tag: u8) -> R<()> {
        self.atom_term("node")?;
        let (id, creation) = match tag {
            PORT_EXT => (4, 1),
            NEW_PORT_EXT => (4, 4),
            _ => (8, 4),
        };
        self.skip(id, "id")?;
        self.skip(creation, "creation")
    }

    #[inline(never)]
    fn reference(&mut self) -> R<()> {
        self.atom_term("node")?;
        self.skip(4, "id")?;
        self.skip(1, "creation")
    }

    #[inline(never)]
    fn new_reference(&mut self, tag: u8) -> R<()> {
        let len_at = self.at();
        let len = self.u16("id_count")?;
        if len == 0 || len > 5 {
            return Err(self.invalid(
                len_at,
                "id_count",
                format!("{len} id words: OTP accepts 1..5"),
            ));
        }
        self.atom_term("node")?;
        self.skip(if tag == NEWER_REFERENCE_EXT { 4 } else { 1 }, "creation")?;
        for _ in 0..len {
            self.skip(4, "id")?;
        }
        Ok(())
    }

    #[inline(never)]
    fn export(&mut self) -> R<()> {
        self.atom_term("module")?;
        self.atom_term("function")?;
        let a_at = self.at();
        if self.flat("arity")? != SMALL_INTEGER_EXT {
            return Err(self.invalid(
                a_at,
                "arity",
                "EXPORT_EXT arity must be a SMALL_INTEGER_EXT".into(),
            ));
        }
        Ok(())
    }

    #[inline(never)]
    fn new_fun(&mut self) -> R<usize> {
        self.skip(4, "size")?;
        self.skip(1, "arity")?;
        self.skip(16, "uniq")?;
        self.skip(4, "index")?;
        let nf_at = self.at();
        let num_free = self.u32("num_free")?;
        if num_free > 255 {
            return Err(self.invalid(
                nf_at,
                "num_free",
                format!("{num_free} free variables: at most 255"),
            ));
        }
        self.atom_term("module")?;
        self.flat("old_index")?;
        self.flat("old_uniq")?;
        let p_at = self.at();
        let pid = self.flat("pid")?;
        if pid != PID_EXT && pid != NEW_PID_EXT {
            return Err(self.invalid(p_at, "pid", "NEW_FUN_EXT needs a pid here".into()));
        }
        Ok(usize_of(num_free.into()))
    }

    #[inline(never)]
    fn old_fun(&mut self) -> R<usize> {
        let num_free = self.u32("num_free")?;
        let at = self.at();
        let nf = self.count(num_free.into(), 1, at, "num_free")?;
        self.flat("pid")?;
        self.atom_term("module")?;
        self.flat("index")?;
        self.flat("uniq")?;
        Ok(nf)
    }

    #[inline(never)]
    fn big(&mut self, tag: u8) -> R<()> {
        let n_at = self.at();
        let n = if tag == LARGE_BIG_EXT {
            self.u32("digit_count")?
        } else {
            self.u8("digit_count")?.into()
        };
        let n = self.count(n.into(), 1, n_at, "digit_count")?;
        self.skip(1, "sign")?;
        self.take(n, "digits")?;
        Ok(())
    }

    #[inline(never)]
    fn old_float(&mut self) -> R<()> {
        let at = self.at();
        let b = self.take(31, "value")?;
        let text = String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or(&[]));
        if text.trim().parse::<f64>().map(f64::is_finite) != Ok(true) {
            self.bad_last();
            return Err(self.invalid(at, "value", format!("{text:?} is not a float")));
        }
        Ok(())
    }

    #[inline]
    fn atom(&mut self, tag: u8) -> R<()> {
        let len = if tag == SMALL_ATOM_UTF8_EXT || tag == SMALL_ATOM_EXT {
            usize::from(self.u8("length")?)
        } else {
            usize::from(self.u16("length")?)
        };
        let n_at = self.at();
        let b = self.take(len, "name")?;
        if tag == ATOM_UTF8_EXT || tag == SMALL_ATOM_UTF8_EXT {
            match std::str::from_utf8(b) {
                Ok(s) => {
                    if len > 255 {
                        let chars = s.chars().count();
                        if chars > 255 {
                            self.bad_last();
                            return Err(self.invalid(
                                n_at,
                                "name",
                                format!("an atom of {chars} characters: at most 255"),
                            ));
                        }
                    }
                }
                Err(e) => {
                    self.bad_last();
                    return Err(self.invalid(
                        n_at + e.valid_up_to(),
                        "name",
                        "invalid UTF-8 in a UTF-8 atom".into(),
                    ));
                }
            }
        } else if len > 255 {
            self.bad_last();
            return Err(self.invalid(
                n_at,
                "name",
                format!("an atom of {len} characters: at most 255"),
            ));
        }
        Ok(())
    }

    #[inline(never)]
    fn cache_ref(&mut self) -> R<()> {
        let i = self.u8("index")?;
        let slot = usize::from(i);
        if self.arena.cache_name(i).is_none() {
            if let Some(n) = self
                .opts
                .atom_refs
                .and_then(|refs| refs.get(slot))
                .and_then(|n| n.as_deref())
            {
                if self.arena.refs.len() <= slot {
                    self.arena.refs.resize(slot + 1, None);
                }
                if let Some(s) = self.arena.refs.get_mut(slot) {
                    *s = Some(n.into());
                }
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn bit_binary(&mut self) -> R<()> {
        let len_at = self.at();
        let n = self.u32("length")?;
        let n = self.count(n.into(), 1, len_at, "length")?;
        let b_at = self.at();
        let bits = self.u8("bits")?;
        if bits > 8 || (bits == 0) != (n == 0) {
            return Err(self.invalid(
                b_at,
                "bits",
                format!("{bits} used bits with {n} bytes: must be 1..8 (0 only when empty)"),
            ));
        }
        self.take(n, "data")?;
        Ok(())
    }

    #[cold]
    fn bad_tag(&mut self, at: usize, tag: u8) -> Fail {
        let what = match tag {
            VERSION_MAGIC => "131 is the version byte, not a term tag: a term inside a message does not repeat it",
            COMPRESSED => "COMPRESSED only appears right after the version byte, at the top level",
            72..=76 | 78 => "an internal tag of the emulator: never valid on the wire",
            _ => "not an external term tag",
        };
        self.invalid(at, "tag", format!("tag {tag} (0x{tag:02x}): {what}"))
    }

    /// Reads one term's own fields (not its children); gives how many
    /// children follow (0 for a term that is not a container).
    #[inline]
    fn head(&mut self, tag: Option<u8>) -> R<usize> {
        let t_at = self.at();
        let Some(tag) = tag else {
            return Err(self.short(1, "tag"));
        };
        self.pos += 1;
        match tag {
            SMALL_INTEGER_EXT => self.skip(1, "value")?,
            INTEGER_EXT => self.skip(4, "value")?,
            SMALL_ATOM_UTF8_EXT | ATOM_UTF8_EXT | ATOM_EXT | SMALL_ATOM_EXT => self.atom(tag)?,
            NEW_FLOAT_EXT => {
                let at = self.at();
                let f = f64::from_bits(u64::from_be_bytes(self.array("value")?));
                if !f.is_finite() {
                    self.bad_last();
                    return Err(self.invalid(
                        at,
                        "value",
                        "NaN or infinity: not an Erlang float (binary_to_term refuses it)".into(),
                    ));
                }
            }
            SMALL_TUPLE_EXT => {
                let n_at = self.at();
                let n = self.u8("arity")?;
                return self.count(n.into(), 1, n_at, "arity");
            }
            LARGE_TUPLE_EXT => {
                let n_at = self.at();
                let n = self.u32("arity")?;
                return self.count(n.into(), 1, n_at, "arity");
            }
            NIL_EXT => {}
            STRING_EXT => {
                let n = self.u16("length")?;
                self.take(n.into(), "bytes")?;
            }
            LIST_EXT => {
                let n_at = self.at();
                let n = self.u32("length")?;
                let n = self.count(n.into(), 1, n_at, "length")?;
                return Ok(n.saturating_add(1));
            }
            BINARY_EXT => {
                let n = self.u32("length")?;
                let n_at = self.at();
                let n = self.count(n.into(), 1, n_at, "length")?;
                self.take(n, "data")?;
            }
            MAP_EXT => {
                let n_at = self.at();
                let n = self.u32("arity")?;
                let n = self.count(n.into(), 2, n_at, "arity")?;
                return Ok(n.saturating_mul(2));
            }
            SMALL_BIG_EXT | LARGE_BIG_EXT => self.big(tag)?,
            FLOAT_EXT => self.old_float()?,
            ATOM_CACHE_REF => self.cache_ref()?,
            PID_EXT | NEW_PID_EXT => self.pid(tag)?,
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => self.port(tag)?,
            REFERENCE_EXT => self.reference()?,
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => self.new_reference(tag)?,
            BIT_BINARY_EXT => self.bit_binary()?,
            EXPORT_EXT => self.export()?,
            NEW_FUN_EXT => return self.new_fun(),
            FUN_EXT => return self.old_fun(),
            LOCAL_EXT => {
                self.skip(4, "hash")?;
                return Ok(1);
            }
            other => return Err(self.bad_tag(t_at, other)),
        }
        Ok(0)
    }
}

/// Tags whose terms contain other terms as children.
fn is_container(tag: Option<u8>) -> bool {
    matches!(
        tag,
        Some(
            SMALL_TUPLE_EXT
                | LARGE_TUPLE_EXT
                | LIST_EXT
                | MAP_EXT
                | NEW_FUN_EXT
                | FUN_EXT
                | LOCAL_EXT
        )
    )
}

/// Inflates a zlib stream, refusing more than `limit` bytes. `Ok(None)`:
/// the stream is cut short (more bytes needed).
fn inflate(z: &[u8], limit: usize) -> Result<Option<(Vec<u8>, usize)>, String> {
    use flate2::{Decompress, FlushDecompress, Status as ZStatus};
    let too_big = || format!("inflates to more than the declared {limit} bytes");
    let mut d = Decompress::new(true);
    // One byte over the limit is enough to tell a lying size field.
    let cap = limit.saturating_add(1);
    let mut out: Vec<u8> = Vec::new();
    loop {
        if out.len() >= cap {
            return Err(too_big());
        }
        if out.len() == out.capacity() {
            out.reserve(out.len().clamp(4096, 1 << 20).min(cap - out.len()));
        }
        let (in_before, out_before) = (d.total_in(), d.total_out());
        let input = z
            .get(usize::try_from(in_before).unwrap_or(usize::MAX)..)
            .unwrap_or(&[]);
        let st = d
            .decompress_vec(input, &mut out, FlushDecompress::None)
            .map_err(|e| format!("not a valid zlib stream: {e}"))?;
        let stalled = d.total_in() == in_before && d.total_out() == out_before;
        match st {
            ZStatus::StreamEnd if out.len() > limit => return Err(too_big()),
            ZStatus::StreamEnd => {
                let used = usize::try_from(d.total_in()).unwrap_or(z.len());
                return Ok(Some((out, used)));
            }
            // No progress with room left in `out`: the input ran out.
            _ if stalled && out.len() < out.capacity() => return Ok(None),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// Input past the 4 GiB cap is never read: a term that needs it is an
    /// error, not Incomplete (more bytes would not help). Shown with a cap
    /// of 8 bytes.
    #[test]
    fn a_term_past_the_cap_is_an_error() {
        fn run(b: &[u8], cap: usize) -> TermView<'_> {
            let opts = TermOptions::default();
            let mut d = Dec::with_cap(b, 0, &opts, cap);
            let r = d.external();
            d.finish(r, true)
        }
        // <<1,2,3,4,5>>: 11 bytes.
        let b = [131, 109, 0, 0, 0, 5, 1, 2, 3, 4, 5];
        assert_eq!(
            *run(&b, 8).status(),
            Status::Invalid(DecodeError {
                offset: 6,
                field: "data".into(),
                message: "a term reaching past 4 GiB of input: not supported".into(),
            })
        );
        assert!(run(&b, 11).status().is_complete());
        // A term that ends before the cap decodes; the rest is not looked at.
        let v = run(&[131, 97, 7, 0xff, 0xff], 3);
        assert!(v.status().is_complete());
        assert_eq!(v.consumed(), 3);
        // Within the cap, a short input is still Incomplete.
        assert!(run(&b[..7], 8).status().is_incomplete());
    }
}
