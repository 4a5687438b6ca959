//! What a file will do on a kiosk, asked of a playout process of its own (a hostile file can only
//! crash that process): `probe` (`courtdeck probe`, and `bundle` before it publishes) and
//! `play_headless` (`courtdeck play --headless`, the benchmarks).

use std::path::Path;
use std::time::Duration;

use courtdeck_core::ErrorCode;
use courtdeck_playout::client::{ClientEvent, PlayoutClient, locate_playout_binary};
use courtdeck_playout::protocol::{Command, DiscoverReport, Event, OutputSpec, Poster};
use tokio::sync::broadcast;

use crate::Publisher;
use crate::error::{ApiError, ApiResult};
use crate::json::{PlayReportDto, ProbeDto};
use crate::playout_env;

/// How long a probe waits for the file to reach its first frame.
const PROBE_PREROLL: Duration = Duration::from_secs(20);

impl Publisher {
    /// Reports what a kiosk will show of `path`: its kind from the streams found (not its name),
    /// duration, size as shown (after pixel aspect, rotation and EXIF orientation), codecs, and
    /// whether it plays here: it is loaded in a real playout pipeline to its first frame, and the
    /// warnings raised on the way are kept. With `poster`, a 160x90 JPEG is written there.
    pub async fn probe(&self, path: &Path, poster: Option<&Path>) -> ApiResult<ProbeDto> {
        let config = &self.config;
        let path = canonical(path)?;
        let client = PlayoutClient::start_with(
            locate_playout_binary()?,
            vec![OutputSpec::headless("probe", "bench")],
            playout_env(config, vec![path.clone()]),
        )
        .await?;
        let result = probe_with(&client, &path, poster).await;
        client.shutdown().await;
        result
    }

    /// Plays a file on `outputs` headless screens for `seconds` in a playout process of its own, and
    /// reports first-frame latency, frames per screen and every warning raised. For `courtdeck play
    /// --headless` and benchmarks. The kind comes from the streams found, as in `probe`. The sound
    /// goes to the configuration's `[audio] sink`. Not `ok` when an output got no frames, an error
    /// was raised, or the playout process died.
    pub async fn play_headless(
        &self,
        path: &Path,
        outputs: usize,
        seconds: f64,
    ) -> ApiResult<PlayReportDto> {
        let config = &self.config;
        let path = canonical(path)?;
        let specs: Vec<OutputSpec> = (1..=outputs.max(1))
            .map(|i| OutputSpec::headless(&format!("out{i}"), "bench"))
            .collect();
        let client = PlayoutClient::start_with(
            locate_playout_binary()?,
            specs.clone(),
            playout_env(config, vec![path.clone()]),
        )
        .await?;
        let mut rx = client.subscribe();
        let started = std::time::Instant::now();
        let mut report = PlayReportDto {
            file: path.display().to_string(),
            ..Default::default()
        };
        let result: ApiResult<()> = async {
            let discovered = discover(&client, &path).await?;
            // With no stream found, it is loaded as a video: playout then says what the file is.
            let kind = discovered.kind.clone().unwrap_or_else(|| "video".into());
            report.kind = Some(kind.clone());
            client
                .request(load(&path, &kind, discovered.pages.clone()))
                .await?;
            // Present and Play go straight after Load (the first-frame latency is from Present). A
            // file playout refuses while prerolling is gone by then: its own error, which playout
            // sent before it answered, is the one to report, not "not loaded".
            let shown = async {
                client
                    .request(Command::Present {
                        exhibit: EXHIBIT.into(),
                        screens: specs.iter().map(|s| s.id.clone()).collect(),
                    })
                    .await?;
                client.request(Command::Play).await
            }
            .await;
            if let Err(e) = shown {
                while let Ok(event) = rx.try_recv() {
                    if let ClientEvent::Playout(Event::Error { error, .. }) = event {
                        return Err(ApiError::from(error));
                    }
                }
                return Err(e.into());
            }
            let deadline =
                tokio::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
            loop {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Err(_) => break,
                    Ok(Err(broadcast::error::RecvError::Closed)) => break,
                    Ok(Err(_)) => continue,
                    Ok(Ok(ClientEvent::Playout(Event::FirstFrame {
                        screen, latency_us, ..
                    }))) => {
                        report
                            .first_frame_ms
                            .insert(screen, latency_us as f64 / 1000.0);
                    }
                    Ok(Ok(ClientEvent::Playout(Event::Prerolled { duration_ms, .. }))) => {
                        report.duration_ms = duration_ms;
                    }
                    Ok(Ok(ClientEvent::Playout(Event::Warning { error, .. }))) => {
                        report.warnings.push(ApiError::from(error));
                    }
                    Ok(Ok(ClientEvent::Playout(Event::Eos { .. }))) => {
                        report.eos = true;
                        break;
                    }
                    Ok(Ok(ClientEvent::Playout(Event::Error { error, .. }))) => {
                        report.errors.push(ApiError::from(error));
                        break;
                    }
                    Ok(Ok(ClientEvent::Restarting { reason })) => {
                        report.errors.push(crashed(&reason));
                        break;
                    }
                    Ok(Ok(_)) => {}
                }
            }
            let stats = client.request(Command::Stats).await?.unwrap_or_default();
            report.frames = stats.into_iter().map(|s| (s.screen, s.frames)).collect();
            Ok(())
        }
        .await;
        report.wall_seconds = started.elapsed().as_secs_f64();
        // A crash after the last event (while answering Stats, say) must not pass unseen either.
        if let Ok(ClientEvent::Restarting { reason }) = rx.try_recv() {
            report.errors.push(crashed(&reason));
        }
        client.shutdown().await;
        if let Err(e) = result {
            report.errors.push(e);
        }
        report.ok = report.errors.is_empty()
            && report.frames.len() == outputs.max(1)
            && report.frames.values().all(|&f| f > 0);
        Ok(report)
    }
}

