//! The websocket ⇄ TCP relay: binary frames to TCP byte for byte, TCP bytes
//! back as binary frames; text frames refused; pings answered by the
//! websocket layer and never written to TCP; each side's close passed on.

use crate::lookup::io_why;
use crate::policy::{close_reason, code, Close, EpmdGuard};
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout, Instant};

/// Size of one TCP read (and so the largest websocket message the bridge
/// sends).
pub const TCP_CHUNK: usize = 16 * 1024;

/// How long the bridge waits for the client's answer to its close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Who ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The websocket client (close frame, or gone).
    Client,
    /// The TCP peer (EOF, reset).
    Target,
    /// The bridge (policy, limits, errors).
    Bridge,
}

impl By {
    /// `client` / `target` / `bridge`.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Client => "client",
            By::Target => "target",
            By::Bridge => "bridge",
        }
    }
}

/// How a session ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Bytes client → target.
    pub up: u64,
    /// Bytes target → client.
    pub down: u64,
    /// The close code and reason (sent, or received from the client).
    pub close: Close,
    /// Who ended it.
    pub by: By,
}

/// What a relay needs to know.
pub struct RelayOptions {
    /// Names the target in close reasons (`epmd`, `node "foo"`).
    pub target: String,
    /// For a remote client on `/ws/epmd`: the guard and the client's IP.
    pub guard: Option<(EpmdGuard, IpAddr)>,
    /// Close after this long without data.
    pub idle: Option<Duration>,
    /// The websocket message limit, for the 1009 reason.
    pub max_message: usize,
}

/// Sends a close frame and waits (briefly) for the client's answer, so the
/// closing handshake completes and the client sees code and reason.
pub async fn close_ws(ws: &mut WebSocket, close: &Close) {
    let frame = CloseFrame {
        code: close.code,
        reason: close_reason(&close.reason).into(),
    };
    if ws.send(Message::Close(Some(frame))).await.is_ok() {
        let _ = timeout(CLOSE_WAIT, async {
            while let Some(Ok(m)) = ws.recv().await {
                if matches!(m, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// Whether a websocket error is tungstenite's message/frame size limit.
fn is_too_big(e: &axum::Error) -> bool {
    use std::error::Error as _;
    let mut src = e.source();
    while let Some(s) = src {
        if let Some(tungstenite::Error::Capacity(_)) = s.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        src = s.source();
    }
    false
}

/// Relays until one side closes; returns the byte counts and the close.
pub async fn relay(mut ws: WebSocket, tcp: TcpStream, mut opt: RelayOptions) -> Outcome {
    let (mut rd, mut wr) = tcp.into_split();
    let mut buf = vec![0u8; TCP_CHUNK];
    let (mut up, mut down) = (0u64, 0u64);
    let idle = opt.idle;
    let far = Duration::from_secs(86400 * 365);
    let sleep = sleep_until(Instant::now() + idle.unwrap_or(far));
    tokio::pin!(sleep);
    let target = opt.target.clone();

    // (close, by, whether the bridge still has to send the close frame)
    let (close, by, send_close) = loop {
        tokio::select! {
            m = ws.recv() => match m {
                Some(Ok(Message::Binary(b))) => {
                    if let Some((g, ip)) = opt.guard.as_mut() {
                        if let Err(v) = g.check(&b) {
                            break (v.close(*ip), By::Bridge, true);
                        }
                    }
                    if let Err(e) = wr.write_all(&b).await {
                        break (
                            Close::new(code::INTERNAL_ERROR, format!("writing to {target}: {}", io_why(&e))),
                            By::Target,
                            true,
                        );
                    }
                    up += b.len() as u64;
                    if let Some(d) = idle {
                        sleep.as_mut().reset(Instant::now() + d);
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    break (
                        Close::new(code::UNSUPPORTED_DATA, "text frames are refused: the bridge relays binary frames only"),
                        By::Bridge,
                        true,
                    );
                }
                // Answered (pong) by the websocket layer; never written to TCP.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(f))) => {
                    // Pass the close on as a FIN, then let the websocket
                    // layer answer the close frame.
                    let _ = wr.shutdown().await;
                    let c = match f {
                        Some(f) => Close::new(f.code, f.reason.as_str()),
                        None => Close::new(1005, "no status"),
                    };
                    break (c, By::Client, false);
                }
                Some(Err(e)) if is_too_big(&e) => {
                    break (
                        Close::new(code::MESSAGE_TOO_BIG, format!("message over {} bytes (--max-message-size)", opt.max_message)),
                        By::Bridge,
                        true,
                    );
                }
                Some(Err(e)) => {
                    break (Close::new(1006, format!("websocket error: {e}")), By::Client, false);
                }
                None => {
                    break (Close::new(1006, "the client went away without a close frame"), By::Client, false);
                }
            },
            n = rd.read(&mut buf) => match n {
                Ok(0) => {
                    break (Close::new(code::NORMAL, format!("{target} closed the connection")), By::Target, true);
                }
                Ok(n) => {
                    if ws.send(Message::Binary(Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                        break (Close::new(1006, "the client went away"), By::Client, false);
                    }
                    down += n as u64;
                    if let Some(d) = idle {
                        sleep.as_mut().reset(Instant::now() + d);
                    }
                }
                Err(e) => {
                    break (
                        Close::new(code::INTERNAL_ERROR, format!("{target}: {}", io_why(&e))),
                        By::Target,
                        true,
                    );
                }
            },
            () = &mut sleep => {
                let secs = idle.unwrap_or(far).as_secs();
                break (
                    Close::new(code::GOING_AWAY, format!("idle: no data for {secs} s (--idle-timeout)")),
                    By::Bridge,
                    true,
                );
            }
        }
    };
    // Close the TCP side first: a registration ends as soon as the
    // websocket does.
    drop((rd, wr));
    if send_close {
        close_ws(&mut ws, &close).await;
    } else {
        // Drive the websocket layer's answer to the client's close frame.
        let _ = timeout(CLOSE_WAIT, async {
            while let Some(Ok(_)) = ws.recv().await {}
        })
        .await;
    }
    Outcome {
        up,
        down,
        close,
        by,
    }
}
