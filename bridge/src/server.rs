//! The HTTP side: static files, websocket upgrades, and the sessions they
//! start. Every decision is asked of `policy`; this module does the I/O.

use crate::config::Args;
use crate::log::ConnRecord;
use crate::lookup;
use crate::policy::{self, Endpoint, EpmdGuard};
use crate::relay::{self, RelayOptions};
use crate::tap::Hub;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::services::ServeDir;

/// Websocket read buffer per session (tungstenite grows it for larger
/// messages, up to `--max-message-size`).
const WS_READ_BUFFER: usize = 4 * 1024;

/// The running bridge's shared state.
pub struct Bridge {
    /// The options it was started with.
    pub args: Args,
    /// The epmd, resolved once at start.
    pub epmd: SocketAddr,
    /// The Origins allowed to open websockets.
    pub origins: Vec<String>,
    /// One permit per open session or tap connection.
    pub conns: Arc<Semaphore>,
    next_id: AtomicU64,
    /// The tap mirror.
    pub hub: Arc<Hub>,
}

impl Bridge {
    /// The bridge's state for these options and this epmd address; `listen`
    /// is the address actually bound (for the default origins).
    pub fn new(args: Args, epmd: SocketAddr, listen: SocketAddr) -> Bridge {
        let origins = if args.allow_origin.is_empty() {
            policy::default_origins(listen)
        } else {
            args.allow_origin
                .iter()
                .map(|o| policy::normalize_origin(o))
                .collect()
        };
        Bridge {
            conns: Arc::new(Semaphore::new(args.max_connections)),
            hub: Arc::new(Hub::new()),
            args,
            epmd,
            origins,
            next_id: AtomicU64::new(1),
        }
    }

    /// The next connection number.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A permit for one more connection, if under `--max-connections`.
    pub fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.conns.clone().try_acquire_owned().ok()
    }
}

/// Both ends of an accepted connection (epmd's locality rule needs the
/// local one too).
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// The client.
    pub remote: SocketAddr,
    /// The bridge's end.
    pub local: SocketAddr,
}

impl Peer {
    /// Local in epmd's sense.
    pub fn is_local(&self) -> bool {
        policy::is_local_peer(self.remote.ip(), self.local.ip())
    }
}

/// The HTTP listener: TCP_NODELAY on every connection, and both addresses.
pub struct BridgeListener(pub TcpListener);

