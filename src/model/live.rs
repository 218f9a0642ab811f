//! Live mode's state, without any socket: [`LiveCore`] owns the codec's
//! sans-IO clients ([`EpmdConn`], [`NodeClient`]) and turns what the user
//! asks and what the sockets report into [`Command`]s (open a websocket,
//! send bytes, close it) that the page's socket module carries out. Tested
//! on the host; the page only moves bytes.

use erldist_codec::conn::Side;
use erldist_codec::epmd;
use erldist_codec::live::{
    alive2_req, decode_recordings, names_req, pcapng_of, port_please2_req, EpmdConn, EpmdState,
    NodeClient, NodeEvent, NodeOptions, NodeState, Recording,
};
use erldist_codec::session::Protocol;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::FrameRc;

/// A connection's key (one websocket).
pub type ConnKey = u32;

/// What the socket layer must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Open a websocket to `ws://<page host><path>`.
    Open {
        /// The connection.
        key: ConnKey,
        /// `/ws/epmd` or `/ws/node/<alive>`.
        path: String,
    },
    /// Send bytes (queued by the socket layer until the socket is open).
    Send {
        /// The connection.
        key: ConnKey,
        /// One binary message.
        bytes: Vec<u8>,
    },
    /// Close the websocket.
    Close {
        /// The connection.
        key: ConnKey,
    },
}

/// Whether a bridge answers on the page's own origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BridgeStatus {
    /// Nothing tried yet.
    #[default]
    Unknown,
    /// A websocket opened: the bridge is there.
    Present,
    /// A websocket failed before it opened, and none ever opened.
    Missing,
}

/// How a log line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Neutral.
    Info,
    /// Success.
    Ok,
    /// Failure.
    Bad,
}

/// One line of the activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When, milliseconds since the epoch.
    pub at_ms: u64,
    /// How it looks.
    pub tone: Tone,
    /// What happened.
    pub text: String,
}

/// A `rex` call and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcResult {
    /// `erlang:node()`.
    pub call: String,
    /// The reply as Erlang text; `None` while waiting.
    pub reply: Option<String>,
    /// The call's id.
    pub id: u32,
}

/// Why an epmd connection was made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Purpose {
    /// The user sent it.
    User,
    /// PORT_PLEASE2 before connecting to a node.
    Lookup(PendingNode),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingNode {
    alive: String,
    opts: NodeOptions,
}

#[derive(Debug, Clone)]
struct EpmdEntry {
    key: ConnKey,
    conn: EpmdConn,
    purpose: Purpose,
    opened: bool,
}

#[derive(Debug, Clone)]
struct NodeEntry {
    key: ConnKey,
    client: NodeClient,
    alive: String,
    opened: bool,
}

/// One epmd connection as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpmdRow {
    /// Its key.
    pub key: ConnKey,
    /// `epmd: NAMES_REQ`.
    pub label: String,
    /// Open (the close button shows).
    pub open: bool,
    /// What it is doing or why it closed.
    pub status: String,
    /// Tone of the status.
    pub tone: Tone,
}

/// The registration an open ALIVE2 connection holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationView {
    /// The connection holding it.
    pub key: ConnKey,
    /// `registered as foo, creation 1795527648 (port 9999)`.
    pub text: String,
}

/// The node connection as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// `connected to b@127.0.0.1 as hidden node playground@127.0.0.1`.
    pub status: String,
    /// Tone.
    pub tone: Tone,
    /// Connected: the rpc and send forms work.
    pub connected: bool,
    /// The socket is open or opening.
    pub open: bool,
    /// The handshake's challenges and digests, one line each.
    pub digests: Vec<(String, String)>,
    /// Ticks received / sent.
    pub ticks: (u64, u64),
    /// Negotiated flags, when connected.
    pub flags: Option<String>,
}

/// One frame of the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptRow {
    /// 1-based.
    pub index: usize,
    /// Seconds since the first frame (`+1.234 s`).
    pub time: String,
    /// Which connection (`epmd: NAMES_REQ`).
    pub conn: String,
    /// `playground → epmd`, `node → playground`, ...
    pub arrow: String,
    /// Sent by us.
    pub ours: bool,
    /// `NAMES_REQ`.
    pub type_name: &'static str,
    /// `ok`, `incomplete`, `error`.
    pub status: &'static str,
    /// Bytes.
    pub length: usize,
    /// The frame.
    pub frame: FrameRc,
}

