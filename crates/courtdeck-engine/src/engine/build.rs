//! Building a program (one loaded exhibit's pipeline), rebuilding it where it stood, presenting it
//! and tearing it down. The restriction rule's second check lives here: a branch is built only for a
//! screen that `may_show` the exhibit, so a screen that may not see it never gets a sink for it.
//!
//! ```text
//!                                                                   one per output size                          one per screen
//!                                                              ┌▶ queue ▶ videoconvert ▶ videoscale ▶ caps WxH ▶ tee ─┬▶ queue ▶ sink (BENCH)
//! uridecodebin  ─video▶ videoconvert ▶ videoflip(auto)         │                                                      └▶ queue ▶ sink (WITNESS)
//!   (file:// from        ▶ [imagefreeze] ▶ videocrop(zoom) ▶ tee ┼▶ … the next output size …
//!    the verified cache)                                       └▶ queue(leaky) ▶ ≤2 fps probe ▶ 192x108 ▶ jpegenc ▶ appsink (thumbnails)
//!               └audio▶ audioconvert ▶ audioresample ▶ scaletempo ▶ volume ▶ level ▶ audio sink
//! A recording with a transcript: each screen's `queue ▶ textoverlay (its captions) ▶ sink`.
//! audio-only exhibits: videotestsrc (black) ▶ textoverlay(title) ▶ timeoverlay ▶ tee …   (the slate)
//!
//! With no exhibit drawn on it a screen shows its window's background: black, or a slate (standby
//! after an engine restart, "exhibit unavailable" after an on-air failure) painted once as a pixmap.
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use courtdeck_core::{ErrorCode, ExhibitKind, OutputRole, Restriction, may_show};
use gstreamer as gst;
use gstreamer::prelude::*;

use super::parts::base::err;
use super::parts::beside;
use super::parts::captions::keep_captions;
use super::parts::document::DocumentFeed;
use super::parts::graph::{
    BranchTarget, GapReport, LinkTarget, PendingFirstFrames, Picture, Sound, Thumbs, audio_chain,
    video_fanout, watch_for_gaps,
};
use super::parts::live::{self as live_parts, Hold, LiveSpec, SignalWatch};
use super::parts::program::{Built, Program, Rebuild, Resume, Slot, Source};
use super::parts::slate::{Slate, slate_source};
use super::{Engine, MAX_REBUILDS, Msg, SILENT_SINK};
use crate::media;
use crate::placement::Placement;
use crate::protocol::{Event, LiveInput, OutputKind, WireError};

/// Hands memory freed by a torn-down pipeline back to the system. Decoders allocate large frame
/// pools on GStreamer's streaming threads; glibc keeps freed blocks in per-thread arenas, so without
/// this a kiosk that switches exhibits all day grows though nothing leaks.
pub(super) fn release_freed_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: glibc's malloc_trim only returns free heap pages to the kernel; it is thread-safe.
    unsafe {
        malloc_trim(0);
    }
}

