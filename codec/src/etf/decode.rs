//! Bytes → [`Term`] plus its span tree, safely: no panic, no allocation sized
//! from a wire count beyond what the remaining bytes can hold, a nesting
//! limit, and a limit on inflated size.

use super::tags::*;
use super::term::*;
use crate::reader::{DecodeError, Incomplete, Status, Stop};
use crate::span::{Span, Text, Value};
use std::borrow::Cow;

/// Decoder limits. Decoding and encoding keep nesting on the heap, so the
/// depth limit is about what a sensible term looks like and what recursive
/// consumers (printing, `Drop`) can take, not about the decoder's stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of compound terms accepted.
    pub max_depth: usize,
    /// Largest inflated size of a COMPRESSED term.
    pub max_inflated: usize,
    /// Most terms in one decode (every term costs a span group, some
    /// hundred bytes: this bounds memory, e.g. for a small compressed
    /// input that inflates to millions of elements).
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
    pub spans: Vec<Span>,
}

/// The result of decoding one term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermDecoded {
    /// The term, when complete.
    pub term: Option<Term>,
    /// The span tree (one group per term, leaves for each field).
    pub spans: Vec<Span>,
    /// Bytes belonging to the term.
    pub consumed: usize,
    /// Complete, incomplete or invalid.
    pub status: Status,
    /// For a COMPRESSED term, the inflated bytes and their spans.
    pub inflated: Option<Inflated>,
}

/// Decodes `131, Tag, Data` (or `131, 80, ...` compressed) from the front of
/// `data`; `base` is the absolute offset of `data[0]`.
pub fn decode_external(data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    let mut d = Dec::new(data, base, opts);
    let mut spans = Vec::new();
    let r = d.external(&mut spans);
    d.finish(r, spans)
}

/// Decodes a term without the 131 (as inside distribution messages).
pub fn decode_term(data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    let mut d = Dec::new(data, base, opts);
    let mut spans = Vec::new();
    let r = d.term(&mut spans, Cow::Borrowed("term"));
    d.finish(r, spans)
}

type R<T> = Result<T, Stop>;

/// A wire count as usize (saturating on 32-bit targets: the bytes run out first).
fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

struct Dec<'a, 'o> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    opts: &'o TermOptions<'o>,
    /// Running out of bytes is an error (inflated data), not "incomplete".
    bounded: bool,
    /// Terms read so far (against `max_terms`).
    terms: usize,
    inflated: Option<Inflated>,
}

fn leaf(
    field: &'static str,
    offset: usize,
    length: usize,
    value: Value,
    meaning: impl Into<Text>,
) -> Span {
    Span::leaf(field, offset, length, value, meaning)
}

impl<'a, 'o> Dec<'a, 'o> {
    fn new(data: &'a [u8], base: usize, opts: &'o TermOptions<'o>) -> Dec<'a, 'o> {
        Dec {
            data,
            pos: 0,
            base,
            opts,
            bounded: false,
            terms: 0,
            inflated: None,
        }
    }

    fn finish(self, r: R<Term>, spans: Vec<Span>) -> TermDecoded {
        match r {
            Ok(term) => TermDecoded {
                term: Some(term),
                spans,
                consumed: self.pos,
                status: Status::Complete,
                inflated: self.inflated,
            },
            Err(stop) => TermDecoded {
                term: None,
                spans,
                consumed: self.data.len(),
                status: match stop {
                    Stop::Incomplete(i) => Status::Incomplete(i),
                    Stop::Invalid(e) => Status::Invalid(e),
                },
                inflated: self.inflated,
            },
        }
    }

