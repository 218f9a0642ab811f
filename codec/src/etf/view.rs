//! The borrowed result of a decode: [`TermView`] holds the input slice, the
//! [`SpanArena`] (one node per term, which is both the span tree and the
//! term's structure) and, for a COMPRESSED term, the inflated bytes.
//! [`TermRef`] is one term in it; [`TermKind`] what that term is, with
//! atoms, strings, binaries and digits as slices of the bytes and
//! containers as iterators over their children.
//!
//! Nothing is parsed again when reading a view: every term was validated
//! when it was decoded, and its node records where its bytes and its
//! children are; values are read at fixed offsets in those bytes.

use super::arena::{be_at, i32_of, latin1, Node, SpanArena, ENVELOPE, IMPROPER, NO_TAG};
use super::decode::{Inflated, TermDecoded};
use super::tags::*;
use super::term::*;
use crate::reader::Status;
use crate::span::Span;
use std::borrow::Cow;

/// A decoded term that borrows its input (from [`decode_external_view`] or
/// [`decode_term_view`]).
///
/// * what it borrows: the input slice (`'a`); atoms, strings, binaries,
///   bignum digits and the zlib stream are read from it in place. It owns
///   its [`SpanArena`] (one 16-byte node per term) and, for a COMPRESSED
///   term, the inflated bytes (and their arena), which terms inside it
///   borrow from the view.
/// * the term: [`root`](Self::root), when the decode is complete.
/// * the spans: [`spans`](Self::spans) (and [`Inflated::spans`]), the same
///   tree [`TermDecoded::spans`] gives.
/// * the owned [`Term`]: [`to_owned_term`](Self::to_owned_term), or
///   [`into_decoded`](Self::into_decoded) for the whole [`TermDecoded`]
///   ([`decode_external`] is exactly that).
/// * Erlang text: [`to_erlang`](Self::to_erlang) (through the owned term).
///
/// [`decode_external_view`]: super::decode_external_view
/// [`decode_term_view`]: super::decode_term_view
/// [`decode_external`]: super::decode_external
#[derive(Debug, Clone, PartialEq)]
pub struct TermView<'a> {
    input: &'a [u8],
    base: usize,
    arena: SpanArena,
    consumed: usize,
    status: Status,
    inflated: Option<Inflated>,
    /// The arena starts with the version byte's node.
    external: bool,
}

impl<'a> TermView<'a> {
    pub(crate) fn new(
        input: &'a [u8],
        base: usize,
        arena: SpanArena,
        consumed: usize,
        status: Status,
        inflated: Option<Inflated>,
        external: bool,
    ) -> TermView<'a> {
        TermView {
            input,
            base,
            arena,
            consumed,
            status,
            inflated,
            external,
        }
    }

    /// The slice that was decoded.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The absolute offset of the input's first byte (as given to the decoder).
    pub fn base(&self) -> usize {
        self.base
    }

    /// Bytes belonging to the term.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Complete, incomplete or invalid.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The spans, flat (one node per term).
    pub fn arena(&self) -> &SpanArena {
        &self.arena
    }

    /// For a COMPRESSED term, the inflated bytes and their spans.
    pub fn inflated(&self) -> Option<&Inflated> {
        self.inflated.as_ref()
    }

    /// The span tree (offsets from [`base`](Self::base)); for a COMPRESSED
    /// term, the inflated bytes' tree is [`Inflated::spans`].
    pub fn spans(&self) -> Vec<Span> {
        self.arena.to_spans(self.input, self.base)
    }

    /// The decoded term, when the decode is complete. For a COMPRESSED
    /// term this is the envelope ([`TermKind::Compressed`]), whose `term`
    /// is the inflated one.
    pub fn root(&self) -> Option<TermRef<'_>> {
        if !self.status.is_complete() {
            return None;
        }
        let r = TermRef::make(self, false, usize::from(self.external));
        r.exists().then_some(r)
    }

    /// The owned [`Term`], when complete (the same term [`decode_external`]
    /// gives).
    ///
    /// [`decode_external`]: super::decode_external
    pub fn to_owned_term(&self) -> Option<Term> {
        self.root().map(|r| r.to_owned_term())
    }

    /// The term as Erlang text ([`text::to_erlang`](super::text::to_erlang)
    /// of the owned term), when complete.
    pub fn to_erlang(&self) -> Option<String> {
        self.to_owned_term().map(|t| super::text::to_erlang(&t))
    }

    /// The owned result: the owned term, this arena, status and inflated
    /// content.
    pub fn into_decoded(self) -> TermDecoded {
        TermDecoded {
            term: self.to_owned_term(),
            arena: self.arena,
            base: self.base,
            consumed: self.consumed,
            status: self.status,
            inflated: self.inflated,
        }
    }
}

