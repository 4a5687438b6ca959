//! Pure builders of pipeline pieces: the video fan-out, the audio chain, the thumbnail branch and
//! the gap probe. They get elements and settings and never see the `Engine`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use super::base::{Emit, GAP, HEADLESS_SIZE};
use crate::protocol::Event;

/// Per screen of one program.
pub(in crate::engine) struct Branch {
    pub(in crate::engine) child: Option<u32>,
    pub(in crate::engine) sink: gst::Element,
    /// The queue in front of the sink: empty while the sink waits means nothing is arriving (a
    /// freeze); full means the sink is waiting for the next frame's time (a gap in the recording).
    pub(in crate::engine) queue: gst::Element,
    /// A video link's valve: open only while the link shows this exhibit.
    pub(in crate::engine) valve: Option<gst::Element>,
}

/// Present times per screen, waiting for that screen's first buffer to report latency.
pub(in crate::engine) type PendingFirstFrames = Arc<Mutex<HashMap<String, Instant>>>;

/// What an exhibit's branch for a video link feeds.
#[derive(Clone)]
pub(in crate::engine) struct LinkTarget {
    pub(in crate::engine) channel: String,
    pub(in crate::engine) size: (u16, u16),
    pub(in crate::engine) fresh: Arc<super::link::Fresh>,
}

#[derive(Clone)]
pub(in crate::engine) struct BranchTarget {
    pub(in crate::engine) screen: String,
    /// Child window and its size; `None` for a headless output.
    pub(in crate::engine) child: Option<(u32, u16, u16)>,
    /// A video link's channel; `None` for windows and headless screens.
    pub(in crate::engine) link: Option<LinkTarget>,
    pub(in crate::engine) frames: Arc<AtomicU64>,
    pub(in crate::engine) exhibit: String,
    pub(in crate::engine) pending: PendingFirstFrames,
    pub(in crate::engine) emit: Emit,
}

/// A picture's fan-out, as `video_fanout` built it.
pub(in crate::engine) struct Fanout {
    /// Where the decoded picture goes in.
    pub(in crate::engine) head: gst::Element,
    /// The zoom's `videocrop`, for the program to hold (`Program::crop`).
    pub(in crate::engine) crop: gst::Element,
    /// A live picture's hold (`Picture::Live`).
    pub(in crate::engine) hold: Option<super::live::Hold>,
}

/// What kind of picture a fan-out carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::engine) enum Picture {
    /// A recording's frames.
    Moving,
    /// A still: one frame, repeated (`imagefreeze`) so that every screen and zoom gets frames.
    Still,
    /// A live source: its frames, and a hold block that can freeze one.
    Live,
}

/// Builds `videoconvert ! videoflip ! [imagefreeze] ! overlaycomposition ! videocrop ! tee` and one
/// branch per target (`queue ! [textoverlay] ! sink`, the text overlay for `captions`). The overlay
/// composition lays `layer`'s strokes over the picture.
#[allow(clippy::too_many_arguments)]
pub(in crate::engine) fn video_fanout(
    pipeline: &gst::Pipeline,
    targets: &[BranchTarget],
    branches: &Arc<Mutex<BTreeMap<String, Branch>>>,
    frame_duration: &Arc<Mutex<Duration>>,
    picture: Picture,
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
    if picture == Picture::Still {
        chain.push(gst::ElementFactory::make("imagefreeze").build()?);
    }
    // The telestrator's strokes, in the picture's own coordinates: before the crop, so they follow
    // zoom and pan; before the tee, so they reach exactly the screens the picture does. A live
    // picture's hold comes before both: zoom and strokes work on a held frame.
    let mut hold = None;
    // Everything made here, to start with the pipeline once linked.
    let mut made = Vec::new();
    if picture == Picture::Live {
        let (into, out, h) = super::live::Hold::build(pipeline)?;
        pipeline.add_many(&chain)?;
        gst::Element::link_many(&chain)?;
        chain.last().expect("flip").link(&into)?;
        made.append(&mut chain);
        made.extend(h.elements());
        chain.push(out);
        hold = Some(h);
    }
    let overlay = super::annotate::overlay(layer)?;
    chain.push(overlay);
    // Zoom and pan (`Command::Zoom`); passes frames through untouched while nothing is cropped.
    let crop = gst::ElementFactory::make("videocrop")
        .name("zoom")
        .build()?;
    chain.push(crop.clone());
    chain.push(tee.clone());
    // (After a hold block, its selector is already in the pipeline.)
    for e in &chain {
        if e.parent().is_none() {
            pipeline.add(e)?;
        }
    }
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
    for e in made.iter().chain(&chain) {
        e.sync_state_with_parent()?;
    }
    Ok(Fanout {
        head: convert,
        crop,
        hold,
    })
}

