//! One connection to a node, as a hidden node: the handshake, then the
//! connected phase (ticks, messages, `rex` calls).

use super::call::{parse_call, Call};
use super::Recording;
use crate::conn::Side;
use crate::dist::{encode_message, encode_tick, ConnectedDecoder, EncodeMode};
use crate::epmd::EncodeError;
use crate::etf::text::{parse, to_erlang};
use crate::etf::{Pid, Ref, RefKind, Term};
use crate::handshake::{
    decode_frame, digest, Config, Connection, DistFlags, HandshakeMessage, Initiator, Outcome,
};
use crate::reader::{lossy, Status};
use crate::session::Protocol;
use std::collections::VecDeque;
use std::fmt;

/// OTP's default tick interval: `net_ticktime` 60 s / 4.
pub const DEFAULT_TICK_INTERVAL_MS: u64 = 15_000;

/// How to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    /// Our full node name (`playground@127.0.0.1`).
    pub me: String,
    /// The node dialled: `name@host`, or only the alive `name`, in which
    /// case the host is taken from the node's challenge (OTP itself always
    /// dials a full name: its challenge must carry exactly that name).
    pub peer: String,
    /// The cookie.
    pub cookie: Vec<u8>,
    /// Our creation (any value ≥ 4, as epmd would give; passed in).
    pub creation: u32,
    /// Our challenge (a random number; passed in).
    pub challenge: u32,
    /// We send a tick when we have sent nothing for this long (OTP:
    /// `net_ticktime` / 4). Ticks from the node are answered at once.
    pub tick_interval_ms: u64,
}

impl NodeOptions {
    /// Options with OTP's default tick interval.
    pub fn new(me: &str, peer: &str, cookie: &[u8], creation: u32, challenge: u32) -> NodeOptions {
        NodeOptions {
            me: me.to_string(),
            peer: peer.to_string(),
            cookie: cookie.to_vec(),
            creation,
            challenge,
            tick_interval_ms: DEFAULT_TICK_INTERVAL_MS,
        }
    }
}

/// Where the connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeState {
    /// The handshake is running.
    Handshaking,
    /// Connected: the handshake's result.
    Connected(Connection),
    /// The handshake failed (the connection is to be closed).
    Failed {
        /// Why, as OTP would say it.
        reason: String,
    },
    /// The connection is closed.
    Closed {
        /// Who closed it.
        reason: String,
    },
}

/// A call made through `rex`, to match its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u32);

/// What happened, for the page to show.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeEvent {
    /// The handshake finished.
    Connected {
        /// The node's full name.
        peer: String,
        /// The negotiated flags.
        negotiated: DistFlags,
        /// PUBLISHED is not in both words (always, for us).
        hidden: bool,
    },
    /// The handshake failed.
    Failed {
        /// Why.
        reason: String,
    },
    /// A `rex` call was answered.
    Reply {
        /// Which call.
        id: CallId,
        /// The call as Erlang text (`erlang:node()`).
        call: String,
        /// The reply (`'b@127.0.0.1'`, or `{badrpc, ...}`) as Erlang text.
        reply: String,
        /// The reply term.
        term: Term,
    },
    /// Any other frame from the node but a tick (a message to us, a
    /// monitor, ...).
    Message {
        /// The frame type (`SEND_SENDER`, `MONITOR_P`, ...).
        kind: String,
        /// The control message as Erlang text.
        control: Option<String>,
        /// The payload as Erlang text.
        payload: Option<String>,
    },
    /// A frame from the node that does not decode (OTP would kill the
    /// connection).
    BadFrame {
        /// Where and what.
        error: String,
    },
    /// The connection closed.
    Closed {
        /// Who closed it.
        reason: String,
    },
}

/// The handshake's challenges and digests, for the page to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    /// The node's challenge (from its `N` message).
    pub peer_challenge: Option<u32>,
    /// Our challenge (in our `r`).
    pub our_challenge: u32,
    /// MD5(cookie ++ decimal(peer challenge)): what we sent in `r`.
    pub reply_digest: Option<[u8; 16]>,
    /// MD5(cookie ++ decimal(our challenge)): what the node must send in `a`.
    pub expected_ack: [u8; 16],
    /// What the node sent in `a`.
    pub ack_digest: Option<[u8; 16]>,
}

impl Digests {
    /// True when the node's ack matches (our cookies agree).
    pub fn ack_ok(&self) -> Option<bool> {
        self.ack_digest.map(|a| a == self.expected_ack)
    }
}

