//! Export a built or decoded frame, or a whole session, as code, JSON or a
//! capture file.
//!
//! The code is written **from the span tree**, so it shows the fields: one
//! line per leaf span with a comment naming it, a comment line per group
//! span (a term, a header), integers wider than a byte that are one leaf
//! written as sized segments where the language has them (Erlang and Elixir
//! `9506:16`, Python `struct.pack('>H', ...)`) and as bytes elsewhere,
//! printable text as strings, and bytes no span covers kept too, so the
//! snippet always builds exactly the frame's bytes.
//!
//! | [`Lang`] | the snippet is | a harness prints it with |
//! |---|---|---|
//! | `Erlang` | an expression `<<17:16, 120, ...>>` | `B = <<...>>, [io_lib:format("~2.16.0b", [X]) \|\| <<X>> <= B]` |
//! | `Elixir` | an expression `<<17::16, 120, ...>>` | `Base.encode16(b, case: :lower)` |
//! | `Js` | `const frame = Buffer.from([...]);` (Node) | `frame.toString("hex")` |
//! | `JsUint8Array` | `const frame = new Uint8Array([...]);` | `Buffer.from(frame).toString("hex")` |
//! | `Python` | `import struct` + `frame = (struct.pack('>HBH...', ...) + b'node' + ...)` | `print(frame.hex())` |
//! | `PythonBytes` | `frame = bytes([...])` | `print(frame.hex())` |
//! | `C` | `#include <stdint.h>` + `static const uint8_t frame[N] = {...};` | a `main` printing `"%02x"` per byte |
//! | `Rust` | `const FRAME: [u8; N] = [...];` | a `main` printing `{:02x}` per byte |
//! | `Go` | `var frame = []byte{...}` | `fmt.Printf("%x\n", frame)` |
//!
//! A session ([`export_session`]) is every frame in order, each with a
//! comment saying who sends it: a list of `{Sender, Bytes}` tuples in Erlang
//! and Elixir, one declaration per frame (`frame_1`, …) and a `frames` list
//! of (sender, bytes) pairs in the others. JSON is the report's frame JSON
//! ([`frame_json`], [`frames_json`]); a capture file is [`pcapng`].
//!
//! ```
//! use erldist_codec::export::{export, ExportOptions, Lang};
//! use erldist_codec::{decode_text, DecodeOptions};
//! let r = decode_text("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00", &DecodeOptions::default());
//! let f = &r.frames[0];
//! let opts = ExportOptions { comments: false, ..ExportOptions::default() };
//! assert_eq!(
//!     export(&f.bytes, &f.spans, f.offset, Lang::Erlang, &opts),
//!     "<<17:16, 120, 9506:16, 77, 0, 6:16, 5:16, 4:16, \"node\", 0:16>>\n"
//! );
//! ```

mod code;
mod layout;
pub mod pcapng;

use crate::conn::Side;
use crate::report::Frame;
use crate::session::Protocol;
use crate::span::Span;
use std::fmt::Write;

/// A language (and form) to export code in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Erlang bit syntax: `<<17:16, 120, 9506:16, "node", 0:16>>`.
    Erlang,
    /// Elixir bitstring: `<<17::16, 120, 9506::16, "node", 0::16>>`.
    Elixir,
    /// JavaScript for Node: `Buffer.from([...])`.
    Js,
    /// JavaScript anywhere: `new Uint8Array([...])`.
    JsUint8Array,
    /// Python with the field layout: `struct.pack('>HBH...', ...) + b'node' + ...`.
    Python,
    /// Python bytes: `bytes([...])`.
    PythonBytes,
    /// C: `static const uint8_t frame[N] = {...};`.
    C,
    /// Rust: `const FRAME: [u8; N] = [...];`.
    Rust,
    /// Go: `var frame = []byte{...}`.
    Go,
}

impl Lang {
    /// Every language, in menu order.
    pub const ALL: [Lang; 9] = [
        Lang::Erlang,
        Lang::Elixir,
        Lang::Js,
        Lang::JsUint8Array,
        Lang::Python,
        Lang::PythonBytes,
        Lang::C,
        Lang::Rust,
        Lang::Go,
    ];

