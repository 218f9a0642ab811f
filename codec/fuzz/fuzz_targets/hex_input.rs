//! Text → `input::parse_hex` and `decode_text` (auto-detected format).
//! No panic; a successful parse survives a round trip through spaced (and
//! compact) hex; complete frames' leaf spans tile their bytes. (Invalid
//! UTF-8 from the mutator is made valid with U+FFFD, not skipped.)
#![no_main]

use erldist_codec::input::parse_hex;
use erldist_codec::span::check_tiling;
use erldist_codec::{decode_text, hex, DecodeOptions, FormatChoice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    match parse_hex(text) {
        Ok(parsed) => {
            let spaced = hex::spaced(&parsed.bytes);
            match parse_hex(&spaced) {
                Ok(again) => assert_eq!(again.bytes, parsed.bytes, "re-parse of {spaced:?}"),
                Err(e) => panic!("spaced hex {spaced:?} does not parse: {e}"),
            }
            let compact = hex::encode(&parsed.bytes);
            let again = parse_hex(&compact).map(|p| p.bytes);
            assert_eq!(
                again.as_deref(),
                Ok(parsed.bytes.as_slice()),
                "re-parse of {compact:?}"
            );
        }
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "positions are 1-based: {e:?}");
        }
    }
    for f in decode_text(text, &DecodeOptions::default()).frames {
        if f.status.is_complete() {
            if let Err(e) = check_tiling(&f.spans, f.offset, f.bytes.len()) {
                panic!(
                    "complete {} frame at {} does not tile: {e}",
                    f.type_name, f.offset
                );
            }
        }
    }
    let _ = decode_text(
        text,
        &DecodeOptions {
            format: FormatChoice::Hex,
            ..DecodeOptions::default()
        },
    );
});
