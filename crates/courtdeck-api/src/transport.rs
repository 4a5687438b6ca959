//! The transport of the exhibit on air and the room's sound: play, pause, seek, step, speed, clips,
//! zoom, volume and mute.

use courtdeck_audit::CustodyEvent;
use courtdeck_core::{ErrorCode, Speed, Transport};
use courtdeck_playout::protocol::{Annotated, Command, WireStroke};

use crate::error::{ApiError, ApiResult};
use crate::hearing::{Apply, Change};
use crate::json::*;
use crate::{Courtdeck, Session};

/// The exhibit on air takes a transport state; gone already if playout reported it failed meanwhile.
/// The exhibit on air, as its manifest says.
fn on_air_exhibit(session: &Session) -> ApiResult<courtdeck_core::Exhibit> {
    let on = session.presentation.on_air().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "Nothing is on the screens. Present an exhibit first.",
        )
    })?;
    Ok(crate::hearing::exhibit_of(session, on)?.clone())
}

fn played(session: &mut Session, transport: Transport) -> ApiResult<()> {
    match session.presentation.set_transport(transport) {
        Ok(()) => Ok(()),
        Err(_) => Err(ApiError::new(
            ErrorCode::InvalidState,
            "The exhibit is no longer on the screens: see the notice.",
        )),
    }
}

impl Courtdeck {
    pub async fn play(&self) -> ApiResult<StageDto> {
        self.transport(Command::Play, Some(Transport::Playing))
            .await
    }

    pub async fn pause(&self) -> ApiResult<StageDto> {
        self.transport(Command::Pause, Some(Transport::Paused))
            .await
    }

    pub async fn seek(&self, position_ms: u64) -> ApiResult<StageDto> {
        self.transport(Command::Seek { position_ms }, None).await
    }

    pub async fn step(&self, frames: i32) -> ApiResult<StageDto> {
        self.transport(Command::Step { frames }, Some(Transport::Paused))
            .await
    }

