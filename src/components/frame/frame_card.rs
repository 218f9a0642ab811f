//! [`FrameCard`]: a frame of a [`ReportView`](crate::model::ReportView)
//! shown through [`FrameDetail`] (for pages that still hold report views).

use super::FrameDetail;
use crate::model::{FrameRc, FrameView};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`FrameCard`].
#[derive(Properties, PartialEq)]
pub struct FrameCardProps {
    /// The frame (a view made by `report_view`, which keeps its source).
    pub frame: Rc<FrameView>,
}

/// One decoded frame.
#[component]
pub fn FrameCard(props: &FrameCardProps) -> Html {
    let f = &props.frame;
    match &f.source {
        Some(source) => html! {
            <FrameDetail frame={FrameRc(Rc::clone(source))} index={f.index}
                id={format!("frame-{}", f.index)} />
        },
        None => html! {},
    }
}
