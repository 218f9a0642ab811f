//! One field of the builder's form, typed by the catalog: numbers with
//! their range, enums as a select showing value and meaning, flags as
//! checkboxes with names (and the word in hex), names as text, term text as
//! a textarea whose parse errors point at the position; a derived field
//! shows its computed value and can be overridden.

use super::Edit;
use crate::model::builder::{caret_lines, toggle_flag, FieldRow};
use erldist_codec::build::{Field, Kind};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Props of [`FieldInput`].
#[derive(Properties, PartialEq)]
pub struct FieldInputProps {
    /// The field, its text, error and computed value.
    pub row: Rc<FieldRow>,
    /// Fewer words (embed mode).
    #[prop_or_default]
    pub compact: bool,
    /// What the user did.
    pub on_edit: Callback<Edit>,
}

/// What a kind takes, in a few words.
fn hint(f: &Field) -> String {
    match &f.kind {
        Kind::Uint { bytes, min, max } => {
            format!("{min}–{max} ({bytes}-byte integer; decimal or 0x hex)")
        }
        Kind::Enum { bytes: 0, .. } => "an ASCII word".into(),
        Kind::Enum { bytes, open, .. } => format!(
            "{bytes}-byte value{}",
            if *open { "; other numbers allowed" } else { "" }
        ),
        Kind::Flags {
            bytes, first_bit, ..
        } => format!(
            "{}-byte flag word (bits {}–{}): tick flags or type a number or NAMES|JOINED",
            bytes,
            first_bit,
            first_bit + 8 * u32::from(*bytes) - 1
        ),
        Kind::Text { .. } => "text, sent as UTF-8".into(),
        Kind::Hex { bytes: Some(n) } => format!("{n} bytes as hex"),
        Kind::Hex { bytes: None } => "bytes as hex (empty: none)".into(),
        Kind::Term => "an Erlang term, in Erlang syntax".into(),
        Kind::Nodes { fd: true } => "name=port:fd, … (empty: none)".into(),
        Kind::Nodes { fd: false } => "name=port, … (empty: none)".into(),
    }
}

fn choice_label(value: &str, letter: Option<char>, meaning: &str) -> String {
    let mut s = value.to_string();
    if let Some(l) = letter {
        s.push_str(&format!(" '{l}'"));
    }
    if !meaning.is_empty() {
        s.push_str(&format!(" — {meaning}"));
    }
    s
}

