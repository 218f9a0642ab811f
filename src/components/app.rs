//! The page: header, tabs, theme switch, and the open tab's page. The URL
//! holds all state ([`Route`]): edits replace the history entry, opening a
//! tab or an example pushes one, and the back button restores the state.

use super::builder::BuilderPage;
use super::decoder::DecoderPage;
use super::gallery::GalleryPage;
use super::live::LivePage;
use super::tap::TapPage;
use crate::model::gallery::GalleryItem;
use crate::url::{BuildQuery, DecodeQuery, Route, Tab};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The query string of the page's URL.
fn current_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Writes `route` into the URL: a new history entry when `push`.
fn write_url(route: &Route, push: bool) {
    let Some(w) = web_sys::window() else { return };
    let Ok(h) = w.history() else { return };
    let path = w.location().pathname().unwrap_or_default();
    let url = format!("{path}{}", route.to_query());
    let current = format!("{path}{}", current_query());
    if url == current {
        return;
    }
    let _ = if push {
        h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    } else {
        h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    };
}

/// The theme the user picked last (`light`, `dark`), if any.
fn stored_theme() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item("erldist-theme")
        .ok()?
}

/// Applies `theme` to `<html data-theme>` and remembers it.
fn apply_theme(theme: &str) {
    let Some(w) = web_sys::window() else { return };
    if let Some(el) = w.document().and_then(|d| d.document_element()) {
        let _ = el.set_attribute("data-theme", theme);
    }
    if let Ok(Some(s)) = w.local_storage() {
        let _ = s.set_item("erldist-theme", theme);
    }
}

/// The theme in effect: the stored one, else the system's.
fn initial_theme() -> String {
    stored_theme().unwrap_or_else(|| {
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        if dark { "dark" } else { "light" }.to_string()
    })
}

/// The root component; owns the [`Route`].
#[component]
pub fn App() -> Html {
    let route = use_mut_ref(|| Route::from_query(&current_query()));
    // Bumped when the pages must start over from the route (navigation).
    let generation = use_state(|| 0u32);
    let tab = use_state(|| route.borrow().tab);
    let theme = use_state(initial_theme);
    {
        let theme = (*theme).clone();
        use_effect_with(theme, |t| apply_theme(t));
    }

    // Back / forward: re-read the URL and start the pages over.
    {
        let route = route.clone();
        let generation = generation.clone();
        let tab = tab.clone();
        use_effect_with((), move |_| {
            let cb = Closure::<dyn Fn()>::new(move || {
                let r = Route::from_query(&current_query());
                tab.set(r.tab);
                *route.borrow_mut() = r;
                generation.set(*generation + 1);
            });
            let w = web_sys::window();
            if let Some(w) = &w {
                let _ = w.add_event_listener_with_callback("popstate", cb.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w.remove_event_listener_with_callback(
                        "popstate",
                        cb.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    let open = {
        let route = route.clone();
        let generation = generation.clone();
        let tab = tab.clone();
        Callback::from(move |r: Route| {
            write_url(&r, true);
            tab.set(r.tab);
            *route.borrow_mut() = r;
            generation.set(*generation + 1);
        })
    };
    let on_tab = {
        let route = route.clone();
        let tab = tab.clone();
        Callback::from(move |t: Tab| {
            let mut r = route.borrow_mut();
            r.tab = t;
            write_url(&r, true);
            tab.set(t);
        })
    };
    let on_decode_change = {
        let route = route.clone();
        Callback::from(move |q: DecodeQuery| {
            let mut r = route.borrow_mut();
            r.decode = q;
            if r.tab == Tab::Decode {
                write_url(&r, false);
            }
        })
    };
    let on_build_change = {
        let route = route.clone();
        Callback::from(move |q: BuildQuery| {
            let mut r = route.borrow_mut();
            r.build = q;
            if r.tab == Tab::Build {
                write_url(&r, false);
            }
        })
    };
    let on_open_decoder = {
        let route = route.clone();
        let open = open.clone();
        Callback::from(move |q: DecodeQuery| {
            let mut r = route.borrow().clone();
            r.tab = Tab::Decode;
            r.decode = q;
            open.emit(r);
        })
    };
    let toggle_theme = {
        let theme = theme.clone();
        Callback::from(move |_: MouseEvent| {
            theme.set(if *theme == "dark" { "light" } else { "dark" }.to_string());
        })
    };

    let close_example = {
        let route = route.clone();
        let generation = generation.clone();
        Callback::from(move |_: MouseEvent| {
            let mut r = route.borrow_mut();
            r.example.clear();
            write_url(&r, false);
            // Re-render without the note (the pages keep their state).
            generation.set(*generation);
        })
    };
    let r = route.borrow().clone();
    let example_note = match (*tab, GalleryItem::find(&r.example)) {
        (Tab::Decode | Tab::Build, Some(e)) if !r.embed => html! {
            <aside class="example-note" aria-label="About this example">
                <div>
                    <strong>{ e.title }</strong>
                    <p>{ e.text }</p>
                    <p class="gallery-lesson"><strong>{ "Lesson: " }</strong>{ e.lesson }</p>
                </div>
                <button type="button" class="example-note-close" aria-label="Close the explanation"
                    onclick={close_example}>{ "×" }</button>
            </aside>
        },
        _ => html! {},
    };
    let embed = r.embed;
    let g = *generation;
    let page = match *tab {
        Tab::Decode => html! {
            <DecoderPage key={format!("d{g}")} initial={r.decode.clone()} {embed} on_change={on_decode_change} />
        },
        Tab::Build => html! {
            <BuilderPage key={format!("b{g}")} initial={r.build.clone()} {embed}
                on_change={on_build_change} on_decode={on_open_decoder} />
        },
        Tab::Gallery => {
            html! { <GalleryPage current={r.example.clone()} on_open={open.clone()} /> }
        }
        Tab::Live => html! { <LivePage /> },
        Tab::Tap => html! { <TapPage /> },
    };
    let tabs = Tab::ALL.into_iter().map(|t| {
        let selected = t == *tab;
        let onclick = on_tab.reform(move |_: MouseEvent| t);
        html! {
            <button type="button" role="tab" id={format!("tab-{}", t.as_str())}
                class={classes!("tab", selected.then_some("is-selected"))}
                aria-selected={if selected { "true" } else { "false" }}
                aria-controls="tab-panel" {onclick}>
                { t.label() }
            </button>
        }
    });
    let theme_label = if *theme == "dark" {
        "Light theme"
    } else {
        "Dark theme"
    };
    html! {
        <div class={classes!("page", embed.then_some("is-embed"))}>
            if !embed {
                <header class="site-header">
                    <div class="brand">
                        <h1>{ "erldist playground" }</h1>
                        <p class="tagline">
                            { "The Erlang distribution protocol, byte by byte. \
                               Everything is decoded in your browser." }
                        </p>
                    </div>
                    <button type="button" id="theme-toggle" class="theme-toggle"
                        aria-label={theme_label} title={theme_label} onclick={toggle_theme}>
                        { if *theme == "dark" { "☀" } else { "☾" } }
                    </button>
                </header>
                <nav class="tabs" role="tablist" aria-label="Views">{ for tabs }</nav>
            }
            <main id="tab-panel" role="tabpanel" aria-labelledby={format!("tab-{}", tab.as_str())}>
                { example_note }
                { page }
            </main>
            <div id="error-banner" class="error-banner" role="alert" hidden=true></div>
        </div>
    }
}
