//! The kiosk's content-addressed cache of verified evidence.
//!
//! Layout: `sha256/ab/abcdef…` holds verified bytes, read-only; `tmp/<hex>.part` holds a fetch in
//! flight. A file's presence under `sha256/` with the right size *is* the record that it was verified,
//! because nothing else ever renames into that folder; launching a hearing therefore costs one `stat` per
//! exhibit, and `reverify` rehashes on demand (a rotted copy goes to `quarantine/`, never served).

mod kept;
mod transfer;

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use courtdeck_core::transcript::TranscriptRef;
use courtdeck_core::{Exhibit, Sha256Digest};
use sha2::{Digest, Sha256};

use self::transfer::ENOSPC;
use self::transfer::Sink;
use self::transfer::StreamError;
use self::transfer::pause;
use self::transfer::stream;
use crate::http::backoff;
use crate::{EvidenceStore, Resume, StoreError};

pub use self::kept::HousekeepReport;
pub use self::transfer::{MAX_FAILURES_WITHOUT_PROGRESS, hash_file};

const CHUNK: usize = 1 << 20;

/// What the cache fetches and verifies: bytes named by their SHA-256 and size (an exhibit's
/// recording, picture or document; its transcript).
pub trait Blob {
    fn sha256(&self) -> Sha256Digest;
    fn size(&self) -> u64;
    /// What messages and logs call it: "exhibit JS/3", "the transcript of JS/3".
    fn what(&self) -> String;
}

impl Blob for Exhibit {
    fn sha256(&self) -> Sha256Digest {
        self.sha256
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn what(&self) -> String {
        format!("exhibit {}", self.reference)
    }
}

/// An exhibit's transcript, as a blob (`Exhibit::transcript`).
#[derive(Debug, Clone)]
pub struct TranscriptBlob {
    pub reference: courtdeck_core::ExhibitRef,
    pub transcript: TranscriptRef,
}

impl TranscriptBlob {
    /// The transcript of `e`, if it has one.
    pub fn of(e: &Exhibit) -> Option<TranscriptBlob> {
        e.transcript.map(|transcript| TranscriptBlob {
            reference: e.reference.clone(),
            transcript,
        })
    }
}

impl Blob for TranscriptBlob {
    fn sha256(&self) -> Sha256Digest {
        self.transcript.sha256
    }
    fn size(&self) -> u64 {
        self.transcript.size
    }
    fn what(&self) -> String {
        format!("the transcript of exhibit {}", self.reference)
    }
}

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
    pub fn reverify(&self, blob: &dyn Blob) -> Result<Option<CorruptCopy>, StoreError> {
        let path = self.path_of(&blob.sha256());
        if fs::metadata(&path).is_err() {
            return Ok(None);
        }
        // The blob's fetch lock: another process rehashing or fetching it waits, so a rotted copy is
        // set aside (and reported) once.
        let lock = self.lock_blob(&blob.sha256())?;
        let Ok(meta) = fs::metadata(&path) else {
            return Ok(None);
        };
        let what = format!("the cached copy of {}", blob.what());
        let actual = match hash_file(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(format!("reading {what}"), e)),
        };
        if actual == blob.sha256() && meta.len() == blob.size() {
            return Ok(None);
        }
        let dir = self.root.join("quarantine");
        fs::create_dir_all(&dir)
            .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        let dest = dir.join(format!(
            "{}.{}",
            blob.sha256().to_hex(),
            jiff::Timestamp::now().as_second()
        ));
        fs::rename(&path, &dest).map_err(|e| StoreError::io(format!("setting aside {what}"), e))?;
        drop(lock);
        tracing::error!(blob = %blob.what(), expected = %blob.sha256(), actual = %actual, quarantine = %dest.display(), "a cached copy no longer matches its digest; set aside");
        Ok(Some(CorruptCopy {
            quarantined_to: dest,
            actual_sha256: actual.to_hex(),
            bytes: meta.len(),
        }))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of every verified blob (`path_of` is beneath it): what the playout process may read.
    pub fn blobs_dir(&self) -> PathBuf {
        self.root.join("sha256")
    }

