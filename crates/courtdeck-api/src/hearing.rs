//! The hearing the advocate works in: launching it, selecting and presenting exhibits (the core
//! decides, playout applies), blanking and withdrawing, and the stage the surface shows.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use courtdeck_core::{
    ErrorCode, Exhibit, ExhibitRef, Hearing, Presentation, Screen, ScreenId, Transport,
    default_route, may_show,
};
use courtdeck_playout::protocol::Command;

use crate::error::{ApiError, ApiResult};
use crate::fetch::reverify_hearing;
use crate::json::*;
use crate::listing::parse_case;
use crate::{CopyCheck, Courtdeck, OpenHearing, Session};

pub(crate) fn open_hearing(session: &Session) -> ApiResult<&OpenHearing> {
    session.open.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "No hearing is open. Launch one from today's list.",
        )
    })
}

pub(crate) fn find_exhibit<'a>(open: &'a OpenHearing, reference: &str) -> ApiResult<&'a Exhibit> {
    let r = ExhibitRef::parse(reference)
        .map_err(|e| ApiError::new(ErrorCode::InvalidState, e.to_string()))?;
    open.manifest.exhibit(&r).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("This hearing has no exhibit {reference}."),
        )
    })
}

/// An exhibit on air that is not in the open hearing (cannot happen: present takes it from there).
const NO_CONTROLS: ControlsDto = ControlsDto {
    transport: false,
    step: false,
    speed: false,
    sound: false,
    seek: false,
    zoom: false,
};

pub(crate) fn screen_dto(s: &Screen) -> ScreenDto {
    ScreenDto {
        id: s.id.to_string(),
        label: s.label.clone(),
        role: s.role.as_str().into(),
    }
}

impl Courtdeck {
    /// Launches a hearing: fetches what is missing, then opens it for the advocate. The cached copies
    /// are hashed again in the background (selecting an exhibit the background has not reached yet
    /// hashes it first); a copy that no longer matches is set aside and its exhibit is not presentable.
    pub async fn launch(self: &Arc<Self>, case_id: &str) -> ApiResult<HearingDto> {
        let case = parse_case(case_id)?;
        let today_list = self.today().await?;
        let card = today_list.hearings.iter().find(|h| h.case_id == case_id);
        let (manifest, problems) = self.fetch_case(case_id, false).await?;
        let hearing = Hearing {
            time: card
                .and_then(|c| jiff::civil::Time::strptime("%H:%M", &c.time).ok())
                .unwrap_or(jiff::civil::Time::midnight()),
            case_id: case,
            title: card
                .map(|c| c.title.clone())
                .unwrap_or_else(|| manifest.title.clone()),
            hearing_type: card.map(|c| c.hearing_type.clone()).unwrap_or_default(),
        };
        let paths: HashMap<ExhibitRef, PathBuf> = manifest
            .exhibits()
            .iter()
            .filter_map(|e| Some((e.reference.clone(), self.cache.verified_path(e)?)))
            .collect();
        let mut session = self.session.lock().await;
        if let Some(on) = session.presentation.on_air().cloned() {
            // A new hearing starts with clear screens.
            let _ = self.playout()?.request(Command::Withdraw).await;
            let _ = session.presentation.withdraw();
            tracing::info!(exhibit = %on.exhibit, "withdrawn for a new hearing");
        }
        session.presentation = Presentation::default();
        session.prerolled.clear();
        let to_check: Vec<Exhibit> = manifest
            .exhibits()
            .iter()
            .filter(|e| paths.contains_key(&e.reference))
            .cloned()
            .collect();
        let checks = to_check
            .iter()
            .map(|e| (e.reference.clone(), CopyCheck::default()))
            .collect();
        session.open = Some(OpenHearing {
            hearing,
            manifest,
            paths,
            problems,
            checks,
        });
        tokio::spawn(reverify_hearing(
            Arc::downgrade(self),
            case_id.to_owned(),
            to_check,
        ));
        tracing::info!(case = case_id, "hearing launched");
        *self.audit_case.lock().expect("not poisoned") = Some(case_id.to_owned());
        if let Some(open) = &session.open {
            self.audit(
                "hearing_launched",
                serde_json::json!({
                    "case": case_id,
                    "exhibits": open.manifest.exhibits().iter().map(|e| serde_json::json!({
                        "exhibit": e.reference.to_string(),
                        "sha256": e.sha256.to_hex(),
                        "verified_in_cache": open.paths.contains_key(&e.reference),
                    })).collect::<Vec<_>>(),
                }),
            );
        }
        let dto = self.hearing_dto(session.open.as_ref().expect("just set"));
        self.emit_stage(&session);
        Ok(dto)
    }

