//! Erlang term syntax both ways: [`to_erlang`] prints a [`Term`] as Erlang
//! source text, [`parse`] reads the text `~w` / `~p` print back into the
//! [`Term`] OTP's `term_to_binary(T, [{minor_version, 2}])` would write.
//!
//! Printing: what Erlang has literal syntax for prints as a literal that
//! `erl_scan:string/1` + `erl_parse:parse_term/1` read back to an equal term
//! (integers of any size, floats in the shortest round-trip form
//! `~w` uses, atoms quoted only when needed, strings, binaries,
//! bitstrings, tuples, lists, maps, `fun M:F/A`). Pids, ports, references
//! and local funs have no literal syntax (Erlang's own `<0.9.0>` and
//! `#Ref<0.1.2.3>` hide the node behind a node-table index), so they print
//! in a display form that shows everything the wire says:
//!
//! | term | printed as |
//! |---|---|
//! | pid | `#Pid<'b@127.0.0.1'.86.0;c=1795527694>` (node.number.serial, creation) |
//! | port | `#Port<'b@127.0.0.1'.5;c=1795527694>` |
//! | reference | `#Ref<'b@127.0.0.1'.3186992820.3310682113.46830;c=1795527694>` (id words most significant first, as Erlang prints them) |
//! | local fun | `#Fun<m.204.133367322;arity=0,index=204,uniq=fe60…,pid=#Pid<…>,free=[…]>` (module.old_index.old_uniq as Erlang prints them, then every other field) |
//! | unresolved ATOM_CACHE_REF | `'$atom_cache_ref_N'` |
//!
//! [`parse`] reads the pid, port and reference forms back (a pid as
//! NEW_PID_EXT, a reference as NEWER_REFERENCE_EXT, a port as NEW_PORT_EXT
//! or V4_PORT_EXT when its number needs 64 bits: what OTP 25 writes); a
//! local fun cannot be read back. For text that real Erlang evaluates to the
//! exact term, [`to_erlang_expr`] writes those parts as
//! `binary_to_term(<<131,...>>)` calls (an expression for `erl_eval`, not a
//! literal for `parse_term`).
//!
//! Both directions work on the heap (explicit stacks), never recursing per
//! nesting level, so they run on a 1 MiB (wasm) stack; the parser refuses
//! nesting deeper than [`Limits::max_depth`](super::Limits), as the decoder
//! does.

use super::term::*;
use super::{big_decimal, float_text, Limits};
use num_bigint::{BigInt, Sign};
use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

/// How [`to_erlang_with`] prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintOptions {
    /// Print proper lists of printable characters as `"..."` and printable
    /// binaries as `<<"...">>` (like `~p`); when false, lists of integers
    /// and binaries print as numbers (like `~w`).
    pub strings: bool,
    /// Write characters beyond Latin-1 as themselves (like `~tw`); when
    /// false they are escaped as `\x{...}` (like `~w`).
    pub unicode: bool,
    /// Write pids, ports, references and local funs as
    /// `binary_to_term(<<131,...>>)` expressions instead of the display
    /// forms (see [`to_erlang_expr`]).
    pub exact_opaque: bool,
    /// Stop after about this many bytes of output and end with `...`.
    pub max_bytes: Option<usize>,
}

impl PrintOptions {
    /// What [`to_erlang`] uses: strings and UTF-8 text, display forms.
    pub const READABLE: PrintOptions = PrintOptions {
        strings: true,
        unicode: true,
        exact_opaque: false,
        max_bytes: None,
    };
    /// Exactly what `io_lib:format("~w", [T])` prints, for every term with
    /// a literal syntax (lists of integers as numbers, `\x{...}` escapes).
    pub const W: PrintOptions = PrintOptions {
        strings: false,
        unicode: false,
        exact_opaque: false,
        max_bytes: None,
    };
}

impl Default for PrintOptions {
    fn default() -> PrintOptions {
        PrintOptions::READABLE
    }
}

/// The term as Erlang source text ([`PrintOptions::READABLE`]).
///
/// ```
/// use erldist_codec::etf::{text::to_erlang, Term};
/// let t = Term::Tuple { large: false, elems: vec![Term::atom("ok"), Term::String(b"hi".to_vec()), Term::Float(1.0e300)] };
/// assert_eq!(to_erlang(&t), r#"{ok,"hi",1.0e300}"#);
/// ```
pub fn to_erlang(t: &Term) -> String {
    to_erlang_with(t, &PrintOptions::READABLE)
}

/// The term as an Erlang expression that evaluates to exactly this term:
/// like [`to_erlang`], but pids, ports, references and local funs are
/// written as `binary_to_term(<<131,...>>)` of their own bytes.
pub fn to_erlang_expr(t: &Term) -> String {
    to_erlang_with(
        t,
        &PrintOptions {
            exact_opaque: true,
            ..PrintOptions::READABLE
        },
    )
}

enum Piece<'a> {
    T(&'a Term),
    S(&'static str),
    O(String),
}

/// The term as Erlang source text, with options.
pub fn to_erlang_with(t: &Term, o: &PrintOptions) -> String {
    let mut out = String::new();
    let mut work = vec![Piece::T(t)];
    while let Some(p) = work.pop() {
        if let Some(max) = o.max_bytes {
            if out.len() > max {
                break;
            }
        }
        match p {
            Piece::S(s) => out.push_str(s),
            Piece::O(s) => out.push_str(&s),
            Piece::T(t) => print_term(t, o, &mut out, &mut work),
        }
    }
    if let Some(max) = o.max_bytes {
        if out.len() > max {
            let mut cut = max;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push_str("...");
        }
    }
    out
}

/// Pushes `items` (to be printed in order, separated by `sep`).
fn push_seq<'a>(work: &mut Vec<Piece<'a>>, items: &'a [Term], sep: &'static str) {
    for (i, e) in items.iter().enumerate().rev() {
        work.push(Piece::T(e));
        if i > 0 {
            work.push(Piece::S(sep));
        }
    }
}

