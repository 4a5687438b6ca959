//! Live sources: a laptop calling over SRT, or (in tests, where there is no capture card) a live test
//! pattern standing in for one. Only the source differs: what it decodes goes into the same fan-out,
//! restriction gate, blank and zoom as an exhibit's picture.
//!
//! ```text
//! uridecodebin srt://HOST:PORT?mode=listener  ─video▶ [signal probe] ▶ the fan-out (as a recording's)
//!   (srtsrc: passphrase, latency, keep-listening;  └audio▶ the audio chain
//!    tsdemux latency 50 ms)
//! videotestsrc is-live ▶ caps ─────────────────────▶ [signal probe] ▶ the fan-out
//! audiotestsrc is-live ──────────────────────────────────────────────▶ the audio chain
//! ```
//!
//! The signal is the picture arriving: a probe on the decoded picture notes each frame's time, and a
//! picture that has not moved for `LOST_AFTER` (or a caller that hung up) is no signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use courtdeck_core::OutputRole;
use gstreamer as gst;
use gstreamer::prelude::*;

use crate::protocol::LiveInput;

/// A picture that has not moved for this long is no signal (the engine's tick looks every 250 ms).
pub(in crate::engine) const LOST_AFTER: Duration = Duration::from_millis(500);

/// tsdemux's own latency for a live stream: its default (700 ms) is meant for broadcast, and a
/// laptop's picture would reach the screens most of a second late.
const TSDEMUX_LATENCY_MS: i32 = 50;

/// A live source as it was loaded (`Command::LoadLive`): kept for rebuilds.
#[derive(Debug, Clone)]
pub(in crate::engine) struct LiveSpec {
    pub(in crate::engine) label: String,
    pub(in crate::engine) input: LiveInput,
    /// The roles that may ever see it; the restriction narrows them further.
    pub(in crate::engine) roles: Vec<OutputRole>,
}

impl LiveSpec {
    /// Whether a screen of `role` may have a branch for it: a role the court gave it, and one the
    /// restriction allows (`courtdeck_core::may_show`, asked by the caller through its output).
    pub(in crate::engine) fn admits(&self, role: OutputRole) -> bool {
        self.roles.contains(&role)
    }
}

/// Whether a live source's picture is arriving, shared with the probe on its streaming thread.
#[derive(Clone)]
pub(in crate::engine) struct SignalWatch {
    epoch: Instant,
    /// When the last frame passed, in ms since `epoch`.
    last_ms: Arc<AtomicU64>,
    present: Arc<AtomicBool>,
    /// The picture's size, from the caps of its latest frame (`width << 32 | height`; 0: none yet).
    size: Arc<AtomicU64>,
    /// Told when the picture comes (from the streaming thread).
    on_signal: Arc<dyn Fn() + Send + Sync>,
}

impl SignalWatch {
    pub(in crate::engine) fn new(on_signal: Arc<dyn Fn() + Send + Sync>) -> SignalWatch {
        SignalWatch {
            epoch: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
            present: Arc::new(AtomicBool::new(false)),
            size: Arc::new(AtomicU64::new(0)),
            on_signal,
        }
    }

