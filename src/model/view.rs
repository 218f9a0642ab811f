//! Report → what the page shows: frame headers, statuses and the rows of the
//! annotated byte-layout table.

use erldist_codec::epmd::{Note, Status};
use erldist_codec::session::Reassembled;
use erldist_codec::{Frame, Source, Span, Value};
use std::rc::Rc;

/// One frame: header, status, remarks and byte table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameView {
    /// 1-based position in the report.
    pub index: usize,
    /// `ALIVE2_REQ`, …, `UNKNOWN`.
    pub type_name: &'static str,
    /// `request` or `reply`.
    pub direction: &'static str,
    /// `inferred` (guessed from the bytes) or `known` (chosen, or the log says).
    pub direction_how: &'static str,
    /// Why this direction.
    pub direction_reason: String,
    /// `epmd` or `dist`.
    pub protocol: &'static str,
    /// `epmd`, `handshake` or `connected`.
    pub phase: &'static str,
    /// `initiator` or `acceptor`: the side that sent it.
    pub side: &'static str,
    /// Who sends it to whom, in words (`the client to epmd`).
    pub sender: &'static str,
    /// The conversation it belongs to, when the input held several.
    pub stream: Option<usize>,
    /// Offset of the frame in the byte stream.
    pub offset: usize,
    /// Bytes in the frame.
    pub length: usize,
    /// Line of the input the frame came from (logs).
    pub line: Option<usize>,
    /// Complete, incomplete or error.
    pub status: StatusView,
    /// Remarks, each with its byte offset.
    pub notes: Vec<NoteView>,
    /// What epmd's log says about the frame.
    pub epmd_says: Vec<String>,
    /// The classic mistakes found in the frame.
    pub lint: Vec<LintView>,
    /// `reassembled from 5 fragments (sequence 7): 300049 bytes`.
    pub reassembled: Option<String>,
    /// The byte-layout table (empty from [`frame_header`]).
    pub rows: Vec<Row>,
    /// The frame itself (set by [`report_view`], for `FrameCard`).
    pub source: Option<Rc<Frame>>,
}

/// A remark about one byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteView {
    /// Absolute offset of the byte.
    pub offset: usize,
    /// `byte 0 (UNKNOWN.length_prefix): length 12594 ...`.
    pub text: String,
}

/// A classic mistake found in the frame ([`erldist_codec::lint`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintView {
    /// Its position in the frame's lint list.
    pub index: usize,
    /// `missing-length-prefix`, ...
    pub id: &'static str,
    /// The mistake in general (from the codec's table).
    pub about: &'static str,
    /// What is wrong here, with the numbers.
    pub message: String,
    /// Absolute offset it points at.
    pub offset: usize,
    /// The bytes probably meant, as spaced hex.
    pub corrected: Option<String>,
    /// The same, unspaced (for a `?decode=` link).
    pub corrected_hex: Option<String>,
}

/// How a frame's decode ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusView {
    /// Whole and valid.
    Complete,
    /// A valid prefix.
    Incomplete {
        /// How many more bytes are needed at least (`None`: until the peer closes).
        needed: Option<usize>,
        /// The codec's `incomplete: N more bytes needed (field)`.
        message: String,
    },
    /// Wrong at a byte.
    Error {
        /// Absolute offset of the offending byte.
        offset: usize,
        /// Field path (`ALIVE2_REQ.name_len`).
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl StatusView {
    /// The short status of the frame header's badge.
    pub fn label(&self) -> String {
        match self {
            StatusView::Complete => "complete".to_string(),
            StatusView::Incomplete {
                needed: Some(n), ..
            } => format!("incomplete: {n} more byte{} needed", plural(*n)),
            StatusView::Incomplete { needed: None, .. } => {
                "incomplete: more bytes may follow".to_string()
            }
            StatusView::Error { offset, .. } => format!("error at byte {offset}"),
        }
    }

    /// The whole status, with the field and the reason.
    pub fn detail(&self) -> String {
        match self {
            StatusView::Complete => "complete".to_string(),
            StatusView::Incomplete { message, .. } => message.clone(),
            StatusView::Error {
                offset,
                field,
                message,
            } => format!("error at byte {offset} ({field}): {message}"),
        }
    }

    /// CSS class of the status badge.
    pub fn class(&self) -> &'static str {
        match self {
            StatusView::Complete => "status-complete",
            StatusView::Incomplete { .. } => "status-incomplete",
            StatusView::Error { .. } => "status-error",
        }
    }
}

