//! Transcripts: the cues of the exhibit's transcript for the surface, captions on chosen screens, and
//! designations (a run of cues played as a clip).
//!
//! A transcript is a second verified blob of its exhibit (`TranscriptBlob`): fetched with it, read
//! from the cache and hashed again each time it is read (it is small), parsed by the store's WebVTT
//! reader. Captions go to playout as text with their times; the core decides which screens may have
//! them (the transcript's own restriction) and playout checks again.

use courtdeck_audit::CustodyEvent;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use courtdeck_core::transcript::Transcript;
use courtdeck_core::{ErrorCode, Exhibit, ScreenId, Sha256Digest, Transport};
use courtdeck_playout::protocol::{Command, WireCue};
use courtdeck_store::{Blob, StoreError, TranscriptBlob};

use crate::error::{ApiError, ApiResult};
use crate::hearing::{Change, find_exhibit, open_hearing};
use crate::json::*;
use crate::{Courtdeck, Session};

/// The parsed transcripts read this run, by the blob's digest.
pub(crate) type Transcripts =
    std::sync::Mutex<std::collections::HashMap<Sha256Digest, Arc<Transcript>>>;

fn no_transcript(exhibit: &Exhibit) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidState,
        format!("Exhibit {} has no transcript.", exhibit.reference),
    )
}

fn on_air(session: &Session) -> ApiResult<Exhibit> {
    let on = session.presentation.on_air().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "Nothing is on the screens. Present the recording first.",
        )
    })?;
    Ok(crate::hearing::exhibit_of(session, on)?.clone())
}

impl Courtdeck {
    /// The transcript of exhibit `reference` of the open hearing, for the surface (the advocate
    /// reads it whatever its restriction: the control surface is not a courtroom screen).
    pub async fn transcript(&self, reference: &str) -> ApiResult<TranscriptDto> {
        let exhibit = {
            let session = self.session.lock().await;
            find_exhibit(open_hearing(&session)?, reference)?.clone()
        };
        let t = self.load_transcript(&exhibit).await?;
        let restriction = exhibit.transcript.expect("loaded").restriction;
        Ok(TranscriptDto {
            exhibit: exhibit.reference.to_string(),
            restriction: restriction.as_str(),
            cues: t
                .cues()
                .iter()
                .map(|c| CueDto {
                    start_ms: c.start().as_millis() as u64,
                    end_ms: c.end().as_millis() as u64,
                    speaker: c.speaker().map(str::to_owned),
                    text: c.text().to_owned(),
                })
                .collect(),
        })
    }

    /// Reads `exhibit`'s transcript from the cache (fetching it if the prefetch could not), hashing
    /// its bytes again: a copy that no longer matches is set aside and refused.
    pub(crate) async fn load_transcript(&self, exhibit: &Exhibit) -> ApiResult<Arc<Transcript>> {
        let blob = TranscriptBlob::of(exhibit).ok_or_else(|| no_transcript(exhibit))?;
        let b = blob.clone();
        // The open hearing's manifest says where its blobs come from (its links, perhaps).
        let manifest = {
            let session = self.session.lock().await;
            session
                .open
                .as_ref()
                .filter(|o| o.manifest.exhibit(&exhibit.reference) == Some(exhibit))
                .map(|o| o.manifest.clone())
        };
        let (read, corrupt) = self
            .blocking(move |store, cache| {
                let store = match &manifest {
                    Some(m) => crate::fetch::store_for(&store, m),
                    None => store,
                };
                let read = || -> Result<Vec<u8>, StoreError> {
                    let path = match cache.verified_path(&b) {
                        Some(p) => p,
                        None => {
                            cache.fetch(store.as_ref(), &b, &AtomicBool::new(false), &mut |_| {})?
                        }
                    };
                    std::fs::read(&path)
                        .map_err(|e| StoreError::io(format!("reading {}", b.what()), e))
                };
                match read() {
                    Ok(bytes) if Sha256Digest::of(&bytes) == b.sha256() => (Ok(bytes), None),
                    Ok(bytes) => {
                        // Changed on disk since it was verified: set aside, never used.
                        let corrupt = cache.reverify(&b).ok().flatten();
                        let e = StoreError::HashMismatch {
                            what: b.what(),
                            expected: b.sha256().to_hex(),
                            actual: Sha256Digest::of(&bytes).to_hex(),
                        };
                        (Err(e), corrupt)
                    }
                    Err(e) => (Err(e), None),
                }
            })
            .await?;
        if let Some(c) = &corrupt {
            let case = self
                .audit_case
                .lock()
                .expect("not poisoned")
                .clone()
                .unwrap_or_default();
            self.audit_corrupt(&case, &exhibit.reference, &blob, c);
        }
        let bytes = read?;
        if let Some(t) = self
            .transcripts
            .lock()
            .expect("not poisoned")
            .get(&blob.sha256())
        {
            return Ok(t.clone());
        }
        let refused = |why: String| {
            ApiError::new(
                ErrorCode::TranscriptRefused,
                format!(
                    "The transcript of exhibit {} cannot be used: {why}",
                    exhibit.reference
                ),
            )
        };
        let text = String::from_utf8(bytes).map_err(|_| refused("it is not UTF-8 text".into()))?;
        let t = Arc::new(
            courtdeck_store::webvtt::parse(&text, exhibit.duration)
                .map_err(|e| refused(e.to_string()))?,
        );
        self.transcripts
            .lock()
            .expect("not poisoned")
            .insert(blob.sha256(), t.clone());
        Ok(t)
    }

