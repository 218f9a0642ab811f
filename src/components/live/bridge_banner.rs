//! Whether a bridge answers on this page's origin, and how to start one.

use crate::model::live::BridgeStatus;
use yew::prelude::*;

/// Props of [`BridgeBanner`].
#[derive(Properties, PartialEq)]
pub struct BridgeBannerProps {
    /// What the sockets found.
    pub status: BridgeStatus,
}

/// The bridge's status line.
#[component]
pub fn BridgeBanner(props: &BridgeBannerProps) -> Html {
    let host = web_sys::window()
        .and_then(|w| w.location().host().ok())
        .unwrap_or_default();
    match props.status {
        BridgeStatus::Missing => html! {
            <div id="live-bridge" class="live-bridge is-missing" role="alert">
                <strong>{ "No bridge answers on this page's origin." }</strong>
                { format!(" A websocket to ws://{host}/ws/epmd did not open: this page was served by something \
                   other than erldist-bridge (trunk serve, a static server), so it cannot reach epmd or any node. ") }
                { "Start the playground with the bridge, which serves this page and relays its websockets to TCP: " }
                <code>{ "scripts/run.sh" }</code>
                { " (or " }<code>{ "erldist-bridge --listen 127.0.0.1:8080 --epmd 127.0.0.1:4369 --serve dist" }</code>
                { "), then open the address it prints." }
            </div>
        },
        BridgeStatus::Present => html! {
            <p id="live-bridge" class="live-bridge is-present">
                { format!("Bridge: ws://{host}/ws/… relays to the epmd it was started with and to the nodes that epmd has registered. \
                   Pages never name a host or a port.") }
            </p>
        },
        BridgeStatus::Unknown => html! {
            <p id="live-bridge" class="live-bridge is-unknown">
                { format!("Live mode talks to a real epmd and real nodes through erldist-bridge on this page's own origin \
                   (ws://{host}/ws/epmd, ws://{host}/ws/node/<name>). Nothing has been sent yet.") }
            </p>
        },
    }
}
