//! Tap mode's state, pure: the bridge's `/ws/tap` mirror messages in, the
//! connections decoded and linted as sessions out, and, for a tap whose
//! target is `browser:epmd`, the page playing epmd with the codec's sans-IO
//! server ([`erldist_codec::epmd::server`]) and its own name table.
//!
//! Mirror messages (text frames, JSON; the bytes as lowercase hex):
//!
//! * `{"event":"open","conn":7,"tap":"127.0.0.1:4370","peer":"127.0.0.1:51234","target":"epmd","t":1700000000123}`
//! * `{"event":"data","conn":7,"dir":"c2s","t":...,"hex":"0011..."}` (`dir`:
//!   `c2s` from the program that connected, `s2c` from the target)
//! * `{"event":"close","conn":7,"by":"client","t":...}` (`by`: `client`,
//!   `server`, or absent)
//!
//! Field names are read leniently (`type`/`kind` for `event`, `id` for
//! `conn`, `direction`/`from` for `dir`, `ts`/`time` for `t`, `data`/`bytes`
//! for `hex`), times in milliseconds. For `browser:epmd` the page answers
//! with `{"event":"send","conn":7,"hex":"..."}` and
//! `{"event":"close","conn":7}`.

use erldist_codec::conn::Side;
use erldist_codec::epmd::server::{Config, ConnId, EpmdServer, EventKind, Output};
use erldist_codec::export::{self, Lang};
use erldist_codec::input::conversation::{Chunk, Conversation};
use erldist_codec::lint::{self, Timeline};
use erldist_codec::report::decode_conversations;
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{decode_bytes, DecodeOptions, DirectionChoice, Frame, Report};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One mirror message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapMsg {
    /// A program connected to a tap.
    Open {
        /// The bridge's connection id.
        conn: u64,
        /// The tap's listen address.
        tap: String,
        /// The program's address.
        peer: String,
        /// `epmd`, `node:NAME`, `browser:epmd`.
        target: String,
        /// Milliseconds.
        t: u64,
    },
    /// Bytes one side sent.
    Data {
        /// Connection id.
        conn: u64,
        /// Initiator = the program that connected.
        side: Side,
        /// Milliseconds.
        t: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A side closed.
    Close {
        /// Connection id.
        conn: u64,
        /// Who closed, when the bridge says.
        side: Option<Side>,
        /// Milliseconds.
        t: u64,
    },
}

fn field<'a>(v: &'a Json, names: &[&str]) -> Option<&'a Json> {
    names.iter().find_map(|n| v.get(*n))
}

