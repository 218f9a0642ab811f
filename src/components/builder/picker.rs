//! The message picker: every type of the catalog, grouped by protocol.

use crate::model::builder::picker_groups;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Props of [`MessagePicker`].
#[derive(Properties, PartialEq)]
pub struct MessagePickerProps {
    /// The selected type.
    pub current: &'static str,
    /// A type was picked.
    pub on_pick: Callback<String>,
}

/// A `<select>` with one `<optgroup>` per protocol.
#[component]
pub fn MessagePicker(props: &MessagePickerProps) -> Html {
    let groups = use_memo((), |_| picker_groups());
    let node = use_node_ref();
    {
        // Keep the select showing the state after the user touched it.
        let node = node.clone();
        use_effect_with(props.current, move |v| {
            if let Some(s) = node.cast::<HtmlSelectElement>() {
                if s.value() != *v {
                    s.set_value(v);
                }
            }
        });
    }
    let onchange = props
        .on_pick
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <label class="message-picker">
            <span>{ "Message" }</span>
            <select id="build-message" ref={node} {onchange} aria-describedby="message-doc">
                { for groups.iter().map(|g| html! {
                    <optgroup label={g.label}>
                        { for g.types.iter().map(|(name, doc)| html! {
                            <option value={*name} title={doc.clone()} selected={*name == props.current}>
                                { *name }
                            </option>
                        }) }
                    </optgroup>
                }) }
            </select>
        </label>
    }
}
