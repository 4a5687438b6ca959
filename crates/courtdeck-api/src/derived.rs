//! Keeping a marked picture as an exhibit: the still, page or paused frame on air with its strokes
//! becomes a new still exhibit of the hearing (the case's next reference), whose manifest entry
//! names the exhibit it was made of (reference and SHA-256), the page or position, and the strokes.
//! The original is untouched. The still enters the verified cache the only way bytes do
//! (`Cache::fetch`, here from a one-blob folder store), and the derived entries of each case are
//! kept beside the custody log (`derived/<case>.json`, the store's manifest format) and recorded
//! as `exhibit_derived`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use courtdeck_core::annotation::{Derivation, DerivedSource};
use courtdeck_core::{CaseManifest, ErrorCode, Exhibit, ExhibitKind, Sha256Digest};
use courtdeck_playout::protocol::{Command, Snapshot};
use courtdeck_store::{DirStore, blob_path};

use crate::Courtdeck;
use crate::error::{ApiError, ApiResult};
use crate::hearing::{Showing, open_hearing};
use crate::json::HearingDto;

/// The initials of a still kept from a live source (`LIVE/1`): it is the court's, not a party's.
const LIVE_INITIALS: &str = "LIVE";

/// What a kept still will be, decided under the session before the picture is taken.
struct Kept {
    derivation: Derivation,
    restriction: courtdeck_core::Restriction,
    initials: String,
    title: String,
}

