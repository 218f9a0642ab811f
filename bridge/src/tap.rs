//! Tap mode (placeholder until issue 8 lands here).

use crate::policy::{code, Close};
use crate::relay::{self, By};
use crate::server::Bridge;
use axum::extract::ws::WebSocket;

/// The mirror hub.
#[derive(Default)]
pub struct Hub;

impl Hub {
    /// A hub with no subscribers.
    pub fn new() -> Hub {
        Hub
    }

    /// Serves one `/ws/tap` subscriber until it closes.
    pub async fn subscribe(
        &self,
        _bridge: &Bridge,
        mut ws: WebSocket,
        _id: u64,
    ) -> (u64, u64, Close, By) {
        let c = Close::new(code::NORMAL, "no taps");
        relay::close_ws(&mut ws, &c).await;
        (0, 0, c, By::Bridge)
    }
}

/// Starts the `--tap` listeners; returns a description for the start line.
pub async fn start_taps(_bridge: &std::sync::Arc<Bridge>) -> Result<String, String> {
    Ok(String::new())
}
