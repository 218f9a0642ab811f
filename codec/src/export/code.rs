//! The languages' renderers of the flattened span tree ([`super::layout`]).
//!
//! Erlang, Elixir, JavaScript, Python's `bytes([...])`, C, Rust and Go write
//! one element per byte (or per sized segment, or per string) in lines with
//! a comment per field; Python's `struct.pack` form groups runs of integers
//! into one format string.

use super::layout::{Item, Kind};
use super::Lang;
use std::fmt::Write;

/// Bytes (and characters of text) per line.
const PER_LINE: usize = 16;
/// Characters of text per string literal.
const TEXT_CHUNK: usize = 64;
/// Comments start at this column at most.
const COMMENT_COLUMN: usize = 40;

/// One output line: elements (each later followed by a comma, where the
/// language needs one) and an optional comment.
struct Line {
    depth: usize,
    elems: Vec<String>,
    comment: Option<String>,
}

fn comment_prefix(lang: Lang) -> &'static str {
    match lang {
        Lang::Erlang => "%",
        Lang::Elixir | Lang::Python | Lang::PythonBytes => "#",
        Lang::Js | Lang::JsUint8Array | Lang::C | Lang::Rust | Lang::Go => "//",
    }
}

/// Whether a comma may follow the last element of a list.
fn trailing_comma(lang: Lang) -> bool {
    !matches!(lang, Lang::Erlang | Lang::Elixir)
}

fn indent_unit(lang: Lang) -> &'static str {
    match lang {
        Lang::Go => "\t",
        Lang::Js | Lang::JsUint8Array => "  ",
        _ => "    ",
    }
}

/// A comment's text made safe for a one-line comment in `lang`: no line
/// breaks, no control or bidirectional-override characters, and (for C)
/// no backslash at the end that would continue the comment on the next line.
pub(crate) fn clean_comment(text: &str, lang: Lang) -> String {
    let mut s: String = text
        .chars()
        .map(|c| {
            if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
            {
                ' '
            } else {
                c
            }
        })
        .collect();
    let trimmed = s.trim_end().len();
    s.truncate(trimmed);
    if lang == Lang::C && s.ends_with('\\') {
        s.push_str(" (end)");
    }
    s
}

fn escape_string(text: &str, lang: Lang) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' if lang != Lang::Python && lang != Lang::PythonBytes => s.push_str("\\\""),
            '\'' if lang == Lang::Python || lang == Lang::PythonBytes => s.push_str("\\'"),
            '#' if lang == Lang::Elixir => s.push_str("\\#"),
            c => s.push(c),
        }
    }
    s
}

fn char_literal(c: u8, lang: Lang) -> String {
    let body = match c {
        b'\\' => "\\\\".to_string(),
        b'\'' => "\\'".to_string(),
        c => char::from(c).to_string(),
    };
    match lang {
        Lang::Rust => format!("b'{body}'"),
        _ => format!("'{body}'"),
    }
}

fn hex_byte(b: u8) -> String {
    format!("0x{b:02x}")
}

fn byte_elem(b: u8, lang: Lang) -> String {
    match lang {
        Lang::Erlang | Lang::Elixir => b.to_string(),
        _ => hex_byte(b),
    }
}

/// The element lines one field is written as.
fn field_lines(bytes: &[u8], kind: Kind<'_>, lang: Lang) -> Vec<Vec<String>> {
    let chunked = |elems: Vec<String>| -> Vec<Vec<String>> {
        elems.chunks(PER_LINE).map(<[String]>::to_vec).collect()
    };
    let bytes_elems = || {
        bytes
            .iter()
            .map(|&b| byte_elem(b, lang))
            .collect::<Vec<_>>()
    };
    match kind {
        Kind::Int { width: 1, value } => vec![vec![match lang {
            Lang::Erlang | Lang::Elixir => value.to_string(),
            _ => bytes_elems().concat(),
        }]],
        Kind::Int { width, value } if matches!(lang, Lang::Erlang | Lang::Elixir) => {
            vec![vec![sized(&value.to_string(), width, lang)]]
        }
        Kind::Signed { width, value } if matches!(lang, Lang::Erlang | Lang::Elixir) => {
            vec![vec![sized(&value.to_string(), width, lang)]]
        }
        Kind::Text(t) => match lang {
            Lang::C | Lang::Rust | Lang::Go => {
                chunked(t.bytes().map(|c| char_literal(c, lang)).collect())
            }
            _ => text_chunks(t)
                .into_iter()
                .map(|chunk| {
                    let e = escape_string(chunk, lang);
                    vec![match lang {
                        Lang::Js => format!("...Buffer.from(\"{e}\")"),
                        Lang::JsUint8Array => format!("...new TextEncoder().encode(\"{e}\")"),
                        Lang::Python | Lang::PythonBytes => format!("*b'{e}'"),
                        _ => format!("\"{e}\""),
                    }]
                })
                .collect(),
        },
        Kind::Int { .. } | Kind::Signed { .. } | Kind::Bytes => chunked(bytes_elems()),
    }
}

