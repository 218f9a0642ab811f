//! The code export panel: which languages, the code for a frame, a
//! reassembled message or a lint's corrected bytes (all written by
//! [`erldist_codec::export`] from the span tree), and how much of a long
//! snippet the page shows.

use erldist_codec::export::{export, export_frame, frame_title, ExportOptions, Lang};
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{decode_bytes, DecodeOptions, DirectionChoice, FormatChoice, Frame};

/// A choice of the panel: a language of the codec, or the frame's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportChoice {
    /// Code.
    Code(Lang),
    /// The report's JSON for the frame (docs/json-contract.md).
    Json,
}

/// The panel's tabs, in order.
pub const CHOICES: [ExportChoice; 10] = [
    ExportChoice::Code(Lang::Erlang),
    ExportChoice::Code(Lang::Elixir),
    ExportChoice::Code(Lang::Js),
    ExportChoice::Code(Lang::JsUint8Array),
    ExportChoice::Code(Lang::Python),
    ExportChoice::Code(Lang::PythonBytes),
    ExportChoice::Code(Lang::C),
    ExportChoice::Code(Lang::Rust),
    ExportChoice::Code(Lang::Go),
    ExportChoice::Json,
];

impl ExportChoice {
    /// Stable name (`erlang`, ..., `json`): element ids, the stored choice.
    pub fn name(self) -> &'static str {
        match self {
            ExportChoice::Code(l) => l.name(),
            ExportChoice::Json => "json",
        }
    }

    /// The tab's text.
    pub fn tab(self) -> &'static str {
        match self {
            ExportChoice::Code(Lang::Erlang) => "Erlang",
            ExportChoice::Code(Lang::Elixir) => "Elixir",
            ExportChoice::Code(Lang::Js) => "JS",
            ExportChoice::Code(Lang::JsUint8Array) => "JS Uint8Array",
            ExportChoice::Code(Lang::Python) => "Python",
            ExportChoice::Code(Lang::PythonBytes) => "Python bytes",
            ExportChoice::Code(Lang::C) => "C",
            ExportChoice::Code(Lang::Rust) => "Rust",
            ExportChoice::Code(Lang::Go) => "Go",
            ExportChoice::Json => "JSON",
        }
    }

    /// The tab's tooltip.
    pub fn title(self) -> &'static str {
        match self {
            ExportChoice::Code(l) => l.label(),
            ExportChoice::Json => "the decoded frame as JSON (the CLI's --json)",
        }
    }

    /// The choice named `name` ([`ExportChoice::name`]).
    pub fn from_name(name: &str) -> Option<ExportChoice> {
        CHOICES.into_iter().find(|c| c.name() == name)
    }

    /// The language for code (JSON has none: lint code then uses Erlang).
    pub fn lang(self) -> Lang {
        match self {
            ExportChoice::Code(l) => l,
            ExportChoice::Json => Lang::Erlang,
        }
    }
}

fn options(comments: bool) -> ExportOptions {
    ExportOptions {
        comments,
        ..ExportOptions::default()
    }
}

/// The code that builds the frame's bytes.
pub fn frame_code(f: &Frame, lang: Lang, comments: bool) -> String {
    export_frame(f, lang, &options(comments))
}

/// The code that builds a reassembled message's bytes.
pub fn reassembled_code(f: &Frame, lang: Lang, comments: bool) -> String {
    let Some(r) = &f.reassembled else {
        return String::new();
    };
    let opts = ExportOptions {
        title: Some(format!(
            "the message reassembled from {} fragments of {}: {} bytes (control message and payload)",
            r.fragments,
            frame_title(f),
            r.bytes.len()
        )),
        name: Some("message".to_string()),
        ..options(comments)
    };
    export(&r.bytes, &r.spans, 0, lang, &opts)
}

