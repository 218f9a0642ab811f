//! The span tree: what every decoder produces and every renderer reads.
//!
//! A [`Span`] names a byte range of the input, the typed [`Value`] found there
//! and a one-line meaning. Group spans (a frame, a NAMES_RESP line) hold
//! children; for every complete frame the *leaf* spans tile the frame's bytes
//! exactly: no gaps, no overlaps.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// Span text: static where it can be (no allocation per span), owned where
/// it names values.
pub type Text = Cow<'static, str>;

/// A typed value found on the wire (or derived from it).
///
/// In JSON a value is written naturally: numbers as numbers, text as strings,
/// raw bytes as a lowercase hex string, lists as arrays and records as objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No value (a group span, a literal).
    Null,
    /// A yes/no verdict (a digest checked against the cookie).
    Bool(bool),
    /// An unsigned integer field.
    UInt(u64),
    /// A signed integer (negative values).
    Int(i64),
    /// Text (names, ASCII words); invalid UTF-8 is shown with U+FFFD.
    Text(String),
    /// Opaque bytes; serialized as lowercase hex.
    Bytes(Vec<u8>),
    /// A list of values.
    List(Vec<Value>),
    /// A record with named members, in wire order.
    Record(Vec<(String, Value)>),
}

impl Value {
    /// The value as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::UInt(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A short human rendering (`9506`, `"node"`, `0x7879`).
    pub fn display(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Text(s) => format!("{s:?}"),
            Value::Bytes(b) if b.is_empty() => "<<>>".to_string(),
            Value::Bytes(b) => format!("0x{}", crate::hex::encode(b)),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(Value::display).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Record(members) => {
                let parts: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.display()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::UInt(v) => s.serialize_u64(*v),
            Value::Int(v) => s.serialize_i64(*v),
            Value::Text(t) => s.serialize_str(t),
            Value::Bytes(b) => s.serialize_str(&crate::hex::encode(b)),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Record(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// One named byte range of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// snake_case field name (`port`, `name_len`, `length_prefix`); a group's
    /// name for group spans (`node[0]`).
    pub field: Text,
    /// Absolute byte offset in the decoded byte stream.
    pub offset: usize,
    /// Number of bytes covered.
    pub length: usize,
    /// The typed value.
    pub value: Value,
    /// One line saying what the bytes mean.
    pub meaning: Text,
    /// Child spans (empty for leaves).
    pub children: Vec<Span>,
}

impl Span {
    /// A leaf span.
    pub fn leaf(
        field: impl Into<Text>,
        offset: usize,
        length: usize,
        value: Value,
        meaning: impl Into<Text>,
    ) -> Span {
        Span {
            field: field.into(),
            offset,
            length,
            value,
            meaning: meaning.into(),
            children: Vec::new(),
        }
    }

    /// End offset (exclusive).
    pub fn end(&self) -> usize {
        self.offset.saturating_add(self.length)
    }

    /// All leaf spans below (or equal to) this one, in order.
    pub fn leaves(&self) -> Vec<&Span> {
        let mut out = Vec::new();
        collect_leaves(std::slice::from_ref(self), &mut out);
        out
    }
}

/// Every leaf of a span forest, in document order.
pub fn leaves(spans: &[Span]) -> Vec<&Span> {
    let mut out = Vec::new();
    collect_leaves(spans, &mut out);
    out
}

fn collect_leaves<'a>(spans: &'a [Span], out: &mut Vec<&'a Span>) {
    for s in spans {
        if s.children.is_empty() {
            out.push(s);
        } else {
            collect_leaves(&s.children, out);
        }
    }
}

/// Checks that the leaves of `spans` tile `offset..offset+length` exactly.
/// Returns a description of the first gap or overlap found.
pub fn check_tiling(spans: &[Span], offset: usize, length: usize) -> Result<(), String> {
    let mut at = offset;
    for leaf in leaves(spans) {
        if leaf.offset != at {
            return Err(format!(
                "leaf `{}` starts at {} but the previous leaf ended at {}",
                leaf.field, leaf.offset, at
            ));
        }
        if leaf.length == 0 {
            return Err(format!("leaf `{}` at {} is empty", leaf.field, leaf.offset));
        }
        at = leaf.end();
    }
    let end = offset.saturating_add(length);
    if at != end {
        return Err(format!("leaves end at {at}, the frame ends at {end}"));
    }
    Ok(())
}

/// A span serialized together with its raw bytes (the JSON contract's `hex`).
pub(crate) struct SpanJson<'a> {
    pub span: &'a Span,
    /// The whole byte stream the offsets refer to, and where it starts.
    pub stream: &'a [u8],
    pub stream_offset: usize,
}

impl Serialize for SpanJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let span = self.span;
        let start = span.offset.saturating_sub(self.stream_offset);
        let bytes = self
            .stream
            .get(start..start.saturating_add(span.length))
            .unwrap_or(&[]);
        let mut map = s.serialize_map(Some(7))?;
        map.serialize_entry("field", &span.field)?;
        map.serialize_entry("offset", &span.offset)?;
        map.serialize_entry("length", &span.length)?;
        map.serialize_entry("hex", &crate::hex::encode(bytes))?;
        map.serialize_entry("value", &span.value)?;
        map.serialize_entry("meaning", &span.meaning)?;
        let children: Vec<SpanJson<'_>> = span
            .children
            .iter()
            .map(|c| SpanJson {
                span: c,
                stream: self.stream,
                stream_offset: self.stream_offset,
            })
            .collect();
        map.serialize_entry("children", &children)?;
        map.end()
    }
}
