//! Tap mode's state, pure: the bridge's `/ws/tap` mirror messages in (the
//! protocol, version 1, is documented in `bridge/README.md`, section "Tap
//! mode"), the connections decoded and linted as sessions out, and, for a
//! tap whose target is `browser:epmd`, the page playing epmd with the
//! codec's sans-IO server ([`erldist_codec::epmd::server`]) and its own name
//! table.
//!
//! Every message, both ways, is one JSON object in one websocket text
//! message, bytes as lowercase hex, `t` in microseconds since the epoch:
//!
//! * bridge → page: `hello` (`version`, `you`, `taps`, `open`, `players`),
//!   `open` (`conn`, `tap`, `t`, `client`, `listen`, `target`), `connected`
//!   (`conn`, `t`, `upstream`), `data` (`conn`, `t`, `from`
//!   `client`|`server`, `offset`, `len`, `hex`), `eof` (`conn`, `t`,
//!   `from`), `close` (`conn`, `t`, `by` `client`|`server`|`bridge`,
//!   `reason`, `client_bytes`, `server_bytes`), `player` (`tap`, `sub`),
//!   `lagged` (`missed`), `error` (`message`);
//! * page → bridge: `play` (`tap`), `send` (`conn`, `hex`), `close`
//!   (`conn`).

use erldist_codec::conn::Side;
use erldist_codec::epmd::server::{Config, ConnId, EpmdServer, EventKind, Output};
use erldist_codec::export::{self, Lang};
use erldist_codec::input::conversation::{Chunk, Conversation};
use erldist_codec::lint::{self, Timeline};
use erldist_codec::report::decode_conversations;
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{decode_bytes, DecodeOptions, DirectionChoice, Frame, Report};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The mirror protocol version this page speaks.
pub const VERSION: u64 = 1;

/// One tap of the bridge (`--tap LISTEN=TARGET`), from `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TapInfo {
    /// Its index (the `tap` of `open` messages).
    pub tap: u32,
    /// `ip:port` it listens on.
    pub listen: String,
    /// `epmd`, `node:NAME` or `browser:epmd`.
    pub target: String,
    /// The epmd address of an `epmd` tap.
    #[serde(default)]
    pub upstream: Option<String>,
}

/// Who ended a connection (`close.by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// The program that connected to the tap.
    Client,
    /// epmd, the node, or the page playing epmd.
    Server,
    /// The bridge (the target could not be reached, nobody plays epmd, ...).
    Bridge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FromWire {
    Client,
    Server,
}

impl From<FromWire> for Side {
    fn from(f: FromWire) -> Side {
        match f {
            FromWire::Client => Side::Initiator,
            FromWire::Server => Side::Acceptor,
        }
    }
}

#[derive(Debug, Deserialize)]
struct OpenWire {
    conn: u64,
    tap: u32,
    t: u64,
    client: String,
    listen: String,
    target: String,
}

#[derive(Debug, Deserialize)]
struct PlayerWire {
    tap: u32,
    sub: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Wire {
    Hello {
        version: u64,
        you: u64,
        taps: Vec<TapInfo>,
        #[serde(default)]
        open: Vec<OpenWire>,
        #[serde(default)]
        players: Vec<PlayerWire>,
    },
    Open(OpenWire),
    Connected {
        conn: u64,
        t: u64,
        upstream: String,
    },
    Data {
        conn: u64,
        t: u64,
        from: FromWire,
        offset: u64,
        len: usize,
        hex: String,
    },
    Eof {
        conn: u64,
        t: u64,
        from: FromWire,
    },
    Close {
        conn: u64,
        t: u64,
        by: By,
        #[serde(default)]
        reason: String,
        #[serde(default)]
        client_bytes: u64,
        #[serde(default)]
        server_bytes: u64,
    },
    Player(PlayerWire),
    Lagged {
        missed: u64,
    },
    Error {
        message: String,
    },
}

/// One mirror message from the bridge. Times are the bridge's clock in
/// microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapMsg {
    /// The first message: the taps, the connections open now, who plays.
    Hello {
        /// Protocol version (1).
        version: u64,
        /// This subscriber's id.
        you: u64,
        /// The bridge's taps.
        taps: Vec<TapInfo>,
        /// `Open` messages of the connections open now.
        open: Vec<TapMsg>,
        /// (tap, subscriber playing it).
        players: Vec<(u32, Option<u64>)>,
    },
    /// A program connected to a tap.
    Open {
        /// Connection id.
        conn: u64,
        /// Tap index.
        tap: u32,
        /// µs.
        t: u64,
        /// The program's `ip:port`.
        client: String,
        /// The tap's `ip:port`.
        listen: String,
        /// `epmd`, `node:NAME`, `browser:epmd`.
        target: String,
    },
    /// The tap reached its target.
    Connected {
        /// Connection id.
        conn: u64,
        /// µs.
        t: u64,
        /// The target's `ip:port`.
        upstream: String,
    },
    /// One chunk as read, already forwarded.
    Data {
        /// Connection id.
        conn: u64,
        /// µs.
        t: u64,
        /// Initiator = the program (`client`), Acceptor = the target
        /// (`server`).
        side: Side,
        /// Offset of the first byte in that side's stream.
        offset: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// One side closed its sending half (FIN).
    Eof {
        /// Connection id.
        conn: u64,
        /// µs.
        t: u64,
        /// Which side.
        side: Side,
    },
    /// The connection is gone.
    Close {
        /// Connection id.
        conn: u64,
        /// µs.
        t: u64,
        /// Who ended it.
        by: By,
        /// The bridge's words.
        reason: String,
        /// Bytes from the program.
        client_bytes: u64,
        /// Bytes from the target.
        server_bytes: u64,
    },
    /// Who plays epmd for a `browser:epmd` tap now.
    Player {
        /// Tap index.
        tap: u32,
        /// Subscriber id, or none.
        sub: Option<u64>,
    },
    /// This page fell behind and missed that many messages.
    Lagged {
        /// How many.
        missed: u64,
    },
    /// A command of this page was not carried out.
    Error {
        /// Why.
        message: String,
    },
}

impl TapMsg {
    /// The connection a message is about.
    pub fn conn(&self) -> Option<u64> {
        match self {
            TapMsg::Open { conn, .. }
            | TapMsg::Connected { conn, .. }
            | TapMsg::Data { conn, .. }
            | TapMsg::Eof { conn, .. }
            | TapMsg::Close { conn, .. } => Some(*conn),
            _ => None,
        }
    }
}

fn open_msg(o: OpenWire) -> TapMsg {
    TapMsg::Open {
        conn: o.conn,
        tap: o.tap,
        t: o.t,
        client: o.client,
        listen: o.listen,
        target: o.target,
    }
}

/// Lowercase (or any case) hex, two digits a byte, nothing else.
fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", s.len()));
    }
    let digit = |i: usize, c: u8| {
        char::from(c)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("not a hex digit at {i}: {:?}", char::from(c)))
    };
    s.as_bytes()
        .chunks(2)
        .enumerate()
        .map(|(i, p)| match p {
            [a, b] => Ok(digit(2 * i, *a)? << 4 | digit(2 * i + 1, *b)?),
            _ => Err("odd number of hex digits".to_string()),
        })
        .collect()
}

