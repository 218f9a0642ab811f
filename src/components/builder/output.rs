//! What the builder built: the bytes in hex (copy, open in the decoder),
//! what the overridden derived fields do to the receiver, and the frame's
//! views through [`FrameDetail`].

use crate::components::frame::FrameDetail;
use crate::model::FrameRc;
use crate::url::DecodeQuery;
use erldist_codec::build::Consequence;
use std::rc::Rc;
use yew::prelude::*;

/// A built message as the page shows it.
#[derive(Debug, PartialEq)]
pub struct Shown {
    /// Lowercase, space-separated hex.
    pub hex: String,
    /// Its decode as the receiver reads it.
    pub frame: FrameRc,
    /// What each override does.
    pub consequences: Vec<Consequence>,
}

/// Props of [`BuiltOutput`].
#[derive(Properties, PartialEq)]
pub struct BuiltOutputProps {
    /// The last valid build.
    pub shown: Option<Rc<Shown>>,
    /// Why the form is not rebuilt now (an invalid field).
    pub pending: Option<String>,
    /// Compact view.
    #[prop_or_default]
    pub embed: bool,
    /// "Open in the decoder".
    pub on_decode: Callback<DecodeQuery>,
}

/// The decoder options that read the frame as the builder did.
fn decode_query(s: &Shown) -> DecodeQuery {
    use erldist_codec::conn::Side;
    use erldist_codec::session::Protocol;
    let f = &s.frame;
    DecodeQuery {
        input: s.hex.clone(),
        protocol: match f.protocol {
            Protocol::Epmd => "epmd",
            Protocol::Dist => "dist",
        }
        .into(),
        direction: match f.side {
            Side::Initiator => "request",
            Side::Acceptor => "reply",
        }
        .into(),
        ..DecodeQuery::default()
    }
}

/// The bytes and their views.
#[component]
pub fn BuiltOutput(props: &BuiltOutputProps) -> Html {
    let copied = use_state(|| false);
    let Some(s) = props.shown.clone() else {
        return html! {
            <section class="built" aria-label="Built message">
                <p class="callout callout-error" role="status" id="build-pending">
                    { props.pending.clone().unwrap_or_default() }
                </p>
            </section>
        };
    };
    let on_copy = {
        let hex = s.hex.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&hex);
                copied.set(true);
            }
        })
    };
    let on_open = {
        let s = s.clone();
        props
            .on_decode
            .reform(move |_: MouseEvent| decode_query(&s))
    };
    let n = s.frame.bytes.len();
    html! {
        <section class="built" aria-label="Built message">
            <div class="built-head">
                <h2 class="built-title">{ "Bytes" }
                    <span class="built-count">{ format!(" · {n} byte{}", if n == 1 { "" } else { "s" }) }</span>
                </h2>
                <div class="built-actions">
                    <button type="button" id="copy-hex" onclick={on_copy}
                        aria-label="Copy the hex bytes">
                        { if *copied { "Copied" } else { "Copy" } }
                    </button>
                    <button type="button" id="open-decoder" onclick={on_open}>
                        { "Open in the decoder" }
                    </button>
                </div>
            </div>
            <code id="built-hex" class="built-hex" aria-label="Built bytes in hex">{ &s.hex }</code>
            if let Some(p) = &props.pending {
                <p class="callout callout-incomplete build-pending" id="build-pending" role="status">
                    { "Not rebuilt until the form is valid: " }{ p }
                </p>
            }
            if !s.consequences.is_empty() {
                <div class="consequences" id="consequences" aria-live="polite">
                    { for s.consequences.iter().map(|c| html! {
                        <section class="consequence" id={format!("consequence-{}", c.field)}>
                            <h3>{ "What overriding " }<code>{ c.field }</code>{ " does" }</h3>
                            <ul>{ for c.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                        </section>
                    }) }
                </div>
            }
            <FrameDetail frame={s.frame.clone()} index={1} id="built" compact={props.embed} />
        </section>
    }
}
