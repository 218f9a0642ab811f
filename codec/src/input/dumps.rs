//! Hex dumps, as the usual tools print them.
//!
//! Of a byte stream:
//!
//! * `xxd`: `00000000: 000e 78af ca4d 0000  ..x..M..` (any `-g` grouping,
//!   any `-c` width, `-u` upper case);
//! * `hexdump -C` / `hd`: `00000000  00 0e 78 af  ...  |..x.|`, with its
//!   final offset line;
//! * `od`: `od -A x -t x1z` (`000000 00 0e 78 af ... >..x.<`), and the
//!   other layouts whose items have a fixed width: `-t x1`, `-t o1`,
//!   `-t u1`/`d1`, `-t x2`/`-x`, `-t o2` (od's default), `-t x4`, with any
//!   `-A` radix; `hexdump` without options (hex offsets, 2-byte words).
//!
//! Of packets (read further by [`super::packets`]):
//!
//! * `tshark -x` and Wireshark's "Copy as Hex Dump": `0000  00 00 ... 45 00
//!   ..............E.`, one block per packet;
//! * `tcpdump -x`/`-X` (from the IP header) and `-xx`/`-XX` (from the link
//!   header): a packet line, then `\t0x0000:  4500 0044 ...  E..D`.
//!
//! What the readers check and say (as [`TextNote`]s, never silently): the
//! ASCII column against the bytes (a mismatch means the hex was edited or
//! mis-pasted), a row whose offset does not continue the previous one (with
//! the gap), a row cut short, a final offset that disagrees with the rows,
//! `*` rows (repeats of the row above that the tool left out: filled in, up
//! to [`MAX_DUMP_BYTES`]), and every line that is not part of the dump.

use super::{column, Format, InputError, Notes, TextBytes, TextNote};

/// A dump may expand (its `*` rows) to at most this many bytes.
pub const MAX_DUMP_BYTES: usize = 16 << 20;

/// `*` rows may stand for at most this many bytes in all (a few characters
/// of text must not become megabytes).
pub const MAX_FILL: usize = 1 << 20;

/// How many lines detection looks at.
const DETECT_LINES: usize = 40;

fn hexval(c: u8) -> Option<u8> {
    crate::hex::digit_value(c)
}

/// The character a dump's ASCII column shows for a byte.
fn shown(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        char::from(b)
    } else {
        '.'
    }
}

/// `1, 6, 11 and 4 more`.
fn line_list(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().take(8).map(|l| l.to_string()).collect();
    let mut s = shown.join(", ");
    if lines.len() > 8 {
        s.push_str(&format!(" and {} more", lines.len() - 8));
    }
    s
}

/// Checks a row's ASCII column against its bytes. `start` is the byte index
/// of the column in `text`.
fn check_ascii(
    notes: &mut Notes,
    line: usize,
    text: &str,
    start: usize,
    ascii: &str,
    bytes: &[u8],
) {
    let mut chars = ascii.char_indices();
    let mut first: Option<(usize, char, u8, usize)> = None;
    let mut others = 0usize;
    let mut shown_n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        let Some((ci, c)) = chars.next() else {
            // The column stops early: fine if the rest are spaces an
            // editor trimmed off the end of the line.
            let rest = bytes.get(i..).unwrap_or(&[]);
            if !rest.iter().all(|&b| b == b' ') {
                notes.push(
                    line,
                    column(text, start + ascii.len()),
                    if ascii.is_empty() {
                        format!(
                            "no ASCII column after the {} bytes of this row: the line may be cut short",
                            bytes.len()
                        )
                    } else {
                        format!(
                            "the ASCII column stops after {i} of the row's {} characters: the line is cut short",
                            bytes.len()
                        )
                    },
                );
            }
            break;
        };
        shown_n += 1;
        let want = shown(b);
        if c != want {
            if first.is_none() {
                first = Some((ci, c, b, i));
            } else {
                others += 1;
            }
        }
    }
    let extra = chars.count();
    if let Some((ci, c, b, i)) = first {
        notes.push(
            line,
            column(text, start + ci),
            format!(
                "the ASCII column shows {c:?} where byte {} of the row is 0x{b:02x}, which the tool prints as {:?}{}: the hex and the ASCII column disagree (was the hex edited?); the hex is what is decoded",
                i + 1,
                shown(b),
                if others > 0 {
                    format!(" ({others} more characters of this row disagree too)")
                } else {
                    String::new()
                }
            ),
        );
    }
    if extra > 0 && shown_n == bytes.len() {
        notes.push(
            line,
            column(text, start + ascii.len()),
            format!(
                "the ASCII column has {} characters for the row's {} bytes: the hex may be cut short",
                shown_n + extra,
                bytes.len()
            ),
        );
    }
}

/// Lays rows end to end and checks their offsets.
#[derive(Default)]
struct Assembler {
    out: Vec<u8>,
    notes: Notes,
    /// Offset the next row should have.
    next: Option<u64>,
    /// Widest row so far.
    width: usize,
    /// The previous row: (line, length), to flag a short row in the middle.
    prev: Option<(usize, usize)>,
    last_row: Vec<u8>,
    /// Line of a pending `*` row.
    star: Option<usize>,
    missing: Option<usize>,
    full: bool,
    /// Bytes filled in for `*` rows so far.
    filled: usize,
}

impl Assembler {
    /// Room left under [`MAX_DUMP_BYTES`].
    fn room(&self) -> usize {
        MAX_DUMP_BYTES.saturating_sub(self.out.len())
    }

    fn push_bytes(&mut self, line: usize, bytes: &[u8]) {
        let take = bytes.len().min(self.room());
        self.out.extend_from_slice(bytes.get(..take).unwrap_or(&[]));
        if take < bytes.len() && !self.full {
            self.full = true;
            self.notes.push(
                line,
                1,
                format!("the dump is over {MAX_DUMP_BYTES} bytes: the rest is not read"),
            );
        }
    }

