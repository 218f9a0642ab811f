//! Tap mode (issue 8): `--tap LISTEN=TARGET` TCP listeners whose
//! connections pass through unchanged to their target and are mirrored,
//! both directions with timestamps, to every page subscribed on `/ws/tap`.
//! For `browser:epmd` the subscribed page that said `play` answers instead
//! of a real epmd. The message format is [`wire`]'s and is documented in
//! bridge/README.md ("Tap mode").

use crate::config::{TapSpec, TapTarget};
use crate::log::ConnRecord;
use crate::lookup::{self, io_why};
use crate::policy::{close_reason, code, is_local_peer, Close, EpmdGuard};
use crate::relay::By;
use crate::server::Bridge;
use axum::extract::ws::{Message, WebSocket};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};

/// The JSON messages of `/ws/tap`, as pure functions.
pub mod wire {
    use serde_json::{json, Value};
    use std::time::{SystemTime, UNIX_EPOCH};

    /// Version of the message format (in `hello`).
    pub const VERSION: u32 = 1;

    /// Microseconds since the Unix epoch.
    pub fn now_us() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
    }

    /// Which way bytes went.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum From {
        /// The program that connected to the tap.
        Client,
        /// The tap's target (epmd, the node, or the page playing epmd).
        Server,
    }

    impl From {
        /// `client` / `server`.
        pub fn as_str(self) -> &'static str {
            match self {
                From::Client => "client",
                From::Server => "server",
            }
        }
    }

    /// One tap, as `hello` lists it.
    pub fn tap_info(tap: usize, listen: &str, target: &str, upstream: Option<&str>) -> Value {
        json!({"tap": tap, "listen": listen, "target": target, "upstream": upstream})
    }

    /// The first message a subscriber gets.
    pub fn hello(you: u64, taps: Vec<Value>, open: Vec<Value>, players: Vec<Value>) -> String {
        json!({"type": "hello", "version": VERSION, "you": you, "taps": taps, "open": open, "players": players})
            .to_string()
    }

    /// A connection was accepted by a tap.
    pub fn open(conn: u64, tap: usize, t: u64, client: &str, listen: &str, target: &str) -> Value {
        json!({"type": "open", "conn": conn, "tap": tap, "t": t, "client": client, "listen": listen, "target": target})
    }

    /// The tap reached its target (real targets only).
    pub fn connected(conn: u64, t: u64, upstream: &str) -> String {
        json!({"type": "connected", "conn": conn, "t": t, "upstream": upstream}).to_string()
    }

    /// Bytes that went through, `offset` counted per direction.
    pub fn data(conn: u64, t: u64, from: From, offset: u64, bytes: &[u8]) -> String {
        json!({
            "type": "data", "conn": conn, "t": t, "from": from.as_str(),
            "offset": offset, "len": bytes.len(), "hex": erldist_codec::hex::encode(bytes),
        })
        .to_string()
    }

    /// One side closed its sending half (TCP FIN); the other may go on.
    pub fn eof(conn: u64, t: u64, from: From) -> String {
        json!({"type": "eof", "conn": conn, "t": t, "from": from.as_str()}).to_string()
    }

    /// The connection is gone.
    pub fn close(
        conn: u64,
        t: u64,
        by: &str,
        reason: &str,
        client_bytes: u64,
        server_bytes: u64,
    ) -> String {
        json!({
            "type": "close", "conn": conn, "t": t, "by": by, "reason": reason,
            "client_bytes": client_bytes, "server_bytes": server_bytes,
        })
        .to_string()
    }

    /// Who plays epmd for a `browser:epmd` tap (`sub` null: nobody).
    pub fn player(tap: usize, sub: Option<u64>) -> String {
        json!({"type": "player", "tap": tap, "sub": sub}).to_string()
    }

    /// The subscriber fell behind and missed `missed` messages.
    pub fn lagged(missed: u64) -> String {
        json!({"type": "lagged", "missed": missed}).to_string()
    }

    /// A command of this subscriber was not carried out.
    pub fn error(message: &str) -> String {
        json!({"type": "error", "message": message}).to_string()
    }

    /// A command from a page.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Command {
        /// `{"type":"play","tap":N}`: answer for browser:epmd tap N.
        Play {
            /// The tap.
            tap: usize,
        },
        /// `{"type":"send","conn":C,"hex":"..."}`: bytes to the client.
        Send {
            /// The connection.
            conn: u64,
            /// The bytes.
            bytes: Vec<u8>,
        },
        /// `{"type":"close","conn":C}`: close the client's connection.
        Close {
            /// The connection.
            conn: u64,
        },
    }

    /// Strict hex: an even number of hex digits (either case), nothing else.
    pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
        let b = s.as_bytes();
        if !b.len().is_multiple_of(2) {
            return Err(format!("hex of odd length {}", b.len()));
        }
        let digit = |i: usize| -> Result<u8, String> {
            let c = b[i];
            match c {
                b'0'..=b'9' => Ok(c - b'0'),
                b'a'..=b'f' => Ok(c - b'a' + 10),
                b'A'..=b'F' => Ok(c - b'A' + 10),
                _ => Err(format!("not a hex digit at {i}: {:?}", c as char)),
            }
        };
        (0..b.len() / 2)
            .map(|i| Ok(digit(2 * i)? << 4 | digit(2 * i + 1)?))
            .collect()
    }

    /// Reads a page's command.
    pub fn parse_command(text: &str) -> Result<Command, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let ty = v.get("type").and_then(Value::as_str).ok_or("no \"type\"")?;
        let num = |k: &str| {
            v.get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("{ty}: no numeric \"{k}\""))
        };
        match ty {
            "play" => Ok(Command::Play {
                tap: usize::try_from(num("tap")?).map_err(|e| e.to_string())?,
            }),
            "send" => {
                let hex = v
                    .get("hex")
                    .and_then(Value::as_str)
                    .ok_or("send: no \"hex\" string")?;
                Ok(Command::Send {
                    conn: num("conn")?,
                    bytes: parse_hex(hex).map_err(|e| format!("send: {e}"))?,
                })
            }
            "close" => Ok(Command::Close { conn: num("conn")? }),
            other => Err(format!(
                "unknown command {other:?}: the commands are play, send and close"
            )),
        }
    }
}

