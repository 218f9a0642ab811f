//! Live mode's sans-IO client (`erldist_codec::live`) against a REAL epmd
//! and a REAL `erl` node (Debian `erlang-base`, OTP 25), pumped over std
//! TCP streams on 127.0.0.1 exactly as the playground pumps it over the
//! bridge's websockets.
//!
//! Each test starts `epmd -d -d -d` on a free port and a node
//! `liveclient@127.0.0.1` (cookie `livecookie`, `net_ticktime` 4: a tick
//! every second, disconnected after 4 s of silence) that registers an
//! `echo` process, then:
//!
//! * `epmd_client_registers_lists_looks_up_and_unregisters`: NAMES,
//!   PORT_PLEASE2 (found and not found), an ALIVE2 registration held open
//!   ("registered as X, creation C") and seen by the real `epmd -names`,
//!   refused when the name is taken, gone from `epmd -names` once the
//!   connection is closed; a request with an unknown code gets no reply
//!   and the reason; the recordings decode as sessions and export as a
//!   pcapng capture that the codec's capture reader reads back to the
//!   same frames.
//! * `node_client_handshakes_calls_and_sends`: dialling the node by its
//!   alive name only (the host is learnt from its challenge), the hidden
//!   handshake with the cookie (digests checked), 6 s connected through
//!   ticks, `rex` calls of `erlang:node()`, `erlang:system_info(otp_release)`,
//!   a typed `lists:reverse([1,2,3])` and an undefined function
//!   (`{badrpc, ...}`), a message to the registered `echo` and its answer;
//!   the whole transcript decodes as one session with valid digests.
//! * `node_client_wrong_cookie_fails_with_the_reason`.
//!
//! Every process is started here and stopped by a drop guard (also on
//! failure). Without `epmd`/`erl` the tests FAIL: run
//! `scripts/test-live.sh`, which installs `erlang-base`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::procs::*;
use erldist_codec::conn::Side;
use erldist_codec::etf::text::to_erlang;
use erldist_codec::handshake::digest;
use erldist_codec::live::{
    alive2_req, decode_recordings, names_req, pcapng_of, port_please2_req, EpmdConn, EpmdState,
    NodeClient, NodeEvent, NodeOptions, NodeState, Recording,
};
use erldist_codec::{decode_bytes, DecodeOptions, FormatChoice};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ALIVE: &str = "liveclient";
const NODE: &str = "liveclient@127.0.0.1";
const ME: &str = "playground@127.0.0.1";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

struct Fixture {
    // Drop order: the node before epmd.
    node: ChildGuard,
    _epmd: ChildGuard,
    epmd_bin: PathBuf,
    epmd_port: u16,
    node_port: u16,
    node_log: PathBuf,
}

fn start(tag: &str) -> Fixture {
    let epmd_bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
    let erl_bin = require_program("erl").unwrap_or_else(|e| panic!("{e}"));
    let dir = work_dir(&format!("client-{tag}"));
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
        &["-kernel", "net_ticktime", "4", "-eval", echo],
    );
    wait_for("the node to start", NODE_START_TIMEOUT, || {
        read_lossy(&node_log)
            .contains("LIVE-ECHO ready")
            .then_some(())
    });
    Fixture {
        node,
        _epmd: epmd,
        epmd_bin,
        epmd_port,
        node_port,
        node_log,
    }
}

