//! One frame's views, all from the codec's span tree: the byte-layout
//! table, the hex + ASCII view and the field tree (hover and selection synced
//! between them), and the code export. Used by the builder, the decoder and
//! live mode through [`FrameDetail`].

mod byte_table;
mod frame_card;

pub use byte_table::ByteTable;
pub use frame_card::FrameCard;

use crate::model::{frame_view, FrameRc};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`FrameDetail`].
#[derive(Properties, PartialEq)]
#[allow(dead_code)]
pub struct FrameDetailProps {
    /// The frame to show.
    pub frame: FrameRc,
    /// 1-based position of the frame in its list (shown as `#n`).
    #[prop_or(1)]
    pub index: usize,
    /// A prefix unique on the page for the element ids inside.
    pub id: AttrValue,
    /// Fewer chrome (embed mode, live transcripts).
    #[prop_or_default]
    pub compact: bool,
}

/// Everything about one frame.
#[component]
pub fn FrameDetail(props: &FrameDetailProps) -> Html {
    let view = Rc::new(frame_view(props.index, &props.frame.0));
    html! { <FrameCard frame={view} /> }
}
