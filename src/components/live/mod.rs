//! The live tab: talk to a real epmd and real nodes through the bridge
//! (`erldist-bridge`, which serves this page and relays its websockets to
//! TCP), and watch every byte.
//!
//! The state is the model's [`LiveCore`] (the codec's sans-IO clients);
//! [`socket`] carries out its commands over websockets to the page's own
//! origin. The panels are thin: they send [`Action`]s up.

mod bridge_banner;
mod epmd_panel;
mod log_view;
mod node_panel;
mod socket;
mod transcript;

use crate::model::live::{parse_hex_request, LiveCore};
use bridge_banner::BridgeBanner;
use epmd_panel::EpmdPanel;
use log_view::LogView;
use node_panel::NodePanel;
use socket::{SocketEvent, Sockets};
use std::rc::Rc;
use transcript::TranscriptPanel;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What the panels ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// NAMES_REQ.
    Names,
    /// PORT_PLEASE2_REQ for a name.
    Lookup(String),
    /// ALIVE2_REQ: register a name pointing at a port.
    Register(String, String),
    /// Send typed hex to epmd as it is.
    SendHex(String),
    /// Close an epmd connection (a registration: unregister).
    CloseEpmd(u32),
    /// Connect to a node.
    Connect {
        /// The node (`name@host` or the alive name).
        node: String,
        /// Our node name.
        me: String,
        /// The cookie.
        cookie: String,
    },
    /// Close the node connection.
    Disconnect,
    /// Call `M:F(Args)` through rex.
    Rpc(String),
    /// Send a message to a registered process.
    Send(String, String),
    /// Download the transcript as pcapng.
    Download,
    /// Forget closed connections.
    Clear,
}

fn now_ms() -> u64 {
    let t = js_sys::Date::now();
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

/// A random u32 (challenges and creations are passed into the codec).
fn random_u32() -> u32 {
    (js_sys::Math::random() * 4_294_967_296.0) as u32
}

/// Offers `bytes` as a file download.
fn download(bytes: &[u8], name: &str) -> Result<(), String> {
    let w = web_sys::window().ok_or("no window")?;
    let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
    let b64 = w.btoa(&latin1).map_err(|_| "cannot encode the file")?;
    let doc = w.document().ok_or("no document")?;
    let a = doc
        .create_element("a")
        .map_err(|_| "cannot create a link")?;
    a.set_attribute(
        "href",
        &format!("data:application/vnd.tcpdump.pcap;base64,{b64}"),
    )
    .map_err(|_| "cannot set the link")?;
    a.set_attribute("download", name)
        .map_err(|_| "cannot set the link")?;
    a.dyn_into::<web_sys::HtmlElement>()
        .map_err(|_| "not an element")?
        .click();
    Ok(())
}

/// The live tab.
#[component]
pub fn LivePage() -> Html {
    let core = use_mut_ref(LiveCore::new);
    let sockets = use_mut_ref(Sockets::default);
    let update = use_force_update();
    let message = use_state(|| None::<String>);

    // Socket events → the model → more commands (sent through this same
    // callback, kept in a slot: a socket opened now reports to it too).
    let events_slot = use_mut_ref(|| None::<Callback<SocketEvent>>);
    let on_event: Callback<SocketEvent> = {
        let core = core.clone();
        let sockets = sockets.clone();
        let update = update.clone();
        let slot = events_slot.clone();
        Callback::from(move |e: SocketEvent| {
            let now = now_ms();
            let cmds = {
                let mut c = core.borrow_mut();
                match &e {
                    SocketEvent::Open(k) => c.on_open(*k, now),
                    SocketEvent::Message(k, b) => c.on_message(*k, b, now),
                    SocketEvent::Close {
                        key,
                        code,
                        reason,
                        opened,
                    } => c.on_close(*key, *code, reason, *opened, now),
                }
                c.take_commands()
            };
            let cb = slot.borrow().clone();
            if let Some(cb) = cb {
                sockets.borrow_mut().run(cmds, &cb);
            }
            update.force_update();
        })
    };
    *events_slot.borrow_mut() = Some(on_event.clone());

    // The tick clock: once a second, the node client may send a tick.
    {
        let core = core.clone();
        let sockets = sockets.clone();
        let update = update.clone();
        let on_event = on_event.clone();
        use_effect_with((), move |_| {
            let timer = gloo_timers::callback::Interval::new(1_000, move || {
                let cmds = {
                    let mut c = core.borrow_mut();
                    c.on_timer(now_ms());
                    c.take_commands()
                };
                if !cmds.is_empty() {
                    sockets.borrow_mut().run(cmds, &on_event);
                    update.force_update();
                }
            });
            move || drop(timer)
        });
    }
    // Closing the tab closes the sockets (a registration ends with it).
    {
        let sockets = sockets.clone();
        use_effect_with((), move |_| move || sockets.borrow_mut().close_all());
    }

    let on_action = {
        let core = core.clone();
        let sockets = sockets.clone();
        let update = update.clone();
        let message = message.clone();
        let on_event = on_event.clone();
        Callback::from(move |a: Action| {
            let now = now_ms();
            sockets.borrow_mut().reap();
            let result: Result<(), String> = {
                let mut c = core.borrow_mut();
                match a {
                    Action::Names => {
                        c.names(now);
                        Ok(())
                    }
                    Action::Lookup(name) => c.port_please(name.trim(), now).map(|_| ()),
                    Action::Register(name, port) => match port.trim().parse::<u16>() {
                        Ok(p) => c.register(name.trim(), p, now).map(|_| ()),
                        Err(_) => Err(format!("port {port:?} is not a number 0..65535")),
                    },
                    Action::SendHex(text) => parse_hex_request(&text).map(|b| {
                        c.send_epmd(b, now);
                    }),
                    Action::CloseEpmd(k) => {
                        c.close_epmd(k, now);
                        Ok(())
                    }
                    Action::Connect { node, me, cookie } => {
                        c.connect_node(&node, me.trim(), &cookie, random_u32(), random_u32(), now)
                    }
                    Action::Disconnect => {
                        c.disconnect_node(now);
                        Ok(())
                    }
                    Action::Rpc(text) => c.rpc(&text, now),
                    Action::Send(name, msg) => c.send_reg(&name, &msg, now),
                    Action::Download => {
                        c.pcapng().and_then(|b| download(&b, "erldist-live.pcapng"))
                    }
                    Action::Clear => {
                        c.clear_closed();
                        Ok(())
                    }
                }
            };
            message.set(result.err());
            let cmds = core.borrow_mut().take_commands();
            sockets.borrow_mut().run(cmds, &on_event);
            update.force_update();
        })
    };

    let (bridge, rows, regs, node, rpcs, pid, log, transcript) = {
        let mut c = core.borrow_mut();
        (
            c.bridge(),
            c.epmd_rows(),
            c.registrations(),
            c.node_view(),
            c.rpcs(),
            c.our_pid(),
            c.log().to_vec(),
            Rc::new(c.transcript()),
        )
    };
    html! {
        <div class="live-page">
            <BridgeBanner status={bridge} />
            if let Some(m) = &*message {
                <p id="live-error" class="live-error" role="alert">{ m.clone() }</p>
            }
            <div class="live-columns">
                <EpmdPanel rows={rows} registrations={regs} on_action={on_action.clone()} />
                <NodePanel view={node} rpcs={rpcs} pid={pid} on_action={on_action.clone()} />
            </div>
            <LogView lines={log} />
            <TranscriptPanel view={transcript} on_action={on_action} />
        </div>
    }
}