fn print_term<'a>(t: &'a Term, o: &PrintOptions, out: &mut String, work: &mut Vec<Piece<'a>>) {
    match t {
        Term::SmallInteger(v) => {
            let _ = write!(out, "{v}");
        }
        Term::Integer(v) => {
            let _ = write!(out, "{v}");
        }
        Term::Big { sign, digits, .. } => out.push_str(&big_decimal(*sign, digits)),
        Term::Float(f) => out.push_str(&float_text(*f)),
        Term::OldFloat(bytes) => match old_float_value(bytes) {
            Some(f) => out.push_str(&float_text(f)),
            None => {
                out.push_str("#OldFloat<");
                let chars: Vec<u32> = bytes
                    .iter()
                    .take_while(|b| **b != 0)
                    .map(|b| u32::from(*b))
                    .collect();
                push_quoted(out, &chars, '"', o.unicode);
                out.push('>');
            }
        },
        Term::Atom(a) => push_atom(out, &a.text(), o.unicode),
        Term::Pid(p) => {
            if !(o.exact_opaque && push_b2t(out, t)) {
                out.push_str("#Pid<");
                work.push(Piece::O(format!(
                    ".{}.{};c={}>",
                    p.id, p.serial, p.creation
                )));
                work.push(Piece::T(&p.node));
            }
        }
        Term::Port(p) => {
            if !(o.exact_opaque && push_b2t(out, t)) {
                out.push_str("#Port<");
                work.push(Piece::O(format!(".{};c={}>", p.id, p.creation)));
                work.push(Piece::T(&p.node));
            }
        }
        Term::Ref(r) => {
            if !(o.exact_opaque && push_b2t(out, t)) {
                out.push_str("#Ref<");
                let mut rest = String::new();
                for id in r.ids.iter().rev() {
                    let _ = write!(rest, ".{id}");
                }
                let _ = write!(rest, ";c={}>", r.creation);
                work.push(Piece::O(rest));
                work.push(Piece::T(&r.node));
            }
        }
        Term::NewFun(f) => {
            if !(o.exact_opaque && push_b2t(out, t)) {
                out.push_str("#Fun<");
                work.push(Piece::S("]>"));
                push_seq(work, &f.free, ",");
                work.push(Piece::S(",free=["));
                work.push(Piece::T(&f.pid));
                let mut uniq = String::new();
                for b in f.uniq {
                    let _ = write!(uniq, "{b:02x}");
                }
                work.push(Piece::O(format!(
                    ";arity={},index={},uniq={uniq},pid=",
                    f.arity, f.index
                )));
                work.push(Piece::T(&f.old_uniq));
                work.push(Piece::S("."));
                work.push(Piece::T(&f.old_index));
                work.push(Piece::S("."));
                work.push(Piece::T(&f.module));
            }
        }
        Term::OldFun(f) => {
            if !(o.exact_opaque && push_b2t(out, t)) {
                out.push_str("#Fun<");
                work.push(Piece::S("]>"));
                push_seq(work, &f.free, ",");
                work.push(Piece::S(",free=["));
                work.push(Piece::T(&f.pid));
                work.push(Piece::S(";pid="));
                work.push(Piece::T(&f.uniq));
                work.push(Piece::S("."));
                work.push(Piece::T(&f.index));
                work.push(Piece::S("."));
                work.push(Piece::T(&f.module));
            }
        }
        Term::Tuple { elems, .. } => {
            out.push('{');
            work.push(Piece::S("}"));
            push_seq(work, elems, ",");
        }
        Term::Map(pairs) => {
            out.push_str("#{");
            work.push(Piece::S("}"));
            for (i, (k, v)) in pairs.iter().enumerate().rev() {
                work.push(Piece::T(v));
                work.push(Piece::S(" => "));
                work.push(Piece::T(k));
                if i > 0 {
                    work.push(Piece::S(","));
                }
            }
        }
        Term::Nil => out.push_str("[]"),
        Term::String(bytes) => {
            let chars: Vec<u32> = bytes.iter().map(|b| u32::from(*b)).collect();
            if o.strings && chars.iter().all(|c| printable(*c, o.unicode)) {
                push_quoted(out, &chars, '"', o.unicode);
            } else {
                out.push('[');
                push_joined(out, bytes.iter());
                out.push(']');
            }
        }
        Term::List { elems, tail } => {
            if o.strings && matches!(**tail, Term::Nil) {
                if let Some(chars) = char_list(elems, o.unicode) {
                    push_quoted(out, &chars, '"', o.unicode);
                    return;
                }
            }
            out.push('[');
            work.push(Piece::S("]"));
            if !matches!(**tail, Term::Nil) {
                work.push(Piece::T(tail));
                work.push(Piece::S("|"));
            }
            push_seq(work, elems, ",");
        }
        Term::Binary(data) => push_binary(out, data, o),
        Term::BitBinary { data, bits } => {
            out.push_str("<<");
            if let Some((last, init)) = data.split_last() {
                push_joined(out, init.iter());
                if !init.is_empty() {
                    out.push(',');
                }
                let used = (*bits).clamp(1, 8);
                let _ = write!(out, "{}", last >> (8 - used));
                if used < 8 {
                    let _ = write!(out, ":{used}");
                }
            }
            out.push_str(">>");
        }
        Term::Export {
            module,
            function,
            arity,
        } => {
            out.push_str("fun ");
            work.push(Piece::T(arity));
            work.push(Piece::S("/"));
            work.push(Piece::T(function));
            work.push(Piece::S(":"));
            work.push(Piece::T(module));
        }
        Term::Compressed { term, .. } => work.push(Piece::T(term)),
        Term::Local { term, .. } => work.push(Piece::T(term)),
    }
}

/// Writes `binary_to_term(<<131,...>>)` for `t`; false when it cannot be
/// encoded (then the caller prints the display form).
fn push_b2t(out: &mut String, t: &Term) -> bool {
    if has_cache_ref(t) {
        // ATOM_CACHE_REF means nothing outside its distribution message.
        return false;
    }
    match t.encode_external() {
        Ok(bytes) => {
            out.push_str("binary_to_term(<<");
            push_joined(out, bytes.iter());
            out.push_str(">>)");
            true
        }
        Err(_) => false,
    }
}

/// Whether an atom inside `t` is an ATOM_CACHE_REF.
fn has_cache_ref(t: &Term) -> bool {
    t.walk().any(|s| {
        matches!(
            s,
            Term::Atom(Atom {
                enc: AtomEnc::CacheRef(_),
                ..
            })
        )
    })
}

fn push_joined<'b>(out: &mut String, items: impl Iterator<Item = &'b u8>) {
    push_joined_upto(out, items, usize::MAX);
}

/// Bytes as decimals joined by commas, without `fmt` (binaries of
/// megabytes print often), stopping once `out` is longer than `limit`.
fn push_joined_upto<'b>(out: &mut String, items: impl Iterator<Item = &'b u8>, limit: usize) {
    for (i, &b) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if b >= 100 {
            out.push(char::from(b'0' + b / 100));
        }
        if b >= 10 {
            out.push(char::from(b'0' + b / 10 % 10));
        }
        out.push(char::from(b'0' + b % 10));
        if out.len() > limit {
            return;
        }
    }
}