    pub fn path_of(&self, digest: &Sha256Digest) -> PathBuf {
        let hex = digest.to_hex();
        self.blobs_dir().join(&hex[..2]).join(hex)
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
    pub fn verified_path(&self, blob: &dyn Blob) -> Option<PathBuf> {
        let path = self.path_of(&blob.sha256());
        let meta = fs::metadata(&path).ok()?;
        (meta.is_file() && meta.len() == blob.size()).then_some(path)
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
        blob: &dyn Blob,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(FetchProgress),
    ) -> Result<PathBuf, StoreError> {
        self.fetch_with_report(store, blob, cancel, progress)
            .map(|r| r.path)
    }

    /// As `fetch`, also saying how the download went (for benchmarks and the CLI's JSON).
    pub fn fetch_with_report(
        &self,
        store: &dyn EvidenceStore,
        blob: &dyn Blob,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(FetchProgress),
    ) -> Result<FetchReport, StoreError> {
        let mut report = FetchReport::default();
        if self.policy.rehash_cached {
            // One pass at disk speed; a rotted copy is set aside and fetched again below.
            report.corrupt_copy = self.reverify(blob)?;
        }
        let done_already = |path: PathBuf, progress: &mut dyn FnMut(FetchProgress)| {
            progress(FetchProgress {
                done: blob.size(),
                total: blob.size(),
            });
            FetchReport {
                path,
                already_cached: true,
                ..FetchReport::default()
            }
        };
        if report.corrupt_copy.is_none()
            && let Some(path) = self.verified_path(blob)
        {
            return Ok(done_already(path, progress));
        }
        let what = blob.what();
        let part = self.part_path(&blob.sha256());
        let etag_path = part.with_extension("etag");
        let tmp_dir = part.parent().expect("part has a parent");
        fs::create_dir_all(tmp_dir)
            .map_err(|e| StoreError::io(format!("creating {}", tmp_dir.display()), e))?;
        // One writer per blob, across threads and processes (the app's prefetch and a clerk's `courtdeck
        // fetch` may race): an exclusive lock on a sidecar file, held until this call returns.
        let _lock = self.lock_blob(&blob.sha256())?;
        if let Some(path) = self.verified_path(blob) {
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
            if done > blob.size() {
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
        self.check_free_space(blob.size() - done, &what)?;
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
            blob.size() - done,
        ) == Err(rustix::io::Errno::NOSPC)
        {
            drop(out);
            if done == 0 {
                discard();
            }
            return Err(StoreError::disk_full(
                what,
                blob.size() - done,
                self.free_space().unwrap_or(0),
                &self.root,
            ));
        }
        drop(reserve);
        progress(FetchProgress {
            done,
            total: blob.size(),
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
            let body = match store.open_blob(&blob.sha256(), &resume) {
                Ok(body) => body,
                Err(e) if e.is_transient() && failures < policy.max_attempts_without_progress => {
                    failures += 1;
                    report.reconnects += 1;
                    tracing::warn!(blob = %blob.what(), failures, "store unavailable, retrying: {e}");
                    pause(backoff(failures).min(policy.max_backoff), cancel);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if body.offset != done {
                // The store could not resume (changed ETag, no Range support): start again from zero.
                tracing::warn!(blob = %blob.what(), had = done, "the download starts again from the beginning");
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
                    size: blob.size(),
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
                Ok(()) if done == blob.size() => break,
                Ok(()) => format!(
                    "the store ended the body after {} of {} bytes",
                    done,
                    blob.size()
                ),
                Err(StreamError::Cancelled) => return Err(StoreError::Cancelled { what }),
                Err(StreamError::TooLong) => {
                    drop(out);
                    discard();
                    return Err(StoreError::SizeMismatch {
                        what,
                        expected: blob.size(),
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
                            blob.size(),
                            self.free_space().unwrap_or(0),
                            &self.root,
                        ));
                    }
                    return Err(StoreError::io(format!("writing {what}"), e));
                }
                // Every byte of the blob arrived before the connection failed (a Content-Length larger
                // than the body): the digest decides.
                Err(StreamError::Read(_)) if done == blob.size() => break,
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
                                blob.size()
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
                        blob.size()
                    ),
                });
            }
            tracing::info!(blob = %blob.what(), at = done, failures, slow, "download interrupted, resuming: {failure}");
            pause(backoff(failures.max(slow)).min(policy.max_backoff), cancel);
        }
        let syncing = std::time::Instant::now();
        out.sync_all().map_err(|e| {
            if e.raw_os_error() == Some(ENOSPC) {
                discard();
            }
            StoreError::io(format!("saving {what}"), e)
        })?;
        report.fsync = syncing.elapsed();
        drop(out);
        if done != blob.size() {
            discard();
            return Err(StoreError::SizeMismatch {
                what,
                expected: blob.size(),
                actual: done,
            });
        }
        let actual = Sha256Digest::from_bytes(hasher.finalize().into());
        if actual != blob.sha256() {
            discard();
            return Err(StoreError::HashMismatch {
                what,
                expected: blob.sha256().to_hex(),
                actual: actual.to_hex(),
            });
        }
        let dest = self.path_of(&blob.sha256());
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
        tracing::info!(blob = %blob.what(), sha256 = %blob.sha256(), bytes = done, reconnects = report.reconnects, "verified and cached");
        report.path = dest;
        Ok(report)
    }
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
    /// How long the bytes took to reach the disk once they had all arrived (the file's fsync).
    pub fsync: std::time::Duration,
}