/// The whole transcript.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TranscriptView {
    /// Frames in time order.
    pub rows: Vec<TranscriptRow>,
    /// Bytes sent and received.
    pub bytes: (usize, usize),
}

/// Live mode's state.
#[derive(Debug, Default)]
pub struct LiveCore {
    next_key: ConnKey,
    epmd: Vec<EpmdEntry>,
    nodes: Vec<NodeEntry>,
    bridge: BridgeStatus,
    log: Vec<LogLine>,
    rpcs: Vec<RpcResult>,
    commands: Vec<Command>,
    cookie: Vec<u8>,
    /// Per recording: (signature, frames and times) of its last decode.
    cache: BTreeMap<ConnKey, (RecSig, TimedFrames)>,
}

type RecSig = (usize, usize, Option<u64>, String);

/// A recording's frames with their times.
type TimedFrames = Rc<Vec<(u64, FrameRc)>>;

fn sig(r: &Recording) -> RecSig {
    (
        r.chunks.len(),
        r.chunks.last().map_or(0, |c| c.bytes.len()),
        r.closed_ms,
        r.label.clone(),
    )
}

/// The hex the user typed, as bytes (the codec's hex reader: spaces,
/// `0x`, commas allowed).
pub fn parse_hex_request(text: &str) -> Result<Vec<u8>, String> {
    let parsed = erldist_codec::input::parse_hex(text).map_err(|e| e.to_string())?;
    if parsed.bytes.is_empty() {
        return Err("no bytes: type hex, e.g. 00 01 6e".into());
    }
    Ok(parsed.bytes)
}

/// The alive part of a node name.
pub fn alive_of(node: &str) -> &str {
    node.split('@').next().unwrap_or(node)
}

impl LiveCore {
    /// A fresh state.
    pub fn new() -> LiveCore {
        LiveCore::default()
    }

    /// What the socket layer must do now.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    /// Whether the bridge answers.
    pub fn bridge(&self) -> BridgeStatus {
        self.bridge
    }

    /// The activity log, oldest first.
    pub fn log(&self) -> &[LogLine] {
        &self.log
    }

    /// The rpc calls, newest first.
    pub fn rpcs(&self) -> Vec<RpcResult> {
        self.rpcs.iter().rev().cloned().collect()
    }

    fn say(&mut self, at_ms: u64, tone: Tone, text: impl Into<String>) {
        self.log.push(LogLine {
            at_ms,
            tone,
            text: text.into(),
        });
        if self.log.len() > 200 {
            self.log.remove(0);
        }
    }

    fn key(&mut self) -> ConnKey {
        self.next_key += 1;
        self.next_key
    }

    // ------------------------------------------------------------ epmd

    /// Sends `request` (any bytes) to epmd on a new connection.
    pub fn send_epmd(&mut self, request: Vec<u8>, now_ms: u64) -> ConnKey {
        self.send_epmd_for(request, Purpose::User, now_ms)
    }

    fn send_epmd_for(&mut self, request: Vec<u8>, purpose: Purpose, now_ms: u64) -> ConnKey {
        let key = self.key();
        let mut conn = EpmdConn::new(request, now_ms);
        self.commands.push(Command::Open {
            key,
            path: "/ws/epmd".into(),
        });
        while let Some(bytes) = conn.poll_transmit() {
            self.commands.push(Command::Send { key, bytes });
        }
        let label = conn.recording().label.clone();
        self.say(now_ms, Tone::Info, format!("{label}: connecting to epmd"));
        self.epmd.push(EpmdEntry {
            key,
            conn,
            purpose,
            opened: false,
        });
        key
    }

    /// NAMES_REQ.
    pub fn names(&mut self, now_ms: u64) -> ConnKey {
        self.send_epmd(names_req(), now_ms)
    }

    /// PORT_PLEASE2_REQ for `name`.
    pub fn port_please(&mut self, name: &str, now_ms: u64) -> Result<ConnKey, String> {
        let req = port_please2_req(alive_of(name)).map_err(|e| e.to_string())?;
        Ok(self.send_epmd(req, now_ms))
    }