fn push_binary(out: &mut String, data: &[u8], o: &PrintOptions) {
    if o.strings && !data.is_empty() {
        let chars: Vec<u32> = data.iter().map(|b| u32::from(*b)).collect();
        if chars
            .iter()
            .all(|c| printable(*c, false) && (*c < 128 || !o.unicode))
        {
            out.push_str("<<");
            push_quoted(out, &chars, '"', o.unicode);
            out.push_str(">>");
            return;
        }
        if o.unicode {
            if let Ok(s) = std::str::from_utf8(data) {
                let chars: Vec<u32> = s.chars().map(u32::from).collect();
                if chars.iter().all(|c| printable(*c, true)) {
                    out.push_str("<<");
                    push_quoted(out, &chars, '"', true);
                    out.push_str("/utf8>>");
                    return;
                }
            }
        }
    }
    out.push_str("<<");
    // Past the print budget nothing more is kept: stop early.
    push_joined_upto(out, data.iter(), o.max_bytes.unwrap_or(usize::MAX));
    out.push_str(">>");
}

/// The code points of a proper list that prints as a string, if it does.
fn char_list(elems: &[Term], unicode: bool) -> Option<Vec<u32>> {
    elems
        .iter()
        .map(|e| {
            let c = match e {
                Term::SmallInteger(v) => u32::from(*v),
                Term::Integer(v) => u32::try_from(*v).ok()?,
                _ => return None,
            };
            printable(c, unicode).then_some(c)
        })
        .collect()
}

/// `io_lib:printable_list/1` (Latin-1) or `printable_unicode_list/1`, per
/// character.
fn printable(c: u32, unicode: bool) -> bool {
    matches!(c, 32..=126 | 8..=13 | 27)
        || (c >= 160
            && if unicode {
                c < 0xD800 || (c > 0xDFFF && c < 0xFFFE) || (c > 0xFFFF && c <= 0x10FFFF)
            } else {
                c <= 255
            })
}

/// Erlang's reserved words (`erl_scan:reserved_word/1` in OTP 25) plus
/// `maybe` and `else`, keywords from OTP 27 on (quoting them is harmless).
const RESERVED: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor", "maybe", "else",
];

fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// A character that can start an unquoted atom: a-z and the Latin-1
/// lowercase letters (ß..ÿ except ÷), as in `erl_scan` and `io_lib`.
fn atom_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

/// A character that can continue an unquoted atom or variable.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '@'
        || (('\u{c0}'..='\u{ff}').contains(&c) && c != '\u{d7}' && c != '\u{f7}')
}

/// A character that starts a variable.
fn var_start(c: char) -> bool {
    c.is_ascii_uppercase() || c == '_' || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
}

/// Whether an atom must be quoted: not a lowercase letter followed by name
/// characters, or a reserved word (`io_lib:write_atom/1`'s rule).
pub fn atom_needs_quotes(name: &str) -> bool {
    let mut cs = name.chars();
    match cs.next() {
        Some(c) if atom_start(c) => !cs.all(name_char) || is_reserved(name),
        _ => true,
    }
}

fn push_atom(out: &mut String, name: &str, unicode: bool) {
    if atom_needs_quotes(name) {
        let chars: Vec<u32> = name.chars().map(u32::from).collect();
        push_quoted(out, &chars, '\'', unicode);
    } else {
        out.push_str(name);
    }
}

/// A quoted atom or string, escaped as `io_lib` does.
fn push_quoted(out: &mut String, chars: &[u32], q: char, unicode: bool) {
    out.push(q);
    for &c in chars {
        match c {
            _ if c == u32::from(q) => {
                out.push('\\');
                out.push(q);
            }
            92 => out.push_str("\\\\"),
            10 => out.push_str("\\n"),
            13 => out.push_str("\\r"),
            9 => out.push_str("\\t"),
            11 => out.push_str("\\v"),
            8 => out.push_str("\\b"),
            12 => out.push_str("\\f"),
            27 => out.push_str("\\e"),
            127 => out.push_str("\\d"),
            32..=126 | 160..=255 => out.push(char::from_u32(c).unwrap_or('?')),
            0..=159 => {
                let _ = write!(out, "\\{:03o}", c);
            }
            _ => match char::from_u32(c) {
                Some(ch) if unicode => out.push(ch),
                _ => {
                    let _ = write!(out, "\\x{{{c:X}}}");
                }
            },
        }
    }
    out.push(q);
}

/// A FLOAT_EXT's `%.20e` text as a double.
fn old_float_value(bytes: &[u8]) -> Option<f64> {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let s = std::str::from_utf8(bytes.get(..end)?).ok()?;
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Why text is not a term, and where (1-based line and column, counted in
/// characters; `offset` is the byte offset into the text).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TextError {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// Byte offset into the text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for TextError {}

/// Options for [`parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Deepest nesting of lists, tuples and maps accepted.
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            max_depth: Limits::default().max_depth,
        }
    }
}

/// Reads one Erlang term (what `~w` and `~p` print, plus this module's
/// pid/port/ref forms), with an optional trailing `.`, into the [`Term`]
/// `term_to_binary(T, [{minor_version, 2}])` would write. Map pairs keep
/// the text's order (a repeated key keeps its first place and last value).
///
/// ```
/// use erldist_codec::etf::{text::parse, Term};
/// let t = parse("{ok, \"hi\"}.").unwrap();
/// assert_eq!(t.encode_external().unwrap(), [131, 104, 2, 119, 2, b'o', b'k', 107, 0, 2, b'h', b'i']);
/// assert_eq!(parse("{a,").unwrap_err().to_string(), "unexpected end of input at line 1, column 4");
/// ```
pub fn parse(text: &str) -> Result<Term, TextError> {
    parse_with(text, &ParseOptions::default())
}

/// [`parse`] with options.
pub fn parse_with(text: &str, opts: &ParseOptions) -> Result<Term, TextError> {
    let mut p = Parser {
        lx: Lexer {
            chars: text.chars().collect(),
            pos: 0,
        },
        peeked: None,
        max_depth: opts.max_depth,
    };
    p.parse_top()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(BigInt),
    Float(f64),
    /// Name, quoted?
    Atom(String, bool),
    Var(String),
    Str(Vec<u32>),
    P(&'static str),
    Opaque(Term),
    Dot,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Int(i) => format!("integer {i}"),
            Tok::Float(f) => format!("float {}", float_text(*f)),
            Tok::Atom(a, _) => {
                let mut s = String::from("atom ");
                push_atom(&mut s, a, true);
                s
            }
            Tok::Var(v) => format!("variable {v}"),
            Tok::Str(_) => "a string".to_string(),
            Tok::P(p) => format!("'{p}'"),
            Tok::Opaque(_) => "a pid, port or reference".to_string(),
            Tok::Dot => "'.'".to_string(),
            Tok::Eof => "end of input".to_string(),
        }
    }
}

