//! A document's pages as a source: what the `appsrc` of a document program pushes (the page on air,
//! drawn on its own thread by `crate::document::Pages`), and the feed state its callbacks share with
//! the engine (a page turn is a new page here and a seek).

use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer::prelude::*;

/// A document program's source: the pages drawn on their own thread, and what the `appsrc` pushes
/// next (the page, at the time of the last seek; once per seek). Its state is its own: the engine
/// turns the page (`show`) and asks for its element (`source`).
pub(in crate::engine) struct DocumentFeed {
    pages: Arc<crate::document::Pages>,
    next: Arc<Mutex<FeedState>>,
}

struct FeedState {
    page: u32,
    at: gst::ClockTime,
    pushed: bool,
}

impl DocumentFeed {
    /// The document at `path` (`page_sizes` in points, from the manifest) drawn for screens of
    /// `screen_box`, open at `page`.
    pub(in crate::engine) fn open(
        path: std::path::PathBuf,
        page_sizes: &[[f64; 2]],
        screen_box: (u32, u32),
        page: u32,
    ) -> DocumentFeed {
        DocumentFeed {
            pages: Arc::new(crate::document::Pages::open(
                path, page_sizes, screen_box, page,
            )),
            next: Arc::new(Mutex::new(FeedState {
                page,
                at: gst::ClockTime::ZERO,
                pushed: false,
            })),
        }
    }

    /// How many pages it has.
    pub(in crate::engine) fn count(&self) -> u32 {
        self.pages.count()
    }

    /// The size `page` is drawn at, once known.
    pub(in crate::engine) fn size_of(&self, page: u32) -> Option<(u32, u32)> {
        self.pages.size_of(page)
    }

    /// Makes `page` the one pushed after the next seek (and starts drawing it now).
    pub(in crate::engine) fn show(&self, page: u32) {
        self.pages.want(page);
        self.next.lock().expect("document feed").page = page;
    }

    /// The `appsrc` pushing its pages.
    pub(in crate::engine) fn source(&self) -> anyhow::Result<gst::Element> {
        document_source(self.pages.clone(), self.next.clone())
    }
}

/// A document's source: an `appsrc` that pushes the page on air, drawn (`document::Pages`), once
/// after each flushing seek. A page turn is a new page in `next` and a seek; so is a zoom, which
/// pushes the same page again. Nothing follows the page: a document never ends by itself.
fn document_source(
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
