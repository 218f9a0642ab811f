//! Pure view models: everything the components show, computed from the
//! codec's [`Report`](erldist_codec::Report) outside of `html!`, and tested on
//! the host.

pub mod choice;
pub mod decoder;
pub mod examples;
pub mod frame_ref;
pub mod sequence;
pub mod view;

pub use examples::EXAMPLES;
pub use frame_ref::FrameRc;
pub use view::{frame_view, report_view, FrameView, InputErrorView, ReportView, Row, StatusView};
pub mod gallery;
