//! Pure builders of pipeline pieces: the video fan-out, the audio chain, the thumbnail branch and
//! the gap probe. They get elements and settings and never see the `Engine`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use super::outputs::BranchTarget;
use super::program::Branch;
use super::{Emit, GAP, HEADLESS_SIZE};
use crate::protocol::Event;

/// A document's source: an `appsrc` that pushes the page on air, drawn (`document::Pages`), once
/// after each flushing seek. A page turn is a new page in `next` and a seek; so is a zoom, which
/// pushes the same page again. Nothing follows the page: a document never ends by itself.
pub(super) fn document_source(
    pages: Arc<crate::document::Pages>,
    next: Arc<Mutex<super::program::FeedState>>,
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

/// A picture's fan-out, as `video_fanout` built it.
pub(super) struct Fanout {
    /// Where the decoded picture goes in.
    pub(super) head: gst::Element,
    /// The zoom's `videocrop`, for the program to hold (`Program::crop`).
    pub(super) crop: gst::Element,
}

/// Builds `videoconvert ! videoflip ! [imagefreeze] ! overlaycomposition ! videocrop ! tee` and one
/// branch per target (`queue ! [textoverlay] ! sink`, the text overlay for `captions`). The overlay
/// composition lays `layer`'s strokes over the picture.
#[allow(clippy::too_many_arguments)]
pub(super) fn video_fanout(
    pipeline: &gst::Pipeline,
    targets: &[BranchTarget],
    branches: &Arc<Mutex<BTreeMap<String, Branch>>>,
    frame_duration: &Arc<Mutex<Duration>>,
    is_image: bool,
    thumbs: &Thumbs,
    gaps: Option<GapReport>,
    layer: &super::annotate::SharedLayer,
    captions: Option<&super::captions::SharedCaptions>,
) -> anyhow::Result<Fanout> {
    let convert = gst::ElementFactory::make("videoconvert").build()?;
    // Phone video carries rotation tags; `automatic` honours them.
    let flip = gst::ElementFactory::make("videoflip")
        .property_from_str("video-direction", "auto")
        .build()?;
    let tee = gst::ElementFactory::make("tee")
        .property("allow-not-linked", true)
        .build()?;
    let mut chain = vec![convert.clone(), flip];
    if is_image {
        chain.push(gst::ElementFactory::make("imagefreeze").build()?);
    }
    // The telestrator's strokes, in the picture's own coordinates: before the crop, so they follow
    // zoom and pan; before the tee, so they reach exactly the screens the picture does.
    chain.push(super::annotate::overlay(layer)?);
    // Zoom and pan (`Command::Zoom`); passes frames through untouched while nothing is cropped.
    let crop = gst::ElementFactory::make("videocrop")
        .name("zoom")
        .build()?;
    chain.push(crop.clone());
    chain.push(tee.clone());
    pipeline.add_many(&chain)?;
    gst::Element::link_many(&chain)?;

    // Learn the frame duration for stepping back.
    let fd = frame_duration.clone();
    convert.static_pad("sink").expect("sink pad").add_probe(
        gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| {
            if let Some(gst::EventView::Caps(c)) = info.event().map(|e| e.view())
                && let Ok(vi) = gstreamer_video::VideoInfo::from_caps(c.caps())
                && vi.fps().numer() > 0
            {
                let nanos = 1_000_000_000u64 * vi.fps().denom() as u64 / vi.fps().numer() as u64;
                *fd.lock().expect("fd") = Duration::from_nanos(nanos);
            }
            gst::PadProbeReturn::Ok
        },
    );

    if let Some(report) = gaps {
        watch_for_gaps(&convert, report);
    }

    // One convert + scale per distinct output size, shared by every screen of that size through a
    // second tee: four 1080p screens cost one scaler, not four.
    let mut by_size: BTreeMap<(u16, u16), gst::Element> = BTreeMap::new();
    let mut map = branches.lock().expect("branches");
    for t in targets {
        let (w, h) = t
            .child
            .map(|(_, w, h)| (w, h))
            .or(t.link.as_ref().map(|l| l.size))
            .unwrap_or(HEADLESS_SIZE);
        let size_tee = match by_size.get(&(w, h)) {
            Some(tee) => tee.clone(),
            None => {
                let queue = gst::ElementFactory::make("queue")
                    .property("max-size-buffers", 3u32)
                    .build()?;
                let convert = gst::ElementFactory::make("videoconvert").build()?;
                let scale = gst::ElementFactory::make("videoscale")
                    .property("add-borders", true)
                    .build()?;
                let caps = gst::ElementFactory::make("capsfilter")
                    .property(
                        "caps",
                        gst::Caps::builder("video/x-raw")
                            .field("width", w as i32)
                            .field("height", h as i32)
                            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                            .build(),
                    )
                    .build()?;
                let size_tee = gst::ElementFactory::make("tee")
                    .property("allow-not-linked", true)
                    .build()?;
                let elements = [&queue, &convert, &scale, &caps, &size_tee];
                pipeline.add_many(elements)?;
                gst::Element::link_many(elements)?;
                let tee_pad = tee.request_pad_simple("src_%u").expect("tee request pad");
                tee_pad.link(&queue.static_pad("sink").expect("queue sink"))?;
                for e in elements {
                    e.sync_state_with_parent()?;
                }
                by_size.insert((w, h), size_tee.clone());
                size_tee
            }
        };
        let queue = gst::ElementFactory::make("queue")
            .property("max-size-buffers", 3u32)
            .build()?;
        let sink = match t.child {
            Some((xid, _, _)) => {
                let sink = gst::ElementFactory::make("ximagesink")
                    .property("handle-events", false)
                    .build()?;
                let overlay = sink
                    .clone()
                    .dynamic_cast::<gstreamer_video::VideoOverlay>()
                    .expect("ximagesink is an overlay");
                // SAFETY: `xid` is a window we created and destroy only after this sink is in Null.
                unsafe { overlay.set_window_handle(xid as usize) };
                sink
            }
            None => match &t.link {
                // Fed through a valve that is shut until the link shows this exhibit, so it must
                // not hold the pipeline's preroll (`async=false`).
                Some(link) => gst::ElementFactory::make("intervideosink")
                    .property("channel", &link.channel)
                    .property("async", false)
                    .build()?,
                None => gst::ElementFactory::make("fakesink")
                    .property("sync", true)
                    .build()?,
            },
        };
        // A video link's valve: closed (dropping) until the link shows this exhibit.
        let valve = t
            .link
            .as_ref()
            .map(|link| -> anyhow::Result<gst::Element> {
                let valve = gst::ElementFactory::make("valve")
                    .property("drop", true)
                    .build()?;
                let fresh = link.fresh.clone();
                valve.static_pad("src").expect("valve src pad").add_probe(
                    gst::PadProbeType::BUFFER,
                    move |_, info| {
                        if let Some(b) = info.buffer() {
                            fresh.passed(super::link::memory_address(b));
                        }
                        gst::PadProbeReturn::Ok
                    },
                );
                Ok(valve)
            })
            .transpose()?;
        // A recording with a transcript: its captions, drawn at this screen's size.
        let caption = captions
            .map(|c| super::captions::overlay(&t.screen, h, c))
            .transpose()?;
        let elements: Vec<&gst::Element> = std::iter::once(&queue)
            .chain(caption.as_ref())
            .chain(valve.as_ref())
            .chain(std::iter::once(&sink))
            .collect();
        pipeline.add_many(elements.iter().copied())?;
        gst::Element::link_many(elements.iter().copied())?;
        for e in &elements {
            e.sync_state_with_parent()?;
        }
        let target = t.clone();
        sink.static_pad("sink").expect("sink pad").add_probe(
            gst::PadProbeType::BUFFER,
            move |_, _| {
                target.frames.fetch_add(1, Ordering::Relaxed);
                let presented_at = target
                    .pending
                    .lock()
                    .expect("pending")
                    .remove(&target.screen);
                if let Some(t0) = presented_at {
                    (target.emit)(Event::FirstFrame {
                        exhibit: target.exhibit.clone(),
                        screen: target.screen.clone(),
                        latency_us: t0.elapsed().as_micros() as u64,
                    });
                }
                gst::PadProbeReturn::Ok
            },
        );
        let tee_pad = size_tee
            .request_pad_simple("src_%u")
            .expect("tee request pad");
        tee_pad.link(&queue.static_pad("sink").expect("queue sink"))?;
        map.insert(
            t.screen.clone(),
            Branch {
                child: t.child.map(|c| c.0),
                sink,
                queue: queue.clone(),
                valve,
            },
        );
    }
    drop(map);
    thumbnail_branch(pipeline, &tee, thumbs)?;
    for e in &chain {
        e.sync_state_with_parent()?;
    }
    Ok(Fanout {
        head: convert,
        crop,
    })
}

/// Reports stretches of decoded video that reach no screen: `(from, to)` in stream time, `to` being
/// `None` for "to the end" (the engine knows the duration).
pub(super) type GapReport = Arc<dyn Fn(gst::ClockTime, Option<gst::ClockTime>) + Send + Sync>;

/// Watches the decoded pictures entering `convert` for jumps in their timestamps (see `GAP`). A
/// segment (after a seek, a speed change, a clip) starts the watch again at its start; at the end of
/// the stream the last picture is compared with the segment's stop (a clip's out point), or with the
/// duration.
pub(super) fn watch_for_gaps(convert: &gst::Element, report: GapReport) {
    struct Watch {
        /// Where the last picture ended.
        covered: Option<gst::ClockTime>,
        stop: Option<gst::ClockTime>,
    }
    let watch = Mutex::new(Watch {
        covered: None,
        stop: None,
    });
    convert.static_pad("sink").expect("sink pad").add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| {
            let mut w = watch.lock().expect("gap watch");
            if let Some(buffer) = info.buffer() {
                if let Some(pts) = buffer.pts() {
                    if let Some(covered) = w.covered
                        && pts > covered + GAP
                    {
                        report(covered, Some(pts));
                    }
                    let end = pts + buffer.duration().unwrap_or(gst::ClockTime::ZERO);
                    w.covered = Some(w.covered.map_or(end, |c| c.max(end)));
                }
            } else if let Some(event) = info.event() {
                match event.view() {
                    gst::EventView::Segment(s) => {
                        let segment = s.segment().downcast_ref::<gst::ClockTime>();
                        w.covered = segment.and_then(|s| s.start());
                        w.stop = segment.and_then(|s| s.stop());
                    }
                    gst::EventView::FlushStop(_) => w.covered = None,
                    gst::EventView::Eos(_) => {
                        if let Some(covered) = w.covered {
                            match w.stop {
                                Some(stop) if stop > covered + GAP => report(covered, Some(stop)),
                                Some(_) => {}
                                None => report(covered, None),
                            }
                        }
                    }
                    _ => {}
                }
            }
            gst::PadProbeReturn::Ok
        },
    );
}

