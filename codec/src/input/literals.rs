//! Bytes written as source code or printed by a language runtime.
//!
//! * Erlang and Elixir binaries: `<<120,37,34>>` (`io:format("~w")`),
//!   `<<"node",0>>` (`~p`), and what people write by hand: sized segments
//!   (`9506:16`, `0::16`, `9506 :: size(16)`, `x::8*2`), strings
//!   (`"node"`, `"é"/utf8`), type lists (`/big`, `/little`, `-unit:8`,
//!   `/binary`, `/utf16`, `::signed-little-16`), bit-level segments that
//!   pack into bytes (`<<1:1, 0:7>>`), characters (`$a`, `?a`), based
//!   integers (`16#ff`, `0xff`), nested binaries, and `...` where a
//!   printout was cut short;
//! * byte arrays: JavaScript (`[0, 14, 120]`, `new Uint8Array([...])`,
//!   node's `Uint8Array(16) [ ... ]`), Python (`bytes([...])`,
//!   `bytearray(...)`, `bytes.fromhex('...')`), C (`{0x00, 0x0e}`,
//!   `unsigned char x[] = {...};`, casts, `'a'`, octal `010`), Rust
//!   (`[0x00u8, 0x0e]`, `vec![...]`, `[0u8; 4]`, `b"..."`, `b'a'`), Go
//!   (`[]byte{...}`), Java (`new byte[]{(byte) 0x80}`: negative values are
//!   two's complement); decimal, hex, octal or binary numbers;
//! * Node.js: `<Buffer 00 0e 78 ... 12 more bytes>` (cut short after 50
//!   bytes: decoded as far as it goes, and how many bytes are missing is
//!   said), `Buffer.from([...])`, `Buffer.from('000e78', 'hex')`, and
//!   `{ type: 'Buffer', data: [...] }`;
//! * Python `b'\x00\x0ex'` literals with every escape (`\\ \' \" \a \b \f
//!   \n \r \t \v \ooo \xhh`, line continuations), adjacent literals
//!   concatenated;
//! * base64, standard (`+/`) or URL-safe (`-_`), padded or not, wrapped.
//!
//! Everything around the literal that is not part of a declaration
//! (`const x = `, `>>> `) is reported as ignored, with its line and column.

use super::{Format, InputError, Notes, TextBytes};

/// A literal may expand (sized segments, `[v; n]` repeats) to at most this
/// many bytes.
pub const MAX_LITERAL_BYTES: usize = 16 << 20;

/// What a few characters may expand to: a `[v; n]` repeat, one sized
/// segment (`<<0:8388608>>`).
pub const MAX_EXPANSION: usize = 1 << 20;

/// How deeply binaries may nest (`<<<<1>>/binary>>`).
const MAX_NESTING: usize = 8;

/// Line starts, to turn byte positions into lines and columns.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, c)| *c == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { text, starts }
    }

    /// (1-based line, 1-based column in characters) of byte `pos`.
    fn at(&self, pos: usize) -> (usize, usize) {
        let li = match self.starts.binary_search(&pos) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(li).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..pos.min(self.text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        (li + 1, col)
    }

    fn err(&self, pos: usize, message: impl Into<String>) -> InputError {
        let (line, column) = self.at(pos);
        InputError {
            line,
            column,
            message: message.into(),
        }
    }

    fn note(&self, notes: &mut Notes, pos: usize, message: impl Into<String>) {
        if notes.full() {
            notes.skip();
            return;
        }
        let (line, column) = self.at(pos);
        notes.push(line, column, message);
    }
}

/// A short quote of the text at `a..b` for notes.
fn quote(text: &str, a: usize, b: usize) -> String {
    let s = text.get(a..b).unwrap_or("").trim();
    let mut q: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        q.push('…');
    }
    q.replace('\n', " ")
}

// ---------------------------------------------------------------- scanning

/// A cursor over the text.
struct Cur<'a> {
    t: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(t: &'a str, i: usize) -> Cur<'a> {
        Cur {
            t,
            b: t.as_bytes(),
            i,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn starts(&self, s: &str) -> bool {
        self.b
            .get(self.i..)
            .is_some_and(|r| r.starts_with(s.as_bytes()))
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.starts(s) {
            self.i += s.len();
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    /// Skips whitespace and comments (`//`, `/* */`, `#` when `hash`),
    /// recording the comments' positions.
    fn ws_comments(&mut self, hash: bool, comments: &mut Vec<usize>) {
        loop {
            self.ws();
            if self.starts("//") || (hash && self.peek() == Some(b'#')) {
                comments.push(self.i);
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.i += 1;
                }
            } else if self.starts("/*") {
                comments.push(self.i);
                self.i += 2;
                while self.peek().is_some() && !self.starts("*/") {
                    self.i += 1;
                }
                self.eat("*/");
            } else {
                return;
            }
        }
    }

    fn char_here(&self) -> Option<char> {
        self.t.get(self.i..).and_then(|s| s.chars().next())
    }

    fn ident(&mut self) -> Option<&'a str> {
        let start = self.i;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            return None;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += 1;
        }
        self.t.get(start..self.i)
    }
}

/// A number as written.
#[derive(Debug, Clone)]
enum Num {
    Int(i128),
    /// A float, with its text (parsed at the width the segment asks for).
    Float(String),
}

/// How a language reads a leading zero (`010`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Zero {
    Decimal,
    Octal,
}

/// Reads a number at the cursor: decimal, `0x`, `0o`, `0b`, Erlang's
/// `Base#digits`, `_` separators, a float. `Ok(None)`: no number here.
fn number(
    c: &mut Cur<'_>,
    lines: &Lines<'_>,
    zero: Zero,
) -> Result<Option<(Num, bool)>, InputError> {
    let start = c.i;
    let neg = if c.peek() == Some(b'-') {
        c.i += 1;
        true
    } else {
        if c.peek() == Some(b'+') {
            c.i += 1;
        }
        false
    };
    if !c.peek().is_some_and(|d| d.is_ascii_digit()) {
        c.i = start;
        return Ok(None);
    }
    let digits_of = |c: &mut Cur<'_>, radix: u32| -> String {
        let mut s = String::new();
        while let Some(d) = c.peek() {
            if d == b'_' {
                c.i += 1;
                continue;
            }
            if char::from(d).is_digit(radix) {
                s.push(char::from(d));
                c.i += 1;
            } else {
                break;
            }
        }
        s
    };
    let big = |pos: usize| lines.err(pos, "the number is too large");
    let mut octal_zero = false;
    let value: i128 = if c.starts("0x") || c.starts("0X") {
        c.i += 2;
        let d = digits_of(c, 16);
        if d.is_empty() {
            return Err(lines.err(c.i, "0x without hex digits"));
        }
        i128::from_str_radix(&d, 16).map_err(|_| big(start))?
    } else if c.starts("0b") || c.starts("0B") {
        c.i += 2;
        let d = digits_of(c, 2);
        if d.is_empty() {
            return Err(lines.err(c.i, "0b without binary digits"));
        }
        i128::from_str_radix(&d, 2).map_err(|_| big(start))?
    } else if c.starts("0o") || c.starts("0O") {
        c.i += 2;
        let d = digits_of(c, 8);
        if d.is_empty() {
            return Err(lines.err(c.i, "0o without octal digits"));
        }
        i128::from_str_radix(&d, 8).map_err(|_| big(start))?
    } else {
        let d = digits_of(c, 10);
        if c.peek() == Some(b'#') && c.peek_at(1).is_some_and(|x| x.is_ascii_alphanumeric()) {
            // Erlang's Base#Digits.
            let base: u32 = d.parse().map_err(|_| big(start))?;
            if !(2..=36).contains(&base) {
                return Err(lines.err(start, format!("base {base} is not 2..36")));
            }
            c.i += 1;
            let digits = digits_of(c, base);
            if digits.is_empty() {
                return Err(lines.err(c.i, format!("no base-{base} digits after #")));
            }
            i128::from_str_radix(&digits, base).map_err(|_| big(start))?
        } else if c.peek() == Some(b'.') && c.peek_at(1).is_some_and(|x| x.is_ascii_digit()) {
            c.i += 1;
            let frac = digits_of(c, 10);
            let mut s = format!("{}{d}.{frac}", if neg { "-" } else { "" });
            if matches!(c.peek(), Some(b'e' | b'E')) {
                let save = c.i;
                c.i += 1;
                let sign = if matches!(c.peek(), Some(b'-' | b'+')) {
                    let s = char::from(c.peek().unwrap_or(b'+'));
                    c.i += 1;
                    Some(s)
                } else {
                    None
                };
                let e = digits_of(c, 10);
                if e.is_empty() {
                    c.i = save;
                } else {
                    s.push('e');
                    if let Some(sg) = sign {
                        s.push(sg);
                    }
                    s.push_str(&e);
                }
            }
            return Ok(Some((Num::Float(s), false)));
        } else if zero == Zero::Octal && d.len() > 1 && d.starts_with('0') {
            octal_zero = true;
            i128::from_str_radix(&d, 8).map_err(|_| {
                lines.err(
                    start,
                    format!(
                        "{d} has a leading 0, which makes it octal here, but has digits 8 or 9"
                    ),
                )
            })?
        } else {
            d.parse::<i128>().map_err(|_| big(start))?
        }
    };
    Ok(Some((
        Num::Int(if neg { -value } else { value }),
        octal_zero,
    )))
}

/// String escape dialects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Erlang,
    Elixir,
    Python,
    Rust,
    C,
    Js,
}

