//! Turning what users paste into bytes: plain hex, the dumps of `xxd`,
//! `hexdump`, `od`, `tshark -x` and `tcpdump -X`, byte literals of Erlang,
//! Elixir, JavaScript, Python, C, Rust and Go, Node's `<Buffer ...>`,
//! base64, `epmd -d -d -d` logs and conversation listings.
//!
//! Every reader keeps a list of what it skipped or found suspicious
//! ([`TextNote`], with line and column), and reports unreadable text as an
//! [`InputError`] at the line and column where reading stopped.

pub mod conversation;
pub mod dumps;
pub mod epmd_log;
pub mod literals;
pub mod packets;

use serde::Serialize;
use std::fmt;

/// A problem in the input text, at a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for InputError {}

/// A remark about the input text: a piece that was ignored, or looks wrong
/// (an ASCII column that disagrees with the bytes, a gap in a dump's
/// offsets), at a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextNote {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What about it.
    pub message: String,
}

impl fmt::Display for TextNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// At most this many notes are kept per input; the rest are counted.
pub const MAX_NOTES: usize = 200;

/// Notes collected while reading a text, capped at [`MAX_NOTES`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Notes {
    pub(crate) list: Vec<TextNote>,
    dropped: usize,
}

impl Notes {
    pub(crate) fn push(&mut self, line: usize, column: usize, message: impl Into<String>) {
        if self.list.len() < MAX_NOTES {
            self.list.push(TextNote {
                line,
                column,
                message: message.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    /// True once [`MAX_NOTES`] are kept: callers may count a note with
    /// [`Notes::skip`] instead of working out its position.
    pub(crate) fn full(&self) -> bool {
        self.list.len() >= MAX_NOTES
    }

    /// Counts a note that is not kept.
    pub(crate) fn skip(&mut self) {
        self.dropped += 1;
    }

    pub(crate) fn finish(mut self) -> Vec<TextNote> {
        if self.dropped > 0 {
            let line = self.list.last().map_or(1, |n| n.line);
            self.list.push(TextNote {
                line,
                column: 1,
                message: format!("{} more notes like the above are not listed", self.dropped),
            });
        }
        self.list
    }
}

/// 1-based character column of byte index `i` in `line`.
pub(crate) fn column(line: &str, i: usize) -> usize {
    line.get(..i).map_or(1, |p| p.chars().count() + 1)
}

/// Bytes read from a text, with what was skipped or looks wrong on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextBytes {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Ignored or suspicious pieces of the text.
    pub notes: Vec<TextNote>,
    /// The text says more bytes exist than it shows (`... 12 more bytes>`,
    /// a dump's final offset past its last row): how many.
    pub missing: Option<usize>,
}

/// Bytes parsed from hex text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHex {
    /// The bytes.
    pub bytes: Vec<u8>,
}

fn is_hex_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ':' | ';' | '-')
}

/// Parses plain hex with any spacing: `00 11 78`, `001178`, `0x00, 0x11`,
/// `\x00\x11`, `00:11:78`, `00-11-78`, one byte or many per token; commas,
/// colons, semicolons, dashes and newlines are separators.
///
/// A token is a run of hex digits, optionally prefixed by `0x`, or a run of
/// `\xHH` escapes; a token without `0x` must have an even number of digits
/// (`0x5` is one byte, `5` is an error: a digit is probably missing).
pub fn parse_hex(text: &str) -> Result<ParsedHex, InputError> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    for (li, line) in text.lines().enumerate() {
        let mut chars = line.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if is_hex_separator(c) {
                chars.next();
                continue;
            }
            // Collect one token.
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if is_hex_separator(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            let token = line.get(start..end).unwrap_or("");
            // The column is counted only for an error: counting it for
            // every token would be quadratic on one long line.
            hex_token(token, &mut bytes).map_err(|(off, message)| InputError {
                line: li + 1,
                column: column(line, start) + off,
                message,
            })?;
        }
    }
    Ok(ParsedHex { bytes })
}

