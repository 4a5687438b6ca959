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
        if let Some(pad) = src.static_pad("src") {
            SourceLateness::default().correct(&src, &pad);
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

/// What `srtsrc` says its latency is, made true: how late its buffers really are against their
/// timestamps.
///
/// srtsrc answers the latency query with the SRT latency (120 ms by default) and back-dates each
/// buffer by the delay libsrt reports (now − the packet's `srctime`), so that the sinks wait out
/// the SRT latency once. With Debian 12's GStreamer 1.22.0 and libsrt 1.5.1 that delay is 0–8 ms
/// (measured, `GST_DEBUG=srtsrc:6`): libsrt has already held each packet for the SRT latency
/// before srtsrc gets it, the buffer is stamped "now", and the sinks waited the SRT latency a
/// second time (120 ms more glass to glass than the sender asked for; BENCHMARKS.md).
///
/// So the source's latency is what is observed (`Lateness`): how late its buffers typically are
/// (running time on the clock − timestamp; 0–12 ms here at 640x360, up to 41 ms at 1080p). When
/// that rises the pad posts a `Latency` message and the pipeline asks again (`Engine::bus`); a
/// srtsrc that back-dates properly is thus reported at its full latency within a few seconds.
///
/// What is left after this is real waiting: tsdemux hands on a picture when the next one starts
/// (ffmpeg and OBS leave a video PES's length open) and h264parse closes an access unit when it
/// sees the next; decoded pictures are 67–79 ms behind their timestamps at 30 fps, within the 83 ms
/// tsdemux and h264parse report.
#[derive(Clone, Default)]
struct SourceLateness {
    windows: Arc<std::sync::Mutex<Lateness>>,
    /// What the latency query is told, in ns (before `Lateness::MARGIN`).
    typical: Arc<AtomicU64>,
}

impl SourceLateness {
    fn correct(self, src: &gst::Element, pad: &gst::Pad) {
        let watch = self.clone();
        let element = src.downgrade();
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            let (Some(element), Some(pts)) =
                (element.upgrade(), info.buffer().and_then(|b| b.pts()))
            else {
                return gst::PadProbeReturn::Ok;
            };
            let Some(now) = element.current_running_time() else {
                return gst::PadProbeReturn::Ok;
            };
            let late = now.saturating_sub(pts).nseconds();
            let rose = watch
                .windows
                .lock()
                .expect("lateness")
                .note(now.nseconds(), late);
            if let Some(typical) = rose {
                watch.typical.store(typical, Ordering::SeqCst);
                let _ =
                    element.post_message(gst::message::Latency::builder().src(&element).build());
            }
            gst::PadProbeReturn::Ok
        });
        pad.add_probe(
            gst::PadProbeType::QUERY_UPSTREAM | gst::PadProbeType::PULL,
            move |_, info| {
                if let Some(gst::QueryViewMut::Latency(q)) = info.query_mut().map(|q| q.view_mut())
                {
                    let (live, _, max) = q.result();
                    let min = gst::ClockTime::from_nseconds(
                        self.typical.load(Ordering::SeqCst) + Lateness::MARGIN,
                    );
                    q.set(live, min, max.map(|m| m.max(min)));
                }
                gst::PadProbeReturn::Ok
            },
        );
    }
}

/// How late a live source's buffers typically are: the most in each half second, and the median
/// of the last eight such (four seconds). A stall (the pipeline linking a new screen's branch in
/// the streaming thread: 100–200 ms, once) is one window and moves the median nowhere; lateness
/// that lasts does. The typical figure only rises: lowering the latency while playing would drop
/// pictures to catch up.
#[derive(Debug, Default)]
pub(in crate::engine) struct Lateness {
    window_start: Option<u64>,
    window_max: u64,
    maxima: std::collections::VecDeque<u64>,
    typical: u64,
}

impl Lateness {
    const WINDOW: u64 = 500_000_000;
    const WINDOWS: usize = 8;
    /// Windows needed before any figure is believed: the first holds the start's own transients.
    const SETTLED: usize = 3;
    /// Added to the typical lateness, and the least rise worth a new latency query.
    pub(in crate::engine) const MARGIN: u64 = 5_000_000;