/// Reads one escape after a backslash (the cursor is past it): the value,
/// or `None` for a line continuation. `unknown` collects escapes the
/// language keeps as they are.
fn escape(
    c: &mut Cur<'_>,
    lines: &Lines<'_>,
    d: Dialect,
    notes: &mut Notes,
) -> Result<Option<u32>, InputError> {
    let at = c.i.saturating_sub(1);
    let Some(ch) = c.char_here() else {
        return Err(lines.err(at, "a backslash at the end of the text"));
    };
    c.i += ch.len_utf8();
    let hex_n = |c: &mut Cur<'_>, max: usize| -> String {
        let mut s = String::new();
        while s.len() < max {
            match c.peek() {
                Some(h) if h.is_ascii_hexdigit() => {
                    s.push(char::from(h));
                    c.i += 1;
                }
                _ => break,
            }
        }
        s
    };
    let braced = |c: &mut Cur<'_>| -> Result<u32, InputError> {
        // `{H...}` (the `{` already seen).
        let s = hex_n(c, 8);
        if !c.eat("}") || s.is_empty() {
            return Err(lines.err(
                at,
                "expected hex digits and `}` in a \\x{...} or \\u{...} escape",
            ));
        }
        u32::from_str_radix(&s, 16).map_err(|_| lines.err(at, "escape value too large"))
    };
    let v: u32 = match ch {
        '\n' if matches!(d, Dialect::Python | Dialect::C | Dialect::Js) => return Ok(None),
        '\n' if d == Dialect::Rust => {
            c.ws();
            return Ok(None);
        }
        '\r' if c.peek() == Some(b'\n') && d != Dialect::Erlang => {
            c.i += 1;
            if d == Dialect::Rust {
                c.ws();
            }
            return Ok(None);
        }
        '\\' => 0x5c,
        '\'' => 0x27,
        '"' => 0x22,
        'n' => 0x0a,
        'r' => 0x0d,
        't' => 0x09,
        '0' if matches!(d, Dialect::Rust | Dialect::Elixir | Dialect::Js)
            && !c.peek().is_some_and(|x| x.is_ascii_digit()) =>
        {
            0
        }
        'a' if d != Dialect::Erlang && d != Dialect::Rust => 7,
        'b' if d != Dialect::Rust => 8,
        'f' if d != Dialect::Rust => 12,
        'v' if d != Dialect::Rust => 11,
        'e' if matches!(d, Dialect::Erlang | Dialect::Elixir) => 27,
        's' if matches!(d, Dialect::Erlang | Dialect::Elixir) => 32,
        'd' if matches!(d, Dialect::Erlang | Dialect::Elixir) => 127,
        '^' if d == Dialect::Erlang => match c.char_here() {
            Some(x) => {
                c.i += x.len_utf8();
                u32::from(x) & 31
            }
            None => return Err(lines.err(at, "\\^ at the end of the text")),
        },
        'x' | 'X' if ch == 'x' || d == Dialect::Erlang => {
            if c.eat("{") && matches!(d, Dialect::Erlang) {
                braced(c)?
            } else {
                let s = hex_n(c, 2);
                if s.is_empty() {
                    return Err(lines.err(at, "\\x without hex digits"));
                }
                if s.len() == 1 && matches!(d, Dialect::Python | Dialect::Rust) {
                    return Err(lines.err(at, "\\x needs two hex digits here"));
                }
                u32::from_str_radix(&s, 16).unwrap_or(0)
            }
        }
        'u' if matches!(d, Dialect::Elixir | Dialect::Js) => {
            if c.eat("{") {
                braced(c)?
            } else {
                let s = hex_n(c, 4);
                if s.len() != 4 {
                    return Err(lines.err(at, "\\u needs four hex digits"));
                }
                u32::from_str_radix(&s, 16).unwrap_or(0)
            }
        }
        '0'..='7' if matches!(d, Dialect::Erlang | Dialect::Python | Dialect::C) => {
            let mut v = ch.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                match c.peek() {
                    Some(o @ b'0'..=b'7') => {
                        v = v * 8 + u32::from(o - b'0');
                        c.i += 1;
                    }
                    _ => break,
                }
            }
            if v > 255 && d == Dialect::Python {
                return Err(lines.err(at, format!("octal escape value {v} is over 255")));
            }
            v
        }
        other => match d {
            Dialect::Python => {
                lines.note(
                    notes,
                    at,
                    format!("`\\{other}` is not an escape Python knows: kept as a backslash and {other:?}, as Python does"),
                );
                c.i -= other.len_utf8();
                return Ok(Some(0x5c));
            }
            Dialect::Rust => {
                return Err(lines.err(at, format!("`\\{other}` is not a Rust byte escape")))
            }
            _ => {
                lines.note(
                    notes,
                    at,
                    format!("`\\{other}` is not a known escape: read as {other:?}"),
                );
                u32::from(other)
            }
        },
    };
    Ok(Some(v))
}

/// Reads a quoted string (the cursor on the opening quote) into code points.
fn string(
    c: &mut Cur<'_>,
    lines: &Lines<'_>,
    d: Dialect,
    notes: &mut Notes,
    raw: bool,
) -> Result<Vec<u32>, InputError> {
    let open = c.i;
    let q = c.peek().unwrap_or(b'"');
    let triple =
        c.b.get(c.i..c.i + 3)
            .is_some_and(|t| t.iter().all(|&x| x == q))
            && d == Dialect::Python;
    c.i += if triple { 3 } else { 1 };
    let mut out = Vec::new();
    loop {
        let Some(ch) = c.char_here() else {
            return Err(lines.err(open, "the string is not closed"));
        };
        if ch == char::from(q) {
            if triple {
                if c.b
                    .get(c.i..c.i + 3)
                    .is_some_and(|t| t.iter().all(|&x| x == q))
                {
                    c.i += 3;
                    return Ok(out);
                }
            } else {
                c.i += 1;
                return Ok(out);
            }
        }
        if ch == '\n' && !triple && matches!(d, Dialect::Python | Dialect::C | Dialect::Js) {
            return Err(lines.err(open, "the string is not closed on its line"));
        }
        c.i += ch.len_utf8();
        if ch == '\\' && !raw {
            if let Some(v) = escape(c, lines, d, notes)? {
                out.push(v);
            }
            continue;
        }
        if raw && ch == '\\' {
            // In a raw literal a backslash stays, and escapes the quote.
            out.push(0x5c);
            if let Some(n) = c.char_here() {
                if n == char::from(q) || n == '\\' {
                    c.i += n.len_utf8();
                    out.push(u32::from(n));
                }
            }
            continue;
        }
        out.push(u32::from(ch));
        if out.len() > MAX_LITERAL_BYTES {
            return Err(lines.err(open, "the string is too long"));
        }
    }
}

// ---------------------------------------------------------------- bits

/// Bits written most significant first.
#[derive(Default, Debug, Clone)]
struct Bits {
    bytes: Vec<u8>,
    n: usize,
}

impl Bits {
    fn room(&self) -> usize {
        (MAX_LITERAL_BYTES * 8).saturating_sub(self.n)
    }

    fn bit(&mut self, one: bool) {
        let k = self.n % 8;
        if k == 0 {
            self.bytes.push(0);
        }
        if one {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> k;
            }
        }
        self.n += 1;
    }

    fn byte(&mut self, b: u8) {
        if self.n % 8 == 0 {
            self.bytes.push(b);
            self.n += 8;
        } else {
            for i in (0..8).rev() {
                self.bit((b >> i) & 1 == 1);
            }
        }
    }

    /// Appends the first `n` bits of `other`.
    fn append(&mut self, other: &Bits, n: usize) {
        let n = n.min(other.n);
        let whole = n / 8;
        if self.n % 8 == 0 {
            self.bytes
                .extend_from_slice(other.bytes.get(..whole).unwrap_or(&[]));
            self.n += whole * 8;
        } else {
            for &b in other.bytes.get(..whole).unwrap_or(&[]) {
                self.byte(b);
            }
        }
        if let Some(&last) = other.bytes.get(whole) {
            for i in 0..n % 8 {
                self.bit((last >> (7 - i)) & 1 == 1);
            }
        }
    }

    fn from_bytes(b: Vec<u8>) -> Bits {
        let n = b.len() * 8;
        Bits { bytes: b, n }
    }
}

// ---------------------------------------------------------------- binaries

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegType {
    Integer,
    Float,
    Binary,
    Bits,
    Utf8,
    Utf16,
    Utf32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Spec {
    ty: Option<SegType>,
    little: bool,
    native: bool,
    size: Option<u64>,
    unit: Option<u64>,
}

#[derive(Debug, Clone)]
enum Val {
    Int(i128),
    Float(String),
    Str(Vec<u32>),
    Nested(Bits),
}

struct BinParser<'a> {
    c: Cur<'a>,
    lines: &'a Lines<'a>,
    notes: Notes,
    elixir: bool,
    truncated: bool,
}

impl<'a> BinParser<'a> {
    fn err(&self, pos: usize, m: impl Into<String>) -> InputError {
        self.lines.err(pos, m)
    }