    /// ALIVE2_REQ: registers `name` (pointing at `port`) for as long as
    /// the connection stays open.
    pub fn register(&mut self, name: &str, port: u16, now_ms: u64) -> Result<ConnKey, String> {
        let req = alive2_req(name, port).map_err(|e| e.to_string())?;
        Ok(self.send_epmd(req, now_ms))
    }

    /// Closes an epmd connection (for a registration: unregisters).
    pub fn close_epmd(&mut self, key: ConnKey, now_ms: u64) {
        let Some(e) = self.epmd.iter_mut().find(|e| e.key == key) else {
            return;
        };
        if e.conn.is_closed() {
            return;
        }
        e.conn.close(now_ms);
        self.commands.push(Command::Close { key });
        let why = match e.conn.state() {
            EpmdState::Closed { why } => why.clone(),
            _ => String::new(),
        };
        let tone = if e.conn.ever_registered().is_some() {
            Tone::Ok
        } else {
            Tone::Info
        };
        let label = e.conn.recording().label.clone();
        self.say(now_ms, tone, format!("{label}: {why}"));
    }

    /// The registrations held open, newest first.
    pub fn registrations(&self) -> Vec<RegistrationView> {
        self.epmd
            .iter()
            .rev()
            .filter_map(|e| {
                e.conn.registration().map(|r| RegistrationView {
                    key: e.key,
                    text: format!(
                        "registered as {}, creation {} (port {}, {})",
                        r.name, r.creation, r.port, r.reply
                    ),
                })
            })
            .collect()
    }

    /// The epmd connections, newest first.
    pub fn epmd_rows(&self) -> Vec<EpmdRow> {
        self.epmd
            .iter()
            .rev()
            .map(|e| {
                let (status, tone) = match e.conn.state() {
                    EpmdState::Waiting if !e.opened => ("connecting…".to_string(), Tone::Info),
                    EpmdState::Waiting => ("waiting for epmd's reply".to_string(), Tone::Info),
                    EpmdState::Registered(r) => (
                        format!(
                            "registered as {}, creation {}: open while this connection is",
                            r.name, r.creation
                        ),
                        Tone::Ok,
                    ),
                    EpmdState::Refused { why } => (why.clone(), Tone::Bad),
                    EpmdState::Closed { why } => (
                        why.clone(),
                        if e.conn.replies().is_empty() && e.conn.ever_registered().is_none() {
                            Tone::Bad
                        } else {
                            Tone::Info
                        },
                    ),
                };
                EpmdRow {
                    key: e.key,
                    label: e.conn.recording().label.clone(),
                    open: !e.conn.is_closed(),
                    status,
                    tone,
                }
            })
            .collect()
    }

    // ------------------------------------------------------------ node

    /// Connects to the node `node` (`name@host`, or the alive name) as a
    /// hidden node named `me`: first looks its port up with epmd (as a
    /// node does), then opens `/ws/node/<alive>` and does the handshake.
    pub fn connect_node(
        &mut self,
        node: &str,
        me: &str,
        cookie: &str,
        creation: u32,
        challenge: u32,
        now_ms: u64,
    ) -> Result<(), String> {
        let node = node.trim();
        let alive = alive_of(node).to_string();
        if alive.is_empty() {
            return Err("type the node's name (name@host, or the name epmd lists)".into());
        }
        if !me.contains('@') || me.starts_with('@') || me.ends_with('@') {
            return Err(format!("our node name {me:?} must be name@host"));
        }
        if self.node_busy() {
            return Err("disconnect from the current node first".into());
        }
        self.cookie = cookie.as_bytes().to_vec();
        let opts = NodeOptions::new(me, node, cookie.as_bytes(), creation.max(4), challenge);
        let req = port_please2_req(&alive).map_err(|e| e.to_string())?;
        self.send_epmd_for(
            req,
            Purpose::Lookup(PendingNode {
                alive: alive.clone(),
                opts,
            }),
            now_ms,
        );
        self.say(
            now_ms,
            Tone::Info,
            format!(
                "looking {alive} up with epmd (PORT_PLEASE2_REQ), as a node does before connecting"
            ),
        );
        Ok(())
    }

