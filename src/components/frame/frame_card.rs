//! One frame: header (type, direction, offset, length, status), remarks and
//! the byte-layout table.

use super::ByteTable;
use crate::model::{FrameView, StatusView};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`FrameCard`].
#[derive(Properties, PartialEq)]
pub struct FrameCardProps {
    /// The frame.
    pub frame: Rc<FrameView>,
}

/// The `id` of the table row a frame's error points at.
pub fn error_row_id(frame_index: usize) -> String {
    format!("frame-{frame_index}-error")
}

/// One decoded frame.
#[component]
pub fn FrameCard(props: &FrameCardProps) -> Html {
    let f = &props.frame;
    let status_detail = match &f.status {
        StatusView::Complete => html! {},
        StatusView::Incomplete { message, .. } => html! {
            <p class="callout callout-incomplete">{ message }</p>
        },
        StatusView::Error {
            offset,
            field,
            message,
        } => html! {
            <p class="callout callout-error" role="alert">
                <strong>{ "Error at " }
                    <a href={format!("#{}", error_row_id(f.index))}>{ format!("byte {offset}") }</a>
                </strong>
                { " in " }<code>{ field }</code>{ ": " }{ message }
            </p>
        },
    };
    html! {
        <article class="frame" id={format!("frame-{}", f.index)}>
            <header class="frame-header">
                <h2>
                    <span class="frame-index">{ format!("#{}", f.index) }</span>
                    <span class="frame-type">{ f.type_name }</span>
                </h2>
                <span class={classes!("badge", "badge-direction")} title={f.direction_reason.clone()}>
                    { f.direction }
                    <span class="badge-sub">{ f.direction_how }</span>
                </span>
                <span class={classes!("badge", "badge-status", f.status.class())} title={f.status.detail()}>
                    { f.status.label() }
                </span>
                <span class="frame-meta">
                    { format!("offset {} · {} bytes", f.offset, f.length) }
                    if let Some(line) = f.line {
                        { format!(" · log line {line}") }
                    }
                </span>
            </header>
            <p class="direction-reason">
                <span class="label">{ "direction: " }</span>{ &f.direction_reason }
            </p>
            { status_detail }
            if !f.notes.is_empty() {
                <ul class="frame-notes">
                    { for f.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            }
            if !f.epmd_says.is_empty() {
                <ul class="epmd-says">
                    { for f.epmd_says.iter().map(|s| html! {
                        <li><span class="label">{ "epmd says: " }</span>{ s }</li>
                    }) }
                </ul>
            }
            <ByteTable frame_index={f.index} frame={Rc::clone(f)} />
        </article>
    }
}