impl Courtdeck {
    /// Keeps the marked picture on air as a new still exhibit (see the module's documentation) and
    /// returns the hearing with it. Refused with nothing on air or no strokes on it.
    pub async fn keep_marked(&self) -> ApiResult<HearingDto> {
        let kept = {
            let session = self.session.lock().await;
            let on = session.presentation.on_air().cloned().ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidState,
                    "Nothing is on the screens. Present an exhibit and mark it first.",
                )
            })?;
            match self.on_air_item(&session)? {
                // A live source's held frame is kept with or without marks: what the bench saw.
                Showing::Live(s) => {
                    if !on.held {
                        return Err(ApiError::new(
                            ErrorCode::InvalidState,
                            format!(
                                "Hold the picture from {} first: only a held frame can be kept.",
                                s.source.label
                            ),
                        ));
                    }
                    let taken_at = jiff::Timestamp::now();
                    Kept {
                        derivation: Derivation {
                            source: DerivedSource::Live {
                                source: s.source.id.clone(),
                                label: s.source.label.clone(),
                                taken_at,
                            },
                            page: None,
                            position_ms: None,
                            strokes: on.strokes.clone(),
                        },
                        restriction: s.source.restriction,
                        initials: LIVE_INITIALS.to_owned(),
                        title: format!(
                            "{}, live, frame held at {}{}",
                            s.source.label,
                            taken_at
                                .to_zoned(jiff::tz::TimeZone::system())
                                .strftime("%H:%M:%S"),
                            if on.strokes.is_empty() {
                                ""
                            } else {
                                ", marked in court"
                            }
                        ),
                    }
                }
                Showing::Exhibit(source) => {
                    if on.strokes.is_empty() {
                        return Err(ApiError::new(
                            ErrorCode::InvalidState,
                            "There are no marks on the picture to keep. Draw on it first.",
                        ));
                    }
                    if let Some(b) = &on.beside {
                        // A kept still names one source: a picture of two would claim to be from one.
                        return Err(ApiError::new(
                            ErrorCode::InvalidState,
                            format!(
                                "A still of two exhibits side by side cannot be kept: show {} alone (without {}) to keep a still of it.",
                                on.shown, b.exhibit
                            ),
                        ));
                    }
                    let page = source.kind.capabilities().pages.then_some(on.page);
                    let position_ms = source
                        .kind
                        .has_timeline()
                        .then(|| self.position_ms.load(std::sync::atomic::Ordering::Relaxed));
                    let where_ = match (page, position_ms) {
                        (Some(page), _) => format!(", page {page}"),
                        (None, Some(ms)) => format!(", at {}:{:02}", ms / 60_000, ms / 1000 % 60),
                        (None, None) => String::new(),
                    };
                    Kept {
                        derivation: Derivation {
                            source: DerivedSource::Exhibit {
                                reference: source.reference.clone(),
                                sha256: source.sha256,
                            },
                            page,
                            position_ms,
                            strokes: on.strokes.clone(),
                        },
                        restriction: source.restriction,
                        initials: source.reference.initials().to_owned(),
                        title: format!("{}{where_}, marked in court", source.reference),
                    }
                }
            }
        };
        let snapshot: Snapshot = self.playout()?.request_data(Command::Snapshot).await?;
        let png = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(snapshot.png.as_bytes())
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("playout's still was not base64: {e}"),
                    )
                })?
        };
        let sha256 = Sha256Digest::of(&png);
        // A one-blob folder store: the still enters the cache through `Cache::fetch`, verified.
        let staging = self.cache.root().join("staging").join(format!(
            "{}-{}",
            std::process::id(),
            sha256.to_hex()
        ));
        let blob = staging.join(blob_path(&sha256));
        std::fs::create_dir_all(blob.parent().expect("a blob has a folder"))
            .and_then(|()| std::fs::write(&blob, &png))
            .map_err(|e| {
                ApiError::new(
                    if e.raw_os_error() == Some(28) {
                        ErrorCode::DiskFull
                    } else {
                        ErrorCode::Internal
                    },
                    format!("The marked still could not be written: {e}."),
                )
            })?;
        // Into the cache (hashed again, renamed into place) off the async threads and without the
        // session: the court's other controls do not wait for a disk.
        let still = MarkedStill {
            sha256,
            size: png.len() as u64,
        };
        let staged = staging.clone();
        let fetched = self
            .blocking(move |_, cache| {
                let store = DirStore::new(&staged);
                let fetched = cache.fetch(&store, &still, &AtomicBool::new(false), &mut |_| {});
                let _ = std::fs::remove_dir_all(&staged);
                fetched
            })
            .await?;
        let path = fetched.map_err(ApiError::from)?;
        // The reference is taken now, under the session: the cache is by content, so the still is
        // the same whatever it is called, and two kept at once cannot take the same reference.
        let mut session = self.session.lock().await;
        let open = session.open.as_mut().ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidState, "The hearing was closed meanwhile.")
        })?;
        let reference = open
            .manifest
            .next_reference_with(&kept.initials)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidState,
                    format!("The case has no free reference for {}.", kept.initials),
                )
            })?;
        let exhibit = Exhibit {
            reference: reference.clone(),
            title: kept.title,
            kind: ExhibitKind::Image,
            media_type: "image/png".into(),
            size: png.len() as u64,
            sha256,
            restriction: kept.restriction,
            duration: None,
            clips: Vec::new(),
            pages: Vec::new(),
            derived_from: Some(Box::new(kept.derivation)),
            transcript: None,
            provenance: None,
        };
        let manifest = open
            .manifest
            .with_exhibit(exhibit.clone())
            .map_err(|e| ApiError::new(ErrorCode::InvalidManifest, e.to_string()))?;
        open.manifest = manifest;
        open.paths.insert(reference.clone(), path);
        let case = open.hearing.case_id.to_string();
        let derived: Vec<Exhibit> = open
            .manifest
            .exhibits()
            .iter()
            .filter(|e| e.derived_from.is_some())
            .cloned()
            .collect();
        let record = self.derived_file(&case);
        if let Err(e) = write_derived(&record, &open.manifest, derived) {
            tracing::warn!(path = %record.display(), "derived exhibits not kept: {e:#}");
        }
        let d = exhibit.derived_from.as_deref().expect("derived");
        self.audit(courtdeck_audit::CustodyEvent::ExhibitDerived {
            exhibit: reference.to_string(),
            sha256: exhibit.sha256.to_hex(),
            restriction: exhibit.restriction.as_str().into(),
            size: exhibit.size,
            source: courtdeck_audit::DerivedFrom {
                exhibit: d.source.name(),
                sha256: match &d.source {
                    DerivedSource::Exhibit { sha256, .. } => sha256.to_hex(),
                    DerivedSource::Live { .. } => String::new(),
                },
                page: d.page,
                position_ms: d.position_ms,
                taken_at: match &d.source {
                    DerivedSource::Live { taken_at, .. } => Some(taken_at.to_string()),
                    DerivedSource::Exhibit { .. } => None,
                },
            },
            strokes: crate::audit::stroke_records(&d.strokes),
            record: record.display().to_string(),
        });
        tracing::info!(exhibit = %reference, source = %d.source.name(), "marked picture kept");
        let hearing = self.hearing_dto(open_hearing(&session)?);
        drop(session);
        self.make_poster(&exhibit).await;
        Ok(hearing)
    }

    /// Where a case's derived exhibits are written down: beside the custody log.
    /// `manifest` with the stills kept in court for its case (`derived/<case>.json`): each whose
    /// bytes are in the cache (verified when kept) and whose reference the store's manifest has not
    /// since given to another exhibit. One that cannot come back is logged and left out.
    pub(crate) fn with_derived(&self, manifest: CaseManifest) -> CaseManifest {
        let record = self.derived_file(manifest.case_id.as_str());
        let Ok(bytes) = std::fs::read(&record) else {
            return manifest;
        };
        let kept = match courtdeck_store::wire::parse_manifest(&bytes) {
            Ok(kept) if kept.case_id == manifest.case_id => kept,
            Ok(_) => return manifest,
            Err(e) => {
                tracing::warn!(path = %record.display(), "the stills kept in court cannot be read: {e}");
                return manifest;
            }
        };
        let mut out = manifest;
        for e in kept.exhibits() {
            if out.exhibit(&e.reference).is_some_and(|have| have == e) {
                continue;
            }
            if self.cache.verified_path(e).is_none() {
                tracing::warn!(exhibit = %e.reference, "a still kept in court is no longer in the cache");
                continue;
            }
            match out.with_exhibit(e.clone()) {
                Ok(m) => out = m,
                Err(err) => {
                    tracing::warn!(exhibit = %e.reference, "a still kept in court cannot come back: {err}");
                }
            }
        }
        out
    }

    fn derived_file(&self, case: &str) -> PathBuf {
        let log = self.config.audit_file();
        log.parent()
            .map_or_else(std::env::temp_dir, |p| p.to_path_buf())
            .join("derived")
            .join(format!("{case}.json"))
    }
}

/// Writes the derived exhibits of `manifest`'s case as a manifest of their own (atomically).
/// A marked still on its way into the cache, before it has a reference.
struct MarkedStill {
    sha256: Sha256Digest,
    size: u64,
}

impl courtdeck_store::Blob for MarkedStill {
    fn sha256(&self) -> Sha256Digest {
        self.sha256
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn what(&self) -> String {
        "the marked still".into()
    }
}

fn write_derived(
    path: &std::path::Path,
    manifest: &courtdeck_core::CaseManifest,
    derived: Vec<Exhibit>,
) -> anyhow::Result<()> {
    let own = courtdeck_core::CaseManifest::new(
        manifest.case_id.clone(),
        manifest.title.clone(),
        derived,
    )?;
    let json = serde_json::to_vec_pretty(&courtdeck_store::wire::manifest_doc(&own))?;
    std::fs::create_dir_all(path.parent().expect("a folder"))?;
    let part = path.with_extension("json.part");
    std::fs::write(&part, json)?;
    std::fs::rename(&part, path)?;
    Ok(())
}