const EXHIBIT: &str = "X/1";

fn canonical(path: &Path) -> ApiResult<std::path::PathBuf> {
    std::fs::canonicalize(path)
        .map_err(|e| ApiError::new(ErrorCode::NotFound, format!("{}: {e}", path.display())))
}

fn crashed(reason: &str) -> ApiError {
    ApiError::new(
        ErrorCode::PlayoutRestarting,
        format!("The playout process died while playing this file: {reason}"),
    )
}

fn load(path: &Path, kind: &str, pages: Vec<[f64; 2]>) -> Command {
    Command::Load {
        exhibit: EXHIBIT.into(),
        title: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: path.display().to_string(),
        kind: kind.into(),
        restriction: "open".into(),
        pages,
        page: 1,
        captions: false,
    }
}

async fn discover(client: &PlayoutClient, path: &Path) -> ApiResult<DiscoverReport> {
    Ok(client
        .request_data::<DiscoverReport>(Command::Discover {
            path: path.display().to_string(),
        })
        .await?)
}

async fn probe_with(
    client: &PlayoutClient,
    path: &Path,
    poster: Option<&Path>,
) -> ApiResult<ProbeDto> {
    let d = discover(client, path).await?;
    let mut report = ProbeDto {
        file: path.display().to_string(),
        kind: d.kind.clone(),
        duration_ms: d.duration_ms,
        width: d.width,
        height: d.height,
        rotation: d.rotation,
        container: d.container.clone(),
        video: d.video.clone(),
        audio: d.audio.clone(),
        pages: d.pages.clone(),
        ..Default::default()
    };
    // A document that playout refused (encrypted, JavaScript, unreadable) is not loaded: the
    // reason is playout's, with its code.
    if let (Some(code), Some(message)) = (&d.error_code, &d.error) {
        report.error = Some(ApiError::new(
            ErrorCode::parse(code).unwrap_or(ErrorCode::MediaCorrupt),
            message.clone(),
        ));
        return Ok(report);
    }
    // With no stream found it is still loaded (as a video): playout then says what the file is
    // (a web page, an archive, damaged media).
    let kind = d.kind.clone().unwrap_or_else(|| "video".into());
    // Load it as a kiosk would, to its first frame: what discovery cannot see (a decoder that
    // stalls, a picture over the size limit, no sound output) shows here.
    let mut rx = client.subscribe();
    client.request(load(path, &kind, d.pages.clone())).await?;
    let outcome = tokio::time::timeout(PROBE_PREROLL, async {
        loop {
            match rx.recv().await {
                Ok(ClientEvent::Playout(Event::Prerolled { .. })) => return Ok(()),
                Ok(ClientEvent::Playout(Event::Warning { error, .. })) => {
                    report.warnings.push(ApiError::from(error));
                }
                Ok(ClientEvent::Playout(Event::Error { error, .. })) => {
                    return Err(ApiError::from(error));
                }
                Ok(ClientEvent::Restarting { reason }) => return Err(crashed(&reason)),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(crashed("it stopped answering"));
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        Err(ApiError::new(
            ErrorCode::MediaCorrupt,
            format!(
                "it did not reach its first picture within {} s",
                PROBE_PREROLL.as_secs()
            ),
        ))
    });
    // Warnings raised with the first frame (no sound output) arrive just after it.
    while let Ok(event) = rx.try_recv() {
        if let ClientEvent::Playout(Event::Warning { error, .. }) = event {
            report.warnings.push(ApiError::from(error));
        }
    }
    match outcome {
        Ok(()) => report.plays = true,
        Err(e) => report.error = Some(e),
    }
    let _ = client
        .request(Command::Unload {
            exhibit: EXHIBIT.into(),
        })
        .await;
    if let Some(out) = poster
        && report.plays
        && kind != "audio"
    {
        let made = client
            .request_data::<Poster>(Command::Poster {
                path: path.display().to_string(),
                page: None,
            })
            .await?;
        match made.jpeg {
            Some(jpeg) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(jpeg)
                    .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
                std::fs::write(out, bytes).map_err(|e| {
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("cannot write {}: {e}", out.display()),
                    )
                })?;
                report.poster = Some(out.display().to_string());
            }
            None => {
                report.warnings.push(ApiError::new(
                    ErrorCode::MediaCorrupt,
                    format!(
                        "no preview could be made: {}",
                        made.error.unwrap_or_else(|| "no picture".into())
                    ),
                ));
            }
        }
    }
    Ok(report)
}

