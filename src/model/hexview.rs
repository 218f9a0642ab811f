//! The hex + ASCII view: 16 cells a row, each byte colored by its field,
//! the hovered and selected ranges and the error byte marked; only the rows
//! in view are built ([`window`]).

use super::frame_space::{Range, SpaceModel};
use super::tree::NodeKind;

/// Bytes per row.
pub const COLS: usize = 16;

/// Height of one row in CSS pixels (`--hex-row` in www/frame.css).
pub const ROW_PX: usize = 20;

/// Rows built above and below the ones in view.
pub const OVERSCAN: usize = 8;

/// One cell: a byte, or a place for one that is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Absolute offset.
    pub offset: usize,
    /// The byte (`None`: still missing).
    pub byte: Option<u8>,
    /// Classes after `hex-byte` / `hex-char`: color, state.
    pub class: String,
}

const HEX: &[u8; 512] = &{
    let digits = b"0123456789abcdef";
    let mut t = [0u8; 512];
    let mut i = 0;
    while i < 256 {
        t[2 * i] = digits[i >> 4];
        t[2 * i + 1] = digits[i & 15];
        i += 1;
    }
    t
};

const ASCII: &[u8; 95] = b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// `b` as two lowercase hex digits, without allocating.
pub fn hex2(b: u8) -> &'static str {
    let i = 2 * usize::from(b);
    HEX.get(i..i + 2)
        .and_then(|s| std::str::from_utf8(s).ok())
        .unwrap_or("??")
}

/// `b` as a printable ASCII character, `.` for the others.
pub fn ascii(b: u8) -> &'static str {
    let i = usize::from(b);
    if (0x20..0x7f).contains(&i) {
        ASCII
            .get(i - 0x20..i - 0x1f)
            .and_then(|s| std::str::from_utf8(s).ok())
            .unwrap_or(".")
    } else {
        "."
    }
}

/// The rows to build for a view scrolled to `scroll_px` that shows
/// `view_rows` rows, out of `total`: `(first, count)`.
pub fn window(scroll_px: i32, view_rows: usize, total: usize) -> (usize, usize) {
    let top = usize::try_from(scroll_px).unwrap_or(0) / ROW_PX;
    let first = top.saturating_sub(OVERSCAN).min(total);
    let last = (top + view_rows + OVERSCAN).min(total);
    (first, last.saturating_sub(first))
}

/// The part of `range` in hex row `row`, if any (for props that change
/// only on the rows a highlight touches).
pub fn clip(m: &SpaceModel, row: usize, range: Option<Range>) -> Option<Range> {
    let (s, e) = range?;
    let start = m.base + row * COLS;
    let stop = start + COLS;
    (s < stop && e > start).then(|| (s.max(start), e.min(stop)))
}