fn text(v: &Json, names: &[&str]) -> String {
    match field(v, names) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn side_of(s: &str) -> Option<Side> {
    match s.to_ascii_lowercase().as_str() {
        "c2s" | "client" | "initiator" | "in" | "up" | "client->server" | "request" | "peer"
        | "program" => Some(Side::Initiator),
        "s2c" | "server" | "acceptor" | "out" | "down" | "server->client" | "reply" | "target"
        | "bridge" | "epmd" | "node" => Some(Side::Acceptor),
        _ => None,
    }
}

/// Reads one mirror message (a websocket text frame).
pub fn parse_message(s: &str) -> Result<TapMsg, String> {
    let v: Json = serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?;
    let event = text(&v, &["event", "type", "kind"]);
    let conn = field(&v, &["conn", "id", "connection"])
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
        .ok_or("no connection id (`conn`)")?;
    let t = field(&v, &["t", "ts", "time", "t_ms", "timestamp"])
        .and_then(Json::as_f64)
        .map(|t| t.max(0.0) as u64)
        .unwrap_or(0);
    match event.as_str() {
        "open" | "opened" | "connect" => Ok(TapMsg::Open {
            conn,
            tap: text(&v, &["tap", "listen"]),
            peer: text(&v, &["peer", "client", "from"]),
            target: text(&v, &["target", "to"]),
            t,
        }),
        "data" | "chunk" | "bytes" => {
            let dir = text(&v, &["dir", "direction", "from", "side"]);
            let side = side_of(&dir).ok_or_else(|| format!("unknown direction {dir:?}"))?;
            let hex = text(&v, &["hex", "data", "bytes"]);
            let bytes = erldist_codec::input::parse_hex(&hex)
                .map(|h| h.bytes)
                .or_else(|e| {
                    if hex.is_empty() {
                        Ok(Vec::new())
                    } else {
                        Err(format!("{e:?}"))
                    }
                })?;
            Ok(TapMsg::Data {
                conn,
                side,
                t,
                bytes,
            })
        }
        "close" | "closed" | "eof" | "half-close" => Ok(TapMsg::Close {
            conn,
            side: side_of(&text(&v, &["by", "side", "dir", "from"])),
            t,
        }),
        other => Err(format!("unknown event {other:?}")),
    }
}

/// A message for the bridge (browser-played epmd).
pub fn send_message(conn: u64, bytes: &[u8]) -> String {
    serde_json::json!({"event": "send", "conn": conn, "hex": erldist_codec::hex::encode(bytes)})
        .to_string()
}

/// Closing a browser-played connection.
pub fn close_message(conn: u64) -> String {
    serde_json::json!({"event": "close", "conn": conn}).to_string()
}

/// What the tap saw of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct TapConn {
    /// The bridge's id.
    pub id: u64,
    /// Tap listen address.
    pub tap: String,
    /// The program's address.
    pub peer: String,
    /// The target.
    pub target: String,
    /// Opened at (ms).
    pub opened: u64,
    /// (side, bytes, ms), in order.
    pub chunks: Vec<(Side, Vec<u8>, u64)>,
    /// (side, ms) of each close seen; side `None` when the bridge did not say.
    pub closes: Vec<(Option<Side>, u64)>,
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
    /// server replaying the program's bytes), and registration news.
    pub explain: Vec<String>,
}

impl TapConn {
    fn closed_by(&self) -> Option<Option<Side>> {
        self.closes.first().map(|(s, _)| *s)
    }

    fn is_epmd(&self) -> bool {
        self.target == "epmd" || self.target.ends_with(":epmd") || self.target.contains("4369")
    }

    fn protocol(&self) -> ProtocolChoice {
        if self.is_epmd() {
            ProtocolChoice::Epmd
        } else if self.target.starts_with("node") {
            ProtocolChoice::Dist
        } else {
            ProtocolChoice::Auto
        }
    }

