//! The decoder tab: paste anything the codec reads or open / drop a file
//! (pcap, pcapng, a raw stream, any text format), see every frame: the
//! list with the sequence view beside it, the selected frame's views
//! ([`FrameDetail`]), the connections with their handshakes and atom
//! caches; export it all as pcapng.
//!
//! State: [`state::DecoderState`] (one reducer); files are decoded in
//! chunks by [`loader`], so a 10 MB capture shows its first frames at once
//! and the page stays responsive while the rest is read.

mod connections;
mod example_bar;
mod frame_list;
mod input_error_box;
mod input_panel;
mod loader;
pub mod state;

pub use connections::{ConnectionCard, Connections};
pub use example_bar::ExampleBar;
pub use frame_list::FrameList;
pub use input_error_box::InputErrorBox;
pub use input_panel::InputPanel;

use crate::components::frame::FrameDetail;
use crate::model::decoder::Decoded;
use crate::url::DecodeQuery;
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{DirectionChoice, FormatChoice};
use state::{Action, DecoderState, FileInfo};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What was decoded, shared with the children and compared by pointer (a
/// new decode, or new frames, is a new `Rc`).
#[derive(Debug, Clone)]
pub struct SharedDecoded(pub Rc<Decoded>);

impl PartialEq for SharedDecoded {
    fn eq(&self, other: &SharedDecoded) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Props of [`DecoderPage`].
#[derive(Properties, PartialEq)]
pub struct DecoderPageProps {
    /// The state to start from (the URL's).
    pub initial: DecodeQuery,
    /// Compact view for iframes: just the input and the frames.
    #[prop_or_default]
    pub embed: bool,
    /// The state changed (the app writes it to the URL).
    pub on_change: Callback<DecodeQuery>,
}

/// Offers `bytes` as a download named `name`.
fn download(bytes: &[u8], name: &str) -> Result<(), String> {
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(err)?;
    // URL.createObjectURL / revokeObjectURL, looked up on the global object.
    let url_class = js_sys::Reflect::get(&js_sys::global(), &"URL".into()).map_err(err)?;
    let create: js_sys::Function = js_sys::Reflect::get(&url_class, &"createObjectURL".into())
        .map_err(err)?
        .dyn_into()
        .map_err(|_| "no URL.createObjectURL".to_string())?;
    let url = create.call1(&url_class, &blob).map_err(err)?;
    let url_text = url.as_string().unwrap_or_default();
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlElement = doc
        .create_element("a")
        .map_err(err)?
        .dyn_into()
        .map_err(|_| "no anchor".to_string())?;
    a.set_attribute("href", &url_text).map_err(err)?;
    a.set_attribute("download", name).map_err(err)?;
    a.click();
    // Revoke once the download has started.
    let revoke = js_sys::Reflect::get(&url_class, &"revokeObjectURL".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(revoke) = revoke {
        wasm_bindgen_futures::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(10_000).await;
            let _ = revoke.call1(&url_class, &url);
        });
    }
    Ok(())
}

/// The export's file name: the loaded file's stem, else `erldist`.
fn export_name(file: Option<&FileInfo>) -> String {
    let stem = file
        .map(|f| f.name.rsplit_once('.').map_or(f.name.as_str(), |(s, _)| s))
        .filter(|s| !s.is_empty())
        .unwrap_or("erldist");
    format!("{stem}.decoded.pcapng")
}

/// The decoder tab.
#[component]
pub fn DecoderPage(props: &DecoderPageProps) -> Html {
    let state = {
        let q = props.initial.clone();
        use_reducer(move || DecoderState::from_query(&q))
    };
    let dispatch = state.dispatcher();
    // The file behind `state.file` (not part of the pure state).
    let file = use_mut_ref(|| None::<web_sys::File>);
    // The run the loader may report for; anything else stops.
    let live = use_memo((), |_| Rc::new(Cell::new(0u32)));
    let dragging = use_state(|| false);
    let export_error = use_state(|| None::<String>);

    // The URL follows the input and the options.
    {
        let on_change = props.on_change.clone();
        let q = state.query();
        use_effect_with(q, move |q| on_change.emit(q.clone()));
    }

    // A file decode starts for every new run that has one to do.
    {
        let st = state.clone();
        let file = file.clone();
        let live = (*live).clone();
        let dispatch = dispatch.clone();
        use_effect_with(state.run, move |run| {
            let run = *run;
            live.set(run);
            let f = file.borrow().clone();
            if let (Some(f), Some(info), Some(_)) = (f, &st.file, st.progress) {
                let opts = st.options();
                let size = info.size;
                let live = live.clone();
                wasm_bindgen_futures::spawn_local(loader::decode_file(
                    f, size, opts, run, live, dispatch,
                ));
            }
            let live = live.clone();
            move || {
                if live.get() == run {
                    live.set(run.wrapping_add(u32::MAX / 2));
                }
            }
        });
    }

    // In the expanded view, a selection scrolls its frame into view.
    let expanded = state.expanded();
    {
        let sel = state.selected;
        use_effect_with((sel, expanded), move |(sel, expanded)| {
            if let (Some(i), true) = (sel, expanded) {
                let el = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&format!("frame-slot-{i}")));
                if let Some(el) = el {
                    let o = web_sys::ScrollIntoViewOptions::new();
                    o.set_block(web_sys::ScrollLogicalPosition::Nearest);
                    el.scroll_into_view_with_scroll_into_view_options(&o);
                }
            }
        });
    }

    let open_file = {
        let d = dispatch.clone();
        let file = file.clone();
        Callback::from(move |f: web_sys::File| {
            let info = FileInfo {
                name: f.name(),
                size: f.size().max(0.0) as u64,
            };
            *file.borrow_mut() = Some(f);
            d.dispatch(Action::OpenFile(info));
        })
    };
    let on_text = {
        let d = dispatch.clone();
        Callback::from(move |t: String| d.dispatch(Action::SetText(t)))
    };
    let on_format = {
        let d = dispatch.clone();
        Callback::from(move |f: FormatChoice| d.dispatch(Action::SetFormat(f)))
    };
    let on_protocol = {
        let d = dispatch.clone();
        Callback::from(move |p: ProtocolChoice| d.dispatch(Action::SetProtocol(p)))
    };
    let on_direction = {
        let d = dispatch.clone();
        Callback::from(move |v: DirectionChoice| d.dispatch(Action::SetDirection(v)))
    };
    let on_cookie = {
        let d = dispatch.clone();
        Callback::from(move |c: String| d.dispatch(Action::SetCookie(c)))
    };
    let on_close_file = {
        let d = dispatch.clone();
        let file = file.clone();
        Callback::from(move |()| {
            *file.borrow_mut() = None;
            d.dispatch(Action::CloseFile);
        })
    };
    let on_clear = {
        let d = dispatch.clone();
        let file = file.clone();
        Callback::from(move |()| {
            *file.borrow_mut() = None;
            d.dispatch(Action::Clear);
        })
    };
    let on_example = {
        let d = dispatch.clone();
        let file = file.clone();
        Callback::from(move |n: usize| {
            *file.borrow_mut() = None;
            d.dispatch(Action::LoadExample(n));
        })
    };
    let on_select = {
        let d = dispatch.clone();
        Callback::from(move |i: usize| d.dispatch(Action::Select(i)))
    };
    let on_move = {
        let d = dispatch.clone();
        Callback::from(move |n: i64| d.dispatch(Action::Move(n)))
    };
    let on_cancel = {
        let d = dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Cancel))
    };
    let on_next_problem = {
        let d = dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::NextProblem))
    };
    let on_export = {
        let st = state.clone();
        let export_error = export_error.clone();
        Callback::from(move |_: MouseEvent| {
            let r = st
                .decoded
                .to_pcapng()
                .and_then(|b| download(&b, &export_name(st.file.as_ref())));
            export_error.set(r.err());
        })
    };

    // Drag and drop anywhere on the decoder.
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child is no leave.
            let inside = e
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                .zip(
                    e.current_target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
                )
                .is_some_and(|(to, root)| root.contains(Some(&to)));
            if !inside {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        let open_file = open_file.clone();
        let on_text = on_text.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let Some(dt) = e.data_transfer() else { return };
            if let Some(f) = dt.files().and_then(|l| l.get(0)) {
                open_file.emit(f);
            } else if let Ok(t) = dt.get_data("text/plain") {
                if !t.is_empty() {
                    on_text.emit(t);
                }
            }
        })
    };

    let d = &state.decoded;
    let shared = SharedDecoded(Rc::clone(d));
    let n = d.frames.len();
    let current = state.current();
    let embed = props.embed;

    let status = {
        let pct = state
            .progress
            .map(|p| (p.done * 100).checked_div(p.total).unwrap_or(100));
        let phase = if state.progress.is_some() {
            "running"
        } else if state.stopped.is_some() {
            "stopped"
        } else {
            "done"
        };
        html! {
            <div class="decode-status" data-decode-state={phase} data-frame-count={n.to_string()}>
                <span>
                    { "format " }
                    <strong id="detected-format" class="format-name">
                        { if d.format.is_empty() { "…" } else { d.format } }
                    </strong>
                    if !d.format.is_empty() {
                        <span class="muted">{ if d.format_detected { " (detected)" } else { " (chosen)" } }</span>
                    }
                </span>
                <span id="decode-summary" class="summary muted">{ d.summary() }</span>
                if let (Some(p), Some(pct)) = (state.progress, pct) {
                    <span class="decode-progress">
                        <progress id="decode-progress" max={p.total.max(1).to_string()} value={p.done.to_string()}
                            aria-label="Decoding the file" />
                        <span class="muted">{ format!("{pct}%") }</span>
                        <button type="button" id="cancel-decode" onclick={on_cancel}>{ "Cancel" }</button>
                    </span>
                }
                if !embed {
                    <span class="status-buttons">
                        if !d.problems.is_empty() {
                            <button type="button" id="next-problem" onclick={on_next_problem}
                                title="Select the next frame that is invalid, incomplete or has lint">
                                { format!("Next problem ({})", d.problems.len()) }
                            </button>
                        }
                        <button type="button" id="export-pcapng" disabled={n == 0} onclick={on_export}
                            title="Download what was decoded as a pcapng capture (synthetic TCP on 127.0.0.1) that Wireshark opens">
                            { "Export pcapng" }
                        </button>
                    </span>
                }
            </div>
        }
    };

    let details = if n == 0 {
        html! {}
    } else if state.expanded() {
        d.frames
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let sel = state.selected == Some(i);
                html! {
                    <div key={format!("{i}")} id={format!("frame-slot-{i}")}
                        class={classes!("frame-slot", sel.then_some("is-selected"))}>
                        <FrameDetail frame={e.frame.clone()} index={i + 1}
                            id={AttrValue::from(format!("frame-{}", i + 1))} compact={embed} />
                    </div>
                }
            })
            .collect()
    } else if let Some((i, e)) = current.and_then(|i| d.frames.get(i).map(|e| (i, e))) {
        let conn = (!embed).then(|| d.connection_of(i)).flatten().map(|e| {
            let key = format!("c{}", e.index);
            html! { <ConnectionCard {key} entry={e} on_select={on_select.clone()} /> }
        });
        html! {
            <div id={format!("frame-slot-{i}")} class="frame-slot is-selected">
                <p class="selected-heading muted">
                    { format!("Frame {} of {n}", i + 1) }
                    if let Some(s) = e.frame.stream {
                        { format!(" · stream {s}") }
                    }
                    { " · ↑/↓ in the list to move" }
                </p>
                { conn.unwrap_or_default() }
                <FrameDetail key={format!("sel-{i}")} frame={e.frame.clone()} index={i + 1}
                    id={AttrValue::from(format!("frame-{}", i + 1))} compact={embed} />
            </div>
        }
    } else {
        html! {}
    };

    let show_list = n > 1 || state.file.is_some();
    let nothing = n == 0 && d.input_error.is_none() && state.progress.is_none();
    html! {
        <div class={classes!("decoder-page", dragging.then_some("is-dragging"), embed.then_some("is-embed"))}
            {ondragover} {ondragleave} {ondrop}>
            <section class="input-section" aria-label="Input">
                if !embed {
                    <ExampleBar on_pick={on_example} />
                }
                <InputPanel
                    text={state.text.clone()}
                    file={state.file.clone()}
                    format={state.format}
                    protocol={state.protocol}
                    direction={state.direction}
                    cookie={state.cookie.clone()}
                    {embed}
                    {on_text}
                    {on_format}
                    {on_protocol}
                    {on_direction}
                    {on_cookie}
                    on_file={open_file}
                    {on_close_file}
                    {on_clear}
                />
            </section>
            <section class="report" aria-label="Decoded frames">
                { status }
                if let Some(msg) = &state.stopped {
                    <p class="decode-stopped" role="status">{ msg }</p>
                }
                if let Some(msg) = &*export_error {
                    <p class="decode-stopped" role="alert">{ format!("Export failed: {msg}") }</p>
                }
                if let Some(error) = &d.input_error {
                    <InputErrorBox error={error.clone()} lint={d.lint.clone()} />
                }
                if !d.notes.is_empty() && !embed {
                    <details class="report-notes-box" open={d.notes.len() <= 3}>
                        <summary>{ format!("{} note{} on the input", d.notes.len(), if d.notes.len() == 1 { "" } else { "s" }) }</summary>
                        <ul class="report-notes">
                            { for d.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                        </ul>
                    </details>
                }
                if nothing {
                    <p class="empty">{ "Nothing to decode yet: paste bytes above, pick an example, or drop a capture file here." }</p>
                }
                if show_list {
                    <FrameList decoded={shared.clone()} selected={current} on_select={on_select.clone()}
                        {on_move} sequence={!embed} />
                }
                <div class="frame-details">{ details }</div>
                if !embed {
                    <Connections decoded={shared} on_select={on_select} />
                }
            </section>
            <div class="drop-overlay" aria-hidden="true">
                <p>{ "Drop a pcap / pcapng capture, a raw byte stream or a text file" }</p>
            </div>
        </div>
    }
}