    /// `<<` ... `>>`, the cursor on `<<`.
    fn binary(&mut self, depth: usize) -> Result<Bits, InputError> {
        let open = self.c.i;
        if depth > MAX_NESTING {
            return Err(self.err(
                open,
                format!("binaries nested more than {MAX_NESTING} deep"),
            ));
        }
        self.c.i += 2;
        let mut out = Bits::default();
        let mut first = true;
        loop {
            self.c.ws();
            if self.c.eat(">>") {
                return Ok(out);
            }
            if !first {
                if !self.c.eat(",") {
                    return Err(match self.c.peek() {
                        None => self.err(open, "the binary is not closed with `>>`"),
                        Some(_) => self.err(self.c.i, "expected `,` or `>>` between segments"),
                    });
                }
                self.c.ws();
            }
            first = false;
            if self.c.starts("...") {
                let at = self.c.i;
                self.c.i += 3;
                self.c.ws();
                if !self.c.eat(">>") {
                    return Err(self.err(self.c.i, "expected `>>` after `...`"));
                }
                self.truncated = true;
                self.lines.note(
                    &mut self.notes,
                    at,
                    "`...`: the printout was cut short here (a print depth or inspect limit): the binary is longer than shown, and its rest is not in the text",
                );
                return Ok(out);
            }
            self.segment(&mut out, depth)?;
        }
    }

    fn value(&mut self, depth: usize) -> Result<(Val, usize), InputError> {
        let at = self.c.i;
        match self.c.peek() {
            Some(b'"') => {
                let d = self.dialect();
                let mut s = string(&mut self.c, self.lines, d, &mut self.notes, false)?;
                // Erlang joins adjacent strings: "ab" "cd".
                loop {
                    let save = self.c.i;
                    self.c.ws();
                    if self.c.peek() == Some(b'"') && !self.elixir {
                        s.extend(string(&mut self.c, self.lines, d, &mut self.notes, false)?);
                    } else {
                        self.c.i = save;
                        break;
                    }
                }
                Ok((Val::Str(s), at))
            }
            Some(b'<') if self.c.starts("<<") => Ok((Val::Nested(self.binary(depth + 1)?), at)),
            Some(q @ (b'$' | b'?')) => {
                self.c.i += 1;
                let Some(ch) = self.c.char_here() else {
                    return Err(self.err(at, format!("{} without a character", char::from(q))));
                };
                self.c.i += ch.len_utf8();
                let d = self.dialect();
                let v = if ch == '\\' {
                    escape(&mut self.c, self.lines, d, &mut self.notes)?.unwrap_or(10)
                } else {
                    u32::from(ch)
                };
                Ok((Val::Int(i128::from(v)), at))
            }
            _ => match number(&mut self.c, self.lines, Zero::Decimal)? {
                Some((Num::Int(v), _)) => Ok((Val::Int(v), at)),
                Some((Num::Float(f), _)) => Ok((Val::Float(f), at)),
                None => Err(self.err(
                    at,
                    match self.c.char_here() {
                        Some(ch) => format!(
                            "{ch:?} does not start a segment (a number, a string, $c or <<...>>)"
                        ),
                        None => "the binary is not closed with `>>`".to_string(),
                    },
                )),
            },
        }
    }

    fn dialect(&self) -> Dialect {
        if self.elixir {
            Dialect::Elixir
        } else {
            Dialect::Erlang
        }
    }

    fn uint(&mut self, what: &str) -> Result<u64, InputError> {
        let at = self.c.i;
        match number(&mut self.c, self.lines, Zero::Decimal)? {
            Some((Num::Int(v), _)) if v >= 0 => {
                u64::try_from(v).map_err(|_| self.err(at, format!("{what} {v} is too large")))
            }
            _ => Err(self.err(at, format!("expected a number for the {what}"))),
        }
    }

    fn type_word(&mut self, spec: &mut Spec, word: &str, at: usize) -> Result<(), InputError> {
        match word {
            "integer" => spec.ty = Some(SegType::Integer),
            "float" => spec.ty = Some(SegType::Float),
            "binary" | "bytes" => spec.ty = Some(SegType::Binary),
            "bits" | "bitstring" => spec.ty = Some(SegType::Bits),
            "utf8" => spec.ty = Some(SegType::Utf8),
            "utf16" => spec.ty = Some(SegType::Utf16),
            "utf32" => spec.ty = Some(SegType::Utf32),
            "signed" | "unsigned" | "big" => {}
            "little" => spec.little = true,
            "native" => {
                spec.little = true;
                spec.native = true;
            }
            other => {
                return Err(self.err(at, format!("`{other}` is not a binary segment type (integer, float, binary, bits, utf8, utf16, utf32, signed, unsigned, big, little, native, unit)")))
            }
        }
        Ok(())
    }

    /// The part after the value: Erlang `:Size/Types`, Elixir `::Spec`.
    fn spec(&mut self) -> Result<Spec, InputError> {
        let mut spec = Spec::default();
        self.c.ws();
        if self.c.eat("::") {
            self.c.ws();
            loop {
                let at = self.c.i;
                if self.c.peek().is_some_and(|d| d.is_ascii_digit()) {
                    let n = self.uint("size")?;
                    spec.size = Some(n);
                    self.c.ws();
                    if self.c.eat("*") {
                        self.c.ws();
                        spec.unit = Some(self.uint("unit")?);
                    }
                } else {
                    let Some(w) = self.c.ident() else {
                        return Err(self.err(at, "expected a type, size(N) or a number after `::`"));
                    };
                    match w {
                        "size" | "unit" => {
                            self.c.ws();
                            if !self.c.eat("(") {
                                return Err(self.err(self.c.i, format!("expected `(` after {w}")));
                            }
                            self.c.ws();
                            let n = self.uint(w)?;
                            self.c.ws();
                            if !self.c.eat(")") {
                                return Err(
                                    self.err(self.c.i, format!("expected `)` after {w}({n}"))
                                );
                            }
                            if w == "size" {
                                spec.size = Some(n);
                            } else {
                                spec.unit = Some(n);
                            }
                        }
                        _ => self.type_word(&mut spec, w, at)?,
                    }
                }
                self.c.ws();
                if !self.c.eat("-") {
                    break;
                }
                self.c.ws();
            }
            return Ok(spec);
        }
        if self.c.eat(":") {
            self.c.ws();
            spec.size = Some(self.uint("size")?);
            self.c.ws();
        }
        if self.c.eat("/") {
            loop {
                self.c.ws();
                let at = self.c.i;
                let Some(w) = self.c.ident() else {
                    return Err(self.err(at, "expected a type after `/`"));
                };
                if w == "unit" {
                    self.c.ws();
                    if !self.c.eat(":") {
                        return Err(self.err(self.c.i, "expected `:` after unit"));
                    }
                    self.c.ws();
                    spec.unit = Some(self.uint("unit")?);
                } else {
                    self.type_word(&mut spec, w, at)?;
                }
                self.c.ws();
                if !self.c.eat("-") {
                    break;
                }
            }
        }
        Ok(spec)
    }

    fn segment(&mut self, out: &mut Bits, depth: usize) -> Result<(), InputError> {
        let (val, at) = self.value(depth)?;
        let spec = self.spec()?;
        if spec.native {
            self.lines.note(
                &mut self.notes,
                at,
                "`native` is the byte order of the machine the code runs on: taken as little-endian (x86, ARM)",
            );
        }
        let ty = spec.ty.unwrap_or(match (&val, self.elixir) {
            (Val::Float(_), _) => SegType::Float,
            (Val::Nested(_), _) => SegType::Binary,
            (Val::Str(_), true) => SegType::Binary,
            _ => SegType::Integer,
        });
        match val {
            Val::Str(chars) => self.string_segment(out, &chars, ty, spec, at),
            Val::Nested(b) => match ty {
                SegType::Binary | SegType::Bits => {
                    let unit = spec
                        .unit
                        .unwrap_or(if ty == SegType::Binary { 8 } else { 1 });
                    self.put_bits(out, &b, spec.size, unit, at)
                }
                _ => Err(self.err(at, "a nested binary can only be a binary or bits segment")),
            },
            Val::Int(v) => self.scalar(out, v, None, ty, spec, at),
            Val::Float(f) => self.scalar(out, 0, Some(f), ty, spec, at),
        }
    }

    fn put_bits(
        &mut self,
        out: &mut Bits,
        b: &Bits,
        size: Option<u64>,
        unit: u64,
        at: usize,
    ) -> Result<(), InputError> {
        let n = match size {
            None => {
                if unit == 8 && b.n % 8 != 0 {
                    return Err(self.err(at, format!("a binary segment needs whole bytes, this value has {} bits (use /bits)", b.n)));
                }
                b.n
            }
            Some(s) => {
                let want = usize::try_from(s.saturating_mul(unit)).unwrap_or(usize::MAX);
                if want > b.n {
                    return Err(self.err(
                        at,
                        format!(
                            "the segment's size asks for {want} bits, the value has {}",
                            b.n
                        ),
                    ));
                }
                want
            }
        };
        if n > out.room() {
            return Err(self.err(
                at,
                format!("the binary would be over {MAX_LITERAL_BYTES} bytes"),
            ));
        }
        out.append(b, n);
        Ok(())
    }