    /// Notes every frame on `pad` (the decoded picture, before the fan-out); the first frame after
    /// none calls `on_signal`.
    pub(in crate::engine) fn watch(&self, pad: &gst::Pad) {
        let watch = self.clone();
        pad.add_probe(gst::PadProbeType::BUFFER, move |pad, _| {
            watch
                .last_ms
                .store(watch.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
            if !watch.present.load(Ordering::SeqCst)
                && let Some(s) = pad.current_caps().as_ref().and_then(|c| c.structure(0))
                && let (Ok(w), Ok(h)) = (s.get::<i32>("width"), s.get::<i32>("height"))
            {
                let size = (u64::from(w.max(0) as u32) << 32) | u64::from(h.max(0) as u32);
                watch.size.store(size, Ordering::SeqCst);
            }
            if !watch.present.swap(true, Ordering::SeqCst) {
                (watch.on_signal)();
            }
            gst::PadProbeReturn::Ok
        });
    }

    /// The picture's width and height, once a frame has come.
    pub(in crate::engine) fn size(&self) -> Option<(u32, u32)> {
        let size = self.size.load(Ordering::SeqCst);
        (size != 0).then_some(((size >> 32) as u32, size as u32))
    }

    pub(in crate::engine) fn present(&self) -> bool {
        self.present.load(Ordering::SeqCst)
    }

    /// The signal is gone (a caller hung up): until the next frame.
    pub(in crate::engine) fn lose(&self) -> bool {
        self.present.swap(false, Ordering::SeqCst)
    }

    /// Whether the picture has stopped: present, but no frame for `LOST_AFTER`. It is then lost.
    pub(in crate::engine) fn lost_by_now(&self) -> bool {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.present() && self.epoch.elapsed().saturating_sub(last) > LOST_AFTER && self.lose()
    }
}

/// Hold: the live picture frozen on its current frame (and released), between the decoded picture
/// and the strokes and zoom, which go on redrawing on the held frame because frames keep flowing:
///
/// ```text
/// tee ─▶ queue ──────────────────────────────────────────────────────────▶ input-selector (live)
///     └▶ queue(1, leaky) ▶ valve ▶ imagefreeze(is-live, allow-replace) ─▶            (held)
/// ```
///
/// Holding closes the valve (imagefreeze keeps the last frame it got) and selects the held pad.
#[derive(Clone)]
pub(in crate::engine) struct Hold {
    /// Every element of the block, in order.
    elements: Vec<gst::Element>,
    valve: gst::Element,
    selector: gst::Element,
    live: gst::Pad,
    held: gst::Pad,
}

impl Hold {
    /// Builds the block into `pipeline`: returns where the picture goes in and comes out.
    pub(in crate::engine) fn build(
        pipeline: &gst::Pipeline,
    ) -> anyhow::Result<(gst::Element, gst::Element, Hold)> {
        let tee = gst::ElementFactory::make("tee").name("hold-tee").build()?;
        let live_queue = gst::ElementFactory::make("queue").build()?;
        let held_queue = gst::ElementFactory::make("queue")
            .property("max-size-buffers", 1u32)
            .property_from_str("leaky", "downstream")
            .build()?;
        let valve = gst::ElementFactory::make("valve")
            .name("hold-valve")
            .build()?;
        let freeze = gst::ElementFactory::make("imagefreeze")
            .property("is-live", true)
            .property("allow-replace", true)
            .build()?;
        let selector = gst::ElementFactory::make("input-selector")
            .name("hold-selector")
            .build()?;
        pipeline.add_many([&tee, &live_queue, &held_queue, &valve, &freeze, &selector])?;
        tee.link(&live_queue)?;
        gst::Element::link_many([&tee, &held_queue, &valve, &freeze])?;
        let live = selector
            .request_pad_simple("sink_%u")
            .ok_or_else(|| anyhow::anyhow!("input-selector gave no pad"))?;
        let held = selector
            .request_pad_simple("sink_%u")
            .ok_or_else(|| anyhow::anyhow!("input-selector gave no pad"))?;
        live_queue
            .static_pad("src")
            .expect("queue src")
            .link(&live)?;
        freeze
            .static_pad("src")
            .expect("imagefreeze src")
            .link(&held)?;
        selector.set_property("active-pad", &live);
        Ok((
            tee.clone(),
            selector.clone(),
            Hold {
                elements: vec![tee.clone(), live_queue, held_queue, valve.clone(), freeze],
                valve,
                selector,
                live,
                held,
            },
        ))
    }

    /// Its elements but the selector (which the fan-out goes on from).
    pub(in crate::engine) fn elements(&self) -> Vec<gst::Element> {
        self.elements.clone()
    }