/// The cells of hex row `row` of `m` over `bytes` (the space's bytes).
pub fn row_cells(
    m: &SpaceModel,
    bytes: &[u8],
    row: usize,
    hot: Option<Range>,
    selected: Option<Range>,
) -> Vec<Cell> {
    let start = m.base + row * COLS;
    let stop = (start + COLS).min(m.cells_end());
    let within = |r: Option<Range>, o: usize| r.is_some_and(|(s, e)| o >= s && o < e);
    let mut leaf: Option<usize> = None;
    let mut cells = Vec::with_capacity(COLS);
    for offset in start..stop {
        let byte = bytes.get(offset - m.base).copied();
        if !leaf
            .and_then(|l| m.tree.node(l))
            .is_some_and(|n| n.contains(offset))
        {
            leaf = m.tree.leaf_at(offset);
        }
        let mut class = String::with_capacity(24);
        class.push_str(match (byte, leaf.and_then(|l| m.tree.node(l))) {
            (None, _) => "is-ghost",
            (Some(_), Some(n)) if n.kind == NodeKind::Leaf => ["f0", "f1", "f2", "f3", "f4", "f5"]
                .get(usize::from(n.color))
                .copied()
                .unwrap_or("f0"),
            _ => "fu",
        });
        if within(hot, offset) {
            class.push_str(" is-hot");
        }
        if within(selected, offset) {
            class.push_str(" is-selected");
        }
        if m.error_at == Some(offset) {
            class.push_str(" is-bad");
        }
        cells.push(Cell {
            offset,
            byte,
            class,
        });
    }
    cells
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for HTML text and
/// attribute values.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Hex row `row` as one HTML string (the page parses a row at once instead
/// of creating its 70 nodes one call at a time): the offset, the 16 hex
/// cells and the 16 ASCII cells, each cell with `data-offset` and its
/// classes; `point` is the byte under the pointer.
pub fn row_html(
    m: &SpaceModel,
    bytes: &[u8],
    row: usize,
    hot: Option<Range>,
    point: Option<usize>,
    selected: Option<Range>,
) -> String {
    use std::fmt::Write;
    let cells = row_cells(m, bytes, row, hot, selected);
    let mut s = String::with_capacity(160 + cells.len() * 110);
    let _ = write!(
        s,
        "<div class=\"hex-row\"><span class=\"hex-offset\">{}</span><span class=\"hex-bytes\">",
        m.base + row * COLS
    );
    let cell = |s: &mut String, kind: &str, c: &Cell, text: &str| {
        let pt = if point == Some(c.offset) {
            " is-point"
        } else {
            ""
        };
        let _ = write!(
            s,
            "<span class=\"{kind} {}{pt}\" data-offset=\"{}\">",
            c.class, c.offset
        );
        escape_into(s, text);
        s.push_str("</span>");
    };
    for c in &cells {
        cell(&mut s, "hex-byte", c, c.byte.map_or("··", hex2));
    }
    s.push_str("</span><span class=\"hex-ascii\">");
    for c in &cells {
        cell(&mut s, "hex-char", c, c.byte.map_or(" ", ascii));
    }
    s.push_str("</span></div>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::view::SpaceSrc;
    use erldist_codec::{decode_text, DecodeOptions};

    fn model(text: &str) -> (SpaceModel, Vec<u8>) {
        let f = decode_text(text, &DecodeOptions::default())
            .frames
            .remove(0);
        (SpaceModel::new(&SpaceSrc::frame(&f)), f.bytes)
    }

    #[test]
    fn hex_and_ascii_tables() {
        assert_eq!(hex2(0), "00");
        assert_eq!(hex2(0x7a), "7a");
        assert_eq!(hex2(255), "ff");
        assert_eq!(ascii(b'n'), "n");
        assert_eq!(ascii(b' '), " ");
        assert_eq!(ascii(b'~'), "~");
        assert_eq!(ascii(0x7f), ".");
        assert_eq!(ascii(0), ".");
        assert_eq!(ascii(0xe9), ".");
        for b in 0..=255u8 {
            assert_eq!(hex2(b), format!("{b:02x}"));
        }
    }

    #[test]
    fn cells_take_their_fields_colors_and_states() {
        let (m, b) = model("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00");
        let row0 = row_cells(&m, &b, 0, Some((3, 5)), Some((13, 17)));
        assert_eq!(row0.len(), 16);
        let class = |i: usize| row0[i].class.as_str();
        // length_prefix f0 f0, tag f1, port f2 f2 (hot), node_type f3 ...
        assert_eq!(class(0), "f0");
        assert_eq!(class(1), "f0");
        assert_eq!(class(2), "f1");
        assert_eq!(class(3), "f2 is-hot");
        assert_eq!(class(4), "f2 is-hot");
        assert_eq!(class(5), "f3");
        assert_eq!(class(13), "f2 is-selected"); // name: the 9th leaf
        let row1 = row_cells(&m, &b, 1, None, None);
        assert_eq!(row1.len(), 3);
        assert_eq!(row1[0].offset, 16);
        assert_eq!(row1[2].byte, Some(0));
    }

    #[test]
    fn missing_bytes_are_ghosts_and_the_error_byte_is_bad() {
        let (m, b) = model("00 11 78 25");
        let cells: Vec<Cell> = (0..m.hex_rows())
            .flat_map(|r| row_cells(&m, &b, r, None, None))
            .collect();
        assert_eq!(cells.len(), 4 + 15);
        assert_eq!(cells[3].class, "fu");
        assert!(cells[4..]
            .iter()
            .all(|c| c.byte.is_none() && c.class == "is-ghost"));
        let (m, b) = model("00 11 78 25 22 4d 00 00 06 00 05 00 09 6e 6f 64 65 00 00");
        let cells = row_cells(&m, &b, 0, None, None);
        assert!(cells[11].class.ends_with("is-bad"));
        assert_eq!(
            cells.iter().filter(|c| c.class.contains("is-bad")).count(),
            1
        );
    }

    #[test]
    fn a_row_is_one_html_string_with_its_text_escaped() {
        let (m, b) = model("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00");
        let html = row_html(&m, &b, 0, Some((3, 5)), Some(4), None);
        assert!(html.starts_with(
            "<div class=\"hex-row\"><span class=\"hex-offset\">0</span><span class=\"hex-bytes\"><span class=\"hex-byte f0\" data-offset=\"0\">00</span>"
        ), "{html}");
        assert!(html
            .contains("<span class=\"hex-byte f2 is-hot is-point\" data-offset=\"4\">22</span>"));
        // 0x22 is `"` in the ASCII column.
        assert!(html.contains(
            "<span class=\"hex-char f2 is-hot is-point\" data-offset=\"4\">&quot;</span>"
        ));
        assert_eq!(html.matches("data-offset").count(), 32);
        let mut e = String::new();
        escape_into(&mut e, "<a href='x'>&\"");
        assert_eq!(e, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
        let (m, b) = model("00 11 78 25");
        assert!(row_html(&m, &b, 1, None, None, None)
            .contains("class=\"hex-byte is-ghost\" data-offset=\"18\">··</span>"));
    }

    #[test]
    fn only_the_rows_in_view_are_built() {
        let px = |rows: usize| i32::try_from(rows * ROW_PX).unwrap();
        assert_eq!(window(0, 16, 25_000), (0, 24));
        assert_eq!(window(px(1000), 16, 25_000), (992, 32));
        assert_eq!(window(px(1000) + 7, 16, 25_000), (992, 32));
        assert_eq!(window(px(24_990), 16, 25_000), (24_982, 18));
        assert_eq!(window(0, 16, 3), (0, 3));
        assert_eq!(window(-40, 16, 3), (0, 3));
    }

    #[test]
    fn a_highlight_touches_only_its_rows() {
        let (m, _) = model("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00");
        assert_eq!(clip(&m, 0, Some((13, 19))), Some((13, 16)));
        assert_eq!(clip(&m, 1, Some((13, 19))), Some((16, 19)));
        assert_eq!(clip(&m, 1, Some((3, 5))), None);
        assert_eq!(clip(&m, 0, None), None);
    }
}
