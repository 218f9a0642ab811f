//! The builder tab: choose any message the codec knows and edit it field by
//! field; the bytes and every view update as you type.

use crate::url::{BuildQuery, DecodeQuery};
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

/// The builder tab.
#[component]
pub fn BuilderPage(props: &BuilderPageProps) -> Html {
    let _ = props;
    html! { <div class="builder-page"><p>{ "The builder is on its way." }</p></div> }
}