/// Reads one mirror message (a websocket text message).
pub fn parse_message(s: &str) -> Result<TapMsg, String> {
    let w: Wire = serde_json::from_str(s).map_err(|e| format!("not a /ws/tap message: {e}"))?;
    Ok(match w {
        Wire::Hello {
            version,
            you,
            taps,
            open,
            players,
        } => {
            if version != VERSION {
                return Err(format!(
                    "the bridge speaks /ws/tap version {version}, this page version {VERSION}"
                ));
            }
            TapMsg::Hello {
                version,
                you,
                taps,
                open: open.into_iter().map(open_msg).collect(),
                players: players.into_iter().map(|p| (p.tap, p.sub)).collect(),
            }
        }
        Wire::Open(o) => open_msg(o),
        Wire::Connected { conn, t, upstream } => TapMsg::Connected { conn, t, upstream },
        Wire::Data {
            conn,
            t,
            from,
            offset,
            len,
            hex,
        } => {
            let bytes = unhex(&hex).map_err(|e| format!("data of connection {conn}: {e}"))?;
            if bytes.len() != len {
                return Err(format!(
                    "data of connection {conn}: len {len} but {} bytes of hex",
                    bytes.len()
                ));
            }
            TapMsg::Data {
                conn,
                t,
                side: from.into(),
                offset,
                bytes,
            }
        }
        Wire::Eof { conn, t, from } => TapMsg::Eof {
            conn,
            t,
            side: from.into(),
        },
        Wire::Close {
            conn,
            t,
            by,
            reason,
            client_bytes,
            server_bytes,
        } => TapMsg::Close {
            conn,
            t,
            by,
            reason,
            client_bytes,
            server_bytes,
        },
        Wire::Player(p) => TapMsg::Player {
            tap: p.tap,
            sub: p.sub,
        },
        Wire::Lagged { missed } => TapMsg::Lagged { missed },
        Wire::Error { message } => TapMsg::Error { message },
    })
}

/// `play`: this page answers as epmd for that `browser:epmd` tap.
pub fn play_message(tap: u32) -> String {
    serde_json::json!({"type": "play", "tap": tap}).to_string()
}

/// `send`: bytes for the program on a `browser:epmd` connection.
pub fn send_message(conn: u64, bytes: &[u8]) -> String {
    serde_json::json!({"type": "send", "conn": conn, "hex": erldist_codec::hex::encode(bytes)})
        .to_string()
}

/// `close`: close a `browser:epmd` connection (as epmd does after a reply).
pub fn close_message(conn: u64) -> String {
    serde_json::json!({"type": "close", "conn": conn}).to_string()
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// Who ended it.
    pub by: By,
    /// The bridge's reason.
    pub reason: String,
    /// µs.
    pub t: u64,
}

/// What the tap saw of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct TapConn {
    /// The bridge's id.
    pub id: u64,
    /// Tap index.
    pub tap: u32,
    /// The tap's listen address.
    pub listen: String,
    /// The program's address.
    pub client: String,
    /// The target (`epmd`, `node:NAME`, `browser:epmd`).
    pub target: String,
    /// The target's address, once connected.
    pub upstream: Option<String>,
    /// Opened at (µs).
    pub opened: u64,
    /// (side, bytes, µs), in order.
    pub chunks: Vec<(Side, Vec<u8>, u64)>,
    /// Half-closes (FIN) seen: (side, µs).
    pub eofs: Vec<(Side, u64)>,
    /// How it ended, once it has.
    pub ended: Option<Ended>,
    /// Bytes mirrored per side (the next expected `offset`).
    pub next_offset: [u64; 2],
    /// Gaps: the page joined late or lagged (the decode starts mid-stream).
    pub gaps: Vec<String>,
    /// The decode, recomputed when the connection changes.
    pub view: Rc<ConnView>,
}

/// One finding, shown under its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Lint id.
    pub id: &'static str,
    /// What is wrong.
    pub message: String,
    /// Byte offset in the sender's stream.
    pub byte: usize,
    /// The corrected bytes, hex.
    pub corrected: Option<String>,
    /// Code producing the corrected bytes, per language name.
    pub code: Vec<(&'static str, String)>,
}

/// One connection as the page shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnView {
    /// Bytes from the program.
    pub sent: usize,
    /// Bytes from the target.
    pub received: usize,
    /// `open`, `closed by epmd`, ...
    pub status: String,
    /// The decoded frames.
    pub frames: Vec<crate::model::FrameRc>,
    /// Findings per frame (same order as `frames`).
    pub findings: Vec<Vec<Finding>>,
    /// What epmd does with these bytes (its log messages, from the sans-IO
    /// server replaying the program's bytes), registration news, and how
    /// the connection ended.
    pub explain: Vec<String>,
}

