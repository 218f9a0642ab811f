//! erldist playground: build, decode and explain every byte of the Erlang
//! distribution protocol (EPMD, the handshake, the connected phase) in the
//! browser.
//!
//! House style: each tab's page owns its state (its module in
//! [`components`]), the URL holds all of it ([`url`]), and pure view models
//! live in [`model`] (tested on the host with `cargo test -p
//! erldist-playground`). [`api`] is the JavaScript API (`decode`, `encode`)
//! for documentation pages.

mod api;
mod components;
mod model;
mod url;

/// Shows a panic in the page's error banner instead of dying silently, and
/// logs it to the console. (A panic in wasm stops the module: the banner
/// offers a reload that keeps the URL, so the state comes back.)
fn on_panic(info: &std::panic::PanicHookInfo<'_>) {
    {
        let msg = info.to_string();
        web_sys::console::error_1(&format!("erldist playground: {msg}").into());
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(banner) = doc.get_element_by_id("error-banner") {
            banner.set_inner_html(
                "<strong>Something went wrong inside the playground.</strong> \
                 <span class=\"error-detail\"></span> \
                 <button type=\"button\" onclick=\"location.reload()\">Reload (keeps your input)</button>",
            );
            if let Ok(Some(d)) = banner.query_selector(".error-detail") {
                d.set_text_content(Some(&msg));
            }
            let _ = banner.remove_attribute("hidden");
        }
    }
}

/// Installs [`on_panic`]: for the API-only page directly, and through Yew
/// (which installs its own hook when it renders unless given one).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(on_panic));
    yew::set_custom_panic_hook(Box::new(on_panic));
}

/// Panics on purpose: the browser test of the error banner calls it
/// (`window.wasmBindings.__erldist_test_panic()`). Nothing in the page does.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn __erldist_test_panic() {
    panic!("a deliberate panic from the browser test of the error banner");
}

fn main() {
    install_panic_hook();
    // A documentation page that only wants the JS API marks its <body>
    // with data-erldist-api; the app is not rendered there.
    let api_only = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .is_some_and(|b| b.has_attribute("data-erldist-api"));
    if !api_only {
        yew::Renderer::<components::App>::new().render();
    }
}
