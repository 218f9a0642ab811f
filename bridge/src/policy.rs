//! The bridge's protocol-level decisions, as pure functions: which endpoint
//! a request path names, whether an Origin may open a websocket, whether a
//! peer is local in epmd's sense, and which EPMD requests a remote peer may
//! send. No I/O here; `server.rs` and `relay.rs` act on the answers.
//!
//! The rule the bridge keeps is epmd's own (SPEC.md §1.10): ALIVE2, DUMP,
//! KILL and STOP are served only to local peers. Every bridged connection
//! reaches epmd from loopback, so epmd would take them from anyone; the
//! bridge therefore checks the websocket client's own address and, for a
//! remote client, reads the request codes in the relayed stream and refuses
//! those four. Otherwise a remote page could register a name pointing at any
//! local port and reach that port through `/ws/node/<name>`.

use erldist_codec::epmd;
use std::net::{IpAddr, SocketAddr};

/// Websocket close codes the bridge sends (RFC 6455 §7.4.1, plus two in
/// the private-use range 4000–4999).
pub mod code {
    /// The TCP peer closed its side (EOF) or the client closed.
    pub const NORMAL: u16 = 1000;
    /// Idle timeout, or the bridge is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A text frame: the relay carries bytes only.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A request refused by policy (epmd's local-only requests from a
    /// remote client).
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A message over `--max-message-size`.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The TCP peer reset the connection, or another I/O error.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// Too many connections (`--max-connections`).
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The target (epmd or the node) could not be reached: 1014 "Bad
    /// Gateway"'s meaning in the private-use range, because Chromium and
    /// tungstenite treat a received 1014 as a protocol error.
    pub const BAD_GATEWAY: u16 = 4502;
    /// `/ws/node/<name>`: epmd has no node of that name.
    pub const NOT_REGISTERED: u16 = 4404;
}

/// Why and how a websocket is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    /// The close code.
    pub code: u16,
    /// The reason (at most 123 bytes on the wire; see [`close_reason`]).
    pub reason: String,
}

impl Close {
    /// A close with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> Close {
        Close {
            code,
            reason: reason.into(),
        }
    }
}

/// `reason` cut to the 123 bytes a close frame can carry, on a character
/// boundary, with `…` when cut.
pub fn close_reason(reason: &str) -> String {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason.to_string();
    }
    let ell = '…';
    let mut end = MAX - ell.len_utf8();
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ell}", &reason[..end])
}

/// A refusal at the HTTP level, before any upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Plain-text body and log reason.
    pub reason: String,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
        }
    }
}

/// A websocket endpoint of the bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/ws/epmd`: the configured epmd.
    Epmd,
    /// `/ws/node/<name>`: the node registered under this alive name with the
    /// configured epmd (looked up when the socket opens).
    Node(String),
    /// `/ws/tap`: the mirror of the tap connections.
    Tap,
}

impl Endpoint {
    /// The path, for logs.
    pub fn path(&self) -> String {
        match self {
            Endpoint::Epmd => "/ws/epmd".into(),
            Endpoint::Node(n) => format!("/ws/node/{n}"),
            Endpoint::Tap => "/ws/tap".into(),
        }
    }
}

const ENDPOINTS: &str =
    "the bridge's websocket endpoints are /ws/epmd, /ws/node/<name> and /ws/tap";

/// Which endpoint a request names. `path` is the raw (percent-encoded) path
/// of the request, `query` its query string. The endpoints take no query:
/// a client never names a host or a port, in the path or anywhere else.
pub fn route(path: &str, query: Option<&str>) -> Result<Endpoint, Refusal> {
    if query.is_some_and(|q| !q.is_empty()) {
        return Err(Refusal::new(
            400,
            "websocket endpoints take no query string: the bridge chooses every target itself",
        ));
    }
    match path {
        "/ws/epmd" => return Ok(Endpoint::Epmd),
        "/ws/tap" => return Ok(Endpoint::Tap),
        _ => {}
    }
    let Some(raw) = path.strip_prefix("/ws/node/") else {
        return Err(Refusal::new(
            404,
            format!("no endpoint {path}: {ENDPOINTS}"),
        ));
    };
    if raw.contains('/') {
        return Err(Refusal::new(
            404,
            format!("no endpoint {path}: /ws/node/ takes one path segment, the node's alive name"),
        ));
    }
    let name = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refusal::new(400, "the node name is not valid UTF-8 once percent-decoded"))?;
    validate_node_name(&name).map_err(|why| Refusal::new(400, why))?;
    Ok(Endpoint::Node(name.into_owned()))
}

