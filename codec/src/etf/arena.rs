//! The ETF decoder's spans and term view, flat: one 16-byte [`Node`] per
//! term, in pre-order, each knowing its bytes and where its subtree ends.
//!
//! A node is a term's group span; the leaf spans of its fields (tag, length,
//! value, name, ...) are implied by the tag's layout and read back from the
//! bytes, so decoding writes one node per term and allocates nothing per
//! term. [`SpanArena::to_spans`] builds the [`Span`] tree on demand, and
//! [`TermView`](super::TermView) reads values through the same nodes.

use super::tags::*;
use crate::span::{Span, Value};
use std::borrow::Cow;

/// A span's field name and meaning (empty for a group, whose meaning comes
/// from its tag).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) field: &'static str,
    pub(crate) meaning: &'static str,
}

/// A `&'static Label`: `l!("field", "meaning")`, or `l!("field")` for a group.
macro_rules! l {
    ($f:literal, $m:literal) => {
        &$crate::etf::arena::Label {
            field: $f,
            meaning: $m,
        }
    };
    ($f:literal) => {
        &$crate::etf::arena::Label {
            field: $f,
            meaning: "",
        }
    };
}
#[allow(unused_imports)]
pub(crate) use l;

/// The node was opened at the end of the input: no tag byte.
pub(crate) const NO_TAG: u8 = 1;
/// The term was cut short by an error: `len` is what was read.
pub(crate) const PARTIAL: u8 = 2;
/// The last field read was refused (a NaN, an invalid atom name): its
/// bytes are in `len` but it gets no leaf.
pub(crate) const BAD_LAST: u8 = 4;
/// A complete list whose tail is not NIL_EXT.
pub(crate) const IMPROPER: u8 = 8;
/// Not a term: the version byte (tag 131) or a COMPRESSED envelope (tag 80).
pub(crate) const ENVELOPE: u8 = 16;

/// One term: its group span and, through the tag, its fields. The version
/// byte's leaf is an [`ENVELOPE`] node with tag 131; a COMPRESSED envelope
/// one with tag 80.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Node {
    /// Offset of the tag byte, relative to the decoded slice.
    pub(crate) pos: u32,
    /// Bytes of the term, tag included (what was read, for a [`PARTIAL`] one).
    pub(crate) len: u32,
    /// Index one past the node's last descendant.
    pub(crate) next: u32,
    /// The tag.
    pub(crate) tag: u8,
    /// [`NO_TAG`], [`PARTIAL`], [`BAD_LAST`], [`IMPROPER`], [`ENVELOPE`].
    pub(crate) flags: u8,
}

impl Node {
    #[inline]
    pub(crate) fn start(&self) -> usize {
        usize::try_from(self.pos).unwrap_or(usize::MAX)
    }

    #[inline]
    pub(crate) fn end(&self) -> usize {
        self.start()
            .saturating_add(usize::try_from(self.len).unwrap_or(usize::MAX))
    }

    #[inline]
    pub(crate) fn next(&self) -> usize {
        usize::try_from(self.next).unwrap_or(usize::MAX)
    }
}

/// The spans (and term structure) of one decoded byte space, flat and
/// compact (see the module docs); [`to_spans`](SpanArena::to_spans) gives
/// the [`Span`] tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanArena {
    pub(crate) nodes: Vec<Node>,
    /// Atom-cache names resolved while decoding, by ATOM_CACHE_REF index.
    pub(crate) refs: Vec<Option<Box<str>>>,
}

/// Node counts are kept below this (indices are `u32`).
pub(crate) const MAX_NODES: usize = 0xffff_0000;

impl SpanArena {
    /// Number of nodes: one per term (a term's group span), plus one for
    /// the version byte and one for a COMPRESSED envelope. Field leaves are
    /// implied by their term's tag and not stored.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when there are no spans.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The name the atom cache gave index `i` while decoding.
    pub(crate) fn cache_name(&self, i: u8) -> Option<&str> {
        self.refs.get(usize::from(i)).and_then(|n| n.as_deref())
    }