struct Token {
    tok: Tok,
    at: usize,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

fn is_space(c: char) -> bool {
    c <= ' ' || ('\u{80}'..='\u{a0}').contains(&c)
}

impl Lexer {
    fn err(&self, at: usize, message: impl Into<String>) -> TextError {
        let before = self.chars.get(..at).unwrap_or(&self.chars);
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
        let offset = before.iter().map(|c| c.len_utf8()).sum();
        TextError {
            line,
            column,
            offset,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eof_err(&self) -> TextError {
        self.err(self.chars.len(), "unexpected end of input")
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if is_space(c) {
                self.pos += 1;
            } else if c == '%' {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn next(&mut self) -> Result<Token, TextError> {
        self.skip_space();
        let at = self.pos;
        let tok = self.lex(at)?;
        Ok(Token { tok, at })
    }

    fn lex(&mut self, at: usize) -> Result<Tok, TextError> {
        let Some(c) = self.bump() else {
            return Ok(Tok::Eof);
        };
        let next = self.peek();
        let two = |p: &'static str, lx: &mut Lexer| {
            lx.pos += 1;
            Ok(Tok::P(p))
        };
        match c {
            '0'..='9' => self.number(at),
            '$' => {
                let c = self.bump().ok_or_else(|| self.eof_err())?;
                let v = if c == '\\' {
                    self.escape()?
                } else {
                    u32::from(c)
                };
                Ok(Tok::Int(BigInt::from(v)))
            }
            '"' => Ok(Tok::Str(self.quoted('"', at)?)),
            '\'' => {
                let chars = self.quoted('\'', at)?;
                Ok(Tok::Atom(self.atom_name(&chars, at)?, true))
            }
            _ if atom_start(c) => {
                let name = self.name(at);
                if name.chars().count() > 255 {
                    return Err(self.err(at, "atom too long (more than 255 characters)"));
                }
                Ok(Tok::Atom(name, false))
            }
            _ if var_start(c) => Ok(Tok::Var(self.name(at))),
            '[' => Ok(Tok::P("[")),
            ']' => Ok(Tok::P("]")),
            '{' => Ok(Tok::P("{")),
            '}' => Ok(Tok::P("}")),
            '(' => Ok(Tok::P("(")),
            ')' => Ok(Tok::P(")")),
            ',' => Ok(Tok::P(",")),
            '|' => Ok(Tok::P("|")),
            ':' => Ok(Tok::P(":")),
            '/' => Ok(Tok::P("/")),
            '+' => Ok(Tok::P("+")),
            '-' => Ok(Tok::P("-")),
            '=' if next == Some('>') => two("=>", self),
            '<' if next == Some('<') => two("<<", self),
            '<' => Ok(Tok::P("<")),
            '>' if next == Some('>') => two(">>", self),
            '>' => Ok(Tok::P(">")),
            '#' if next == Some('{') => two("#{", self),
            '#' if next.is_some_and(|c| c.is_ascii_alphabetic()) => self.opaque(at),
            '.' if next.is_none_or(|c| is_space(c) || c == '%') => Ok(Tok::Dot),
            '.' => Ok(Tok::P(".")),
            _ => Err(self.err(at, format!("unexpected character {c:?}"))),
        }
    }

    /// The rest of a name whose first character was just read.
    fn name(&mut self, at: usize) -> String {
        while self.peek().is_some_and(name_char) {
            self.pos += 1;
        }
        self.chars
            .get(at..self.pos)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    fn atom_name(&self, chars: &[u32], at: usize) -> Result<String, TextError> {
        if chars.len() > 255 {
            return Err(self.err(at, "atom too long (more than 255 characters)"));
        }
        chars
            .iter()
            .map(|c| char::from_u32(*c))
            .collect::<Option<String>>()
            .ok_or_else(|| self.err(at, "atom with a character that is not a Unicode scalar"))
    }

    /// Digits of `radix`, with `_` allowed between digits (OTP 23+).
    fn digits(&mut self, radix: u32) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_digit(radix) {
                s.push(c);
                self.pos += 1;
            } else if c == '_'
                && !s.is_empty()
                && self.peek_at(1).is_some_and(|d| d.is_digit(radix))
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        s
    }

    /// A number whose first digit was just read.
    fn number(&mut self, at: usize) -> Result<Tok, TextError> {
        self.pos = at;
        let int = self.digits(10);
        if self.peek() == Some('#') && self.peek_at(1).is_some_and(|c| c.is_ascii_alphanumeric()) {
            let base = int.parse::<u32>().ok().filter(|b| (2..=36).contains(b));
            let Some(base) = base else {
                return Err(self.err(at, format!("bad base {int} (2..36)")));
            };
            self.pos += 1;
            let ds = self.digits(base);
            if ds.is_empty() {
                return Err(self.err(self.pos, format!("expected a base-{base} digit")));
            }
            let v = BigInt::parse_bytes(ds.as_bytes(), base)
                .ok_or_else(|| self.err(at, "bad integer"))?;
            return Ok(Tok::Int(v));
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            let frac = self.digits(10);
            let mut text = format!("{int}.{frac}");
            if matches!(self.peek(), Some('e' | 'E')) {
                let (sign, first) = match self.peek_at(1) {
                    Some(s @ ('+' | '-')) => (Some(s), self.peek_at(2)),
                    other => (None, other),
                };
                if first.is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += if sign.is_some() { 2 } else { 1 };
                    let exp = self.digits(10);
                    text.push('e');
                    if let Some(s) = sign {
                        text.push(s);
                    }
                    text.push_str(&exp);
                }
            }
            let f: f64 = text
                .parse()
                .map_err(|_| self.err(at, format!("bad float {text}")))?;
            if !f.is_finite() {
                return Err(self.err(at, format!("float {text} out of range")));
            }
            return Ok(Tok::Float(f));
        }
        let v =
            BigInt::parse_bytes(int.as_bytes(), 10).ok_or_else(|| self.err(at, "bad integer"))?;
        Ok(Tok::Int(v))
    }

    /// An escape sequence after the backslash (`erl_scan`'s set).
    fn escape(&mut self) -> Result<u32, TextError> {
        let at = self.pos.saturating_sub(1);
        let c = self.bump().ok_or_else(|| self.eof_err())?;
        let v = match c {
            '0'..='7' => {
                let mut v = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                v
            }
            'x' => {
                if self.peek() == Some('{') {
                    self.pos += 1;
                    let mut v: u32 = 0;
                    let mut n = 0;
                    loop {
                        let d = self.bump().ok_or_else(|| self.eof_err())?;
                        if d == '}' && n > 0 {
                            break;
                        }
                        let Some(h) = d.to_digit(16) else {
                            return Err(self.err(at, "bad \\x{...} escape"));
                        };
                        v = v.saturating_mul(16).saturating_add(h);
                        n += 1;
                    }
                    v
                } else {
                    let hi = self.peek().and_then(|d| d.to_digit(16));
                    let lo = self.peek_at(1).and_then(|d| d.to_digit(16));
                    match (hi, lo) {
                        (Some(h), Some(l)) => {
                            self.pos += 2;
                            h * 16 + l
                        }
                        _ => return Err(self.err(at, "bad \\x escape (two hex digits or {...})")),
                    }
                }
            }
            '^' => {
                let c = self.bump().ok_or_else(|| self.eof_err())?;
                u32::from(c) & 31
            }
            'n' => 10,
            'r' => 13,
            't' => 9,
            'v' => 11,
            'b' => 8,
            'f' => 12,
            'e' => 27,
            's' => 32,
            'd' => 127,
            other => u32::from(other),
        };
        if v > 0x10FFFF {
            return Err(self.err(at, format!("character {v} beyond Unicode")));
        }
        Ok(v)
    }

    /// A quoted string or atom after its opening quote.
    fn quoted(&mut self, q: char, at: usize) -> Result<Vec<u32>, TextError> {
        let mut chars = Vec::new();
        loop {
            let Some(c) = self.bump() else {
                let what = if q == '"' { "string" } else { "quoted atom" };
                return Err(self.err(at, format!("unterminated {what}")));
            };
            if c == q {
                return Ok(chars);
            }
            chars.push(if c == '\\' {
                self.escape()?
            } else {
                u32::from(c)
            });
        }
    }

    fn expect_char(&mut self, want: char, what: &str) -> Result<(), TextError> {
        match self.peek() {
            Some(c) if c == want => {
                self.pos += 1;
                Ok(())
            }
            Some(c) => Err(self.err(self.pos, format!("expected {what}, found {c:?}"))),
            None => Err(self.eof_err()),
        }
    }

    fn decimal(&mut self, max: u64, what: &str) -> Result<u64, TextError> {
        let at = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let s: String = self
            .chars
            .get(at..self.pos)
            .unwrap_or_default()
            .iter()
            .collect();
        if s.is_empty() {
            return match self.peek() {
                None => Err(self.eof_err()),
                Some(c) => Err(self.err(at, format!("expected {what}, found {c:?}"))),
            };
        }
        s.parse::<u64>()
            .ok()
            .filter(|v| *v <= max)
            .ok_or_else(|| self.err(at, format!("{what} {s} out of range (0..{max})")))
    }

    fn u32_field(&mut self, what: &str) -> Result<u32, TextError> {
        let v = self.decimal(u64::from(u32::MAX), what)?;
        u32::try_from(v).map_err(|_| self.err(self.pos, format!("{what} out of range")))
    }

    /// `#Pid<Node.N.S;c=C>`, `#Port<Node.N;c=C>`, `#Ref<Node.I.I.I;c=C>`
    /// after the `#`.
    fn opaque(&mut self, at: usize) -> Result<Tok, TextError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.pos += 1;
        }
        let kind: String = self
            .chars
            .get(start..self.pos)
            .unwrap_or_default()
            .iter()
            .collect();
        match kind.as_str() {
            "Pid" | "Port" | "Ref" => {}
            "Fun" => {
                return Err(self.err(at, "a local fun (#Fun<...>) cannot be read back from text"))
            }
            _ => return Err(self.err(at, format!("unknown #{kind}"))),
        }
        self.expect_char('<', "'<'")?;
        let node_at = self.pos;
        let node = match self.bump() {
            Some('\'') => {
                let chars = self.quoted('\'', node_at)?;
                self.atom_name(&chars, node_at)?
            }
            Some(c) if atom_start(c) => self.name(node_at),
            Some(_) => {
                return Err(self.err(
                    node_at,
                    format!(
                        "expected the node name (an atom) in #{kind}<...>; \
                         Erlang's own <X.Y.Z> / #{kind}<X.Y> forms do not carry the node"
                    ),
                ))
            }
            None => return Err(self.eof_err()),
        };
        let node = Box::new(Term::atom(&node));
        self.expect_char('.', "'.'")?;
        let term = match kind.as_str() {
            "Pid" => {
                let id = self.u32_field("pid number")?;
                self.expect_char('.', "'.'")?;
                let serial = self.u32_field("pid serial")?;
                let creation = self.creation()?;
                Term::Pid(Pid {
                    new: true,
                    node,
                    id,
                    serial,
                    creation,
                })
            }
            "Port" => {
                let id = self.decimal(u64::MAX, "port number")?;
                let creation = self.creation()?;
                Term::Port(Port {
                    kind: if id > u64::from(u32::MAX) {
                        PortKind::V4Port
                    } else {
                        PortKind::NewPort
                    },
                    node,
                    id,
                    creation,
                })
            }
            _ => {
                let mut ids = vec![self.u32_field("reference id")?];
                while self.peek() == Some('.') {
                    self.pos += 1;
                    ids.push(self.u32_field("reference id")?);
                }
                if ids.len() > usize::from(u16::MAX) {
                    return Err(self.err(at, "too many reference ids"));
                }
                let creation = self.creation()?;
                ids.reverse();
                Term::Ref(Ref {
                    kind: RefKind::NewerReference,
                    node,
                    creation,
                    ids,
                })
            }
        };
        self.expect_char('>', "'>'")?;
        Ok(Tok::Opaque(term))
    }

