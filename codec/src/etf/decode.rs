//! Bytes → [`Term`] plus its spans, safely: no panic, no allocation sized
//! from a wire count beyond what the remaining bytes can hold, a nesting
//! limit, and a limit on inflated size.
//!
//! The spans go into a flat [`SpanArena`] (one compact node per span, no
//! allocation per span); [`TermDecoded::spans`] builds the [`Span`] tree.

use super::arena::{l, Label, Mean, SpanArena, Val, MAX_NODES};
use super::tags::*;
use super::term::*;
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
    /// Most terms in one decode (every term costs a few span nodes, some
    /// tens of bytes each: this bounds memory, e.g. for a small compressed
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
    pub arena: SpanArena,
}

impl Inflated {
    /// The span tree of the inflated bytes (offsets relative to them).
    pub fn spans(&self) -> Vec<Span> {
        self.arena.to_spans(&self.bytes, 0)
    }
}

/// The result of decoding one term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermDecoded {
    /// The term, when complete.
    pub term: Option<Term>,
    /// The spans (one group per term, leaves for each field), flat; see
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
/// `data`; `base` is the absolute offset of `data[0]`.
pub fn decode_external(data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    let mut d = Dec::new(data, base, opts);
    let r = d.external();
    d.finish(r)
}

/// Decodes a term without the 131 (as inside distribution messages).
pub fn decode_term(data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    let mut d = Dec::new(data, base, opts);
    let r = d.term(TERM);
    d.finish(r)
}

type R<T> = Result<T, Stop>;

/// A wire count as usize (saturating on 32-bit targets: the bytes run out first).
fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Group field names.
const TERM: &Label = l!("term");
const ELEMENT: &Label = l!("element");
const TAIL: &Label = l!("tail");
const KEY: &Label = l!("key");
const VALUE: &Label = l!("value");
const FREE_VAR: &Label = l!("free_var");