    /// The span tree. `input` must be the bytes that were decoded, and
    /// `base` the absolute offset of `input[0]` given to the decoder.
    /// Iterative: any nesting depth.
    pub fn to_spans(&self, input: &[u8], base: usize) -> Vec<Span> {
        let r = Render {
            arena: self,
            input,
            base,
        };
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(n) = self.nodes.get(i) {
            out.push(r.tree(i));
            i = n.next().max(i + 1);
        }
        out
    }
}

/// Group field names.
pub(crate) const TERM: &Label = l!("term");
const ELEMENT: &Label = l!("element");
const TAIL: &Label = l!("tail");
const KEY: &Label = l!("key");
const VALUE: &Label = l!("value");
const FREE_VAR: &Label = l!("free_var");
const NODE: &Label = l!("node");
const MODULE: &Label = l!("module");
const PID: &Label = l!("pid");
const EXPORT_FIELDS: [&Label; 3] = [MODULE, l!("function"), l!("arity")];
const NEW_FUN_FIELDS: [&Label; 4] = [MODULE, l!("old_index"), l!("old_uniq"), PID];
const OLD_FUN_FIELDS: [&Label; 4] = [PID, MODULE, l!("index"), l!("uniq")];

/// How a leaf's value is read from its bytes.
#[derive(Clone, Copy)]
enum Leaf {
    /// Unsigned, big-endian.
    UInt,
    /// INTEGER_EXT's signed 32 bits.
    I32,
    /// An IEEE double, shown as Erlang writes it.
    Float,
    /// The bytes as UTF-8 text (invalid sequences as U+FFFD).
    Utf8,
    /// The bytes as Latin-1 text.
    Latin1,
    /// Bignum digits with this sign byte, in decimal.
    Big(u8),
    /// FLOAT_EXT text: the bytes up to the first NUL.
    OldFloat,
    /// The bytes themselves.
    Bytes,
    /// The number of bytes.
    Len,
    /// An ATOM_CACHE_REF index, with its resolution as the meaning.
    CacheRef,
}

/// Big-endian unsigned value of up to 8 bytes.
pub(crate) fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x))
}

/// A signed 32-bit big-endian integer from the first 4 bytes (0 if fewer).
pub(crate) fn i32_of(b: &[u8]) -> i32 {
    b.get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, i32::from_be_bytes)
}

/// The unsigned big-endian field of `size` bytes at `at` in `bytes`, 0 past the end.
pub(crate) fn be_at(bytes: &[u8], at: usize, size: usize) -> u64 {
    bytes.get(at..at.saturating_add(size)).map_or(0, be)
}

/// Reads a node's fields one after another, stopping at the first that the
/// node's bytes do not hold (a term cut short).
struct Cursor<'r> {
    render: &'r Render<'r>,
    at: usize,
    end: usize,
    stop: bool,
}