    /// The short name (`erlang`, `js-uint8array`, `python-bytes`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Lang::Erlang => "erlang",
            Lang::Elixir => "elixir",
            Lang::Js => "js",
            Lang::JsUint8Array => "js-uint8array",
            Lang::Python => "python",
            Lang::PythonBytes => "python-bytes",
            Lang::C => "c",
            Lang::Rust => "rust",
            Lang::Go => "go",
        }
    }

    /// What a menu shows (`Erlang bit syntax`, `Python struct.pack`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Lang::Erlang => "Erlang bit syntax",
            Lang::Elixir => "Elixir bitstring",
            Lang::Js => "JavaScript (Node Buffer)",
            Lang::JsUint8Array => "JavaScript (Uint8Array)",
            Lang::Python => "Python struct.pack",
            Lang::PythonBytes => "Python bytes",
            Lang::C => "C array",
            Lang::Rust => "Rust array",
            Lang::Go => "Go []byte",
        }
    }

    /// A language by name or a usual alias (`erl`, `ex`, `node`,
    /// `javascript`, `uint8array`, `py`, `rs`, `golang`), case-insensitive.
    pub fn from_name(name: &str) -> Option<Lang> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "erlang" | "erl" => Lang::Erlang,
            "elixir" | "ex" => Lang::Elixir,
            "js" | "javascript" | "node" => Lang::Js,
            "js-uint8array" | "uint8array" => Lang::JsUint8Array,
            "python" | "py" | "python-struct" => Lang::Python,
            "python-bytes" => Lang::PythonBytes,
            "c" => Lang::C,
            "rust" | "rs" => Lang::Rust,
            "go" | "golang" => Lang::Go,
            _ => return None,
        })
    }

    /// Whether the snippet is an expression (Erlang, Elixir) rather than a
    /// declaration binding a name.
    pub fn is_expression(self) -> bool {
        matches!(self, Lang::Erlang | Lang::Elixir)
    }

    fn comment(self) -> &'static str {
        match self {
            Lang::Erlang => "%%",
            Lang::Elixir | Lang::Python | Lang::PythonBytes => "#",
            _ => "//",
        }
    }
}

/// Options for [`export`] and [`export_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// A comment per field and per group, and a title (default); without,
    /// the compact form (`<<17:16, 120, ...>>` on one line where it fits).
    pub comments: bool,
    /// The name the declaration binds (`frame`; Rust upper-cases it).
    /// Ignored for Erlang and Elixir, whose snippet is an expression.
    pub name: Option<String>,
    /// A first comment line (what the frame is).
    pub title: Option<String>,
}

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions {
            comments: true,
            name: None,
            title: None,
        }
    }
}

/// A valid identifier from `name` (letters, digits and `_`), upper-cased
/// for Rust constants.
fn ident(name: &str, lang: Lang) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if lang == Lang::Rust {
        s.make_ascii_uppercase();
    }
    s
}

/// What a snippet needs before its declarations (C's `stdint.h`, Python's
/// `struct`).
fn preamble(lang: Lang, session: bool) -> &'static str {
    match (lang, session) {
        (Lang::C, false) => "#include <stdint.h>\n\n",
        (Lang::C, true) => "#include <stddef.h>\n#include <stdint.h>\n\n",
        (Lang::Python, _) => "import struct\n\n",
        _ => "",
    }
}

/// The code for one frame: its bytes, its span tree (offsets absolute,
/// the frame starting at `base_offset`, as in [`Frame`]), in `lang`.
///
/// Leaves are written as the layout says (sized integers, strings, bytes),
/// groups as comment lines; bytes no leaf covers are written too, so the
/// snippet always builds `bytes` exactly.
pub fn export(
    bytes: &[u8],
    spans: &[Span],
    base_offset: usize,
    lang: Lang,
    opts: &ExportOptions,
) -> String {
    let items = layout::layout(bytes, spans, base_offset);
    let name = ident(opts.name.as_deref().unwrap_or("frame"), lang);
    let mut out = String::from(preamble(lang, false));
    if opts.comments {
        if let Some(t) = &opts.title {
            let _ = writeln!(out, "{} {}", lang.comment(), code::clean_comment(t, lang));
        }
    }
    out.push_str(&code::frame_code(
        &items,
        bytes.len(),
        lang,
        &name,
        opts.comments,
        "",
    ));
    out.push('\n');
    out
}

/// Who sends a frame, in words: `the client to epmd`, `the initiator (the
/// node that connected) to the acceptor`, ...
pub fn sender_words(protocol: Protocol, side: Side) -> &'static str {
    match (protocol, side) {
        (Protocol::Epmd, Side::Initiator) => "the client to epmd",
        (Protocol::Epmd, Side::Acceptor) => "epmd to the client",
        (Protocol::Dist, Side::Initiator) => {
            "the initiator (the node that connected) to the acceptor"
        }
        (Protocol::Dist, Side::Acceptor) => {
            "the acceptor to the initiator (the node that connected)"
        }
    }
}

/// A frame's title line: `ALIVE2_REQ, 19 bytes, sent by the client to epmd`
/// (with the connection, when the input held several).
pub fn frame_title(frame: &Frame) -> String {
    let mut t = format!(
        "{}, {} bytes, sent by {}",
        frame.type_name,
        frame.bytes.len(),
        sender_words(frame.protocol, frame.side)
    );
    if let Some(s) = frame.stream {
        let _ = write!(t, " (connection {s})");
    }
    t
}

/// [`export`] of a decoded (or built) frame, titled with what it is and
/// who sends it unless `opts.title` is given.
pub fn export_frame(frame: &Frame, lang: Lang, opts: &ExportOptions) -> String {
    let mut o = opts.clone();
    if o.title.is_none() {
        o.title = Some(frame_title(frame));
    }
    export(&frame.bytes, &frame.spans, frame.offset, lang, &o)
}

