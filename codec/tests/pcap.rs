//! Capture import (`capture::decode_capture`) on the real OTP 25 captures of
//! tests/vectors (see its README): every frame, in order per connection and
//! direction, is the frame the independent per-stream listings give
//! (`dist/*.streams.txt`, `corpus/*.payloads.txt`, made by the capture
//! scripts' `pcap_tool.py` from the same pcaps); synthetic captures for each
//! link type and for TCP's troubles (out of order, retransmission, overlap,
//! gap, no SYN, sequence wrap-around); pcap byte orders and nanoseconds,
//! pcapng with two interfaces; and a cross-check against Debian's `tshark`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::capture::{decode_capture, CaptureOptions};
use erldist_codec::conn::Side;
use erldist_codec::epmd::Status;
use erldist_codec::input::conversation::{Chunk, Conversation};
use erldist_codec::report::decode_conversations;
use erldist_codec::{decode_text, DecodeOptions, Report};
use std::collections::BTreeMap;

const DIST: [&str; 5] = [
    "dist_full",
    "dist_hidden",
    "dist_rawclient",
    "dist_v5_name",
    "dist_wrong_cookie",
];
const EPMD: [&str; 2] = ["epmd_strict", "epmd_relaxed"];

fn path(rel: &str) -> String {
    format!("{}/tests/vectors/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn opts(epmd_ports: &[u16]) -> CaptureOptions {
    CaptureOptions {
        epmd_ports: epmd_ports.to_vec(),
        cookie: Some(b"corpuscookie".to_vec()),
        ..CaptureOptions::default()
    }
}

/// Per connection label (`stream 3`): per side, (type, hex) of each frame.
type Frames = BTreeMap<String, [Vec<(String, String)>; 2]>;

fn by_stream(r: &Report) -> Frames {
    let mut out: Frames = BTreeMap::new();
    for f in &r.frames {
        let label = r.connections[f.stream.unwrap()].label.clone();
        let side = usize::from(f.side == Side::Acceptor);
        out.entry(label).or_default()[side].push((
            f.type_name.to_string(),
            erldist_codec::hex::encode(&f.bytes),
        ));
    }
    out
}

fn errors(r: &Report) -> Vec<String> {
    r.frames
        .iter()
        .filter_map(|f| match &f.status {
            Status::Invalid(e) => Some(format!("stream {:?} {}: {e}", f.stream, f.type_name)),
            Status::Incomplete(i) => Some(format!(
                "stream {:?} {}: {}",
                f.stream, f.type_name, i.message
            )),
            Status::Complete => None,
        })
        .collect()
}

/// `corpus/<capture>.payloads.txt`: one conversation per stream, one chunk
/// per segment, in capture order.
fn payload_conversations(text: &str) -> Vec<Conversation> {
    let mut convs: BTreeMap<usize, Conversation> = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if !line.starts_with('#') || !line.contains(" stream=") {
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        let stream: usize = w[3].strip_prefix("stream=").unwrap().parse().unwrap();
        let side = match w[4] {
            "client->server" => Side::Initiator,
            "server->client" => Side::Acceptor,
            other => panic!("{other}"),
        };
        let strip = |a: &str| a.split('(').next().unwrap().to_string();
        let (src, dst) = (strip(w[5]), strip(w[7]));
        let (_, hex) = lines.next().unwrap();
        let bytes = erldist_codec::input::parse_hex(hex).unwrap().bytes;
        let c = convs.entry(stream).or_insert_with(|| Conversation {
            label: format!("stream {stream}"),
            initiator: Some(if side == Side::Initiator {
                src.clone()
            } else {
                dst.clone()
            }),
            acceptor: Some(if side == Side::Initiator {
                dst.clone()
            } else {
                src.clone()
            }),
            line: n + 1,
            ..Conversation::default()
        });
        c.chunks.push(Chunk {
            side,
            bytes,
            line: n + 1,
        });
    }
    convs.into_values().collect()
}

fn reference(capture: &str) -> Report {
    let o = DecodeOptions {
        cookie: Some(b"corpuscookie".to_vec()),
        ..DecodeOptions::default()
    };
    if EPMD.contains(&capture) {
        let text = String::from_utf8(read(&format!("corpus/{capture}.payloads.txt"))).unwrap();
        decode_conversations(&payload_conversations(&text), &o)
    } else {
        let text = String::from_utf8(read(&format!("dist/{capture}.streams.txt"))).unwrap();
        decode_text(&text, &o)
    }
}

fn pcap_path(capture: &str) -> String {
    if EPMD.contains(&capture) {
        format!("corpus/{capture}.pcap")
    } else {
        format!("dist/{capture}.pcap")
    }
}

fn check_capture(capture: &str, epmd_ports: &[u16]) -> usize {
    let r = decode_capture(&read(&pcap_path(capture)), &opts(epmd_ports));
    assert_eq!(r.format, "pcap");
    assert!(r.input_error.is_none());
    let errs = errors(&r);
    assert!(errs.is_empty(), "{capture}: {errs:#?}");
    let want = reference(capture);
    let want_errs = errors(&want);
    assert!(want_errs.is_empty(), "{capture} reference: {want_errs:#?}");
    let got = by_stream(&r);
    let want = by_stream(&want);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{capture}: streams with frames"
    );
    for (label, sides) in &want {
        for side in 0..2 {
            assert_eq!(
                got[label][side], sides[side],
                "{capture} {label} side {side} (epmd ports {epmd_ports:?})"
            );
        }
    }
    // Every connection names both ends as ip:port.
    for c in &r.connections {
        assert!(c.initiator.as_ref().unwrap().contains(':'), "{c:?}");
        assert!(c.acceptor.as_ref().unwrap().contains(':'), "{c:?}");
    }
    r.frames.len()
}