impl Cursor<'_> {
    /// The field of `size` bytes at the cursor, if the node holds it.
    fn peek(&self, size: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(size)?;
        if self.stop || end > self.end {
            return None;
        }
        self.render.input.get(self.at..end)
    }

    fn leaf(&mut self, out: &mut Vec<Span>, label: &'static Label, size: usize, how: Leaf) {
        let Some(own) = self.peek(size) else {
            self.stop = true;
            return;
        };
        let r = self.render;
        let mut meaning = Cow::Borrowed(label.meaning);
        let value = match how {
            Leaf::UInt => Value::UInt(be(own)),
            Leaf::I32 => Value::Int(i32_of(own).into()),
            Leaf::Float => Value::Text(super::float_text(f64::from_bits(be(own)))),
            Leaf::Utf8 => Value::Text(String::from_utf8_lossy(own).into_owned()),
            Leaf::Latin1 => Value::Text(latin1(own)),
            Leaf::Big(sign) => Value::Text(super::big_decimal_short(sign, own)),
            Leaf::OldFloat => Value::Text(
                String::from_utf8_lossy(own.split(|&c| c == 0).next().unwrap_or(&[])).into_owned(),
            ),
            Leaf::Bytes => Value::Bytes(own.to_vec()),
            Leaf::Len => Value::UInt(u64::try_from(size).unwrap_or(u64::MAX)),
            Leaf::CacheRef => {
                let i = own.first().copied().unwrap_or(0);
                meaning = match r.arena.cache_name(i) {
                    Some(n) => Cow::Owned(format!("atom-cache ref {i} = '{n}'")),
                    None => Cow::Borrowed(
                        "index into the distribution header's atom refs (no header given: unresolved)",
                    ),
                };
                Value::UInt(i.into())
            }
        };
        out.push(Span {
            field: Cow::Borrowed(label.field),
            offset: r.base.saturating_add(self.at),
            length: size,
            value,
            meaning,
            children: Vec::new(),
        });
        self.at += size;
    }

    /// A leaf that is only there when it has bytes.
    fn leaf_nonempty(
        &mut self,
        out: &mut Vec<Span>,
        label: &'static Label,
        size: usize,
        how: Leaf,
    ) {
        if size > 0 {
            self.leaf(out, label, size, how);
        }
    }

    /// The unsigned field of `size` bytes at the cursor (0 if absent).
    fn peek_uint(&self, size: usize) -> u64 {
        self.peek(size).map_or(0, be)
    }
}

/// A group span being filled.
struct Frame {
    span: Span,
    node: usize,
    /// The next child node.
    child: usize,
    /// One past the last descendant.
    end: usize,
    /// Children seen so far.
    k: usize,
    /// A list's element count (its tail is child `n`).
    n: u64,
    /// Where the last child's bytes end.
    after: Option<usize>,
}

struct Render<'r> {
    arena: &'r SpanArena,
    input: &'r [u8],
    base: usize,
}

impl<'r> Render<'r> {
    fn node(&self, i: usize) -> Node {
        self.arena.nodes.get(i).copied().unwrap_or(Node {
            pos: 0,
            len: 0,
            next: u32::MAX,
            tag: 0,
            flags: NO_TAG | PARTIAL,
        })
    }

    /// The span tree of node `root` and its descendants, without recursion.
    fn tree(&self, root: usize) -> Span {
        let mut stack = vec![self.open(root, TERM)];
        loop {
            let Some(top) = stack.last_mut() else {
                return Span::leaf("term", self.base, 0, Value::Null, "a term");
            };
            if top.child < top.end {
                let c = top.child;
                let n = self.node(c);
                top.child = n.next().max(c + 1);
                let label = child_label(self.node(top.node).tag, top.k, top.n);
                top.k += 1;
                top.after = Some(n.end());
                let f = self.open(c, label);
                if f.child < f.end {
                    stack.push(f);
                } else {
                    let s = self.close(f);
                    if let Some(top) = stack.last_mut() {
                        top.span.children.push(s);
                    }
                }
            } else if let Some(f) = stack.pop() {
                let s = self.close(f);
                match stack.last_mut() {
                    Some(top) => top.span.children.push(s),
                    None => return s,
                }
            }
        }
    }

