//! The codec's own handshake initiator and connected-phase codec against a
//! REAL `erl` node (Debian `erlang-base`, OTP 25), over a real socket on
//! 127.0.0.1.
//!
//! The test starts `epmd -d -d -d` on a free port and one node
//! `livedist@127.0.0.1` (cookie `livecookie`, `net_ticktime` 4 s: a tick
//! every second, disconnect after 4 s of silence) that registers an `echo`
//! process. Then, as a HIDDEN node `probe@127.0.0.1`:
//!
//! * a. looks the node's port up with a PORT_PLEASE2_REQ built by the codec;
//! * b. completes the handshake with the codec's sans-IO `Initiator`;
//! * c. stays connected for 6 s (more than the node's 4 s net_ticktime),
//!   answering its ticks, and counts them;
//! * d. sends a REG_SEND to `echo` and decodes the SEND_SENDER reply;
//! * e. calls `erlang:node()` through `rex` (`{'$gen_call', {Pid, Ref},
//!   {call, erlang, node, [], user}}`) and decodes `{Ref, 'livedist@127.0.0.1'}`;
//! * f. decodes both directions of everything it sent and received as a
//!   session (`decode_transcripts`, with the cookie): every frame complete,
//!   both digests valid.
//!
//! A second test does the handshake with the wrong cookie: the node closes
//! the connection without an ack, the initiator fails with the reason, and
//! the session decode marks our digest invalid.
//!
//! Every process is started here and stopped by a drop guard. Without
//! `epmd`/`erl` the test FAILS: run `scripts/test-live.sh`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::procs::*;
use erldist_codec::conn::Side;
use erldist_codec::dist::{encode_message, encode_tick, ConnectedDecoder, EncodeMode};
use erldist_codec::epmd::{self, Fields, ReplyContext};
use erldist_codec::etf::text::{parse, to_erlang};
use erldist_codec::etf::Term;
use erldist_codec::handshake::{Config, Initiator, Outcome};
use erldist_codec::report::decode_transcripts;
use erldist_codec::DecodeOptions;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const NODE: &str = "livedist@127.0.0.1";
const ME: &str = "probe@127.0.0.1";
const TICKTIME: &str = "4";

struct Fixture {
    // Drop order: the node before epmd.
    node: ChildGuard,
    _epmd: ChildGuard,
    epmd_port: u16,
    node_log: PathBuf,
}

fn start() -> Fixture {
    let epmd_bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
    let erl_bin = require_program("erl").unwrap_or_else(|e| panic!("{e}"));
    let dir = work_dir("dist");
    let (epmd_port, node_port) = free_ports();
    let epmd = start_epmd(&epmd_bin, epmd_port, &dir.join("epmd_debug.log"));
    let node_log = dir.join("node.log");
    let echo = "register(echo, spawn(fun() -> (fun L() -> receive {From, Msg} -> \
                From ! {echo, Msg}, L() end end)() end)), io:format(\"LIVE-ECHO ready~n\").";
    let node = start_node_with(
        &erl_bin,
        "-name",
        NODE,
        COOKIE,
        epmd_port,
        node_port,
        &node_log,
        &["-kernel", "net_ticktime", TICKTIME, "-eval", echo],
    );
    wait_for("the node to start", NODE_START_TIMEOUT, || {
        read_lossy(&node_log)
            .contains("LIVE-ECHO ready")
            .then_some(())
    });
    eprintln!(
        "live_dist: {}",
        read_lossy(&node_log).lines().next().unwrap_or("")
    );
    Fixture {
        node,
        _epmd: epmd,
        epmd_port,
        node_log,
    }
}

/// a. The node's distribution port, asked of epmd with the codec's bytes.
fn port_please(epmd_port: u16, alive: &str) -> u16 {
    let mut fields = Fields::new();
    fields.insert("name".into(), alive.into());
    let req = epmd::encode_fields("PORT_PLEASE2_REQ", &fields).unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", epmd_port)).unwrap();
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.write_all(&req).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    let d = epmd::decode_reply(
        &reply,
        0,
        ReplyContext {
            eof: true,
            answers: Some(epmd::PORT_PLEASE2_REQ),
        },
    );
    assert!(d.status.is_complete(), "{:?}", d.status);
    match d.message {
        Some(epmd::EpmdMessage::Port2Resp(epmd::Port2Resp::Found(n))) => n.port,
        other => panic!("PORT2_RESP for {alive}: {other:?}"),
    }
}