impl axum::serve::Listener for BridgeListener {
    type Io = TcpStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (TcpStream, Peer) {
        loop {
            match self.0.accept().await {
                Ok((s, remote)) => {
                    let _ = s.set_nodelay(true);
                    let local = s.local_addr().unwrap_or(remote);
                    return (s, Peer { remote, local });
                }
                Err(e) => {
                    // EMFILE and friends: wait a moment instead of spinning.
                    eprintln!("erldist-bridge: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Peer> {
        let a = self.0.local_addr()?;
        Ok(Peer {
            remote: a,
            local: a,
        })
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, BridgeListener>>
    for Peer
{
    fn connect_info(s: axum::serve::IncomingStream<'_, BridgeListener>) -> Peer {
        *s.remote_addr()
    }
}

/// The application: `/ws` and `/ws/...` go to [`ws_entry`], everything
/// else is a static file from `--serve DIR`.
pub fn app(bridge: Arc<Bridge>) -> Router {
    let files = ServeDir::new(&bridge.args.serve).append_index_html_on_directories(true);
    Router::new()
        .route("/ws", any(ws_entry))
        .route("/ws/", any(ws_entry))
        .route("/ws/{*rest}", any(ws_entry))
        .fallback_service(files)
        .with_state(bridge)
}

fn refuse(
    bridge: &Bridge,
    peer: Peer,
    uri: &Uri,
    origin: Option<String>,
    status: u16,
    reason: String,
) -> Response {
    ConnRecord {
        id: bridge.next_id(),
        kind: "http",
        endpoint: uri.to_string(),
        peer: peer.remote,
        origin,
        target: None,
        up: 0,
        down: 0,
        duration: Duration::ZERO,
        code: status,
        by: "bridge",
        reason: reason.clone(),
    }
    .emit();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, format!("{reason}\n")).into_response()
}

/// Every websocket request: route, Origin, upgrade, connection limit, in
/// that order; then the session runs in the upgraded connection.
async fn ws_entry(
    State(bridge): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let origin = headers
        .get(axum::http::header::ORIGIN)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let endpoint = match policy::route(uri.path(), uri.query()) {
        Ok(e) => e,
        Err(r) => return refuse(&bridge, peer, &uri, origin, r.status, r.reason),
    };
    if let Err(r) = policy::check_origin(origin.as_deref(), &bridge.origins) {
        return refuse(&bridge, peer, &uri, origin, r.status, r.reason);
    }
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(e) => {
            let status = e.status().as_u16();
            return refuse(
                &bridge,
                peer,
                &uri,
                origin,
                status,
                format!("not a websocket upgrade: {e}"),
            );
        }
    };
    let Some(permit) = bridge.permit() else {
        let n = bridge.args.max_connections;
        return refuse(
            &bridge,
            peer,
            &uri,
            origin,
            503,
            format!("too many connections (--max-connections {n}); try again later"),
        );
    };
    let max = bridge.args.max_message_size;
    upgrade
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(max)
        .max_frame_size(max)
        .on_failed_upgrade(|e| eprintln!("erldist-bridge: websocket upgrade failed: {e}"))
        .on_upgrade(move |ws| async move {
            session(bridge, ws, endpoint, peer, origin).await;
            drop(permit);
        })
}

/// One websocket session, from open to the log line.
async fn session(
    bridge: Arc<Bridge>,
    mut ws: WebSocket,
    endpoint: Endpoint,
    peer: Peer,
    origin: Option<String>,
) {
    let id = bridge.next_id();
    let start = Instant::now();
    let mut rec = ConnRecord {
        id,
        kind: "ws",
        endpoint: endpoint.path(),
        peer: peer.remote,
        origin,
        target: None,
        up: 0,
        down: 0,
        duration: Duration::ZERO,
        code: 0,
        by: "bridge",
        reason: String::new(),
    };
    let within = bridge.args.connect();
    let (target, label) = match &endpoint {
        Endpoint::Epmd => (Ok(bridge.epmd), "epmd".to_string()),
        Endpoint::Node(name) => (
            lookup::node_addr(bridge.epmd, name, within).await,
            format!("node {name:?}"),
        ),
        Endpoint::Tap => {
            let (up, down, close, by) = bridge.hub.subscribe(&bridge, ws, id).await;
            rec.up = up;
            rec.down = down;
            rec.code = close.code;
            rec.by = by.as_str();
            rec.reason = close.reason;
            rec.duration = start.elapsed();
            rec.emit();
            return;
        }
    };
    let tcp = match target {
        Ok(addr) => {
            rec.target = Some(addr);
            lookup::connect(addr, within, &label).await
        }
        Err(c) => Err(c),
    };
    let tcp = match tcp {
        Ok(t) => t,
        Err(close) => {
            relay::close_ws(&mut ws, &close).await;
            rec.code = close.code;
            rec.reason = close.reason;
            rec.duration = start.elapsed();
            rec.emit();
            return;
        }
    };
    // epmd's locality rule, kept for the client behind the bridge.
    let guard = (endpoint == Endpoint::Epmd && !peer.is_local())
        .then(|| (EpmdGuard::new(), peer.remote.ip()));
    let out = relay::relay(
        ws,
        tcp,
        RelayOptions {
            target: label,
            guard,
            idle: bridge.args.idle(),
            max_message: bridge.args.max_message_size,
        },
    )
    .await;
    rec.up = out.up;
    rec.down = out.down;
    rec.code = out.close.code;
    rec.by = out.by.as_str();
    rec.reason = out.close.reason;
    rec.duration = start.elapsed();
    rec.emit();
}

/// Resolves `--epmd HOST:PORT` (once, at start).
pub async fn resolve_epmd(spec: &str) -> io::Result<SocketAddr> {
    let mut addrs = tokio::net::lookup_host(spec).await?;
    // Prefer IPv4 (epmd -address defaults and OTP's own client do).
    let all: Vec<SocketAddr> = addrs.by_ref().collect();
    all.iter()
        .find(|a| a.is_ipv4())
        .or_else(|| all.first())
        .copied()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{spec}: no address")))
}

/// Runs the bridge until Ctrl-C / SIGTERM.
pub async fn run(args: Args) -> Result<(), String> {
    let epmd = resolve_epmd(&args.epmd)
        .await
        .map_err(|e| format!("--epmd {}: {e}", args.epmd))?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let listen = listener.local_addr().map_err(|e| e.to_string())?;
    if !args.serve.join("index.html").is_file() {
        eprintln!(
            "erldist-bridge: warning: {} has no index.html (build the app with scripts/build-app.sh); serving the websockets only",
            args.serve.display()
        );
    }
    let bridge = Arc::new(Bridge::new(args, epmd, listen));
    let taps = crate::tap::start_taps(&bridge).await?;
    eprintln!(
        "erldist-bridge: listening on http://{listen} (serving {}), epmd {epmd}, origins {}{}",
        bridge.args.serve.display(),
        bridge.origins.join(" "),
        taps
    );
    let app = app(bridge.clone()).into_make_service_with_connect_info::<Peer>();
    let server = axum::serve(BridgeListener(listener), app);
    tokio::select! {
        r = server => r.map_err(|e| e.to_string()),
        () = shutdown_signal() => {
            eprintln!("erldist-bridge: shutting down");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
