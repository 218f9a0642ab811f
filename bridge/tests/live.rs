//! The bridge binary against a REAL `epmd` and REAL `erl` nodes (Debian
//! `erlang-base`, OTP 25), through a websocket client, all on 127.0.0.1 and
//! free ports:
//!
//! * register (ALIVE2_REQ through `/ws/epmd`, seen by the real
//!   `epmd -names`, gone once the websocket closes), look up
//!   (PORT_PLEASE2_REQ), list (NAMES_REQ);
//! * a hidden-node handshake through `/ws/node/<name>` with the codec's
//!   `Initiator`, then `erlang:node()` through `rex`, the reply decoded;
//! * an Origin not on the list gets HTTP 403 at the upgrade;
//! * `/ws/node/<unregistered>` is closed with 4404 and a reason;
//! * no path or query reaches any other port;
//! * 500 concurrent websocket sessions to epmd each get their NAMES reply;
//! * epmd killed during a session: the client gets a close frame with a
//!   code and a reason.
//!
//! Every process is started here and stopped by a drop guard. Without
//! `epmd`/`erl` the tests FAIL (scripts/ensure-system.sh installs them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::procs::*;
use common::ws::*;
use erldist_codec::dist::{encode_message, encode_tick, ConnectedDecoder, EncodeMode};
use erldist_codec::epmd::{self, EpmdMessage, Port2Resp};
use erldist_codec::etf::text::{parse, to_erlang};
use erldist_codec::handshake::{Config, Initiator, Outcome};
use futures_util::StreamExt;
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::Message;

const T: Duration = Duration::from_secs(10);

/// epmd + bridge on free ports (the bridge's extra options in `extra`).
struct Base {
    // Drop order: bridge, then epmd.
    bridge: BridgeProc,
    epmd: ChildGuard,
    epmd_port: u16,
    epmd_log: std::path::PathBuf,
    dir: std::path::PathBuf,
}

fn base(tag: &str, extra: &[&str]) -> Base {
    let dir = work_dir(tag);
    let [epmd_port] = free_ports::<1>();
    let epmd_log = dir.join("epmd.log");
    let epmd = start_epmd(None, epmd_port, &epmd_log);
    let bridge = start_bridge(
        None,
        epmd_port,
        "127.0.0.1:0",
        extra,
        &dir.join("bridge.log"),
    );
    Base {
        bridge,
        epmd,
        epmd_port,
        epmd_log,
        dir,
    }
}

