//! Shared by the vector tests: reading the corpus copies in tests/vectors/corpus.
// Each test crate that includes this module uses only part of it.
#![allow(dead_code)]

pub mod erl;
pub mod procs;
pub mod terms;
pub mod view;

use std::collections::BTreeMap;

/// The text of `tests/vectors/corpus/<name>`.
pub fn read(name: &str) -> String {
    let p = format!("{}/tests/vectors/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Per epmd TCP stream of a payload listing: (client bytes, server bytes),
/// in stream order, streams in which the client sent nothing left out.
pub fn pcap_streams(payloads: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut streams: BTreeMap<usize, (Vec<u8>, Vec<u8>)> = BTreeMap::new();
    let mut lines = payloads.lines();
    while let Some(l) = lines.next() {
        // Entries: "#12 frame=... stream=N client->server ..." then one hex line.
        if !l.starts_with('#') || !l[1..].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let id: usize = l
            .split(" stream=")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("stream id");
        let bytes = erldist_codec::input::parse_hex(lines.next().expect("hex line"))
            .expect("payload hex")
            .bytes;
        let e = streams.entry(id).or_default();
        if l.contains("client->server") {
            e.0.extend(bytes);
        } else {
            e.1.extend(bytes);
        }
    }
    streams
        .into_values()
        .filter(|(c, _)| !c.is_empty())
        .collect()
}