impl Engine {
    /// `Command::Load`, its fields as sent.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn load(
        &mut self,
        exhibit: String,
        title: &str,
        path: &Path,
        kind: &str,
        restriction: &str,
        (pages, page): (Vec<[f64; 2]>, u32),
        captions: bool,
    ) -> Result<(), WireError> {
        let kind =
            ExhibitKind::parse(kind).map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        let restriction = Restriction::parse(restriction)
            .map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        if !path.is_absolute() {
            return Err(err(
                ErrorCode::NotCached,
                "playout only opens absolute paths in the verified cache",
            ));
        }
        let size = std::fs::metadata(path).map_err(|e| {
            err(
                ErrorCode::NotCached,
                format!(
                    "exhibit {exhibit} is not in the cache ({}): {e}",
                    path.display()
                ),
            )
        })?;
        if kind.capabilities().pages {
            if pages.is_empty() || page == 0 || page as usize > pages.len() {
                return Err(err(
                    ErrorCode::InvalidState,
                    format!(
                        "document {exhibit} has {} pages: page {page} cannot be shown",
                        pages.len()
                    ),
                ));
            }
        } else if !pages.is_empty() {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {exhibit} is not a document: it has no pages"),
            ));
        }
        if size.len() == 0 {
            return Err(err(
                ErrorCode::MediaCorrupt,
                format!("exhibit {exhibit} is an empty file"),
            ));
        }
        // Drop whatever was cued but not on air: one cue at a time keeps memory flat.
        if let Some(stale) = self.deck.take_cue() {
            self.teardown(stale);
        }
        if self.deck.is_on_air(&exhibit) {
            // Selecting what is on air: nothing to load.
            return Ok(());
        }
        let source = Source {
            title: title.to_owned(),
            path: path.to_owned(),
            kind,
            restriction,
            pages,
            page,
            captions: (captions && kind.has_timeline()).then(Default::default),
            beside: None,
            live: None,
        };
        self.build(exhibit, source, 0, None, Slot::Cue)
    }

    /// `Command::LoadLive`: a live source into the cue, playing and invisible (no preroll: a live
    /// picture has no first frame to wait for).
    pub(super) fn load_live(
        &mut self,
        id: String,
        label: String,
        input: LiveInput,
        restriction: &str,
        roles: &[String],
    ) -> Result<(), WireError> {
        let restriction = Restriction::parse(restriction)
            .map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        let roles = roles
            .iter()
            .map(|r| OutputRole::parse(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        if let LiveInput::Srt {
            listen, passphrase, ..
        } = &input
        {
            if listen
                .rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_err())
            {
                return Err(err(
                    ErrorCode::InvalidState,
                    format!("{label}: listen on HOST:PORT, not {listen:?}"),
                ));
            }
            if passphrase
                .as_ref()
                .is_some_and(|p| !(10..=64).contains(&p.0.chars().count()))
            {
                return Err(err(
                    ErrorCode::InvalidState,
                    format!("{label}: an SRT passphrase has 10 to 64 characters"),
                ));
            }
        }
        if let Some(stale) = self.deck.take_cue() {
            self.teardown(stale);
        }
        if self.deck.is_on_air(&id) {
            return Ok(());
        }
        let source = Source {
            title: label.clone(),
            path: std::path::PathBuf::new(),
            kind: ExhibitKind::Video,
            restriction,
            pages: Vec::new(),
            page: 1,
            captions: None,
            beside: None,
            live: Some(LiveSpec {
                label,
                input,
                roles,
            }),
        };
        self.build(id, source, 0, None, Slot::Cue)
    }

    /// Builds and prerolls the pipeline of `exhibit` into the deck's `slot` (the second half of
    /// `load`, which cues it; and a rebuild, which puts it back where it was).
    pub(super) fn build(
        &mut self,
        exhibit: String,
        source: Source,
        attempt: u32,
        resume: Option<Resume>,
        slot: Slot,
    ) -> Result<(), WireError> {
        let (title, path, kind, restriction) = (
            source.title.as_str(),
            source.path.as_path(),
            source.kind,
            source.restriction(),
        );
        // Side by side always starts with a seek, which is what puts the second recording at its
        // offset.
        let resume = resume.or_else(|| {
            source.beside.as_ref().map(|_| Resume {
                position: gst::ClockTime::ZERO,
                playing: false,
                rate: 1.0,
                clip_end: None,
            })
        });
        let seq = self.next_seq;
        self.next_seq += 1;
        let pipeline = gst::Pipeline::with_name(&format!("exhibit-{seq}"));
        let branches = Arc::new(Mutex::new(BTreeMap::new()));
        let has_audio = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let video_linked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let frame_duration = Arc::new(Mutex::new(Duration::from_millis(40)));
        let pending: PendingFirstFrames = Arc::new(Mutex::new(HashMap::new()));
        let sound = Arc::new(Mutex::new(Sound::new(self.volume, self.muted)));
        let expected = Arc::new(AtomicU8::new(0));
        // Fault injection for the watchdog's test: the first build's picture (a sound-only
        // exhibit's sound) stops arriving at this stream time, as a decoder that deadlocks would (a
        // rebuild is not frozen).
        let freeze_at = std::env::var("COURTDECK_FAULT_FREEZE_AT_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|_| attempt == 0 && resume.is_none())
            .map(gst::ClockTime::from_mseconds);

        // One branch per screen allowed to show this exhibit. Child windows are made here, on the engine
        // thread, and handed to the streaming thread that builds the sinks.
        let mut targets = Vec::new();
        for o in &self.outputs {
            // A live source also goes only to the roles the court gave it.
            if !o.may_show(restriction) || source.live.as_ref().is_some_and(|l| !l.admits(o.role)) {
                continue;
            }
            let child = match (&self.display, o.window) {
                (Some(d), Some((parent, w, h))) => match d.create_child(parent, w, h) {
                    Ok(win) => Some((win, w, h)),
                    Err(e) => {
                        // This screen cannot show it; the others still can.
                        tracing::warn!(screen = %o.spec.id, "cannot create a window: {e:#}");
                        None
                    }
                },
                _ => None,
            };
            if o.spec.kind == OutputKind::Window && child.is_none() {
                continue; // Never seen since Configure (reported then): rebuilt when it comes.
            }
            if o.spec.kind == OutputKind::Stream && o.link.is_none() {
                continue; // A video link that cannot be served (reported at Configure).
            }
            targets.push(BranchTarget {
                screen: o.spec.id.clone(),
                child,
                link: o.link.as_ref().map(|l| LinkTarget {
                    channel: l.channel.clone(),
                    size: l.size,
                    fresh: l.fresh.clone(),
                }),
                frames: o.frames.clone(),
                exhibit: exhibit.clone(),
                pending: pending.clone(),
                emit: self.emit.clone(),
            });
        }

        let gaps: GapReport = {
            let tx = Mutex::new(self.tx.clone());
            Arc::new(move |from, to| {
                let _ = tx.lock().expect("gap sender").send(Msg::Gap {
                    program: seq,
                    from,
                    to,
                });
            })
        };
        let signal = source.live.as_ref().map(|_| {
            let tx = Mutex::new(self.tx.clone());
            SignalWatch::new(Arc::new(move || {
                let _ = tx
                    .lock()
                    .expect("signal sender")
                    .send(Msg::Signal { program: seq });
            }))
        });
        let live = source.live.clone();
        let thumbs = Thumbs {
            exhibit: exhibit.clone(),
            enabled: self.thumbnails.clone(),
            playing: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            last: Arc::new(Mutex::new(None)),
            emit: self.emit.clone(),
        };
        // The largest screen it is drawn on: a document's pages are drawn for it.
        let screen_box = targets
            .iter()
            .map(|t| {
                t.child
                    .map(|(_, w, h)| (w, h))
                    .unwrap_or(super::HEADLESS_SIZE)
            })
            .fold((0u32, 0u32), |(bw, bh), (w, h)| {
                (bw.max(u32::from(w)), bh.max(u32::from(h)))
            });
        let screen_box = if screen_box.0 == 0 {
            (
                u32::from(super::HEADLESS_SIZE.0),
                u32::from(super::HEADLESS_SIZE.1),
            )
        } else {
            screen_box
        };
        let document = kind
            .capabilities()
            .pages
            .then(|| DocumentFeed::open(path.to_owned(), &source.pages, screen_box, source.page));
        let layer: super::parts::annotate::SharedLayer = Default::default();
        let captions = source.captions.clone();
        // The fan-out of a picture made here, before any data flows (a document's pages, an audio
        // exhibit's slate, a side-by-side composite): never a still to freeze, no gaps to watch.
        // The typed handles the program keeps: its decoder, and the zoom's crop (built with the
        // picture's fan-out, here or on a streaming thread).
        let decode = std::cell::OnceCell::new();
        let slate_src = std::cell::OnceCell::new();
        let crop: Arc<OnceLock<gst::Element>> = Default::default();
        let hold: Arc<OnceLock<Hold>> = Default::default();
        let fanout_here = |picture| {
            video_fanout(
                &pipeline,
                &targets,
                &branches,
                &frame_duration,
                picture,
                &thumbs,
                None,
                &layer,
                captions.as_ref(),
            )
            .map(|f| {
                let _ = crop.set(f.crop);
                if let Some(h) = f.hold {
                    let _ = hold.set(h);
                }
                f.head
            })
        };
        let audio_sink = if self.no_sound.is_some() {
            SILENT_SINK.to_owned()
        } else {
            self.audio_sink.clone()
        };
        let links: Vec<(String, String)> = targets
            .iter()
            .filter_map(|t| {
                t.link
                    .as_ref()
                    .map(|l| (t.screen.clone(), l.channel.clone()))
            })
            .collect();
        let build = || -> Result<(), anyhow::Error> {
            if let (
                Some(LiveSpec {
                    input:
                        LiveInput::TestPattern {
                            pattern,
                            width,
                            height,
                            fps,
                        },
                    ..
                }),
                Some(signal),
            ) = (&live, &signal)
            {
                // The capture card's stand-in: raw picture and sound, no decoder.
                let (video, audio) =
                    live_parts::test_pattern(&pipeline, pattern, (*width, *height, *fps))?;
                let out = video.static_pad("src").expect("caps src");
                signal.watch(&out);
                video.link(&fanout_here(Picture::Live)?)?;
                video_linked.store(true, Ordering::SeqCst);
                let pad = audio.static_pad("src").expect("audiotestsrc src");
                audio_chain(&pipeline, &pad, &audio_sink, &sound, &links)?;
                has_audio.store(true, Ordering::SeqCst);
                return Ok(());
            }
            if let (
                Some(LiveSpec {
                    input: LiveInput::Capture { device },
                    ..
                }),
                Some(signal),
            ) = (&live, &signal)
            {
                // A capture card or document camera: only these sources differ from the test
                // pattern's (its sound, where it has one, from the card on the same USB device).
                let Some((video, mode, node)) = live_parts::capture(&pipeline, device)? else {
                    // Unplugged: "no signal" until it is plugged in (`Engine::tick` looks).
                    tracing::info!(exhibit, device, "waiting for the capture device");
                    return Ok(());
                };
                let card = live_parts::capture_sound(&pipeline, &node);
                tracing::info!(
                    exhibit,
                    device,
                    mode = mode.describe(),
                    sound = card.as_ref().map(|s| s.property::<String>("device")),
                    "capturing"
                );
                signal.watch(&video.static_pad("src").expect("capture src"));
                video.link(&fanout_here(Picture::Live)?)?;
                video_linked.store(true, Ordering::SeqCst);
                if let Some(card) = card {
                    let pad = card.static_pad("src").expect("alsasrc src");
                    audio_chain(&pipeline, &pad, &audio_sink, &sound, &links)?;
                    has_audio.store(true, Ordering::SeqCst);
                }
                return Ok(());
            }
            if let Some(feed) = &document {
                // A document: its pages, drawn by poppler on their own thread, pushed as stills.
                let src = feed.source()?;
                pipeline.add(&src)?;
                let tee = fanout_here(Picture::Moving)?;
                src.link(&tee)?;
                video_linked.store(true, Ordering::SeqCst);
                expected.store(media::VIDEO, Ordering::SeqCst);
                return Ok(());
            }
            // Side by side: the compositor and its two inputs before any data flows, the second
            // recording's decoder, and the fan-out after the composite picture.
            let composite = match &source.beside {
                Some(b) if kind.capabilities().moving_picture => {
                    let c = beside::composite(&pipeline)?;
                    b.decoder(&pipeline, &c.sides[1])?;
                    c.output.link(&fanout_here(Picture::Moving)?)?;
                    watch_for_gaps(&c.sides[0], gaps.clone());
                    Some(c.sides[0].clone())
                }
                _ => None,
            };
            let decoder = match &live {
                Some(LiveSpec {
                    input:
                        LiveInput::Srt {
                            listen,
                            latency_ms,
                            passphrase,
                        },
                    ..
                }) => live_parts::srt_decoder(
                    listen,
                    *latency_ms,
                    passphrase.as_ref().map(|p| p.0.clone()),
                )?,
                _ => {
                    let uri = gst::glib::filename_to_uri(path, None)?;
                    gst::ElementFactory::make(media::decodebin())
                        .name("decode")
                        .property("uri", uri.as_str())
                        .build()?
                }
            };
            pipeline.add(&decoder)?;
            let _ = decode.set(decoder.clone());
            if live.is_none() && media::decodebin() == "uridecodebin3" {
                media::select_one_of_each(&decoder, kind.capabilities().picture, expected.clone());
            }
            let refuse = Mutex::new(self.tx.clone());
            media::guard_picture_size(
                pipeline.upcast_ref(),
                Arc::new(move |reason| {
                    let _ = refuse.lock().expect("refuse sender").send(Msg::Refuse {
                        program: seq,
                        reason,
                    });
                }),
            );
            // An exhibit with no picture of its own (a sound recording) is shown as a slate. The
            // slate never ends by itself: when the sound has ended (its sink's EOS,
            // `Engine::bus`), it is sent EOS too, so the pipeline ends (the surface sees the end; a
            // seek back plays again).
            if !kind.capabilities().picture {
                let slate = slate_source(title)?;
                if let Some(src) = slate
                    .clone()
                    .dynamic_cast::<gst::Bin>()
                    .ok()
                    .and_then(|b| b.by_name("slatesrc"))
                {
                    let _ = slate_src.set(src.downgrade());
                }
                pipeline.add(&slate)?;
                let tee = fanout_here(Picture::Moving)?;
                slate.link(&tee)?;
                video_linked.store(true, Ordering::SeqCst);
            }
            let pipeline_weak = pipeline.downgrade();
            let thumbs = thumbs.clone();
            let targets = targets.clone();
            let branches = branches.clone();
            let has_audio = has_audio.clone();
            let video_linked = video_linked.clone();
            let frame_duration = frame_duration.clone();
            let audio_sink = audio_sink.clone();
            let sound = sound.clone();
            let links = links.clone();
            let signal = signal.clone();
            let is_live = live.is_some();
            let gaps = gaps.clone();
            let layer = layer.clone();
            let captions = captions.clone();
            let is_image = kind.capabilities().still;
            let wants_video = kind.capabilities().picture;
            let crop = crop.clone();
            let hold = hold.clone();
            decoder.connect_pad_added(move |_, pad| {
                let Some(pipeline) = pipeline_weak.upgrade() else {
                    return;
                };
                // decodebin3 tags each pad with its stream; caps may not be fixed yet at pad-added.
                let stream_type = pad
                    .stream()
                    .map(|s| s.stream_type())
                    .unwrap_or(gst::StreamType::UNKNOWN);
                let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
                let name = caps
                    .structure(0)
                    .map(|s| s.name().to_string())
                    .unwrap_or_default();
                tracing::debug!(pad = %pad.name(), ?stream_type, caps = %name, "decoded pad");
                let is_video =
                    stream_type.contains(gst::StreamType::VIDEO) || name.starts_with("video/");
                let is_audio =
                    stream_type.contains(gst::StreamType::AUDIO) || name.starts_with("audio/");
                // The stream the exhibit's timeline follows: the picture, or a sound-only
                // exhibit's sound.
                let timeline = if wants_video { is_video } else { is_audio };
                if timeline && let Some(at) = freeze_at {
                    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
                        if info
                            .buffer()
                            .and_then(|b| b.pts())
                            .is_some_and(|pts| pts >= at)
                        {
                            // Held until the pipeline is torn down (its pads then flush).
                            while !pad.pad_flags().contains(gst::PadFlags::FLUSHING) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            return gst::PadProbeReturn::Drop;
                        }
                        gst::PadProbeReturn::Ok
                    });
                }
                let result = if is_video
                    && let Some(left) = &composite
                    && !video_linked.swap(true, Ordering::SeqCst)
                {
                    pad.link(&left.static_pad("sink").expect("convert sink"))
                        .map(|_| ())
                        .map_err(anyhow::Error::from)
                } else if is_video && wants_video && !video_linked.swap(true, Ordering::SeqCst) {
                    if let Some(signal) = &signal {
                        signal.watch(pad);
                    }
                    video_fanout(
                        &pipeline,
                        &targets,
                        &branches,
                        &frame_duration,
                        if is_live {
                            Picture::Live
                        } else if is_image {
                            Picture::Still
                        } else {
                            Picture::Moving
                        },
                        &thumbs,
                        (!is_image && !is_live).then(|| gaps.clone()),
                        &layer,
                        captions.as_ref(),
                    )
                    .and_then(|f| {
                        let _ = crop.set(f.crop);
                        if let Some(h) = f.hold {
                            let _ = hold.set(h);
                        }
                        let sink = f.head.static_pad("sink").expect("head has a sink pad");
                        pad.link(&sink)?;
                        Ok(())
                    })
                } else if is_audio && !has_audio.swap(true, Ordering::SeqCst) {
                    audio_chain(&pipeline, pad, &audio_sink, &sound, &links)
                } else {
                    Ok(())
                };
                if let Err(e) = result {
                    gst::element_error!(
                        pipeline,
                        gst::CoreError::Negotiation,
                        ("could not build the output branch: {e:#}")
                    );
                }
            });
            Ok(())
        };
        if let Err(e) = build() {
            let _ = pipeline.set_state(gst::State::Null);
            self.destroy_children(&targets);
            return Err(err(
                ErrorCode::DecoderMissing,
                format!("cannot build a player for {exhibit}: {e:#}"),
            ));
        }

        self.forward_bus(&pipeline, seq);
        // A live source plays at once (it never prerolls: PAUSED has no frame for it).
        let state = if live.is_some() {
            gst::State::Playing
        } else {
            gst::State::Paused
        };
        if pipeline.set_state(state).is_err() {
            // The bus carries the reason; it arrives as an Error and tears the program down.
            tracing::warn!(exhibit, "pipeline refused to pause");
        }
        tracing::info!(exhibit, seq, screens = targets.len(), "loading");
        let built = Built {
            seq,
            exhibit,
            pipeline,
            decode: decode.into_inner(),
            slate: slate_src.into_inner(),
            crop,
            hold,
            branches,
            allowed: targets.iter().map(|t| t.screen.clone()).collect(),
            pending_first_frames: pending,
            has_audio,
            video_linked,
            thumbs,
            windows: targets
                .iter()
                .filter_map(|t| t.child.map(|c| c.0))
                .collect(),
            frame_duration,
            loaded_at: Instant::now(),
            attempt,
            screen_box,
            document,
            layer,
            sound,
            expected,
            silent: self.no_sound.is_some(),
            signal,
        };
        let is_live = live.is_some();
        let mut program = Program::new(built, source.clone(), resume.filter(|_| !is_live));
        if is_live {
            // Nothing to wait for: it shows when its signal comes.
            program.mark_prerolled();
            program.set_playing(true);
        }
        if let Some(device) = program.capture_device()
            && program.pipeline.by_name("live-capture").is_none()
        {
            // Waiting for its card: the court (and the clerk's check) hear why there is no signal.
            (self.emit)(Event::Signal {
                source: program.exhibit.clone(),
                present: false,
                detail: Some(format!("the capture device {device} is not plugged in")),
                width: None,
                height: None,
            });
        }
        if let Some(replaced) = self.deck.put(slot, program) {
            self.teardown(replaced);
        }
        Ok(())
    }

    /// Rebuilds a program in place: the same file, route and zoom, picking up where it stood.
    /// - `Rebuild::Preroll`: a preroll that stalled or came up without its picture is rebuilt once,
    ///   quietly, before the court is told (a second try at a good local file succeeds).
    /// - `Rebuild::Stall`, `Rebuild::Sound`: an exhibit that froze while playing, or whose sound
    ///   output failed, is rebuilt at its position (at most `MAX_REBUILDS` times); the caller tells the
    ///   court. An on-air exhibit keeps its route.
    ///
    /// Returns false when it may not be rebuilt (again); the caller then gives up on it.
    pub(super) fn rebuild(&mut self, exhibit: &str, why: Rebuild) -> bool {
        let Some(p) = self.deck.find(exhibit) else {
            return false;
        };
        let allowed = match why {
            Rebuild::Preroll => p.attempt == 0,
            Rebuild::Stall | Rebuild::Sound | Rebuild::Source => p.rebuilds() < MAX_REBUILDS,
            Rebuild::Screens | Rebuild::Beside | Rebuild::Signal => true,
        };
        if !allowed {
            return false;
        }
        // An exhibit the advocate already pressed Play on keeps playing after any rebuild (a preroll
        // rebuild used to leave it paused on its first frame: a frozen picture and no word).
        // A frozen pipeline's position is the watchdog's last; a healthy one's is where it stands.
        let asked = || p.standing();
        let position = match why {
            Rebuild::Beside => asked().or(p.progress().map(|(at, _)| at)),
            _ => p.progress().map(|(at, _)| at).or_else(asked),
        };
        // A live source starts again from now: it has no position to resume.
        let resume = (!p.is_live() && (why != Rebuild::Preroll || p.playing())).then(|| Resume {
            position: position.unwrap_or(gst::ClockTime::ZERO),
            playing: p.playing(),
            rate: p.rate(),
            clip_end: p.clip_end(),
        });
        let (source, route, zoom, fit_width) = (
            p.source().clone(),
            p.route().to_vec(),
            p.zoom(),
            p.fit_width(),
        );
        let strokes = p.layer.lock().expect("annotation layer").strokes();
        let rebuilds = p.rebuilds()
            + u32::from(matches!(
                why,
                Rebuild::Stall | Rebuild::Sound | Rebuild::Source
            ));
        let attempt = if why == Rebuild::Preroll {
            1
        } else {
            p.attempt
        };
        let on_air = self.deck.is_on_air(exhibit);
        let slot = if on_air { Slot::OnAir } else { Slot::Cue };
        if why == Rebuild::Signal {
            tracing::info!(exhibit, "a fresh listener for the next caller");
        } else {
            tracing::warn!(exhibit, ?why, ?resume, "rebuilding the pipeline");
        }
        self.remove_program(exhibit);
        if let Err(e) = self.build(exhibit.to_owned(), source, attempt, resume, slot) {
            // Handled here: the program is gone, so the court must hear of it now.
            tracing::warn!(exhibit, "rebuild failed: {}", e.message);
            let route = if on_air { route } else { Vec::new() };
            self.announce_failure(exhibit, &route, ErrorCode::MediaCorrupt, e.message);
            return true;
        }
        if let Some(p) = self.deck.find_mut(exhibit) {
            p.layer.lock().expect("annotation layer").set(strokes);
            p.take_over(zoom, fit_width, rebuilds, on_air.then_some(route));
        }
        true
    }

    pub(super) fn present(&mut self, exhibit: &str, screens: Vec<String>) -> Result<(), WireError> {
        let idx = self.deck.slot_of(exhibit).ok_or_else(|| {
            err(
                ErrorCode::InvalidState,
                format!("exhibit {exhibit} is not loaded"),
            )
        })?;
        // Defence in depth: the core already checked this route; check again against our own branches,
        // which exist only for screens the restriction allows.
        for s in &screens {
            let output = self
                .outputs
                .iter()
                .find(|o| &o.spec.id == s)
                .ok_or_else(|| {
                    err(
                        ErrorCode::ScreenMissing,
                        format!("there is no screen called {s}"),
                    )
                })?;
            let source = self.deck[idx].source();
            if !may_show(source.restriction(), output.role)
                || source.live.as_ref().is_some_and(|l| !l.admits(output.role))
            {
                return Err(err(
                    ErrorCode::RestrictedRoute,
                    format!(
                        "exhibit {exhibit} may not be shown on {}",
                        output.spec.label
                    ),
                ));
            }
            if !self.deck[idx].allowed.contains(s) {
                if matches!(
                    output.placement,
                    Placement::Mismatch { .. } | Placement::Ambiguous { .. }
                ) || !output.may_show(self.deck[idx].source().restriction())
                {
                    return Err(err(
                        ErrorCode::ScreenMismatch,
                        format!(
                            "exhibit {exhibit} is restricted, and the {} screen's monitor is not known to be its own: check the screen's identity with the clerk",
                            output.spec.label
                        ),
                    ));
                }
                return Err(err(
                    ErrorCode::ScreenMissing,
                    format!("The {} screen is not connected.", output.spec.label),
                ));
            }
        }
        // The cued exhibit goes up; the one that was on air comes down.
        if let Some(Some(previous)) = self.deck.go_on_air(exhibit) {
            self.teardown(previous);
        }
        // Captions stay only on screens it still shows (the core's rule too).
        keep_captions(&self.deck[Slot::OnAir].source().captions, &screens);
        let now = Instant::now();
        {
            let p = &mut self.deck[Slot::OnAir];
            if !p.prerolled() {
                let mut pending = p.pending_first_frames.lock().expect("pending");
                for s in &screens {
                    pending.insert(s.clone(), now);
                }
            }
            p.set_route(screens);
        }
        // Whatever a slate said before is stale now: screens not in this route go black.
        self.set_slates(|_| None);
        self.apply_visibility();
        // A prerolled exhibit is on screen as soon as its windows are mapped and exposed.
        let p = &self.deck[Slot::OnAir];
        if p.prerolled() && p.has_picture() {
            let latency_us = now.elapsed().as_micros() as u64;
            for s in p.route() {
                (self.emit)(Event::FirstFrame {
                    exhibit: exhibit.to_owned(),
                    screen: s.clone(),
                    latency_us,
                });
            }
        }
        Ok(())
    }

    /// Tells the court an exhibit cannot be shown and tears it down. If it was on air, the screens
    /// that showed it put up the "exhibit unavailable" slate rather than going black unexplained.
    pub(super) fn give_up(&mut self, exhibit: &str, code: ErrorCode, message: String) {
        let route = self
            .deck
            .on_air()
            .filter(|p| p.exhibit == exhibit)
            .map(|p| p.route().to_vec())
            .unwrap_or_default();
        self.remove_program(exhibit);
        self.announce_failure(exhibit, &route, code, message);
    }

    /// Tells the court an exhibit (already torn down) cannot be shown; `route` is where it was on
    /// air, if it was: those screens get the "exhibit unavailable" slate.
    pub(super) fn announce_failure(
        &mut self,
        exhibit: &str,
        route: &[String],
        code: ErrorCode,
        message: String,
    ) {
        (self.emit)(Event::Error {
            exhibit: Some(exhibit.to_owned()),
            screen: None,
            error: err(code, message),
        });
        if !route.is_empty() {
            self.set_slates(|o| {
                if route.contains(&o.spec.id) && !o.blanked {
                    Some(Slate::Unavailable)
                } else {
                    o.slate
                }
            });
        }
    }

    pub(super) fn remove_program(&mut self, exhibit: &str) {
        if let Some(p) = self.deck.take(exhibit) {
            self.teardown(p);
        }
    }

    pub(super) fn teardown(&self, p: Program) {
        let _ = p.pipeline.set_state(gst::State::Null);
        if let Some(bus) = p.pipeline.bus() {
            bus.unset_sync_handler();
        }
        if let Some(d) = &self.display {
            for w in &p.windows {
                let _ = d.destroy(*w);
            }
        }
        tracing::debug!(exhibit = p.exhibit, "torn down");
        drop(p);
        release_freed_memory();
    }
}