    /// Shows the transcript's captions of the recording on air on `screens` and takes them off every
    /// other (none: captions off). Each screen must show the recording and be allowed by the
    /// transcript's restriction; the request is refused whole otherwise. Recorded as
    /// `captions_shown` (which screens, with their roles) or `captions_off`.
    pub async fn set_captions(&self, screens: Vec<String>) -> ApiResult<StageDto> {
        let requested = screens
            .iter()
            .map(|s| {
                ScreenId::parse(s)
                    .map_err(|e| ApiError::new(ErrorCode::ScreenMissing, e.to_string()))
            })
            .collect::<ApiResult<BTreeSet<_>>>()?;
        let exhibit = on_air(&*self.session.lock().await)?;
        let transcript = match (&exhibit.transcript, requested.is_empty()) {
            (None, true) => None,
            (None, false) => return Err(no_transcript(&exhibit)),
            (Some(_), _) => Some(self.load_transcript(&exhibit).await?),
        };
        let cues: Vec<WireCue> = match (&transcript, requested.is_empty()) {
            (Some(t), false) => t
                .cues()
                .iter()
                .map(|c| WireCue {
                    start_ms: c.start().as_millis() as u64,
                    end_ms: c.end().as_millis() as u64,
                    speaker: c.speaker().map(str::to_owned),
                    text: c.text().to_owned(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let all = self.screens.clone();
        self.commit(move |session| {
            let now = on_air(session)?;
            if now.reference != exhibit.reference {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    "Another exhibit went on the screens meanwhile.",
                ));
            }
            session
                .presentation
                .clone()
                .set_captions(&now, &requested, &all)?;
            let restriction = now
                .transcript
                .map_or(courtdeck_core::Restriction::BenchOnly, |t| t.restriction);
            Ok(Change {
                command: Command::Captions {
                    restriction: restriction.as_str().into(),
                    screens: requested.iter().map(|s| s.to_string()).collect(),
                    cues,
                },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    let now = on_air(session)?;
                    session
                        .presentation
                        .set_captions(&now, &requested, &self.screens)?;
                    let shown: Vec<_> = self
                        .screens
                        .iter()
                        .filter(|s| requested.contains(&s.id))
                        .map(|s| courtdeck_audit::ScreenShown {
                            screen: s.id.to_string(),
                            label: None,
                            role: s.role.as_str().into(),
                        })
                        .collect();
                    let sha = now.transcript.map(|t| t.sha256.to_hex());
                    if requested.is_empty() {
                        self.audit(CustodyEvent::CaptionsOff {
                            exhibit: now.reference.to_string(),
                            transcript_sha256: sha,
                        });
                    } else {
                        self.audit(CustodyEvent::CaptionsShown {
                            exhibit: now.reference.to_string(),
                            transcript_sha256: sha,
                            restriction: restriction.as_str().into(),
                            screens: shown,
                        });
                    }
                    Ok(())
                }),
            })
        })
        .await
    }

    /// Plays a designation of the recording on air: its transcript's lines `first` to `last`
    /// (counted from 1, as the surface numbers them), from the first's start to the last's end,
    /// stopping there like a clip. Recorded as `designation_played`.
    pub async fn play_designation(&self, first: usize, last: usize) -> ApiResult<StageDto> {
        let exhibit = on_air(&*self.session.lock().await)?;
        let t = self.load_transcript(&exhibit).await?;
        let clip = t
            .designation(first.wrapping_sub(1), last.wrapping_sub(1))
            .map_err(|e| ApiError::new(ErrorCode::InvalidState, format!("{}.", e.reason)))?;
        let (start_ms, end_ms) = (
            clip.start().as_millis() as u64,
            clip.end().as_millis() as u64,
        );
        self.commit(move |session| {
            if on_air(session)?.reference != exhibit.reference {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    "Another exhibit went on the screens meanwhile.",
                ));
            }
            Ok(Change {
                command: Command::PlayClip { start_ms, end_ms },
                sync_screens: false,
                reply: None,
                apply: Box::new(move |session| {
                    self.audit(CustodyEvent::DesignationPlayed {
                        exhibit: exhibit.reference.to_string(),
                        designation: clip.label().to_string(),
                        first_line: first,
                        last_line: last,
                        start_ms,
                        end_ms,
                    });
                    session
                        .presentation
                        .set_transport(Transport::Playing)
                        .map_err(ApiError::from)
                }),
            })
        })
        .await
    }
}
