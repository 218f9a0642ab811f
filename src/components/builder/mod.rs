//! The builder tab: choose any message the codec knows and edit it field by
//! field; the bytes and every view update as you type. Everything comes
//! from the codec's catalog ([`erldist_codec::build`]) through the pure
//! [`Form`](crate::model::builder::Form): no per-message code.
//!
//! - [`MessagePicker`]: the message types grouped by protocol.
//! - [`FieldInput`]: one typed input per field (numbers with ranges, enums,
//!   flag checkboxes, names, term text), derived fields with an override.
//! - [`BuiltOutput`]: the hex, copy, "Open in the decoder", what the
//!   overrides do, and the frame's views.

mod field_input;
mod output;
mod picker;

pub use field_input::FieldInput;
pub use output::{BuiltOutput, Shown};
pub use picker::MessagePicker;

use crate::model::builder::{spaced_hex, Form};
use crate::model::FrameRc;
use crate::url::{BuildQuery, DecodeQuery};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`BuilderPage`].
#[derive(Properties, PartialEq)]
pub struct BuilderPageProps {
    /// The state to start from (the URL's).
    pub initial: BuildQuery,
    /// Compact view for iframes.
    #[prop_or_default]
    pub embed: bool,
    /// The state changed (the app writes it to the URL).
    pub on_change: Callback<BuildQuery>,
    /// "Open in the decoder" with these bytes.
    pub on_decode: Callback<DecodeQuery>,
}

/// What the form did to the state.
pub enum Edit {
    /// Another message type.
    Pick(String),
    /// A field's new text.
    Set(String, String),
    /// A derived field's override on or off (with its computed value).
    Override(String, bool, String),
}

/// The builder tab.
#[component]
pub fn BuilderPage(props: &BuilderPageProps) -> Html {
    let form = {
        let q = props.initial.clone();
        use_state(move || Form::from_query(&q))
    };
    let view = use_memo((*form).clone(), |f| Rc::new(f.view()));
    // The last valid build stays on screen while a field is invalid.
    let last = use_mut_ref(|| None::<Rc<Shown>>);
    let shown = use_memo(view.clone(), |v| {
        v.built.as_ref().ok().map(|b| {
            Rc::new(Shown {
                hex: spaced_hex(&b.bytes),
                frame: FrameRc::new(b.frame.clone()),
                consequences: b.consequences.clone(),
            })
        })
    });
    if let Some(s) = shown.as_ref() {
        *last.borrow_mut() = Some(s.clone());
    }
    {
        let on_change = props.on_change.clone();
        use_effect_with(form.to_query(), move |q| on_change.emit(q.clone()));
    }
    let on_edit = {
        let form = form.clone();
        Callback::from(move |e: Edit| {
            let mut f = (*form).clone();
            match e {
                Edit::Pick(m) => f = Form::pick(&m),
                Edit::Set(k, v) => f.set(&k, v),
                Edit::Override(k, on, computed) => f.set_override(&k, on, &computed),
            }
            form.set(f);
        })
    };
    let v = &**view;
    let pending = v.built.as_ref().err().cloned();
    let current = last.borrow().clone();
    let embed = props.embed;
    html! {
        <div class={classes!("builder-page", embed.then_some("is-compact"))}>
            <section class="builder-form" aria-label="Message fields">
                <MessagePicker current={v.message.name} on_pick={on_edit.reform(Edit::Pick)} />
                if !embed {
                    <p class="message-doc" id="message-doc">
                        <span class="message-sender">{ v.message.sender }</span>
                        { ": " }{ &v.message.doc }
                    </p>
                }
                <div class="fields" role="group" aria-label={format!("{} fields", v.message.name)}>
                    { for v.rows.iter().map(|r| html! {
                        <FieldInput key={r.field.name} row={Rc::new(r.clone())}
                            compact={embed} on_edit={on_edit.clone()} />
                    }) }
                </div>
            </section>
            <BuiltOutput shown={current} {pending} {embed} on_decode={props.on_decode.clone()} />
        </div>
    }
}
