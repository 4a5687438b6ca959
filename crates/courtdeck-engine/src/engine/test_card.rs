//! The clerk's test card and test tone: each screen identified by a card with its name, and a tone
//! through the room's sound output, measured on the way out.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use courtdeck_core::ErrorCode;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use super::lifecycle::loudest_rms;
use super::{Engine, HEADLESS_SIZE, SILENT_SINK, err};
use crate::checks;
use crate::protocol::{CardReport, CardScreen, OutputKind, ToneReport, WireError};

impl Engine {
    /// The setup check's card and tone (see `Command::TestCard`). Blocks the engine for `seconds`
    /// (at most 8): nothing else is on the screens while the clerk runs checks.
    pub(super) fn test_card(
        &mut self,
        seconds: f64,
        identify: bool,
    ) -> Result<CardReport, WireError> {
        if self.deck.on_air().is_some() {
            return Err(err(
                ErrorCode::InvalidState,
                "an exhibit is on the screens: withdraw it before running the screen checks",
            ));
        }
        let seconds = seconds.clamp(0.5, 8.0);
        let pipeline = gst::Pipeline::new();
        let fail = |e: &dyn std::fmt::Display| err(ErrorCode::Internal, format!("test card: {e}"));
        struct Shown {
            screen: String,
            connected: bool,
            child: Option<(u32, u16, u16)>,
            frames: Arc<AtomicU64>,
            index: usize,
        }
        let mut shown = Vec::new();
        let mut link_clients = Vec::new();
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
                let client = super::link::client_bin(&o.spec, w, h).map_err(|e| fail(&e))?;
                pipeline.add(&client.0).map_err(|e| fail(&e))?;
                link_clients.push((o.spec.id.clone(), i, w, h, client.1));
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
                // SAFETY: the child window outlives the pipeline: it is destroyed after Null below.
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
        let started = Instant::now();
        if let Err(e) = pipeline.set_state(gst::State::Playing) {
            tone_error.get_or_insert(format!("the card and tone did not start: {e}"));
        }
        let bus = pipeline.bus().expect("pipeline bus");
        let mut rms_db: Option<f64> = None;
        let mut readbacks: HashMap<String, (bool, String)> = HashMap::new();
        let readback_at = Duration::from_secs_f64(seconds * 0.6);
        let mut read_back = false;
        while started.elapsed() < Duration::from_secs_f64(seconds) {
            if !read_back && started.elapsed() >= readback_at {
                read_back = true;
                if let Some(d) = &self.display {
                    for s in &shown {
                        let Some((win, w, h)) = s.child else { continue };
                        let mut ok = true;
                        let mut seen = Vec::new();
                        for (x, y, want) in checks::card_probes(identify, s.index, w, h) {
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
                        readbacks.insert(s.screen.clone(), (ok, seen.join("; ")));
                    }
                }
                // Each video link: the card as its stream's own client decoded it.
                for (screen, i, w, h, sink) in &link_clients {
                    let result = match sink.try_pull_sample(gst::ClockTime::from_seconds(2)) {
                        Some(sample) => {
                            let mut ok = true;
                            let mut seen = Vec::new();
                            for (x, y, want) in checks::card_probes(identify, *i, *w, *h) {
                                match super::link::average_rgb(&sample, x, y, 8) {
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
                            (ok, seen.join("; "))
                        }
                        None => (
                            false,
                            "nothing could be decoded from the stream: the link is not being served".into(),
                        ),
                    };
                    readbacks.insert(screen.clone(), result);
                }
            }
            let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(50)) else {
                continue;
            };
            match msg.view() {
                gst::MessageView::Element(e) => {
                    if let Some(db) = loudest_rms(e) {
                        rms_db = Some(rms_db.map_or(db, |m: f64| m.max(db)));
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
                    tone_error.get_or_insert(text);
                }
                _ => {}
            }
        }
        let _ = pipeline.set_state(gst::State::Null);
        // The links are black again: nothing is on air while the checks run.
        for o in self.outputs.iter_mut() {
            if let Some(l) = o.link.as_mut() {
                l.show(None);
                l.dark.store(true, Ordering::SeqCst);
            }
        }
        if let Some(d) = &self.display {
            for s in &shown {
                if let Some((win, _, _)) = s.child {
                    let _ = d.destroy(win);
                }
            }
            let _ = d.sync();
        }
        let screens = shown
            .into_iter()
            .map(|s| {
                let frames = s.frames.load(Ordering::Relaxed);
                let (readback_ok, detail) = match readbacks.remove(&s.screen) {
                    Some((ok, detail)) => (Some(ok), detail),
                    None if !s.connected => (None, "not connected".to_owned()),
                    None => (None, format!("{frames} frames reached the sink")),
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
        Ok(CardReport {
            screens,
            tone: ToneReport {
                sink: self.audio_sink.clone(),
                rms_db,
                error: tone_error,
            },
        })
    }
}
