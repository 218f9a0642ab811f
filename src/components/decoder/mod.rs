//! The decoder tab: paste or drop anything the codec reads, see every frame.

mod example_bar;
mod input_error_box;
mod input_panel;
mod report_panel;
pub mod state;

pub use example_bar::ExampleBar;
pub use input_error_box::InputErrorBox;
pub use input_panel::InputPanel;
pub use report_panel::ReportPanel;

use crate::model::{direction_from_value, direction_value, format_from_value, format_value};
use crate::url::DecodeQuery;
use erldist_codec::{DirectionChoice, FormatChoice};
use state::{Action, AppState};
use yew::prelude::*;

/// Props of [`DecoderPage`].
#[derive(Properties, PartialEq)]
pub struct DecoderPageProps {
    /// The state to start from (the URL's).
    pub initial: DecodeQuery,
    /// Compact view for iframes.
    #[prop_or_default]
    pub embed: bool,
    /// The state changed (the app writes it to the URL).
    pub on_change: Callback<DecodeQuery>,
}

/// The decoder tab.
#[component]
pub fn DecoderPage(props: &DecoderPageProps) -> Html {
    let state = {
        let q = props.initial.clone();
        use_reducer(move || {
            if q.input.is_empty() && q.format.is_empty() {
                AppState::default()
            } else {
                AppState::new(
                    q.input,
                    format_from_value(&q.format),
                    direction_from_value(&q.direction),
                )
            }
        })
    };
    {
        let on_change = props.on_change.clone();
        let key = (state.text.clone(), state.format, state.direction);
        use_effect_with(key, move |(text, format, direction)| {
            on_change.emit(DecodeQuery {
                input: text.clone(),
                format: format_value(*format).to_string(),
                direction: direction_value(*direction).to_string(),
                ..DecodeQuery::default()
            });
        });
    }
    let dispatch = state.dispatcher();
    let on_text = {
        let d = dispatch.clone();
        Callback::from(move |t: String| d.dispatch(Action::SetText(t)))
    };
    let on_format = {
        let d = dispatch.clone();
        Callback::from(move |f: FormatChoice| d.dispatch(Action::SetFormat(f)))
    };
    let on_direction = {
        let d = dispatch.clone();
        Callback::from(move |v: DirectionChoice| d.dispatch(Action::SetDirection(v)))
    };
    let on_clear = {
        let d = dispatch.clone();
        Callback::from(move |()| d.dispatch(Action::Clear))
    };
    let on_example = Callback::from(move |n: usize| dispatch.dispatch(Action::LoadExample(n)));
    html! {
        <div class="decoder-page">
            <section class="input-section" aria-label="Input">
                if !props.embed {
                    <ExampleBar on_pick={on_example} />
                }
                <InputPanel
                    text={state.text.clone()}
                    format={state.format}
                    direction={state.direction}
                    {on_text}
                    {on_format}
                    {on_direction}
                    {on_clear}
                />
            </section>
            <ReportPanel view={state.view.clone()} />
        </div>
    }
}