fn sized(value: &str, width: usize, lang: Lang) -> String {
    let bits = width.saturating_mul(8);
    match lang {
        Lang::Elixir => format!("{value}::{bits}"),
        _ => format!("{value}:{bits}"),
    }
}

/// Splits ASCII text into chunks of at most [`TEXT_CHUNK`] bytes.
fn text_chunks(t: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = t;
    while !rest.is_empty() {
        let mut at = rest.len().min(TEXT_CHUNK);
        while at > 1 && !rest.is_char_boundary(at) {
            at -= 1;
        }
        if !rest.is_char_boundary(at) {
            at = rest.len();
        }
        let (a, b) = rest.split_at(at);
        out.push(a);
        rest = b;
    }
    out
}

fn lines_of(items: &[Item<'_>], lang: Lang, comments: bool) -> Vec<Line> {
    let mut lines = Vec::new();
    for item in items {
        match item {
            Item::Group { depth, comment } => {
                if comments {
                    lines.push(Line {
                        depth: *depth,
                        elems: Vec::new(),
                        comment: Some(clean_comment(comment, lang)),
                    });
                }
            }
            Item::Field {
                depth,
                bytes,
                kind,
                comment,
            } => {
                for (i, elems) in field_lines(bytes, *kind, lang).into_iter().enumerate() {
                    lines.push(Line {
                        depth: *depth,
                        elems,
                        comment: (comments && i == 0).then(|| clean_comment(comment, lang)),
                    });
                }
            }
        }
    }
    lines
}

/// Writes the lines, each indented by `indent` plus its depth, with commas
/// between elements (and after the last one where the language allows) and
/// comments aligned.
fn write_lines(out: &mut String, lines: &[Line], lang: Lang, indent: &str) {
    let total: usize = lines.iter().map(|l| l.elems.len()).sum();
    let unit = indent_unit(lang);
    let mut seen = 0usize;
    let mut code: Vec<String> = Vec::with_capacity(lines.len());
    for l in lines {
        let mut s = String::new();
        for (i, e) in l.elems.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(e);
            seen += 1;
            if seen < total || trailing_comma(lang) {
                s.push(',');
            }
        }
        code.push(s);
    }
    let width = |l: &Line, c: &str| unit.len() * l.depth + c.chars().count();
    let column = lines
        .iter()
        .zip(&code)
        .filter(|(l, c)| l.comment.is_some() && !c.is_empty())
        .map(|(l, c)| width(l, c))
        .filter(|w| *w <= COMMENT_COLUMN)
        .max()
        .unwrap_or(0);
    let prefix = comment_prefix(lang);
    for (l, c) in lines.iter().zip(&code) {
        out.push_str(indent);
        for _ in 0..l.depth {
            out.push_str(unit);
        }
        out.push_str(c);
        if let Some(text) = &l.comment {
            if c.is_empty() {
                let _ = write!(out, "{prefix} {text}");
            } else {
                let pad = column.saturating_sub(width(l, c));
                // PEP 8: at least two spaces before an inline comment.
                let gap = if prefix == "#" { "  " } else { " " };
                let _ = write!(out, "{:pad$}{gap}{prefix} {text}", "");
            }
        }
        out.push('\n');
    }
}

/// Compact form: every element on as few lines as fit 96 columns.
fn write_compact(out: &mut String, lines: &[Line], indent: &str, lang: Lang) -> bool {
    let elems: Vec<&String> = lines.iter().flat_map(|l| l.elems.iter()).collect();
    let one_line: usize = elems.iter().map(|e| e.len() + 2).sum();
    if one_line <= 80 {
        for (i, e) in elems.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(e);
        }
        return false;
    }
    out.push('\n');
    let mut col = 0usize;
    let n = elems.len();
    for (i, e) in elems.iter().enumerate() {
        if col == 0 {
            out.push_str(indent);
            out.push_str(indent_unit(lang));
            col = indent.len() + 4;
        } else {
            out.push(' ');
            col += 1;
        }
        out.push_str(e);
        col += e.len();
        if i + 1 < n || trailing_comma(lang) {
            out.push(',');
            col += 1;
        }
        if col >= 92 || i + 1 == n {
            out.push('\n');
            col = 0;
        }
    }
    true
}