/// Text validated as UTF-8 when decoded (the lossy fallback never runs).
#[inline]
fn utf8(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// `b` from `at` on (empty past the end).
#[inline]
fn tail_at(b: &[u8], at: usize) -> &[u8] {
    b.get(at..).unwrap_or(&[])
}

/// The byte at `at` (0 past the end).
#[inline]
fn byte_at(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

/// The big-endian u32 at `at` (0 past the end).
#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::try_from(be_at(b, at, 4)).unwrap_or(0)
}

static EMPTY: SpanArena = SpanArena {
    nodes: Vec::new(),
    refs: Vec::new(),
};

/// The node returned for an index that has none (never, in a complete
/// decode: it keeps every read total).
const MISSING: Node = Node {
    pos: 0,
    len: 0,
    next: u32::MAX,
    tag: NIL_EXT,
    flags: NO_TAG,
};

/// One term of a [`TermView`]: its node and where it lives; cheap to copy,
/// valid as long as the view.
#[derive(Clone, Copy)]
pub struct TermRef<'v> {
    view: &'v TermView<'v>,
    node: Node,
    /// Node index in its byte space; `u32::MAX` for none.
    i: u32,
    /// In the inflated bytes of a COMPRESSED term.
    inner: bool,
}

impl std::fmt::Debug for TermRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TermRef")
            .field("tag", &name(self.node().tag).unwrap_or("unknown tag"))
            .field("offset", &self.offset())
            .field("length", &self.node().len)
            .finish()
    }
}

