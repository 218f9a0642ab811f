//! The connections of a session: who, which protocol, what the handshake
//! established (flags, visibility, the digests checked against the cookie)
//! and the atom caches the connected phase filled. Each card re-renders
//! only when its connection changes, and an atom cache's table is built
//! only while it is open (a capture can hold thousands of entries).

use super::SharedDecoded;
use crate::model::decoder::{AtomCache, ConnEntry};
use yew::prelude::*;

/// Connections drawn at most (a capture can hold thousands).
const MAX_SHOWN: usize = 200;

/// Props of [`Connections`].
#[derive(Properties, PartialEq)]
pub struct ConnectionsProps {
    /// What was decoded.
    pub decoded: SharedDecoded,
    /// Jump to a frame (0-based).
    pub on_select: Callback<usize>,
}

/// Props of [`AtomCacheBox`].
#[derive(Properties, PartialEq)]
struct AtomCacheProps {
    cache: AtomCache,
}

/// One side's atom cache, its table built when opened.
#[component]
fn AtomCacheBox(props: &AtomCacheProps) -> Html {
    let open = use_state(|| false);
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let d: web_sys::Element = e.target_unchecked_into();
            open.set(d.has_attribute("open"));
        })
    };
    let c = &props.cache;
    html! {
        <details class="atom-cache" {ontoggle}>
            <summary>{ format!("atom cache of the {} ({} entries)", c.side, c.entries.len()) }</summary>
            if *open {
                <div class="atom-cache-scroll">
                    <table class="atom-cache-table">
                        <thead><tr><th scope="col">{ "slot" }</th><th scope="col">{ "atom" }</th></tr></thead>
                        <tbody>
                            { for c.entries.iter().map(|(slot, atom)| html! {
                                <tr><td class="c-slot">{ slot }</td><td class="c-atom"><code>{ atom }</code></td></tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </details>
    }
}

/// Props of [`ConnectionCard`].
#[derive(Properties, PartialEq)]
pub struct ConnectionCardProps {
    /// The connection.
    pub entry: ConnEntry,
    /// Jump to a frame (0-based).
    pub on_select: Callback<usize>,
    /// Opened at first.
    #[prop_or_default]
    pub open: bool,
}

/// `valid`, `INVALID`, `not checked`.
fn verdict_word(v: &str) -> &str {
    if v.starts_with("not checked") {
        "not checked"
    } else {
        v.split([' ', '(']).next().unwrap_or(v)
    }
}

/// One connection, whole.
#[component]
pub fn ConnectionCard(props: &ConnectionCardProps) -> Html {
    let v = props.entry.view();
    let jump = v.first_frame.map(|i| {
        let onclick = props.on_select.reform(move |_: MouseEvent| i);
        html! {
            <button type="button" class="link-button" {onclick}>
                { format!("{} frame{}, first #{}", v.frames, if v.frames == 1 { "" } else { "s" }, i + 1) }
            </button>
        }
    });
    let chips: Html = v
        .facts
        .iter()
        .filter(|f| f.name.ends_with("digest"))
        .map(|f| {
            html! {
                <span class={classes!("chip", "digest", f.verdict.class())} title={f.value.clone()}>
                    { format!("{}: {}", f.name.trim_start_matches("challenge "), verdict_word(&f.value)) }
                </span>
            }
        })
        .collect();
    html! {
        <details class="connection" id={format!("connection-{}", v.index)} open={props.open}>
            <summary>
                <strong>{ &v.label }</strong>
                <span class={classes!("badge", "protocol", format!("protocol-{}", v.protocol))} title={v.protocol_reason.clone()}>{ v.protocol }</span>
                if !v.names.is_empty() {
                    <span class="conn-names">{ &v.names }</span>
                }
                <span class="conn-addresses muted">{ &v.addresses }</span>
                { chips }
                { jump.unwrap_or_default() }
            </summary>
            <dl class="conn-facts">
                <dt>{ "protocol" }</dt><dd>{ format!("{} ({})", v.protocol, v.protocol_reason) }</dd>
                { for v.facts.iter().map(|f| html! {
                    <>
                        <dt>{ &f.name }</dt>
                        <dd class={f.verdict.class()}>{ &f.value }</dd>
                    </>
                }) }
            </dl>
            { for v.atom_caches.iter().map(|c| html! { <AtomCacheBox cache={c.clone()} /> }) }
            if !v.more.is_empty() {
                <details class="conn-more">
                    <summary>{ "everything else" }</summary>
                    <dl class="conn-facts">
                        { for v.more.iter().map(|(k, val)| html! { <><dt>{ k }</dt><dd>{ val }</dd></> }) }
                    </dl>
                </details>
            }
        </details>
    }
}

/// Every connection.
#[component]
pub fn Connections(props: &ConnectionsProps) -> Html {
    let (list, more) = props.decoded.0.connection_list(MAX_SHOWN);
    if list.is_empty() {
        return html! {};
    }
    let few = list.len() <= 3;
    html! {
        <section class="connections" aria-label="Connections">
            <h2>{ format!("Connections ({})", list.len() + more) }</h2>
            <div class="connection-list">
                { for list.into_iter().map(|e| {
                    let open = few && e.conn.protocol == Some(erldist_codec::session::Protocol::Dist);
                    let key = e.index;
                    html! { <ConnectionCard {key} entry={e} on_select={props.on_select.clone()} {open} /> }
                }) }
            </div>
            if more > 0 {
                <p class="muted">{ format!("… and {more} more: select one of their frames to see its connection.") }</p>
            }
        </section>
    }
}