/// Reports stretches of decoded video that reach no screen: `(from, to)` in stream time, `to` being
/// `None` for "to the end" (the engine knows the duration).
pub(in crate::engine) type GapReport =
    Arc<dyn Fn(gst::ClockTime, Option<gst::ClockTime>) + Send + Sync>;

/// Watches the decoded pictures entering `convert` for jumps in their timestamps (see `GAP`). A
/// segment (after a seek, a speed change, a clip) starts the watch again at its start; at the end of
/// the stream the last picture is compared with the segment's stop (a clip's out point), or with the
/// duration.
pub(in crate::engine) fn watch_for_gaps(convert: &gst::Element, report: GapReport) {
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
pub(in crate::engine) struct Thumbs {
    pub(in crate::engine) exhibit: String,
    pub(in crate::engine) enabled: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the exhibit is playing: then thumbnails are limited to 2 a second; paused, every new
    /// frame (a step, a seek, a zoom) is sent, since those come at the advocate's pace.
    pub(in crate::engine) playing: Arc<std::sync::atomic::AtomicBool>,
    /// The last thumbnail sent, to send again when the surface asks for thumbnails while paused.
    pub(in crate::engine) last: Arc<Mutex<Option<String>>>,
    pub(in crate::engine) emit: Emit,
}

/// A playing exhibit sends at most one thumbnail per this.
pub(in crate::engine) const THUMBNAIL_INTERVAL: Duration = Duration::from_millis(500);

/// `queue (leaky, 1 frame) ! videoconvert ! videoscale ! 192x108 ! jpegenc ! appsink` off the
/// exhibit's tee: one small JPEG for every screen that shows it. A pad probe in front passes at most
/// two frames a second while playing and none while playing unwatched (every frame while paused: those
/// come at the advocate's pace), so the scaler and encoder cost nothing most of the time. Not `videorate`: it holds each
/// frame back until the next arrives, so a paused still or a frame step would never show. The leaky
/// queue means a slow encoder can never hold up the screens, and the appsink is not `async`: the
/// exhibit's preroll never waits for a thumbnail.
pub(in crate::engine) fn thumbnail_branch(
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
pub(in crate::engine) struct Sound {
    branch: Option<gst::glib::WeakRef<gst::Element>>,
    volume_element: Option<gst::glib::WeakRef<gst::Element>>,
    volume: f64,
    muted: bool,
}

impl Sound {
    pub(in crate::engine) fn new(volume: f64, muted: bool) -> Sound {
        Sound {
            branch: None,
            volume_element: None,
            volume,
            muted,
        }
    }

    /// The level the room hears this program at; applied now if its branch exists, else when it is
    /// built.
    pub(in crate::engine) fn set(&mut self, volume: f64, muted: bool) {
        (self.volume, self.muted) = (volume, muted);
        if let Some(v) = self.volume_element.as_ref().and_then(|w| w.upgrade()) {
            v.set_property("mute", muted);
            v.set_property("volume", volume);
        }
    }

    /// The audio branch (a bin), to tell an error from inside it.
    pub(in crate::engine) fn branch(&self) -> Option<gst::Element> {
        self.branch.as_ref().and_then(|w| w.upgrade())
    }
}

/// `audioconvert ! audioresample ! scaletempo ! volume ! level ! sink` on a decoded sound pad, built at
/// the level `sound` holds.
pub(in crate::engine) fn audio_chain(
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

/// The loudest channel's RMS (dBFS) in a `level` element message; `None` when it is not one, or
/// every channel is silent (-inf).
pub(in crate::engine) fn loudest_rms(message: &gst::message::Element) -> Option<f64> {
    let st = message.structure()?;
    if st.name() != "level" {
        return None;
    }
    let rms = st.get::<gst::glib::ValueArray>("rms").ok()?;
    rms.iter()
        .filter_map(|v| v.get::<f64>().ok())
        .filter(|db| db.is_finite())
        .reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use courtdeck_core::transcript::{Cue, Transcript};

    use super::*;
    use crate::engine::parts::captions::CaptionState;

    fn target(screen: &str, pending: &PendingFirstFrames, emit: &Emit) -> BranchTarget {
        BranchTarget {
            screen: screen.into(),
            child: None,
            link: None,
            frames: Arc::new(AtomicU64::new(0)),
            exhibit: "JS/1".into(),
            pending: pending.clone(),
            emit: emit.clone(),
        }
    }

    /// The fan-out makes a branch for exactly the screens it is given (the engine gives it only
    /// those `Output::may_show` allows), one scaler per size, a caption overlay in each branch when
    /// the recording has captions, and every branch gets every frame. A real pipeline, in this
    /// process: no playout process, no display.
    #[test]
    fn the_fan_out_feeds_exactly_its_screens() {
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let src = gst::ElementFactory::make("videotestsrc")
            .property("num-buffers", 12)
            .build()
            .unwrap();
        let caps = gst::ElementFactory::make("capsfilter")
            .property(
                "caps",
                gst::Caps::builder("video/x-raw")
                    .field("width", 320i32)
                    .field("height", 180i32)
                    .field("framerate", gst::Fraction::new(25, 1))
                    .build(),
            )
            .build()
            .unwrap();
        pipeline.add_many([&src, &caps]).unwrap();
        src.link(&caps).unwrap();
        let pending: PendingFirstFrames = Arc::new(Mutex::new(HashMap::new()));
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        let emit: Emit = Arc::new(move |e| seen.lock().unwrap().push(format!("{e:?}")));
        let targets = [
            target("bench", &pending, &emit),
            target("witness", &pending, &emit),
        ];
        pending
            .lock()
            .unwrap()
            .insert("bench".into(), Instant::now());
        let branches = Arc::new(Mutex::new(BTreeMap::new()));
        let captions = Arc::new(Mutex::new(CaptionState::default()));
        let cue = Cue::new(Duration::ZERO, Duration::from_secs(1), None, "Hello").unwrap();
        captions.lock().unwrap().show(
            BTreeSet::from(["bench".to_owned()]),
            Some(Transcript::new(vec![cue]).unwrap()),
        );
        let thumbs = Thumbs {
            exhibit: "JS/1".into(),
            enabled: Arc::new(false.into()),
            playing: Arc::new(false.into()),
            last: Arc::new(Mutex::new(None)),
            emit: emit.clone(),
        };
        let fanout = video_fanout(
            &pipeline,
            &targets,
            &branches,
            &Arc::new(Mutex::new(Duration::ZERO)),
            Picture::Moving,
            &thumbs,
            None,
            &Arc::new(Mutex::new(Default::default())),
            Some(&captions),
        )
        .unwrap();
        caps.link(&fanout.head).unwrap();

        let screens: Vec<String> = branches.lock().unwrap().keys().cloned().collect();
        assert_eq!(screens, ["bench", "witness"]);
        let factories = |name: &str| {
            pipeline
                .iterate_recurse()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.factory().is_some_and(|f| f.name() == name))
                .count()
        };
        assert_eq!(factories("fakesink"), 2, "one sink per screen");
        assert_eq!(factories("textoverlay"), 2, "a caption overlay per branch");
        assert_eq!(
            factories("videoscale"),
            2,
            "two screens of one size share a scaler (the other is the thumbnail's)"
        );
        assert_eq!(factories("appsink"), 1, "the thumbnail branch");

        pipeline.set_state(gst::State::Playing).unwrap();
        let bus = pipeline.bus().unwrap();
        let end = bus
            .timed_pop_filtered(
                gst::ClockTime::from_seconds(30),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            )
            .expect("the pipeline ends");
        assert!(matches!(end.view(), gst::MessageView::Eos(_)), "{end:?}");
        pipeline.set_state(gst::State::Null).unwrap();
        for t in &targets {
            assert_eq!(t.frames.load(Ordering::Relaxed), 12, "{}", t.screen);
        }
        let events = events.lock().unwrap();
        let first: Vec<&String> = events.iter().filter(|e| e.contains("FirstFrame")).collect();
        assert_eq!(
            first.len(),
            1,
            "latency reported for the screen presented on: {events:?}"
        );
        assert!(first[0].contains("bench"));
    }
}