/// The open and close of a frame's list in `lang` (declaration included,
/// for the languages whose snippet binds a name).
fn frame_delims(lang: Lang, name: &str, len: usize) -> (String, &'static str) {
    match lang {
        Lang::Erlang | Lang::Elixir => ("<<".into(), ">>"),
        Lang::Js => (format!("const {name} = Buffer.from(["), "]);"),
        Lang::JsUint8Array => (format!("const {name} = new Uint8Array(["), "]);"),
        Lang::PythonBytes => (format!("{name} = bytes(["), "])"),
        Lang::Python => (format!("{name} = ("), ")"),
        Lang::C => (format!("static const uint8_t {name}[{len}] = {{"), "};"),
        Lang::Rust => (format!("const {name}: [u8; {len}] = ["), "];"),
        Lang::Go => (format!("var {name} = []byte{{"), "}"),
    }
}

/// One frame's expression (Erlang, Elixir) or declaration (the others),
/// its later lines indented by `indent`, without a trailing newline.
pub(crate) fn frame_code(
    items: &[Item<'_>],
    len: usize,
    lang: Lang,
    name: &str,
    comments: bool,
    indent: &str,
) -> String {
    if lang == Lang::Python {
        return python_struct(items, name, comments, indent);
    }
    let lines = lines_of(items, lang, comments);
    let (open, close) = frame_delims(lang, name, len);
    let mut out = String::with_capacity(len.saturating_mul(8).saturating_add(256));
    out.push_str(&open);
    if comments {
        out.push('\n');
        let inner = format!("{indent}{}", indent_unit(lang));
        write_lines(&mut out, &lines, lang, &inner);
        out.push_str(indent);
    } else if write_compact(&mut out, &lines, indent, lang) {
        out.push_str(indent);
    }
    out.push_str(close);
    out
}

/// A line of the Python `struct.pack` form.
enum PyPiece {
    /// A top-level comment line.
    Comment(usize, String),
    /// A run of integers: (format char, value, comment) or comment lines.
    Struct(Vec<PyArg>),
    /// A bytes literal (chunks), with its depth and comment.
    Text(usize, Vec<String>, String),
    /// `bytes.fromhex(...)` (lines of hex), with its depth and comment.
    Hex(usize, Vec<String>, String),
}

enum PyArg {
    /// Depth, format char, value, comment.
    Value(usize, char, String, String),
    Comment(usize, String),
}

fn python_pieces(items: &[Item<'_>]) -> Vec<PyPiece> {
    let mut pieces: Vec<PyPiece> = Vec::new();
    for item in items {
        match item {
            Item::Group { depth, comment } => match pieces.last_mut() {
                Some(PyPiece::Struct(args)) => args.push(PyArg::Comment(*depth, comment.clone())),
                _ => pieces.push(PyPiece::Comment(*depth, comment.clone())),
            },
            Item::Field {
                depth,
                bytes,
                kind,
                comment,
            } => {
                let arg = match kind {
                    Kind::Int { width, value } => {
                        format_char(*width, false).map(|c| (c, value.to_string()))
                    }
                    Kind::Signed { width, value } => {
                        format_char(*width, true).map(|c| (c, value.to_string()))
                    }
                    _ => None,
                };
                match (arg, kind) {
                    (Some((c, v)), _) => {
                        let a = PyArg::Value(*depth, c, v, comment.clone());
                        match pieces.last_mut() {
                            Some(PyPiece::Struct(args)) => args.push(a),
                            _ => pieces.push(PyPiece::Struct(vec![a])),
                        }
                    }
                    (None, Kind::Text(t)) => pieces.push(PyPiece::Text(
                        *depth,
                        text_chunks(t)
                            .into_iter()
                            .map(|c| format!("b'{}'", escape_string(c, Lang::Python)))
                            .collect(),
                        comment.clone(),
                    )),
                    (None, _) => pieces.push(PyPiece::Hex(
                        *depth,
                        bytes
                            .chunks(32)
                            .map(|c| format!("'{}'", crate::hex::encode(c)))
                            .collect(),
                        comment.clone(),
                    )),
                }
            }
        }
    }
    pieces
}

fn format_char(width: usize, signed: bool) -> Option<char> {
    let c = match width {
        1 => 'B',
        2 => 'H',
        4 => 'I',
        8 => 'Q',
        _ => return None,
    };
    Some(if signed { c.to_ascii_lowercase() } else { c })
}

fn struct_format(args: &[PyArg]) -> String {
    let mut f = String::from(">");
    f.extend(args.iter().filter_map(|a| match a {
        PyArg::Value(_, c, _, _) => Some(*c),
        PyArg::Comment(..) => None,
    }));
    f
}

/// `name = (struct.pack('>HB...', ...) + b'text' + bytes.fromhex('...') ...)`.
fn python_struct(items: &[Item<'_>], name: &str, comments: bool, indent: &str) -> String {
    let pieces = python_pieces(items);
    let lang = Lang::Python;
    let mut out = String::new();
    if !comments {
        let parts: Vec<String> = pieces
            .iter()
            .filter_map(|p| match p {
                PyPiece::Comment(..) => None,
                PyPiece::Struct(args) => {
                    let values: Vec<&str> = args
                        .iter()
                        .filter_map(|a| match a {
                            PyArg::Value(_, _, v, _) => Some(v.as_str()),
                            PyArg::Comment(..) => None,
                        })
                        .collect();
                    Some(format!(
                        "struct.pack('{}', {})",
                        struct_format(args),
                        values.join(", ")
                    ))
                }
                PyPiece::Text(_, chunks, _) => Some(chunks.join(" ")),
                PyPiece::Hex(_, lines, _) => Some(format!(
                    "bytes.fromhex('{}')",
                    lines
                        .iter()
                        .map(|l| l.trim_matches('\''))
                        .collect::<String>()
                )),
            })
            .collect();
        let body = if parts.is_empty() {
            "b''".to_string()
        } else {
            parts.join(" + ")
        };
        let _ = write!(out, "{name} = {body}");
        return out;
    }
    let i1 = format!("{indent}    ");
    let i2 = format!("{indent}        ");
    let c = |t: &str| clean_comment(t, lang);
    let _ = writeln!(out, "{name} = (");
    let mut first = true;
    let lead = |first: &mut bool| -> &'static str {
        if std::mem::replace(first, false) {
            ""
        } else {
            "+ "
        }
    };
    // Runs of integers cut across the tree: the lines are not indented by
    // depth (group comments still say where each group starts).
    let ind = |_depth: usize| "";
    for p in &pieces {
        match p {
            PyPiece::Comment(depth, text) => {
                let _ = writeln!(out, "{i1}{}# {}", ind(*depth), c(text));
            }
            PyPiece::Struct(args) => {
                let l = lead(&mut first);
                let _ = writeln!(out, "{i1}{l}struct.pack(");
                let _ = writeln!(out, "{i2}'{}',", struct_format(args));
                for a in args {
                    match a {
                        PyArg::Value(depth, fc, v, text) => {
                            let code = format!("{}{v},", ind(*depth));
                            let pad = 12usize.saturating_sub(code.len());
                            let _ = writeln!(out, "{i2}{code}{:pad$}  # ({fc}) {}", "", c(text));
                        }
                        PyArg::Comment(depth, text) => {
                            let _ = writeln!(out, "{i2}{}# {}", ind(*depth), c(text));
                        }
                    }
                }
                let _ = writeln!(out, "{i1})");
            }
            PyPiece::Text(depth, chunks, text) => {
                let l = lead(&mut first);
                let d = ind(*depth);
                for (k, chunk) in chunks.iter().enumerate() {
                    if k == 0 {
                        let _ = writeln!(out, "{i1}{d}{l}{chunk}  # {}", c(text));
                    } else {
                        let _ = writeln!(out, "{i1}{d}{}{chunk}", " ".repeat(l.len()));
                    }
                }
            }
            PyPiece::Hex(depth, lines, text) => {
                let l = lead(&mut first);
                let d = ind(*depth);
                let _ = writeln!(out, "{i1}{d}{l}bytes.fromhex(  # {}", c(text));
                for line in lines {
                    let _ = writeln!(out, "{i2}{d}{line}");
                }
                let _ = writeln!(out, "{i1}{d})");
            }
        }
    }
    if first {
        let _ = writeln!(out, "{i1}b''");
    }
    out.push_str(indent);
    out.push(')');
    out
}
