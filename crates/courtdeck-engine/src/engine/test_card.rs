//! The clerk's test card and test tone: each screen identified by a card with its name, and a tone
//! through the room's sound output, measured on the way out.
//!
//! A state machine driven by the engine's loop, not a loop of its own: `start_card` puts the card up
//! and returns; the card's bus messages (the tone's levels, errors) arrive as `Msg::Bus` like a
//! program's; each tick reads the screens back once the card has settled and ends the card when its
//! time is up, answering the request then. Meanwhile the engine answers everything else: a Blank,
//! Blank All, Withdraw, Configure or Shutdown ends the card at once (screens not yet read back fail,
//! saying why); what would put an exhibit up waits its turn with a refusal.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use courtdeck_core::ErrorCode;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use super::parts::base::{HEADLESS_SIZE, err};
use super::parts::graph::loudest_rms;
use super::{Engine, SILENT_SINK, split};
use crate::checks;
use crate::protocol::{CardReport, CardScreen, Event, OutputKind, ToneReport, WireError};

/// How long a video link's own client may take, after the card has settled, to decode a frame of it.
const LINK_READBACK_GRACE: Duration = Duration::from_secs(2);

/// One screen under the card.
struct Shown {
    screen: String,
    connected: bool,
    child: Option<(u32, u16, u16)>,
    frames: Arc<AtomicU64>,
    index: usize,
}

/// A video link's client in the check, decoding the link's stream back.
struct LinkClient {
    screen: String,
    index: usize,
    size: (u16, u16),
    sink: gstreamer_app::AppSink,
}

/// A test card on the screens: what it needs to be read back, measured and answered.
pub(super) struct CardRun {
    /// The `TestCard` request to answer when it ends.
    request: u64,
    /// Its pipeline's bus messages arrive as `Msg::Bus { program: seq }`.
    pub(super) seq: u64,
    pipeline: gst::Pipeline,
    identify: bool,
    shown: Vec<Shown>,
    /// Links not read back yet.
    links: Vec<LinkClient>,
    started: Instant,
    length: Duration,
    readback_at: Duration,
    read_back: bool,
    rms_db: Option<f64>,
    readbacks: HashMap<String, (bool, String)>,
    tone_error: Option<String>,
}

