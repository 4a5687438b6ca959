//! Live sources from the clerk's side (`courtdeck sources`): the configured sources, their SRT
//! passphrases in the keyring, and the check that each is there, with a signal and a picture size,
//! asked of a playout process of its own (headless) so that a hearing's screens are not touched.
//! Presenting a live source from the surface is not built yet (issue #37).

use std::time::Duration;

use courtdeck_audit::CustodyEvent;
use courtdeck_core::ErrorCode;
use courtdeck_playout::client::{ClientEvent, PlayoutClient, locate_playout_binary};
use courtdeck_playout::protocol::{Command, Event, LiveInput, OutputSpec, WireSecret};
use courtdeck_store::Secret;
use serde::Serialize;

use crate::audit::{audit_once, custody_open};
use crate::config::{Config, ConfiguredSource, SourceInput};
use crate::error::{ApiError, ApiResult};
use crate::{Courtdeck, internal, playout_env};

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
    let id = report.id.clone();
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
                    report.problem = Some(format!(
                        "no passphrase in the keyring: run `courtdeck sources passphrase {id}` (it is not opened without one)"
                    ));
                    return report;
                }
                Ok(Err(e)) => {
                    report.problem = Some(e.message);
                    return report;
                }
                Err(e) => {
                    report.problem = Some(e.to_string());
                    return report;
                }
            };
            LiveInput::Srt {
                listen: listen.to_string(),
                latency_ms: *latency_ms,
                passphrase: Some(WireSecret(passphrase.expose().to_owned())),
            }
        }
    };
    let mut rx = client.subscribe();
    let load = Command::LoadLive {
        source: id.clone(),
        label: report.label.clone(),
        input,
        restriction: s.source.restriction.as_str().to_owned(),
        roles: s
            .source
            .roles()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
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
