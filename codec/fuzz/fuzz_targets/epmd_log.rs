//! Arbitrary UTF-8 text → `input::epmd_log::parse` and `decode_text` with
//! `FormatChoice::EpmdLog` (and auto-detection). No panic; frames do not
//! overlap, and the leaf spans of every complete frame tile its bytes.
//! (Invalid UTF-8 from the mutator is made valid with U+FFFD, not skipped.)
#![no_main]

use erldist_codec::input::epmd_log;
use erldist_codec::span::check_tiling;
use erldist_codec::{decode_text, DecodeOptions, DirectionChoice, FormatChoice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    let parsed = epmd_log::parse(text);
    for f in &parsed.frames {
        assert!(f.line >= 1, "frame line numbers are 1-based");
    }
    let _ = epmd_log::looks_like_log(text);
    for direction in [
        DirectionChoice::Auto,
        DirectionChoice::Request,
        DirectionChoice::Reply,
    ] {
        let report = decode_text(
            text,
            &DecodeOptions {
                format: FormatChoice::EpmdLog,
                direction,
                ..DecodeOptions::default()
            },
        );
        assert_eq!(report.format, "epmd-log");
        let mut end = 0;
        for f in &report.frames {
            assert!(f.offset >= end, "frames overlap: {} < {end}", f.offset);
            end = f.offset + f.bytes.len();
            if f.status.is_complete() {
                if let Err(e) = check_tiling(&f.spans, f.offset, f.bytes.len()) {
                    panic!(
                        "{direction:?}: complete {} frame at {} ({} bytes) does not tile: {e}",
                        f.type_name,
                        f.offset,
                        f.bytes.len()
                    );
                }
            }
        }
    }
    let _ = decode_text(text, &DecodeOptions::default());
});
