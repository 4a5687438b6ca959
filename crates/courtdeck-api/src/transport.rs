//! The transport of the exhibit on air and the room's sound: play, pause, seek, step, speed, clips,
//! zoom, volume and mute.

use courtdeck_core::{ErrorCode, Speed, Transport};
use courtdeck_playout::protocol::Command;

use crate::Courtdeck;
use crate::error::{ApiError, ApiResult};
use crate::hearing::{find_exhibit, open_hearing};
use crate::json::*;

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
        let mut session = self.session.lock().await;
        if session.presentation.on_air().is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Nothing is on the screens. Present an exhibit first.",
            ));
        }
        self.playout()?
            .request(Command::SetRate { rate: speed.rate() })
            .await?;
        session.presentation.set_speed(speed)?;
        Ok(self.emit_stage(&session))
    }

    /// Plays the named clip of the on-air exhibit, stopping exactly at its out point.
    pub async fn play_clip(&self, label: &str) -> ApiResult<StageDto> {
        let (start_ms, end_ms) = {
            let session = self.session.lock().await;
            let on = session.presentation.on_air().ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidState, "Present the exhibit first.")
            })?;
            let exhibit = find_exhibit(open_hearing(&session)?, &on.exhibit.to_string())?;
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
            (
                clip.start().as_millis() as u64,
                clip.end().as_millis() as u64,
            )
        };
        tracing::info!(clip = label, start_ms, end_ms, "clip played");
        self.audit(
            "clip_played",
            serde_json::json!({ "clip": label, "start_ms": start_ms, "end_ms": end_ms }),
        );
        self.transport(
            Command::PlayClip { start_ms, end_ms },
            Some(Transport::Playing),
        )
        .await
    }

    pub(crate) async fn transport(
        &self,
        command: Command,
        after: Option<Transport>,
    ) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        if session.presentation.on_air().is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Nothing is on the screens. Present an exhibit first.",
            ));
        }
        self.playout()?.request(command).await?;
        if let Some(t) = after {
            session.presentation.set_transport(t)?;
        }
        Ok(self.emit_stage(&session))
    }

    /// Zooms or pans the picture on air (`in`, `out`, `left`, `right`, `up`, `down`, `whole`). Every
    /// screen showing it shows the same view; the audit log records each view the court saw.
    pub async fn zoom(&self, step: &str) -> ApiResult<StageDto> {
        let step = courtdeck_core::ZoomStep::parse(step)
            .map_err(|e| ApiError::new(ErrorCode::InvalidState, e.to_string()))?;
        let mut session = self.session.lock().await;
        let mut next = session.presentation.clone();
        let zoom = next.zoom(step)?;
        let (x, y, width, height) = zoom.region();
        self.playout()?
            .request(Command::Zoom {
                x,
                y,
                width,
                height,
            })
            .await?;
        session.presentation = next;
        let exhibit = session.presentation.on_air().map(|o| o.exhibit.to_string());
        tracing::info!(exhibit, factor = zoom.factor(), x, y, width, "zoomed");
        self.audit(
            "exhibit_zoomed",
            serde_json::json!({
                "exhibit": exhibit,
                "factor": zoom.factor(),
                "region": { "x": x, "y": y, "width": width, "height": height },
            }),
        );
        Ok(self.emit_stage(&session))
    }

    /// The exhibit sound level in the room, 0.0 to 1.5 (1.0 as recorded). The stage says it once
    /// playout has it; a refused level changes nothing.
    pub async fn set_volume(&self, volume: f64) -> ApiResult<StageDto> {
        self.playout()?
            .request(Command::SetVolume { volume })
            .await?;
        self.audit("volume_set", serde_json::json!({ "volume": volume }));
        let mut session = self.session.lock().await;
        session.sound.volume = volume;
        Ok(self.emit_stage(&session))
    }

    /// Silences or restores the exhibit sound (pictures go on).
    pub async fn set_mute(&self, mute: bool) -> ApiResult<StageDto> {
        self.playout()?.request(Command::SetMute { mute }).await?;
        self.audit(
            if mute { "sound_muted" } else { "sound_unmuted" },
            serde_json::json!({}),
        );
        let mut session = self.session.lock().await;
        session.sound.muted = mute;
        Ok(self.emit_stage(&session))
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
