//! The audit log: append-only JSON lines, each carrying the SHA-256 of the one before, fsync'd as written.
//!
//! A line is `{"seq":N,"ts":"…","event":"…","fields":{…},"prev":"<hex>","hash":"<hex>"}` where `hash` is
//! the SHA-256 of the line's own text up to (not including) `,"hash":`. The first record's `prev` is 64
//! zeros. `verify` recomputes every hash and checks that `seq` counts up by one and `prev` names the
//! previous line's hash, so an edited, removed, inserted or reordered record is found and located.
//! (Cutting records off the end leaves a shorter valid chain; anchoring the last hash elsewhere, e.g. in
//! the setup-check report, is how that is caught.)
//!
//! Several processes append to one log (the app's prefetch and a clerk's `courtdeck fetch`): every append
//! takes an exclusive `flock` on the log and reads the tail record under it, so each record names the one
//! really before it, whoever wrote that.
//!
//! A power cut in the middle of an append leaves a torn last line (no newline, or not JSON). That is not
//! the end of custody: the next append moves the torn bytes, exactly as they are, into a quarantine file
//! beside the log (`audit.jsonl.quarantine/`), cuts the log back to its last good record and goes on with
//! a `log_recovered` record naming that record's hash, the quarantine file and the SHA-256 of the bytes
//! in it. `verify` reports every recovery (and whether the quarantined bytes are still there unchanged).

mod event;
mod export;