    /// A node connection is open or being set up.
    pub fn node_busy(&self) -> bool {
        self.nodes
            .last()
            .is_some_and(|n| !matches!(n.client.state(), NodeState::Closed { .. }))
            || self
                .epmd
                .iter()
                .any(|e| matches!(e.purpose, Purpose::Lookup(_)) && !e.conn.is_closed())
    }

    fn start_node(&mut self, p: PendingNode, port: u16, now_ms: u64) {
        let key = self.key();
        let mut client = NodeClient::new(p.opts, now_ms);
        client.set_server_port(port);
        self.commands.push(Command::Open {
            key,
            path: format!("/ws/node/{}", encode_path(&p.alive)),
        });
        self.say(
            now_ms,
            Tone::Info,
            format!(
                "{} listens on port {port}: connecting through the bridge (/ws/node/{}), handshake as hidden node {}",
                p.alive,
                p.alive,
                client.options().me
            ),
        );
        self.nodes.push(NodeEntry {
            key,
            client,
            alive: p.alive,
            opened: false,
        });
        self.flush_node(now_ms);
    }

    fn node_mut(&mut self) -> Option<&mut NodeEntry> {
        self.nodes.last_mut()
    }

    /// Sends what the node client queued and logs its events.
    fn flush_node(&mut self, now_ms: u64) {
        let Some(n) = self.nodes.last_mut() else {
            return;
        };
        let key = n.key;
        let mut sends = Vec::new();
        while let Some(bytes) = n.client.poll_transmit() {
            sends.push(Command::Send { key, bytes });
        }
        let mut events = Vec::new();
        while let Some(e) = n.client.poll_event() {
            events.push(e);
        }
        let failed = matches!(n.client.state(), NodeState::Failed { .. });
        self.commands.extend(sends);
        for e in events {
            match e {
                NodeEvent::Connected {
                    peer,
                    negotiated,
                    hidden,
                } => self.say(
                    now_ms,
                    Tone::Ok,
                    format!(
                        "connected to {peer}{}; negotiated flags {:#x}",
                        if hidden { " as a hidden node" } else { "" },
                        negotiated.0
                    ),
                ),
                NodeEvent::Failed { reason } => {
                    self.say(now_ms, Tone::Bad, format!("handshake failed: {reason}"))
                }
                NodeEvent::Reply {
                    id, call, reply, ..
                } => {
                    if let Some(r) = self.rpcs.iter_mut().find(|r| r.id == id.0) {
                        r.reply = Some(reply.clone());
                    }
                    self.say(now_ms, Tone::Ok, format!("{call} returned {reply}"));
                }
                NodeEvent::Message {
                    kind,
                    control,
                    payload,
                } => self.say(
                    now_ms,
                    Tone::Info,
                    format!(
                        "{kind} from the node: {}{}",
                        control.unwrap_or_default(),
                        payload.map(|p| format!(" with {p}")).unwrap_or_default()
                    ),
                ),
                NodeEvent::BadFrame { error } => self.say(
                    now_ms,
                    Tone::Bad,
                    format!("a frame from the node does not decode: {error}"),
                ),
                NodeEvent::Closed { reason } => self.say(now_ms, Tone::Info, reason),
            }
        }
        if failed {
            if let Some(n) = self.nodes.last_mut() {
                n.client.close(now_ms);
                let key = n.key;
                self.commands.push(Command::Close { key });
            }
        }
    }

    /// Closes the node connection.
    pub fn disconnect_node(&mut self, now_ms: u64) {
        let Some(n) = self.node_mut() else { return };
        if matches!(n.client.state(), NodeState::Closed { .. }) {
            return;
        }
        n.client.close(now_ms);
        let key = n.key;
        self.commands.push(Command::Close { key });
        self.flush_node(now_ms);
    }

    /// Calls `M:F(Args)` through `rex`.
    pub fn rpc(&mut self, text: &str, now_ms: u64) -> Result<(), String> {
        let n = self
            .node_mut()
            .ok_or_else(|| "not connected to a node".to_string())?;
        let id = n.client.rpc_text(text, now_ms).map_err(|e| e.to_string())?;
        let call = erldist_codec::live::parse_call(text)
            .map(|c| c.text())
            .unwrap_or_else(|_| text.to_string());
        self.rpcs.push(RpcResult {
            call: call.clone(),
            reply: None,
            id: id.0,
        });
        self.say(
            now_ms,
            Tone::Info,
            format!("calling {call} through rex (REG_SEND to rex, $gen_call)"),
        );
        self.flush_node(now_ms);
        Ok(())
    }