    fn string_segment(
        &mut self,
        out: &mut Bits,
        chars: &[u32],
        ty: SegType,
        spec: Spec,
        at: usize,
    ) -> Result<(), InputError> {
        match ty {
            SegType::Binary | SegType::Bits => {
                let bytes: Vec<u8> = if self.elixir {
                    let s: String = chars.iter().filter_map(|&c| char::from_u32(c)).collect();
                    s.into_bytes()
                } else {
                    let mut v = Vec::with_capacity(chars.len());
                    for &c in chars {
                        match u8::try_from(c) {
                            Ok(b) => v.push(b),
                            Err(_) => return Err(self.err(at, format!("character {c} is over 255: a latin-1 string segment cannot hold it (write \"...\"/utf8)"))),
                        }
                    }
                    v
                };
                let unit = spec
                    .unit
                    .unwrap_or(if ty == SegType::Binary { 8 } else { 1 });
                self.put_bits(out, &Bits::from_bytes(bytes), spec.size, unit, at)
            }
            _ => {
                let mut cut = 0usize;
                for &c in chars {
                    if ty == SegType::Integer && spec.size.is_none() && c > 255 {
                        cut += 1;
                    }
                    self.scalar_quiet(out, i128::from(c), None, ty, spec, at)?;
                }
                if cut > 0 {
                    self.lines.note(
                        &mut self.notes,
                        at,
                        format!("{cut} characters of the string are over 255: as 8-bit segments only their low 8 bits are kept, as Erlang does (write \"...\"/utf8 for UTF-8)"),
                    );
                }
                Ok(())
            }
        }
    }

    fn scalar(
        &mut self,
        out: &mut Bits,
        v: i128,
        f: Option<String>,
        ty: SegType,
        spec: Spec,
        at: usize,
    ) -> Result<(), InputError> {
        if let (SegType::Integer, None) = (ty, &f) {
            let unit = spec.unit.unwrap_or(1);
            let bits = spec.size.unwrap_or(8).saturating_mul(unit);
            if bits < 128 {
                let lo = -(1i128 << bits.saturating_sub(1).min(126));
                let hi = 1i128 << bits.min(126);
                if bits == 0 || v < lo || v >= hi {
                    self.lines.note(
                        &mut self.notes,
                        at,
                        format!("{v} does not fit in {bits} bits: only its low {bits} bits are kept, as Erlang does (a size missing?)"),
                    );
                }
            }
        }
        self.scalar_quiet(out, v, f, ty, spec, at)
    }

    fn scalar_quiet(
        &mut self,
        out: &mut Bits,
        v: i128,
        f: Option<String>,
        ty: SegType,
        spec: Spec,
        at: usize,
    ) -> Result<(), InputError> {
        match ty {
            SegType::Integer => {
                if f.is_some() {
                    return Err(self.err(at, "a float cannot be an integer segment"));
                }
                let unit = spec.unit.unwrap_or(1);
                let bits = spec.size.unwrap_or(8).saturating_mul(unit);
                let nbits = usize::try_from(bits).unwrap_or(usize::MAX);
                if nbits > MAX_EXPANSION * 8 {
                    return Err(self.err(
                        at,
                        format!("a segment of {bits} bits: over the {MAX_EXPANSION} bytes one segment may be"),
                    ));
                }
                if nbits > out.room() {
                    return Err(self.err(
                        at,
                        format!("the binary would be over {MAX_LITERAL_BYTES} bytes"),
                    ));
                }
                let mut seg = Bits::default();
                int_bits(&mut seg, v, nbits);
                if spec.little {
                    if nbits % 8 != 0 {
                        return Err(self.err(at, format!("a little-endian integer of {nbits} bits: only whole bytes are read here")));
                    }
                    seg.bytes.reverse();
                }
                out.append(&seg, nbits);
                Ok(())
            }
            SegType::Float => {
                let unit = spec.unit.unwrap_or(1);
                let bits = spec.size.unwrap_or(64).saturating_mul(unit);
                let text = f.unwrap_or_else(|| v.to_string());
                let mut bytes = match bits {
                    64 => text
                        .parse::<f64>()
                        .map_err(|_| self.err(at, "not a float"))?
                        .to_be_bytes()
                        .to_vec(),
                    32 => text
                        .parse::<f32>()
                        .map_err(|_| self.err(at, "not a float"))?
                        .to_be_bytes()
                        .to_vec(),
                    other => {
                        return Err(self.err(
                            at,
                            format!("a float of {other} bits: only 32 and 64 are read here"),
                        ))
                    }
                };
                if spec.little {
                    bytes.reverse();
                }
                for b in bytes {
                    out.byte(b);
                }
                Ok(())
            }
            SegType::Utf8 | SegType::Utf16 | SegType::Utf32 => {
                if spec.size.is_some() {
                    return Err(self.err(at, "a utf segment takes no size"));
                }
                let cp = u32::try_from(v)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.err(at, format!("{v} is not a Unicode code point")))?;
                let bytes: Vec<u8> = match ty {
                    SegType::Utf8 => cp.to_string().into_bytes(),
                    SegType::Utf16 => {
                        let mut buf = [0u16; 2];
                        cp.encode_utf16(&mut buf)
                            .iter()
                            .flat_map(|u| {
                                if spec.little {
                                    u.to_le_bytes()
                                } else {
                                    u.to_be_bytes()
                                }
                            })
                            .collect()
                    }
                    _ => {
                        let u = u32::from(cp);
                        if spec.little {
                            u.to_le_bytes().to_vec()
                        } else {
                            u.to_be_bytes().to_vec()
                        }
                    }
                };
                if bytes.len() * 8 > out.room() {
                    return Err(self.err(
                        at,
                        format!("the binary would be over {MAX_LITERAL_BYTES} bytes"),
                    ));
                }
                for b in bytes {
                    out.byte(b);
                }
                Ok(())
            }
            SegType::Binary | SegType::Bits => Err(self.err(
                at,
                "an integer cannot be a binary segment (write it without /binary, or as a string)",
            )),
        }
    }
}

/// Writes the low `n` bits of `v` (two's complement, sign-extended past
/// 128 bits), most significant first.
fn int_bits(out: &mut Bits, v: i128, n: usize) {
    let u = u128::from_ne_bytes(v.to_ne_bytes());
    if n == 8 {
        out.byte(u.to_be_bytes().last().copied().unwrap_or(0));
        return;
    }
    let fill = n.saturating_sub(128);
    let sign = v < 0;
    // Sign fill, a byte at a time where aligned.
    let mut left = fill;
    while left > 0 {
        if left >= 8 && out.n % 8 == 0 {
            out.byte(if sign { 0xff } else { 0 });
            left -= 8;
        } else {
            out.bit(sign);
            left -= 1;
        }
    }
    for i in (0..n.min(128)).rev() {
        out.bit((u >> i) & 1 == 1);
    }
}

/// Erlang or Elixir, from the text's syntax.
fn binary_flavour(text: &str) -> Format {
    let elixir = text.contains("::")
        || text.contains("size(")
        || text.contains("?")
        || text.contains("0x")
        || text.contains("0b")
        || text.contains("0o");
    let erlang =
        text.contains('$') || text.contains('#') || text.contains('/') || erlang_sized(text);
    if elixir && !erlang {
        return Format::ElixirBinary;
    }
    if erlang {
        return Format::ErlangBinary;
    }
    // No segment syntax: IEx prints `<<1, 2>>`, Erlang `<<1,2>>`.
    if text.contains(", ") {
        Format::ElixirBinary
    } else {
        Format::ErlangBinary
    }
}

/// A single `:` after a value (Erlang's `Value:Size`).
fn erlang_sized(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b':'
            && b.get(i + 1) != Some(&b':')
            && i.checked_sub(1).and_then(|j| b.get(j)) != Some(&b':')
    })
}

/// Reads an Erlang or Elixir binary (one, or several laid end to end).
pub fn parse_binary(text: &str, format: Format) -> Result<TextBytes, InputError> {
    let lines = Lines::new(text);
    let mut p = BinParser {
        c: Cur::new(text, 0),
        lines: &lines,
        notes: Notes::default(),
        elixir: format == Format::ElixirBinary,
        truncated: false,
    };
    let mut all = Bits::default();
    let mut count = 0;
    let mut outside_from = 0;
    while let Some(rel) = text.get(p.c.i..).and_then(|r| r.find("<<")) {
        let at = p.c.i + rel;
        outside(&lines, &mut p.notes, text, outside_from, at, count == 0);
        if count == 1 {
            lines.note(
                &mut p.notes,
                at,
                "a second binary: its bytes follow the first's",
            );
        }
        p.c.i = at;
        let b = p.binary(0)?;
        if b.n > all.room() {
            return Err(lines.err(
                at,
                format!("the binaries are over {MAX_LITERAL_BYTES} bytes"),
            ));
        }
        all.append(&b, b.n);
        count += 1;
        outside_from = p.c.i;
        if p.truncated {
            break;
        }
    }
    if count == 0 {
        return Err(lines.err(0, "no `<<` in the text: not an Erlang or Elixir binary"));
    }
    outside(&lines, &mut p.notes, text, outside_from, text.len(), false);
    if all.n % 8 != 0 {
        let extra = all.n % 8;
        let last = all.bytes.pop().unwrap_or(0) >> (8 - extra);
        lines.note(
            &mut p.notes,
            0,
            format!(
                "the binary is a bitstring of {} bits: its last {extra} bits (value {last}) are not a whole byte and are not decoded",
                all.n
            ),
        );
    }
    Ok(TextBytes {
        bytes: all.bytes,
        notes: p.notes.finish(),
        missing: None,
    })
}

/// Notes text outside the literal that is not a prompt or a declaration.
fn outside(lines: &Lines<'_>, notes: &mut Notes, text: &str, a: usize, b: usize, before: bool) {
    let piece = text.get(a..b).unwrap_or("");
    if piece.trim().is_empty() {
        return;
    }
    if wrapper_only(piece) {
        return;
    }
    let lead = piece.len() - piece.trim_start().len();
    lines.note(
        notes,
        a + lead,
        format!(
            "`{}` {} the bytes: not part of them, ignored",
            quote(text, a, b),
            if before { "before" } else { "after" }
        ),
    );
}

