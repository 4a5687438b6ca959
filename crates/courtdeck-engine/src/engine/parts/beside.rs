//! Side by side (`Command::Beside`): a second video composited beside the recording on air, on the
//! same screens, in step with it.
//!
//! ```text
//! uridecodebin "decode"        ─video▶ videoconvert ▶ deinterlace ▶ videoflip(auto) ▶ queue ▶ compositor.sink_0 (left)
//!   └audio▶ the room's audio chain (the one on air keeps the sound)
//! uridecodebin "decode-beside" ─video▶ videoconvert ▶ deinterlace ▶ videoflip(auto) ▶ queue ▶ compositor.sink_1 (right)
//!   └audio▶ fakesink
//! compositor (black, 1920x1080, each side fitted into its half) ▶ `graph::video_fanout` (strokes,
//!   zoom, one branch per screen allowed *both*, thumbnails, captions)
//! ```
//!
//! One pipeline, so one clock and one transport: play, pause, a speed and a frame step (a step of the
//! composite picture: both sides move on together) reach both. Every seek reaches the second decoder
//! shifted by its offset: a probe on each of its pads rewrites the seek on its way upstream, keeping
//! the seek's seqnum so the compositor's flushes still pair up. Where the shifted start falls before
//! the second recording's own start, it starts at 0 and the running-time offset of its pads holds its
//! first frame back until the program reaches it (its side is black until then). The program's
//! position, duration, clip, captions and sound are the first recording's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use courtdeck_core::Restriction;
use gstreamer as gst;
use gstreamer::prelude::*;

/// The composite picture: two halves with a gutter between, each recording fitted into its half.
pub(in crate::engine) const CANVAS: (i32, i32) = (1920, 1080);
const GUTTER: i32 = 16;

/// The recording beside the one on air, as loaded.
#[derive(Debug, Clone)]
pub(in crate::engine) struct BesideSource {
    exhibit: String,
    path: PathBuf,
    restriction: Restriction,
    /// Shared with the seek probes of every build: a new offset is a seek, not a rebuild.
    offset_ms: Arc<AtomicI64>,
}

impl BesideSource {
    pub(in crate::engine) fn new(
        exhibit: String,
        path: PathBuf,
        restriction: Restriction,
        offset_ms: i64,
    ) -> BesideSource {
        BesideSource {
            exhibit,
            path,
            restriction,
            offset_ms: Arc::new(AtomicI64::new(offset_ms)),
        }
    }

    /// Whether it is `exhibit`'s recording at `path`.
    pub(in crate::engine) fn is(&self, exhibit: &str, path: &Path) -> bool {
        self.exhibit == exhibit && self.path == path
    }

    pub(in crate::engine) fn restriction(&self) -> Restriction {
        self.restriction
    }

    /// Sets its clock again: the next seek of the program reaches it shifted by `offset_ms`.
    pub(in crate::engine) fn set_offset(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }

    /// Its decoder, with the seek probes that shift every seek by its offset.
    pub(in crate::engine) fn decoder(
        &self,
        pipeline: &gst::Pipeline,
        side: &gst::Element,
    ) -> anyhow::Result<gst::Element> {
        decoder(pipeline, &self.path, side, self.offset_ms.clone())
    }
}

/// The compositor and the head of each side's chain (`videoconvert`, whose sink pad a decoder's
/// video pad links to), made before any data flows, so the compositor waits for both pictures.
pub(in crate::engine) struct Composite {
    /// The composite picture, where the fan-out takes it from.
    pub(in crate::engine) output: gst::Element,
    pub(in crate::engine) sides: [gst::Element; 2],
}