impl<'v> TermRef<'v> {
    /// The term at node `i` of a byte space (none past the end).
    #[inline]
    fn make(view: &'v TermView<'v>, inner: bool, i: usize) -> TermRef<'v> {
        let arena = if inner {
            view.inflated.as_ref().map_or(&EMPTY, |x| &x.arena)
        } else {
            &view.arena
        };
        match (arena.nodes.get(i), u32::try_from(i)) {
            (Some(&node), Ok(i)) if i != u32::MAX => TermRef {
                view,
                node,
                i,
                inner,
            },
            _ => TermRef {
                view,
                node: MISSING,
                i: u32::MAX,
                inner,
            },
        }
    }

    /// The term at node `i` of the same byte space.
    #[inline]
    fn at(&self, i: usize) -> TermRef<'v> {
        TermRef::make(self.view, self.inner, i)
    }

    /// The bytes of this term's byte space.
    #[inline]
    fn space(&self) -> &'v [u8] {
        if self.inner {
            self.view
                .inflated
                .as_ref()
                .map_or(&[], |i| i.bytes.as_slice())
        } else {
            self.view.input
        }
    }

    /// The arena of this term's byte space.
    fn arena(&self) -> &'v SpanArena {
        if self.inner {
            self.view.inflated.as_ref().map_or(&EMPTY, |i| &i.arena)
        } else {
            &self.view.arena
        }
    }

    #[inline]
    fn node(&self) -> Node {
        self.node
    }

    #[inline]
    fn index(&self) -> usize {
        usize::try_from(self.i).unwrap_or(usize::MAX)
    }

    /// True for a node that exists.
    #[inline]
    fn exists(&self) -> bool {
        self.i != u32::MAX
    }

    /// The inflated term of a COMPRESSED envelope.
    fn inflated_root(&self) -> TermRef<'v> {
        TermRef::make(self.view, true, 0)
    }

    /// The tag byte.
    pub fn tag(&self) -> u8 {
        self.node().tag
    }

    /// The absolute offset of the tag byte (for a term inside a COMPRESSED
    /// one: relative to the inflated bytes).
    pub fn offset(&self) -> usize {
        let base = if self.inner { 0 } else { self.view.base };
        base.saturating_add(self.node().start())
    }

    /// The term's bytes, tag included.
    pub fn encoded(&self) -> &'v [u8] {
        let n = self.node();
        self.space().get(n.start()..n.end()).unwrap_or(&[])
    }

    /// The term's bytes from `at` (relative to its tag).
    fn from(&self, at: usize) -> &'v [u8] {
        tail_at(self.encoded(), at)
    }

    fn uint(&self, at: usize, size: usize) -> u64 {
        be_at(self.encoded(), at, size)
    }

    fn u32(&self, at: usize) -> u32 {
        u32_at(self.encoded(), at)
    }

    fn byte(&self, at: usize) -> u8 {
        byte_at(self.encoded(), at)
    }

    /// The term after this one's subtree (its next sibling).
    #[inline]
    fn next_sibling(&self) -> TermRef<'v> {
        self.at(self.node().next())
    }

    fn first_child(&self) -> TermRef<'v> {
        self.at(self.index().saturating_add(1))
    }

    /// Child `k` (in wire order).
    fn child(&self, k: usize) -> TermRef<'v> {
        let mut c = self.first_child();
        for _ in 0..k {
            c = c.next_sibling();
        }
        c
    }

    /// `n` terms from node `first` on (read as they are iterated).
    fn terms(&self, first: usize, n: usize) -> Terms<'v> {
        Terms {
            view: self.view,
            next: first,
            inner: self.inner,
            left: n,
        }
    }

    /// The node index of the first child.
    fn first_index(&self) -> usize {
        self.index().saturating_add(1)
    }

    /// Where the bytes after the first child start (relative to the tag).
    fn after_first_child(&self) -> usize {
        self.first_child()
            .node()
            .end()
            .saturating_sub(self.node().start())
    }

    /// How many terms this one contains directly (in its byte space).
    fn child_count(&self) -> usize {
        let n = |v: u64| usize::try_from(v).unwrap_or(0);
        match self.node().tag {
            PID_EXT | NEW_PID_EXT | PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT | REFERENCE_EXT
            | NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT | LOCAL_EXT => 1,
            EXPORT_EXT => 3,
            SMALL_TUPLE_EXT => n(self.uint(1, 1)),
            LARGE_TUPLE_EXT => n(self.uint(1, 4)),
            LIST_EXT => n(self.uint(1, 4)).saturating_add(1),
            MAP_EXT => n(self.uint(1, 4)).saturating_mul(2),
            NEW_FUN_EXT => n(self.uint(26, 4)).saturating_add(4),
            FUN_EXT => n(self.uint(1, 4)).saturating_add(4),
            _ => 0,
        }
    }

    fn is_envelope(&self) -> bool {
        let n = self.node();
        n.tag == COMPRESSED && n.flags & ENVELOPE != 0
    }

    /// The terms directly inside this one, in wire order (as
    /// [`Term::children`]): node atoms, elements, keys and values, a list's
    /// tail, a fun's fields and free variables, a COMPRESSED or LOCAL_EXT
    /// term's content.
    pub fn children(&self) -> Terms<'v> {
        if self.is_envelope() {
            let n = usize::from(self.inflated_root().exists());
            return Terms {
                view: self.view,
                next: 0,
                inner: true,
                left: n,
            };
        }
        self.terms(self.first_index(), self.child_count())
    }

    /// What the term is.
    pub fn kind(&self) -> TermKind<'v> {
        let node = self.node();
        let b = self.encoded();
        match node.tag {
            SMALL_INTEGER_EXT => TermKind::SmallInteger(byte_at(b, 1)),
            INTEGER_EXT => TermKind::Integer(i32_of(tail_at(b, 1))),
            SMALL_BIG_EXT => TermKind::Big {
                large: false,
                sign: byte_at(b, 2),
                digits: tail_at(b, 3),
            },
            LARGE_BIG_EXT => TermKind::Big {
                large: true,
                sign: byte_at(b, 5),
                digits: tail_at(b, 6),
            },
            NEW_FLOAT_EXT => TermKind::Float(f64::from_bits(be_at(b, 1, 8))),
            FLOAT_EXT => TermKind::OldFloat(tail_at(b, 1)),
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT | ATOM_CACHE_REF => {
                TermKind::Atom(self.atom_ref())
            }
            PID_EXT | NEW_PID_EXT => {
                let at = self.after_first_child();
                let new = node.tag == NEW_PID_EXT;
                TermKind::Pid {
                    new,
                    node: self.first_child(),
                    id: u32_at(b, at),
                    serial: u32_at(b, at + 4),
                    creation: if new {
                        u32_at(b, at + 8)
                    } else {
                        byte_at(b, at + 8).into()
                    },
                }
            }
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => {
                let at = self.after_first_child();
                let (kind, id, creation) = match node.tag {
                    PORT_EXT => (PortKind::Port, be_at(b, at, 4), byte_at(b, at + 4).into()),
                    NEW_PORT_EXT => (PortKind::NewPort, be_at(b, at, 4), u32_at(b, at + 4)),
                    _ => (PortKind::V4Port, be_at(b, at, 8), u32_at(b, at + 8)),
                };
                TermKind::Port {
                    kind,
                    node: self.first_child(),
                    id,
                    creation,
                }
            }
            REFERENCE_EXT => {
                let at = self.after_first_child();
                TermKind::Ref {
                    kind: RefKind::Reference,
                    node: self.first_child(),
                    creation: byte_at(b, at + 4).into(),
                    ids: IdWords(b.get(at..at + 4).unwrap_or(&[])),
                }
            }
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => {
                let at = self.after_first_child();
                let newer = node.tag == NEWER_REFERENCE_EXT;
                let (creation, c) = if newer {
                    (u32_at(b, at), 4)
                } else {
                    (byte_at(b, at).into(), 1)
                };
                TermKind::Ref {
                    kind: if newer {
                        RefKind::NewerReference
                    } else {
                        RefKind::NewReference
                    },
                    node: self.first_child(),
                    creation,
                    ids: IdWords(tail_at(b, at + c)),
                }
            }
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => TermKind::Tuple {
                large: node.tag == LARGE_TUPLE_EXT,
                elems: self.children(),
            },
            MAP_EXT => TermKind::Map(Pairs(self.children())),
            STRING_EXT => TermKind::String(tail_at(b, 3)),
            LIST_EXT => {
                let n = self.child_count().saturating_sub(1);
                let tail = if node.flags & IMPROPER == 0 {
                    // A NIL tail: the subtree's last node.
                    self.at(node.next().saturating_sub(1))
                } else {
                    self.child(n)
                };
                TermKind::List {
                    elems: self.terms(self.first_index(), n),
                    tail,
                }
            }
            BINARY_EXT => TermKind::Binary(tail_at(b, 5)),
            BIT_BINARY_EXT => TermKind::BitBinary {
                data: tail_at(b, 6),
                bits: byte_at(b, 5),
            },
            EXPORT_EXT => {
                let module = self.first_child();
                let function = module.next_sibling();
                TermKind::Export {
                    module,
                    function,
                    arity: function.next_sibling(),
                }
            }
            NEW_FUN_EXT => TermKind::NewFun(NewFunRef(*self)),
            FUN_EXT => TermKind::OldFun(OldFunRef(*self)),
            COMPRESSED if node.flags & ENVELOPE != 0 => TermKind::Compressed {
                size: u32_at(b, 1),
                zlib: tail_at(b, 5),
                term: self.inflated_root(),
            },
            LOCAL_EXT => TermKind::Local {
                hash: u32_at(b, 1),
                term: self.first_child(),
            },
            _ => TermKind::Nil,
        }
    }

    fn atom_ref(&self) -> AtomRef<'v> {
        let (enc, bytes) = match self.node().tag {
            ATOM_EXT => (AtomEnc::Atom, self.from(3)),
            SMALL_ATOM_EXT => (AtomEnc::SmallAtom, self.from(2)),
            ATOM_UTF8_EXT => (AtomEnc::AtomUtf8, self.from(3)),
            SMALL_ATOM_UTF8_EXT => (AtomEnc::SmallAtomUtf8, self.from(2)),
            _ => {
                let i = self.byte(1);
                let name = self.arena().cache_name(i);
                return AtomRef {
                    enc: AtomEnc::CacheRef(i),
                    bytes: name.map_or(&[], str::as_bytes),
                    resolved: name.is_some(),
                };
            }
        };
        AtomRef {
            enc,
            bytes,
            resolved: true,
        }
    }

    /// The owned [`Term`] (allocates: names, binaries, element vectors,
    /// each vector at its exact size). Iterative: any nesting depth.
    pub fn to_owned_term(&self) -> Term {
        let mut stack: Vec<Building> = Vec::new();
        let mut t = *self;
        loop {
            if !t.exists() {
                // Never, in a complete decode: the nodes ran out.
                return stack.into_iter().next().map_or(Term::Nil, |b| b.term);
            }
            // A leaf that does not finish its container goes straight into
            // the container's vector (built in place: no temporary).
            if let Some(top) = stack.last_mut() {
                if top.left > 1 {
                    if let Some(elems) = top.elems() {
                        if t.push_leaf(elems) {
                            top.left = top.left.saturating_sub(1);
                            t = t.next_sibling();
                            continue;
                        }
                    }
                }
            }
            let mut done = match t.owned_leaf() {
                Some(term) => term,
                None => {
                    let (term, n, first) = t.owned_head();
                    if n > 0 {
                        stack.push(Building {
                            term,
                            left: n,
                            key: None,
                        });
                        t = first;
                        continue;
                    }
                    term
                }
            };
            t = t.next_sibling();
            // Hand the finished term to its container, finishing every
            // container that this completes.
            loop {
                let Some(top) = stack.last_mut() else {
                    return done;
                };
                top.add(done);
                top.left = top.left.saturating_sub(1);
                if top.left > 0 {
                    break;
                }
                match stack.pop() {
                    Some(b) => done = b.term,
                    None => return Term::Nil,
                }
            }
        }
    }

    /// Pushes the common leaf terms onto `v`; false for any other.
    #[inline(always)]
    fn push_leaf(&self, v: &mut Vec<Term>) -> bool {
        let b = self.encoded();
        match (b.first(), b.get(1)) {
            (Some(&SMALL_INTEGER_EXT), Some(&x)) => v.push(Term::SmallInteger(x)),
            (Some(&INTEGER_EXT), Some(_)) => {
                v.push(Term::Integer(i32_of(b.get(1..).unwrap_or(&[]))))
            }
            (Some(&NIL_EXT), _) => v.push(Term::Nil),
            (Some(&SMALL_ATOM_UTF8_EXT), Some(_)) => v.push(Term::Atom(Atom {
                enc: AtomEnc::SmallAtomUtf8,
                name: Some(utf8(b.get(2..).unwrap_or(&[])).into_owned()),
            })),
            (Some(&NEW_FLOAT_EXT), Some(_)) => v.push(Term::Float(f64::from_bits(be_at(b, 1, 8)))),
            (Some(&BINARY_EXT), Some(_)) => {
                v.push(Term::Binary(b.get(5..).unwrap_or(&[]).to_vec()))
            }
            (Some(&STRING_EXT), Some(_)) => {
                v.push(Term::String(b.get(3..).unwrap_or(&[]).to_vec()))
            }
            _ => return false,
        }
        true
    }

    /// The common leaf terms, owned, read straight from their bytes.
    #[inline(always)]
    fn owned_leaf(&self) -> Option<Term> {
        let b = self.encoded();
        Some(match *b.first()? {
            SMALL_INTEGER_EXT => Term::SmallInteger(*b.get(1)?),
            INTEGER_EXT => Term::Integer(i32_of(b.get(1..)?)),
            NIL_EXT => Term::Nil,
            SMALL_ATOM_UTF8_EXT => Term::Atom(Atom {
                enc: AtomEnc::SmallAtomUtf8,
                name: Some(utf8(b.get(2..)?).into_owned()),
            }),
            NEW_FLOAT_EXT => Term::Float(f64::from_bits(be_at(b, 1, 8))),
            BINARY_EXT => Term::Binary(b.get(5..)?.to_vec()),
            STRING_EXT => Term::String(b.get(3..)?.to_vec()),
            _ => return None,
        })
    }

    /// This term, owned, for any term but a container; for a container its
    /// shell (empty vectors with room for its children), how many children
    /// it takes and the first of them.
    fn owned_head(&self) -> (Term, usize, TermRef<'v>) {
        let first = self.first_child();
        let term = match self.kind() {
            TermKind::SmallInteger(v) => Term::SmallInteger(v),
            TermKind::Integer(v) => Term::Integer(v),
            TermKind::Big {
                large,
                sign,
                digits,
            } => Term::Big {
                large,
                sign,
                digits: digits.to_vec(),
            },
            TermKind::Float(f) => Term::Float(f),
            TermKind::OldFloat(b) => Term::OldFloat(b.to_vec()),
            TermKind::Atom(a) => Term::Atom(a.to_owned_atom()),
            TermKind::Pid {
                new,
                node,
                id,
                serial,
                creation,
            } => Term::Pid(Pid {
                new,
                node: Box::new(node.owned_flat()),
                id,
                serial,
                creation,
            }),
            TermKind::Port {
                kind,
                node,
                id,
                creation,
            } => Term::Port(Port {
                kind,
                node: Box::new(node.owned_flat()),
                id,
                creation,
            }),
            TermKind::Ref {
                kind,
                node,
                creation,
                ids,
            } => Term::Ref(Ref {
                kind,
                node: Box::new(node.owned_flat()),
                creation,
                ids: ids.collect(),
            }),
            TermKind::Tuple { large, elems } => {
                let n = elems.len();
                let t = Term::Tuple {
                    large,
                    elems: Vec::with_capacity(n),
                };
                return (t, n, first);
            }
            TermKind::Map(pairs) => {
                let n = pairs.len();
                return (Term::Map(Vec::with_capacity(n)), n.saturating_mul(2), first);
            }
            TermKind::Nil => Term::Nil,
            TermKind::String(b) => Term::String(b.to_vec()),
            TermKind::List { elems, .. } => {
                let n = elems.len();
                let t = Term::List {
                    elems: Vec::with_capacity(n),
                    tail: Box::new(Term::Nil),
                };
                return (t, n.saturating_add(1), first);
            }
            TermKind::Binary(b) => Term::Binary(b.to_vec()),
            TermKind::BitBinary { data, bits } => Term::BitBinary {
                data: data.to_vec(),
                bits,
            },
            TermKind::Export {
                module,
                function,
                arity,
            } => Term::Export {
                module: Box::new(module.owned_flat()),
                function: Box::new(function.owned_flat()),
                arity: Box::new(arity.owned_flat()),
            },
            TermKind::NewFun(f) => {
                let free = f.free();
                let n = free.len();
                let t = Term::NewFun(Box::new(NewFun {
                    size: f.size(),
                    arity: f.arity(),
                    uniq: f.uniq(),
                    index: f.index(),
                    module: f.module().owned_flat(),
                    old_index: f.old_index().owned_flat(),
                    old_uniq: f.old_uniq().owned_flat(),
                    pid: f.pid().owned_flat(),
                    free: Vec::with_capacity(n),
                }));
                return (t, n, self.at(free.next));
            }
            TermKind::OldFun(f) => {
                let free = f.free();
                let n = free.len();
                let t = Term::OldFun(Box::new(OldFun {
                    pid: f.pid().owned_flat(),
                    module: f.module().owned_flat(),
                    index: f.index().owned_flat(),
                    uniq: f.uniq().owned_flat(),
                    free: Vec::with_capacity(n),
                }));
                return (t, n, self.at(free.next));
            }
            TermKind::Compressed { size, zlib, term } => Term::Compressed {
                size,
                zlib: zlib.to_vec(),
                term: Box::new(term.to_owned_term()),
            },
            TermKind::Local { hash, .. } => {
                let t = Term::Local {
                    hash,
                    term: Box::new(Term::Nil),
                };
                return (t, 1, first);
            }
        };
        (term, 0, first)
    }

    /// A term that holds no containers (a node atom, a fun's pid): its
    /// own sub-terms are at most a pid's node atom.
    fn owned_flat(&self) -> Term {
        match self.owned_head() {
            (t, 0, _) => t,
            // Never, in a complete decode: flat fields hold no containers.
            _ => Term::Nil,
        }
    }

    /// The term as Erlang text ([`text::to_erlang`](super::text::to_erlang)
    /// of the owned term).
    pub fn to_erlang(&self) -> String {
        super::text::to_erlang(&self.to_owned_term())
    }
}

