//! The activity log: what happened, in words.

use crate::model::live::{elapsed, LogLine, Tone};
use yew::prelude::*;

/// Props of [`LogView`].
#[derive(Properties, PartialEq)]
pub struct LogViewProps {
    /// Oldest first.
    pub lines: Vec<LogLine>,
}

/// The log, newest first.
#[component]
pub fn LogView(props: &LogViewProps) -> Html {
    let first = props.lines.first().map_or(0, |l| l.at_ms);
    html! {
        <section class="live-section live-log-section" aria-labelledby="live-log-title">
            <h2 id="live-log-title">{ "What happened" }</h2>
            if props.lines.is_empty() {
                <p class="muted">{ "Nothing yet." }</p>
            } else {
                <ol id="live-log" class="live-log" reversed=true>
                    { for props.lines.iter().rev().map(|l| {
                        let tone = match l.tone { Tone::Ok => "is-ok", Tone::Bad => "is-bad", Tone::Info => "is-info" };
                        html! {
                            <li class={classes!("live-log-line", tone)}>
                                <span class="live-time mono">{ elapsed(l.at_ms.saturating_sub(first)) }</span>
                                { " " }{ l.text.clone() }
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}
