//! The playout process's events, turned into the surface's events and the session's state.

use courtdeck_audit::CustodyEvent;
use courtdeck_core::{ErrorCode, Transport};
use courtdeck_playout::client::ClientEvent;
use courtdeck_playout::protocol::{ConfinePolicy, Event};
use std::path::PathBuf;
use tokio::sync::broadcast;

use crate::Courtdeck;
use crate::config::Config;
use crate::error::ApiError;
use crate::json::*;
use crate::screens::apply_screen_states;

/// What the playout process needs from the configuration in its environment: what it may read once
/// confined (`read`: the verified cache, or the one file a probe opens; nothing else of the app's),
/// the audio output, its memory limit, where the kernel's monitor EDIDs are.
pub(crate) fn playout_env(config: &Config, read: Vec<PathBuf>) -> Vec<(String, String)> {
    // A capture device's node is made again by udev when it is plugged back: the whole of /dev,
    // and only when a capture source is configured.
    let capture = config.sources.iter().any(|s| s.kind == "capture");
    let policy = ConfinePolicy {
        read,
        write: Vec::new(),
        devices: if capture {
            vec![PathBuf::from("/dev")]
        } else {
            Vec::new()
        },
        unconfined_reason: config.playout.unconfined_reason.clone(),
    };
    let mut env = vec![
        policy.env(),
        ("COURTDECK_AUDIO_SINK".into(), config.audio.sink.clone()),
        (
            "COURTDECK_BLANK_KEY".into(),
            config.playout.blank_key.clone(),
        ),
        (
            "COURTDECK_MEMORY_LIMIT_MB".into(),
            config.playout.memory_limit_mb.to_string(),
        ),
    ];
    if let Some(root) = &config.screen_identity.drm_root {
        env.push(("COURTDECK_DRM_ROOT".into(), root.display().to_string()));
    }
    env
}