    /// Fills a `*` gap up to `to`.
    fn fill(&mut self, star_line: usize, to: u64) {
        let Some(next) = self.next else { return };
        if to <= next || self.last_row.is_empty() {
            self.notes.push(
                star_line,
                1,
                "`*` (repeats of the row above), but the next offset skips nothing: ignored",
            );
            return;
        }
        let n = usize::try_from(to - next).unwrap_or(usize::MAX);
        let len = self.last_row.len();
        let rows = n / len;
        let rem = n % len;
        let n_fill = n.min(self.room()).min(MAX_FILL.saturating_sub(self.filled));
        self.filled += n_fill;
        let row = std::mem::take(&mut self.last_row);
        let mut left = n_fill;
        while left > 0 {
            let k = left.min(len);
            self.out.extend_from_slice(row.get(..k).unwrap_or(&[]));
            left -= k;
        }
        self.last_row = row;
        self.notes.push(
            star_line,
            1,
            format!(
                "`*`: the tool left out {n} bytes ({rows} rows) identical to the row above: filled in{}",
                if rem != 0 {
                    format!(" (not a whole number of rows: {rem} bytes over)")
                } else {
                    String::new()
                }
            ),
        );
        if n_fill < n {
            self.missing = Some(self.missing.unwrap_or(0).saturating_add(n - n_fill));
            self.notes.push(
                star_line,
                1,
                format!(
                    "only {n_fill} of those bytes are filled in: `*` rows may stand for {MAX_FILL} bytes in all; the other {} are left out",
                    n - n_fill
                ),
            );
        }
        self.next = Some(to);
    }

    fn row(&mut self, line: usize, col: usize, offset: Option<u64>, bytes: &[u8]) {
        if let Some((pl, plen)) = self.prev {
            let width = self.width.max(bytes.len());
            if plen < width {
                self.notes.push(
                    pl,
                    1,
                    format!("a short row ({plen} of {width} bytes) in the middle of the dump: the row may be cut short"),
                );
            }
        }
        if let Some(off) = offset {
            match (self.next, self.star.take()) {
                (Some(_), Some(star)) => self.fill(star, off),
                (Some(next), None) if off > next => self.notes.push(
                    line,
                    col,
                    format!(
                        "offset {off:#x} does not continue the previous row (which ended at {next:#x}): {} bytes are missing here",
                        off - next
                    ),
                ),
                (Some(next), None) if off < next => self.notes.push(
                    line,
                    col,
                    format!(
                        "offset {off:#x} goes back (the previous row ended at {next:#x}): {} bytes overlap or the rows are out of order; taken in text order",
                        next - off
                    ),
                ),
                (None, _) if off != 0 => self.notes.push(
                    line,
                    col,
                    format!("the dump starts at offset {off:#x}: the {off} bytes before it are not in the text"),
                ),
                _ => {}
            }
        }
        self.push_bytes(line, bytes);
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        self.next = match (offset, self.next) {
            (Some(o), _) => Some(o.saturating_add(len)),
            (None, Some(n)) => Some(n.saturating_add(len)),
            (None, None) => Some(len),
        };
        self.width = self.width.max(bytes.len());
        self.prev = Some((line, bytes.len()));
        self.last_row.clear();
        self.last_row.extend_from_slice(bytes);
    }

    fn star(&mut self, line: usize) {
        self.star = Some(line);
    }

    /// A final offset line: the total length the tool read.
    fn end(&mut self, line: usize, col: usize, off: u64) {
        if let Some(star) = self.star.take() {
            self.fill(star, off);
        }
        let next = self.next.unwrap_or(0);
        if off > next {
            let n = usize::try_from(off - next).unwrap_or(usize::MAX);
            self.missing = Some(n);
            self.notes.push(
                line,
                col,
                format!("the final offset says {off:#x} bytes but the rows end at {next:#x}: {n} bytes are not in the text (cut short?)"),
            );
        } else if off < next {
            let over = next - off;
            let over_us = usize::try_from(over).unwrap_or(usize::MAX);
            if over_us < self.width.max(1) && over_us <= self.out.len() {
                self.out.truncate(self.out.len() - over_us);
                self.notes.push(
                    line,
                    col,
                    format!("the final offset {off:#x} ends {over} bytes before the last row does: the tool padded its last item with zeros; the padding is dropped"),
                );
            } else {
                self.notes.push(
                    line,
                    col,
                    format!("the final offset {off:#x} is before the end of the rows ({next:#x}): not the dump's own final line?"),
                );
            }
        }
        // A short last row is normal: no note for it.
        self.prev = None;
        self.next = Some(off);
    }

    fn finish(mut self, pending_star: bool) -> TextBytes {
        if let (true, Some(star)) = (pending_star, self.star.take()) {
            self.notes.push(
                star,
                1,
                "`*` at the end with no offset after it: how many rows it stands for is not known; nothing filled in",
            );
        }
        TextBytes {
            bytes: self.out,
            notes: self.notes.finish(),
            missing: self.missing,
        }
    }
}

/// Hex-digit groups separated by single spaces, from byte index `from` of
/// `line`: (bytes, end of the hex area, column of a dropped half byte).
/// Stops at two spaces, at a character that is not a hex digit or space,
/// or after `max` bytes.
fn grouped(line: &str, from: usize, max: usize) -> (Vec<u8>, usize, Option<usize>) {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    let mut end = from;
    let mut half = None;
    while out.len() < max {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        }
        if i == start {
            break;
        }
        // A group must end at a space or the end of the line.
        if !matches!(b.get(i), None | Some(b' ') | Some(b'\t')) {
            break;
        }
        let digits = b.get(start..i).unwrap_or(&[]);
        for pair in digits.chunks(2) {
            match pair {
                [h, l] => out.push((hexval(*h).unwrap_or(0) << 4) | hexval(*l).unwrap_or(0)),
                _ => half = Some(start + digits.len() - 1),
            }
        }
        end = i;
        if b.get(i) == Some(&b' ') && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        } else {
            break;
        }
    }
    (out, end, half)
}