/// A container being converted to its owned [`Term`].
struct Building {
    /// The container, its vectors filling up.
    term: Term,
    /// Children still to come.
    left: usize,
    /// A map's key waiting for its value.
    key: Option<Term>,
}

impl Building {
    /// The vector that takes the next child, unless it is a list's tail,
    /// a map's key or value or a LOCAL_EXT's term.
    #[inline(always)]
    fn elems(&mut self) -> Option<&mut Vec<Term>> {
        match &mut self.term {
            Term::Tuple { elems, .. } => Some(elems),
            Term::List { elems, .. } if self.left > 1 => Some(elems),
            Term::NewFun(f) => Some(&mut f.free),
            Term::OldFun(f) => Some(&mut f.free),
            _ => None,
        }
    }

    #[inline(always)]
    fn add(&mut self, t: Term) {
        match &mut self.term {
            Term::Tuple { elems, .. } => elems.push(t),
            Term::List { elems, tail } => {
                if self.left == 1 {
                    **tail = t;
                } else {
                    elems.push(t);
                }
            }
            Term::Map(pairs) => match self.key.take() {
                Some(k) => pairs.push((k, t)),
                None => self.key = Some(t),
            },
            Term::NewFun(f) => f.free.push(t),
            Term::OldFun(f) => f.free.push(t),
            Term::Local { term, .. } => **term = t,
            _ => {}
        }
    }
}

