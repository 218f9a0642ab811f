//! The hex + ASCII view: 16 bytes a row with their offset, each byte
//! colored by its field; the hovered field's bytes `is-hot`, the selected
//! field's `is-selected`, the error byte `is-bad`, missing bytes as empty
//! cells. Only the rows in view are in the DOM (rows of a fixed height in a
//! scrolled box), so a 400 KB frame costs what 40 rows cost.

use super::BytesOf;
use crate::model::frame_space::{Range, SpaceModel};
use crate::model::hexview::{self, clip, window, COLS, ROW_PX};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Props of [`HexView`].
#[derive(Properties, PartialEq)]
pub struct HexViewProps {
    /// The laid-out space.
    pub model: Rc<SpaceModel>,
    /// Its bytes.
    pub bytes: BytesOf,
    /// The hovered field's bytes.
    pub hot: Option<Range>,
    /// The byte under the pointer.
    pub point: Option<usize>,
    /// The selected field's bytes.
    pub selected: Option<Range>,
    /// Bumped when the selection should be brought into view.
    pub reveal: u32,
    /// Rows in view.
    pub view_rows: usize,
}

#[derive(Properties, PartialEq)]
struct RowProps {
    model: Rc<SpaceModel>,
    bytes: BytesOf,
    row: usize,
    hot: Option<Range>,
    point: Option<usize>,
    selected: Option<Range>,
}

/// One row, parsed from one string (re-made only when its highlights change).
#[component]
fn HexRow(p: &RowProps) -> Html {
    Html::from_html_unchecked(AttrValue::from(hexview::row_html(
        &p.model,
        p.bytes.bytes(),
        p.row,
        p.hot,
        p.point,
        p.selected,
    )))
}

/// The hex + ASCII view.
#[component]
pub fn HexView(p: &HexViewProps) -> Html {
    let total = p.model.hex_rows();
    let scroll = use_state(|| 0i32);
    let boxed = use_node_ref();
    let (first, count) = window(*scroll, p.view_rows, total);

    let onscroll = {
        let scroll = scroll.clone();
        let view_rows = p.view_rows;
        Callback::from(move |e: Event| {
            let Some(el) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let px = el.scroll_top();
            // Re-render only when the built rows change.
            if window(px, view_rows, total) != window(*scroll, view_rows, total) {
                scroll.set(px);
            }
        })
    };

    // Bring the selected bytes into view (a click in the tree or the table).
    {
        let boxed = boxed.clone();
        let start = p.selected.map(|(s, _)| s);
        let base = p.model.base;
        use_effect_with(p.reveal, move |_| {
            if let (Some(s), Some(el)) = (start, boxed.cast::<web_sys::Element>()) {
                let px = |rows: usize| i32::try_from(rows * ROW_PX).unwrap_or(i32::MAX);
                let row = s.saturating_sub(base) / COLS;
                let top = px(row);
                let now = el.scroll_top();
                if top < now || top + px(1) > now + el.client_height() {
                    el.set_scroll_top(px(row.saturating_sub(2)));
                }
            }
        });
    }

    let height = format!("height: {}px", total * ROW_PX);
    let pad = format!("transform: translateY({}px)", first * ROW_PX);
    let box_style = format!("max-height: {}px", p.view_rows * ROW_PX);
    let point = p.point.map(|o| (o, o + 1));
    html! {
        <div class="hex-view" role="group" aria-label="hex and ASCII">
            <div class="hex-head" aria-hidden="true">
                <span class="hex-offset">{ "offset" }</span>
                <span class="hex-bytes">
                    { for (0..COLS).map(|c| html! { <span class="hex-col">{ c }</span> }) }
                </span>
                <span class="hex-ascii">{ "ASCII" }</span>
            </div>
            <div class="hex-scroll" ref={boxed} {onscroll} style={box_style}>
                <div class="hex-body" style={height}>
                    <div class="hex-window" style={pad}>
                        { for (first..first + count).map(|row| html! {
                            <HexRow key={row} model={Rc::clone(&p.model)} bytes={p.bytes.clone()} {row}
                                hot={clip(&p.model, row, p.hot)}
                                point={clip(&p.model, row, point).map(|(o, _)| o)}
                                selected={clip(&p.model, row, p.selected)} />
                        }) }
                    </div>
                </div>
            </div>
        </div>
    }
}