#[test]
fn every_corpus_capture_decodes_like_the_listings() {
    let mut counts = Vec::new();
    for capture in EPMD.iter().chain(DIST.iter()) {
        let n = check_capture(capture, &[4399]);
        let m = check_capture(capture, &[]);
        assert_eq!(n, m);
        counts.push(format!("{capture}: {n} frames"));
    }
    println!("{}", counts.join("\n"));
}

// ---------------------------------------------------------------------------
// Synthetic captures

use erldist_codec::capture::net::LinkType;
use erldist_codec::session::Protocol;
use erldist_codec::{decode_bytes, DecodeOptions as Opts};
use std::net::{IpAddr, SocketAddr};

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const FIN_ACK: u8 = 0x11;

/// PORT_PLEASE2_REQ for "b" and its PORT2_RESP (OTP 25, dist_hidden stream 2).
const REQ: &str = "00027a62";
const RESP: &str = "7700afca4d00000600050001620000";

fn hx(s: &str) -> Vec<u8> {
    erldist_codec::input::parse_hex(s).unwrap().bytes
}

/// One TCP segment from `src` to `dst` as an IP packet (v4 or v6 by address).
fn ip_tcp(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&src.port().to_be_bytes());
    t.extend_from_slice(&dst.port().to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = u16::try_from(20 + t.len()).unwrap();
            let mut p = vec![0x45, 0];
            p.extend_from_slice(&total.to_be_bytes());
            p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&t);
            p
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut p = vec![0x60, 0, 0, 0];
            p.extend_from_slice(&u16::try_from(t.len()).unwrap().to_be_bytes());
            p.extend_from_slice(&[6, 64]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&t);
            p
        }
        _ => panic!("mixed address families"),
    }
}

/// Wraps an IP packet in the link-layer header of `link`.
fn link_wrap(link: LinkType, ip: &[u8]) -> Vec<u8> {
    let v6 = ip[0] >> 4 == 6;
    let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    let mut p = Vec::new();
    match link {
        LinkType::ETHERNET => {
            p.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
            p.extend_from_slice(&[0x81, 0x00, 0x00, 0x07]); // VLAN 7
            p.extend_from_slice(&ethertype);
        }
        LinkType::LINUX_SLL => {
            p.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            p.extend_from_slice(&ethertype);
        }
        LinkType::LINUX_SLL2 => {
            p.extend_from_slice(&ethertype);
            p.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
        }
        LinkType::NULL => p.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
        LinkType::LOOP => p.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
        _ => {}
    }
    p.extend_from_slice(ip);
    p
}

