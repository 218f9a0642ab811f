//! The "Learn" tab: worked examples (the classic mistakes and the protocol
//! step by step) that open in the builder or the decoder.

use crate::model::gallery::GALLERY;
use crate::url::Route;
use yew::prelude::*;

/// Props of [`GalleryPage`].
#[derive(Properties, PartialEq)]
pub struct GalleryPageProps {
    /// Open an example (the route of its builder or decoder state).
    pub on_open: Callback<Route>,
}

/// The gallery of worked examples.
#[component]
pub fn GalleryPage(props: &GalleryPageProps) -> Html {
    let cards = GALLERY.iter().map(|e| {
        let route = e.route();
        let onclick = props.on_open.reform(move |_: MouseEvent| route.clone());
        let target = if e.build.is_some() {
            "Open in the builder"
        } else {
            "Open in the decoder"
        };
        html! {
            <article class="gallery-card" id={format!("example-{}", e.id)}>
                <h2>{ e.title }</h2>
                <p>{ e.text }</p>
                <button type="button" class="gallery-open" {onclick}>{ target }</button>
            </article>
        }
    });
    html! {
        <div class="gallery-page">
            <p class="gallery-intro">
                { "Worked examples: the mistakes people make when they first talk to epmd or a node, \
                   and the protocol step by step. Each one opens in the builder or the decoder." }
            </p>
            <div class="gallery-grid">{ for cards }</div>
        </div>
    }
}