    /// Sends `message` (Erlang text) to the process registered as `name`.
    pub fn send_reg(&mut self, name: &str, message: &str, now_ms: u64) -> Result<(), String> {
        let n = self
            .node_mut()
            .ok_or_else(|| "not connected to a node".to_string())?;
        n.client
            .send_reg_text(name.trim(), message, now_ms)
            .map_err(|e| e.to_string())?;
        self.say(
            now_ms,
            Tone::Info,
            format!("REG_SEND to {}: {message}", name.trim()),
        );
        self.flush_node(now_ms);
        Ok(())
    }

    /// Our pid on the node connection, as Erlang text (for messages that
    /// want a reply).
    pub fn our_pid(&self) -> Option<String> {
        self.nodes
            .last()
            .map(|n| erldist_codec::etf::text::to_erlang(&n.client.pid()))
    }

    /// The interval timer fired.
    pub fn on_timer(&mut self, now_ms: u64) {
        if let Some(n) = self.node_mut() {
            n.client.handle_timeout(now_ms);
        }
        self.flush_node(now_ms);
    }

    /// The node connection as the page shows it.
    pub fn node_view(&self) -> Option<NodeView> {
        let n = self.nodes.last()?;
        let c = &n.client;
        let (status, tone) = match c.state() {
            NodeState::Handshaking if !n.opened => (
                format!("connecting to {} through the bridge…", n.alive),
                Tone::Info,
            ),
            NodeState::Handshaking => (format!("handshake with {}…", c.peer()), Tone::Info),
            NodeState::Connected(conn) => (
                format!(
                    "connected to {} as {}node {}",
                    String::from_utf8_lossy(&conn.peer_name),
                    if conn.hidden { "hidden " } else { "" },
                    c.options().me
                ),
                Tone::Ok,
            ),
            NodeState::Failed { reason } => (format!("handshake failed: {reason}"), Tone::Bad),
            NodeState::Closed { reason } => (format!("closed: {reason}"), Tone::Bad),
        };
        let d = c.digests();
        let hex = |b: &[u8; 16]| erldist_codec::hex::encode(b);
        let mut digests = vec![(
            "our challenge".to_string(),
            format!("{} (0x{:08x})", d.our_challenge, d.our_challenge),
        )];
        if let Some(ch) = d.peer_challenge {
            digests.push(("node's challenge".into(), format!("{ch} (0x{ch:08x})")));
        }
        if let (Some(r), Some(ch)) = (d.reply_digest, d.peer_challenge) {
            digests.push((
                "our digest (in `r`)".into(),
                format!("{} = MD5(cookie ++ \"{ch}\")", hex(&r)),
            ));
        }
        digests.push((
            "expected ack".into(),
            format!(
                "{} = MD5(cookie ++ \"{}\")",
                hex(&d.expected_ack),
                d.our_challenge
            ),
        ));
        if let Some(a) = d.ack_digest {
            digests.push((
                "node's ack (in `a`)".into(),
                format!(
                    "{} {}",
                    hex(&a),
                    if d.ack_ok() == Some(true) {
                        "✓ matches: the cookies agree"
                    } else {
                        "✗ does not match"
                    }
                ),
            ));
        }
        let flags = match c.state() {
            NodeState::Connected(conn) => Some(format!(
                "{:#x}: {}",
                conn.negotiated.0,
                conn.negotiated.names().join(" ")
            )),
            _ => None,
        };
        Some(NodeView {
            status,
            tone,
            connected: c.is_connected(),
            open: !matches!(c.state(), NodeState::Closed { .. }),
            digests,
            ticks: c.ticks(),
            flags,
        })
    }

    // ------------------------------------------------------- socket events

    fn epmd_index(&self, key: ConnKey) -> Option<usize> {
        self.epmd.iter().position(|e| e.key == key)
    }

