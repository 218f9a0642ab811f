//! Talk to epmd: NAMES, PORT_PLEASE2, ALIVE2 (held open), or any bytes.

use super::Action;
use crate::model::live::{EpmdRow, RegistrationView, Tone};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Props of [`EpmdPanel`].
#[derive(Properties, PartialEq)]
pub struct EpmdPanelProps {
    /// The connections, newest first.
    pub rows: Vec<EpmdRow>,
    /// Registrations held open.
    pub registrations: Vec<RegistrationView>,
    /// What the user asks.
    pub on_action: Callback<Action>,
}

/// An `<input>` bound to a state.
fn bind(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let s = state.clone();
    Callback::from(move |e: InputEvent| {
        s.set(e.target_unchecked_into::<HtmlInputElement>().value())
    })
}

fn tone_class(t: Tone) -> &'static str {
    match t {
        Tone::Ok => "is-ok",
        Tone::Bad => "is-bad",
        Tone::Info => "is-info",
    }
}

/// The epmd panel.
#[component]
pub fn EpmdPanel(props: &EpmdPanelProps) -> Html {
    let lookup = use_state(String::new);
    let reg_name = use_state(|| "playground".to_string());
    let reg_port = use_state(|| "9999".to_string());
    let hex = use_state(|| "00 01 6e".to_string());
    let act = props.on_action.clone();

    let names = act.reform(|_: MouseEvent| Action::Names);
    let on_lookup = {
        let v = lookup.clone();
        act.reform(move |e: SubmitEvent| {
            e.prevent_default();
            Action::Lookup((*v).clone())
        })
    };
    let on_register = {
        let (n, p) = (reg_name.clone(), reg_port.clone());
        act.reform(move |e: SubmitEvent| {
            e.prevent_default();
            Action::Register((*n).clone(), (*p).clone())
        })
    };
    let on_hex = {
        let v = hex.clone();
        act.reform(move |e: SubmitEvent| {
            e.prevent_default();
            Action::SendHex((*v).clone())
        })
    };
    let hex_input = {
        let s = hex.clone();
        Callback::from(move |e: InputEvent| {
            s.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };

    let registered = if props.registrations.is_empty() {
        html! {
            <p id="live-registered" class="live-registered is-none">{ "No name registered by this page." }</p>
        }
    } else {
        html! {
            <div id="live-registered" class="live-registered">
                { for props.registrations.iter().map(|r| {
                    let key = r.key;
                    let close = act.reform(move |_: MouseEvent| Action::CloseEpmd(key));
                    html! {
                        <div class="live-registration">
                            <strong class="live-registration-text">{ r.text.clone() }</strong>
                            <button type="button" class="live-button live-unregister" onclick={close}>
                                { "Close the registration" }
                            </button>
                        </div>
                    }
                }) }
                <p class="live-hint">
                    { "epmd keeps the name exactly as long as the TCP connection that sent ALIVE2_REQ stays open: \
                       there is no unregister message. Close it and the name disappears from epmd -names \
                       (and never send anything else on it: any byte makes epmd drop the name too)." }
                </p>
            </div>
        }
    };

    html! {
        <section class="live-section live-epmd" aria-labelledby="live-epmd-title">
            <h2 id="live-epmd-title">{ "epmd" }</h2>
            <p class="live-hint">
                { "Each request goes on its own connection (/ws/epmd → the bridge's epmd): epmd answers one request, then closes." }
            </p>
            <div class="live-row">
                <button type="button" id="live-epmd-names" class="live-button" onclick={names}>
                    { "NAMES_REQ" }
                </button>
                <span class="live-hint">{ "list the registered names" }</span>
            </div>
            <form class="live-row" onsubmit={on_lookup}>
                <label for="live-lookup-name">{ "PORT_PLEASE2_REQ for" }</label>
                <input id="live-lookup-name" type="text" placeholder="name" value={(*lookup).clone()}
                    oninput={bind(&lookup)} />
                <button type="submit" id="live-lookup" class="live-button">{ "Look up" }</button>
            </form>
            <form class="live-row" onsubmit={on_register}>
                <label for="live-register-name">{ "ALIVE2_REQ: register" }</label>
                <input id="live-register-name" type="text" value={(*reg_name).clone()} oninput={bind(&reg_name)} />
                <label for="live-register-port">{ "at port" }</label>
                <input id="live-register-port" class="live-port" type="number" min="0" max="65535"
                    value={(*reg_port).clone()} oninput={bind(&reg_port)} />
                <button type="submit" id="live-register" class="live-button">{ "Register" }</button>
            </form>
            { registered }
            <form class="live-hex" onsubmit={on_hex}>
                <label for="live-hex">
                    { "Any bytes (hex), sent as they are: a request from the builder, or a deliberately broken one" }
                </label>
                <textarea id="live-hex" rows="2" spellcheck="false" value={(*hex).clone()} oninput={hex_input} />
                <button type="submit" id="live-send-hex" class="live-button">{ "Send to epmd" }</button>
            </form>
            if !props.rows.is_empty() {
                <h3>{ "Connections" }</h3>
                <ul id="live-epmd-conns" class="live-conns">
                    { for props.rows.iter().map(|r| {
                        let key = r.key;
                        let close = act.reform(move |_: MouseEvent| Action::CloseEpmd(key));
                        html! {
                            <li class={classes!("live-conn", tone_class(r.tone))}>
                                <span class="live-conn-label mono">{ r.label.clone() }</span>
                                <span class="live-conn-status">{ r.status.clone() }</span>
                                if r.open {
                                    <button type="button" class="live-button live-small" onclick={close}>{ "Close" }</button>
                                }
                            </li>
                        }
                    }) }
                </ul>
            }
        </section>
    }
}
