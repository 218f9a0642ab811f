//! The ETF decoder's limits hold in wasm32 too (run in headless Chromium by
//! scripts/test-wasm.sh): decoding and encoding keep nesting on the heap, so
//! a 1000-deep list works on wasm's 1 MiB stack, a million-deep one is a
//! clean error, and a COMPRESSED size over `max_inflated` is refused before
//! anything is inflated or allocated.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use erldist_codec::epmd::Status;
use erldist_codec::etf::{decode_external, Limits, TermOptions};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `[[[...[]...]]]` nested `depth` times, as term_to_binary writes it.
fn nested_list(depth: usize) -> Vec<u8> {
    let mut b = vec![131];
    for _ in 0..depth {
        b.extend_from_slice(&[108, 0, 0, 0, 1]);
    }
    b.push(106);
    b.extend(std::iter::repeat_n(106, depth));
    b
}

/// term_to_binary(lists:duplicate(100, 0), [compressed]) (OTP 25).
const COMPRESSED_100_ZEROS: [u8; 20] = [
    0x83, 0x50, 0x00, 0x00, 0x00, 0x67, 0x78, 0x9c, 0xcb, 0x66, 0x48, 0x61, 0xa0, 0x03, 0x00, 0x00,
    0x52, 0xe8, 0x00, 0xd0,
];

fn with_limits(max_depth: usize, max_inflated: usize) -> TermOptions<'static> {
    TermOptions {
        limits: Limits {
            max_depth,
            max_inflated,
            ..Limits::default()
        },
        atom_refs: None,
    }
}

#[wasm_bindgen_test]
fn depth_1000_decodes_and_re_encodes() {
    let b = nested_list(1000);
    let d = decode_external(&b, 0, &TermOptions::default());
    assert_eq!(d.status, Status::Complete);
    assert_eq!(d.consumed, b.len());
    assert_eq!(d.term.unwrap().encode_external().unwrap(), b);
}

#[wasm_bindgen_test]
fn the_deepest_accepted_list_decodes_re_encodes_and_drops() {
    // max_depth open lists: the deepest term the default limits accept. Its
    // Term and span tree are dropped recursively, on wasm's 1 MiB stack.
    let depth = Limits::default().max_depth;
    let b = nested_list(depth);
    let d = decode_external(&b, 0, &TermOptions::default());
    assert_eq!(d.status, Status::Complete);
    assert_eq!(d.term.unwrap().encode_external().unwrap(), b);
    let d = decode_external(&nested_list(depth + 1), 0, &TermOptions::default());
    assert!(matches!(d.status, Status::Invalid(_)), "{:?}", d.status);
}

#[wasm_bindgen_test]
fn a_million_deep_list_is_a_clean_error() {
    let b = nested_list(1_000_000);
    let d = decode_external(&b, 0, &TermOptions::default());
    let Status::Invalid(e) = &d.status else {
        panic!("{:?}", d.status)
    };
    assert!(e.message.contains("nested deeper than"), "{}", e.message);
    assert_eq!(e.offset, 1 + 5 * Limits::default().max_depth);
    assert!(d.term.is_none());
}

#[wasm_bindgen_test]
fn a_smaller_depth_limit_holds() {
    let opts = with_limits(8, Limits::default().max_inflated);
    let ok = nested_list(8);
    assert_eq!(decode_external(&ok, 0, &opts).status, Status::Complete);
    let d = decode_external(&nested_list(9), 0, &opts);
    assert!(
        matches!(&d.status, Status::Invalid(e) if e.message.contains("nested deeper than 8")),
        "{:?}",
        d.status
    );
}

#[wasm_bindgen_test]
fn compressed_size_over_max_inflated_is_refused() {
    let ok = decode_external(&COMPRESSED_100_ZEROS, 0, &TermOptions::default());
    assert_eq!(ok.status, Status::Complete);
    assert_eq!(ok.inflated.unwrap().bytes.len(), 0x67);
    let d = decode_external(&COMPRESSED_100_ZEROS, 0, &with_limits(2048, 50));
    assert!(
        matches!(&d.status, Status::Invalid(e) if e.field == "uncompressed_size" && e.offset == 2),
        "{:?}",
        d.status
    );
    assert!(d.inflated.is_none(), "inflated despite the limit");
}

#[wasm_bindgen_test]
fn a_4_gib_size_field_is_refused_before_inflating() {
    // UncompressedSize 0xFFFFFFFF: past the default 64 MiB limit, and more
    // than wasm32 can address.
    let mut b = COMPRESSED_100_ZEROS;
    b[2..6].copy_from_slice(&[0xff; 4]);
    let d = decode_external(&b, 0, &TermOptions::default());
    assert!(
        matches!(&d.status, Status::Invalid(e) if e.field == "uncompressed_size"),
        "{:?}",
        d.status
    );
    assert!(d.inflated.is_none());
}