    /// A websocket opened.
    pub fn on_open(&mut self, key: ConnKey, now_ms: u64) {
        self.bridge = BridgeStatus::Present;
        if let Some(i) = self.epmd_index(key) {
            if let Some(e) = self.epmd.get_mut(i) {
                e.opened = true;
            }
        } else if let Some(n) = self.nodes.iter_mut().find(|n| n.key == key) {
            n.opened = true;
        }
        let _ = now_ms;
    }

    /// Bytes arrived on a websocket.
    pub fn on_message(&mut self, key: ConnKey, bytes: &[u8], now_ms: u64) {
        if let Some(i) = self.epmd_index(key) {
            let Some(e) = self.epmd.get_mut(i) else {
                return;
            };
            let was = e.conn.registration().is_some();
            e.conn.handle_input(bytes, now_ms);
            let now_reg = e.conn.registration().cloned();
            let refused = match e.conn.state() {
                EpmdState::Refused { why } => Some(why.clone()),
                _ => None,
            };
            if let (false, Some(r)) = (was, now_reg) {
                self.say(
                    now_ms,
                    Tone::Ok,
                    format!(
                        "registered as {}, creation {} ({}): epmd keeps the name while this connection stays open",
                        r.name, r.creation, r.reply
                    ),
                );
            }
            if let Some(why) = refused {
                self.say(now_ms, Tone::Bad, why);
            }
            return;
        }
        if let Some(n) = self.nodes.iter_mut().find(|n| n.key == key) {
            n.client.handle_input(bytes, now_ms);
            self.flush_node(now_ms);
        }
    }

    /// A websocket closed (`code` and `reason` from the close frame;
    /// `opened`: it had opened).
    pub fn on_close(&mut self, key: ConnKey, code: u16, reason: &str, opened: bool, now_ms: u64) {
        if !opened && self.bridge != BridgeStatus::Present {
            self.bridge = BridgeStatus::Missing;
        }
        let bridge_says = if reason.is_empty() {
            if opened {
                String::new()
            } else {
                format!(" (the websocket did not open: code {code})")
            }
        } else {
            format!(" (the bridge says: {code} {})", reason.trim())
        };
        if let Some(i) = self.epmd_index(key) {
            let Some(e) = self.epmd.get_mut(i) else {
                return;
            };
            if e.conn.is_closed() {
                return;
            }
            e.conn.handle_close(now_ms);
            let why = match e.conn.state() {
                EpmdState::Closed { why } => why.clone(),
                _ => String::new(),
            };
            let label = e.conn.recording().label.clone();
            let purpose = e.purpose.clone();
            let port = e.conn.port();
            let answered = !e.conn.replies().is_empty();
            let tone = if answered { Tone::Info } else { Tone::Bad };
            self.say(now_ms, tone, format!("{label}: {why}{bridge_says}"));
            if let Purpose::Lookup(p) = purpose {
                match port {
                    Ok(Some(port)) => self.start_node(p, port, now_ms),
                    Ok(None) => self.say(
                        now_ms,
                        Tone::Bad,
                        format!(
                            "epmd has no node named {:?} (PORT2_RESP result 1): start it with erl -name {}@127.0.0.1, or check the name with NAMES",
                            p.alive, p.alive
                        ),
                    ),
                    Err(e) => self.say(
                        now_ms,
                        Tone::Bad,
                        format!("could not look {} up: {e}", p.alive),
                    ),
                }
            }
            return;
        }
        if let Some(n) = self.nodes.iter_mut().find(|n| n.key == key) {
            let was_closed = matches!(n.client.state(), NodeState::Closed { .. });
            n.client.handle_close(now_ms);
            if !was_closed {
                let reason = match n.client.state() {
                    NodeState::Closed { reason } => reason.clone(),
                    _ => String::new(),
                };
                self.flush_node(now_ms);
                self.say(
                    now_ms,
                    Tone::Bad,
                    format!("node connection closed: {reason}{bridge_says}"),
                );
            }
        }
    }

    // ------------------------------------------------------- transcript

