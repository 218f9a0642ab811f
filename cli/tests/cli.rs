//! The `erldist` binary, run as a user runs it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn erldist(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_erldist"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run erldist");
    {
        let mut i = child.stdin.take().expect("stdin");
        if let Some(data) = stdin {
            i.write_all(data).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn corpus(name: &str) -> String {
    format!(
        "{}/../codec/tests/vectors/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn encode_alive2_req_prints_the_exact_bytes() {
    let o = erldist(
        &[
            "encode",
            "epmd",
            "ALIVE2_REQ",
            "--port",
            "9506",
            "--node-type",
            "77",
            "--highest-version",
            "6",
            "--lowest-version",
            "5",
            "--name",
            "node",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o).trim(),
        "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"
    );
    // --field=value works too, and derived fields can be overridden.
    let o = erldist(
        &[
            "encode",
            "epmd",
            "ALIVE2_REQ",
            "--port=9506",
            "--name=node",
            "--name-len=1",
        ],
        None,
    );
    assert_eq!(
        stdout(&o).trim(),
        "00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00"
    );
    // --raw writes the bytes themselves.
    let o = erldist(&["encode", "epmd", "NAMES_REQ", "--raw"], None);
    assert_eq!(o.stdout, vec![0, 1, 0x6e]);
}

#[test]
fn encode_errors_name_the_field() {
    let o = erldist(&["encode", "epmd", "ALIVE2_REQ", "--name", "node"], None);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("port") && e.contains("required"), "{e}");
    let o = erldist(
        &[
            "encode",
            "epmd",
            "ALIVE2_REQ",
            "--port",
            "1",
            "--name",
            "n",
            "--nlen",
            "1",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("name_len"));
    let o = erldist(&["encode", "epmd", "--list"], None);
    assert!(o.status.success());
    let list = stdout(&o);
    for t in ["ALIVE2_REQ", "PORT2_RESP", "STOP_RESP", "--highest-version"] {
        assert!(list.contains(t), "{t} missing from --list");
    }
}

#[test]
fn decode_text_layout_explains_every_byte() {
    let o = erldist(
        &["decode", "-"],
        Some(b"00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00\n"),
    );
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("format: hex (detected)"), "{out}");
    assert!(out.contains("#1 ALIVE2_REQ  request (inferred)"), "{out}");
    for want in [
        "length prefix 0x0011 = 17 bytes follow",
        "node type 77 = 'M': normal node",
        "25 22",
        "9506",
        "\"node\"",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn decode_json_follows_the_contract() {
    let o = erldist(
        &["decode", "--json", "--direction", "request", "-"],
        Some(b"0x00,0x01,0x6e"),
    );
    assert!(o.status.success());
    let j: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(j["format"], "hex");
    let f = &j["frames"][0];
    assert_eq!(f["type"], "NAMES_REQ");
    assert_eq!(f["direction"], "request");
    assert_eq!(f["direction_inferred"], false);
    assert_eq!(
        (f["offset"].as_u64(), f["length"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(f["hex"], "00016e");
    assert!(f["error"].is_null() && f["incomplete"].is_null());
    assert_eq!(f["spans"][0]["field"], "length_prefix");
    assert_eq!(f["spans"][0]["hex"], "0001");
    assert_eq!(f["spans"][1]["value"], 110);
}

#[test]
fn decode_json_on_every_corpus_log() {
    let dir = format!(
        "{}/../codec/tests/vectors/corpus",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut logs: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".epmd_debug.log"))
        .collect();
    logs.sort();
    assert_eq!(logs.len(), 7);
    for p in logs {
        let o = erldist(&["decode", "--json", p.to_str().expect("path")], None);
        assert!(o.status.success(), "{p:?}");
        let j: Value = serde_json::from_str(&stdout(&o)).expect("json");
        assert_eq!(j["format"], "epmd-log");
        let frames = j["frames"].as_array().expect("frames");
        let text = std::fs::read_to_string(&p).expect("log");
        let gots = text.lines().filter(|l| l.contains("** got ")).count();
        let requests = frames
            .iter()
            .filter(|f| f["direction"] == "request")
            .count();
        assert_eq!(requests, gots, "{p:?}: one request per `** got` line");
        for f in frames {
            assert!(
                f["error"].is_null() && f["incomplete"].is_null(),
                "{p:?}: {f}"
            );
            assert_eq!(f["direction_inferred"], false);
            assert!(f["fields"].is_object());
        }
    }
    // The ALIVE2_REQ of node b in the strict capture, field by field.
    let o = erldist(
        &["decode", "--json", &corpus("epmd_strict.epmd_debug.log")],
        None,
    );
    let j: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let alive = j["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .find(|f| f["type"] == "ALIVE2_REQ")
        .expect("an ALIVE2_REQ")
        .clone();
    assert_eq!(
        alive["fields"],
        serde_json::json!({"port": 45002, "node_type": 77, "protocol": 0,
            "highest_version": 6, "lowest_version": 5, "name": "b", "extra": ""})
    );
}

#[test]
fn bad_input_points_at_line_and_column() {
    let o = erldist(&["decode", "--json", "-"], Some(b"00 01\n6e zz\n"));
    assert_eq!(o.status.code(), Some(2));
    let j: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(j["input_error"]["line"], 2);
    assert_eq!(j["input_error"]["column"], 4);
    // An invalid frame: exit 1, error with offset and field.
    let o = erldist(
        &["decode", "--json", "--direction", "request", "-"],
        Some(b"00 00 6e"),
    );
    assert_eq!(o.status.code(), Some(1));
    let j: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(j["frames"][0]["error"]["field"], "REQUEST.length_prefix");
    // A missing file.
    let o = erldist(&["decode", "/nonexistent/x"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn term_encode_is_term_to_binary() {
    // OTP 25's term_to_binary/1 (minor_version 1: ATOM_EXT atoms).
    let o = erldist(&["term", "encode", "{a,1}"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o).trim(), "83 68 02 64 00 01 61 61 01");
    let o = erldist(
        &["term", "encode", "--minor-version=2", "-"],
        Some(b"[1,2,300]"),
    );
    assert_eq!(
        stdout(&o).trim(),
        "83 6c 00 00 00 03 61 01 61 02 62 00 00 01 2c 6a"
    );
    let o = erldist(&["term", "encode", "{a,"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("column 4"));
}

#[test]
fn term_decode_prints_erlang_text_and_spans() {
    let o = erldist(&["term", "decode", "83 6b 00 03 61 62 63"], None);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "\"abc\"");
    let o = erldist(
        &["term", "decode", "--json", "-"],
        Some(b"83 74 00 00 00 01 77 01 61 61 01"),
    );
    let j: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(j["text"], "#{a => 1}");
    assert_eq!(j["spans"][1]["meaning"], "MAP_EXT");
    assert_eq!(j["spans"][1]["children"][0]["field"], "tag");
    // Raw bytes on standard input, and a truncated term.
    let o = erldist(&["term", "decode", "--raw", "-"], Some(&[0x83, 0x61, 0x2a]));
    assert_eq!(stdout(&o).trim(), "42");
    let o = erldist(&["term", "decode", "83 68 02 77"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("incomplete: 1 more byte needed"));
}

fn dist_vector(name: &str) -> String {
    format!(
        "{}/../codec/tests/vectors/dist/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn decode_a_whole_node_session_with_the_cookie() {
    let o = erldist(
        &[
            "decode",
            "--json",
            "--cookie",
            "corpuscookie",
            &dist_vector("dist_hidden.streams.txt"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["format"], "streams");
    let frames = v["frames"].as_array().unwrap();
    let types: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    for t in [
        "SEND_NAME",
        "STATUS",
        "CHALLENGE",
        "CHALLENGE_REPLY",
        "CHALLENGE_ACK",
        "MONITOR_P",
        "REG_SEND",
        "SPAWN_REQUEST",
        "SEND_SENDER",
        "PAYLOAD_MONITOR_P_EXIT",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let reply = frames
        .iter()
        .find(|f| f["type"] == "CHALLENGE_REPLY")
        .unwrap();
    assert_eq!(reply["fields"]["digest_ok"], true);
    assert_eq!(reply["protocol"], "dist");
    assert_eq!(reply["side"], "initiator");
    assert_eq!(reply["phase"], "handshake");
    let reg = frames.iter().find(|f| f["type"] == "REG_SEND").unwrap();
    assert_eq!(reg["fields"]["to_name"], "net_kernel");
    assert!(reg["fields"]["message"]
        .as_str()
        .unwrap()
        .starts_with("{'$gen_call',"));
    assert_eq!(reg["phase"], "connected");
    let c = &v["connections"][3];
    assert_eq!(c["protocol"], "dist");
    assert_eq!(c["details"]["initiator_name"], "h@127.0.0.1");
    assert!(c["details"]["visibility"]
        .as_str()
        .unwrap()
        .starts_with("hidden"));
    // The wrong cookie: the same digests are invalid, and the text says so.
    let o = erldist(
        &[
            "decode",
            "--cookie",
            "wrong",
            &dist_vector("dist_hidden.streams.txt"),
        ],
        None,
    );
    assert!(
        stdout(&o).contains("reply_digest: \"INVALID"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn per_direction_transcripts_decode_in_handshake_order() {
    // SPEC §3.5 (a Python initiator against real OTP 25.2.3, cookie `secret`):
    // each side's bytes in its own file.
    let dir = std::env::temp_dir().join(format!("erldist-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.hex");
    let b = dir.join("b.hex");
    std::fs::write(
        &a,
        "00 14 4e 00 00 00 2d 07 df 7f bc 12 34 56 78 00 05 70 79 40 76 6d\n\
         00 15 72 de ad be ef b5 b6 a5 db d6 34 e7 ce fb d9 b5 ab 31 36 6b dc\n\
         00 00 00 00\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "00 03 73 6f 6b\n\
         00 17 4e 00 00 00 0d 07 df 7f bd 71 d6 c5 e3 6b 05 94 14 00 04 62 40 76 6d\n\
         00 11 61 c3 93 9b 31 d7 a9 13 d8 2e 2a ce 09 24 7c 7b 41\n",
    )
    .unwrap();
    let o = erldist(
        &[
            "decode",
            "--json",
            "--cookie",
            "secret",
            "--initiator",
            a.to_str().unwrap(),
            "--acceptor",
            b.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let t: Vec<(&str, &str)> = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["type"].as_str().unwrap(), f["side"].as_str().unwrap()))
        .collect();
    assert_eq!(
        t,
        [
            ("SEND_NAME", "initiator"),
            ("STATUS", "acceptor"),
            ("CHALLENGE", "acceptor"),
            ("CHALLENGE_REPLY", "initiator"),
            ("CHALLENGE_ACK", "acceptor"),
            ("TICK", "initiator"),
        ]
    );
    for f in v["frames"].as_array().unwrap() {
        if f["type"] == "CHALLENGE_REPLY" || f["type"] == "CHALLENGE_ACK" {
            assert_eq!(f["fields"]["digest_ok"], true, "{}", f["type"]);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn encode_handshake_and_dist_messages() {
    // SPEC §3.5's reply, from its fields.
    let o = erldist(
        &[
            "encode",
            "handshake",
            "CHALLENGE_REPLY",
            "--challenge",
            "3735928559",
            "--digest",
            "b5b6a5dbd634e7cefbd9b5ab31366bdc",
        ],
        None,
    );
    assert_eq!(
        stdout(&o).trim(),
        "00 15 72 de ad be ef b5 b6 a5 db d6 34 e7 ce fb d9 b5 ab 31 36 6b dc",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A REG_SEND, decoded back by `erldist decode --protocol dist`.
    let o = erldist(
        &[
            "encode",
            "dist",
            "REG_SEND",
            "--from-pid",
            "#Pid<'a@host'.1.0;c=5>",
            "--to-name",
            "rex",
            "--message",
            "{hello, [1,2,3]}",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let hex = stdout(&o);
    let o = erldist(&["decode", "--json", "-"], Some(hex.as_bytes()));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let f = &v["frames"][0];
    assert_eq!(f["type"], "REG_SEND");
    assert_eq!(f["fields"]["to_name"], "rex");
    assert_eq!(f["fields"]["message"], "{hello,[1,2,3]}");
}

#[test]
fn the_flags_explainer_names_the_missing_flag() {
    // An OTP 26 acceptor and a peer without V4_NC (OTP 25's word minus bit 34).
    let o = erldist(
        &[
            "flags",
            "0x907df7fbd",
            "--release",
            "25",
            "--peer",
            "0xd07df7fbd",
            "--peer-release",
            "26",
            "--name",
            "a@vm",
            "--peer-name",
            "b@vm",
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("rejected since it cannot handle [\"V4_NC\"]"),
        "{out}"
    );
    assert!(out.contains("they cannot connect"), "{out}");
    // Both OTP 25: fine.
    let o = erldist(&["flags", "0xd07df7fbd", "--peer", "0xd07df7fbd"], None);
    assert!(o.status.success());
    assert!(stdout(&o).contains("they can connect"));
}
