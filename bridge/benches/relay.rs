//! Benchmark of the relay (issue 7 item 4), run by scripts/bench-bridge.sh
//! (`cargo bench -p erldist-bridge --bench relay`):
//!
//! 1. Added round-trip latency: a TCP echo server on 127.0.0.1; ROUNDS
//!    round trips of a 32-byte message straight to it over TCP, then the
//!    same through the real `erldist-bridge` binary (release build, its own
//!    process) over a websocket on `/ws/epmd` (the bridge's `--epmd` points
//!    at the echo server). p50 / p99 / p99.9 of both and the difference.
//! 2. Memory: SESSIONS websocket sessions opened and held at once (each
//!    has exchanged one message, so its upstream TCP connection is up),
//!    then the bridge's resident set size from /proc/<pid>/status.
//!
//! Targets: under 0.5 ms added at p99; 500 sessions in under 50 MB.
//! Environment: ROUNDS (default 20000), SESSIONS (default 500).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures_util::{SinkExt, StreamExt};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::Message;

const MSG: usize = 32;

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

struct Bridge {
    child: Child,
    addr: String,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

fn start_bridge(echo_port: u16, log: &std::path::Path) -> Bridge {
    let out = std::fs::File::create(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_erldist-bridge"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--epmd",
            &format!("127.0.0.1:{echo_port}"),
        ])
        .args(["--serve", "/nonexistent", "--max-connections", "4096"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .expect("spawn erldist-bridge");
    let mut bridge = Bridge {
        child,
        addr: String::new(),
    };
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(addr) = text.lines().find_map(|l| {
            l.split("listening on http://")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        }) {
            bridge.addr = addr;
            return bridge;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "bridge did not start: {text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn echo_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    port
}

struct Stats {
    p50: f64,
    p99: f64,
    p999: f64,
    mean: f64,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| us(v[((v.len() - 1) as f64 * q).round() as usize]);
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        mean: v.iter().map(|d| us(*d)).sum::<f64>() / v.len() as f64,
    }
}

async fn direct_rtts(port: u16, rounds: usize) -> Vec<Duration> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.set_nodelay(true).unwrap();
    let msg = [0xabu8; MSG];
    let mut buf = [0u8; MSG];
    let mut out = Vec::with_capacity(rounds);
    for i in 0..rounds + rounds / 10 {
        let t = Instant::now();
        s.write_all(&msg).await.unwrap();
        s.read_exact(&mut buf).await.unwrap();
        if i >= rounds / 10 {
            out.push(t.elapsed());
        }
    }
    out
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn ws_open(addr: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/epmd"))
        .await
        .expect("open /ws/epmd");
    ws
}

async fn ws_round_trip(ws: &mut Ws, msg: &[u8]) {
    ws.send(Message::binary(msg.to_vec())).await.unwrap();
    let mut got = 0;
    while got < msg.len() {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => got += b.len(),
            other => panic!("{other:?}"),
        }
    }
}

async fn relay_rtts(addr: &str, rounds: usize) -> Vec<Duration> {
    let mut ws = ws_open(addr).await;
    if let tokio_tungstenite::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_nodelay(true).unwrap();
    }
    let msg = [0xabu8; MSG];
    let mut out = Vec::with_capacity(rounds);
    for i in 0..rounds + rounds / 10 {
        let t = Instant::now();
        ws_round_trip(&mut ws, &msg).await;
        if i >= rounds / 10 {
            out.push(t.elapsed());
        }
    }
    out
}

fn main() {
    // `cargo bench` passes --bench; nothing to filter.
    let rounds = env_usize("ROUNDS", 20_000);
    let sessions = env_usize("SESSIONS", 500);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let echo = echo_server().await;
        let log = std::env::temp_dir().join(format!("bench-bridge-{}.log", std::process::id()));
        let bridge = start_bridge(echo, &log);
        let pid = bridge.child.id();
        println!(
            "bench-bridge: erldist-bridge {} (pid {pid}) on {}, TCP echo server on 127.0.0.1:{echo}; {} CPUs",
            env!("CARGO_PKG_VERSION"),
            bridge.addr,
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
        );
        // Other work on the machine shows in the tails: say how busy it is.
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!("bench-bridge: load average at start: {}", load.trim());

        // Interleave the two measurements (half each, twice) so drift in
        // machine load hits both alike.
        let half = rounds / 2;
        let mut direct = direct_rtts(echo, half).await;
        let mut relay = relay_rtts(&bridge.addr, half).await;
        direct.extend(direct_rtts(echo, half).await);
        relay.extend(relay_rtts(&bridge.addr, half).await);
        let d = stats(direct);
        let r = stats(relay);
        println!("latency: {} round trips of {MSG} bytes each way, on loopback (µs)", 2 * half);
        println!("  {:<28} {:>8} {:>8} {:>8} {:>8}", "", "p50", "p99", "p99.9", "mean");
        println!("  {:<28} {:>8.1} {:>8.1} {:>8.1} {:>8.1}", "direct TCP", d.p50, d.p99, d.p999, d.mean);
        println!("  {:<28} {:>8.1} {:>8.1} {:>8.1} {:>8.1}", "websocket via erldist-bridge", r.p50, r.p99, r.p999, r.mean);
        println!(
            "  {:<28} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            "added by the relay",
            r.p50 - d.p50,
            r.p99 - d.p99,
            r.p999 - d.p999,
            r.mean - d.mean
        );
        let added_p99_ms = (r.p99 - d.p99) / 1000.0;
        println!(
            "  added at p99: {added_p99_ms:.3} ms (target < 0.5 ms): {}",
            if added_p99_ms < 0.5 { "met" } else { "NOT MET" }
        );

        // Memory.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let base = rss_kib(pid, "VmRSS:");
        let start = Instant::now();
        let mut held = Vec::with_capacity(sessions);
        for _ in 0..sessions {
            let mut ws = ws_open(&bridge.addr).await;
            ws_round_trip(&mut ws, b"hello").await;
            held.push(ws);
        }
        let opened = start.elapsed();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rss = rss_kib(pid, "VmRSS:");
        let hwm = rss_kib(pid, "VmHWM:");
        let mb = |k: u64| k as f64 / 1024.0;
        println!(
            "memory: {sessions} websocket sessions held open at once (each relayed to its own TCP connection), opened in {:.2} s",
            opened.as_secs_f64()
        );
        println!(
            "  bridge RSS {:.1} MB (idle before: {:.1} MB; peak {:.1} MB); {:.1} KB per session; target < 50 MB: {}",
            mb(rss),
            mb(base),
            mb(hwm),
            (rss.saturating_sub(base)) as f64 / sessions as f64,
            if mb(rss) < 50.0 { "met" } else { "NOT MET" }
        );
        // All still alive?
        for ws in held.iter_mut().step_by((sessions / 10).max(1)) {
            ws_round_trip(ws, b"still there").await;
        }
        drop(held);
        drop(bridge);
        let _ = std::fs::remove_file(&log);
    });
}