    /// Re-decodes the connection.
    fn decode(&self, cookie: &str) -> ConnView {
        let conv = Conversation {
            label: format!("tap connection {}", self.id),
            initiator: Some(self.peer.clone()),
            chunks: self
                .chunks
                .iter()
                .map(|(side, bytes, _)| Chunk {
                    side: *side,
                    bytes: bytes.clone(),
                    line: 0,
                })
                .collect(),
            ..Default::default()
        };
        let opts = DecodeOptions {
            protocol: self.protocol(),
            cookie: (!cookie.is_empty()).then(|| cookie.as_bytes().to_vec()),
            ..DecodeOptions::default()
        };
        let mut r: Report = decode_conversations(std::slice::from_ref(&conv), &opts);
        let mut t = Timeline::default();
        let mut ends = [0usize; 2];
        for (side, bytes, ms) in &self.chunks {
            let i = usize::from(*side == Side::Acceptor);
            ends[i] += bytes.len();
            t.chunks.push((*side, ends[i], *ms));
        }
        // A close the bridge did not attribute: the side that did not
        // speak last (a client hanging up, or epmd closing after its reply).
        t.closes = self
            .closes
            .iter()
            .map(|(s, ms)| (s.unwrap_or(Side::Initiator), *ms))
            .collect();
        lint::connection(&mut r.frames, &t);
        let sent = ends[0];
        let received = ends[1];
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
        let mut explain = if self.is_epmd() {
            epmd_explain(self)
        } else {
            Vec::new()
        };
        explain.extend(registration_news(&r.frames, self));
        let status = match self.closed_by() {
            None => "open".to_string(),
            Some(Some(Side::Initiator)) => "closed by the program".to_string(),
            Some(Some(Side::Acceptor)) => format!(
                "closed by {}",
                if self.is_epmd() { "epmd" } else { "the target" }
            ),
            Some(None) => "closed".to_string(),
        };
        ConnView {
            sent,
            received,
            status,
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

/// epmd's verdict on the program's bytes: they replayed through a fresh
/// sans-IO epmd, its refusals and closes as sentences.
fn epmd_explain(c: &TapConn) -> Vec<String> {
    let mut s = EpmdServer::new(Config::default());
    let id = s.open(true, c.opened / 1000);
    for (side, bytes, t) in &c.chunks {
        if *side == Side::Initiator {
            s.receive(id, bytes, t / 1000);
        }
    }
    if c.closes
        .iter()
        .any(|(side, _)| *side != Some(Side::Acceptor))
    {
        s.peer_closed(id);
    }
    let mut out = Vec::new();
    let mut refused = false;
    while let Some(e) = s.poll_event() {
        match e.kind {
            EventKind::Refused => {
                refused = true;
                out.push(format!("epmd logs \"{}\"", e.message.trim_end()));
            }
            EventKind::Closed if refused => out.push(
                "and closes the connection without a reply: the program's write succeeded, but nothing comes back"
                    .to_string(),
            ),
            _ => {}
        }
    }
    out
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
    let get = |f: &Frame, k: &str| {
        f.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| match v {
                erldist_codec::Value::Text(s) => s.clone(),
                erldist_codec::Value::UInt(n) => n.to_string(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default()
    };
    let name = get(req, "name");
    let Some(reply) = frames
        .iter()
        .find(|f| matches!(f.type_name, "ALIVE2_X_RESP" | "ALIVE2_RESP"))
    else {
        return out;
    };
    if get(reply, "result") != "0" {
        out.push(format!(
            "epmd refused to register \"{name}\" (result {}): the name is taken, or not valid",
            get(reply, "result")
        ));
        return out;
    }
    out.push(format!(
        "registered \"{name}\" on port {} with creation {}: it is in `epmd -names` while this connection stays open",
        get(req, "port"),
        get(reply, "creation")
    ));
    match c.closed_by() {
        Some(Some(Side::Acceptor)) => out.push(format!(
            "epmd closed the connection: \"{name}\" is unregistered"
        )),
        Some(_) => out.push(format!(
            "the program closed the connection: epmd unregistered \"{name}\" at once (a registration lives as long as its socket)"
        )),
        None => {}
    }
    out
}

/// The page's epmd (for `browser:epmd` taps): the sans-IO server and which
/// bridge connection is which server connection.
#[derive(Debug)]
pub struct PlayedEpmd {
    /// The server.
    pub server: EpmdServer,
    ids: BTreeMap<u64, ConnId>,
    /// epmd's log, newest last.
    pub log: Vec<String>,
}

impl Default for PlayedEpmd {
    fn default() -> PlayedEpmd {
        PlayedEpmd {
            server: EpmdServer::new(Config::default()),
            ids: BTreeMap::new(),
            log: Vec::new(),
        }
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
        .unwrap_or(peer.is_empty())
}

impl PlayedEpmd {
    /// Feeds one mirror message for a `browser:epmd` connection; returns the
    /// messages to send to the bridge.
    pub fn handle(&mut self, msg: &TapMsg) -> Vec<String> {
        match msg {
            TapMsg::Open { conn, peer, t, .. } => {
                let id = self.server.open(is_local(peer), t / 1000);
                self.ids.insert(*conn, id);
            }
            TapMsg::Data {
                conn,
                side: Side::Initiator,
                t,
                bytes,
            } => {
                let id = match self.ids.get(conn) {
                    Some(id) => *id,
                    None => {
                        let id = self.server.open(true, t / 1000);
                        self.ids.insert(*conn, id);
                        id
                    }
                };
                self.server.tick(t / 1000);
                self.server.receive(id, bytes, t / 1000);
            }
            TapMsg::Close { conn, side, .. } if *side != Some(Side::Acceptor) => {
                if let Some(id) = self.ids.get(conn) {
                    self.server.peer_closed(*id);
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

    /// The page's name table: (name, port, creation), newest first.
    pub fn names(&self) -> Vec<(String, u16, u32)> {
        self.server
            .registered()
            .map(|r| (r.name_lossy(), r.port, r.creation()))
            .collect()
    }
}

/// Everything the Tap view holds.
#[derive(Debug, Default)]
pub struct TapState {
    /// Connections, oldest first.
    pub conns: Vec<TapConn>,
    /// Messages held while paused.
    pub held: Vec<TapMsg>,
    /// Paused: new messages are held, not shown.
    pub paused: bool,
    /// The cookie typed in, for digest checks.
    pub cookie: String,
    /// The browser-played epmd.
    pub epmd: PlayedEpmd,
    /// Messages that could not be read.
    pub errors: Vec<String>,
}

impl TapState {
    /// A mirror message (websocket text): shown (or held while paused);
    /// returns what to send back to the bridge (browser-played epmd, which
    /// answers even while paused).
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
        let played = match &msg {
            TapMsg::Open { target, .. } => target == "browser:epmd",
            TapMsg::Data { conn, .. } | TapMsg::Close { conn, .. } => self
                .conns
                .iter()
                .any(|c| c.id == *conn && c.target == "browser:epmd")
                || self.held.iter().any(|m| {
                    matches!(m, TapMsg::Open { conn: c, target, .. } if c == conn && target == "browser:epmd")
                }),
        };
        let out = if played {
            self.epmd.handle(&msg)
        } else {
            Vec::new()
        };
        if self.paused {
            self.held.push(msg);
        } else {
            self.apply(msg);
        }
        out
    }

    fn apply(&mut self, msg: TapMsg) {
        let id = match &msg {
            TapMsg::Open { conn, .. } | TapMsg::Data { conn, .. } | TapMsg::Close { conn, .. } => {
                *conn
            }
        };
        let pos = match self.conns.iter().position(|c| c.id == id) {
            Some(p) => p,
            None => {
                let (tap, peer, target, t) = match &msg {
                    TapMsg::Open {
                        tap,
                        peer,
                        target,
                        t,
                        ..
                    } => (tap.clone(), peer.clone(), target.clone(), *t),
                    TapMsg::Data { t, .. } | TapMsg::Close { t, .. } => {
                        (String::new(), String::new(), String::new(), *t)
                    }
                };
                self.conns.push(TapConn {
                    id,
                    tap,
                    peer,
                    target,
                    opened: t,
                    chunks: Vec::new(),
                    closes: Vec::new(),
                    view: Rc::default(),
                });
                self.conns.len() - 1
            }
        };
        let cookie = self.cookie.clone();
        let Some(c) = self.conns.get_mut(pos) else {
            return;
        };
        match msg {
            TapMsg::Open { .. } => {}
            TapMsg::Data { side, t, bytes, .. } => {
                if !bytes.is_empty() {
                    c.chunks.push((side, bytes, t));
                }
            }
            TapMsg::Close { side, t, .. } => c.closes.push((side, t)),
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

    /// Forget every connection shown.
    pub fn clear(&mut self) {
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
        let port = |a: &str, dflt: u16| {
            a.rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(dflt)
        };
        let convs: Vec<TcpConversation> = self
            .conns
            .iter()
            .enumerate()
            .map(|(i, c)| TcpConversation {
                client_port: port(
                    &c.peer,
                    50000u16.saturating_add(u16::try_from(i).unwrap_or(0)),
                ),
                server_port: if c.is_epmd() {
                    4369
                } else {
                    port(&c.tap, 9506)
                },
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
            start_ns: start.saturating_mul(1_000_000),
            ..PcapngOptions::default()
        };
        write_conversations(&convs, &payloads, &opts).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(conn: u64, target: &str) -> String {
        format!(
            r#"{{"event":"open","conn":{conn},"tap":"127.0.0.1:4370","peer":"127.0.0.1:5{conn}","target":"{target}","t":1000}}"#
        )
    }

    fn data(conn: u64, dir: &str, hex: &str, t: u64) -> String {
        format!(r#"{{"event":"data","conn":{conn},"dir":"{dir}","t":{t},"hex":"{hex}"}}"#)
    }

    fn close(conn: u64, by: &str, t: u64) -> String {
        format!(r#"{{"event":"close","conn":{conn},"by":"{by}","t":{t}}}"#)
    }

    /// ALIVE2_REQ for "client" on port 9506, versions 6 / 5.
    const REG: &str = "00137825224d00000600050006636c69656e740000";

    fn ids(c: &TapConn) -> Vec<&'static str> {
        c.view.findings.iter().flatten().map(|f| f.id).collect()
    }

    #[test]
    fn the_forum_snippet() {
        let mut s = TapState::default();
        s.receive(&open(1, "epmd"));
        let snippet = erldist_codec::hex::encode(b"1209506770556client0");
        s.receive(&data(1, "c2s", &snippet, 1001));
        s.receive(&close(1, "server", 1002));
        let c = &s.conns[0];
        assert_eq!(c.view.sent, 20);
        assert_eq!(c.view.status, "closed by epmd");
        assert!(ids(c).contains(&"ascii-decimal"), "{:?}", c.view.findings);
        let f = c
            .view
            .findings
            .iter()
            .flatten()
            .find(|f| f.id == "ascii-decimal")
            .unwrap();
        assert!(
            f.corrected
                .as_deref()
                .unwrap()
                .starts_with("00 13 78 25 22 4d 00 00 05 00 05"),
            "{:?}",
            f.corrected
        );
        assert!(f
            .code
            .iter()
            .any(|(l, code)| l.contains("Node") && code.contains("Buffer")));
        assert!(
            c.view
                .explain
                .iter()
                .any(|e| e.contains("invalid packet size (12594)")),
            "{:?}",
            c.view.explain
        );
    }

    #[test]
    fn registration_and_close() {
        let mut s = TapState::default();
        s.receive(&open(2, "epmd"));
        s.receive(&data(2, "c2s", REG, 1000));
        s.receive(&data(2, "s2c", "760000000005", 1001));
        let c = &s.conns[0];
        assert!(
            c.view.explain[0].contains("registered \"client\""),
            "{:?}",
            c.view.explain
        );
        s.receive(&close(2, "client", 1010));
        let c = &s.conns[0];
        assert!(ids(c).contains(&"closed-after-alive2"), "{:?}", ids(c));
        assert!(c
            .view
            .explain
            .iter()
            .any(|e| e.contains("unregistered \"client\"")));
    }

    #[test]
    fn browser_epmd_plays_epmd() {
        let mut s = TapState::default();
        assert!(s.receive(&open(3, "browser:epmd")).is_empty());
        let out = s.receive(&data(3, "c2s", REG, 5000));
        assert_eq!(out.len(), 1);
        assert!(out[0].contains(r#""hex":"7600"#), "{out:?}");
        assert_eq!(s.epmd.names()[0].0, "client");
        s.receive(&open(4, "browser:epmd"));
        let out = s.receive(&data(4, "c2s", "00016e", 5001));
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].contains(&erldist_codec::hex::encode(b"name client at port 9506\n")));
        assert_eq!(out[1], close_message(4));
        // Paused: still answered.
        s.set_paused(true);
        s.receive(&close(3, "client", 6000));
        assert!(s.epmd.names().is_empty());
        assert_eq!(s.held.len(), 1);
        s.set_paused(false);
        assert_eq!(
            s.conns.iter().find(|c| c.id == 3).unwrap().view.status,
            "closed by the program"
        );
    }

    #[test]
    fn pcapng_export() {
        let mut s = TapState::default();
        s.receive(&open(1, "epmd"));
        s.receive(&data(1, "c2s", "00016e", 1001));
        s.receive(&data(1, "s2c", "00001111", 1002));
        let f = s.pcapng().unwrap();
        assert_eq!(&f[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    }
}