pub use event::{
    Annotation, BagExhibitRecord, CustodyEvent, DerivedFrom, ExhibitInCache, ExhibitPublished,
    ListPartSkipped, ListWritten, Logged, ProvenanceRecord, Region, ScreenShown, StrokeRecord,
    UnmappedRoom, read_events,
};
pub use export::{CaseExport, Row, export, html_escape, to_csv, to_html};

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest, Sha256};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HASH_KEY: &str = ",\"hash\":\"";
/// The event of the record that follows a repaired torn tail.
pub const LOG_RECOVERED: &str = "log_recovered";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open or write the audit log {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the audit log {path} is broken at line {line}: {reason}")]
    Broken {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Tail {
    seq: u64,
    hash: String,
}

/// An open audit log. Records are appended in order from any thread and any process.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

#[derive(Serialize)]
struct Unsealed<'a> {
    seq: u64,
    ts: String,
    event: &'a str,
    fields: &'a serde_json::Value,
    prev: &'a str,
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An exclusive (or shared) `flock` on the log, released when dropped. It holds a duplicate of the
/// log's descriptor (the same open file, so the same lock), leaving the original free to read and write.
struct Locked(File);

impl Locked {
    fn new(file: &File, exclusive: bool) -> std::io::Result<Locked> {
        use rustix::fs::FlockOperation::{LockExclusive, LockShared};
        let dup = file.try_clone()?;
        rustix::fs::flock(&dup, if exclusive { LockExclusive } else { LockShared })
            .map_err(std::io::Error::from)?;
        Ok(Locked(dup))
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(&self.0, rustix::fs::FlockOperation::Unlock);
    }
}

/// A sealed line checked on its own: its hash covers its text, and it is JSON with a sequence number.
fn check_line(line: &[u8]) -> Result<(u64, String, serde_json::Value), String> {
    let text = std::str::from_utf8(line).map_err(|_| "it is not valid UTF-8".to_string())?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("it is not valid JSON: {e}"))?;
    let cut = text.rfind(HASH_KEY).ok_or("it has no hash")?;
    let (body, rest) = text.split_at(cut);
    let claimed = rest
        .strip_prefix(HASH_KEY)
        .and_then(|r| r.strip_suffix("\"}"))
        .ok_or("its hash is malformed")?;
    if sha256_hex(body.as_bytes()) != claimed {
        return Err("its contents were changed after it was written (hash mismatch)".into());
    }
    let seq = value["seq"].as_u64().ok_or("it has no sequence number")?;
    Ok((seq, claimed.to_owned(), value))
}

/// Whether a last line is torn (cut off by a crash) rather than edited: no newline after it, or not
/// even JSON. A whole JSON line whose hash is wrong is an edit, and stays an error.
fn is_torn(line: &[u8], has_newline: bool) -> bool {
    !has_newline || serde_json::from_slice::<serde_json::Value>(line).is_err()
}

/// The end of the log as found on disk: where the last good record ends, that record, and any torn bytes
/// after it.
#[derive(Debug)]
struct Found {
    good_end: u64,
    last: Option<Tail>,
    torn: Option<Vec<u8>>,
}

/// Reads the log's tail (backwards, so a long log costs no more than a short one).
fn find_tail(file: &mut File, path: &Path) -> Result<Found, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    let len = file.metadata().map_err(io)?.len();
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        let mut buf = vec![0u8; (len - start) as usize];
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        file.read_exact(&mut buf).map_err(io)?;
        // Complete lines (with their start offsets) and what follows the last newline.
        let mut pieces: Vec<(u64, &[u8], bool)> = Vec::new();
        let mut at = 0usize;
        while at < buf.len() {
            match buf[at..].iter().position(|&b| b == b'\n') {
                Some(n) => {
                    pieces.push((start + at as u64, &buf[at..at + n], true));
                    at += n + 1;
                }
                None => {
                    pieces.push((start + at as u64, &buf[at..], false));
                    at = buf.len();
                }
            }
        }
        if start > 0 {
            // The first piece may begin mid-line.
            pieces.remove(0);
        }
        // Enough context: the last two pieces, or the whole file.
        if pieces.len() < 2 && start > 0 {
            window = window.saturating_mul(4);
            continue;
        }
        let Some(&(last_start, last, last_nl)) = pieces.last() else {
            return Ok(Found {
                good_end: 0,
                last: None,
                torn: None,
            });
        };
        let line_no = || {
            // Only for messages: counts newlines before the line.
            let mut f = File::open(path).ok()?;
            let mut all = Vec::new();
            f.read_to_end(&mut all).ok()?;
            Some(
                all[..last_start as usize]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1,
            )
        };
        let (good, good_start, torn) = if is_torn(last, last_nl) {
            let before = pieces.len().checked_sub(2).map(|i| pieces[i]);
            let torn = buf[(last_start - start) as usize..].to_vec();
            match before {
                Some((s, l, _)) => (Some(l), s, Some(torn)),
                None => (None, 0, Some(torn)),
            }
        } else {
            (Some(last), last_start, None)
        };
        let Some(good) = good else {
            return Ok(Found {
                good_end: 0,
                last: None,
                torn,
            });
        };
        let (seq, hash, _) = check_line(good).map_err(|reason| AuditError::Broken {
            path: path.to_owned(),
            line: line_no().unwrap_or(0),
            reason,
        })?;
        return Ok(Found {
            good_end: good_start + good.len() as u64 + 1,
            last: Some(Tail { seq, hash }),
            torn,
        });
    }
}

/// Where the torn bytes found after record `after` go.
fn quarantine_path(path: &Path, after: u64) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audit".into());
    let stamp = jiff::Timestamp::now().as_nanosecond();
    path.with_file_name(format!("{name}.quarantine"))
        .join(format!("after-record-{after}-{stamp}.torn"))
}

