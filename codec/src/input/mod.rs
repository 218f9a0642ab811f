//! Turning what users paste into bytes: plain hex and `epmd -d -d -d` logs.

pub mod conversation;
pub mod epmd_log;

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

/// Bytes parsed from hex text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHex {
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Parses plain hex with any spacing: `00 11 78`, `001178`, `0x00, 0x11`,
/// one byte or many per token, commas and newlines as separators.
///
/// A token is a run of hex digits, optionally prefixed by `0x`; a token
/// without `0x` must have an even number of digits (`0x5` is one byte, `5`
/// is an error: a digit is probably missing).
pub fn parse_hex(text: &str) -> Result<ParsedHex, InputError> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    for (li, line) in text.lines().enumerate() {
        let mut chars = line.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if c.is_whitespace() || c == ',' {
                chars.next();
                continue;
            }
            // Collect one token.
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if c.is_whitespace() || c == ',' {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            let token = line.get(start..end).unwrap_or("");
            let column = line.get(..start).map_or(1, |p| p.chars().count() + 1);
            let err = |col_off: usize, message: String| InputError {
                line: li + 1,
                column: column + col_off,
                message,
            };
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
            let padded;
            let digits = if digits.len() % 2 == 1 {
                if !prefixed {
                    return Err(err(
                        0,
                        format!("{token:?} has an odd number of hex digits: one is missing, or write 0x{token}"),
                    ));
                }
                padded = format!("0{digits}");
                padded.as_str()
            } else {
                digits
            };
            for pair in digits.as_bytes().chunks_exact(2) {
                if let [h, l] = pair {
                    let v = |c: &u8| crate::hex::digit_value(*c).unwrap_or(0);
                    bytes.push((v(h) << 4) | v(l));
                }
            }
        }
    }
    Ok(ParsedHex { bytes })
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
}

impl Format {
    /// `hex`, `epmd-log`, `raw`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Hex => "hex",
            Format::EpmdLog => "epmd-log",
            Format::Raw => "raw",
            Format::TcpFollow => "tcp-follow",
            Format::Streams => "streams",
        }
    }
}

/// Guesses the format of a text: an epmd log has `got N bytes` lines or
/// `***** 00000000` dump rows; a follow dump has a `Follow: tcp,hex` line; a
/// runs listing has `=== stream` and `run` lines; otherwise it is hex.
pub fn detect(text: &str) -> Format {
    if conversation::is_follow(text) {
        Format::TcpFollow
    } else if conversation::is_streams(text) {
        Format::Streams
    } else if epmd_log::looks_like_log(text) {
        Format::EpmdLog
    } else {
        Format::Hex
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