/// Words that wrap a literal in source code or a REPL.
const WRAPPER_WORDS: &[&str] = &[
    "new",
    "Uint8Array",
    "Int8Array",
    "Uint8ClampedArray",
    "Array",
    "from",
    "of",
    "Buffer",
    "bytes",
    "bytearray",
    "fromhex",
    "const",
    "let",
    "var",
    "mut",
    "static",
    "pub",
    "unsigned",
    "signed",
    "char",
    "uint8_t",
    "int8_t",
    "u8",
    "i8",
    "byte",
    "uint8",
    "int8",
    "vec",
    "u_char",
    "BYTE",
    "std",
    "array",
    "data",
    "type",
    "final",
    "private",
    "public",
    "val",
    "auto",
    "constexpr",
    "print",
    "console",
    "log",
    "list",
    "tuple",
    "Vec",
    "usize",
    "iex",
    "ok",
    "true",
    "false",
    "hex",
    "base64",
    "binary",
    "to_vec",
    "into",
    "PROGMEM",
    "volatile",
    "int",
    "short",
    "uint",
    "go",
    "func",
    "package",
    "main",
    "Python",
    "Node",
    "Erlang",
    "Eshell",
    "In",
    "Out",
    "res",
    "b",
    "x",
    "bin",
    "Bin",
    "buf",
    "buffer",
    "msg",
    "packet",
    "req",
];

