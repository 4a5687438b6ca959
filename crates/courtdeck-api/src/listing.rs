//! The day's court list and the case manifests, read from the store (or the kept copies offline).

use courtdeck_core::{CaseId, CaseManifest, CourtId, ErrorCode};
use courtdeck_store::{Cache, EvidenceStore, StoreError, TrustedKeys};
use jiff::civil::Date;

use crate::error::{ApiError, ApiResult};
use crate::json::*;
use crate::{Courtdeck, today};

pub(crate) fn parse_case(case_id: &str) -> ApiResult<CaseId> {
    CaseId::parse(case_id).map_err(|e| ApiError::new(ErrorCode::InvalidManifest, e.to_string()))
}

/// Reads a document from the store and keeps a copy in the cache. When the store cannot be reached or
/// refuses us, returns the kept copy with the reason, so a hearing whose exhibits are cached launches
/// offline and the surface says the store is offline.
pub(crate) fn load_document(
    store: &dyn EvidenceStore,
    cache: &Cache,
    rel: &str,
) -> Result<(Vec<u8>, Option<StoreError>), StoreError> {
    match store.read_document(rel) {
        Ok(bytes) => {
            cache.keep_document(rel, &bytes);
            Ok((bytes, None))
        }
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::StoreUnreachable | ErrorCode::NotAuthorised
            ) =>
        {
            match cache.kept_document(rel) {
                Some(bytes) => {
                    tracing::warn!(path = rel, "store unavailable, using the kept copy: {e}");
                    Ok((bytes, Some(e)))
                }
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// A case's manifest, from the store or (offline) the kept copy; with trusted publisher keys
/// configured, only if its signature (kept alongside) verifies.
pub(crate) fn load_manifest(
    store: &dyn EvidenceStore,
    cache: &Cache,
    trust: &TrustedKeys,
    case: &CaseId,
) -> Result<CaseManifest, StoreError> {
    let (bytes, _) = load_document(store, cache, &courtdeck_store::manifest_path(case))?;
    if !trust.is_empty() {
        let sig = match load_document(
            store,
            cache,
            &courtdeck_store::manifest_signature_path(case),
        ) {
            Ok((sig, _)) => Some(sig),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        trust.check(&format!("case {case}"), &bytes, sig.as_deref())?;
    }
    let manifest = courtdeck_store::wire::parse_manifest(&bytes)?;
    if manifest.case_id != *case {
        return Err(StoreError::Invalid(format!(
            "the manifest in cases/{case}/ is for case {}",
            manifest.case_id
        )));
    }
    Ok(manifest)
}

/// A day's list as read (with the hearings that could not be read), or `None` when none is published.
pub(crate) type DayList = Option<(
    courtdeck_core::CourtList,
    Vec<courtdeck_store::wire::RejectedHearing>,
)>;

impl Courtdeck {
    /// Today's list for this courtroom, with each hearing's readiness.
    pub async fn today(&self) -> ApiResult<TodayDto> {
        self.court_list(today()).await
    }

    /// The day's list alone (no manifests), and how the store answered: what `launch` needs to name
    /// the hearing, and the first half of `court_list`.
    pub(crate) async fn read_list(&self, date: Date) -> ApiResult<(DayList, StoreStatusDto)> {
        let court = CourtId::parse(&self.config.court)
            .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
        let description = self.store.describe();
        let list = self
            .blocking(move |store, cache| {
                let rel = courtdeck_store::court_list_path(&court, date);
                match load_document(store.as_ref(), &cache, &rel) {
                    Ok((bytes, offline)) => {
                        // One bad hearing is shown as unavailable in its place; a list that is not
                        // this court's or this day's is refused whole.
                        let (list, rejected) =
                            courtdeck_store::wire::parse_court_list_lenient(&bytes)?;
                        courtdeck_store::wire::check_court_list_place(&list, &court, date)?;
                        Ok((Some((list, rejected)), offline))
                    }
                    Err(StoreError::NotFound(_)) => Ok((None, None)),
                    Err(e) => Err(e),
                }
            })
            .await?;
        let credential = Some(self.credential.as_str().to_owned());
        Ok(match list {
            Ok((list, offline)) => (
                list,
                StoreStatusDto {
                    online: offline.is_none(),
                    description,
                    problem: offline.map(Into::into),
                    credential,
                },
            ),
            Err(e) => (
                None,
                StoreStatusDto {
                    online: false,
                    description,
                    problem: Some(e.into()),
                    credential,
                },
            ),
        })
    }

    /// The day's list with each hearing's readiness. The list is read once and the hearings'
    /// manifests at the same time, not one after another.
    pub async fn court_list(&self, date: Date) -> ApiResult<TodayDto> {
        let court = CourtId::parse(&self.config.court)
            .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
        let (list, store_status) = self.read_list(date).await?;
        let mut hearings = Vec::new();
        let court_name = list
            .as_ref()
            .map(|(l, _)| l.court_name.clone())
            .unwrap_or_else(|| court.to_string());
        let (list, rejected) = match list {
            Some((l, r)) => (Some(l), r),
            None => (None, Vec::new()),
        };
        let listed = list.map(|l| l.hearings).unwrap_or_default();
        let manifests = futures_util::future::join_all(listed.iter().map(|h| {
            let (case, trust) = (h.case_id.clone(), self.trust.clone());
            self.blocking(move |store, cache| {
                let m = load_manifest(store.as_ref(), &cache, &trust, &case);
                if let Ok(m) = &m {
                    cache.note_listing(m, date);
                }
                m
            })
        }))
        .await;
        for (h, manifest) in listed.iter().zip(manifests) {
            let manifest = manifest?;
            let (total, ready, readiness, problem) = match manifest {
                Ok(m) => {
                    let total = m.exhibits().len();
                    let ready = m
                        .exhibits()
                        .iter()
                        .filter(|e| self.cache.verified_path(*e).is_some())
                        .count();
                    let r = if ready == total {
                        Readiness::Ready
                    } else {
                        Readiness::NotFetched
                    };
                    (total, ready, r, None)
                }
                Err(e) => (0, 0, Readiness::Unavailable, Some(ApiError::from(e))),
            };
            hearings.push(HearingCardDto {
                time: h.time.strftime("%H:%M").to_string(),
                case_id: h.case_id.to_string(),
                title: h.title.clone(),
                hearing_type: h.hearing_type.clone(),
                reporting_restriction: h.reporting_restriction.clone(),
                exhibits_total: total,
                exhibits_ready: ready,
                readiness,
                problem,
            });
        }
        for r in rejected {
            hearings.push(HearingCardDto {
                time: r
                    .time
                    .map(|t| t.strftime("%H:%M").to_string())
                    .unwrap_or_default(),
                case_id: r.case_id.map(|c| c.to_string()).unwrap_or_default(),
                title: format!("Hearing {} of the list", r.position),
                hearing_type: String::new(),
                reporting_restriction: None,
                exhibits_total: 0,
                exhibits_ready: 0,
                readiness: Readiness::Unavailable,
                problem: Some(ApiError::from(StoreError::Invalid(r.reason))),
            });
        }
        hearings.sort_by(|a, b| a.time.cmp(&b.time));
        Ok(TodayDto {
            court: court.to_string(),
            court_name,
            date: date.to_string(),
            store: store_status,
            custody: self.custody_problem(),
            hearings,
            language: self.config.ui.language,
        })
    }
}
