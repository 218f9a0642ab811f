//! The sans-IO epmd (`erldist_codec::epmd::server`) behind a real TCP
//! listener, against REAL OTP 25 programs:
//!
//! * `real_clients_and_nodes`: the real `epmd -port N -names` client reads
//!   the server's table; a real `erl -name tapa@127.0.0.1`
//!   (`ERL_EPMD_PORT=N`) registers with it; a second real node looks `tapa`
//!   up through it and `net_adm:ping`s it (the handshake is between the two
//!   real nodes; the server only does the name service); when `tapa` stops,
//!   its name goes.
//! * `same_bytes_as_real_epmd`: the same script of requests (good, broken,
//!   pipelined, partial, bytes after ALIVE2_REQ, the unused-name list...)
//!   sent to a real `epmd -d -d -d` and to the server, the replies and who
//!   closed compared byte for byte (creations and DUMP's fd numbers aside;
//!   creation steps compared).
//! * `relaxed_mode_like_real_epmd`: the same with
//!   `ERL_EPMD_RELAXED_COMMAND_CHECK` (STOP_REQ, KILL_REQ with names).
//!
//! The test loop here is the only IO: a std TCP listener on a free loopback
//! port, nonblocking sockets polled every millisecond, each read fed to the
//! server as one `receive`, its outputs written back. Every process is
//! stopped by a drop guard, also on failure. Without `epmd`/`erl` the tests
//! fail (scripts/test-live.sh installs them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::epmd::server::{
    Config, ConnId, EpmdServer, Event, EventKind, Output, DEBUG_MAX_UNREG_COUNT,
};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod common;
use common::procs::*;

// ---------------------------------------------------------------- the TCP loop

/// The sans-IO server behind a TCP listener on a thread of its own.
struct ServerLoop {
    port: u16,
    server: Arc<Mutex<EpmdServer>>,
    events: Arc<Mutex<Vec<Event>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl ServerLoop {
    /// Listens on a free port of 127.0.0.1. `config.port` of 0 means the
    /// listening port (what NAMES_RESP reports).
    fn start(mut config: Config) -> ServerLoop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        if config.port == 0 {
            config.port = port;
        }
        let server = Arc::new(Mutex::new(EpmdServer::new(config)));
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, e, st) = (server.clone(), events.clone(), stop.clone());
        let thread = std::thread::spawn(move || serve(listener, s, e, st));
        ServerLoop {
            port,
            server,
            events,
            stop,
            thread: Some(thread),
        }
    }

    fn names(&self) -> Vec<(String, u16)> {
        self.server
            .lock()
            .unwrap()
            .registered()
            .map(|r| (r.name_lossy(), r.port))
            .collect()
    }

    fn log(&self) -> String {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|e| format!("{:?} {}\n", e.conn.map(|c| c.0), e.message))
            .collect()
    }
}

impl Drop for ServerLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    listener: TcpListener,
    server: Arc<Mutex<EpmdServer>>,
    events: Arc<Mutex<Vec<Event>>>,
    stop: Arc<AtomicBool>,
) {
    let mut socks: BTreeMap<ConnId, TcpStream> = BTreeMap::new();
    let mut buf = vec![0u8; 8192];
    while !stop.load(Ordering::SeqCst) {
        let now = unix_now();
        let mut srv = server.lock().unwrap();
        while let Ok((s, peer)) = listener.accept() {
            s.set_nonblocking(true).unwrap();
            let id = srv.open(peer.ip().is_loopback(), now);
            socks.insert(id, s);
        }
        let ids: Vec<ConnId> = socks.keys().copied().collect();
        for id in ids {
            let Some(s) = socks.get_mut(&id) else {
                continue;
            };
            match s.read(&mut buf) {
                Ok(0) => srv.peer_closed(id),
                Ok(n) => srv.receive(id, &buf[..n], now),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => srv.peer_closed(id),
            }
            drain(&mut srv, &mut socks, &events);
        }
        srv.tick(now);
        drain(&mut srv, &mut socks, &events);
        drop(srv);
        sleep(Duration::from_millis(1));
    }
}