/// True when a piece of text around a literal is only wrapper code: known
/// words, declared names (`NAME =`, `NAME :=`, `NAME:`, `NAME[`),
/// punctuation, numbers and `'Buffer'`-style strings, shell prompts.
fn wrapper_only(piece: &str) -> bool {
    let b = piece.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while b
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                i += 1;
            }
            let w = piece.get(s..i).unwrap_or("");
            let mut j = i;
            while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
                j += 1;
            }
            let declared = matches!(b.get(j), Some(b'=' | b':' | b'['));
            if !WRAPPER_WORDS.contains(&w) && !declared {
                return false;
            }
        } else if piece
            .get(i..)
            .is_some_and(|r| r.starts_with("//") || r.starts_with('#') || r.starts_with('%'))
        {
            // A comment (counted where the list is read): to the end of the line.
            while b.get(i).is_some_and(|c| *c != b'\n') {
                i += 1;
            }
        } else if piece.get(i..).is_some_and(|r| r.starts_with("/*")) {
            i += 2;
            while i < b.len() && !piece.get(i..).is_some_and(|r| r.starts_with("*/")) {
                i += 1;
            }
            i += 2;
        } else if c == b'\'' || c == b'"' {
            i += 1;
            while b.get(i).is_some_and(|x| *x != c && *x != b'\n') {
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_digit() || c.is_ascii_whitespace() || c.is_ascii_punctuation() {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------- arrays

struct ListOut {
    bytes: Vec<u8>,
    negative: usize,
    octal: Option<usize>,
    cut: Option<(usize, Option<usize>)>,
}

/// Reads one element: `0x12`, `18`, `-1`, `'a'`, `b'a'`, `(byte) 0x80`,
/// `0x12u8`, `18U`. `Ok(None)`: no element here.
fn element(
    c: &mut Cur<'_>,
    lines: &Lines<'_>,
    zero: Zero,
    notes: &mut Notes,
) -> Result<Option<(i128, bool, usize)>, InputError> {
    let start = c.i;
    // A cast: `(byte)`, `(uint8_t)`, `(unsigned char)`.
    if c.peek() == Some(b'(') {
        let save = c.i;
        c.i += 1;
        c.ws();
        let mut any = false;
        while let Some(_w) = c.ident() {
            any = true;
            c.ws();
        }
        if any && c.eat(")") {
            c.ws();
        } else {
            c.i = save;
        }
    }
    let at = c.i;
    if c.starts("b'") || c.peek() == Some(b'\'') {
        if c.peek() == Some(b'b') {
            c.i += 1;
        }
        let s = string(c, lines, Dialect::C, notes, false)?;
        return match s.as_slice() {
            [v] => Ok(Some((i128::from(*v), false, at))),
            _ => Err(lines.err(at, "a character literal holds one character")),
        };
    }
    let Some((n, octal)) = number(c, lines, zero)? else {
        c.i = start;
        return Ok(None);
    };
    let Num::Int(v) = n else {
        return Err(lines.err(at, "a float is not a byte value"));
    };
    // Type suffixes: C `u`, `U`, `l`, `L`; Rust `u8`, `_u8`, `i8`, ...; JS `n`.
    let suf_at = c.i;
    let suffix = {
        c.eat("_");
        c.ident().unwrap_or("")
    };
    let ok = matches!(
        suffix,
        "" | "u"
            | "U"
            | "l"
            | "L"
            | "ul"
            | "UL"
            | "uL"
            | "Ul"
            | "ll"
            | "LL"
            | "ull"
            | "ULL"
            | "n"
            | "u8"
            | "i8"
            | "u16"
            | "i16"
            | "u32"
            | "i32"
            | "u64"
            | "i64"
            | "usize"
            | "isize"
    );
    if !ok {
        return Err(lines.err(
            suf_at,
            format!("`{suffix}` after a number is not a type suffix"),
        ));
    }
    Ok(Some((v, octal, at)))
}

/// Reads the list at `open` (a `[`, `{` or `(`). `Ok(None)`: not a list of
/// bytes (its first element is not a number), so not the data.
fn list(
    c: &mut Cur<'_>,
    lines: &Lines<'_>,
    zero: Zero,
    notes: &mut Notes,
    comments: &mut Vec<usize>,
) -> Result<Option<ListOut>, InputError> {
    let open = c.i;
    let close = match c.peek() {
        Some(b'[') => b']',
        Some(b'{') => b'}',
        Some(b'(') => b')',
        _ => return Ok(None),
    };
    c.i += 1;
    let mut out = ListOut {
        bytes: Vec::new(),
        negative: 0,
        octal: None,
        cut: None,
    };
    let hash = false;
    loop {
        c.ws_comments(hash, comments);
        if c.peek() == Some(close) {
            c.i += 1;
            break;
        }
        if c.starts("...") {
            // node: `... 12 more items`; a hand-written ellipsis.
            let at = c.i;
            c.i += 3;
            c.ws();
            let save = c.i;
            let more = match number(c, lines, Zero::Decimal) {
                Ok(Some((Num::Int(n), _))) => {
                    c.ws();
                    if c.eat("more") {
                        c.ws();
                        let _ = c.ident();
                        usize::try_from(n).ok()
                    } else {
                        c.i = save;
                        None
                    }
                }
                _ => {
                    c.i = save;
                    None
                }
            };
            out.cut = Some((at, more));
            c.ws_comments(hash, comments);
            if c.peek() == Some(close) {
                c.i += 1;
                break;
            }
            return Err(lines.err(c.i, format!("expected `{}` after `...`", char::from(close))));
        }
        let Some((v, octal, at)) = element(c, lines, zero, notes)? else {
            if out.bytes.is_empty() {
                c.i = open;
                return Ok(None);
            }
            return Err(lines.err(
                c.i,
                match c.char_here() {
                    Some(ch) => format!("{ch:?} is not a byte value"),
                    None => format!("the list is not closed with `{}`", char::from(close)),
                },
            ));
        };
        let b = match v {
            0..=255 => u8::try_from(v).unwrap_or(0),
            -128..=-1 => {
                out.negative += 1;
                u8::try_from(v + 256).unwrap_or(0)
            }
            _ => {
                return Err(lines.err(
                    at,
                    format!("{v} is not a byte value (0..255, or -128..-1 for signed bytes)"),
                ))
            }
        };
        if octal && out.octal.is_none() {
            out.octal = Some(at);
        }
        c.ws_comments(hash, comments);
        if close == b']' && c.peek() == Some(b';') {
            // Rust's `[v; n]`.
            c.i += 1;
            c.ws();
            let nat = c.i;
            let n = match number(c, lines, Zero::Decimal)? {
                Some((Num::Int(n), _)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(lines.err(nat, "expected the repeat count after `;`")),
            };
            let _ = c.eat("_");
            let _ = c.ident();
            if !out.bytes.is_empty() {
                return Err(lines.err(
                    nat,
                    "`[value; count]` repeats one value: there are values before it",
                ));
            }
            if n > MAX_EXPANSION {
                return Err(lines.err(
                    nat,
                    format!("{n} repeats: over the {MAX_EXPANSION} bytes a repeat may be"),
                ));
            }
            out.bytes.resize(n, b);
            c.ws_comments(hash, comments);
            if !c.eat("]") {
                return Err(lines.err(c.i, "expected `]` after the repeat count"));
            }
            return Ok(Some(out));
        }
        out.bytes.push(b);
        if out.bytes.len() > MAX_LITERAL_BYTES {
            return Err(lines.err(at, format!("the list is over {MAX_LITERAL_BYTES} bytes")));
        }
        c.ws_comments(hash, comments);
        if c.eat(",") {
            continue;
        }
        if c.peek() == Some(close) {
            c.i += 1;
            break;
        }
        if c.peek().is_some_and(|x| x.is_ascii_digit()) && close != b')' {
            // Elements separated by spaces only (`[1 2 3]`): a comma is missing.
            return Err(lines.err(c.i, "expected `,` between the values"));
        }
        return Err(lines.err(
            c.i,
            match c.char_here() {
                Some(ch) => format!("expected `,` or `{}`, found {ch:?}", char::from(close)),
                None => format!("the list is not closed with `{}`", char::from(close)),
            },
        ));
    }
    if out.bytes.is_empty() && out.cut.is_none() {
        // `[]` (`buf[] = {...}`, `[]byte{...}`): not the bytes.
        c.i = open;
        return Ok(None);
    }
    if close == b')' && out.bytes.len() < 2 {
        // `(16)`: a length or a call argument, not the bytes.
        c.i = open;
        return Ok(None);
    }
    Ok(Some(out))
}

/// Reads a byte array in any of the supported syntaxes; `format` chooses
/// how leading zeros read (C and Go: octal) and which special forms to try.
pub fn parse_array(text: &str, format: Format) -> Result<TextBytes, InputError> {
    let lines = Lines::new(text);
    let mut notes = Notes::default();
    // Special forms first.
    if format == Format::NodeBuffer && text.contains("<Buffer") {
        return node_printout(text, &lines);
    }
    if let Some(r) = string_forms(text, &lines, format)? {
        return Ok(r);
    }
    let zero = match format {
        Format::CArray | Format::GoSlice => Zero::Octal,
        _ => Zero::Decimal,
    };
    let hash = format == Format::PythonBytes;
    let mut c = Cur::new(text, 0);
    let mut comments = Vec::new();
    let mut bytes = Vec::new();
    let mut found = 0usize;
    let mut outside_from = 0usize;
    let mut declared: Option<(usize, usize)> = None;
    let mut missing = None;
    while c.i < c.b.len() {
        c.ws_comments(hash, &mut comments);
        let Some(ch) = c.peek() else { break };
        if matches!(ch, b'[' | b'{' | b'(') {
            let at = c.i;
            // `buf[16] = {...}`, `[4]byte{...}`: one number in brackets
            // followed by the rest of a declaration is its length.
            if ch == b'[' && found == 0 {
                if let Some((n, end)) = declared_length(text, &lines, at) {
                    declared = Some((at + 1, n));
                    c.i = end;
                    continue;
                }
            }
            match list(&mut c, &lines, zero, &mut notes, &mut comments)? {
                Some(l) => {
                    outside(&lines, &mut notes, text, outside_from, at, found == 0);
                    if found == 1 {
                        lines.note(
                            &mut notes,
                            at,
                            "a second list: its bytes follow the first's",
                        );
                    }
                    if let (Some((dat, n)), 0) = (declared, found) {
                        if n != l.bytes.len() && l.cut.is_none() {
                            lines.note(
                                &mut notes,
                                dat,
                                format!(
                                    "the declared length {n} is not the {} values given",
                                    l.bytes.len()
                                ),
                            );
                        }
                    }
                    if l.negative > 0 {
                        lines.note(
                            &mut notes,
                            at,
                            format!("{} negative values (signed bytes, as Java and Go's int8 write them) taken as two's complement: -1 is 0xff", l.negative),
                        );
                    }
                    if let Some(o) = l.octal {
                        lines.note(
                            &mut notes,
                            o,
                            "a number with a leading 0 is octal in C and Go: read as octal (010 = 8)",
                        );
                    }
                    if let Some((cat, more)) = l.cut {
                        match more {
                            Some(n) => {
                                missing = Some(n);
                                lines.note(&mut notes, cat, format!("the printout stops here: {n} more values are not in the text; decoded as far as it goes"));
                            }
                            None => lines.note(
                                &mut notes,
                                cat,
                                "`...`: the list is cut short here; the rest is not in the text",
                            ),
                        }
                    }
                    if bytes.len() + l.bytes.len() > MAX_LITERAL_BYTES {
                        return Err(
                            lines.err(at, format!("the lists are over {MAX_LITERAL_BYTES} bytes"))
                        );
                    }
                    bytes.extend_from_slice(&l.bytes);
                    found += 1;
                    outside_from = c.i;
                    continue;
                }
                None => {
                    // `(16)` / `[16]` before the data: a declared length.
                    if found == 0 {
                        let mut d = Cur::new(text, at + 1);
                        d.ws();
                        if let Ok(Some((Num::Int(n), _))) = number(&mut d, &lines, Zero::Decimal) {
                            d.ws();
                            if matches!(d.peek(), Some(b')' | b']')) {
                                declared = usize::try_from(n).ok().map(|n| (d.i, n));
                            }
                        }
                    }
                    c.i = at + 1;
                    continue;
                }
            }
        }
        if matches!(ch, b'\'' | b'"') {
            // A string outside the list (`'Buffer'`): skip it whole.
            let q = ch;
            c.i += 1;
            while c.peek().is_some_and(|x| x != q && x != b'\n') {
                c.i += 1;
            }
            c.i += 1;
            continue;
        }
        if c.ident().is_none() {
            c.i += c.char_here().map_or(1, char::len_utf8);
        }
    }
    if found == 0 {
        return Err(lines.err(
            0,
            format!(
                "no list of byte values in the text (expected {})",
                Format::description(format)
            ),
        ));
    }
    outside(&lines, &mut notes, text, outside_from, text.len(), false);
    if let Some(&first) = comments.first() {
        lines.note(
            &mut notes,
            first,
            format!("{} comments: ignored", comments.len()),
        );
    }
    let mut notes = notes.finish();
    notes.sort_by_key(|n| (n.line, n.column));
    Ok(TextBytes {
        bytes,
        notes,
        missing,
    })
}

/// `[16]` followed by `=`, `{`, `(`, `:` or a word (a declaration's
/// length, not the data): the number and where the `]` ends.
fn declared_length(text: &str, lines: &Lines<'_>, open: usize) -> Option<(usize, usize)> {
    let mut d = Cur::new(text, open + 1);
    d.ws();
    let (Num::Int(n), _) = number(&mut d, lines, Zero::Decimal).ok()?? else {
        return None;
    };
    d.ws();
    if !d.eat("]") {
        return None;
    }
    let end = d.i;
    d.ws();
    let next = d.peek()?;
    if matches!(next, b'=' | b'{' | b'(' | b':') || next.is_ascii_alphabetic() {
        Some((usize::try_from(n).ok()?, end))
    } else {
        None
    }
}

/// `b'...'`, `b"..."` (Python, Rust), `bytes.fromhex('...')`,
/// `Buffer.from('...', 'hex' | 'base64')`. `Ok(None)`: none of these.
fn string_forms(
    text: &str,
    lines: &Lines<'_>,
    format: Format,
) -> Result<Option<TextBytes>, InputError> {
    let mut notes = Notes::default();
    if let Some(i) = text.find("fromhex(") {
        let mut c = Cur::new(text, i + 8);
        c.ws();
        if matches!(c.peek(), Some(b'\'' | b'"')) {
            let at = c.i;
            let s = string(&mut c, lines, Dialect::Python, &mut notes, false)?;
            let s: String = s.iter().filter_map(|&c| char::from_u32(c)).collect();
            let bytes = hex_string(&s).map_err(|m| lines.err(at, m))?;
            outside(lines, &mut notes, text, 0, i, true);
            outside(lines, &mut notes, text, c.i, text.len(), false);
            return Ok(Some(TextBytes {
                bytes,
                notes: notes.finish(),
                missing: None,
            }));
        }
    }
    if let Some(i) = text.find("Buffer.from(") {
        let mut c = Cur::new(text, i + 12);
        c.ws();
        if matches!(c.peek(), Some(b'\'' | b'"' | b'`')) {
            let at = c.i;
            let s = string(&mut c, lines, Dialect::Js, &mut notes, false)?;
            let s: String = s.iter().filter_map(|&c| char::from_u32(c)).collect();
            c.ws();
            let enc = if c.eat(",") {
                c.ws();
                let e = string(&mut c, lines, Dialect::Js, &mut notes, false)?;
                e.iter()
                    .filter_map(|&c| char::from_u32(c))
                    .collect::<String>()
            } else {
                "utf8".to_string()
            };
            let bytes = match enc.as_str() {
                "hex" => hex_string(&s).map_err(|m| lines.err(at, m))?,
                "base64" | "base64url" => {
                    base64_decode(&s).map_err(|(k, m)| lines.err(at + 1 + k, m))?
                }
                "utf8" | "utf-8" => s.into_bytes(),
                "latin1" | "binary" | "ascii" => s
                    .chars()
                    .map(|ch| u8::try_from(u32::from(ch) & 0xff).unwrap_or(0))
                    .collect(),
                other => {
                    return Err(lines.err(
                        at,
                        format!("encoding {other:?}: only hex, base64, utf8 and latin1 are read"),
                    ))
                }
            };
            outside(lines, &mut notes, text, 0, i, true);
            outside(lines, &mut notes, text, c.i, text.len(), false);
            return Ok(Some(TextBytes {
                bytes,
                notes: notes.finish(),
                missing: None,
            }));
        }
    }
    if matches!(format, Format::PythonBytes | Format::RustArray) {
        if let Some(start) = find_byte_literal(text) {
            let dialect = if format == Format::RustArray {
                Dialect::Rust
            } else {
                Dialect::Python
            };
            let mut c = Cur::new(text, start);
            let mut bytes = Vec::new();
            outside(lines, &mut notes, text, 0, start, true);
            loop {
                let at = c.i;
                let mut raw = false;
                while let Some(p) = c.peek().filter(|p| matches!(p, b'b' | b'B' | b'r' | b'R')) {
                    raw |= matches!(p, b'r' | b'R');
                    c.i += 1;
                }
                if !matches!(c.peek(), Some(b'\'' | b'"')) {
                    c.i = at;
                    break;
                }
                for v in string(&mut c, lines, dialect, &mut notes, raw)? {
                    match u8::try_from(v) {
                        Ok(b) => bytes.push(b),
                        Err(_) => {
                            return Err(lines.err(at, format!("character U+{v:04X} in a bytes literal: only ASCII characters and escapes are allowed")))
                        }
                    }
                }
                // Adjacent literals join (`b'ab' b'cd'`, also across lines
                // inside parentheses); `+` too.
                let save = c.i;
                c.ws();
                if c.eat("+") {
                    c.ws();
                }
                if !starts_byte_literal(text.get(c.i..).unwrap_or("").as_bytes()) {
                    c.i = save;
                    break;
                }
            }
            outside(lines, &mut notes, text, c.i, text.len(), false);
            return Ok(Some(TextBytes {
                bytes,
                notes: notes.finish(),
                missing: None,
            }));
        }
    }
    Ok(None)
}

/// True when `rest` starts with `b'`, `b"`, `rb'`, `br"` (any case).
fn starts_byte_literal(rest: &[u8]) -> bool {
    matches!(
        rest,
        [b'b' | b'B', b'\'' | b'"', ..]
            | [b'r' | b'R', b'b' | b'B', b'\'' | b'"', ..]
            | [b'b' | b'B', b'r' | b'R', b'\'' | b'"', ..]
    )
}

/// Where a `b'`/`b"`/`rb'`/`br"` literal starts (not inside a word).
fn find_byte_literal(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len()).find(|&i| {
        let prev_ok = i == 0
            || !b
                .get(i - 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if !prev_ok {
            return false;
        }
        starts_byte_literal(b.get(i..).unwrap_or(&[]))
    })
}

fn hex_string(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if let Some(bad) = digits.iter().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("{:?} is not a hex digit", char::from(*bad)));
    }
    if digits.len() % 2 == 1 {
        return Err("an odd number of hex digits".into());
    }
    Ok(digits
        .chunks_exact(2)
        .map(|p| match p {
            [h, l] => {
                (crate::hex::digit_value(*h).unwrap_or(0) << 4)
                    | crate::hex::digit_value(*l).unwrap_or(0)
            }
            _ => 0,
        })
        .collect())
}

/// `<Buffer 00 0e 78 ... 12 more bytes>`, one or several.
fn node_printout(text: &str, lines: &Lines<'_>) -> Result<TextBytes, InputError> {
    let mut notes = Notes::default();
    let mut bytes = Vec::new();
    let mut missing = None;
    let mut from = 0usize;
    let mut count = 0;
    while let Some(rel) = text.get(from..).and_then(|r| r.find("<Buffer")) {
        let at = from + rel;
        outside(lines, &mut notes, text, from, at, count == 0);
        if count == 1 {
            lines.note(
                &mut notes,
                at,
                "a second Buffer: its bytes follow the first's",
            );
        }
        let mut c = Cur::new(text, at + 7);
        loop {
            c.ws();
            match c.peek() {
                Some(b'>') => {
                    c.i += 1;
                    break;
                }
                Some(b'.') if c.starts("...") => {
                    let dots = c.i;
                    c.i += 3;
                    c.ws();
                    let n = match number(&mut c, lines, Zero::Decimal)? {
                        Some((Num::Int(n), _)) => usize::try_from(n).unwrap_or(0),
                        _ => return Err(lines.err(c.i, "expected `N more bytes` after `...`")),
                    };
                    c.ws();
                    if !c.eat("more") {
                        return Err(lines.err(c.i, "expected `more bytes` after `... N`"));
                    }
                    c.ws();
                    let _ = c.ident();
                    c.ws();
                    if !c.eat(">") {
                        return Err(lines.err(c.i, "expected `>` after `more bytes`"));
                    }
                    missing = Some(missing.unwrap_or(0) + n);
                    lines.note(
                        &mut notes,
                        dots,
                        format!("node printed only the first {} bytes of this Buffer: {n} more bytes are not in the text (log buf.toString('hex') for all of them); decoded as far as it goes", bytes.len()),
                    );
                    break;
                }
                Some(h) if h.is_ascii_hexdigit() => {
                    let pos = c.i;
                    match (c.peek(), c.peek_at(1), c.peek_at(2)) {
                        (Some(h), Some(l), None | Some(b' ' | b'>' | b'\n' | b'\r' | b'\t'))
                            if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() =>
                        {
                            bytes.push(
                                (crate::hex::digit_value(h).unwrap_or(0) << 4)
                                    | crate::hex::digit_value(l).unwrap_or(0),
                            );
                            c.i += 2;
                        }
                        _ => return Err(lines.err(pos, "expected two hex digits")),
                    }
                    if bytes.len() > MAX_LITERAL_BYTES {
                        return Err(lines.err(pos, format!("over {MAX_LITERAL_BYTES} bytes")));
                    }
                }
                Some(_) => {
                    return Err(lines.err(
                        c.i,
                        format!(
                            "{:?} in a <Buffer ...> printout",
                            c.char_here().unwrap_or(' ')
                        ),
                    ))
                }
                None => return Err(lines.err(at, "the <Buffer printout is not closed with `>`")),
            }
        }
        count += 1;
        from = c.i;
    }
    if count == 0 {
        return Err(lines.err(0, "no `<Buffer` in the text"));
    }
    outside(lines, &mut notes, text, from, text.len(), false);
    Ok(TextBytes {
        bytes,
        notes: notes.finish(),
        missing,
    })
}

// ---------------------------------------------------------------- base64

fn b64_value(c: u8, url: bool) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' if !url => Some(62),
        b'/' if !url => Some(63),
        b'-' if url => Some(62),
        b'_' if url => Some(63),
        _ => None,
    }
}