    /// Notes a buffer `late` ns late at running time `now`; the new typical lateness if it rose by
    /// more than `MARGIN`.
    pub(in crate::engine) fn note(&mut self, now: u64, late: u64) -> Option<u64> {
        let start = *self.window_start.get_or_insert(now);
        self.window_max = self.window_max.max(late);
        if now.saturating_sub(start) < Self::WINDOW {
            return None;
        }
        self.maxima.push_back(std::mem::take(&mut self.window_max));
        if self.maxima.len() > Self::WINDOWS {
            self.maxima.pop_front();
        }
        self.window_start = Some(now);
        if self.maxima.len() < Self::SETTLED {
            return None;
        }
        let mut sorted: Vec<u64> = self.maxima.iter().copied().collect();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        (median > self.typical + Self::MARGIN).then(|| {
            self.typical = median;
            median
        })
    }
}

/// A live test pattern and tone: videotestsrc and audiotestsrc, live and clocked as a capture card
/// is. Returns the picture's and the sound's source elements, added to `pipeline`.
pub(in crate::engine) fn test_pattern(
    pipeline: &gst::Pipeline,
    pattern: &str,
    (width, height, fps): (u32, u32, u32),
) -> anyhow::Result<(gst::Element, gst::Element)> {
    let clock = pattern == "clock";
    let (pattern, colour) = match pattern {
        // A ball sweeping once a second, where the wall clock says when the frame was drawn (the
        // capture path's latency benchmark reads it back from the windows).
        "clock" => ("ball", None),
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
    if clock {
        video = video
            .property_from_str("motion", "sweep")
            .property_from_str("animation-mode", "wall-time");
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

/// One mode a capture device offers: its format (`image/jpeg`, or a raw format such as `YUY2`),
/// size and frame rate.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::engine) struct Mode {
    pub(in crate::engine) format: String,
    pub(in crate::engine) width: u32,
    pub(in crate::engine) height: u32,
    pub(in crate::engine) fps: f64,
}

impl Mode {
    fn is_jpeg(&self) -> bool {
        self.format == "image/jpeg"
    }

    /// `1920x1080 MJPEG 30 fps`.
    pub(in crate::engine) fn describe(&self) -> String {
        let format = if self.is_jpeg() {
            "MJPEG"
        } else {
            &self.format
        };
        format!(
            "{}x{} {format} {:.0} fps",
            self.width, self.height, self.fps
        )
    }
}

/// The mode to capture in: 1080p at 25 fps or more, MJPEG first (a USB 2 grabber sends 1080p30 only
/// compressed), then raw; else the largest picture up to 1080p at 25 fps or more; else the largest
/// of all. Formats other than MJPEG and the common raw ones are never chosen.
pub(in crate::engine) fn choose_mode(modes: &[Mode]) -> Option<Mode> {
    const RAW: [&str; 4] = ["YUY2", "NV12", "UYVY", "I420"];
    let usable: Vec<&Mode> = modes
        .iter()
        .filter(|m| m.is_jpeg() || RAW.contains(&m.format.as_str()))
        .collect();
    let area = |m: &Mode| u64::from(m.width) * u64::from(m.height);
    usable
        .iter()
        .filter(|m| m.width == 1920 && m.height == 1080 && m.fps >= 25.0)
        .min_by_key(|m| (!m.is_jpeg(), -(m.fps as i64)))
        .or_else(|| {
            usable
                .iter()
                .filter(|m| m.fps >= 25.0 && m.height <= 1080 && m.width <= 1920)
                .max_by_key(|m| (area(m), m.is_jpeg(), m.fps as i64))
        })
        .or_else(|| usable.iter().max_by_key(|m| (area(m), m.fps as i64)))
        .map(|m| (*m).clone())
}

/// The modes in a capture device's caps (fixed values and lists; a frame rate range counts at its
/// top).
pub(in crate::engine) fn modes_of(caps: &gst::Caps) -> Vec<Mode> {
    let mut out = Vec::new();
    for s in caps.iter() {
        let format = if s.name() == "image/jpeg" {
            "image/jpeg".to_owned()
        } else if s.name() == "video/x-raw" {
            match s.get::<String>("format") {
                Ok(f) => f,
                Err(_) => continue,
            }
        } else {
            continue;
        };
        let (Ok(width), Ok(height)) = (s.get::<i32>("width"), s.get::<i32>("height")) else {
            continue;
        };
        let rates: Vec<f64> = match s.value("framerate") {
            Ok(v) => {
                if let Ok(f) = v.get::<gst::Fraction>() {
                    vec![f64::from(f.numer()) / f64::from(f.denom().max(1))]
                } else if let Ok(list) = v.get::<gst::List>() {
                    list.iter()
                        .filter_map(|x| x.get::<gst::Fraction>().ok())
                        .map(|f| f64::from(f.numer()) / f64::from(f.denom().max(1)))
                        .collect()
                } else if let Ok(range) = v.get::<gst::FractionRange>() {
                    let f = range.max();
                    vec![f64::from(f.numer()) / f64::from(f.denom().max(1))]
                } else {
                    Vec::new()
                }
            }
            Err(_) => Vec::new(),
        };
        for fps in rates {
            out.push(Mode {
                format: format.clone(),
                width: width.max(0) as u32,
                height: height.max(0) as u32,
                fps,
            });
        }
    }
    out
}

/// The device node for a configured capture device: a `/dev/v4l/…` path as it is, or for
/// `usb:VVVV:PPPP[:SERIAL]` the first capture node (`index` 0) among `sysfs/class/video4linux` whose
/// USB device has that vendor, product (and serial).
pub(in crate::engine) fn resolve_device(
    device: &str,
    sysfs: &std::path::Path,
) -> anyhow::Result<String> {
    let Some(usb) = device.strip_prefix("usb:") else {
        return Ok(device.to_owned());
    };
    let want: Vec<&str> = usb.split(':').collect();
    let read = |p: std::path::PathBuf| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let mut nodes: Vec<_> = std::fs::read_dir(sysfs.join("class/video4linux"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    nodes.sort();
    for node in nodes {
        if read(node.join("index")) != "0" {
            continue; // a metadata node, not the picture
        }
        // `device` is the USB interface; its parent is the USB device with the ids.
        let usb_dev = node.join("device/..");
        let matches = read(usb_dev.join("idVendor")).eq_ignore_ascii_case(want[0])
            && read(usb_dev.join("idProduct"))
                .eq_ignore_ascii_case(want.get(1).copied().unwrap_or(""))
            && want
                .get(2)
                .is_none_or(|serial| read(usb_dev.join("serial")) == *serial);
        if matches && let Some(name) = node.file_name() {
            return Ok(format!("/dev/{}", name.to_string_lossy()));
        }
    }
    anyhow::bail!("no capture device {device} is plugged in")
}

/// The ALSA card of the same USB device as capture node `node` (`/dev/videoN`, or a `/dev/v4l/…`
/// name of one), as `hw:CARD=<id>`: a UVC grabber's or camera's sound is a USB audio interface beside
/// its video one. `None` when it has none (most document cameras), or the node is not a USB one.
pub(in crate::engine) fn sound_of(node: &str, sysfs: &std::path::Path) -> Option<String> {
    let node = std::fs::canonicalize(node).unwrap_or_else(|_| node.into());
    let name = node.file_name()?.to_string_lossy().into_owned();
    // A node's and a card's `device` is their USB interface; its parent is the USB device.
    let usb_of = |class_dir: std::path::PathBuf| std::fs::canonicalize(class_dir.join("device/.."));
    let usb = usb_of(sysfs.join("class/video4linux").join(&name)).ok()?;
    let mut cards: Vec<_> = std::fs::read_dir(sysfs.join("class/sound"))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("card"))
        })
        .collect();
    cards.sort();
    cards.into_iter().find_map(|card| {
        (usb_of(card.clone()).ok()? == usb).then(|| {
            let id = std::fs::read_to_string(card.join("id")).ok()?;
            Some(format!("hw:CARD={}", id.trim()))
        })?
    })
}

/// A capture device's sound: `alsasrc` on its card (`sound_of`), live. `None` (and the reason
/// logged) when the device has no sound or the ALSA plugin is missing: the picture goes on alone.
pub(in crate::engine) fn capture_sound(
    pipeline: &gst::Pipeline,
    node: &str,
) -> Option<gst::Element> {
    let card = sound_of(node, std::path::Path::new("/sys"))?;
    match gst::ElementFactory::make("alsasrc")
        .name("live-capture-sound")
        .property("device", &card)
        .build()
    {
        Ok(src) => pipeline.add(&src).ok().map(|_| src),
        Err(e) => {
            tracing::warn!(card, error = %e, "the capture device's sound is not taken: no alsasrc (gstreamer1.0-alsa)");
            None
        }
    }
}

/// The device node of capture device `device` if it is plugged in now (a `/dev/v4l/by-id` name
/// comes and goes with the device; a `usb:` one is found through sysfs) and has settled: udev gives
/// a new node its group a moment after the kernel makes it, and opening it before then is refused.
pub(in crate::engine) fn plugged_in(device: &str) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    const SETTLE: Duration = Duration::from_secs(1);
    let node = resolve_device(device, std::path::Path::new("/sys")).ok()?;
    let changed = std::fs::metadata(&node).ok().map(|m| {
        std::time::UNIX_EPOCH + Duration::new(m.ctime().max(0) as u64, m.ctime_nsec().max(0) as u32)
    })?;
    std::time::SystemTime::now()
        .duration_since(changed)
        .is_ok_and(|age| age >= SETTLE)
        .then_some(node)
}

