//! The connections of a session: who, which protocol, what the handshake
//! established (flags, visibility, the digests checked against the cookie)
//! and the atom caches the connected phase filled.

use super::SharedDecoded;
use crate::model::decoder::{AtomCache, ConnectionView};
use yew::prelude::*;

/// Connections drawn at most (a capture can hold thousands).
const MAX_SHOWN: usize = 200;

/// Props of [`Connections`] and [`ConnectionCard`].
#[derive(Properties, PartialEq)]
pub struct ConnectionsProps {
    /// What was decoded.
    pub decoded: SharedDecoded,
    /// Jump to a frame (0-based).
    pub on_select: Callback<usize>,
}

fn atom_cache(c: &AtomCache) -> Html {
    html! {
        <details class="atom-cache">
            <summary>{ format!("atom cache of the {} ({} entries)", c.side, c.entries.len()) }</summary>
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
        </details>
    }
}

/// One connection, whole.
pub fn connection_card(v: &ConnectionView, on_select: &Callback<usize>, open: bool) -> Html {
    let jump = v.first_frame.map(|i| {
        let onclick = on_select.reform(move |_: MouseEvent| i);
        html! {
            <button type="button" class="link-button" {onclick}>
                { format!("{} frames, first #{}", v.frames, i + 1) }
            </button>
        }
    });
    let chips: Html = v
        .facts
        .iter()
        .filter(|f| f.name.ends_with("digest"))
        .map(|f| html! { <span class={classes!("chip", f.verdict.class())} title={f.value.clone()}>{ format!("{}: {}", f.name.trim_start_matches("challenge "), f.value.split(' ').next().unwrap_or("")) }</span> })
        .collect();
    html! {
        <details class="connection" id={format!("connection-{}", v.index)} {open}>
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
            { for v.atom_caches.iter().map(atom_cache) }
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
    let (views, more) = props.decoded.0.connection_views(MAX_SHOWN);
    if views.is_empty() {
        return html! {};
    }
    let open = views.len() <= 3;
    html! {
        <section class="connections" aria-label="Connections">
            <h2>{ format!("Connections ({})", views.len() + more) }</h2>
            { for views.iter().map(|v| connection_card(v, &props.on_select, open && v.protocol == "dist")) }
            if more > 0 {
                <p class="muted">{ format!("… and {more} more: select one of their frames to see its connection.") }</p>
            }
        </section>
    }
}
