//! The Tap tab: watch and lint your own implementation's traffic live.
//! The bridge (`erldist-bridge --tap LISTEN=TARGET`) mirrors every
//! connection through a tap to `/ws/tap`; each is decoded as a session,
//! linted where the bytes are wrong, and, for a `browser:epmd` tap, answered
//! by the page playing epmd with its own name table.

mod conn_card;
mod socket;

use crate::model::tap::TapState;
use conn_card::ConnCard;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Base64 (for the pcapng download's data: URL).
fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, x)| n | u32::from(*x) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn download(name: &str, bytes: &[u8]) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(a) = doc.create_element("a") else {
        return;
    };
    let _ = a.set_attribute(
        "href",
        &format!("data:application/octet-stream;base64,{}", base64(bytes)),
    );
    let _ = a.set_attribute("download", name);
    if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
        a.click();
    }
}

/// The Tap tab.
#[component]
pub fn TapPage() -> Html {
    let state = use_mut_ref(TapState::default);
    let socket_handle = use_mut_ref(|| None::<socket::TapSocket>);
    let connected = use_state(|| None::<bool>);
    let redraw = use_force_update();
    {
        let state = state.clone();
        let socket_handle = socket_handle.clone();
        let connected = connected.clone();
        let redraw = redraw.clone();
        use_effect_with((), move |_| {
            let changed: Rc<dyn Fn(Option<bool>)> = Rc::new(move |c: Option<bool>| {
                if let Some(c) = c {
                    connected.set(Some(c));
                }
                redraw.force_update();
            });
            *socket_handle.borrow_mut() =
                socket::subscribe(state as Rc<RefCell<TapState>>, changed).ok();
            move || drop(socket_handle.borrow_mut().take())
        });
    }
    let s = state.borrow();
    let pause = {
        let state = state.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            let p = !state.borrow().paused;
            state.borrow_mut().set_paused(p);
            redraw.force_update();
        })
    };
    let clear = {
        let state = state.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            state.borrow_mut().clear();
            redraw.force_update();
        })
    };
    let export = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if let Ok(f) = state.borrow().pcapng() {
                download("tap.pcapng", &f);
            }
        })
    };
    let on_cookie = {
        let state = state.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: InputEvent| {
            let Some(el) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            state.borrow_mut().set_cookie(&el.value());
            redraw.force_update();
        })
    };
    let status = match *connected {
        None => "connecting to the bridge…",
        Some(true) => "subscribed to the bridge's taps",
        Some(false) => "not connected: run the page from erldist-bridge with --tap LISTEN=TARGET",
    };
    let taps = s.taps.iter().map(|t| {
        let what = match (t.target.as_str(), &t.upstream) {
            ("browser:epmd", _) => "epmd played by a page".to_string(),
            (_, Some(u)) => format!("{} at {u}", t.target),
            (target, None) => target.to_string(),
        };
        html! { <li data-tap={t.tap.to_string()}><code>{ t.listen.clone() }</code>{ format!(" → {what}") }</li> }
    });
    let played = s.browser_taps().map(|t| {
        let tap = t.tap;
        let mine = s.plays(tap);
        let names = s.played.get(&tap).map(|p| p.names()).unwrap_or_default();
        let log = s.played.get(&tap).map(|p| p.log.join("\n")).unwrap_or_default();
        let who = match s.players.get(&tap).copied().flatten() {
            _ if mine => "This page plays epmd here".to_string(),
            Some(sub) => format!("Another page (subscriber {sub}) plays epmd here"),
            None => "Nobody plays epmd here: connections are closed at once".to_string(),
        };
        let play = {
            let state = state.clone();
            let socket = socket_handle.clone();
            let redraw = redraw.clone();
            Callback::from(move |_: MouseEvent| {
                let out = state.borrow_mut().play(tap);
                if let Some(sock) = socket.borrow().as_ref() {
                    for m in out {
                        sock.send(&m);
                    }
                }
                redraw.force_update();
            })
        };
        html! {
            <section class="tap-epmd" data-tap={tap.to_string()}
                aria-label={format!("epmd played on {}", t.listen)}>
                <h2>{ format!("browser:epmd on {}", t.listen) }</h2>
                <p class={classes!("tap-player", mine.then_some("is-mine"))}>{ who }
                    if !mine {
                        { " " }<button type="button" class="tap-play" onclick={play}>{ "Play epmd on this page" }</button>
                    }
                </p>
                if names.is_empty() {
                    <p class="tap-names-empty">{ "No names registered." }</p>
                } else {
                    <ul class="tap-names">
                        { for names.iter().map(|(n, p, cr)| html! {
                            <li>{ format!("name {n} at port {p} (creation {cr})") }</li>
                        }) }
                    </ul>
                }
                <details><summary>{ "epmd's log" }</summary>
                    <pre class="tap-epmd-log">{ log }</pre>
                </details>
            </section>
        }
    });
    html! {
        <div class="tap-page">
            <div class="tap-toolbar" role="toolbar" aria-label="Tap controls">
                <span id="tap-status" class={classes!("tap-link", (*connected == Some(true)).then_some("is-up"))}>{ status }</span>
                <button type="button" id="tap-pause" onclick={pause}>
                    { if s.paused { format!("Resume ({} held)", s.held.len()) } else { "Pause".to_string() } }
                </button>
                <button type="button" id="tap-clear" onclick={clear}>{ "Clear" }</button>
                <button type="button" id="tap-export" onclick={export}
                    disabled={s.conns.is_empty()}>{ "Export pcapng" }</button>
                <label class="tap-cookie">{ "Cookie (for digest checks) " }
                    <input id="tap-cookie" type="text" spellcheck="false" autocomplete="off"
                        value={s.cookie.clone()} oninput={on_cookie} />
                </label>
            </div>
            if !s.taps.is_empty() {
                <ul id="tap-taps" class="tap-taps" aria-label="The bridge's taps">{ for taps }</ul>
            }
            { for played }
            if s.conns.is_empty() {
                <p class="tap-empty">{ "No connection through a tap yet. Point your program at a tap port \
                    (erldist-bridge --tap 127.0.0.1:4370=epmd) and its bytes show up here, decoded and checked." }</p>
            }
            { for s.conns.iter().rev().map(|c| html! { <ConnCard key={c.id.to_string()} conn={c.clone()} /> }) }
            if !s.errors.is_empty() {
                <ul class="tap-errors">{ for s.errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
            }
        </div>
    }
}
