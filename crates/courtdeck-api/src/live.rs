//! Live sources from the clerk's side (`courtdeck sources`): the configured sources, their SRT
//! passphrases in the keyring, and the check that each is there, with a signal and a picture size,
//! asked of a playout process of its own (headless) so that a hearing's screens are not touched.
//! And from the advocate's side: selecting a source (it is loaded, waiting for its signal), Hold,
//! and what the stage says of each source. Presenting and withdrawing go through the hearing's
//! `present` and `withdraw`, like an exhibit's (`courtdeck_core::Shown`).

use std::time::Duration;

use courtdeck_audit::CustodyEvent;
use courtdeck_core::{ErrorCode, Shown, SourceId};
use courtdeck_playout::client::{ClientEvent, PlayoutClient, locate_playout_binary};
use courtdeck_playout::protocol::{Command, Event, LiveInput, OutputSpec, WireSecret};
use courtdeck_store::Secret;
use serde::Serialize;

use crate::audit::{audit_once, custody_open};
use crate::config::{Config, ConfiguredSource, SourceInput};
use crate::error::{ApiError, ApiResult};
use crate::hearing::Change;
use crate::json::{LiveSourceDto, StageDto};
use crate::{Courtdeck, Session, internal, playout_env};

/// A live source's signal as playout last reported it (`Event::Signal`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Signal {
    pub(crate) present: bool,
    pub(crate) detail: Option<String>,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
}

/// What playout calls source `id`: the text form of `Shown::Live`.
pub(crate) fn playout_key(id: &SourceId) -> String {
    Shown::Live(id.clone()).to_string()
}

/// Where its picture comes in, for the custody log and the messages.
pub(crate) fn origin(s: &ConfiguredSource) -> String {
    match &s.input {
        SourceInput::Stream { listen, .. } => format!("srt://{listen} (listener)"),
        SourceInput::Capture { device } => device.clone(),
    }
}

/// What the advocate should check when `s` has no picture.
pub(crate) fn what_to_check(s: &ConfiguredSource) -> String {
    match &s.input {
        SourceInput::Stream { listen, .. } => format!(
            "No signal from {}: check the laptop is casting to port {} of this kiosk with the court's passphrase, and that its network is up.",
            s.source.label,
            listen.port()
        ),
        SourceInput::Capture { .. } => format!(
            "No signal from {}: check its cable, that it is switched on, and what is plugged into it.",
            s.source.label
        ),
    }
}

/// The command that loads `s` into playout as `key`: a stream takes its passphrase from the OS
/// keyring (one without a passphrase is not opened: it would take any caller).
async fn load_command(s: &ConfiguredSource, key: String) -> Result<Command, String> {
    let id = s.source.id.to_string();
    let input = match &s.input {
        SourceInput::Capture { device } => LiveInput::Capture {
            device: device.clone(),
        },
        SourceInput::Stream { listen, latency_ms } => {
            let passphrase = {
                let id = id.clone();
                tokio::task::spawn_blocking(move || crate::credentials::load_source_passphrase(&id))
                    .await
            };
            let passphrase = match passphrase {
                Ok(Ok(Some(p))) => p,
                Ok(Ok(None)) => {
                    return Err(format!(
                        "{} has no passphrase in the keyring, so it is not opened: the clerk runs `courtdeck sources passphrase {id}`.",
                        s.source.label
                    ));
                }
                Ok(Err(e)) => return Err(e.message),
                Err(e) => return Err(e.to_string()),
            };
            LiveInput::Srt {
                listen: listen.to_string(),
                latency_ms: *latency_ms,
                passphrase: Some(WireSecret(passphrase.expose().to_owned())),
            }
        }
    };
    Ok(Command::LoadLive {
        source: key,
        label: s.source.label.clone(),
        input,
        restriction: s.source.restriction.as_str().to_owned(),
        roles: s
            .source
            .roles()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
    })
}

