//! One byte space (a frame, or a reassembled message) ready for the three
//! synced views: the span tree, the table rows (row `i` is tree node `i`;
//! rows for uncovered and missing bytes follow), and what the hex view
//! shows past the bytes that are there.

use super::tree::SpanTree;
use super::view::{space_rows, Row, RowKind, SpaceSrc};
use erldist_codec::epmd::Status;

/// Missing bytes the hex view draws as empty cells, at most.
pub const MAX_GHOST: usize = 256;

/// A laid-out byte space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceModel {
    /// The span tree.
    pub tree: SpanTree,
    /// The table rows.
    pub rows: Vec<Row>,
    /// Offset of the first byte.
    pub base: usize,
    /// Bytes there.
    pub len: usize,
    /// Cells after the bytes: the bytes still missing (incomplete), or up to
    /// the byte an error points past the end at.
    pub ghost: usize,
    /// The byte the error points at.
    pub error_at: Option<usize>,
}

/// A byte range `[start, stop)`.
pub type Range = (usize, usize);

impl SpaceModel {
    /// Lays out `src`.
    pub fn new(src: &SpaceSrc<'_>) -> SpaceModel {
        let len = src.bytes.len();
        let end = src.base + len;
        let error_at = src.error_at();
        let ghost = match src.status {
            Status::Incomplete(i) => i.needed.unwrap_or(0).min(MAX_GHOST),
            Status::Invalid(e) if e.offset >= end && e.offset - end < MAX_GHOST => {
                e.offset - end + 1
            }
            _ => 0,
        };
        SpaceModel {
            tree: SpanTree::new(src.spans),
            rows: space_rows(src),
            base: src.base,
            len,
            ghost,
            error_at,
        }
    }

    /// One past the last cell the hex view shows.
    pub fn cells_end(&self) -> usize {
        self.base + self.len + self.ghost
    }

    /// Rows of 16 the hex view has.
    pub fn hex_rows(&self) -> usize {
        (self.len + self.ghost).div_ceil(super::hexview::COLS)
    }

    /// The table row of byte `offset`: its deepest span, or the row of the
    /// uncovered or missing bytes it is one of.
    pub fn row_at(&self, offset: usize) -> Option<usize> {
        if let Some(n) = self.tree.node_at(offset) {
            return Some(n);
        }
        let extra = self.tree.len()..self.rows.len();
        let end = self.base + self.len;
        extra.into_iter().find(|&i| {
            self.rows.get(i).is_some_and(|r| match r.kind {
                RowKind::Missing => offset >= end && offset < self.cells_end().max(end + 1),
                _ => offset >= r.offset && offset < r.offset + r.len,
            })
        })
    }

    /// The cells row `i` stands for.
    pub fn row_range(&self, i: usize) -> Option<Range> {
        let r = self.rows.get(i)?;
        match r.kind {
            RowKind::Missing if r.is_error => Some((r.offset, r.offset + 1)),
            RowKind::Missing => Some((self.base + self.len, self.cells_end())),
            _ => Some((r.offset, r.offset + r.len)),
        }
    }

    /// The tree node of row `i`.
    pub fn node_of(&self, i: usize) -> Option<usize> {
        self.rows.get(i).and_then(|r| r.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::{decode_text, DecodeOptions, Frame};

    fn frame(text: &str) -> Frame {
        decode_text(text, &DecodeOptions::default())
            .frames
            .remove(0)
    }

    #[test]
    fn every_byte_of_a_complete_frame_has_its_field_row() {
        let f = frame("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00");
        let m = SpaceModel::new(&SpaceSrc::frame(&f));
        assert_eq!((m.len, m.ghost, m.hex_rows()), (19, 0, 2));
        assert_eq!(m.rows[m.row_at(3).unwrap()].field, "port");
        assert_eq!(m.rows[m.row_at(4).unwrap()].field, "port");
        assert_eq!(m.row_range(m.row_at(4).unwrap()), Some((3, 5)));
        assert_eq!(m.row_at(19), None);
    }

    #[test]
    fn missing_bytes_are_ghost_cells_of_the_missing_row() {
        let f = frame("00 11 78 25");
        let m = SpaceModel::new(&SpaceSrc::frame(&f));
        assert_eq!(m.ghost, 15);
        let missing = m.row_at(10).unwrap();
        assert_eq!(m.rows[missing].kind, RowKind::Missing);
        assert_eq!(m.row_range(missing), Some((4, 19)));
        // The unfinished port's byte is the "not decoded" row.
        let und = m.row_at(3).unwrap();
        assert_eq!(m.rows[und].kind, RowKind::Undecoded);
        assert_eq!(m.node_of(und), None);
        assert_eq!(m.row_range(und), Some((3, 4)));
    }

    #[test]
    fn an_error_inside_the_frame_marks_its_byte() {
        let f = frame("00 11 78 25 22 4d 00 00 06 00 05 00 09 6e 6f 64 65 00 00");
        let m = SpaceModel::new(&SpaceSrc::frame(&f));
        assert_eq!(m.error_at, Some(11));
        let r = m.row_at(11).unwrap();
        assert!(m.rows[r].is_error);
        assert_eq!(m.rows[r].field, "name_len");
        assert_eq!(m.ghost, 0);
    }

    #[test]
    fn a_reassembled_message_is_its_own_space() {
        let text = include_str!("../../codec/tests/vectors/dist/dist_full.streams.txt");
        let r = decode_text(text, &DecodeOptions::default());
        let f = r.frames.iter().find(|f| f.reassembled.is_some()).unwrap();
        let re = f.reassembled.as_ref().unwrap();
        let m = SpaceModel::new(&SpaceSrc::reassembled(re));
        assert_eq!((m.base, m.len, m.error_at), (0, re.bytes.len(), None));
        assert!(m.len > 100_000);
        assert_eq!(m.rows[m.row_at(0).unwrap()].offset, 0);
        assert!(m.row_at(m.len - 1).is_some());
    }
}