/// One token of plain hex (see [`parse_hex`]), appended to `bytes`.
/// `Err((column offset in the token, message))`.
fn hex_token(token: &str, bytes: &mut Vec<u8>) -> Result<(), (usize, String)> {
    let err = |col_off: usize, message: String| (col_off, message);
    if token.starts_with("\\x") || token.starts_with("\\X") {
        // `\x00\x11`: each escape one byte of one or two digits.
        let b = token.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if !matches!(b.get(i..i + 2), Some(b"\\x" | b"\\X")) {
                return Err(err(i, format!("expected another \\x escape in {token:?}")));
            }
            let digits: Vec<u8> = b
                .get(i + 2..)
                .unwrap_or(&[])
                .iter()
                .take(2)
                .map_while(|c| crate::hex::digit_value(*c))
                .collect();
            match digits.as_slice() {
                [h, l] => bytes.push((h << 4) | l),
                [l] => bytes.push(*l),
                _ => return Err(err(i, format!("\\x without hex digits in {token:?}"))),
            }
            i += 2 + digits.len();
        }
        return Ok(());
    }
    let (digits, prefixed) = match token
        .strip_prefix("0x")
        .or_else(|| token.strip_prefix("0X"))
    {
        Some(d) => (d, true),
        None => (token, false),
    };
    let skip = if prefixed { 2 } else { 0 };
    if let Some((i, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        let col = digits.get(..i).map_or(0, |p| p.chars().count()) + skip;
        return Err(err(col, format!("{c:?} is not a hex digit (in {token:?})")));
    }
    if digits.is_empty() {
        return Err(err(0, format!("{token:?} has no hex digits")));
    }
    let odd = digits.len() % 2 == 1;
    if odd && !prefixed {
        return Err(err(
            0,
            format!(
                "{token:?} has an odd number of hex digits: one is missing, or write 0x{token}"
            ),
        ));
    }
    let d = digits.as_bytes();
    let v = |c: Option<&u8>| c.and_then(|c| crate::hex::digit_value(*c)).unwrap_or(0);
    let mut i = 0;
    if odd {
        bytes.push(v(d.first()));
        i = 1;
    }
    while i < d.len() {
        bytes.push((v(d.get(i)) << 4) | v(d.get(i + 1)));
        i += 2;
    }
    Ok(())
}

/// The text formats the codec reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Plain hex.
    Hex,
    /// `epmd -d -d -d` output.
    EpmdLog,
    /// Raw bytes (a binary file).
    Raw,
    /// Wireshark's "Follow TCP Stream" hex (`tshark -q -z follow,tcp,hex,N`).
    TcpFollow,
    /// Per-stream same-direction runs (`*.streams.txt`).
    Streams,
    /// `xxd -p`: plain hex, 60 digits a line.
    XxdPlain,
    /// `xxd`: `00000000: 000e 78af ...  ..x..`.
    Xxd,
    /// `hexdump -C` (`hd`): `00000000  00 0e 78 af ...  |..x.|`.
    HexdumpC,
    /// `hexdump` without options: hex offsets, 2-byte little-endian words.
    Hexdump,
    /// `od`: `od -A x -t x1z`, and the other `-t x1`, `o1`, `x2`, `o2`
    /// (the default) layouts.
    Od,
    /// `tshark -x` or Wireshark's "Copy as Hex Dump": whole packets.
    TsharkX,
    /// `tcpdump -x` / `-X`: packets from the IP header.
    TcpdumpX,
    /// `tcpdump -xx` / `-XX`: packets from the link-layer header.
    TcpdumpXx,
    /// An Erlang binary: `<<120,37,34>>`, `<<9506:16, "node">>`.
    ErlangBinary,
    /// An Elixir binary: `<<120, 37, 34>>`, `<<9506::size(16)>>`.
    ElixirBinary,
    /// A JavaScript array: `[0, 14, 120]`, `new Uint8Array([...])`.
    JsArray,
    /// Python bytes: `b'\x00\x0ex'`, `bytes([0, 14])`, `bytearray(...)`.
    PythonBytes,
    /// A C array: `{0x00, 0x0e}`, `unsigned char x[] = {...};`.
    CArray,
    /// A Rust array: `[0x00u8, 0x0e]`, `vec![...]`, `[0u8; 4]`, `b"..."`.
    RustArray,
    /// A Go slice: `[]byte{0x00, 0x0e}`.
    GoSlice,
    /// Node.js: `<Buffer 00 0e 78 ...>`, `Buffer.from([...])`.
    NodeBuffer,
    /// Base64 (standard or URL-safe alphabet).
    Base64,
}

