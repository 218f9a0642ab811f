//! A row of buttons that fill the paste box with an example.

use crate::model::EXAMPLES;
use yew::prelude::*;

/// Props of [`ExampleBar`].
#[derive(Properties, PartialEq)]
pub struct ExampleBarProps {
    /// Called with the index of the example clicked.
    pub on_pick: Callback<usize>,
}

/// The example buttons.
#[component]
pub fn ExampleBar(props: &ExampleBarProps) -> Html {
    let buttons = EXAMPLES.iter().enumerate().map(|(i, e)| {
        let onclick = props.on_pick.reform(move |_: MouseEvent| i);
        html! {
            <button type="button" class="example" title={e.title} {onclick}>{ e.label }</button>
        }
    });
    html! {
        <nav class="examples" aria-label="Examples">
            <span class="examples-label">{ "Examples:" }</span>
            { for buttons }
        </nav>
    }
}
