//! A program's life after it is built: its bus (errors, preroll, end of stream), gaps in its picture,
//! the engine's tick and the watchdogs (preroll and playback).

use std::sync::atomic::Ordering;
use std::time::Instant;

use courtdeck_core::ErrorCode;
use gstreamer as gst;
use gstreamer::prelude::*;

use super::parts::base::{GAP, err};
use super::parts::graph::{Branch, loudest_rms};
use super::parts::live;
use super::parts::program::{Rebuild, Slot, apply_zoom, not_a_recording, seek};
use super::{Engine, PREROLL_TIMEOUT, RETRY_AFTER, STALL_AFTER};
use crate::media;
use crate::protocol::Event;

impl Engine {
    pub(super) fn bus(&mut self, seq: u64, message: &gst::Message) {
        let Some(idx) = self.deck.slot_of_seq(seq) else {
            return;
        };
        use gst::MessageView;
        if self.deck[idx].is_live() {
            let exhibit = self.deck[idx].exhibit.clone();
            // A caller that hung up, a stream that ended: a fresh listener for the next caller.
            let left = live::caller_left(message) || matches!(message.view(), MessageView::Eos(_));
            if left && self.deck[idx].held() {
                // The held frame stays up; the fresh listener comes when it is released.
                self.deck[idx].mark_stale();
                (self.emit)(Event::Signal {
                    source: exhibit,
                    present: false,
                    detail: Some("the caller hung up".into()),
                    width: None,
                    height: None,
                });
                return;
            }
            if left {
                // Built again first, so that when the court hears of it a fresh listener is
                // already waiting for the laptop to call again.
                self.rebuild(&exhibit, Rebuild::Signal);
                (self.emit)(Event::Signal {
                    source: exhibit,
                    present: false,
                    detail: Some("the caller hung up".into()),
                    width: None,
                    height: None,
                });
                self.apply_visibility();
                return;
            }
            if matches!(message.view(), MessageView::Error(_))
                && let Some(device) = self.deck[idx].capture_device()
                && live::plugged_in(device).is_none()
            {
                // A capture device unplugged: not a fault. "No signal" until it is back
                // (`Engine::tick` builds it again then).
                let detail = format!("{device} was unplugged");
                tracing::info!(exhibit, device, "capture device unplugged");
                self.signal_changed(seq, false, Some(detail));
                self.rebuild(&exhibit, Rebuild::Signal);
                self.apply_visibility();
                return;
            }
            if let MessageView::Error(e) = message.view() {
                // What a laptop sends may be broken, and a port may be taken: never the end of the
                // source while it is rebuilt, until it fails `MAX_REBUILDS` times in a row.
                let why = e.error().to_string();
                tracing::warn!(exhibit, src = ?e.src().map(|s| s.name()), error = %why, debug = ?e.debug(), "live source error");
                self.signal_changed(seq, false, Some(why.clone()));
                if !self.rebuild(&exhibit, Rebuild::Source) {
                    self.give_up(
                        &exhibit,
                        ErrorCode::MediaCorrupt,
                        format!(
                            "{exhibit} cannot be shown: {}. Check the laptop's sender settings, or that nothing else uses its port, then select it again.",
                            why.trim_end_matches('.')
                        ),
                    );
                }
                return;
            }
        }
        match message.view() {
            // A live source found itself later than it said (`live::SourceLateness`).
            MessageView::Latency(_) => {
                let _ = self.deck[idx].pipeline.recalculate_latency();
            }
            MessageView::AsyncDone(_) => {
                let p = &mut self.deck[idx];
                // decodebin3 exposes the chosen streams one at a time, and the pipeline prerolls as
                // soon as the first one's sinks have a frame: a video whose sound came first would
                // be called prerolled with no picture (and rebuilt, and left paused). Adding the
                // next branch makes the pipeline preroll again; wait for that AsyncDone.
                let expected = p.expected.load(Ordering::SeqCst);
                let linked = (if p.video_linked.load(Ordering::SeqCst) {
                    media::VIDEO
                } else {
                    0
                }) | (if p.has_audio.load(Ordering::SeqCst) {
                    media::AUDIO
                } else {
                    0
                });
                if !p.prerolled() && expected & !linked != 0 {
                    tracing::debug!(
                        exhibit = p.exhibit,
                        expected,
                        linked,
                        "prerolled before every stream was linked; waiting"
                    );
                    return;
                }
                if p.prerolled() {
                    p.realign();
                } else {
                    p.mark_prerolled();
                    let duration = if !p.source().kind.has_timeline() {
                        None
                    } else {
                        p.duration()
                    };
                    let has_video = p.video_linked.load(Ordering::SeqCst);
                    if !has_video && p.source().kind.capabilities().picture {
                        let exhibit = p.exhibit.clone();
                        if self.rebuild(&exhibit, Rebuild::Preroll) {
                            return;
                        }
                        let message = format!(
                            "Exhibit {exhibit} has no picture that this kiosk can decode. The file may be damaged. Other exhibits still play."
                        );
                        self.give_up(&exhibit, ErrorCode::MediaCorrupt, message);
                        return;
                    }
                    if (p.zoom().is_some() || p.fit_width().is_some())
                        && let Err(e) = apply_zoom(p)
                    {
                        tracing::warn!(exhibit = p.exhibit, "zoom: {}", e.message);
                    }
                    if let Some(r) = p.take_resume() {
                        // A rebuild picks up where the old pipeline stood.
                        p.set_rate(r.rate);
                        p.set_clip_end(r.clip_end);
                        if let Err(e) = seek(p, r.rate, r.position) {
                            tracing::warn!(exhibit = p.exhibit, "resume: {}", e.message);
                        }
                        if r.playing {
                            let _ = p.pipeline.set_state(gst::State::Playing);
                            p.set_playing(true);
                            p.thumbs.playing.store(true, Ordering::Relaxed);
                        }
                    }
                    (self.emit)(Event::Prerolled {
                        exhibit: p.exhibit.clone(),
                        duration_ms: duration,
                        has_video,
                        has_audio: p.has_audio.load(Ordering::SeqCst),
                    });
                    if let Some(why) = &self.no_sound
                        && p.has_audio.load(Ordering::SeqCst)
                    {
                        (self.emit)(Event::Warning {
                            exhibit: p.exhibit.clone(),
                            error: err(
                                ErrorCode::AudioUnavailable,
                                format!(
                                    "No sound output: exhibit {} plays without sound ({why}). Check the speakers and their cable, then ask the clerk to run the setup checks.",
                                    p.exhibit
                                ),
                            ),
                        });
                    }
                    // If Present came before the first frame, the branches did not exist yet: show them
                    // now, and report the screens still waiting (their preroll frame is on the sink).
                    let exhibit = p.exhibit.clone();
                    let waiting: Vec<(String, Instant)> = p
                        .pending_first_frames
                        .lock()
                        .expect("pending")
                        .drain()
                        .collect();
                    if self.deck.is_on_air(&exhibit) {
                        self.apply_visibility();
                        for (screen, t0) in waiting {
                            (self.emit)(Event::FirstFrame {
                                exhibit: exhibit.clone(),
                                screen,
                                latency_us: t0.elapsed().as_micros() as u64,
                            });
                        }
                    }
                }
            }
            MessageView::Eos(_) => {
                let p = &mut self.deck[idx];
                p.set_at_out_point(p.clip_end().is_some());
                p.set_playing(false);
                p.thumbs.playing.store(false, Ordering::Relaxed);
                let _ = p.pipeline.set_state(gst::State::Paused);
                (self.emit)(Event::Eos {
                    exhibit: p.exhibit.clone(),
                });
            }
            // The meter after volume and mute: what the room hears. Silence is -inf: -120.
            MessageView::Element(e)
                if e.src().is_some_and(|s| s.name() == "level")
                    && e.structure().is_some_and(|st| st.has_field("rms"))
                    && idx == Slot::OnAir =>
            {
                (self.emit)(Event::Level {
                    exhibit: self.deck[idx].exhibit.clone(),
                    rms_db: loudest_rms(e).unwrap_or(-120.0).max(-120.0),
                });
            }
            MessageView::Element(e)
                if e.structure().is_some_and(|s| s.name() == "GstBinForwarded") =>
            {
                // The sound's sink has played to its end: a sound-only exhibit's slate ends too.
                let sound_ended = e
                    .structure()
                    .and_then(|s| s.get::<gst::Message>("message").ok())
                    .is_some_and(|m| m.type_() == gst::MessageType::Eos);
                if sound_ended
                    && let Some(src) = self.deck[idx].slate.as_ref().and_then(|w| w.upgrade())
                {
                    src.send_event(gst::event::Eos::new());
                }
            }
            MessageView::Element(e) if gstreamer_pbutils::MissingPluginMessage::is(e) => {
                // A typical missing-plugin note precedes the error; remember it for the error text.
                if let Some(s) = e.structure() {
                    let detail = gstreamer_pbutils::MissingPluginMessage::parse(e)
                        .map(|m| m.description().to_string())
                        .unwrap_or_else(|_| s.to_string());
                    let p = &self.deck[idx];
                    let exhibit = p.exhibit.clone();
                    // No decoder for text/html or application/zip means it is no recording at all.
                    let (code, message) = match media::not_media(&p.source().path) {
                        Some(what) => (ErrorCode::NotMedia, not_a_recording(&exhibit, what)),
                        None => (
                            ErrorCode::DecoderMissing,
                            format!(
                                "Exhibit {exhibit} cannot play here: this kiosk has no {detail}. Ask the clerk to install it or to obtain the exhibit in another format."
                            ),
                        ),
                    };
                    self.give_up(&exhibit, code, message);
                }
            }
            MessageView::Error(e) => {
                let p = &self.deck[idx];
                let gerr = e.error();
                let from_audio = p
                    .sound
                    .lock()
                    .expect("sound")
                    .branch()
                    .zip(e.src())
                    .is_some_and(|(bin, src)| src.has_as_ancestor(&bin));
                if from_audio && !p.silent {
                    // The speakers went (a device unplugged, a sound server gone): the picture is the
                    // evidence, so it plays on without sound and the court is told. (A cued exhibit
                    // built before the loss meets it later: the same.)
                    let exhibit = p.exhibit.clone();
                    let why = gerr.to_string();
                    tracing::warn!(exhibit, error = %why, "the sound output failed");
                    self.no_sound.get_or_insert(why);
                    // The rebuilt program says "no sound output" once it has prerolled.
                    if self.rebuild(&exhibit, Rebuild::Sound) {
                        return;
                    }
                }
                let p = &self.deck[idx];
                let code = if gerr.matches(gst::StreamError::CodecNotFound) {
                    ErrorCode::DecoderMissing
                } else if gerr.matches(gst::ResourceError::NotFound)
                    || gerr.matches(gst::ResourceError::OpenRead)
                {
                    ErrorCode::NotCached
                } else if gerr.matches(gst::StreamError::TypeNotFound)
                    || gerr.matches(gst::StreamError::Decode)
                    || gerr.matches(gst::StreamError::Demux)
                    || gerr.matches(gst::StreamError::Format)
                    || gerr.matches(gst::StreamError::WrongType)
                {
                    ErrorCode::MediaCorrupt
                } else {
                    ErrorCode::Internal
                };
                let advice = match code {
                    ErrorCode::MediaCorrupt => {
                        "The file may be damaged. Other exhibits still play."
                    }
                    ErrorCode::DecoderMissing => {
                        "This kiosk cannot decode it. Other exhibits still play."
                    }
                    _ => "Other exhibits still play.",
                };
                let src = e.src().map(|s| s.name().to_string()).unwrap_or_default();
                tracing::warn!(exhibit = p.exhibit, %src, error = %gerr, debug = ?e.debug(), "playback error");
                let exhibit = p.exhibit.clone();
                let reason = gerr.to_string();
                // A file GStreamer cannot even type is often no recording at all (a web page saved
                // as .mp4): say what it is rather than call it damaged.
                let what = gerr
                    .matches(gst::StreamError::TypeNotFound)
                    .then(|| media::not_media(&p.source().path))
                    .flatten();
                let code = if what.is_some() {
                    ErrorCode::NotMedia
                } else {
                    code
                };
                let message = match what {
                    Some(what) => not_a_recording(&exhibit, what),
                    None => format!(
                        "Exhibit {exhibit} cannot play: {}. {advice}",
                        reason.trim_end_matches('.')
                    ),
                };
                self.give_up(&exhibit, code, message);
            }
            _ => {}
        }
    }

