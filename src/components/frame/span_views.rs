//! The three synced views of one byte space: the hex + ASCII view and the
//! field tree side by side, the byte table below. One [`ViewState`] holds
//! the hovered and selected row; the pointer is read once, on this
//! component's element, from the `data-offset` (hex and ASCII cells),
//! `data-row` (table rows, tree items) and `data-toggle` (tree arrows)
//! attributes, so no cell has a handler of its own.

use super::{ByteTable, BytesOf, FieldTree, HexView};
use crate::model::frame_state::{Action, Target, ViewState};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Props of [`SpanViews`].
#[derive(Properties, PartialEq)]
pub struct SpanViewsProps {
    /// The shared state (the model is in it).
    pub state: UseReducerHandle<ViewState>,
    /// The bytes.
    pub bytes: BytesOf,
    /// Prefix of the element ids inside (`frame-1`: the error row is
    /// `frame-1-error`).
    pub id: AttrValue,
    /// Hex and tree folded away until asked for; fewer rows.
    #[prop_or_default]
    pub compact: bool,
}

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

/// Hex, tree and table of one byte space.
#[component]
pub fn SpanViews(p: &SpanViewsProps) -> Html {
    let s: &ViewState = &p.state;
    let show_more = use_state(|| !p.compact);

    let onmouseover = {
        let d = p.state.dispatcher();
        Callback::from(move |e: MouseEvent| match hit(&e, false) {
            Some(Hit::Byte(o)) => d.dispatch(Action::Hover(Target::Byte(o))),
            Some(Hit::Row(r)) => d.dispatch(Action::Hover(Target::Row(r))),
            _ => d.dispatch(Action::Unhover),
        })
    };
    let onmouseleave = {
        let d = p.state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Unhover))
    };
    let onclick = {
        let d = p.state.dispatcher();
        Callback::from(move |e: MouseEvent| match hit(&e, true) {
            Some(Hit::Toggle(n)) => d.dispatch(Action::Toggle(n)),
            Some(Hit::Byte(o)) => d.dispatch(Action::Select(Target::Byte(o))),
            Some(Hit::Row(r)) => d.dispatch(Action::Select(Target::Row(r))),
            None => {}
        })
    };
    let toggle_more = {
        let show_more = show_more.clone();
        Callback::from(move |_: MouseEvent| show_more.set(!*show_more))
    };
    let view_rows = if p.compact { 8 } else { 16 };

    html! {
        <div class="span-views" {onmouseover} {onmouseleave} {onclick}>
            if p.compact {
                <button type="button" class="views-toggle" aria-expanded={(*show_more).to_string()}
                    onclick={toggle_more}>
                    { if *show_more { "Hide hex and field tree" } else { "Hex and field tree" } }
                </button>
            }
            if *show_more {
                <div class="views-top">
                    <section class="panel hex-panel" aria-label="hex and ASCII">
                        <HexView model={s.model.clone()} bytes={p.bytes.clone()}
                            hot={s.hot_range()} point={s.hover_byte} selected={s.selected_range()}
                            reveal={s.reveal} {view_rows} />
                        <p class="hex-status">{ status_line(s) }</p>
                    </section>
                    <section class="panel tree-panel" aria-label="field tree">
                        <FieldTree state={p.state.clone()} id={p.id.clone()} />
                    </section>
                </div>
            }
            <ByteTable model={s.model.clone()} hover={s.hover} selected={s.selected}
                limit={s.table_limit} error_id={AttrValue::from(format!("{}-error", p.id))}
                dispatch={p.state.dispatcher()} />
        </div>
    }
}