fn parse_offset(s: &str, radix: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    u64::from_str_radix(s, radix).ok()
}

/// Where a row's ASCII column starts, for layouts that pad short rows: the
/// column seen on the widest row so far (relative to the hex start).
struct AsciiAlign {
    width: usize,
    rel: Option<usize>,
    /// Spaces between the hex and the ASCII column on a full row (xxd and
    /// tcpdump print 2, tshark 3).
    gap: usize,
}

impl Default for AsciiAlign {
    fn default() -> AsciiAlign {
        AsciiAlign {
            width: 0,
            rel: None,
            gap: 2,
        }
    }
}

impl AsciiAlign {
    /// Byte index of the ASCII column in `line`, or `None` when the line
    /// has nothing after the hex.
    fn start(&mut self, line: &str, hex_start: usize, hex_end: usize, n: usize) -> Option<usize> {
        let after = line.get(hex_end..)?;
        if after.trim().is_empty() {
            return None;
        }
        if n >= self.width {
            // A full row: the tool's gap before the ASCII column (more
            // spaces are the ASCII column's own).
            let gap = after.len() - after.trim_start_matches(' ').len();
            let s = hex_end + gap.min(self.gap);
            self.width = n;
            self.rel = Some(s - hex_start);
            return Some(s);
        }
        match self.rel {
            Some(rel)
                if hex_start + rel <= line.len() && line.is_char_boundary(hex_start + rel) =>
            {
                Some(hex_start + rel)
            }
            _ => Some(line.len() - after.trim_start_matches(' ').len()),
        }
    }
}

// ---------------------------------------------------------------- xxd

/// `xxd` row: (offset, index where the hex starts).
fn xxd_prefix(line: &str) -> Option<(u64, usize)> {
    let colon = line.find(": ")?;
    let off = line.get(..colon)?;
    if off.len() < 4 || !off.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let o = parse_offset(off, 16)?;
    let start = colon + 2;
    line.as_bytes()
        .get(start)
        .filter(|c| c.is_ascii_hexdigit())?;
    Some((o, start))
}

/// Reads `xxd` output.
pub fn parse_xxd(text: &str) -> Result<TextBytes, InputError> {
    let mut asm = Assembler::default();
    let mut align = AsciiAlign::default();
    let mut rows = 0;
    let mut ignored = Vec::new();
    for (li, raw) in text.lines().enumerate() {
        let line_no = li + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.trim() == "*" {
            asm.star(line_no);
            continue;
        }
        let Some((off, start)) = xxd_prefix(line) else {
            ignored.push(line_no);
            continue;
        };
        let (bytes, end, half) = grouped(line, start, usize::MAX);
        if let Some(h) = half {
            asm.notes.push(
                line_no,
                column(line, h),
                "half a byte (one hex digit) at the end of a group: the row is cut short; the digit is dropped",
            );
        }
        match align.start(line, start, end, bytes.len()) {
            Some(s) => check_ascii(
                &mut asm.notes,
                line_no,
                line,
                s,
                line.get(s..).unwrap_or(""),
                &bytes,
            ),
            None => check_ascii(&mut asm.notes, line_no, line, line.len(), "", &bytes),
        }
        asm.row(line_no, 1, Some(off), &bytes);
        rows += 1;
    }
    finish_stream(asm, rows, &ignored, "xxd", "`00000000: 000e 78af ...`")
}

fn finish_stream(
    mut asm: Assembler,
    rows: usize,
    ignored: &[usize],
    tool: &str,
    shape: &str,
) -> Result<TextBytes, InputError> {
    if rows == 0 {
        return Err(InputError {
            line: 1,
            column: 1,
            message: format!("no {tool} rows ({shape}) in the text"),
        });
    }
    if !ignored.is_empty() {
        let first = ignored.first().copied().unwrap_or(1);
        asm.notes.push(
            first,
            1,
            format!(
                "line{} {}: not a row of the {tool} dump: ignored",
                if ignored.len() > 1 { "s" } else { "" },
                line_list(ignored)
            ),
        );
    }
    let mut tb = asm.finish(true);
    tb.notes.sort_by_key(|n| (n.line, n.column));
    Ok(tb)
}

// ---------------------------------------------------------------- hexdump -C

/// `hexdump -C` row or final line: (offset, bytes, ascii start) where the
/// bytes sit at hexdump's fixed columns. `Ok(None)`: not such a line.
#[allow(clippy::type_complexity)]
fn hexdump_c_row(line: &str) -> Option<(u64, Vec<u8>, Option<usize>, Option<usize>)> {
    let b = line.as_bytes();
    let off_len = b.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if off_len < 7 {
        return None;
    }
    let off = parse_offset(line.get(..off_len)?, 16)?;
    if off_len == line.trim_end().len() {
        // Final offset line.
        return Some((off, Vec::new(), None, None));
    }
    if b.get(off_len..off_len + 2) != Some(b"  ") {
        return None;
    }
    let base = off_len + 2;
    let mut bytes = Vec::with_capacity(16);
    let mut half = None;
    for i in 0..16usize {
        let col = base + 3 * i + usize::from(i >= 8);
        match b.get(col..col + 2) {
            Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                bytes.push((hexval(*h).unwrap_or(0) << 4) | hexval(*l).unwrap_or(0));
            }
            Some([h, b' ']) if h.is_ascii_hexdigit() => {
                half = Some(col);
                break;
            }
            Some([h]) if h.is_ascii_hexdigit() => {
                half = Some(col);
                break;
            }
            _ => break,
        }
    }
    if bytes.is_empty() && half.is_none() {
        return None;
    }
    let ascii = line.find('|');
    Some((off, bytes, ascii, half))
}