/// The code that builds the corrected bytes of the frame's lint `i`, with
/// its fields when the corrected bytes decode as one whole frame.
pub fn lint_code(f: &Frame, i: usize, lang: Lang, comments: bool) -> Option<String> {
    let lint = f.lint.get(i)?;
    let fixed = lint.corrected.as_deref()?;
    let opts = DecodeOptions {
        format: FormatChoice::Raw,
        direction: match f.direction {
            erldist_codec::epmd::Direction::Request => DirectionChoice::Request,
            erldist_codec::epmd::Direction::Reply => DirectionChoice::Reply,
        },
        protocol: match f.protocol {
            erldist_codec::session::Protocol::Epmd => ProtocolChoice::Epmd,
            erldist_codec::session::Protocol::Dist => ProtocolChoice::Dist,
        },
        cookie: None,
    };
    let r = decode_bytes(fixed, &opts);
    let title = |t: &str| format!("{} ({}): {t}", lint.id, "corrected bytes");
    let code = match r.frames.as_slice() {
        [g] if g.status.is_complete() && g.bytes == fixed => export_frame(
            g,
            lang,
            &ExportOptions {
                title: Some(title(&frame_title(g))),
                name: Some("corrected".to_string()),
                ..options(comments)
            },
        ),
        _ => export(
            fixed,
            &[],
            0,
            lang,
            &ExportOptions {
                title: Some(title(&format!("{} bytes", fixed.len()))),
                name: Some("corrected".to_string()),
                ..options(comments)
            },
        ),
    };
    Some(code)
}

/// Characters of a snippet the page shows before "show all".
pub const SHOWN_CHARS: usize = 24_000;

/// The head of `text` the page shows (whole lines, about `max` characters)
/// and how many lines are left out.
pub fn clip(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = text.get(..cut).unwrap_or("");
    let head = match head.rfind('\n') {
        Some(nl) => head.get(..nl + 1).unwrap_or(head),
        None => head,
    };
    let rest = text.get(head.len()..).unwrap_or("");
    (head, rest.lines().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::decode_text;

    fn frame(text: &str) -> Frame {
        decode_text(text, &DecodeOptions::default())
            .frames
            .remove(0)
    }

    #[test]
    fn the_panel_offers_every_language_of_the_codec_and_json() {
        for l in Lang::ALL {
            assert!(CHOICES.contains(&ExportChoice::Code(l)), "{l:?}");
        }
        for c in CHOICES {
            assert_eq!(ExportChoice::from_name(c.name()), Some(c));
            assert!(!c.tab().is_empty() && !c.title().is_empty());
        }
        assert_eq!(ExportChoice::from_name("cobol"), None);
    }

    #[test]
    fn alive2_req_in_erlang_is_the_bit_syntax_with_fields() {
        let f = frame("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00");
        let code = frame_code(&f, Lang::Erlang, false);
        assert_eq!(
            code,
            "<<17:16, 120, 9506:16, 77, 0, 6:16, 5:16, 4:16, \"node\", 0:16>>\n"
        );
        let commented = frame_code(&f, Lang::Erlang, true);
        assert!(commented.starts_with("%% ALIVE2_REQ, 19 bytes, sent by the client to epmd"));
        assert!(commented.contains("port"));
        assert!(frame_code(&f, Lang::Go, false).contains("[]byte{"));
    }

    #[test]
    fn a_lint_comes_with_code_for_the_corrected_bytes() {
        let f = frame("7a 6e 6f 64 65");
        let code = lint_code(&f, 0, Lang::Erlang, false).unwrap();
        assert_eq!(code, "<<5:16, 122, \"node\">>\n");
        let commented = lint_code(&f, 0, Lang::Python, true).unwrap();
        assert!(commented.contains("missing-length-prefix"), "{commented}");
        assert!(commented.contains("PORT_PLEASE2_REQ"), "{commented}");
        assert_eq!(lint_code(&f, 1, Lang::Erlang, false), None);
    }

    #[test]
    fn a_reassembled_message_exports_its_own_bytes() {
        let text = include_str!("../../codec/tests/vectors/dist/dist_full.streams.txt");
        let r = decode_text(text, &DecodeOptions::default());
        let f = r.frames.iter().find(|f| f.reassembled.is_some()).unwrap();
        let code = reassembled_code(f, Lang::C, true);
        let n = f.reassembled.as_ref().unwrap().bytes.len();
        assert!(code.contains(&format!("message[{n}]")), "{}", &code[..300]);
        assert_eq!(reassembled_code(&r.frames[0], Lang::C, true), "");
    }

    #[test]
    fn long_snippets_are_clipped_at_a_line() {
        let text = "aaaa\nbbbb\ncccc\n";
        assert_eq!(clip(text, 100), (text, 0));
        assert_eq!(clip(text, 12), ("aaaa\nbbbb\n", 1));
        assert_eq!(clip(text, 3), ("aaa", 3));
        assert_eq!(clip("éé", 3).0, "é");
    }
}