/// A pcap file: link type, (micro- or nano-)second timestamps, byte order.
fn pcap(link: LinkType, packets: &[Vec<u8>], big_endian: bool, nanos: bool) -> Vec<u8> {
    let w32 = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend_from_slice(&w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend_from_slice(&w16(2));
    f.extend_from_slice(&w16(4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&w32(65535));
    f.extend_from_slice(&w32(link.0));
    for (i, p) in packets.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        f.extend_from_slice(&w32(1_795_527_000 + i));
        f.extend_from_slice(&w32(if nanos { 123_456_789 } else { 123_456 }));
        f.extend_from_slice(&w32(u32::try_from(p.len()).unwrap()));
        f.extend_from_slice(&w32(u32::try_from(p.len()).unwrap()));
        f.extend_from_slice(p);
    }
    f
}

fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let len = u32::try_from(12 + body.len()).unwrap();
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// A pcapng file: interfaces (link type, if_tsresol), then packets on them
/// (interface, data); interface `None` = a simple packet block.
fn pcapng(interfaces: &[(LinkType, u8)], packets: &[(Option<u32>, Vec<u8>)]) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut f = ng_block(0x0a0d_0d0a, &shb);
    for (link, resol) in interfaces {
        let mut idb = u16::try_from(link.0).unwrap().to_le_bytes().to_vec();
        idb.extend_from_slice(&[0, 0]);
        idb.extend_from_slice(&0u32.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 1, 0, *resol, 0, 0, 0, 0, 0, 0, 0]); // if_tsresol, end
        f.extend_from_slice(&ng_block(1, &idb));
    }
    // A name resolution block to be skipped.
    f.extend_from_slice(&ng_block(4, &[0, 0, 0, 0]));
    for (i, (iface, data)) in packets.iter().enumerate() {
        let len = u32::try_from(data.len()).unwrap();
        match iface {
            Some(id) => {
                let units = 10u64.pow(u32::from(interfaces[usize::try_from(*id).unwrap()].1));
                let ts: u64 = (1_795_527_000 + u64::try_from(i).unwrap()) * units + units / 4;
                let mut epb = id.to_le_bytes().to_vec();
                epb.extend_from_slice(&u32::try_from(ts >> 32).unwrap().to_le_bytes());
                epb.extend_from_slice(&u32::try_from(ts & 0xffff_ffff).unwrap().to_le_bytes());
                epb.extend_from_slice(&len.to_le_bytes());
                epb.extend_from_slice(&len.to_le_bytes());
                epb.extend_from_slice(data);
                f.extend_from_slice(&ng_block(6, &epb));
            }
            None => {
                let mut spb = len.to_le_bytes().to_vec();
                spb.extend_from_slice(data);
                f.extend_from_slice(&ng_block(3, &spb));
            }
        }
    }
    f
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A whole EPMD look-up: handshake, request, reply, FINs, as IP packets.
/// `req_parts` are (offset, bytes) segments of the request, sent in the
/// order `order` gives (indices); `isn` is the client's initial sequence
/// number.
fn lookup(
    c: SocketAddr,
    s: SocketAddr,
    isn: u32,
    req_parts: &[(u32, &[u8])],
    order: &[usize],
) -> Vec<Vec<u8>> {
    let sisn = 7000u32;
    let req_len: u32 = req_parts
        .iter()
        .map(|(o, p)| o + u32::try_from(p.len()).unwrap())
        .max()
        .unwrap();
    let resp = hx(RESP);
    let resp_len = u32::try_from(resp.len()).unwrap();
    let mut v = vec![
        ip_tcp(c, s, isn, 0, SYN, &[]),
        ip_tcp(s, c, sisn, isn.wrapping_add(1), SYN | ACK, &[]),
        ip_tcp(c, s, isn.wrapping_add(1), sisn + 1, ACK, &[]),
    ];
    for &i in order {
        let (o, part) = req_parts[i];
        let seq = isn.wrapping_add(1).wrapping_add(o);
        v.push(ip_tcp(c, s, seq, sisn + 1, PSH_ACK, part));
    }
    let after_req = isn.wrapping_add(1).wrapping_add(req_len);
    v.push(ip_tcp(s, c, sisn + 1, after_req, PSH_ACK, &resp));
    v.push(ip_tcp(s, c, sisn + 1 + resp_len, after_req, FIN_ACK, &[]));
    v.push(ip_tcp(c, s, after_req, sisn + 2 + resp_len, FIN_ACK, &[]));
    v
}