/// Every frame of a conversation (or of a whole report) in order, each
/// with a comment saying who sends it (`#3 ...`, numbered as the report
/// numbers them when `frames` is the report's list).
///
/// Erlang and Elixir: a list of `{Sender, Bytes}` tuples (`initiator` /
/// `acceptor`). The others: one declaration per frame (`frame_1`, …;
/// `FRAME_1` in Rust, `frame1` in Go) and a `frames` list of
/// (sender, bytes) pairs (C: `{sender, bytes, length}` and `frame_count`).
pub fn export_session(frames: &[Frame], lang: Lang, opts: &ExportOptions) -> String {
    let mut out = String::from(preamble(lang, true));
    let c = lang.comment();
    if opts.comments {
        let title = opts.title.clone().unwrap_or_else(|| {
            format!(
                "{} frame(s), in order; each is (sender, bytes): sender `initiator` is the side that connected, `acceptor` the side that accepted",
                frames.len()
            )
        });
        let _ = writeln!(out, "{c} {}", code::clean_comment(&title, lang));
    }
    let base = ident(opts.name.as_deref().unwrap_or("frame"), lang);
    let frame_name = |i: usize| -> String {
        match lang {
            Lang::Go => format!("{base}{i}"),
            _ => format!("{base}_{i}"),
        }
    };
    let title_of = |i: usize, f: &Frame| format!("#{i} {}", frame_title(f));
    if lang.is_expression() {
        let unit = "    ";
        out.push_str("[\n");
        for (k, f) in frames.iter().enumerate() {
            let i = k + 1;
            if opts.comments {
                let _ = writeln!(
                    out,
                    "{unit}{c} {}",
                    code::clean_comment(&title_of(i, f), lang)
                );
            }
            let items = layout::layout(&f.bytes, &f.spans, f.offset);
            let expr = code::frame_code(&items, f.bytes.len(), lang, "", opts.comments, unit);
            let sender = match lang {
                Lang::Elixir => format!(":{}", f.side.as_str()),
                _ => f.side.as_str().to_string(),
            };
            let comma = if i < frames.len() { "," } else { "" };
            let _ = writeln!(out, "{unit}{{{sender}, {expr}}}{comma}");
        }
        out.push_str("]\n");
        return out;
    }
    for (k, f) in frames.iter().enumerate() {
        let i = k + 1;
        if opts.comments {
            let _ = writeln!(out, "{c} {}", code::clean_comment(&title_of(i, f), lang));
        }
        let items = layout::layout(&f.bytes, &f.spans, f.offset);
        out.push_str(&code::frame_code(
            &items,
            f.bytes.len(),
            lang,
            &frame_name(i),
            opts.comments,
            "",
        ));
        out.push_str("\n\n");
    }
    let list = ident(
        &format!("{}s", opts.name.as_deref().unwrap_or("frame")),
        lang,
    );
    let pairs = frames
        .iter()
        .enumerate()
        .map(|(k, f)| (f.side.as_str(), frame_name(k + 1)));
    match lang {
        Lang::Js | Lang::JsUint8Array => {
            let _ = writeln!(out, "const {list} = [");
            for (s, n) in pairs {
                let _ = writeln!(out, "  [\"{s}\", {n}],");
            }
            out.push_str("];\n");
        }
        Lang::Python | Lang::PythonBytes => {
            let _ = writeln!(out, "{list} = [");
            for (s, n) in pairs {
                let _ = writeln!(out, "    ('{s}', {n}),");
            }
            out.push_str("]\n");
        }
        Lang::C => {
            if frames.is_empty() {
                let _ = writeln!(out, "static const size_t {list}_count = 0;");
            } else {
                let _ = writeln!(out, "static const struct {{\n    const char *sender;\n    const uint8_t *bytes;\n    size_t length;\n}} {list}[] = {{");
                for (s, n) in pairs {
                    let _ = writeln!(out, "    {{\"{s}\", {n}, sizeof {n}}},");
                }
                out.push_str("};\n");
                let _ = writeln!(
                    out,
                    "static const size_t {list}_count = sizeof {list} / sizeof {list}[0];"
                );
            }
        }
        Lang::Rust => {
            let _ = writeln!(out, "const {list}: [(&str, &[u8]); {}] = [", frames.len());
            for (s, n) in pairs {
                let _ = writeln!(out, "    (\"{s}\", &{n}),");
            }
            out.push_str("];\n");
        }
        Lang::Go => {
            let _ = writeln!(
                out,
                "var {list} = []struct {{\n\tSender string\n\tBytes  []byte\n}}{{"
            );
            for (s, n) in pairs {
                let _ = writeln!(out, "\t{{\"{s}\", {n}}},");
            }
            out.push_str("}\n");
        }
        Lang::Erlang | Lang::Elixir => {}
    }
    out
}

/// The report's JSON for one frame (docs/json-contract.md), pretty-printed.
pub fn frame_json(frame: &Frame) -> Result<String, String> {
    serde_json::to_string_pretty(frame).map_err(|e| e.to_string())
}

/// The report's JSON for several frames: an array of frame objects.
pub fn frames_json(frames: &[Frame]) -> Result<String, String> {
    serde_json::to_string_pretty(frames).map_err(|e| e.to_string())
}