    pub async fn hearing(&self) -> ApiResult<Option<HearingDto>> {
        let session = self.session.lock().await;
        Ok(session.open.as_ref().map(|o| self.hearing_dto(o)))
    }

    pub(crate) fn hearing_dto(&self, open: &OpenHearing) -> HearingDto {
        HearingDto {
            case_id: open.hearing.case_id.to_string(),
            title: open.hearing.title.clone(),
            hearing_type: open.hearing.hearing_type.clone(),
            time: open.hearing.time.strftime("%H:%M").to_string(),
            exhibits: open
                .manifest
                .exhibits()
                .iter()
                .map(|e| ExhibitDto {
                    reference: e.reference.to_string(),
                    title: e.title.clone(),
                    kind: e.kind.as_str(),
                    media_type: e.media_type.clone(),
                    duration_ms: e.duration.map(|d| d.as_millis() as u64),
                    restriction: e.restriction.as_str(),
                    size: e.size,
                    sha256: e.sha256.to_hex(),
                    cached: open.paths.contains_key(&e.reference),
                    problem: open.problems.get(&e.reference).cloned(),
                    clips: e
                        .clips
                        .iter()
                        .map(|c| ClipDto {
                            label: c.label().into(),
                            start_ms: c.start().as_millis() as u64,
                            end_ms: c.end().as_millis() as u64,
                        })
                        .collect(),
                    allowed_screens: self
                        .screens
                        .iter()
                        .filter(|s| may_show(e.restriction, s.role))
                        .map(|s| s.id.to_string())
                        .collect(),
                    poster: self.poster_of(&e.sha256),
                })
                .collect(),
            screens: self.screens.iter().map(screen_dto).collect(),
        }
    }

    /// Selects an exhibit: it prerolls, paused on its first frame, invisible.
    pub async fn select(&self, reference: &str) -> ApiResult<StageDto> {
        // A copy not hashed again since launch is hashed now, outside the session lock (Blank All must
        // never wait for a hash).
        let check = {
            let session = self.session.lock().await;
            let open = open_hearing(&session)?;
            let exhibit = find_exhibit(open, reference)?;
            open.checks
                .get(&exhibit.reference)
                .map(|c| (open.hearing.case_id.to_string(), exhibit.clone(), c.clone()))
        };
        if let Some((case, exhibit, check)) = check {
            self.check_copy_once(&case, &exhibit, &check).await?;
        }
        let mut session = self.session.lock().await;
        let (exhibit, path) = {
            let open = open_hearing(&session)?;
            let exhibit = find_exhibit(open, reference)?.clone();
            let path = open.paths.get(&exhibit.reference).cloned().ok_or_else(|| {
                open.problems
                    .get(&exhibit.reference)
                    .cloned()
                    .unwrap_or_else(|| {
                        ApiError::new(
                            ErrorCode::NotCached,
                            format!("Exhibit {reference} is not in the cache yet."),
                        )
                    })
            })?;
            (exhibit, path)
        };
        self.playout()?
            .request(Command::Load {
                exhibit: exhibit.reference.to_string(),
                title: exhibit.title.clone(),
                path: path.display().to_string(),
                kind: exhibit.kind.as_str().into(),
                restriction: exhibit.restriction.as_str().into(),
            })
            .await?;
        let on_air = session.presentation.on_air().map(|o| o.exhibit.to_string());
        session.prerolled.retain(|e| Some(e) == on_air.as_ref());
        session.presentation.select(exhibit.reference);
        Ok(self.emit_stage(&session))
    }

