//! The live tab: talk to a real epmd and real nodes through the bridge
//! (`erldist-bridge`), and watch every byte.

use yew::prelude::*;

/// The live tab.
#[component]
pub fn LivePage() -> Html {
    html! {
        <div class="live-page">
            <p>{ "Live mode needs the bridge: run the playground with erldist-bridge (see the README)." }</p>
        </div>
    }
}
