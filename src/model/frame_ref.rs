//! [`FrameRc`]: a decoded frame shared between components, compared by
//! pointer (a new decode is a new frame).

use erldist_codec::Frame;
use std::rc::Rc;

/// A decoded frame, cheap to clone, equal only to itself.
#[derive(Debug, Clone)]
pub struct FrameRc(pub Rc<Frame>);

impl FrameRc {
    /// Shares `f`.
    pub fn new(f: Frame) -> FrameRc {
        FrameRc(Rc::new(f))
    }
}

impl PartialEq for FrameRc {
    fn eq(&self, other: &FrameRc) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for FrameRc {
    type Target = Frame;
    fn deref(&self) -> &Frame {
        &self.0
    }
}
