//! Pure view models: everything the components show, computed from the
//! codec's [`Report`](erldist_codec::Report) outside of `html!`, and tested on
//! the host.

pub mod choice;
pub mod decoder;
pub mod examples;
pub mod frame_ref;
pub mod sequence;
// The decoder tab no longer uses `report_view` and its input-error view
// (src/model/decoder.rs has its own): until view.rs drops them.
#[allow(dead_code)]
pub mod view;

pub use examples::EXAMPLES;
pub use frame_ref::FrameRc;
pub use view::{frame_view, FrameView, Row, StatusView};
pub mod builder;
pub mod gallery;
pub mod live;
pub mod tap;
