//! The page, one function component per file.

mod app;
mod byte_table;
mod example_bar;
mod frame_card;
mod input_error_box;
mod input_panel;
mod report_panel;

pub use app::App;
pub use byte_table::ByteTable;
pub use example_bar::ExampleBar;
pub use frame_card::FrameCard;
pub use input_error_box::InputErrorBox;
pub use input_panel::InputPanel;
pub use report_panel::ReportPanel;
