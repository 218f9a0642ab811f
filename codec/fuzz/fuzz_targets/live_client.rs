//! Live mode's sans-IO clients on arbitrary peers: an `EpmdConn` and a
//! `NodeClient` driven by one script. The first byte picks the epmd request
//! (NAMES, PORT_PLEASE2, ALIVE2 or raw bytes), whether the node is dialled
//! by full or alive-only name, and whether a real handshake `Acceptor`
//! (right or wrong cookie) answers the node first so the script reaches the
//! connected phase. Then each step is `op:u8 ...`: a chunk to epmd, epmd
//! closes or we close, a chunk to the node, the node closes or we close,
//! time passes (`handle_timeout`), an rpc or a send from arbitrary text, or
//! a well-formed `{Ref, Reply}` answer to a call made. Time only moves
//! forward. Everything queued is drained after each step. At the end (when
//! the first byte's bit 5 is set) the recordings are decoded and written as a capture; and the whole input is
//! given to `parse_call` as text. Asserts no panic, nothing sent after a
//! close, and no more calls answered than made.
#![no_main]

use erldist_codec::dist::{encode_message, EncodeMode};
use erldist_codec::etf::text::parse;
use erldist_codec::etf::{Pid, Ref, RefKind, Term};
use erldist_codec::handshake::{Acceptor, Config};
use erldist_codec::live::{
    alive2_req, decode_recordings, names_req, parse_call, pcapng_of, port_please2_req, EpmdConn,
    NodeClient, NodeEvent, NodeOptions,
};
use libfuzzer_sys::fuzz_target;

const ME: &str = "playground@127.0.0.1";
const COOKIE: &[u8] = b"corpuscookie";
const CREATION: u32 = 0x6a11_0001;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn drain_epmd(c: &mut EpmdConn, closed: bool) {
    while let Some(b) = c.poll_transmit() {
        assert!(!closed, "epmd conn sends after its close: {b:?}");
    }
}

/// Drains the node client; returns how many replies came.
fn drain_node(n: &mut NodeClient, closed: bool) -> usize {
    let mut replies = 0;
    while let Some(b) = n.poll_transmit() {
        assert!(!closed, "node client sends after its close: {b:?}");
    }
    while let Some(e) = n.poll_event() {
        if let NodeEvent::Reply { .. } = e {
            replies += 1;
        }
    }
    replies
}

/// `{Ref, Reply}` to call number `k` (refs are `[k, 0x5eed, 0xe71d]`), sent
/// to our pid.
fn reply_frame(k: u32, reply: Term) -> Option<Vec<u8>> {
    let reference = Term::Ref(Ref {
        kind: RefKind::NewerReference,
        node: Box::new(Term::atom(ME)),
        creation: CREATION,
        ids: vec![k, 0x5eed, 0xe71d],
    });
    let pid = Term::Pid(Pid {
        new: true,
        node: Box::new(Term::atom(ME)),
        id: 1,
        serial: 0,
        creation: CREATION,
    });
    let control = Term::Tuple {
        large: false,
        elems: vec![Term::SmallInteger(2), Term::atom(""), pid],
    };
    let payload = Term::Tuple {
        large: false,
        elems: vec![reference, reply],
    };
    encode_message(&control, Some(&payload), EncodeMode::Header).ok()
}

