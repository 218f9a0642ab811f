//! The codec against a REAL `epmd` and a REAL `erl` node (Debian
//! `erlang-base`, OTP 25).
//!
//! One `#[test]` starts `epmd -d -d -d` in the foreground on a free port of
//! 127.0.0.1 (its debug output captured to a log file) and one `erl` node
//! registered with it, then runs the sub-cases in order against them:
//!
//! * a. NAMES_REQ built by the codec, the reply decoded as NAMES_RESP;
//! * b. PORT_PLEASE2_REQ for the node (found) and for a missing name;
//! * c. ALIVE2_REQ built as `erldist encode epmd ALIVE2_REQ ...` does, the
//!   registration seen by the real `epmd -names`, and gone after closing;
//! * d. a version-5 registration (ALIVE2_RESP, 16-bit creation) and duplicate
//!   registrations (result 1, creation 99);
//! * e. the epmd log read back through the codec's log reader: every frame
//!   decodes, and every byte this test sent and received is in it, in order.
//!
//! Two more tests each start an epmd of their own and register a name with a
//! `\n` in it (epmd only refuses NUL): its DUMP_RESP and NAMES_RESP must still
//! decode whole (regressions for a bug this suite found).
//!
//! Every process is started here and killed (and reaped) by a drop guard, on
//! success and on panic. Without `epmd`/`erl` the test FAILS: run
//! `scripts/test-live.sh`, which installs `erlang-base`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::epmd::{
    decode_reply, decode_request, encode_fields, Decoded, Direction, EpmdMessage, Fields,
    Port2Resp, ReplyContext, SimpleReq, ALIVE2_REQ, NAMES_REQ, PORT_PLEASE2_REQ,
};
use erldist_codec::span::check_tiling;
use erldist_codec::{decode_text, input, DecodeOptions, FormatChoice};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const NODE: &str = "livea";

mod common;
use common::procs::*;

// ------------------------------------------------------------------ fixture

/// One request this test sent on its own connection and the reply it got.
struct Exchange {
    label: String,
    request: Vec<u8>,
    reply: Vec<u8>,
}

/// The running epmd + node, and a record of all traffic this test made.
/// Fields drop in declaration order: the node goes before epmd.
struct Live {
    node: ChildGuard,
    epmd: ChildGuard,
    epmd_bin: PathBuf,
    epmd_port: u16,
    node_port: u16,
    epmd_log: PathBuf,
    node_log: PathBuf,
    /// Our own exchanges, in the order epmd served them.
    exchanges: Vec<Exchange>,
    /// How many times `epmd -names` (the real client) was run.
    cli_names_runs: usize,
}

