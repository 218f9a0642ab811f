//! Every term of tests/vectors/terms.tsv (real OTP 25 term_to_binary output,
//! see tests/vectors/README.md): each encoding decodes whole, its leaves tile
//! it, it re-encodes byte for byte, and no prefix is an error unless the
//! bytes themselves are wrong.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::epmd::Status;
mod common;
use common::terms::{term_rows, COLS};
use erldist_codec::etf::{decode_external, TermOptions};
use erldist_codec::span::check_tiling;

#[test]
fn every_corpus_encoding_decodes_tiles_and_round_trips() {
    let rows = term_rows();
    assert!(rows.len() >= 197, "{} rows", rows.len());
    let opts = TermOptions::default();
    for row in &rows {
        for (col, bytes) in COLS.iter().zip(&row.cols) {
            let d = decode_external(bytes, 0, &opts);
            assert_eq!(
                d.status,
                Status::Complete,
                "{} [{col}]: {:?}",
                row.w,
                d.status
            );
            assert_eq!(d.consumed, bytes.len(), "{} [{col}]", row.w);
            check_tiling(&d.spans(bytes), 0, bytes.len())
                .unwrap_or_else(|e| panic!("{} [{col}]: {e}", row.w));
            let term = d.term.unwrap();
            assert_eq!(&term.encode_external().unwrap(), bytes, "{} [{col}]", row.w);
            if let Some(inf) = &d.inflated {
                check_tiling(&inf.spans(), 0, inf.bytes.len()).unwrap();
            }
        }
    }
}

#[test]
fn prefixes_are_incomplete() {
    let opts = TermOptions::default();
    for row in term_rows() {
        for (col, bytes) in COLS.iter().zip(&row.cols) {
            if bytes.len() > 600 || *col == "compressed" {
                continue;
            }
            for n in 0..bytes.len() {
                let d = decode_external(&bytes[..n], 0, &opts);
                assert!(
                    d.status.is_incomplete(),
                    "{} [{col}] prefix {n}/{}: {:?}",
                    row.w,
                    bytes.len(),
                    d.status
                );
            }
        }
    }
}