/// Checks an alive name (the part of a node name before `@`) as epmd would
/// store it (1..=255 characters, at most 1020 bytes, no NUL), and refuses
/// anything that only makes sense as a path or a host.
pub fn validate_node_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty node name".into());
    }
    if name.chars().count() > 255 || name.len() > 1020 {
        return Err("node name longer than epmd allows (255 characters, 1020 bytes)".into());
    }
    if name == "." || name == ".." {
        return Err(format!("{name:?} is not a node name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || matches!(c, '/' | '\\'))
    {
        return Err(format!("node name contains {c:?}"));
    }
    if name.contains('@') {
        return Err(
            "give the node's alive name (the part before '@'): the bridge connects to the host of its epmd"
                .into(),
        );
    }
    Ok(())
}

/// An origin in the form browsers send it: lowercase, no trailing `/`, no
/// default port (`:80` for http, `:443` for https).
pub fn normalize_origin(origin: &str) -> String {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    if let Some(h) = o.strip_prefix("http://") {
        if let Some(h) = h.strip_suffix(":80") {
            return format!("http://{h}");
        }
    }
    if let Some(h) = o.strip_prefix("https://") {
        if let Some(h) = h.strip_suffix(":443") {
            return format!("https://{h}");
        }
    }
    o
}

/// The bridge's own origin(s) when it listens on `listen`:
/// `http://<listen addr>`, and `http://localhost:<port>` too when the
/// address is loopback.
pub fn default_origins(listen: SocketAddr) -> Vec<String> {
    let mut v = vec![normalize_origin(&format!("http://{listen}"))];
    if listen.ip().is_loopback() {
        v.push(normalize_origin(&format!(
            "http://localhost:{}",
            listen.port()
        )));
    }
    v
}

/// Whether a websocket may open with this `Origin` header. A request
/// without one is not from a browser page (browsers always send it on a
/// websocket upgrade) and is let through: the Origin check stops other web
/// pages from using the bridge, it is not authentication. `null` (sandboxed
/// frames, `file:` pages) is refused unless listed.
pub fn check_origin(origin: Option<&str>, allowed: &[String]) -> Result<(), Refusal> {
    let Some(origin) = origin else {
        return Ok(());
    };
    let o = normalize_origin(origin);
    if allowed.iter().any(|a| normalize_origin(a) == o) {
        Ok(())
    } else {
        Err(Refusal::new(
            403,
            format!(
                "origin {origin:?} is not allowed (allowed: {}); start the bridge with --allow-origin {origin}",
                allowed.join(", ")
            ),
        ))
    }
}

/// epmd's notion of a local peer (SPEC.md §1.10): a loopback address, or
/// the address of the socket's own end (a connection from the host's own
/// IP). IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn is_local_peer(peer: IpAddr, local: IpAddr) -> bool {
    let peer = peer.to_canonical();
    peer.is_loopback() || peer == local.to_canonical()
}

/// Whether epmd serves request `code` to a remote peer: everything but
/// ALIVE2_REQ, DUMP_REQ, KILL_REQ and STOP_REQ.
pub fn remote_may_send(code: u8) -> bool {
    !matches!(
        code,
        epmd::ALIVE2_REQ | epmd::DUMP_REQ | epmd::KILL_REQ | epmd::STOP_REQ
    )
}

/// A request that a remote client may not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Offset of the request code in the client's stream.
    pub offset: u64,
    /// The request code.
    pub code: u8,
}

impl Violation {
    /// The close this violation gets: 1008 with a reason saying why.
    pub fn close(&self, peer: IpAddr) -> Close {
        let name = epmd::request_name(self.code).unwrap_or("request");
        Close::new(
            code::POLICY_VIOLATION,
            close_reason(&format!(
                "{name} ({}) refused: epmd serves it only to local peers and client {peer} is not local",
                self.code
            )),
        )
    }
}

/// Reads the request codes out of a client's stream to epmd, chunk by
/// chunk, however the requests are split: each request is a 2-byte
/// big-endian length, then that many bytes, the first being the code.
/// Used for remote clients; a chunk is checked before any of it is
/// forwarded, so a refused request never reaches epmd (its length prefix
/// alone may have, which epmd cannot act on).
#[derive(Debug, Clone, Default)]
pub struct EpmdGuard {
    state: GuardState,
    offset: u64,
}

#[derive(Debug, Clone, Copy, Default)]
enum GuardState {
    /// Waiting for the first length byte.
    #[default]
    Len0,
    /// Have the first length byte.
    Len1(u8),
    /// Waiting for the code of a request of this length (≥ 1).
    Code(u16),
    /// Inside a request body: this many bytes left.
    Body(usize),
}

impl EpmdGuard {
    /// A guard at the start of a stream.
    pub fn new() -> EpmdGuard {
        EpmdGuard::default()
    }

