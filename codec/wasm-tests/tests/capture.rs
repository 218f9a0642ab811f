//! Capture import runs in wasm32 too (headless Chromium, scripts/test-wasm.sh):
//! a real OTP 25 capture (tests/vectors/dist/dist_hidden.pcap) decodes to
//! the same 22 frames in 5 connections as on the host, whole or pushed in
//! pieces.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use erldist_codec::capture::{decode_capture, CaptureDecoder, CaptureOptions};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const DIST_HIDDEN: &[u8] = include_bytes!("../../tests/vectors/dist/dist_hidden.pcap");

fn opts() -> CaptureOptions {
    CaptureOptions {
        epmd_ports: vec![4399],
        cookie: Some(b"corpuscookie".to_vec()),
        ..CaptureOptions::default()
    }
}

#[wasm_bindgen_test]
fn a_real_capture_decodes_in_wasm() {
    let r = decode_capture(DIST_HIDDEN, &opts());
    assert_eq!(r.format, "pcap");
    assert_eq!(r.frames.len(), 22);
    assert_eq!(r.connections.len(), 5);
    assert!(r.frames.iter().all(|f| f.status.is_complete()));
    let mut d = CaptureDecoder::new(opts());
    let mut frames = Vec::new();
    for chunk in DIST_HIDDEN.chunks(333) {
        d.push(chunk, &mut |f| frames.push(f));
    }
    let s = d.finish(&mut |f| frames.push(f));
    assert_eq!(frames, r.frames);
    assert_eq!(s.connections, r.connections);
}