/// Why something cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// Not in the connected phase.
    NotConnected(String),
    /// The text is not a term / a call (where and what).
    Parse(String),
    /// The message cannot be encoded.
    Encode(EncodeError),
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::NotConnected(s) => write!(f, "not connected: {s}"),
            LiveError::Parse(s) => f.write_str(s),
            LiveError::Encode(e) => write!(f, "cannot encode: {e}"),
        }
    }
}

impl std::error::Error for LiveError {}

#[derive(Debug, Clone)]
struct Pending {
    id: CallId,
    call: String,
    ref_ids: Vec<u32>,
}

/// A hidden-node connection to one node. Sans-IO: send what
/// [`poll_transmit`](Self::poll_transmit) gives, pass what arrives to
/// [`handle_input`](Self::handle_input), call
/// [`handle_timeout`](Self::handle_timeout) now and then (it sends our
/// ticks), and read [`poll_event`](Self::poll_event).
#[derive(Debug, Clone)]
pub struct NodeClient {
    opts: NodeOptions,
    hs: Initiator,
    /// Everything the node sent during the handshake (to replay into a
    /// fresh initiator when the peer's host is learnt from its challenge).
    hs_received: Vec<u8>,
    /// The node's handshake frames not yet looked at (for the digests).
    hs_peek: Vec<u8>,
    state: NodeState,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<NodeEvent>,
    decoder: Option<ConnectedDecoder>,
    inbuf: Vec<u8>,
    mode_header: bool,
    last_sent_ms: u64,
    ticks_in: u64,
    ticks_out: u64,
    next_call: u32,
    next_ref: u32,
    pending: Vec<Pending>,
    digests: Digests,
    recording: Recording,
}

impl NodeClient {
    /// Starts a handshake at `now_ms`: the send_name is queued at once.
    pub fn new(opts: NodeOptions, now_ms: u64) -> NodeClient {
        let hs = Initiator::new(Self::config(&opts), &opts.peer);
        let mut rec = Recording::new(format!("node {}", opts.peer), Protocol::Dist, now_ms);
        rec.server_port = None;
        let digests = Digests {
            our_challenge: opts.challenge,
            expected_ack: digest(&opts.cookie, opts.challenge),
            ..Digests::default()
        };
        let mut c = NodeClient {
            opts,
            hs,
            hs_received: Vec::new(),
            hs_peek: Vec::new(),
            state: NodeState::Handshaking,
            out: VecDeque::new(),
            events: VecDeque::new(),
            decoder: None,
            inbuf: Vec::new(),
            mode_header: true,
            last_sent_ms: now_ms,
            ticks_in: 0,
            ticks_out: 0,
            next_call: 1,
            next_ref: 1,
            pending: Vec::new(),
            digests,
            recording: rec,
        };
        c.drain_handshake(now_ms);
        c
    }

    fn config(opts: &NodeOptions) -> Config {
        Config::new(&opts.me, &opts.cookie, opts.creation, opts.challenge).hidden()
    }

    /// Sets the node's TCP port, for the capture.
    pub fn set_server_port(&mut self, port: u16) {
        self.recording.server_port = Some(port);
    }

