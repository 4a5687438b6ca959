//! The leaf of the engine's parts: the error constructor, the event sink, and the settings the
//! builders share. Imports nothing of the engine.

use std::sync::Arc;

use courtdeck_core::ErrorCode;
use gstreamer as gst;

use crate::protocol::{Event, WireError};

/// Size headless outputs scale to, so that their cost resembles a real screen's.
pub(in crate::engine) const HEADLESS_SIZE: (u16, u16) = (1280, 720);
/// A decoder that cannot decode a frame skips it without an error (`jpegdec` ignores `max-errors`), so
/// a damaged stretch would play as if it were not there. A jump in the decoded pictures' timestamps
/// longer than this (or a last picture this far from the end) is reported (`Event::Warning`).
pub(in crate::engine) const GAP: gst::ClockTime = gst::ClockTime::from_seconds(1);

/// Where the engine's events go (the playout server's connection).
pub type Emit = Arc<dyn Fn(Event) + Send + Sync>;

pub(in crate::engine) fn err(code: ErrorCode, message: impl Into<String>) -> WireError {
    WireError {
        code: code.as_str().into(),
        message: message.into(),
    }
}