impl Format {
    /// Every format, in the order the CLI and the playground list them.
    pub const ALL: [Format; 22] = [
        Format::Hex,
        Format::EpmdLog,
        Format::TcpFollow,
        Format::Streams,
        Format::Raw,
        Format::XxdPlain,
        Format::Xxd,
        Format::HexdumpC,
        Format::Hexdump,
        Format::Od,
        Format::TsharkX,
        Format::TcpdumpX,
        Format::TcpdumpXx,
        Format::ErlangBinary,
        Format::ElixirBinary,
        Format::JsArray,
        Format::PythonBytes,
        Format::CArray,
        Format::RustArray,
        Format::GoSlice,
        Format::NodeBuffer,
        Format::Base64,
    ];

    /// The format's name: `hex`, `epmd-log`, `raw`, `xxd`, `hexdump-c`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Hex => "hex",
            Format::EpmdLog => "epmd-log",
            Format::Raw => "raw",
            Format::TcpFollow => "tcp-follow",
            Format::Streams => "streams",
            Format::XxdPlain => "xxd-plain",
            Format::Xxd => "xxd",
            Format::HexdumpC => "hexdump-c",
            Format::Hexdump => "hexdump",
            Format::Od => "od",
            Format::TsharkX => "tshark-x",
            Format::TcpdumpX => "tcpdump-x",
            Format::TcpdumpXx => "tcpdump-xx",
            Format::ErlangBinary => "erlang-binary",
            Format::ElixirBinary => "elixir-binary",
            Format::JsArray => "js-array",
            Format::PythonBytes => "python-bytes",
            Format::CArray => "c-array",
            Format::RustArray => "rust-array",
            Format::GoSlice => "go-slice",
            Format::NodeBuffer => "node-buffer",
            Format::Base64 => "base64",
        }
    }

    /// The format named `name` ([`Format::as_str`]).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// One line: what the format is and which tool prints it.
    pub fn description(self) -> &'static str {
        match self {
            Format::Hex => "plain hex, any spacing (00 0e 78, 0x00,0x0e, \\x00\\x0e, 00:0e:78)",
            Format::EpmdLog => "epmd -d -d -d output",
            Format::Raw => "the bytes themselves (a binary file)",
            Format::TcpFollow => {
                "Wireshark Follow TCP Stream as hex (tshark -q -z follow,tcp,hex,N)"
            }
            Format::Streams => "per-stream runs listing (*.streams.txt)",
            Format::XxdPlain => "xxd -p: plain hex, 60 digits a line",
            Format::Xxd => "xxd: 00000000: 000e 78af ...  ..x.",
            Format::HexdumpC => "hexdump -C / hd: 00000000  00 0e 78 af ...  |..x.|",
            Format::Hexdump => "hexdump without options: 2-byte little-endian words",
            Format::Od => "od (-A x -t x1z, or the default octal words)",
            Format::TsharkX => "tshark -x / Wireshark Copy as Hex Dump: whole packets",
            Format::TcpdumpX => "tcpdump -x / -X: packets from the IP header",
            Format::TcpdumpXx => "tcpdump -xx / -XX: packets from the link-layer header",
            Format::ErlangBinary => "Erlang binary: <<120,37,34>>, <<9506:16, \"node\">>",
            Format::ElixirBinary => "Elixir binary: <<120, 37, 34>>, <<9506::size(16)>>",
            Format::JsArray => "JavaScript array: [0, 14, 120], new Uint8Array([...])",
            Format::PythonBytes => "Python bytes: b'\\x00\\x0ex', bytes([0, 14, 120])",
            Format::CArray => "C array: {0x00, 0x0e, 0x78}",
            Format::RustArray => "Rust array: [0x00u8, 0x0e], vec![...], [0u8; 4], b\"...\"",
            Format::GoSlice => "Go slice: []byte{0x00, 0x0e, 0x78}",
            Format::NodeBuffer => "Node.js Buffer: <Buffer 00 0e 78 ...>, Buffer.from([...])",
            Format::Base64 => "base64, standard or URL-safe",
        }
    }

    /// True for the dumps of whole packets (the TCP payload is decoded).
    pub fn is_packets(self) -> bool {
        matches!(self, Format::TsharkX | Format::TcpdumpX | Format::TcpdumpXx)
    }
}