/// Decodes base64 (whitespace ignored, padding optional). `Err((index of
/// the bad character in `s`, message))`.
fn base64_decode(s: &str) -> Result<Vec<u8>, (usize, String)> {
    let url = s.contains(['-', '_']);
    if url && s.contains(['+', '/']) {
        let i = s.find(['+', '/']).unwrap_or(0);
        return Err((
            i,
            "mixes the standard (+/) and URL-safe (-_) base64 alphabets".into(),
        ));
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut n = 0u32;
    let mut pad = 0usize;
    let mut count = 0usize;
    for (i, c) in s.bytes().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return Err((i, "base64 data after the `=` padding".into()));
        }
        let Some(v) = b64_value(c, url) else {
            return Err((i, format!("{:?} is not a base64 character", char::from(c))));
        };
        count += 1;
        acc = (acc << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((acc >> n) & 0xff).unwrap_or(0));
        }
    }
    if count % 4 == 1 {
        return Err((s.len(), "the base64 text has one character too many or too few (its length is 1 more than a multiple of 4)".into()));
    }
    if pad > 2 || (pad > 0 && (count + pad) % 4 != 0) {
        return Err((
            s.len(),
            format!("{pad} `=` do not pad {count} characters to a multiple of 4"),
        ));
    }
    Ok(out)
}

/// Reads base64 text (standard or URL-safe, wrapped or not; a `data:...;
/// base64,` prefix is skipped with a note).
pub fn parse_base64(text: &str) -> Result<TextBytes, InputError> {
    let lines = Lines::new(text);
    let mut notes = Notes::default();
    let mut from = 0;
    if let Some(i) = text.find(";base64,") {
        from = i + 8;
        lines.note(
            &mut notes,
            0,
            format!("`{}`: a data URI header, skipped", quote(text, 0, from)),
        );
    }
    let body = text.get(from..).unwrap_or("");
    let bytes = base64_decode(body).map_err(|(i, m)| lines.err(from + i, m))?;
    if body.contains(['-', '_']) {
        lines.note(&mut notes, from, "the URL-safe base64 alphabet (- and _)");
    }
    Ok(TextBytes {
        bytes,
        notes: notes.finish(),
        missing: None,
    })
}

/// True for text that is base64 and not hex: only base64 characters (and
/// whitespace), at least 4 of them, padded to a multiple of 4 (or
/// URL-safe), with at least two of upper case, lower case and digits, and
/// not all hex digits.
pub fn looks_like_base64(text: &str) -> bool {
    // base64 tools print unbroken lines of one width (the last shorter):
    // spaces inside a line (`00 01 6e zz`) mean something else.
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.iter().any(|l| l.contains([' ', '\t'])) {
        return false;
    }
    if let Some((_, body)) = lines.split_last() {
        let w = body.first().map_or(0, |l| l.len());
        if body.iter().any(|l| l.len() != w) {
            return false;
        }
    }
    let s: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if s.len() < 4 {
        return false;
    }
    if s.iter().all(u8::is_ascii_hexdigit) || super::parse_hex(text).is_ok() {
        // Hex wins: `00-01-6e` is hex with dashes, not URL-safe base64.
        return false;
    }
    let body: Vec<u8> = s.iter().copied().take_while(|c| *c != b'=').collect();
    let pad = s.len() - body.len();
    if pad > 2
        || s.get(body.len()..)
            .is_some_and(|p| p.iter().any(|c| *c != b'='))
    {
        return false;
    }
    let url = body.iter().any(|c| matches!(c, b'-' | b'_'));
    let std = body.iter().any(|c| matches!(c, b'+' | b'/'));
    if url && std {
        return false;
    }
    if !body.iter().all(|&c| b64_value(c, url).is_some()) {
        return false;
    }
    let whole = s.len() % 4 == 0;
    if !(whole || (url && body.len() % 4 != 1)) {
        return false;
    }
    let classes = [
        body.iter().any(u8::is_ascii_uppercase),
        body.iter().any(u8::is_ascii_lowercase),
        body.iter().any(u8::is_ascii_digit),
        pad > 0 || url || std,
    ];
    classes.iter().filter(|c| **c).count() >= 2
}