fuzz_target!(|data: &[u8]| {
    // Any text at all is a call to parse.
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_call(s).map(|c| c.text());
    }
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut now: u64 = 1_700_000_000_000;

    let request = match mode & 3 {
        0 => names_req(),
        1 => port_please2_req("b").unwrap_or_default(),
        2 => alive2_req("fuzz", 4711).unwrap_or_default(),
        _ => b"\x00\x01\x6e\x00\x03zab".to_vec(),
    };
    let mut epmd = EpmdConn::new(request, now);
    let mut epmd_closed = false;
    drain_epmd(&mut epmd, false);

    let peer = if mode & 4 != 0 { "b" } else { "b@127.0.0.1" };
    let mut node = NodeClient::new(
        NodeOptions::new(ME, peer, COOKIE, CREATION, 0x1234_5678),
        now,
    );
    node.set_server_port(40000);
    let mut node_closed = false;
    if mode & 8 != 0 {
        // A real node answers the handshake (with the wrong cookie when bit 4).
        let cookie: &[u8] = if mode & 16 != 0 { b"wrong" } else { COOKIE };
        let mut acc = Acceptor::new(Config::new("b@127.0.0.1", cookie, 77, 0x0bad_cafe));
        for _ in 0..8 {
            let mut moved = false;
            while let Some(b) = node.poll_transmit() {
                acc.handle_input(&b);
                moved = true;
            }
            while let Some(b) = acc.poll_transmit() {
                now += 1;
                node.handle_input(&b, now);
                moved = true;
            }
            if !moved {
                break;
            }
        }
        if mode & 16 == 0 {
            assert!(node.is_connected(), "the handshake with a real acceptor");
        }
    }
    drain_node(&mut node, false);

    let mut calls: u32 = 0;
    let mut replies: usize = 0;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        now += u64::from(op >> 4);
        match op & 15 {
            0..=2 => {
                let [len, tail @ ..] = rest else { break };
                let n = usize::from(*len).min(tail.len());
                epmd.handle_input(&tail[..n], now);
                rest = &tail[n..];
            }
            3 => {
                epmd.handle_close(now);
                epmd_closed = true;
            }
            4 => {
                epmd.close(now);
                epmd_closed = true;
            }
            5..=7 => {
                let [len, tail @ ..] = rest else { break };
                let n = usize::from(*len).min(tail.len());
                node.handle_input(&tail[..n], now);
                rest = &tail[n..];
            }
            8 => {
                node.handle_close(now);
                node_closed = true;
            }
            9 => {
                node.close(now);
                node_closed = true;
            }
            10 | 11 => {
                let [dt, tail @ ..] = rest else { break };
                now += u64::from(*dt) * 1_000;
                let _ = node.poll_timeout();
                node.handle_timeout(now);
                rest = tail;
            }
            12 => {
                let [len, tail @ ..] = rest else { break };
                let n = usize::from(*len).min(tail.len());
                if node.rpc_text(&text(&tail[..n]), now).is_ok() {
                    calls += 1;
                }
                rest = &tail[n..];
            }
            13 => {
                let [a, b, tail @ ..] = rest else { break };
                let a = usize::from(*a).min(tail.len());
                let (name, tail) = tail.split_at(a);
                let b = usize::from(*b).min(tail.len());
                let (msg, tail) = tail.split_at(b);
                let _ = node.send_reg_text(&text(name), &text(msg), now);
                rest = tail;
            }
            _ => {
                // A proper answer to call `k` (1-based), the reply term
                // from text (an atom when it does not parse).
                let [k, len, tail @ ..] = rest else { break };
                let n = usize::from(*len).min(tail.len());
                let reply = parse(&text(&tail[..n])).unwrap_or_else(|_| Term::atom("ok"));
                if let Some(frame) = reply_frame(u32::from(*k), reply) {
                    node.handle_input(&frame, now);
                }
                rest = &tail[n..];
            }
        }
        drain_epmd(&mut epmd, epmd_closed);
        replies += drain_node(&mut node, node_closed);
        assert!(
            replies <= calls as usize,
            "{replies} replies to {calls} calls"
        );
        assert!(node.pending_calls() <= calls as usize);
    }

    // What the page shows of the connections.
    let _ = (epmd.state(), epmd.registration(), epmd.ever_registered());
    let _ = (epmd.replies(), epmd.names(), epmd.port());
    let _ = (
        node.state(),
        node.digests().ack_ok(),
        node.ticks(),
        node.pid(),
    );
    if mode & 0x20 == 0 {
        return;
    }
    let recs = [epmd.recording(), node.recording()];
    let timed = decode_recordings(&recs, Some(COOKIE));
    assert_eq!(timed.times_ms.len(), timed.report.frames.len());
    let _ = pcapng_of(&recs);
});