fn drain(
    srv: &mut EpmdServer,
    socks: &mut BTreeMap<ConnId, TcpStream>,
    events: &Mutex<Vec<Event>>,
) {
    while let Some(o) = srv.poll_output() {
        match o {
            Output::Send { conn, bytes } => {
                if let Some(s) = socks.get_mut(&conn) {
                    s.set_nonblocking(false).unwrap();
                    let _ = s.write_all(&bytes);
                    s.set_nonblocking(true).unwrap();
                }
            }
            // Dropping the socket closes it, as epmd's close() does.
            Output::Close { conn } => drop(socks.remove(&conn)),
            Output::Exit => {}
        }
    }
    let mut ev = events.lock().unwrap();
    ev.extend(std::iter::from_fn(|| srv.poll_event()));
}

// ---------------------------------------------------------------- helpers

fn epmd_names(bin: &Path, port: u16) -> String {
    let out = Command::new(bin)
        .args(["-port", &port.to_string(), "-names"])
        .env("ERL_EPMD_PORT", port.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run epmd -names");
    assert!(
        out.status.success(),
        "epmd -names failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    free_ports().0
}

fn alive2(name: &[u8], port: u16, hi: u16, extra: &[u8]) -> Vec<u8> {
    let mut body = vec![120];
    body.extend_from_slice(&port.to_be_bytes());
    body.extend_from_slice(&[77, 0]);
    body.extend_from_slice(&hi.to_be_bytes());
    body.extend_from_slice(&5u16.to_be_bytes());
    body.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
    body.extend_from_slice(name);
    body.extend_from_slice(&u16::try_from(extra.len()).unwrap().to_be_bytes());
    body.extend_from_slice(extra);
    prefixed(&body)
}

fn prefixed(body: &[u8]) -> Vec<u8> {
    let mut v = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

fn port_please(name: &[u8]) -> Vec<u8> {
    let mut b = vec![122];
    b.extend_from_slice(name);
    prefixed(&b)
}

fn hex(b: &[u8]) -> String {
    erldist_codec::hex::spaced(b)
}

// ---------------------------------------------------------------- real nodes

#[test]
fn real_clients_and_nodes() {
    let epmd_bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
    let erl_bin = require_program("erl").unwrap_or_else(|e| panic!("{e}"));
    let srv = ServerLoop::start(Config {
        port: 0,
        ..Config::default()
    });
    let p = srv.port;
    eprintln!("epmd_server: the sans-IO epmd listens on 127.0.0.1:{p}");

    // The real client on an empty table.
    let out = epmd_names(&epmd_bin, p);
    assert_eq!(
        out,
        format!("epmd: up and running on port {p} with data:\n")
    );

    // A real node registers.
    let dir = work_dir("epmd-server");
    let (a_port, b_port) = free_ports();
    let a_log = dir.join("tapa.log");
    let node_a = start_node_with(
        &erl_bin,
        "-name",
        "tapa@127.0.0.1",
        COOKIE,
        p,
        a_port,
        &a_log,
        &[],
    );
    wait_for(
        "tapa to register with the sans-IO epmd",
        NODE_START_TIMEOUT,
        || {
            srv.names()
                .contains(&("tapa".to_string(), a_port))
                .then_some(())
        },
    );
    let out = epmd_names(&epmd_bin, p);
    assert_eq!(
        out,
        format!("epmd: up and running on port {p} with data:\nname tapa at port {a_port}\n"),
        "server log:\n{}",
        srv.log()
    );
    // OTP 25 registers with HighestVersion 6: ALIVE2_X_RESP, creation >= 4.
    {
        let s = srv.server.lock().unwrap();
        let r = s.registered().next().unwrap();
        assert_eq!((r.highest_version, r.node_type), (6, 77));
        assert!(r.creation() >= 4);
    }

    // A second real node looks tapa up through the server and pings it.
    let b_log = dir.join("tapb.log");
    let node_b = start_node_with(
        &erl_bin,
        "-name",
        "tapb@127.0.0.1",
        COOKIE,
        p,
        b_port,
        &b_log,
        &[
            "-eval",
            "io:format(\"PING ~p~n\", [net_adm:ping('tapa@127.0.0.1')])",
        ],
    );
    let ping = wait_for("tapb's ping result", NODE_START_TIMEOUT, || {
        read_lossy(&b_log)
            .lines()
            .find(|l| l.starts_with("PING "))
            .map(str::to_string)
    });
    assert_eq!(
        ping,
        "PING pong",
        "tapb log:\n{}\nserver log:\n{}",
        read_lossy(&b_log),
        srv.log()
    );
    let log = srv.log();
    assert!(
        log.contains("** sent PORT2_RESP (ok) for \"tapa\""),
        "tapb did not look tapa up here:\n{log}"
    );
    let out = epmd_names(&epmd_bin, p);
    assert_eq!(
        out,
        format!(
            "epmd: up and running on port {p} with data:\nname tapb at port {b_port}\nname tapa at port {a_port}\n"
        )
    );

    // tapa stops: its registration socket closes, the name goes.
    drop(node_a);
    wait_for("tapa to be unregistered", IO_TIMEOUT * 2, || {
        (!srv.names().iter().any(|(n, _)| n == "tapa")).then_some(())
    });
    let out = epmd_names(&epmd_bin, p);
    assert_eq!(
        out,
        format!("epmd: up and running on port {p} with data:\nname tapb at port {b_port}\n")
    );
    assert!(srv.log().contains("unregistering 'tapa:"));
    drop(node_b);
}

// ---------------------------------------------------------------- byte for byte

/// One step of a script run against both epmds.
enum Step {
    /// A new connection: these writes (50 ms apart, so each is a read of
    /// its own), optionally a half-close, then read to EOF or 400 ms.
    Req(&'static str, Vec<Vec<u8>>, bool),
    /// A new connection kept under a key: the write, then read for 400 ms.
    Keep(&'static str, &'static str, Vec<u8>),
    /// Write on a kept connection, then read to EOF or 400 ms.
    More(&'static str, &'static str, Vec<u8>),
    /// Close a kept connection, then wait 100 ms.
    Close(&'static str),
}

#[derive(Debug, PartialEq, Eq)]
struct Seen {
    label: String,
    reply: String,
    closed: bool,
}

/// Reads until EOF (closed) or a quiet `quiet` (open).
fn read_reply(s: &mut TcpStream, quiet: Duration) -> (Vec<u8>, bool) {
    s.set_read_timeout(Some(quiet)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (got, false)
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (got, true),
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Replies with creations and fd numbers masked; creations returned apart.
fn normalise(reply: &[u8], creations: &mut Vec<(String, u32)>, label: &str) -> String {
    match reply {
        [118, 0, a, b, c, d] => {
            creations.push((label.to_string(), u32::from_be_bytes([*a, *b, *c, *d])));
            "76 00 <creation32>".into()
        }
        [121, 0, a, b] => {
            let cr = u32::from(u16::from_be_bytes([*a, *b]));
            assert!((1..=3).contains(&cr), "{label}: 16-bit creation {cr}");
            "79 00 <creation16>".into()
        }
        _ => {
            // DUMP_RESP's "fd = N".
            let text = String::from_utf8_lossy(reply.get(4..).unwrap_or(&[])).into_owned();
            if reply.len() > 4 && text.contains(", fd = ") {
                let mut out = hex(reply.get(..4).unwrap_or(&[]));
                out.push(' ');
                let mut rest = text.as_str();
                while let Some(i) = rest.find("fd = ") {
                    out.push_str(&rest[..i + 5]);
                    rest = rest[i + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
                    out.push('N');
                }
                out.push_str(rest);
                out.replace('\0', "\\0")
            } else {
                hex(reply)
            }
        }
    }
}

fn run_script(port: u16, steps: &[Step]) -> (Vec<Seen>, Vec<(String, u32)>) {
    let quiet = Duration::from_millis(400);
    let mut kept: BTreeMap<&str, TcpStream> = BTreeMap::new();
    let mut seen = Vec::new();
    let mut creations = Vec::new();
    let connect = || {
        let s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        s.set_nodelay(true).unwrap();
        s
    };
    for step in steps {
        match step {
            Step::Req(label, writes, half_close) => {
                let mut s = connect();
                for (i, w) in writes.iter().enumerate() {
                    if i > 0 {
                        sleep(Duration::from_millis(50));
                    }
                    s.write_all(w).unwrap();
                }
                if *half_close {
                    s.shutdown(Shutdown::Write).unwrap();
                }
                let (r, closed) = read_reply(&mut s, quiet);
                seen.push(Seen {
                    label: label.to_string(),
                    reply: normalise(&r, &mut creations, label),
                    closed,
                });
            }
            Step::Keep(key, label, bytes) => {
                let mut s = connect();
                s.write_all(bytes).unwrap();
                let (r, closed) = read_reply(&mut s, quiet);
                seen.push(Seen {
                    label: label.to_string(),
                    reply: normalise(&r, &mut creations, label),
                    closed,
                });
                kept.insert(key, s);
            }
            Step::More(key, label, bytes) => {
                let s = kept.get_mut(key).expect("kept connection");
                let _ = s.write_all(bytes);
                let (r, closed) = read_reply(s, quiet);
                seen.push(Seen {
                    label: label.to_string(),
                    reply: normalise(&r, &mut creations, label),
                    closed,
                });
            }
            Step::Close(key) => {
                drop(kept.remove(key));
                sleep(Duration::from_millis(100));
            }
        }
    }
    (seen, creations)
}

fn compare(real: &[Seen], ours: &[Seen]) {
    let mut diffs = Vec::new();
    for (r, o) in real.iter().zip(ours) {
        eprintln!(
            "{:<48} real: {} {}",
            r.label,
            r.reply,
            if r.closed { "(closed)" } else { "(open)" }
        );
        if r != o {
            diffs.push(format!(
                "{}:\n  real epmd: {} closed={}\n  server:    {} closed={}",
                r.label, r.reply, r.closed, o.reply, o.closed
            ));
        }
    }
    assert_eq!(real.len(), ours.len());
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}

/// Creation steps: for each label pair (first, then) the difference.
fn creation_of(c: &[(String, u32)], label: &str) -> u32 {
    c.iter()
        .find(|(l, _)| l == label)
        .unwrap_or_else(|| panic!("no creation for {label}: {c:?}"))
        .1
}

fn main_script() -> Vec<Step> {
    use Step::*;
    let long = |n: usize| vec![b'a'; n];
    let mut steps = vec![
        Req("NAMES_REQ, empty table", vec![vec![0, 1, 110]], false),
        Keep(
            "foo",
            "ALIVE2_REQ foo v6 extra xy",
            alive2(b"foo", 5555, 6, b"xy"),
        ),
        Req("PORT_PLEASE2_REQ foo", vec![port_please(b"foo")], false),
        Req(
            "PORT_PLEASE2_REQ foo\\0",
            vec![port_please(b"foo\0")],
            false,
        ),
        Req(
            "PORT_PLEASE2_REQ bar (missing)",
            vec![port_please(b"bar")],
            false,
        ),
        Req(
            "PORT_PLEASE2_REQ fo\\0o",
            vec![port_please(b"fo\0o")],
            false,
        ),
        Req(
            "PORT_PLEASE2_REQ invalid UTF-8",
            vec![port_please(&[0xc3, 0x28])],
            false,
        ),
        Req(
            "PORT_PLEASE2_REQ 254 chars",
            vec![port_please(&long(254))],
            false,
        ),
        Req(
            "PORT_PLEASE2_REQ 255 chars",
            vec![port_please(&long(255))],
            false,
        ),
        Req("PORT_PLEASE2_REQ no name", vec![vec![0, 1, 122]], false),
        Keep(
            "dup",
            "ALIVE2_REQ foo again (taken)",
            alive2(b"foo", 6666, 6, b""),
        ),
        Close("dup"),
        Keep("bar", "ALIVE2_REQ bar v5", alive2(b"bar", 6666, 5, b"")),
        Req("NAMES_REQ, foo and bar", vec![vec![0, 1, 110]], false),
        Req(
            "NAMES_REQ with a trailing byte",
            vec![vec![0, 2, 110, 0]],
            false,
        ),
        Req("DUMP_REQ", vec![vec![0, 1, 100]], false),
        Req(
            "KILL_REQ with names registered",
            vec![vec![0, 1, 107]],
            false,
        ),
        Req(
            "STOP_REQ foo (no relaxed check)",
            vec![prefixed(b"sfoo")],
            false,
        ),
        Req("obsolete ALIVE_REQ 'a'", vec![vec![0, 1, 97]], false),
        Req("unknown code 0xff", vec![vec![0, 3, 255, 1, 2]], false),
        Req("length 0", vec![vec![0, 0]], false),
        Req("length 65535", vec![vec![0xff, 0xff, 110]], false),
        Req(
            "length 3057 (largest), garbage",
            vec![{
                let mut v = vec![0x0b, 0xf1, 1];
                v.extend(vec![0u8; 3056]);
                v
            }],
            false,
        ),
        Req("length 3058", vec![vec![0x0b, 0xf2, 110]], false),
        Req(
            "two NAMES_REQ in one write",
            vec![vec![0, 1, 110, 0, 1, 110]],
            false,
        ),
        Req(
            "the ASCII snippet 1209506770556client0",
            vec![b"1209506770556client0".to_vec()],
            false,
        ),
        Req(
            "partial request then half-close",
            vec![vec![0, 5, 122, b'f']],
            true,
        ),
        Req(
            "request in three reads",
            vec![vec![0], vec![4, 122], b"foo".to_vec()],
            false,
        ),
        Req(
            "prefix alone, then the rest",
            vec![vec![0, 4], {
                let mut v = vec![122];
                v.extend_from_slice(b"foo");
                v
            }],
            false,
        ),
        Req(
            "ALIVE2_REQ body of 13 bytes",
            vec![prefixed(&[120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 0, 0, 0])],
            false,
        ),
        Req(
            "ALIVE2_REQ Nlen too big",
            vec![prefixed(&[120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 9, b'x', 0, 0])],
            false,
        ),
        Req(
            "ALIVE2_REQ Elen too big",
            vec![prefixed(&[120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 1, b'x', 0, 9])],
            false,
        ),
        Req(
            "ALIVE2_REQ name with NUL",
            vec![alive2(b"a\0b", 1, 6, b"")],
            false,
        ),
        Keep(
            "badutf",
            "ALIVE2_REQ invalid UTF-8 name",
            alive2(&[0xff, 0xfe], 1, 6, b""),
        ),
        Close("badutf"),
        Keep(
            "empty",
            "ALIVE2_REQ empty name, trailing byte",
            prefixed(&[120, 0, 7, 77, 0, 0, 6, 0, 5, 0, 0, 0, 0, 9]),
        ),
        Req(
            "PORT_PLEASE2_REQ after the empty name",
            vec![port_please(b"foo")],
            false,
        ),
        Close("empty"),
        Keep("baz", "ALIVE2_REQ baz", alive2(b"baz", 7777, 6, b"")),
        More("baz", "a byte on baz's registration socket", vec![0]),
        Req("NAMES_REQ after baz's byte", vec![vec![0, 1, 110]], false),
        Req(
            "ALIVE2_REQ qux and a byte in one write",
            vec![{
                let mut v = alive2(b"qux", 8888, 6, b"");
                v.push(0);
                v
            }],
            false,
        ),
        Req("NAMES_REQ after qux", vec![vec![0, 1, 110]], false),
        Close("foo"),
        Req("NAMES_REQ after foo closed", vec![vec![0, 1, 110]], false),
        Keep(
            "foo2",
            "ALIVE2_REQ foo re-registered",
            alive2(b"foo", 5556, 6, b""),
        ),
        Req("DUMP_REQ with unused names", vec![vec![0, 1, 100]], false),
    ];
    // Fill the unused list past epmd -d's cap (5): u1..u7 registered and
    // closed, then a new name takes over the oldest slot.
    const U: [&str; 7] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7"];
    const UL: [&str; 7] = [
        "ALIVE2_REQ u1",
        "ALIVE2_REQ u2",
        "ALIVE2_REQ u3",
        "ALIVE2_REQ u4",
        "ALIVE2_REQ u5",
        "ALIVE2_REQ u6",
        "ALIVE2_REQ u7",
    ];
    for (k, l) in U.iter().zip(UL) {
        steps.push(Keep(k, l, alive2(k.as_bytes(), 9000, 6, b"")));
        steps.push(Close(k));
    }
    steps.push(Req(
        "DUMP_REQ, unused list full",
        vec![vec![0, 1, 100]],
        false,
    ));
    steps.push(Keep(
        "new",
        "ALIVE2_REQ newname (takes a slot)",
        alive2(b"newname", 9100, 6, b""),
    ));
    steps.push(Req("DUMP_REQ after newname", vec![vec![0, 1, 100]], false));
    steps.push(Close("new"));
    steps.push(Keep(
        "u7b",
        "ALIVE2_REQ u7 again",
        alive2(b"u7", 9001, 6, b""),
    ));
    steps.push(Req("NAMES_REQ at the end", vec![vec![0, 1, 110]], false));
    steps
}

#[test]
fn same_bytes_as_real_epmd() {
    let epmd_bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
    let dir = work_dir("epmd-server-cmp");
    let real_port = free_port();
    let log = dir.join("epmd.log");
    let _epmd = start_epmd(&epmd_bin, real_port, &log);
    // The server says it listens on the real epmd's port, so that NAMES
    // and DUMP replies can be compared whole; -d caps the unused list at 5.
    let srv = ServerLoop::start(Config {
        port: real_port,
        max_unused: DEBUG_MAX_UNREG_COUNT,
        ..Config::default()
    });
    let script = main_script();
    let (real, real_cr) = run_script(real_port, &script);
    let (ours, our_cr) = run_script(srv.port, &script);
    compare(&real, &ours);
    for cr in [&real_cr, &our_cr] {
        let first = creation_of(cr, "ALIVE2_REQ foo v6 extra xy");
        assert_eq!(creation_of(cr, "ALIVE2_REQ foo re-registered"), first + 1);
        // The new name took over an unused name's slot and its counter,
        // unbumped (which slot: the DUMP replies compared above).
        let taken = creation_of(cr, "ALIVE2_REQ newname (takes a slot)");
        assert!(
            cr.iter()
                .any(|(l, c)| *c == taken && l.starts_with("ALIVE2_REQ u")),
            "newname's creation {taken} is no unused name's: {cr:?}"
        );
        assert_eq!(
            creation_of(cr, "ALIVE2_REQ u7 again"),
            creation_of(cr, "ALIVE2_REQ u7") + 1
        );
    }
    // The server logs what the real epmd logged for the broken ones.
    let real_log = read_lossy(&log);
    let our_log = srv.log();
    for m in [
        "got garbage",
        "invalid packet size (0)",
        "invalid packet size (3058)",
        "got 4 bytes in packet, expected 1",
        "invalid packet size (12594)",
        "got partial packet only",
        "got more than expected on ALIVE socket",
        "got 17 bytes in packet, expected 16",
        "node name already occupied foo",
        "invalid node name encoding",
        "node name contains ascii 0 in ALIVE2_REQ",
        "node name contains ascii 0 in PORT2_REQ",
        "invalid node name in PORT2_REQ",
        "Disallowed KILL_REQ, live nodes",
        "Disallowed STOP_REQ, no relaxed_command_check",
        "Node name size error in ALIVE2_REQ",
        "Extra info size error in ALIVE2_REQ",
        "packet to small for request ALIVE2_REQ (13)",
        "reusing slot with same name 'foo'",
    ] {
        assert!(real_log.contains(m), "real epmd did not log {m:?}");
        assert!(our_log.contains(m), "server did not log {m:?}:\n{our_log}");
    }
}

fn start_relaxed_epmd(bin: &Path, port: u16, log: &Path) -> ChildGuard {
    let out = File::create(log).expect("create epmd log");
    let err = out.try_clone().unwrap();
    let child = Command::new(bin)
        .args(["-d", "-d", "-port", &port.to_string()])
        .args(["-address", "127.0.0.1"])
        .env("ERL_EPMD_RELAXED_COMMAND_CHECK", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn epmd");
    let guard = ChildGuard {
        what: "epmd (relaxed)",
        child,
    };
    wait_for("epmd to enter its main loop", IO_TIMEOUT, || {
        read_lossy(log)
            .contains("entering the main select() loop")
            .then_some(())
    });
    guard
}

#[test]
fn relaxed_mode_like_real_epmd() {
    use Step::*;
    let epmd_bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
    let dir = work_dir("epmd-server-relaxed");
    let real_port = free_port();
    let log = dir.join("epmd.log");
    let mut epmd = start_relaxed_epmd(&epmd_bin, real_port, &log);
    let srv = ServerLoop::start(Config {
        port: real_port,
        relaxed_command_check: true,
        max_unused: DEBUG_MAX_UNREG_COUNT,
        ..Config::default()
    });
    let script = vec![
        Keep("foo", "ALIVE2_REQ foo", alive2(b"foo", 5555, 6, b"")),
        Keep("bar", "ALIVE2_REQ bar", alive2(b"bar", 5556, 6, b"")),
        Req("STOP_REQ foo", vec![prefixed(b"sfoo")], false),
        More("foo", "foo's socket after STOP", vec![]),
        Req("STOP_REQ nobody", vec![prefixed(b"snobody")], false),
        Req("STOP_REQ no name", vec![vec![0, 1, b's']], false),
        Req("NAMES_REQ after STOP", vec![vec![0, 1, 110]], false),
        Req("DUMP_REQ after STOP", vec![vec![0, 1, 100]], false),
        Req("KILL_REQ with bar registered", vec![vec![0, 1, 107]], false),
        More("bar", "bar's socket after KILL", vec![]),
    ];
    let (real, _) = run_script(real_port, &script);
    let (ours, _) = run_script(srv.port, &script);
    compare(&real, &ours);
    // Both exited: the real epmd process, the server's Exit.
    let deadline = Instant::now() + IO_TIMEOUT;
    while epmd.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the real epmd did not exit on KILL_REQ"
        );
        sleep(POLL);
    }
    assert!(srv.server.lock().unwrap().has_exited());
    assert!(srv.log().contains("epmd killed"));
    // A connection now: refused by the real one, closed at once by ours.
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, real_port)).is_err());
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, srv.port)).unwrap();
    s.write_all(&[0, 1, 110]).ok();
    assert_eq!(
        read_reply(&mut s, Duration::from_millis(400)),
        (vec![], true)
    );
}

// ---------------------------------------------------------------- no real peer needed

/// Locality: what epmd refuses from a non-local peer (this host has no
/// second address to test the real one with).
#[test]
fn non_local_peers() {
    let mut s = EpmdServer::new(Config::default());
    let reg = s.open(true, 0);
    s.receive(reg, &alive2(b"node", 9506, 6, b""), 0);
    while s.poll_output().is_some() {}
    for (req, what) in [
        (alive2(b"x", 1, 6, b""), "ALIVE2_REQ"),
        (vec![0, 1, 100], "DUMP_REQ"),
        (vec![0, 1, 107], "KILL_REQ"),
        (prefixed(b"snode"), "STOP_REQ"),
    ] {
        let c = s.open(false, 0);
        s.receive(c, &req, 0);
        assert_eq!(s.poll_output(), Some(Output::Close { conn: c }), "{what}");
        let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
        assert!(
            events
                .iter()
                .any(|e| e.message == format!("{what} from non local address")),
            "{what}: {events:?}"
        );
    }
    // NAMES and PORT_PLEASE2 are for anyone.
    let c = s.open(false, 0);
    s.receive(c, &port_please(b"node"), 0);
    assert!(matches!(s.poll_output(), Some(Output::Send { bytes, .. }) if bytes[..2] == [119, 0]));
    assert_eq!(s.registered().count(), 1);
    // Timeout: an idle request connection closes after 60 s, a registration never.
    let idle = s.open(true, 100);
    s.receive(idle, &[0], 100);
    s.tick(160);
    assert!(s.is_open(idle));
    s.tick(161);
    assert!(!s.is_open(idle));
    assert!(s.is_open(reg));
    let kinds: Vec<EventKind> = std::iter::from_fn(|| s.poll_event())
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&EventKind::Closed));
}
