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
pub mod view;

pub use examples::EXAMPLES;
pub use frame_ref::FrameRc;
pub use view::{FrameView, Row, StatusView};
pub mod builder;
pub mod frame_export;
pub mod frame_space;
pub mod frame_state;
pub mod gallery;
pub mod hexview;
pub mod live;
pub mod tap;
pub mod tree;
