//! Poster frames for the exhibit list, made by the playout process and kept beside the cache.

use std::path::PathBuf;

use courtdeck_playout::protocol::Command;

use crate::Courtdeck;
use crate::json::*;

impl Courtdeck {
    pub(crate) fn poster_path(&self, sha256: &courtdeck_core::Sha256Digest) -> PathBuf {
        self.cache
            .root()
            .join("posters")
            .join(format!("{}.jpg", sha256.to_hex()))
    }

    /// The poster frame of a blob, base64, if one was made.
    pub(crate) fn poster_of(&self, sha256: &courtdeck_core::Sha256Digest) -> Option<String> {
        use base64::Engine as _;
        let bytes = std::fs::read(self.poster_path(sha256)).ok()?;
        Some(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Makes the missing poster frames of today's cached video and image exhibits, one at a time in
    /// the playout process (a file that crashes a decoder takes only playout down, which restarts),
    /// and announces each as `UiEvent::Poster`.
    pub async fn make_posters(&self) {
        let Ok(list) = self.today().await else { return };
        let Ok(exhibits) = self.todays_exhibits(&list).await else {
            return;
        };
        for (_, e) in exhibits {
            if e.kind == courtdeck_core::ExhibitKind::Audio || self.poster_path(&e.sha256).exists()
            {
                continue;
            }
            self.make_poster(&e).await;
        }
    }

    /// Makes one exhibit's poster frame in the playout process, keeps it and announces it.
    pub(crate) async fn make_poster(&self, e: &courtdeck_core::Exhibit) {
        use base64::Engine as _;
        let Ok(playout) = self.playout() else { return };
        let Some(path) = self.cache.verified_path(e) else {
            return;
        };
        let poster = playout
            .request_data::<courtdeck_playout::protocol::Poster>(Command::Poster {
                path: path.display().to_string(),
            })
            .await;
        let jpeg = match poster {
            Ok(courtdeck_playout::protocol::Poster {
                jpeg: Some(jpeg), ..
            }) => jpeg,
            Ok(courtdeck_playout::protocol::Poster {
                error: Some(reason),
                ..
            }) => {
                tracing::warn!(exhibit = %e.reference, "no preview: {reason}");
                let _ = self.events.send(UiEvent::NoPoster {
                    exhibit: e.reference.to_string(),
                    sha256: e.sha256.to_hex(),
                    reason,
                });
                return;
            }
            Ok(_) => return, // no picture to show
            Err(err) => {
                tracing::warn!(exhibit = %e.reference, "no preview: {err}");
                return;
            }
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&jpeg) else {
            return;
        };
        let dest = self.poster_path(&e.sha256);
        let tmp = dest.with_extension("part");
        let saved = dest
            .parent()
            .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
            && std::fs::write(&tmp, bytes).is_ok()
            && std::fs::rename(&tmp, &dest).is_ok();
        if saved {
            let _ = self.events.send(UiEvent::Poster {
                exhibit: e.reference.to_string(),
                sha256: e.sha256.to_hex(),
                jpeg,
            });
        }
    }
}
