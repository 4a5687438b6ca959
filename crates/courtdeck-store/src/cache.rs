//! The kiosk's content-addressed cache of verified evidence.
//!
//! Layout: `sha256/ab/abcdef…` holds verified bytes, read-only; `tmp/<hex>.part` holds a fetch in
//! flight. A file's presence under `sha256/` with the right size *is* the record that it was verified,
//! because nothing else ever renames into that folder; launching a hearing therefore costs one `stat` per
//! exhibit, and `reverify` rehashes on demand (a rotted copy goes to `quarantine/`, never served).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::collections::HashSet;

use courtdeck_core::{CaseManifest, Exhibit, Sha256Digest};
use jiff::ToSpan;
use jiff::civil::Date;
use sha2::{Digest, Sha256};

use crate::housekeeping::{self, CachedBlob, CaseRecord, Policy};
use crate::http::backoff;
use crate::{EvidenceStore, Resume, StoreError};

const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    policy: FetchPolicy,
}

/// How long a download may drag on. Progress means bytes beyond the furthest offset this fetch reached:
/// bytes sent again from zero by a store that ignores `Range` are not progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// The slowest acceptable rate, in bytes per second, measured over `rate_window`; 0 for none.
    pub min_rate: u64,
    pub rate_window: Duration,
    /// Attempts in a row that stayed below `min_rate` before the fetch gives up (`store_unreachable`).
    pub max_slow_attempts: u32,
    /// Attempts in a row that brought no new byte before the fetch gives up.
    pub max_attempts_without_progress: u32,
    /// Rehash what is already cached before saying it is there (`courtdeck fetch`, the prefetch).
    pub rehash_cached: bool,
    /// The longest pause between attempts (the backoff doubles from 250 ms up to this).
    pub max_backoff: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            min_rate: 64 * 1024,
            rate_window: Duration::from_secs(30),
            max_slow_attempts: 3,
            max_attempts_without_progress: MAX_FAILURES_WITHOUT_PROGRESS,
            rehash_cached: false,
            max_backoff: Duration::from_secs(4),
        }
    }
}

/// A cached copy that no longer hashed to its digest: set aside, never served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptCopy {
    pub quarantined_to: PathBuf,
    pub actual_sha256: String,
    pub bytes: u64,
}

