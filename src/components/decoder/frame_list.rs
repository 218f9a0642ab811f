//! The frame list: one line per frame (number, time or offset, stream,
//! sender → receiver, type, length, status) with the sequence view beside
//! it (one lane per party, one arrow per frame, the same rows). Virtualized:
//! only the rows in view (and a few around) are in the DOM, so 100 000
//! frames scroll as smoothly as ten. Keyboard: up / down, page up / down,
//! home / end move the selection.

use super::SharedDecoded;
use crate::model::decoder::FrameRow;
use web_sys::HtmlElement;
use yew::prelude::*;

/// Height of a row in pixels (`--row-h` in decoder.css).
pub const ROW_H: f64 = 26.0;
/// Height of the sticky heading in pixels (`--head-h` in decoder.css).
pub const HEAD_H: f64 = 30.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 8;

/// Props of [`FrameList`].
#[derive(Properties, PartialEq)]
pub struct FrameListProps {
    /// The frames.
    pub decoded: SharedDecoded,
    /// The selected frame (0-based).
    pub selected: Option<usize>,
    /// A row (or its arrow) was clicked.
    pub on_select: Callback<usize>,
    /// The keyboard moved the selection by this many rows.
    pub on_move: Callback<i64>,
    /// Show the sequence lanes.
    #[prop_or(true)]
    pub sequence: bool,
}

/// Row and heading heights as integers, for the styles.
const ROW_PX: usize = ROW_H as usize;

/// Horizontal centre of lane `k` of `n`, in hundredths of a percent.
fn lane_x(k: usize, n: usize) -> usize {
    (2 * k + 1) * 5000 / n.max(1)
}

/// `12.34%` from hundredths of a percent (no float formatting: it would
/// add its code to the bundle).
fn pct(h: usize) -> String {
    format!("{}.{:02}%", h / 100, h % 100)
}

fn arrow(row: &FrameRow, lanes: usize) -> Html {
    let Some((from, to)) = row.arrow else {
        return html! {};
    };
    let (a, b) = (lane_x(from, lanes), lane_x(to, lanes));
    let (left, width, dir) = if from == to {
        (a, 10_000 / lanes.max(1) / 3, "self")
    } else if a < b {
        (a, b - a, "to-right")
    } else {
        (b, a - b, "to-left")
    };
    html! {
        <span class={classes!("seq-arrow", dir, format!("row-{}", row.status.class))}
            style={format!("left:{};width:{}", pct(left), pct(width))}
            title={format!("#{} {}: {}", row.index + 1, row.type_name, row.parties)}>
            <span class="seq-label">{ row.type_name }</span>
        </span>
    }
}

fn row_html(
    row: &FrameRow,
    selected: bool,
    lanes: usize,
    sequence: bool,
    on: &Callback<usize>,
) -> Html {
    let i = row.index;
    let onclick = on.reform(move |_: MouseEvent| i);
    let lines: Html = (0..lanes)
        .map(|k| html! { <span class="lane-line" style={format!("left:{}", pct(lane_x(k, lanes)))} /> })
        .collect();
    html! {
        <div key={i} id={format!("frame-row-{i}")} role="option"
            aria-selected={if selected { "true" } else { "false" }}
            class={classes!("frame-row", selected.then_some("is-selected"), format!("row-{}", row.status.class))}
            style={format!("top:{}px", i * ROW_PX)}
            data-index={i.to_string()} {onclick}>
            <span class="c-num">{ i + 1 }</span>
            <span class="c-when" title={row.when_title.clone()}>{ &row.when }</span>
            <span class="c-stream" title={row.phase}>{ row.stream.map(|s| s.to_string()).unwrap_or_default() }</span>
            <span class="c-parties" title={row.parties.clone()}>{ &row.parties }</span>
            <span class="c-type">{ row.type_name }</span>
            <span class="c-len">{ row.length }</span>
            <span class="c-status">
                <span class={classes!("badge", row.status.class)} title={row.status.title.clone()}>{ &row.status.label }</span>
                if let Some(l) = &row.lint {
                    <span class={classes!("badge", l.class)} title={l.title.clone()}>{ &l.label }</span>
                }
            </span>
            if sequence {
                <span class="c-seq">{ lines }{ arrow(row, lanes) }</span>
            }
        </div>
    }
}

