//! The kiosk's content-addressed cache of verified evidence.
//!
//! Layout: `sha256/ab/abcdef…` holds verified bytes, read-only; `tmp/<hex>.part` holds a fetch in
//! flight. A file's presence under `sha256/` with the right size *is* the record that it was verified,
//! because nothing else ever renames into that folder; launching a hearing therefore costs one `stat` per
//! exhibit, and `verify` rehashes on demand.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

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
}

/// Reported while a fetch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchProgress {
    pub done: u64,
    pub total: u64,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, digest: &Sha256Digest) -> PathBuf {
        let hex = digest.to_hex();
        self.root.join("sha256").join(&hex[..2]).join(hex)
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
        let mut report = FetchReport {
            path: PathBuf::new(),
            already_cached: false,
            resumed_from: 0,
            bytes_received: 0,
            reconnects: 0,
        };
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
        if let Some(path) = self.verified_path(exhibit) {
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
        let lock_path = part.with_extension("lock");
        let lock = File::create(&lock_path)
            .map_err(|e| StoreError::io(format!("creating {}", lock_path.display()), e))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| StoreError::io("locking a fetch", std::io::Error::from(e)))?;
        if let Some(path) = self.verified_path(exhibit) {
            // Someone else finished it while we waited.
            return Ok(done_already(path, progress));
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
        let mut failures = 0u32;
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
                Err(e) if e.is_transient() && failures < MAX_FAILURES_WITHOUT_PROGRESS => {
                    failures += 1;
                    report.reconnects += 1;
                    tracing::warn!(exhibit = %exhibit.reference, failures, "store unavailable, retrying: {e}");
                    pause(backoff(failures), cancel);
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
            let streamed = stream(
                body.reader,
                &mut Sink {
                    out: &mut out,
                    hasher: &mut hasher,
                    done: &mut done,
                    size: exhibit.size,
                },
                cancel,
                progress,
            );
            report.bytes_received += done - before;
            match streamed {
                Ok(()) => break,
                Err(StreamError::Cancelled) => return Err(StoreError::Cancelled { what }),
                Err(StreamError::TooLong) => {
                    drop(out);
                    discard();
                    return Err(StoreError::SizeMismatch {
                        what,
                        expected: exhibit.size,
                        actual: done + 1,
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
                Err(StreamError::Read(e)) => {
                    if done > before {
                        failures = 0;
                    }
                    failures += 1;
                    report.reconnects += 1;
                    if failures > MAX_FAILURES_WITHOUT_PROGRESS {
                        return Err(StoreError::Interrupted {
                            what,
                            reason: format!(
                                "{e}; {failures} attempts in a row brought nothing (the {done} bytes that arrived are kept for the next fetch)"
                            ),
                        });
                    }
                    tracing::info!(exhibit = %exhibit.reference, at = done, failures, "download interrupted, resuming: {e}");
                    pause(backoff(failures), cancel);
                }
            }
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

    /// Rehashes a cached entry. A mismatch removes it, so the next fetch brings a good copy.
    pub fn verify(&self, exhibit: &Exhibit) -> Result<(), StoreError> {
        let path = self.path_of(&exhibit.sha256);
        let what = format!("cached exhibit {}", exhibit.reference);
        let actual = hash_file(&path).map_err(|e| StoreError::io(format!("reading {what}"), e))?;
        if actual != exhibit.sha256 {
            let _ = fs::remove_file(&path);
            return Err(StoreError::HashMismatch {
                what,
                expected: exhibit.sha256.to_hex(),
                actual: actual.to_hex(),
            });
        }
        Ok(())
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
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copies `reader` into the sink: a thread reads the network into 1 MiB buffers while this thread
/// hashes and writes the previous ones. Every byte that arrived is written before a read error is
/// returned, so a resume never asks for it again. The reader thread is detached: on cancel we return at
/// once and it ends when its next send finds nobody listening.
fn stream(
    mut reader: Box<dyn Read + Send>,
    sink: &mut Sink<'_>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<(), StreamError> {
    let (tx, rx) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(PIPELINE_DEPTH);
    let (recycle_tx, recycle_rx) = mpsc::sync_channel::<Vec<u8>>(PIPELINE_DEPTH + 2);
    std::thread::Builder::new()
        .name("fetch-read".into())
        .spawn(move || {
            loop {
                let mut buf = recycle_rx.try_recv().unwrap_or_default();
                buf.resize(CHUNK, 0);
                let mut filled = 0;
                let mut failure = None;
                while filled < CHUNK {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                buf.truncate(filled);
                let eof = filled == 0;
                if filled > 0 && tx.send(Ok(buf)).is_err() {
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
        })
        .map_err(StreamError::Read)?;
    loop {
        let msg = rx
            .recv()
            .map_err(|_| StreamError::Read(std::io::Error::other("the download thread stopped")))?;
        if cancel.load(Ordering::Relaxed) {
            return Err(StreamError::Cancelled);
        }
        let buf = msg.map_err(StreamError::Read)?;
        if buf.is_empty() {
            return Ok(());
        }
        if *sink.done + buf.len() as u64 > sink.size {
            return Err(StreamError::TooLong);
        }
        sink.hasher.update(&buf);
        sink.out.write_all(&buf).map_err(StreamError::Write)?;
        *sink.done += buf.len() as u64;
        progress(FetchProgress {
            done: *sink.done,
            total: sink.size,
        });
        let _ = recycle_tx.try_send(buf);
    }
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