impl Live {
    fn start() -> Live {
        // Missing programs FAIL the suite: it exists to run against the real thing.
        let epmd_bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
        let erl_bin = require_program("erl").unwrap_or_else(|e| panic!("{e}"));
        let dir = work_dir("main");
        let (epmd_port, node_port) = free_ports();
        let epmd_log = dir.join("epmd_debug.log");
        let node_log = dir.join("node.log");

        let epmd = start_epmd(&epmd_bin, epmd_port, &epmd_log);

        // -sname uses the short host name; should it not resolve, fall back
        // to a long name on 127.0.0.1 (both register the alive part `livea`).
        let node = start_node(&erl_bin, "-sname", NODE, epmd_port, node_port, &node_log);
        let mut live = Live {
            node,
            epmd,
            epmd_bin,
            epmd_port,
            node_port,
            epmd_log,
            node_log,
            exchanges: Vec::new(),
            cli_names_runs: 0,
        };
        let mut tried_long = false;
        let start = Instant::now();
        loop {
            if live.port_please(NODE).is_some() {
                break;
            }
            if let Ok(Some(status)) = live.node.child.try_wait() {
                if tried_long {
                    panic!(
                        "the erl node exited ({status}) before registering; its output:\n{}",
                        read_lossy(&live.node_log)
                    );
                }
                eprintln!(
                    "live_epmd: `erl -sname {NODE}` exited ({status}); retrying with -name {NODE}@127.0.0.1. Output:\n{}",
                    read_lossy(&live.node_log)
                );
                tried_long = true;
                live.node = start_node(
                    &erl_bin,
                    "-name",
                    &format!("{NODE}@127.0.0.1"),
                    epmd_port,
                    node_port,
                    &live.node_log,
                );
            }
            if start.elapsed() > NODE_START_TIMEOUT {
                panic!(
                    "epmd did not learn about {NODE} within {NODE_START_TIMEOUT:?}; node output:\n{}\nepmd log tail:\n{}",
                    read_lossy(&live.node_log),
                    tail(&read_lossy(&live.epmd_log), 30)
                );
            }
            sleep(Duration::from_millis(100));
        }
        let banner = wait_for("the node's banner line", IO_TIMEOUT, || {
            read_lossy(&live.node_log)
                .lines()
                .find(|l| l.starts_with("LIVE-NODE "))
                .map(str::to_string)
        });
        eprintln!(
            "live_epmd: running against the REAL epmd {} (-d -d -d, foreground) on 127.0.0.1:{} \
             and a REAL erl node on port {}",
            live.epmd_bin.display(),
            live.epmd_port,
            live.node_port
        );
        eprintln!("live_epmd: {banner}");
        eprintln!("live_epmd: epmd log: {}", live.epmd_log.display());
        live
    }

    /// Sends one request and reads the reply until epmd closes.
    fn request_to_eof(&mut self, label: &str, request: &[u8]) -> Vec<u8> {
        let reply = request_to_eof(self.epmd_port, label, request);
        self.exchanges.push(Exchange {
            label: label.to_string(),
            request: request.to_vec(),
            reply: reply.clone(),
        });
        reply
    }

    /// Sends an ALIVE2_REQ and keeps the registration socket open.
    fn register(&mut self, label: &str, request: &[u8]) -> (TcpStream, Decoded, Vec<u8>) {
        let (s, d, reply) = register(self.epmd_port, label, request);
        self.exchanges.push(Exchange {
            label: label.to_string(),
            request: request.to_vec(),
            reply: reply.clone(),
        });
        (s, d, reply)
    }

    /// PORT_PLEASE2_REQ built by the codec; `Some` when the node is found.
    fn port_please(&mut self, name: &str) -> Option<erldist_codec::epmd::NodeInfo> {
        let req = encode_fields("PORT_PLEASE2_REQ", &fields(&[("name", name)])).expect("encode");
        let reply = self.request_to_eof(&format!("PORT_PLEASE2_REQ {name}"), &req);
        let d = decode_reply(
            &reply,
            0,
            ReplyContext {
                eof: true,
                answers: Some(PORT_PLEASE2_REQ),
            },
        );
        assert_round_trip("PORT2_RESP", &d, &reply);
        match d.message {
            Some(EpmdMessage::Port2Resp(Port2Resp::Found(n))) => Some(n),
            Some(EpmdMessage::Port2Resp(Port2Resp::NotFound { result })) => {
                assert_eq!(result, 1, "epmd only sends result 1 for a miss");
                assert_eq!(reply, [0x77, 0x01]);
                None
            }
            other => panic!("PORT_PLEASE2_REQ {name}: unexpected reply {other:?}"),
        }
    }

    /// Runs the real `epmd -port P -names` and returns its stdout.
    fn epmd_names(&mut self) -> String {
        self.cli_names_runs += 1;
        let out = Command::new(&self.epmd_bin)
            .args(["-port", &self.epmd_port.to_string(), "-names"])
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run epmd -names");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "epmd -names failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("up and running on port {}", self.epmd_port)),
            "epmd -names talked to another epmd? {stdout}"
        );
        stdout
    }
}