use wire::From as Dir;

/// Mirror messages kept for a subscriber that falls behind.
const MIRROR_BACKLOG: usize = 8192;
/// One TCP read on a tap.
const CHUNK: usize = 16 * 1024;

/// A bound tap.
#[derive(Debug, Clone)]
pub struct Tap {
    /// Its index (the order of `--tap` options).
    pub index: usize,
    /// As configured.
    pub spec: TapSpec,
    /// The address it listens on (the port resolved when 0 was given).
    pub bound: SocketAddr,
}

/// What a page playing epmd tells a browser-played connection.
#[derive(Debug)]
enum PageCmd {
    Data(Vec<u8>),
    Close,
    /// The player went away.
    Gone,
}

struct Played {
    tap: usize,
    tx: mpsc::UnboundedSender<PageCmd>,
}

/// The mirror: taps, subscribers, open connections, players.
pub struct Hub {
    tx: broadcast::Sender<Arc<str>>,
    taps: OnceLock<Vec<Tap>>,
    /// `open` messages of the connections still open (for late subscribers).
    open: Mutex<BTreeMap<u64, serde_json::Value>>,
    /// browser:epmd tap index → the subscriber playing it.
    players: Mutex<HashMap<usize, u64>>,
    /// Open browser-played connections.
    played: Mutex<HashMap<u64, Played>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Hub {
    /// A hub with no taps and no subscribers.
    pub fn new() -> Hub {
        Hub {
            tx: broadcast::channel(MIRROR_BACKLOG).0,
            taps: OnceLock::new(),
            open: Mutex::new(BTreeMap::new()),
            players: Mutex::new(HashMap::new()),
            played: Mutex::new(HashMap::new()),
        }
    }

    /// The bound taps.
    pub fn taps(&self) -> &[Tap] {
        self.taps.get().map(Vec::as_slice).unwrap_or(&[])
    }

    fn publish(&self, msg: String) {
        // No subscriber is not an error: the bytes pass through anyway.
        let _ = self.tx.send(Arc::from(msg));
    }

    fn player_of(&self, tap: usize) -> Option<u64> {
        lock(&self.players).get(&tap).copied()
    }

    fn hello(&self, you: u64, epmd: SocketAddr) -> String {
        let taps = self
            .taps()
            .iter()
            .map(|t| {
                let upstream = match &t.spec.target {
                    TapTarget::Epmd => Some(epmd.to_string()),
                    _ => None,
                };
                wire::tap_info(
                    t.index,
                    &t.bound.to_string(),
                    &t.spec.target.to_string(),
                    upstream.as_deref(),
                )
            })
            .collect();
        let open = lock(&self.open).values().cloned().collect();
        let players = lock(&self.players)
            .iter()
            .map(|(tap, sub)| serde_json::json!({"tap": tap, "sub": sub}))
            .collect();
        wire::hello(you, taps, open, players)
    }

    /// A page's command; `Err` is the error message sent back to it.
    fn command(&self, sub: u64, text: &str) -> Result<(), String> {
        match wire::parse_command(text)? {
            wire::Command::Play { tap } => {
                let t = self
                    .taps()
                    .get(tap)
                    .ok_or_else(|| format!("play: no tap {tap}"))?;
                if t.spec.target != TapTarget::BrowserEpmd {
                    return Err(format!(
                        "play: tap {tap} forwards to {}; only a browser:epmd tap is played by a page",
                        t.spec.target
                    ));
                }
                lock(&self.players).insert(tap, sub);
                self.publish(wire::player(tap, Some(sub)));
                Ok(())
            }
            wire::Command::Send { conn, bytes } => self.to_played(sub, conn, PageCmd::Data(bytes)),
            wire::Command::Close { conn } => self.to_played(sub, conn, PageCmd::Close),
        }
    }

    fn to_played(&self, sub: u64, conn: u64, cmd: PageCmd) -> Result<(), String> {
        let played = lock(&self.played);
        let p = played
            .get(&conn)
            .ok_or_else(|| format!("no open browser:epmd connection {conn}"))?;
        if self.player_of(p.tap) != Some(sub) {
            return Err(format!(
                "connection {conn} is on tap {}, which this page does not play (send play first)",
                p.tap
            ));
        }
        p.tx.send(cmd)
            .map_err(|_| format!("connection {conn} is closing"))
    }

    /// A subscriber left: it plays nothing any more, and the connections it
    /// answered are closed.
    fn unsubscribe(&self, sub: u64) {
        let left: Vec<usize> = {
            let mut players = lock(&self.players);
            let taps: Vec<usize> = players
                .iter()
                .filter(|(_, s)| **s == sub)
                .map(|(t, _)| *t)
                .collect();
            for t in &taps {
                players.remove(t);
            }
            taps
        };
        for tap in left {
            self.publish(wire::player(tap, None));
            for p in lock(&self.played).values().filter(|p| p.tap == tap) {
                let _ = p.tx.send(PageCmd::Gone);
            }
        }
    }

    /// Serves one `/ws/tap` subscriber until it closes; returns (bytes
    /// received, bytes sent, the close, who closed).
    pub async fn subscribe(
        &self,
        bridge: &Bridge,
        mut ws: WebSocket,
        id: u64,
    ) -> (u64, u64, Close, By) {
        let mut rx = self.tx.subscribe();
        let (mut up, mut down) = (0u64, 0u64);
        let hello = self.hello(id, bridge.epmd);
        down += hello.len() as u64;
        let mut result = None;
        if ws.send(Message::Text(hello.into())).await.is_err() {
            result = Some((Close::new(1006, "the page went away"), By::Client, false));
        }
        let (close, by, send_close) = match result {
            Some(r) => r,
            None => loop {
                tokio::select! {
                    ev = rx.recv() => {
                        let msg: Arc<str> = match ev {
                            Ok(m) => m,
                            Err(broadcast::error::RecvError::Lagged(n)) => Arc::from(wire::lagged(n)),
                            Err(broadcast::error::RecvError::Closed) => {
                                break (Close::new(code::GOING_AWAY, "the bridge is shutting down"), By::Bridge, true);
                            }
                        };
                        down += msg.len() as u64;
                        if ws.send(Message::Text(msg.as_ref().into())).await.is_err() {
                            break (Close::new(1006, "the page went away"), By::Client, false);
                        }
                    }
                    m = ws.recv() => match m {
                        Some(Ok(Message::Text(t))) => {
                            up += t.len() as u64;
                            if let Err(e) = self.command(id, t.as_str()) {
                                let e = wire::error(&e);
                                down += e.len() as u64;
                                if ws.send(Message::Text(e.into())).await.is_err() {
                                    break (Close::new(1006, "the page went away"), By::Client, false);
                                }
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            break (
                                Close::new(code::UNSUPPORTED_DATA, "the tap protocol is JSON text messages (see bridge/README.md)"),
                                By::Bridge,
                                true,
                            );
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(f))) => {
                            let c = match f {
                                Some(f) => Close::new(f.code, f.reason.as_str()),
                                None => Close::new(1005, "no status"),
                            };
                            break (c, By::Client, false);
                        }
                        Some(Err(e)) => break (Close::new(1006, format!("websocket error: {e}")), By::Client, false),
                        None => break (Close::new(1006, "the page went away without a close frame"), By::Client, false),
                    }
                }
            },
        };
        self.unsubscribe(id);
        if send_close {
            crate::relay::close_ws(&mut ws, &close).await;
        } else {
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(_)) = ws.recv().await {}
            })
            .await;
        }
        (up, down, close, by)
    }
}