/// What a [`TermRef`] is: [`Term`]'s variants, borrowed. Byte fields are
/// slices of the input (or of the inflated bytes); nested terms are
/// [`TermRef`]s; elements and pairs are iterators.
#[derive(Debug, Clone)]
pub enum TermKind<'v> {
    /// SMALL_INTEGER_EXT (97).
    SmallInteger(u8),
    /// INTEGER_EXT (98).
    Integer(i32),
    /// SMALL_BIG_EXT (110) / LARGE_BIG_EXT (111).
    Big {
        /// True for LARGE_BIG_EXT.
        large: bool,
        /// The sign byte as sent (non-zero = negative).
        sign: u8,
        /// Magnitude, little-endian base-256 digits.
        digits: &'v [u8],
    },
    /// NEW_FLOAT_EXT (70).
    Float(f64),
    /// FLOAT_EXT (99): the 31 bytes of text.
    OldFloat(&'v [u8]),
    /// Any atom form.
    Atom(AtomRef<'v>),
    /// PID_EXT / NEW_PID_EXT.
    Pid {
        /// True for NEW_PID_EXT.
        new: bool,
        /// The node atom.
        node: TermRef<'v>,
        /// Process number.
        id: u32,
        /// Serial.
        serial: u32,
        /// Creation.
        creation: u32,
    },
    /// PORT_EXT / NEW_PORT_EXT / V4_PORT_EXT.
    Port {
        /// Which tag.
        kind: PortKind,
        /// The node atom.
        node: TermRef<'v>,
        /// Port number.
        id: u64,
        /// Creation.
        creation: u32,
    },
    /// REFERENCE_EXT / NEW_REFERENCE_EXT / NEWER_REFERENCE_EXT.
    Ref {
        /// Which tag.
        kind: RefKind,
        /// The node atom.
        node: TermRef<'v>,
        /// Creation.
        creation: u32,
        /// The id words, in wire order.
        ids: IdWords<'v>,
    },
    /// SMALL_TUPLE_EXT / LARGE_TUPLE_EXT.
    Tuple {
        /// True for LARGE_TUPLE_EXT.
        large: bool,
        /// The elements.
        elems: Terms<'v>,
    },
    /// MAP_EXT: pairs in wire order.
    Map(Pairs<'v>),
    /// NIL_EXT.
    Nil,
    /// STRING_EXT: the bytes.
    String(&'v [u8]),
    /// LIST_EXT.
    List {
        /// The elements (the tail not included).
        elems: Terms<'v>,
        /// The tail (NIL for a proper list).
        tail: TermRef<'v>,
    },
    /// BINARY_EXT.
    Binary(&'v [u8]),
    /// BIT_BINARY_EXT.
    BitBinary {
        /// The bytes.
        data: &'v [u8],
        /// Used bits of the last byte.
        bits: u8,
    },
    /// EXPORT_EXT.
    Export {
        /// Module atom.
        module: TermRef<'v>,
        /// Function atom.
        function: TermRef<'v>,
        /// Arity (a small integer).
        arity: TermRef<'v>,
    },
    /// NEW_FUN_EXT.
    NewFun(NewFunRef<'v>),
    /// FUN_EXT.
    OldFun(OldFunRef<'v>),
    /// COMPRESSED, top level only.
    Compressed {
        /// UncompressedSize as sent.
        size: u32,
        /// The zlib stream.
        zlib: &'v [u8],
        /// The inflated term (its offsets are relative to the inflated bytes).
        term: TermRef<'v>,
    },
    /// LOCAL_EXT.
    Local {
        /// The hash.
        hash: u32,
        /// The term after it.
        term: TermRef<'v>,
    },
}

/// A NEW_FUN_EXT term's fields (see [`NewFun`]), read on demand.
#[derive(Debug, Clone, Copy)]
pub struct NewFunRef<'v>(TermRef<'v>);

impl<'v> NewFunRef<'v> {
    /// The Size field as sent.
    pub fn size(&self) -> u32 {
        self.0.u32(1)
    }

    /// Arity.
    pub fn arity(&self) -> u8 {
        self.0.byte(5)
    }

    /// MD5 of the module's code.
    pub fn uniq(&self) -> [u8; 16] {
        self.0
            .encoded()
            .get(6..22)
            .and_then(|u| <[u8; 16]>::try_from(u).ok())
            .unwrap_or([0; 16])
    }

    /// Index in the module's fun table.
    pub fn index(&self) -> u32 {
        self.0.u32(22)
    }

    /// Module atom.
    pub fn module(&self) -> TermRef<'v> {
        self.0.first_child()
    }

    /// OldIndex.
    pub fn old_index(&self) -> TermRef<'v> {
        self.module().next_sibling()
    }

    /// OldUniq.
    pub fn old_uniq(&self) -> TermRef<'v> {
        self.old_index().next_sibling()
    }

    /// The creating process.
    pub fn pid(&self) -> TermRef<'v> {
        self.old_uniq().next_sibling()
    }

    /// Free variables.
    pub fn free(&self) -> Terms<'v> {
        let n = self.0.child_count().saturating_sub(4);
        self.0.terms(self.pid().node().next(), n)
    }
}