    /// A node's group span with its tag leaf and the fields before its
    /// first child.
    fn open(&self, i: usize, label: &'static Label) -> Frame {
        let n = self.node(i);
        let mut children = Vec::new();
        let mut c = Cursor {
            render: self,
            at: n.start().saturating_add(1),
            end: n.end(),
            stop: false,
        };
        let mut list_n = 0;
        let (label, value, meaning): (&'static Label, Value, &'static str) = if n.flags & NO_TAG
            != 0
        {
            (label, Value::Null, "a term")
        } else if n.flags & ENVELOPE != 0 && n.tag == VERSION_MAGIC {
            let v = l!(
                    "version",
                    "131 = the external term format version byte (term_to_binary output starts with it)"
                );
            (v, Value::UInt(131), v.meaning)
        } else if n.flags & ENVELOPE != 0 && n.tag == COMPRESSED {
            children.push(tag_leaf(self.base.saturating_add(n.start()), n.tag));
            c.leaf(
                &mut children,
                l!(
                    "uncompressed_size",
                    "UncompressedSize: bytes of Tag+Data once inflated"
                ),
                4,
                Leaf::UInt,
            );
            c.leaf_nonempty(
                &mut children,
                l!(
                    "zlib",
                    "the zlib (RFC 1950) stream; its inflated bytes are decoded separately"
                ),
                c.end.saturating_sub(c.at),
                Leaf::Len,
            );
            (l!("compressed"), Value::Null, meaning(COMPRESSED))
        } else {
            children.push(tag_leaf(self.base.saturating_add(n.start()), n.tag));
            list_n = self.fields(&n, &mut c, &mut children);
            if n.flags & BAD_LAST != 0 && children.len() > 1 {
                children.pop();
            }
            let value = if n.flags & PARTIAL == 0 {
                self.group_value(&n)
            } else {
                Value::Null
            };
            (label, value, name(n.tag).unwrap_or("unknown tag"))
        };
        Frame {
            span: Span {
                field: Cow::Borrowed(label.field),
                offset: self.base.saturating_add(n.start()),
                length: usize::try_from(n.len).unwrap_or(usize::MAX),
                value,
                meaning: Cow::Borrowed(meaning),
                children,
            },
            node: i,
            child: i + 1,
            end: n.next().max(i + 1),
            k: 0,
            n: list_n,
            after: None,
        }
    }

    /// The fields after the last child (a pid's, port's or reference's
    /// numbers after its node atom).
    fn close(&self, mut f: Frame) -> Span {
        let n = self.node(f.node);
        let Some(at) = f.after else {
            return f.span;
        };
        let mut c = Cursor {
            render: self,
            at,
            end: n.end(),
            stop: false,
        };
        let out = &mut f.span.children;
        match n.tag {
            PID_EXT | NEW_PID_EXT => {
                c.leaf(out, l!("id", "process number"), 4, Leaf::UInt);
                c.leaf(out, l!("serial", "serial"), 4, Leaf::UInt);
                if n.tag == NEW_PID_EXT {
                    c.leaf(
                        out,
                        l!(
                            "creation",
                            "creation: which incarnation of the node (32-bit)"
                        ),
                        4,
                        Leaf::UInt,
                    );
                } else {
                    c.leaf(
                        out,
                        l!(
                            "creation",
                            "creation: which incarnation of the node (2 bits used)"
                        ),
                        1,
                        Leaf::UInt,
                    );
                }
            }
            PORT_EXT => {
                c.leaf(out, l!("id", "port number"), 4, Leaf::UInt);
                c.leaf(out, l!("creation", "creation (8-bit)"), 1, Leaf::UInt);
            }
            NEW_PORT_EXT => {
                c.leaf(out, l!("id", "port number"), 4, Leaf::UInt);
                c.leaf(out, l!("creation", "creation (32-bit)"), 4, Leaf::UInt);
            }
            V4_PORT_EXT => {
                c.leaf(out, l!("id", "port number (64-bit)"), 8, Leaf::UInt);
                c.leaf(out, l!("creation", "creation (32-bit)"), 4, Leaf::UInt);
            }
            REFERENCE_EXT => {
                c.leaf(out, l!("id", "the reference's id word"), 4, Leaf::UInt);
                c.leaf(out, l!("creation", "creation (8-bit)"), 1, Leaf::UInt);
            }
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => {
                if n.tag == NEWER_REFERENCE_EXT {
                    c.leaf(out, l!("creation", "creation (32-bit)"), 4, Leaf::UInt);
                } else {
                    c.leaf(out, l!("creation", "creation (8-bit)"), 1, Leaf::UInt);
                }
                let count = be_at(self.input, n.start().saturating_add(1), 2);
                for _ in 0..count.min(5) {
                    c.leaf(out, l!("id", "an id word (wire order)"), 4, Leaf::UInt);
                }
            }
            _ => {}
        }
        f.span
    }