/// One connection to the node, with everything that crossed it recorded.
struct Conn {
    sock: TcpStream,
    sent: Vec<u8>,
    received: Vec<u8>,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_nodelay(true).unwrap();
        Conn {
            sock,
            sent: Vec::new(),
            received: Vec::new(),
        }
    }

    fn send(&mut self, b: &[u8]) {
        self.sock.write_all(b).unwrap();
        self.sent.extend_from_slice(b);
    }

    /// Reads what is there within `wait`; `None` when the peer closed.
    fn recv(&mut self, wait: Duration) -> Option<Vec<u8>> {
        self.sock.set_read_timeout(Some(wait)).unwrap();
        let mut buf = vec![0u8; 65536];
        match self.sock.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                self.received.extend_from_slice(&buf[..n]);
                Some(buf[..n].to_vec())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Some(Vec::new())
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => None,
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// b. Drives the codec's initiator over the socket until it is done.
fn handshake(conn: &mut Conn, cookie: &str) -> (Outcome, Vec<u8>) {
    let cfg = Config::new(ME, cookie.as_bytes(), 7, 0x5eed_1234).hidden();
    let mut hs = Initiator::new(cfg, NODE);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(out) = hs.poll_transmit() {
            conn.send(&out);
        }
        if *hs.state() != Outcome::InProgress {
            break;
        }
        assert!(Instant::now() < deadline, "handshake timed out");
        match conn.recv(Duration::from_millis(200)) {
            Some(b) => hs.handle_input(&b),
            None => hs.handle_close(),
        }
    }
    (hs.state().clone(), hs.take_leftover())
}

/// The connected phase of our side: frames in, ticks out.
struct Connected {
    dec: ConnectedDecoder,
    inbuf: Vec<u8>,
    ticks_in: usize,
    ticks_out: usize,
    last_sent: Instant,
}

/// A frame from the node, as decoded.
struct Got {
    type_name: &'static str,
    fields: Vec<(String, String)>,
    payload: Option<Term>,
}

impl Connected {
    fn new(negotiated: u64, leftover: Vec<u8>) -> Connected {
        Connected {
            dec: ConnectedDecoder::new(Some(negotiated)),
            inbuf: leftover,
            ticks_in: 0,
            ticks_out: 0,
            last_sent: Instant::now(),
        }
    }

    /// Reads for up to `wait`, answering ticks; returns the non-tick frames.
    fn pump(&mut self, conn: &mut Conn, wait: Duration) -> Vec<Got> {
        let mut out = Vec::new();
        let end = Instant::now() + wait;
        while Instant::now() < end {
            let b = conn
                .recv(Duration::from_millis(100))
                .unwrap_or_else(|| panic!("the node closed the connection"));
            self.inbuf.extend_from_slice(&b);
            loop {
                if self.inbuf.is_empty() {
                    break;
                }
                let f = self.dec.decode_frame(&self.inbuf, 0);
                if f.frame.status.is_incomplete() {
                    break;
                }
                assert!(f.frame.status.is_complete(), "{:?}", f.frame.status);
                let n = f.frame.consumed;
                self.inbuf.drain(..n);
                if f.frame.type_name == "TICK" {
                    self.ticks_in += 1;
                    // Answer: a tick back.
                    conn.send(&encode_tick());
                    self.ticks_out += 1;
                    self.last_sent = Instant::now();
                    continue;
                }
                out.push(Got {
                    type_name: f.frame.type_name,
                    fields: f
                        .frame
                        .fields
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect(),
                    payload: f.payload.clone(),
                });
            }
            // Never silent for a whole tick interval (1 s with net_ticktime 4).
            if self.last_sent.elapsed() > Duration::from_millis(900) {
                conn.send(&encode_tick());
                self.ticks_out += 1;
                self.last_sent = Instant::now();
            }
        }
        out
    }

    /// Pumps until a frame satisfies `pred` (or 10 s pass).
    fn wait_for(&mut self, conn: &mut Conn, what: &str, pred: impl Fn(&Got) -> bool) -> Got {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            for g in self.pump(conn, Duration::from_millis(200)) {
                if pred(&g) {
                    return g;
                }
                seen.push(format!("{} {:?}", g.type_name, g.fields));
            }
        }
        panic!("no {what} within 10 s; frames seen: {seen:#?}");
    }

    fn send(&mut self, conn: &mut Conn, control: &str, payload: &str) {
        let c = parse(control).unwrap();
        let p = parse(payload).unwrap();
        let bytes = encode_message(&c, Some(&p), EncodeMode::Header).unwrap();
        conn.send(&bytes);
        self.last_sent = Instant::now();
    }
}

