//! Captions on air: the restriction rule's check for a transcript's captions, and showing them on
//! chosen screens (the component itself, the overlay and the captions' state, is
//! `parts::captions`).

use courtdeck_core::{ErrorCode, Restriction};

use super::Engine;
use super::parts::base::err;
use super::parts::captions::transcript;
use crate::protocol::{WireCue, WireError};

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
        let Some(shared) = p.source().captions.clone() else {
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
            if !p.route().contains(s) {
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
        shared
            .lock()
            .expect("captions")
            .show(screens.into_iter().collect(), transcript);
        // A paused frame is pushed again so the change shows now; a playing one shows it next frame.
        super::parts::program::repush(p)
    }

    /// Takes captions off `screen` (blanked), or off every screen (`None`: Blank All, a re-route
    /// keeps those still routed via `keep_captions`).
    pub(super) fn drop_captions(&self, screen: Option<&str>) {
        for p in self.deck.programs() {
            if let Some(c) = &p.source().captions {
                c.lock().expect("captions").take_off(screen);
            }
        }
    }
}