// ------------------------------------------------------------------ helpers

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .unwrap_or_else(|e| panic!("connect to epmd at 127.0.0.1:{port}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    s.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    s
}

/// Sends one request on a new connection and reads the reply until epmd closes.
fn request_to_eof(port: u16, label: &str, request: &[u8]) -> Vec<u8> {
    let mut s = connect(port);
    s.write_all(request).expect("send request");
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)
        .unwrap_or_else(|e| panic!("{label}: reading the reply until EOF: {e}"));
    reply
}

/// Sends an ALIVE2_REQ and reads the reply without closing: the socket is
/// the registration. The reply is read until the codec, fed the bytes so far
/// (no EOF), says it is complete.
fn register(port: u16, label: &str, request: &[u8]) -> (TcpStream, Decoded, Vec<u8>) {
    let mut s = connect(port);
    s.write_all(request).expect("send ALIVE2_REQ");
    let mut reply = Vec::new();
    let ctx = ReplyContext {
        eof: false,
        answers: Some(ALIVE2_REQ),
    };
    let d = loop {
        let d = decode_reply(&reply, 0, ctx);
        if d.status.is_complete() {
            break d;
        }
        assert!(
            d.status.is_incomplete(),
            "{label}: reply bytes {} decode as {:?}",
            hex(&reply),
            d.status
        );
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(0) => panic!(
                "{label}: epmd closed the registration socket after {}",
                hex(&reply)
            ),
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) => panic!("{label}: reading the reply (have {}): {e}", hex(&reply)),
        }
    };
    (s, d, reply)
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn hex(b: &[u8]) -> String {
    erldist_codec::hex::spaced(b)
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Complete, consumed every byte, leaves tile them, re-encodes byte-exactly.
fn assert_round_trip(what: &str, d: &Decoded, bytes: &[u8]) {
    assert!(
        d.status.is_complete(),
        "{what}: {} decodes as {:?}",
        hex(bytes),
        d.status
    );
    assert_eq!(
        d.consumed,
        bytes.len(),
        "{what}: consumed of {}",
        hex(bytes)
    );
    if let Err(e) = check_tiling(&d.spans, 0, d.consumed) {
        panic!("{what}: spans of {} do not tile: {e}", hex(bytes));
    }
    let m = d.message.as_ref().expect("a complete decode has a message");
    assert_eq!(
        hex(&m.encode().expect("re-encode")),
        hex(bytes),
        "{what}: re-encoding differs"
    );
}

fn names_listed(names_output: &str, name: &str) -> bool {
    names_output
        .lines()
        .any(|l| l.starts_with(&format!("name {name} at port ")))
}

fn alive2_req(name: &str, highest: u16) -> Vec<u8> {
    // As `erldist encode epmd ALIVE2_REQ --port 9506 --node-type 77
    // --highest-version H --lowest-version 5 --name NAME` builds it.
    encode_fields(
        "ALIVE2_REQ",
        &fields(&[
            ("port", "9506"),
            ("node_type", "77"),
            ("highest_version", &highest.to_string()),
            ("lowest_version", "5"),
            ("name", name),
        ]),
    )
    .expect("encode ALIVE2_REQ")
}

// ---------------------------------------------------------------- sub-cases

fn case_a_names(live: &mut Live) {
    let req = EpmdMessage::NamesReq(SimpleReq::default())
        .encode()
        .expect("encode NAMES_REQ");
    assert_eq!(req, [0x00, 0x01, 0x6e]);
    assert_eq!(
        encode_fields("NAMES_REQ", &Fields::new()).expect("encode"),
        req
    );
    let reply = live.request_to_eof("NAMES_REQ", &req);
    let d = decode_reply(
        &reply,
        0,
        ReplyContext {
            eof: true,
            answers: Some(NAMES_REQ),
        },
    );
    assert_eq!(d.type_name, "NAMES_RESP", "reply {}", hex(&reply));
    assert_round_trip("NAMES_RESP", &d, &reply);
    let Some(EpmdMessage::NamesResp(resp)) = &d.message else {
        panic!("not a NAMES_RESP: {:?}", d.message);
    };
    assert_eq!(resp.epmd_port, u32::from(live.epmd_port));
    let nodes: Vec<(String, u64)> = resp
        .lines
        .iter()
        .map(|l| (String::from_utf8_lossy(&l.name).into_owned(), l.port))
        .collect();
    assert!(
        nodes.contains(&(NODE.to_string(), u64::from(live.node_port))),
        "NAMES_RESP nodes {nodes:?} lack {NODE} at {}",
        live.node_port
    );
    eprintln!(
        "live_epmd: a. NAMES_RESP ok: epmd_port {}, nodes {nodes:?}",
        resp.epmd_port
    );
}

fn case_b_port_please(live: &mut Live) {
    let req = encode_fields("PORT_PLEASE2_REQ", &fields(&[("name", NODE)])).expect("encode");
    assert_eq!(hex(&req), "00 06 7a 6c 69 76 65 61");
    let d = decode_request(&req, 0);
    assert_round_trip("PORT_PLEASE2_REQ", &d, &req);

    let n = live
        .port_please(NODE)
        .unwrap_or_else(|| panic!("{NODE} not found"));
    assert_eq!(n.port, live.node_port, "the node's real listen port");
    assert_eq!(n.name, NODE.as_bytes());
    assert_eq!(n.highest_version, 6);
    assert!(
        (5..=6).contains(&n.lowest_version),
        "lowest {}",
        n.lowest_version
    );
    assert_eq!(n.node_type, 77, "OTP registers as 77 'M'");
    assert_eq!(n.protocol, 0);
    assert!(n.extra.is_empty());

    assert!(
        live.port_please("nosuchnode").is_none(),
        "nosuchnode must not be found"
    );
    let last = live.exchanges.last().expect("recorded");
    assert_eq!(last.reply, [0x77, 0x01], "a miss is `77 01`");
    eprintln!(
        "live_epmd: b. PORT2_RESP ok: {NODE} at {} (v{}..{}), nosuchnode -> 77 01",
        n.port, n.lowest_version, n.highest_version
    );
}

fn case_c_alive2(live: &mut Live) -> String {
    // The CLI's documented example, byte for byte.
    assert_eq!(
        hex(&alive2_req("node", 6)),
        "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"
    );
    let name = format!("livec{}", std::process::id());
    let req = alive2_req(&name, 6);
    assert_round_trip("ALIVE2_REQ", &decode_request(&req, 0), &req);
    let (sock, d, reply) = live.register("ALIVE2_REQ hi=6", &req);
    assert_round_trip("ALIVE2_X_RESP", &d, &reply);
    let Some(EpmdMessage::Alive2XResp(r)) = &d.message else {
        panic!(
            "expected ALIVE2_X_RESP, got {:?} ({})",
            d.message,
            hex(&reply)
        );
    };
    assert_eq!(r.result, 0, "registration of {name} refused");
    assert!(r.creation >= 4, "v6 creation {} must be >= 4", r.creation);

    let names = live.epmd_names();
    assert!(
        names_listed(&names, &name),
        "`epmd -names` does not list {name}:\n{names}"
    );
    assert!(names.contains(&format!("name {name} at port 9506")));

    // Closing the registration socket unregisters the name.
    sock.shutdown(Shutdown::Both).ok();
    drop(sock);
    wait_for(
        &format!("`epmd -names` to stop listing {name}"),
        IO_TIMEOUT,
        || (!names_listed(&live.epmd_names(), &name)).then_some(()),
    );
    eprintln!(
        "live_epmd: c. ALIVE2_X_RESP ok: {name} creation {}, listed by epmd -names, gone after close",
        r.creation
    );
    name
}

fn case_d_v5_and_duplicates(live: &mut Live) {
    let name = format!("livev{}", std::process::id());
    let req = alive2_req(&name, 5);
    let (sock, d, reply) = live.register("ALIVE2_REQ hi=5", &req);
    assert_round_trip("ALIVE2_RESP", &d, &reply);
    let Some(EpmdMessage::Alive2Resp(r)) = &d.message else {
        panic!("hi=5 must get ALIVE2_RESP (121), got {}", hex(&reply));
    };
    assert_eq!(reply.len(), 4);
    assert_eq!(r.result, 0);
    assert!(
        (1..=3).contains(&r.creation),
        "16-bit creation {} not in 1..3",
        r.creation
    );

    // Same name again while registered, version 5: `79 01 00 63`.
    let (dup5, d5, reply5) = live.register("ALIVE2_REQ duplicate hi=5", &req);
    assert_round_trip("ALIVE2_RESP", &d5, &reply5);
    match &d5.message {
        Some(EpmdMessage::Alive2Resp(r)) => assert_eq!((r.result, r.creation), (1, 99)),
        other => panic!("duplicate hi=5: {other:?}"),
    }
    assert_eq!(hex(&reply5), "79 01 00 63");
    drop(dup5);

    // The real node's name, version 6: `76 01 00 00 00 63`.
    let (dup6, d6, reply6) = live.register("ALIVE2_REQ duplicate livea", &alive2_req(NODE, 6));
    assert_round_trip("ALIVE2_X_RESP", &d6, &reply6);
    match &d6.message {
        Some(EpmdMessage::Alive2XResp(r)) => assert_eq!((r.result, r.creation), (1, 99)),
        other => panic!("duplicate {NODE}: {other:?}"),
    }
    assert_eq!(hex(&reply6), "76 01 00 00 00 63");
    drop(dup6);
    drop(sock);

    // The refused duplicate did not disturb the real node's registration.
    let n = live
        .port_please(NODE)
        .expect("livea still registered after the refused duplicate");
    assert_eq!(n.port, live.node_port);
    eprintln!(
        "live_epmd: d. ALIVE2_RESP ok: {name} creation {}; duplicates -> 79 01 00 63 / 76 01 00 00 00 63",
        r.creation
    );
}

fn case_e_log(live: &Live, c_name: &str) {
    // Wait until epmd has logged everything (its last dump is written after
    // the reply, possibly after we read it).
    let start = Instant::now();
    loop {
        let log = read_lossy(&live.epmd_log);
        match check_log(live, &log, c_name) {
            Ok(summary) => {
                eprintln!("live_epmd: e. {summary}");
                return;
            }
            Err(e) if start.elapsed() > IO_TIMEOUT => panic!(
                "the epmd log does not match the traffic: {e}\nlog: {}",
                live.epmd_log.display()
            ),
            Err(_) => sleep(Duration::from_millis(100)),
        }
    }
}

fn check_log(live: &Live, log: &str, c_name: &str) -> Result<String, String> {
    let report = decode_text(
        log,
        &DecodeOptions {
            format: FormatChoice::EpmdLog,
            ..DecodeOptions::default()
        },
    );
    if report.input_error.is_some() || report.format != "epmd-log" {
        return Err(format!(
            "read as {} ({:?})",
            report.format, report.input_error
        ));
    }
    let parsed = input::epmd_log::parse(log);
    // Every frame decodes completely, with its direction from the log itself.
    for f in &report.frames {
        if !f.status.is_complete() || f.type_name == "UNKNOWN" || f.direction_inferred {
            return Err(format!(
                "log line {:?}: {} {} ({}) decodes as {:?}, direction inferred: {}",
                f.line,
                f.direction.as_str(),
                f.type_name,
                hex(&f.bytes),
                f.status,
                f.direction_inferred
            ));
        }
    }
    if let Some(f) = parsed.frames.iter().find(|f| f.missing > 0) {
        return Err(format!(
            "log line {}: {} bytes missing from the dump",
            f.line, f.missing
        ));
    }
    if parsed.frames.len() != report.frames.len() {
        return Err(format!(
            "epmd_log::parse found {} frames, decode_text {}",
            parsed.frames.len(),
            report.frames.len()
        ));
    }

    // Our exchanges, in order, each as a request frame directly followed by
    // its reply frame with identical bytes.
    let frames = &report.frames;
    let mut used = vec![false; frames.len()];
    let mut at = 0;
    for x in &live.exchanges {
        let found = (at..frames.len().saturating_sub(1)).find(|&i| {
            frames[i].direction == Direction::Request
                && frames[i].bytes == x.request
                && frames[i + 1].direction == Direction::Reply
                && frames[i + 1].bytes == x.reply
        });
        let Some(i) = found else {
            return Err(format!(
                "exchange `{}` (request {} / reply {}) not found in order after log frame {at}",
                x.label,
                hex(&x.request),
                hex(&x.reply)
            ));
        };
        used[i] = true;
        used[i + 1] = true;
        at = i + 2;
    }

    // Everything else is accounted for: the node's own registration and the
    // `epmd -names` runs.
    let mut node_alive = 0;
    let mut cli_names = 0;
    let mut i = 0;
    while i < frames.len() {
        if used[i] {
            i += 1;
            continue;
        }
        let f = &frames[i];
        let next = frames
            .get(i + 1)
            .filter(|_| !used.get(i + 1).copied().unwrap_or(true));
        let pair = next.map(|n| (f.type_name, n.type_name, n));
        match pair {
            Some(("ALIVE2_REQ", "ALIVE2_X_RESP", n))
                if field(f, "name") == Some(NODE.to_string())
                    && field(f, "port") == Some(live.node_port.to_string())
                    && field(n, "result") == Some("0".into()) =>
            {
                node_alive += 1
            }
            Some(("NAMES_REQ", "NAMES_RESP", n))
                if f.bytes == [0x00, 0x01, 0x6e]
                    && field(n, "epmd_port") == Some(live.epmd_port.to_string()) =>
            {
                cli_names += 1
            }
            _ => {
                return Err(format!(
                    "log frame {i} (line {:?}): {} {} ({}) is not ours, not the node's, not epmd -names'",
                    f.line,
                    f.direction.as_str(),
                    f.type_name,
                    hex(&f.bytes)
                ))
            }
        }
        i += 2;
    }
    if node_alive != 1 || cli_names != live.cli_names_runs {
        return Err(format!(
            "other traffic: {node_alive} node registrations (want 1), {cli_names} NAMES exchanges \
             (want {} epmd -names runs)",
            live.cli_names_runs
        ));
    }
    // The log says in words what we did.
    for want in [
        format!("** sent ALIVE2_RESP for \"{c_name}\""),
        format!("unregistering '{c_name}:"),
        format!("node name already occupied {NODE}"),
    ] {
        if !log.contains(&want) {
            return Err(format!("the log lacks {want:?}"));
        }
    }
    Ok(format!(
        "log round trip ok: {} frames in the log, all Complete; our {} exchanges ({} frames) found \
         byte-exact and in order; the rest = 1 node ALIVE2 + {} epmd -names",
        frames.len(),
        live.exchanges.len(),
        2 * live.exchanges.len(),
        cli_names
    ))
}

fn field(f: &erldist_codec::Frame, name: &str) -> Option<String> {
    f.fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| match v {
            erldist_codec::Value::Text(s) => s.clone(),
            other => other.display(),
        })
}