/// What `courtdeck sources --check` says of one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceCheck {
    pub id: String,
    pub label: String,
    /// `stream` or `capture`.
    pub kind: String,
    /// Whether a picture arrived within the wait.
    pub signal: bool,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Why there is no signal, or what stopped the check, in the clerk's words.
    pub problem: Option<String>,
}

impl Courtdeck {
    /// Saves the passphrase a laptop must give to cast to source `id` in the OS keyring, and
    /// records that it changed (never the value) in the custody log. SRT takes 10 to 64 characters.
    pub async fn save_source_passphrase(
        config: &Config,
        id: &str,
        secret: Secret,
    ) -> ApiResult<()> {
        let sources = config.live_sources()?;
        let source = sources
            .iter()
            .find(|s| s.source.id.as_str() == id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ConfigInvalid,
                    format!("there is no [[source]] with id {id:?}"),
                )
            })?;
        if !matches!(source.input, SourceInput::Stream { .. }) {
            return Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                format!("{id} is a capture device: only a network stream has a passphrase"),
            ));
        }
        let chars = secret.expose().chars().count();
        if !(10..=64).contains(&chars) {
            return Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                format!("an SRT passphrase has 10 to 64 characters, not {chars}"),
            ));
        }
        custody_open(config)?;
        let id = id.to_owned();
        let saved = id.clone();
        tokio::task::spawn_blocking(move || {
            crate::credentials::save_source_passphrase(&saved, &secret)
        })
        .await
        .map_err(internal)??;
        audit_once(
            config,
            None,
            CustodyEvent::CredentialSaved {
                store: format!("source:{id}"),
                auth: "srt_passphrase".into(),
            },
        )
    }

    /// Selects live source `id` (`live:<id>` is the name the surface uses): it is loaded into the
    /// cue, listening or capturing, and its signal is reported as it comes. Selecting the source
    /// already cued or on air changes nothing (a second listener could not take its port).
    pub(crate) async fn select_live(&self, id: SourceId) -> ApiResult<StageDto> {
        let source = self.find_source(&id)?.clone();
        let key = playout_key(&id);
        {
            let session = self.session.lock().await;
            let shown = Shown::Live(id.clone());
            if session.presentation.cued() == Some(&shown)
                || session
                    .presentation
                    .on_air()
                    .is_some_and(|o| o.shown == shown)
            {
                return Ok(self.stage_dto(&session));
            }
        }
        let load = load_command(&source, key.clone())
            .await
            .map_err(|m| ApiError::new(ErrorCode::ConfigInvalid, m))?;
        self.commit(move |_| {
            Ok(Change {
                command: load,
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    let on_air = session.presentation.on_air().map(|o| o.shown.to_string());
                    session.prerolled.retain(|e| Some(e) == on_air.as_ref());
                    session.signals.retain(|k, _| Some(k) == on_air.as_ref());
                    session.signals.insert(key, Signal::default());
                    session.presentation.select(Shown::Live(id));
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Freezes the live source on air on its current frame (`hold`), or lets it run live again.
    pub async fn hold(&self, hold: bool) -> ApiResult<StageDto> {
        self.commit(move |session| {
            session.presentation.clone().hold(hold)?;
            Ok(Change {
                command: Command::Hold { hold },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    session.presentation.hold(hold)?;
                    let source = session
                        .presentation
                        .on_air()
                        .and_then(|o| o.shown.live())
                        .map(|id| id.to_string())
                        .unwrap_or_default();
                    tracing::info!(source, hold, "hold");
                    self.audit(if hold {
                        CustodyEvent::LiveHeld { source }
                    } else {
                        CustodyEvent::LiveReleased { source }
                    });
                    Ok(())
                }),
            })
        })
        .await
    }

    pub(crate) fn find_source(&self, id: &SourceId) -> ApiResult<&ConfiguredSource> {
        self.sources
            .iter()
            .find(|s| &s.source.id == id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("There is no live source called {id} in this courtroom."),
                )
            })
    }

    /// The court's live sources as the stage lists them.
    pub(crate) fn sources_dto(&self, session: &Session) -> Vec<LiveSourceDto> {
        self.sources
            .iter()
            .map(|s| {
                let key = playout_key(&s.source.id);
                let signal = session.signals.get(&key);
                let present = signal.is_some_and(|g| g.present);
                LiveSourceDto {
                    id: key,
                    label: s.source.label.clone(),
                    kind: s.source.kind.as_str(),
                    restriction: s.source.restriction.as_str(),
                    allowed_screens: courtdeck_core::default_live_route(&s.source, &self.screens)
                        .iter()
                        .map(|id| id.to_string())
                        .collect(),
                    signal: present,
                    width: signal.and_then(|g| g.width).filter(|_| present),
                    height: signal.and_then(|g| g.height).filter(|_| present),
                    problem: match signal {
                        Some(g) if !g.present => Some(match &g.detail {
                            Some(d) => format!("{} (Playout says: {d}.)", what_to_check(s)),
                            None => what_to_check(s),
                        }),
                        _ => None,
                    },
                }
            })
            .collect()
    }

    /// Checks every configured source in a headless playout process of its own: each is opened in
    /// turn and given `wait` for a picture. A stream without a passphrase in the keyring is not
    /// opened (it would take a caller without one). A port the running kiosk holds is reported, as is
    /// a capture device that is not plugged in.
    pub async fn check_sources(config: &Config, wait: Duration) -> ApiResult<Vec<SourceCheck>> {
        let sources = config.live_sources()?;
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let client = PlayoutClient::start_with(
            locate_playout_binary()?,
            vec![OutputSpec::headless("check", "bench")],
            playout_env(config, Vec::new()),
        )
        .await?;
        let mut out = Vec::new();
        for s in &sources {
            out.push(check_one(&client, s, wait).await);
        }
        client.shutdown().await;
        Ok(out)
    }
}

