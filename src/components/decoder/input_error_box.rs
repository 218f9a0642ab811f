//! The input could not be read: where (line, column) and why, and what the
//! codec recognises in it (decimal numbers typed as text...).

use crate::model::decoder::InputErrorView;
use erldist_codec::lint::Lint;
use yew::prelude::*;

/// Props of [`InputErrorBox`].
#[derive(Properties, PartialEq)]
pub struct InputErrorBoxProps {
    /// The error.
    pub error: InputErrorView,
    /// Classic mistakes about the input as a whole.
    #[prop_or_default]
    pub lint: Vec<Lint>,
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
            if !e.excerpt.is_empty() {
                <pre class="input-error-excerpt"><code>{ &e.excerpt }{ "\n" }<span class="caret">{ &e.caret }</span></code></pre>
            }
            { for props.lint.iter().map(|l| html! {
                <p class="input-lint"><span class="badge lint">{ l.id }</span>{ " " }{ &l.message }</p>
            }) }
        </div>
    }
}
