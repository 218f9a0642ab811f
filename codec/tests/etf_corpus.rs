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
use erldist_codec::etf::{decode_external, TermOptions};
use erldist_codec::span::check_tiling;

struct Row {
    text: String,
    encodings: Vec<(&'static str, Vec<u8>)>,
}

fn rows() -> Vec<Row> {
    let p = format!("{}/tests/vectors/terms.tsv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap();
    let cols = ["default", "minor0", "minor2", "compressed", "deterministic"];
    text.lines()
        .filter(|l| !l.starts_with("#term_w") && !l.starts_with("#generated"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                text: f[0].to_string(),
                encodings: cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (*c, erldist_codec::input::parse_hex(f[i + 1]).unwrap().bytes))
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn every_corpus_encoding_decodes_tiles_and_round_trips() {
    let rows = rows();
    assert!(rows.len() >= 197, "{} rows", rows.len());
    let opts = TermOptions::default();
    for row in &rows {
        for (col, bytes) in &row.encodings {
            let d = decode_external(bytes, 0, &opts);
            assert_eq!(
                d.status,
                Status::Complete,
                "{} [{col}]: {:?}",
                row.text,
                d.status
            );
            assert_eq!(d.consumed, bytes.len(), "{} [{col}]", row.text);
            check_tiling(&d.spans(bytes), 0, bytes.len())
                .unwrap_or_else(|e| panic!("{} [{col}]: {e}", row.text));
            let term = d.term.unwrap();
            assert_eq!(
                &term.encode_external().unwrap(),
                bytes,
                "{} [{col}]",
                row.text
            );
            if let Some(inf) = &d.inflated {
                check_tiling(&inf.spans(), 0, inf.bytes.len()).unwrap();
            }
        }
    }
}

#[test]
fn prefixes_are_incomplete() {
    let opts = TermOptions::default();
    for row in rows() {
        for (col, bytes) in &row.encodings {
            if bytes.len() > 600 || *col == "compressed" {
                continue;
            }
            for n in 0..bytes.len() {
                let d = decode_external(&bytes[..n], 0, &opts);
                assert!(
                    d.status.is_incomplete(),
                    "{} [{col}] prefix {n}/{}: {:?}",
                    row.text,
                    bytes.len(),
                    d.status
                );
            }
        }
    }
}
