//! Fetching exhibits into the verified cache, checking cached copies again, and housekeeping.

use courtdeck_audit::CustodyEvent;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use courtdeck_core::{CaseManifest, ErrorCode, Exhibit, ExhibitRef};
use courtdeck_store::{Blob, StoreError, TranscriptBlob};
use jiff::civil::Date;

use crate::error::{ApiError, ApiResult};
use crate::json::*;
use crate::listing::{load_manifest, parse_case};
use crate::store::SLOW_STORE_GRACE;
use crate::{CopyCheck, Courtdeck, internal, today};

/// Hashes a launched hearing's cached exhibits again, one at a time, while that hearing stays open.
pub(crate) async fn reverify_hearing(
    deck: std::sync::Weak<Courtdeck>,
    case: String,
    exhibits: Vec<Exhibit>,
) {
    for exhibit in exhibits {
        let Some(deck) = deck.upgrade() else { return };
        let check = {
            let session = deck.session.lock().await;
            match &session.open {
                Some(open) if open.hearing.case_id.as_str() == case => {
                    open.checks.get(&exhibit.reference).cloned()
                }
                _ => return,
            }
        };
        let Some(check) = check else { continue };
        if let Err(e) = deck.check_copy_once(&case, &exhibit, &check).await {
            tracing::error!(exhibit = %exhibit.reference, "not presentable: {}", e.message);
        }
    }
}

/// The store `manifest`'s blobs come from: `store`, or, for a case whose publisher hands out links,
/// its links (read on the first blob, and again when one is refused), its documents from `store`.
pub(crate) fn store_for(
    store: &Arc<dyn courtdeck_store::EvidenceStore>,
    manifest: &CaseManifest,
) -> Arc<dyn courtdeck_store::EvidenceStore> {
    if manifest.blob_links {
        Arc::new(courtdeck_store::LinkedStore::new(
            store.clone(),
            manifest.case_id.clone(),
        ))
    } else {
        store.clone()
    }
}

/// Why an exhibit whose cached copy changed on disk is not shown.
pub(crate) fn corrupt_error(exhibit: &Exhibit) -> ApiError {
    ApiError::new(
        ErrorCode::HashMismatch,
        format!(
            "The copy of exhibit {} on this kiosk no longer matches its SHA-256 (the file changed on disk after it was checked). It was set aside and will not be shown. Fetch the hearing again to repair it.",
            exhibit.reference
        ),
    )
}