    /// The speed of the exhibit on air, 0.25 to 2 (pitch kept). The stage says it only once playout
    /// has it.
    pub async fn set_rate(&self, rate: f64) -> ApiResult<StageDto> {
        let speed = Speed::from_rate(rate).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidState,
                format!("The speed must be between 0.25x and 2x, not {rate}x."),
            )
        })?;
        self.on_air_change(
            Command::SetRate { rate: speed.rate() },
            Box::new(move |session| Ok(session.presentation.set_speed(speed)?)),
        )
        .await
    }

    /// Plays the named clip of the on-air exhibit, stopping exactly at its out point.
    pub async fn play_clip(&self, label: &str) -> ApiResult<StageDto> {
        self.commit(|session| {
            let on = session.presentation.on_air().ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidState, "Present the exhibit first.")
            })?;
            let exhibit = crate::hearing::exhibit_of(session, on)?;
            let clip = exhibit
                .clips
                .iter()
                .find(|c| c.label() == label)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidState,
                        format!(
                            "Exhibit {} has no clip called {label:?}.",
                            exhibit.reference
                        ),
                    )
                })?;
            let (start_ms, end_ms) = (
                clip.start().as_millis() as u64,
                clip.end().as_millis() as u64,
            );
            Ok(Change {
                command: Command::PlayClip { start_ms, end_ms },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    tracing::info!(clip = label, start_ms, end_ms, "clip played");
                    self.audit(CustodyEvent::ClipPlayed {
                        clip: label.to_string(),
                        start_ms,
                        end_ms,
                    });
                    played(session, Transport::Playing)
                }),
            })
        })
        .await
    }

    /// A transport command for the exhibit on air; the stage takes `after` once playout did it.
    pub(crate) async fn transport(
        &self,
        command: Command,
        after: Option<Transport>,
    ) -> ApiResult<StageDto> {
        // A seek or a step shows another frame: its strokes go (playout clears its own too).
        let moves = matches!(command, Command::Seek { .. } | Command::Step { .. });
        self.on_air_change(
            command,
            Box::new(move |session| {
                if moves {
                    session.presentation.frame_changed();
                }
                match after {
                    Some(t) => played(session, t),
                    None => Ok(()),
                }
            }),
        )
        .await
    }

    /// The telestrator: `strokes` drawn on the surface's 16:9 preview (points in ten-thousandths of
    /// it, as the view is now) are added to the strokes on the still, page or paused frame on air. They
    /// appear on every screen showing the exhibit (and only those), in the picture's own coordinates,
    /// so they stay on what they mark when the view is zoomed. Each set is recorded in the custody
    /// log with the exhibit, its page or frame, and the strokes as points of the picture.
    pub async fn annotate(&self, strokes: Vec<StrokeDto>) -> ApiResult<StageDto> {
        self.strokes(strokes, true).await
    }

    /// Takes every stroke off the picture on air (recorded as `annotation_cleared`).
    pub async fn clear_annotations(&self) -> ApiResult<StageDto> {
        self.strokes(Vec::new(), false).await
    }

    async fn strokes(&self, strokes: Vec<StrokeDto>, append: bool) -> ApiResult<StageDto> {
        use courtdeck_core::annotation::Stroke;
        let invalid = |e: courtdeck_core::InvalidValue| {
            ApiError::new(ErrorCode::InvalidState, format!("{e}."))
        };
        let preview = strokes
            .iter()
            .map(|s| {
                Stroke::parse(&s.tool, s.points.iter().map(|p| (p[0], p[1])).collect())
                    .map_err(invalid)
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let slot: crate::hearing::ReplySlot = Default::default();
        let reply = slot.clone();
        self.commit(|session| {
            let showing = self.on_air_item(session)?;
            // The core's rules first (a paused recording, at most so many strokes with those on it).
            let mut all = if append {
                session
                    .presentation
                    .on_air()
                    .map(|o| o.strokes.clone())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            all.extend(preview.iter().cloned());
            session.presentation.clone().annotate(showing.item(), all)?;
            let wire = preview
                .iter()
                .map(|s| WireStroke {
                    tool: s.tool().as_str().into(),
                    points: s.points().to_vec(),
                })
                .collect();
            Ok(Change {
                command: Command::Annotate {
                    strokes: wire,
                    append,
                },
                sync_screens: false,
                reply: Some(slot),
                apply: Box::new(move |session| {
                    let showing = self.on_air_item(session)?;
                    let data = reply.lock().expect("reply slot").take().unwrap_or_default();
                    let drawn: Annotated = serde_json::from_value(data).map_err(|e| {
                        ApiError::new(
                            ErrorCode::Internal,
                            format!("playout's strokes were not understood: {e}"),
                        )
                    })?;
                    let on_picture = drawn
                        .strokes
                        .iter()
                        .map(|s| Stroke::parse(&s.tool, s.points.clone()).map_err(invalid))
                        .collect::<ApiResult<Vec<_>>>()?;
                    let on = session.presentation.on_air().cloned();
                    session
                        .presentation
                        .annotate(showing.item(), on_picture.clone())?;
                    // A live source's held frame: nothing of it is hashed, and it has no page or
                    // position.
                    let (shown, sha256, can) = match &showing {
                        crate::hearing::Showing::Exhibit(e) => (
                            e.reference.to_string(),
                            e.sha256.to_hex(),
                            e.kind.capabilities(),
                        ),
                        crate::hearing::Showing::Live(s) => (
                            crate::live::playout_key(&s.source.id),
                            String::new(),
                            courtdeck_core::ExhibitKind::Image.capabilities(),
                        ),
                    };
                    let record = courtdeck_audit::Annotation {
                        exhibit: shown,
                        sha256,
                        screens: on
                            .as_ref()
                            .map(|o| o.screens.iter().map(|s| s.to_string()).collect()),
                        strokes: crate::audit::stroke_records(&on_picture),
                        point_scale: courtdeck_core::annotation::POINT_SCALE.into(),
                        page: on.as_ref().filter(|_| can.pages).map(|o| o.page),
                        position_ms: can
                            .timeline
                            .then(|| self.position_ms.load(std::sync::atomic::Ordering::Relaxed)),
                    };
                    self.audit(if on_picture.is_empty() {
                        CustodyEvent::AnnotationCleared(record)
                    } else {
                        CustodyEvent::AnnotationDrawn(record)
                    });
                    Ok(())
                }),
            })
        })
        .await
    }

    /// A change that needs an exhibit on air.
    /// A change to the timeline of the recording on air (play, pause, seek, step, speed): the core
    /// refuses it for a live source before playout is asked.
    async fn on_air_change<'a>(
        &'a self,
        command: Command,
        apply: Apply<'a>,
    ) -> ApiResult<StageDto> {
        self.commit(|session| {
            match session.presentation.on_air() {
                None => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidState,
                        "Nothing is on the screens. Present an exhibit first.",
                    ));
                }
                Some(on) if on.shown.live().is_some() => {
                    return Err(courtdeck_core::PresentationError::LiveHasNoTimeline.into());
                }
                Some(_) => {}
            }
            Ok(Change {
                command,
                sync_screens: false,
                reply: None,
                apply,
            })
        })
        .await
    }

    /// Zooms or pans the picture on air (`in`, `out`, `left`, `right`, `up`, `down`, `whole`). Every
    /// screen showing it shows the same view; the audit log records each view the court saw.
    pub async fn zoom(&self, step: &str) -> ApiResult<StageDto> {
        let step = courtdeck_core::ZoomStep::parse(step)
            .map_err(|e| ApiError::new(ErrorCode::InvalidState, e.to_string()))?;
        self.zoom_step(step).await
    }

    /// Zooms into the box the presenter drew on the surface's preview of the picture on air, from
    /// corner `from` to corner `to` (ten-thousandths of the 16:9 preview, as strokes are): playout
    /// says where they fall on the picture, and the core picks the closest view that holds the box.
    pub async fn zoom_to_box(&self, from: [u16; 2], to: [u16; 2]) -> ApiResult<StageDto> {
        if self.session.lock().await.presentation.on_air().is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Nothing is on the screens. Present an exhibit first.",
            ));
        }
        let located: courtdeck_playout::protocol::Located = self
            .playout()?
            .request_data(Command::Locate {
                points: vec![(from[0], from[1]), (to[0], to[1])],
            })
            .await?;
        let [a, b] = located.points[..] else {
            return Err(ApiError::new(
                ErrorCode::Internal,
                "playout did not place the box on the picture",
            ));
        };
        self.zoom_step(courtdeck_core::ZoomStep::to_box(a, b)).await
    }

    async fn zoom_step(&self, step: courtdeck_core::ZoomStep) -> ApiResult<StageDto> {
        self.commit(|session| {
            let zoom = session.presentation.clone().zoom(step)?;
            let (x, y, width, height) = zoom.region();
            let command = if zoom.is_fit_width() {
                Command::FitWidth {
                    scroll: zoom.scroll(),
                }
            } else {
                Command::Zoom {
                    x,
                    y,
                    width,
                    height,
                }
            };
            Ok(Change {
                command,
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    let zoom = session.presentation.zoom(step)?;
                    let exhibit = session.presentation.on_air().map(|o| o.shown.to_string());
                    tracing::info!(exhibit, factor = zoom.factor(), x, y, width, "zoomed");
                    let fit_width = zoom.is_fit_width();
                    self.audit(CustodyEvent::ExhibitZoomed {
                        exhibit,
                        factor: (!fit_width).then(|| zoom.factor()),
                        region: (!fit_width).then_some(courtdeck_audit::Region {
                            x,
                            y,
                            width,
                            height,
                        }),
                        fit_width: fit_width.then_some(true),
                        scroll: fit_width.then(|| zoom.scroll()),
                    });
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Turns the page of the document on air: `next`, `previous`, or a page number from 1. The
    /// first and last pages do not wrap. Every screen showing it turns together; the audit log
    /// records each page the court saw.
    pub async fn turn_page(&self, to: &str) -> ApiResult<StageDto> {
        let turn = courtdeck_core::PageTurn::parse(to)
            .map_err(|e| ApiError::new(ErrorCode::InvalidState, e.to_string()))?;
        self.commit(|session| {
            let exhibit = on_air_exhibit(session)?;
            let (page, zoom) = session.presentation.clone().turn_page(turn, &exhibit)?;
            Ok(Change {
                command: Command::Page {
                    page,
                    fit_width: zoom.is_fit_width(),
                },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    let exhibit = on_air_exhibit(session)?;
                    let (page, _) = session.presentation.turn_page(turn, &exhibit)?;
                    self.audit(CustodyEvent::PageShown {
                        exhibit: exhibit.reference.to_string(),
                        sha256: exhibit.sha256.to_hex(),
                        page,
                        pages: exhibit.pages.len(),
                    });
                    Ok(())
                }),
            })
        })
        .await
    }

    /// The exhibit sound level in the room, 0.0 to 1.5 (1.0 as recorded). The stage says it once
    /// playout has it; a refused level changes nothing.
    pub async fn set_volume(&self, volume: f64) -> ApiResult<StageDto> {
        self.commit(|_| {
            Ok(Change {
                command: Command::SetVolume { volume },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    self.audit(CustodyEvent::VolumeSet { volume });
                    session.sound.volume = volume;
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Silences or restores the exhibit sound (pictures go on).
    pub async fn set_mute(&self, mute: bool) -> ApiResult<StageDto> {
        self.commit(|_| {
            Ok(Change {
                command: Command::SetMute { mute },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    self.audit(if mute {
                        CustodyEvent::SoundMuted {}
                    } else {
                        CustodyEvent::SoundUnmuted {}
                    });
                    session.sound.muted = mute;
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Confidence thumbnails on or off (`UiEvent::Thumbnail`): the surface turns them on while it
    /// shows the screens' tiles, so playout spends nothing on them otherwise.
    pub async fn set_thumbnails(&self, enabled: bool) -> ApiResult<()> {
        self.thumbnails
            .store(enabled, std::sync::atomic::Ordering::SeqCst);
        self.playout()?
            .request(Command::Thumbnails { enabled })
            .await?;
        Ok(())
    }
}
