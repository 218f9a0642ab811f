//! The builder's catalog over the three protocols: every message type builds
//! from its defaults (and the examples of its required fields) and decodes,
//! as its receiver reads it, complete and to the same values; overridden
//! derived fields give errors at the right byte, explained.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::build::{self, Fields, Kind, Protocol};
use erldist_codec::epmd::Status;
use erldist_codec::span::{check_tiling, Value};
use erldist_codec::Frame;
use std::collections::BTreeSet;

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The fields a form starts from: every required field's example.
fn starting_fields(t: &build::MessageType) -> Fields {
    t.fields
        .iter()
        .filter(|f| f.required)
        .map(|f| {
            let v = f
                .example
                .unwrap_or_else(|| panic!("{}.{} is required but has no example", t.name, f.name));
            (f.name.to_string(), v.to_string())
        })
        .collect()
}

fn spaced(b: &[u8]) -> String {
    erldist_codec::hex::spaced(b)
}

fn error_of(f: &Frame) -> (usize, String, String) {
    match &f.status {
        Status::Invalid(e) => (e.offset, e.field.clone(), e.message.clone()),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn names_are_unique_over_the_three_protocols() {
    let cat = build::catalog();
    let mut seen = BTreeSet::new();
    for t in &cat {
        assert!(seen.insert(t.name), "{} is listed twice", t.name);
        assert_eq!(build::message_type(t.name).as_ref(), Some(t));
        assert_eq!(
            build::message_type(&t.name.to_ascii_lowercase()).map(|m| m.name),
            Some(t.name)
        );
        let mut names = BTreeSet::new();
        for f in &t.fields {
            assert!(names.insert(f.name), "{}.{} twice", t.name, f.name);
            assert!(!f.doc.is_empty(), "{}.{} has no doc", t.name, f.name);
        }
    }
    for p in Protocol::ALL {
        assert!(
            cat.iter().filter(|t| t.protocol == p).count() >= 5,
            "{p:?} has few types"
        );
    }
    for n in [
        "ALIVE2_REQ",
        "NAMES_RESP",
        "SEND_NAME",
        "CHALLENGE_ACK",
        "TICK",
        "REG_SEND",
        "SPAWN_REQUEST",
    ] {
        assert!(seen.contains(n), "{n} missing");
    }
}

#[test]
fn the_catalog_describes_fields_for_a_form() {
    let t = build::message_type("ALIVE2_REQ").unwrap();
    let nt = t.field("node_type").unwrap();
    let Kind::Enum { choices, bytes, .. } = &nt.kind else {
        panic!("node_type: {:?}", nt.kind)
    };
    assert_eq!(*bytes, 1);
    let seen: Vec<(&str, Option<char>, &str)> = choices
        .iter()
        .map(|c| (c.value.as_str(), c.letter, c.meaning.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("77", Some('M'), "normal"),
            ("72", Some('H'), "hidden"),
            ("104", Some('h'), "C node")
        ]
    );
    let port = t.field("port").unwrap();
    assert_eq!(
        port.kind,
        Kind::Uint {
            bytes: 2,
            min: 0,
            max: 65535
        }
    );
    assert!(port.required && port.example.is_some());
    let nlen = t.field("name_len").unwrap();
    assert_eq!(nlen.derived.as_ref().unwrap().from, ["name"]);
    let prefix = t.field("length_prefix").unwrap();
    assert!(prefix.derived.as_ref().unwrap().from.contains(&"port"));

    let s = build::message_type("SEND_NAME").unwrap();
    let Kind::Flags {
        bytes,
        first_bit,
        bits,
    } = &s.field("flags").unwrap().kind
    else {
        panic!()
    };
    assert_eq!((*bytes, *first_bit), (8, 0));
    assert!(bits.iter().any(|b| b.name == "PUBLISHED" && b.mask == 1));
    let c = build::message_type("COMPLEMENT").unwrap();
    let Kind::Flags {
        first_bit, bits, ..
    } = &c.field("flags_high").unwrap().kind
    else {
        panic!()
    };
    assert_eq!(*first_bit, 32);
    assert!(bits
        .iter()
        .all(|b| b.bit >= 32 && b.mask == 1 << (b.bit - 32)));
    assert_eq!(
        build::message_type("SEND_NAME_V5").unwrap().decodes_as,
        "SEND_NAME"
    );

    let r = build::message_type("REG_SEND").unwrap();
    assert_eq!(r.field("message").unwrap().kind, Kind::Term);
    assert!(r.field("op").unwrap().derived.is_some());
    assert!(r.field("arity").unwrap().derived.is_some());
    assert!(
        r.doc.starts_with("{6, FromPid, Unused, ToName} + Message"),
        "{}",
        r.doc
    );
}

/// The frame's value of a field equals the text the builder was given.
fn same_value(t: &build::MessageType, f: &build::Field, text: &str, v: &Value) -> bool {
    let canon = build::canonical_value(f, text).unwrap();
    match (&f.kind, v) {
        (Kind::Uint { .. } | Kind::Flags { .. }, Value::UInt(n)) => {
            build::parse_number(&canon) == Some(*n)
        }
        (Kind::Enum { bytes: 0, .. }, Value::Text(s)) => *s == canon,
        (Kind::Enum { .. }, Value::UInt(n)) => canon == n.to_string(),
        (Kind::Text { .. }, Value::Text(s)) => s == text,
        (Kind::Hex { .. }, Value::Bytes(b)) => erldist_codec::hex::encode(b) == canon,
        // Digests are shown as their hex text.
        (Kind::Hex { .. }, Value::Text(s)) => *s == canon,
        (Kind::Term, Value::Text(s)) => {
            let back = erldist_codec::etf::text::parse(s).unwrap();
            erldist_codec::etf::text::to_erlang(&back) == canon
        }
        (Kind::Nodes { fd }, Value::List(items)) => {
            let got: Vec<String> = items
                .iter()
                .map(|i| {
                    let Value::Record(m) = i else { panic!("{i:?}") };
                    let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    let mut e = format!(
                        "{}={}",
                        get("name")
                            .and_then(|v| v.as_str().map(String::from))
                            .unwrap(),
                        get("port").and_then(|v| v.as_u64()).unwrap()
                    );
                    if *fd {
                        e.push_str(&format!(":{}", get("fd").and_then(|v| v.as_u64()).unwrap()));
                    }
                    e
                })
                .collect();
            let _ = t;
            got.join(",") == canon
        }
        _ => false,
    }
}

#[test]
fn every_type_builds_and_decodes_complete_to_the_same_values() {
    for t in build::catalog() {
        let given = starting_fields(&t);
        let b = build::build(t.name, &given).unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(
            build::encode(t.name, &given).unwrap(),
            b.bytes,
            "{}",
            t.name
        );
        let f = &b.frame;
        assert!(f.status.is_complete(), "{}: {:?}", t.name, f.status);
        assert_eq!(f.type_name, t.decodes_as, "{}", t.name);
        assert_eq!(f.bytes, b.bytes, "{}", t.name);
        check_tiling(&f.spans, 0, b.bytes.len()).unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(build::decode_built(t.name, &b.bytes), b.frame);
        assert!(b.consequences.is_empty(), "{}", t.name);
        for f2 in t.fields.iter().filter(|f| f.derived.is_none()) {
            let text = match given.get(f2.name) {
                Some(v) => v.clone(),
                None => match &f2.default {
                    Some(d) => d.clone(),
                    None => continue, // optional, left out
                },
            };
            match f.fields.iter().find(|(k, _)| k == f2.name) {
                Some((_, v)) => assert!(
                    same_value(&t, f2, &text, v),
                    "{}.{}: built from {text:?}, decoded as {v:?}",
                    t.name,
                    f2.name
                ),
                // Empty byte fields have no span and no value.
                None => assert!(
                    text.is_empty() && matches!(f2.kind, Kind::Hex { .. } | Kind::Nodes { .. }),
                    "{}.{}: not in the decoded fields {:?}",
                    t.name,
                    f2.name,
                    f.fields
                ),
            }
        }
        // Derived values are what the frame carries.
        for d in &b.derived {
            assert!(!d.computed.is_empty(), "{}.{} not computed", t.name, d.name);
            assert_eq!(d.given, None);
        }
    }
}

#[test]
fn alive2_req_for_node_9506_is_byte_exact() {
    let b = build::encode("ALIVE2_REQ", &fields(&[("port", "9506"), ("name", "node")])).unwrap();
    assert_eq!(
        spaced(&b),
        "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"
    );
    // Letters and meanings of an enum are its value.
    for nt in ["M", "normal", "77", "0x4d"] {
        let b2 = build::encode(
            "alive2_req",
            &fields(&[("port", "0x2522"), ("name", "node"), ("node_type", nt)]),
        )
        .unwrap();
        assert_eq!(b2, b, "{nt}");
    }
    let built = build::build("ALIVE2_REQ", &fields(&[("port", "9506"), ("name", "node")])).unwrap();
    let computed: Vec<(&str, &str)> = built
        .derived
        .iter()
        .map(|d| (d.name, d.computed.as_str()))
        .collect();
    assert_eq!(
        computed,
        [
            ("length_prefix", "17"),
            ("name_len", "4"),
            ("extra_len", "0")
        ]
    );
}

#[test]
fn an_overridden_nlen_is_an_error_at_the_right_byte_explained() {
    let f = fields(&[("port", "9506"), ("name", "node"), ("name_len", "1")]);
    let b = build::build("ALIVE2_REQ", &f).unwrap();
    assert_eq!(
        spaced(&b.bytes),
        "00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00"
    );
    // epmd reads "n" as the name, then "od" (6f 64) as Elen.
    let (at, field, msg) = error_of(&b.frame);
    assert_eq!((at, field.as_str()), (14, "ALIVE2_REQ.extra_len"));
    assert!(msg.contains("28516"), "{msg}");
    check_tiling(&b.frame.spans, 0, b.bytes.len()).unwrap();
    assert_eq!(b.derived[1].given.as_deref(), Some("1"));
    assert_eq!(b.derived[1].computed, "4");
    let notes = &b.consequences[0].notes;
    assert_eq!(b.consequences[0].field, "name_len");
    let all = notes.join(" ");
    assert!(all.contains("Nlen says 1"), "{all}");
    assert!(all.contains("name = \"n\" (byte 13)"), "{all}");
    assert!(all.contains("extra_len = 28516 (bytes 14-15)"), "{all}");
    assert!(
        all.contains("rror at byte 14 in ALIVE2_REQ.extra_len"),
        "{all}"
    );
    assert!(
        all.contains("epmd logs the error and closes the connection without a reply"),
        "{all}"
    );

    // Nlen past the end of the request: the error is at Nlen itself.
    let f = fields(&[("port", "9506"), ("name", "node"), ("name_len", "300")]);
    let b = build::build("ALIVE2_REQ", &f).unwrap();
    let (at, field, _) = error_of(&b.frame);
    assert_eq!((at, field.as_str()), (11, "ALIVE2_REQ.name_len"));
    let all = b.consequences[0].notes.join(" ");
    assert!(
        all.contains("rror at byte 11 in ALIVE2_REQ.name_len"),
        "{all}"
    );
}

#[test]
fn a_wrong_length_prefix_waits_or_splits_the_request() {
    // Longer: epmd waits for bytes that never come.
    let f = fields(&[("port", "9506"), ("name", "node"), ("length_prefix", "20")]);
    let b = build::build("ALIVE2_REQ", &f).unwrap();
    assert_eq!(&b.bytes[..2], &[0, 20]);
    match &b.frame.status {
        Status::Incomplete(i) => assert_eq!(i.needed, Some(3)),
        other => panic!("{other:?}"),
    }
    let all = b.consequences[0].notes.join(" ");
    assert!(all.contains("waits for 3 more"), "{all}");
    assert!(all.contains("packet timeout"), "{all}");

    // Shorter: epmd reads 13 bytes as the request and the rest as the next one.
    let f = fields(&[("port", "9506"), ("name", "node"), ("length_prefix", "13")]);
    let b = build::build("ALIVE2_REQ", &f).unwrap();
    assert_eq!(b.frame.bytes, b.bytes);
    let last = b.frame.spans.last().unwrap();
    assert_eq!((last.field.as_ref(), last.offset), ("after_frame", 15));
    check_tiling(&b.frame.spans, 0, b.bytes.len()).unwrap();
    let all = b.consequences[0].notes.join(" ");
    assert!(all.contains("got 19 bytes in packet, expected 15"), "{all}");
    // 13 bytes after the prefix end at byte 14: "de" 00 00 are left over.
    assert!(all.contains("(64 65 00 00)"), "{all}");
    assert!(
        all.contains("rror at byte 11 in ALIVE2_REQ.name_len"),
        "{all}"
    );

    // Shorter by the Extra only (Elen 2, extra 2 bytes, prefix 2 short): the
    // request is whole and valid, the Extra is read as the next request, and
    // on a registration socket that unregisters the node.
    let f = fields(&[
        ("port", "9506"),
        ("name", "node"),
        ("extra", "0001"),
        ("length_prefix", "17"),
        ("extra_len", "0"),
    ]);
    let b = build::build("ALIVE2_REQ", &f).unwrap();
    assert!(b.frame.status.is_complete(), "{:?}", b.frame.status);
    let c = b
        .consequences
        .iter()
        .find(|c| c.field == "length_prefix")
        .unwrap();
    let all = c.notes.join(" ");
    assert!(all.contains("(00 01)"), "{all}");
    assert!(all.contains("ALIVE socket"), "{all}");
}

#[test]
fn handshake_and_connected_overrides_are_explained() {
    // A handshake Nlen one short: the name loses a byte that is read as ignored.
    let f = fields(&[("name", "a@localhost"), ("name_len", "10")]);
    let b = build::build("SEND_NAME", &f).unwrap();
    assert_eq!(b.consequences.len(), 1);
    assert!(!b.consequences[0].notes.is_empty());
    assert!(
        b.consequences[0].notes[0].starts_with("Nlen says 10"),
        "{:?}",
        b.consequences
    );

    // The control tuple's arity: the receiver reads the wrong elements.
    let mut f = starting_fields(&build::message_type("REG_SEND").unwrap());
    f.insert("arity".into(), "3".into());
    let b = build::build("REG_SEND", &f).unwrap();
    assert_eq!(b.bytes[8], 3);
    assert!(
        !b.frame.status.is_complete()
            || !b.frame.notes.is_empty()
            || !b.frame.lint.is_empty()
            || b.consequences[0]
                .notes
                .iter()
                .any(|n| n.contains("reads differently")),
        "{:?}",
        b.frame
    );
    assert!(
        b.consequences[0].notes[0].starts_with("The arity says 3"),
        "{:?}",
        b.consequences
    );

    // The operation: 2 makes it a SEND with the wrong elements.
    let mut f = starting_fields(&build::message_type("REG_SEND").unwrap());
    f.insert("op".into(), "2".into());
    let b = build::build("REG_SEND", &f).unwrap();
    let all = b.consequences[0].notes.join(" ");
    assert!(all.contains("SEND"), "{all}");

    // The 4-byte length of a tick.
    let b = build::build("TICK", &fields(&[("length_prefix", "5")])).unwrap();
    assert_eq!(b.bytes, [0, 0, 0, 5]);
    assert!(b.frame.status.is_incomplete());
    let all = b.consequences[0].notes.join(" ");
    assert!(all.contains("waits for 5 more"), "{all}");
}

#[test]
fn errors_name_the_field() {
    let e = build::encode("ALIVE2_REQ", &fields(&[("port", "70000"), ("name", "n")])).unwrap_err();
    assert_eq!(e.field, "port");
    assert!(e.message.contains("out of range"), "{e}");
    let e = build::encode("ALIVE2_REQ", &fields(&[("name", "n")])).unwrap_err();
    assert_eq!(e.field, "port");
    let e = build::encode(
        "ALIVE2_REQ",
        &fields(&[("port", "1"), ("name", "n"), ("nope", "1")]),
    )
    .unwrap_err();
    assert_eq!(e.field, "nope");
    let e = build::encode("NOPE", &Fields::new()).unwrap_err();
    assert_eq!(e.field, "type");
    let mut f = starting_fields(&build::message_type("REG_SEND").unwrap());
    f.insert("message".into(), "{hello,".into());
    let e = build::encode("REG_SEND", &f).unwrap_err();
    assert_eq!(e.field, "message");
    let e = build::encode(
        "SEND_NAME_V5",
        &fields(&[("name", "a@h"), ("flags", "0x100000000")]),
    )
    .unwrap_err();
    assert_eq!(e.field, "flags");
    let e = build::encode("CHALLENGE_ACK", &fields(&[("digest", "0011")])).unwrap_err();
    assert_eq!(e.field, "digest");
}

#[test]
fn term_errors_point_at_the_position() {
    let r = build::message_type("REG_SEND").unwrap();
    let m = r.field("message").unwrap();
    let e = build::check_value(m, "{hello,\n  ]}").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(3)), "{e:?}");
    assert!(build::check_value(m, "{hello, [1,2], <<\"x\">>}").is_ok());
    let t = build::message_type("ALIVE2_REQ").unwrap();
    assert_eq!(
        build::canonical_value(t.field("node_type").unwrap(), "h").unwrap(),
        "104"
    );
    assert_eq!(
        build::canonical_value(t.field("node_type").unwrap(), "H").unwrap(),
        "72"
    );
    assert_eq!(
        build::canonical_value(t.field("port").unwrap(), "0x2522").unwrap(),
        "9506"
    );
    let s = build::message_type("SEND_NAME").unwrap();
    assert_eq!(
        build::canonical_value(s.field("flags").unwrap(), "PUBLISHED|V4_NC").unwrap(),
        "0x400000001"
    );
}