/// Reads `hexdump -C` (or `hd`) output.
pub fn parse_hexdump_c(text: &str) -> Result<TextBytes, InputError> {
    let mut asm = Assembler::default();
    let mut rows = 0;
    let mut ignored = Vec::new();
    for (li, raw) in text.lines().enumerate() {
        let line_no = li + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.trim() == "*" {
            asm.star(line_no);
            continue;
        }
        let Some((off, bytes, ascii, half)) = hexdump_c_row(line) else {
            ignored.push(line_no);
            continue;
        };
        if bytes.is_empty() && half.is_none() {
            asm.end(line_no, 1, off);
            continue;
        }
        if let Some(h) = half {
            asm.notes.push(
                line_no,
                column(line, h),
                "half a byte (one hex digit): the row is cut short; the digit is dropped",
            );
        }
        match ascii {
            Some(a) => {
                let inner = line.get(a + 1..).unwrap_or("");
                let (inner, closed) = match inner.strip_suffix('|') {
                    Some(s) => (s, true),
                    None => (inner, false),
                };
                if !closed {
                    asm.notes.push(
                        line_no,
                        column(line, line.len()),
                        "the ASCII column has no closing `|`: the line is cut short",
                    );
                }
                check_ascii(&mut asm.notes, line_no, line, a + 1, inner, &bytes);
            }
            None => check_ascii(&mut asm.notes, line_no, line, line.len(), "", &bytes),
        }
        asm.row(line_no, 1, Some(off), &bytes);
        rows += 1;
    }
    finish_stream(
        asm,
        rows,
        &ignored,
        "hexdump -C",
        "`00000000  00 0e 78 af ...  |..x.|`",
    )
}

// ---------------------------------------------------------------- od / hexdump

/// The item layout of an od (or plain hexdump) dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OdItems {
    /// `-t x1`: 2 hex digits a byte.
    X1,
    /// `-t o1`: 3 octal digits a byte.
    O1,
    /// `-t u1` / `-t d1`: decimal bytes, right-aligned.
    D1,
    /// `-t x2`, hexdump's default: 4 hex digits, little-endian 2-byte words.
    X2,
    /// `-t o2`, od's default: 6 octal digits, little-endian 2-byte words.
    O2,
    /// `-t x4`: 8 hex digits, little-endian 4-byte words.
    X4,
}

impl OdItems {
    fn of(tokens: &[&str]) -> Option<OdItems> {
        let first = tokens.first()?.len();
        let same = tokens.iter().all(|t| t.len() == first);
        let all = |f: fn(u8) -> bool| tokens.iter().all(|t| t.bytes().all(f));
        let octal = |c: u8| (b'0'..=b'7').contains(&c);
        let dec = |c: u8| c.is_ascii_digit() || c == b'-';
        let hex = |c: u8| c.is_ascii_hexdigit();
        if same {
            match first {
                2 if all(hex) => return Some(OdItems::X1),
                3 if all(octal) => return Some(OdItems::O1),
                4 if all(hex) => return Some(OdItems::X2),
                6 if all(octal) => return Some(OdItems::O2),
                8 if all(hex) => return Some(OdItems::X4),
                _ => {}
            }
        }
        if all(dec) && tokens.iter().all(|t| t.len() <= 4) {
            return Some(OdItems::D1);
        }
        None
    }

    fn words(self) -> bool {
        matches!(self, OdItems::X2 | OdItems::O2 | OdItems::X4)
    }

    /// Appends one item's bytes; `Err` if the token does not fit the layout.
    fn push(self, t: &str, out: &mut Vec<u8>) -> Result<(), String> {
        let bad = || format!("{t:?} is not an item of this od layout");
        match self {
            OdItems::X1 if t.len() == 2 => {
                out.push(u8::from_str_radix(t, 16).map_err(|_| bad())?);
            }
            OdItems::O1 if t.len() == 3 => {
                let v = u16::from_str_radix(t, 8).map_err(|_| bad())?;
                out.push(u8::try_from(v).map_err(|_| format!("{t:?} (octal) is over 255"))?);
            }
            OdItems::D1 => {
                let v: i16 = t.parse().map_err(|_| bad())?;
                let b = match v {
                    0..=255 => u8::try_from(v).map_err(|_| bad())?,
                    -128..=-1 => u8::try_from(v + 256).map_err(|_| bad())?,
                    _ => return Err(format!("{t} is not a byte value")),
                };
                out.push(b);
            }
            OdItems::X2 if t.len() == 4 => {
                let v = u16::from_str_radix(t, 16).map_err(|_| bad())?;
                out.extend_from_slice(&v.to_le_bytes());
            }
            OdItems::O2 if t.len() == 6 => {
                let v = u32::from_str_radix(t, 8).map_err(|_| bad())?;
                let w = u16::try_from(v).map_err(|_| format!("{t:?} (octal) is over 65535"))?;
                out.extend_from_slice(&w.to_le_bytes());
            }
            OdItems::X4 if t.len() == 8 => {
                let v = u32::from_str_radix(t, 16).map_err(|_| bad())?;
                out.extend_from_slice(&v.to_le_bytes());
            }
            _ => return Err(bad()),
        }
        Ok(())
    }
}