/// A FUN_EXT term's fields (see [`OldFun`]), read on demand.
#[derive(Debug, Clone, Copy)]
pub struct OldFunRef<'v>(TermRef<'v>);

impl<'v> OldFunRef<'v> {
    /// The creating process.
    pub fn pid(&self) -> TermRef<'v> {
        self.0.first_child()
    }

    /// Module.
    pub fn module(&self) -> TermRef<'v> {
        self.pid().next_sibling()
    }

    /// Index.
    pub fn index(&self) -> TermRef<'v> {
        self.module().next_sibling()
    }

    /// Uniq.
    pub fn uniq(&self) -> TermRef<'v> {
        self.index().next_sibling()
    }

    /// Free variables.
    pub fn free(&self) -> Terms<'v> {
        let n = self.0.child_count().saturating_sub(4);
        self.0.terms(self.uniq().node().next(), n)
    }
}

/// An atom, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomRef<'v> {
    enc: AtomEnc,
    bytes: &'v [u8],
    resolved: bool,
}

impl<'v> AtomRef<'v> {
    /// How it was written.
    pub fn enc(&self) -> AtomEnc {
        self.enc
    }

    /// The name's bytes: as sent (UTF-8 or Latin-1, by [`enc`](Self::enc)),
    /// or for an ATOM_CACHE_REF the cache's name (empty when unresolved).
    pub fn bytes(&self) -> &'v [u8] {
        self.bytes
    }

    fn latin1(&self) -> bool {
        matches!(self.enc, AtomEnc::Atom | AtomEnc::SmallAtom)
    }

    /// The name; `None` for an ATOM_CACHE_REF that no cache resolved.
    /// Borrowed unless a Latin-1 name has non-ASCII characters.
    pub fn name(&self) -> Option<Cow<'v, str>> {
        if !self.resolved {
            return None;
        }
        if self.latin1() && !self.bytes.is_ascii() {
            return Some(Cow::Owned(latin1(self.bytes)));
        }
        Some(utf8(self.bytes))
    }

    /// The text, or `$atom_cache_ref_N` for an unresolved cache reference
    /// (as [`Atom::text`]).
    pub fn text(&self) -> Cow<'v, str> {
        match (self.name(), self.enc) {
            (Some(n), _) => n,
            (None, AtomEnc::CacheRef(i)) => Cow::Owned(format!("$atom_cache_ref_{i}")),
            (None, _) => Cow::Borrowed(""),
        }
    }

    /// True when the name is `s` (no allocation).
    pub fn eq_str(&self, s: &str) -> bool {
        if !self.resolved {
            return false;
        }
        if self.latin1() && !self.bytes.is_ascii() {
            return s.chars().eq(self.bytes.iter().map(|&c| char::from(c)));
        }
        self.bytes == s.as_bytes()
    }

    /// The owned [`Atom`].
    pub fn to_owned_atom(&self) -> Atom {
        Atom {
            enc: self.enc,
            name: self.name().map(Cow::into_owned),
        }
    }
}