    /// A term's fields before its first child; gives a list's element count.
    fn fields(&self, n: &Node, c: &mut Cursor<'_>, out: &mut Vec<Span>) -> u64 {
        match n.tag {
            SMALL_INTEGER_EXT => c.leaf(out, l!("value", "the integer, unsigned"), 1, Leaf::UInt),
            INTEGER_EXT => c.leaf(
                out,
                l!("value", "the integer, 32-bit two's complement"),
                4,
                Leaf::I32,
            ),
            SMALL_BIG_EXT | LARGE_BIG_EXT => {
                let size = if n.tag == LARGE_BIG_EXT { 4 } else { 1 };
                let count = c.peek_uint(size);
                c.leaf(
                    out,
                    l!("digit_count", "number of digit bytes"),
                    size,
                    Leaf::UInt,
                );
                let sign = c.peek(1).and_then(|s| s.first().copied()).unwrap_or(0);
                c.leaf(
                    out,
                    if sign == 0 {
                        l!("sign", "sign 0: positive")
                    } else {
                        l!(
                            "sign",
                            "sign non-zero: negative (a separate sign byte, not two's complement)"
                        )
                    },
                    1,
                    Leaf::UInt,
                );
                c.leaf_nonempty(
                    out,
                    l!(
                        "digits",
                        "the magnitude in base 256, least significant byte FIRST (little-endian)"
                    ),
                    usize::try_from(count).unwrap_or(usize::MAX),
                    Leaf::Big(sign),
                );
            }
            NEW_FLOAT_EXT => c.leaf(
                out,
                l!("value", "IEEE 754 double, big-endian"),
                8,
                Leaf::Float,
            ),
            FLOAT_EXT => c.leaf(
                out,
                l!(
                    "value",
                    "the float as \"%.20e\" text, NUL padded to 31 bytes"
                ),
                31,
                Leaf::OldFloat,
            ),
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                let size = if n.tag == ATOM_EXT || n.tag == ATOM_UTF8_EXT {
                    2
                } else {
                    1
                };
                let len = c.peek_uint(size);
                c.leaf(
                    out,
                    l!("length", "byte length of the name"),
                    size,
                    Leaf::UInt,
                );
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                if n.tag == ATOM_UTF8_EXT || n.tag == SMALL_ATOM_UTF8_EXT {
                    c.leaf_nonempty(out, l!("name", "the atom's name, UTF-8"), len, Leaf::Utf8);
                } else {
                    c.leaf_nonempty(
                        out,
                        l!("name", "the atom's name, Latin-1 (one byte per character)"),
                        len,
                        Leaf::Latin1,
                    );
                }
            }
            ATOM_CACHE_REF => c.leaf(out, l!("index"), 1, Leaf::CacheRef),
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => c.leaf(
                out,
                l!("id_count", "number of id words (1..5)"),
                2,
                Leaf::UInt,
            ),
            SMALL_TUPLE_EXT => c.leaf(out, l!("arity", "number of elements"), 1, Leaf::UInt),
            LARGE_TUPLE_EXT => c.leaf(out, l!("arity", "number of elements"), 4, Leaf::UInt),
            MAP_EXT => c.leaf(
                out,
                l!("arity", "number of key => value pairs"),
                4,
                Leaf::UInt,
            ),
            STRING_EXT => {
                let len = c.peek_uint(2);
                c.leaf(
                    out,
                    l!("length", "number of elements (bytes)"),
                    2,
                    Leaf::UInt,
                );
                c.leaf_nonempty(
                    out,
                    l!("bytes", "the list's elements, one byte each"),
                    usize::try_from(len).unwrap_or(usize::MAX),
                    Leaf::Utf8,
                );
            }
            LIST_EXT => {
                let count = c.peek_uint(4);
                c.leaf(
                    out,
                    l!("length", "number of elements (the tail is not counted)"),
                    4,
                    Leaf::UInt,
                );
                return count;
            }
            BINARY_EXT => {
                let len = c.peek_uint(4);
                c.leaf(out, l!("length", "number of bytes"), 4, Leaf::UInt);
                c.leaf_nonempty(
                    out,
                    l!("data", "the binary's bytes"),
                    usize::try_from(len).unwrap_or(usize::MAX),
                    Leaf::Len,
                );
            }
            BIT_BINARY_EXT => {
                let len = c.peek_uint(4);
                c.leaf(out, l!("length", "number of bytes"), 4, Leaf::UInt);
                c.leaf(
                    out,
                    l!(
                        "bits",
                        "bits used in the last byte, from its most significant bit (1..8)"
                    ),
                    1,
                    Leaf::UInt,
                );
                c.leaf_nonempty(
                    out,
                    l!("data", "the bytes; the last one only partly used"),
                    usize::try_from(len).unwrap_or(usize::MAX),
                    Leaf::Len,
                );
            }
            NEW_FUN_EXT => {
                c.leaf(
                    out,
                    l!(
                        "size",
                        "Size: bytes from this field to the end (OTP ignores it)"
                    ),
                    4,
                    Leaf::UInt,
                );
                c.leaf(out, l!("arity", "the fun's arity"), 1, Leaf::UInt);
                c.leaf(out, l!("uniq", "MD5 of the module's code"), 16, Leaf::Bytes);
                c.leaf(
                    out,
                    l!("index", "index in the module's fun table"),
                    4,
                    Leaf::UInt,
                );
                c.leaf(
                    out,
                    l!("num_free", "number of free variables"),
                    4,
                    Leaf::UInt,
                );
            }
            FUN_EXT => c.leaf(
                out,
                l!("num_free", "number of free variables"),
                4,
                Leaf::UInt,
            ),
            LOCAL_EXT => c.leaf(
                out,
                l!("hash", "a hash only the encoding node can check"),
                4,
                Leaf::UInt,
            ),
            _ => {}
        }
        0
    }

    /// The value shown on a complete term's group: scalars only.
    fn group_value(&self, n: &Node) -> Value {
        let own = self.input.get(n.start()..n.end()).unwrap_or(&[]);
        let at = |i: usize| own.get(i..).unwrap_or(&[]);
        match n.tag {
            SMALL_INTEGER_EXT => Value::UInt(be_at(own, 1, 1)),
            INTEGER_EXT => Value::Int(i32_of(at(1)).into()),
            ATOM_EXT => Value::Text(latin1(at(3))),
            SMALL_ATOM_EXT => Value::Text(latin1(at(2))),
            ATOM_UTF8_EXT => Value::Text(String::from_utf8_lossy(at(3)).into_owned()),
            SMALL_ATOM_UTF8_EXT => Value::Text(String::from_utf8_lossy(at(2)).into_owned()),
            ATOM_CACHE_REF => {
                let i = own.get(1).copied().unwrap_or(0);
                Value::Text(match self.arena.cache_name(i) {
                    Some(n) => n.to_string(),
                    None => format!("$atom_cache_ref_{i}"),
                })
            }
            _ => Value::Null,
        }
    }
}

/// The field name of a container's `k`th child; `n` is a list's element count.
fn child_label(tag: u8, k: usize, n: u64) -> &'static Label {
    match tag {
        SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => ELEMENT,
        LIST_EXT if u64::try_from(k).is_ok_and(|k| k == n) => TAIL,
        LIST_EXT => ELEMENT,
        MAP_EXT if k % 2 == 0 => KEY,
        MAP_EXT => VALUE,
        EXPORT_EXT => EXPORT_FIELDS.get(k).copied().unwrap_or(FREE_VAR),
        NEW_FUN_EXT => NEW_FUN_FIELDS.get(k).copied().unwrap_or(FREE_VAR),
        FUN_EXT => OLD_FUN_FIELDS.get(k).copied().unwrap_or(FREE_VAR),
        PID_EXT | NEW_PID_EXT | PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT | REFERENCE_EXT
        | NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => NODE,
        _ => TERM,
    }
}

/// The leaf of a tag byte.
fn tag_leaf(offset: usize, tag: u8) -> Span {
    Span::leaf("tag", offset, 1, Value::UInt(tag.into()), meaning(tag))
}

pub(crate) fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_small() {
        assert!(std::mem::size_of::<Node>() <= 16);
    }
}
