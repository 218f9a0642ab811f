//! The three synced views of one byte space: the hex + ASCII view and the
//! field tree side by side, the byte table below. One [`ViewState`] holds
//! the hovered and selected row; the pointer is read once, on this
//! component's element, from the `data-offset` (hex and ASCII cells),
//! `data-row` (table rows, tree items) and `data-toggle` (tree arrows)
//! attributes, so no cell has a handler of its own.

use super::byte_table::byte_table;
use super::{BytesOf, FieldTree, HexView};
use crate::model::frame_state::{Action, Target, ViewState};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

enum Hit {
    Toggle(usize),
    Byte(usize),
    Row(usize),
}

fn attr(el: &web_sys::Element, name: &str) -> Option<usize> {
    el.get_attribute(name)?.parse().ok()
}

/// What the event's target stands for.
fn hit(e: &Event, toggles: bool) -> Option<Hit> {
    let el: web_sys::Element = e.target()?.dyn_into().ok()?;
    let sel = if toggles {
        "[data-toggle],[data-offset],[data-row]"
    } else {
        "[data-offset],[data-row]"
    };
    let h = el.closest(sel).ok()??;
    if let Some(n) = attr(&h, "data-toggle") {
        return Some(Hit::Toggle(n));
    }
    if let Some(o) = attr(&h, "data-offset") {
        return Some(Hit::Byte(o));
    }
    attr(&h, "data-row").map(Hit::Row)
}

/// One line about the hovered (else the selected) field.
fn status_line(s: &ViewState) -> Html {
    let Some(r) = s.hover.or(s.selected) else {
        return html! { <span class="muted">{ "Point at a byte, a row or a field: the three views follow." }</span> };
    };
    let Some(row) = s.model.rows.get(r) else {
        return html! {};
    };
    let range = if row.len > 0 {
        format!(
            " · bytes {}..{} ({})",
            row.offset,
            row.offset + row.len - 1,
            row.len
        )
    } else {
        format!(" · at byte {}", row.offset)
    };
    html! {
        <>
            <strong class="status-field">{ &row.field }</strong>
            <span class="muted">{ range }</span>
            if !row.value.is_empty() {
                { " = " }<code>{ &row.value }</code>
            }
            if !row.meaning.is_empty() {
                { " — " }{ &row.meaning }
            }
        </>
    }
}

/// Hex, tree and table of one byte space: `state` holds the space and
/// what is hovered and selected; element ids start with `id` (`frame-1`:
/// the error row is `frame-1-error`).
pub fn span_views(
    state: &Rc<ViewState>,
    d: &UseReducerDispatcher<ViewState>,
    bytes: &BytesOf,
    id: &AttrValue,
    compact: bool,
) -> Html {
    let s: &ViewState = state;
    let onmouseover = {
        let d = d.clone();
        Callback::from(move |e: MouseEvent| match hit(&e, false) {
            Some(Hit::Byte(o)) => d.dispatch(Action::Hover(Target::Byte(o))),
            Some(Hit::Row(r)) => d.dispatch(Action::Hover(Target::Row(r))),
            _ => d.dispatch(Action::Unhover),
        })
    };
    let onmouseleave = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Unhover))
    };
    let onclick = {
        let d = d.clone();
        Callback::from(move |e: MouseEvent| match hit(&e, true) {
            Some(Hit::Toggle(n)) => d.dispatch(Action::Toggle(n)),
            Some(Hit::Byte(o)) => d.dispatch(Action::Select(Target::Byte(o))),
            Some(Hit::Row(r)) => d.dispatch(Action::Select(Target::Row(r))),
            None => {}
        })
    };
    let toggle = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ToggleViews))
    };
    let view_rows = if compact { 8 } else { 16 };
    let error_id = AttrValue::from(format!("{id}-error"));

    html! {
        <div class="span-views" {onmouseover} {onmouseleave} {onclick}>
            if compact {
                <button type="button" class="views-toggle" aria-expanded={s.views_open.to_string()}
                    onclick={toggle}>
                    { if s.views_open { "Hide hex and field tree" } else { "Hex and field tree" } }
                </button>
            }
            if s.views_open {
                <div class="views-top">
                    <section class="panel hex-panel" aria-label="hex and ASCII">
                        <HexView model={s.model.clone()} bytes={bytes.clone()}
                            hot={s.hot_range()} point={s.hover_byte} selected={s.selected_range()}
                            reveal={s.reveal} {view_rows} />
                        <p class="hex-status">{ status_line(s) }</p>
                    </section>
                    <section class="panel tree-panel" aria-label="field tree">
                        <FieldTree state={state.clone()} dispatch={d.clone()} id={id.clone()} />
                    </section>
                </div>
            }
            { byte_table(s, d, &error_id) }
        </div>
    }
}
