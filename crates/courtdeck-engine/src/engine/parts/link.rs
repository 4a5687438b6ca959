//! The video link: a screen of kind `Stream` is not a window but a stream that a video-conference PC
//! or codec (CVP) takes in. One long-lived pipeline per such screen, started at `Configure`:
//!
//! ```text
//! intervideosrc(channel, 25 fps) ▶ videoconvert ▶ videoscale ▶ I420 WxH ▶ [black gate]
//!     ▶ x264enc (zerolatency, a keyframe a second) ▶ h264parse ▶ mpegtsmux (constant rate) ▶ srtsink
//! ```
//!
//! The multiplex is padded to a constant rate (1.25 times the video's): SRT wants whole 7-packet
//! datagrams, and a paused picture's frames are a few hundred bytes, so without padding a frame
//! waited for the next ones to fill its datagram (a present took 330 ms to reach the client instead
//! of 216 ms: BENCHMARKS.md). A conference link is provisioned for its rate anyway.
//!
//! An exhibit reaches it like any screen: its pipeline has a branch for the link (only if the link's
//! role may show it: the same `may_show` gate), scaled to the link's size, ending in `valve ▶
//! intervideosink(channel)`. The valve is open only for the exhibit on air, routed to the link and not
//! blanked (`Engine::apply_visibility`, as a window is mapped), so a cued exhibit never feeds it.
//! The gate paints every frame black while the link shows nothing (nothing on air for it, blanked,
//! or a newly shown exhibit whose first frame has not passed its valve yet): Blank is black on the
//! next frame, and the picture of what was shown before never comes back by itself. The stream never
//! stops: a remote participant sees black between exhibits, never a frozen picture or a dropped call.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use crate::protocol::StreamSpec;

/// One stream screen's pipeline and what it shows.
pub(in crate::engine) struct Link {
    pipeline: gst::Pipeline,
    /// The `intervideosink`/`intervideosrc` channel exhibits feed.
    pub(in crate::engine) channel: String,
    pub(in crate::engine) size: (u16, u16),
    /// Paint black instead of the picture.
    pub(in crate::engine) dark: Arc<AtomicBool>,
    /// The new exhibit's frames, while the link waits for the first of them (`Fresh`).
    pub(in crate::engine) fresh: Arc<Fresh>,
    /// The program (its `seq`) whose picture the link shows, if any.
    pub(in crate::engine) showing: Option<u64>,
}