async fn check_one(client: &PlayoutClient, s: &ConfiguredSource, wait: Duration) -> SourceCheck {
    let mut report = SourceCheck {
        id: s.source.id.to_string(),
        label: s.source.label.clone(),
        kind: s.source.kind.as_str().to_owned(),
        signal: false,
        width: None,
        height: None,
        problem: None,
    };
    let id = playout_key(&s.source.id);
    let mut rx = client.subscribe();
    let load = match load_command(s, id.clone()).await {
        Ok(load) => load,
        Err(problem) => {
            report.problem = Some(problem);
            return report;
        }
    };
    if let Err(e) = client.request(load).await {
        report.problem = Some(e.message);
        return report;
    }
    let mut last_detail = None;
    let outcome = tokio::time::timeout(wait, async {
        loop {
            match rx.recv().await {
                Ok(ClientEvent::Playout(Event::Signal {
                    source,
                    present,
                    detail,
                    width,
                    height,
                })) if source == id => {
                    if present {
                        return Ok((width, height));
                    }
                    last_detail = detail;
                }
                Ok(ClientEvent::Playout(Event::Error {
                    exhibit: Some(x),
                    error,
                    ..
                })) if x == id => return Err(error.message),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    })
    .await;
    match outcome {
        Ok(Ok((width, height))) => {
            report.signal = true;
            report.width = width;
            report.height = height;
        }
        Ok(Err(message)) => report.problem = Some(message),
        Err(_) => {
            report.problem = Some(match last_detail {
                Some(d) => format!("no picture within {} s: {d}", wait.as_secs_f64()),
                None => match &s.input {
                    SourceInput::Stream { listen, .. } => format!(
                        "no laptop called {listen} within {} s: check it sends there with the court's passphrase",
                        wait.as_secs_f64()
                    ),
                    SourceInput::Capture { device } => format!(
                        "no picture from {device} within {} s: check its cable and what is plugged into it",
                        wait.as_secs_f64()
                    ),
                },
            })
        }
    }
    let _ = client.request(Command::Unload { exhibit: id }).await;
    report
}
