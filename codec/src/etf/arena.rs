//! The ETF decoder's spans, flat: one [`SpanArena`] node per span, in
//! pre-order, each knowing where its subtree ends. Decoding fills it with no
//! allocation per span; [`SpanArena::to_spans`] builds the [`Span`] tree
//! (texts, floats, bignum decimals read back from the input) on demand.

use super::tags::{meaning, name};
use crate::span::{Span, Value};
use std::borrow::Cow;

/// A span's field name and (when it does not depend on the bytes) meaning.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) field: &'static str,
    pub(crate) meaning: &'static str,
}

/// A `&'static Label`: `l!("field", "meaning")`, or `l!("field")` for a group
/// (whose meaning comes from its tag).
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
pub(crate) use l;

/// A node's value; the byte-derived kinds read the node's own bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val {
    None,
    UInt(u64),
    Int(i64),
    /// Shown as Erlang writes it ([`float_text`](super::float_text)).
    Float(f64),
    /// The bytes as UTF-8 text (invalid sequences as U+FFFD).
    Utf8,
    /// The bytes as Latin-1 text.
    Latin1,
    /// Bignum digits (little-endian) with this sign byte, in decimal.
    Big(u8),
    /// FLOAT_EXT text: the bytes up to the first NUL.
    OldFloat,
    /// The bytes themselves.
    Bytes,
    /// An atom term's group: its name is its bytes after `skip` header bytes.
    Atom {
        skip: u8,
        latin1: bool,
    },
    /// Text kept aside (cache-ref atoms).
    Owned(u32),
    /// An ATOM_CACHE_REF index; the meaning is kept-aside text.
    CacheRef(u8, u32),
}

/// Where a node's meaning comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mean {
    /// The label's.
    Label,
    /// [`meaning`] of this tag.
    Tag(u8),
    /// A term's group: the tag's name. With a tag, the group's first child
    /// is the tag byte's leaf, implied (not stored).
    Group(Option<u8>),
}

impl Val {
    /// As a kind and an 8-byte payload (nodes stay small).
    #[inline]
    fn pack(self) -> (Kind, u64) {
        match self {
            Val::None => (Kind::None, 0),
            Val::UInt(v) => (Kind::UInt, v),
            Val::Int(v) => (Kind::Int, u64::from_ne_bytes(v.to_ne_bytes())),
            Val::Float(f) => (Kind::Float, f.to_bits()),
            Val::Utf8 => (Kind::Utf8, 0),
            Val::Latin1 => (Kind::Latin1, 0),
            Val::Big(sign) => (Kind::Big, sign.into()),
            Val::OldFloat => (Kind::OldFloat, 0),
            Val::Bytes => (Kind::Bytes, 0),
            Val::Atom { skip, latin1 } => (Kind::Atom, u64::from(skip) | u64::from(latin1) << 8),
            Val::Owned(i) => (Kind::Owned, i.into()),
            Val::CacheRef(i, m) => (Kind::CacheRef, u64::from(i) | u64::from(m) << 8),
        }
    }

    fn unpack(kind: Kind, p: u64) -> Val {
        let low = p.to_le_bytes()[0];
        let high = u32::try_from(p >> 8).unwrap_or(u32::MAX);
        match kind {
            Kind::None => Val::None,
            Kind::UInt => Val::UInt(p),
            Kind::Int => Val::Int(i64::from_ne_bytes(p.to_ne_bytes())),
            Kind::Float => Val::Float(f64::from_bits(p)),
            Kind::Utf8 => Val::Utf8,
            Kind::Latin1 => Val::Latin1,
            Kind::Big => Val::Big(low),
            Kind::OldFloat => Val::OldFloat,
            Kind::Bytes => Val::Bytes,
            Kind::Atom => Val::Atom {
                skip: low,
                latin1: high != 0,
            },
            Kind::Owned => Val::Owned(u32::try_from(p).unwrap_or(u32::MAX)),
            Kind::CacheRef => Val::CacheRef(low, high),
        }
    }
}

/// [`Val`]'s variants.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    None,
    UInt,
    Int,
    Float,
    Utf8,
    Latin1,
    Big,
    OldFloat,
    Bytes,
    Atom,
    Owned,
    CacheRef,
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    offset: usize,
    length: usize,
    label: &'static Label,
    /// The value's payload (see [`Val::pack`]).
    payload: u64,
    /// Index one past this node's last descendant.
    end: u32,
    kind: Kind,
    mean: Mean,
}

/// The spans of one decoded term, flat and compact (see the module docs);
/// [`to_spans`](SpanArena::to_spans) gives the [`Span`] tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanArena {
    nodes: Vec<Node>,
    owned: Vec<Box<str>>,
}

/// Node counts are kept below this (ends are `u32`).
pub(crate) const MAX_NODES: usize = 0xffff_0000;