/// The request in one segment.
fn whole(req: &[u8]) -> [(u32, &[u8]); 1] {
    [(0, req)]
}

fn types(r: &Report) -> Vec<(&'static str, Side)> {
    r.frames.iter().map(|f| (f.type_name, f.side)).collect()
}

fn epmd4399() -> CaptureOptions {
    CaptureOptions {
        epmd_ports: vec![4399],
        ..CaptureOptions::default()
    }
}

const LOOKUP: [(&str, Side); 2] = [
    ("PORT_PLEASE2_REQ", Side::Initiator),
    ("PORT2_RESP", Side::Acceptor),
];

#[test]
fn every_link_type_and_ipv6() {
    let req = hx(REQ);
    for (c, s) in [
        ("10.0.0.1:50000", "10.0.0.2:4399"),
        ("[fe80::1]:50000", "[::1]:4399"),
    ] {
        let (c, s) = (addr(c), addr(s));
        let packets = lookup(c, s, 1000, &whole(&req), &[0]);
        for link in [
            LinkType::ETHERNET,
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
            LinkType::NULL,
            LinkType::LOOP,
            LinkType::RAW,
            LinkType::RAW_12,
            LinkType::RAW_14,
            if c.is_ipv4() {
                LinkType::IPV4
            } else {
                LinkType::IPV6
            },
        ] {
            let wrapped: Vec<Vec<u8>> = packets.iter().map(|p| link_wrap(link, p)).collect();
            let r = decode_capture(&pcap(link, &wrapped, false, false), &epmd4399());
            assert_eq!(types(&r), LOOKUP, "{link}");
            assert!(errors(&r).is_empty(), "{link}: {:?}", errors(&r));
            let conn = &r.connections[0];
            assert_eq!(conn.initiator.as_deref(), Some(c.to_string().as_str()));
            assert_eq!(conn.acceptor.as_deref(), Some(s.to_string().as_str()));
            assert_eq!(conn.protocol, Some(Protocol::Epmd));
            assert!(
                conn.protocol_reason.contains("4399"),
                "{}",
                conn.protocol_reason
            );
            assert_eq!(r.frames[1].fields[1].1.as_u64(), Some(45002), "{link}");
        }
    }
}

fn detail<'a>(r: &'a Report, key: &str) -> &'a str {
    r.connections[0]
        .details
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {:?}", r.connections[0].details))
}

#[test]
fn out_of_order_retransmission_overlap_and_wrap_around() {
    let (c, s) = (addr("127.0.0.1:40000"), addr("127.0.0.1:4399"));
    let req = hx(REQ);
    let (a, b) = req.split_at(1);
    // out of order: the second half first
    let r = decode_capture(
        &pcap(
            LinkType::RAW,
            &lookup(c, s, 5, &[(0, a), (1, b)], &[1, 0]),
            false,
            false,
        ),
        &epmd4399(),
    );
    assert_eq!(types(&r), LOOKUP);
    assert!(
        detail(&r, "initiator_tcp").contains("1 out of order"),
        "{:?}",
        r.connections
    );
    assert!(
        r.notes.iter().any(|n| n.contains("out of order")),
        "{:?}",
        r.notes
    );
    // retransmission: the first half twice
    let r = decode_capture(
        &pcap(
            LinkType::RAW,
            &lookup(c, s, 5, &[(0, a), (1, b)], &[0, 0, 1]),
            false,
            false,
        ),
        &epmd4399(),
    );
    assert_eq!(types(&r), LOOKUP);
    assert!(
        detail(&r, "initiator_tcp").contains("1 retransmitted (1 bytes"),
        "{:?}",
        r.connections
    );
    // overlap: the whole request after its first byte
    let r = decode_capture(
        &pcap(
            LinkType::RAW,
            &lookup(c, s, 5, &[(0, a), (0, &req)], &[0, 1]),
            false,
            false,
        ),
        &epmd4399(),
    );
    assert_eq!(types(&r), LOOKUP);
    assert!(
        detail(&r, "initiator_tcp").contains("1 overlapping bytes trimmed"),
        "{:?}",
        r.connections
    );
    // wrap-around: the request's bytes straddle sequence number 2^32
    for isn in [u32::MAX - 2, u32::MAX - 1, u32::MAX] {
        let parts: Vec<(u32, &[u8])> = req
            .chunks(1)
            .enumerate()
            .map(|(i, b)| (u32::try_from(i).unwrap(), b))
            .collect();
        let r = decode_capture(
            &pcap(
                LinkType::RAW,
                &lookup(c, s, isn, &parts, &[3, 1, 0, 2]),
                false,
                false,
            ),
            &epmd4399(),
        );
        assert_eq!(types(&r), LOOKUP, "isn {isn}");
        assert!(errors(&r).is_empty());
    }
}

