//! One frame's views, all from the codec's span tree: the byte-layout
//! table, the hex + ASCII view and the field tree (hover and selection synced
//! between them), and the code export. Used by the builder, the decoder and
//! live mode through [`FrameDetail`].
//!
//! Hooks other pages and tests can rely on (inside `article.frame#<id>`):
//! `.frame-header` (`.frame-type`, `.badge-phase`, `.badge-direction`,
//! `.badge-status.status-complete|status-incomplete|status-error`,
//! `.frame-meta`), `.callout-error` / `.callout-incomplete`, `.frame-notes`,
//! `.lint-list > .callout-lint`; `.hex-view` with `.hex-byte[data-offset]`
//! and `.hex-char[data-offset]`; `.field-tree [role=tree] > [role=treeitem][data-row]`;
//! `table.bytes tr[data-row]` (error row `tr.is-error#<id>-error`, with
//! `mark.bad-byte`); the hovered field's row, item and bytes have
//! `is-hot`, the selected one's `is-selected`; `.export-panel` with
//! `[role=tab][data-lang]`, `pre.export-code` and `button.copy`
//! (`is-copied` once copied).

mod byte_table;
mod copy_button;
mod export_panel;
mod field_tree;
mod header;
mod hex_view;
mod span_views;

pub use copy_button::CopyButton;
pub use export_panel::{ExportPanel, Exported};
pub use field_tree::FieldTree;
pub use hex_view::HexView;

use header::frame_header_html;
use span_views::span_views;

use crate::model::frame_export::{lint_code, ExportChoice, CHOICES};
use crate::model::frame_space::SpaceModel;
use crate::model::frame_state::{Action, ViewState};
use crate::model::view::{frame_header, SpaceSrc};
use crate::model::FrameRc;
use std::rc::Rc;
use yew::prelude::*;
use yew::Reducible;

/// The bytes of a frame, or of its reassembled message.
#[derive(Debug, Clone, PartialEq)]
pub struct BytesOf {
    /// The frame.
    pub frame: FrameRc,
    /// Its reassembled message's bytes instead.
    pub reassembled: bool,
}

impl BytesOf {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        if self.reassembled {
            self.frame.reassembled.as_ref().map_or(&[], |r| &r.bytes)
        } else {
            &self.frame.bytes
        }
    }
}

/// Props of [`FrameDetail`].
#[derive(Properties, PartialEq)]
pub struct FrameDetailProps {
    /// The frame to show.
    pub frame: FrameRc,
    /// 1-based position of the frame in its list (shown as `#n`).
    #[prop_or(1)]
    pub index: usize,
    /// A prefix unique on the page for the element ids inside: the
    /// article's id; the error row is `<id>-error` (the decoder passes
    /// `frame-<index>`).
    pub id: AttrValue,
    /// Fewer chrome (embed mode, live transcripts): one-line header, hex and
    /// tree folded, fewer table rows, code closed.
    #[prop_or_default]
    pub compact: bool,
    /// Open the code export at first (default: when not compact and the
    /// frame is small).
    #[prop_or_default]
    pub open_export: Option<bool>,
    /// Show the lint findings in the header (off where the page shows them
    /// its own way: the decoder and tap mode).
    #[prop_or(true)]
    pub show_lint: bool,
}

/// Where the chosen export language is remembered.
const LANG_KEY: &str = "erldist-export-lang";

fn stored_choice() -> ExportChoice {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten())
        .and_then(|n| ExportChoice::from_name(&n))
        .unwrap_or(CHOICES[0])
}

fn store_choice(c: ExportChoice) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(LANG_KEY, c.name());
    }
}

/// Frames up to this size open their code panel at first.
const OPEN_EXPORT_BYTES: usize = 4096;

/// The state of one byte space's views, reset when the frame changes: the
/// state to render (already reset to a new frame's model, so a new frame
/// is drawn once, not first over the old layout) and where actions go.
#[hook]
fn use_space(
    frame: &FrameRc,
    reassembled: bool,
    compact: bool,
) -> (Rc<ViewState>, UseReducerDispatcher<ViewState>) {
    let model = use_memo((frame.clone(), reassembled), |(f, re)| {
        let src = match (&f.reassembled, re) {
            (Some(r), true) => SpaceSrc::reassembled(r),
            (None, true) => SpaceSrc::EMPTY,
            (_, false) => SpaceSrc::frame(f),
        };
        SpaceModel::new(&src)
    });
    let state = {
        let model = model.clone();
        use_reducer(move || ViewState::new(model, compact))
    };
    let d = state.dispatcher();
    {
        let d = d.clone();
        use_effect_with(model.clone(), move |m| d.dispatch(Action::Reset(m.clone())));
    }
    let now = Rc::new((*state).clone());
    let now = if Rc::ptr_eq(&now.model, &model) {
        now
    } else {
        now.reduce(Action::Reset(model))
    };
    (now, d)
}