/// Guesses the format of a text. In order: a follow dump has a `Follow:
/// tcp,hex` line; a runs listing has `=== stream` and `run` lines; an epmd
/// log has `got N bytes` lines or `***** 00000000` dump rows; then the
/// dumps by their row shape ([`dumps::detect`]), the literals by their
/// brackets ([`literals::detect`]), base64 (never text that is all hex
/// digits); otherwise hex (`xxd-plain` when its lines are 60 digits long).
pub fn detect(text: &str) -> Format {
    if conversation::is_follow(text) {
        Format::TcpFollow
    } else if conversation::is_streams(text) {
        Format::Streams
    } else if epmd_log::looks_like_log(text) {
        Format::EpmdLog
    } else if let Some(f) = dumps::detect(text) {
        f
    } else if let Some(f) = literals::detect(text) {
        f
    } else if literals::looks_like_base64(text) {
        Format::Base64
    } else if dumps::looks_like_xxd_plain(text) {
        Format::XxdPlain
    } else {
        Format::Hex
    }
}

/// Reads the bytes of a text in a byte-stream format (everything but the
/// conversation and packet formats, and the epmd log): hex, the dumps, the
/// literals, base64. For the others, `Err` says they are read elsewhere.
pub fn read_bytes(text: &str, format: Format) -> Result<TextBytes, InputError> {
    let plain = |text: &str| {
        parse_hex(text).map(|p| TextBytes {
            bytes: p.bytes,
            ..TextBytes::default()
        })
    };
    match format {
        Format::Hex | Format::XxdPlain => plain(text),
        Format::Raw => Ok(TextBytes {
            bytes: text.as_bytes().to_vec(),
            ..TextBytes::default()
        }),
        Format::Xxd => dumps::parse_xxd(text),
        Format::HexdumpC => dumps::parse_hexdump_c(text),
        Format::Hexdump => dumps::parse_od(text, Some(16)),
        Format::Od => dumps::parse_od(text, None),
        Format::ErlangBinary | Format::ElixirBinary => literals::parse_binary(text, format),
        Format::JsArray
        | Format::PythonBytes
        | Format::CArray
        | Format::RustArray
        | Format::GoSlice
        | Format::NodeBuffer => literals::parse_array(text, format),
        Format::Base64 => literals::parse_base64(text),
        Format::EpmdLog
        | Format::TcpFollow
        | Format::Streams
        | Format::TsharkX
        | Format::TcpdumpX
        | Format::TcpdumpXx => Err(InputError {
            line: 1,
            column: 1,
            message: format!("{} is not a byte-stream format", format.as_str()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_any_spacing() {
        let want = vec![0x00, 0x11, 0x78, 0x25];
        for t in [
            "00 11 78 25",
            "00117825",
            "0x00, 0x11, 0x78, 0x25",
            "0011\n7825\r\n",
            "0x0011 0x7825",
            "0x0,0x11,0x78,0x25",
        ] {
            assert_eq!(parse_hex(t).unwrap().bytes, want, "{t:?}");
        }
    }

    #[test]
    fn hex_errors_point_at_the_character() {
        let e = parse_hex("00 11\n78 2g").unwrap_err();
        assert_eq!((e.line, e.column), (2, 5));
        let e = parse_hex("00 1 78").unwrap_err();
        assert_eq!((e.line, e.column), (1, 4));
        assert!(e.message.contains("odd"));
    }
}