#[test]
fn a_gap_is_reported_and_decoding_resumes() {
    // A node connection captured mid-way: ticks and a pass-through frame
    // from the acceptor (node port 45002); the segment with the second
    // frame is missing and the initiator acknowledges past it.
    let (c, s) = (addr("127.0.0.1:40000"), addr("127.0.0.1:45002"));
    let tick = [0u8; 4];
    let long = hx("0000000a 70 8368026101 6102 836a");
    assert_eq!(long.len(), 14);
    // tick, the first 6 bytes of a 14-byte frame, (its last 8: lost), tick
    let segs: [&[u8]; 4] = [&tick, &long[..6], &long[6..], &tick];
    let mut seq = 9000u32;
    let mut packets = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        if i != 2 {
            packets.push(ip_tcp(s, c, seq, 100, PSH_ACK, seg));
        }
        seq += u32::try_from(seg.len()).unwrap();
    }
    packets.push(ip_tcp(c, s, 100, seq, ACK, &[]));
    let r = decode_capture(
        &pcap(LinkType::RAW, &packets, false, false),
        &CaptureOptions::default(),
    );
    let kinds: Vec<&str> = r.frames.iter().map(|f| f.type_name).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!((kinds[0], kinds[2]), ("TICK", "TICK"), "{kinds:?}");
    // The cut frame is shown as incomplete; the tick after the gap decodes,
    // at its place in the stream.
    assert!(
        r.frames[1].status.is_incomplete(),
        "{:?}",
        r.frames[1].status
    );
    assert_eq!(r.frames[2].offset, 4 + 14);
    assert!(r.frames[2].status.is_complete());
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("8 bytes from 127.0.0.1:45002") && n.contains("not captured")),
        "{:?}",
        r.notes
    );
    assert!(detail(&r, "initiator_tcp").contains("1 gaps (8 bytes not captured)"));
    // No SYN, no epmd: which side connected is guessed and said so.
    assert!(
        detail(&r, "tcp_initiator").contains("guessed"),
        "{:?}",
        r.connections
    );
}

#[test]
fn no_syn_side_from_ports_and_bytes() {
    let (c, s) = (addr("127.0.0.1:40000"), addr("127.0.0.1:4399"));
    // The capture starts after the handshake: only the reply and then a
    // new look-up. The epmd port says who connected.
    let mut packets = lookup(c, s, 77, &whole(&hx(REQ)), &[0]);
    packets.drain(..4);
    let r = decode_capture(&pcap(LinkType::RAW, &packets, false, false), &epmd4399());
    assert_eq!(
        r.connections[0].initiator.as_deref(),
        Some("127.0.0.1:40000")
    );
    assert!(detail(&r, "tcp_initiator").contains("4399 is an epmd port"));
    // A node connection whose first captured bytes are the acceptor's
    // status: the bytes say it is the acceptor.
    let (c, s) = (addr("127.0.0.1:40001"), addr("127.0.0.1:45002"));
    let packets = vec![ip_tcp(s, c, 1, 1, PSH_ACK, &hx("0003736f6b"))];
    let r = decode_capture(
        &pcap(LinkType::RAW, &packets, false, false),
        &CaptureOptions::default(),
    );
    assert_eq!(
        r.connections[0].acceptor.as_deref(),
        Some("127.0.0.1:45002")
    );
    assert_eq!(types(&r), [("STATUS", Side::Acceptor)]);
}