/// A capture device's picture: `v4l2src` in the chosen mode, decoded if it is MJPEG. Returns the
/// element the picture leaves from, the mode, and the device node; `None` when the device is not
/// plugged in (the source then waits for it: `Engine::tick` looks again).
pub(in crate::engine) fn capture(
    pipeline: &gst::Pipeline,
    device: &str,
) -> anyhow::Result<Option<(gst::Element, Mode, String)>> {
    let Some(node) = plugged_in(device) else {
        return Ok(None);
    };
    let src = gst::ElementFactory::make("v4l2src")
        .name("live-capture")
        .property("device", &node)
        .build()?;
    // The device's modes: asked of the source in READY (the device is open then).
    src.set_state(gst::State::Ready)
        .map_err(|_| anyhow::anyhow!("{device} ({node}) cannot be opened"))?;
    let caps = src
        .static_pad("src")
        .map(|p| p.query_caps(None))
        .unwrap_or_else(gst::Caps::new_empty);
    let _ = src.set_state(gst::State::Null);
    let mode = choose_mode(&modes_of(&caps)).ok_or_else(|| {
        anyhow::anyhow!("{device} offers no picture mode Courtdeck can use: {caps}")
    })?;
    let fps = gst::Fraction::approximate_f64(mode.fps).unwrap_or(gst::Fraction::new(30, 1));
    let wanted = if mode.is_jpeg() {
        gst::Caps::builder("image/jpeg")
    } else {
        gst::Caps::builder("video/x-raw").field("format", mode.format.as_str())
    }
    .field("width", mode.width as i32)
    .field("height", mode.height as i32)
    .field("framerate", fps)
    .build();
    let filter = gst::ElementFactory::make("capsfilter")
        .property("caps", wanted)
        .build()?;
    pipeline.add_many([&src, &filter])?;
    src.link(&filter)?;
    if !mode.is_jpeg() {
        return Ok(Some((filter, mode, node)));
    }
    let parse = gst::ElementFactory::make("jpegparse").build()?;
    let decode = gst::ElementFactory::make("jpegdec").build()?;
    pipeline.add_many([&parse, &decode])?;
    gst::Element::link_many([&filter, &parse, &decode])?;
    Ok(Some((decode, mode, node)))
}