/// Binds every `--tap` and starts accepting; returns the text for the
/// start line.
pub async fn start_taps(bridge: &Arc<Bridge>) -> Result<String, String> {
    let mut taps = Vec::new();
    let mut listeners = Vec::new();
    for (index, spec) in bridge.args.taps.iter().enumerate() {
        let l = TcpListener::bind(spec.listen)
            .await
            .map_err(|e| format!("--tap {}={}: {e}", spec.listen, spec.target))?;
        let bound = l.local_addr().map_err(|e| e.to_string())?;
        taps.push(Tap {
            index,
            spec: spec.clone(),
            bound,
        });
        listeners.push(l);
    }
    let _ = bridge.hub.taps.set(taps.clone());
    for (tap, l) in taps.iter().cloned().zip(listeners) {
        let b = bridge.clone();
        tokio::spawn(accept_loop(b, tap, l));
    }
    Ok(taps
        .iter()
        .map(|t| {
            format!(
                ", tap #{} {}={} on {}",
                t.index, t.spec.listen, t.spec.target, t.bound
            )
        })
        .collect())
}

async fn accept_loop(bridge: Arc<Bridge>, tap: Tap, l: TcpListener) {
    loop {
        match l.accept().await {
            Ok((s, peer)) => {
                let _ = s.set_nodelay(true);
                let b = bridge.clone();
                let t = tap.clone();
                tokio::spawn(async move { tap_conn(b, t, s, peer).await });
            }
            Err(e) => {
                eprintln!("erldist-bridge: tap {} accept: {e}", tap.bound);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Byte counts and the end of one tap connection.
struct TapEnd {
    client_bytes: u64,
    server_bytes: u64,
    by: &'static str,
    reason: String,
}

async fn tap_conn(bridge: Arc<Bridge>, tap: Tap, client: TcpStream, peer: SocketAddr) {
    let id = bridge.next_id();
    let start = Instant::now();
    let hub = bridge.hub.clone();
    let target = tap.spec.target.to_string();
    let open = wire::open(
        id,
        tap.index,
        wire::now_us(),
        &peer.to_string(),
        &tap.bound.to_string(),
        &target,
    );
    lock(&hub.open).insert(id, open.clone());
    hub.publish(open.to_string());
    let mut upstream_addr = None;

    let end = match bridge.permit() {
        None => TapEnd {
            client_bytes: 0,
            server_bytes: 0,
            by: "bridge",
            reason: format!(
                "too many connections (--max-connections {})",
                bridge.args.max_connections
            ),
        },
        Some(_permit) => {
            let local = client.local_addr().map(|a| a.ip()).unwrap_or(peer.ip());
            let guard = (tap.spec.target == TapTarget::Epmd && !is_local_peer(peer.ip(), local))
                .then(EpmdGuard::new);
            match &tap.spec.target {
                TapTarget::BrowserEpmd => played(&hub, &tap, id, client).await,
                t => {
                    let within = bridge.args.connect();
                    let addr = match t {
                        TapTarget::Node(name) => lookup::node_addr(bridge.epmd, name, within).await,
                        _ => Ok(bridge.epmd),
                    };
                    let label = match t {
                        TapTarget::Node(name) => format!("node {name:?}"),
                        _ => "epmd".to_string(),
                    };
                    let server = match addr {
                        Ok(a) => {
                            upstream_addr = Some(a);
                            lookup::connect(a, within, &label).await
                        }
                        Err(c) => Err(c),
                    };
                    match server {
                        Ok(server) => {
                            if let Some(a) = upstream_addr {
                                hub.publish(wire::connected(id, wire::now_us(), &a.to_string()));
                            }
                            forward(&hub, id, client, server, guard, &label, peer).await
                        }
                        Err(c) => TapEnd {
                            client_bytes: 0,
                            server_bytes: 0,
                            by: "bridge",
                            reason: c.reason,
                        },
                    }
                }
            }
        }
    };
    lock(&hub.open).remove(&id);
    hub.publish(wire::close(
        id,
        wire::now_us(),
        end.by,
        &end.reason,
        end.client_bytes,
        end.server_bytes,
    ));
    ConnRecord {
        id,
        kind: "tap",
        endpoint: format!("{}={}", tap.bound, target),
        peer,
        origin: None,
        target: upstream_addr,
        up: end.client_bytes,
        down: end.server_bytes,
        duration: start.elapsed(),
        code: 0,
        by: end.by,
        reason: end.reason,
    }
    .emit();
}

/// How one direction of a forwarded connection ended.
enum DirEnd {
    /// EOF after this many bytes.
    Eof(u64),
    /// An error (or a refused request) after this many bytes.
    Failed(u64, &'static str, String),
}

/// Copies `from` → `to`, mirroring every chunk; on EOF shuts `to` down
/// (the half-close passed on).
async fn pump<R, W>(
    hub: &Hub,
    id: u64,
    dir: Dir,
    mut from: R,
    mut to: W,
    mut guard: Option<(EpmdGuard, SocketAddr)>,
    label: &str,
) -> DirEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; CHUNK];
    let mut n_total = 0u64;
    let (reader, writer) = match dir {
        Dir::Client => ("client", label),
        Dir::Server => (label, "client"),
    };
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => {
                hub.publish(wire::eof(id, wire::now_us(), dir));
                let _ = to.shutdown().await;
                return DirEnd::Eof(n_total);
            }
            Ok(n) => n,
            Err(e) => {
                let by = if dir == Dir::Client {
                    "client"
                } else {
                    "server"
                };
                return DirEnd::Failed(n_total, by, format!("{reader}: {}", io_why(&e)));
            }
        };
        let chunk = &buf[..n];
        if let Some((g, peer)) = guard.as_mut() {
            if let Err(v) = g.check(chunk) {
                return DirEnd::Failed(n_total, "bridge", v.close(peer.ip()).reason);
            }
        }
        // Forward first, then mirror: the mirror never delays the bytes.
        if let Err(e) = to.write_all(chunk).await {
            let by = if dir == Dir::Client {
                "server"
            } else {
                "client"
            };
            return DirEnd::Failed(n_total, by, format!("writing to {writer}: {}", io_why(&e)));
        }
        hub.publish(wire::data(id, wire::now_us(), dir, n_total, chunk));
        n_total += n as u64;
    }
}

/// A tap connection to a real target: both directions until both ended,
/// or one failed.
async fn forward(
    hub: &Hub,
    id: u64,
    client: TcpStream,
    server: TcpStream,
    guard: Option<EpmdGuard>,
    label: &str,
    peer: SocketAddr,
) -> TapEnd {
    let (crd, cwr) = client.into_split();
    let (srd, swr) = server.into_split();
    let up = pump(
        hub,
        id,
        Dir::Client,
        crd,
        swr,
        guard.map(|g| (g, peer)),
        label,
    );
    let down = pump(hub, id, Dir::Server, srd, cwr, None, label);
    tokio::pin!(up, down);
    let (mut u, mut d): (Option<u64>, Option<u64>) = (None, None);
    // Who closed first: that is who ended the conversation.
    let mut first: Option<&'static str> = None;
    loop {
        tokio::select! {
            r = &mut up, if u.is_none() => match r {
                DirEnd::Eof(n) => { u = Some(n); first.get_or_insert("client"); }
                DirEnd::Failed(n, by, why) => {
                    return TapEnd { client_bytes: n, server_bytes: d.unwrap_or(0), by, reason: why };
                }
            },
            r = &mut down, if d.is_none() => match r {
                DirEnd::Eof(n) => { d = Some(n); first.get_or_insert("server"); }
                DirEnd::Failed(n, by, why) => {
                    return TapEnd { client_bytes: u.unwrap_or(0), server_bytes: n, by, reason: why };
                }
            },
        }
        if let (Some(cu), Some(cd)) = (u, d) {
            let by = first.unwrap_or("client");
            let reason = if by == "server" {
                format!("{label} closed the connection")
            } else {
                "the client closed the connection".to_string()
            };
            return TapEnd {
                client_bytes: cu,
                server_bytes: cd,
                by,
                reason,
            };
        }
    }
}

/// A `browser:epmd` connection: the client's bytes go to the subscribers
/// (the player among them); the player's `send`/`close` come back.
async fn played(hub: &Arc<Hub>, tap: &Tap, id: u64, client: TcpStream) -> TapEnd {
    if hub.player_of(tap.index).is_none() {
        return TapEnd {
            client_bytes: 0,
            server_bytes: 0,
            by: "bridge",
            reason: close_reason(
                "no page plays epmd on this tap: open the Tap view and let it play epmd",
            ),
        };
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    lock(&hub.played).insert(id, Played { tap: tap.index, tx });
    let (mut crd, mut cwr) = client.into_split();
    let mut buf = vec![0u8; CHUNK];
    let (mut cb, mut sb) = (0u64, 0u64);
    let mut client_eof = false;
    let end = loop {
        tokio::select! {
            n = crd.read(&mut buf), if !client_eof => match n {
                Ok(0) => {
                    client_eof = true;
                    hub.publish(wire::eof(id, wire::now_us(), Dir::Client));
                }
                Ok(n) => {
                    hub.publish(wire::data(id, wire::now_us(), Dir::Client, cb, &buf[..n]));
                    cb += n as u64;
                }
                Err(e) => break ("client", format!("client: {}", io_why(&e))),
            },
            cmd = rx.recv() => match cmd {
                Some(PageCmd::Data(bytes)) => {
                    if let Err(e) = cwr.write_all(&bytes).await {
                        break ("client", format!("writing to client: {}", io_why(&e)));
                    }
                    hub.publish(wire::data(id, wire::now_us(), Dir::Server, sb, &bytes));
                    sb += bytes.len() as u64;
                }
                Some(PageCmd::Close) => {
                    let _ = cwr.shutdown().await;
                    break ("server", "the page playing epmd closed the connection".to_string());
                }
                Some(PageCmd::Gone) | None => {
                    break ("bridge", "the page playing epmd went away".to_string());
                }
            },
        }
    };
    lock(&hub.played).remove(&id);
    TapEnd {
        client_bytes: cb,
        server_bytes: sb,
        by: end.0,
        reason: end.1,
    }
}

#[cfg(test)]
mod tests {
    use super::wire::*;

    fn v(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn data_is_lowercase_hex_with_direction_offset_and_time() {
        let m = v(&data(
            7,
            1_700_000_000_000_001,
            From::Client,
            20,
            b"12\x00\xff\xab",
        ));
        assert_eq!(m["type"], "data");
        assert_eq!(m["conn"], 7);
        assert_eq!(m["t"], 1_700_000_000_000_001u64);
        assert_eq!(m["from"], "client");
        assert_eq!(m["offset"], 20);
        assert_eq!(m["len"], 5);
        assert_eq!(m["hex"], "313200ffab");
        assert_eq!(v(&eof(7, 1, From::Server))["from"], "server");
        let c = v(&close(7, 2, "server", "epmd closed the connection", 20, 0));
        assert_eq!(c["by"], "server");
        assert_eq!(c["client_bytes"], 20);
    }

    #[test]
    fn hello_lists_taps() {
        let h = v(&hello(
            3,
            vec![tap_info(
                0,
                "127.0.0.1:4370",
                "epmd",
                Some("127.0.0.1:4369"),
            )],
            vec![],
            vec![],
        ));
        assert_eq!(h["type"], "hello");
        assert_eq!(h["version"], VERSION);
        assert_eq!(h["you"], 3);
        assert_eq!(h["taps"][0]["target"], "epmd");
        assert_eq!(h["taps"][0]["upstream"], "127.0.0.1:4369");
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse_command(r#"{"type":"play","tap":2}"#),
            Ok(Command::Play { tap: 2 })
        );
        assert_eq!(
            parse_command(r#"{"type":"send","conn":9,"hex":"7600AbCd"}"#),
            Ok(Command::Send {
                conn: 9,
                bytes: vec![0x76, 0x00, 0xab, 0xcd]
            })
        );
        assert_eq!(
            parse_command(r#"{"type":"close","conn":9}"#),
            Ok(Command::Close { conn: 9 })
        );
        for bad in [
            "",
            "{}",
            "[1]",
            r#"{"type":"connect","host":"10.0.0.1","port":22}"#,
            r#"{"type":"send","conn":9,"hex":"760"}"#,
            r#"{"type":"send","conn":9,"hex":"76 00"}"#,
            r#"{"type":"send","conn":"9","hex":"7600"}"#,
            r#"{"type":"send","conn":9}"#,
            r#"{"type":"play","tap":-1}"#,
        ] {
            assert!(parse_command(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_hex(""), Ok(vec![]));
        assert!(parse_hex("0g").unwrap_err().contains("at 1"));
    }
}