#[test]
fn pcap_byte_orders_and_nanoseconds_pcapng_interfaces() {
    let (c, s) = (addr("127.0.0.1:40000"), addr("127.0.0.1:4399"));
    let packets = lookup(c, s, 5, &whole(&hx(REQ)), &[0]);
    let eth: Vec<Vec<u8>> = packets
        .iter()
        .map(|p| link_wrap(LinkType::ETHERNET, p))
        .collect();
    let base = decode_capture(&pcap(LinkType::ETHERNET, &eth, false, false), &epmd4399());
    assert_eq!(types(&base), LOOKUP);
    for (be, nanos) in [(true, false), (false, true), (true, true)] {
        let r = decode_capture(&pcap(LinkType::ETHERNET, &eth, be, nanos), &epmd4399());
        assert_eq!(
            r.frames, base.frames,
            "big-endian {be}, nanoseconds {nanos}"
        );
        assert!(
            detail(&r, "tcp_packets").contains("2026-11-24"),
            "{:?}",
            r.connections
        );
    }
    // pcapng: the client's packets on an Ethernet interface (microseconds),
    // the server's on a raw-IP one (nanoseconds); one simple packet block.
    let mut ng = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let from_client = p[12..16] == p[16..20] && p[20..22] == c.port().to_be_bytes();
        let packet = if i == 0 {
            (None, link_wrap(LinkType::ETHERNET, p))
        } else if from_client {
            (Some(0), link_wrap(LinkType::ETHERNET, p))
        } else {
            (Some(1), p.clone())
        };
        ng.push(packet);
    }
    let file = pcapng(&[(LinkType::ETHERNET, 6), (LinkType::RAW, 9)], &ng);
    let r = decode_capture(&file, &epmd4399());
    assert_eq!(r.format, "pcapng");
    let same = |r: &Report| -> Vec<(String, Vec<u8>, Side, usize)> {
        r.frames
            .iter()
            .map(|f| (f.type_name.to_string(), f.bytes.clone(), f.side, f.offset))
            .collect()
    };
    assert_eq!(same(&r), same(&base));
    // The simple packet block has no time: t counts from the first time.
    assert!(
        r.frames[1]
            .direction_reason
            .ends_with("packet 5 at t=3.000000"),
        "{}",
        r.frames[1].direction_reason
    );
    assert!(
        detail(&r, "tcp_packets").contains("packet 1 (t=0.000000, no capture time)"),
        "{:?}",
        r.connections
    );
    assert!(
        r.notes[0].contains("ETHERNET (1), RAW (101)"),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes.iter().any(|n| n.contains("name resolution")),
        "{:?}",
        r.notes
    );
    // decode_bytes detects both.
    for f in [pcap(LinkType::ETHERNET, &eth, true, true), file] {
        let r = decode_bytes(&f, &Opts::default());
        assert!(r.format == "pcap" || r.format == "pcapng");
        assert!(r.format_detected);
        // epmd on 4369 only: the look-up is recognized by its bytes.
        assert_eq!(types(&r), LOOKUP);
    }
}

#[test]
fn not_tcp_counted_damaged_packets_and_files_said() {
    let (c, s) = (addr("127.0.0.1:40000"), addr("127.0.0.1:4399"));
    let mut packets: Vec<Vec<u8>> = lookup(c, s, 5, &whole(&hx(REQ)), &[0])
        .iter()
        .map(|p| link_wrap(LinkType::ETHERNET, p))
        .collect();
    let mut arp = vec![0xff; 12];
    arp.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4]);
    packets.insert(0, arp);
    let mut udp = packets[1].clone();
    udp[18 + 9] = 17;
    packets.insert(1, udp);
    let mut short = packets[2].clone();
    short.truncate(30);
    packets.insert(2, short);
    let file = pcap(LinkType::ETHERNET, &packets, false, false);
    let r = decode_capture(&file, &epmd4399());
    assert_eq!(types(&r), LOOKUP);
    assert!(
        r.notes[0].contains("1 not TCP") || r.notes[0].contains("2 not TCP"),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes[0].contains("1 ARP") && r.notes[0].contains("1 UDP"),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("packet 3: byte") && n.contains("IPv4")),
        "{:?}",
        r.notes
    );
    // A file cut in the middle of a packet: what came before is decoded.
    let r = decode_capture(&file[..file.len() - 3], &epmd4399());
    assert_eq!(types(&r), LOOKUP);
    assert!(
        r.notes.iter().any(|n| n.contains("the capture ends early")),
        "{:?}",
        r.notes
    );
    // Not a capture at all.
    let r = decode_capture(b"hello", &epmd4399());
    assert!(r.input_error.is_some());
}

