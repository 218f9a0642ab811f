//! A websocket client for the tests (tokio-tungstenite), and EPMD requests
//! built by the codec.

use erldist_codec::epmd::{self, encode_fields, Fields};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::Message;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `ws://ADDR PATH` (the path sent exactly as given), with an Origin
/// header when given.
pub async fn open(addr: &str, path: &str, origin: Option<&str>) -> Result<Ws, WsError> {
    let mut req = format!("ws://{addr}{path}").into_client_request()?;
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", o.parse().expect("origin header value"));
    }
    let (ws, _resp) = timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(req),
    )
    .await
    .map_err(|_| WsError::Io(std::io::ErrorKind::TimedOut.into()))??;
    Ok(ws)
}

/// Opens, panicking with the reason on failure.
pub async fn must_open(addr: &str, path: &str) -> Ws {
    open(addr, path, None)
        .await
        .unwrap_or_else(|e| panic!("open ws://{addr}{path}: {e}"))
}

/// The HTTP status of a refused upgrade (panics if the upgrade succeeded).
pub async fn refused_status(addr: &str, path: &str, origin: Option<&str>) -> (u16, String) {
    match open(addr, path, origin).await {
        Err(WsError::Http(resp)) => {
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            (resp.status().as_u16(), body)
        }
        Err(e) => panic!("ws://{addr}{path}: expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("ws://{addr}{path} (origin {origin:?}) was accepted"),
    }
}

pub async fn send(ws: &mut Ws, bytes: &[u8]) {
    ws.send(Message::binary(bytes.to_vec()))
        .await
        .expect("send binary frame");
}

/// How a websocket ended, and what came before the end.
#[derive(Debug)]
pub struct Ended {
    /// Every binary byte received.
    pub data: Vec<u8>,
    /// The close frame's code and reason; `None` if the connection ended
    /// without one.
    pub close: Option<(u16, String)>,
}

/// Reads binary frames until the bridge closes (or `within` passes, which
/// panics).
pub async fn read_to_close(ws: &mut Ws, within: Duration) -> Ended {
    let mut data = Vec::new();
    let r = timeout(within, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Binary(b))) => data.extend_from_slice(&b),
                Some(Ok(Message::Close(f))) => {
                    return f.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Some(Ok(Message::Text(t))) => panic!("the bridge sent a text frame: {t}"),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await;
    match r {
        Ok(close) => Ended { data, close },
        Err(_) => panic!(
            "no close within {within:?}; {} bytes received: {:02x?}",
            data.len(),
            data
        ),
    }
}

/// Reads binary frames until at least `n` bytes have arrived.
pub async fn read_exact(ws: &mut Ws, n: usize, within: Duration) -> Vec<u8> {
    let mut data = Vec::new();
    let r = timeout(within, async {
        while data.len() < n {
            match ws.next().await {
                Some(Ok(Message::Binary(b))) => data.extend_from_slice(&b),
                Some(Ok(Message::Close(f))) => {
                    panic!("closed after {} of {n} bytes: {f:?}", data.len())
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("websocket error after {} of {n} bytes: {e}", data.len()),
                None => panic!("websocket ended after {} of {n} bytes", data.len()),
            }
        }
    })
    .await;
    r.unwrap_or_else(|_| panic!("only {} of {n} bytes within {within:?}", data.len()));
    data
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// ALIVE2_REQ registering `name` at `port` (version 6/5, as OTP 25 sends).
pub fn alive2_req(name: &str, port: u16) -> Vec<u8> {
    encode_fields(
        "ALIVE2_REQ",
        &fields(&[("name", name), ("port", &port.to_string())]),
    )
    .expect("encode ALIVE2_REQ")
}

pub fn port_please2_req(name: &str) -> Vec<u8> {
    encode_fields("PORT_PLEASE2_REQ", &fields(&[("name", name)])).expect("encode PORT_PLEASE2_REQ")
}

pub fn names_req() -> Vec<u8> {
    encode_fields("NAMES_REQ", &Fields::new()).expect("encode NAMES_REQ")
}

pub fn simple_req(code: u8) -> Vec<u8> {
    vec![0, 1, code]
}

pub fn stop_req(name: &str) -> Vec<u8> {
    encode_fields("STOP_REQ", &fields(&[("name", name)])).expect("encode STOP_REQ")
}

/// Decodes a complete epmd reply to request `answers`.
pub fn decode_reply(bytes: &[u8], answers: u8) -> epmd::EpmdMessage {
    let d = epmd::decode_reply(
        bytes,
        0,
        epmd::ReplyContext {
            eof: true,
            answers: Some(answers),
        },
    );
    assert!(d.status.is_complete(), "{:?} for {:02x?}", d.status, bytes);
    d.message.expect("decoded message")
}