/// What an exhibit needs to send confidence thumbnails.
#[derive(Clone)]
pub(super) struct Thumbs {
    pub(super) exhibit: String,
    pub(super) enabled: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the exhibit is playing: then thumbnails are limited to 2 a second; paused, every new
    /// frame (a step, a seek, a zoom) is sent, since those come at the advocate's pace.
    pub(super) playing: Arc<std::sync::atomic::AtomicBool>,
    /// The last thumbnail sent, to send again when the surface asks for thumbnails while paused.
    pub(super) last: Arc<Mutex<Option<String>>>,
    pub(super) emit: Emit,
}

/// A playing exhibit sends at most one thumbnail per this.
pub(super) const THUMBNAIL_INTERVAL: Duration = Duration::from_millis(500);

/// `queue (leaky, 1 frame) ! videoconvert ! videoscale ! 192x108 ! jpegenc ! appsink` off the
/// exhibit's tee: one small JPEG for every screen that shows it. A pad probe in front passes at most
/// two frames a second while playing and none while playing unwatched (every frame while paused: those
/// come at the advocate's pace), so the scaler and encoder cost nothing most of the time. Not `videorate`: it holds each
/// frame back until the next arrives, so a paused still or a frame step would never show. The leaky
/// queue means a slow encoder can never hold up the screens, and the appsink is not `async`: the
/// exhibit's preroll never waits for a thumbnail.
pub(super) fn thumbnail_branch(
    pipeline: &gst::Pipeline,
    tee: &gst::Element,
    thumbs: &Thumbs,
) -> anyhow::Result<()> {
    let bin = gst::parse::bin_from_description(
        "queue name=thumbq leaky=downstream max-size-buffers=1 ! videoconvert ! \
         videoscale add-borders=true ! video/x-raw,width=192,height=108,pixel-aspect-ratio=1/1 ! \
         jpegenc quality=70 ! appsink name=thumb sync=false async=false max-buffers=1 drop=true",
        true,
    )?;
    let throttle = {
        let thumbs = thumbs.clone();
        let last_sent: Mutex<Option<Instant>> = Mutex::new(None);
        move |_: &gst::Pad, info: &mut gst::PadProbeInfo| {
            let mut last = last_sent.lock().expect("thumbnail clock");
            // Paused, every new frame is encoded even while the surface is not looking, so the
            // thumbnail sent when it looks again is the frame on the screens.
            let skip = thumbs.playing.load(Ordering::Relaxed)
                && (!thumbs.enabled.load(Ordering::Relaxed)
                    || last.is_some_and(|t| t.elapsed() < THUMBNAIL_INTERVAL));
            if skip {
                // Taken and handled rather than `Drop`: returning `Drop` here filled the log with
                // "gst_mini_object_unref: assertion 'mini_object != NULL'" (gstreamer-rs 0.25,
                // GStreamer 1.22).
                drop(info.take_buffer());
                return gst::PadProbeReturn::Handled;
            }
            *last = Some(Instant::now());
            gst::PadProbeReturn::Ok
        }
    };
    bin.by_name("thumbq")
        .and_then(|q| q.static_pad("sink"))
        .expect("thumbnail queue sink")
        .add_probe(gst::PadProbeType::BUFFER, throttle);
    let sink = bin
        .by_name("thumb")
        .expect("named appsink")
        .dynamic_cast::<gstreamer_app::AppSink>()
        .expect("an appsink");
    let send = {
        let thumbs = thumbs.clone();
        move |sample: Option<gst::Sample>| {
            if let Some(buf) = sample.as_ref().and_then(|s| s.buffer())
                && let Ok(map) = buf.map_readable()
            {
                use base64::Engine as _;
                let jpeg = base64::engine::general_purpose::STANDARD.encode(map.as_slice());
                *thumbs.last.lock().expect("last thumbnail") = Some(jpeg.clone());
                if thumbs.enabled.load(Ordering::Relaxed) {
                    (thumbs.emit)(Event::Thumbnail {
                        exhibit: thumbs.exhibit.clone(),
                        jpeg,
                    });
                }
            }
        }
    };
    let send2 = send.clone();
    sink.set_callbacks(
        gstreamer_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                send(s.pull_sample().ok());
                Ok(gst::FlowSuccess::Ok)
            })
            .new_preroll(move |s| {
                send2(s.pull_preroll().ok());
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    pipeline.add(&bin)?;
    let tee_pad = tee.request_pad_simple("src_%u").expect("tee request pad");
    tee_pad.link(&bin.static_pad("sink").expect("ghost sink"))?;
    bin.sync_state_with_parent()?;
    Ok(())
}

/// `audioconvert ! audioresample ! scaletempo ! volume ! level ! sink`, linked to `pad`.
/// A program's sound: its audio branch once built, and the level it must play at. One lock for both,
/// so a branch built on a streaming thread starts at the level the engine last set (the room's: a
/// cued exhibit's preroll, already processed when it plays, must not reach a muted room at 100%), and
/// a change from the engine reaches a branch built a moment later.
#[derive(Debug)]
pub(super) struct Sound {
    branch: Option<gst::glib::WeakRef<gst::Element>>,
    volume_element: Option<gst::glib::WeakRef<gst::Element>>,
    volume: f64,
    muted: bool,
}

impl Sound {
    pub(super) fn new(volume: f64, muted: bool) -> Sound {
        Sound {
            branch: None,
            volume_element: None,
            volume,
            muted,
        }
    }

    /// The level the room hears this program at; applied now if its branch exists, else when it is
    /// built.
    pub(super) fn set(&mut self, volume: f64, muted: bool) {
        (self.volume, self.muted) = (volume, muted);
        if let Some(v) = self.volume_element.as_ref().and_then(|w| w.upgrade()) {
            v.set_property("mute", muted);
            v.set_property("volume", volume);
        }
    }

    /// The audio branch (a bin), to tell an error from inside it.
    pub(super) fn branch(&self) -> Option<gst::Element> {
        self.branch.as_ref().and_then(|w| w.upgrade())
    }
}

/// `audioconvert ! audioresample ! scaletempo ! volume ! level ! sink` on a decoded sound pad, built at
/// the level `sound` holds.
pub(super) fn audio_chain(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    sink_name: &str,
    sound: &Mutex<Sound>,
    links: &[(String, String)],
) -> anyhow::Result<()> {
    let mut sound = sound.lock().expect("sound");
    // The room's speakers; and each video link (`screen`, `channel`) the exhibit may reach, through
    // a valve opened with its picture's (`Engine::show_on_links`).
    let to_links: String = links
        .iter()
        .map(|(screen, channel)| {
            format!(
                " room. ! queue ! valve name=linkaudio-{screen} drop=true ! interaudiosink channel={channel}-audio async=false"
            )
        })
        .collect();
    let out = if links.is_empty() {
        sink_name.to_owned()
    } else {
        format!("tee name=room ! queue ! {sink_name}{to_links}")
    };
    let bin = gst::parse::bin_from_description(
        &format!(
            "audioconvert ! audioresample ! scaletempo ! audioconvert ! volume name=volume volume={} mute={} ! level name=level post-messages=true interval=100000000 ! {out}",
            sound.volume, sound.muted
        ),
        true,
    )?;
    let volume = bin.by_name("volume").expect("named in the description");
    // Its sinks' EOS reaches the bus (`GstBinForwarded`): the moment the sound has been heard to
    // its end, which a sound-only exhibit's slate waits for. (The decoder's EOS comes as soon as it
    // has decoded the last buffer, which may hold seconds of sound.)
    bin.set_property("message-forward", true);
    pipeline.add(&bin)?;
    bin.sync_state_with_parent()?;
    pad.link(&bin.static_pad("sink").expect("ghost sink"))?;
    sound.branch = Some(bin.upcast_ref::<gst::Element>().downgrade());
    sound.volume_element = Some(volume.downgrade());
    Ok(())
}
