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

use courtdeck_core::{Exhibit, Sha256Digest};
use sha2::{Digest, Sha256};

use crate::{EvidenceStore, StoreError};

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

    /// Fetches `exhibit` from `store` unless already cached, hashing while writing (one pass), checking
    /// size and digest, then fsync and atomic rename. Bytes that fail are deleted and never enter the
    /// cache. A `.part` left by an interrupted fetch is resumed from where it ends.
    pub fn fetch(
        &self,
        store: &dyn EvidenceStore,
        exhibit: &Exhibit,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(FetchProgress),
    ) -> Result<PathBuf, StoreError> {
        if let Some(path) = self.verified_path(exhibit) {
            progress(FetchProgress {
                done: exhibit.size,
                total: exhibit.size,
            });
            return Ok(path);
        }
        let what = format!("exhibit {}", exhibit.reference);
        let part = self.part_path(&exhibit.sha256);
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
            progress(FetchProgress {
                done: exhibit.size,
                total: exhibit.size,
            });
            return Ok(path);
        }

        // Resume: rehash what is already on disk (it is local, so this is fast) and carry on from there.
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
                let _ = fs::remove_file(&part);
            }
        }
        self.check_free_space(exhibit.size - done, &what)?;

        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&part)
            .map_err(|e| StoreError::io(format!("creating {}", part.display()), e))?;
        let mut reader = store.open_blob(&exhibit.sha256, done)?;
        let mut buf = vec![0u8; CHUNK];
        progress(FetchProgress {
            done,
            total: exhibit.size,
        });
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(StoreError::Io {
                    context: format!("fetching {what}"),
                    source: std::io::Error::new(std::io::ErrorKind::Interrupted, "cancelled"),
                });
            }
            let n = reader
                .read(&mut buf)
                .map_err(|e| StoreError::io(format!("downloading {what}"), e))?;
            if n == 0 {
                break;
            }
            done += n as u64;
            if done > exhibit.size {
                drop(out);
                let _ = fs::remove_file(&part);
                return Err(StoreError::SizeMismatch {
                    what,
                    expected: exhibit.size,
                    actual: done,
                });
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| StoreError::io(format!("writing {what}"), e))?;
            progress(FetchProgress {
                done,
                total: exhibit.size,
            });
        }
        out.sync_all()
            .map_err(|e| StoreError::io(format!("saving {what}"), e))?;
        drop(out);
        if done != exhibit.size {
            let _ = fs::remove_file(&part);
            return Err(StoreError::SizeMismatch {
                what,
                expected: exhibit.size,
                actual: done,
            });
        }
        let actual = Sha256Digest::from_bytes(hasher.finalize().into());
        if actual != exhibit.sha256 {
            let _ = fs::remove_file(&part);
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
        tracing::info!(exhibit = %exhibit.reference, sha256 = %exhibit.sha256, bytes = done, "exhibit verified and cached");
        Ok(dest)
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

    fn check_free_space(&self, needed: u64, what: &str) -> Result<(), StoreError> {
        fs::create_dir_all(&self.root)
            .map_err(|e| StoreError::io(format!("creating {}", self.root.display()), e))?;
        let stat = rustix::fs::statvfs(&self.root)
            .map_err(|e| StoreError::io("checking free disk space", std::io::Error::from(e)))?;
        let free = stat.f_bavail.saturating_mul(stat.f_frsize);
        if free < needed {
            return Err(StoreError::DiskFull {
                what: what.to_owned(),
                missing: needed - free,
                dir: self.root.display().to_string(),
            });
        }
        Ok(())
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