/// One od line split up: offset text (empty for `-A n`), item tokens with
/// their byte index, and the `>ascii<` part (index of `>`).
#[allow(clippy::type_complexity)]
fn od_split(line: &str) -> Option<(&str, Vec<(usize, &str)>, Option<usize>)> {
    let b = line.as_bytes();
    let off_len = b.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let (off, rest_at) = if off_len > 0 {
        if off_len < 6 || !matches!(b.get(off_len), None | Some(b' ')) {
            return None;
        }
        (line.get(..off_len)?, off_len)
    } else if b.first() == Some(&b' ') {
        ("", 0)
    } else {
        return None;
    };
    let ascii = line.find('>').filter(|&i| i > rest_at);
    let area_end = ascii.unwrap_or(line.len());
    let area = line.get(rest_at..area_end)?;
    let mut tokens = Vec::new();
    let mut i = 0;
    for t in area.split(' ') {
        if !t.is_empty() {
            tokens.push((rest_at + i, t));
        }
        i += t.len() + 1;
    }
    if off.is_empty() && tokens.is_empty() {
        return None;
    }
    Some((off, tokens, ascii))
}

/// Reads `od` output (or, with `radix` 16, plain `hexdump`).
pub fn parse_od(text: &str, radix: Option<u32>) -> Result<TextBytes, InputError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    // The item layout, from the first row with items.
    let mut items = None;
    for (_, l) in &lines {
        if let Some((_, toks, _)) = od_split(l) {
            let t: Vec<&str> = toks.iter().map(|(_, t)| *t).collect();
            if !t.is_empty() {
                items = OdItems::of(&t);
                break;
            }
        }
    }
    let Some(items) = items else {
        return Err(InputError {
            line: lines.first().map_or(1, |(l, _)| *l),
            column: 1,
            message: "no od rows (`0000000 000016 ...`, `000000 00 0e 78 ...`) in the text".into(),
        });
    };
    let radix = radix.unwrap_or_else(|| od_radix(&lines, items));
    let mut asm = Assembler::default();
    let mut rows = 0;
    let mut ignored = Vec::new();
    let mut said_words = false;
    for &(line_no, line) in &lines {
        if line.trim() == "*" {
            asm.star(line_no);
            continue;
        }
        let Some((off, toks, ascii)) = od_split(line) else {
            ignored.push(line_no);
            continue;
        };
        let offset = if off.is_empty() {
            None
        } else {
            match parse_offset(off, radix) {
                Some(o) => Some(o),
                None => {
                    ignored.push(line_no);
                    continue;
                }
            }
        };
        if toks.is_empty() {
            if let Some(o) = offset {
                asm.end(line_no, 1, o);
            }
            continue;
        }
        let mut bytes = Vec::with_capacity(16);
        for (i, t) in &toks {
            if let Err(m) = items.push(t, &mut bytes) {
                return Err(InputError {
                    line: line_no,
                    column: column(line, *i),
                    message: m,
                });
            }
        }
        if items.words() && !said_words {
            said_words = true;
            asm.notes.push(
                line_no,
                1,
                "the dump shows multi-byte words, which od and hexdump print in the machine's byte order: read as little-endian (x86, ARM); `od -A x -t x1z` or `hexdump -C` avoid the question",
            );
        }
        if let Some(a) = ascii {
            let inner = line.get(a + 1..).unwrap_or("");
            let inner = match inner.strip_suffix('<') {
                Some(s) => s,
                None => {
                    asm.notes.push(
                        line_no,
                        column(line, line.len()),
                        "the ASCII column has no closing `<`: the line is cut short",
                    );
                    inner
                }
            };
            check_ascii(&mut asm.notes, line_no, line, a + 1, inner, &bytes);
        }
        asm.row(line_no, 1, offset, &bytes);
        rows += 1;
    }
    finish_stream(asm, rows, &ignored, "od", "`000000 00 0e 78 af ...`")
}

/// The offsets' radix: the one under which the second row (or the final
/// line) starts where the first row ends.
fn od_radix(lines: &[(usize, &str)], items: OdItems) -> u32 {
    let mut offs = Vec::new();
    let mut first_len = None;
    for (_, l) in lines {
        if let Some((off, toks, _)) = od_split(l) {
            if off.is_empty() {
                continue;
            }
            offs.push(off);
            if first_len.is_none() {
                let mut v = Vec::new();
                for (_, t) in &toks {
                    let _ = items.push(t, &mut v);
                }
                first_len = Some(v.len());
            }
            if offs.len() == 2 {
                break;
            }
        }
    }
    let default = match offs.first().map(|o| o.len()) {
        Some(7) | Some(11) => 8,
        _ => 16,
    };
    let (Some(a), Some(b), Some(n)) = (offs.first(), offs.get(1), first_len) else {
        return default;
    };
    let n = u64::try_from(n).unwrap_or(0);
    [default, 8, 16, 10]
        .into_iter()
        .find(|&r| match (parse_offset(a, r), parse_offset(b, r)) {
            (Some(x), Some(y)) => y.checked_sub(x) == Some(n),
            _ => false,
        })
        .unwrap_or(default)
}

// ---------------------------------------------------------------- packets

/// One packet of a packet dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketText {
    /// 1-based line of its first row.
    pub line: usize,
    /// The bytes the rows show.
    pub bytes: Vec<u8>,
    /// The line the tool printed before the rows (tcpdump's packet line,
    /// tshark's summary), trimmed.
    pub header: Option<String>,
}

/// Packets read from a dump.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PacketDump {
    /// The packets, in text order.
    pub packets: Vec<PacketText>,
    /// Ignored or suspicious pieces of the text.
    pub notes: Vec<TextNote>,
}