    /// A live source's picture came or went (`seq` is its program): the court is told, its windows
    /// follow (`apply_visibility`), and the screens it is presented on show "no signal" while it is
    /// gone (`draw_slates`). The signal watch has already changed (the probe, `lost_by_now`, `lose`).
    pub(super) fn signal_changed(&mut self, seq: u64, present: bool, detail: Option<String>) {
        let Some(idx) = self.deck.slot_of_seq(seq) else {
            return;
        };
        let p = &self.deck[idx];
        if !present && let Some(s) = &p.signal {
            s.lose();
        }
        tracing::info!(source = p.exhibit, present, ?detail, "signal");
        let size = p.signal.as_ref().and_then(|s| s.size()).filter(|_| present);
        (self.emit)(Event::Signal {
            source: p.exhibit.clone(),
            present,
            detail,
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        });
        if present && self.deck.is_on_air(&p.exhibit) {
            for screen in p.route() {
                (self.emit)(Event::FirstFrame {
                    exhibit: p.exhibit.clone(),
                    screen: screen.clone(),
                    latency_us: 0,
                });
            }
        }
        self.apply_visibility();
    }

    /// A damaged stretch: say so, with where it is; the exhibit plays on (what is left is evidence).
    pub(super) fn gap(&mut self, seq: u64, from: gst::ClockTime, to: Option<gst::ClockTime>) {
        let Some(p) = self.deck.iter().find(|p| p.seq == seq) else {
            return;
        };
        let end = to.or_else(|| p.duration().map(gst::ClockTime::from_mseconds));
        let Some(end) = end else { return };
        if end <= from + GAP {
            return; // the last frame ended within a second of the end: nothing missing
        }
        let at = |t: gst::ClockTime| format!("{}:{:02}", t.seconds() / 60, t.seconds() % 60);
        let exhibit = p.exhibit.clone();
        tracing::warn!(exhibit, from = %from, to = %end, "a stretch of video reached no screen");
        (self.emit)(Event::Warning {
            exhibit: exhibit.clone(),
            error: err(
                ErrorCode::MediaCorrupt,
                format!(
                    "Exhibit {exhibit} is damaged from {} to {}: that part could not be decoded and was not shown. The rest of it plays.",
                    at(from),
                    at(end)
                ),
            ),
        });
    }