// ---------------------------------------------------------------- detection

/// The literal format of a text, from its brackets and keywords.
pub fn detect(text: &str) -> Option<Format> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.contains("<Buffer ") || t.contains("<Buffer>") {
        return Some(Format::NodeBuffer);
    }
    if let Some(i) = t.find("<<") {
        if t.get(i..).is_some_and(|r| r.contains(">>")) {
            return Some(binary_flavour(t));
        }
    }
    if t.contains("Buffer.from(")
        || t.contains("type: 'Buffer'")
        || t.contains("\"type\":\"Buffer\"")
        || t.contains("\"type\": \"Buffer\"")
    {
        return Some(Format::NodeBuffer);
    }
    if t.contains("byte{") || t.contains("uint8{") {
        return Some(Format::GoSlice);
    }
    let rusty = t.contains("vec![")
        || t.contains("u8")
        || t.contains("&[")
        || t.contains("let ")
        || (t.contains(';') && t.contains('[') && !t.contains('{'));
    if find_byte_literal(t).is_some() {
        return Some(if rusty && !t.contains("bytes(") {
            Format::RustArray
        } else {
            Format::PythonBytes
        });
    }
    if t.contains("bytes(") || t.contains("bytearray(") || t.contains("fromhex(") {
        return Some(Format::PythonBytes);
    }
    let has_digit = t.bytes().any(|c| c.is_ascii_digit());
    if !has_digit {
        return None;
    }
    if rusty && t.contains('[') {
        return Some(Format::RustArray);
    }
    if t.contains('{') && t.contains('}') {
        return Some(Format::CArray);
    }
    if t.contains('[') && t.contains(']') {
        return Some(Format::JsArray);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(t: &str) -> Vec<u8> {
        parse_binary(t, binary_flavour(t)).unwrap().bytes
    }

    #[test]
    fn erlang_and_elixir_segments() {
        assert_eq!(bin("<<120,37,34>>"), vec![120, 37, 34]);
        assert_eq!(
            bin("<<120, 9506:16, 77, \"node\">>"),
            vec![120, 0x25, 0x22, 77, b'n', b'o', b'd', b'e']
        );
        assert_eq!(
            bin("<<120 :: size(8), 9506 :: size(16)>>"),
            vec![120, 0x25, 0x22]
        );
        assert_eq!(bin("<<0::16>>"), vec![0, 0]);
        assert_eq!(bin("<<1:1, 0:7>>"), vec![0x80]);
        assert_eq!(bin("<<9506:16/little>>"), vec![0x22, 0x25]);
        assert_eq!(bin("<<9506::little-16>>"), vec![0x22, 0x25]);
        assert_eq!(bin("<<1:2/unit:8>>"), vec![0, 1]);
        assert_eq!(bin("<<-1:16>>"), vec![0xff, 0xff]);
        assert_eq!(bin("<<16#ff, $a, ?b>>"), vec![0xff, b'a', b'b']);
        assert_eq!(bin("<<\"é\"/utf8>>"), "é".as_bytes().to_vec());
        assert_eq!(bin("<<<<1,2>>/binary, 3>>"), vec![1, 2, 3]);
        assert_eq!(bin("<<1.5:32/float>>"), 1.5f32.to_be_bytes().to_vec());
        assert_eq!(bin("<<\"ab\", 0>>"), vec![b'a', b'b', 0]);
        assert_eq!(
            bin("<<x::binary>>".replace('x', "\"hi\"").as_str()),
            b"hi".to_vec()
        );
        // Too big for 8 bits: kept low bits, with a note.
        let r = parse_binary("<<9506>>", Format::ErlangBinary).unwrap();
        assert_eq!(r.bytes, vec![0x22]);
        assert!(r.notes[0].message.contains("does not fit"));
        // Cut short.
        let r = parse_binary("<<1, 2, ...>>", Format::ElixirBinary).unwrap();
        assert_eq!(r.bytes, vec![1, 2]);
        assert!(r.notes.iter().any(|n| n.message.contains("cut short")));
        // Errors point at the place.
        let e = parse_binary("<<1,\n  foo>>", Format::ErlangBinary).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert_eq!(binary_flavour("<<0::16>>"), Format::ElixirBinary);
        assert_eq!(binary_flavour("<<0:16>>"), Format::ErlangBinary);
        assert_eq!(binary_flavour("<<0,1,2>>"), Format::ErlangBinary);
        assert_eq!(binary_flavour("<<0, 1, 2>>"), Format::ElixirBinary);
    }

    #[test]
    fn arrays() {
        let a = |t: &str, f| parse_array(t, f).unwrap().bytes;
        assert_eq!(a("[0, 14, 120]", Format::JsArray), vec![0, 14, 120]);
        assert_eq!(
            a("new Uint8Array([0x00, 0x0e])", Format::JsArray),
            vec![0, 14]
        );
        assert_eq!(
            a("Uint8Array(3) [ 0, 14, 120 ]", Format::JsArray),
            vec![0, 14, 120]
        );
        assert_eq!(
            a("bytes([0, 14, 120])", Format::PythonBytes),
            vec![0, 14, 120]
        );
        assert_eq!(
            a("unsigned char x[] = {0x00, 0x0e, 'x'};", Format::CArray),
            vec![0, 14, b'x']
        );
        assert_eq!(
            a("let x: [u8; 3] = [0x00u8, 0x0e, 120];", Format::RustArray),
            vec![0, 14, 120]
        );
        assert_eq!(a("[0u8; 4]", Format::RustArray), vec![0; 4]);
        assert_eq!(a("vec![1, 2]", Format::RustArray), vec![1, 2]);
        assert_eq!(
            a("[]byte{0x00, 0x0e, 0x78}", Format::GoSlice),
            vec![0, 14, 0x78]
        );
        assert_eq!(
            a("new byte[]{(byte) 0x80, -1}", Format::CArray),
            vec![0x80, 0xff]
        );
        assert_eq!(
            a("{ type: 'Buffer', data: [ 0, 14 ] }", Format::NodeBuffer),
            vec![0, 14]
        );
        assert_eq!(a("Buffer.from([0, 14])", Format::NodeBuffer), vec![0, 14]);
        assert_eq!(
            a("Buffer.from('000e78', 'hex')", Format::NodeBuffer),
            vec![0, 14, 0x78]
        );
        assert_eq!(
            a("bytes.fromhex('00 0e 78')", Format::PythonBytes),
            vec![0, 14, 0x78]
        );
        assert_eq!(
            a(r"b'\x00\x0ex\\\'\n\101'", Format::PythonBytes),
            vec![0, 14, b'x', b'\\', b'\'', b'\n', b'A']
        );
        assert_eq!(a(r#"b"\x00ab""#, Format::RustArray), vec![0, b'a', b'b']);
        assert_eq!(a("{010}", Format::CArray), vec![8]);
        let e = parse_array("[1, 300]", Format::JsArray).unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
        let r = parse_array("<Buffer 00 01 ... 12 more bytes>", Format::NodeBuffer).unwrap();
        assert_eq!(r.bytes, vec![0, 1]);
        assert_eq!(r.missing, Some(12));
        let r = parse_array("x = [1, 2] // hi", Format::JsArray).unwrap();
        assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
        let r = parse_array("please decode [1, 2]", Format::JsArray).unwrap();
        assert!(r.notes[0].message.contains("ignored"));
    }

    #[test]
    fn base64_both_alphabets() {
        assert_eq!(parse_base64("AAFu").unwrap().bytes, vec![0, 1, 0x6e]);
        assert_eq!(
            parse_base64("AAF-_w").unwrap().bytes,
            vec![0, 1, 0x7e, 0xff]
        );
        assert_eq!(
            parse_base64("AAF+/w==").unwrap().bytes,
            vec![0, 1, 0x7e, 0xff]
        );
        assert!(looks_like_base64("AAFu"));
        assert!(!looks_like_base64("00016e00"));
        assert!(!looks_like_base64("1209506770554node0"));
        assert!(!looks_like_base64("node"));
        assert!(parse_base64("AAFuA").is_err());
    }

    #[test]
    fn detection() {
        assert_eq!(detect("<Buffer 00 01>"), Some(Format::NodeBuffer));
        assert_eq!(detect("<<1,2>>"), Some(Format::ErlangBinary));
        assert_eq!(detect("[]byte{1}"), Some(Format::GoSlice));
        assert_eq!(detect("b'\\x00'"), Some(Format::PythonBytes));
        assert_eq!(detect("{0x00, 0x01}"), Some(Format::CArray));
        assert_eq!(detect("[0x00u8, 1]"), Some(Format::RustArray));
        assert_eq!(detect("[0, 1]"), Some(Format::JsArray));
        assert_eq!(detect("00 01 6e"), None);
    }

    #[test]
    fn no_panic_on_fragments() {
        for t in [
            "<<",
            "<<1:",
            "<<1::",
            "<<\"",
            "<<$",
            "[",
            "[1;",
            "{(",
            "b'",
            "b'\\",
            "<Buffer",
            "<Buffer 0",
            "<<1/",
            "[0u8; 99999999999]",
            "<<1:99999999999999>>",
            "Buffer.from('",
            "<<16#>>",
            "<<-",
            "'",
            "(b'a')",
        ] {
            for f in Format::ALL {
                let _ = parse_array(t, f);
                let _ = parse_binary(t, f);
            }
            let _ = parse_base64(t);
            let _ = detect(t);
        }
    }
}
