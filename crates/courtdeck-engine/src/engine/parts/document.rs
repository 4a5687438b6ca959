//! A document's pages as a source: what the `appsrc` of a document program pushes (the page on air,
//! drawn on its own thread by `crate::document::Pages`), and the feed state its callbacks share with
//! the engine (a page turn is a new page here and a seek).

use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer::prelude::*;

/// A document program's source: the pages drawn on their own thread, and what the `appsrc` pushes
/// next (the page, at the time of the last seek; once per seek).
pub(in crate::engine) struct DocumentFeed {
    pub(in crate::engine) pages: Arc<crate::document::Pages>,
    pub(in crate::engine) next: Arc<Mutex<FeedState>>,
}

pub(in crate::engine) struct FeedState {
    pub(in crate::engine) page: u32,
    pub(in crate::engine) at: gst::ClockTime,
    pub(in crate::engine) pushed: bool,
}

/// A document's source: an `appsrc` that pushes the page on air, drawn (`document::Pages`), once
/// after each flushing seek. A page turn is a new page in `next` and a seek; so is a zoom, which
/// pushes the same page again. Nothing follows the page: a document never ends by itself.
pub(in crate::engine) fn document_source(
    pages: Arc<crate::document::Pages>,
    next: Arc<Mutex<FeedState>>,
) -> anyhow::Result<gst::Element> {
    use gstreamer_app::{AppSrc, AppSrcCallbacks, AppStreamType};
    let src = AppSrc::builder()
        .name("document")
        .format(gst::Format::Time)
        .stream_type(AppStreamType::Seekable)
        .is_live(false)
        .build();
    let seek_next = next.clone();
    src.set_callbacks(
        AppSrcCallbacks::builder()
            .seek_data(move |_, at| {
                let mut n = seek_next.lock().expect("document feed");
                n.at = gst::ClockTime::from_nseconds(at);
                n.pushed = false;
                true
            })
            .need_data(move |src, _| {
                let (page, at) = {
                    let mut n = next.lock().expect("document feed");
                    if n.pushed {
                        return;
                    }
                    n.pushed = true;
                    (n.page, n.at)
                };
                match pages.get(page, crate::document::RENDER_TIMEOUT) {
                    Ok(frame) => {
                        let caps = gst::Caps::builder("video/x-raw")
                            .field("format", "BGRx")
                            .field("width", frame.width as i32)
                            .field("height", frame.height as i32)
                            .field("framerate", gst::Fraction::new(0, 1))
                            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                            .build();
                        src.set_caps(Some(&caps));
                        let mut buf = gst::Buffer::from_slice(FrameBytes(frame));
                        buf.get_mut().expect("new buffer").set_pts(at);
                        let _ = src.push_buffer(buf);
                    }
                    Err(e) => {
                        gst::element_error!(
                            src,
                            gst::StreamError::Decode,
                            ("page {page} cannot be shown: {e}")
                        );
                    }
                }
            })
            .build(),
    );
    Ok(src.upcast())
}

/// A drawn page lent to a buffer without a copy.
struct FrameBytes(Arc<crate::document::Frame>);

impl AsRef<[u8]> for FrameBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0.data
    }
}