    /// The next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<NodeEvent> {
        self.events.pop_front()
    }

    /// Where the connection is.
    pub fn state(&self) -> &NodeState {
        &self.state
    }

    /// True in the connected phase.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, NodeState::Connected(_))
    }

    /// The node's full name: as dialled, or as its challenge gave it.
    pub fn peer(&self) -> &str {
        &self.opts.peer
    }

    /// The options.
    pub fn options(&self) -> &NodeOptions {
        &self.opts
    }

    /// The challenges and digests seen so far.
    pub fn digests(&self) -> &Digests {
        &self.digests
    }

    /// Ticks received from the node and sent by us.
    pub fn ticks(&self) -> (u64, u64) {
        (self.ticks_in, self.ticks_out)
    }

    /// Calls sent and not answered yet.
    pub fn pending_calls(&self) -> usize {
        self.pending.len()
    }

    /// Everything that crossed the connection.
    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// Our process: `#Pid<'me'.1.0;c=creation>`, the sender of our
    /// messages and the one replies come to.
    pub fn pid(&self) -> Term {
        Term::Pid(Pid {
            new: true,
            node: Box::new(Term::atom(&self.opts.me)),
            id: 1,
            serial: 0,
            creation: self.opts.creation,
        })
    }

    fn queue(&mut self, bytes: Vec<u8>, now_ms: u64) {
        self.recording.record(Side::Initiator, &bytes, now_ms);
        self.last_sent_ms = now_ms;
        self.out.push_back(bytes);
    }

    fn drain_handshake(&mut self, now_ms: u64) {
        while let Some(b) = self.hs.poll_transmit() {
            self.queue(b, now_ms);
        }
    }

    /// Bytes from the node.
    pub fn handle_input(&mut self, bytes: &[u8], now_ms: u64) {
        if matches!(
            self.state,
            NodeState::Closed { .. } | NodeState::Failed { .. }
        ) {
            // Still recorded: the transcript shows what came after.
            self.recording.record(Side::Acceptor, bytes, now_ms);
            return;
        }
        self.recording.record(Side::Acceptor, bytes, now_ms);
        match self.state {
            NodeState::Handshaking => self.handshake_input(bytes, now_ms),
            NodeState::Connected(_) => {
                self.inbuf.extend_from_slice(bytes);
                self.connected_input(now_ms);
            }
            _ => {}
        }
    }

    fn handshake_input(&mut self, bytes: &[u8], now_ms: u64) {
        self.hs_received.extend_from_slice(bytes);
        self.hs_peek.extend_from_slice(bytes);
        if self.peek_handshake() {
            // A fresh initiator: everything the node sent so far.
            let all = self.hs_received.clone();
            self.hs.handle_input(&all);
        } else {
            self.hs.handle_input(bytes);
        }
        self.drain_handshake(now_ms);
        self.after_handshake_step(now_ms);
    }

    /// Looks at the node's handshake frames: its challenge (our digest,
    /// and its full name when we dialled only the alive part) and its ack.
    /// True when the initiator was replaced (see [`Self::on_challenge`]).
    fn peek_handshake(&mut self) -> bool {
        let mut rebuilt = false;
        loop {
            let f = decode_frame(&self.hs_peek, 0, Side::Acceptor);
            if !f.frame.status.is_complete() {
                return rebuilt;
            }
            let n = f.frame.consumed.min(self.hs_peek.len());
            self.hs_peek.drain(..n);
            match f.message {
                Some(HandshakeMessage::Challenge(c)) => {
                    rebuilt |= self.on_challenge(c.challenge, &c.name)
                }
                Some(HandshakeMessage::ChallengeV5(c)) => {
                    rebuilt |= self.on_challenge(c.challenge, &c.name)
                }
                Some(HandshakeMessage::ChallengeAck(a)) => {
                    self.digests.ack_digest = Some(a.digest);
                    // What follows is the connected phase.
                    return rebuilt;
                }
                _ => {}
            }
        }
    }

    /// The node's challenge. When we dialled only the alive name and the
    /// challenge carries `alive@host`, the initiator is replaced by one for
    /// the full name (its send_name, identical, is already sent; the
    /// caller feeds it what the node sent so far): true then.
    fn on_challenge(&mut self, challenge: u32, name: &[u8]) -> bool {
        self.digests.peer_challenge = Some(challenge);
        self.digests.reply_digest = Some(digest(&self.opts.cookie, challenge));
        let name = lossy(name);
        let alive = name.split('@').next().unwrap_or("");
        if !self.opts.peer.contains('@') && alive == self.opts.peer && name != self.opts.peer {
            // Dialled by alive name only: the challenge tells the host.
            // A fresh initiator for the full name, fed what came so far
            // (its send_name, identical, is already sent).
            self.opts.peer = name;
            self.recording.label = format!("node {}", self.opts.peer);
            let mut hs = Initiator::new(Self::config(&self.opts), &self.opts.peer);
            while hs.poll_transmit().is_some() {}
            self.hs = hs;
            return true;
        }
        false
    }

    fn after_handshake_step(&mut self, now_ms: u64) {
        match self.hs.state().clone() {
            Outcome::InProgress => {}
            Outcome::Failed { reason } => {
                self.state = NodeState::Failed {
                    reason: reason.clone(),
                };
                self.events.push_back(NodeEvent::Failed { reason });
            }
            Outcome::Connected(c) => {
                self.mode_header = c
                    .negotiated
                    .intersects(DistFlags::DIST_HDR_ATOM_CACHE.with(DistFlags::FRAGMENTS));
                self.decoder = Some(ConnectedDecoder::new(Some(c.negotiated.0)));
                self.events.push_back(NodeEvent::Connected {
                    peer: lossy(&c.peer_name),
                    negotiated: c.negotiated,
                    hidden: c.hidden,
                });
                self.state = NodeState::Connected(c);
                self.last_sent_ms = now_ms;
                self.inbuf = self.hs.take_leftover();
                self.connected_input(now_ms);
            }
        }
    }

    fn connected_input(&mut self, now_ms: u64) {
        loop {
            if self.inbuf.is_empty() {
                return;
            }
            let Some(dec) = self.decoder.as_mut() else {
                return;
            };
            let f = dec.decode_frame(&self.inbuf, 0);
            if f.frame.status.is_incomplete() {
                return;
            }
            let n = f.frame.consumed.clamp(1, self.inbuf.len());
            self.inbuf.drain(..n);
            if let Status::Invalid(e) = &f.frame.status {
                self.events.push_back(NodeEvent::BadFrame {
                    error: format!("{} frame: {e}", f.frame.type_name),
                });
                continue;
            }
            if f.frame.type_name == "TICK" {
                self.ticks_in += 1;
                // Answered at once: the node never sees us silent.
                self.ticks_out += 1;
                self.queue(encode_tick(), now_ms);
                continue;
            }
            if let Some(p) = &f.payload {
                if let Some(ev) = self.match_reply(p) {
                    self.events.push_back(ev);
                    continue;
                }
            }
            self.events.push_back(NodeEvent::Message {
                kind: f.frame.type_name.to_string(),
                control: f.control.as_ref().map(to_erlang),
                payload: f.payload.as_ref().map(to_erlang),
            });
        }
    }

    /// `{Ref, Reply}` for a pending call's Ref.
    fn match_reply(&mut self, payload: &Term) -> Option<NodeEvent> {
        let Term::Tuple { elems, .. } = payload else {
            return None;
        };
        let [Term::Ref(r), reply] = elems.as_slice() else {
            return None;
        };
        let me = &self.opts.me;
        let ours = r.creation == self.opts.creation
            && matches!(&*r.node, Term::Atom(a) if a.name.as_deref() == Some(me.as_str()));
        if !ours {
            return None;
        }
        let i = self.pending.iter().position(|p| p.ref_ids == r.ids)?;
        let p = self.pending.remove(i);
        Some(NodeEvent::Reply {
            id: p.id,
            call: p.call,
            reply: to_erlang(reply),
            term: reply.clone(),
        })
    }

    /// The node closed the connection (or the bridge did).
    pub fn handle_close(&mut self, now_ms: u64) {
        self.recording.close(now_ms);
        match self.state {
            NodeState::Handshaking => {
                self.hs.handle_close();
                self.after_handshake_step(now_ms);
                if self.state == NodeState::Handshaking {
                    self.state = NodeState::Failed {
                        reason: "the node closed the connection during the handshake".into(),
                    };
                }
                let reason = match &self.state {
                    NodeState::Failed { reason } => reason.clone(),
                    _ => String::new(),
                };
                self.state = NodeState::Closed {
                    reason: format!("the handshake failed: {reason}"),
                };
            }
            NodeState::Connected(_) => {
                let reason = format!(
                    "the node closed the connection ({} calls unanswered)",
                    self.pending.len()
                );
                self.state = NodeState::Closed {
                    reason: reason.clone(),
                };
                self.events.push_back(NodeEvent::Closed { reason });
            }
            NodeState::Failed { ref reason } => {
                let reason = reason.clone();
                self.state = NodeState::Closed { reason };
            }
            NodeState::Closed { .. } => {}
        }
    }

    /// We close the connection (the caller closes the socket).
    pub fn close(&mut self, now_ms: u64) {
        if matches!(self.state, NodeState::Closed { .. }) {
            return;
        }
        self.recording.close(now_ms);
        let reason = "closed by the playground".to_string();
        self.state = NodeState::Closed {
            reason: reason.clone(),
        };
        self.events.push_back(NodeEvent::Closed { reason });
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has something
    /// to do (our next tick), if connected.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.is_connected()
            .then(|| self.last_sent_ms.saturating_add(self.opts.tick_interval_ms))
    }

    /// Time passes: sends a tick when we have been silent for the tick
    /// interval.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if let Some(due) = self.poll_timeout() {
            if now_ms >= due {
                self.ticks_out += 1;
                self.queue(encode_tick(), now_ms);
            }
        }
    }

    fn connected_check(&self) -> Result<(), LiveError> {
        match &self.state {
            NodeState::Connected(_) => Ok(()),
            NodeState::Handshaking => Err(LiveError::NotConnected(
                "the handshake is still running".into(),
            )),
            NodeState::Failed { reason } | NodeState::Closed { reason } => {
                Err(LiveError::NotConnected(reason.clone()))
            }
        }
    }

    fn send_message(
        &mut self,
        control: &Term,
        payload: &Term,
        now_ms: u64,
    ) -> Result<(), LiveError> {
        let mode = if self.mode_header {
            EncodeMode::Header
        } else {
            EncodeMode::PassThrough
        };
        let bytes = encode_message(control, Some(payload), mode).map_err(LiveError::Encode)?;
        self.queue(bytes, now_ms);
        Ok(())
    }

    /// Sends `message` to the process registered as `name` on the node
    /// (REG_SEND `{6, OurPid, '', Name}`).
    pub fn send_reg(&mut self, name: &str, message: &Term, now_ms: u64) -> Result<(), LiveError> {
        self.connected_check()?;
        let control = Term::Tuple {
            large: false,
            elems: vec![
                Term::SmallInteger(6),
                self.pid(),
                Term::atom(""),
                Term::atom(name),
            ],
        };
        self.send_message(&control, message, now_ms)
    }

    /// [`send_reg`](Self::send_reg) with the message as Erlang text.
    pub fn send_reg_text(
        &mut self,
        name: &str,
        message: &str,
        now_ms: u64,
    ) -> Result<(), LiveError> {
        let m = parse(message).map_err(|e| LiveError::Parse(format!("the message: {e}")))?;
        self.send_reg(name, &m, now_ms)
    }

    /// Calls `call` through `rex`, as `rpc:call/4` and erl_interface's
    /// `ei_rpc` do: a REG_SEND to `rex` with
    /// `{'$gen_call', {OurPid, Ref}, {call, M, F, Args, user}}`; the reply
    /// comes back as `{Ref, Result}` and is reported as
    /// [`NodeEvent::Reply`].
    pub fn rpc(&mut self, call: &Call, now_ms: u64) -> Result<CallId, LiveError> {
        self.connected_check()?;
        let ids = vec![self.next_ref, 0x5eed, 0xe71d];
        self.next_ref = self.next_ref.wrapping_add(1);
        let reference = Term::Ref(Ref {
            kind: RefKind::NewerReference,
            node: Box::new(Term::atom(&self.opts.me)),
            creation: self.opts.creation,
            ids: ids.clone(),
        });
        let args = if call.args.is_empty() {
            Term::Nil
        } else {
            Term::List {
                elems: call.args.clone(),
                tail: Box::new(Term::Nil),
            }
        };
        let tuple = |elems: Vec<Term>| Term::Tuple {
            large: false,
            elems,
        };
        let request = tuple(vec![
            Term::atom("$gen_call"),
            tuple(vec![self.pid(), reference]),
            tuple(vec![
                Term::atom("call"),
                Term::atom(&call.module),
                Term::atom(&call.function),
                args,
                Term::atom("user"),
            ]),
        ]);
        let control = tuple(vec![
            Term::SmallInteger(6),
            self.pid(),
            Term::atom(""),
            Term::atom("rex"),
        ]);
        self.send_message(&control, &request, now_ms)?;
        let id = CallId(self.next_call);
        self.next_call = self.next_call.wrapping_add(1);
        self.pending.push(Pending {
            id,
            call: call.text(),
            ref_ids: ids,
        });
        Ok(id)
    }

    /// [`rpc`](Self::rpc) of a typed `M:F(Args)`.
    pub fn rpc_text(&mut self, text: &str, now_ms: u64) -> Result<CallId, LiveError> {
        let call = parse_call(text).map_err(|e| LiveError::Parse(format!("the call: {e}")))?;
        self.rpc(&call, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::encode_message;
    use crate::handshake::Acceptor;

    /// The client against the codec's own acceptor, in memory, one byte
    /// at a time, then a `rex` call decoded on the other side and a reply.
    #[test]
    fn against_the_codec_acceptor() {
        let mut b = Acceptor::new(Config::new("b@h", b"c", 9, 42));
        let opts = NodeOptions::new("me@h", "b", b"c", 7, 5);
        let mut a = NodeClient::new(opts, 1000);
        for _ in 0..4 {
            while let Some(x) = a.poll_transmit() {
                b.handle_input(&x);
            }
            while let Some(x) = b.poll_transmit() {
                for byte in x {
                    a.handle_input(&[byte], 1001);
                }
            }
        }
        assert!(a.is_connected(), "{:?}", a.state());
        assert_eq!(a.peer(), "b@h");
        assert!(matches!(
            a.poll_event(),
            Some(NodeEvent::Connected { hidden: true, .. })
        ));
        assert_eq!(a.digests().ack_ok(), Some(true));

        // A tick is answered; our own comes after the interval.
        a.handle_input(&[0, 0, 0, 0], 2000);
        assert_eq!(a.poll_transmit(), Some(vec![0, 0, 0, 0]));
        assert_eq!(a.poll_timeout(), Some(2000 + DEFAULT_TICK_INTERVAL_MS));
        a.handle_timeout(2001);
        assert_eq!(a.poll_transmit(), None);
        a.handle_timeout(2000 + DEFAULT_TICK_INTERVAL_MS);
        assert_eq!(a.poll_transmit(), Some(vec![0, 0, 0, 0]));
        assert_eq!(a.ticks(), (1, 2));

        let id = a.rpc_text("lists:reverse([1,2,3])", 3000).unwrap();
        let sent = a.poll_transmit().unwrap();
        let mut dec = ConnectedDecoder::new(None);
        let f = dec.decode_frame(&sent, 0);
        assert!(f.frame.status.is_complete(), "{:?}", f.frame.status);
        assert_eq!(f.frame.type_name, "REG_SEND");
        let pid = to_erlang(&a.pid());
        assert_eq!(pid, "#Pid<me@h.1.0;c=7>");
        assert_eq!(
            f.control.as_ref().map(to_erlang).unwrap(),
            format!("{{6,{pid},'',rex}}")
        );
        let payload = f.payload.unwrap();
        let text = to_erlang(&payload);
        assert!(
            text.starts_with(&format!("{{'$gen_call',{{{pid},#Ref<me@h."))
                && text.ends_with("{call,lists,reverse,[[1,2,3]],user}}"),
            "{text}"
        );
        // The node's answer: {Ref, [3,2,1]} to our pid.
        let Term::Tuple { elems, .. } = &payload else {
            panic!()
        };
        let Term::Tuple { elems: from, .. } = &elems[1] else {
            panic!()
        };
        let reply = Term::Tuple {
            large: false,
            elems: vec![from[1].clone(), parse("[3,2,1]").unwrap()],
        };
        let control = parse(&format!("{{22, #Pid<'b@h'.9.0;c=9>, {pid}}}")).unwrap();
        let bytes = encode_message(&control, Some(&reply), EncodeMode::Header).unwrap();
        a.handle_input(&bytes[..5], 3001);
        assert_eq!(a.poll_event(), None);
        a.handle_input(&bytes[5..], 3002);
        match a.poll_event() {
            Some(NodeEvent::Reply {
                id: i, call, reply, ..
            }) => {
                assert_eq!(i, id);
                assert_eq!(call, "lists:reverse([1,2,3])");
                assert_eq!(reply, "[3,2,1]");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.pending_calls(), 0);
        // The same reply again matches nothing: a plain message.
        a.handle_input(&bytes, 3003);
        assert!(matches!(a.poll_event(), Some(NodeEvent::Message { .. })));

        a.handle_close(4000);
        assert!(matches!(a.state(), NodeState::Closed { .. }));
        assert!(a.send_reg_text("x", "hi", 4001).is_err());
        let rec = a.recording();
        assert_eq!(rec.closed_ms, Some(4000));
        assert_eq!(rec.label, "node b@h");
    }

    #[test]
    fn a_wrong_cookie_is_explained() {
        let mut b = Acceptor::new(Config::new("b@h", b"right", 9, 42));
        let mut a = NodeClient::new(NodeOptions::new("me@h", "b@h", b"wrong", 7, 5), 0);
        for _ in 0..4 {
            while let Some(x) = a.poll_transmit() {
                b.handle_input(&x);
            }
            while let Some(x) = b.poll_transmit() {
                a.handle_input(&x, 1);
            }
        }
        assert!(matches!(b.state(), Outcome::Failed { .. }));
        a.handle_close(2);
        match a.poll_event() {
            Some(NodeEvent::Failed { reason }) => {
                assert!(reason.contains("cookies differ"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
