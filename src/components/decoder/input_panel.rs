//! The paste box (or the loaded file), the open-file button and the options:
//! format, protocol, direction, cookie.

use super::state::FileInfo;
use crate::model::choice::{
    direction_from_value, direction_value, format_from_value, format_options, format_value,
    protocol_from_value, protocol_value, DIRECTION_OPTIONS, PROTOCOL_OPTIONS,
};
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{DirectionChoice, FormatChoice};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Props of [`InputPanel`].
#[derive(Properties, PartialEq)]
pub struct InputPanelProps {
    /// The paste box's text.
    pub text: String,
    /// The loaded file, shown instead of the paste box.
    pub file: Option<FileInfo>,
    /// The chosen format.
    pub format: FormatChoice,
    /// The chosen protocol.
    pub protocol: ProtocolChoice,
    /// The chosen direction.
    pub direction: DirectionChoice,
    /// The cookie.
    pub cookie: String,
    /// Just the paste box (embed mode).
    #[prop_or_default]
    pub embed: bool,
    /// The text changed (on every input event).
    pub on_text: Callback<String>,
    /// A format was picked.
    pub on_format: Callback<FormatChoice>,
    /// A protocol was picked.
    pub on_protocol: Callback<ProtocolChoice>,
    /// A direction was picked.
    pub on_direction: Callback<DirectionChoice>,
    /// The cookie changed.
    pub on_cookie: Callback<String>,
    /// A file was chosen with the file button.
    pub on_file: Callback<web_sys::File>,
    /// Back to the paste box.
    pub on_close_file: Callback<()>,
    /// The clear button was clicked.
    pub on_clear: Callback<()>,
}

/// Keeps a `<select>` showing `value` when the state changes it (an
/// example sets the direction): the `selected` attribute alone does not
/// after the user has touched the select.
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

/// `412 KB`.
pub fn size_text(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} bytes"),
        10_000..=9_999_999 => format!("{} KB", n / 1000),
        _ => format!("{}.{} MB", n / 1_000_000, n / 100_000 % 10),
    }
}

/// The input and its options.
#[component]
pub fn InputPanel(props: &InputPanelProps) -> Html {
    let format = format_value(props.format);
    let format_ref = use_select_value(format);
    let protocol_ref = use_select_value(protocol_value(props.protocol));
    let direction_ref = use_select_value(direction_value(props.direction));
    let file_input = use_node_ref();

    let oninput = props
        .on_text
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    let on_format = props.on_format.reform(|e: Event| {
        format_from_value(&e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let on_protocol = props.on_protocol.reform(|e: Event| {
        protocol_from_value(&e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let on_direction = props.on_direction.reform(|e: Event| {
        direction_from_value(&e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let on_cookie = props
        .on_cookie
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().value());
    let on_file = {
        let cb = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                cb.emit(f);
            }
            // The same file can be opened again.
            input.set_value("");
        })
    };
    let open_file = {
        let file_input = file_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = file_input.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let on_clear = props.on_clear.reform(|_: MouseEvent| ());
    let on_close_file = props.on_close_file.reform(|_: MouseEvent| ());
    let formats = format_options(props.file.is_some());
    let format_list: Html = formats
        .iter()
        .map(|o| {
            html! {
                <option value={o.value} title={o.title} selected={o.value == format}>{ &o.label }</option>
            }
        })
        .collect();

    let source = match &props.file {
        Some(f) => html! {
            <div class="file-card" id="loaded-file">
                <div class="file-text">
                    <strong class="file-name">{ &f.name }</strong>
                    <span class="muted">{ format!(" · {}", size_text(f.size)) }</span>
                    <p class="file-note">
                        { "Loaded files stay in this tab: they are not put in the URL, so a \
                           permalink does not include them (share the file itself)." }
                    </p>
                </div>
                <button type="button" class="close-file" onclick={on_close_file}>
                    { "Back to the paste box" }
                </button>
            </div>
        },
        None => html! {
            <>
                <label class="visually-hidden" for="input">{ "Bytes to decode" }</label>
                <textarea
                    id="input"
                    class="paste-box"
                    rows={if props.embed { "4" } else { "7" }}
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="Paste hex (00 11 78 25 …), an epmd -d -d -d log, xxd / hexdump / od / tshark -x / tcpdump -X output, a Wireshark Follow TCP Stream dump, an Erlang, Elixir, JS, Python, C, Rust or Go byte literal, base64… or drop a capture file here"
                    value={props.text.clone()}
                    {oninput}
                />
            </>
        },
    };

    html! {
        <div class="input-panel">
            { source }
            if !props.embed {
                <div class="options">
                    <label>
                        <span>{ "Format" }</span>
                        <select id="format" ref={format_ref} onchange={on_format}>
                            { format_list }
                        </select>
                    </label>
                    <label>
                        <span>{ "Protocol" }</span>
                        <select id="protocol" ref={protocol_ref} onchange={on_protocol}>
                            { options(&PROTOCOL_OPTIONS, protocol_value(props.protocol)) }
                        </select>
                    </label>
                    <label>
                        <span>{ "Direction" }</span>
                        <select id="direction" ref={direction_ref} onchange={on_direction}>
                            { options(&DIRECTION_OPTIONS, direction_value(props.direction)) }
                        </select>
                    </label>
                    <label title="The cookie both nodes share: with it, the handshake's digests are checked. It goes into the page's URL.">
                        <span>{ "Cookie" }</span>
                        <input id="cookie" type="text" size="14" spellcheck="false" autocomplete="off"
                            placeholder="to check digests" value={props.cookie.clone()}
                            onchange={on_cookie} />
                    </label>
                    <span class="option-buttons">
                        <input type="file" id="file-input" class="visually-hidden" tabindex="-1"
                            aria-hidden="true" ref={file_input} onchange={on_file} />
                        <button type="button" id="open-file" onclick={open_file}
                            title="Open a pcap / pcapng capture, a raw byte stream or a text file (or drop it anywhere on the decoder)">
                            { "Open file…" }
                        </button>
                        <button type="button" class="clear" onclick={on_clear}>{ "Clear" }</button>
                    </span>
                </div>
            }
        </div>
    }
}