/// One field.
#[component]
pub fn FieldInput(props: &FieldInputProps) -> Html {
    let row = &props.row;
    let f = &row.field;
    let name = f.name;
    let id = format!("field-{name}");
    let err_id = format!("error-{name}");
    let hint_id = format!("hint-{name}");
    let describedby = if row.error.is_some() {
        format!("{hint_id} {err_id}")
    } else {
        hint_id.clone()
    };
    let invalid = if row.error.is_some() { "true" } else { "false" };
    let set_text = props
        .on_edit
        .reform(move |v: String| Edit::Set(name.to_string(), v));
    let editable = f.derived.is_none() || row.overridden;

    let input = if !editable {
        html! {
            <output id={id.clone()} class="derived-value" aria-describedby={describedby.clone()}>
                { row.computed.clone().unwrap_or_else(|| "—".into()) }
            </output>
        }
    } else {
        let oninput =
            set_text.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
        match &f.kind {
            Kind::Enum { choices, open, .. } => {
                let current = erldist_codec::build::canonical_value(f, &row.text).ok();
                let known = choices.iter().any(|c| Some(&c.value) == current.as_ref());
                let onchange = set_text
                    .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
                html! {
                    <select id={id.clone()} {onchange} aria-invalid={invalid}
                        aria-describedby={describedby.clone()}>
                        { for choices.iter().map(|c| html! {
                            <option value={c.value.clone()} selected={Some(&c.value) == current.as_ref()}>
                                { choice_label(&c.value, c.letter, &c.meaning) }
                            </option>
                        }) }
                        if !known {
                            <option value={row.text.clone()} selected=true>
                                { format!("{} ({})", row.text, if *open { "other" } else { "invalid" }) }
                            </option>
                        }
                    </select>
                }
            }
            Kind::Flags { bits, .. } => {
                let word = row.flags_word;
                html! {
                    <div class="flags-input">
                        <div class="flags-word-line">
                            <input type="text" id={id.clone()} class="mono" value={row.text.clone()}
                                spellcheck="false" autocomplete="off" {oninput}
                                aria-invalid={invalid} aria-describedby={describedby.clone()} />
                            <code class="flags-word" id={format!("flags-word-{name}")} aria-live="polite">
                                { word.map(|w| format!("{w:#x}")).unwrap_or_else(|| "?".into()) }
                            </code>
                        </div>
                        <fieldset class="flag-bits">
                            <legend class="visually-hidden">{ format!("{name}: flag bits") }</legend>
                            { for bits.iter().map(|b| {
                                let mask = b.mask;
                                let onchange = set_text.reform(move |e: Event| {
                                    let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                                    toggle_flag(word.unwrap_or(0), mask, on)
                                });
                                let cid = format!("flag-{name}-{}", b.name);
                                html! {
                                    <label class={classes!("flag-bit", b.internal.then_some("is-internal"))}
                                        for={cid.clone()} title={format!("bit {}: {} (since {})", b.bit, b.meaning, b.since)}>
                                        <input type="checkbox" id={cid} {onchange}
                                            checked={word.is_some_and(|w| w & mask != 0)}
                                            disabled={word.is_none()} />
                                        <span class="flag-name">{ b.name }</span>
                                    </label>
                                }
                            }) }
                        </fieldset>
                    </div>
                }
            }
            Kind::Term => {
                let oninput = set_text.reform(|e: InputEvent| {
                    e.target_unchecked_into::<HtmlTextAreaElement>().value()
                });
                let rows = (row.text.lines().count().clamp(1, 8) + 1).to_string();
                html! {
                    <textarea id={id.clone()} class="mono term-input" {rows} spellcheck="false"
                        autocomplete="off" value={row.text.clone()} {oninput}
                        placeholder={if f.optional { "(left out unless given)" } else { "" }}
                        aria-invalid={invalid} aria-describedby={describedby.clone()} />
                }
            }
            kind => {
                let (inputmode, list) = match kind {
                    Kind::Uint { .. } => ("numeric", None),
                    Kind::Text { suggestions } if !suggestions.is_empty() => {
                        ("text", Some(format!("suggest-{name}")))
                    }
                    _ => ("text", None),
                };
                let datalist = match (kind, &list) {
                    (Kind::Text { suggestions }, Some(lid)) => html! {
                        <datalist id={lid.clone()}>
                            { for suggestions.iter().map(|s| html! { <option value={*s} /> }) }
                        </datalist>
                    },
                    _ => html! {},
                };
                let mono = matches!(
                    kind,
                    Kind::Uint { .. } | Kind::Hex { .. } | Kind::Nodes { .. }
                );
                html! {
                    <>
                        <input type="text" id={id.clone()} class={classes!(mono.then_some("mono"))}
                            {inputmode} list={list} value={row.text.clone()} {oninput}
                            spellcheck="false" autocomplete="off"
                            aria-invalid={invalid} aria-describedby={describedby.clone()} />
                        { datalist }
                    </>
                }
            }
        }
    };

    let derived = f.derived.as_ref().map(|d| {
        let computed = row.computed.clone().unwrap_or_default();
        let onchange = props.on_edit.reform(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            Edit::Override(name.to_string(), on, computed.clone())
        });
        let oid = format!("override-{name}");
        html! {
            <div class="derived">
                <span class="badge badge-derived" title={format!("computed: {}", d.how)}>{ "derived" }</span>
                if !props.compact {
                    <span class="derived-how">
                        { &d.how }
                        if row.overridden {
                            { format!(" = {}", row.computed.clone().unwrap_or_else(|| "?".into())) }
                        }
                    </span>
                }
                <label class="override" for={oid.clone()}>
                    <input type="checkbox" id={oid} checked={row.overridden} {onchange}
                        aria-label={format!("Override {name}")} />
                    { "override" }
                </label>
            </div>
        }
    });

    let error = row.error.as_ref().map(|e| {
        let caret = caret_lines(&row.text, e);
        html! {
            <div class="field-error" id={err_id.clone()} role="alert">
                { e.to_string() }
                if let Some((line, caret)) = caret {
                    <pre class="term-caret" aria-hidden="true">{ format!("{line}\n{caret}") }</pre>
                }
            </div>
        }
    });

    html! {
        <div class={classes!("field", format!("kind-{}", kind_class(&f.kind)),
                row.error.is_some().then_some("is-invalid"),
                f.derived.is_some().then_some("is-derived"),
                row.overridden.then_some("is-overridden"))}
            id={format!("row-{name}")}>
            <label class="field-label" for={id}>
                <span class="field-name">{ name }</span>
                if f.required { <span class="required" title="required">{ "*" }</span> }
            </label>
            <div class="field-control">
                { input }
                { for derived }
                { for error }
                <small class="field-hint" id={hint_id}>
                    if !props.compact { { &f.doc }{ " · " } }
                    { hint(f) }
                </small>
            </div>
        </div>
    }
}

fn kind_class(k: &Kind) -> &'static str {
    match k {
        Kind::Uint { .. } => "uint",
        Kind::Enum { .. } => "enum",
        Kind::Flags { .. } => "flags",
        Kind::Text { .. } => "text",
        Kind::Hex { .. } => "hex",
        Kind::Term => "term",
        Kind::Nodes { .. } => "nodes",
    }
}
