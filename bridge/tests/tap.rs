//! Tap mode against REAL programs: `--tap LISTEN=TARGET` listeners of the
//! bridge binary, a real `epmd`, real Node.js clients, a real `erl` node and
//! the real `epmd -names` client, with a websocket subscriber on `/ws/tap`
//! reading the mirror (JSON, lowercase hex; bridge/README.md):
//!
//! * the forum snippet (`sock.write(Buffer.from('1209506770556client0'))`)
//!   through an epmd tap: the subscriber sees those 20 bytes from the client
//!   and epmd closing the connection;
//! * a corrected Node.js client registers through the tap, `epmd -names`
//!   lists it, and when it closes its socket the name is gone (the mirror
//!   shows the client's FIN, then epmd's);
//! * a real `erl` node registers through the tap (`ERL_EPMD_PORT`), and a
//!   hidden-node handshake + rpc goes through a `node:NAME` tap;
//! * `browser:epmd`: a subscriber plays epmd and the real `epmd -names`
//!   client prints what it answered; without a player the connection is
//!   closed with a reason; only the player may answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::procs::*;
use common::ws::*;
use erldist_codec::dist::{encode_message, encode_tick, ConnectedDecoder, EncodeMode};
use erldist_codec::etf::text::{parse, to_erlang};
use erldist_codec::handshake::{Config, Initiator, Outcome};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::Message;

const T: Duration = Duration::from_secs(15);

/// A `/ws/tap` subscriber that keeps every message it read.
struct Sub {
    ws: Ws,
    seen: Vec<Value>,
    hello: Value,
}

impl Sub {
    async fn open(addr: &str) -> Sub {
        let mut ws = must_open(addr, "/ws/tap").await;
        let hello = Sub::read(&mut ws).await;
        assert_eq!(hello["type"], "hello", "{hello}");
        Sub {
            ws,
            seen: Vec::new(),
            hello,
        }
    }

    async fn read(ws: &mut Ws) -> Value {
        match timeout(T, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str(t.as_str()).expect("JSON"),
            other => panic!("expected a text message on /ws/tap, got {other:?}"),
        }
    }