impl SpanArena {
    /// Number of nodes: every span but the tag byte leaves of terms (which
    /// their groups imply).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when there are no spans.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn next_end(&self) -> u32 {
        u32::try_from(self.nodes.len()).unwrap_or(u32::MAX)
    }

    /// Pushes a leaf.
    #[inline]
    pub(crate) fn leaf(&mut self, label: &'static Label, offset: usize, length: usize, val: Val) {
        let end = self.next_end().saturating_add(1);
        let (kind, payload) = val.pack();
        self.nodes.push(Node {
            offset,
            length,
            label,
            payload,
            end,
            kind,
            mean: Mean::Label,
        });
    }

    /// Pushes a tag byte's leaf (a term's group implies its own).
    #[inline]
    pub(crate) fn tag(&mut self, offset: usize, tag: u8) {
        let end = self.next_end().saturating_add(1);
        self.nodes.push(Node {
            offset,
            length: 1,
            label: l!("tag"),
            payload: tag.into(),
            end,
            kind: Kind::UInt,
            mean: Mean::Tag(tag),
        });
    }

    /// Opens a group; [`close`](Self::close) it once its children are in.
    #[inline]
    pub(crate) fn open(&mut self, label: &'static Label, offset: usize, mean: Mean) -> usize {
        let i = self.nodes.len();
        let end = self.next_end().saturating_add(1);
        self.nodes.push(Node {
            offset,
            length: 0,
            label,
            payload: 0,
            end,
            kind: Kind::None,
            mean,
        });
        i
    }

    /// Closes group `i` at absolute offset `end`: it holds every node since.
    #[inline]
    pub(crate) fn close(&mut self, i: usize, end: usize, val: Val) {
        let next = self.next_end();
        if let Some(n) = self.nodes.get_mut(i) {
            n.length = end.saturating_sub(n.offset);
            n.end = next;
            (n.kind, n.payload) = val.pack();
        }
    }

    /// Keeps a text aside, for [`Val::Owned`] / [`Val::CacheRef`].
    pub(crate) fn own(&mut self, text: String) -> u32 {
        let i = u32::try_from(self.owned.len()).unwrap_or(u32::MAX);
        self.owned.push(text.into_boxed_str());
        i
    }

    fn owned(&self, i: u32) -> &str {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.owned.get(i))
            .map_or("", |s| s)
    }

    /// The span tree. `input` must be the bytes that were decoded, and
    /// `base` the absolute offset of `input[0]` given to the decoder.
    /// Iterative: any nesting depth.
    pub fn to_spans(&self, input: &[u8], base: usize) -> Vec<Span> {
        let mut out = Vec::new();
        let mut open: Vec<(Span, usize)> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            while open.last().is_some_and(|(_, end)| *end <= i) {
                if let Some((s, _)) = open.pop() {
                    attach(&mut open, &mut out, s);
                }
            }
            let mut span = self.render(n, input, base);
            if let Mean::Group(Some(t)) = n.mean {
                span.children.push(tag_leaf(n.offset, t));
            }
            let end = usize::try_from(n.end).unwrap_or(usize::MAX);
            if end > i + 1 {
                open.push((span, end));
            } else {
                attach(&mut open, &mut out, span);
            }
        }
        while let Some((s, _)) = open.pop() {
            attach(&mut open, &mut out, s);
        }
        out
    }

    fn render(&self, n: &Node, input: &[u8], base: usize) -> Span {
        let own = n
            .offset
            .checked_sub(base)
            .and_then(|s| input.get(s..s.checked_add(n.length)?))
            .unwrap_or(&[]);
        let val = Val::unpack(n.kind, n.payload);
        let value = match val {
            Val::None => Value::Null,
            Val::UInt(v) => Value::UInt(v),
            Val::Int(v) => Value::Int(v),
            Val::Float(f) => Value::Text(super::float_text(f)),
            Val::Utf8 => Value::Text(String::from_utf8_lossy(own).into_owned()),
            Val::Latin1 => Value::Text(latin1(own)),
            Val::Big(sign) => Value::Text(super::big_decimal_short(sign, own)),
            Val::OldFloat => Value::Text(
                String::from_utf8_lossy(own.split(|&c| c == 0).next().unwrap_or(&[])).into_owned(),
            ),
            Val::Bytes => Value::Bytes(own.to_vec()),
            Val::Atom { skip, latin1: l1 } => {
                let b = own.get(usize::from(skip)..).unwrap_or(&[]);
                Value::Text(if l1 {
                    latin1(b)
                } else {
                    String::from_utf8_lossy(b).into_owned()
                })
            }
            Val::Owned(i) => Value::Text(self.owned(i).to_string()),
            Val::CacheRef(i, _) => Value::UInt(i.into()),
        };
        let meaning: Cow<'static, str> = match (val, n.mean) {
            (Val::CacheRef(_, m), _) => Cow::Owned(self.owned(m).to_string()),
            (_, Mean::Label) => Cow::Borrowed(n.label.meaning),
            (_, Mean::Tag(t)) => Cow::Borrowed(meaning(t)),
            (_, Mean::Group(tag)) => {
                Cow::Borrowed(tag.map_or("a term", |t| name(t).unwrap_or("unknown tag")))
            }
        };
        Span {
            field: Cow::Borrowed(n.label.field),
            offset: n.offset,
            length: n.length,
            value,
            meaning,
            children: Vec::new(),
        }
    }
}

/// The leaf of a tag byte.
fn tag_leaf(offset: usize, tag: u8) -> Span {
    Span::leaf("tag", offset, 1, Value::UInt(tag.into()), meaning(tag))
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// Adds a finished span to the innermost open one, or to the output.
fn attach(open: &mut [(Span, usize)], out: &mut Vec<Span>, s: Span) {
    match open.last_mut() {
        Some((p, _)) => p.children.push(s),
        None => out.push(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_small() {
        let s = (
            std::mem::size_of::<Node>(),
            std::mem::size_of::<Val>(),
            std::mem::size_of::<Mean>(),
        );
        assert!(s.0 <= 40, "{s:?}");
    }
}
