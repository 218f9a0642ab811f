//! The whole transcript: every frame of every connection, both
//! directions, decoded as sessions, in time order; one frame's views on
//! selection; the pcapng download.

use super::Action;
use crate::components::frame::FrameDetail;
use crate::model::live::TranscriptView;
use std::rc::Rc;
use yew::prelude::*;

/// Rows shown at most (the newest).
const MAX_ROWS: usize = 400;

/// Props of [`TranscriptPanel`].
#[derive(Properties, PartialEq)]
pub struct TranscriptPanelProps {
    /// The transcript.
    pub view: Rc<TranscriptView>,
    /// Download / clear.
    pub on_action: Callback<Action>,
}

/// The transcript panel.
#[component]
pub fn TranscriptPanel(props: &TranscriptPanelProps) -> Html {
    let selected = use_state(|| None::<usize>);
    let rows = &props.view.rows;
    let skip = rows.len().saturating_sub(MAX_ROWS);
    let download = props.on_action.reform(|_: MouseEvent| Action::Download);
    let clear = {
        let selected = selected.clone();
        props.on_action.reform(move |_: MouseEvent| {
            selected.set(None);
            Action::Clear
        })
    };
    let chosen = selected
        .and_then(|i| rows.iter().find(|r| r.index == i))
        .cloned();
    html! {
        <section class="live-section live-transcript" aria-labelledby="live-transcript-title">
            <div class="live-transcript-head">
                <h2 id="live-transcript-title">{ "Transcript" }</h2>
                <span class="live-hint">
                    { format!("{} frames; {} bytes sent, {} received", rows.len(), props.view.bytes.0, props.view.bytes.1) }
                </span>
                <button type="button" id="live-pcapng" class="live-button" onclick={download}
                    disabled={rows.is_empty()}>{ "Download pcapng" }</button>
                <button type="button" id="live-clear" class="live-button" onclick={clear}>
                    { "Forget closed connections" }
                </button>
            </div>
            if rows.is_empty() {
                <p class="muted">{ "Every byte sent and received shows here, decoded." }</p>
            } else {
                if skip > 0 {
                    <p class="live-hint">{ format!("The first {skip} frames are not listed (they are in the pcapng).") }</p>
                }
                <table id="live-transcript" class="live-transcript-table">
                    <thead>
                        <tr>
                            <th scope="col">{ "#" }</th>
                            <th scope="col">{ "time" }</th>
                            <th scope="col">{ "who" }</th>
                            <th scope="col">{ "frame" }</th>
                            <th scope="col">{ "bytes" }</th>
                            <th scope="col">{ "connection" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for rows.iter().skip(skip).map(|r| {
                            let i = r.index;
                            let is_sel = *selected == Some(i);
                            let onclick = {
                                let selected = selected.clone();
                                Callback::from(move |_: MouseEvent| {
                                    selected.set(if is_sel { None } else { Some(i) })
                                })
                            };
                            let onkeydown = {
                                let selected = selected.clone();
                                Callback::from(move |e: KeyboardEvent| {
                                    if e.key() == "Enter" || e.key() == " " {
                                        e.prevent_default();
                                        selected.set(if is_sel { None } else { Some(i) });
                                    }
                                })
                            };
                            html! {
                                <tr class={classes!(
                                        "live-frame",
                                        if r.ours { "is-ours" } else { "is-theirs" },
                                        format!("is-{}", r.status),
                                        is_sel.then_some("is-selected"))}
                                    tabindex="0" aria-selected={if is_sel { "true" } else { "false" }}
                                    {onclick} {onkeydown}>
                                    <td class="mono">{ i }</td>
                                    <td class="mono">{ r.time.clone() }</td>
                                    <td>{ r.arrow.clone() }</td>
                                    <td class="mono live-type">
                                        { r.type_name }
                                        if r.status != "ok" { <span class="live-badge">{ r.status }</span> }
                                    </td>
                                    <td class="mono">{ r.length }</td>
                                    <td class="muted">{ r.conn.clone() }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                if let Some(r) = chosen {
                    <div id="live-frame-detail" class="live-frame-detail">
                        <FrameDetail frame={r.frame.clone()} index={r.index} id="live-frame" compact=true />
                    </div>
                } else {
                    <p class="live-hint">{ "Select a frame to see its bytes, fields and meaning." }</p>
                }
            }
        </section>
    }
}
