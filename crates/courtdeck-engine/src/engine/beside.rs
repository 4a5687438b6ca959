//! Side by side on air: putting a recording beside the one on air, a new offset, taking it away
//! (the component itself, the compositor and the shifted decoder, is `parts::beside`).

use std::path::PathBuf;

use courtdeck_core::{ErrorCode, Restriction};
use gstreamer as gst;

use super::Engine;
use super::parts::base::err;
use super::parts::beside::BesideSource;
use super::parts::program::{Rebuild, seek};
use crate::protocol::{BesideSpec, WireError};

impl Engine {
    /// `Command::Beside`.
    pub(super) fn beside(&mut self, spec: Option<BesideSpec>) -> Result<(), WireError> {
        let p = self.on_air_program()?;
        let exhibit = p.exhibit.clone();
        let Some(spec) = spec else {
            if p.source().beside.is_none() {
                return Ok(());
            }
            self.deck[super::parts::program::Slot::OnAir].set_beside(None);
            tracing::info!(exhibit, "side by side off");
            self.rebuild(&exhibit, Rebuild::Beside);
            return Ok(());
        };
        if !p.source().kind.capabilities().moving_picture {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {exhibit} is not a video: nothing can be shown beside it"),
            ));
        }
        if spec.exhibit == exhibit {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {exhibit} cannot be shown beside itself"),
            ));
        }
        let restriction = Restriction::parse(&spec.restriction)
            .map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        let path = PathBuf::from(&spec.path);
        if !path.is_absolute() {
            return Err(err(
                ErrorCode::NotCached,
                "playout only opens absolute paths in the verified cache",
            ));
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > 0 => {}
            Ok(_) => {
                return Err(err(
                    ErrorCode::MediaCorrupt,
                    format!("exhibit {} is an empty file", spec.exhibit),
                ));
            }
            Err(e) => {
                return Err(err(
                    ErrorCode::NotCached,
                    format!(
                        "exhibit {} is not in the cache ({}): {e}",
                        spec.exhibit,
                        path.display()
                    ),
                ));
            }
        }
        if spec.offset_ms.unsigned_abs() > courtdeck_core::MAX_BESIDE_OFFSET_MS as u64 {
            return Err(err(
                ErrorCode::InvalidState,
                "the two clocks may be set at most a day apart",
            ));
        }
        // The restriction rule again: every screen it is on must be allowed the second one too.
        let refused: Vec<String> = self
            .outputs
            .iter()
            .filter(|o| p.route().contains(&o.spec.id) && !o.may_show(restriction))
            .map(|o| o.spec.label.clone())
            .collect();
        if !refused.is_empty() {
            return Err(err(
                ErrorCode::RestrictedRoute,
                format!(
                    "exhibit {} is {} and may not be shown side by side on {}",
                    spec.exhibit,
                    restriction.as_str(),
                    refused.join(", ")
                ),
            ));
        }
        if let Some(b) = &p.source().beside
            && b.is(&spec.exhibit, &path)
        {
            // The same recording, its clock set again: a seek where the program stands.
            b.set_offset(spec.offset_ms);
            tracing::info!(
                exhibit,
                beside = spec.exhibit,
                spec.offset_ms,
                "side by side offset"
            );
            if !p.prerolled() {
                // Still being composed: the seek it prerolls with reads the new offset.
                return Ok(());
            }
            return seek(p, p.rate(), p.standing().unwrap_or(gst::ClockTime::ZERO));
        }
        tracing::info!(
            exhibit,
            beside = spec.exhibit,
            spec.offset_ms,
            "side by side"
        );
        self.deck[super::parts::program::Slot::OnAir].set_beside(Some(BesideSource::new(
            spec.exhibit,
            path,
            restriction,
            spec.offset_ms,
        )));
        self.rebuild(&exhibit, Rebuild::Beside);
        Ok(())
    }
}