/// What probing a bundle's files changed or found.
/// The `kind` of a bundle exhibit whose kind the probe decides (a bag's payload file).
pub const AUTO_KIND: &str = "auto";

#[derive(Debug, Clone, Default)]
pub struct BundleProbe {
    /// One line per exhibit whose duration was filled in from its file.
    pub durations: Vec<String>,
}

impl Publisher {
    /// Probes every file of a bundle description before it is published (one playout process for
    /// them all): a file that does not play here is refused with the reason, a declared kind the
    /// streams contradict is refused ("declared video, but the file holds only sound"), and a
    /// missing duration is filled in from the file. Nothing is written: `bundle` does that after.
    pub async fn probe_bundle(
        &self,
        media_dir: &Path,
        desc: &mut courtdeck_store::BundleDescription,
    ) -> ApiResult<BundleProbe> {
        let config = &self.config;
        let client = PlayoutClient::start_with(
            locate_playout_binary()?,
            vec![OutputSpec::headless("probe", "bench")],
            playout_env(
                config,
                vec![
                    media_dir
                        .canonicalize()
                        .unwrap_or_else(|_| media_dir.to_path_buf()),
                ],
            ),
        )
        .await?;
        let result = async {
            let mut out = BundleProbe::default();
            for e in &mut desc.exhibits {
                // A name that leaves the media folder is refused by `bundle` itself; not opened here.
                let rel = Path::new(&e.file);
                if !rel
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
                {
                    continue;
                }
                let path = canonical(&media_dir.join(rel))?;
                let r = probe_with(&client, &path, None).await?;
                let refuse = |why: String| {
                    ApiError::new(
                        ErrorCode::InvalidManifest,
                        format!("Exhibit {} ({}) cannot be published: {why}", e.reference, e.file),
                    )
                };
                if let Some(err) = &r.error {
                    if err.code == ErrorCode::DocumentRefused {
                        return Err(ApiError::new(
                            ErrorCode::DocumentRefused,
                            format!(
                                "Exhibit {} ({}) cannot be published: {}",
                                e.reference, e.file, err.message
                            ),
                        ));
                    }
                    let what = if r.kind.as_deref() == Some("document") || e.kind == "document" {
                        "cannot be shown"
                    } else {
                        "does not play"
                    };
                    return Err(refuse(format!("it {what}: {}", err.message)));
                }
                // An exhibit handed over without a kind (a bag's payload file) is what its streams are.
                if e.kind == AUTO_KIND {
                    match &r.kind {
                        Some(found) => e.kind = found.clone(),
                        None => {
                            return Err(refuse(
                                "it is neither a recording, a picture nor a document Courtdeck shows"
                                    .into(),
                            ));
                        }
                    }
                }
                if let Some(found) = &r.kind
                    && *found != e.kind
                {
                    let holds = match found.as_str() {
                        "audio" => "only sound",
                        "image" => "a still picture",
                        "document" => "a document (PDF)",
                        _ => "a moving picture",
                    };
                    return Err(refuse(format!(
                        "it is declared {}, but the file holds {holds} ({found}). Correct `kind` in the description",
                        e.kind
                    )));
                }
                // A document's page sizes always come from the file, never the description.
                e.pages = r.pages.clone();
                if e.duration_ms.is_none()
                    && let Some(ms) = r.duration_ms
                {
                    e.duration_ms = Some(ms);
                    out.durations.push(format!("{}: {} ms", e.reference, ms));
                }
            }
            Ok(out)
        }
        .await;
        client.shutdown().await;
        result
    }
}