    pub(super) fn tick(&mut self) {
        // A file can stall its decoder without an error (a truncated MP4 whose index is missing, say):
        // never leave the court with a black screen and no word. Give up on it, say why, move on.
        let slow: Vec<String> = self
            .deck
            .iter()
            .filter(|p| !p.prerolled() && p.attempt == 0 && p.loaded_at.elapsed() > RETRY_AFTER)
            .map(|p| p.exhibit.clone())
            .collect();
        for exhibit in slow {
            self.rebuild(&exhibit, Rebuild::Preroll);
        }
        let stalled: Vec<String> = self
            .deck
            .iter()
            .filter(|p| {
                // A rebuilt program gets what is left of the first attempt's time.
                let limit = if p.attempt == 0 {
                    PREROLL_TIMEOUT
                } else {
                    PREROLL_TIMEOUT - RETRY_AFTER
                };
                !p.prerolled() && p.loaded_at.elapsed() > limit
            })
            .map(|p| p.exhibit.clone())
            .collect();
        for exhibit in stalled {
            tracing::warn!(exhibit, "no first frame within {PREROLL_TIMEOUT:?}");
            let message = format!(
                "Exhibit {exhibit} did not start within {} seconds. The file may be damaged or incomplete. Other exhibits still play.",
                PREROLL_TIMEOUT.as_secs()
            );
            self.give_up(&exhibit, ErrorCode::MediaCorrupt, message);
        }
        let stopped: Vec<u64> = self
            .deck
            .iter()
            .filter(|p| p.signal.as_ref().is_some_and(|s| s.lost_by_now()))
            .map(|p| p.seq)
            .collect();
        for seq in stopped {
            let detail = format!("no picture for {} ms", live::LOST_AFTER.as_millis());
            self.signal_changed(seq, false, Some(detail));
        }
        // A capture device that was not plugged in, plugged in now: its source is built again and
        // the picture comes by itself (a stat and a sysfs listing a tick).
        let plugged: Vec<String> = self
            .deck
            .iter()
            .filter(|p| {
                p.capture_device().is_some_and(|d| {
                    p.pipeline.by_name("live-capture").is_none() && live::plugged_in(d).is_some()
                })
            })
            .map(|p| p.exhibit.clone())
            .collect();
        for exhibit in plugged {
            tracing::info!(exhibit, "the capture device is plugged in");
            self.rebuild(&exhibit, Rebuild::Signal);
            self.apply_visibility();
        }
        self.watch_playback();
        let Ok(p) = self.on_air_program() else { return };
        if !p.prerolled() || !p.source().kind.has_timeline() || p.is_live() {
            return;
        }
        let pos = match p.clip_end() {
            Some(end) if p.at_out_point() => Some(end),
            _ => p.standing(),
        };
        if let Some(pos) = pos {
            (self.emit)(Event::Position {
                exhibit: p.exhibit.clone(),
                position_ms: pos.mseconds(),
                duration_ms: p.duration(),
                playing: p.playing(),
                rate: p.rate(),
            });
        }
    }

