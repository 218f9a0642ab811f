//! The code export: the frame's bytes as Erlang, Elixir, JavaScript,
//! Python, C, Rust or Go (written by `erldist_codec::export` from the span
//! tree, a comment per field), or as the frame's JSON; tabs for the
//! language, a comments switch, a copy button. The code is only made while
//! the panel is open, and a long snippet is shown clipped (Copy copies it
//! whole).

use super::CopyButton;
use crate::model::frame_export::{
    clip, frame_code, reassembled_code, ExportChoice, CHOICES, SHOWN_CHARS,
};
use crate::model::FrameRc;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exported {
    /// The frame's bytes.
    Frame,
    /// The message reassembled from fragments.
    Reassembled,
}

/// Props of [`ExportPanel`].
#[derive(Properties, PartialEq)]
pub struct ExportPanelProps {
    /// The frame.
    pub frame: FrameRc,
    /// Its bytes or its reassembled message.
    pub what: Exported,
    /// The language (shared by the frame's panels).
    pub choice: ExportChoice,
    /// A tab was picked.
    pub on_choice: Callback<ExportChoice>,
    /// Prefix of the ids inside.
    pub id: AttrValue,
    /// Open at first, and whenever the frame changes (else it stays shut
    /// for a new frame until asked: making the code of a 400 KB frame takes
    /// a while).
    #[prop_or_default]
    pub open: bool,
}

/// The report's JSON of a frame, through the browser's `JSON.stringify`
/// (serde_json is not in the bundle).
fn frame_json(f: &erldist_codec::Frame) -> String {
    let v = f.serialize(&serde_wasm_bindgen::Serializer::json_compatible());
    v.ok()
        .and_then(|v| {
            js_sys::JSON::stringify_with_replacer_and_space(&v, &JsValue::NULL, &JsValue::from(2))
                .ok()
        })
        .and_then(|s| s.as_string())
        .map(|mut s| {
            s.push('\n');
            s
        })
        .unwrap_or_else(|| "(the frame could not be written as JSON)".to_string())
}

fn focus(id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// The export panel.
#[component]
pub fn ExportPanel(p: &ExportPanelProps) -> Html {
    let asked = use_state(|| p.open);
    // The frame the panel was opened for, when it does not open by itself.
    let opened_on = use_state(|| None::<FrameRc>);
    let open = *asked && (p.open || opened_on.as_ref() == Some(&p.frame));
    let comments = use_state(|| true);
    let whole = use_state(|| false);
    let choices: Vec<ExportChoice> = CHOICES
        .into_iter()
        .filter(|c| p.what == Exported::Frame || *c != ExportChoice::Json)
        .collect();
    let choice = if choices.contains(&p.choice) {
        p.choice
    } else {
        ExportChoice::Code(p.choice.lang())
    };
    let code = use_memo(
        (p.frame.clone(), p.what, choice, *comments, open),
        |(f, what, choice, comments, open)| -> AttrValue {
            if !*open {
                return AttrValue::default();
            }
            let text = match (what, choice) {
                (Exported::Frame, ExportChoice::Json) => frame_json(f),
                (Exported::Frame, c) => frame_code(f, c.lang(), *comments),
                (Exported::Reassembled, c) => reassembled_code(f, c.lang(), *comments),
            };
            AttrValue::from(text)
        },
    );

    let toggle = {
        let asked = asked.clone();
        let opened_on = opened_on.clone();
        let frame = p.frame.clone();
        Callback::from(move |_: MouseEvent| {
            asked.set(!open);
            opened_on.set((!open).then(|| frame.clone()));
        })
    };
    let on_comments = {
        let comments = comments.clone();
        Callback::from(move |_: Event| comments.set(!*comments))
    };
    let show_all = {
        let whole = whole.clone();
        Callback::from(move |_: MouseEvent| whole.set(true))
    };
    let tab_id = |c: ExportChoice| format!("{}-tab-{}", p.id, c.name());
    let onkeydown = {
        let choices = choices.clone();
        let on_choice = p.on_choice.clone();
        let id = p.id.clone();
        Callback::from(move |e: KeyboardEvent| {
            let at = choices.iter().position(|c| *c == choice).unwrap_or(0);
            let next = match e.key().as_str() {
                "ArrowRight" => (at + 1) % choices.len(),
                "ArrowLeft" => (at + choices.len() - 1) % choices.len(),
                "Home" => 0,
                "End" => choices.len() - 1,
                _ => return,
            };
            e.prevent_default();
            if let Some(c) = choices.get(next) {
                on_choice.emit(*c);
                focus(&format!("{id}-tab-{}", c.name()));
            }
        })
    };
    let (shown, hidden) = if *whole {
        (code.as_str(), 0)
    } else {
        clip(code.as_str(), SHOWN_CHARS)
    };
    let title = match p.what {
        Exported::Frame => "Code",
        Exported::Reassembled => "Code for the reassembled message",
    };
    let panel_id = format!("{}-code", p.id);
    html! {
        <section class="panel export-panel">
            <div class="export-head">
                <h3 class="panel-title">
                    <button type="button" class="export-toggle" aria-expanded={open.to_string()}
                        aria-controls={panel_id.clone()} onclick={toggle}>
                        <span class="disclosure" aria-hidden="true">{ if open { "▾ " } else { "▸ " } }</span>
                        { title }
                    </button>
                </h3>
                if open {
                    <div class="export-tabs" role="tablist" aria-label="language" {onkeydown}>
                        { for choices.iter().map(|&c| {
                            let selected = c == choice;
                            let pick = {
                                let on_choice = p.on_choice.clone();
                                Callback::from(move |_: MouseEvent| on_choice.emit(c))
                            };
                            html! {
                                <button type="button" role="tab" id={tab_id(c)} class="export-tab"
                                    data-lang={c.name()} title={c.title()}
                                    aria-selected={selected.to_string()} aria-controls={panel_id.clone()}
                                    tabindex={if selected { "0" } else { "-1" }} onclick={pick}>
                                    { c.tab() }
                                </button>
                            }
                        }) }
                    </div>
                    <label class="export-comments">
                        <input type="checkbox" checked={*comments} onchange={on_comments}
                            disabled={choice == ExportChoice::Json} />
                        { " comments" }
                    </label>
                    <CopyButton text={(*code).clone()} label={format!("Copy the {} code", choice.tab())} />
                }
            </div>
            if open {
                <div role="tabpanel" id={panel_id.clone()} aria-labelledby={tab_id(choice)}>
                    <pre class="export-code" data-lang={choice.name()}><code>{ shown }</code></pre>
                    if hidden > 0 {
                        <p class="show-more">
                            <span class="muted">{ format!("{hidden} more lines (Copy copies them too). ") }</span>
                            <button type="button" onclick={show_all}>{ "Show all" }</button>
                        </p>
                    }
                </div>
            }
        </section>
    }
}
