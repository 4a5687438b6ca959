//! Captions: a recording's transcript drawn over its picture on chosen screens.
//!
//! A recording loaded with a transcript (`Command::Load { captions: true }`) gets a `textoverlay`
//! in each screen's branch, after the scaler (so the words are drawn at the screen's own size,
//! sharp at courtroom distance) and before the sink. A buffer probe in front of it looks up, for
//! each frame, the cue at the frame's own stream time and sets the overlay's text when it changes:
//! a caption changes with the picture it belongs to, whatever the speed, seek or step. Off, the
//! overlay is `silent` (frames pass untouched). What the screens show is `Captions`, shared with the
//! probes and kept across a rebuild (it lives in the program's `Source`).
//!
//! The restriction rule's check for captions is `Engine::captions`: every screen must show the
//! recording and be allowed by the *transcript's* restriction.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use courtdeck_core::transcript::{Cue, Transcript};
use courtdeck_core::{ErrorCode, Restriction};
use gstreamer as gst;
use gstreamer::prelude::*;

use super::{Engine, err};
use crate::protocol::{WireCue, WireError};

/// The captions of one recording: its transcript (checked again here, as the core's type) and the
/// screens showing it.
#[derive(Debug, Default)]
pub(crate) struct CaptionState {
    transcript: Option<Transcript>,
    screens: BTreeSet<String>,
}

impl CaptionState {
    /// The caption at `ms` of the recording (`Transcript::cue_at`): the speaker, then the words.
    fn at(&self, ms: u64) -> Option<String> {
        let t = self.transcript.as_ref()?;
        let i = t.cue_at(Duration::from_millis(ms))?;
        Some(t.cues()[i].caption())
    }
}

/// `cues` as a transcript, refused as the store would refuse it.
fn transcript(cues: Vec<WireCue>) -> Result<Transcript, WireError> {
    let invalid = |n: usize, e: courtdeck_core::InvalidValue| {
        err(
            ErrorCode::InvalidState,
            format!("caption {n}: {}", e.reason),
        )
    };
    let cues = cues
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            Cue::new(
                Duration::from_millis(c.start_ms),
                Duration::from_millis(c.end_ms),
                c.speaker,
                &c.text,
            )
            .map_err(|e| invalid(i + 1, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Transcript::new(cues).map_err(|(n, e)| invalid(n, e))
}

pub(crate) type SharedCaptions = Arc<Mutex<CaptionState>>;

/// The caption overlay of `screen`'s branch, `height` pixels high.
pub(super) fn overlay(
    screen: &str,
    height: u16,
    captions: &SharedCaptions,
) -> anyhow::Result<gst::Element> {
    // About 6% of the screen's height a line: 65 px on a 1080p screen, legible across a courtroom.
    let px = (u32::from(height) * 6 / 100).max(12);
    let overlay = gst::ElementFactory::make("textoverlay")
        .property("silent", true)
        .property("auto-resize", false)
        .property("font-desc", format!("Sans Bold {px}px"))
        .property_from_str("valignment", "bottom")
        .property_from_str("halignment", "center")
        .property_from_str("line-alignment", "center")
        .property_from_str("wrap-mode", "word")
        .property("ypad", i32::from(height / 16))
        .property("shaded-background", true)
        .property("shading-value", 170u32)
        .build()?;
    let pad = overlay
        .static_pad("video_sink")
        .ok_or_else(|| anyhow::anyhow!("textoverlay has no video_sink pad"))?;
    let (captions, screen) = (captions.clone(), screen.to_owned());
    let shown: Mutex<Option<String>> = Mutex::new(None);
    let weak = overlay.downgrade();
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let Some(pts) = info.buffer().and_then(|b| b.pts()) else {
            return gst::PadProbeReturn::Ok;
        };
        let stream_time = pad
            .sticky_event::<gst::event::Segment>(0)
            .and_then(|s| {
                s.segment()
                    .downcast_ref::<gst::ClockTime>()
                    .and_then(|seg| seg.to_stream_time(pts))
            })
            .unwrap_or(pts);
        let text = {
            let c = captions.lock().expect("captions");
            c.screens
                .contains(&screen)
                .then(|| c.at(stream_time.mseconds()))
                .flatten()
        };
        let mut shown = shown.lock().expect("shown caption");
        if *shown != text
            && let Some(overlay) = weak.upgrade()
        {
            match &text {
                Some(t) => {
                    // textoverlay reads Pango markup: the words are escaped, never markup.
                    overlay.set_property("text", gst::glib::markup_escape_text(t).as_str());
                    overlay.set_property("silent", false);
                }
                None => overlay.set_property("silent", true),
            }
            *shown = text;
        }
        gst::PadProbeReturn::Ok
    });
    Ok(overlay)
}

impl Engine {
    /// `Command::Captions`: the transcript's cues on `screens` of the recording on air (none: off).
    /// Refused whole when a screen does not show the recording or may not see the transcript.
    pub(super) fn captions(
        &mut self,
        restriction: &str,
        screens: Vec<String>,
        cues: Vec<WireCue>,
    ) -> Result<(), WireError> {
        let restriction = Restriction::parse(restriction)
            .map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        let p = self.on_air_program()?;
        let Some(shared) = p.source.captions.clone() else {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {} was loaded without a transcript", p.exhibit),
            ));
        };
        let mut refused = Vec::new();
        for s in &screens {
            let Some(o) = self.outputs.iter().find(|o| &o.spec.id == s) else {
                return Err(err(
                    ErrorCode::ScreenMissing,
                    format!("there is no screen called {s}"),
                ));
            };
            if !p.route.contains(s) {
                return Err(err(
                    ErrorCode::InvalidState,
                    format!("{} does not show exhibit {}", o.spec.label, p.exhibit),
                ));
            }
            if !o.may_show(restriction) {
                refused.push(o.spec.label.clone());
            }
        }
        if !refused.is_empty() {
            return Err(err(
                ErrorCode::RestrictedRoute,
                format!(
                    "the transcript is {} and its captions may not be shown on {}",
                    restriction.as_str(),
                    refused.join(", ")
                ),
            ));
        }
        let transcript = if screens.is_empty() {
            None
        } else {
            Some(transcript(cues)?)
        };
        {
            let mut c = shared.lock().expect("captions");
            c.screens = screens.into_iter().collect();
            if transcript.is_some() {
                c.transcript = transcript;
            }
        }
        // A paused frame is pushed again so the change shows now; a playing one shows it next frame.
        super::program::repush(p)
    }

    /// Takes captions off `screen` (blanked), or off every screen (`None`: Blank All, a re-route
    /// keeps those still routed via `keep_captions`).
    pub(super) fn drop_captions(&self, screen: Option<&str>) {
        for p in self.deck.programs() {
            if let Some(c) = &p.source.captions {
                let mut c = c.lock().expect("captions");
                match screen {
                    Some(s) => {
                        c.screens.remove(s);
                    }
                    None => c.screens.clear(),
                }
            }
        }
    }
}

/// Keeps only the captions of screens in `route` (a re-route of the same recording).
pub(super) fn keep_captions(captions: &Option<SharedCaptions>, route: &[String]) {
    if let Some(c) = captions {
        c.lock()
            .expect("captions")
            .screens
            .retain(|s| route.contains(s));
    }
}
