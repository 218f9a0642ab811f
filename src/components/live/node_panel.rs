//! Talk to a node as a hidden node: the handshake with a cookie, rex
//! calls, messages to registered processes.

use super::Action;
use crate::model::live::{NodeView, RpcResult, Tone};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`NodePanel`].
#[derive(Properties, PartialEq)]
pub struct NodePanelProps {
    /// The node connection, if any.
    pub view: Option<NodeView>,
    /// rex calls, newest first.
    pub rpcs: Vec<RpcResult>,
    /// Our pid on the connection, as Erlang text.
    pub pid: Option<String>,
    /// What the user asks.
    pub on_action: Callback<Action>,
}

fn bind(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let s = state.clone();
    Callback::from(move |e: InputEvent| {
        s.set(e.target_unchecked_into::<HtmlInputElement>().value())
    })
}

/// The node panel.
#[component]
pub fn NodePanel(props: &NodePanelProps) -> Html {
    let node = use_state(String::new);
    let me = use_state(|| "playground@127.0.0.1".to_string());
    let cookie = use_state(String::new);
    let call = use_state(|| "lists:reverse([1,2,3])".to_string());
    let to = use_state(|| "echo".to_string());
    let msg = use_state(String::new);
    let act = props.on_action.clone();

    let connected = props.view.as_ref().is_some_and(|v| v.connected);
    let open = props.view.as_ref().is_some_and(|v| v.open);

    let on_connect = {
        let (n, m, c) = (node.clone(), me.clone(), cookie.clone());
        act.reform(move |e: SubmitEvent| {
            e.prevent_default();
            Action::Connect {
                node: (*n).clone(),
                me: (*m).clone(),
                cookie: (*c).clone(),
            }
        })
    };
    let disconnect = act.reform(|_: MouseEvent| Action::Disconnect);
    let rpc_node = act.reform(|_: MouseEvent| Action::Rpc("erlang:node()".into()));
    let rpc_release =
        act.reform(|_: MouseEvent| Action::Rpc("erlang:system_info(otp_release)".into()));
    let on_call = {
        let c = call.clone();
        act.reform(move |e: SubmitEvent| {
            e.prevent_default();
            Action::Rpc((*c).clone())
        })
    };
    let on_send = {
        let (t, m) = (to.clone(), msg.clone());
        act.reform(move |e: SubmitEvent| {
            e.prevent_default();
            Action::Send((*t).clone(), (*m).clone())
        })
    };
    let msg_placeholder = props
        .pid
        .as_ref()
        .map(|p| format!("{{{p}, hello}}"))
        .unwrap_or_else(|| "{self, hello}".into());

    let status = match &props.view {
        None => {
            html! { <p id="live-node-status" class="live-status is-info">{ "Not connected." }</p> }
        }
        Some(v) => {
            let tone = match v.tone {
                Tone::Ok => "is-ok",
                Tone::Bad => "is-bad",
                Tone::Info => "is-info",
            };
            html! { <p id="live-node-status" class={classes!("live-status", tone)}>{ v.status.clone() }</p> }
        }
    };
    let details = props.view.as_ref().map(|v| {
        html! {
            <>
                <table id="live-digests" class="live-digests">
                    <caption>{ "Handshake: challenges and digests (MD5 of the cookie followed by the challenge in decimal)" }</caption>
                    <tbody>
                        { for v.digests.iter().map(|(k, val)| html! {
                            <tr><th scope="row">{ k.clone() }</th><td class="mono">{ val.clone() }</td></tr>
                        }) }
                    </tbody>
                </table>
                if let Some(f) = &v.flags {
                    <p class="live-flags"><span class="muted">{ "negotiated flags " }</span><span class="mono">{ f.clone() }</span></p>
                }
                <p id="live-ticks" class="live-hint">
                    { format!("ticks: {} received, {} sent (each tick from the node is answered; ours go out after 15 s of silence)", v.ticks.0, v.ticks.1) }
                </p>
            </>
        }
    });
    let latest = props.rpcs.first();

    html! {
        <section class="live-section live-node" aria-labelledby="live-node-title">
            <h2 id="live-node-title">{ "A node" }</h2>
            <form class="live-grid" onsubmit={on_connect}>
                <label for="live-node-name">{ "Node" }</label>
                <input id="live-node-name" type="text" placeholder="name@host, or the name epmd lists"
                    value={(*node).clone()} oninput={bind(&node)} />
                <label for="live-our-name">{ "We are (hidden)" }</label>
                <input id="live-our-name" type="text" value={(*me).clone()} oninput={bind(&me)} />
                <label for="live-cookie">{ "Cookie" }</label>
                <input id="live-cookie" type="password" autocomplete="off" placeholder="the node's cookie"
                    value={(*cookie).clone()} oninput={bind(&cookie)} />
                <div class="live-grid-buttons">
                    <button type="submit" id="live-node-connect" class="live-button" disabled={open}>
                        { "Connect" }
                    </button>
                    <button type="button" id="live-node-disconnect" class="live-button" disabled={!open}
                        onclick={disconnect}>{ "Disconnect" }</button>
                </div>
            </form>
            <p class="live-hint">
                { "The playground looks the node up with epmd (PORT_PLEASE2_REQ), then connects through \
                   /ws/node/<name> and does the handshake as a hidden node with the codec's state machine. \
                   A name without @host takes the host from the node's challenge." }
            </p>
            { status }
            { for details }
            <div class="live-row">
                <button type="button" id="live-rpc-node" class="live-button" disabled={!connected} onclick={rpc_node}>
                    { "erlang:node()" }
                </button>
                <button type="button" id="live-rpc-release" class="live-button" disabled={!connected} onclick={rpc_release}>
                    { "erlang:system_info(otp_release)" }
                </button>
            </div>
            <form class="live-row" onsubmit={on_call}>
                <label for="live-rpc-text">{ "Call" }</label>
                <input id="live-rpc-text" class="mono live-wide" type="text" value={(*call).clone()} oninput={bind(&call)} />
                <button type="submit" id="live-rpc-call" class="live-button" disabled={!connected}>{ "Call through rex" }</button>
            </form>
            <div id="live-rpc-result" class="live-rpc-result" aria-live="polite">
                { match latest {
                    None => html! { <span class="muted">{ "No call yet." }</span> },
                    Some(r) => html! {
                        <>
                            <span class="mono live-call">{ r.call.clone() }</span>
                            { " → " }
                            <span class="mono live-reply">{ r.reply.clone().unwrap_or_else(|| "waiting…".into()) }</span>
                        </>
                    },
                } }
            </div>
            if props.rpcs.len() > 1 {
                <ul class="live-rpcs">
                    { for props.rpcs.iter().skip(1).map(|r| html! {
                        <li class="mono">{ format!("{} → {}", r.call, r.reply.clone().unwrap_or_else(|| "waiting…".into())) }</li>
                    }) }
                </ul>
            }
            <form class="live-row" onsubmit={on_send}>
                <label for="live-send-name">{ "Send to" }</label>
                <input id="live-send-name" class="live-short" type="text" value={(*to).clone()} oninput={bind(&to)} />
                <input id="live-send-msg" class="mono live-wide" type="text" placeholder={msg_placeholder}
                    aria-label="message (Erlang term)" value={(*msg).clone()} oninput={bind(&msg)} />
                <button type="submit" id="live-send" class="live-button" disabled={!connected}>{ "Send (REG_SEND)" }</button>
            </form>
        </section>
    }
}