#[test]
fn hidden_node_handshake_ticks_reg_send_and_rpc_against_real_erl() {
    let fx = start();
    let port = port_please(fx.epmd_port, "livedist");
    eprintln!("live_dist: a. epmd says {NODE} listens on {port}");

    let mut conn = Conn::open(port);
    let (outcome, leftover) = handshake(&mut conn, COOKIE);
    let c = match outcome {
        Outcome::Connected(c) => c,
        other => panic!(
            "handshake failed: {other:?}\nnode log:\n{}",
            read_lossy(&fx.node_log)
        ),
    };
    assert_eq!(c.peer_name, NODE.as_bytes());
    assert!(c.hidden, "we are hidden: PUBLISHED not in both flag words");
    eprintln!(
        "live_dist: b. handshake done with {NODE}: negotiated flags {:#x}, hidden",
        c.negotiated.0
    );

    let mut cx = Connected::new(c.negotiated.0, leftover);
    let early = cx.pump(&mut conn, Duration::from_secs(6));
    assert!(
        cx.ticks_in >= 3,
        "the node ticks every second with net_ticktime 4: got {} ticks in 6 s",
        cx.ticks_in
    );
    eprintln!(
        "live_dist: c. still connected after 6 s (> net_ticktime {TICKTIME} s): {} ticks received, {} sent; {} other frames",
        cx.ticks_in,
        cx.ticks_out,
        early.len()
    );

    let me = format!("#Pid<'{ME}'.1.0;c=7>");
    cx.send(
        &mut conn,
        &format!("{{6, {me}, '', echo}}"),
        &format!("{{{me}, hello_from_erldist}}"),
    );
    let reply = cx.wait_for(&mut conn, "echo reply", |g| {
        g.payload
            .as_ref()
            .is_some_and(|p| to_erlang(p) == "{echo,hello_from_erldist}")
    });
    assert!(
        matches!(reply.type_name, "SEND_SENDER" | "SEND"),
        "{}",
        reply.type_name
    );
    let to = reply
        .fields
        .iter()
        .find(|(k, _)| k == "to_pid")
        .map(|(_, v)| v.clone());
    assert_eq!(to.as_deref(), Some(me.as_str()));
    eprintln!(
        "live_dist: d. REG_SEND to echo answered by {} to {me}: {{echo,hello_from_erldist}}",
        reply.type_name
    );

    let r = format!("#Ref<'{ME}'.1.2.3;c=7>");
    cx.send(
        &mut conn,
        &format!("{{6, {me}, '', rex}}"),
        &format!("{{'$gen_call', {{{me}, {r}}}, {{call, erlang, node, [], user}}}}"),
    );
    let want = format!("{{{r},'{NODE}'}}");
    let rpc = cx.wait_for(&mut conn, "rpc reply", |g| {
        g.payload.as_ref().is_some_and(|p| to_erlang(p) == want)
    });
    eprintln!(
        "live_dist: e. rpc erlang:node() through rex answered by {}: {want}",
        rpc.type_name
    );

    conn.sock.shutdown(Shutdown::Both).ok();
    let report = decode_transcripts(
        &conn.sent,
        &conn.received,
        &DecodeOptions {
            cookie: Some(COOKIE.as_bytes().to_vec()),
            ..DecodeOptions::default()
        },
    );
    for f in &report.frames {
        assert!(
            f.status.is_complete(),
            "{} {:?} at {}: {:?}",
            f.type_name,
            f.side,
            f.offset,
            f.status
        );
    }
    let details = &report.connections[0].details;
    let get = |k: &str| {
        details
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.display())
            .unwrap_or_default()
    };
    assert!(
        get("reply_digest").contains("valid"),
        "{}",
        get("reply_digest")
    );
    assert!(!get("reply_digest").contains("INVALID"));
    assert!(get("ack_digest").contains("valid") && !get("ack_digest").contains("INVALID"));
    let sides = |s: Side| report.frames.iter().filter(|f| f.side == s).count();
    eprintln!(
        "live_dist: f. the whole conversation decodes: {} frames ({} ours, {} the node's), both digests valid",
        report.frames.len(),
        sides(Side::Initiator),
        sides(Side::Acceptor)
    );
    drop(fx.node);
}

#[test]
fn wrong_cookie_fails_cleanly_with_the_reason() {
    let fx = start();
    let port = port_please(fx.epmd_port, "livedist");
    let mut conn = Conn::open(port);
    let (outcome, _) = handshake(&mut conn, "not-the-cookie");
    let reason = match outcome {
        Outcome::Failed { reason } => reason,
        other => panic!("a wrong cookie must fail the handshake: {other:?}"),
    };
    assert!(
        reason.contains("cookie") || reason.contains("digest"),
        "the reason names the cause: {reason}"
    );
    eprintln!("live_dist: wrong cookie: the initiator failed: {reason}");
    let report = decode_transcripts(
        &conn.sent,
        &conn.received,
        &DecodeOptions {
            cookie: Some(COOKIE.as_bytes().to_vec()),
            ..DecodeOptions::default()
        },
    );
    let r = report
        .frames
        .iter()
        .find(|f| f.type_name == "CHALLENGE_REPLY")
        .expect("our challenge reply is in the transcript");
    let ok = r
        .fields
        .iter()
        .find(|(k, _)| k == "digest_ok")
        .map(|(_, v)| v.clone());
    assert_eq!(
        ok,
        Some(erldist_codec::Value::Bool(false)),
        "{:?}",
        r.fields
    );
    assert!(
        !report.frames.iter().any(|f| f.type_name == "CHALLENGE_ACK"),
        "the node sends no ack to a wrong digest"
    );
    // The node says why in its own log.
    let said = wait_for("the node to log the rejected digest", IO_TIMEOUT, || {
        read_lossy(&fx.node_log)
            .lines()
            .find(|l| l.contains("Invalid challenge reply"))
            .map(str::to_string)
    });
    eprintln!(
        "live_dist: wrong cookie: the session decode marks our digest invalid; the node logged: {}",
        said.trim()
    );
    drop(fx.node);
}