    /// Feeds the next chunk of the client's stream; `Err` names the first
    /// request in it that a remote client may not send. After an `Err` the
    /// connection is to be closed (the guard's state is not meaningful).
    pub fn check(&mut self, chunk: &[u8]) -> Result<(), Violation> {
        let mut rest = chunk;
        while let Some((&b, tail)) = rest.split_first() {
            match self.state {
                GuardState::Len0 => {
                    self.state = GuardState::Len1(b);
                }
                GuardState::Len1(hi) => {
                    let len = u16::from_be_bytes([hi, b]);
                    // A zero length has no code; epmd closes on it.
                    self.state = if len == 0 {
                        GuardState::Len0
                    } else {
                        GuardState::Code(len)
                    };
                }
                GuardState::Code(len) => {
                    if !remote_may_send(b) {
                        return Err(Violation {
                            offset: self.offset,
                            code: b,
                        });
                    }
                    let left = usize::from(len) - 1;
                    self.state = if left == 0 {
                        GuardState::Len0
                    } else {
                        GuardState::Body(left)
                    };
                }
                GuardState::Body(left) => {
                    // Skip the body in one step.
                    let n = left.min(rest.len());
                    self.offset += n as u64;
                    rest = &rest[n..];
                    self.state = if n == left {
                        GuardState::Len0
                    } else {
                        GuardState::Body(left - n)
                    };
                    continue;
                }
            }
            self.offset += 1;
            rest = tail;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn routes_the_three_endpoints() {
        assert_eq!(route("/ws/epmd", None), Ok(Endpoint::Epmd));
        assert_eq!(route("/ws/tap", None), Ok(Endpoint::Tap));
        assert_eq!(route("/ws/epmd", Some("")), Ok(Endpoint::Epmd));
        assert_eq!(
            route("/ws/node/foo", None),
            Ok(Endpoint::Node("foo".into()))
        );
        assert_eq!(
            route("/ws/node/n%C3%B6de", None),
            Ok(Endpoint::Node("nöde".into()))
        );
        // Epmd compares names as bytes; ':' or '.' inside a name is just a
        // name (looked up, never parsed as an address).
        assert_eq!(
            route("/ws/node/127.0.0.1:22", None),
            Ok(Endpoint::Node("127.0.0.1:22".into()))
        );
    }

    #[test]
    fn refuses_anything_that_could_name_a_target() {
        for (path, query, status) in [
            ("/ws/epmd", Some("host=10.0.0.1&port=22"), 400),
            ("/ws/node/foo", Some("port=22"), 400),
            ("/ws/node/", None, 400),
            ("/ws/node/..", None, 400),
            ("/ws/node/.", None, 400),
            ("/ws/node/%2E%2E", None, 400),
            ("/ws/node/../", None, 404),
            ("/ws/node/../epmd", None, 404),
            ("/ws/node/a/b", None, 404),
            ("/ws/node/a%2Fb", None, 400),
            ("/ws/node/a%5Cb", None, 400),
            ("/ws/node/a%00b", None, 400),
            ("/ws/node/foo@127.0.0.1", None, 400),
            ("/ws/node/foo%40host", None, 400),
            ("/ws/node/%FF", None, 400),
            ("/ws/127.0.0.1:22", None, 404),
            ("/ws/tcp/127.0.0.1/22", None, 404),
            ("/ws/epmd/", None, 404),
            ("/ws/epmd/../node/x", None, 404),
            ("/ws/EPMD", None, 404),
            ("/ws", None, 404),
            ("/ws/", None, 404),
            ("/", None, 404),
        ] {
            let r = route(path, query);
            assert_eq!(
                r.as_ref().map_err(|e| e.status),
                Err(status),
                "{path} {query:?}: {r:?}"
            );
        }
        let long = "a".repeat(256);
        assert!(route(&format!("/ws/node/{long}"), None).is_err());
        assert!(route(&format!("/ws/node/{}", "a".repeat(255)), None).is_ok());
    }

    #[test]
    fn origins() {
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let allowed = default_origins(listen);
        assert_eq!(
            allowed,
            vec!["http://127.0.0.1:8080", "http://localhost:8080"]
        );
        assert!(check_origin(Some("http://127.0.0.1:8080"), &allowed).is_ok());
        assert!(check_origin(Some("http://LOCALHOST:8080/"), &allowed).is_ok());
        assert!(check_origin(None, &allowed).is_ok());
        for bad in [
            "http://evil.example",
            "http://127.0.0.1:8081",
            "https://127.0.0.1:8080",
            "null",
            "http://127.0.0.1:8080.evil.example",
            "http://localhost",
            "",
        ] {
            let r = check_origin(Some(bad), &allowed);
            assert_eq!(r.as_ref().map_err(|e| e.status), Err(403), "{bad}");
        }
        let v6: SocketAddr = "[::1]:9000".parse().unwrap();
        assert_eq!(
            default_origins(v6),
            vec!["http://[::1]:9000", "http://localhost:9000"]
        );
        let remote: SocketAddr = "10.1.2.3:80".parse().unwrap();
        assert_eq!(default_origins(remote), vec!["http://10.1.2.3"]);
        assert!(check_origin(Some("http://10.1.2.3:80"), &default_origins(remote)).is_ok());
    }

    #[test]
    fn locality_is_epmds() {
        let host: IpAddr = Ipv4Addr::new(10, 0, 0, 2).into();
        assert!(is_local_peer(Ipv4Addr::LOCALHOST.into(), host));
        assert!(is_local_peer(Ipv4Addr::new(127, 1, 2, 3).into(), host));
        assert!(is_local_peer(Ipv6Addr::LOCALHOST.into(), host));
        assert!(is_local_peer(
            Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
            host
        ));
        // A connection from the host's own address.
        assert!(is_local_peer(host, host));
        assert!(!is_local_peer(Ipv4Addr::new(10, 0, 0, 1).into(), host));
        assert!(!is_local_peer(
            Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped().into(),
            host
        ));
    }

    fn req(code: u8, body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 1) as u16).to_be_bytes().to_vec();
        v.push(code);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn guard_allows_names_and_port_please_and_refuses_the_local_only_four() {
        for code in [epmd::NAMES_REQ, epmd::PORT_PLEASE2_REQ, 0, 255, b'a'] {
            let mut g = EpmdGuard::new();
            assert_eq!(g.check(&req(code, b"foo")), Ok(()), "{code}");
        }
        for code in [
            epmd::ALIVE2_REQ,
            epmd::DUMP_REQ,
            epmd::KILL_REQ,
            epmd::STOP_REQ,
        ] {
            let mut g = EpmdGuard::new();
            assert_eq!(
                g.check(&req(code, b"foo")),
                Err(Violation { offset: 2, code }),
                "{code}"
            );
        }
    }

    #[test]
    fn guard_reads_codes_across_any_split() {
        // NAMES, then PORT_PLEASE2 "node", then an empty-length packet, then
        // ALIVE2: the violation is found at the ALIVE2 code, whatever the
        // chunking, and never earlier.
        let mut stream = req(epmd::NAMES_REQ, b"");
        stream.extend(req(epmd::PORT_PLEASE2_REQ, b"node"));
        stream.extend([0, 0]);
        let at = stream.len() as u64 + 2;
        stream.extend(req(epmd::ALIVE2_REQ, &[0x15, 0xb3, 77, 0, 0, 6, 0, 5]));
        for size in 1..=stream.len() {
            let mut g = EpmdGuard::new();
            let mut found = None;
            let mut fed = 0u64;
            for chunk in stream.chunks(size) {
                if let Err(v) = g.check(chunk) {
                    found = Some(v);
                    break;
                }
                fed += chunk.len() as u64;
            }
            let v = found.unwrap_or_else(|| panic!("chunk size {size}: not found"));
            assert_eq!(v.offset, at, "chunk size {size}");
            assert_eq!(v.code, epmd::ALIVE2_REQ);
            // The chunk holding the code was refused before it was passed on.
            assert!(fed <= at, "chunk size {size}");
        }
    }

    #[test]
    fn guard_skips_long_bodies_that_contain_forbidden_bytes() {
        // A PORT_PLEASE2 whose name is full of 'x' (120) bytes is fine.
        let body = vec![epmd::ALIVE2_REQ; 3000];
        let mut g = EpmdGuard::new();
        let r = req(epmd::PORT_PLEASE2_REQ, &body);
        for c in r.chunks(7) {
            assert_eq!(g.check(c), Ok(()));
        }
        // The ASCII snippet from the forum ("12..."): length 0x3132, code
        // '0' (48): not a local-only code; epmd itself closes on the size.
        let mut g = EpmdGuard::new();
        assert_eq!(g.check(b"1209506770556client0"), Ok(()));
    }

    #[test]
    fn violation_reason_fits_a_close_frame() {
        let v = Violation {
            offset: 2,
            code: epmd::ALIVE2_REQ,
        };
        let c = v.close("fd00:1234:5678:9abc:def0:1234:5678:9abc".parse().unwrap());
        assert_eq!(c.code, code::POLICY_VIOLATION);
        assert!(
            c.reason.starts_with("ALIVE2_REQ (120) refused"),
            "{}",
            c.reason
        );
        assert!(c.reason.len() <= 123);
        let long = "é".repeat(100);
        let r = close_reason(&long);
        assert!(r.len() <= 123 && r.ends_with('…'));
    }
}