/// `tshark -x` row: (offset, index of the first byte).
fn tshark_prefix(line: &str) -> Option<(u64, usize)> {
    let b = line.as_bytes();
    let off_len = b.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if !(4..=6).contains(&off_len) {
        return None;
    }
    let spaces = b.get(off_len..)?.iter().take_while(|c| **c == b' ').count();
    if !(2..=3).contains(&spaces) {
        return None;
    }
    let start = off_len + spaces;
    // Two hex digits then a space or the end.
    match b.get(start..start + 3) {
        Some([h, l, b' ']) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {}
        _ => match b.get(start..) {
            Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {}
            _ => return None,
        },
    }
    Some((parse_offset(line.get(..off_len)?, 16)?, start))
}

/// tshark's `Frame (74 bytes):` / `Reassembled TCP (120 bytes):` lines.
fn tshark_source(line: &str) -> Option<&str> {
    let t = line.trim();
    let name = t.strip_suffix("bytes):")?;
    let (name, _) = name.rsplit_once(" (")?;
    Some(name)
}

/// The rows of one packet (tshark or tcpdump) with its assembler.
struct PacketBuild {
    line: usize,
    asm: Assembler,
    align: AsciiAlign,
    header: Option<String>,
}

impl PacketBuild {
    fn new(line: usize, header: Option<String>) -> PacketBuild {
        PacketBuild {
            line,
            asm: Assembler::default(),
            align: AsciiAlign::default(),
            header,
        }
    }
}

fn close_packet(cur: &mut Option<PacketBuild>, out: &mut PacketDump, notes: &mut Notes) {
    if let Some(p) = cur.take() {
        let tb = p.asm.finish(true);
        for n in tb.notes {
            notes.push(n.line, n.column, n.message);
        }
        if tb.bytes.is_empty() {
            return;
        }
        out.packets.push(PacketText {
            line: p.line,
            bytes: tb.bytes,
            header: p.header,
        });
    }
}

/// Reads `tshark -x` output (or Wireshark's "Copy as Hex Dump"): one block
/// of rows per packet, blocks separated by blank lines.
pub fn parse_tshark(text: &str) -> Result<PacketDump, InputError> {
    let mut out = PacketDump::default();
    let mut notes = Notes::default();
    let mut cur: Option<PacketBuild> = None;
    // Rows of a second data source (`Reassembled TCP (N bytes):`) are skipped.
    let mut skipping: Option<String> = None;
    let mut header: Option<String> = None;
    let mut ignored = Vec::new();
    let mut total = 0usize;
    for (li, raw) in text.lines().enumerate() {
        let line_no = li + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            close_packet(&mut cur, &mut out, &mut notes);
            skipping = None;
            continue;
        }
        if let Some(name) = tshark_source(line) {
            if name == "Frame" {
                close_packet(&mut cur, &mut out, &mut notes);
                skipping = None;
            } else {
                close_packet(&mut cur, &mut out, &mut notes);
                notes.push(
                    line_no,
                    1,
                    format!("`{}`: a second view of bytes already in the frame (tshark's {name} data source): its rows are skipped", line.trim()),
                );
                skipping = Some(name.to_string());
            }
            continue;
        }
        let Some((off, start)) = tshark_prefix(line) else {
            if line.starts_with("Running as user") {
                notes.push(line_no, 1, "tshark's `Running as user` warning: ignored");
            } else if cur.is_none() && skipping.is_none() {
                // A summary line (`tshark -P -x`) before the packet's rows.
                ignored.push(line_no);
                header = Some(line.trim().to_string());
            } else {
                ignored.push(line_no);
            }
            continue;
        };
        if skipping.is_some() {
            continue;
        }
        if off == 0 && cur.as_ref().is_some_and(|p| !p.asm.out.is_empty()) {
            close_packet(&mut cur, &mut out, &mut notes);
        }
        let p = cur.get_or_insert_with(|| PacketBuild::new(line_no, header.take()));
        p.align.gap = 3;
        let (bytes, end, half) = grouped(line, start, 16);
        if let Some(h) = half {
            p.asm.notes.push(
                line_no,
                column(line, h),
                "half a byte (one hex digit): the row is cut short; the digit is dropped",
            );
        }
        match p.align.start(line, start, end, bytes.len()) {
            Some(s) => check_ascii(
                &mut p.asm.notes,
                line_no,
                line,
                s,
                line.get(s..).unwrap_or(""),
                &bytes,
            ),
            None => check_ascii(&mut p.asm.notes, line_no, line, line.len(), "", &bytes),
        }
        total += bytes.len();
        if total > MAX_DUMP_BYTES {
            notes.push(
                line_no,
                1,
                format!("the dump is over {MAX_DUMP_BYTES} bytes: the rest is not read"),
            );
            break;
        }
        p.asm.row(line_no, 1, Some(off), &bytes);
    }
    close_packet(&mut cur, &mut out, &mut notes);
    finish_packets(
        out,
        notes,
        &ignored,
        "tshark -x",
        "lines that are not rows (packet summaries?)",
    )
}

fn finish_packets(
    mut out: PacketDump,
    mut notes: Notes,
    ignored: &[usize],
    tool: &str,
    what: &str,
) -> Result<PacketDump, InputError> {
    if out.packets.is_empty() {
        return Err(InputError {
            line: 1,
            column: 1,
            message: format!("no {tool} packet rows in the text"),
        });
    }
    if let Some(&first) = ignored.first() {
        notes.push(
            first,
            1,
            format!(
                "line{} {}: {what}: not bytes, ignored",
                if ignored.len() > 1 { "s" } else { "" },
                line_list(ignored)
            ),
        );
    }
    out.notes = notes.finish();
    out.notes.sort_by_key(|n| (n.line, n.column));
    Ok(out)
}

