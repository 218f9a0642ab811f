//! The span tree flattened into what a code snippet writes: one item per
//! leaf span (with its bytes and how to write them), a comment line per group
//! span, and the bytes no span covers, so that the items always add up to
//! exactly the frame's bytes.

use crate::span::{Span, Value};

/// How a leaf's bytes can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// An unsigned big-endian integer of `width` bytes (1, 2, 4 or 8).
    Int { width: usize, value: u64 },
    /// A signed big-endian integer of `width` bytes (2, 4 or 8).
    Signed { width: usize, value: i64 },
    /// Printable ASCII text (the bytes themselves).
    Text(&'a str),
    /// Anything else: the bytes one by one.
    Bytes,
}

/// One line's worth of the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    /// A group span (a term, a header): a comment line naming it.
    Group { depth: usize, comment: String },
    /// A leaf span's bytes (or bytes no span covers).
    Field {
        depth: usize,
        bytes: &'a [u8],
        kind: Kind<'a>,
        comment: String,
    },
}

/// Flattens `spans` (absolute offsets; the frame starts at `base`) over the
/// frame's `bytes`. Leaves outside the frame are dropped, overlaps are cut,
/// and gaps become `undecoded` items, so the fields' bytes concatenate to
/// `bytes` exactly.
pub(crate) fn layout<'a>(bytes: &'a [u8], spans: &[Span], base: usize) -> Vec<Item<'a>> {
    let mut w = Walker {
        bytes,
        base,
        pos: 0,
        items: Vec::new(),
    };
    w.walk(spans, 0);
    w.gap(bytes.len(), 0, "not covered by any span");
    w.items
}

struct Walker<'a> {
    bytes: &'a [u8],
    base: usize,
    pos: usize,
    items: Vec<Item<'a>>,
}

impl<'a> Walker<'a> {
    fn walk(&mut self, spans: &[Span], depth: usize) {
        for s in spans {
            if s.children.is_empty() {
                self.leaf(s, depth);
            } else {
                self.items.push(Item::Group {
                    depth,
                    comment: comment(s),
                });
                self.walk(&s.children, depth.saturating_add(1));
            }
        }
    }

    /// Bytes from the cursor up to `to` that no leaf covered.
    fn gap(&mut self, to: usize, depth: usize, why: &str) {
        let to = to.min(self.bytes.len());
        if to > self.pos {
            let bytes = self.bytes.get(self.pos..to).unwrap_or(&[]);
            self.items.push(Item::Field {
                depth,
                bytes,
                kind: Kind::Bytes,
                comment: format!("undecoded: {} byte(s) {why}", bytes.len()),
            });
            self.pos = to;
        }
    }

    fn leaf(&mut self, s: &Span, depth: usize) {
        let Some(start) = s.offset.checked_sub(self.base) else {
            return;
        };
        let end = start.saturating_add(s.length).min(self.bytes.len());
        self.gap(start, depth, "between spans");
        if end <= self.pos {
            return;
        }
        let whole = start == self.pos && end == start.saturating_add(s.length);
        let bytes = self.bytes.get(self.pos..end).unwrap_or(&[]);
        let kind = if whole {
            kind_of(&s.value, bytes)
        } else {
            Kind::Bytes
        };
        self.items.push(Item::Field {
            depth,
            bytes,
            kind,
            comment: comment(s),
        });
        self.pos = end;
    }
}

/// `field: meaning` (or `field = value` when there is no meaning).
fn comment(s: &Span) -> String {
    if !s.meaning.is_empty() {
        format!("{}: {}", s.field, s.meaning)
    } else if s.value != Value::Null {
        format!("{} = {}", s.field, s.value.display())
    } else {
        s.field.to_string()
    }
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

fn kind_of<'a>(value: &Value, bytes: &'a [u8]) -> Kind<'a> {
    let width = bytes.len();
    let sized = matches!(width, 2 | 4 | 8);
    match value {
        Value::Text(_) if !bytes.is_empty() && bytes.iter().all(|b| (0x20..0x7f).contains(b)) => {
            // Printable ASCII is valid UTF-8.
            match std::str::from_utf8(bytes) {
                Ok(t) => Kind::Text(t),
                Err(_) => Kind::Bytes,
            }
        }
        Value::UInt(v) if sized && be(bytes) == *v => Kind::Int { width, value: *v },
        Value::Int(v) if sized && signed_be(bytes) == *v => Kind::Signed { width, value: *v },
        _ => match bytes {
            [b] => Kind::Int {
                width: 1,
                value: u64::from(*b),
            },
            _ => Kind::Bytes,
        },
    }
}

fn signed_be(bytes: &[u8]) -> i64 {
    let u = be(bytes);
    let bits = bytes.len().saturating_mul(8);
    if bits == 0 || bits >= 64 {
        return i64::from_be_bytes(u.to_be_bytes());
    }
    // Sign-extend from `bits`.
    let shift = 64 - bits;
    i64::from_be_bytes((u << shift).to_be_bytes()) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(
            kind_of(&Value::UInt(9506), &[0x25, 0x22]),
            Kind::Int {
                width: 2,
                value: 9506
            }
        );
        assert_eq!(kind_of(&Value::UInt(1), &[0x25, 0x22]), Kind::Bytes);
        assert_eq!(
            kind_of(&Value::Int(-5), &[0xff, 0xff, 0xff, 0xfb]),
            Kind::Signed {
                width: 4,
                value: -5
            }
        );
        assert_eq!(
            kind_of(&Value::Text("node".into()), b"node"),
            Kind::Text("node")
        );
        assert_eq!(
            kind_of(&Value::Text("n\u{e9}".into()), b"n\xe9"),
            Kind::Bytes
        );
        assert_eq!(
            kind_of(&Value::Null, &[7]),
            Kind::Int { width: 1, value: 7 }
        );
    }

    #[test]
    fn gaps_and_overlaps_keep_every_byte() {
        let bytes = [1u8, 2, 3, 4, 5, 6];
        let spans = vec![
            Span::leaf("a", 11, 2, Value::Null, ""),
            Span::leaf("b", 12, 2, Value::Null, ""),
            Span::leaf("c", 15, 9, Value::Null, ""),
        ];
        let items = layout(&bytes, &spans, 10);
        let all: Vec<u8> = items
            .iter()
            .flat_map(|i| match i {
                Item::Field { bytes, .. } => bytes.to_vec(),
                Item::Group { .. } => Vec::new(),
            })
            .collect();
        assert_eq!(all, bytes);
    }
}
