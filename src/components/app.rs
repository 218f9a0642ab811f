//! The page: header, examples, paste box and options, the decoded report.

use super::{ExampleBar, InputPanel, ReportPanel};
use crate::state::{Action, AppState};
use erldist_codec::{DirectionChoice, FormatChoice};
use yew::prelude::*;

/// The root component; owns the [`AppState`].
#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
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
        <div class="page">
            <header class="site-header">
                <h1>{ "erldist playground" }</h1>
                <p class="tagline">
                    { "The Erlang distribution protocol, byte by byte. EPMD first. \
                       Everything is decoded in your browser; nothing is sent anywhere." }
                </p>
            </header>
            <main>
                <section class="input-section" aria-label="Input">
                    <ExampleBar on_pick={on_example} />
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
            </main>
        </div>
    }
}
