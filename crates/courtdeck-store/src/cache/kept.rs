//! What the cache keeps besides verified blobs: the last good copy of each list and manifest (for
//! offline days), the record of which cases were listed when, and housekeeping (the space policy).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use courtdeck_core::{CaseManifest, Sha256Digest};
use jiff::ToSpan;
use jiff::civil::Date;

use super::Cache;
use crate::StoreError;
use crate::housekeeping::{self, CachedBlob, CaseRecord, Policy};

/// What `Cache::housekeep` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HousekeepReport {
    pub evicted_blobs: usize,
    pub evicted_bytes: u64,
    pub kept_blobs: usize,
    pub kept_bytes: u64,
    /// Still over the size limit: what today's hearings need does not fit under it.
    pub over_limit_by: u64,
    pub forgotten_cases: usize,
    pub stale_partials: usize,
}

/// Files `depth` levels below `dir` (1: its files; 2: files in its subfolders).
pub(super) fn read_dir_all(dir: &Path, depth: u32) -> Vec<fs::DirEntry> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if depth > 1 && is_dir {
            out.extend(read_dir_all(&entry.path(), depth - 1));
        } else if depth == 1 && !is_dir {
            out.push(entry);
        }
    }
    out
}

impl Cache {
    /// Keeps a copy of a store document (court list, manifest) for offline use. Written aside and
    /// renamed, so a crash never leaves half a document. Best effort: a failure only costs offline use.
    pub fn keep_document(&self, rel: &str, bytes: &[u8]) {
        let Some(path) = self.document_path(rel) else {
            return;
        };
        if fs::read(&path).is_ok_and(|old| old == bytes) {
            return;
        }
        let tmp = path.with_extension("part");
        let ok = path
            .parent()
            .is_some_and(|dir| fs::create_dir_all(dir).is_ok())
            && fs::write(&tmp, bytes).is_ok()
            && fs::rename(&tmp, &path).is_ok();
        if !ok {
            tracing::warn!(path = rel, "could not keep an offline copy");
        }
    }

    /// The kept copy of a store document, if any.
    pub fn kept_document(&self, rel: &str) -> Option<Vec<u8>> {
        fs::read(self.document_path(rel)?).ok()
    }

    pub(super) fn document_path(&self, rel: &str) -> Option<PathBuf> {
        let safe = !rel.starts_with('/')
            && rel
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'));
        safe.then(|| self.root.join("documents").join(rel))
    }

    /// Records that `manifest`'s case is listed on `date` (for housekeeping). Best effort, and a write
    /// only when something changed.
    pub fn note_listing(&self, manifest: &CaseManifest, date: Date) {
        let path = self.case_record_path(manifest.case_id.as_str());
        let old: Option<CaseRecord> = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let record = CaseRecord {
            case_id: manifest.case_id.to_string(),
            last_listed: old.as_ref().map_or(date, |o| o.last_listed.max(date)),
            blobs: manifest
                .exhibits()
                .iter()
                .flat_map(|e| std::iter::once(e.sha256).chain(e.transcript.map(|t| t.sha256)))
                .map(|d| d.to_hex())
                .collect(),
        };
        if old.as_ref() == Some(&record) {
            return;
        }
        let tmp = path.with_extension("part");
        let ok = path
            .parent()
            .is_some_and(|dir| fs::create_dir_all(dir).is_ok())
            && fs::write(&tmp, serde_json::to_vec(&record).expect("serialisable")).is_ok()
            && fs::rename(&tmp, &path).is_ok();
        if !ok {
            tracing::warn!(case = %manifest.case_id, "could not record the listing for housekeeping");
        }
    }

    pub(super) fn case_record_path(&self, case_id: &str) -> PathBuf {
        self.root.join("cases").join(format!("{case_id}.json"))
    }

    /// Applies the housekeeping policy (see `housekeeping`): evicts blobs of cases whose hearing is
    /// older than the retention, then the longest-unneeded ones while over the size limit; never what
    /// a case listed today or later needs, nor `protect`. Also drops partial downloads untouched for
    /// the retention period.
    pub fn housekeep(
        &self,
        today: Date,
        policy: Policy,
        protect: &HashSet<Sha256Digest>,
    ) -> Result<HousekeepReport, StoreError> {
        let tz = jiff::tz::TimeZone::system();
        let day_of = |meta: &fs::Metadata| {
            meta.modified()
                .ok()
                .and_then(|t| jiff::Timestamp::try_from(t).ok())
                .map_or(today, |t| t.to_zoned(tz.clone()).date())
        };
        let mut blobs = Vec::new();
        for entry in read_dir_all(&self.root.join("sha256"), 2) {
            let Ok(meta) = entry.metadata() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Ok(digest) = Sha256Digest::from_hex(&name) {
                blobs.push(CachedBlob {
                    digest,
                    bytes: meta.len(),
                    cached_on: day_of(&meta),
                });
            }
        }
        let cases: Vec<CaseRecord> = read_dir_all(&self.root.join("cases"), 1)
            .iter()
            .filter_map(|e| serde_json::from_slice(&fs::read(e.path()).ok()?).ok())
            .collect();
        let plan = housekeeping::plan(&blobs, &cases, today, policy, protect);
        let mut report = HousekeepReport {
            kept_blobs: plan.kept_blobs,
            kept_bytes: plan.kept_bytes,
            over_limit_by: plan.over_limit_by,
            ..HousekeepReport::default()
        };
        for (digest, bytes, reason) in &plan.evict {
            match fs::remove_file(self.path_of(digest)) {
                Ok(()) => {
                    report.evicted_blobs += 1;
                    report.evicted_bytes += bytes;
                    tracing::info!(sha256 = %digest, bytes, ?reason, "evicted from the cache");
                }
                Err(e) => tracing::warn!(sha256 = %digest, "could not evict: {e}"),
            }
        }
        for case in &plan.forget_cases {
            let _ = fs::remove_file(self.case_record_path(case));
            if let Some(doc) = self.document_path(&format!("cases/{case}")) {
                let _ = fs::remove_dir_all(doc);
            }
            report.forgotten_cases += 1;
        }
        let cutoff = today
            .checked_sub((policy.retention_days as i64).days())
            .unwrap_or(Date::MIN);
        for entry in read_dir_all(&self.root.join("tmp"), 1) {
            let stale = entry.metadata().is_ok_and(|m| day_of(&m) < cutoff);
            let partial = entry
                .path()
                .extension()
                .is_some_and(|e| e == "part" || e == "etag");
            if stale && partial && fs::remove_file(entry.path()).is_ok() {
                report.stale_partials += 1;
            }
        }
        Ok(report)
    }

    pub(super) fn free_space(&self) -> Result<u64, StoreError> {
        fs::create_dir_all(&self.root)
            .map_err(|e| StoreError::io(format!("creating {}", self.root.display()), e))?;
        let stat = rustix::fs::statvfs(&self.root)
            .map_err(|e| StoreError::io("checking free disk space", std::io::Error::from(e)))?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    pub(super) fn check_free_space(&self, needed: u64, what: &str) -> Result<(), StoreError> {
        let free = self.free_space()?;
        if free < needed {
            return Err(StoreError::disk_full(what, needed, free, &self.root));
        }
        Ok(())
    }
}