    fn creation(&mut self) -> Result<u32, TextError> {
        self.expect_char(';', "';c=' (the creation)")?;
        self.expect_char('c', "'c='")?;
        self.expect_char('=', "'='")?;
        self.u32_field("creation")
    }
}

enum Frame {
    List(Vec<Term>),
    Tail(Vec<Term>),
    Tuple(Vec<Term>),
    MapKey(Vec<(Term, Term)>),
    MapVal(Vec<(Term, Term)>, Term),
}

struct Parser {
    lx: Lexer,
    peeked: Option<Token>,
    max_depth: usize,
}

/// Largest binary the parser builds from `Value:Size` segments.
const MAX_BINARY_BITS: u64 = 1 << 27;

impl Parser {
    fn next(&mut self) -> Result<Token, TextError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next(),
        }
    }

    fn peek(&mut self) -> Result<&Tok, TextError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lx.next()?);
        }
        match &self.peeked {
            Some(t) => Ok(&t.tok),
            None => Err(self.lx.eof_err()),
        }
    }

    fn peek_is(&mut self, p: &str) -> Result<bool, TextError> {
        Ok(matches!(self.peek()?, Tok::P(q) if *q == p))
    }

    fn unexpected(&self, t: &Token, want: &str) -> TextError {
        if t.tok == Tok::Eof {
            self.lx.eof_err()
        } else {
            self.lx
                .err(t.at, format!("expected {want}, found {}", t.tok.describe()))
        }
    }

    fn expect(&mut self, p: &'static str) -> Result<(), TextError> {
        let t = self.next()?;
        if t.tok == Tok::P(p) {
            Ok(())
        } else {
            Err(self.unexpected(&t, &format!("'{p}'")))
        }
    }

    fn open(&self, stack: &mut Vec<Frame>, f: Frame, at: usize) -> Result<(), TextError> {
        if stack.len() >= self.max_depth {
            return Err(self
                .lx
                .err(at, format!("nesting deeper than {} levels", self.max_depth)));
        }
        stack.push(f);
        Ok(())
    }

    fn parse_top(&mut self) -> Result<Term, TextError> {
        let mut stack: Vec<Frame> = Vec::new();
        'term: loop {
            let t = self.next()?;
            let mut v = match t.tok {
                Tok::P("[") if self.peek_is("]")? => {
                    self.next()?;
                    Term::Nil
                }
                Tok::P("[") => {
                    self.open(&mut stack, Frame::List(Vec::new()), t.at)?;
                    continue 'term;
                }
                Tok::P("{") if self.peek_is("}")? => {
                    self.next()?;
                    Term::Tuple {
                        large: false,
                        elems: Vec::new(),
                    }
                }
                Tok::P("{") => {
                    self.open(&mut stack, Frame::Tuple(Vec::new()), t.at)?;
                    continue 'term;
                }
                Tok::P("#{") if self.peek_is("}")? => {
                    self.next()?;
                    Term::Map(Vec::new())
                }
                Tok::P("#{") => {
                    self.open(&mut stack, Frame::MapKey(Vec::new()), t.at)?;
                    continue 'term;
                }
                _ => self.simple(t)?,
            };
            loop {
                let Some(frame) = stack.pop() else {
                    return self.finish(v);
                };
                match frame {
                    Frame::List(mut elems) => {
                        elems.push(v);
                        let n = self.next()?;
                        match n.tok {
                            Tok::P(",") => stack.push(Frame::List(elems)),
                            Tok::P("|") => stack.push(Frame::Tail(elems)),
                            Tok::P("]") => {
                                v = finish_list(elems, Term::Nil);
                                continue;
                            }
                            _ => return Err(self.unexpected(&n, "',', '|' or ']'")),
                        }
                        continue 'term;
                    }
                    Frame::Tail(elems) => {
                        self.expect("]")?;
                        v = finish_list(elems, v);
                    }
                    Frame::Tuple(mut elems) => {
                        elems.push(v);
                        let n = self.next()?;
                        match n.tok {
                            Tok::P(",") => {
                                stack.push(Frame::Tuple(elems));
                                continue 'term;
                            }
                            Tok::P("}") => {
                                v = Term::Tuple {
                                    large: elems.len() > 255,
                                    elems,
                                };
                            }
                            _ => return Err(self.unexpected(&n, "',' or '}'")),
                        }
                    }
                    Frame::MapKey(pairs) => {
                        self.expect("=>")?;
                        stack.push(Frame::MapVal(pairs, v));
                        continue 'term;
                    }
                    Frame::MapVal(mut pairs, k) => {
                        pairs.push((k, v));
                        let n = self.next()?;
                        match n.tok {
                            Tok::P(",") => {
                                stack.push(Frame::MapKey(pairs));
                                continue 'term;
                            }
                            Tok::P("}") => v = finish_map(pairs),
                            _ => return Err(self.unexpected(&n, "',' or '}'")),
                        }
                    }
                }
            }
        }
    }

    /// After the whole term: an optional `.`, then nothing.
    fn finish(&mut self, v: Term) -> Result<Term, TextError> {
        let mut t = self.next()?;
        if t.tok == Tok::Dot {
            t = self.next()?;
        }
        if t.tok == Tok::Eof {
            Ok(v)
        } else {
            Err(self.lx.err(
                t.at,
                format!("unexpected {} after the term", t.tok.describe()),
            ))
        }
    }

    /// A term that is not a list, tuple or map.
    fn simple(&mut self, t: Token) -> Result<Term, TextError> {
        match t.tok {
            Tok::Int(i) => Ok(int_term(&i)),
            Tok::Float(f) => Ok(Term::Float(f)),
            Tok::P(s @ ("-" | "+")) => {
                let n = self.next()?;
                let neg = s == "-";
                match n.tok {
                    Tok::Int(i) => Ok(int_term(&if neg { -i } else { i })),
                    Tok::Float(f) => Ok(Term::Float(if neg { -f } else { f })),
                    _ => Err(self.unexpected(&n, &format!("a number after '{s}'"))),
                }
            }
            Tok::Str(s) => {
                let s = self.more_strings(s)?;
                Ok(string_term(&s))
            }
            Tok::Atom(name, quoted) => {
                if !quoted && name == "fun" {
                    self.export()
                } else if !quoted && is_reserved(name.as_str()) && name != "maybe" && name != "else"
                {
                    Err(self.lx.err(
                        t.at,
                        format!("reserved word {name} is not an atom; write '{name}'"),
                    ))
                } else {
                    Ok(Term::atom(&name))
                }
            }
            Tok::Opaque(term) => Ok(term),
            Tok::P("<<") => self.binary(),
            Tok::Var(v) => Err(self.lx.err(
                t.at,
                format!("variable {v} is not a term (atoms start with a lowercase letter or are quoted)"),
            )),
            Tok::P("<") => Err(self.lx.err(
                t.at,
                "Erlang's <X.Y.Z> pid form does not carry the node and cannot be read back; \
                 write #Pid<Node.N.S;c=C>",
            )),
            _ => Err(self.unexpected(&t, "a term")),
        }
    }

    /// Adjacent string literals concatenate (`"ab" "c"`, as `~p` breaks them).
    fn more_strings(&mut self, mut s: Vec<u32>) -> Result<Vec<u32>, TextError> {
        while matches!(self.peek()?, Tok::Str(_)) {
            if let Tok::Str(more) = self.next()?.tok {
                s.extend(more);
            }
        }
        Ok(s)
    }

    /// The module or function of `fun M:F/A`; a reserved word is accepted
    /// bare there, as OTP's `~w` writes it (`fun end:f/1`).
    fn atom_tok(&mut self, what: &str) -> Result<Term, TextError> {
        let t = self.next()?;
        match t.tok {
            Tok::Atom(name, _) => Ok(Term::atom(&name)),
            _ => Err(self.unexpected(&t, what)),
        }
    }

    /// `fun M:F/A` after `fun`.
    fn export(&mut self) -> Result<Term, TextError> {
        let module = self.atom_tok("a module name (atom)")?;
        let t = self.next()?;
        if t.tok != Tok::P(":") {
            return Err(if t.tok == Tok::P("/") {
                self.lx.err(
                    t.at,
                    "a local fun reference (fun F/A) cannot be read back; write fun M:F/A",
                )
            } else {
                self.unexpected(&t, "':'")
            });
        }
        let function = self.atom_tok("a function name (atom)")?;
        self.expect("/")?;
        let t = self.next()?;
        match &t.tok {
            Tok::Int(i) => match u8::try_from(i) {
                Ok(a) => Ok(Term::Export {
                    module: Box::new(module),
                    function: Box::new(function),
                    arity: Box::new(Term::SmallInteger(a)),
                }),
                Err(_) => Err(self
                    .lx
                    .err(t.at, format!("arity {i} out of range (0..255)"))),
            },
            _ => Err(self.unexpected(&t, "an arity")),
        }
    }

    /// `<<Seg, ...>>` after `<<`.
    fn binary(&mut self) -> Result<Term, TextError> {
        let mut w = BitWriter::default();
        if self.peek_is(">>")? {
            self.next()?;
            return Ok(Term::Binary(Vec::new()));
        }
        loop {
            let t = self.next()?;
            let at = t.at;
            let value = match t.tok {
                Tok::Int(i) => SegVal::Int(i),
                Tok::Float(f) => SegVal::Float(f),
                Tok::Str(s) => SegVal::Str(self.more_strings(s)?),
                Tok::P(s @ ("-" | "+")) => {
                    let n = self.next()?;
                    let neg = s == "-";
                    match n.tok {
                        Tok::Int(i) => SegVal::Int(if neg { -i } else { i }),
                        Tok::Float(f) => SegVal::Float(if neg { -f } else { f }),
                        _ => return Err(self.unexpected(&n, &format!("a number after '{s}'"))),
                    }
                }
                _ => return Err(self.unexpected(&t, "a binary segment (integer, float or string)")),
            };
            let mut spec = Spec::default();
            if self.peek_is(":")? {
                self.next()?;
                let n = self.next()?;
                spec.size = Some(self.size_value(&n)?);
            }
            if self.peek_is("/")? {
                self.next()?;
                loop {
                    let n = self.next()?;
                    let Tok::Atom(name, false) = &n.tok else {
                        return Err(self.unexpected(&n, "a type specifier"));
                    };
                    match name.as_str() {
                        "integer" | "float" | "binary" | "bytes" | "bitstring" | "bits"
                        | "utf8" | "utf16" | "utf32" => spec.ty = Some(name.clone()),
                        "signed" | "unsigned" | "big" => {}
                        "little" => spec.little = true,
                        "unit" => {
                            self.expect(":")?;
                            let u = self.next()?;
                            let unit = self.size_value(&u)?;
                            if !(1..=256).contains(&unit) {
                                return Err(self.lx.err(u.at, "unit out of range (1..256)"));
                            }
                            spec.unit = Some(unit);
                        }
                        "native" => {
                            return Err(self.lx.err(
                                n.at,
                                "native endianness depends on the machine; write big or little",
                            ))
                        }
                        _ => {
                            return Err(self.lx.err(n.at, format!("unknown type specifier {name}")))
                        }
                    }
                    if self.peek_is("-")? {
                        self.next()?;
                    } else {
                        break;
                    }
                }
            }
            self.segment(&mut w, value, &spec, at)?;
            let n = self.next()?;
            match n.tok {
                Tok::P(",") => {}
                Tok::P(">>") => break,
                _ => return Err(self.unexpected(&n, "',' or '>>'")),
            }
        }
        Ok(w.finish())
    }

    fn size_value(&self, t: &Token) -> Result<u64, TextError> {
        match &t.tok {
            Tok::Int(i) => u64::try_from(i)
                .ok()
                .filter(|v| *v <= MAX_BINARY_BITS)
                .ok_or_else(|| self.lx.err(t.at, format!("size {i} out of range"))),
            _ => Err(self.unexpected(t, "a size (integer)")),
        }
    }

    fn segment(
        &self,
        w: &mut BitWriter,
        value: SegVal,
        spec: &Spec,
        at: usize,
    ) -> Result<(), TextError> {
        let err = |m: String| self.lx.err(at, m);
        match value {
            SegVal::Str(chars) => {
                for c in chars {
                    self.segment(w, SegVal::Int(BigInt::from(c)), spec, at)?;
                }
                Ok(())
            }
            SegVal::Float(f) => match spec.ty.as_deref() {
                Some("float") => w.float(f, spec).map_err(err),
                _ => Err(err("a float segment needs /float".to_string())),
            },
            SegVal::Int(i) => match spec.ty.as_deref() {
                None | Some("integer") => {
                    let bits = spec.size.unwrap_or(8) * spec.unit.unwrap_or(1);
                    if bits > MAX_BINARY_BITS {
                        return Err(err(format!("segment of {bits} bits is too large")));
                    }
                    if spec.little && bits % 8 != 0 {
                        return Err(err(
                            "little-endian segments must be whole bytes here".to_string()
                        ));
                    }
                    w.int(&i, bits, spec.little);
                    w.check().map_err(err)
                }
                Some("float") => {
                    let f = i.to_string().parse::<f64>().unwrap_or(f64::INFINITY);
                    w.float(f, spec).map_err(err)
                }
                Some(u @ ("utf8" | "utf16" | "utf32")) => {
                    if spec.size.is_some() {
                        return Err(err(format!("a {u} segment takes no size")));
                    }
                    let c = u32::try_from(&i)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| err(format!("{i} is not a Unicode scalar value")))?;
                    let mut bytes = Vec::new();
                    match u {
                        "utf8" => {
                            let mut buf = [0u8; 4];
                            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        "utf16" => {
                            let mut buf = [0u16; 2];
                            for unit in c.encode_utf16(&mut buf).iter() {
                                if spec.little {
                                    bytes.extend_from_slice(&unit.to_le_bytes());
                                } else {
                                    bytes.extend_from_slice(&unit.to_be_bytes());
                                }
                            }
                        }
                        _ => {
                            let v = u32::from(c);
                            if spec.little {
                                bytes.extend_from_slice(&v.to_le_bytes());
                            } else {
                                bytes.extend_from_slice(&v.to_be_bytes());
                            }
                        }
                    }
                    w.bytes(&bytes);
                    w.check().map_err(err)
                }
                Some(t) => Err(err(format!("an integer cannot be a {t} segment"))),
            },
        }
    }
}