/// The message a last fragment completes: its own byte space and views.
fn reassembled_views(
    frame: &FrameRc,
    (state, d): &(Rc<ViewState>, UseReducerDispatcher<ViewState>),
    id: &AttrValue,
    compact: bool,
    choice: ExportChoice,
    on_choice: &Callback<ExportChoice>,
) -> Html {
    let Some(r) = &frame.reassembled else {
        return html! {};
    };
    html! {
        <section class="reassembled" aria-label="reassembled message">
            <h3 class="panel-title">
                { format!(
                    "Reassembled message: {} fragments (sequence id {}), {} bytes",
                    r.fragments, r.sequence_id, r.bytes.len()
                ) }
            </h3>
            { span_views(state, d, &BytesOf { frame: frame.clone(), reassembled: true }, id, compact) }
            <ExportPanel frame={frame.clone()} what={Exported::Reassembled} {choice}
                on_choice={on_choice.clone()} id={format!("{id}-export")} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ClockProps {
    frame: FrameRc,
    /// `performance.now()` when the frame's render started (bits: props
    /// compare by value and an f64 is not `Eq`).
    started: u64,
}

/// Writes how long the render of a new frame took into the article's
/// `data-render-ms`: the last child's effect runs once the frame's views
/// (its other children included) are built and attached.
#[component]
fn RenderClock(p: &ClockProps) -> Html {
    let at = use_node_ref();
    {
        let at = at.clone();
        let started = f64::from_bits(p.started);
        use_effect_with(p.frame.clone(), move |_| {
            let article = at
                .cast::<web_sys::Element>()
                .and_then(|e| e.closest("article.frame").ok().flatten());
            if let Some(a) = article {
                let ms = (now_ms() - started).max(0.0) as u32;
                let _ = a.set_attribute("data-render-ms", &ms.to_string());
            }
        });
    }
    html! { <span class="render-clock" hidden=true ref={at} /> }
}

/// Milliseconds since the page started.
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Everything about one frame. The article's `data-render-ms` says how long
/// the first render of its frame took, from this component's start to its
/// effects (building and attaching the DOM of its views; in a list of
/// frames rendered at once, the later siblings' too).
#[component]
pub fn FrameDetail(p: &FrameDetailProps) -> Html {
    let started = now_ms();
    let view = use_memo((p.frame.clone(), p.index, p.show_lint), |(f, i, lint)| {
        let mut v = frame_header(*i, f);
        if !*lint {
            v.lint.clear();
        }
        v
    });
    let (state, d) = use_space(&p.frame, false, p.compact);
    // The reassembled message (an empty space for other frames).
    let message = use_space(&p.frame, true, p.compact);
    let choice = use_state(stored_choice);
    let lint_codes = use_memo((p.frame.clone(), choice.lang()), |(f, lang)| {
        (0..f.lint.len())
            .map(|i| lint_code(f, i, *lang, true).map(AttrValue::from))
            .collect::<Vec<_>>()
    });
    let on_choice = {
        let choice = choice.clone();
        Callback::from(move |c: ExportChoice| {
            store_choice(c);
            choice.set(c);
        })
    };
    let open_export = p
        .open_export
        .unwrap_or(!p.compact && p.frame.bytes.len() <= OPEN_EXPORT_BYTES);
    let id = &p.id;
    html! {
        <article class={classes!("frame", p.compact.then_some("is-compact"))} id={id.clone()}
            aria-label={format!("frame #{} {}", p.index, p.frame.type_name)}>
            { frame_header_html(&view, id, &d, &lint_codes, *choice, p.compact) }
            { span_views(&state, &d, &BytesOf { frame: p.frame.clone(), reassembled: false }, id, p.compact) }
            <ExportPanel frame={p.frame.clone()} what={Exported::Frame} choice={*choice}
                on_choice={on_choice.clone()} id={format!("{id}-export")} open={open_export} />
            { reassembled_views(&p.frame, &message, &AttrValue::from(format!("{id}-msg")), p.compact, *choice, &on_choice) }
            <RenderClock frame={p.frame.clone()} started={started.to_bits()} />
        </article>
    }
}