struct Dec<'a, 'o> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    opts: &'o TermOptions<'o>,
    /// Running out of bytes is an error (inflated data), not "incomplete".
    bounded: bool,
    /// Terms read so far (against `max_terms`).
    terms: usize,
    arena: SpanArena,
    inflated: Option<Inflated>,
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
            arena: SpanArena::default(),
            inflated: None,
        }
    }

    fn finish(self, r: R<Term>) -> TermDecoded {
        match r {
            Ok(term) => TermDecoded {
                term: Some(term),
                arena: self.arena,
                base: self.base,
                consumed: self.pos,
                status: Status::Complete,
                inflated: self.inflated,
            },
            Err(stop) => TermDecoded {
                term: None,
                arena: self.arena,
                base: self.base,
                consumed: self.data.len(),
                status: match stop {
                    Stop::Incomplete(i) => Status::Incomplete(i),
                    Stop::Invalid(e) => Status::Invalid(e),
                },
                inflated: self.inflated,
            },
        }
    }

    #[inline]
    fn at(&self) -> usize {
        self.base + self.pos
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[cold]
    fn invalid(&self, offset: usize, field: &str, message: impl Into<String>) -> Stop {
        Stop::Invalid(DecodeError {
            offset,
            field: field.to_string(),
            message: message.into(),
        })
    }

    #[cold]
    fn short(&self, n: usize, field: &'static str) -> Stop {
        let have = self.remaining();
        if self.bounded {
            return self.invalid(
                self.at(),
                field,
                format!("needs {n} bytes, {have} remain in the inflated data"),
            );
        }
        Stop::Incomplete(Incomplete::new(
            Some(n.saturating_sub(have)),
            field.to_string(),
        ))
    }

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
    #[inline]
    fn u64(&mut self, field: &'static str) -> R<u64> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Reads a fixed-size field and records its leaf.
    #[inline]
    fn num(&mut self, label: &'static Label, size: usize) -> R<u64> {
        let start = self.at();
        let field = label.field;
        let v = match size {
            1 => u64::from(self.u8(field)?),
            2 => u64::from(self.u16(field)?),
            4 => u64::from(self.u32(field)?),
            _ => self.u64(field)?,
        };
        self.arena.leaf(label, start, size, Val::UInt(v));
        Ok(v)
    }

    /// [`num`](Self::num) for a field of at most 4 bytes.
    fn n32(&mut self, label: &'static Label, size: usize) -> R<u32> {
        Ok(u32::try_from(self.num(label, size.min(4))?).unwrap_or(u32::MAX))
    }

    /// [`num`](Self::num) for a 1-byte field.
    fn n8(&mut self, label: &'static Label) -> R<u8> {
        Ok(u8::try_from(self.num(label, 1)?).unwrap_or(u8::MAX))
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

    fn external(&mut self) -> R<Term> {
        let start = self.at();
        let v = self.u8("version")?;
        if v != VERSION_MAGIC {
            return Err(self.invalid(
                start,
                "version",
                format!("expected the version byte 131 (0x83), found {v} (0x{v:02x})"),
            ));
        }
        self.arena.leaf(
            l!(
                "version",
                "131 = the external term format version byte (term_to_binary output starts with it)"
            ),
            start,
            1,
            Val::UInt(131),
        );
        if self.data.get(self.pos) == Some(&COMPRESSED) {
            return self.compressed();
        }
        self.term(TERM)
    }

    fn compressed(&mut self) -> R<Term> {
        let start = self.at();
        let g = self
            .arena
            .open(l!("compressed"), start, Mean::Tag(COMPRESSED));
        let r = self.compressed_inner();
        let end = self.at();
        self.arena.close(g, end, Val::None);
        r
    }

    fn compressed_inner(&mut self) -> R<Term> {
        let t = self.at();
        self.u8("tag")?;
        self.arena.tag(t, COMPRESSED);
        let size_at = self.at();
        let size = self.num(
            l!(
                "uncompressed_size",
                "UncompressedSize: bytes of Tag+Data once inflated"
            ),
            4,
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
        self.arena.leaf(
            l!(
                "zlib",
                "the zlib (RFC 1950) stream; its inflated bytes are decoded separately"
            ),
            z_at,
            used,
            Val::UInt(u64::try_from(used).unwrap_or(u64::MAX)),
        );
        let opts = self.opts;
        let mut inner = Dec::new(&bytes, 0, opts);
        inner.bounded = true;
        let r = inner.term(TERM);
        let used_inner = inner.pos;
        let arena = inner.arena;
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
        self.inflated = Some(Inflated { bytes, arena });
        result
    }

    /// The value shown on a term's group: scalars only.
    fn value_of(&mut self, t: &Term) -> Val {
        match t {
            Term::SmallInteger(v) => Val::UInt((*v).into()),
            Term::Integer(v) => Val::Int((*v).into()),
            Term::Atom(a) => match a.enc {
                AtomEnc::Atom => Val::Atom {
                    skip: 3,
                    latin1: true,
                },
                AtomEnc::SmallAtom => Val::Atom {
                    skip: 2,
                    latin1: true,
                },
                AtomEnc::AtomUtf8 => Val::Atom {
                    skip: 3,
                    latin1: false,
                },
                AtomEnc::SmallAtomUtf8 => Val::Atom {
                    skip: 2,
                    latin1: false,
                },
                AtomEnc::CacheRef(_) => Val::Owned(self.arena.own(a.text())),
            },
            _ => Val::None,
        }
    }

    /// One term: its group node (also on error, with what was read) and
    /// everything below it. Iterative: containers are kept on an explicit
    /// stack, so nesting costs heap, not call stack, and the depth limit is
    /// a clean error.
    fn term(&mut self, field: &'static Label) -> R<Term> {
        let mut stack: Vec<Open> = Vec::new();
        let mut field = field;
        loop {
            let start = self.at();
            let tag = self.data.get(self.pos).copied();
            self.terms += 1;
            if self.terms > self.opts.limits.max_terms || self.arena.len() > MAX_NODES {
                let e = self.invalid(
                    start,
                    "term",
                    format!(
                        "more than {} terms in one decode: refused",
                        self.opts.limits.max_terms
                    ),
                );
                self.unwind(&stack);
                return Err(e);
            }
            let g = self.arena.open(field, start, Mean::Group(tag));
            let mut term = match self.head() {
                Ok(Head::Leaf(t)) => {
                    let v = self.value_of(&t);
                    let end = self.at();
                    self.arena.close(g, end, v);
                    t
                }
                Ok(Head::Open(kind, left)) => {
                    let open = Open {
                        kind,
                        g,
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
                            self.unwind(&stack);
                            return Err(e);
                        }
                        field = open.child_field();
                        stack.push(open);
                        continue;
                    }
                    let end = self.at();
                    self.arena.close(g, end, Val::None);
                    open.into_term()
                }
                Err(e) => {
                    let end = self.at();
                    self.arena.close(g, end, Val::None);
                    self.unwind(&stack);
                    return Err(e);
                }
            };
            // Hand the finished term to its container, closing every
            // container that this completes.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(term);
                };
                top.items.push(term);
                top.left -= 1;
                if top.left > 0 {
                    field = top.child_field();
                    break;
                }
                let Some(done) = stack.pop() else {
                    return Err(self.invalid(start, "term", "internal: empty stack"));
                };
                let end = self.at();
                self.arena.close(done.g, end, Val::None);
                term = done.into_term();
            }
        }
    }

    /// On an error, closes the open containers' groups (what was read so
    /// far).
    fn unwind(&mut self, stack: &[Open]) {
        let end = self.at();
        for o in stack.iter().rev() {
            self.arena.close(o.g, end, Val::None);
        }
    }

    /// A sub-term that cannot contain other terms at any depth worth a stack
    /// (node atoms, arities, a fun's pid): read directly.
    fn flat(&mut self, field: &'static Label) -> R<Term> {
        let start = self.at();
        let tag = self.data.get(self.pos).copied();
        let g = self.arena.open(field, start, Mean::Group(tag));
        let r = match self.head() {
            Ok(Head::Leaf(t)) => Ok(t),
            Ok(Head::Open(..)) => Err(self.invalid(
                start,
                field.field,
                format!("{} cannot be a tuple, list, map or fun", field.field),
            )),
            Err(e) => Err(e),
        };
        let value = match &r {
            Ok(t) => self.value_of(t),
            Err(_) => Val::None,
        };
        let end = self.at();
        self.arena.close(g, end, value);
        r
    }

    fn atom_term(&mut self, field: &'static Label) -> R<Term> {
        let at = self.at();
        let t = self.flat(field)?;
        match &t {
            Term::Atom(_) => Ok(t),
            Term::Nil => Ok(t), // "this node" inside LOCAL_EXT encodings
            _ => Err(self.invalid(at, field.field, format!("{} must be an atom", field.field))),
        }
    }

    #[inline(never)]
    fn pid(&mut self, tag: u8) -> R<Term> {
        let d = self;
        let node = d.atom_term(l!("node"))?;
        let id = d.n32(l!("id", "process number"), 4)?;
        let serial = d.n32(l!("serial", "serial"), 4)?;
        let creation = if tag == NEW_PID_EXT {
            d.n32(
                l!(
                    "creation",
                    "creation: which incarnation of the node (32-bit)"
                ),
                4,
            )?
        } else {
            d.n32(
                l!(
                    "creation",
                    "creation: which incarnation of the node (2 bits used)"
                ),
                1,
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
    fn port(&mut self, tag: u8) -> R<Term> {
        let d = self;
        let node = d.atom_term(l!("node"))?;
        let (kind, id, creation) = match tag {
            PORT_EXT => (
                PortKind::Port,
                d.num(l!("id", "port number"), 4)?,
                d.n32(l!("creation", "creation (8-bit)"), 1)?,
            ),
            NEW_PORT_EXT => (
                PortKind::NewPort,
                d.num(l!("id", "port number"), 4)?,
                d.n32(l!("creation", "creation (32-bit)"), 4)?,
            ),
            _ => (
                PortKind::V4Port,
                d.num(l!("id", "port number (64-bit)"), 8)?,
                d.n32(l!("creation", "creation (32-bit)"), 4)?,
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
    fn reference(&mut self) -> R<Term> {
        let d = self;
        let node = d.atom_term(l!("node"))?;
        let id = d.n32(l!("id", "the reference's id word"), 4)?;
        let creation = d.n32(l!("creation", "creation (8-bit)"), 1)?;
        Ok(Term::Ref(Ref {
            kind: RefKind::Reference,
            node: Box::new(node),
            creation,
            ids: vec![id],
        }))
    }

    #[inline(never)]
    fn new_reference(&mut self, tag: u8) -> R<Term> {
        let d = self;
        let len_at = d.at();
        let len = d.num(l!("id_count", "number of id words (1..5)"), 2)?;
        if len == 0 || len > 5 {
            return Err(d.invalid(
                len_at,
                "id_count",
                format!("{len} id words: OTP accepts 1..5"),
            ));
        }
        let node = d.atom_term(l!("node"))?;
        let creation = if tag == NEWER_REFERENCE_EXT {
            d.n32(l!("creation", "creation (32-bit)"), 4)?
        } else {
            d.n32(l!("creation", "creation (8-bit)"), 1)?
        };
        let mut ids = Vec::with_capacity(usize_of(len));
        for _ in 0..len {
            ids.push(d.n32(l!("id", "an id word (wire order)"), 4)?);
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

    #[inline]
    fn tuple(&mut self, tag: u8) -> R<Head> {
        let d = self;
        let large = tag == LARGE_TUPLE_EXT;
        let n_at = d.at();
        let n = if large {
            d.num(l!("arity", "number of elements"), 4)?
        } else {
            d.num(l!("arity", "number of elements"), 1)?
        };
        let n = d.count(n, 1, n_at, "arity")?;
        Ok(Head::Open(OpenKind::Tuple { large }, n))
    }

    #[inline(never)]
    fn map(&mut self) -> R<Head> {
        let d = self;
        let n_at = d.at();
        let n = d.num(l!("arity", "number of key => value pairs"), 4)?;
        let n = d.count(n, 2, n_at, "arity")?;
        Ok(Head::Open(OpenKind::Map, n.saturating_mul(2)))
    }

    #[inline]
    fn list(&mut self) -> R<Head> {
        let d = self;
        let n_at = d.at();
        let n = d.num(
            l!("length", "number of elements (the tail is not counted)"),
            4,
        )?;
        let n = d.count(n, 1, n_at, "length")?;
        Ok(Head::Open(OpenKind::List, n.saturating_add(1)))
    }

    #[inline(never)]
    fn export(&mut self) -> R<Term> {
        let d = self;
        let module = d.atom_term(l!("module"))?;
        let function = d.atom_term(l!("function"))?;
        let a_at = d.at();
        let arity = d.flat(l!("arity"))?;
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
    fn new_fun(&mut self) -> R<Head> {
        let d = self;
        let size = d.n32(
            l!(
                "size",
                "Size: bytes from this field to the end (OTP ignores it)"
            ),
            4,
        )?;
        let arity = d.n8(l!("arity", "the fun's arity"))?;
        let u_at = d.at();
        let uniq: [u8; 16] = d.array("uniq")?;
        d.arena
            .leaf(l!("uniq", "MD5 of the module's code"), u_at, 16, Val::Bytes);
        let index = d.n32(l!("index", "index in the module's fun table"), 4)?;
        let nf_at = d.at();
        let num_free = d.num(l!("num_free", "number of free variables"), 4)?;
        if num_free > 255 {
            return Err(d.invalid(
                nf_at,
                "num_free",
                format!("{num_free} free variables: at most 255"),
            ));
        }
        let module = d.atom_term(l!("module"))?;
        let old_index = d.flat(l!("old_index"))?;
        let old_uniq = d.flat(l!("old_uniq"))?;
        let p_at = d.at();
        let pid = d.flat(l!("pid"))?;
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
    fn old_fun(&mut self) -> R<Head> {
        let d = self;
        let num_free = d.num(l!("num_free", "number of free variables"), 4)?;
        let nf = d.count(num_free, 1, d.at(), "num_free")?;
        let pid = d.flat(l!("pid"))?;
        let module = d.atom_term(l!("module"))?;
        let index = d.flat(l!("index"))?;
        let uniq = d.flat(l!("uniq"))?;
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
    fn local(&mut self) -> R<Head> {
        let d = self;
        let hash = d.n32(l!("hash", "a hash only the encoding node can check"), 4)?;
        Ok(Head::Open(OpenKind::Local { hash }, 1))
    }

    #[inline(never)]
    fn big(&mut self, tag: u8) -> R<Term> {
        let large = tag == LARGE_BIG_EXT;
        let n_at = self.at();
        let n = if large {
            self.num(l!("digit_count", "number of digit bytes"), 4)?
        } else {
            self.num(l!("digit_count", "number of digit bytes"), 1)?
        };
        let n = self.count(n, 1, n_at, "digit_count")?;
        let s_at = self.at();
        let sign = self.u8("sign")?;
        self.arena.leaf(
            if sign == 0 {
                l!("sign", "sign 0: positive")
            } else {
                l!(
                    "sign",
                    "sign non-zero: negative (a separate sign byte, not two's complement)"
                )
            },
            s_at,
            1,
            Val::UInt(sign.into()),
        );
        let d_at = self.at();
        let digits = self.take(n, "digits")?.to_vec();
        if n > 0 {
            self.arena.leaf(
                l!(
                    "digits",
                    "the magnitude in base 256, least significant byte FIRST (little-endian)"
                ),
                d_at,
                n,
                Val::Big(sign),
            );
        }
        Ok(Term::Big {
            large,
            sign,
            digits,
        })
    }

    #[inline(never)]
    fn old_float(&mut self) -> R<Term> {
        let at = self.at();
        let b = self.take(31, "value")?;
        let text = String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or(&[]));
        if text.trim().parse::<f64>().map(f64::is_finite) != Ok(true) {
            return Err(self.invalid(at, "value", format!("{text:?} is not a float")));
        }
        self.arena.leaf(
            l!(
                "value",
                "the float as \"%.20e\" text, NUL padded to 31 bytes"
            ),
            at,
            31,
            Val::OldFloat,
        );
        Ok(Term::OldFloat(b.to_vec()))
    }

    #[inline]
    fn atom(&mut self, tag: u8) -> R<Term> {
        let small = tag == SMALL_ATOM_EXT || tag == SMALL_ATOM_UTF8_EXT;
        let utf8 = tag == ATOM_UTF8_EXT || tag == SMALL_ATOM_UTF8_EXT;
        let len = if small {
            self.num(l!("length", "byte length of the name"), 1)?
        } else {
            self.num(l!("length", "byte length of the name"), 2)?
        };
        let n_at = self.at();
        let len = usize_of(len);
        let b = self.take(len, "name")?;
        let name = if utf8 {
            match std::str::from_utf8(b) {
                Ok(s) => {
                    if len > 255 {
                        let chars = s.chars().count();
                        if chars > 255 {
                            return Err(self.invalid(
                                n_at,
                                "name",
                                format!("an atom of {chars} characters: at most 255"),
                            ));
                        }
                    }
                    s.to_owned()
                }
                Err(e) => {
                    return Err(self.invalid(
                        n_at + e.valid_up_to(),
                        "name",
                        "invalid UTF-8 in a UTF-8 atom",
                    ))
                }
            }
        } else {
            if len > 255 {
                return Err(self.invalid(
                    n_at,
                    "name",
                    format!("an atom of {len} characters: at most 255"),
                ));
            }
            match std::str::from_utf8(b) {
                Ok(s) if b.is_ascii() => s.to_owned(),
                _ => b.iter().map(|&c| char::from(c)).collect(),
            }
        };
        if len > 0 {
            self.arena.leaf(
                if utf8 {
                    l!("name", "the atom's name, UTF-8")
                } else {
                    l!("name", "the atom's name, Latin-1 (one byte per character)")
                },
                n_at,
                len,
                if utf8 { Val::Utf8 } else { Val::Latin1 },
            );
        }
        let enc = match tag {
            ATOM_EXT => AtomEnc::Atom,
            SMALL_ATOM_EXT => AtomEnc::SmallAtom,
            ATOM_UTF8_EXT => AtomEnc::AtomUtf8,
            _ => AtomEnc::SmallAtomUtf8,
        };
        Ok(Term::Atom(Atom {
            enc,
            name: Some(name),
        }))
    }

    #[inline(never)]
    fn cache_ref(&mut self) -> R<Term> {
        let at = self.at();
        let i = self.u8("index")?;
        let name = self
            .opts
            .atom_refs
            .and_then(|refs| refs.get(usize::from(i)).cloned().flatten());
        match &name {
            Some(n) => {
                let m = self.arena.own(format!("atom-cache ref {i} = '{n}'"));
                self.arena.leaf(l!("index"), at, 1, Val::CacheRef(i, m));
            }
            None => self.arena.leaf(
                l!(
                    "index",
                    "index into the distribution header's atom refs (no header given: unresolved)"
                ),
                at,
                1,
                Val::UInt(i.into()),
            ),
        }
        Ok(Term::Atom(Atom {
            enc: AtomEnc::CacheRef(i),
            name,
        }))
    }

    #[inline(never)]
    fn bit_binary(&mut self) -> R<Term> {
        let len_at = self.at();
        let n = self.num(l!("length", "number of bytes"), 4)?;
        let n = self.count(n, 1, len_at, "length")?;
        let b_at = self.at();
        let bits = self.n8(l!(
            "bits",
            "bits used in the last byte, from its most significant bit (1..8)"
        ))?;
        if bits > 8 || (bits == 0) != (n == 0) {
            return Err(self.invalid(
                b_at,
                "bits",
                format!("{bits} used bits with {n} bytes: must be 1..8 (0 only when empty)"),
            ));
        }
        let at = self.at();
        let data = self.take(n, "data")?.to_vec();
        if n > 0 {
            self.arena.leaf(
                l!("data", "the bytes; the last one only partly used"),
                at,
                n,
                Val::UInt(u64::try_from(n).unwrap_or(u64::MAX)),
            );
        }
        Ok(Term::BitBinary { data, bits })
    }

    #[cold]
    fn bad_tag(&self, at: usize, tag: u8) -> Stop {
        let what = match tag {
            VERSION_MAGIC => "131 is the version byte, not a term tag: a term inside a message does not repeat it",
            COMPRESSED => "COMPRESSED only appears right after the version byte, at the top level",
            72..=76 | 78 => "an internal tag of the emulator: never valid on the wire",
            _ => "not an external term tag",
        };
        self.invalid(at, "tag", format!("tag {tag} (0x{tag:02x}): {what}"))
    }

    #[inline]
    fn head(&mut self) -> R<Head> {
        let t_at = self.at();
        // The tag's leaf is implied by the term's group (`Mean::Group`).
        let tag = self.u8("tag")?;
        Ok(Head::Leaf(match tag {
            SMALL_INTEGER_EXT => {
                let v = self.num(l!("value", "the integer, unsigned"), 1)?;
                Term::SmallInteger(u8::try_from(v).unwrap_or(0))
            }
            INTEGER_EXT => {
                let at = self.at();
                let v = i32::from_be_bytes(self.array("value")?);
                self.arena.leaf(
                    l!("value", "the integer, 32-bit two's complement"),
                    at,
                    4,
                    Val::Int(v.into()),
                );
                Term::Integer(v)
            }
            SMALL_BIG_EXT | LARGE_BIG_EXT => self.big(tag)?,
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
                self.arena.leaf(
                    l!("value", "IEEE 754 double, big-endian"),
                    at,
                    8,
                    Val::Float(f),
                );
                Term::Float(f)
            }
            FLOAT_EXT => self.old_float()?,
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => self.atom(tag)?,
            ATOM_CACHE_REF => self.cache_ref()?,
            PID_EXT | NEW_PID_EXT => self.pid(tag)?,
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => self.port(tag)?,
            REFERENCE_EXT => self.reference()?,
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => self.new_reference(tag)?,
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => return self.tuple(tag),
            MAP_EXT => return self.map(),
            NIL_EXT => Term::Nil,
            STRING_EXT => {
                let n = self.num(l!("length", "number of elements (bytes)"), 2)?;
                let at = self.at();
                let n = usize_of(n);
                let b = self.take(n, "bytes")?.to_vec();
                if n > 0 {
                    self.arena.leaf(
                        l!("bytes", "the list's elements, one byte each"),
                        at,
                        n,
                        Val::Utf8,
                    );
                }
                Term::String(b)
            }
            LIST_EXT => return self.list(),
            BINARY_EXT => {
                let n = self.num(l!("length", "number of bytes"), 4)?;
                let n_at = self.at();
                let n = self.count(n, 1, n_at, "length")?;
                let data = self.take(n, "data")?.to_vec();
                if n > 0 {
                    self.arena.leaf(
                        l!("data", "the binary's bytes"),
                        n_at,
                        n,
                        Val::UInt(u64::try_from(n).unwrap_or(u64::MAX)),
                    );
                }
                Term::Binary(data)
            }
            BIT_BINARY_EXT => self.bit_binary()?,
            EXPORT_EXT => self.export()?,
            NEW_FUN_EXT => return self.new_fun(),
            FUN_EXT => return self.old_fun(),
            LOCAL_EXT => return self.local(),
            other => return Err(self.bad_tag(t_at, other)),
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
    /// Its group node in the arena.
    g: usize,
    items: Vec<Term>,
    /// Children still to read.
    left: usize,
}

impl Open {
    fn child_field(&self) -> &'static Label {
        match self.kind {
            OpenKind::Tuple { .. } => ELEMENT,
            OpenKind::List if self.left == 1 => TAIL,
            OpenKind::List => ELEMENT,
            OpenKind::Map if self.items.len() % 2 == 0 => KEY,
            OpenKind::Map => VALUE,
            OpenKind::NewFun(_) | OpenKind::OldFun(_) => FREE_VAR,
            OpenKind::Local { .. } => TERM,
        }
    }

    /// The finished term.
    fn into_term(self) -> Term {
        let mut items = self.items;
        match self.kind {
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
        }
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
