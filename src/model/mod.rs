//! Pure view models: everything the components show, computed from the
//! codec's [`Report`](erldist_codec::Report) outside of `html!`, and tested on
//! the host.

pub mod choice;
pub mod examples;
pub mod frame_ref;
pub mod view;

pub use choice::{direction_from_value, direction_value, format_from_value, format_value};
pub use examples::EXAMPLES;
pub use frame_ref::FrameRc;
pub use view::{frame_view, report_view, FrameView, InputErrorView, ReportView, Row, StatusView};
pub mod gallery;
pub mod frame_export;
pub mod frame_space;
pub mod frame_state;
pub mod hexview;
pub mod tree;
