//! One client connection to epmd.

use super::Recording;
use crate::conn::Side;
use crate::epmd::{
    self, decode_reply, decode_request, EpmdMessage, Fields, ReplyContext, Status, ALIVE2_REQ,
};
use crate::reader::lossy;
use crate::session::Protocol;

/// A NAMES_REQ: `00 01 6e`.
pub fn names_req() -> Vec<u8> {
    vec![0x00, 0x01, epmd::NAMES_REQ]
}

/// A PORT_PLEASE2_REQ for the alive name `name`.
pub fn port_please2_req(name: &str) -> Result<Vec<u8>, epmd::EncodeError> {
    let mut f = Fields::new();
    f.insert("name".into(), name.into());
    epmd::encode_fields("PORT_PLEASE2_REQ", &f)
}

/// An ALIVE2_REQ as OTP 25 sends it (normal node type 77, protocol 0,
/// versions 6..5) for the alive name `name` listening on `port`.
pub fn alive2_req(name: &str, port: u16) -> Result<Vec<u8>, epmd::EncodeError> {
    let mut f = Fields::new();
    f.insert("name".into(), name.into());
    f.insert("port".into(), port.to_string());
    epmd::encode_fields("ALIVE2_REQ", &f)
}

/// A name registered by an open ALIVE2 connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The alive name registered.
    pub name: String,
    /// The port the registration points to.
    pub port: u16,
    /// The creation epmd gave.
    pub creation: u32,
    /// `ALIVE2_X_RESP` (HighestVersion ≥ 6, 32-bit creation) or
    /// `ALIVE2_RESP` (16-bit creation).
    pub reply: &'static str,
    /// When epmd accepted it.
    pub since_ms: u64,
}

/// Where an epmd connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpmdState {
    /// The request is sent (or about to be); no reply yet, or a reply
    /// that runs until epmd closes.
    Waiting,
    /// An ALIVE2 registration epmd accepted; it lasts while this
    /// connection stays open.
    Registered(Registration),
    /// epmd answered an ALIVE2 with an error; epmd keeps the socket open
    /// anyway, the client is expected to close it.
    Refused {
        /// Why.
        why: String,
    },
    /// The connection is closed.
    Closed {
        /// Who closed it and what that means (a registration gone, no
        /// reply to a bad request, ...).
        why: String,
    },
}

/// One connection to epmd, which serves one request per connection
/// (except ALIVE2, whose connection is the registration). Sans-IO: the
/// caller sends what [`poll_transmit`](Self::poll_transmit) gives, passes
/// what arrives to [`handle_input`](Self::handle_input) and the close to
/// [`handle_close`](Self::handle_close).
#[derive(Debug, Clone)]
pub struct EpmdConn {
    request: Vec<u8>,
    sent: bool,
    /// The request code when the bytes have one (`bytes[2]`).
    code: Option<u8>,
    /// The decoded ALIVE2_REQ, when that is what was sent.
    alive: Option<epmd::Alive2Req>,
    reply: Vec<u8>,
    state: EpmdState,
    /// The registration, kept after the close to explain what happened.
    registered: Option<Registration>,
    recording: Recording,
}

impl EpmdConn {
    /// A connection that will send `request` (any bytes: a request the
    /// builder made, or a deliberately broken one), opened at `now_ms`.
    pub fn new(request: Vec<u8>, now_ms: u64) -> EpmdConn {
        let d = decode_request(&request, 0);
        let alive = match &d.message {
            Some(EpmdMessage::Alive2Req(a)) => Some(a.clone()),
            _ => None,
        };
        let label = match (&d.message, &d.status) {
            (Some(EpmdMessage::Alive2Req(a)), _) => format!("epmd: ALIVE2_REQ {}", lossy(&a.name)),
            (Some(EpmdMessage::PortPlease2Req(p)), _) => {
                format!("epmd: PORT_PLEASE2_REQ {}", lossy(&p.name))
            }
            (Some(m), _) => format!("epmd: {}", m.type_name()),
            (None, Status::Invalid(_)) => format!("epmd: invalid {}", d.type_name),
            (None, _) => format!("epmd: incomplete {}", d.type_name),
        };
        EpmdConn {
            code: request.get(2).copied(),
            request,
            sent: false,
            alive,
            reply: Vec::new(),
            state: EpmdState::Waiting,
            registered: None,
            recording: Recording::new(label, Protocol::Epmd, now_ms),
        }
    }