    /// Shows the cued exhibit (or re-routes the one on air) on `screens`.
    pub async fn present(&self, screens: &[String]) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        let mut requested: BTreeSet<ScreenId> = screens
            .iter()
            .map(|s| {
                ScreenId::parse(s)
                    .map_err(|e| ApiError::new(ErrorCode::ScreenMissing, e.to_string()))
            })
            .collect::<ApiResult<_>>()?;
        // A disconnected screen must not stop the hearing: present on the others and say so.
        let unplugged: Vec<ScreenId> = requested
            .iter()
            .filter(|s| session.missing_screens.contains(s.as_str()))
            .cloned()
            .collect();
        for s in &unplugged {
            requested.remove(s);
        }
        if !unplugged.is_empty() {
            let labels: Vec<&str> = self
                .screens
                .iter()
                .filter(|s| unplugged.contains(&s.id))
                .map(|s| s.label.as_str())
                .collect();
            let _ = self.events.send(UiEvent::Notice {
                error: ApiError::new(
                    ErrorCode::ScreenMissing,
                    format!(
                        "Not shown on {}: not connected. The other screens show it.",
                        labels.join(", ")
                    ),
                ),
                exhibit: None,
            });
        }
        let target = session
            .presentation
            .cued()
            .or(session.presentation.on_air().map(|o| &o.exhibit))
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidState, "Choose an exhibit first."))?;
        let exhibit = find_exhibit(open_hearing(&session)?, &target.to_string())?.clone();
        // The core decides; only an accepted route is sent on.
        let mut next = session.presentation.clone();
        let route = match next.present(&exhibit, &requested, &self.screens) {
            Ok(on_air) => on_air.screens.clone(),
            Err(e) => {
                if matches!(e, courtdeck_core::PresentationError::Refused(_)) {
                    self.audit(
                        "route_refused",
                        serde_json::json!({
                            "exhibit": target.to_string(),
                            "restriction": exhibit.restriction.as_str(),
                            "requested": requested.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                            "reason": e.to_string(),
                        }),
                    );
                }
                return Err(e.into());
            }
        };
        self.playout()?
            .request(Command::Present {
                exhibit: target.to_string(),
                screens: route.iter().map(|s| s.to_string()).collect(),
            })
            .await?;
        session.presentation = next;
        tracing::info!(exhibit = %target, sha256 = %exhibit.sha256, screens = ?route, "presented");
        self.audit(
            "exhibit_presented",
            serde_json::json!({
                "case": session.open.as_ref().map(|o| o.hearing.case_id.to_string()),
                "exhibit": target.to_string(),
                "sha256": exhibit.sha256.to_hex(),
                "restriction": exhibit.restriction.as_str(),
                "screens": self.screens.iter().filter(|s| route.contains(&s.id)).map(|s| serde_json::json!({
                    "screen": s.id.to_string(), "label": s.label, "role": s.role.as_str(),
                })).collect::<Vec<_>>(),
            }),
        );
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    pub async fn blank(&self, screen: &str, blank: bool) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        let id = self
            .screens
            .iter()
            .find(|s| s.id.as_str() == screen)
            .map(|s| s.id.clone())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ScreenMissing,
                    format!("There is no screen called {screen}."),
                )
            })?;
        // A blank is honoured even while playout restarts: the supervisor hands it to the new engine.
        match self
            .playout()?
            .request(Command::Blank {
                screen: screen.into(),
                blank,
            })
            .await
        {
            Ok(_) => {}
            Err(e) if blank && e.code == ErrorCode::PlayoutRestarting => {}
            Err(e) => return Err(e.into()),
        }
        session.presentation.set_blank(id, blank);
        tracing::info!(screen, blank, "blank");
        self.audit(
            if blank {
                "screen_blanked"
            } else {
                "screen_unblanked"
            },
            serde_json::json!({ "screen": screen }),
        );
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    /// One tap: every screen black. Works even when playout is restarting (the supervisor hands the
    /// blanks to the new engine with its Configure).
    pub async fn blank_all(&self) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        tracing::info!("blank all");
        self.audit("blank_all", serde_json::json!({}));
        // The surface changes only once the screens did; a restarting engine gets the blanks when up.
        match self.playout()?.request(Command::BlankAll).await {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::PlayoutRestarting => {}
            Err(e) => return Err(e.into()),
        }
        session.presentation.blank_all(&self.screens);
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    pub async fn withdraw(&self) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        if session.presentation.on_air().is_none() && !session.slates.is_empty() {
            // Nothing on air but slates up: Withdraw takes them down (the screens go black).
            self.playout()?.request(Command::Withdraw).await?;
            tracing::info!("slates cleared");
            self.audit("slates_cleared", serde_json::json!({}));
            self.sync_screens(&mut session).await;
            return Ok(self.emit_stage(&session));
        }
        let mut next = session.presentation.clone();
        let exhibit = next.withdraw()?;
        self.playout()?.request(Command::Withdraw).await?;
        session.presentation = next;
        session.prerolled.remove(&exhibit.to_string());
        tracing::info!(exhibit = %exhibit, "withdrawn");
        self.audit(
            "exhibit_withdrawn",
            serde_json::json!({ "exhibit": exhibit.to_string() }),
        );
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    pub async fn stage(&self) -> StageDto {
        let session = self.session.lock().await;
        self.stage_dto(&session)
    }

    pub(crate) fn stage_dto(&self, session: &Session) -> StageDto {
        let p = &session.presentation;
        StageDto {
            case_id: session.open.as_ref().map(|o| o.hearing.case_id.to_string()),
            cued: p.cued().map(|e| e.to_string()),
            cued_ready: p
                .cued()
                .is_some_and(|e| session.prerolled.contains(&e.to_string())),
            default_targets: p
                .cued()
                .or(p.on_air().map(|o| &o.exhibit))
                .and_then(|r| session.open.as_ref()?.manifest.exhibit(r))
                .map(|e| {
                    default_route(e.restriction, &self.screens)
                        .into_iter()
                        .map(|s| s.to_string())
                        .filter(|s| !session.missing_screens.contains(s))
                        .collect()
                })
                .unwrap_or_default(),
            on_air: p.on_air().map(|o| OnAirDto {
                exhibit: o.exhibit.to_string(),
                screens: o.screens.iter().map(|s| s.to_string()).collect(),
                playing: o.transport == Transport::Playing,
                zoom: o.zoom.factor(),
                rate: o.speed.rate(),
                controls: session
                    .open
                    .as_ref()
                    .and_then(|h| h.manifest.exhibit(&o.exhibit))
                    .map(|e| e.kind.controls().into())
                    .unwrap_or(NO_CONTROLS),
            }),
            screens: self
                .screens
                .iter()
                .map(|s| ScreenStateDto {
                    screen: screen_dto(s),
                    blanked: p.blanked().contains(&s.id),
                    showing: p.showing(&s.id).map(|e| e.to_string()),
                    slate: session.slates.get(s.id.as_str()).cloned(),
                    connected: !session.missing_screens.contains(s.id.as_str()),
                })
                .collect(),
            playout: session.playout,
            sound: SoundDto {
                volume: session.sound.volume,
                muted: session.sound.muted,
            },
            custody: self.custody_problem(),
        }
    }

    pub(crate) fn emit_stage(&self, session: &Session) -> StageDto {
        let stage = self.stage_dto(session);
        let _ = self.events.send(UiEvent::Stage(stage.clone()));
        stage
    }
}