enum SegVal {
    Int(BigInt),
    Float(f64),
    Str(Vec<u32>),
}

#[derive(Default)]
struct Spec {
    size: Option<u64>,
    unit: Option<u64>,
    ty: Option<String>,
    little: bool,
}

/// Bits written MSB first; unused low bits of the last byte stay zero.
#[derive(Default)]
struct BitWriter {
    data: Vec<u8>,
    bits: u64,
}

impl BitWriter {
    fn bit(&mut self, set: bool) {
        let off = self.bits % 8;
        if off == 0 {
            self.data.push(0);
        }
        if set {
            if let Some(last) = self.data.last_mut() {
                *last |= 0x80 >> off;
            }
        }
        self.bits += 1;
    }

    fn bytes(&mut self, bytes: &[u8]) {
        if self.bits % 8 == 0 {
            self.data.extend_from_slice(bytes);
            self.bits += 8 * bytes.len() as u64;
        } else {
            for b in bytes {
                for i in (0..8).rev() {
                    self.bit(b >> i & 1 == 1);
                }
            }
        }
    }

    /// The low `n` bits of `v` (two's complement), big- or little-endian.
    fn int(&mut self, v: &BigInt, n: u64, little: bool) {
        if n == 0 {
            return;
        }
        let nbytes = usize::try_from(n.div_ceil(8)).unwrap_or(usize::MAX);
        let shift = usize::try_from(n).unwrap_or(usize::MAX);
        let m = BigInt::from(1u8) << shift;
        let r: BigInt = ((v % &m) + &m) % &m;
        let (_, mag) = r.to_bytes_be();
        let mut be = vec![0u8; nbytes.saturating_sub(mag.len())];
        be.extend_from_slice(&mag);
        if little {
            be.reverse();
            self.bytes(&be);
            return;
        }
        let skip = be.len() as u64 * 8 - n;
        if skip == 0 {
            self.bytes(&be);
        } else {
            for i in skip..be.len() as u64 * 8 {
                let byte = be
                    .get(usize::try_from(i / 8).unwrap_or(0))
                    .copied()
                    .unwrap_or(0);
                self.bit(byte >> (7 - i % 8) & 1 == 1);
            }
        }
    }

