//! The hearing the advocate works in: launching it, selecting and presenting exhibits (the core
//! decides, playout applies), blanking and withdrawing, and the stage the surface shows.

use courtdeck_audit::CustodyEvent;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use courtdeck_core::{
    ErrorCode, Exhibit, ExhibitRef, Hearing, Item, OnAir, Presentation, Screen, ScreenId, Shown,
    Transport, default_live_route, default_route, may_show,
};
use courtdeck_playout::protocol::Command;

use crate::error::{ApiError, ApiResult};
use crate::fetch::reverify_hearing;
use crate::json::*;
use crate::listing::parse_case;
use crate::screens::apply_screen_states;
use crate::{CopyCheck, Courtdeck, OpenHearing, Session, today};

pub(crate) fn open_hearing(session: &Session) -> ApiResult<&OpenHearing> {
    session.open.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "No hearing is open. Launch one from today's list.",
        )
    })
}

/// Where exhibit's verified copy is, or why it cannot be played (not cached yet, a copy that failed
/// its check).
pub(crate) fn verified_path(open: &OpenHearing, exhibit: &Exhibit) -> ApiResult<PathBuf> {
    open.paths.get(&exhibit.reference).cloned().ok_or_else(|| {
        open.problems
            .get(&exhibit.reference)
            .cloned()
            .unwrap_or_else(|| {
                ApiError::new(
                    ErrorCode::NotCached,
                    format!("Exhibit {} is not in the cache yet.", exhibit.reference),
                )
            })
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

/// The exhibit `on` shows, as the hearing's manifest says. A live source is none: it has no
/// timeline, pages, clips, transcript or side by side.
pub(crate) fn exhibit_of<'a>(session: &'a Session, on: &OnAir) -> ApiResult<&'a Exhibit> {
    match &on.shown {
        Shown::Exhibit(r) => find_exhibit(open_hearing(session)?, &r.to_string()),
        Shown::Live(_) => Err(ApiError::new(
            ErrorCode::InvalidState,
            "A live picture is on the screens: it cannot be paused, sought or slowed, and has no pages, clips or transcript. Hold freezes it; Withdraw ends it.",
        )),
    }
}

/// An exhibit on air that is not in the open hearing (cannot happen: present takes it from there).
const NO_CONTROLS: ControlsDto = ControlsDto {
    transport: false,
    step: false,
    speed: false,
    sound: false,
    seek: false,
    zoom: false,
    pages: false,
    annotate: false,
};

/// How a change is taken into the session once playout did it.
pub(crate) type Apply<'a> = Box<dyn FnOnce(&mut Session) -> ApiResult<()> + Send + 'a>;

/// A change to the room as the core decided it (`Courtdeck::commit`).
pub(crate) struct Change<'a> {
    /// What playout must do; nothing is taken into the session unless it did.
    pub(crate) command: Command,
    /// Takes the change into the session as it is by then.
    pub(crate) apply: Apply<'a>,
    /// Whether the screens' slates are read back from playout afterwards.
    pub(crate) sync_screens: bool,
    /// Where playout's reply data goes, for a change whose result playout works out (the strokes
    /// of `Annotate` in points of the picture); `apply` reads it.
    pub(crate) reply: Option<ReplySlot>,
}

pub(crate) type ReplySlot = std::sync::Arc<std::sync::Mutex<Option<serde_json::Value>>>;

/// What a Present acts on: the cued exhibit or source, else the one on air.
fn presenting(p: &Presentation) -> Option<Shown> {
    p.cued().or(p.on_air().map(|o| &o.shown)).cloned()
}

/// The controls a live source on air offers: zoom always; strokes once held; its sound when it
/// carries some (a laptop's stream; a capture card's sound is not taken yet).
fn live_controls(kind: courtdeck_core::LiveKind, held: bool) -> ControlsDto {
    ControlsDto {
        zoom: true,
        annotate: held,
        sound: kind == courtdeck_core::LiveKind::Stream,
        ..NO_CONTROLS
    }
}

/// What a Present acts on, as the hearing or the configuration describes it (owned: it goes into
/// the change that playout applies).
pub(crate) enum Showing {
    Exhibit(Box<Exhibit>),
    Live(crate::config::ConfiguredSource),
}