/// Reported while a fetch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchProgress {
    pub done: u64,
    pub total: u64,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cache {
            root: root.into(),
            policy: FetchPolicy::default(),
        }
    }

    pub fn with_policy(root: impl Into<PathBuf>, policy: FetchPolicy) -> Self {
        Cache {
            root: root.into(),
            policy,
        }
    }

    pub fn policy(&self) -> FetchPolicy {
        self.policy
    }

    /// The same cache with another policy (e.g. rehashing cached copies for `courtdeck fetch`).
    pub fn with(&self, policy: FetchPolicy) -> Cache {
        Cache {
            root: self.root.clone(),
            policy,
        }
    }

    /// Rehashes the cached copy of `exhibit`, if there is one. A copy that no longer matches is moved to
    /// `quarantine/` (kept for whoever investigates, never served) and reported; `Ok(None)` means the
    /// copy is good or there is none.
    pub fn reverify(&self, exhibit: &Exhibit) -> Result<Option<CorruptCopy>, StoreError> {
        let path = self.path_of(&exhibit.sha256);
        if fs::metadata(&path).is_err() {
            return Ok(None);
        }
        // The blob's fetch lock: another process rehashing or fetching it waits, so a rotted copy is
        // set aside (and reported) once.
        let lock = self.lock_blob(&exhibit.sha256)?;
        let Ok(meta) = fs::metadata(&path) else {
            return Ok(None);
        };
        let what = format!("cached exhibit {}", exhibit.reference);
        let actual = match hash_file(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(format!("reading {what}"), e)),
        };
        if actual == exhibit.sha256 && meta.len() == exhibit.size {
            return Ok(None);
        }
        let dir = self.root.join("quarantine");
        fs::create_dir_all(&dir)
            .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        let dest = dir.join(format!(
            "{}.{}",
            exhibit.sha256.to_hex(),
            jiff::Timestamp::now().as_second()
        ));
        fs::rename(&path, &dest).map_err(|e| StoreError::io(format!("setting aside {what}"), e))?;
        drop(lock);
        tracing::error!(exhibit = %exhibit.reference, expected = %exhibit.sha256, actual = %actual, quarantine = %dest.display(), "a cached copy no longer matches its digest; set aside");
        Ok(Some(CorruptCopy {
            quarantined_to: dest,
            actual_sha256: actual.to_hex(),
            bytes: meta.len(),
        }))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, digest: &Sha256Digest) -> PathBuf {
        let hex = digest.to_hex();
        self.root.join("sha256").join(&hex[..2]).join(hex)
    }

    /// The exclusive lock on one blob's sidecar file (`tmp/<hex>.lock`), held while the returned file
    /// is open.
    fn lock_blob(&self, digest: &Sha256Digest) -> Result<File, StoreError> {
        let lock_path = self.part_path(digest).with_extension("lock");
        if let Some(dir) = lock_path.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        }
        let lock = File::create(&lock_path)
            .map_err(|e| StoreError::io(format!("creating {}", lock_path.display()), e))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| StoreError::io("locking a fetch", std::io::Error::from(e)))?;
        Ok(lock)
    }

    fn part_path(&self, digest: &Sha256Digest) -> PathBuf {
        self.root
            .join("tmp")
            .join(format!("{}.part", digest.to_hex()))
    }

    /// The verified file for `exhibit`, if it is cached with the right size. No hashing: see the module
    /// docs for why presence means verified.
    pub fn verified_path(&self, exhibit: &Exhibit) -> Option<PathBuf> {
        let path = self.path_of(&exhibit.sha256);
        let meta = fs::metadata(&path).ok()?;
        (meta.is_file() && meta.len() == exhibit.size).then_some(path)
    }

    /// Fetches `exhibit` from `store` unless already cached: the download runs on its own thread while
    /// this one hashes and writes (one pass over the bytes, hashing overlapped with the network), then
    /// size and digest are checked, the file is fsync'd and renamed into place. Bytes that fail are
    /// deleted and never enter the cache. A dropped connection is resumed where the bytes stopped (with
    /// the store's ETag as the condition), with backoff, until `MAX_FAILURES_WITHOUT_PROGRESS` attempts
    /// in a row bring nothing; a `.part` left by an interrupted or killed fetch is resumed the same way.
    pub fn fetch(
        &self,
        store: &dyn EvidenceStore,
        exhibit: &Exhibit,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(FetchProgress),
    ) -> Result<PathBuf, StoreError> {
        self.fetch_with_report(store, exhibit, cancel, progress)
            .map(|r| r.path)
    }

    /// As `fetch`, also saying how the download went (for benchmarks and the CLI's JSON).
    pub fn fetch_with_report(
        &self,
        store: &dyn EvidenceStore,
        exhibit: &Exhibit,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(FetchProgress),
    ) -> Result<FetchReport, StoreError> {
        let mut report = FetchReport::default();
        if self.policy.rehash_cached {
            // One pass at disk speed; a rotted copy is set aside and fetched again below.
            report.corrupt_copy = self.reverify(exhibit)?;
        }
        let done_already = |path: PathBuf, progress: &mut dyn FnMut(FetchProgress)| {
            progress(FetchProgress {
                done: exhibit.size,
                total: exhibit.size,
            });
            FetchReport {
                path,
                already_cached: true,
                ..FetchReport::default()
            }
        };
        if report.corrupt_copy.is_none()
            && let Some(path) = self.verified_path(exhibit)
        {
            return Ok(done_already(path, progress));
        }
        let what = format!("exhibit {}", exhibit.reference);
        let part = self.part_path(&exhibit.sha256);
        let etag_path = part.with_extension("etag");
        let tmp_dir = part.parent().expect("part has a parent");
        fs::create_dir_all(tmp_dir)
            .map_err(|e| StoreError::io(format!("creating {}", tmp_dir.display()), e))?;
        // One writer per blob, across threads and processes (the app's prefetch and a clerk's `courtdeck
        // fetch` may race): an exclusive lock on a sidecar file, held until this call returns.
        let _lock = self.lock_blob(&exhibit.sha256)?;
        if let Some(path) = self.verified_path(exhibit) {
            // Someone else finished it while we waited.
            return Ok(FetchReport {
                corrupt_copy: report.corrupt_copy,
                ..done_already(path, progress)
            });
        }
        let discard = || {
            let _ = fs::remove_file(&part);
            let _ = fs::remove_file(&etag_path);
        };

        // Resume: rehash what is already on disk (local, so fast) and carry on from there.
        let mut hasher = Sha256::new();
        let mut done = 0u64;
        if let Ok(mut existing) = File::open(&part) {
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = existing
                    .read(&mut buf)
                    .map_err(|e| StoreError::io("reading a partial fetch", e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                done += n as u64;
            }
            if done > exhibit.size {
                done = 0;
                hasher = Sha256::new();
                discard();
            }
        }
        let mut etag = fs::read_to_string(&etag_path).ok().filter(|_| done > 0);
        report.resumed_from = done;

        // Check and reserve the rest of the blob's space now, one fetch at a time (a cache-wide lock,
        // across processes), so that downloads running at once cannot each take half of what is left and
        // all fail: whoever cannot have its space is told so before it starts.
        let reserve_path = tmp_dir.join("reserve.lock");
        let reserve = File::create(&reserve_path)
            .map_err(|e| StoreError::io(format!("creating {}", reserve_path.display()), e))?;
        rustix::fs::flock(&reserve, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| StoreError::io("locking the cache's space", std::io::Error::from(e)))?;
        self.check_free_space(exhibit.size - done, &what)?;
        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&part)
            .map_err(|e| StoreError::io(format!("creating {}", part.display()), e))?;
        // EOPNOTSUPP (a file system without fallocate) is fine: carry on without a reservation.
        if rustix::fs::fallocate(
            &out,
            rustix::fs::FallocateFlags::KEEP_SIZE,
            done,
            exhibit.size - done,
        ) == Err(rustix::io::Errno::NOSPC)
        {
            drop(out);
            if done == 0 {
                discard();
            }
            return Err(StoreError::disk_full(
                what,
                exhibit.size - done,
                self.free_space().unwrap_or(0),
                &self.root,
            ));
        }
        drop(reserve);
        progress(FetchProgress {
            done,
            total: exhibit.size,
        });
        let policy = self.policy;
        // Attempts in a row that brought no byte beyond `best`, and that stayed below the minimum rate.
        let mut failures = 0u32;
        let mut slow = 0u32;
        let mut best = done;
        let mut restarts = 0u32;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(StoreError::Cancelled { what });
            }
            let resume = Resume {
                offset: done,
                etag: etag.clone(),
            };
            let body = match store.open_blob(&exhibit.sha256, &resume) {
                Ok(body) => body,
                Err(e) if e.is_transient() && failures < policy.max_attempts_without_progress => {
                    failures += 1;
                    report.reconnects += 1;
                    tracing::warn!(exhibit = %exhibit.reference, failures, "store unavailable, retrying: {e}");
                    pause(backoff(failures).min(policy.max_backoff), cancel);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if body.offset != done {
                // The store could not resume (changed ETag, no Range support): start again from zero.
                tracing::warn!(exhibit = %exhibit.reference, had = done, "the download starts again from the beginning");
                out.set_len(0)
                    .map_err(|e| StoreError::io(format!("truncating {}", part.display()), e))?;
                done = 0;
                hasher = Sha256::new();
                restarts += 1;
            }
            if body.etag != etag {
                etag = body.etag.clone();
                match &etag {
                    Some(tag) => fs::write(&etag_path, tag),
                    None => fs::remove_file(&etag_path).or(Ok(())),
                }
                .map_err(|e| StoreError::io(format!("writing {}", etag_path.display()), e))?;
            }
            let before = done;
            let (streamed, received) = stream(
                body,
                &mut Sink {
                    out: &mut out,
                    hasher: &mut hasher,
                    done: &mut done,
                    size: exhibit.size,
                },
                &policy,
                cancel,
                progress,
            );
            report.bytes_received += received;
            // Only bytes beyond the furthest point reached count: a store that sends the start again
            // and cuts at the same place makes no progress, however many bytes it sends.
            let progressed = done > best;
            best = best.max(done);
            let was_slow = matches!(streamed, Err(StreamError::TooSlow { .. }));
            let failure = match streamed {
                Ok(()) if done == exhibit.size => break,
                Ok(()) => format!(
                    "the store ended the body after {} of {} bytes",
                    done, exhibit.size
                ),
                Err(StreamError::Cancelled) => return Err(StoreError::Cancelled { what }),
                Err(StreamError::TooLong) => {
                    drop(out);
                    discard();
                    return Err(StoreError::SizeMismatch {
                        what,
                        expected: exhibit.size,
                        // What really arrived: the bytes before this attempt and all it brought.
                        actual: before + received,
                    });
                }
                Err(StreamError::Write(e)) => {
                    drop(out);
                    if e.raw_os_error() == Some(ENOSPC) {
                        // Free what we took: a full disk also stops the audit log and the other fetches.
                        discard();
                        return Err(StoreError::disk_full(
                            what,
                            exhibit.size,
                            self.free_space().unwrap_or(0),
                            &self.root,
                        ));
                    }
                    return Err(StoreError::io(format!("writing {what}"), e));
                }
                // Every byte of the blob arrived before the connection failed (a Content-Length larger
                // than the body): the digest decides.
                Err(StreamError::Read(_)) if done == exhibit.size => break,
                Err(StreamError::Read(e)) => e.to_string(),
                Err(StreamError::TooSlow { bytes_per_s }) => {
                    slow += 1;
                    if slow >= policy.max_slow_attempts {
                        return Err(StoreError::TooSlow {
                            store: store.describe(),
                            rate: StoreError::rate(bytes_per_s),
                            need: format!(
                                "at least {} is needed",
                                StoreError::rate(policy.min_rate as f64)
                            ),
                            detail: format!(
                                "{slow} attempts in a row stayed below it; {done} of the {} bytes of {what} arrived and are kept for the next fetch",
                                exhibit.size
                            ),
                        });
                    }
                    format!(
                        "the store sent {} over {:.0} s",
                        StoreError::rate(bytes_per_s),
                        policy.rate_window.as_secs_f64()
                    )
                }
            };
            if !was_slow {
                slow = 0;
            }
            if progressed {
                failures = 0;
            } else {
                failures += 1;
            }
            report.reconnects += 1;
            if failures >= policy.max_attempts_without_progress {
                let why = if restarts > 0 {
                    format!(
                        "; the store sent the blob again from the start {restarts} times (it does not resume) and never past {best} bytes"
                    )
                } else {
                    String::new()
                };
                return Err(StoreError::Interrupted {
                    what,
                    reason: format!(
                        "{failure}; {failures} attempts in a row brought no new byte{why} ({done} of {} bytes are kept for the next fetch)",
                        exhibit.size
                    ),
                });
            }
            tracing::info!(exhibit = %exhibit.reference, at = done, failures, slow, "download interrupted, resuming: {failure}");
            pause(backoff(failures.max(slow)).min(policy.max_backoff), cancel);
        }
        out.sync_all().map_err(|e| {
            if e.raw_os_error() == Some(ENOSPC) {
                discard();
            }
            StoreError::io(format!("saving {what}"), e)
        })?;
        drop(out);
        if done != exhibit.size {
            discard();
            return Err(StoreError::SizeMismatch {
                what,
                expected: exhibit.size,
                actual: done,
            });
        }
        let actual = Sha256Digest::from_bytes(hasher.finalize().into());
        if actual != exhibit.sha256 {
            discard();
            return Err(StoreError::HashMismatch {
                what,
                expected: exhibit.sha256.to_hex(),
                actual: actual.to_hex(),
            });
        }
        let dest = self.path_of(&exhibit.sha256);
        let dir = dest.parent().expect("cache path has a parent");
        fs::create_dir_all(dir)
            .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        fs::rename(&part, &dest)
            .map_err(|e| StoreError::io(format!("moving {what} into the cache"), e))?;
        let _ = fs::remove_file(&etag_path);
        // Read-only once in place (set after the rename, so a failed rename never leaves a read-only
        // `.part` that no resume could append to).
        if let Ok(meta) = fs::metadata(&dest) {
            let mut perms = meta.permissions();
            perms.set_readonly(true);
            let _ = fs::set_permissions(&dest, perms);
        }
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        tracing::info!(exhibit = %exhibit.reference, sha256 = %exhibit.sha256, bytes = done, reconnects = report.reconnects, "exhibit verified and cached");
        report.path = dest;
        Ok(report)
    }

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

    fn document_path(&self, rel: &str) -> Option<PathBuf> {
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
                .map(|e| e.sha256.to_hex())
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

    fn case_record_path(&self, case_id: &str) -> PathBuf {
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

    fn free_space(&self) -> Result<u64, StoreError> {
        fs::create_dir_all(&self.root)
            .map_err(|e| StoreError::io(format!("creating {}", self.root.display()), e))?;
        let stat = rustix::fs::statvfs(&self.root)
            .map_err(|e| StoreError::io("checking free disk space", std::io::Error::from(e)))?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    fn check_free_space(&self, needed: u64, what: &str) -> Result<(), StoreError> {
        let free = self.free_space()?;
        if free < needed {
            return Err(StoreError::disk_full(what, needed, free, &self.root));
        }
        Ok(())
    }
}

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
fn read_dir_all(dir: &Path, depth: u32) -> Vec<fs::DirEntry> {
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

/// How a fetch went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    pub path: PathBuf,
    /// It was in the cache already; nothing was downloaded.
    pub already_cached: bool,
    /// Bytes of an earlier partial download that were kept.
    pub resumed_from: u64,
    /// Bytes that came over the wire in this call.
    pub bytes_received: u64,
    /// Times the download was reopened after a dropped connection or an unavailable store.
    pub reconnects: u32,
    /// The cached copy found rotted (and set aside) before this fetch brought a good one.
    pub corrupt_copy: Option<CorruptCopy>,
}

/// Attempts in a row that bring no byte before a fetch gives up (about 12 s of backoff in all).
pub const MAX_FAILURES_WITHOUT_PROGRESS: u32 = 6;
const ENOSPC: i32 = 28;
/// Chunks in flight between the download thread and the hashing writer.
const PIPELINE_DEPTH: usize = 4;

fn pause(d: std::time::Duration, cancel: &AtomicBool) {
    let until = std::time::Instant::now() + d;
    while std::time::Instant::now() < until && !cancel.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

struct Sink<'a> {
    out: &'a mut File,
    hasher: &'a mut Sha256,
    done: &'a mut u64,
    size: u64,
}

enum StreamError {
    Cancelled,
    TooLong,
    TooSlow { bytes_per_s: f64 },
    Read(std::io::Error),
    Write(std::io::Error),
}

/// How often the writer looks at the rate and the cancel flag while no buffer arrives.
const TICK: Duration = Duration::from_millis(100);

/// Copies the body into the sink: a thread reads the network into 1 MiB buffers while this thread
/// hashes and writes the previous ones. Every byte that arrived is written before a read error is
/// returned, so a resume never asks for it again. Returns how many bytes came over the wire in this
/// attempt (more than were written when the store sent more than the blob).
///
/// The reader thread is always joined before this returns: it blocks on the store's runtime, and one
/// left behind would find that runtime gone at exit (the panic "A Tokio 1.x context was found, but it
/// is being shutdown"). `BlobBody::stop` makes its read return promptly.
fn stream(
    body: crate::BlobBody,
    sink: &mut Sink<'_>,
    policy: &FetchPolicy,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> (Result<(), StreamError>, u64) {
    let crate::BlobBody {
        mut reader, stop, ..
    } = body;
    let received = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(PIPELINE_DEPTH);
    let (recycle_tx, recycle_rx) = mpsc::sync_channel::<Vec<u8>>(PIPELINE_DEPTH + 2);
    let (stop2, received2) = (stop.clone(), received.clone());
    let spawned = std::thread::Builder::new()
        .name("fetch-read".into())
        .spawn(move || {
            loop {
                let mut buf = recycle_rx.try_recv().unwrap_or_default();
                buf.resize(CHUNK, 0);
                let mut filled = 0;
                let mut failure = None;
                // Fill the buffer, but hand over what there is when told to stop (a slow store's
                // bytes are kept too).
                while filled < CHUNK && !stop2.load(Ordering::Relaxed) {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => {
                            filled += n;
                            received2.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                buf.truncate(filled);
                let stopped = stop2.load(Ordering::Relaxed);
                let eof = filled == 0 && failure.is_none() && !stopped;
                if filled > 0 && tx.send(Ok(buf)).is_err() {
                    return;
                }
                if stopped {
                    return;
                }
                if let Some(e) = failure {
                    let _ = tx.send(Err(e));
                    return;
                }
                if eof {
                    let _ = tx.send(Ok(Vec::new()));
                    return;
                }
            }
        });
    let reader_thread = match spawned {
        Ok(t) => t,
        Err(e) => return (Err(StreamError::Read(e)), 0),
    };
    let mut window_start = Instant::now();
    let mut window_bytes = 0u64;
    let mut too_slow: Option<f64> = None;
    let result = loop {
        let msg = match rx.recv_timeout(TICK) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if cancel.load(Ordering::Relaxed) {
                    break Err(StreamError::Cancelled);
                }
                if too_slow.is_none() && policy.min_rate > 0 {
                    let elapsed = window_start.elapsed();
                    if elapsed >= policy.rate_window {
                        let got = received.load(Ordering::Relaxed) - window_bytes;
                        let rate = got as f64 / elapsed.as_secs_f64();
                        if rate < policy.min_rate as f64 {
                            // Collect what the reader holds, then end this attempt.
                            too_slow = Some(rate);
                            stop.store(true, Ordering::Relaxed);
                        } else {
                            window_start = Instant::now();
                            window_bytes = received.load(Ordering::Relaxed);
                        }
                    }
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => match too_slow {
                Some(bytes_per_s) => break Err(StreamError::TooSlow { bytes_per_s }),
                None => {
                    break Err(StreamError::Read(std::io::Error::other(
                        "the download thread stopped",
                    )));
                }
            },
        };
        if cancel.load(Ordering::Relaxed) {
            break Err(StreamError::Cancelled);
        }
        let buf = match msg {
            Ok(b) => b,
            Err(e) => break Err(StreamError::Read(e)),
        };
        if buf.is_empty() {
            break Ok(());
        }
        if *sink.done + buf.len() as u64 > sink.size {
            break Err(StreamError::TooLong);
        }
        sink.hasher.update(&buf);
        if let Err(e) = sink.out.write_all(&buf) {
            break Err(StreamError::Write(e));
        }
        *sink.done += buf.len() as u64;
        progress(FetchProgress {
            done: *sink.done,
            total: sink.size,
        });
        let _ = recycle_tx.try_send(buf);
        // A fast window restarts the measurement; the rate is checked while waiting too (above).
        if policy.min_rate > 0 && window_start.elapsed() >= policy.rate_window {
            let got = received.load(Ordering::Relaxed) - window_bytes;
            let rate = got as f64 / window_start.elapsed().as_secs_f64();
            if rate < policy.min_rate as f64 && too_slow.is_none() {
                too_slow = Some(rate);
                stop.store(true, Ordering::Relaxed);
            } else if too_slow.is_none() {
                window_start = Instant::now();
                window_bytes = received.load(Ordering::Relaxed);
            }
        }
    };
    stop.store(true, Ordering::Relaxed);
    drop(rx);
    drop(recycle_tx);
    let _ = reader_thread.join();
    (result, received.load(Ordering::Relaxed))
}

/// SHA-256 of a file in one streaming pass.
pub fn hash_file(path: &Path) -> std::io::Result<Sha256Digest> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Sha256Digest::from_bytes(hasher.finalize().into()))
}