    fn float(&mut self, f: f64, spec: &Spec) -> Result<(), String> {
        let bits = spec.size.unwrap_or(64) * spec.unit.unwrap_or(1);
        let bytes = match bits {
            64 if f.is_finite() => {
                if spec.little {
                    f.to_le_bytes().to_vec()
                } else {
                    f.to_be_bytes().to_vec()
                }
            }
            32 => {
                let g = f.to_string().parse::<f32>().unwrap_or(f32::INFINITY);
                if !g.is_finite() {
                    return Err(format!("{} does not fit a 32-bit float", float_text(f)));
                }
                if spec.little {
                    g.to_le_bytes().to_vec()
                } else {
                    g.to_be_bytes().to_vec()
                }
            }
            64 => return Err("float out of range".to_string()),
            _ => return Err(format!("float segments are 32 or 64 bits, not {bits}")),
        };
        self.bytes(&bytes);
        self.check()
    }

    fn check(&self) -> Result<(), String> {
        if self.bits > MAX_BINARY_BITS {
            Err(format!("binary larger than {MAX_BINARY_BITS} bits"))
        } else {
            Ok(())
        }
    }

    fn finish(self) -> Term {
        let used = self.bits % 8;
        if used == 0 {
            Term::Binary(self.data)
        } else {
            Term::BitBinary {
                data: self.data,
                bits: u8::try_from(used).unwrap_or(8),
            }
        }
    }
}