impl Engine {
    /// Puts the setup check's card and tone up (see `Command::TestCard`) for `seconds` (at most 8);
    /// the request `request` is answered when it ends (`card_tick`, `stop_card`). Refused while an
    /// exhibit is on air or another card is up.
    pub(super) fn start_card(
        &mut self,
        request: u64,
        seconds: f64,
        identify: bool,
    ) -> Result<(), WireError> {
        if self.deck.on_air().is_some() {
            return Err(err(
                ErrorCode::InvalidState,
                "an exhibit is on the screens: withdraw it before running the screen checks",
            ));
        }
        if self.card.is_some() {
            return Err(err(
                ErrorCode::InvalidState,
                "the screen checks are already running",
            ));
        }
        let seconds = seconds.clamp(0.5, 8.0);
        let seq = self.next_seq;
        self.next_seq += 1;
        let pipeline = gst::Pipeline::with_name(&format!("test-card-{seq}"));
        let fail = |e: &dyn std::fmt::Display| err(ErrorCode::Internal, format!("test card: {e}"));
        let mut shown = Vec::new();
        let mut links = Vec::new();
        for (i, o) in self.outputs.iter().enumerate() {
            let frames = Arc::new(AtomicU64::new(0));
            let connected = o.is_shown();
            let child = match (&self.display, o.shown_window()) {
                (Some(d), Some((parent, w, h))) => {
                    d.create_child(parent, w, h).ok().map(|win| (win, w, h))
                }
                _ => None,
            };
            shown.push(Shown {
                screen: o.spec.id.clone(),
                connected,
                child,
                frames: frames.clone(),
                index: i,
            });
            if !connected || (o.spec.kind == OutputKind::Window && child.is_none()) {
                continue;
            }
            let (w, h) = child
                .map(|(_, w, h)| (w, h))
                .or(o.link.as_ref().map(|l| l.size))
                .unwrap_or(HEADLESS_SIZE);
            let pattern = if identify {
                format!(
                    "pattern=solid-color foreground-color={}",
                    checks::identify_colour(i).0
                )
            } else {
                "pattern=smpte".to_owned()
            };
            let (text, size, valign) = if identify {
                (o.spec.label.clone(), h / 5, "center")
            } else {
                (format!("{} · test card", o.spec.label), h / 14, "bottom")
            };
            // A video link shows the card through its own stream; a client here decodes it back.
            let link = o.link.as_ref();
            let sink = match (child, link) {
                (Some(_), _) => "ximagesink name=sink handle-events=false".to_owned(),
                (None, Some(l)) => format!("intervideosink name=sink channel={}", l.channel),
                (None, None) => "fakesink name=sink sync=true".to_owned(),
            };
            if let Some(l) = link {
                l.dark.store(false, Ordering::SeqCst);
                let (bin, sink) =
                    super::parts::link::client_bin(&o.spec, w, h).map_err(|e| fail(&e))?;
                pipeline.add(&bin).map_err(|e| fail(&e))?;
                links.push(LinkClient {
                    screen: o.spec.id.clone(),
                    index: i,
                    size: (w, h),
                    sink,
                });
            }
            let desc = format!(
                "videotestsrc is-live=true {pattern} ! video/x-raw,width={w},height={h},framerate=25/1 ! textoverlay text=\"{}\" font-desc=\"Sans Bold {}px\" valignment={valign} halignment=center shaded-background=true ! videoconvert ! {sink}",
                text.replace('"', "'"),
                size.max(12)
            );
            let bin = gst::parse::bin_from_description(&desc, false).map_err(|e| fail(&e))?;
            let sink_el = bin.by_name("sink").expect("named sink");
            if let Some((xid, _, _)) = child {
                let overlay = sink_el
                    .clone()
                    .dynamic_cast::<gstreamer_video::VideoOverlay>()
                    .expect("ximagesink is an overlay");
                // SAFETY: the child window outlives the pipeline: it is destroyed after Null
                // (`end_card`).
                unsafe { overlay.set_window_handle(xid as usize) };
            }
            sink_el.static_pad("sink").expect("sink pad").add_probe(
                gst::PadProbeType::BUFFER,
                move |_, _| {
                    frames.fetch_add(1, Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                },
            );
            pipeline.add(&bin).map_err(|e| fail(&e))?;
        }
        // Without a sound output the tone cannot be heard: the check fails with the reason (the
        // meter before the sink would otherwise pass it).
        let mut tone_error = self
            .no_sound
            .as_ref()
            .map(|why| format!("no sound output: {why}. Check the speakers and their cable"));
        let tone_sink = if self.no_sound.is_some() {
            SILENT_SINK
        } else {
            self.audio_sink.as_str()
        };
        let tone = format!(
            "audiotestsrc is-live=true wave=sine freq=1000 volume=0.25 ! audioconvert ! level name=tone-level post-messages=true interval=100000000 ! audioconvert ! audioresample ! {tone_sink}"
        );
        match gst::parse::bin_from_description(&tone, false) {
            Ok(bin) => pipeline.add(&bin).map_err(|e| fail(&e))?,
            Err(e) => {
                tone_error = Some(format!(
                    "the audio output {:?} cannot be built: {e}",
                    self.audio_sink
                ))
            }
        }
        if let Some(d) = &self.display {
            for s in &shown {
                if let Some((win, _, _)) = s.child {
                    let _ = d.map(win);
                }
            }
            let _ = d.sync();
        }
        self.forward_bus(&pipeline, seq);
        let started = Instant::now();
        if let Err(e) = pipeline.set_state(gst::State::Playing) {
            tone_error.get_or_insert(format!("the card and tone did not start: {e}"));
        }
        let length = Duration::from_secs_f64(seconds);
        self.card = Some(CardRun {
            request,
            seq,
            pipeline,
            identify,
            shown,
            links,
            started,
            length,
            readback_at: length.mul_f64(0.6),
            read_back: false,
            rms_db: None,
            readbacks: HashMap::new(),
            tone_error,
        });
        Ok(())
    }

    /// A message from the card's pipeline: the tone's level, or an error.
    pub(super) fn card_message(&mut self, message: &gst::Message) {
        let Some(card) = self.card.as_mut() else {
            return;
        };
        match message.view() {
            gst::MessageView::Element(e) => {
                if let Some(db) = loudest_rms(e) {
                    card.rms_db = Some(card.rms_db.map_or(db, |m: f64| m.max(db)));
                }
            }
            gst::MessageView::Error(e) => {
                let text = format!(
                    "{} (from {})",
                    e.error(),
                    e.src()
                        .map(|s| s.path_string().to_string())
                        .unwrap_or_default()
                );
                tracing::warn!("test card: {text}");
                card.tone_error.get_or_insert(text);
            }
            _ => {}
        }
    }

    /// Once the card has settled, reads each window back (X `GetImage`) and each video link (its own
    /// client's latest decoded frame, for as long as `LINK_READBACK_GRACE`); ends the card when its
    /// time is up.
    pub(super) fn card_tick(&mut self) {
        let Some(card) = self.card.as_mut() else {
            return;
        };
        let elapsed = card.started.elapsed();
        if elapsed >= card.readback_at {
            if !card.read_back {
                card.read_back = true;
                if let Some(d) = &self.display {
                    for s in &card.shown {
                        let Some((win, w, h)) = s.child else { continue };
                        let mut ok = true;
                        let mut seen = Vec::new();
                        for (x, y, want) in checks::card_probes(card.identify, s.index, w, h) {
                            match d.average_rgb(win, x, y, 8) {
                                Ok(rgb) => {
                                    ok &= checks::colour_matches(rgb, want);
                                    seen.push(format!("at {x},{y} saw {rgb:?}, expected {want:?}"));
                                }
                                Err(e) => {
                                    ok = false;
                                    seen.push(format!("could not read back: {e:#}"));
                                }
                            }
                        }
                        card.readbacks
                            .insert(s.screen.clone(), (ok, seen.join("; ")));
                    }
                }
            }
            let identify = card.identify;
            let readbacks = &mut card.readbacks;
            card.links.retain(|l| {
                let Some(sample) = l.sink.try_pull_sample(gst::ClockTime::ZERO) else {
                    return true; // not yet: the next tick tries again
                };
                let mut ok = true;
                let mut seen = Vec::new();
                for (x, y, want) in checks::card_probes(identify, l.index, l.size.0, l.size.1) {
                    match super::parts::link::average_rgb(&sample, x, y, 8) {
                        Some(rgb) => {
                            ok &= checks::colour_matches(rgb, want);
                            seen.push(format!(
                                "decoded from the stream, at {x},{y} saw {rgb:?}, expected {want:?}"
                            ));
                        }
                        None => {
                            ok = false;
                            seen.push("the decoded picture could not be read".into());
                        }
                    }
                }
                readbacks.insert(l.screen.clone(), (ok, seen.join("; ")));
                false
            });
        }
        let links_waited =
            card.links.is_empty() || elapsed >= card.readback_at + LINK_READBACK_GRACE;
        if elapsed >= card.length && links_waited {
            self.end_card(None);
        }
    }

    /// Ends a card that is up before its time, because `why` (a blank, a new configuration): the
    /// screens are freed now, and those not yet read back fail with the reason.
    pub(super) fn stop_card(&mut self, why: &str) {
        if self.card.is_some() {
            self.end_card(Some(why));
        }
    }

    /// Takes the card down and answers its request: `stopped` says why it ended early.
    fn end_card(&mut self, stopped: Option<&str>) {
        let Some(mut card) = self.card.take() else {
            return;
        };
        let _ = card.pipeline.set_state(gst::State::Null);
        // The links are black again: nothing is on air while the checks run.
        for o in self.outputs.iter_mut() {
            if let Some(l) = o.link.as_mut() {
                l.show(None);
                l.dark.store(true, Ordering::SeqCst);
            }
        }
        if let Some(d) = &self.display {
            for s in &card.shown {
                if let Some((win, _, _)) = s.child {
                    let _ = d.destroy(win);
                }
            }
            let _ = d.sync();
        }
        for l in card.links.drain(..) {
            let detail = match stopped {
                Some(why) => format!("the test card was stopped before it was read back: {why}"),
                None => {
                    "nothing could be decoded from the stream: the link is not being served".into()
                }
            };
            card.readbacks.insert(l.screen, (false, detail));
        }
        let screens = card
            .shown
            .into_iter()
            .map(|s| {
                let frames = s.frames.load(Ordering::Relaxed);
                let (readback_ok, detail) = match (card.readbacks.remove(&s.screen), stopped) {
                    (Some((ok, detail)), _) => (Some(ok), detail),
                    (None, _) if !s.connected => (None, "not connected".to_owned()),
                    (None, Some(why)) if s.child.is_some() => (
                        Some(false),
                        format!("the test card was stopped before it was read back: {why}"),
                    ),
                    (None, Some(why)) => (
                        None,
                        format!(
                            "{frames} frames reached the sink; the test card was stopped: {why}"
                        ),
                    ),
                    (None, None) => (None, format!("{frames} frames reached the sink")),
                };
                CardScreen {
                    screen: s.screen,
                    connected: s.connected,
                    frames,
                    readback_ok,
                    detail,
                }
            })
            .collect();
        let report = CardReport {
            screens,
            tone: ToneReport {
                sink: self.audio_sink.clone(),
                rms_db: card.rms_db,
                error: card.tone_error,
            },
        };
        let (error, data) = split(Ok(report));
        (self.emit)(Event::Reply {
            id: card.request,
            error,
            stats: None,
            data,
        });
    }
}