impl Courtdeck {
    /// Fetches and verifies every exhibit of `case_id` not yet cached. With `rehash`, what is already
    /// cached is hashed again first, and a copy that no longer matches is set aside (`cache_corrupt`)
    /// and fetched again. Returns the problems per exhibit; the rest of the hearing is usable whatever
    /// fails.
    pub async fn fetch_case(
        &self,
        case_id: &str,
        rehash: bool,
    ) -> ApiResult<(CaseManifest, HashMap<ExhibitRef, ApiError>)> {
        let case = parse_case(case_id)?;
        let c2 = case.clone();
        let trust = self.trust.clone();
        let manifest = self
            .blocking(move |store, cache| load_manifest(store.as_ref(), &cache, &trust, &c2))
            .await??;
        let cancel = self.fetch_cancel.lock().expect("not poisoned").clone();
        let store = store_for(&self.store, &manifest);
        let mut tasks = tokio::task::JoinSet::new();
        for exhibit in manifest.exhibits().iter().cloned() {
            if self.cache.verified_path(&exhibit).is_none() {
                self.audit_for(
                    Some(case_id),
                    CustodyEvent::FetchStarted {
                        exhibit: exhibit.reference.to_string(),
                        sha256: exhibit.sha256.to_hex(),
                        bytes: exhibit.size,
                        store: store.describe(),
                    },
                );
            }
            let (store, cache) = (
                store.clone(),
                self.cache.with(courtdeck_store::FetchPolicy {
                    rehash_cached: rehash,
                    ..self.cache.policy()
                }),
            );
            let (events, cancel, slots) = (
                self.events.clone(),
                cancel.clone(),
                self.fetch_slots.clone(),
            );
            let case_for_progress = case_id.to_owned();
            let slow_store = self.slow_store.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let recently_slow = slow_store
                    .lock()
                    .expect("not poisoned")
                    .clone()
                    .filter(|(at, ..)| at.elapsed() < SLOW_STORE_GRACE);
                if let Some((_, store, rate, need)) = recently_slow
                    && cache.verified_path(&exhibit).is_none()
                {
                    let detail = format!(
                        "exhibit {} was not tried, because another download from it ended that slow just now; fetch again later",
                        exhibit.reference
                    );
                    let e = StoreError::TooSlow {
                        store,
                        rate,
                        need,
                        detail,
                    };
                    return (exhibit, Ok(Err(e)));
                }
                let exhibit2 = exhibit.clone();
                let result = tokio::task::spawn_blocking(move || {
                    let mut last: Option<u64> = None;
                    cache.fetch_with_report(store.as_ref(), &exhibit2, &cancel, &mut |p| {
                        // The first, then one per 4 MiB, then the last: keeps the UI live without
                        // flooding it.
                        let due = last.is_none_or(|l| p.done < l || p.done - l >= 4 << 20);
                        if due || p.done == p.total {
                            last = Some(p.done);
                            let _ = events.send(UiEvent::FetchProgress {
                                case_id: case_for_progress.clone(),
                                exhibit: exhibit2.reference.to_string(),
                                done: p.done,
                                total: p.total,
                            });
                        }
                    })
                    .map(|report| {
                        // Its transcript, a small second blob: fetched with it, verified the same
                        // way. A transcript that cannot be had does not stop the recording.
                        let transcript = TranscriptBlob::of(&exhibit2).map(|t| {
                            let got = cache.fetch_with_report(store.as_ref(), &t, &cancel, &mut |_| {});
                            (t, got)
                        });
                        (report, transcript)
                    })
                })
                .await;
                if let Ok(Err(StoreError::TooSlow {
                    store, rate, need, ..
                })) = &result
                {
                    *slow_store.lock().expect("not poisoned") = Some((
                        std::time::Instant::now(),
                        store.clone(),
                        rate.clone(),
                        need.clone(),
                    ));
                }
                (exhibit, result)
            });
        }
        let mut problems = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (exhibit, result) = joined.map_err(internal)?;
            let result = result.map_err(internal)?;
            let result = match result {
                Ok((report, transcript)) => {
                    if let Some((t, got)) = &transcript {
                        // Not one of the exhibit's problems: the recording plays without it, and
                        // the transcript view says why it is missing.
                        self.audit_fetch(case_id, &t.reference, t, got);
                    }
                    Ok(report)
                }
                Err(e) => Err(e),
            };
            self.audit_fetch(case_id, &exhibit.reference, &exhibit, &result);
            if let Err(e) = result {
                problems.insert(exhibit.reference.clone(), e.into());
            }
        }
        Ok((manifest, problems))
    }

    /// Records how fetching `blob` (exhibit `reference`, or its transcript) went: a rotted copy set
    /// aside, the bytes verified, or why the fetch failed.
    fn audit_fetch(
        &self,
        case_id: &str,
        reference: &ExhibitRef,
        blob: &dyn Blob,
        result: &Result<courtdeck_store::FetchReport, StoreError>,
    ) {
        match result {
            Ok(report) => {
                if let Some(c) = &report.corrupt_copy {
                    self.audit_corrupt(case_id, reference, blob, c);
                }
                if !report.already_cached {
                    self.audit_for(
                        Some(case_id),
                        CustodyEvent::FetchVerified {
                            exhibit: reference.to_string(),
                            blob: blob.what(),
                            sha256: blob.sha256().to_hex(),
                            bytes: blob.size(),
                            bytes_received: report.bytes_received,
                            resumed_from: report.resumed_from,
                            reconnects: report.reconnects.into(),
                            store: self.store.describe(),
                        },
                    );
                }
            }
            Err(e) => {
                tracing::warn!(exhibit = %reference, blob = %blob.what(), "fetch failed: {e}");
                let (exhibit, blob, sha256, code, reason) = (
                    reference.to_string(),
                    blob.what(),
                    blob.sha256().to_hex(),
                    e.code().as_str().to_owned(),
                    e.to_string(),
                );
                self.audit_for(
                    Some(case_id),
                    if e.code() == ErrorCode::HashMismatch {
                        CustodyEvent::FetchFailedVerification {
                            exhibit,
                            blob,
                            sha256,
                            code,
                            reason,
                        }
                    } else {
                        CustodyEvent::FetchFailed {
                            exhibit,
                            blob,
                            sha256,
                            code,
                            reason,
                        }
                    },
                );
            }
        }
    }

    /// Hashes the cached copy of `exhibit` again. A copy that no longer matches is set aside and
    /// recorded, and the answer says why it cannot be shown.
    pub(crate) async fn check_cached_copy(
        &self,
        case_id: &str,
        exhibit: &Exhibit,
    ) -> ApiResult<PathBuf> {
        let e2 = exhibit.clone();
        let checked = self
            .blocking(move |_, cache| {
                let corrupt = cache.reverify(&e2)?;
                Ok::<_, StoreError>((corrupt, cache.verified_path(&e2)))
            })
            .await??;
        match checked {
            (Some(c), _) => {
                self.audit_corrupt(case_id, &exhibit.reference, exhibit, &c);
                Err(corrupt_error(exhibit))
            }
            (None, Some(path)) => Ok(path),
            (None, None) => Err(ApiError::new(
                ErrorCode::NotCached,
                format!(
                    "Exhibit {} is not in the cache (its copy was set aside or removed). Fetch the hearing again.",
                    exhibit.reference
                ),
            )),
        }
    }

    /// Applies the cache's size/age policy (`[cache]` in the config). Today's list is read first, so
    /// its cases count as needed today and nothing they need is evicted; nor is the open hearing's.
    pub async fn housekeep(&self) -> ApiResult<courtdeck_store::HousekeepReport> {
        let today_list = self.today().await?;
        let mut protect = HashSet::new();
        if let Some(open) = &self.session.lock().await.open {
            protect.extend(open.manifest.exhibits().iter().map(|e| e.sha256));
            protect.extend(
                open.manifest
                    .exhibits()
                    .iter()
                    .filter_map(|e| e.transcript.map(|t| t.sha256)),
            );
        }
        if !today_list.store.online && today_list.hearings.is_empty() {
            // Without today's list we cannot know what is needed: evict nothing.
            return Err(today_list.store.problem.unwrap_or_else(|| {
                ApiError::new(ErrorCode::StoreUnreachable, "today's list is not available")
            }));
        }
        let policy = courtdeck_store::housekeeping::Policy {
            retention_days: self.config.cache.retention_days,
            max_bytes: self.config.cache.max_gb.map(|gb| (gb * 1e9) as u64),
        };
        let report = self
            .blocking(move |_, cache| cache.housekeep(today(), policy, &protect))
            .await??;
        if report.evicted_blobs > 0 || report.forgotten_cases > 0 {
            self.audit(CustodyEvent::CacheHousekeeping {
                evicted_blobs: report.evicted_blobs,
                evicted_bytes: report.evicted_bytes,
                forgotten_cases: report.forgotten_cases,
            });
        }
        if report.over_limit_by > 0 {
            tracing::warn!(
                over_by = report.over_limit_by,
                "the cache is over its size limit with only what today's hearings need"
            );
        }
        Ok(report)
    }

    /// Cancels the downloads now running; what arrived is kept and the next fetch resumes it.
    pub fn cancel_fetches(&self) {
        let mut flag = self.fetch_cancel.lock().expect("not poisoned");
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
        *flag = Arc::new(AtomicBool::new(false));
    }

    /// Fetches every exhibit of the day's list (or of one case): what a clerk runs before court.
    pub async fn fetch_day(
        &self,
        date: Date,
        case: Option<&str>,
    ) -> ApiResult<Vec<FetchReportDto>> {
        let list = self.court_list(date).await?;
        if let Some(problem) = list.store.problem {
            return Err(problem);
        }
        // Every case at once; the fetch slots bound the downloads actually running.
        let cases: Vec<_> = list
            .hearings
            .iter()
            .filter(|h| case.is_none_or(|c| c == h.case_id))
            .collect();
        // What a clerk fetches before court is hashed again, even if it is cached already.
        let results =
            futures_util::future::join_all(cases.iter().map(|h| self.fetch_case(&h.case_id, true)))
                .await;
        let mut out = Vec::new();
        for (h, result) in cases.into_iter().zip(results) {
            let report = match result {
                Ok((manifest, problems)) => FetchReportDto {
                    case_id: h.case_id.clone(),
                    exhibits: manifest.exhibits().len(),
                    verified: manifest.exhibits().len() - problems.len(),
                    problems: problems
                        .into_iter()
                        .map(|(r, e)| (r.to_string(), e))
                        .collect(),
                },
                Err(e) => FetchReportDto {
                    case_id: h.case_id.clone(),
                    exhibits: 0,
                    verified: 0,
                    problems: vec![("manifest".into(), e)],
                },
            };
            out.push(report);
        }
        if let Some(c) = case
            && out.is_empty()
        {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("Case {c} is not in the list for {date}."),
            ));
        }
        Ok(out)
    }

    /// Fetches today's list in the background, so that hearings are ready before the usher launches them.
    /// Progress arrives as `UiEvent::FetchProgress`; failures are logged and shown on the hearing cards.
    pub fn prefetch_today_in_background(self: &Arc<Self>) {
        let deck = Arc::downgrade(self);
        tokio::spawn(async move {
            let Some(deck) = deck.upgrade() else { return };
            match deck.fetch_day(today(), None).await {
                Ok(reports) => {
                    let verified: usize = reports.iter().map(|r| r.verified).sum();
                    tracing::info!(verified, "today's exhibits prefetched");
                }
                Err(e) => tracing::warn!("prefetch of today's list failed: {e}"),
            }
            deck.make_posters().await;
            match deck.housekeep().await {
                Ok(r) => tracing::info!(
                    evicted = r.evicted_blobs,
                    kept = r.kept_blobs,
                    "cache housekeeping done"
                ),
                Err(e) => tracing::warn!("cache housekeeping skipped: {e}"),
            }
        });
    }

    /// Hashes a launched exhibit's cached copy again, once per launch (see `OpenHearing::checks`), and
    /// keeps the outcome in the open hearing if it is still `case`: a copy that failed is no longer
    /// presentable, and the surface is told why.
    pub(crate) async fn check_copy_once(
        &self,
        case: &str,
        exhibit: &Exhibit,
        check: &CopyCheck,
    ) -> ApiResult<()> {
        let checked = check
            .get_or_init(|| self.check_cached_copy(case, exhibit))
            .await
            .clone();
        let mut session = self.session.lock().await;
        let Some(open) = session.open.as_mut() else {
            return checked.map(drop);
        };
        if open.hearing.case_id.as_str() != case {
            return checked.map(drop);
        }
        match checked {
            Ok(_) => Ok(()),
            Err(e) => {
                let newly = open.paths.remove(&exhibit.reference).is_some();
                open.problems.insert(exhibit.reference.clone(), e.clone());
                if newly {
                    let _ = self.events.send(UiEvent::Notice {
                        error: e.clone(),
                        exhibit: Some(exhibit.reference.to_string()),
                    });
                }
                Err(e)
            }
        }
    }
}
