//! The paste box and the format / direction options.

use crate::model::choice::{DIRECTION_OPTIONS, FORMAT_OPTIONS};
use crate::model::{direction_from_value, direction_value, format_from_value, format_value};
use erldist_codec::{DirectionChoice, FormatChoice};
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Props of [`InputPanel`].
#[derive(Properties, PartialEq)]
pub struct InputPanelProps {
    /// The paste box's text.
    pub text: String,
    /// The chosen format.
    pub format: FormatChoice,
    /// The chosen direction.
    pub direction: DirectionChoice,
    /// The text changed (on every input event).
    pub on_text: Callback<String>,
    /// A format was picked.
    pub on_format: Callback<FormatChoice>,
    /// A direction was picked.
    pub on_direction: Callback<DirectionChoice>,
    /// The clear button was clicked.
    pub on_clear: Callback<()>,
}

/// Keeps a `<select>` showing `value` when the state changes it (an example
/// sets the direction): the `selected` attribute alone does not after the
/// user has touched the select.
#[hook]
fn use_select_value(value: &'static str) -> NodeRef {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(value, move |v| {
            if let Some(select) = node.cast::<HtmlSelectElement>() {
                if select.value() != *v {
                    select.set_value(v);
                }
            }
        });
    }
    node
}

fn options(list: &[(&'static str, &'static str)], current: &'static str) -> Html {
    list.iter()
        .map(|&(value, label)| {
            html! { <option {value} selected={value == current}>{ label }</option> }
        })
        .collect()
}

/// The paste box and its options.
#[component]
pub fn InputPanel(props: &InputPanelProps) -> Html {
    let format = format_value(props.format);
    let direction = direction_value(props.direction);
    let format_ref = use_select_value(format);
    let direction_ref = use_select_value(direction);

    let oninput = props
        .on_text
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    let on_format = props.on_format.reform(|e: Event| {
        format_from_value(&e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let on_direction = props.on_direction.reform(|e: Event| {
        direction_from_value(&e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let on_clear = props.on_clear.reform(|_: MouseEvent| ());

    html! {
        <div class="input-panel">
            <label class="visually-hidden" for="input">{ "Bytes to decode" }</label>
            <textarea
                id="input"
                class="paste-box"
                rows="7"
                spellcheck="false"
                autocomplete="off"
                placeholder="Paste hex (00 11 78 25 …, 0x00,0x11, …) or the output of epmd -d -d -d"
                value={props.text.clone()}
                {oninput}
            />
            <div class="options">
                <label>
                    <span>{ "Format" }</span>
                    <select id="format" ref={format_ref} onchange={on_format}>
                        { options(&FORMAT_OPTIONS, format) }
                    </select>
                </label>
                <label>
                    <span>{ "Direction" }</span>
                    <select id="direction" ref={direction_ref} onchange={on_direction}>
                        { options(&DIRECTION_OPTIONS, direction) }
                    </select>
                </label>
                <button type="button" class="clear" onclick={on_clear}>{ "Clear" }</button>
            </div>
        </div>
    }
}