/// What a table row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A field: bytes with a value.
    Leaf,
    /// A heading over its children (a NAMES_RESP line, ...).
    Group,
    /// Bytes of the frame no span covers (after an error, a partial field).
    Undecoded,
    /// Bytes not there yet (incomplete) or past the end (error).
    Missing,
}

impl RowKind {
    /// CSS class of the row.
    pub fn class(self) -> &'static str {
        match self {
            RowKind::Leaf => "row-leaf",
            RowKind::Group => "row-group",
            RowKind::Undecoded => "row-undecoded",
            RowKind::Missing => "row-missing",
        }
    }
}

/// Bytes a table cell shows before it cuts (`… +N bytes`).
pub const CELL_BYTES: usize = 24;

/// The hex bytes of a row, with the erroneous byte (if in this row) apart;
/// long runs cut to [`CELL_BYTES`] (keeping the marked byte in view).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HexText {
    /// Bytes before the marked one.
    pub before: String,
    /// The marked byte.
    pub marked: Option<String>,
    /// Bytes after the marked one.
    pub after: String,
    /// Bytes left out.
    pub more: usize,
}

impl HexText {
    /// `bytes` as spaced hex, marking `bytes[mark]`.
    pub fn new(bytes: &[u8], mark: Option<usize>) -> HexText {
        let hex = |b: &[u8]| erldist_codec::hex::spaced(b);
        let n = bytes.len();
        let cut = |b: &[u8], keep: usize| -> (String, usize) {
            let shown = b.get(..keep.min(b.len())).unwrap_or(b);
            (hex(shown), b.len() - shown.len())
        };
        match mark {
            Some(i) if i < n => {
                // Up to 8 bytes either side of the mark, `…` where cut.
                let from = i.saturating_sub(8);
                let head = bytes.get(..i.min(CELL_BYTES / 2)).unwrap_or(&[]);
                let mut before = if from > head.len() {
                    let near = bytes.get(from..i).unwrap_or(&[]);
                    format!("{} … {}", hex(head.get(..4).unwrap_or(head)), hex(near))
                } else {
                    hex(bytes.get(..i).unwrap_or(&[]))
                };
                if before.ends_with(' ') {
                    before.pop();
                }
                let (after, more) = cut(bytes.get(i + 1..).unwrap_or(&[]), 8);
                HexText {
                    before,
                    marked: bytes.get(i).map(|b| hex(std::slice::from_ref(b))),
                    after,
                    more,
                }
            }
            _ => {
                let (before, more) = cut(bytes, CELL_BYTES);
                HexText {
                    before,
                    marked: None,
                    after: String::new(),
                    more,
                }
            }
        }
    }