// ---------------------------------------------------------------------------
// Cross-check with the real tool

/// Debian's tshark lists every TCP payload of the corpus captures
/// (`tshark -r X -T fields -e tcp.stream -e tcp.srcport -e tcp.payload
/// -Y tcp.len>0`); concatenated per stream and sender port, they are the
/// bytes our reassembly fed to the sessions (the frames' bytes, end to end),
/// with the same stream numbers.
#[test]
fn reassembled_streams_match_tshark() {
    let tshark = "/usr/bin/tshark";
    assert!(
        std::path::Path::new(tshark).exists(),
        "{tshark} is missing: install Debian's tshark (apt-get install tshark) for this cross-check"
    );
    for capture in EPMD.iter().chain(DIST.iter()) {
        let out = std::process::Command::new(tshark)
            .args(["-r", &path(&pcap_path(capture)), "-T", "fields"])
            .args(["-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.payload"])
            .args(["-Y", "tcp.len>0"])
            .output()
            .unwrap_or_else(|e| panic!("running {tshark}: {e}"));
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut want: BTreeMap<(usize, u16), String> = BTreeMap::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let mut w = line.split('\t');
            let stream: usize = w.next().unwrap().parse().unwrap();
            let port: u16 = w.next().unwrap().parse().unwrap();
            let hex = w.next().unwrap().replace(':', "");
            want.entry((stream, port)).or_default().push_str(&hex);
        }
        let r = decode_capture(&read(&pcap_path(capture)), &opts(&[4399]));
        let mut got: BTreeMap<(usize, u16), String> = BTreeMap::new();
        for f in &r.frames {
            let stream = f.stream.unwrap();
            let c = &r.connections[stream];
            assert_eq!(c.label, format!("stream {stream}"));
            let addr = match f.side {
                Side::Initiator => c.initiator.as_ref(),
                Side::Acceptor => c.acceptor.as_ref(),
            };
            let port: u16 = addr.unwrap().rsplit(':').next().unwrap().parse().unwrap();
            got.entry((stream, port))
                .or_default()
                .push_str(&erldist_codec::hex::encode(&f.bytes));
        }
        assert_eq!(got.len(), want.len(), "{capture}: directions with payload");
        for (k, v) in &want {
            assert!(
                got.get(k) == Some(v),
                "{capture}: stream {} port {} differs",
                k.0,
                k.1
            );
        }
        let bytes: usize = want.values().map(|h| h.len() / 2).sum();
        println!(
            "{capture}: {} directions, {bytes} bytes as tshark",
            want.len()
        );
    }
}

/// Fed in pieces of any size, a capture decodes to the same frames,
/// connections and notes as in one slice (pcap and pcapng).
#[test]
fn pushed_in_pieces_decodes_the_same() {
    use erldist_codec::capture::CaptureDecoder;
    let pcapng_seed = format!(
        "{}/fuzz/seeds/pcap/dist_wrong_cookie.pcapng",
        env!("CARGO_MANIFEST_DIR")
    );
    let files = [
        read("dist/dist_hidden.pcap"),
        read("corpus/epmd_strict.pcap"),
        std::fs::read(pcapng_seed).unwrap(),
    ];
    for file in &files {
        let whole = decode_capture(file, &opts(&[4399]));
        for piece in [1usize, 7, 1000, 1 << 20] {
            let mut d = CaptureDecoder::new(opts(&[4399]));
            let mut frames = Vec::new();
            for chunk in file.chunks(piece) {
                d.push(chunk, &mut |f| frames.push(f));
            }
            let s = d.finish(&mut |f| frames.push(f));
            assert_eq!(frames, whole.frames, "pieces of {piece}");
            assert_eq!(s.connections, whole.connections);
            assert_eq!(s.notes, whole.notes);
            assert_eq!(s.format, whole.format);
        }
        // Cut short: the same note either way.
        let cut = &file[..file.len() - 5];
        let mut d = CaptureDecoder::new(opts(&[4399]));
        for chunk in cut.chunks(100) {
            d.push(chunk, &mut |_| {});
        }
        let s = d.finish(&mut |_| {});
        assert_eq!(s.notes, decode_capture(cut, &opts(&[4399])).notes);
        assert!(
            s.notes.iter().any(|n| n.contains("the capture ends early")),
            "{:?}",
            s.notes
        );
    }
}