    /// The next message satisfying `pred` (the ones before it are kept).
    async fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + T;
        loop {
            assert!(
                Instant::now() < deadline,
                "no {what} on /ws/tap; seen: {:#?}",
                self.seen
            );
            let v = Sub::read(&mut self.ws).await;
            self.seen.push(v.clone());
            if pred(&v) {
                return v;
            }
        }
    }

    async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    /// Every byte mirrored for `conn` from `from`, in offset order.
    fn bytes(&self, conn: u64, from: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for v in &self.seen {
            if v["type"] == "data" && v["conn"] == conn && v["from"] == from {
                assert_eq!(v["offset"].as_u64().unwrap(), out.len() as u64, "{v}");
                let hex = v["hex"].as_str().unwrap();
                assert!(
                    hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
                    "lowercase hex: {hex}"
                );
                out.extend(hex_decode(hex));
            }
        }
        out
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Rig {
    bridge: BridgeProc,
    _epmd: ChildGuard,
    epmd_port: u16,
    epmd_log: std::path::PathBuf,
    dir: std::path::PathBuf,
    tap_ports: Vec<u16>,
}

/// epmd, and the bridge with one tap per `targets` entry on free ports.
fn rig(tag: &str, targets: &[&str]) -> Rig {
    let dir = work_dir(tag);
    let [epmd_port, a, b, c] = free_ports::<4>();
    let tap_ports: Vec<u16> = [a, b, c].into_iter().take(targets.len()).collect();
    let epmd_log = dir.join("epmd.log");
    let epmd = start_epmd(None, epmd_port, &epmd_log);
    let mut extra = Vec::new();
    for (p, t) in tap_ports.iter().zip(targets) {
        extra.push("--tap".to_string());
        extra.push(format!("127.0.0.1:{p}={t}"));
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let bridge = start_bridge(
        None,
        epmd_port,
        "127.0.0.1:0",
        &extra,
        &dir.join("bridge.log"),
    );
    Rig {
        bridge,
        _epmd: epmd,
        epmd_port,
        epmd_log,
        dir,
        tap_ports,
    }
}

/// Runs `node -e JS` with output to `log`.
fn node_js(js: &str, log: &std::path::Path, stdin: bool) -> ChildGuard {
    let out = std::fs::File::create(log).unwrap();
    let child = Command::new(require_program("node"))
        .args(["-e", js])
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("spawn node");
    ChildGuard {
        what: "node.js client".into(),
        child,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forum_snippet_through_an_epmd_tap() {
    let r = rig("snippet", &["epmd"]);
    let port = r.tap_ports[0];
    let mut sub = Sub::open(&r.bridge.addr).await;
    assert_eq!(sub.hello["taps"][0]["target"], "epmd");
    assert_eq!(sub.hello["taps"][0]["listen"], format!("127.0.0.1:{port}"));

    // The exact snippet, against the tap, with a report of what happened.
    let js = format!(
        "const net = require('net');\n\
         let sock = new net.Socket(); sock.connect({port}, '127.0.0.1'); \
         const ret = sock.write(Buffer.from('1209506770556client0'));\n\
         console.log('write returned ' + ret);\n\
         sock.on('data', d => console.log('DATA ' + d.toString('hex')));\n\
         sock.on('close', () => console.log('CLOSED'));"
    );
    let log = r.dir.join("snippet.log");
    let mut node = node_js(&js, &log, false);
    let st = wait_for("node to exit", T, || node.child.try_wait().unwrap());
    let out = read_lossy(&log);
    assert!(st.success(), "{out}");
    assert!(
        out.contains("write returned true") && out.contains("CLOSED"),
        "{out}"
    );
    assert!(!out.contains("DATA"), "epmd answers nothing: {out}");

    let open = sub.wait("open", |v| v["type"] == "open").await;
    let conn = open["conn"].as_u64().unwrap();
    assert_eq!(open["tap"], 0);
    assert_eq!(open["target"], "epmd");
    assert!(open["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(
        open["t"].as_u64().unwrap() > 1_600_000_000_000_000,
        "µs since the epoch"
    );
    let close = sub
        .wait("close", |v| v["type"] == "close" && v["conn"] == conn)
        .await;
    assert_eq!(sub.bytes(conn, "client"), b"1209506770556client0");
    assert_eq!(sub.bytes(conn, "server"), b"");
    // epmd closed first (its FIN is mirrored before the client's).
    let eofs: Vec<&str> = sub
        .seen
        .iter()
        .filter(|v| v["type"] == "eof" && v["conn"] == conn)
        .map(|v| v["from"].as_str().unwrap())
        .collect();
    assert_eq!(eofs.first(), Some(&"server"), "{eofs:?}");
    assert_eq!(close["by"], "server", "{close}");
    assert_eq!(close["reason"], "epmd closed the connection");
    assert_eq!(close["client_bytes"], 20);
    assert_eq!(close["server_bytes"], 0);
    // Timestamps in order.
    let ts: Vec<u64> = sub
        .seen
        .iter()
        .filter(|v| v["conn"] == conn)
        .map(|v| v["t"].as_u64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
    assert!(read_lossy(&r.epmd_log).contains("invalid packet size"));
    eprintln!(
        "tap: the snippet's bytes and epmd's close, as mirrored: {:#?}",
        sub.seen
    );
    r.bridge.wait_log_line(&["tap 127.0.0.1", "by=server"]);

    // Same Origin rules on /ws/tap.
    let (status, _) = refused_status(&r.bridge.addr, "/ws/tap", Some("http://evil.example")).await;
    assert_eq!(status, 403);
}

/// The corrected client: ALIVE2_REQ written out by hand in Node.js.
const CORRECTED: &str = r#"
const net = require('net');
const name = Buffer.from('nodeclient', 'utf8');
const body = Buffer.alloc(13 + name.length);
body.writeUInt8(120, 0);                 // ALIVE2_REQ
body.writeUInt16BE(PORTNO, 1);           // the port our node would listen on
body.writeUInt8(77, 3);                  // normal node
body.writeUInt8(0, 4);                   // TCP/IPv4
body.writeUInt16BE(6, 5);                // highest version
body.writeUInt16BE(5, 7);                // lowest version
body.writeUInt16BE(name.length, 9);
name.copy(body, 11);
body.writeUInt16BE(0, 11 + name.length); // no extra
const req = Buffer.alloc(2 + body.length);
req.writeUInt16BE(body.length, 0);       // the 2-byte length prefix
body.copy(req, 2);
const sock = net.connect(TAPPORT, '127.0.0.1', () => sock.write(req));
sock.on('data', d => console.log('REPLY ' + d.toString('hex')));
sock.on('close', () => { console.log('CLOSED'); process.exit(0); });
process.stdin.on('data', () => sock.end());   // a line on stdin: close
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_nodejs_client_registers_through_the_tap() {
    let r = rig("corrected", &["epmd"]);
    let mut sub = Sub::open(&r.bridge.addr).await;
    let js = CORRECTED
        .replace("PORTNO", "43210")
        .replace("TAPPORT", &r.tap_ports[0].to_string());
    let log = r.dir.join("corrected.log");
    let mut node = node_js(&js, &log, true);
    let reply = wait_for("the ALIVE2 reply", T, || {
        read_lossy(&log)
            .lines()
            .find_map(|l| l.strip_prefix("REPLY ").map(str::to_string))
    });
    assert!(
        reply.starts_with("7600") && reply.len() == 12,
        "ALIVE2_X_RESP ok: {reply}"
    );
    let names = epmd_names(None, r.epmd_port);
    assert!(names.contains("name nodeclient at port 43210"), "{names}");
    eprintln!("tap: the corrected client registered; epmd -names:\n{names}");

    let open = sub.wait("open", |v| v["type"] == "open").await;
    let conn = open["conn"].as_u64().unwrap();
    sub.wait("the reply mirrored", |v| {
        v["type"] == "data" && v["conn"] == conn && v["from"] == "server"
    })
    .await;
    let sent = sub.bytes(conn, "client");
    assert_eq!(
        sent,
        alive2_req("nodeclient", 43210),
        "the codec's ALIVE2_REQ, byte for byte"
    );
    assert_eq!(hex(&sub.bytes(conn, "server")), reply);

    // The client closes its socket: the name disappears.
    node.child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"close\n")
        .unwrap();
    let close = sub
        .wait("close", |v| v["type"] == "close" && v["conn"] == conn)
        .await;
    assert_eq!(close["by"], "client", "{close}");
    let eofs: Vec<&str> = sub
        .seen
        .iter()
        .filter(|v| v["type"] == "eof" && v["conn"] == conn)
        .map(|v| v["from"].as_str().unwrap())
        .collect();
    assert_eq!(eofs, ["client", "server"]);
    wait_for("nodeclient to leave epmd -names", T, || {
        (!epmd_names(None, r.epmd_port).contains("nodeclient")).then_some(())
    });
    wait_for("node to exit", T, || node.child.try_wait().unwrap());
    assert!(read_lossy(&log).contains("CLOSED"));
}

async fn recv_some(s: &mut tokio::net::TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 65536];
    match timeout(wait, s.read(&mut buf)).await {
        Err(_) => Some(Vec::new()),
        Ok(Ok(0)) | Ok(Err(_)) => None,
        Ok(Ok(n)) => Some(buf[..n].to_vec()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_node_registers_through_an_epmd_tap_and_is_reached_through_a_node_tap() {
    let r = rig("erl", &["epmd", "node:tapped"]);
    let mut sub = Sub::open(&r.bridge.addr).await;
    let [node_port] = free_ports::<1>();
    // The node's epmd is the tap.
    let node_log = r.dir.join("node.log");
    let _node = start_node("tapped", r.tap_ports[0], node_port, &node_log);
    let names = epmd_names(None, r.epmd_port);
    assert!(
        names.contains(&format!("name tapped at port {node_port}")),
        "{names}"
    );
    let reg = sub
        .wait("the node's ALIVE2_REQ", |v| {
            v["type"] == "data"
                && v["from"] == "client"
                && v["hex"].as_str().unwrap_or("").get(4..6) == Some("78")
        })
        .await;
    eprintln!("tap: erl's registration through the tap: {reg}");

    // A hidden node through the node tap: handshake and rpc.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", r.tap_ports[1]))
        .await
        .unwrap();
    s.set_nodelay(true).unwrap();
    let me = "tapprobe@127.0.0.1";
    let peer = "tapped@127.0.0.1";
    let mut hs = Initiator::new(
        Config::new(me, COOKIE.as_bytes(), 7, 0x1234_5678).hidden(),
        peer,
    );
    let deadline = Instant::now() + T;
    loop {
        while let Some(out) = hs.poll_transmit() {
            s.write_all(&out).await.unwrap();
        }
        if *hs.state() != Outcome::InProgress {
            break;
        }
        assert!(Instant::now() < deadline, "handshake timed out");
        match recv_some(&mut s, Duration::from_millis(200)).await {
            Some(b) => hs.handle_input(&b),
            None => hs.handle_close(),
        }
    }
    let c = match hs.state().clone() {
        Outcome::Connected(c) => c,
        other => panic!(
            "handshake through the node tap: {other:?}\n{}",
            read_lossy(&node_log)
        ),
    };
    let mut dec = ConnectedDecoder::new(Some(c.negotiated.0));
    let mut inbuf = hs.take_leftover();
    let pid = format!("#Pid<'{me}'.1.0;c=7>");
    let rf = format!("#Ref<'{me}'.1.2.3;c=7>");
    let msg = encode_message(
        &parse(&format!("{{6, {pid}, '', rex}}")).unwrap(),
        Some(
            &parse(&format!(
                "{{'$gen_call', {{{pid}, {rf}}}, {{call, erlang, node, [], user}}}}"
            ))
            .unwrap(),
        ),
        EncodeMode::Header,
    )
    .unwrap();
    s.write_all(&msg).await.unwrap();
    let want = format!("{{{rf},'{peer}'}}");
    'outer: loop {
        assert!(Instant::now() < deadline, "no rpc reply");
        let got = recv_some(&mut s, Duration::from_millis(200))
            .await
            .expect("node closed");
        inbuf.extend_from_slice(&got);
        while !inbuf.is_empty() {
            let f = dec.decode_frame(&inbuf, 0);
            if f.frame.status.is_incomplete() {
                break;
            }
            inbuf.drain(..f.frame.consumed);
            if f.frame.type_name == "TICK" {
                s.write_all(&encode_tick()).await.unwrap();
                continue;
            }
            if f.payload.as_ref().map(to_erlang).as_deref() == Some(want.as_str()) {
                break 'outer;
            }
        }
    }
    // The mirror has the whole conversation: the handshake's first frame
    // (send_name, tag 'N') from the client, the node's bytes back.
    let open = sub
        .wait("the node tap's open", |v| {
            v["type"] == "open" && v["tap"] == 1
        })
        .await;
    let conn = open["conn"].as_u64().unwrap();
    let connected = sub
        .wait("connected", |v| {
            v["type"] == "connected" && v["conn"] == conn
        })
        .await;
    assert_eq!(connected["upstream"], format!("127.0.0.1:{node_port}"));
    sub.wait("the rpc mirrored", |v| {
        v["type"] == "data"
            && v["conn"] == conn
            && v["from"] == "client"
            && v["len"].as_u64() == Some(msg.len() as u64)
    })
    .await;
    let up = sub.bytes(conn, "client");
    assert_eq!(up[2], b'N', "send_name first");
    assert!(up.ends_with(&msg));
    assert!(!sub.bytes(conn, "server").is_empty());
    eprintln!(
        "tap: handshake and rpc erlang:node() through the node tap; {} bytes up mirrored",
        up.len()
    );
    drop(s);
    sub.wait("close", |v| v["type"] == "close" && v["conn"] == conn)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_plays_epmd_for_the_real_epmd_names_client() {
    let r = rig("browser", &["browser:epmd"]);
    let tap = r.tap_ports[0];
    let names_cli = |port: u16| {
        Command::new(require_program("epmd"))
            .args(["-port", &port.to_string(), "-names"])
            .env("ERL_EPMD_PORT", port.to_string())
            .output()
            .unwrap()
    };

    // Nobody plays yet: the connection is closed, the reason says why.
    let mut watcher = Sub::open(&r.bridge.addr).await;
    assert_eq!(watcher.hello["taps"][0]["target"], "browser:epmd");
    let out = names_cli(tap);
    assert!(!out.status.success() || String::from_utf8_lossy(&out.stdout).is_empty());
    let c = watcher.wait("close", |v| v["type"] == "close").await;
    assert_eq!(c["by"], "bridge");
    assert!(
        c["reason"].as_str().unwrap().contains("no page plays epmd"),
        "{c}"
    );

    // A page plays it.
    let mut player = Sub::open(&r.bridge.addr).await;
    let me = player.hello["you"].as_u64().unwrap();
    player
        .send(serde_json::json!({"type": "play", "tap": 0}))
        .await;
    player
        .wait("player", |v| v["type"] == "player" && v["sub"] == me)
        .await;
    // Playing a tap that is not browser:epmd, or sending for a connection
    // that does not exist, is an error message, not a close.
    player
        .send(serde_json::json!({"type": "send", "conn": 999999, "hex": "00"}))
        .await;
    player.wait("an error", |v| v["type"] == "error").await;

    let client = std::thread::spawn(move || names_cli(tap));
    let open = player.wait("open", |v| v["type"] == "open").await;
    let conn = open["conn"].as_u64().unwrap();
    player
        .wait("NAMES_REQ", |v| {
            v["type"] == "data" && v["conn"] == conn && v["hex"] == "00016e"
        })
        .await;
    // A watcher that does not play may not answer.
    watcher
        .send(serde_json::json!({"type": "send", "conn": conn, "hex": "00"}))
        .await;
    let e = watcher.wait("an error", |v| v["type"] == "error").await;
    assert!(
        e["message"].as_str().unwrap().contains("does not play"),
        "{e}"
    );
    // The player answers as epmd would: its port, then one line per node.
    let mut reply = u32::from(tap).to_be_bytes().to_vec();
    reply.extend_from_slice(b"name played at port 5555\n");
    player
        .send(serde_json::json!({"type": "send", "conn": conn, "hex": hex(&reply)}))
        .await;
    player
        .send(serde_json::json!({"type": "close", "conn": conn}))
        .await;
    let out = client.join().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        format!("epmd: up and running on port {tap} with data:\nname played at port 5555\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = player
        .wait("close", |v| v["type"] == "close" && v["conn"] == conn)
        .await;
    assert_eq!(c["by"], "server");
    assert_eq!(player.bytes(conn, "server"), reply);
    watcher
        .wait("the answer mirrored to every page", |v| {
            v["type"] == "data" && v["conn"] == conn && v["from"] == "server"
        })
        .await;
    eprintln!("tap: the real `epmd -names` printed what the page answered:\n{text}");

    // The player leaves: nobody plays.
    player.ws.close(None).await.unwrap();
    watcher
        .wait("no player", |v| v["type"] == "player" && v["sub"].is_null())
        .await;
    let _ = (&r.epmd_log, r.epmd_port);
}
