//! The relay itself, byte by byte: the real bridge binary with `--epmd`
//! pointed at a TCP server run by the test (a recorder standing in for the
//! target, so every byte that reaches TCP can be checked), on 127.0.0.1:
//!
//! * binary frames relayed byte for byte both ways, whatever their size;
//!   pings answered and never written to TCP;
//! * the target's EOF becomes close 1000 with a reason; its reset, 1011;
//! * the client's close becomes the target's EOF;
//! * text frames refused (1003), messages over the limit refused (1009),
//!   neither reaching TCP;
//! * the idle timeout (1001) and the connection limit (HTTP 503).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::procs::*;
use common::ws::*;
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::Message;

const T: Duration = Duration::from_secs(10);

struct Rig {
    bridge: BridgeProc,
    target: TcpListener,
}

async fn rig(tag: &str, extra: &[&str]) -> Rig {
    let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = target.local_addr().unwrap().port();
    let dir = work_dir(tag);
    let bridge = start_bridge(None, port, "127.0.0.1:0", extra, &dir.join("bridge.log"));
    Rig { bridge, target }
}

async fn accept(l: &TcpListener) -> TcpStream {
    timeout(T, l.accept())
        .await
        .expect("the bridge connects")
        .unwrap()
        .0
}

/// Deterministic pseudo-random bytes.
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Reads from `s` until `n` bytes or EOF.
async fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let mut buf = vec![0u8; 65536];
    while v.len() < n {
        let k = timeout(T, s.read(&mut buf))
            .await
            .expect("read in time")
            .unwrap();
        if k == 0 {
            break;
        }
        v.extend_from_slice(&buf[..k]);
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frames_byte_for_byte_both_ways_and_pings_stay_off_tcp() {
    let r = rig("bytes", &[]);
    let r = r.await;
    let mut ws = must_open(&r.bridge.addr, "/ws/epmd").await;
    let mut tcp = accept(&r.target).await;

    // Up: every byte value, an empty frame, a large frame; pings between.
    let all: Vec<u8> = (0..=255).collect();
    let big = noise(300_000, 7);
    let mut want_up = Vec::new();
    for (i, chunk) in [all.clone(), vec![], big.clone(), b"\x00\x01n".to_vec()]
        .into_iter()
        .enumerate()
    {
        ws.send(Message::Ping(format!("ping {i}").into_bytes().into()))
            .await
            .unwrap();
        want_up.extend_from_slice(&chunk);
        send(&mut ws, &chunk).await;
    }
    ws.send(Message::Ping(b"last".to_vec().into()))
        .await
        .unwrap();
    let got_up = read_n(&mut tcp, want_up.len()).await;
    assert_eq!(got_up.len(), want_up.len());
    assert!(
        got_up == want_up,
        "the target got other bytes than were sent"
    );
    // Nothing else arrives: the pings were not written to TCP.
    let mut extra = [0u8; 64];
    match timeout(Duration::from_millis(300), tcp.read(&mut extra)).await {
        Err(_) => {}
        Ok(r) => panic!("the target got more: {r:?} {:02x?}", &extra),
    }

    // Down: a large write arrives as binary frames, concatenated exactly;
    // the pongs to our pings arrive too.
    let down = noise(500_000, 99);
    tcp.write_all(&down).await.unwrap();
    let mut got_down = Vec::new();
    let mut pongs = 0;
    let deadline = Instant::now() + T;
    while got_down.len() < down.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} bytes",
            got_down.len(),
            down.len()
        );
        match timeout(T, ws.next()).await.unwrap() {
            Some(Ok(Message::Binary(b))) => got_down.extend_from_slice(&b),
            Some(Ok(Message::Pong(_))) => pongs += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        got_down == down,
        "the client got other bytes than the target sent"
    );
    assert_eq!(pongs, 5, "every ping answered by the bridge");

    // The target closes: close 1000 with a reason.
    tcp.shutdown().await.unwrap();
    let end = read_to_close(&mut ws, T).await;
    assert_eq!(
        end.close,
        Some((1000, "epmd closed the connection".to_string()))
    );
    let line = r.bridge.wait_log_line(&["by=target"]);
    assert!(
        line.contains(&format!("up={}B down={}B", want_up.len(), down.len())),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_close_is_the_targets_eof() {
    let r = rig("clientclose", &[]).await;
    let mut ws = must_open(&r.bridge.addr, "/ws/epmd").await;
    let mut tcp = accept(&r.target).await;
    send(&mut ws, b"abc").await;
    ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: 1000u16.into(),
        reason: "done".into(),
    }))
    .await
    .unwrap();
    let got = read_n(&mut tcp, usize::MAX).await;
    assert_eq!(got, b"abc", "bytes, then EOF");
    // The bridge answered the close frame.
    let end = read_to_close(&mut ws, T).await;
    assert_eq!(end.close.map(|c| c.0), Some(1000));
    r.bridge
        .wait_log_line(&["by=client", "close=1000", "reason=\"done\""]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_by_the_target_gives_1011() {
    let r = rig("reset", &[]).await;
    let mut ws = must_open(&r.bridge.addr, "/ws/epmd").await;
    let tcp = accept(&r.target).await;
    send(&mut ws, b"hello").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // SO_LINGER 0 and unread data: close sends RST.
    tcp.set_zero_linger().unwrap();
    drop(tcp);
    let end = read_to_close(&mut ws, T).await;
    let (code, reason) = end.close.expect("a close frame");
    assert_eq!(code, 1011, "{reason}");
    assert!(reason.contains("reset"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_frames_are_refused_and_never_reach_tcp() {
    let r = rig("text", &[]).await;
    let mut ws = must_open(&r.bridge.addr, "/ws/epmd").await;
    let mut tcp = accept(&r.target).await;
    ws.send(Message::text("\u{0}\u{1}n")).await.unwrap();
    let end = read_to_close(&mut ws, T).await;
    let (code, reason) = end.close.expect("a close frame");
    assert_eq!(code, 1003, "{reason}");
    assert!(reason.contains("text"), "{reason}");
    assert_eq!(read_n(&mut tcp, usize::MAX).await, b"", "EOF, no bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_limit_gives_1009() {
    let r = rig("toobig", &["--max-message-size", "1000"]).await;
    let mut ws = must_open(&r.bridge.addr, "/ws/epmd").await;
    let mut tcp = accept(&r.target).await;
    send(&mut ws, &[7u8; 1000]).await;
    assert_eq!(read_n(&mut tcp, 1000).await, vec![7u8; 1000]);
    let _ = ws.send(Message::binary(vec![8u8; 1001])).await;
    let end = read_to_close(&mut ws, T).await;
    let (code, reason) = end.close.expect("a close frame");
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("1000 bytes"), "{reason}");
    assert_eq!(
        read_n(&mut tcp, usize::MAX).await,
        b"",
        "EOF, no more bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_is_closed_with_1001() {
    let r = rig("idle", &["--idle-timeout", "1"]).await;
    let mut ws = must_open(&r.bridge.addr, "/ws/epmd").await;
    let _tcp = accept(&r.target).await;
    let start = Instant::now();
    // Data resets the clock.
    tokio::time::sleep(Duration::from_millis(600)).await;
    send(&mut ws, b"x").await;
    let end = read_to_close(&mut ws, T).await;
    let took = start.elapsed();
    let (code, reason) = end.close.expect("a close frame");
    assert_eq!(code, 1001, "{reason}");
    assert!(reason.contains("idle"), "{reason}");
    assert!(took >= Duration::from_millis(1500), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limit_refuses_with_503() {
    let r = rig("limit", &["--max-connections", "2"]).await;
    let a = must_open(&r.bridge.addr, "/ws/epmd").await;
    let _b = must_open(&r.bridge.addr, "/ws/epmd").await;
    let (status, body) = refused_status(&r.bridge.addr, "/ws/epmd", None).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("--max-connections 2"), "{body}");
    drop(a);
    // The permit comes back once the session has ended.
    wait_for("a free slot", T, || {
        r.bridge.log().contains("by=client").then_some(())
    });
    let _c = must_open(&r.bridge.addr, "/ws/epmd").await;
}