pub(in crate::engine) fn composite(pipeline: &gst::Pipeline) -> anyhow::Result<Composite> {
    let compositor = gst::ElementFactory::make("compositor")
        .name("beside")
        .property_from_str("background", "black")
        .build()?;
    let canvas = gst::ElementFactory::make("capsfilter")
        .name("beside-canvas")
        .property(
            "caps",
            gst::Caps::builder("video/x-raw")
                .field("width", CANVAS.0)
                .field("height", CANVAS.1)
                .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                .build(),
        )
        .build()?;
    pipeline.add_many([&compositor, &canvas])?;
    compositor.link(&canvas)?;
    let half = (CANVAS.0 - GUTTER) / 2;
    let mut heads = Vec::new();
    for (i, xpos) in [(0, 0), (1, half + GUTTER)] {
        let convert = gst::ElementFactory::make("videoconvert")
            .name(format!("beside-convert-{i}"))
            .build()?;
        // The compositor takes one interlace mode on all its inputs: a DVD-style MPEG-2 export
        // (interlaced, or mixed) beside a progressive recording was refused (not-negotiated).
        // Both sides are made progressive; a progressive side passes through untouched.
        let deinterlace = gst::ElementFactory::make("deinterlace")
            .property_from_str("mode", "auto")
            .build()?;
        let progressive = gst::ElementFactory::make("capsfilter")
            .property(
                "caps",
                gst::Caps::builder("video/x-raw")
                    .field("interlace-mode", "progressive")
                    .build(),
            )
            .build()?;
        // Phone video carries rotation tags; `automatic` honours them, side by side too.
        let flip = gst::ElementFactory::make("videoflip")
            .property_from_str("video-direction", "auto")
            .build()?;
        let queue = gst::ElementFactory::make("queue")
            .property("max-size-buffers", 3u32)
            .property("max-size-bytes", 0u32)
            .property("max-size-time", 0u64)
            .build()?;
        pipeline.add_many([&convert, &deinterlace, &progressive, &flip, &queue])?;
        gst::Element::link_many([&convert, &deinterlace, &progressive, &flip, &queue])?;
        let pad = compositor
            .request_pad_simple("sink_%u")
            .ok_or_else(|| anyhow::anyhow!("the compositor gave no input"))?;
        pad.set_property("xpos", xpos);
        pad.set_property("ypos", 0i32);
        pad.set_property("width", half);
        pad.set_property("height", CANVAS.1);
        pad.set_property_from_str("sizing-policy", "keep-aspect-ratio");
        queue.static_pad("src").expect("queue src").link(&pad)?;
        heads.push(convert);
    }
    let sides: [gst::Element; 2] = heads.try_into().expect("two sides");
    Ok(Composite {
        output: canvas,
        sides,
    })
}

/// The second recording's decoder: its picture into `side` (the right-hand chain), its sound nowhere
/// (a fakesink, so its demuxer is never refused), every seek it sees shifted by `offset_ms`.
fn decoder(
    pipeline: &gst::Pipeline,
    path: &Path,
    side: &gst::Element,
    offset_ms: Arc<AtomicI64>,
) -> anyhow::Result<gst::Element> {
    let uri = gst::glib::filename_to_uri(path, None)?;
    let decode = gst::ElementFactory::make("uridecodebin")
        .name("decode-beside")
        .property("uri", uri.as_str())
        .build()?;
    pipeline.add(&decode)?;
    let side = side.downgrade();
    let pipeline_weak = pipeline.downgrade();
    let linked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    decode.connect_pad_added(move |_, pad| {
        let (Some(pipeline), Some(side)) = (pipeline_weak.upgrade(), side.upgrade()) else {
            return;
        };
        shift_seeks(pad, offset_ms.clone());
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let is_video = caps
            .structure(0)
            .is_some_and(|s| s.name().starts_with("video/"));
        let result = if is_video && !linked.swap(true, Ordering::SeqCst) {
            pad.link(&side.static_pad("sink").expect("convert sink"))
                .map(|_| ())
                .map_err(anyhow::Error::from)
        } else {
            (|| -> anyhow::Result<()> {
                let sink = gst::ElementFactory::make("fakesink")
                    .property("async", false)
                    .property("sync", false)
                    .build()?;
                pipeline.add(&sink)?;
                sink.sync_state_with_parent()?;
                pad.link(&sink.static_pad("sink").expect("fakesink sink"))?;
                Ok(())
            })()
        };
        if let Err(e) = result {
            gst::element_error!(
                pipeline,
                gst::CoreError::Negotiation,
                ("could not show the second recording: {e:#}")
            );
        }
    });
    Ok(decode)
}