/// The list.
#[component]
pub fn FrameList(props: &FrameListProps) -> Html {
    let scroller = use_node_ref();
    // First visible row and the viewport's height.
    let first = use_state(|| 0usize);
    let height = use_state(|| 420.0f64);
    let d = &props.decoded.0;
    let n = d.frames.len();

    let measure = {
        let scroller = scroller.clone();
        let first = first.clone();
        let height = height.clone();
        move || {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                let f = (f64::from(el.scroll_top()) / ROW_H).floor().max(0.0) as usize;
                if f != *first {
                    first.set(f);
                }
                let h = f64::from(el.client_height());
                if h > 0.0 && (h - *height).abs() > 1.0 {
                    height.set(h);
                }
            }
        }
    };
    {
        let measure = measure.clone();
        use_effect_with((), move |_| measure());
    }
    let onscroll = {
        let measure = measure.clone();
        Callback::from(move |_: Event| measure())
    };
    let visible = ((*height - HEAD_H) / ROW_H).ceil().max(1.0) as usize;

    // Keep the selection in view (keyboard, a click in the sequence, a jump).
    {
        let scroller = scroller.clone();
        use_effect_with(props.selected, move |sel| {
            if let (Some(i), Some(el)) = (sel, scroller.cast::<HtmlElement>()) {
                let top = *i as f64 * ROW_H;
                let st = f64::from(el.scroll_top());
                let view = f64::from(el.client_height()) - HEAD_H;
                if top < st {
                    el.set_scroll_top(top as i32);
                } else if top + ROW_H > st + view {
                    el.set_scroll_top((top + ROW_H - view).ceil() as i32);
                }
            }
        });
    }

    let onkeydown = {
        let on_move = props.on_move.clone();
        let page = visible.saturating_sub(1).max(1) as i64;
        Callback::from(move |e: KeyboardEvent| {
            let delta = match e.key().as_str() {
                "ArrowDown" | "j" => 1,
                "ArrowUp" | "k" => -1,
                "PageDown" => page,
                "PageUp" => -page,
                "Home" => i64::MIN / 2,
                "End" => i64::MAX / 2,
                _ => return,
            };
            e.prevent_default();
            on_move.emit(delta);
        })
    };
    let on_select = {
        let cb = props.on_select.clone();
        let scroller = scroller.clone();
        Callback::from(move |i: usize| {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                let _ = el.focus();
            }
            cb.emit(i);
        })
    };

    let lanes = d.lanes();
    let lane_n = lanes.len();
    let sequence = props.sequence && lane_n > 0;
    let from = (*first).saturating_sub(OVERSCAN).min(n);
    let to = (*first + visible + OVERSCAN).min(n);
    let rows: Html = (from..to)
        .filter_map(|i| d.row(i))
        .map(|r| {
            row_html(
                &r,
                props.selected == Some(r.index),
                lane_n,
                sequence,
                &on_select,
            )
        })
        .collect();
    let heads: Html = lanes
        .iter()
        .enumerate()
        .map(|(k, l)| {
            html! {
                <span class="lane-head" style={format!("left:{};width:{}", pct(k * 10_000 / lane_n), pct(10_000 / lane_n))}
                    title={l.title.clone()}>{ &l.label }</span>
            }
        })
        .collect();
    let active = props.selected.map(|i| format!("frame-row-{i}"));
    html! {
        <div class={classes!("frame-list", sequence.then_some("with-sequence"))} ref={scroller}
            role="listbox" tabindex="0" aria-label={format!("Frames: {n} (arrow keys move the selection)")}
            aria-activedescendant={active} {onscroll} {onkeydown}>
            <div class="frame-list-head" aria-hidden="true">
                <span class="c-num">{ "#" }</span>
                <span class="c-when" title="seconds since the capture's first packet, or @ the byte offset in the stream">{ "time / @" }</span>
                <span class="c-stream">{ "stream" }</span>
                <span class="c-parties">{ "from → to" }</span>
                <span class="c-type">{ "type" }</span>
                <span class="c-len">{ "bytes" }</span>
                <span class="c-status">{ "status" }</span>
                if sequence {
                    <span class="c-seq sequence-lanes">{ heads }</span>
                }
            </div>
            <div class="frame-list-body" style={format!("height:{}px", n * ROW_PX)}>
                { rows }
            </div>
        </div>
    }
}
