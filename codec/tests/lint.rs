//! The classic mistakes (`erldist_codec::lint`): for each, the mistaken
//! bytes raise the lint with its id, the corrected bytes it offers are the
//! ones meant, and they decode completely with no lint left.
//!
//! The correct frames are real OTP 25 traffic (`tests/vectors/dist/
//! dist_hidden.streams.txt`: b's ALIVE2_REQ `00 0e 78 af ca 4d ...`, the
//! PORT_PLEASE2_REQ `00 02 7a 62`, PORT2_RESP `77 00 af ca ...`, the
//! ALIVE2_X_RESP `76 00 6b 05 94 42`, h's send_name `00 1a 4e ...`); the
//! mistakes are made from them by hand, the way people make them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::hex;
use erldist_codec::input::parse_hex;
use erldist_codec::lint::{Lint, IDS};
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{decode_text, DecodeOptions, Report};

const ALIVE2_REQ: &str = "000e78afca4d00000600050001620000";
const SEND_NAME: &str = "001a4e0000000d07df7fbc6b059444000b68403132372e302e302e31";

fn opts(protocol: ProtocolChoice) -> DecodeOptions {
    DecodeOptions {
        protocol,
        ..DecodeOptions::default()
    }
}

/// Every lint of a report, frames' and the report's own.
fn lints(r: &Report) -> Vec<&Lint> {
    r.frames
        .iter()
        .flat_map(|f| f.lint.iter())
        .chain(r.lint.iter())
        .collect()
}

/// Decodes `mistake`, expects lint `id` with `corrected` (hex, or None),
/// and checks that the corrected bytes decode completely without it.
fn expect(mistake: &str, o: &DecodeOptions, id: &str, corrected: Option<&str>) -> Lint {
    let r = decode_text(mistake, o);
    let found: Vec<&Lint> = lints(&r).into_iter().filter(|l| l.id == id).collect();
    assert_eq!(found.len(), 1, "{id} on {mistake:?}: {:#?}", lints(&r));
    let l = found[0].clone();
    assert!(IDS.iter().any(|(i, _)| *i == id));
    assert!(!l.message.is_empty());
    match corrected {
        None => assert_eq!(l.corrected, None, "{id}"),
        Some(want) => {
            let want = parse_hex(want).unwrap().bytes;
            assert_eq!(
                hex::encode(l.corrected.as_deref().unwrap()),
                hex::encode(&want),
                "{id}: {}",
                l.message
            );
            let fixed = decode_text(&hex::encode(&want), &opts(ProtocolChoice::Epmd));
            assert!(!fixed.frames.is_empty());
            for f in &fixed.frames {
                assert!(f.status.is_complete(), "{id}: corrected {:?}", f.status);
            }
            assert!(
                lints(&fixed).is_empty(),
                "{id}: corrected bytes still lint: {:?}",
                lints(&fixed)
            );
        }
    }
    // The JSON carries it: id, message, offset, corrected as hex.
    let json = serde_json::to_value(&r).unwrap();
    let all = serde_json::to_string(&json).unwrap();
    assert!(all.contains(&format!("\"id\":\"{id}\"")), "{all}");
    l
}

#[test]
fn correct_frames_have_no_lint() {
    for t in [
        ALIVE2_REQ,
        "00027a62",
        "7700afca4d00000600050001620000",
        "76006b059442",
        "00016e",
        "7701",
    ] {
        let r = decode_text(t, &DecodeOptions::default());
        assert!(lints(&r).is_empty(), "{t}: {:?}", lints(&r));
    }
    let r = decode_text(SEND_NAME, &DecodeOptions::default());
    assert!(lints(&r).is_empty());
}