/// Rewrites every seek that passes `pad` on its way upstream by the offset, and sets the pad's
/// running-time offset for a start before the recording's own.
fn shift_seeks(pad: &gst::Pad, offset_ms: Arc<AtomicI64>) {
    pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |pad, info| {
        let Some(gst::PadProbeData::Event(event)) = &info.data else {
            return gst::PadProbeReturn::Ok;
        };
        let gst::EventView::Seek(s) = event.view() else {
            return gst::PadProbeReturn::Ok;
        };
        let (rate, flags, start_type, start, stop_type, stop) = s.get();
        let (gst::GenericFormattedValue::Time(Some(start)), gst::SeekType::Set) =
            (start, start_type)
        else {
            return gst::PadProbeReturn::Ok;
        };
        if rate <= 0.0 {
            return gst::PadProbeReturn::Ok;
        }
        let stop = match (stop_type, stop) {
            (gst::SeekType::Set, gst::GenericFormattedValue::Time(t)) => t.map(|t| t.nseconds()),
            _ => None,
        };
        let offset_ns = offset_ms.load(Ordering::SeqCst).saturating_mul(1_000_000);
        let shifted = shift(start.nseconds(), stop, offset_ns, rate);
        pad.set_offset(shifted.hold_ns);
        let new = gst::event::Seek::builder(
            rate,
            flags,
            gst::SeekType::Set,
            gst::ClockTime::from_nseconds(shifted.start_ns),
            if shifted.stop_ns.is_some() {
                gst::SeekType::Set
            } else {
                gst::SeekType::None
            },
            shifted.stop_ns.map(gst::ClockTime::from_nseconds),
        )
        .seqnum(event.seqnum())
        .build();
        info.data = Some(gst::PadProbeData::Event(new));
        gst::PadProbeReturn::Ok
    });
}

/// A seek of the program (`start_ns` to `stop_ns`, at `rate`) as the second recording takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::engine) struct Shifted {
    pub(in crate::engine) start_ns: u64,
    pub(in crate::engine) stop_ns: Option<u64>,
    /// How long (running time) its first frame is held back: it starts after the program's start.
    pub(in crate::engine) hold_ns: i64,
}

pub(in crate::engine) fn shift(
    start_ns: u64,
    stop_ns: Option<u64>,
    offset_ns: i64,
    rate: f64,
) -> Shifted {
    let start = i128::from(start_ns) + i128::from(offset_ns);
    let (start_ns, hold_ns) = if start >= 0 {
        (start.min(i128::from(i64::MAX)) as u64, 0)
    } else {
        (0, ((-start) as f64 / rate).round() as i64)
    };
    let stop_ns = stop_ns.map(|stop| {
        let stop = (i128::from(stop) + i128::from(offset_ns)).clamp(0, i128::from(i64::MAX)) as u64;
        // A clip that ends before the second recording starts: an empty segment, black beside it.
        stop.max(start_ns)
    });
    Shifted {
        start_ns,
        stop_ns,
        hold_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn a_seek_reaches_the_second_recording_shifted_by_its_offset() {
        // Ahead: it shows its own t + 2 s, a clip's out point too.
        assert_eq!(
            shift(10 * S, Some(20 * S), 2 * S as i64, 1.0),
            Shifted {
                start_ns: 12 * S,
                stop_ns: Some(22 * S),
                hold_ns: 0
            }
        );
        // Behind, and the program before its start: it starts at 0, held back 3 s of running
        // time (1.5 s at double speed).
        assert_eq!(
            shift(S, None, -4 * S as i64, 1.0),
            Shifted {
                start_ns: 0,
                stop_ns: None,
                hold_ns: 3 * S as i64
            }
        );
        assert_eq!(shift(S, None, -4 * S as i64, 2.0).hold_ns, 3 * S as i64 / 2);
        // A clip that ends before it starts: an empty segment (black beside it), never a stop
        // before the start.
        assert_eq!(
            shift(S, Some(2 * S), -5 * S as i64, 1.0),
            Shifted {
                start_ns: 0,
                stop_ns: Some(0),
                hold_ns: 4 * S as i64
            }
        );
        // No overflow at the far ends.
        assert_eq!(shift(u64::MAX / 2, None, i64::MAX, 1.0).hold_ns, 0);
    }
}
