//! The decoded report: format, input error and notes, then every frame.

use super::InputErrorBox;
use crate::components::frame::FrameCard;
use crate::model::ReportView;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`ReportPanel`].
#[derive(Properties, PartialEq)]
pub struct ReportPanelProps {
    /// What to show.
    pub view: Rc<ReportView>,
}

/// The result area.
#[component]
pub fn ReportPanel(props: &ReportPanelProps) -> Html {
    let v = &props.view;
    let nothing = v.frames.is_empty() && v.input_error.is_none();
    html! {
        <section class="report" aria-label="Decoded frames">
            <div class="report-summary">
                <span>
                    { "format " }
                    <strong id="detected-format" class="format-name">{ v.format }</strong>
                    <span class="muted">{ format!(" ({})", v.format_how) }</span>
                </span>
                <span class="summary muted">{ &v.summary }</span>
            </div>
            if let Some(error) = &v.input_error {
                <InputErrorBox error={error.clone()} />
            }
            if !v.notes.is_empty() {
                <ul class="report-notes">
                    { for v.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            }
            if nothing {
                <p class="empty">{ "Nothing to decode yet: paste bytes above or pick an example." }</p>
            }
            { for v.frames.iter().map(|f| html! { <FrameCard key={f.index} frame={Rc::clone(f)} /> }) }
        </section>
    }
}