impl AuditLog {
    /// Opens (or creates) the log at `path`, checking the existing chain first: appending to a broken log
    /// would hide where it was broken. A torn last line is not broken: it is repaired (see the module
    /// docs) at once.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        {
            let lock = Locked::new(&file, true).map_err(io)?;
            verify_open_file(&mut file, path)?;
            let found = find_tail(&mut file, path)?;
            if found.torn.is_some() {
                recover(&mut file, path, found)?;
            }
            drop(lock);
        }
        Ok(AuditLog {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and fsyncs it, with the open hearing's `case` among its fields when there is
    /// one. No event has a field for a secret; none may be given one.
    pub fn record(&self, case: Option<&str>, event: &CustodyEvent) -> Result<(), AuditError> {
        let (event, fields) = event.to_record(case).map_err(|e| AuditError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        let event = event.as_str();
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        let _lock = Locked::new(&file, true).map_err(io)?;
        let mut found = find_tail(&mut file, &self.path)?;
        if found.torn.is_some() {
            found = recover(&mut file, &self.path, found)?;
        }
        append(&mut file, &self.path, found.last.as_ref(), event, &fields)
    }

    /// A record with any event and fields, as an earlier version (or a damaged writer) may have
    /// left: for the tests of what reads logs, which must cope with records no `CustodyEvent` makes.
    #[cfg(test)]
    pub(crate) fn record_untyped(
        &self,
        event: &str,
        fields: serde_json::Value,
    ) -> Result<(), AuditError> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let found = find_tail(&mut file, &self.path)?;
        append(&mut file, &self.path, found.last.as_ref(), event, &fields)
    }
}

/// Seals and appends one record after `tail`, under the caller's lock.
fn append(
    file: &mut File,
    path: &Path,
    tail: Option<&Tail>,
    event: &str,
    fields: &serde_json::Value,
) -> Result<(), AuditError> {
    let (seq, prev) = match tail {
        Some(t) => (t.seq, t.hash.as_str()),
        None => (0, GENESIS),
    };
    let unsealed = Unsealed {
        seq: seq + 1,
        ts: jiff::Timestamp::now().to_string(),
        event,
        fields,
        prev,
    };
    let mut text = serde_json::to_string(&unsealed).expect("records serialise");
    text.pop(); // the closing brace; the hash covers everything before its own key
    let hash = sha256_hex(text.as_bytes());
    let line = format!("{text}{HASH_KEY}{hash}\"}}\n");
    let io = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    file.write_all(line.as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)?;
    Ok(())
}

/// Moves the torn bytes aside (kept byte for byte), cuts the log back to its last good record and
/// appends a `log_recovered` record. The quarantine file is on disk before the log is cut, so a crash
/// here loses nothing: the next append finds the same torn bytes and quarantines them again.
fn recover(file: &mut File, path: &Path, found: Found) -> Result<Found, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    let torn = found.torn.unwrap_or_default();
    let after = found.last.as_ref().map_or(0, |t| t.seq);
    let qpath = quarantine_path(path, after);
    let qdir = qpath.parent().expect("quarantine has a folder");
    std::fs::create_dir_all(qdir).map_err(io)?;
    let mut q = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&qpath)
        .map_err(io)?;
    q.write_all(&torn).map_err(io)?;
    q.sync_all().map_err(io)?;
    if let Ok(d) = File::open(qdir) {
        let _ = d.sync_all();
    }
    file.set_len(found.good_end).map_err(io)?;
    file.sync_data().map_err(io)?;
    let has_newline = torn.last() == Some(&b'\n');
    let recovered = CustodyEvent::LogRecovered {
        after_record: after,
        last_good_hash: found
            .last
            .as_ref()
            .map_or(GENESIS, |t| t.hash.as_str())
            .to_owned(),
        quarantine_file: qpath.display().to_string(),
        quarantined_bytes: torn.len() as u64,
        quarantined_sha256: sha256_hex(&torn),
        reason: if has_newline {
            "the last line was not a whole record (not valid JSON)"
        } else {
            "the last line was cut off before its end (a write interrupted, e.g. by a power cut)"
        }
        .to_owned(),
    };
    let (event, fields) = recovered
        .to_record(None)
        .map_err(|e| io(std::io::Error::other(e)))?;
    tracing::warn!(
        log = %path.display(),
        after_record = after,
        bytes = torn.len(),
        quarantine = %qpath.display(),
        "a torn last line was moved to quarantine; the chain goes on"
    );
    debug_assert_eq!(event, LOG_RECOVERED);
    append(file, path, found.last.as_ref(), &event, &fields)?;
    find_tail(file, path)
}

/// One `log_recovered` record found by `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The line of the `log_recovered` record.
    pub line: usize,
    pub after_record: u64,
    pub quarantine_file: String,
    pub bytes: u64,
    pub sha256: String,
    /// The quarantine file is there and still hashes to `sha256`.
    pub quarantine_intact: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub last_hash: String,
    /// Torn tails that were repaired, in order.
    pub recoveries: Vec<Recovery>,
    /// A torn last line not repaired yet (the next append does): its line and size.
    pub torn_tail: Option<(usize, u64)>,
}

