//! One tapped connection: who, how many bytes, its state, what epmd makes
//! of it, and its frames with the findings under the bytes they are about.

use crate::components::frame::FrameDetail;
use crate::model::tap::{Finding, TapConn};
use yew::prelude::*;

/// Props of [`ConnCard`].
#[derive(Properties, PartialEq)]
pub struct ConnCardProps {
    /// The connection (its view is decoded already).
    pub conn: TapConn,
}

fn finding(f: &Finding) -> Html {
    let code = f.code.iter().map(|(lang, code)| {
        html! {
            <details class="tap-code">
                <summary>{ *lang }</summary>
                <pre><code>{ code.clone() }</code></pre>
            </details>
        }
    });
    html! {
        <div class="tap-finding" data-lint={f.id} role="note">
            <p>
                <span class="tap-finding-id">{ f.id }</span>
                <span class="tap-finding-byte">{ format!(" at byte {}: ", f.byte) }</span>
                { f.message.clone() }
            </p>
            if let Some(c) = &f.corrected {
                <p class="tap-corrected">{ "Corrected bytes: " }<code>{ c.clone() }</code></p>
                { for code }
            }
        </div>
    }
}

/// One connection.
#[component]
pub fn ConnCard(props: &ConnCardProps) -> Html {
    let c = &props.conn;
    let v = &c.view;
    let frames = v.frames.iter().enumerate().map(|(i, f)| {
        let findings = v.findings.get(i).cloned().unwrap_or_default();
        html! {
            <li class="tap-frame">
                <FrameDetail frame={f.clone()} index={i + 1}
                    id={AttrValue::from(format!("tap{}-{}", c.id, i + 1))} compact=true show_lint=false />
                { for findings.iter().map(finding) }
            </li>
        }
    });
    let open = c.ended.is_none();
    html! {
        <section class="tap-conn" data-conn={c.id.to_string()} data-target={c.target.clone()}
            aria-label={format!("Connection {}", c.id)}>
            <header class="tap-conn-head">
                <strong>{ format!("#{} ", c.id) }</strong>
                <span class="tap-peer">{ c.client.clone() }</span>
                { " → " }
                <span class="tap-target">{ c.target.clone() }</span>
                if let Some(u) = &c.upstream {
                    <span class="tap-upstream">{ format!(" at {u}") }</span>
                }
                <span class="tap-via">{ format!(" (tap {})", c.listen) }</span>
                <span class="tap-bytes">{ format!(" {} bytes sent, {} received ", v.sent, v.received) }</span>
                <span class={classes!("tap-status", (!open).then_some("is-closed"))}>{ v.status.clone() }</span>
                if let Some(e) = &c.ended {
                    <span class="tap-reason">{ format!(" {}", e.reason) }</span>
                }
            </header>
            if !v.explain.is_empty() {
                <ul class="tap-explain">
                    { for v.explain.iter().map(|e| html! { <li>{ e.clone() }</li> }) }
                </ul>
            }
            <ol class="tap-frames">{ for frames }</ol>
        </section>
    }
}
