//! The annotated byte-layout table of a frame: one row per span.

use super::frame_card::error_row_id;
use crate::model::{FrameView, Row};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`ByteTable`].
#[derive(Properties, PartialEq)]
pub struct ByteTableProps {
    /// 1-based frame number (for the error row's id).
    pub frame_index: usize,
    /// The frame whose rows to show.
    pub frame: Rc<FrameView>,
}

fn hex_cell(row: &Row) -> Html {
    let h = &row.hex;
    match &h.marked {
        None => html! { <code>{ h.plain() }</code> },
        Some(m) => html! {
            <code>
                { &h.before }
                { if h.before.is_empty() { "" } else { " " } }
                <mark class="bad-byte" title="the byte the error points at">{ m }</mark>
                { if h.after.is_empty() { "" } else { " " } }
                { &h.after }
            </code>
        },
    }
}

fn table_row(frame_index: usize, row: &Row) -> Html {
    let class = classes!(
        "row",
        row.kind.class(),
        row.is_error.then_some("is-error"),
        row.has_note.then_some("has-note")
    );
    let id = row.is_error.then(|| error_row_id(frame_index));
    html! {
        <tr {class} {id} style={format!("--depth: {}", row.depth)}>
            <td class="c-offset">{ row.offset }</td>
            <td class="c-size">{ &row.size }</td>
            <td class="c-hex">{ hex_cell(row) }</td>
            <td class="c-field"><span class="field-name">{ &row.field }</span></td>
            <td class="c-value">{ &row.value }</td>
            <td class="c-meaning">{ &row.meaning }</td>
        </tr>
    }
}

/// The byte-layout table.
#[component]
pub fn ByteTable(props: &ByteTableProps) -> Html {
    html! {
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
                { for props.frame.rows.iter().map(|r| table_row(props.frame_index, r)) }
            </tbody>
        </table>
    }
}
