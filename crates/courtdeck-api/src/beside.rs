//! Side by side: a second recording (another CCTV angle, body-worn video) composited beside the one
//! on air, on the same screens, played by the same transport with an offset between their clocks.
//! The core decides (every screen on air must be allowed both, `Presentation::set_beside`), playout
//! checks again and composes the picture (`Command::Beside`); each change is a custody record.

use courtdeck_audit::CustodyEvent;
use courtdeck_core::{ErrorCode, Exhibit, OnAir, may_show};
use courtdeck_playout::client::ClientEvent;
use courtdeck_playout::protocol::{BesideSpec, Command, Event};
use tokio::sync::broadcast::error::RecvError;

use crate::error::{ApiError, ApiResult};
use crate::hearing::{Change, find_exhibit, open_hearing, verified_path};
use crate::json::StageDto;
use crate::{Courtdeck, Session};

/// How long `set_beside` waits for the composed picture before it returns the stage as it is (the
/// preroll watchdog reports a program that never comes up).
const COMPOSED_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

fn on_air_recording(session: &Session) -> ApiResult<Exhibit> {
    let on = session.presentation.on_air().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "Nothing is on the screens. Present a recording first, then choose what goes beside it.",
        )
    })?;
    Ok(crate::hearing::exhibit_of(session, on)?.clone())
}

impl Courtdeck {
    /// Shows exhibit `reference` beside the recording on air, its clock `offset_ms` ahead of it (at
    /// the program's position `t` it shows its own `t + offset_ms`); `None` shows the one on air
    /// alone again. A new offset for the same exhibit moves it at once, where the program stands.
    /// Recorded as `beside_shown` (both exhibits, their hashes, the offset, the screens) and
    /// `beside_off`.
    pub async fn set_beside(&self, reference: Option<&str>, offset_ms: i64) -> ApiResult<StageDto> {
        if let Some(r) = reference {
            self.check_before_playing(r).await?;
        }
        // Another recording beside it (or none) is composed again: the stage is returned once the
        // new picture is on the screens, so the next tap (play, a step, a mark) acts on it.
        let mut events = self.playout.as_ref().map(|p| p.subscribe());
        let recomposed = {
            let session = self.session.lock().await;
            let on = session.presentation.on_air();
            on.map(|o| o.shown.to_string()).filter(|_| {
                on.and_then(|o| o.beside.as_ref())
                    .map(|b| b.exhibit.to_string())
                    != reference.map(str::to_owned)
            })
        };
        let reference = reference.map(str::to_owned);
        let stage = self
            .commit(move |session| {
                let open = open_hearing(session)?;
                let main = on_air_recording(session)?;
                let other = match &reference {
                    Some(r) => {
                        let e = find_exhibit(open, r)?.clone();
                        let path = verified_path(open, &e)?;
                        Some((e, path))
                    }
                    None => None,
                };
                let case = open.hearing.case_id.to_string();
                let asked = other.as_ref().map(|(e, _)| (e, offset_ms));
                if let Err(e) = session
                    .presentation
                    .clone()
                    .set_beside(&main, asked, &self.screens)
                {
                    if let (courtdeck_core::PresentationError::BesideRefused { .. }, Some((o, _))) =
                        (&e, &other)
                    {
                        self.audit(CustodyEvent::RouteRefused {
                            exhibit: o.reference.to_string(),
                            restriction: o.restriction.as_str().into(),
                            requested: None,
                            beside: Some(main.reference.to_string()),
                            reason: e.to_string(),
                        });
                    }
                    return Err(e.into());
                }
                let command = Command::Beside {
                    beside: other.as_ref().map(|(e, path)| BesideSpec {
                        exhibit: e.reference.to_string(),
                        path: path.display().to_string(),
                        restriction: e.restriction.as_str().into(),
                        offset_ms,
                    }),
                };
                Ok(Change {
                    command,
                    sync_screens: false,
                    reply: None,
                    apply: Box::new(move |session| {
                        let now = on_air_recording(session)?;
                        if now.reference != main.reference {
                            return Err(ApiError::new(
                                ErrorCode::InvalidState,
                                "Another exhibit went on the screens meanwhile.",
                            ));
                        }
                        let was = session.presentation.on_air().and_then(|o| o.beside.clone());
                        let asked = other.as_ref().map(|(e, _)| (e, offset_ms));
                        session
                            .presentation
                            .set_beside(&now, asked, &self.screens)?;
                        let on = session.presentation.on_air().expect("on air");
                        let screens: Vec<_> = self
                            .screens
                            .iter()
                            .filter(|s| on.screens.contains(&s.id))
                            .map(crate::audit::screen_shown)
                            .collect();
                        match &other {
                            Some((o, _)) => self.audit_for(
                                Some(&case),
                                CustodyEvent::BesideShown {
                                    exhibit: now.reference.to_string(),
                                    sha256: now.sha256.to_hex(),
                                    beside: o.reference.to_string(),
                                    beside_sha256: o.sha256.to_hex(),
                                    beside_restriction: o.restriction.as_str().into(),
                                    offset_ms,
                                    screens,
                                },
                            ),
                            None if was.is_some() => self.audit_for(
                                Some(&case),
                                CustodyEvent::BesideOff {
                                    exhibit: now.reference.to_string(),
                                    beside: was.map(|b| b.exhibit.to_string()),
                                },
                            ),
                            None => {}
                        }
                        Ok(())
                    }),
                })
            })
            .await?;
        if let (Some(exhibit), Some(rx)) = (recomposed, events.as_mut()) {
            let ready = async {
                loop {
                    match rx.recv().await {
                        Ok(ClientEvent::Playout(
                            Event::Prerolled { exhibit: x, .. }
                            | Event::Error {
                                exhibit: Some(x), ..
                            },
                        )) if x == exhibit => return,
                        Ok(ClientEvent::Restarting { .. }) | Err(RecvError::Closed) => return,
                        _ => {}
                    }
                }
            };
            if tokio::time::timeout(COMPOSED_WITHIN, ready).await.is_ok() {
                return Ok(self.stage().await);
            }
        }
        Ok(stage)
    }

    /// The hearing's recordings that may go beside `on`: its other videos, verified in the cache,
    /// that every screen it is on may show. None unless a video is on air.
    pub(crate) fn beside_candidates(&self, session: &Session, on: &OnAir) -> Vec<String> {
        let (Some(open), Some(exhibit)) = (session.open.as_ref(), on.exhibit()) else {
            return Vec::new();
        };
        if open
            .manifest
            .exhibit(exhibit)
            .is_none_or(|e| !e.kind.capabilities().moving_picture)
        {
            return Vec::new();
        }
        open.manifest
            .exhibits()
            .iter()
            .filter(|e| e.kind.capabilities().moving_picture && &e.reference != exhibit)
            .filter(|e| open.paths.contains_key(&e.reference))
            .filter(|e| {
                self.screens
                    .iter()
                    .filter(|s| on.screens.contains(&s.id))
                    .all(|s| may_show(e.restriction, s.role))
            })
            .map(|e| e.reference.to_string())
            .collect()
    }
}