/// Whether `message` says the SRT caller hung up (srtsrc with `keep-listening`).
pub(in crate::engine) fn caller_left(message: &gst::Message) -> bool {
    matches!(message.view(), gst::MessageView::Element(e)
        if e.structure().is_some_and(|s| s.name() == "connection-removed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const MS: u64 = 1_000_000;

    /// Feeds `Lateness` a buffer every 2 ms for `secs` seconds from `from` ms, `late(t)` ms late.
    fn feed(l: &mut Lateness, from: u64, secs: u64, late: impl Fn(u64) -> u64) -> Vec<u64> {
        (0..secs * 500)
            .filter_map(|i| {
                let t = from + i * 2;
                l.note(t * MS, late(t) * MS)
            })
            .collect()
    }

    #[test]
    fn lateness_that_lasts_raises_the_latency_and_a_stall_does_not() {
        let mut l = Lateness::default();
        // Steady at 8 ms but for a 200 ms stall at the start and another at 6 s.
        let stall = |t: u64| {
            if (300..500).contains(&t) || (6000..6200).contains(&t) {
                200
            } else {
                8
            }
        };
        let rises = feed(&mut l, 0, 10, stall);
        assert_eq!(rises, vec![8 * MS], "only the steady lateness counts");
        // Lasting lateness (a bigger picture, a busier machine) raises it within a few seconds.
        let rises = feed(&mut l, 10_000, 5, |_| 30);
        assert_eq!(rises, vec![30 * MS]);
        // And it never comes down while playing.
        assert!(feed(&mut l, 15_000, 10, |_| 1).is_empty());
    }

    #[test]
    fn no_figure_before_the_start_has_settled() {
        let mut l = Lateness::default();
        assert!(
            feed(&mut l, 0, 1, |_| 50).is_empty(),
            "two windows are not enough"
        );
    }

    /// The probe notices the first frame, and the watch calls a picture that stopped lost.
    fn mode(format: &str, width: u32, height: u32, fps: f64) -> Mode {
        Mode {
            format: format.into(),
            width,
            height,
            fps,
        }
    }

    /// What common devices offer (from their `v4l2-ctl --list-formats-ext`, written as caps).
    #[test]
    fn the_mode_is_1080p_mjpeg_first_then_raw_then_the_largest_smooth_one() {
        gst::init().unwrap();
        // A USB 2 HDMI grabber: 1080p30 only as MJPEG; raw 1080p at 5 fps.
        let grabber = gst::Caps::from_str(
            "image/jpeg, width=1920, height=1080, framerate={ 30/1, 25/1 }; \
             image/jpeg, width=1280, height=720, framerate=60/1; \
             video/x-raw, format=YUY2, width=1920, height=1080, framerate=5/1; \
             video/x-raw, format=YUY2, width=640, height=480, framerate=30/1",
        )
        .unwrap();
        let modes = modes_of(&grabber);
        assert_eq!(modes.len(), 5, "{modes:?}");
        assert_eq!(
            choose_mode(&modes),
            Some(mode("image/jpeg", 1920, 1080, 30.0))
        );
        // A USB 3 device: raw 1080p60 and MJPEG 1080p30: MJPEG is preferred at 1080p.
        let usb3 = [
            mode("NV12", 1920, 1080, 60.0),
            mode("image/jpeg", 1920, 1080, 30.0),
        ];
        assert_eq!(
            choose_mode(&usb3),
            Some(mode("image/jpeg", 1920, 1080, 30.0))
        );
        // Raw 1080p only.
        assert_eq!(
            choose_mode(&[
                mode("YUY2", 1920, 1080, 30.0),
                mode("YUY2", 1280, 720, 30.0)
            ]),
            Some(mode("YUY2", 1920, 1080, 30.0))
        );
        // A document camera without 1080p: its largest smooth mode, not its slow 4K still mode.
        assert_eq!(
            choose_mode(&[
                mode("image/jpeg", 3840, 2160, 5.0),
                mode("image/jpeg", 1600, 1200, 15.0),
                mode("image/jpeg", 1280, 960, 30.0),
                mode("YUY2", 640, 480, 30.0),
            ]),
            Some(mode("image/jpeg", 1280, 960, 30.0))
        );
        // Nothing smooth at all: the largest.
        assert_eq!(
            choose_mode(&[mode("YUY2", 640, 480, 15.0), mode("YUY2", 320, 240, 15.0)]),
            Some(mode("YUY2", 640, 480, 15.0))
        );
        // A format it cannot use is never chosen.
        assert_eq!(choose_mode(&[mode("H264", 1920, 1080, 30.0)]), None);
        assert_eq!(
            mode("image/jpeg", 1920, 1080, 30.0).describe(),
            "1920x1080 MJPEG 30 fps"
        );
    }

    /// `usb:VVVV:PPPP[:SERIAL]` found in a sysfs tree laid out as the kernel does (a capture node and
    /// its metadata node per device).
    #[test]
    fn a_usb_device_is_found_by_its_ids_and_serial() {
        let root = tempfile::tempdir().unwrap();
        let sys = root.path();
        let device = |n: u32, index: &str, vendor: &str, product: &str, serial: &str| {
            let usb = sys.join(format!("devices/usb1/1-{n}"));
            let intf = usb.join(format!("1-{n}:1.0"));
            std::fs::create_dir_all(&intf).unwrap();
            std::fs::write(usb.join("idVendor"), format!("{vendor}\n")).unwrap();
            std::fs::write(usb.join("idProduct"), format!("{product}\n")).unwrap();
            std::fs::write(usb.join("serial"), format!("{serial}\n")).unwrap();
            let node = sys.join(format!(
                "class/video4linux/video{}",
                n * 2 + u32::from(index == "1")
            ));
            std::fs::create_dir_all(&node).unwrap();
            std::fs::write(node.join("index"), format!("{index}\n")).unwrap();
            std::os::unix::fs::symlink(&intf, node.join("device")).unwrap();
        };
        device(1, "0", "046d", "0825", "AAA");
        device(1, "1", "046d", "0825", "AAA");
        device(2, "0", "046d", "0825", "BBB");
        device(3, "0", "534d", "2109", "");
        assert_eq!(
            resolve_device("usb:046d:0825:BBB", sys).unwrap(),
            "/dev/video4"
        );
        assert_eq!(resolve_device("usb:046D:0825", sys).unwrap(), "/dev/video2");
        assert_eq!(resolve_device("usb:534d:2109", sys).unwrap(), "/dev/video6");
        assert!(resolve_device("usb:1234:5678", sys).is_err());
        assert_eq!(
            resolve_device("/dev/v4l/by-id/usb-x-video-index0", sys).unwrap(),
            "/dev/v4l/by-id/usb-x-video-index0"
        );
    }

    /// A grabber's sound card is the one on the same USB device as its capture node; a camera
    /// without sound, and a node that is not USB, have none.
    #[test]
    fn a_capture_devices_sound_is_the_card_on_the_same_usb_device() {
        let root = tempfile::tempdir().unwrap();
        let sys = root.path();
        let usb = |n: u32| sys.join(format!("devices/usb1/1-{n}"));
        let link = |class: &str, node: &str, target: std::path::PathBuf| {
            std::fs::create_dir_all(&target).unwrap();
            let dir = sys.join("class").join(class).join(node);
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(&target, dir.join("device")).unwrap();
            dir
        };
        // 1-1: a grabber (video and sound); 1-2: a document camera (video only); card0 is the
        // machine's own sound; video9 is no USB device.
        link("video4linux", "video0", usb(1).join("1-1:1.0"));
        link("video4linux", "video2", usb(2).join("1-2:1.0"));
        link(
            "video4linux",
            "video9",
            sys.join("devices/platform/vivid.0"),
        );
        let card0 = link(
            "sound",
            "card0",
            sys.join("devices/pci0000:00/0000:00:1f.3"),
        );
        std::fs::write(card0.join("id"), "PCH\n").unwrap();
        let card1 = link("sound", "card1", usb(1).join("1-1:1.2"));
        std::fs::write(card1.join("id"), "MS2109\n").unwrap();
        assert_eq!(
            sound_of("/dev/video0", sys).as_deref(),
            Some("hw:CARD=MS2109")
        );
        assert_eq!(sound_of("/dev/video2", sys), None);
        assert_eq!(sound_of("/dev/video9", sys), None);
        assert_eq!(sound_of("/dev/video7", sys), None, "no such node");
    }

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