async fn names_via_bridge(addr: &str) -> String {
    let mut ws = must_open(addr, "/ws/epmd").await;
    send(&mut ws, &names_req()).await;
    let end = read_to_close(&mut ws, T).await;
    let (code, reason) = end.close.expect("epmd's close passed on as a close frame");
    assert_eq!(code, 1000, "{reason}");
    match decode_reply(&end.data, epmd::NAMES_REQ) {
        EpmdMessage::NamesResp(r) => r
            .lines
            .iter()
            .map(|l| String::from_utf8_lossy(&l.raw).into_owned())
            .collect(),
        other => panic!("NAMES reply: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_look_up_and_list_through_ws_epmd() {
    let b = base("register", &[]);
    let addr = b.bridge.addr.clone();

    // Register: ALIVE2_REQ, the reply, and the websocket held open.
    let mut reg = must_open(&addr, "/ws/epmd").await;
    send(&mut reg, &alive2_req("wsreg", 5555)).await;
    let reply = read_exact(&mut reg, 6, T).await;
    let creation = match decode_reply(&reply, epmd::ALIVE2_REQ) {
        EpmdMessage::Alive2XResp(r) => {
            assert_eq!(r.result, 0, "registration refused: {reply:02x?}");
            r.creation
        }
        other => panic!("ALIVE2 reply: {other:?}"),
    };
    assert!(creation >= 4, "epmd's v6 creations are >= 4: {creation}");
    let names = epmd_names(None, b.epmd_port);
    assert!(
        names.contains("name wsreg at port 5555"),
        "epmd -names:\n{names}"
    );
    eprintln!(
        "live: registered wsreg through the bridge, creation {creation}; epmd -names:\n{names}"
    );

    // Look up, on another session.
    let mut look = must_open(&addr, "/ws/epmd").await;
    send(&mut look, &port_please2_req("wsreg")).await;
    let end = read_to_close(&mut look, T).await;
    assert_eq!(
        end.close.as_ref().map(|c| c.0),
        Some(1000),
        "{:?}",
        end.close
    );
    match decode_reply(&end.data, epmd::PORT_PLEASE2_REQ) {
        EpmdMessage::Port2Resp(Port2Resp::Found(n)) => {
            assert_eq!(n.port, 5555);
            assert_eq!(n.name, b"wsreg");
        }
        other => panic!("PORT2_RESP: {other:?}"),
    }
    // A miss.
    let mut look = must_open(&addr, "/ws/epmd").await;
    send(&mut look, &port_please2_req("nosuch")).await;
    let end = read_to_close(&mut look, T).await;
    assert_eq!(end.data, [epmd::PORT2_RESP, 1]);

    // List.
    let listed = names_via_bridge(&addr).await;
    assert!(listed.contains("name wsreg at port 5555"), "{listed}");

    // Close the registration websocket: epmd drops the name.
    reg.close(None).await.expect("close");
    let gone_after = Instant::now();
    wait_for("wsreg to leave epmd -names", T, || {
        (!epmd_names(None, b.epmd_port).contains("wsreg")).then_some(())
    });
    eprintln!(
        "live: wsreg gone from epmd -names {:?} after the websocket closed",
        gone_after.elapsed()
    );
    // One log line per connection, with the bytes each way.
    let line = b.bridge.wait_log_line(&["/ws/epmd", "up=", "by=client"]);
    assert!(
        line.contains(&format!("target=127.0.0.1:{}", b.epmd_port)),
        "{line}"
    );
    let up = alive2_req("wsreg", 5555).len();
    assert!(line.contains(&format!("up={up}B down=6B")), "{line}");
    eprintln!("live: bridge log: {line}");
}

// --------------------------------------------------------- handshake + rpc

const ME: &str = "wsprobe@127.0.0.1";

/// Reads one websocket message's bytes (empty on timeout).
async fn recv_bytes(ws: &mut Ws, wait: Duration) -> Option<Vec<u8>> {
    match timeout(wait, ws.next()).await {
        Err(_) => Some(Vec::new()),
        Ok(Some(Ok(Message::Binary(b)))) => Some(b.to_vec()),
        Ok(Some(Ok(Message::Close(f)))) => {
            eprintln!("live: the bridge closed: {f:?}");
            None
        }
        Ok(Some(Ok(_))) => Some(Vec::new()),
        Ok(Some(Err(_)) | None) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_node_handshake_and_rpc_through_ws_node() {
    let b = base("handshake", &[]);
    let [node_port] = free_ports::<1>();
    let node_log = b.dir.join("node.log");
    let node = start_node("wsdist", b.epmd_port, node_port, &node_log);
    let addr = b.bridge.addr.clone();
    let peer = "wsdist@127.0.0.1";

    let mut ws = must_open(&addr, "/ws/node/wsdist").await;
    let cfg = Config::new(ME, COOKIE.as_bytes(), 7, 0x5eed_1234).hidden();
    let mut hs = Initiator::new(cfg, peer);
    let deadline = Instant::now() + T;
    let (mut sent, mut received) = (0usize, 0usize);
    loop {
        while let Some(out) = hs.poll_transmit() {
            sent += out.len();
            send(&mut ws, &out).await;
        }
        if *hs.state() != Outcome::InProgress {
            break;
        }
        assert!(Instant::now() < deadline, "handshake timed out");
        match recv_bytes(&mut ws, Duration::from_millis(200)).await {
            Some(b) => {
                received += b.len();
                hs.handle_input(&b)
            }
            None => hs.handle_close(),
        }
    }
    let c = match hs.state().clone() {
        Outcome::Connected(c) => c,
        other => panic!(
            "handshake through the bridge failed: {other:?}\nnode log:\n{}",
            read_lossy(&node_log)
        ),
    };
    assert_eq!(c.peer_name, peer.as_bytes());
    assert!(c.hidden);
    eprintln!(
        "live: handshake with {peer} through /ws/node/wsdist: {sent} bytes out, {received} in, flags {:#x}",
        c.negotiated.0
    );

    // rpc erlang:node() through rex; answer ticks meanwhile.
    let mut dec = ConnectedDecoder::new(Some(c.negotiated.0));
    let mut inbuf = hs.take_leftover();
    let me = format!("#Pid<'{ME}'.1.0;c=7>");
    let r = format!("#Ref<'{ME}'.1.2.3;c=7>");
    let control = parse(&format!("{{6, {me}, '', rex}}")).unwrap();
    let payload = parse(&format!(
        "{{'$gen_call', {{{me}, {r}}}, {{call, erlang, node, [], user}}}}"
    ))
    .unwrap();
    send(
        &mut ws,
        &encode_message(&control, Some(&payload), EncodeMode::Header).unwrap(),
    )
    .await;
    let want = format!("{{{r},'{peer}'}}");
    let deadline = Instant::now() + T;
    let mut seen = Vec::new();
    'outer: loop {
        assert!(
            Instant::now() < deadline,
            "no rpc reply within {T:?}; frames: {seen:?}"
        );
        let got = recv_bytes(&mut ws, Duration::from_millis(200))
            .await
            .unwrap_or_else(|| panic!("the node closed; frames: {seen:?}"));
        inbuf.extend_from_slice(&got);
        while !inbuf.is_empty() {
            let f = dec.decode_frame(&inbuf, 0);
            if f.frame.status.is_incomplete() {
                break;
            }
            assert!(f.frame.status.is_complete(), "{:?}", f.frame.status);
            inbuf.drain(..f.frame.consumed);
            if f.frame.type_name == "TICK" {
                send(&mut ws, &encode_tick()).await;
                continue;
            }
            let p = f.payload.as_ref().map(to_erlang).unwrap_or_default();
            if p == want {
                eprintln!(
                    "live: rpc erlang:node() through the bridge answered by {}: {p}",
                    f.frame.type_name
                );
                break 'outer;
            }
            seen.push(format!("{} {p}", f.frame.type_name));
        }
    }
    ws.close(None).await.ok();
    let line = b.bridge.wait_log_line(&["/ws/node/wsdist", "by=client"]);
    assert!(
        line.contains(&format!("target=127.0.0.1:{node_port}")),
        "{line}"
    );
    drop(node);
}

// ----------------------------------------------------------------- refusals

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_not_on_the_list_gets_403() {
    let b = base("origin", &[]);
    let addr = b.bridge.addr.clone();
    let port = addr.rsplit(':').next().unwrap();
    for bad in [
        "http://evil.example".to_string(),
        format!("http://127.0.0.1:{}", port.parse::<u16>().unwrap() + 1),
        format!("https://127.0.0.1:{port}"),
        "null".to_string(),
    ] {
        let (status, body) = refused_status(&addr, "/ws/epmd", Some(&bad)).await;
        assert_eq!(status, 403, "{bad}: {body}");
        assert!(body.contains("not allowed"), "{body}");
    }
    // The bridge's own origins are allowed.
    for ok in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        let mut ws = open(&addr, "/ws/epmd", Some(&ok))
            .await
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
        send(&mut ws, &names_req()).await;
        let end = read_to_close(&mut ws, T).await;
        assert_eq!(end.close.map(|c| c.0), Some(1000));
    }
    b.bridge.wait_log_line(&[
        "http /ws/epmd",
        "origin=\"http://evil.example\"",
        "close=403",
    ]);

    // With --allow-origin, only the listed origins.
    let b2 = base(
        "origin2",
        &["--allow-origin", "http://playground.test:9000"],
    );
    let addr2 = b2.bridge.addr.clone();
    assert!(
        open(&addr2, "/ws/epmd", Some("http://playground.test:9000"))
            .await
            .is_ok()
    );
    let own = format!("http://{addr2}");
    assert_eq!(refused_status(&addr2, "/ws/epmd", Some(&own)).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_node_is_refused_with_a_reason() {
    let b = base("unregistered", &[]);
    let mut ws = must_open(&b.bridge.addr, "/ws/node/nosuchnode").await;
    let end = read_to_close(&mut ws, T).await;
    let (code, reason) = end.close.expect("a close frame");
    assert_eq!(code, 4404, "{reason}");
    assert!(
        reason.contains("\"nosuchnode\"") && reason.contains("registered"),
        "{reason}"
    );
    assert!(end.data.is_empty());
    eprintln!("live: /ws/node/nosuchnode closed with {code} {reason:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoint_reaches_any_other_port() {
    let b = base("noproxy", &[]);
    let addr = b.bridge.addr.clone();
    // A sentinel: nothing may ever connect to it.
    let sentinel = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    sentinel.set_nonblocking(true).unwrap();
    let sp = sentinel.local_addr().unwrap().port();
    let http_refused = [
        format!("/ws/127.0.0.1:{sp}"),
        format!("/ws/tcp/127.0.0.1/{sp}"),
        format!("/ws/{sp}"),
        format!("/ws/epmd?host=127.0.0.1&port={sp}"),
        format!("/ws/epmd?port={sp}"),
        format!("/ws/node/x?port={sp}"),
        format!("/ws/node/../{sp}"),
        "/ws/node/../".to_string(),
        "/ws/node/..".to_string(),
        "/ws/node/%2e%2e".to_string(),
        format!("/ws/node/..%2F{sp}"),
        format!("/ws/node/x%40127.0.0.1%3A{sp}"),
        format!("/ws/node/x@127.0.0.1:{sp}"),
        format!("/ws/node/x/127.0.0.1/{sp}"),
        "/ws/epmd/../node/x".to_string(),
        format!("/ws/epmd/{sp}"),
        "/ws".to_string(),
        "/ws/".to_string(),
        format!("/ws/tap/{sp}"),
        format!("/ws/tap?listen={sp}"),
    ];
    for path in &http_refused {
        let (status, body) = refused_status(&addr, path, None).await;
        assert!((400..500).contains(&status), "{path}: HTTP {status} {body}");
        eprintln!("live: {path} -> HTTP {status}: {}", body.trim());
    }
    // Names that look like addresses are only names: epmd has none of them.
    for name in [
        format!("127.0.0.1:{sp}"),
        format!("{sp}"),
        "localhost".into(),
    ] {
        let mut ws = must_open(&addr, &format!("/ws/node/{name}")).await;
        let end = read_to_close(&mut ws, T).await;
        assert_eq!(
            end.close.as_ref().map(|c| c.0),
            Some(4404),
            "{name}: {:?}",
            end.close
        );
    }
    // /ws/epmd reaches epmd whatever the client sends.
    let mut ws = must_open(&addr, "/ws/epmd").await;
    send(
        &mut ws,
        format!("CONNECT 127.0.0.1:{sp} HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .await;
    let end = read_to_close(&mut ws, T).await;
    assert!(end.close.is_some());
    assert!(
        read_lossy(&b.epmd_log).contains("invalid packet size")
            || read_lossy(&b.epmd_log).contains("got garbage"),
        "epmd itself got the bytes"
    );
    std::thread::sleep(Duration::from_millis(200));
    match sentinel.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("something reached the sentinel port {sp}: {other:?}"),
    }
}

// ------------------------------------------------------------ scale, faults

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_sessions_to_epmd_complete() {
    const N: usize = 500;
    let b = base("500", &[]);
    let addr = b.bridge.addr.clone();
    let start = Instant::now();
    // Open all N first (each holds a TCP connection to epmd), then all send.
    let mut opened = Vec::with_capacity(N);
    for chunk in (0..N).collect::<Vec<_>>().chunks(50) {
        let fs: Vec<_> = chunk
            .iter()
            .map(|_| open(&addr, "/ws/epmd", None))
            .collect();
        for r in futures_util::future::join_all(fs).await {
            opened.push(r.expect("open a session"));
        }
    }
    let open_time = start.elapsed();
    let tasks: Vec<_> = opened
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                send(&mut ws, &names_req()).await;
                let end = read_to_close(&mut ws, Duration::from_secs(60)).await;
                (end.close.map(|c| c.0), end.data)
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let (close, data) = t.await.expect("session task");
        assert_eq!(close, Some(1000));
        match decode_reply(&data, epmd::NAMES_REQ) {
            EpmdMessage::NamesResp(r) => assert_eq!(r.epmd_port, u32::from(b.epmd_port)),
            other => panic!("{other:?}"),
        }
        ok += 1;
    }
    assert_eq!(ok, N);
    eprintln!(
        "live: {N} concurrent sessions: opened in {open_time:?}, all NAMES replies in {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epmd_killed_during_a_session_gives_a_clean_close() {
    let mut b = base("killed", &[]);
    let mut reg = must_open(&b.bridge.addr, "/ws/epmd").await;
    send(&mut reg, &alive2_req("doomed", 6000)).await;
    let reply = read_exact(&mut reg, 6, T).await;
    assert_eq!(reply[1], 0, "{reply:02x?}");
    b.epmd.kill_now();
    let end = read_to_close(&mut reg, T).await;
    let (code, reason) = end
        .close
        .expect("a close frame with code and reason, not a dropped connection");
    assert!(matches!(code, 1000 | 1011), "{code} {reason}");
    assert!(reason.contains("epmd"), "{reason}");
    eprintln!("live: epmd killed mid-session: close {code} {reason:?}");
    // A new session now: epmd is unreachable, said so with 4502.
    let mut ws = must_open(&b.bridge.addr, "/ws/epmd").await;
    let end = read_to_close(&mut ws, T).await;
    let (code, reason) = end.close.expect("a close frame");
    assert_eq!(code, 4502, "{reason}");
    assert!(reason.contains("connection refused"), "{reason}");
    let _ = &b.epmd_log;
}