    fn at(&self) -> usize {
        self.base + self.pos
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn invalid(&self, offset: usize, field: &str, message: impl Into<String>) -> Stop {
        Stop::Invalid(DecodeError {
            offset,
            field: field.to_string(),
            message: message.into(),
        })
    }

    fn take(&mut self, n: usize, field: &'static str) -> R<&'a [u8]> {
        let have = self.remaining();
        if have < n {
            if self.bounded {
                return Err(self.invalid(
                    self.at(),
                    field,
                    format!("needs {n} bytes, {have} remain in the inflated data"),
                ));
            }
            return Err(Stop::Incomplete(Incomplete::new(
                Some(n - have),
                field.to_string(),
            )));
        }
        let s = self.data.get(self.pos..self.pos + n).unwrap_or(&[]);
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self, field: &'static str) -> R<u8> {
        Ok(self.take(1, field)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self, field: &'static str) -> R<u16> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    }
    fn u32(&mut self, field: &'static str) -> R<u32> {
        let b = self.take(4, field)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_be_bytes(a))
    }
    fn u64(&mut self, field: &'static str) -> R<u64> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Reads a fixed-size field and records its leaf.
    fn num(
        &mut self,
        out: &mut Vec<Span>,
        field: &'static str,
        size: usize,
        meaning: &'static str,
    ) -> R<u64> {
        let start = self.at();
        let v = match size {
            1 => u64::from(self.u8(field)?),
            2 => u64::from(self.u16(field)?),
            4 => u64::from(self.u32(field)?),
            _ => self.u64(field)?,
        };
        out.push(leaf(field, start, size, Value::UInt(v), meaning));
        Ok(v)
    }

    /// [`num`](Self::num) for a field of at most 4 bytes.
    fn n32(
        &mut self,
        out: &mut Vec<Span>,
        field: &'static str,
        size: usize,
        meaning: &'static str,
    ) -> R<u32> {
        Ok(u32::try_from(self.num(out, field, size.min(4), meaning)?).unwrap_or(u32::MAX))
    }

    /// [`num`](Self::num) for a 1-byte field.
    fn n8(
        &mut self,
        out: &mut Vec<Span>,
        field: &'static str,
        size: usize,
        meaning: &'static str,
    ) -> R<u8> {
        Ok(u8::try_from(self.num(out, field, size.min(1), meaning)?).unwrap_or(u8::MAX))
    }

    /// A count read off the wire, checked against what the bytes can hold
    /// (each item needs at least `min` bytes).
    fn count(&self, n: u64, min: usize, at: usize, field: &'static str) -> R<usize> {
        let n =
            usize::try_from(n).map_err(|_| self.invalid(at, field, format!("{n} is too large")))?;
        let room = self.remaining() / min.max(1);
        if self.bounded && n > room {
            return Err(self.invalid(
                at,
                field,
                format!(
                    "declares {n} items but only {} bytes remain",
                    self.remaining()
                ),
            ));
        }
        Ok(n)
    }

    fn external(&mut self, out: &mut Vec<Span>) -> R<Term> {
        let start = self.at();
        let v = self.u8("version")?;
        if v != VERSION_MAGIC {
            return Err(self.invalid(
                start,
                "version",
                format!("expected the version byte 131 (0x83), found {v} (0x{v:02x})"),
            ));
        }
        out.push(leaf(
            "version",
            start,
            1,
            Value::UInt(131),
            "131 = the external term format version byte (term_to_binary output starts with it)",
        ));
        if self.data.get(self.pos) == Some(&COMPRESSED) {
            return self.compressed(out);
        }
        self.term(out, Cow::Borrowed("term"))
    }

    fn compressed(&mut self, out: &mut Vec<Span>) -> R<Term> {
        let start = self.at();
        let mut kids = Vec::new();
        let r = self.compressed_inner(&mut kids);
        out.push(Span {
            field: Cow::Borrowed("compressed"),
            offset: start,
            length: self.at() - start,
            value: Value::Null,
            meaning: Cow::Borrowed(meaning(COMPRESSED)),
            children: kids,
        });
        r
    }

    fn compressed_inner(&mut self, kids: &mut Vec<Span>) -> R<Term> {
        let t = self.at();
        self.u8("tag")?;
        kids.push(leaf(
            "tag",
            t,
            1,
            Value::UInt(COMPRESSED.into()),
            meaning(COMPRESSED),
        ));
        let size_at = self.at();
        let size = self.num(
            kids,
            "uncompressed_size",
            4,
            "UncompressedSize: bytes of Tag+Data once inflated",
        )?;
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > self.opts.limits.max_inflated {
            return Err(self.invalid(
                size_at,
                "uncompressed_size",
                format!(
                    "{size} bytes once inflated is over the limit of {}",
                    self.opts.limits.max_inflated
                ),
            ));
        }
        // The zlib stream runs to the end of the input.
        let z_at = self.at();
        let z = self.data.get(self.pos..).unwrap_or(&[]);
        let inflated = inflate(z, size).map_err(|m| self.invalid(z_at, "zlib", m))?;
        let (bytes, used) = match inflated {
            Some(x) => x,
            None => {
                return Err(Stop::Incomplete(Incomplete::new(
                    None,
                    "COMPRESSED.zlib".into(),
                )));
            }
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
        kids.push(leaf(
            "zlib",
            z_at,
            used,
            Value::UInt(used as u64),
            "the zlib (RFC 1950) stream; its inflated bytes are decoded separately",
        ));
        let opts = self.opts;
        let mut inner = Dec::new(&bytes, 0, opts);
        inner.bounded = true;
        let mut spans = Vec::new();
        let r = inner.term(&mut spans, Cow::Borrowed("term"));
        let used_inner = inner.pos;
        let zlib = self
            .data
            .get(z_at - self.base..self.pos)
            .unwrap_or(&[])
            .to_vec();
        let result = match r {
            Ok(term) if used_inner == bytes.len() => Ok(Term::Compressed {
                size: u32::try_from(size).unwrap_or(u32::MAX),
                zlib,
                term: Box::new(term),
            }),
            Ok(_) => Err(self.invalid(
                z_at,
                "zlib",
                format!(
                    "{} bytes left over after the inflated term",
                    bytes.len() - used_inner
                ),
            )),
            Err(Stop::Invalid(mut e)) => {
                e.message = format!("in the inflated data at byte {}: {}", e.offset, e.message);
                e.offset = z_at;
                Err(Stop::Invalid(e))
            }
            Err(Stop::Incomplete(i)) => Err(self.invalid(z_at, "zlib", i.message)),
        };
        self.inflated = Some(Inflated { bytes, spans });
        result
    }

    /// One term: pushes its group span (also on error, with what was read).
    /// Iterative: containers are kept on an explicit stack, so nesting costs
    /// heap, not call stack, and the depth limit is a clean error.
    fn term(&mut self, out: &mut Vec<Span>, field: Text) -> R<Term> {
        let mut stack: Vec<Open> = Vec::new();
        let mut field = field;
        loop {
            let start = self.at();
            let tag = self.data.get(self.pos).copied();
            self.terms += 1;
            if self.terms > self.opts.limits.max_terms {
                let e = self.invalid(
                    start,
                    "term",
                    format!(
                        "more than {} terms in one decode: refused",
                        self.opts.limits.max_terms
                    ),
                );
                self.unwind(stack, out);
                return Err(e);
            }
            let mut kids = Vec::new();
            let (mut term, mut span) = match self.head(&mut kids) {
                Ok(Head::Leaf(t)) => {
                    let span = group(field, start, self.at() - start, value_of(&t), tag, kids);
                    (t, span)
                }
                Ok(Head::Open(kind, left)) => {
                    let open = Open {
                        kind,
                        start,
                        field,
                        tag,
                        kids,
                        items: Vec::with_capacity(left.min(self.remaining())),
                        left,
                    };
                    if left > 0 {
                        if stack.len() >= self.opts.limits.max_depth {
                            let e = self.invalid(
                                start,
                                "term",
                                format!(
                                    "terms nested deeper than {} levels: refused",
                                    self.opts.limits.max_depth
                                ),
                            );
                            stack.push(open);
                            self.unwind(stack, out);
                            return Err(e);
                        }
                        field = open.child_field();
                        stack.push(open);
                        continue;
                    }
                    let at = self.at();
                    open.close(at)
                }
                Err(e) => {
                    out_or_parent(&mut stack, out).push(group(
                        field,
                        start,
                        self.at() - start,
                        Value::Null,
                        tag,
                        kids,
                    ));
                    self.unwind(stack, out);
                    return Err(e);
                }
            };
            // Hand the finished term to its container, closing every
            // container that this completes.
            loop {
                let Some(top) = stack.last_mut() else {
                    out.push(span);
                    return Ok(term);
                };
                top.kids.push(span);
                top.items.push(term);
                top.left -= 1;
                if top.left > 0 {
                    field = top.child_field();
                    break;
                }
                let Some(done) = stack.pop() else {
                    return Err(self.invalid(start, "term", "internal: empty stack"));
                };
                (term, span) = done.close(self.at());
            }
        }
    }

    /// On an error, turns the open containers into group spans (what was
    /// read so far), innermost first.
    fn unwind(&self, mut stack: Vec<Open>, out: &mut Vec<Span>) {
        let end = self.at();
        while let Some(o) = stack.pop() {
            let span = group(o.field, o.start, end - o.start, Value::Null, o.tag, o.kids);
            out_or_parent(&mut stack, out).push(span);
        }
    }

    /// A sub-term that cannot contain other terms at any depth worth a stack
    /// (node atoms, arities, a fun's pid): read directly.
    fn flat(&mut self, out: &mut Vec<Span>, field: &'static str) -> R<Term> {
        let start = self.at();
        let tag = self.data.get(self.pos).copied();
        let mut kids = Vec::new();
        let r = match self.head(&mut kids) {
            Ok(Head::Leaf(t)) => Ok(t),
            Ok(Head::Open(..)) => Err(self.invalid(
                start,
                field,
                format!("{field} cannot be a tuple, list, map or fun"),
            )),
            Err(e) => Err(e),
        };
        let value = r.as_ref().map_or(Value::Null, value_of);
        out.push(group(
            Cow::Borrowed(field),
            start,
            self.at() - start,
            value,
            tag,
            kids,
        ));
        r
    }

    fn atom_term(&mut self, out: &mut Vec<Span>, field: &'static str) -> R<Term> {
        let at = self.at();
        let t = self.flat(out, field)?;
        match &t {
            Term::Atom(_) => Ok(t),
            Term::Nil => Ok(t), // "this node" inside LOCAL_EXT encodings
            _ => Err(self.invalid(at, field, format!("{field} must be an atom"))),
        }
    }

    #[inline(never)]
    fn pid(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Term> {
        let d = self;
        let _ = tag;
        let node = d.atom_term(kids, "node")?;
        let id = d.n32(kids, "id", 4, "process number")?;
        let serial = d.n32(kids, "serial", 4, "serial")?;
        let creation = if tag == NEW_PID_EXT {
            d.n32(
                kids,
                "creation",
                4,
                "creation: which incarnation of the node (32-bit)",
            )?
        } else {
            d.n32(
                kids,
                "creation",
                1,
                "creation: which incarnation of the node (2 bits used)",
            )?
        };
        Ok(Term::Pid(Pid {
            new: tag == NEW_PID_EXT,
            node: Box::new(node),
            id,
            serial,
            creation,
        }))
    }

    #[inline(never)]
    fn port(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Term> {
        let d = self;
        let _ = tag;
        let node = d.atom_term(kids, "node")?;
        let (kind, id, creation) = match tag {
            PORT_EXT => (
                PortKind::Port,
                d.num(kids, "id", 4, "port number")?,
                d.n32(kids, "creation", 1, "creation (8-bit)")?,
            ),
            NEW_PORT_EXT => (
                PortKind::NewPort,
                d.num(kids, "id", 4, "port number")?,
                d.n32(kids, "creation", 4, "creation (32-bit)")?,
            ),
            _ => (
                PortKind::V4Port,
                d.num(kids, "id", 8, "port number (64-bit)")?,
                d.n32(kids, "creation", 4, "creation (32-bit)")?,
            ),
        };
        Ok(Term::Port(Port {
            kind,
            node: Box::new(node),
            id,
            creation,
        }))
    }

    #[inline(never)]
    fn reference(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Term> {
        let d = self;
        let _ = tag;
        let node = d.atom_term(kids, "node")?;
        let id = d.n32(kids, "id", 4, "the reference's id word")?;
        let creation = d.n32(kids, "creation", 1, "creation (8-bit)")?;
        Ok(Term::Ref(Ref {
            kind: RefKind::Reference,
            node: Box::new(node),
            creation,
            ids: vec![id],
        }))
    }

    #[inline(never)]
    fn new_reference(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Term> {
        let d = self;
        let _ = tag;
        let len_at = d.at();
        let len = d.num(kids, "id_count", 2, "number of id words (1..5)")?;
        if len == 0 || len > 5 {
            return Err(d.invalid(
                len_at,
                "id_count",
                format!("{len} id words: OTP accepts 1..5"),
            ));
        }
        let node = d.atom_term(kids, "node")?;
        let creation = if tag == NEWER_REFERENCE_EXT {
            d.n32(kids, "creation", 4, "creation (32-bit)")?
        } else {
            d.n32(kids, "creation", 1, "creation (8-bit)")?
        };
        let mut ids = Vec::with_capacity(usize_of(len));
        for _ in 0..len {
            ids.push(d.n32(kids, "id", 4, "an id word (wire order)")?);
        }
        let kind = if tag == NEWER_REFERENCE_EXT {
            RefKind::NewerReference
        } else {
            RefKind::NewReference
        };
        Ok(Term::Ref(Ref {
            kind,
            node: Box::new(node),
            creation,
            ids,
        }))
    }

    #[inline(never)]
    fn tuple(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Head> {
        let d = self;
        let _ = tag;
        let large = tag == LARGE_TUPLE_EXT;
        let n_at = d.at();
        let n = if large {
            d.num(kids, "arity", 4, "number of elements")?
        } else {
            d.num(kids, "arity", 1, "number of elements")?
        };
        let n = d.count(n, 1, n_at, "arity")?;
        Ok(Head::Open(OpenKind::Tuple { large }, n))
    }

    #[inline(never)]
    fn map(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Head> {
        let d = self;
        let _ = tag;
        let n_at = d.at();
        let n = d.num(kids, "arity", 4, "number of key => value pairs")?;
        let n = d.count(n, 2, n_at, "arity")?;
        Ok(Head::Open(OpenKind::Map, n.saturating_mul(2)))
    }

    #[inline(never)]
    fn list(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Head> {
        let d = self;
        let _ = tag;
        let n_at = d.at();
        let n = d.num(
            kids,
            "length",
            4,
            "number of elements (the tail is not counted)",
        )?;
        let n = d.count(n, 1, n_at, "length")?;
        Ok(Head::Open(OpenKind::List, n.saturating_add(1)))
    }

    #[inline(never)]
    fn export(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Term> {
        let d = self;
        let _ = tag;
        let module = d.atom_term(kids, "module")?;
        let function = d.atom_term(kids, "function")?;
        let a_at = d.at();
        let arity = d.flat(kids, "arity")?;
        if !matches!(arity, Term::SmallInteger(_)) {
            return Err(d.invalid(
                a_at,
                "arity",
                "EXPORT_EXT arity must be a SMALL_INTEGER_EXT",
            ));
        }
        Ok(Term::Export {
            module: Box::new(module),
            function: Box::new(function),
            arity: Box::new(arity),
        })
    }

    #[inline(never)]
    fn new_fun(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Head> {
        let d = self;
        let _ = tag;
        let size = d.n32(
            kids,
            "size",
            4,
            "Size: bytes from this field to the end (OTP ignores it)",
        )?;
        let arity = d.n8(kids, "arity", 1, "the fun's arity")?;
        let u_at = d.at();
        let u = d.take(16, "uniq")?;
        let mut uniq = [0u8; 16];
        uniq.copy_from_slice(u);
        kids.push(leaf(
            "uniq",
            u_at,
            16,
            Value::Bytes(uniq.to_vec()),
            "MD5 of the module's code",
        ));
        let index = d.n32(kids, "index", 4, "index in the module's fun table")?;
        let nf_at = d.at();
        let num_free = d.num(kids, "num_free", 4, "number of free variables")?;
        if num_free > 255 {
            return Err(d.invalid(
                nf_at,
                "num_free",
                format!("{num_free} free variables: at most 255"),
            ));
        }
        let module = d.atom_term(kids, "module")?;
        let old_index = d.flat(kids, "old_index")?;
        let old_uniq = d.flat(kids, "old_uniq")?;
        let p_at = d.at();
        let pid = d.flat(kids, "pid")?;
        if !matches!(pid, Term::Pid(_)) {
            return Err(d.invalid(p_at, "pid", "NEW_FUN_EXT needs a pid here"));
        }
        Ok(Head::Open(
            OpenKind::NewFun(Box::new(NewFun {
                size,
                arity,
                uniq,
                index,
                module,
                old_index,
                old_uniq,
                pid,
                free: Vec::new(),
            })),
            usize_of(num_free),
        ))
    }

    #[inline(never)]
    fn old_fun(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Head> {
        let d = self;
        let _ = tag;
        let num_free = d.num(kids, "num_free", 4, "number of free variables")?;
        let nf = d.count(num_free, 1, d.at(), "num_free")?;
        let pid = d.flat(kids, "pid")?;
        let module = d.atom_term(kids, "module")?;
        let index = d.flat(kids, "index")?;
        let uniq = d.flat(kids, "uniq")?;
        Ok(Head::Open(
            OpenKind::OldFun(Box::new(OldFun {
                pid,
                module,
                index,
                uniq,
                free: Vec::new(),
            })),
            nf,
        ))
    }

    #[inline(never)]
    fn local(&mut self, tag: u8, kids: &mut Vec<Span>) -> R<Head> {
        let d = self;
        let _ = tag;
        let hash = d.n32(kids, "hash", 4, "a hash only the encoding node can check")?;
        Ok(Head::Open(OpenKind::Local { hash }, 1))
    }

    #[inline(never)]
    fn head(&mut self, kids: &mut Vec<Span>) -> R<Head> {
        let t_at = self.at();
        let tag = self.u8("tag")?;
        kids.push(leaf("tag", t_at, 1, Value::UInt(tag.into()), meaning(tag)));
        Ok(Head::Leaf(match tag {
            SMALL_INTEGER_EXT => {
                let v = self.num(kids, "value", 1, "the integer, unsigned")?;
                Term::SmallInteger(u8::try_from(v).unwrap_or(0))
            }
            INTEGER_EXT => {
                let at = self.at();
                let v = self.u32("value")? as i32;
                kids.push(leaf(
                    "value",
                    at,
                    4,
                    Value::Int(v.into()),
                    "the integer, 32-bit two's complement",
                ));
                Term::Integer(v)
            }
            SMALL_BIG_EXT | LARGE_BIG_EXT => {
                let large = tag == LARGE_BIG_EXT;
                let n_at = self.at();
                let n = if large {
                    self.num(kids, "digit_count", 4, "number of digit bytes")?
                } else {
                    self.num(kids, "digit_count", 1, "number of digit bytes")?
                };
                let n = self.count(n, 1, n_at, "digit_count")?;
                let s_at = self.at();
                let sign = self.u8("sign")?;
                kids.push(leaf(
                    "sign",
                    s_at,
                    1,
                    Value::UInt(sign.into()),
                    if sign == 0 {
                        "sign 0: positive"
                    } else {
                        "sign non-zero: negative (a separate sign byte, not two's complement)"
                    },
                ));
                let d_at = self.at();
                let digits = self.take(n, "digits")?.to_vec();
                if n > 0 {
                    kids.push(leaf(
                        "digits",
                        d_at,
                        n,
                        Value::Text(super::big_decimal_short(sign, &digits)),
                        "the magnitude in base 256, least significant byte FIRST (little-endian)",
                    ));
                }
                Term::Big {
                    large,
                    sign,
                    digits,
                }
            }
            NEW_FLOAT_EXT => {
                let at = self.at();
                let bits = self.u64("value")?;
                let f = f64::from_bits(bits);
                if !f.is_finite() {
                    return Err(self.invalid(
                        at,
                        "value",
                        "NaN or infinity: not an Erlang float (binary_to_term refuses it)",
                    ));
                }
                kids.push(leaf(
                    "value",
                    at,
                    8,
                    Value::Text(super::float_text(f)),
                    "IEEE 754 double, big-endian",
                ));
                Term::Float(f)
            }
            FLOAT_EXT => {
                let at = self.at();
                let b = self.take(31, "value")?.to_vec();
                let text = String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or(&[]))
                    .into_owned();
                if text.trim().parse::<f64>().map(f64::is_finite) != Ok(true) {
                    return Err(self.invalid(at, "value", format!("{text:?} is not a float")));
                }
                kids.push(leaf(
                    "value",
                    at,
                    31,
                    Value::Text(text),
                    "the float as \"%.20e\" text, NUL padded to 31 bytes",
                ));
                Term::OldFloat(b)
            }
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                let small = tag == SMALL_ATOM_EXT || tag == SMALL_ATOM_UTF8_EXT;
                let utf8 = tag == ATOM_UTF8_EXT || tag == SMALL_ATOM_UTF8_EXT;
                let len = if small {
                    self.num(kids, "length", 1, "byte length of the name")?
                } else {
                    self.num(kids, "length", 2, "byte length of the name")?
                };
                let n_at = self.at();
                let b = self.take(usize_of(len), "name")?;
                let name = if utf8 {
                    match std::str::from_utf8(b) {
                        Ok(s) => s.to_string(),
                        Err(e) => {
                            return Err(self.invalid(
                                n_at + e.valid_up_to(),
                                "name",
                                "invalid UTF-8 in a UTF-8 atom",
                            ))
                        }
                    }
                } else {
                    b.iter().map(|&c| char::from(c)).collect()
                };
                let chars = name.chars().count();
                if chars > 255 {
                    return Err(self.invalid(
                        n_at,
                        "name",
                        format!("an atom of {chars} characters: at most 255"),
                    ));
                }
                if len > 0 {
                    kids.push(leaf(
                        "name",
                        n_at,
                        usize_of(len),
                        Value::Text(name.clone()),
                        if utf8 {
                            "the atom's name, UTF-8"
                        } else {
                            "the atom's name, Latin-1 (one byte per character)"
                        },
                    ));
                }
                let enc = match tag {
                    ATOM_EXT => AtomEnc::Atom,
                    SMALL_ATOM_EXT => AtomEnc::SmallAtom,
                    ATOM_UTF8_EXT => AtomEnc::AtomUtf8,
                    _ => AtomEnc::SmallAtomUtf8,
                };
                Term::Atom(Atom {
                    enc,
                    name: Some(name),
                })
            }
            ATOM_CACHE_REF => {
                let at = self.at();
                let i = self.u8("index")?;
                let name = self
                    .opts
                    .atom_refs
                    .and_then(|refs| refs.get(usize::from(i)).cloned().flatten());
                let m: Text = match &name {
                    Some(n) => Cow::Owned(format!("atom-cache ref {i} = '{n}'")),
                    None => Cow::Borrowed("index into the distribution header's atom refs (no header given: unresolved)"),
                };
                kids.push(leaf("index", at, 1, Value::UInt(i.into()), m));
                Term::Atom(Atom {
                    enc: AtomEnc::CacheRef(i),
                    name,
                })
            }
            PID_EXT | NEW_PID_EXT => self.pid(tag, kids)?,
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => self.port(tag, kids)?,
            REFERENCE_EXT => self.reference(tag, kids)?,
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => self.new_reference(tag, kids)?,
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => return self.tuple(tag, kids),
            MAP_EXT => return self.map(tag, kids),
            NIL_EXT => Term::Nil,
            STRING_EXT => {
                let n = self.num(kids, "length", 2, "number of elements (bytes)")?;
                let at = self.at();
                let b = self.take(usize_of(n), "bytes")?.to_vec();
                if n > 0 {
                    kids.push(leaf(
                        "bytes",
                        at,
                        usize_of(n),
                        Value::Text(String::from_utf8_lossy(&b).into_owned()),
                        "the list's elements, one byte each",
                    ));
                }
                Term::String(b)
            }
            LIST_EXT => return self.list(tag, kids),
            BINARY_EXT => {
                let n = self.num(kids, "length", 4, "number of bytes")?;
                let n_at = self.at();
                let n = self.count(n, 1, n_at, "length")?;
                let data = self.take(n, "data")?.to_vec();
                if n > 0 {
                    kids.push(leaf(
                        "data",
                        n_at,
                        n,
                        Value::UInt(n as u64),
                        "the binary's bytes",
                    ));
                }
                Term::Binary(data)
            }
            BIT_BINARY_EXT => {
                let len_at = self.at();
                let n = self.num(kids, "length", 4, "number of bytes")?;
                let n = self.count(n, 1, len_at, "length")?;
                let b_at = self.at();
                let bits = self.n8(
                    kids,
                    "bits",
                    1,
                    "bits used in the last byte, from its most significant bit (1..8)",
                )?;
                if bits > 8 || (bits == 0) != (n == 0) {
                    return Err(self.invalid(
                        b_at,
                        "bits",
                        format!(
                            "{bits} used bits with {n} bytes: must be 1..8 (0 only when empty)"
                        ),
                    ));
                }
                let at = self.at();
                let data = self.take(n, "data")?.to_vec();
                if n > 0 {
                    kids.push(leaf(
                        "data",
                        at,
                        n,
                        Value::UInt(n as u64),
                        "the bytes; the last one only partly used",
                    ));
                }
                Term::BitBinary { data, bits }
            }
            EXPORT_EXT => self.export(tag, kids)?,
            NEW_FUN_EXT => return self.new_fun(tag, kids),
            FUN_EXT => return self.old_fun(tag, kids),
            LOCAL_EXT => return self.local(tag, kids),
            other => {
                let what = match other {
                    VERSION_MAGIC => "131 is the version byte, not a term tag: a term inside a message does not repeat it",
                    COMPRESSED => "COMPRESSED only appears right after the version byte, at the top level",
                    72..=76 | 78 => "an internal tag of the emulator: never valid on the wire",
                    _ => "not an external term tag",
                };
                return Err(self.invalid(
                    t_at,
                    "tag",
                    format!("tag {other} (0x{other:02x}): {what}"),
                ));
            }
        }))
    }
}

/// What reading one term's head gave: a whole term, or a container whose
/// `usize` children follow.
enum Head {
    Leaf(Term),
    Open(OpenKind, usize),
}

/// The containers the iterative decoder keeps open.
enum OpenKind {
    Tuple {
        large: bool,
    },
    /// Elements, then the tail as the last child.
    List,
    /// Keys and values alternating.
    Map,
    NewFun(Box<NewFun>),
    OldFun(Box<OldFun>),
    Local {
        hash: u32,
    },
}

/// A container being read.
struct Open {
    kind: OpenKind,
    start: usize,
    field: Text,
    tag: Option<u8>,
    kids: Vec<Span>,
    items: Vec<Term>,
    /// Children still to read.
    left: usize,
}

impl Open {
    fn child_field(&self) -> Text {
        Cow::Borrowed(match self.kind {
            OpenKind::Tuple { .. } => "element",
            OpenKind::List if self.left == 1 => "tail",
            OpenKind::List => "element",
            OpenKind::Map if self.items.len() % 2 == 0 => "key",
            OpenKind::Map => "value",
            OpenKind::NewFun(_) | OpenKind::OldFun(_) => "free_var",
            OpenKind::Local { .. } => "term",
        })
    }

    /// The finished term and its group span (`end`: absolute end offset).
    fn close(self, end: usize) -> (Term, Span) {
        let mut items = self.items;
        let term = match self.kind {
            OpenKind::Tuple { large } => Term::Tuple {
                large,
                elems: items,
            },
            OpenKind::List => {
                let tail = items.pop().unwrap_or(Term::Nil);
                Term::List {
                    elems: items,
                    tail: Box::new(tail),
                }
            }
            OpenKind::Map => {
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Term::Map(pairs)
            }
            OpenKind::NewFun(mut f) => {
                f.free = items;
                Term::NewFun(f)
            }
            OpenKind::OldFun(mut f) => {
                f.free = items;
                Term::OldFun(f)
            }
            OpenKind::Local { hash } => Term::Local {
                hash,
                term: Box::new(items.pop().unwrap_or(Term::Nil)),
            },
        };
        let span = group(
            self.field,
            self.start,
            end - self.start,
            Value::Null,
            self.tag,
            self.kids,
        );
        (term, span)
    }
}

/// The kids of the innermost open container, or the output.
fn out_or_parent<'s>(stack: &'s mut [Open], out: &'s mut Vec<Span>) -> &'s mut Vec<Span> {
    match stack.last_mut() {
        Some(o) => &mut o.kids,
        None => out,
    }
}

/// A term's group span.
fn group(
    field: Text,
    offset: usize,
    length: usize,
    value: Value,
    tag: Option<u8>,
    children: Vec<Span>,
) -> Span {
    Span {
        field,
        offset,
        length,
        value,
        meaning: Cow::Borrowed(tag.map_or("a term", |t| name(t).unwrap_or("unknown tag"))),
        children,
    }
}

/// The value shown on a term's group span: scalars only.
fn value_of(t: &Term) -> Value {
    match t {
        Term::SmallInteger(v) => Value::UInt((*v).into()),
        Term::Integer(v) => Value::Int((*v).into()),
        Term::Atom(a) => Value::Text(a.text()),
        _ => Value::Null,
    }
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