    /// The request's bytes, once (recorded as sent at the time the
    /// connection was made).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.sent || self.is_closed() {
            return None;
        }
        self.sent = true;
        let at = self.recording.opened_ms;
        self.recording.record(Side::Initiator, &self.request, at);
        Some(self.request.clone())
    }

    /// Bytes from epmd.
    pub fn handle_input(&mut self, bytes: &[u8], now_ms: u64) {
        if self.is_closed() {
            return;
        }
        self.recording.record(Side::Acceptor, bytes, now_ms);
        self.reply.extend_from_slice(bytes);
        if self.code != Some(ALIVE2_REQ) || self.state != EpmdState::Waiting {
            if matches!(self.state, EpmdState::Registered(_)) {
                // epmd never writes on a registration socket after its reply.
                self.state = EpmdState::Refused {
                    why: format!(
                        "epmd sent {} more bytes on the registration socket after its reply, which it never does",
                        bytes.len()
                    ),
                };
            }
            return;
        }
        let d = decode_reply(
            &self.reply,
            0,
            ReplyContext {
                eof: false,
                answers: Some(ALIVE2_REQ),
            },
        );
        let (result, creation, reply) = match d.message {
            Some(EpmdMessage::Alive2XResp(r)) => (r.result, r.creation, "ALIVE2_X_RESP"),
            Some(EpmdMessage::Alive2Resp(r)) => (r.result, u32::from(r.creation), "ALIVE2_RESP"),
            _ => {
                if let Status::Invalid(e) = d.status {
                    self.state = EpmdState::Refused {
                        why: format!("epmd's reply is not an ALIVE2 reply: {e}"),
                    };
                }
                return;
            }
        };
        let name = self
            .alive
            .as_ref()
            .map(|a| lossy(&a.name))
            .unwrap_or_default();
        if result == 0 {
            let r = Registration {
                name,
                port: self.alive.as_ref().map_or(0, |a| a.port),
                creation,
                reply,
                since_ms: now_ms,
            };
            self.registered = Some(r.clone());
            self.state = EpmdState::Registered(r);
        } else {
            self.state = EpmdState::Refused {
                why: format!(
                    "epmd refused to register {name:?} ({reply} result {result}, creation {creation}): \
                     the name is already registered, or it is not a valid name \
                     (more than 255 characters, not UTF-8). epmd keeps this socket open even after \
                     an error; close it."
                ),
            };
        }
    }

    /// epmd (or the bridge in front of it) closed the connection.
    pub fn handle_close(&mut self, now_ms: u64) {
        if self.is_closed() {
            return;
        }
        self.recording.close(now_ms);
        let why = match (&self.registered, self.reply.is_empty()) {
            (Some(r), _) => format!(
                "epmd closed the registration socket: {:?} is no longer registered",
                r.name
            ),
            (None, true) => self.no_reply_reason(),
            (None, false) => match self.code.and_then(epmd::request_name) {
                Some("ALIVE2_REQ") => "epmd closed the connection".to_string(),
                _ => "epmd answered and closed the connection (one request per connection)"
                    .to_string(),
            },
        };
        self.state = EpmdState::Closed { why };
    }

    /// We close the connection (the caller closes the socket).
    pub fn close(&mut self, now_ms: u64) {
        if self.is_closed() {
            return;
        }
        self.recording.close(now_ms);
        let why = match &self.registered {
            Some(r) => format!(
                "closed by the playground: epmd dropped {:?} (creation {}) when the registering \
                 TCP connection closed. There is no unregister message: a node stays registered \
                 exactly as long as its ALIVE2 connection is open.",
                r.name, r.creation
            ),
            None => "closed by the playground".to_string(),
        };
        self.state = EpmdState::Closed { why };
    }

    /// Why epmd closed without a word: what the request looks like to it.
    fn no_reply_reason(&self) -> String {
        let d = decode_request(&self.request, 0);
        let base = "epmd closed the connection without a reply";
        match d.status {
            Status::Invalid(e) => {
                format!("{base}: the request is invalid ({e}), so epmd logs it and closes")
            }
            Status::Incomplete(i) => format!(
                "{base}: the request is incomplete ({}), so epmd waited for the rest",
                i.message
            ),
            Status::Complete => match d.message {
                Some(EpmdMessage::Unknown(_)) => format!(
                    "{base}: the request code is not one epmd knows (it logs \"got garbage\")"
                ),
                _ if d.consumed < self.request.len() => format!(
                    "{base}: {} bytes came after the request's declared length (epmd reads \
                     exactly Length + 2 bytes: \"got N bytes in packet, expected M\")",
                    self.request.len() - d.consumed
                ),
                Some(EpmdMessage::StopReq(_)) => {
                    format!("{base}: STOP_REQ needs epmd's -relaxed_command_check")
                }
                Some(EpmdMessage::Alive2Req(_)) => {
                    format!("{base}: epmd accepts ALIVE2_REQ only from local clients")
                }
                _ => format!(
                    "{base} (requests that only local clients may send are refused this way)"
                ),
            },
        }
    }

    /// Where the connection is.
    pub fn state(&self) -> &EpmdState {
        &self.state
    }

    /// The open registration, if this connection holds one.
    pub fn registration(&self) -> Option<&Registration> {
        match &self.state {
            EpmdState::Registered(r) => Some(r),
            _ => None,
        }
    }

    /// The registration this connection held, even after it closed.
    pub fn ever_registered(&self) -> Option<&Registration> {
        self.registered.as_ref()
    }

    /// True once either side closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, EpmdState::Closed { .. })
    }

    /// The request bytes.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The reply split into frames (a reply that runs until epmd closes,
    /// like NAMES_RESP, is whole once the connection is closed).
    pub fn replies(&self) -> Vec<epmd::Decoded> {
        let mut out = Vec::new();
        let mut pos = 0usize;
        let eof = self.is_closed();
        while let Some(rest) = self.reply.get(pos..).filter(|r| !r.is_empty()) {
            let d = decode_reply(
                rest,
                pos,
                ReplyContext {
                    eof,
                    answers: self.code,
                },
            );
            let n = d.consumed.max(1);
            let stop = !d.status.is_complete();
            out.push(d);
            if stop {
                break;
            }
            pos = pos.saturating_add(n);
        }
        out
    }

    /// The names and ports a NAMES_RESP listed.
    pub fn names(&self) -> Vec<(String, u64)> {
        self.replies()
            .into_iter()
            .filter_map(|d| match d.message {
                Some(EpmdMessage::NamesResp(n)) => Some(n.lines),
                _ => None,
            })
            .flatten()
            .map(|l| (lossy(&l.name), l.port))
            .collect()
    }

    /// The port a PORT2_RESP gave, `Ok(None)` when epmd said the name is
    /// not registered, `Err` when there is no such reply (yet).
    pub fn port(&self) -> Result<Option<u16>, String> {
        for d in self.replies() {
            match d.message {
                Some(EpmdMessage::Port2Resp(epmd::Port2Resp::Found(n))) => return Ok(Some(n.port)),
                Some(EpmdMessage::Port2Resp(epmd::Port2Resp::NotFound { .. })) => return Ok(None),
                _ => {}
            }
        }
        Err(match &self.state {
            EpmdState::Closed { why } => why.clone(),
            _ => "no PORT2_RESP yet".to_string(),
        })
    }

    /// Everything that crossed the connection.
    pub fn recording(&self) -> &Recording {
        &self.recording
    }
}