    fn recordings(&self) -> Vec<(ConnKey, &Recording)> {
        let mut v: Vec<(ConnKey, &Recording)> = self
            .epmd
            .iter()
            .map(|e| (e.key, e.conn.recording()))
            .chain(self.nodes.iter().map(|n| (n.key, n.client.recording())))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    /// The transcript: every frame of every connection, decoded, in time
    /// order (each recording decoded again only when it changed).
    pub fn transcript(&mut self) -> TranscriptView {
        let cookie = (!self.cookie.is_empty()).then(|| self.cookie.clone());
        let recs: Vec<(ConnKey, Recording)> = self
            .recordings()
            .into_iter()
            .map(|(k, r)| (k, r.clone()))
            .collect();
        let mut all: Vec<(u64, ConnKey, usize, FrameRc, String, Protocol)> = Vec::new();
        let mut sent = 0usize;
        let mut received = 0usize;
        for (k, rec) in &recs {
            sent += rec.bytes_of(Side::Initiator).len();
            received += rec.bytes_of(Side::Acceptor).len();
            let s = sig(rec);
            let frames = match self.cache.get(k) {
                Some((old, frames)) if *old == s => frames.clone(),
                _ => {
                    let t = decode_recordings(&[rec], cookie.as_deref());
                    let frames: TimedFrames = Rc::new(
                        t.times_ms
                            .into_iter()
                            .zip(t.report.frames)
                            .map(|(t, f)| (t, FrameRc::new(f)))
                            .collect(),
                    );
                    self.cache.insert(*k, (s, frames.clone()));
                    frames
                }
            };
            for (i, (t, f)) in frames.iter().enumerate() {
                all.push((*t, *k, i, f.clone(), rec.label.clone(), rec.protocol));
            }
        }
        all.sort_by_key(|(t, k, i, ..)| (*t, *k, *i));
        let t0 = all.first().map_or(0, |a| a.0);
        let rows = all
            .into_iter()
            .enumerate()
            .map(|(i, (t, _, _, f, label, protocol))| {
                let peer = match protocol {
                    Protocol::Epmd => "epmd",
                    Protocol::Dist => "node",
                };
                let ours = f.side == Side::Initiator;
                TranscriptRow {
                    index: i + 1,
                    time: elapsed(t.saturating_sub(t0)),
                    conn: label,
                    arrow: if ours {
                        format!("playground → {peer}")
                    } else {
                        format!("{peer} → playground")
                    },
                    ours,
                    type_name: f.type_name,
                    status: match f.status {
                        epmd::Status::Complete => "ok",
                        epmd::Status::Incomplete(_) => "incomplete",
                        epmd::Status::Invalid(_) => "error",
                    },
                    length: f.bytes.len(),
                    frame: f,
                }
            })
            .collect();
        TranscriptView {
            rows,
            bytes: (sent, received),
        }
    }

    /// The whole transcript as a pcapng capture.
    pub fn pcapng(&self) -> Result<Vec<u8>, String> {
        let recs = self.recordings();
        let refs: Vec<&Recording> = recs.iter().map(|(_, r)| *r).collect();
        if refs.iter().all(|r| r.chunks.is_empty()) {
            return Err("nothing recorded yet".into());
        }
        pcapng_of(&refs).map_err(|e| e.to_string())
    }

    /// Forgets closed connections (their transcript included).
    pub fn clear_closed(&mut self) {
        self.epmd.retain(|e| !e.conn.is_closed());
        let last = self.nodes.len().saturating_sub(1);
        let mut i = 0;
        self.nodes.retain(|n| {
            let keep = i == last && !matches!(n.client.state(), NodeState::Closed { .. });
            i += 1;
            keep
        });
        let live: Vec<ConnKey> = self
            .epmd
            .iter()
            .map(|e| e.key)
            .chain(self.nodes.iter().map(|n| n.key))
            .collect();
        self.cache.retain(|k, _| live.contains(k));
        self.rpcs.retain(|r| r.reply.is_none());
    }
}

/// `+1.234 s` for 1234 ms (integer arithmetic: no float formatting code
/// in the bundle).
pub fn elapsed(ms: u64) -> String {
    format!("+{}.{:03} s", ms / 1000, ms % 1000)
}

/// Percent-encodes an alive name for the path (anything but unreserved
/// characters).
pub fn encode_path(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sends(cmds: &[Command], key: ConnKey) -> Vec<Vec<u8>> {
        cmds.iter()
            .filter_map(|c| match c {
                Command::Send { key: k, bytes } if *k == key => Some(bytes.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_registration_held_and_closed() {
        let mut c = LiveCore::new();
        let key = c.register("foo", 9999, 1000).unwrap();
        let cmds = c.take_commands();
        assert_eq!(
            cmds[0],
            Command::Open {
                key,
                path: "/ws/epmd".into()
            }
        );
        assert_eq!(sends(&cmds, key)[0][2], b'x');
        c.on_open(key, 1001);
        assert_eq!(c.bridge(), BridgeStatus::Present);
        c.on_message(key, &[0x76, 0, 0, 0, 0, 9], 1002);
        let regs = c.registrations();
        assert_eq!(regs.len(), 1);
        assert_eq!(
            regs[0].text,
            "registered as foo, creation 9 (port 9999, ALIVE2_X_RESP)"
        );
        c.close_epmd(key, 1003);
        assert_eq!(c.take_commands(), vec![Command::Close { key }]);
        assert!(c.registrations().is_empty());
        assert!(c.log().last().unwrap().text.contains("dropped \"foo\""));
        // The bridge's close after ours changes nothing.
        c.on_close(key, 1000, "", true, 1004);
        let t = c.transcript();
        let types: Vec<_> = t.rows.iter().map(|r| r.type_name).collect();
        assert_eq!(types, ["ALIVE2_REQ", "ALIVE2_X_RESP"]);
        assert_eq!(t.rows[0].arrow, "playground → epmd");
        assert_eq!(t.rows[1].time, "+0.002 s");
        assert!(c.pcapng().unwrap().starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]));
    }

    #[test]
    fn no_bridge_is_noticed() {
        let mut c = LiveCore::new();
        let key = c.names(0);
        c.on_close(key, 1006, "", false, 5);
        assert_eq!(c.bridge(), BridgeStatus::Missing);
        let rows = c.epmd_rows();
        assert!(!rows[0].open);
        assert_eq!(rows[0].tone, Tone::Bad);
    }

    #[test]
    fn connecting_looks_the_node_up_first() {
        let mut c = LiveCore::new();
        c.connect_node("b", "me@h", "c", 7, 1, 0).unwrap();
        let cmds = c.take_commands();
        let Command::Open { key, .. } = cmds[0].clone() else {
            panic!()
        };
        assert_eq!(sends(&cmds, key), [vec![0, 2, b'z', b'b']]);
        assert!(c.node_busy());
        assert!(c.connect_node("b", "me@h", "c", 7, 1, 0).is_err());
        c.on_open(key, 1);
        c.on_message(key, &[0x77, 1], 2);
        c.on_close(key, 1000, "", true, 3);
        assert!(c.log().last().unwrap().text.contains("no node named \"b\""));
        assert!(c.take_commands().is_empty());
        // Found: the node socket opens and the send_name goes out.
        c.connect_node("b@h", "me@h", "c", 7, 1, 10).unwrap();
        let cmds = c.take_commands();
        let Command::Open { key, .. } = cmds[0].clone() else {
            panic!()
        };
        c.on_open(key, 11);
        let mut reply = vec![0x77, 0, 0x23, 0x28, 77, 0, 0, 6, 0, 5, 0, 1, b'b', 0, 0];
        c.on_message(key, &reply, 12);
        reply.clear();
        c.on_close(key, 1000, "", true, 13);
        let cmds = c.take_commands();
        assert_eq!(
            cmds[0],
            Command::Open {
                key: key + 1,
                path: "/ws/node/b".into()
            }
        );
        let first = &sends(&cmds, key + 1)[0];
        assert_eq!(first[2], b'N', "send_name");
        let v = c.node_view().unwrap();
        assert!(!v.connected && v.open);
        assert!(c.rpc("erlang:node()", 14).is_err());
    }

    #[test]
    fn hex_and_paths() {
        assert_eq!(parse_hex_request("00 01 6e").unwrap(), [0, 1, 0x6e]);
        assert!(parse_hex_request("zz").is_err());
        assert!(parse_hex_request("").is_err());
        assert_eq!(encode_path("a b/é"), "a%20b%2F%C3%A9");
    }
}