/// Turns playout events into session changes and UI events.
pub(crate) async fn forward_playout_events(
    deck: std::sync::Weak<Courtdeck>,
    mut rx: broadcast::Receiver<ClientEvent>,
) {
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(n, "playout events dropped");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(deck) = deck.upgrade() else { return };
        // What only passes through to the surface takes no lock: the meter, the thumbnails and the
        // position never wait for anything.
        let event = match event {
            ClientEvent::Playout(Event::Level { exhibit, rms_db }) => {
                let _ = deck.events.send(UiEvent::Level { exhibit, rms_db });
                continue;
            }
            ClientEvent::Playout(Event::Thumbnail { exhibit, jpeg }) => {
                let _ = deck.events.send(UiEvent::Thumbnail { exhibit, jpeg });
                continue;
            }
            ClientEvent::Playout(Event::Position {
                exhibit,
                position_ms,
                duration_ms,
                playing,
                rate,
            }) => {
                deck.position_ms
                    .store(position_ms, std::sync::atomic::Ordering::Relaxed);
                let _ = deck.events.send(UiEvent::Position {
                    exhibit,
                    position_ms,
                    duration_ms,
                    playing,
                    rate,
                });
                continue;
            }
            other => other,
        };
        let mut session = deck.session.lock().await;
        match event {
            ClientEvent::Restarting { reason } => {
                deck.audit(CustodyEvent::PlayoutCrashed {
                    reason: reason.clone(),
                });
                if let Some(source) = session.presentation.on_air().and_then(|o| o.shown.live()) {
                    deck.audit(CustodyEvent::LiveEnded {
                        source: source.to_string(),
                        reason: format!("the playout process stopped: {reason}"),
                    });
                }
                session.presentation.playout_lost();
                session.prerolled.clear();
                session.signals.clear();
                session.playout = PlayoutStatus::Restarting;
                let _ = deck.events.send(UiEvent::Notice {
                    error: ApiError::new(
                        ErrorCode::PlayoutRestarting,
                        // The reason already says what happened ("the playout engine stopped (signal: 9)").
                        format!("{} and is being restarted. Nothing is on the screens; present the exhibit again.", crate::error::capitalise(&reason)),
                    ),
                    exhibit: None,
                });
                deck.emit_stage(&session);
            }
            ClientEvent::Restarted { pid } => {
                deck.audit(CustodyEvent::PlayoutRestarted { pid });
                session.playout = PlayoutStatus::Ready;
                deck.emit_stage(&session);
                drop(session);
                // The supervisor gave the new engine the court's blanks with its Configure.
                deck.refresh_connected_screens().await;
                // A new engine starts without thumbnails: ask again if the surface wants them.
                if deck.thumbnails.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = deck.set_thumbnails(true).await;
                }
            }
            ClientEvent::Playout(Event::Prerolled { exhibit, .. }) => {
                session.prerolled.insert(exhibit);
                deck.emit_stage(&session);
            }
            ClientEvent::Playout(Event::Eos { exhibit }) => {
                if session
                    .presentation
                    .on_air()
                    .is_some_and(|o| o.shown.to_string() == exhibit)
                {
                    let _ = session.presentation.set_transport(Transport::Paused);
                }
                deck.emit_stage(&session);
            }
            ClientEvent::Playout(Event::Warning { exhibit, error }) => {
                // The exhibit stays on air; the court is told what it could not see or hear, and the
                // custody record says so.
                let (exhibit_, message) = (exhibit.clone(), error.message.clone());
                deck.audit(match ErrorCode::parse(&error.code) {
                    Some(ErrorCode::PlaybackStalled) => CustodyEvent::ExhibitStalled {
                        exhibit: exhibit_,
                        message,
                    },
                    Some(ErrorCode::AudioUnavailable) => CustodyEvent::SoundUnavailable {
                        exhibit: exhibit_,
                        message,
                    },
                    _ => CustodyEvent::ExhibitDamaged {
                        exhibit: exhibit_,
                        message,
                    },
                });
                drop(session);
                let _ = deck.events.send(UiEvent::Notice {
                    error: ApiError::from(error),
                    exhibit: Some(exhibit),
                });
            }
            ClientEvent::Playout(Event::Error {
                exhibit,
                screen,
                error,
            }) => {
                let error = ApiError::from(error);
                if let Some(s) = screen {
                    match error.code {
                        ErrorCode::ScreenMissing => {
                            session.missing_screens.insert(s);
                        }
                        ErrorCode::ScreenMismatch => {
                            session.missing_screens.insert(s.clone());
                            session.mismatched_screens.insert(s);
                        }
                        _ => {}
                    }
                }
                // Playout tore the failed exhibit down; reflect it, so the surface never claims a screen
                // shows something it does not.
                if let Some(x) = &exhibit {
                    let on_air = session
                        .presentation
                        .on_air()
                        .is_some_and(|o| &o.shown.to_string() == x);
                    let cued = session
                        .presentation
                        .cued()
                        .is_some_and(|c| &c.to_string() == x);
                    if on_air || cued {
                        tracing::warn!(
                            exhibit = x,
                            code = error.code.as_str(),
                            "{}",
                            error.message
                        );
                        deck.audit(CustodyEvent::ExhibitFailed {
                            exhibit: x.clone(),
                            code: error.code.as_str().to_owned(),
                            message: error.message.clone(),
                        });
                    }
                    if on_air {
                        let _ = session.presentation.withdraw();
                    }
                    if session
                        .presentation
                        .cued()
                        .is_some_and(|c| &c.to_string() == x)
                    {
                        session.presentation.uncue();
                    }
                    session.prerolled.remove(x);
                }
                let _ = deck.events.send(UiEvent::Notice {
                    error,
                    exhibit: exhibit.clone(),
                });
                deck.emit_stage(&session);
                if exhibit.is_some() {
                    // An exhibit that failed on air leaves the "unavailable" slate on its screens.
                    drop(session);
                    deck.refresh_connected_screens().await;
                }
            }
            ClientEvent::Playout(Event::Signal {
                source,
                present,
                detail,
                width,
                height,
            }) => {
                let was = session.signals.get(&source).map(|g| g.present);
                session.signals.insert(
                    source.clone(),
                    crate::live::Signal {
                        present,
                        detail: detail.clone(),
                        width,
                        height,
                    },
                );
                let on_air = session
                    .presentation
                    .on_air()
                    .filter(|o| o.shown.to_string() == source)
                    .and_then(|o| o.shown.live().cloned());
                if let Some(id) = on_air.filter(|_| was != Some(present)) {
                    // The court's record says when the screens showed "No signal", and why.
                    deck.audit(CustodyEvent::LiveSignal {
                        source: id.to_string(),
                        present,
                        detail,
                    });
                    if !present && let Ok(s) = deck.find_source(&id) {
                        let _ = deck.events.send(UiEvent::Notice {
                            error: ApiError::new(
                                ErrorCode::NoSignal,
                                crate::live::what_to_check(s),
                            ),
                            exhibit: Some(source),
                        });
                    }
                    // Its screens went to the "no signal" slate or back to the picture: the
                    // surface reads which from playout, as it does every slate.
                    drop(session);
                    deck.refresh_connected_screens().await;
                    continue;
                }
                deck.emit_stage(&session);
            }
            ClientEvent::Playout(Event::BlankedByKey { key }) => {
                // Playout blanked every screen itself: the record and the surface follow.
                deck.audit(CustodyEvent::BlankKey { key });
                session.presentation.blank_all(&deck.screens);
                drop(session);
                deck.refresh_connected_screens().await;
                continue;
            }
            ClientEvent::Playout(Event::Screens { screens }) => {
                // A monitor went, came back, moved or was swapped: the custody record says which
                // screens could show evidence from when, and the surface shows them as they are.
                let before = (
                    session.missing_screens.clone(),
                    session.mismatched_screens.clone(),
                );
                apply_screen_states(&mut session, screens);
                for s in before.0.difference(&session.missing_screens) {
                    deck.audit(CustodyEvent::ScreenConnected { screen: s.clone() });
                }
                for s in session.missing_screens.difference(&before.0) {
                    let screen = s.clone();
                    deck.audit(if session.mismatched_screens.contains(s) {
                        CustodyEvent::ScreenMismatch { screen }
                    } else {
                        CustodyEvent::ScreenMissing { screen }
                    });
                }
                deck.emit_stage(&session);
            }
            ClientEvent::Playout(_) => {}
        }
    }
}