fn ms(us: u64) -> u64 {
    us / 1000
}

fn secs(us: u64) -> u64 {
    us / 1_000_000
}

impl TapConn {
    fn new(id: u64) -> TapConn {
        TapConn {
            id,
            tap: 0,
            listen: String::new(),
            client: String::new(),
            target: String::new(),
            upstream: None,
            opened: 0,
            chunks: Vec::new(),
            eofs: Vec::new(),
            ended: None,
            next_offset: [0, 0],
            gaps: Vec::new(),
            view: Rc::default(),
        }
    }

    /// An `epmd` or `browser:epmd` tap.
    pub fn is_epmd(&self) -> bool {
        self.target == "epmd" || self.target == "browser:epmd"
    }

    /// What the server side is called in sentences.
    fn server_name(&self) -> String {
        match self.target.as_str() {
            "epmd" => "epmd".to_string(),
            "browser:epmd" => "this page (playing epmd)".to_string(),
            t => match t.strip_prefix("node:") {
                Some(n) => format!("the node {n:?}"),
                None => "the target".to_string(),
            },
        }
    }

    fn protocol(&self) -> ProtocolChoice {
        if self.is_epmd() {
            ProtocolChoice::Epmd
        } else if self.target.starts_with("node:") {
            ProtocolChoice::Dist
        } else {
            ProtocolChoice::Auto
        }
    }

    fn status(&self) -> String {
        match &self.ended {
            Some(e) => match e.by {
                By::Client => "closed by the program".to_string(),
                By::Server => format!("closed by {}", self.server_name()),
                By::Bridge => "closed by the bridge".to_string(),
            },
            None => {
                let half: Vec<&str> = self
                    .eofs
                    .iter()
                    .map(|(s, _)| match s {
                        Side::Initiator => "the program",
                        Side::Acceptor => "the server",
                    })
                    .collect();
                if half.is_empty() {
                    "open".to_string()
                } else {
                    format!("open, half-closed by {}", half.join(" and "))
                }
            }
        }
    }

    /// Re-decodes the connection.
    fn decode(&self, cookie: &str) -> ConnView {
        let conv = Conversation {
            label: format!("tap connection {}", self.id),
            initiator: Some(self.client.clone()),
            acceptor: self.upstream.clone(),
            acceptor_label: self.is_epmd().then(|| "epmd".to_string()),
            chunks: self
                .chunks
                .iter()
                .map(|(side, bytes, _)| Chunk {
                    side: *side,
                    bytes: bytes.clone(),
                    line: 0,
                })
                .collect(),
            line: 0,
        };
        let opts = DecodeOptions {
            protocol: self.protocol(),
            cookie: (!cookie.is_empty()).then(|| cookie.as_bytes().to_vec()),
            ..DecodeOptions::default()
        };
        let mut r: Report = decode_conversations(std::slice::from_ref(&conv), &opts);
        let server = self.server_name();
        for f in &mut r.frames {
            // The tap saw who sent each byte: no guess, no log line.
            f.direction_source = erldist_codec::report::Source::Given;
            f.direction_reason = match f.side {
                Side::Initiator => "the tap saw the program send it".to_string(),
                Side::Acceptor => format!("the tap saw {server} send it"),
            };
            f.line = None;
        }
        let mut t = Timeline::default();
        let mut ends = [0usize; 2];
        for (side, bytes, us) in &self.chunks {
            let i = usize::from(*side == Side::Acceptor);
            if let Some(e) = ends.get_mut(i) {
                *e += bytes.len();
                t.chunks.push((*side, *e, ms(*us)));
            }
        }
        t.closes = self.eofs.iter().map(|(s, us)| (*s, ms(*us))).collect();
        lint::connection(&mut r.frames, &t);
        let [sent, received] = ends;
        let findings = r
            .frames
            .iter()
            .map(|f| {
                f.lint
                    .iter()
                    .map(|l| finding(f, l, opts.protocol))
                    .collect()
            })
            .collect();
        let mut explain = self.gaps.clone();
        if self.is_epmd() {
            explain.extend(epmd_explain(self));
        }
        explain.extend(registration_news(&r.frames, self));
        if let Some(e) = &self.ended {
            explain.push(format!(
                "connection ended: {} ({sent} bytes from the program, {received} from {})",
                e.reason,
                self.server_name()
            ));
        }
        ConnView {
            sent,
            received,
            status: self.status(),
            frames: r
                .frames
                .into_iter()
                .map(crate::model::FrameRc::new)
                .collect(),
            findings,
            explain,
        }
    }
}

fn finding(f: &Frame, l: &erldist_codec::lint::Lint, protocol: ProtocolChoice) -> Finding {
    let code = l
        .corrected
        .as_deref()
        .map(|bytes| {
            let r = decode_bytes(
                bytes,
                &DecodeOptions {
                    direction: match f.side {
                        Side::Initiator => DirectionChoice::Request,
                        Side::Acceptor => DirectionChoice::Reply,
                    },
                    protocol,
                    ..DecodeOptions::default()
                },
            );
            let opts = export::ExportOptions::default();
            [
                Lang::Js,
                Lang::Python,
                Lang::Erlang,
                Lang::Go,
                Lang::C,
                Lang::Rust,
            ]
            .into_iter()
            .map(|lang| {
                let code = match r.frames.first() {
                    Some(fr) if r.frames.len() == 1 && fr.bytes == bytes => {
                        export::export_frame(fr, lang, &opts)
                    }
                    _ => export::export(bytes, &[], 0, lang, &opts),
                };
                (lang.label(), code)
            })
            .collect()
        })
        .unwrap_or_default();
    Finding {
        id: l.id,
        message: l.message.clone(),
        byte: l.offset,
        corrected: l.corrected.as_deref().map(erldist_codec::hex::spaced),
        code,
    }
}

