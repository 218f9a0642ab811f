//! Reaching the targets: the configured epmd, and a node by its registered
//! name (PORT_PLEASE2_REQ built and PORT2_RESP read by the codec).

use crate::policy::{code, Close};
use erldist_codec::epmd::{self, EpmdMessage, Port2Resp, PortPlease2Req, ReplyContext};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Connects to `addr` within `within`, with TCP_NODELAY; `what` names the
/// target in the close reason on failure (1014).
pub async fn connect(addr: SocketAddr, within: Duration, what: &str) -> Result<TcpStream, Close> {
    match timeout(within, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(Close::new(
            code::BAD_GATEWAY,
            crate::policy::close_reason(&format!("cannot reach {what} at {addr}: {}", io_why(&e))),
        )),
        Err(_) => Err(Close::new(
            code::BAD_GATEWAY,
            format!("cannot reach {what} at {addr}: no answer within {within:?}"),
        )),
    }
}

/// A short description of an I/O error (`connection refused`).
pub fn io_why(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset".into(),
        io::ErrorKind::ConnectionAborted => "connection aborted".into(),
        io::ErrorKind::TimedOut => "timed out".into(),
        io::ErrorKind::BrokenPipe => "broken pipe".into(),
        _ => {
            // Drop the " (os error N)" tail.
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

/// The PORT_PLEASE2_REQ for `name`, as the codec encodes it.
pub fn port_please_request(name: &str) -> Vec<u8> {
    let msg = EpmdMessage::PortPlease2Req(PortPlease2Req {
        name: name.as_bytes().to_vec(),
        nul_terminated: false,
    });
    // The name was validated (1..=1020 bytes), so the request encodes.
    msg.encode().unwrap_or_default()
}

/// What epmd's reply to a PORT_PLEASE2_REQ for `name` says: the node's
/// port, or the close the websocket gets (4404 when not registered).
pub fn read_port2_resp(name: &str, reply: &[u8]) -> Result<u16, Close> {
    let d = epmd::decode_reply(
        reply,
        0,
        ReplyContext {
            eof: true,
            answers: Some(epmd::PORT_PLEASE2_REQ),
        },
    );
    match d.message {
        Some(EpmdMessage::Port2Resp(Port2Resp::Found(n))) => Ok(n.port),
        Some(EpmdMessage::Port2Resp(Port2Resp::NotFound { result })) => Err(Close::new(
            code::NOT_REGISTERED,
            crate::policy::close_reason(&format!(
                "no node {name:?} is registered with epmd (PORT2_RESP result {result})"
            )),
        )),
        _ if reply.is_empty() => Err(Close::new(
            code::BAD_GATEWAY,
            "epmd closed the look-up without a reply",
        )),
        _ => Err(Close::new(
            code::BAD_GATEWAY,
            crate::policy::close_reason(&format!(
                "epmd's reply to PORT_PLEASE2_REQ does not decode: {:?}",
                d.status
            )),
        )),
    }
}

/// Asks the epmd at `epmd_addr` where `name` listens; the node's address is
/// epmd's host at that port.
pub async fn node_addr(
    epmd_addr: SocketAddr,
    name: &str,
    within: Duration,
) -> Result<SocketAddr, Close> {
    let mut s = connect(epmd_addr, within, "epmd").await?;
    let req = port_please_request(name);
    let exchange = async {
        s.write_all(&req).await?;
        let mut reply = Vec::new();
        // epmd closes after the reply; a found reply is at most 1 + 1 + 10
        // + 2 + 1020 + 2 + 1020 bytes.
        (&mut s).take(4096).read_to_end(&mut reply).await?;
        Ok::<_, io::Error>(reply)
    };
    let reply = match timeout(within, exchange).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return Err(Close::new(
                code::BAD_GATEWAY,
                format!("looking up {name:?} at epmd {epmd_addr}: {}", io_why(&e)),
            ))
        }
        Err(_) => {
            return Err(Close::new(
                code::BAD_GATEWAY,
                format!("epmd {epmd_addr} did not answer PORT_PLEASE2_REQ within {within:?}"),
            ))
        }
    };
    let port = read_port2_resp(name, &reply)?;
    Ok(SocketAddr::new(epmd_addr.ip(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes() {
        assert_eq!(port_please_request("foo"), b"\x00\x04zfoo");
    }

    #[test]
    fn replies() {
        // SPEC.md §1.5: node foo, port 5555.
        let found = [
            0x77, 0x00, 0x15, 0xb3, 0x4d, 0x00, 0x00, 0x06, 0x00, 0x06, 0x00, 0x03, 0x66, 0x6f,
            0x6f, 0x00, 0x02, 0x78, 0x79,
        ];
        assert_eq!(read_port2_resp("foo", &found), Ok(5555));
        let miss = read_port2_resp("foo", &[0x77, 0x01]).unwrap_err();
        assert_eq!(miss.code, code::NOT_REGISTERED);
        assert!(miss.reason.contains("\"foo\""), "{}", miss.reason);
        assert_eq!(
            read_port2_resp("foo", &[]).unwrap_err().code,
            code::BAD_GATEWAY
        );
        assert_eq!(
            read_port2_resp("foo", &[0x77, 0x00, 0x15])
                .unwrap_err()
                .code,
            code::BAD_GATEWAY
        );
    }
}