// -------------------------------------------------------------------- test

#[test]
fn live_epmd_and_erl_node() {
    let started = Instant::now();
    let mut live = Live::start();
    case_a_names(&mut live);
    case_b_port_please(&mut live);
    let c_name = case_c_alive2(&mut live);
    case_d_v5_and_duplicates(&mut live);
    case_e_log(&live, &c_name);
    // The node is still alive and registered at the end.
    assert!(
        live.node.child.try_wait().expect("try_wait").is_none(),
        "the erl node died during the test:\n{}",
        read_lossy(&live.node_log)
    );
    assert!(live.epmd.child.try_wait().expect("try_wait").is_none());
    eprintln!(
        "live_epmd: all sub-cases passed against the real epmd in {:?}",
        started.elapsed()
    );
}

#[test]
fn missing_program_message_names_the_script() {
    // The failure message for a missing epmd/erl points at the install script.
    let msg = require_program("no-such-program-erldist-live").expect_err("not on PATH");
    assert!(msg.contains("scripts/test-live.sh"), "{msg}");
    assert!(msg.contains("erlang-base"), "{msg}");
    assert!(require_program("sh").is_ok());
}

// ------------------------------------------------- codec bugs found live

/// An epmd alone (no node): for the codec-bug demonstrations below.
struct EpmdOnly {
    _epmd: ChildGuard,
    port: u16,
}