/// An integer as OTP writes it: SMALL_INTEGER_EXT, INTEGER_EXT, or the
/// shortest SMALL_BIG_EXT / LARGE_BIG_EXT.
fn int_term(i: &BigInt) -> Term {
    if let Ok(v) = u8::try_from(i) {
        Term::SmallInteger(v)
    } else if let Ok(v) = i32::try_from(i) {
        Term::Integer(v)
    } else {
        let (sign, digits) = i.to_bytes_le();
        Term::Big {
            large: digits.len() > 255,
            sign: u8::from(sign == Sign::Minus),
            digits,
        }
    }
}

fn int_from_u32(c: u32) -> Term {
    match u8::try_from(c) {
        Ok(v) => Term::SmallInteger(v),
        Err(_) => match i32::try_from(c) {
            Ok(v) => Term::Integer(v),
            Err(_) => int_term(&BigInt::from(c)),
        },
    }
}

/// A string literal's list as OTP writes it.
fn string_term(chars: &[u32]) -> Term {
    if chars.is_empty() {
        Term::Nil
    } else if chars.len() <= 65535 && chars.iter().all(|c| *c <= 255) {
        Term::String(
            chars
                .iter()
                .map(|c| u8::try_from(*c).unwrap_or(0))
                .collect(),
        )
    } else {
        Term::List {
            elems: chars.iter().map(|c| int_from_u32(*c)).collect(),
            tail: Box::new(Term::Nil),
        }
    }
}

/// `[E1, ..., En | Tail]` as OTP writes it: a list tail joins the list, a
/// proper list of bytes of at most 65535 elements is a STRING_EXT.
fn finish_list(mut elems: Vec<Term>, tail: Term) -> Term {
    let tail = match tail {
        Term::String(bytes) => {
            elems.extend(bytes.into_iter().map(Term::SmallInteger));
            Term::Nil
        }
        Term::List { elems: more, tail } => {
            elems.extend(more);
            *tail
        }
        other => other,
    };
    if elems.is_empty() {
        return tail;
    }
    if matches!(tail, Term::Nil)
        && elems.len() <= 65535
        && elems.iter().all(|e| matches!(e, Term::SmallInteger(_)))
    {
        let bytes = elems
            .iter()
            .map(|e| match e {
                Term::SmallInteger(b) => *b,
                _ => 0,
            })
            .collect();
        return Term::String(bytes);
    }
    Term::List {
        elems,
        tail: Box::new(tail),
    }
}

/// A map literal's pairs in text order; a repeated key keeps its first
/// place and takes the last value, as `#{a => 1, a => 2}` is `#{a => 2}`.
fn finish_map(pairs: Vec<(Term, Term)>) -> Term {
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut out: Vec<(Term, Term)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match k.encode() {
            Ok(key) => {
                if let Some(i) = seen.get(&key) {
                    if let Some(slot) = out.get_mut(*i) {
                        slot.1 = v;
                    }
                    continue;
                }
                seen.insert(key, out.len());
                out.push((k, v));
            }
            Err(_) => out.push((k, v)),
        }
    }
    Term::Map(out)
}