impl Courtdeck {
    /// What is on air, as the hearing or the configuration describes it.
    pub(crate) fn on_air_item(&self, session: &Session) -> ApiResult<Showing> {
        let on = session.presentation.on_air().ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidState,
                "Nothing is on the screens. Present an exhibit first.",
            )
        })?;
        Ok(match &on.shown {
            Shown::Exhibit(_) => Showing::Exhibit(Box::new(exhibit_of(session, on)?.clone())),
            Shown::Live(id) => Showing::Live(self.find_source(id)?.clone()),
        })
    }
}

impl Showing {
    pub(crate) fn item(&self) -> Item<'_> {
        match self {
            Showing::Exhibit(e) => Item::Exhibit(e),
            Showing::Live(s) => Item::Live(&s.source),
        }
    }
}

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
        // The list names the hearing (its time, title, type); the manifests of the day's other
        // hearings are not read for it.
        let (list, _) = self.read_list(today()).await?;
        let listed = list.and_then(|(l, _)| l.hearings.into_iter().find(|h| h.case_id == case));
        let (manifest, problems) = self.fetch_case(case_id, false).await?;
        // Stills marked in court in an earlier session of this hearing come back with it.
        let manifest = self.with_derived(manifest);
        let hearing = listed.unwrap_or_else(|| Hearing {
            time: jiff::civil::Time::midnight(),
            case_id: case,
            title: manifest.title.clone(),
            hearing_type: String::new(),
            reporting_restriction: None,
        });
        let paths: HashMap<ExhibitRef, PathBuf> = manifest
            .exhibits()
            .iter()
            .filter_map(|e| Some((e.reference.clone(), self.cache.verified_path(e)?)))
            .collect();
        // A change to the room like any other: one at a time (see `commit`).
        let _turn = self.commits.lock().await;
        let on_air = self.session.lock().await.presentation.on_air().cloned();
        if let Some(on) = on_air {
            // A new hearing starts with clear screens.
            let _ = self.playout()?.request(Command::Withdraw).await;
            tracing::info!(exhibit = %on.shown, "withdrawn for a new hearing");
            if let Some(source) = on.shown.live() {
                self.audit(CustodyEvent::LiveEnded {
                    source: source.to_string(),
                    reason: format!("case {case_id} was launched"),
                });
            }
        }
        let mut session = self.session.lock().await;
        session.presentation = Presentation::default();
        session.prerolled.clear();
        session.signals.clear();
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
            self.audit_for(
                Some(case_id),
                CustodyEvent::HearingLaunched {
                    exhibits: open
                        .manifest
                        .exhibits()
                        .iter()
                        .map(|e| courtdeck_audit::ExhibitInCache {
                            exhibit: e.reference.to_string(),
                            sha256: e.sha256.to_hex(),
                            verified_in_cache: open.paths.contains_key(&e.reference),
                        })
                        .collect(),
                },
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
            reporting_restriction: open.hearing.reporting_restriction.clone(),
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
                    pages: e.pages.len() as u32,
                    duration_ms: e.duration.map(|d| d.as_millis() as u64),
                    restriction: e.restriction.as_str(),
                    size: e.size,
                    sha256: e.sha256.to_hex(),
                    cached: open.paths.contains_key(&e.reference),
                    provenance: e.provenance.as_ref().map(|p| ProvenanceDto {
                        source_organisation: p.source_organisation.clone(),
                        source_id: p.source_id.clone(),
                        copy: p.copy.map(|c| c.as_str()),
                        digests: p
                            .source_digests
                            .iter()
                            .map(|(a, h)| DigestDto {
                                algorithm: a.clone(),
                                hex: h.clone(),
                            })
                            .collect(),
                        restriction_stated: p.restriction_stated,
                    }),
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
                    transcript: e.transcript.map(|t| t.restriction.as_str()),
                })
                .collect(),
            screens: self.screens.iter().map(screen_dto).collect(),
        }
    }

    /// Hashes exhibit `reference`'s copy now if it was not hashed again since launch, outside the
    /// session lock (Blank All must never wait for a hash): what is played is what was verified.
    pub(crate) async fn check_before_playing(&self, reference: &str) -> ApiResult<()> {
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
        Ok(())
    }

    /// Selects an exhibit: it prerolls, paused on its first frame, invisible. `live:<id>` selects a
    /// live source instead (`select_live`).
    pub async fn select(&self, reference: &str) -> ApiResult<StageDto> {
        if let Ok(Shown::Live(id)) = Shown::parse(reference) {
            return self.select_live(id).await;
        }
        self.check_before_playing(reference).await?;
        let reference = reference.to_owned();
        self.commit(move |session| {
            let open = open_hearing(session)?;
            let exhibit = find_exhibit(open, &reference)?.clone();
            let path = verified_path(open, &exhibit)?;
            Ok(Change {
                command: Command::Load {
                    exhibit: exhibit.reference.to_string(),
                    title: exhibit.title.clone(),
                    path: path.display().to_string(),
                    kind: exhibit.kind.as_str().into(),
                    restriction: exhibit.restriction.as_str().into(),
                    pages: exhibit
                        .pages
                        .iter()
                        .map(|p| [p.width_points(), p.height_points()])
                        .collect(),
                    page: 1,
                    captions: exhibit.transcript.is_some(),
                },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    // Still the hearing it was chosen in (a launch waits for this change's turn).
                    find_exhibit(open_hearing(session)?, &reference)?;
                    let on_air = session.presentation.on_air().map(|o| o.shown.to_string());
                    session.prerolled.retain(|e| Some(e) == on_air.as_ref());
                    session.signals.retain(|k, _| Some(k) == on_air.as_ref());
                    session.presentation.select(exhibit.reference);
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Takes the screens that cannot show anything now (`unusable`) out of `requested`; returns their
    /// labels, for the notice, when there were any.
    fn drop_screens(
        &self,
        requested: &mut BTreeSet<ScreenId>,
        unusable: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let dropped: BTreeSet<ScreenId> = requested
            .iter()
            .filter(|s| unusable(s.as_str()))
            .cloned()
            .collect();
        if dropped.is_empty() {
            return None;
        }
        requested.retain(|s| !dropped.contains(s));
        Some(
            self.screens
                .iter()
                .filter(|s| dropped.contains(&s.id))
                .map(|s| s.label.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
    }

    /// Shows the cued exhibit (or re-routes the one on air) on `screens`.
    pub async fn present(&self, screens: &[String]) -> ApiResult<StageDto> {
        let mut requested: BTreeSet<ScreenId> = screens
            .iter()
            .map(|s| {
                ScreenId::parse(s)
                    .map_err(|e| ApiError::new(ErrorCode::ScreenMissing, e.to_string()))
            })
            .collect::<ApiResult<_>>()?;
        self.commit(move |session| {
            // A screen whose pin matches more than one monitor shows nothing (fail closed): say why,
            // in the words the setup check uses.
            let mut unsure: Vec<&String> = requested
                .iter()
                .filter_map(|s| session.ambiguous_screens.get(s.as_str()))
                .collect();
            unsure.sort();
            unsure.dedup();
            if let Some(labels) =
                self.drop_screens(&mut requested, |s| session.ambiguous_screens.contains_key(s))
            {
                let why = unsure.iter().map(|w| w.as_str()).collect::<Vec<_>>();
                let _ = self.events.send(UiEvent::Notice {
                    error: ApiError::new(
                        ErrorCode::ScreenMismatch,
                        format!(
                            "Not shown on {labels}: {}. Ask the clerk.",
                            why.join("; ")
                        ),
                    ),
                    exhibit: None,
                });
            }
            // A disconnected screen must not stop the hearing: present on the others and say so.
            if let Some(labels) =
                self.drop_screens(&mut requested, |s| session.missing_screens.contains(s))
            {
                let others = if requested.is_empty() {
                    "No screen shows it."
                } else {
                    "The other screens show it."
                };
                let _ = self.events.send(UiEvent::Notice {
                    error: ApiError::new(
                        ErrorCode::ScreenMissing,
                        format!("Not shown on {labels}: not connected. {others}"),
                    ),
                    exhibit: None,
                });
            }
            let target = presenting(&session.presentation).ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidState, "Choose an exhibit first.")
            })?;
            let shown = match &target {
                Shown::Exhibit(r) => {
                    Showing::Exhibit(Box::new(find_exhibit(open_hearing(session)?, &r.to_string())?.clone()))
                }
                Shown::Live(id) => Showing::Live(self.find_source(id)?.clone()),
            };
            // A restricted exhibit is not sent to a screen that is not pinned to its monitor (under
            // `[screens] require_identity`: playout would refuse the whole request); the others show it.
            let unpinned = self.unpinned_screens(shown.item().restriction());
            if let Some(labels) = self.drop_screens(&mut requested, |s| unpinned.contains(s)) {
                let _ = self.events.send(UiEvent::Notice {
                    error: ApiError::new(
                        ErrorCode::ScreenMismatch,
                        format!(
                            "Not shown on {labels}: {target} is restricted and that screen is not pinned to its monitor. Ask the clerk to set its identity (courtdeck screens)."
                        ),
                    ),
                    exhibit: Some(target.to_string()),
                });
            }
            // The core decides; only an accepted route is sent on.
            let route = match session.presentation.clone().present(
                shown.item(),
                &requested,
                &self.screens,
            ) {
                Ok(on_air) => on_air.screens.clone(),
                Err(e) => {
                    if matches!(e, courtdeck_core::PresentationError::Refused(_)) {
                        self.audit(CustodyEvent::RouteRefused {
                            exhibit: target.to_string(),
                            restriction: shown.item().restriction().as_str().into(),
                            requested: Some(requested.iter().map(|s| s.to_string()).collect()),
                            beside: None,
                            reason: e.to_string(),
                        });
                    }
                    return Err(e.into());
                }
            };
            Ok(Change {
                command: Command::Present {
                    exhibit: target.to_string(),
                    screens: route.iter().map(|s| s.to_string()).collect(),
                },
                sync_screens: true,
                reply: None,
                apply: Box::new(move |session| {
                    if presenting(&session.presentation) != Some(target.clone()) {
                        // Playout reported it failed meanwhile (the event took it off the stage).
                        return Err(ApiError::new(
                            ErrorCode::InvalidState,
                            format!("Exhibit {target} could not be presented: see the notice."),
                        ));
                    }
                    let before = session.presentation.on_air().map(|o| o.shown.clone());
                    session
                        .presentation
                        .present(shown.item(), &requested, &self.screens)?;
                    let case = session.open.as_ref().map(|o| o.hearing.case_id.to_string());
                    if let Some(Shown::Live(was)) = before.filter(|b| b != &target) {
                        self.audit_for(
                            case.as_deref(),
                            CustodyEvent::LiveEnded {
                                source: was.to_string(),
                                reason: format!("{target} was presented in its place"),
                            },
                        );
                    }
                    let screens_shown = self
                        .screens
                        .iter()
                        .filter(|s| route.contains(&s.id))
                        .map(crate::audit::screen_shown)
                        .collect();
                    let exhibit = match shown {
                        Showing::Exhibit(e) => e,
                        Showing::Live(s) => {
                            tracing::info!(source = %s.source.id, screens = ?route, "live source presented");
                            self.audit_for(
                                case.as_deref(),
                                CustodyEvent::LiveShown {
                                    source: s.source.id.to_string(),
                                    label: s.source.label.clone(),
                                    kind: s.source.kind.as_str().into(),
                                    origin: crate::live::origin(&s),
                                    restriction: s.source.restriction.as_str().into(),
                                    screens: screens_shown,
                                },
                            );
                            return Ok(());
                        }
                    };
                    tracing::info!(exhibit = %target, sha256 = %exhibit.sha256, screens = ?route, "presented");
                    self.audit_for(
                        case.as_deref(),
                        CustodyEvent::ExhibitPresented {
                            exhibit: target.to_string(),
                            sha256: exhibit.sha256.to_hex(),
                            restriction: exhibit.restriction.as_str().into(),
                            provenance: exhibit.provenance.as_ref().map(|p| {
                                courtdeck_audit::ProvenanceRecord {
                                    source_organisation: p.source_organisation.clone(),
                                    source_id: p.source_id.clone(),
                                    copy: p.copy.map(|c| c.as_str().to_owned()),
                                    restriction_stated: p.restriction_stated,
                                    source_digests: p.source_digests.iter().cloned().collect(),
                                }
                            }),
                            screens: screens_shown,
                        },
                    );
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Blanks or unblanks one screen. Never waits for a change in progress: blanking is the court's
    /// safety control.
    pub async fn blank(&self, screen: &str, blank: bool) -> ApiResult<StageDto> {
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
        tracing::info!(screen, blank, "blank");
        let screen = screen.to_owned();
        self.audit(if blank {
            CustodyEvent::ScreenBlanked { screen }
        } else {
            CustodyEvent::ScreenUnblanked { screen }
        });
        let states = self.screen_states().await;
        let mut session = self.session.lock().await;
        session.presentation.set_blank(id, blank);
        if let Some(states) = states {
            apply_screen_states(&mut session, states);
        }
        Ok(self.emit_stage(&session))
    }

    /// One tap: every screen black. Works even when playout is restarting (the supervisor hands the
    /// blanks to the new engine with its Configure), and never waits for a change in progress.
    pub async fn blank_all(&self) -> ApiResult<StageDto> {
        tracing::info!("blank all");
        self.audit(CustodyEvent::BlankAll {});
        // The surface changes only once the screens did; a restarting engine gets the blanks when up.
        match self.playout()?.request(Command::BlankAll).await {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::PlayoutRestarting => {}
            Err(e) => return Err(e.into()),
        }
        let states = self.screen_states().await;
        let mut session = self.session.lock().await;
        session.presentation.blank_all(&self.screens);
        if let Some(states) = states {
            apply_screen_states(&mut session, states);
        }
        Ok(self.emit_stage(&session))
    }

    pub async fn withdraw(&self) -> ApiResult<StageDto> {
        self.commit(|session| {
            if session.presentation.on_air().is_none() && !session.slates.is_empty() {
                // Nothing on air but slates up: Withdraw takes them down (the screens go black).
                return Ok(Change {
                    command: Command::Withdraw,
                    sync_screens: true,
                    reply: None,
                    apply: Box::new(|_| {
                        tracing::info!("slates cleared");
                        self.audit(CustodyEvent::SlatesCleared {});
                        Ok(())
                    }),
                });
            }
            session.presentation.clone().withdraw()?;
            Ok(Change {
                command: Command::Withdraw,
                sync_screens: true,
                reply: None,
                apply: Box::new(|session| {
                    // Gone already if playout reported it failed meanwhile: the screens are black.
                    if let Ok(shown) = session.presentation.withdraw() {
                        session.prerolled.remove(&shown.to_string());
                        session.signals.remove(&shown.to_string());
                        tracing::info!(exhibit = %shown, "withdrawn");
                        self.audit(match &shown {
                            Shown::Exhibit(exhibit) => CustodyEvent::ExhibitWithdrawn {
                                exhibit: exhibit.to_string(),
                            },
                            Shown::Live(source) => CustodyEvent::LiveEnded {
                                source: source.to_string(),
                                reason: "withdrawn".into(),
                            },
                        });
                    }
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Every change to what is cued or on air, and to the room's sound, goes through here, one at a
    /// time in the order asked: the core decides on the session as it is, playout applies the
    /// command, then the session takes the change (checked again: an event from playout may have
    /// changed the session meanwhile). The session lock is held to decide and to take the result,
    /// never while playout works, so the stage, playout's events and Blank never wait for an engine.
    pub(crate) async fn commit<'a>(
        &'a self,
        decide: impl FnOnce(&Session) -> ApiResult<Change<'a>>,
    ) -> ApiResult<StageDto> {
        let _turn = self.commits.lock().await;
        let change = decide(&*self.session.lock().await)?;
        match &change.reply {
            Some(slot) => {
                let data = self
                    .playout()?
                    .request_data::<serde_json::Value>(change.command)
                    .await?;
                *slot.lock().expect("reply slot") = Some(data);
            }
            None => {
                self.playout()?.request(change.command).await?;
            }
        }
        let states = if change.sync_screens {
            self.screen_states().await
        } else {
            None
        };
        let mut session = self.session.lock().await;
        let taken = (change.apply)(&mut session);
        if let Some(states) = states {
            apply_screen_states(&mut session, states);
        }
        let stage = self.emit_stage(&session);
        taken.map(|()| stage)
    }

    pub async fn stage(&self) -> StageDto {
        let session = self.session.lock().await;
        self.stage_dto(&session)
    }

    pub(crate) fn stage_dto(&self, session: &Session) -> StageDto {
        let p = &session.presentation;
        StageDto {
            version: self
                .stage_version
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                + 1,
            case_id: session.open.as_ref().map(|o| o.hearing.case_id.to_string()),
            cued: p.cued().map(|e| e.to_string()),
            cued_ready: p.cued().is_some_and(|e| {
                let key = e.to_string();
                session.prerolled.contains(&key)
                    || session.signals.get(&key).is_some_and(|g| g.present)
            }),
            default_targets: presenting(p)
                .and_then(|r| session.open.as_ref()?.manifest.exhibit(r.exhibit()?))
                .map(|e| {
                    // Re-routing side by side: what both may reach.
                    let restriction = match p.on_air() {
                        Some(on) if p.cued().is_none() => on.restriction(e.restriction),
                        _ => e.restriction,
                    };
                    let unpinned = self.unpinned_screens(restriction);
                    default_route(restriction, &self.screens)
                        .into_iter()
                        .map(|s| s.to_string())
                        .filter(|s| !session.missing_screens.contains(s) && !unpinned.contains(s))
                        .collect()
                })
                .or_else(|| {
                    let id = presenting(p)?.live()?.clone();
                    let s = self.find_source(&id).ok()?;
                    let unpinned = self.unpinned_screens(s.source.restriction);
                    Some(
                        default_live_route(&s.source, &self.screens)
                            .into_iter()
                            .map(|s| s.to_string())
                            .filter(|s| {
                                !session.missing_screens.contains(s) && !unpinned.contains(s)
                            })
                            .collect(),
                    )
                })
                .unwrap_or_default(),
            on_air: p.on_air().map(|o| OnAirDto {
                exhibit: o.shown.to_string(),
                screens: o.screens.iter().map(|s| s.to_string()).collect(),
                playing: o.transport == Transport::Playing,
                zoom: o.zoom.factor(),
                rate: o.speed.rate(),
                controls: session
                    .open
                    .as_ref()
                    .and_then(|h| h.manifest.exhibit(o.exhibit()?))
                    .map(|e| e.kind.controls().into())
                    .or_else(|| {
                        let id = o.shown.live()?;
                        Some(live_controls(
                            self.find_source(id).ok()?.source.kind,
                            o.held,
                        ))
                    })
                    .unwrap_or(NO_CONTROLS),
                page: o.page,
                pages: session
                    .open
                    .as_ref()
                    .and_then(|h| h.manifest.exhibit(o.exhibit()?))
                    .map_or(1, |e| (e.pages.len() as u32).max(1)),
                fit_width: o.zoom.is_fit_width(),
                strokes: o.strokes.len() as u32,
                captions: o.captions.iter().map(|s| s.to_string()).collect(),
                caption_screens: session
                    .open
                    .as_ref()
                    .and_then(|h| h.manifest.exhibit(o.exhibit()?))
                    .and_then(|e| e.transcript)
                    .map(|t| {
                        self.screens
                            .iter()
                            .filter(|s| {
                                o.screens.contains(&s.id) && may_show(t.restriction, s.role)
                            })
                            .map(|s| s.id.to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                beside: o.beside.as_ref().map(|b| BesideDto {
                    exhibit: b.exhibit.to_string(),
                    offset_ms: b.offset_ms,
                }),
                beside_candidates: self.beside_candidates(session, o),
                live: o.shown.live().map(|_| LiveOnAirDto { held: o.held }),
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
                    wrong_monitor: session.mismatched_screens.contains(s.id.as_str()),
                })
                .collect(),
            playout: session.playout,
            sound: SoundDto {
                volume: session.sound.volume,
                muted: session.sound.muted,
            },
            custody: self.custody_problem(),
            sources: self.sources_dto(session),
        }
    }

    pub(crate) fn emit_stage(&self, session: &Session) -> StageDto {
        let stage = self.stage_dto(session);
        let _ = self.events.send(UiEvent::Stage(Box::new(stage.clone())));
        stage
    }
}