/// epmd's verdict on the program's bytes: they replayed, read by read,
/// through a fresh sans-IO epmd; its refusals and closes as sentences.
fn epmd_explain(c: &TapConn) -> Vec<String> {
    let mut s = EpmdServer::new(Config::default());
    let id = s.open(true, secs(c.opened));
    let client_fin = c.eofs.iter().find(|(side, _)| *side == Side::Initiator);
    let server_fin = c.eofs.iter().find(|(side, _)| *side == Side::Acceptor);
    for (side, bytes, t) in &c.chunks {
        if *side == Side::Initiator {
            s.receive(id, bytes, secs(*t));
        }
    }
    // The program's FIN reached epmd before epmd closed.
    if let Some((_, cf)) = client_fin {
        if server_fin.is_none_or(|(_, sf)| cf < sf) {
            s.peer_closed(id);
        }
    }
    let mut out = Vec::new();
    let mut refused = false;
    while let Some(e) = s.poll_event() {
        match e.kind {
            EventKind::Refused => {
                refused = true;
                out.push(format!("epmd logs \"{}\"", e.message.trim_end()));
            }
            EventKind::Closed if refused => out.push(format!(
                "and epmd closes the connection without a reply{}: the program's write succeeded, but nothing comes back",
                if server_fin.is_some() || c.ended.as_ref().is_some_and(|e| e.by == By::Server) {
                    " (it did: the tap saw epmd close its side)"
                } else {
                    ""
                }
            )),
            _ => {}
        }
    }
    out
}

