//! The "Learn" tab: worked examples (the classic mistakes and the protocol
//! step by step) that open in the builder or the decoder.

use crate::model::gallery::GALLERY;
use crate::url::Route;
use yew::prelude::*;

/// Props of [`GalleryPage`].
#[derive(Properties, PartialEq)]
pub struct GalleryPageProps {
    /// The example last opened (`?example=`), highlighted.
    #[prop_or_default]
    pub current: AttrValue,
    /// Open an example (the route of its builder or decoder state).
    pub on_open: Callback<Route>,
}

/// The gallery of worked examples.
#[component]
pub fn GalleryPage(props: &GalleryPageProps) -> Html {
    let cards = GALLERY.iter().map(|e| {
        let route = e.route();
        let onclick = props.on_open.reform(move |_: MouseEvent| route.clone());
        let current = props.current == e.id;
        let heading = format!("example-{}-title", e.id);
        html! {
            <article class={classes!("gallery-card", current.then_some("is-current"))}
                id={format!("example-{}", e.id)} aria-labelledby={heading.clone()}>
                <h2 id={heading}>{ e.title }</h2>
                <p>{ e.text }</p>
                <p class="gallery-lesson"><strong>{ "Lesson: " }</strong>{ e.lesson }</p>
                <button type="button" class="gallery-open" {onclick}>{ e.opens_in() }</button>
            </article>
        }
    });
    html! {
        <div class="gallery-page">
            <p class="gallery-intro">
                { "Worked examples: the mistakes people make when they first talk to epmd or a \
                   node, and the protocol step by step, from real OTP 25 traffic. Each one opens \
                   in the builder or the decoder, where every byte is explained." }
            </p>
            <div class="gallery-grid">{ for cards }</div>
        </div>
    }
}
