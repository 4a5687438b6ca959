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
            if !e.kind.capabilities().picture || self.poster_path(&e.sha256).exists() {
                continue;
            }
            self.make_poster(&e).await;
        }
    }

    /// Small pictures (160x90 JPEG, base64) of `pages` of the document `reference` of the open
    /// hearing, for the surface's page strip: made by playout once each, kept beside the cache. At
    /// most 32 a call; pages the document does not have are left out.
    pub async fn page_posters(
        &self,
        reference: &str,
        pages: Vec<u32>,
    ) -> crate::error::ApiResult<Vec<PagePosterDto>> {
        use base64::Engine as _;
        let (exhibit, path) = {
            let session = self.session.lock().await;
            let open = crate::hearing::open_hearing(&session)?;
            let exhibit = crate::hearing::find_exhibit(open, reference)?.clone();
            let path = open.paths.get(&exhibit.reference).cloned().ok_or_else(|| {
                crate::error::ApiError::new(
                    courtdeck_core::ErrorCode::NotCached,
                    format!("Exhibit {reference} is not in the cache yet."),
                )
            })?;
            (exhibit, path)
        };
        let count = exhibit.pages.len() as u32;
        let mut out = Vec::new();
        for page in pages
            .into_iter()
            .filter(|p| (1..=count).contains(p))
            .take(32)
        {
            let file = self
                .cache
                .root()
                .join("posters")
                .join(format!("{}-p{page}.jpg", exhibit.sha256.to_hex()));
            if let Ok(bytes) = std::fs::read(&file) {
                out.push(PagePosterDto {
                    page,
                    jpeg: base64::engine::general_purpose::STANDARD.encode(bytes),
                });
                continue;
            }
            let poster = self
                .playout()?
                .request_data::<courtdeck_playout::protocol::Poster>(Command::Poster {
                    path: path.display().to_string(),
                    page: Some(page),
                })
                .await?;
            let Some(jpeg) = poster.jpeg else {
                tracing::warn!(
                    exhibit = reference,
                    page,
                    "no page picture: {:?}",
                    poster.error
                );
                continue;
            };
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&jpeg) {
                let tmp = file.with_extension("part");
                let _ = file
                    .parent()
                    .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
                    && std::fs::write(&tmp, bytes).is_ok()
                    && std::fs::rename(&tmp, &file).is_ok();
            }
            out.push(PagePosterDto { page, jpeg });
        }
        Ok(out)
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
                page: None,
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
