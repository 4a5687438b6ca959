//! The video link: a screen of kind `Stream` is not a window but a stream that a video-conference PC
//! or codec (CVP) takes in. One long-lived pipeline per such screen, started at `Configure`:
//!
//! ```text
//! intervideosrc(channel) ▶ videoconvert ▶ videoscale ▶ videorate ▶ I420 WxH 25 fps ▶ [black gate]
//!     ▶ x264enc (zerolatency) ▶ h264parse ▶ mpegtsmux ▶ srtsink (listener)
//! ```
//!
//! An exhibit reaches it like any screen: its pipeline has a branch for the link (only if the link's
//! role may show it: the same `may_show` gate), scaled to the link's size, ending in `valve ▶
//! intervideosink(channel)`. The valve is open only for the exhibit on air, routed to the link and not
//! blanked (`Engine::apply_visibility`, as a window is mapped), so a cued exhibit never feeds it.
//! The gate paints every frame black while the link shows nothing (nothing on air for it, blanked,
//! or a newly shown exhibit whose first frame has not passed its valve yet): Blank is black on the
//! next frame, and the picture of what was shown before never comes back by itself. The stream never
//! stops: a remote participant sees black between exhibits, never a frozen picture or a dropped call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use crate::protocol::StreamSpec;

/// One stream screen's pipeline and what it shows.
pub(super) struct Link {
    pipeline: gst::Pipeline,
    /// The `intervideosink`/`intervideosrc` channel exhibits feed.
    pub(super) channel: String,
    pub(super) size: (u16, u16),
    /// Paint black instead of the picture.
    pub(super) dark: Arc<AtomicBool>,
    /// Set when a new exhibit is shown: the first frame through its valve clears it and puts its
    /// memory's address in `fresh`.
    pub(super) awaiting: Arc<AtomicBool>,
    /// The address of the new exhibit's first frame's memory (0: none awaited): when the link's
    /// source hands out that frame, `dark` is cleared. Not before: `intervideosrc` repeats what it
    /// was last given until then, and that is the picture shown before.
    pub(super) fresh: Arc<AtomicUsize>,
    /// The program (its `seq`) whose picture the link shows, if any.
    pub(super) showing: Option<u64>,
}

impl Link {
    /// Starts the stream of screen `id`: black until something is shown.
    pub(super) fn start(id: &str, spec: &StreamSpec) -> anyhow::Result<Link> {
        let channel = format!("courtdeck-link-{id}");
        let (w, h) = (spec.width, spec.height);
        let description = format!(
            "intervideosrc name=src channel={channel} timeout=18446744073709551615 \
             ! videoconvert ! videoscale add-borders=true ! videorate \
             ! video/x-raw,format=I420,width={w},height={h},framerate=25/1,pixel-aspect-ratio=1/1 \
             ! identity name=gate \
             ! x264enc tune=zerolatency speed-preset=veryfast bitrate={kbps} key-int-max=25 bframes=0 \
             ! h264parse config-interval=-1 ! mpegtsmux alignment=7 \
             ! srtsink name=out uri=\"srt://{listen}?mode=listener\" wait-for-connection=false latency=120",
            kbps = spec.bitrate_kbps,
            listen = spec.listen,
        );
        let pipeline = gst::parse::launch(&description)?
            .downcast::<gst::Pipeline>()
            .map_err(|_| anyhow::anyhow!("the link's description is not a pipeline"))?;
        pipeline.set_property("name", format!("link-{id}"));
        let dark = Arc::new(AtomicBool::new(true));
        let fresh = Arc::new(AtomicUsize::new(0));
        let src = pipeline
            .by_name("src")
            .ok_or_else(|| anyhow::anyhow!("no intervideosrc"))?;
        let (d, f) = (dark.clone(), fresh.clone());
        src.static_pad("src")
            .ok_or_else(|| anyhow::anyhow!("intervideosrc has no src pad"))?
            .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                let want = f.load(Ordering::SeqCst);
                if want != 0 && info.buffer().is_some_and(|b| memory_address(b) == want) {
                    f.store(0, Ordering::SeqCst);
                    d.store(false, Ordering::SeqCst);
                }
                gst::PadProbeReturn::Ok
            });
        let gate = pipeline
            .by_name("gate")
            .ok_or_else(|| anyhow::anyhow!("no gate"))?;
        let d = dark.clone();
        gate.static_pad("sink")
            .ok_or_else(|| anyhow::anyhow!("gate has no sink pad"))?
            .add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
                if !d.load(Ordering::SeqCst) {
                    return gst::PadProbeReturn::Ok;
                }
                let Some(caps) = pad.current_caps() else {
                    return gst::PadProbeReturn::Ok;
                };
                let Ok(vi) = gstreamer_video::VideoInfo::from_caps(&caps) else {
                    return gst::PadProbeReturn::Ok;
                };
                if let Some(buffer) = info.buffer_mut() {
                    paint_black(buffer.make_mut(), &vi);
                }
                gst::PadProbeReturn::Ok
            });
        pipeline.set_state(gst::State::Playing)?;
        // A port that cannot be bound fails here, not silently later.
        let (result, _, _) = pipeline.state(gst::ClockTime::from_seconds(5));
        if let Err(e) = result {
            let why = pipeline
                .bus()
                .and_then(|b| b.pop_filtered(&[gst::MessageType::Error]))
                .and_then(|m| match m.view() {
                    gst::MessageView::Error(e) => Some(e.error().to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| e.to_string());
            let _ = pipeline.set_state(gst::State::Null);
            anyhow::bail!("the video link cannot be served at srt://{}: {why}", spec.listen);
        }
        tracing::info!(screen = id, listen = %spec.listen, width = w, height = h, kbps = spec.bitrate_kbps, "video link streaming (black until something is shown)");
        Ok(Link {
            pipeline,
            channel,
            size: (w, h),
            dark,
            awaiting: Arc::new(AtomicBool::new(false)),
            fresh,
            showing: None,
        })
    }

    /// Shows program `seq`'s picture (or nothing): a new picture stays black until its first frame
    /// has reached the link. Returns whether the program shown changed to another one.
    pub(super) fn show(&mut self, seq: Option<u64>) -> bool {
        if seq == self.showing {
            return false;
        }
        self.showing = seq;
        self.dark.store(true, Ordering::SeqCst);
        self.fresh.store(0, Ordering::SeqCst);
        self.awaiting.store(seq.is_some(), Ordering::SeqCst);
        seq.is_some()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Where a buffer's first memory lives: the same for the buffer an exhibit's branch gives
/// `intervideosink` and the one `intervideosrc` hands out for it (it shares the memory).
pub(super) fn memory_address(buffer: &gst::BufferRef) -> usize {
    if buffer.n_memory() == 0 {
        return 0;
    }
    buffer.peek_memory(0).as_ptr() as usize
}

/// Fills an I420 (or any YUV) frame with black; anything else with zeros.
fn paint_black(buffer: &mut gst::BufferRef, info: &gstreamer_video::VideoInfo) {
    let Ok(mut frame) = gstreamer_video::VideoFrameRef::from_buffer_ref_writable(buffer, info) else {
        return;
    };
    let yuv = info.format_info().is_yuv();
    for plane in 0..frame.n_planes() {
        let value = if yuv && plane > 0 { 128 } else if yuv { 16 } else { 0 };
        if let Ok(data) = frame.plane_data_mut(plane) {
            data.fill(value);
        }
    }
}