/// Terms in wire order (elements, children, free variables).
#[derive(Clone, Copy)]
pub struct Terms<'v> {
    view: &'v TermView<'v>,
    /// The next one's node index.
    next: usize,
    inner: bool,
    left: usize,
}

impl std::fmt::Debug for Terms<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terms").field("left", &self.left).finish()
    }
}

impl<'v> Iterator for Terms<'v> {
    type Item = TermRef<'v>;

    #[inline]
    fn next(&mut self) -> Option<TermRef<'v>> {
        if self.left == 0 {
            return None;
        }
        let t = TermRef::make(self.view, self.inner, self.next);
        if !t.exists() {
            return None;
        }
        self.left -= 1;
        self.next = t.node.next();
        Some(t)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Terms<'_> {}

/// A map's key-value pairs in wire order.
#[derive(Debug, Clone, Copy)]
pub struct Pairs<'v>(Terms<'v>);

impl<'v> Iterator for Pairs<'v> {
    type Item = (TermRef<'v>, TermRef<'v>);

    fn next(&mut self) -> Option<Self::Item> {
        Some((self.0.next()?, self.0.next()?))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.left / 2;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

/// A reference's id words, in wire order.
#[derive(Debug, Clone)]
pub struct IdWords<'v>(&'v [u8]);

impl Iterator for IdWords<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (w, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*w))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len() / 4, Some(self.0.len() / 4))
    }
}

impl ExactSizeIterator for IdWords<'_> {}