    /// Freezes the picture on its current frame (`true`) or goes back to the live one.
    pub(in crate::engine) fn set(&self, hold: bool) {
        if hold {
            self.valve.set_property("drop", true);
            self.selector.set_property("active-pad", &self.held);
        } else {
            self.selector.set_property("active-pad", &self.live);
            self.valve.set_property("drop", false);
        }
    }
}

/// The decoder of an SRT source: a listener on `listen` that one laptop calls. The passphrase is set
/// as a property, never in the URI (which GStreamer and ffmpeg print).
pub(in crate::engine) fn srt_decoder(
    listen: &str,
    latency_ms: u32,
    passphrase: Option<String>,
) -> anyhow::Result<gst::Element> {
    let decoder = gst::ElementFactory::make("uridecodebin")
        .name("decode")
        .property("uri", format!("srt://{listen}?mode=listener"))
        .build()?;
    decoder.connect("source-setup", false, move |args| {
        let src = args[1]
            .get::<gst::Element>()
            .expect("source-setup's element");
        src.set_property("latency", latency_ms.min(i32::MAX as u32) as i32);
        // A caller that hangs up posts `connection-removed` instead of ending the stream; the
        // engine builds the source again for the next caller.
        src.set_property("keep-listening", true);
        if let Some(p) = &passphrase {
            src.set_property("passphrase", p);
        }
        None
    });
    if let Ok(bin) = decoder.clone().dynamic_cast::<gst::Bin>() {
        bin.connect_deep_element_added(|_, _, element| {
            if element
                .factory()
                .is_some_and(|f| f.name().as_str() == "tsdemux")
            {
                element.set_property("latency", TSDEMUX_LATENCY_MS);
            }
        });
    }
    Ok(decoder)
}

/// A live test pattern and tone: videotestsrc and audiotestsrc, live and clocked as a capture card
/// is. Returns the picture's and the sound's source elements, added to `pipeline`.
pub(in crate::engine) fn test_pattern(
    pipeline: &gst::Pipeline,
    pattern: &str,
    (width, height, fps): (u32, u32, u32),
) -> anyhow::Result<(gst::Element, gst::Element)> {
    let (pattern, colour) = match pattern {
        "red" => ("solid-color", Some(0xffff0000u32)),
        "green" => ("solid-color", Some(0xff00ff00)),
        "blue" => ("solid-color", Some(0xff0000ff)),
        other => (other, None),
    };
    let mut video = gst::ElementFactory::make("videotestsrc")
        .name("live-video")
        .property("is-live", true)
        .property_from_str("pattern", pattern);
    if let Some(c) = colour {
        video = video.property("foreground-color", c);
    }
    let video = video.build()?;
    let caps = gst::ElementFactory::make("capsfilter")
        .property(
            "caps",
            gst::Caps::builder("video/x-raw")
                .field("width", width.clamp(16, 7680) as i32)
                .field("height", height.clamp(16, 4320) as i32)
                .field("framerate", gst::Fraction::new(fps.clamp(1, 120) as i32, 1))
                .build(),
        )
        .build()?;
    let audio = gst::ElementFactory::make("audiotestsrc")
        .name("live-audio")
        .property("is-live", true)
        .property("volume", 0.1f64)
        .build()?;
    pipeline.add_many([&video, &caps, &audio])?;
    video.link(&caps)?;
    Ok((caps, audio))
}

/// Whether `message` says the SRT caller hung up (srtsrc with `keep-listening`).
pub(in crate::engine) fn caller_left(message: &gst::Message) -> bool {
    matches!(message.view(), gst::MessageView::Element(e)
        if e.structure().is_some_and(|s| s.name() == "connection-removed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe notices the first frame, and the watch calls a picture that stopped lost.
    #[test]
    fn the_signal_comes_with_the_picture_and_goes_when_it_stops() {
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let (video, _) = test_pattern(&pipeline, "red", (64, 36, 30)).unwrap();
        let sink = gst::ElementFactory::make("fakesink")
            .property("sync", true)
            .build()
            .unwrap();
        pipeline.add(&sink).unwrap();
        video.link(&sink).unwrap();
        let came = Arc::new(AtomicU64::new(0));
        let c = came.clone();
        let watch = SignalWatch::new(Arc::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
        }));
        watch.watch(&video.static_pad("src").unwrap());
        assert!(!watch.present());
        pipeline.set_state(gst::State::Playing).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !watch.present() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(watch.present(), "no frame in 10 s");
        assert_eq!(came.load(Ordering::SeqCst), 1);
        assert_eq!(watch.size(), Some((64, 36)));
        assert!(!watch.lost_by_now(), "frames are flowing");
        pipeline.set_state(gst::State::Paused).unwrap();
        // Waited for, not timed: the watch calls it lost once no frame came for LOST_AFTER.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lost = false;
        while !lost && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            lost = watch.lost_by_now();
        }
        assert!(lost && !watch.present());
        pipeline.set_state(gst::State::Playing).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !watch.present() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(came.load(Ordering::SeqCst), 2, "the picture came back");
        pipeline.set_state(gst::State::Null).unwrap();
    }
}
