//! A button that copies text to the clipboard (`navigator.clipboard`) and
//! says so: `Copied` for two seconds (class `is-copied`), or how to copy
//! by hand when the browser refuses.

use yew::prelude::*;

/// Props of [`CopyButton`].
#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    /// What to copy.
    pub text: AttrValue,
    /// What the button copies, for screen readers (`Copy the Erlang code`).
    #[prop_or(AttrValue::Static("Copy"))]
    pub label: AttrValue,
}

/// The copy button.
#[component]
pub fn CopyButton(p: &CopyButtonProps) -> Html {
    // None: idle; Some(true): copied; Some(false): refused.
    let done = use_state(|| None::<bool>);
    let onclick = {
        let done = done.clone();
        let text = p.text.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            let done = done.clone();
            let text = text.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let ok = match web_sys::window() {
                    Some(w) => {
                        let p = w.navigator().clipboard().write_text(&text);
                        wasm_bindgen_futures::JsFuture::from(p).await.is_ok()
                    }
                    None => false,
                };
                done.set(Some(ok));
                gloo_timers::future::TimeoutFuture::new(2_000).await;
                done.set(None);
            });
        })
    };
    let (class, text) = match *done {
        Some(true) => ("is-copied", "Copied"),
        Some(false) => (
            "is-refused",
            "Copy refused: select the text and press Ctrl+C",
        ),
        None => ("", "Copy"),
    };
    html! {
        <button type="button" class={classes!("copy", class)} {onclick} aria-label={p.label.clone()}>
            <span aria-live="polite">{ text }</span>
        </button>
    }
}