/// Checks the whole chain; the error names the first line that is wrong and why. A torn last line is
/// reported in `torn_tail`, not as a break: it is what a power cut leaves, and the next append repairs it.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let mut file = File::open(path).map_err(|source| AuditError::Io {
        path: path.to_owned(),
        source,
    })?;
    // A shared lock: never read a record another process is half way through appending.
    let _lock = Locked::new(&file, false).ok();
    verify_open_file(&mut file, path)
}

fn verify_open_file(file: &mut File, path: &Path) -> Result<VerifyReport, AuditError> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|source| AuditError::Io {
            path: path.to_owned(),
            source,
        })?;
    let broken = |line: usize, reason: String| AuditError::Broken {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut lines: Vec<(&[u8], bool)> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(|l| match l.strip_suffix(b"\n") {
            Some(l) => (l, true),
            None => (l, false),
        })
        .collect();
    let mut torn_tail = None;
    if let Some(&(last, nl)) = lines.last()
        && is_torn(last, nl)
    {
        torn_tail = Some((lines.len(), last.len() as u64 + u64::from(nl)));
        lines.pop();
    }
    let mut prev = GENESIS.to_owned();
    let mut seq = 0u64;
    let mut recoveries = Vec::new();
    for (i, (line, _)) in lines.iter().enumerate() {
        let n = i + 1;
        let (this_seq, hash, value) = check_line(line).map_err(|r| broken(n, r))?;
        if this_seq != seq + 1 {
            return Err(broken(
                n,
                format!(
                    "expected record {} but found record {this_seq}: records were removed, inserted or reordered",
                    seq + 1
                ),
            ));
        }
        if value["prev"].as_str() != Some(prev.as_str()) {
            return Err(broken(n, "it does not follow the record before it: records were removed, inserted or reordered".into()));
        }
        if value["event"] == LOG_RECOVERED {
            let f = &value["fields"];
            let qfile = f["quarantine_file"].as_str().unwrap_or_default().to_owned();
            let sha = f["quarantined_sha256"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let intact = std::fs::read(&qfile).is_ok_and(|b| sha256_hex(&b) == sha);
            recoveries.push(Recovery {
                line: n,
                after_record: f["after_record"].as_u64().unwrap_or(0),
                quarantine_file: qfile,
                bytes: f["quarantined_bytes"].as_u64().unwrap_or(0),
                sha256: sha,
                quarantine_intact: intact,
            });
        }
        seq = this_seq;
        prev = hash;
    }
    Ok(VerifyReport {
        records: seq,
        last_hash: prev,
        recoveries,
        torn_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop() -> CustodyEvent {
        CustodyEvent::AppStop {
            kiosk_id: "k1".into(),
        }
    }

    fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        for i in 1..=n {
            log.record(
                Some("JS-1"),
                &CustodyEvent::ExhibitWithdrawn {
                    exhibit: format!("JS/{i}"),
                },
            )
            .unwrap();
        }
        (dir, path)
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write(path: &Path, lines: &[String]) {
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }

    fn broken_line(path: &Path) -> usize {
        match verify(path) {
            Err(AuditError::Broken { line, .. }) => line,
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    #[test]
    fn an_intact_log_verifies_and_reopening_continues_the_chain() {
        let (_d, path) = log_with(5);
        assert_eq!(verify(&path).unwrap().records, 5);
        AuditLog::open(&path)
            .unwrap()
            .record(None, &stop())
            .unwrap();
        assert_eq!(verify(&path).unwrap().records, 6);
    }

    #[test]
    fn a_torn_tail_is_quarantined_byte_for_byte_and_the_chain_goes_on() {
        let mut cases = 0;
        // A power cut half way through a line (no newline), and a line of garbage with one (zeros the
        // file system left after a crash).
        let torn_tails: [&[u8]; 3] = [
            b"{\"seq\":6,\"ts\":\"2026-12-01T10:00:00Z\",\"event\":\"exhibit_pres",
            b"\0\0\0\0\0\0\0\0\n",
            b"{\"seq\":6,\xe2\x80",
        ];
        for tail in torn_tails {
            let (_d, path) = log_with(5);
            let good_hash = verify(&path).unwrap().last_hash;
            let mut f = OpenOptions::new().append(true).open(&path).unwrap();
            f.write_all(tail).unwrap();
            drop(f);
            // Before the repair, verify says what is there and that the chain up to it holds.
            let before = verify(&path).unwrap();
            assert_eq!(before.records, 5);
            assert_eq!(before.torn_tail, Some((6, tail.len() as u64)));

            // Another process (a fresh open) appends: the torn bytes move aside and the chain goes on.
            AuditLog::open(&path)
                .unwrap()
                .record(None, &stop())
                .unwrap();
            let report = verify(&path).unwrap();
            assert_eq!(report.records, 7, "log_recovered, then app_stop");
            assert_eq!(report.torn_tail, None);
            assert_eq!(report.recoveries.len(), 1);
            let r = &report.recoveries[0];
            assert_eq!((r.line, r.after_record, r.bytes), (6, 5, tail.len() as u64));
            assert!(r.quarantine_intact);
            assert_eq!(std::fs::read(&r.quarantine_file).unwrap(), tail);
            assert_eq!(r.sha256, sha256_hex(tail));
            let l = lines(&path);
            let rec: serde_json::Value = serde_json::from_str(&l[5]).unwrap();
            assert_eq!(rec["event"], LOG_RECOVERED);
            assert_eq!(rec["fields"]["last_good_hash"], good_hash.as_str());
            // An edit in the middle is still found after a recovery.
            let mut l = l;
            l[2] = l[2].replacen("JS/3", "JS/9", 1);
            write(&path, &l);
            assert_eq!(broken_line(&path), 3);
            cases += 1;
        }
        println!(
            "RELIABILITY|custody|a_torn_tail_is_quarantined_byte_for_byte_and_the_chain_goes_on|audit log: a last line cut off mid-write, zeros after a crash, a cut inside a UTF-8 character; then an edit before the repair point|{cases}"
        );
    }

    #[test]
    fn writers_in_parallel_land_in_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        // Each writer opens the log for itself, as a separate process does (its own file description,
        // so only the flock keeps them apart).
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let log = AuditLog::open(&path).unwrap();
                    for i in 0..50 {
                        let started = CustodyEvent::FetchStarted {
                            exhibit: format!("W{w}/{i}"),
                            sha256: String::new(),
                            bytes: i,
                            store: "store".into(),
                        };
                        log.record(Some("JS-1"), &started).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let report = verify(&path).unwrap();
        assert_eq!(report.records, 200);
        assert!(report.recoveries.is_empty() && report.torn_tail.is_none());
    }

    #[test]
    fn an_edited_last_record_is_an_edit_not_a_torn_line() {
        let (_d, path) = log_with(3);
        let mut l = lines(&path);
        l[2] = l[2].replacen("JS/3", "JS/8", 1);
        write(&path, &l);
        assert_eq!(broken_line(&path), 3);
        assert!(AuditLog::open(&path).is_err());
    }

    #[test]
    fn every_kind_of_tampering_is_found_where_it_is() {
        // A one-byte edit in record 3.
        let (_d, path) = log_with(5);
        let mut l = lines(&path);
        l[2] = l[2].replacen("JS/3", "JS/8", 1);
        write(&path, &l);
        assert_eq!(broken_line(&path), 3);

        // Record 2 removed.
        let (_d, path) = log_with(5);
        let mut l = lines(&path);
        l.remove(1);
        write(&path, &l);
        assert_eq!(broken_line(&path), 2);

        // A record from another log inserted at 3.
        let (_d, path) = log_with(5);
        let (_d2, other) = log_with(5);
        let mut l = lines(&path);
        l.insert(2, lines(&other)[2].clone());
        write(&path, &l);
        assert_eq!(broken_line(&path), 3);

        // Records 3 and 4 swapped.
        let (_d, path) = log_with(5);
        let mut l = lines(&path);
        l.swap(2, 3);
        write(&path, &l);
        assert_eq!(broken_line(&path), 3);

        // Appending to a broken log is refused.
        assert!(AuditLog::open(&path).is_err());
        println!(
            "RELIABILITY|custody|every_kind_of_tampering_is_found_where_it_is|audit log: a record edited, removed, inserted, reordered, or its hash changed|{}",
            5
        );
    }
}