impl Link {
    /// Starts the stream of screen `id`: black until something is shown.
    pub(in crate::engine) fn start(id: &str, spec: &StreamSpec) -> anyhow::Result<Link> {
        let channel = format!("courtdeck-link-{id}");
        let (w, h) = (spec.width, spec.height);
        let description = format!(
            "intervideosrc name=src channel={channel} timeout=18446744073709551615 \
             ! videoconvert ! videoscale add-borders=true \
             ! video/x-raw,format=I420,width={w},height={h},framerate=25/1,pixel-aspect-ratio=1/1 \
             ! identity name=gate \
             ! x264enc tune=zerolatency speed-preset=veryfast bitrate={kbps} key-int-max=25 bframes=0 \
             ! h264parse config-interval=-1 ! mux. \
             interaudiosrc name=asrc channel={channel}-audio buffer-time=200000000 \
             ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 \
             ! identity name=agate ! audioconvert ! avenc_aac bitrate=128000 ! aacparse ! mux. \
             mpegtsmux name=mux alignment=7 bitrate={mux_bps} \
             ! srtsink name=out uri=\"srt://{listen}?mode=listener\" wait-for-connection=false latency={latency}",
            kbps = spec.bitrate_kbps,
            listen = spec.listen,
            latency = spec.latency_ms,
            mux_bps = u64::from(spec.bitrate_kbps) * 1250,
        );
        let pipeline = gst::parse::launch(&description)?
            .downcast::<gst::Pipeline>()
            .map_err(|_| anyhow::anyhow!("the link's description is not a pipeline"))?;
        pipeline.set_property("name", format!("link-{id}"));
        let dark = Arc::new(AtomicBool::new(true));
        let fresh: Arc<Fresh> = Arc::default();
        let src = pipeline
            .by_name("src")
            .ok_or_else(|| anyhow::anyhow!("no intervideosrc"))?;
        let (d, f) = (dark.clone(), fresh.clone());
        src.static_pad("src")
            .ok_or_else(|| anyhow::anyhow!("intervideosrc has no src pad"))?
            .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                if let Some(b) = info.buffer()
                    && f.arrived(memory_address(b))
                {
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
        // Its sound is silence while the picture is black (nothing shown, blanked, a new exhibit
        // not in yet): what was heard before never plays on by itself.
        let agate = pipeline
            .by_name("agate")
            .ok_or_else(|| anyhow::anyhow!("no audio gate"))?;
        let d = dark.clone();
        agate
            .static_pad("sink")
            .ok_or_else(|| anyhow::anyhow!("audio gate has no sink pad"))?
            .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                if d.load(Ordering::SeqCst)
                    && let Some(buffer) = info.buffer_mut()
                    && let Ok(mut map) = buffer.make_mut().map_writable()
                {
                    map.as_mut_slice().fill(0);
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
            anyhow::bail!(
                "the video link cannot be served at srt://{}: {why}",
                spec.listen
            );
        }
        tracing::info!(screen = id, listen = %spec.listen, width = w, height = h, kbps = spec.bitrate_kbps, "video link streaming (black until something is shown)");
        Ok(Link {
            pipeline,
            channel,
            size: (w, h),
            dark,
            fresh,
            showing: None,
        })
    }

    /// Shows program `seq`'s picture (or nothing): a new picture stays black until its first frame
    /// has reached the link. Returns whether the program shown changed to another one.
    pub(in crate::engine) fn show(&mut self, seq: Option<u64>) -> bool {
        if seq == self.showing {
            return false;
        }
        self.showing = seq;
        self.dark.store(true, Ordering::SeqCst);
        self.fresh.await_new(seq.is_some());
        seq.is_some()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// A client of the link's own stream (the setup check's): `srtsrc` calling the listener on this
/// machine, decoded to RGB at the link's size, the latest frame kept in the returned appsink.
pub(in crate::engine) fn client_bin(
    spec: &crate::protocol::OutputSpec,
    w: u16,
    h: u16,
) -> anyhow::Result<(gst::Bin, gstreamer_app::AppSink)> {
    let listen = &spec
        .stream
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("not a stream"))?
        .listen;
    let addr: std::net::SocketAddr = listen.parse()?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    let bin = gst::parse::bin_from_description(
        &format!(
            "srtsrc uri=\"srt://{host}:{port}?mode=caller\" latency=60 ! tsdemux name=d \
             d. ! video/x-h264 ! queue ! h264parse ! avdec_h264 ! videoconvert \
             ! video/x-raw,format=RGB,width={w},height={h} \
             ! appsink name=readback max-buffers=1 drop=true sync=false",
            port = addr.port()
        ),
        false,
    )?;
    let sink = bin
        .by_name("readback")
        .ok_or_else(|| anyhow::anyhow!("no appsink"))?
        .downcast::<gstreamer_app::AppSink>()
        .map_err(|_| anyhow::anyhow!("not an appsink"))?;
    Ok((bin, sink))
}

/// The average colour of the `size`-square at (`x`, `y`) of a decoded RGB sample.
pub(in crate::engine) fn average_rgb(
    sample: &gst::Sample,
    x: i16,
    y: i16,
    size: usize,
) -> Option<(u8, u8, u8)> {
    let info = gstreamer_video::VideoInfo::from_caps(sample.caps()?).ok()?;
    let buffer = sample.buffer()?;
    let map = buffer.map_readable().ok()?;
    let stride = info.stride()[0] as usize;
    let (x, y) = (usize::try_from(x).ok()?, usize::try_from(y).ok()?);
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for row in y..y + size {
        for col in x..x + size {
            let at = row * stride + col * 3;
            let px = map.get(at..at + 3)?;
            for c in 0..3 {
                sum[c] += u64::from(px[c]);
            }
            n += 1;
        }
    }
    Some(((sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8))
}

/// A newly shown exhibit's frames on their way to the link. `intervideosrc` repeats what it was last
/// given, at its own rate, so until it hands out one of the new exhibit's frames it would show the
/// picture shown before: the link stays black until then. Frames are known by their memory's
/// address (the link's source shares the memory its sink was given). The last few are kept: a
/// playing exhibit may replace its first frame before the source's next tick.
#[derive(Debug, Default)]
pub(in crate::engine) struct Fresh {
    awaiting: AtomicBool,
    passed: Mutex<VecDeque<usize>>,
}

impl Fresh {
    const KEEP: usize = 16;

    fn await_new(&self, awaiting: bool) {
        self.passed.lock().expect("fresh").clear();
        self.awaiting.store(awaiting, Ordering::SeqCst);
    }

    /// A frame of the new exhibit went through its valve towards the link.
    pub(in crate::engine) fn passed(&self, address: usize) {
        if !self.awaiting.load(Ordering::SeqCst) {
            return;
        }
        let mut passed = self.passed.lock().expect("fresh");
        if passed.len() == Self::KEEP {
            passed.pop_front();
        }
        passed.push_back(address);
    }

    /// The link's source handed out the frame at `address`: whether it is the first of the new
    /// exhibit's to reach it (the wait is over).
    fn arrived(&self, address: usize) -> bool {
        if !self.awaiting.load(Ordering::SeqCst) {
            return false;
        }
        let mut passed = self.passed.lock().expect("fresh");
        if !passed.contains(&address) {
            return false;
        }
        passed.clear();
        self.awaiting.store(false, Ordering::SeqCst);
        true
    }
}

/// Where a buffer's first memory lives: the same for the buffer an exhibit's branch gives
/// `intervideosink` and the one `intervideosrc` hands out for it (it shares the memory).
pub(in crate::engine) fn memory_address(buffer: &gst::BufferRef) -> usize {
    if buffer.n_memory() == 0 {
        return 0;
    }
    buffer.peek_memory(0).as_ptr() as usize
}

/// Fills an I420 (or any YUV) frame with black; anything else with zeros.
fn paint_black(buffer: &mut gst::BufferRef, info: &gstreamer_video::VideoInfo) {
    let Ok(mut frame) = gstreamer_video::VideoFrameRef::from_buffer_ref_writable(buffer, info)
    else {
        return;
    };
    let yuv = info.format_info().is_yuv();
    for plane in 0..frame.n_planes() {
        let value = if yuv && plane > 0 {
            128
        } else if yuv {
            16
        } else {
            0
        };
        if let Ok(data) = frame.plane_data_mut(plane) {
            data.fill(value);
        }
    }
}
