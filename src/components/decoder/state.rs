//! The app's one piece of state and the actions that change it. Every change
//! of the input or the options re-decodes here, so components only render.

use crate::model::{report_view, ReportView, EXAMPLES};
use erldist_codec::{decode_text, DecodeOptions, DirectionChoice, FormatChoice};
use std::rc::Rc;
use yew::Reducible;

/// The input, the options and the decoded view of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    /// The paste box.
    pub text: String,
    /// The format select.
    pub format: FormatChoice,
    /// The direction select.
    pub direction: DirectionChoice,
    /// What the input decodes to, ready to render.
    pub view: Rc<ReportView>,
}

/// Something the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Typed or pasted into the paste box.
    SetText(String),
    /// Picked a format.
    SetFormat(FormatChoice),
    /// Picked a direction.
    SetDirection(DirectionChoice),
    /// Clicked example button `n` (an index into [`EXAMPLES`]).
    LoadExample(usize),
    /// Emptied the paste box.
    Clear,
}

impl AppState {
    /// A state for this input and these options, decoded.
    pub fn new(text: String, format: FormatChoice, direction: DirectionChoice) -> AppState {
        let report = decode_text(
            &text,
            &DecodeOptions {
                format,
                direction,
                ..DecodeOptions::default()
            },
        );
        let view = Rc::new(report_view(&report, &text));
        AppState {
            text,
            format,
            direction,
            view,
        }
    }
}

impl Default for AppState {
    /// Starts with the first example, so the page shows what it does.
    fn default() -> AppState {
        let first = EXAMPLES.first().map_or("", |e| e.text);
        AppState::new(first.to_string(), FormatChoice::Auto, DirectionChoice::Auto)
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let (text, format, direction) = match action {
            Action::SetText(text) if text == self.text => return self,
            Action::SetText(text) => (text, self.format, self.direction),
            Action::SetFormat(f) if f == self.format => return self,
            Action::SetFormat(f) => (self.text.clone(), f, self.direction),
            Action::SetDirection(d) if d == self.direction => return self,
            Action::SetDirection(d) => (self.text.clone(), self.format, d),
            Action::LoadExample(n) => match EXAMPLES.get(n) {
                Some(e) => (e.text.to_string(), FormatChoice::Auto, e.direction),
                None => return self,
            },
            Action::Clear => (String::new(), self.format, self.direction),
        };
        Rc::new(AppState::new(text, format, direction))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(state: AppState, action: Action) -> AppState {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[test]
    fn starts_with_the_first_example_decoded() {
        let s = AppState::default();
        assert_eq!(s.text, EXAMPLES[0].text);
        assert_eq!(s.view.frames[0].type_name, "ALIVE2_REQ");
    }

    #[test]
    fn typing_re_decodes() {
        let s = apply(AppState::default(), Action::SetText("00 01 6e".into()));
        assert_eq!(s.view.frames[0].type_name, "NAMES_REQ");
        let s = apply(s, Action::SetText("00 zz".into()));
        assert!(s.view.input_error.is_some());
    }

    #[test]
    fn options_re_decode() {
        let s = apply(AppState::default(), Action::SetText("00 01 6e".into()));
        let s = apply(s, Action::SetDirection(DirectionChoice::Reply));
        assert_eq!(s.direction, DirectionChoice::Reply);
        assert_eq!(s.view.frames[0].direction, "reply");
        let s = apply(s, Action::SetFormat(FormatChoice::EpmdLog));
        assert_eq!(s.view.format, "epmd-log");
        assert_eq!(s.view.format_how, "chosen");
    }

    #[test]
    fn examples_set_text_and_direction() {
        let last = EXAMPLES.len() - 1;
        let s = apply(AppState::default(), Action::SetFormat(FormatChoice::Hex));
        let s = apply(s, Action::LoadExample(last));
        assert_eq!(s.text, EXAMPLES[last].text);
        assert_eq!(s.format, FormatChoice::Auto);
        assert_eq!(s.direction, DirectionChoice::Request);
        let s = apply(s, Action::LoadExample(0));
        assert_eq!(s.direction, DirectionChoice::Auto);
        // An unknown example changes nothing.
        assert_eq!(apply(s.clone(), Action::LoadExample(999)), s);
    }

    #[test]
    fn unchanged_input_keeps_the_same_state() {
        let s = Rc::new(AppState::default());
        let same = Rc::clone(&s).reduce(Action::SetText(s.text.clone()));
        assert!(Rc::ptr_eq(&s, &same));
    }

    #[test]
    fn clear_empties_the_box() {
        let s = apply(AppState::default(), Action::Clear);
        assert_eq!(s.text, "");
        assert!(s.view.frames.is_empty());
    }
}
