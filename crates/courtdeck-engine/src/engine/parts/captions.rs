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

use courtdeck_core::ErrorCode;
use courtdeck_core::transcript::{Cue, Transcript};
use gstreamer as gst;
use gstreamer::prelude::*;

use super::base::err;
use crate::protocol::{WireCue, WireError};

/// The captions of one recording: its transcript (checked again here, as the core's type) and the
/// screens showing it.
#[derive(Debug, Default)]
pub(crate) struct CaptionState {
    transcript: Option<Transcript>,
    screens: BTreeSet<String>,
}

impl CaptionState {
    /// Shows captions on exactly `screens` (none: off everywhere); a new transcript replaces the
    /// one kept (captions turned off keep theirs, for turning on again).
    pub(in crate::engine) fn show(
        &mut self,
        screens: BTreeSet<String>,
        transcript: Option<Transcript>,
    ) {
        self.screens = screens;
        if transcript.is_some() {
            self.transcript = transcript;
        }
    }

    /// Takes captions off `screen`, or off every screen (`None`).
    pub(in crate::engine) fn take_off(&mut self, screen: Option<&str>) {
        match screen {
            Some(s) => {
                self.screens.remove(s);
            }
            None => self.screens.clear(),
        }
    }

    /// Keeps only the captions of screens in `route` (a re-route of the same recording).
    pub(in crate::engine) fn keep(&mut self, route: &[String]) {
        self.screens.retain(|s| route.contains(s));
    }

    /// Whether `screen` shows the captions.
    pub(in crate::engine) fn on(&self, screen: &str) -> bool {
        self.screens.contains(screen)
    }

    /// The caption at `ms` of the recording (`Transcript::cue_at`): the speaker, then the words.
    fn at(&self, ms: u64) -> Option<String> {
        let t = self.transcript.as_ref()?;
        let i = t.cue_at(Duration::from_millis(ms))?;
        Some(t.cues()[i].caption())
    }
}

/// `cues` as a transcript, refused as the store would refuse it.
pub(in crate::engine) fn transcript(cues: Vec<WireCue>) -> Result<Transcript, WireError> {
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
pub(in crate::engine) fn overlay(
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
            c.on(&screen)
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

/// Keeps only the captions of screens in `route` (a re-route of the same recording).
pub(in crate::engine) fn keep_captions(captions: &Option<SharedCaptions>, route: &[String]) {
    if let Some(c) = captions {
        c.lock().expect("captions").keep(route);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(from: u64, to: u64, text: &str) -> WireCue {
        WireCue {
            start_ms: from,
            end_ms: to,
            speaker: None,
            text: text.into(),
        }
    }

    /// The captions' state through its methods: shown on some screens, taken off one, kept only on a
    /// new route, the transcript kept while off; cues out of order refused as the store refuses them.
    #[test]
    fn captions_follow_their_screens_and_keep_their_transcript() {
        let mut c = CaptionState::default();
        let t = transcript(vec![cue(0, 1000, "One"), cue(1000, 2000, "Two")]).unwrap();
        c.show(
            ["bench", "witness", "public"].map(String::from).into(),
            Some(t),
        );
        assert!(c.on("bench") && c.on("witness") && c.on("public"));
        assert_eq!(c.at(1500).as_deref(), Some("Two"));
        c.take_off(Some("public"));
        assert!(!c.on("public") && c.on("bench"));
        c.keep(&["bench".to_owned()]);
        assert!(c.on("bench") && !c.on("witness"));
        c.take_off(None);
        assert!(!c.on("bench"));
        // Off, the transcript stays for the next time they are turned on.
        c.show(["bench".to_owned()].into(), None);
        assert_eq!(c.at(500).as_deref(), Some("One"));
        assert!(transcript(vec![cue(1000, 2000, "Two"), cue(0, 1000, "One")]).is_err());
    }
}
