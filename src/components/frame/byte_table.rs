//! The annotated byte-layout table of a byte space: one row per span (groups
//! head their indented children), then the bytes no span covers and the
//! bytes still missing. Rows carry `data-row` for the shared hover and
//! selection; only `limit` rows are built ("show more").

use crate::model::frame_state::{Action, ViewState};
use crate::model::Row;
use yew::prelude::*;

const COLORS: [&str; 6] = ["f0", "f1", "f2", "f3", "f4", "f5"];

fn hex_cell(row: &Row) -> Html {
    let h = &row.hex;
    let color = row.color.and_then(|c| COLORS.get(usize::from(c)).copied());
    let more = (h.more > 0).then(|| {
        html! { <span class="hex-more">{ format!(" … +{} bytes", h.more) }</span> }
    });
    match &h.marked {
        None => html! { <><code class={color}>{ &h.before }</code>{ more }</> },
        Some(m) => html! {
            <>
            <code class={color}>
                { &h.before }
                { if h.before.is_empty() { "" } else { " " } }
                <mark class="bad-byte" title="the byte the error points at">{ m }</mark>
                { if h.after.is_empty() { "" } else { " " } }
                { &h.after }
            </code>
            { more }
            </>
        },
    }
}

/// Row `i` (plain markup, no component: creating 100 components costs
/// more than diffing 100 rows on a hover).
fn table_row(row: &Row, i: usize, hot: bool, selected: bool, error_id: &AttrValue) -> Html {
    let class = classes!(
        "row",
        row.kind.class(),
        row.is_error.then_some("is-error"),
        row.has_note.then_some("has-note"),
        hot.then_some("is-hot"),
        selected.then_some("is-selected"),
    );
    let id = row.is_error.then(|| error_id.clone());
    html! {
        <tr key={i} {class} {id} data-row={i.to_string()} style={format!("--depth: {}", row.depth)}
            aria-selected={selected.then_some("true")}>
            <td class="c-offset">{ row.offset }</td>
            <td class="c-size">{ &row.size }</td>
            <td class="c-hex">{ hex_cell(row) }</td>
            <td class="c-field"><span class="field-name">{ &row.field }</span></td>
            <td class="c-value">
                if row.value.len() > 40 {
                    <span class="value-text" title={row.value.clone()}>{ &row.value }</span>
                } else {
                    { &row.value }
                }
            </td>
            <td class="c-meaning">{ &row.meaning }</td>
        </tr>
    }
}

/// Rows "show more" adds.
const MORE: usize = 500;

/// The byte-layout table of `s`'s space; the error row's id is `error_id`.
pub fn byte_table(
    s: &ViewState,
    d: &UseReducerDispatcher<ViewState>,
    error_id: &AttrValue,
) -> Html {
    let total = s.model.rows.len();
    let shown = total.min(s.table_limit);
    let more = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::MoreRows(MORE)))
    };
    let all = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::MoreRows(usize::MAX)))
    };
    html! {
        <>
        <table class="bytes">
            <thead>
                <tr>
                    <th class="c-offset" scope="col">{ "offset" }</th>
                    <th class="c-size" scope="col">{ "size" }</th>
                    <th class="c-hex" scope="col">{ "hex" }</th>
                    <th class="c-field" scope="col">{ "field" }</th>
                    <th class="c-value" scope="col">{ "value" }</th>
                    <th class="c-meaning" scope="col">{ "meaning" }</th>
                </tr>
            </thead>
            <tbody>
                { for s.model.rows.iter().take(shown).enumerate().map(|(i, r)| {
                    table_row(r, i, s.hover == Some(i), s.selected == Some(i), error_id)
                }) }
            </tbody>
        </table>
        if shown < total {
            <p class="show-more table-more">
                <span class="muted">{ format!("{shown} of {total} rows shown. ") }</span>
                <button type="button" class="more-rows" onclick={more}>
                    { format!("Show {} more", MORE.min(total - shown)) }
                </button>
                { " " }
                <button type="button" class="all-rows" onclick={all}>{ format!("Show all {total}") }</button>
            </p>
        }
        </>
    }
}