#[test]
fn ascii_decimal() {
    // The digits of 120, 9506, 77, 0, 5, 5, 4, "node", 0 sent as text.
    let text = "1209506770554node0";
    let want = "0011 78 2522 4d 00 0005 0005 0004 6e6f6465 0000";
    // As bytes (what a capture or a log shows)...
    let as_hex = hex::encode(text.as_bytes());
    let l = expect(
        &as_hex,
        &DecodeOptions::default(),
        "ascii-decimal",
        Some(want),
    );
    assert_eq!(l.offset, 0);
    assert!(l.message.contains("9506"), "{}", l.message);
    // ... and as the text itself: not bytes at all, a report-level lint.
    let r = decode_text(text, &DecodeOptions::default());
    assert!(r.input_error.is_some());
    assert_eq!(r.lint.len(), 1);
    expect(text, &DecodeOptions::default(), "ascii-decimal", Some(want));
    // With separators, and versions 6/5.
    expect(
        "120 9506 77 0 6 5 4 node 0",
        &DecodeOptions::default(),
        "ascii-decimal",
        Some("0011 78 2522 4d 00 0006 0005 0004 6e6f6465 0000"),
    );
    // Decimal byte values of a PORT_PLEASE2_REQ.
    expect(
        "0 2 122 98",
        &DecodeOptions::default(),
        "ascii-decimal",
        Some("00027a62"),
    );
}

#[test]
fn missing_length_prefix() {
    expect(
        "7a 6e 6f 64 65",
        &DecodeOptions::default(),
        "missing-length-prefix",
        Some("00 05 7a 6e 6f 64 65"),
    );
    expect(
        "6e",
        &DecodeOptions::default(),
        "missing-length-prefix",
        Some("00016e"),
    );
    expect(
        &ALIVE2_REQ[4..],
        &DecodeOptions::default(),
        "missing-length-prefix",
        Some(ALIVE2_REQ),
    );
}

#[test]
fn one_byte_nlen() {
    // ALIVE2_REQ with Nlen as the one byte 01: `... 00 05 01 62 00 00`.
    expect(
        "000d78afca4d000006000501620000",
        &DecodeOptions::default(),
        "one-byte-nlen",
        Some(ALIVE2_REQ),
    );
    // PORT_PLEASE2_REQ with a length byte before the name.
    expect(
        "00037a0162",
        &DecodeOptions::default(),
        "one-byte-nlen",
        Some("00027a62"),
    );
    expect(
        "00067a046e6f6465",
        &DecodeOptions::default(),
        "one-byte-nlen",
        Some("00057a6e6f6465"),
    );
}

#[test]
fn little_endian_port() {
    // Port 5000 written low byte first: 88 13 (34835 big-endian).
    let l = expect(
        "000e7888134d00000600050001620000",
        &DecodeOptions::default(),
        "little-endian-port",
        Some("000e7813884d00000600050001620000"),
    );
    assert_eq!(l.offset, 3);
    assert!(
        l.message.contains("34835") && l.message.contains("5000"),
        "{}",
        l.message
    );
    // A port below 1024 one way: 00 25 (37), 9472 the other.
    expect(
        "000e7800254d00000600050001620000",
        &DecodeOptions::default(),
        "little-endian-port",
        Some("000e7825004d00000600050001620000"),
    );
    // 9506 as 22 25 reads 8741: plausible on its own, so no lint...
    let wrong = "000e7822254d00000600050001620000";
    let r = decode_text(wrong, &DecodeOptions::default());
    assert!(lints(&r).is_empty(), "{:?}", lints(&r));
    // ... but in a conversation that then connects to port 9506, it is.
    let streams = format!(
        "=== stream 0  client 127.0.0.1:40000  server 127.0.0.1:4369(epmd)\n\
run 1 t=0.0 client->server len=16 frames=1\n{wrong}\n\
run 2 t=0.1 server->client len=6 frames=2\n76006b059442\n\
=== stream 1  client 127.0.0.1:40002  server 127.0.0.1:9506\n\
run 1 t=1.0 client->server len=28 frames=3\n{SEND_NAME}\n"
    );
    let l = expect(
        &streams,
        &DecodeOptions::default(),
        "little-endian-port",
        Some("000e7825224d00000600050001620000"),
    );
    assert!(
        l.message.contains("9506") && l.message.contains("8741"),
        "{}",
        l.message
    );
}

