//! `erldist decode` on packet captures, as a user runs it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::Value;
use std::process::{Command, Output};

fn erldist(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_erldist"))
        .args(args)
        .output()
        .expect("run erldist")
}

fn vector(rel: &str) -> String {
    format!(
        "{}/../codec/tests/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn a_pcap_is_detected_and_streamed_as_the_json_report() {
    let pcap = vector("dist/dist_hidden.pcap");
    let v = json(&erldist(&[
        "decode",
        "--json",
        "--epmd-port",
        "4399",
        "--cookie",
        "corpuscookie",
        &pcap,
    ]));
    assert_eq!(v["format"], "pcap");
    assert_eq!(v["format_detected"], true);
    assert_eq!(v["frames"].as_array().unwrap().len(), 22);
    assert_eq!(v["connections"].as_array().unwrap().len(), 5);
    let c = &v["connections"][0];
    assert_eq!(c["label"], "stream 0");
    assert_eq!(c["initiator"], "127.0.0.1:42972");
    assert_eq!(c["acceptor"], "127.0.0.1:4399");
    assert!(c["protocol_reason"].as_str().unwrap().contains("4399"));
    assert_eq!(v["frames"][0]["type"], "ALIVE2_REQ");
    assert_eq!(v["frames"][0]["stream"], 0);
    assert_eq!(v["connections"][3]["details"]["reply_digest"], "valid");
    // The same frames without --epmd-port (recognized by their bytes), and
    // with --format pcap; the text layout names the connections.
    let v2 = json(&erldist(&["decode", "--json", "--format", "pcap", &pcap]));
    assert_eq!(v2["format_detected"], false);
    let types = |v: &Value| -> Vec<Value> {
        v["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["type"].clone())
            .collect()
    };
    assert_eq!(types(&v), types(&v2));
    let text = erldist(&["decode", "--epmd-port", "4399", &pcap]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("format: pcap (detected)"), "{text}");
    assert!(text.contains("connection 3: stream 3 127.0.0.1:58774 -> 127.0.0.1:45002: dist"));
}

/// Written frame by frame and connection by connection, the JSON is the
/// library's report, value for value (pcap and pcapng).
#[test]
fn streamed_json_is_the_report() {
    use erldist_codec::capture::{decode_capture, CaptureOptions};
    for rel in ["dist/dist_full.pcap", "corpus/epmd_strict.pcap"] {
        let pcap = vector(rel);
        let got = json(&erldist(&[
            "decode",
            "--json",
            "--epmd-port",
            "4399",
            &pcap,
        ]));
        let mut want = decode_capture(
            &std::fs::read(&pcap).unwrap(),
            &CaptureOptions {
                epmd_ports: vec![4399],
                ..CaptureOptions::default()
            },
        );
        want.format_detected = true;
        assert_eq!(got, serde_json::to_value(&want).unwrap(), "{rel}");
    }
    let ng = format!(
        "{}/../codec/fuzz/seeds/pcap/dist_wrong_cookie.pcapng",
        env!("CARGO_MANIFEST_DIR")
    );
    let got = json(&erldist(&["decode", "--json", &ng]));
    let mut want = decode_capture(&std::fs::read(&ng).unwrap(), &CaptureOptions::default());
    want.format_detected = true;
    assert_eq!(got["format"], "pcapng");
    assert_eq!(got, serde_json::to_value(&want).unwrap());
}