fn field_text(f: &Frame, k: &str) -> String {
    f.fields
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| match v {
            erldist_codec::Value::Text(s) => s.clone(),
            erldist_codec::Value::UInt(n) => n.to_string(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default()
}

/// Registered / unregistered, from the replies and the closes.
fn registration_news(frames: &[Frame], c: &TapConn) -> Vec<String> {
    let mut out = Vec::new();
    let Some(req) = frames
        .iter()
        .find(|f| f.type_name == "ALIVE2_REQ" && f.status.is_complete())
    else {
        return out;
    };
    let name = field_text(req, "name");
    let Some(reply) = frames
        .iter()
        .find(|f| matches!(f.type_name, "ALIVE2_X_RESP" | "ALIVE2_RESP"))
    else {
        return out;
    };
    if field_text(reply, "result") != "0" {
        out.push(format!(
            "epmd refused to register \"{name}\" (result {}): the name is taken, or not valid",
            field_text(reply, "result")
        ));
        return out;
    }
    out.push(format!(
        "registered \"{name}\" on port {} with creation {}: it is in `epmd -names` while this connection stays open",
        field_text(req, "port"),
        field_text(reply, "creation")
    ));
    let first_fin = c.eofs.first().map(|(s, _)| *s);
    match (first_fin, c.ended.as_ref().map(|e| e.by)) {
        (Some(Side::Initiator), _) | (None, Some(By::Client)) => out.push(format!(
            "the program closed the connection: epmd unregistered \"{name}\" at once (a registration lives as long as its socket), it is no longer in `epmd -names`"
        )),
        (Some(Side::Acceptor), _) | (None, Some(By::Server)) => out.push(format!(
            "epmd closed the connection: \"{name}\" is unregistered"
        )),
        (None, Some(By::Bridge)) => out.push(format!(
            "the bridge ended the connection: \"{name}\" is unregistered"
        )),
        (None, None) => {}
    }
    out
}

/// The page's epmd for one `browser:epmd` tap: the sans-IO server and which
/// bridge connection is which server connection.
#[derive(Debug)]
pub struct PlayedEpmd {
    /// The server (NAMES_RESP says the tap's port).
    pub server: EpmdServer,
    ids: BTreeMap<u64, ConnId>,
    /// epmd's log, newest last.
    pub log: Vec<String>,
}

impl PlayedEpmd {
    /// An epmd with an empty table that says it listens on `port`.
    pub fn new(port: u16) -> PlayedEpmd {
        PlayedEpmd {
            server: EpmdServer::new(Config {
                port,
                ..Config::default()
            }),
            ids: BTreeMap::new(),
            log: Vec::new(),
        }
    }

    /// Feeds one mirror message about a connection of this tap; returns the
    /// messages to send to the bridge.
    pub fn handle(&mut self, msg: &TapMsg) -> Vec<String> {
        match msg {
            TapMsg::Open {
                conn, client, t, ..
            } => {
                let id = self.server.open(is_local(client), secs(*t));
                self.ids.insert(*conn, id);
            }
            TapMsg::Data {
                conn,
                side: Side::Initiator,
                t,
                bytes,
                ..
            } => {
                if let Some(id) = self.ids.get(conn).copied() {
                    self.server.tick(secs(*t));
                    self.server.receive(id, bytes, secs(*t));
                }
            }
            TapMsg::Eof {
                conn,
                side: Side::Initiator,
                ..
            } => {
                if let Some(id) = self.ids.get(conn).copied() {
                    self.server.peer_closed(id);
                }
            }
            TapMsg::Close { conn, .. } => {
                // Gone: nothing can be sent on it any more.
                if let Some(id) = self.ids.remove(conn) {
                    self.server.peer_closed(id);
                }
            }
            _ => {}
        }
        while let Some(e) = self.server.poll_event() {
            self.log.push(e.message);
        }
        let mut out = Vec::new();
        while let Some(o) = self.server.poll_output() {
            let bridge_id = |c: ConnId| self.ids.iter().find(|(_, v)| **v == c).map(|(k, _)| *k);
            match o {
                Output::Send { conn, bytes } => {
                    if let Some(b) = bridge_id(conn) {
                        out.push(send_message(b, &bytes));
                    }
                }
                Output::Close { conn } => {
                    if let Some(b) = bridge_id(conn) {
                        out.push(close_message(b));
                        self.ids.remove(&b);
                    }
                }
                Output::Exit => self.log.push("epmd exited (KILL_REQ)".into()),
            }
        }
        out
    }

    /// The name table: (name, port, creation), newest first.
    pub fn names(&self) -> Vec<(String, u16, u32)> {
        self.server
            .registered()
            .map(|r| (r.name_lossy(), r.port, r.creation()))
            .collect()
    }
}

fn is_local(peer: &str) -> bool {
    let host = peer
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(peer)
        .trim_matches(['[', ']']);
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit(':').next()?.parse().ok()
}

/// Everything the Tap view holds.
#[derive(Debug, Default)]
pub struct TapState {
    /// This subscriber's id (from `hello`).
    pub you: Option<u64>,
    /// The bridge's taps (from `hello`).
    pub taps: Vec<TapInfo>,
    /// Who plays each `browser:epmd` tap.
    pub players: BTreeMap<u32, Option<u64>>,
    /// The page's epmd per `browser:epmd` tap it plays.
    pub played: BTreeMap<u32, PlayedEpmd>,
    /// Connections, oldest first.
    pub conns: Vec<TapConn>,
    /// Connection messages held while paused.
    pub held: Vec<TapMsg>,
    /// Paused: new connection messages are held, not shown.
    pub paused: bool,
    /// Connections cleared from the view (their later messages are dropped).
    pub cleared: BTreeSet<u64>,
    /// The cookie typed in, for digest checks.
    pub cookie: String,
    /// What the bridge said went wrong, messages that could not be read,
    /// lag.
    pub errors: Vec<String>,
}

impl TapState {
    /// This page plays epmd for `tap` now.
    pub fn plays(&self, tap: u32) -> bool {
        self.you.is_some() && self.players.get(&tap).copied().flatten() == self.you
    }

    /// The `browser:epmd` taps.
    pub fn browser_taps(&self) -> impl Iterator<Item = &TapInfo> {
        self.taps.iter().filter(|t| t.target == "browser:epmd")
    }

    /// Ask to play epmd for `tap` (the latest `play` wins).
    pub fn play(&mut self, tap: u32) -> Vec<String> {
        let port = self
            .taps
            .iter()
            .find(|t| t.tap == tap)
            .and_then(|t| port_of(&t.listen))
            .unwrap_or(erldist_codec::epmd::DEFAULT_PORT);
        self.played
            .entry(tap)
            .or_insert_with(|| PlayedEpmd::new(port));
        vec![play_message(tap)]
    }

    /// A mirror message (websocket text): shown (or held while paused);
    /// returns what to send back to the bridge (`play` after `hello`, the
    /// browser-played epmd's answers, which go out even while paused).
    pub fn receive(&mut self, text: &str) -> Vec<String> {
        let msg = match parse_message(text) {
            Ok(m) => m,
            Err(e) => {
                self.errors.push(format!(
                    "{e}: {}",
                    text.chars().take(120).collect::<String>()
                ));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        match &msg {
            TapMsg::Hello {
                you,
                taps,
                open,
                players,
                ..
            } => {
                self.you = Some(*you);
                self.taps = taps.clone();
                self.players = players.iter().copied().collect();
                let browser: Vec<u32> = self.browser_taps().map(|t| t.tap).collect();
                for tap in browser {
                    // Someone else plays it already: leave it to them.
                    if self.players.get(&tap).copied().flatten().is_none() {
                        out.extend(self.play(tap));
                    }
                }
                for o in open.clone() {
                    self.show(o);
                }
                return out;
            }
            TapMsg::Player { tap, sub } => {
                self.players.insert(*tap, *sub);
                return out;
            }
            TapMsg::Lagged { missed } => {
                self.errors.push(format!(
                    "this page fell behind and missed {missed} mirror messages (the program's bytes were not delayed)"
                ));
                return out;
            }
            TapMsg::Error { message } => {
                self.errors.push(format!("the bridge: {message}"));
                return out;
            }
            _ => {}
        }
        if let Some(tap) = self.tap_of(&msg) {
            if self.plays(tap) {
                if let Some(p) = self.played.get_mut(&tap) {
                    out.extend(p.handle(&msg));
                }
            }
        }
        self.show(msg);
        out
    }

    /// The tap of a connection message.
    fn tap_of(&self, msg: &TapMsg) -> Option<u32> {
        if let TapMsg::Open { tap, .. } = msg {
            return Some(*tap);
        }
        let conn = msg.conn()?;
        self.conns
            .iter()
            .find(|c| c.id == conn)
            .map(|c| c.tap)
            .or_else(|| {
                self.held.iter().find_map(|m| match m {
                    TapMsg::Open { conn: c, tap, .. } if *c == conn => Some(*tap),
                    _ => None,
                })
            })
    }

    fn show(&mut self, msg: TapMsg) {
        if self.paused {
            self.held.push(msg);
        } else {
            self.apply(msg);
        }
    }

    fn apply(&mut self, msg: TapMsg) {
        let Some(id) = msg.conn() else {
            return;
        };
        if self.cleared.contains(&id) {
            return;
        }
        let pos = match self.conns.iter().position(|c| c.id == id) {
            Some(p) => p,
            None => {
                self.conns.push(TapConn::new(id));
                self.conns.len() - 1
            }
        };
        let cookie = self.cookie.clone();
        let Some(c) = self.conns.get_mut(pos) else {
            return;
        };
        match msg {
            TapMsg::Open {
                tap,
                t,
                client,
                listen,
                target,
                ..
            } => {
                c.tap = tap;
                c.opened = t;
                c.client = client;
                c.listen = listen;
                c.target = target;
            }
            TapMsg::Connected { upstream, .. } => c.upstream = Some(upstream),
            TapMsg::Data {
                side,
                t,
                offset,
                bytes,
                ..
            } => {
                let i = usize::from(side == Side::Acceptor);
                if let Some(next) = c.next_offset.get_mut(i) {
                    if offset != *next {
                        c.gaps.push(format!(
                            "{} bytes from {} were not seen by this page (it joined late or fell behind): the decode starts mid-stream",
                            offset.saturating_sub(*next),
                            if side == Side::Initiator { "the program" } else { "the server" }
                        ));
                    }
                    *next = offset.saturating_add(bytes.len() as u64);
                }
                if !bytes.is_empty() {
                    c.chunks.push((side, bytes, t));
                }
            }
            TapMsg::Eof { side, t, .. } => c.eofs.push((side, t)),
            TapMsg::Close { by, reason, t, .. } => {
                c.ended = Some(Ended { by, reason, t });
            }
            _ => {}
        }
        c.view = Rc::new(c.decode(&cookie));
    }

    /// Pause or resume (resuming shows what was held).
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        if !paused {
            for m in std::mem::take(&mut self.held) {
                self.apply(m);
            }
        }
    }

    /// Forget every connection shown (and what was held); later messages
    /// of those connections are dropped.
    pub fn clear(&mut self) {
        self.cleared.extend(self.conns.iter().map(|c| c.id));
        self.cleared
            .extend(self.held.iter().filter_map(TapMsg::conn));
        self.conns.clear();
        self.held.clear();
        self.errors.clear();
    }

    /// A new cookie: every connection re-decoded (digest checks).
    pub fn set_cookie(&mut self, cookie: &str) {
        self.cookie = cookie.to_string();
        for c in &mut self.conns {
            c.view = Rc::new(c.decode(cookie));
        }
    }

    /// Every connection as a pcapng capture (synthetic TCP, one packet per
    /// chunk in arrival order).
    pub fn pcapng(&self) -> Result<Vec<u8>, String> {
        use erldist_codec::export::pcapng::{
            write_conversations, Payload, PcapngOptions, TcpConversation,
        };
        let convs: Vec<TcpConversation> = self
            .conns
            .iter()
            .enumerate()
            .map(|(i, c)| TcpConversation {
                client_port: port_of(&c.client)
                    .unwrap_or(50000u16.saturating_add(u16::try_from(i).unwrap_or(0))),
                server_port: c
                    .upstream
                    .as_deref()
                    .and_then(port_of)
                    .or_else(|| port_of(&c.listen))
                    .unwrap_or(erldist_codec::epmd::DEFAULT_PORT),
            })
            .collect();
        let mut all: Vec<(u64, usize, Side, &[u8])> = Vec::new();
        for (i, c) in self.conns.iter().enumerate() {
            for (side, bytes, t) in &c.chunks {
                all.push((*t, i, *side, bytes));
            }
        }
        all.sort_by_key(|(t, ..)| *t);
        let payloads: Vec<Payload<'_>> = all
            .iter()
            .map(|(_, i, side, bytes)| Payload {
                conversation: *i,
                side: *side,
                bytes,
                comment: None,
            })
            .collect();
        let start = all.first().map(|(t, ..)| *t).unwrap_or(0);
        let opts = PcapngOptions {
            start_ns: start.saturating_mul(1000),
            ..PcapngOptions::default()
        };
        write_conversations(&convs, &payloads, &opts).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Messages as the bridge sends them (bridge/README.md, "Tap mode", and
    // bridge/src/tap.rs `wire`): the forum snippet through
    // `--tap 127.0.0.1:4370=epmd`, verbatim from the README.
    const SNIPPET: [&str; 6] = [
        r#"{"type":"open","conn":2,"tap":0,"t":1795552153856376,"client":"127.0.0.1:48288","listen":"127.0.0.1:4370","target":"epmd"}"#,
        r#"{"type":"connected","conn":2,"t":1795552153860323,"upstream":"127.0.0.1:4369"}"#,
        r#"{"type":"data","conn":2,"t":1795552153860436,"from":"client","offset":0,"len":20,"hex":"31323039353036373730353536636c69656e7430"}"#,
        r#"{"type":"eof","conn":2,"t":1795552153860834,"from":"server"}"#,
        r#"{"type":"eof","conn":2,"t":1795552153864220,"from":"client"}"#,
        r#"{"type":"close","conn":2,"t":1795552153864330,"by":"server","reason":"epmd closed the connection","client_bytes":20,"server_bytes":0}"#,
    ];

    const HELLO: &str = r#"{"type":"hello","version":1,"you":3,"taps":[{"tap":0,"listen":"127.0.0.1:4370","target":"epmd","upstream":"127.0.0.1:4369"},{"tap":1,"listen":"127.0.0.1:4371","target":"node:foo","upstream":null},{"tap":2,"listen":"127.0.0.1:4372","target":"browser:epmd","upstream":null}],"open":[],"players":[{"tap":2,"sub":null}]}"#;

    fn open(conn: u64, tap: u32, target: &str, t: u64) -> String {
        serde_json::json!({"type": "open", "conn": conn, "tap": tap, "t": t,
            "client": format!("127.0.0.1:{}", 40000 + conn), "listen": "127.0.0.1:4372", "target": target})
        .to_string()
    }

    fn data(conn: u64, from: &str, offset: u64, hex: &str, t: u64) -> String {
        serde_json::json!({"type": "data", "conn": conn, "t": t, "from": from,
            "offset": offset, "len": hex.len() / 2, "hex": hex})
        .to_string()
    }

    fn eof(conn: u64, from: &str, t: u64) -> String {
        serde_json::json!({"type": "eof", "conn": conn, "t": t, "from": from}).to_string()
    }

    fn close(conn: u64, by: &str, reason: &str, t: u64) -> String {
        serde_json::json!({"type": "close", "conn": conn, "t": t, "by": by, "reason": reason,
            "client_bytes": 0, "server_bytes": 0})
        .to_string()
    }

    /// ALIVE2_REQ for "nodeclient" on port 43210, versions 6 / 5, as the
    /// bridge's corrected Node.js client writes it.
    const REG: &str = "0017 78 a8ca 4d 00 0006 0005 000a 6e6f6465636c69656e74 0000";

    fn reg() -> String {
        REG.replace(' ', "")
    }

    fn ids(c: &TapConn) -> Vec<&'static str> {
        c.view.findings.iter().flatten().map(|f| f.id).collect()
    }

    #[test]
    fn reads_every_bridge_message() {
        for m in SNIPPET {
            parse_message(m).unwrap();
        }
        match parse_message(HELLO).unwrap() {
            TapMsg::Hello {
                version,
                you,
                taps,
                players,
                ..
            } => {
                assert_eq!((version, you), (1, 3));
                assert_eq!(taps.len(), 3);
                assert_eq!(taps[0].upstream.as_deref(), Some("127.0.0.1:4369"));
                assert_eq!(taps[1].target, "node:foo");
                assert_eq!(players, vec![(2, None)]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_message(r#"{"type":"player","tap":2,"sub":7}"#).unwrap(),
            TapMsg::Player {
                tap: 2,
                sub: Some(7)
            }
        );
        assert_eq!(
            parse_message(r#"{"type":"lagged","missed":12}"#).unwrap(),
            TapMsg::Lagged { missed: 12 }
        );
        assert_eq!(
            parse_message(r#"{"type":"error","message":"send: subscriber 4 does not play tap 0"}"#)
                .unwrap(),
            TapMsg::Error {
                message: "send: subscriber 4 does not play tap 0".into()
            }
        );
        match parse_message(SNIPPET[2]).unwrap() {
            TapMsg::Data {
                side,
                offset,
                bytes,
                t,
                ..
            } => {
                assert_eq!(side, Side::Initiator);
                assert_eq!(offset, 0);
                assert_eq!(bytes, b"1209506770556client0");
                assert_eq!(t, 1795552153860436);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_what_the_bridge_does_not_send() {
        let bad = [
            (
                r#"{"type":"hello","version":2,"you":1,"taps":[],"open":[],"players":[]}"#,
                "version 2",
            ),
            (
                r#"{"type":"data","conn":1,"t":0,"from":"client","offset":0,"len":2,"hex":"0g00"}"#,
                "not a hex digit at 1",
            ),
            (
                r#"{"type":"data","conn":1,"t":0,"from":"client","offset":0,"len":3,"hex":"0000"}"#,
                "len 3 but 2 bytes",
            ),
            (
                r#"{"type":"data","conn":1,"t":0,"from":"c2s","offset":0,"len":1,"hex":"00"}"#,
                "unknown variant `c2s`",
            ),
            (r#"{"event":"open","conn":1}"#, "missing field `type`"),
            (
                r#"{"type":"close","conn":1,"t":0,"by":"nobody"}"#,
                "unknown variant `nobody`",
            ),
        ];
        for (m, want) in bad {
            let e = parse_message(m).unwrap_err();
            assert!(e.contains(want), "{m}: {e}");
        }
        let mut s = TapState::default();
        assert!(s.receive("not json").is_empty());
        assert_eq!(s.errors.len(), 1);
    }

    #[test]
    fn the_forum_snippet() {
        let mut s = TapState::default();
        for m in SNIPPET {
            assert!(s.receive(m).is_empty());
        }
        let c = &s.conns[0];
        assert_eq!((c.id, c.tap), (2, 0));
        assert_eq!(c.upstream.as_deref(), Some("127.0.0.1:4369"));
        assert_eq!(c.view.sent, 20);
        assert_eq!(c.view.received, 0);
        assert_eq!(c.view.status, "closed by epmd");
        assert!(ids(c).contains(&"ascii-decimal"), "{:?}", c.view.findings);
        let f = c
            .view
            .findings
            .iter()
            .flatten()
            .find(|f| f.id == "ascii-decimal")
            .unwrap();
        assert_eq!(f.byte, 0);
        // What the digits meant: ALIVE2_REQ of "client", port 9506, with the
        // length prefix it lacked.
        assert!(
            f.corrected
                .as_deref()
                .unwrap()
                .starts_with("00 13 78 25 22 4d 00 00 05 00 05 00 06 63 6c 69 65 6e 74"),
            "{:?}",
            f.corrected
        );
        assert!(f
            .code
            .iter()
            .any(|(l, code)| l.contains("Node") && code.contains("Buffer")));
        let explain = c.view.explain.join("\n");
        assert!(explain.contains("invalid packet size (12594)"), "{explain}");
        assert!(
            explain.contains("epmd closes the connection without a reply (it did"),
            "{explain}"
        );
        assert!(
            explain.contains(
                "connection ended: epmd closed the connection (20 bytes from the program, 0 from epmd)"
            ),
            "{explain}"
        );
    }

    #[test]
    fn registration_then_the_program_closes() {
        let mut s = TapState::default();
        s.receive(&open(5, 0, "epmd", 1_000_000));
        s.receive(r#"{"type":"connected","conn":5,"t":1000100,"upstream":"127.0.0.1:4369"}"#);
        s.receive(&data(5, "client", 0, &reg(), 1_000_200));
        assert_eq!(s.conns[0].view.status, "open");
        assert!(s.conns[0].view.explain.is_empty());
        s.receive(&data(5, "server", 0, "760000000005", 1_000_300));
        let c = &s.conns[0];
        assert!(ids(c).is_empty(), "{:?}", c.view.findings);
        assert!(
            c.view.explain[0].contains("registered \"nodeclient\" on port 43210 with creation 5"),
            "{:?}",
            c.view.explain
        );
        // Five seconds later, the program closes its socket.
        s.receive(&eof(5, "client", 6_000_000));
        assert_eq!(s.conns[0].view.status, "open, half-closed by the program");
        s.receive(&eof(5, "server", 6_000_400));
        s.receive(&close(
            5,
            "client",
            "the client closed the connection",
            6_000_500,
        ));
        let c = &s.conns[0];
        assert_eq!(c.view.status, "closed by the program");
        assert!(
            c.view
                .explain
                .iter()
                .any(|e| e.contains("epmd unregistered \"nodeclient\" at once")),
            "{:?}",
            c.view.explain
        );
        // Not "right after": no finding.
        assert!(ids(c).is_empty(), "{:?}", ids(c));
    }

    #[test]
    fn closed_right_after_alive2() {
        let mut s = TapState::default();
        s.receive(&open(6, 0, "epmd", 1_000_000));
        s.receive(&data(6, "client", 0, &reg(), 1_000_200));
        s.receive(&eof(6, "client", 1_000_300));
        s.receive(&eof(6, "server", 1_000_400));
        s.receive(&close(
            6,
            "client",
            "the client closed the connection",
            1_000_500,
        ));
        let c = &s.conns[0];
        assert_eq!(ids(c), ["closed-after-alive2"]);
        assert!(c.view.findings[0][0]
            .message
            .contains("0 ms after its ALIVE2_REQ, before epmd's reply"));
        assert!(!c
            .view
            .explain
            .join("\n")
            .contains("got partial packet only"));
    }

    #[test]
    fn bytes_after_alive2_in_a_later_chunk() {
        let mut s = TapState::default();
        s.receive(&open(7, 0, "epmd", 1_000_000));
        s.receive(&data(7, "client", 0, &reg(), 1_000_200));
        s.receive(&data(7, "server", 0, "760000000005", 1_000_300));
        s.receive(&data(7, "client", 27, "00016e", 1_500_000));
        let c = &s.conns[0];
        assert!(ids(c).contains(&"bytes-after-alive2"), "{:?}", ids(c));
        assert!(c
            .view
            .explain
            .join("\n")
            .contains("got more than expected on ALIVE socket"));
    }

    #[test]
    fn hello_plays_every_browser_tap_nobody_plays() {
        let mut s = TapState::default();
        let out = s.receive(HELLO);
        assert_eq!(out, vec![r#"{"tap":2,"type":"play"}"#.to_string()]);
        assert!(!s.plays(2), "not before the bridge says so");
        s.receive(r#"{"type":"player","tap":2,"sub":3}"#);
        assert!(s.plays(2));
        // Someone else plays already: the page leaves it to them.
        let mut other = TapState::default();
        let out = other.receive(&HELLO.replace(r#""sub":null"#, r#""sub":9"#));
        assert!(out.is_empty(), "{out:?}");
        assert!(!other.plays(2));
        assert_eq!(other.play(2), vec![play_message(2)]);
    }

    #[test]
    fn browser_epmd_plays_epmd() {
        let mut s = TapState::default();
        s.receive(HELLO);
        s.receive(r#"{"type":"player","tap":2,"sub":3}"#);
        // The program registers.
        assert!(s.receive(&open(8, 2, "browser:epmd", 5_000_000)).is_empty());
        let out = s.receive(&data(8, "client", 0, &reg(), 5_000_100));
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with(r#"{"conn":8,"hex":"7600"#), "{out:?}");
        assert!(out[0].ends_with(r#","type":"send"}"#), "{out:?}");
        assert_eq!(s.played[&2].names()[0].0, "nodeclient");
        assert_eq!(s.played[&2].names()[0].1, 43210);
        // The bridge mirrors the page's answer back as data from the server.
        s.receive(&data(8, "server", 0, "760000000005", 5_000_200));
        // `epmd -port 4372 -names`: the tap's port, then one line per node,
        // then epmd closes.
        s.receive(&open(9, 2, "browser:epmd", 5_001_000));
        let out = s.receive(&data(9, "client", 0, "00016e", 5_001_100));
        let mut want = 4372u32.to_be_bytes().to_vec();
        want.extend_from_slice(b"name nodeclient at port 43210\n");
        assert_eq!(out, vec![send_message(9, &want), close_message(9)]);
        // Paused: answered all the same, shown later.
        s.set_paused(true);
        s.receive(&eof(8, "client", 6_000_000));
        assert!(s.played[&2].names().is_empty(), "unregistered on the FIN");
        assert_eq!(s.held.len(), 1);
        s.set_paused(false);
        let c = s.conns.iter().find(|c| c.id == 8).unwrap();
        assert_eq!(c.view.status, "open, half-closed by the program");
        assert!(
            s.played[&2].log.iter().any(|l| l.contains("ALIVE2_REQ")),
            "{:?}",
            s.played[&2].log
        );
    }

    #[test]
    fn a_page_that_does_not_play_does_not_answer() {
        let mut s = TapState::default();
        s.receive(&HELLO.replace(r#""sub":null"#, r#""sub":9"#));
        s.receive(&open(8, 2, "browser:epmd", 5_000_000));
        assert!(s
            .receive(&data(8, "client", 0, "00016e", 5_000_100))
            .is_empty());
        assert_eq!(s.conns[0].view.frames.len(), 1);
        assert_eq!(s.conns[0].view.frames[0].type_name, "NAMES_REQ");
    }

    #[test]
    fn joining_late_says_the_decode_starts_mid_stream() {
        let mut s = TapState::default();
        let hello = HELLO.replace(
            r#""open":[]"#,
            &format!(r#""open":[{}]"#, open(11, 1, "node:foo", 1_000_000)),
        );
        s.receive(&hello);
        assert_eq!(s.conns[0].target, "node:foo");
        s.receive(&data(11, "server", 600, "00000000", 2_000_000));
        assert!(s.conns[0].view.explain[0].contains("600 bytes from the server were not seen"));
    }

    #[test]
    fn clear_drops_the_rest_of_cleared_connections() {
        let mut s = TapState::default();
        for m in &SNIPPET[..3] {
            s.receive(m);
        }
        s.clear();
        for m in &SNIPPET[3..] {
            s.receive(m);
        }
        assert!(s.conns.is_empty());
    }

    #[test]
    fn pcapng_export() {
        let mut s = TapState::default();
        for m in SNIPPET {
            s.receive(m);
        }
        let f = s.pcapng().unwrap();
        assert_eq!(&f[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
        let at = f
            .windows(20)
            .position(|w| w == b"1209506770556client0")
            .expect("the snippet's bytes in a packet");
        assert!(at > 0);
    }
}
