//! Arbitrary text through every text-input reader: format detection, each
//! dump, literal and base64 parser, the packet-dump readers and
//! `decode_text` with every format forced. No panic; errors and notes carry
//! 1-based lines and columns inside the text; no reader produces more than
//! its byte limit. (Invalid UTF-8 from the mutator is made valid with
//! U+FFFD, not skipped.)
#![no_main]

use erldist_codec::input::{self, dumps, literals, Format};
use erldist_codec::{decode_text, DecodeOptions, FormatChoice};
use libfuzzer_sys::fuzz_target;

fn check_error(text: &str, e: &input::InputError) {
    assert!(e.line >= 1 && e.column >= 1, "positions are 1-based: {e:?}");
    assert!(
        e.line <= text.lines().count().max(1) + 1,
        "line past the end: {e:?}"
    );
}

fn check_notes(text: &str, notes: &[input::TextNote]) {
    let lines = text.lines().count().max(1) + 1;
    for n in notes {
        assert!(n.line >= 1 && n.column >= 1, "positions are 1-based: {n:?}");
        assert!(n.line <= lines, "note past the end: {n:?}");
    }
    assert!(notes.len() <= input::MAX_NOTES + 1, "{} notes", notes.len());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    let _ = input::detect(text);
    let _ = literals::detect(text);
    let _ = literals::looks_like_base64(text);
    let _ = dumps::detect(text);
    let _ = dumps::looks_like_xxd_plain(text);
    for f in Format::ALL {
        match input::read_bytes(text, f) {
            Ok(tb) => {
                check_notes(text, &tb.notes);
                assert!(
                    tb.bytes.len() <= dumps::MAX_DUMP_BYTES.max(literals::MAX_LITERAL_BYTES)
                        || f == Format::Raw
                        || f == Format::Hex
                        || f == Format::XxdPlain,
                    "{}: {} bytes",
                    f.as_str(),
                    tb.bytes.len()
                );
            }
            Err(e) => check_error(text, &e),
        }
    }
    for parsed in [dumps::parse_tshark(text), dumps::parse_tcpdump(text)] {
        match parsed {
            Ok(d) => {
                check_notes(text, &d.notes);
                for p in &d.packets {
                    assert!(p.line >= 1);
                    let _ = input::packets::guess_link(&p.bytes, true);
                }
                if let Some((link, _)) = input::packets::dump_link(&d.packets, false) {
                    let _ = input::packets::to_pcap(&d.packets, link);
                }
            }
            Err(e) => check_error(text, &e),
        }
    }
    let _ = decode_text(text, &DecodeOptions::default());
    for f in Format::ALL {
        let r = decode_text(
            text,
            &DecodeOptions {
                format: FormatChoice::Named(f),
                ..DecodeOptions::default()
            },
        );
        if let Some(e) = &r.input_error {
            if f != Format::Raw {
                check_error(text, e);
            }
        }
    }
});