#[test]
fn name_with_host() {
    // b@127.0.0.1 registered: Nlen 11.
    expect(
        "0018 78 afca 4d 00 0006 0005 000b 62403132372e302e302e31 0000",
        &DecodeOptions::default(),
        "name-with-host",
        Some(ALIVE2_REQ),
    );
    expect(
        "000c 7a 62403132372e302e302e31",
        &DecodeOptions::default(),
        "name-with-host",
        Some("00027a62"),
    );
}

#[test]
fn reply_with_prefix() {
    expect(
        "0006 76006b059442",
        &DecodeOptions::default(),
        "reply-with-prefix",
        Some("76006b059442"),
    );
    expect(
        "0002 7701",
        &DecodeOptions::default(),
        "reply-with-prefix",
        Some("7701"),
    );
    expect(
        "000f 7700afca4d00000600050001620000",
        &DecodeOptions::default(),
        "reply-with-prefix",
        Some("7700afca4d00000600050001620000"),
    );
}

#[test]
fn versions_swapped() {
    expect(
        "000e78afca4d00000500060001620000",
        &DecodeOptions::default(),
        "versions-swapped",
        Some(ALIVE2_REQ),
    );
}

#[test]
fn handshake_to_epmd() {
    // h's send_name decoded as what epmd would make of it...
    expect(
        SEND_NAME,
        &opts(ProtocolChoice::Epmd),
        "handshake-to-epmd",
        Some("00027a68"),
    );
    // ... and on a connection to epmd's port.
    let streams = format!(
        "=== stream 0  client 127.0.0.1:40000  server 127.0.0.1:4369\n\
run 1 t=0.0 client->server len=28 frames=1\n{SEND_NAME}\n"
    );
    expect(
        &streams,
        &DecodeOptions::default(),
        "handshake-to-epmd",
        Some("00027a68"),
    );
}

#[test]
fn epmd_to_node() {
    // A PORT_PLEASE2_REQ decoded as what a node makes of it: no corrected
    // bytes (these are right, for epmd), and they are a complete request.
    let l = expect(
        "00027a62",
        &opts(ProtocolChoice::Dist),
        "epmd-to-node",
        None,
    );
    assert!(l.message.contains("PORT_PLEASE2_REQ"));
    let as_epmd = decode_text("00027a62", &opts(ProtocolChoice::Epmd));
    assert!(as_epmd.frames[0].status.is_complete());
    // A conversation: epmd says b is on 45002, then the client sends its
    // EPMD request to 45002.
    let streams = "=== stream 0  client 127.0.0.1:40000  server 127.0.0.1:4369(epmd)\n\
run 1 t=0.0 client->server len=4 frames=1\n00027a62\n\
run 2 t=0.1 server->client len=15 frames=2\n7700afca4d00000600050001620000\n\
=== stream 1  client 127.0.0.1:40002  server 127.0.0.1:45002\n\
run 1 t=1.0 client->server len=4 frames=3\n00027a62\n";
    let l = expect(streams, &DecodeOptions::default(), "epmd-to-node", None);
    assert!(l.message.contains("45002"), "{}", l.message);
}