fn start_epmd_only(tag: &str) -> EpmdOnly {
    let bin = require_program("epmd").unwrap_or_else(|e| panic!("{e}"));
    let (port, _) = free_ports();
    let log = work_dir(tag).join("epmd_debug.log");
    let epmd = start_epmd(&bin, port, &log);
    EpmdOnly { _epmd: epmd, port }
}

/// Registers `name` (a name with `\n` in it, which epmd accepts: it rejects
/// only NUL and invalid UTF-8) and returns the socket and epmd's reply to `req`.
fn reply_with_newline_name(e: &EpmdOnly, name: &str, req_type: &str) -> (TcpStream, Vec<u8>) {
    let (sock, d, reply) = register(e.port, "ALIVE2_REQ", &alive2_req(name, 6));
    match &d.message {
        Some(EpmdMessage::Alive2XResp(r)) => {
            assert_eq!(r.result, 0, "epmd refused {name:?}: {}", hex(&reply))
        }
        other => panic!("ALIVE2_REQ {name:?}: {other:?}"),
    }
    let req = encode_fields(req_type, &Fields::new()).expect("encode");
    let bytes = request_to_eof(e.port, req_type, &req);
    eprintln!("live_epmd: real {req_type} reply: {}", hex(&bytes));
    (sock, bytes)
}