impl Fixture {
    /// The real `epmd -port P -names`.
    fn epmd_names(&self) -> String {
        let out = Command::new(&self.epmd_bin)
            .args(["-port", &self.epmd_port.to_string(), "-names"])
            .env_remove("ERL_EPMD_PORT")
            .stdin(Stdio::null())
            .output()
            .expect("run epmd -names");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The OTP release the node printed when it started.
    fn node_release(&self) -> String {
        let log = read_lossy(&self.node_log);
        let line = log
            .lines()
            .find(|l| l.starts_with("LIVE-NODE"))
            .unwrap_or_else(|| panic!("no LIVE-NODE line in {log}"));
        line.split("(release ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or_else(|| panic!("no release in {line}"))
            .to_string()
    }
}

// --------------------------------------------------------------- epmd pump

/// An epmd connection pumped over a real socket.
struct EpmdSock {
    conn: EpmdConn,
    sock: Option<TcpStream>,
}

impl EpmdSock {
    /// Connects, sends the request and reads until epmd closes, or (for a
    /// registration) until its reply is in.
    fn run(epmd_port: u16, request: Vec<u8>) -> EpmdSock {
        let mut conn = EpmdConn::new(request, now_ms());
        let mut sock = TcpStream::connect(("127.0.0.1", epmd_port)).unwrap();
        while let Some(b) = conn.poll_transmit() {
            sock.write_all(&b).unwrap();
        }
        let mut me = EpmdSock {
            conn,
            sock: Some(sock),
        };
        let deadline = Instant::now() + IO_TIMEOUT;
        while !me.conn.is_closed() && *me.conn.state() == EpmdState::Waiting {
            assert!(Instant::now() < deadline, "no reply from epmd in time");
            me.read(Duration::from_millis(100));
        }
        me
    }

    fn read(&mut self, wait: Duration) {
        let Some(sock) = self.sock.as_mut() else {
            return;
        };
        sock.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 4096];
        match sock.read(&mut buf) {
            Ok(0) => {
                self.conn.handle_close(now_ms());
                self.sock = None;
            }
            Ok(n) => self.conn.handle_input(&buf[..n], now_ms()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read from epmd: {e}"),
        }
    }

    /// We close the socket.
    fn close(&mut self) {
        if let Some(s) = self.sock.take() {
            s.shutdown(Shutdown::Both).ok();
        }
        self.conn.close(now_ms());
    }
}

#[test]
fn epmd_client_registers_lists_looks_up_and_unregisters() {
    let fx = start("epmd");
    let mut recordings: Vec<Recording> = Vec::new();

    // NAMES: the node is listed, with its port.
    let names = EpmdSock::run(fx.epmd_port, names_req());
    let listed = names.conn.names();
    assert!(
        listed
            .iter()
            .any(|(n, p)| n == ALIVE && *p == u64::from(fx.node_port)),
        "{listed:?}"
    );
    assert!(
        matches!(names.conn.state(), EpmdState::Closed { why } if why.contains("one request per connection")),
        "{:?}",
        names.conn.state()
    );
    eprintln!("live_client: NAMES lists {listed:?}");
    recordings.push(names.conn.recording().clone());

    // PORT_PLEASE2: found, and not found.
    let pp = EpmdSock::run(fx.epmd_port, port_please2_req(ALIVE).unwrap());
    assert_eq!(pp.conn.port(), Ok(Some(fx.node_port)));
    recordings.push(pp.conn.recording().clone());
    let miss = EpmdSock::run(fx.epmd_port, port_please2_req("nosuchnode").unwrap());
    assert_eq!(miss.conn.port(), Ok(None));
    recordings.push(miss.conn.recording().clone());

    // ALIVE2: held open, seen by the real epmd -names.
    let reg_port = 45_678;
    let mut reg = EpmdSock::run(fx.epmd_port, alive2_req("livereg", reg_port).unwrap());
    let r = reg
        .conn
        .registration()
        .unwrap_or_else(|| panic!("not registered: {:?}", reg.conn.state()))
        .clone();
    assert_eq!(r.name, "livereg");
    assert_eq!(r.port, reg_port);
    assert_eq!(r.reply, "ALIVE2_X_RESP");
    assert!(
        r.creation >= 4,
        "epmd's v6 creations are >= 4: {}",
        r.creation
    );
    let listed = fx.epmd_names();
    assert!(
        listed.contains(&format!("name livereg at port {reg_port}")),
        "{listed}"
    );
    eprintln!(
        "live_client: registered as {} (creation {}); epmd -names:\n{}",
        r.name,
        r.creation,
        listed.trim_end()
    );
    // Still registered a moment later: epmd keeps the socket.
    reg.read(Duration::from_millis(300));
    assert!(reg.conn.registration().is_some(), "{:?}", reg.conn.state());

    // The same name again: refused (result 1), the socket left open by epmd.
    let mut dup = EpmdSock::run(fx.epmd_port, alive2_req("livereg", reg_port + 1).unwrap());
    assert!(
        matches!(dup.conn.state(), EpmdState::Refused { why } if why.contains("already registered")),
        "{:?}",
        dup.conn.state()
    );
    dup.close();
    recordings.push(dup.conn.recording().clone());

    // Close the registration: the name is gone from epmd -names.
    reg.close();
    match reg.conn.state() {
        EpmdState::Closed { why } => assert!(
            why.contains("dropped \"livereg\"") && why.contains("no unregister message"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    wait_for("epmd to drop livereg", IO_TIMEOUT, || {
        (!fx.epmd_names().contains("livereg")).then_some(())
    });
    eprintln!("live_client: closed the registration; epmd -names no longer lists livereg");
    recordings.push(reg.conn.recording().clone());

    // A request code epmd does not know: closed without a reply, and why.
    let garbage = EpmdSock::run(fx.epmd_port, vec![0x00, 0x01, 0xff]);
    match garbage.conn.state() {
        EpmdState::Closed { why } => {
            assert!(why.contains("without a reply"), "{why}");
            assert!(why.contains("got garbage"), "{why}");
            eprintln!("live_client: 00 01 ff: {why}");
        }
        other => panic!("{other:?}"),
    }
    recordings.push(garbage.conn.recording().clone());

    // The recordings as sessions: every frame of the well-formed exchanges
    // decodes completely, in time order, each from its conversation.
    let refs: Vec<&Recording> = recordings.iter().collect();
    let timed = decode_recordings(&refs, None);
    let frames = &timed.report.frames;
    let types: Vec<&str> = frames.iter().map(|f| f.type_name).collect();
    eprintln!("live_client: the recordings decode to {types:?}");
    assert_eq!(timed.times_ms.len(), frames.len());
    assert!(timed.times_ms.windows(2).all(|w| w[0] <= w[1]));
    for want in [
        "NAMES_REQ",
        "NAMES_RESP",
        "PORT_PLEASE2_REQ",
        "PORT2_RESP",
        "ALIVE2_REQ",
        "ALIVE2_X_RESP",
    ] {
        assert!(types.contains(&want), "{want} missing from {types:?}");
    }
    for f in frames {
        assert!(f.status.is_complete(), "{} {:?}", f.type_name, f.status);
        // The unknown code: a well-framed request of an unknown type.
        let garbage_conv = f.stream == Some(recordings.len() - 1);
        assert_eq!(f.type_name == "UNKNOWN", garbage_conv, "{}", f.type_name);
    }
    assert_eq!(
        frames
            .iter()
            .filter(|f| f.side == Side::Acceptor && f.type_name == "ALIVE2_X_RESP")
            .count(),
        2,
        "the registration's reply and the refusal"
    );

    // pcapng export, read back by the codec's capture reader: the same
    // frames (epmd on 4369 in the capture).
    let file = pcapng_of(&refs).unwrap();
    assert_eq!(&file[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    let back = decode_bytes(
        &file,
        &DecodeOptions {
            format: FormatChoice::Pcap,
            ..DecodeOptions::default()
        },
    );
    let back_types: Vec<&str> = back.frames.iter().map(|f| f.type_name).collect();
    let mut a = types.clone();
    let mut b = back_types.clone();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "pcapng read back: {back_types:?}");
    eprintln!(
        "live_client: pcapng export of {} bytes reads back to the same {} frames",
        file.len(),
        back.frames.len()
    );
    drop(fx.node);
}

// --------------------------------------------------------------- node pump

/// A node connection pumped over a real socket.
struct NodeSock {
    client: NodeClient,
    sock: Option<TcpStream>,
}

impl NodeSock {
    fn open(port: u16, opts: NodeOptions) -> NodeSock {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_nodelay(true).unwrap();
        let mut client = NodeClient::new(opts, now_ms());
        client.set_server_port(port);
        NodeSock {
            client,
            sock: Some(sock),
        }
    }

    /// Sends what is queued, reads for up to `wait`, lets time pass;
    /// returns the events.
    fn pump(&mut self, wait: Duration) -> Vec<NodeEvent> {
        let end = Instant::now() + wait;
        let mut events = Vec::new();
        loop {
            while let Some(b) = self.client.poll_transmit() {
                if let Some(s) = self.sock.as_mut() {
                    s.write_all(&b).unwrap();
                }
            }
            while let Some(e) = self.client.poll_event() {
                events.push(e);
            }
            let Some(sock) = self.sock.as_mut() else {
                break;
            };
            if Instant::now() >= end {
                break;
            }
            sock.set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let mut buf = vec![0u8; 65536];
            match sock.read(&mut buf) {
                Ok(0) => {
                    self.client.handle_close(now_ms());
                    self.sock = None;
                }
                Ok(n) => self.client.handle_input(&buf[..n], now_ms()),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    self.client.handle_close(now_ms());
                    self.sock = None;
                }
                Err(e) => panic!("read from the node: {e}"),
            }
            self.client.handle_timeout(now_ms());
        }
        events
    }

    /// Pumps until an event satisfies `pred` (10 s at most).
    fn wait_event(&mut self, what: &str, pred: impl Fn(&NodeEvent) -> bool) -> NodeEvent {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            for e in self.pump(Duration::from_millis(100)) {
                if pred(&e) {
                    return e;
                }
                seen.push(e);
            }
            if self.sock.is_none() {
                break;
            }
        }
        panic!(
            "no {what}; events: {seen:#?}; state {:?}",
            self.client.state()
        );
    }

    fn call(&mut self, text: &str) -> String {
        let id = self.client.rpc_text(text, now_ms()).unwrap();
        match self.wait_event(
            &format!("reply to {text}"),
            |e| matches!(e, NodeEvent::Reply { id: i, .. } if *i == id),
        ) {
            NodeEvent::Reply { reply, call, .. } => {
                eprintln!("live_client: rpc {call} -> {reply}");
                reply
            }
            _ => unreachable!(),
        }
    }
}

fn node_port(fx: &Fixture) -> (u16, Recording) {
    let pp = EpmdSock::run(fx.epmd_port, port_please2_req(ALIVE).unwrap());
    let port = pp.conn.port().unwrap().expect("the node is registered");
    assert_eq!(port, fx.node_port);
    (port, pp.conn.recording().clone())
}

#[test]
fn node_client_handshakes_calls_and_sends() {
    let fx = start("node");
    let (port, lookup) = node_port(&fx);

    // Dialled by its alive name only: the host comes from its challenge.
    let mut opts = NodeOptions::new(ME, ALIVE, COOKIE.as_bytes(), 0x1234_5678, 0x0bad_cafe);
    opts.tick_interval_ms = 1_000;
    let mut n = NodeSock::open(port, opts);
    let connected = n.wait_event("the handshake", |e| {
        matches!(e, NodeEvent::Connected { .. } | NodeEvent::Failed { .. })
    });
    match &connected {
        NodeEvent::Connected { peer, hidden, .. } => {
            assert_eq!(peer, NODE);
            assert!(*hidden, "PUBLISHED is not in our flags");
        }
        other => panic!("{other:?}\nnode log:\n{}", read_lossy(&fx.node_log)),
    }
    assert_eq!(n.client.peer(), NODE, "the full name, learnt");
    let d = n.client.digests().clone();
    let ch = d.peer_challenge.expect("the node's challenge");
    assert_eq!(d.reply_digest, Some(digest(COOKIE.as_bytes(), ch)));
    assert_eq!(d.ack_ok(), Some(true));
    eprintln!(
        "live_client: connected to {NODE} as hidden {ME}; node challenge {ch}, our challenge {}, ack digest valid",
        d.our_challenge
    );

    // Through more than the node's net_ticktime on ticks alone.
    let events = n.pump(Duration::from_secs(6));
    assert!(n.client.is_connected(), "{:?}", n.client.state());
    let (tin, tout) = n.client.ticks();
    assert!(tin >= 3, "the node ticks every second: {tin} in 6 s");
    assert!(tout >= tin, "every tick answered: {tin} in, {tout} out");
    eprintln!(
        "live_client: 6 s connected: {tin} ticks in, {tout} out; other events: {}",
        events.len()
    );

    // rex calls.
    assert_eq!(n.call("erlang:node()"), format!("'{NODE}'"));
    assert_eq!(
        n.call("erlang:system_info(otp_release)"),
        format!("{:?}", fx.node_release())
    );
    assert_eq!(n.call("lists:reverse([1,2,3])"), "[3,2,1]");
    assert_eq!(n.call("lists:reverse([1,2,3])."), "[3,2,1]");
    let bad = n.call("nosuchmod:nosuchfun(1)");
    assert!(bad.starts_with("{badrpc,{'EXIT',{undef,"), "{bad}");
    assert_eq!(n.client.pending_calls(), 0);

    // A message to the registered echo process, answered to our pid.
    let me = to_erlang(&n.client.pid());
    n.client
        .send_reg_text("echo", &format!("{{{me}, hello_live}}"), now_ms())
        .unwrap();
    let echoed = n.wait_event(
        "the echo",
        |e| matches!(e, NodeEvent::Message { payload: Some(p), .. } if p == "{echo,hello_live}"),
    );
    eprintln!("live_client: REG_SEND to echo answered: {echoed:?}");

    // Typed text that is not a call / a term: an error naming the place.
    let e = n
        .client
        .rpc_text("lists:reverse([1,2", now_ms())
        .unwrap_err();
    assert!(e.to_string().contains("at byte"), "{e}");
    let e = n
        .client
        .send_reg_text("echo", "{unclosed", now_ms())
        .unwrap_err();
    assert!(e.to_string().contains("column"), "{e}");

    // The whole transcript (the look-up and the node connection) decodes
    // as sessions: every frame complete, both digests valid.
    if let Some(s) = n.sock.take() {
        s.shutdown(Shutdown::Both).ok();
    }
    n.client.close(now_ms());
    let rec = n.client.recording().clone();
    assert_eq!(rec.server_port, Some(port));
    let timed = decode_recordings(&[&lookup, &rec], Some(COOKIE.as_bytes()));
    let frames = &timed.report.frames;
    for f in frames {
        assert!(
            f.status.is_complete(),
            "{} {:?} {:?}",
            f.type_name,
            f.side,
            f.status
        );
    }
    let count = |t: &str| frames.iter().filter(|f| f.type_name == t).count();
    assert_eq!(count("PORT_PLEASE2_REQ"), 1);
    assert_eq!(count("CHALLENGE_ACK"), 1);
    assert_eq!(count("REG_SEND"), 6, "5 rex calls and the echo");
    assert!(count("TICK") >= 6);
    let details = &timed.report.connections[1].details;
    let get = |k: &str| {
        details
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.display())
            .unwrap_or_default()
    };
    for k in ["reply_digest", "ack_digest"] {
        assert!(
            get(k).contains("valid") && !get(k).contains("INVALID"),
            "{k}: {}",
            get(k)
        );
    }
    let file = pcapng_of(&[&lookup, &rec]).unwrap();
    let back = decode_bytes(
        &file,
        &DecodeOptions {
            format: FormatChoice::Pcap,
            cookie: Some(COOKIE.as_bytes().to_vec()),
            ..DecodeOptions::default()
        },
    );
    assert_eq!(back.frames.len(), frames.len(), "pcapng read back");
    eprintln!(
        "live_client: the transcript decodes to {} frames, digests valid; pcapng {} bytes reads back to the same count",
        frames.len(),
        file.len()
    );
    drop(fx.node);
}

#[test]
fn node_client_wrong_cookie_fails_with_the_reason() {
    let fx = start("cookie");
    let (port, _) = node_port(&fx);
    let opts = NodeOptions::new(ME, NODE, b"not-the-cookie", 5, 77);
    let mut n = NodeSock::open(port, opts);
    let ev = n.wait_event("the failure", |e| matches!(e, NodeEvent::Failed { .. }));
    let NodeEvent::Failed { reason } = ev else {
        unreachable!()
    };
    assert!(reason.contains("cookies differ"), "{reason}");
    assert!(
        matches!(n.client.state(), NodeState::Closed { reason } if reason.contains("cookies differ")),
        "{:?}",
        n.client.state()
    );
    let d = n.client.digests();
    assert!(d.reply_digest.is_some(), "we answered the challenge");
    assert_eq!(d.ack_digest, None, "the node sends no ack");
    assert!(n.client.rpc_text("erlang:node()", now_ms()).is_err());
    eprintln!("live_client: wrong cookie: {reason}");
    let said = wait_for("the node to log the rejected digest", IO_TIMEOUT, || {
        read_lossy(&fx.node_log)
            .lines()
            .find(|l| l.contains("Invalid challenge reply"))
            .map(str::to_string)
    });
    eprintln!("live_client: the node logged: {}", said.trim());
    drop(fx.node);
}