#[test]
fn every_id_is_tested_and_documented() {
    let contract = std::fs::read_to_string(format!(
        "{}/../docs/json-contract.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let me = std::fs::read_to_string(file!()).unwrap_or_default();
    for (id, _) in IDS {
        assert!(
            contract.contains(&format!("`{id}`")),
            "{id} not in docs/json-contract.md"
        );
        let test = id.replace('-', "_");
        assert!(
            me.is_empty() || me.contains(&format!("fn {test}()")),
            "no test fn {test}"
        );
    }
}

// ------------------------------------------------------------ tap mode (issue 8)

#[test]
fn wrong_length_prefix() {
    // The prefix counts itself.
    let l = expect(
        "0010 78afca4d00000600050001620000",
        &DecodeOptions::default(),
        "wrong-length-prefix",
        Some(ALIVE2_REQ),
    );
    assert!(
        l.message.contains("counts the 2 prefix bytes"),
        "{}",
        l.message
    );
    // A 1-byte length.
    let l = expect(
        "0e78afca4d00000600050001620000",
        &DecodeOptions::default(),
        "wrong-length-prefix",
        Some(ALIVE2_REQ),
    );
    assert!(l.message.contains("1-byte length"), "{}", l.message);
    // One too many.
    expect(
        "00037a62",
        &DecodeOptions::default(),
        "wrong-length-prefix",
        Some("00027a62"),
    );
}

#[test]
fn little_endian_field() {
    // The prefix low byte first: epmd reads 0x0e00 = 3584.
    let l = expect(
        "0e0078afca4d00000600050001620000",
        &DecodeOptions::default(),
        "little-endian-field",
        Some(ALIVE2_REQ),
    );
    assert!(l.message.contains("3584"), "{}", l.message);
    expect(
        "02007a62",
        &DecodeOptions::default(),
        "little-endian-field",
        Some("00027a62"),
    );
    // Nlen low byte first.
    let l = expect(
        "000e78afca4d0000060005010062 0000",
        &DecodeOptions::default(),
        "little-endian-field",
        Some(ALIVE2_REQ),
    );
    assert!(l.message.contains("Nlen"), "{}", l.message);
    // Versions low byte first: epmd accepts them as 1536 / 1280.
    let l = expect(
        "000e78afca4d0006000500 0001620000",
        &DecodeOptions::default(),
        "little-endian-field",
        Some(ALIVE2_REQ),
    );
    assert!(l.message.contains("1536"), "{}", l.message);
}

#[test]
fn digest_mismatch() {
    // c (cookie wrongcookie) pings b (cookie corpuscookie): checked with
    // b's cookie, c's CHALLENGE_REPLY digest is wrong; with c's, right.
    let text = std::fs::read_to_string(format!(
        "{}/tests/vectors/dist/dist_wrong_cookie.streams.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let with = |cookie: &str| {
        decode_text(
            &text,
            &DecodeOptions {
                cookie: Some(cookie.as_bytes().to_vec()),
                ..DecodeOptions::default()
            },
        )
    };
    let r = with("corpuscookie");
    let found: Vec<(&erldist_codec::Frame, &Lint)> = r
        .frames
        .iter()
        .flat_map(|f| f.lint.iter().map(move |l| (f, l)))
        .filter(|(_, l)| l.id == "digest-mismatch")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", lints(&r));
    let (f, l) = found[0];
    assert_eq!(f.type_name, "CHALLENGE_REPLY");
    assert_eq!(l.offset, f.offset + f.bytes.len() - 16);
    let fixed = l.corrected.as_ref().unwrap();
    assert_eq!(fixed.len(), f.bytes.len());
    assert_eq!(fixed[..fixed.len() - 16], f.bytes[..f.bytes.len() - 16]);
    let expected = f
        .fields
        .iter()
        .find(|(k, _)| k == "expected_digest")
        .map(|(_, v)| format!("{v:?}"))
        .unwrap();
    assert!(expected.contains(&hex::encode(&fixed[fixed.len() - 16..])));
    let r = with("wrongcookie");
    assert!(!lints(&r).iter().any(|l| l.id == "digest-mismatch"));
}

/// One epmd conversation from (side, hex, ms) chunks, decoded and linted
/// as a tap does it.
fn tap_conversation(
    chunks: &[(erldist_codec::conn::Side, &str, u64)],
    closes: &[(erldist_codec::conn::Side, u64)],
) -> Report {
    use erldist_codec::input::conversation::{Chunk, Conversation};
    use erldist_codec::lint::Timeline;
    let conv = Conversation {
        label: "tap 1".into(),
        chunks: chunks
            .iter()
            .map(|(side, h, _)| Chunk {
                side: *side,
                bytes: parse_hex(h).unwrap().bytes,
                line: 0,
            })
            .collect(),
        ..Default::default()
    };
    let mut r = erldist_codec::report::decode_conversations(&[conv], &opts(ProtocolChoice::Epmd));
    let mut t = Timeline::default();
    let mut ends = [0usize; 2];
    for (side, h, ms) in chunks {
        let i = usize::from(*side == erldist_codec::conn::Side::Acceptor);
        ends[i] += parse_hex(h).unwrap().bytes.len();
        t.chunks.push((*side, ends[i], *ms));
    }
    t.closes = closes.to_vec();
    erldist_codec::lint::connection(&mut r.frames, &t);
    r
}

#[test]
fn bytes_after_alive2() {
    use erldist_codec::conn::Side::*;
    // Registered, then a PORT_PLEASE2_REQ on the same socket.
    let r = tap_conversation(
        &[
            (Initiator, ALIVE2_REQ, 0),
            (Acceptor, "7600 6b059442", 1),
            (Initiator, "00027a62", 5),
            (Initiator, "", 5),
        ],
        &[(Acceptor, 6)],
    );
    let l: Vec<&Lint> = lints(&r)
        .into_iter()
        .filter(|l| l.id == "bytes-after-alive2")
        .collect();
    assert_eq!(l.len(), 1, "{:#?}", lints(&r));
    assert_eq!(l[0].offset, 16);
    assert!(
        l[0].message.contains("unregisters \"b\""),
        "{}",
        l[0].message
    );
    assert_eq!(hex::encode(l[0].corrected.as_deref().unwrap()), ALIVE2_REQ);
    assert!(!lints(&r).iter().any(|l| l.id == "closed-after-alive2"));
    // The same bytes in one read: refused whole.
    let r = tap_conversation(
        &[(Initiator, "000e78afca4d0000060005000162000000027a62", 0)],
        &[(Acceptor, 1)],
    );
    let l = lints(&r)
        .into_iter()
        .find(|l| l.id == "bytes-after-alive2")
        .expect("bytes-after-alive2");
    assert!(
        l.message.contains("got 18 bytes in packet, expected 14"),
        "{}",
        l.message
    );
}

#[test]
fn closed_after_alive2() {
    use erldist_codec::conn::Side::*;
    let alive = [
        (Initiator, ALIVE2_REQ, 1000),
        (Acceptor, "76006b059442", 1001),
    ];
    // Closed 30 ms after: the finding.
    let r = tap_conversation(&alive, &[(Initiator, 1030)]);
    let l = lints(&r)
        .into_iter()
        .find(|l| l.id == "closed-after-alive2")
        .expect("closed-after-alive2");
    assert_eq!(l.offset, 0);
    assert!(l.message.contains("30 ms"), "{}", l.message);
    assert!(l.message.contains("unregistered \"b\""), "{}", l.message);
    // Closed before the reply came.
    let r = tap_conversation(&alive[..1], &[(Initiator, 1002)]);
    let l = lints(&r)
        .into_iter()
        .find(|l| l.id == "closed-after-alive2")
        .unwrap();
    assert!(l.message.contains("before epmd's reply"), "{}", l.message);
    // Held for a minute, then closed: a normal unregistration.
    let r = tap_conversation(&alive, &[(Initiator, 61_000)]);
    assert!(lints(&r).is_empty(), "{:#?}", lints(&r));
    // Still open: nothing.
    let r = tap_conversation(&alive, &[]);
    assert!(lints(&r).is_empty());
    // epmd closed first (a refused request): not the client's doing.
    let r = tap_conversation(&alive[..1], &[(Acceptor, 1001), (Initiator, 1002)]);
    assert!(lints(&r).is_empty());
}