    /// The playback watchdog: a playing exhibit whose picture (each routed screen's sink) or, for a
    /// sound-only exhibit, whose sound (its branch's sink, not the slate's) has not moved for
    /// `STALL_AFTER` has frozen. A frozen picture is never
    /// silent: the court is told, and the exhibit is rebuilt where it stood (`MAX_REBUILDS` times,
    /// then given up with the reason). A sink reports no position past the last frame it was given,
    /// so a picture that stops arriving stops its position even while the sound plays on; a held
    /// frame of a variable-frame-rate recording lasts its duration, so it is not a freeze.
    pub(super) fn watch_playback(&mut self) {
        let Ok(p) = self.on_air_program_mut() else {
            return;
        };
        if !p.prerolled()
            || !p.playing()
            || !p.source().kind.has_timeline()
            || p.resuming()
            || p.is_live()
        {
            p.set_progress(None);
            return;
        }
        // A recording with a gap in its timestamps (motion-triggered CCTV) holds its picture too,
        // but it is no freeze: the sink waits for its next frame's time (its position moves on with
        // the clock) and the next frames wait in its queue. As a second guard, only a sink whose
        // queue is empty (nothing is arriving) counts as frozen.
        let (position, starved) = if !p.source().kind.capabilities().picture {
            // The sound's own sink: the pipeline's position is the slate's too, whose picture goes on
            // moving when the sound stops.
            let branch = p.sound.lock().expect("sound").branch();
            (
                branch.and_then(|b| b.query_position::<gst::ClockTime>()),
                true,
            )
        } else {
            let branches = p.branches.lock().expect("branches");
            let routed: Vec<&Branch> = p.route().iter().filter_map(|s| branches.get(s)).collect();
            (
                routed
                    .iter()
                    .filter_map(|b| b.sink.query_position::<gst::ClockTime>())
                    .min(),
                routed
                    .iter()
                    .any(|b| b.queue.property::<u32>("current-level-buffers") == 0),
            )
        };
        let Some(position) = position else { return };
        let since = match p.progress() {
            Some((last, since)) if last == position && starved => since,
            _ => {
                p.set_progress(Some((position, Instant::now())));
                return;
            }
        };
        if since.elapsed() < STALL_AFTER {
            return;
        }
        let exhibit = p.exhibit.clone();
        let at = format!("{}:{:02}", position.seconds() / 60, position.seconds() % 60);
        tracing::warn!(exhibit, %position, "playback froze");
        if self.rebuild(&exhibit, Rebuild::Stall) {
            (self.emit)(Event::Warning {
                exhibit: exhibit.clone(),
                error: err(
                    ErrorCode::PlaybackStalled,
                    format!(
                        "Exhibit {exhibit} froze at {at} and was restarted from there. If it freezes again, ask the clerk to run the setup checks."
                    ),
                ),
            });
        } else {
            self.give_up(
                &exhibit,
                ErrorCode::PlaybackStalled,
                format!(
                    "Exhibit {exhibit} keeps freezing at {at} and cannot be played on this kiosk. Other exhibits still play."
                ),
            );
        }
    }
}