/// Each frame comes with the packet that completed it and that packet's
/// time since the first: the packet and `t=` its direction reason names;
/// the first frames come out before the file ends (a packet list can show
/// them while the rest is read).
#[test]
fn frames_are_marked_with_their_packet_and_time() {
    use erldist_codec::capture::{CaptureDecoder, FrameMark};
    let file = read("dist/dist_full.pcap");
    let mut d = CaptureDecoder::new(opts(&[4399]));
    let mut marked: Vec<(erldist_codec::Frame, FrameMark)> = Vec::new();
    let half = file.len() / 2;
    d.push_marked(&file[..half], &mut |f, m| marked.push((f, m)));
    let early = marked.len();
    assert!(
        early > 4,
        "frames of the first half come out at once: {early}"
    );
    d.push_marked(&file[half..], &mut |f, m| marked.push((f, m)));
    d.finish_marked(&mut |f, m| marked.push((f, m)));
    let whole = decode_capture(&file, &opts(&[4399]));
    let frames: Vec<_> = marked.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(frames, whole.frames);
    for (f, m) in &marked {
        let said = format!("completed by packet {} at t={}", m.packet, m.time_text());
        assert!(
            f.direction_reason.ends_with(&said),
            "{} / {said}",
            f.direction_reason
        );
        assert!((1..=269).contains(&m.packet), "{m:?}");
    }
    // dist_full's last frame, the KILL_REQ's reply, at t=32.57 s.
    let last = marked.last().unwrap().1;
    assert_eq!(last.time_text().get(..5), Some("32.57"), "{last:?}");
}

/// A record that claims more bytes than any real block is an error at once,
/// not a reason to keep the rest of the file in memory.
#[test]
fn a_huge_declared_block_is_not_waited_for() {
    use erldist_codec::capture::CaptureDecoder;
    let mut file = pcap(LinkType::RAW, &[], false, false);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&0xf000_0000u32.to_le_bytes());
    file.extend_from_slice(&0xf000_0000u32.to_le_bytes());
    let mut d = CaptureDecoder::new(CaptureOptions::default());
    d.push(&file, &mut |_| {});
    d.push(&[0; 4096], &mut |_| {});
    let s = d.finish(&mut |_| {});
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("a block over 268435456 bytes")),
        "{:?}",
        s.notes
    );
}

/// Connections taken as they end, and the summary's rest filling the other
/// indices, are the report's connections.
#[test]
fn connections_taken_as_they_end() {
    use erldist_codec::capture::CaptureDecoder;
    let file = read("dist/dist_full.pcap");
    let whole = decode_capture(&file, &opts(&[4399]));
    let mut d = CaptureDecoder::new(opts(&[4399]));
    let mut taken = BTreeMap::new();
    for chunk in file.chunks(4096) {
        d.push(chunk, &mut |_| {});
        for (i, c) in d.take_finished() {
            assert!(taken.insert(i, c).is_none(), "connection {i} taken twice");
        }
    }
    assert!(!taken.is_empty(), "the epmd look-ups end before the file");
    let s = d.finish(&mut |_| {});
    let mut rest = s.connections.into_iter();
    let all: Vec<_> = (0..whole.connections.len())
        .map(|i| taken.remove(&i).unwrap_or_else(|| rest.next().unwrap()))
        .collect();
    assert!(rest.next().is_none());
    assert_eq!(all, whole.connections);
}
