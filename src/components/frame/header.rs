//! A frame's header and remarks: type, protocol and phase, who sent it and
//! why we think so, status, offset and length; the error or the missing
//! bytes; notes; what epmd's log says; the lint findings with their
//! corrected bytes and the code that builds them. A byte named here is a
//! button that selects it in the views.

use super::CopyButton;
use crate::model::frame_export::ExportChoice;
use crate::model::frame_state::{Action, Target, ViewState};
use crate::model::view::LintView;
use crate::model::{FrameView, StatusView};
use yew::prelude::*;

fn byte_button(d: &UseReducerDispatcher<ViewState>, offset: usize) -> Html {
    let d = d.clone();
    let onclick =
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(Target::Byte(offset))));
    html! {
        <button type="button" class="byte-link" {onclick} title="select this byte in the views">
            { format!("byte {offset}") }
        </button>
    }
}

/// One lint finding; `code`: the code for its corrected bytes.
fn lint_item(
    l: &LintView,
    code: Option<&AttrValue>,
    id: &AttrValue,
    d: &UseReducerDispatcher<ViewState>,
    choice: ExportChoice,
) -> Html {
    html! {
        <li class="callout callout-lint" id={format!("{id}-lint-{}", l.index)}>
            <p class="lint-head">
                <strong class="lint-id">{ l.id }</strong>
                if !l.about.is_empty() {
                    <span class="lint-about">{ ": " }{ l.about }</span>
                }
            </p>
            <p class="lint-message">{ &l.message }{ " (at " }{ byte_button(d, l.offset) }{ ")" }</p>
            if let (Some(fixed), Some(hex)) = (&l.corrected, &l.corrected_hex) {
                <p class="lint-corrected">
                    <span class="label">{ "corrected bytes: " }</span>
                    <code class="corrected-bytes">{ fixed }</code>
                    { " " }
                    <a href={format!("?decode={hex}")} class="lint-open">{ "decode these" }</a>
                </p>
            }
            if let Some(code) = code {
                <details class="lint-code">
                    <summary>{ choice.lang().label() }{ " code for the corrected bytes" }</summary>
                    <pre class="export-code"><code>{ code.clone() }</code></pre>
                    <CopyButton text={code.clone()} label="Copy the code for the corrected bytes" />
                </details>
            }
        </li>
    }
}

/// The frame's header and remarks: `f` its view, `id` the frame's id
/// prefix, `d` where byte links go, `lint_codes` the code for each lint's
/// corrected bytes in `choice`'s language.
pub fn frame_header_html(
    f: &FrameView,
    id: &AttrValue,
    d: &UseReducerDispatcher<ViewState>,
    lint_codes: &[Option<AttrValue>],
    choice: ExportChoice,
    compact: bool,
) -> Html {
    let error_href = format!("#{id}-error");
    let status_detail = match &f.status {
        StatusView::Complete => html! {},
        StatusView::Incomplete { message, .. } => html! {
            <p class="callout callout-incomplete">{ message }</p>
        },
        StatusView::Error {
            offset,
            field,
            message,
        } => {
            let d = d.clone();
            let at = *offset;
            let row_id = format!("{id}-error");
            // Select the byte and bring its row into view (not by following
            // the link: a new URL fragment would be a navigation for the app).
            let onclick = Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                d.dispatch(Action::Select(Target::Byte(at)));
                if let Some(row) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|doc| doc.get_element_by_id(&row_id))
                {
                    let opts = web_sys::ScrollIntoViewOptions::new();
                    opts.set_block(web_sys::ScrollLogicalPosition::Center);
                    row.scroll_into_view_with_scroll_into_view_options(&opts);
                }
            });
            html! {
                <p class="callout callout-error" role="alert">
                    <strong>{ "Error at " }
                        <a href={error_href} class="byte-link" {onclick}>{ format!("byte {offset}") }</a>
                    </strong>
                    { " in " }<code>{ field }</code>{ ": " }{ message }
                </p>
            }
        }
    };
    let (who, who_sub) = if f.protocol == "epmd" {
        (f.direction, f.direction_how)
    } else {
        (f.side, f.direction_how)
    };
    let phase = if f.protocol == f.phase {
        f.protocol.to_string()
    } else {
        format!("{} · {}", f.protocol, f.phase)
    };
    let mut meta = format!("offset {} · {} bytes", f.offset, f.length);
    if let Some(line) = f.line {
        meta.push_str(&format!(" · log line {line}"));
    }
    if let Some(s) = f.stream {
        meta.push_str(&format!(" · connection {s}"));
    }
    html! {
        <>
        <header class="frame-header">
            <h2>
                <span class="frame-index">{ format!("#{}", f.index) }</span>
                <span class="frame-type">{ f.type_name }</span>
            </h2>
            <span class="badge badge-phase" title="protocol · phase">{ phase }</span>
            <span class="badge badge-direction" title={format!("sent by {}; {}", f.sender, f.direction_reason)}>
                { who }
                <span class="badge-sub">{ who_sub }</span>
            </span>
            <span class={classes!("badge", "badge-status", f.status.class())} title={f.status.detail()}>
                { f.status.label() }
            </span>
            <span class="frame-meta">{ meta }</span>
        </header>
        if !compact {
            <p class="direction-reason">
                <span class="label">{ "sent by " }</span>{ f.sender }
                <span class="label">{ " · why: " }</span>{ &f.direction_reason }
            </p>
        }
        { status_detail }
        if !f.notes.is_empty() {
            <ul class="frame-notes">
                { for f.notes.iter().map(|n| html! {
                    <li>
                        { byte_button(d, n.offset) }
                        { n.text.strip_prefix(&format!("byte {}", n.offset)).unwrap_or(&n.text) }
                    </li>
                }) }
            </ul>
        }
        if !f.epmd_says.is_empty() {
            <ul class="epmd-says">
                { for f.epmd_says.iter().map(|s| html! {
                    <li><span class="label">{ "epmd says: " }</span>{ s }</li>
                }) }
            </ul>
        }
        if !f.lint.is_empty() {
            <ul class="lint-list" aria-label="classic mistakes found">
                { for f.lint.iter().map(|l| lint_item(l, lint_codes.get(l.index).and_then(Option::as_ref), id, d, choice)) }
            </ul>
        }
        </>
    }
}