/// `tcpdump -x` row: `\t0x0010:  7f00 0001 ...`: (offset, index of the
/// first digit).
fn tcpdump_prefix(line: &str) -> Option<(u64, usize)> {
    let t = line.trim_start();
    if t.len() == line.len() {
        return None;
    }
    let lead = line.len() - t.len();
    let rest = t.strip_prefix("0x")?;
    let colon = rest.find(':')?;
    let off = rest.get(..colon)?;
    if off.len() < 4 || !off.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let o = parse_offset(off, 16)?;
    let after = rest.get(colon + 1..)?;
    let spaces = after.len() - after.trim_start_matches(' ').len();
    let start = lead + 2 + colon + 1 + spaces;
    line.as_bytes()
        .get(start)
        .filter(|c| c.is_ascii_hexdigit())?;
    Some((o, start))
}

/// Reads `tcpdump -x`, `-X`, `-xx` or `-XX` output: a packet line, then
/// its rows.
pub fn parse_tcpdump(text: &str) -> Result<PacketDump, InputError> {
    let mut out = PacketDump::default();
    let mut notes = Notes::default();
    let mut cur: Option<PacketBuild> = None;
    let mut headers = Vec::new();
    let mut ignored = Vec::new();
    let mut total = 0usize;
    for (li, raw) in text.lines().enumerate() {
        let line_no = li + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((off, start)) = tcpdump_prefix(line) else {
            if line.starts_with(|c: char| !c.is_whitespace()) {
                if line.starts_with("reading from file") {
                    notes.push(line_no, 1, "tcpdump's `reading from file` line: ignored");
                    continue;
                }
                // A packet line: starts the next packet.
                close_packet(&mut cur, &mut out, &mut notes);
                cur = Some(PacketBuild::new(line_no, Some(line.trim().to_string())));
                headers.push(line_no);
            } else {
                ignored.push(line_no);
            }
            continue;
        };
        if off == 0 && cur.as_ref().is_some_and(|p| !p.asm.out.is_empty()) {
            close_packet(&mut cur, &mut out, &mut notes);
        }
        let p = cur.get_or_insert_with(|| PacketBuild::new(line_no, None));
        if p.asm.out.is_empty() && p.line != line_no && p.header.is_some() {
            // Rows of a packet start on their first row's line.
            p.line = line_no;
        }
        let (bytes, end, half) = grouped(line, start, 16);
        if let Some(h) = half {
            p.asm.notes.push(
                line_no,
                column(line, h),
                "an odd number of hex digits: the row is cut short; the last digit is dropped",
            );
        }
        if let Some(s) = p.align.start(line, start, end, bytes.len()) {
            check_ascii(
                &mut p.asm.notes,
                line_no,
                line,
                s,
                line.get(s..).unwrap_or(""),
                &bytes,
            );
        }
        total += bytes.len();
        if total > MAX_DUMP_BYTES {
            notes.push(
                line_no,
                1,
                format!("the dump is over {MAX_DUMP_BYTES} bytes: the rest is not read"),
            );
            break;
        }
        p.asm.row(line_no, 1, Some(off), &bytes);
    }
    close_packet(&mut cur, &mut out, &mut notes);
    if let Some(&first) = headers.first() {
        notes.push(
            first,
            1,
            format!(
                "line{} {}: tcpdump's packet lines (time, addresses, flags): each starts a packet; what they say is read from the bytes instead",
                if headers.len() > 1 { "s" } else { "" },
                line_list(&headers)
            ),
        );
    }
    finish_packets(
        out,
        notes,
        &ignored,
        "tcpdump",
        "indented lines that are not rows",
    )
}

// ---------------------------------------------------------------- detection

/// What a line is, for one dump format.
#[derive(PartialEq, Eq)]
enum Kind {
    Row,
    Aux,
    Other,
}

fn score(text: &str, classify: impl Fn(&str) -> Kind) -> bool {
    let mut rows = 0;
    let mut other = 0;
    for l in text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .take(DETECT_LINES)
    {
        match classify(l) {
            Kind::Row => rows += 1,
            Kind::Aux => {}
            Kind::Other => other += 1,
        }
    }
    rows >= 1 && other * 3 <= rows
}

/// The dump format of a text, if its lines are rows of one.
pub fn detect(text: &str) -> Option<Format> {
    if score(text, |l| {
        if tcpdump_prefix(l).is_some() {
            Kind::Row
        } else if l.starts_with(|c: char| !c.is_whitespace()) {
            Kind::Aux
        } else {
            Kind::Other
        }
    }) && text.lines().any(|l| tcpdump_prefix(l).is_some())
    {
        return Some(packet_format_hint(text));
    }
    if score(text, |l| {
        if xxd_prefix(l).is_some() {
            Kind::Row
        } else if l.trim() == "*" {
            Kind::Aux
        } else {
            Kind::Other
        }
    }) {
        return Some(Format::Xxd);
    }
    if score(text, |l| match hexdump_c_row(l) {
        Some((_, b, a, _)) if !b.is_empty() && a.is_some() => Kind::Row,
        Some(_) => Kind::Aux,
        None if l.trim() == "*" => Kind::Aux,
        None => Kind::Other,
    }) {
        return Some(Format::HexdumpC);
    }
    if score(text, |l| {
        if tshark_prefix(l).is_some() {
            Kind::Row
        } else if tshark_source(l).is_some() || l.starts_with("Running as user") {
            Kind::Aux
        } else {
            Kind::Other
        }
    }) {
        return Some(Format::TsharkX);
    }
    let od_kind = |l: &str| match od_split(l) {
        Some((off, toks, _)) => {
            let t: Vec<&str> = toks.iter().map(|(_, t)| *t).collect();
            if t.is_empty() {
                if off.is_empty() {
                    Kind::Other
                } else {
                    Kind::Aux
                }
            } else if OdItems::of(&t).is_some() && !off.is_empty() {
                Kind::Row
            } else {
                Kind::Other
            }
        }
        None if l.trim() == "*" => Kind::Aux,
        None => Kind::Other,
    };
    // An od dump needs two rows (or a row and the final offset): one line
    // of `0000000 ...` alone could be anything.
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() >= 2 && score(text, od_kind) {
        let rows: Vec<(usize, &str)> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 1, *l))
            .take(4)
            .collect();
        let items = rows
            .iter()
            .find_map(|(_, l)| {
                od_split(l).and_then(|(_, t, _)| {
                    let t: Vec<&str> = t.iter().map(|(_, t)| *t).collect();
                    OdItems::of(&t)
                })
            })
            .unwrap_or(OdItems::X1);
        // hexdump's default: 7-digit hex offsets and 4-digit words.
        let seven = lines
            .first()
            .is_some_and(|l| l.bytes().take_while(u8::is_ascii_hexdigit).count() == 7);
        if items == OdItems::X2 && seven && od_radix(&rows, items) == 16 {
            return Some(Format::Hexdump);
        }
        return Some(Format::Od);
    }
    None
}