/// epmd accepts the node name "new\nline"; its DUMP_RESP is unambiguous,
/// since every record ends in `\n` + NUL:
/// `00 00 PP PP` + `active name     <new\nline> at port 9506, fd = F\n\0`.
/// (The codec once ended a record at the first `\n`.)
#[test]
fn dump_resp_with_newline_in_a_name() {
    let e = start_epmd_only("dump-newline");
    let (sock, dump) = reply_with_newline_name(&e, "new\nline", "DUMP_REQ");
    let needle = b"active name     <new\nline> at port 9506, fd = ";
    assert!(
        dump.windows(needle.len()).any(|w| w == needle),
        "epmd's DUMP_RESP lacks the record: {}",
        hex(&dump)
    );
    let d = decode_reply(
        &dump,
        0,
        ReplyContext {
            eof: true,
            answers: Some(erldist_codec::epmd::DUMP_REQ),
        },
    );
    assert!(
        d.status.is_complete(),
        "the real DUMP_RESP {} decodes as {:?}",
        hex(&dump),
        d.status
    );
    assert_round_trip("DUMP_RESP", &d, &dump);
    match &d.message {
        Some(EpmdMessage::DumpResp(r)) => assert!(
            r.lines
                .iter()
                .any(|l| l.name == b"new\nline" && l.port == 9506),
            "{r:?}"
        ),
        other => panic!("{other:?}"),
    }
    drop(sock);
}

/// The same name in NAMES_RESP: `name new\nline at port 9506\n`. Lines end
/// in `\n` only (OTP's own erl_epmd parser splits this one wrongly); the
/// codec takes the first line end at which a whole line parses.
#[test]
fn names_resp_with_newline_in_a_name() {
    let e = start_epmd_only("names-newline");
    let (sock, names) = reply_with_newline_name(&e, "new\nline", "NAMES_REQ");
    assert!(names.ends_with(b"name new\nline at port 9506\n"));
    let d = decode_reply(
        &names,
        0,
        ReplyContext {
            eof: true,
            answers: Some(NAMES_REQ),
        },
    );
    assert!(
        d.status.is_complete(),
        "the real NAMES_RESP {} decodes as {:?}",
        hex(&names),
        d.status
    );
    assert_round_trip("NAMES_RESP", &d, &names);
    drop(sock);
}