    /// All of it, as plain text.
    #[cfg(test)]
    pub fn plain(&self) -> String {
        [
            self.before.as_str(),
            self.marked.as_deref().unwrap_or(""),
            self.after.as_str(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// One row of the byte-layout table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Leaf, group heading, undecoded or missing bytes.
    pub kind: RowKind,
    /// Nesting depth (children of a group are one deeper).
    pub depth: usize,
    /// Absolute offset of the first byte.
    pub offset: usize,
    /// Bytes of the frame the row covers (0 for missing bytes).
    pub len: usize,
    /// Number of bytes (`+15` for missing bytes, `?` when unknown).
    pub size: String,
    /// The bytes (empty for groups and missing bytes).
    pub hex: HexText,
    /// Field name.
    pub field: String,
    /// The value, rendered (cut when long).
    pub value: String,
    /// What the bytes mean.
    pub meaning: String,
    /// The frame's error points into this row.
    pub is_error: bool,
    /// A note is about a byte of this row.
    pub has_note: bool,
    /// The span tree node the row shows (rows follow the tree's order).
    pub node: Option<usize>,
    /// The hex view's color class of the row's bytes (`f0`..).
    pub color: Option<u8>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How a decode ended, for a byte space that is always whole.
static COMPLETE: Status = Status::Complete;

/// A byte space to lay out: a frame, or a reassembled message (its own
/// bytes, offsets from 0).
#[derive(Debug, Clone, Copy)]
pub struct SpaceSrc<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Offset of `bytes[0]` in the stream the spans' offsets count in.
    pub base: usize,
    /// The span tree.
    pub spans: &'a [Span],
    /// How the decode ended.
    pub status: &'a Status,
    /// Remarks, by offset.
    pub notes: &'a [Note],
}

impl<'a> SpaceSrc<'a> {
    /// No bytes at all.
    pub const EMPTY: SpaceSrc<'static> = SpaceSrc {
        bytes: &[],
        base: 0,
        spans: &[],
        status: &COMPLETE,
        notes: &[],
    };

    /// The frame's bytes.
    pub fn frame(f: &'a Frame) -> SpaceSrc<'a> {
        SpaceSrc {
            bytes: &f.bytes,
            base: f.offset,
            spans: &f.spans,
            status: &f.status,
            notes: &f.notes,
        }
    }

    /// A reassembled message's bytes.
    pub fn reassembled(r: &'a Reassembled) -> SpaceSrc<'a> {
        SpaceSrc {
            bytes: &r.bytes,
            base: 0,
            spans: &r.spans,
            status: &COMPLETE,
            notes: &[],
        }
    }

    /// The offset the error points at.
    pub fn error_at(&self) -> Option<usize> {
        match self.status {
            Status::Invalid(e) => Some(e.offset),
            _ => None,
        }
    }
}

/// Builds the view of one frame (`index` is 1-based), with its rows (the
/// page builds rows on demand through [`space_rows`]; tests want them all).
#[cfg(test)]
pub fn frame_view(index: usize, f: &Frame) -> FrameView {
    FrameView {
        rows: space_rows(&SpaceSrc::frame(f)),
        ..frame_header(index, f)
    }
}

/// The status of a decode.
pub fn status_view(s: &Status) -> StatusView {
    match s {
        Status::Complete => StatusView::Complete,
        Status::Incomplete(i) => StatusView::Incomplete {
            needed: i.needed,
            message: i.message.clone(),
        },
        Status::Invalid(e) => StatusView::Error {
            offset: e.offset,
            field: e.field.clone(),
            message: e.message.clone(),
        },
    }
}

/// Everything about a frame but its table rows.
pub fn frame_header(index: usize, f: &Frame) -> FrameView {
    FrameView {
        index,
        type_name: f.type_name,
        direction: f.direction.as_str(),
        direction_how: match f.direction_source {
            Source::Given => "given",
            Source::Log => "from the log",
            Source::Inferred => "inferred",
        },
        direction_reason: f.direction_reason.clone(),
        protocol: f.protocol.as_str(),
        phase: f.phase.as_str(),
        side: f.side.as_str(),
        sender: erldist_codec::export::sender_words(f.protocol, f.side),
        stream: f.stream,
        offset: f.offset,
        length: f.bytes.len(),
        line: f.line,
        status: status_view(&f.status),
        notes: f
            .notes
            .iter()
            .map(|n| NoteView {
                offset: n.offset,
                text: format!("byte {} ({}): {}", n.offset, n.field, n.message),
            })
            .collect(),
        epmd_says: f.epmd_says.clone(),
        lint: f
            .lint
            .iter()
            .enumerate()
            .map(|(index, l)| LintView {
                index,
                id: l.id,
                about: erldist_codec::lint::IDS
                    .iter()
                    .find(|(id, _)| *id == l.id)
                    .map_or("", |(_, about)| about),
                message: l.message.clone(),
                offset: l.offset,
                corrected: l.corrected.as_deref().map(erldist_codec::hex::spaced),
                corrected_hex: l.corrected.as_deref().map(erldist_codec::hex::encode),
            })
            .collect(),
        reassembled: f.reassembled.as_ref().map(|r| {
            format!(
                "reassembled from {} fragment{} (sequence id {}): {} byte{}",
                r.fragments,
                plural(r.fragments as usize),
                r.sequence_id,
                r.bytes.len(),
                plural(r.bytes.len())
            )
        }),
        rows: Vec::new(),
        source: None,
    }
}

/// The rows of a frame's byte-layout table ([`space_rows`] of the frame).
#[cfg(test)]
pub fn frame_rows(f: &Frame) -> Vec<Row> {
    space_rows(&SpaceSrc::frame(f))
}

/// The rows of a byte-layout table: the span tree in document order
/// (a group's heading row, then its children one level deeper; row `i`
/// is node `i` of [`crate::model::tree::SpanTree`]), then any bytes no span
/// covers, then the bytes still missing.
pub fn space_rows(src: &SpaceSrc<'_>) -> Vec<Row> {
    let error_at = src.error_at();
    let ctx = Ctx {
        src,
        error_at,
        note_offsets: src.notes.iter().map(|n| n.offset).collect(),
    };
    let mut rows = Vec::new();
    span_rows(&ctx, src.spans, &mut rows);

    let frame_end = src.base + src.bytes.len();
    let covered = erldist_codec::span::leaves(src.spans)
        .iter()
        .map(|s| s.end())
        .max()
        .unwrap_or(src.base)
        .clamp(src.base, frame_end);
    if covered < frame_end {
        let meaning = match src.status {
            Status::Invalid(_) => "not decoded: the frame is already wrong before these bytes",
            Status::Incomplete(_) => "not decoded yet: the start of a field that is not complete",
            Status::Complete => "not covered by any field",
        };
        rows.push(Row {
            field: "(not decoded)".to_string(),
            meaning: meaning.to_string(),
            ..ctx.row(RowKind::Undecoded, 0, covered, frame_end - covered)
        });
    }
    match src.status {
        Status::Incomplete(i) => {
            let (size, meaning) = match i.needed {
                Some(n) => (
                    format!("+{n}"),
                    i.message
                        .strip_prefix("incomplete: ")
                        .unwrap_or(&i.message)
                        .to_string(),
                ),
                None => (
                    "?".to_string(),
                    format!(
                        "more bytes may follow until the peer closes the connection: {}",
                        i.field
                    ),
                ),
            };
            rows.push(Row {
                size,
                field: "(missing)".to_string(),
                meaning,
                ..ctx.row(RowKind::Missing, 0, frame_end, 0)
            });
        }
        Status::Invalid(e) if e.offset >= frame_end => rows.push(Row {
            is_error: true,
            size: "—".to_string(),
            field: e.field.clone(),
            meaning: format!("past the end of the frame: {}", e.message),
            ..ctx.row(RowKind::Missing, 0, e.offset, 0)
        }),
        _ => {}
    }
    rows
}

struct Ctx<'a> {
    src: &'a SpaceSrc<'a>,
    error_at: Option<usize>,
    note_offsets: Vec<usize>,
}

impl Ctx<'_> {
    /// A row for the `size` bytes at absolute `offset`, without words yet.
    fn row(&self, kind: RowKind, depth: usize, offset: usize, size: usize) -> Row {
        let contains = |at: usize| at >= offset && at < offset + size;
        let has_bytes = matches!(kind, RowKind::Leaf | RowKind::Undecoded);
        let is_error = has_bytes && self.error_at.is_some_and(contains);
        let start = offset.saturating_sub(self.src.base);
        let bytes = self
            .src
            .bytes
            .get(start..(start + size).min(self.src.bytes.len()))
            .unwrap_or(&[]);
        let hex = if has_bytes {
            HexText::new(
                bytes,
                self.error_at.filter(|_| is_error).map(|e| e - offset),
            )
        } else {
            HexText::default()
        };
        Row {
            kind,
            depth,
            offset,
            len: if kind == RowKind::Missing {
                0
            } else {
                bytes.len()
            },
            size: size.to_string(),
            hex,
            field: String::new(),
            value: String::new(),
            meaning: String::new(),
            is_error,
            has_note: has_bytes && self.note_offsets.iter().any(|&n| contains(n)),
            node: None,
            color: None,
        }
    }
}

/// Characters of a value a row shows before it cuts (`…`).
pub const VALUE_CHARS: usize = 120;

/// The spans in document order, one row each (iteratively: the tree may be
/// deep).
fn span_rows(ctx: &Ctx<'_>, spans: &[Span], rows: &mut Vec<Row>) {
    let mut stack: Vec<std::slice::Iter<'_, Span>> = vec![spans.iter()];
    let mut leaf_no: u8 = 0;
    while let Some(top) = stack.last_mut() {
        let Some(s) = top.next() else {
            stack.pop();
            continue;
        };
        let depth = stack.len() - 1;
        // The codec marks the bytes after an error as one `undecoded` leaf.
        let undecoded = s.children.is_empty() && s.field == "undecoded";
        let kind = if undecoded {
            RowKind::Undecoded
        } else if s.children.is_empty() {
            RowKind::Leaf
        } else {
            RowKind::Group
        };
        let color = (kind != RowKind::Group).then_some(leaf_no);
        if color.is_some() {
            leaf_no = (leaf_no + 1) % crate::model::tree::PALETTE;
        }
        rows.push(Row {
            field: if undecoded {
                "(not decoded)".to_string()
            } else {
                s.field.to_string()
            },
            value: short_value(&s.value, VALUE_CHARS),
            meaning: s.meaning.to_string(),
            node: Some(rows.len()),
            color,
            ..ctx.row(kind, depth, s.offset, s.length)
        });
        if !s.children.is_empty() {
            stack.push(s.children.iter());
        }
    }
}

/// [`Value::display`], cut after about `max` characters (`…`) without
/// rendering the rest: a 300 KB binary costs what its first bytes cost.
pub fn short_value(v: &Value, max: usize) -> String {
    let mut out = String::new();
    write_value(v, max, &mut out);
    if out.len() > max {
        let mut cut = max;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Writes `v` into `out` until `out` is longer than `max`.
fn write_value(v: &Value, max: usize, out: &mut String) {
    use std::fmt::Write;
    if out.len() > max {
        return;
    }
    match v {
        Value::Text(s) if s.len() > max => {
            let mut cut = max;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            let _ = write!(out, "{:?}", s.get(..cut).unwrap_or(""));
        }
        Value::Bytes(b) if b.len() > max / 2 => {
            out.push_str("0x");
            out.push_str(&erldist_codec::hex::encode(b.get(..max / 2).unwrap_or(b)));
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if out.len() > max {
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, max, out);
            }
            out.push(']');
        }
        Value::Record(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if out.len() > max {
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                write_value(item, max, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::{decode_text, DecodeOptions, DirectionChoice};

    /// A report's frames as the page shows them.
    struct TestView {
        format: &'static str,
        format_how: &'static str,
        frames: Vec<FrameView>,
    }

    fn views(r: &erldist_codec::Report) -> TestView {
        TestView {
            format: r.format,
            format_how: if r.format_detected {
                "detected"
            } else {
                "chosen"
            },
            frames: r
                .frames
                .iter()
                .enumerate()
                .map(|(i, f)| frame_view(i + 1, f))
                .collect(),
        }
    }

    fn view(text: &str) -> TestView {
        views(&decode_text(text, &DecodeOptions::default()))
    }

    fn row<'a>(f: &'a FrameView, field: &str) -> &'a Row {
        f.rows
            .iter()
            .find(|r| r.field == field)
            .unwrap_or_else(|| panic!("no row {field} in {:#?}", f.rows))
    }

    const ALIVE2: &str = "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00";

    #[test]
    fn alive2_req_rows_tile_the_frame() {
        let v = view(ALIVE2);
        assert_eq!(v.format, "hex");
        assert_eq!(v.format_how, "detected");
        let f = &v.frames[0];
        assert_eq!(f.type_name, "ALIVE2_REQ");
        assert_eq!(f.direction, "request");
        assert_eq!(f.direction_how, "inferred");
        assert_eq!(f.status, StatusView::Complete);
        assert_eq!(f.status.label(), "complete");
        let lp = row(f, "length_prefix");
        assert_eq!(lp.hex.plain(), "00 11");
        assert_eq!(lp.meaning, "length prefix 0x0011 = 17 bytes follow");
        let port = row(f, "port");
        assert_eq!((port.offset, port.size.as_str()), (3, "2"));
        assert_eq!(port.value, "9506");
        assert_eq!(port.hex.plain(), "25 22");
        assert!(row(f, "node_type").meaning.contains("node type 77"));
        assert_eq!(row(f, "name").value, "\"node\"");
        // Leaves tile the frame: consecutive offsets, nothing undecoded.
        let mut at = 0;
        for r in &f.rows {
            assert_eq!(r.kind, RowKind::Leaf);
            assert_eq!(r.offset, at);
            at += r.size.parse::<usize>().unwrap();
            assert!(!r.is_error);
        }
        assert_eq!(at, 19);
    }

    #[test]
    fn groups_head_their_indented_children() {
        let v =
            view("00 00 11 11 6e 61 6d 65 20 66 6f 6f 20 61 74 20 70 6f 72 74 20 35 35 35 35 0a");
        let f = &v.frames[0];
        assert_eq!(f.type_name, "NAMES_RESP");
        let kinds: Vec<(RowKind, usize, &str)> = f
            .rows
            .iter()
            .map(|r| (r.kind, r.depth, r.field.as_str()))
            .collect();
        assert_eq!(kinds[0], (RowKind::Leaf, 0, "epmd_port"));
        assert_eq!(kinds[1], (RowKind::Group, 0, "nodes[0]"));
        assert!(kinds[2..]
            .iter()
            .all(|(k, d, _)| *k == RowKind::Leaf && *d == 1));
        assert_eq!(f.rows[1].hex, HexText::default());
        assert_eq!(row(f, "port").value, "5555");
    }

    #[test]
    fn incomplete_frame_says_how_many_bytes_are_missing() {
        let v = view("00 11 78 25");
        let f = &v.frames[0];
        assert!(matches!(f.status, StatusView::Incomplete { .. }));
        assert!(f
            .status
            .label()
            .contains("incomplete: 15 more bytes needed"));
        assert_eq!(f.status.class(), "status-incomplete");
        let last = f.rows.last().unwrap();
        assert_eq!(last.kind, RowKind::Missing);
        assert_eq!(last.offset, 4);
        assert_eq!(last.size, "+15");
        assert_eq!(last.field, "(missing)");
        assert_eq!(
            last.meaning,
            "15 more bytes needed (ALIVE2_REQ.port): the length prefix says 17"
        );
        // The byte of the unfinished port field is shown, not dropped.
        let und = f
            .rows
            .iter()
            .find(|r| r.kind == RowKind::Undecoded)
            .unwrap();
        assert_eq!((und.offset, und.hex.plain().as_str()), (3, "25"));
    }

    #[test]
    fn error_marks_the_row_and_the_byte() {
        let v = view("00 11 78 25 22 4d 00 00 06 00 05 00 09 6e 6f 64 65 00 00");
        let f = &v.frames[0];
        let StatusView::Error { offset, field, .. } = &f.status else {
            panic!("{:?}", f.status)
        };
        assert_eq!((*offset, field.as_str()), (11, "ALIVE2_REQ.name_len"));
        assert_eq!(f.status.label(), "error at byte 11");
        assert!(f
            .status
            .detail()
            .starts_with("error at byte 11 (ALIVE2_REQ.name_len): "));
        let errors: Vec<&Row> = f.rows.iter().filter(|r| r.is_error).collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "name_len");
        assert_eq!(
            errors[0].hex,
            HexText {
                before: String::new(),
                marked: Some("00".into()),
                after: "09".into(),
                more: 0,
            }
        );
        // The rest of the frame is shown as undecoded bytes.
        let und = f.rows.last().unwrap();
        assert_eq!(und.kind, RowKind::Undecoded);
        assert_eq!((und.offset, und.size.as_str()), (13, "6"));
        assert!(!und.is_error);
    }

    #[test]
    fn epmd_log_frames_keep_direction_and_line() {
        let text = crate::model::examples::NAMES_LOG;
        let v = view(text);
        assert_eq!((v.format, v.format_how), ("epmd-log", "detected"));
        let f: Vec<(&str, &str, &str)> = v
            .frames
            .iter()
            .map(|f| (f.type_name, f.direction, f.direction_how))
            .collect();
        assert_eq!(
            f,
            [
                ("NAMES_REQ", "request", "from the log"),
                ("NAMES_RESP", "reply", "from the log")
            ]
        );
        assert_eq!(v.frames[0].line, Some(3));
        assert_eq!(v.frames[1].offset, 3);
        assert_eq!(row(&v.frames[1], "epmd_port").offset, 3);
    }

    #[test]
    fn notes_carry_their_byte_and_mark_rows() {
        let text = "31 32 30 39 35 30 36 37 37 30 35 35 34 6e 6f 64 65 30";
        let r = decode_text(
            text,
            &DecodeOptions {
                direction: DirectionChoice::Request,
                ..DecodeOptions::default()
            },
        );
        let v = views(&r);
        let f = &v.frames[0];
        assert_eq!(f.direction_how, "given");
        assert!(f.notes.iter().any(|n| n.offset == 0
            && n.text
                .starts_with("byte 0 (UNKNOWN.length_prefix): length 12594")));
        assert!(row(f, "length_prefix").has_note);
        assert!(!row(f, "tag").has_note);
    }

    #[test]
    fn empty_input_is_no_frames_and_no_error() {
        let r = decode_text("", &DecodeOptions::default());
        assert!(views(&r).frames.is_empty());
        assert_eq!(r.input_error, None);
    }

    #[test]
    fn hex_text_marks_one_byte() {
        let h = HexText::new(&[1, 2, 3], Some(1));
        assert_eq!((h.before.as_str(), h.after.as_str()), ("01", "03"));
        assert_eq!(h.plain(), "01 02 03");
        assert_eq!(HexText::new(&[1, 2], Some(9)).plain(), "01 02");
    }

    #[test]
    fn long_hex_is_cut_and_keeps_the_marked_byte() {
        let b: Vec<u8> = (0..100).collect();
        let h = HexText::new(&b, None);
        assert_eq!(h.more, 100 - CELL_BYTES);
        assert_eq!(h.before.split(' ').count(), CELL_BYTES);
        let h = HexText::new(&b, Some(50));
        assert_eq!(h.marked.as_deref(), Some("32"));
        assert_eq!(h.before, "00 01 02 03 … 2a 2b 2c 2d 2e 2f 30 31");
        assert_eq!(h.after, "33 34 35 36 37 38 39 3a");
        assert_eq!(h.more, 100 - 59);
    }

    #[test]
    fn long_values_are_cut_without_rendering_them_whole() {
        let big = Value::Bytes(vec![0xab; 300_000]);
        let s = short_value(&big, 20);
        assert_eq!(s, format!("0x{}…", "ab".repeat(9)));
        let list = Value::List((0..100_000).map(Value::UInt).collect());
        let s = short_value(&list, 30);
        assert!(s.starts_with("[0, 1, 2, 3,"), "{s}");
        assert!(s.chars().count() <= 31, "{s}");
        assert_eq!(short_value(&Value::Text("node".into()), 30), "\"node\"");
        let rec = Value::Record(vec![("a".into(), Value::UInt(1))]);
        assert_eq!(short_value(&rec, 30), rec.display());
        assert_eq!(
            short_value(&Value::Text("é".repeat(40)), 5).chars().last(),
            Some('…')
        );
    }

    #[test]
    fn rows_follow_the_span_tree() {
        use crate::model::tree::SpanTree;
        let text = include_str!("../../codec/tests/vectors/dist/dist_full.streams.txt");
        let r = decode_text(text, &DecodeOptions::default());
        for f in r.frames.iter().filter(|f| f.bytes.len() > 1000) {
            let rows = frame_rows(f);
            let t = SpanTree::new(&f.spans);
            for (i, n) in t.nodes.iter().enumerate() {
                assert_eq!(rows[i].node, Some(i));
                assert_eq!((rows[i].offset, rows[i].len), (n.start, n.len));
                assert_eq!(rows[i].field, n.field);
                assert_eq!(rows[i].depth, n.depth);
                assert_eq!(rows[i].color.is_some(), !n.is_group());
                if !n.is_group() {
                    assert_eq!(rows[i].color, Some(n.color));
                }
                assert!(rows[i].value.chars().count() <= VALUE_CHARS + 1);
            }
        }
    }

    #[test]
    fn the_header_names_protocol_phase_sender_and_lint() {
        let r = decode_text("7a 6e 6f 64 65", &DecodeOptions::default());
        let v = frame_header(1, &r.frames[0]);
        assert_eq!((v.protocol, v.phase, v.side), ("epmd", "epmd", "initiator"));
        assert_eq!(v.sender, "the client to epmd");
        assert!(v.rows.is_empty());
        let l = &v.lint[0];
        assert_eq!(l.id, "missing-length-prefix");
        assert!(l.about.contains("2-byte"));
        assert_eq!(l.corrected.as_deref(), Some("00 05 7a 6e 6f 64 65"));
        assert_eq!(l.corrected_hex.as_deref(), Some("00057a6e6f6465"));
    }
}
