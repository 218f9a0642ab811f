//! The input could not be read: where (line, column) and why.

use crate::model::InputErrorView;
use yew::prelude::*;

/// Props of [`InputErrorBox`].
#[derive(Properties, PartialEq)]
pub struct InputErrorBoxProps {
    /// The error.
    pub error: InputErrorView,
}

/// The input error, with the offending line and a caret under the column.
#[component]
pub fn InputErrorBox(props: &InputErrorBoxProps) -> Html {
    let e = &props.error;
    html! {
        <div class="input-error" role="alert">
            <p class="input-error-message">
                <strong>{ format!("Input error at line {}, column {}", e.line, e.column) }</strong>
                { ": " }{ &e.message }
            </p>
            <pre class="input-error-excerpt"><code>{ &e.excerpt }{ "\n" }<span class="caret">{ &e.caret }</span></code></pre>
        </div>
    }
}