/// `tcpdump -x` or `-xx`: whether the first packet starts at the IP header.
fn packet_format_hint(text: &str) -> Format {
    match parse_tcpdump(text) {
        Ok(d) => match d.packets.first().map(|p| p.bytes.first().map(|b| b >> 4)) {
            Some(Some(4 | 6)) => Format::TcpdumpX,
            Some(_) => Format::TcpdumpXx,
            None => Format::TcpdumpX,
        },
        Err(_) => Format::TcpdumpX,
    }
}

/// True for `xxd -p` output: two or more lines of hex digits only, all but
/// the last of the same even length (60 by default).
pub fn looks_like_xxd_plain(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let Some((last, body)) = lines.split_last() else {
        return false;
    };
    let Some(first) = body.first() else {
        return false;
    };
    let w = first.len();
    w >= 16
        && w % 2 == 0
        && body.iter().all(|l| l.len() == w)
        && last.len() <= w
        && lines
            .iter()
            .all(|l| l.bytes().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const XXD: &str = "00000000: 0000 006e 8344 04cf a800 9b0b 6240 3132  ...n.D......b@12\n\
00000010: 372e 302e 302e 31bb 0b68 4031 3237 2e30  7.0.0.1..h@127.0\n\
00000020: 5203                                     R.\n";

    #[test]
    fn xxd_rows_and_ascii() {
        assert_eq!(detect(XXD), Some(Format::Xxd));
        let t = parse_xxd(XXD).unwrap();
        assert_eq!(t.bytes.len(), 34);
        assert_eq!(&t.bytes[32..], &[0x52, 0x03]);
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        // Edited hex: the ASCII column disagrees.
        let edited = XXD.replace("5203", "5303");
        let t = parse_xxd(&edited).unwrap();
        assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
        assert_eq!(t.notes[0].line, 3);
        assert!(t.notes[0].message.contains("disagree"));
        // A row missing: the gap is named.
        let gap: String = XXD
            .lines()
            .filter(|l| !l.starts_with("00000010"))
            .map(|l| format!("{l}\n"))
            .collect();
        let t = parse_xxd(&gap).unwrap();
        assert!(
            t.notes
                .iter()
                .any(|n| n.message.contains("16 bytes are missing")),
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn hexdump_c_and_od() {
        let hd = "00000000  00 00 00 6e 83 44 04 cf  a8 00 9b 0b 62 40 31 32  |...n.D......b@12|\n\
*\n00000030  52 03                                             |R.|\n00000032\n";
        assert_eq!(detect(hd), Some(Format::HexdumpC));
        let t = parse_hexdump_c(hd).unwrap();
        assert_eq!(t.bytes.len(), 0x32);
        assert_eq!(&t.bytes[16..32], &t.bytes[..16]);
        assert!(t.notes.iter().any(|n| n.message.contains("filled in")));
        let od = "000000 00 00 00 6e 83 44 04 cf a8 00 9b 0b 62 40 31 32  >...n.D......b@12<\n\
000010 52 03                                            >R.<\n000012\n";
        assert_eq!(detect(od), Some(Format::Od));
        let t = parse_od(od, None).unwrap();
        assert_eq!(t.bytes.len(), 18);
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        // od's default: octal offsets and octal little-endian words; odd length.
        let od8 = "0000000 007000 127570 046712 000000 000006 000005 061001 000000\n0000020 000122\n0000021\n";
        assert_eq!(detect(od8), Some(Format::Od));
        let t = parse_od(od8, None).unwrap();
        assert_eq!(&t.bytes[..4], &[0x00, 0x0e, 0x78, 0xaf]);
        assert_eq!(t.bytes.len(), 17);
        assert_eq!(t.bytes[16], 0x52);
    }

    #[test]
    fn never_panics_on_odd_lines() {
        for t in [
            "0000: ",
            "00000000:  zz",
            "\t0x0000:",
            "\t0x0000:  45",
            "0000  0",
            "00000000  0",
            "0000000 1\n*\n*\n7777777777777777777",
            "000000 00 >",
            "Frame (1 bytes):\n0000  00",
        ] {
            let _ = detect(t);
            let _ = parse_xxd(t);
            let _ = parse_hexdump_c(t);
            let _ = parse_od(t, None);
            let _ = parse_tshark(t);
            let _ = parse_tcpdump(t);
        }
    }

    #[test]
    fn star_fill_is_bounded() {
        let t = "0000000 0000\n*\n7777777777\n";
        let r = parse_od(t, None).unwrap();
        assert!(r.bytes.len() <= MAX_DUMP_BYTES);
    }
}
