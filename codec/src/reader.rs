//! A position-tracking reader that records a [`Span`] for every field it reads.

use crate::span::{Span, Value};
use serde::Serialize;
use std::fmt;

/// A decode error: where, which field, and what was wrong (with the numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodeError {
    /// Absolute byte offset of the offending byte.
    pub offset: usize,
    /// Field path, e.g. `ALIVE2_REQ.name_len`.
    pub field: String,
    /// What was wrong, with the numbers involved.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}: {}", self.offset, self.field, self.message)
    }
}

impl std::error::Error for DecodeError {}

/// A valid prefix: more bytes are needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incomplete {
    /// How many more bytes are needed at least; `None` when the message runs
    /// until the peer closes the connection (NAMES_RESP, DUMP_RESP).
    pub needed: Option<usize>,
    /// The field that was being read.
    pub field: String,
    /// `incomplete: N more bytes needed` and why.
    pub message: String,
}

impl Incomplete {
    /// Incomplete at `field`, with why that many bytes are needed.
    pub(crate) fn with_reason(needed: Option<usize>, field: String, reason: String) -> Incomplete {
        let mut i = Incomplete::new(needed, field);
        i.message = format!("{}: {reason}", i.message);
        i
    }

    pub(crate) fn new(needed: Option<usize>, field: String) -> Incomplete {
        let message = match needed {
            Some(1) => format!("incomplete: 1 more byte needed ({field})"),
            Some(n) => format!("incomplete: {n} more bytes needed ({field})"),
            None => format!("incomplete: more bytes may follow until the peer closes ({field})"),
        };
        Incomplete {
            needed,
            field,
            message,
        }
    }
}

/// How a decode ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The frame is whole and valid.
    Complete,
    /// A valid prefix: more bytes are needed.
    Incomplete(Incomplete),
    /// The bytes are wrong at a given offset.
    Invalid(DecodeError),
}

impl Status {
    /// True for [`Status::Complete`].
    pub fn is_complete(&self) -> bool {
        matches!(self, Status::Complete)
    }
    /// True for [`Status::Incomplete`].
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Status::Incomplete(_))
    }
}

/// Why decoding stopped before the end of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Not enough bytes yet.
    Incomplete(Incomplete),
    /// The bytes are wrong.
    Invalid(DecodeError),
}

pub(crate) type RResult<T> = Result<T, Stop>;

/// Reads fields from a byte slice and records a span for each.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Absolute offset of `data[0]`.
    base: usize,
    /// Message name used in field paths (`ALIVE2_REQ`).
    pub frame: &'static str,
    pub spans: Vec<Span>,
    /// When the bytes run out: true means the frame's declared end was reached
    /// (running out is an error), false means more bytes may still come.
    pub bounded: bool,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], base: usize, frame: &'static str) -> Reader<'a> {
        Reader {
            data,
            pos: 0,
            base,
            frame,
            spans: Vec::new(),
            bounded: false,
        }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// The two bytes just read, when both are ASCII digits or letters.
    pub fn consumed_prefix_text(&self) -> Option<String> {
        let b = self.data.get(self.pos.checked_sub(2)?..self.pos)?;
        b.iter().all(u8::is_ascii_alphanumeric).then(|| lossy(b))
    }

    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub fn path(&self, field: &str) -> String {
        format!("{}.{}", self.frame, field)
    }

    pub fn invalid(&self, offset: usize, field: &str, message: impl Into<String>) -> Stop {
        Stop::Invalid(DecodeError {
            offset,
            field: self.path(field),
            message: message.into(),
        })
    }

    /// Takes `n` bytes for `field`, or stops (Incomplete, or Invalid when the
    /// frame is bounded and too short).
    pub fn take(&mut self, n: usize, field: &str) -> RResult<&'a [u8]> {
        let have = self.remaining();
        if have < n {
            if self.bounded {
                return Err(self.invalid(
                    self.offset(),
                    field,
                    format!("needs {n} bytes but only {have} remain in the frame"),
                ));
            }
            return Err(Stop::Incomplete(Incomplete::new(
                Some(n - have),
                self.path(field),
            )));
        }
        let start = self.pos;
        self.pos += n;
        Ok(self.data.get(start..self.pos).unwrap_or(&[]))
    }

    /// Records a leaf span for the bytes `[start, pos)` (absolute start).
    /// Zero-length fields (an empty name) get no span: leaves tile the bytes.
    pub fn push(&mut self, field: &str, start: usize, value: Value, meaning: String) {
        let len = self.offset().saturating_sub(start);
        if len == 0 {
            return;
        }
        self.spans
            .push(Span::leaf(field.to_string(), start, len, value, meaning));
    }

    pub fn u8(&mut self, field: &str, meaning: impl FnOnce(u8) -> String) -> RResult<u8> {
        let start = self.offset();
        let v = match self.take(1, field)? {
            [b] => *b,
            _ => 0,
        };
        self.push(field, start, Value::UInt(u64::from(v)), meaning(v));
        Ok(v)
    }

    pub fn u16(&mut self, field: &str, meaning: impl FnOnce(u16) -> String) -> RResult<u16> {
        let start = self.offset();
        let b = self.take(2, field)?;
        let v = match b {
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        };
        self.push(field, start, Value::UInt(u64::from(v)), meaning(v));
        Ok(v)
    }

    pub fn u32(&mut self, field: &str, meaning: impl FnOnce(u32) -> String) -> RResult<u32> {
        let start = self.offset();
        let b = self.take(4, field)?;
        let v = match b {
            [a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
            _ => 0,
        };
        self.push(field, start, Value::UInt(u64::from(v)), meaning(v));
        Ok(v)
    }

    /// `n` bytes of text (shown as a string) for `field`.
    pub fn text(
        &mut self,
        n: usize,
        field: &str,
        meaning: impl FnOnce(&[u8]) -> String,
    ) -> RResult<&'a [u8]> {
        let start = self.offset();
        let b = self.take(n, field)?;
        let m = meaning(b);
        self.push(field, start, Value::Text(lossy(b)), m);
        Ok(b)
    }

    /// `n` opaque bytes for `field`.
    pub fn bytes(
        &mut self,
        n: usize,
        field: &str,
        meaning: impl FnOnce(&[u8]) -> String,
    ) -> RResult<&'a [u8]> {
        let start = self.offset();
        let b = self.take(n, field)?;
        let m = meaning(b);
        self.push(field, start, Value::Bytes(b.to_vec()), m);
        Ok(b)
    }
}

/// Bytes as text, with U+FFFD for invalid UTF-8.
pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// "1 byte" / "N bytes".
pub(crate) fn bytes_word(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}
