//! The audit log: append-only JSON lines, each carrying the SHA-256 of the one before, fsync'd as written.
//!
//! A line is `{"seq":N,"ts":"…","event":"…","fields":{…},"prev":"<hex>","hash":"<hex>"}` where `hash` is
//! the SHA-256 of the line's own text up to (not including) `,"hash":`. The first record's `prev` is 64
//! zeros. `verify` recomputes every hash and checks that `seq` counts up by one and `prev` names the
//! previous line's hash, so an edited, removed, inserted or reordered record is found and located.
//! (Cutting records off the end leaves a shorter valid chain; anchoring the last hash elsewhere, e.g. in
//! the setup-check report, is how that is caught.)

mod export;

pub use export::{CaseExport, Row, export, html_escape, to_csv, to_html};

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest, Sha256};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HASH_KEY: &str = ",\"hash\":\"";

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

#[derive(Debug)]
struct Tail {
    seq: u64,
    hash: String,
}

/// An open audit log. Records are appended in order from any thread.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    tail: Mutex<(File, Tail)>,
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

impl AuditLog {
    /// Opens (or creates) the log at `path`, checking the existing chain first: appending to a broken log
    /// would hide where it was broken.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tail = if path.exists() {
            let report = verify(path)?;
            Tail {
                seq: report.records,
                hash: report.last_hash,
            }
        } else {
            Tail {
                seq: 0,
                hash: GENESIS.into(),
            }
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(AuditLog {
            path: path.to_owned(),
            tail: Mutex::new((file, tail)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and fsyncs it. `fields` must never hold a secret.
    pub fn record(&self, event: &str, fields: serde_json::Value) -> Result<(), AuditError> {
        let mut guard = self.tail.lock().expect("audit lock");
        let (file, tail) = &mut *guard;
        let unsealed = Unsealed {
            seq: tail.seq + 1,
            ts: jiff::Timestamp::now().to_string(),
            event,
            fields: &fields,
            prev: &tail.hash,
        };
        let mut text = serde_json::to_string(&unsealed).expect("records serialise");
        text.pop(); // the closing brace; the hash covers everything before its own key
        let hash = sha256_hex(text.as_bytes());
        let line = format!("{text}{HASH_KEY}{hash}\"}}\n");
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        tail.seq += 1;
        tail.hash = hash;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub last_hash: String,
}

/// Checks the whole chain; the error names the first line that is wrong and why.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let file = File::open(path).map_err(|source| AuditError::Io {
        path: path.to_owned(),
        source,
    })?;
    let broken = |line: usize, reason: String| AuditError::Broken {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut prev = GENESIS.to_owned();
    let mut seq = 0u64;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| broken(n, format!("unreadable: {e}")))?;
        let cut = line
            .rfind(HASH_KEY)
            .ok_or_else(|| broken(n, "it has no hash".into()))?;
        let (body, rest) = line.split_at(cut);
        let claimed = rest
            .strip_prefix(HASH_KEY)
            .and_then(|r| r.strip_suffix("\"}"))
            .ok_or_else(|| broken(n, "its hash is malformed".into()))?;
        let actual = sha256_hex(body.as_bytes());
        if actual != claimed {
            return Err(broken(
                n,
                "its contents were changed after it was written (hash mismatch)".into(),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| broken(n, format!("it is not valid JSON: {e}")))?;
        let this_seq = value["seq"]
            .as_u64()
            .ok_or_else(|| broken(n, "it has no sequence number".into()))?;
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
        seq = this_seq;
        prev = claimed.to_owned();
    }
    Ok(VerifyReport {
        records: seq,
        last_hash: prev,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        for i in 1..=n {
            log.record(
                "exhibit_presented",
                json!({"exhibit": format!("JS/{i}"), "screens": ["bench"]}),
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
            .record("app_stop", json!({}))
            .unwrap();
        assert_eq!(verify(&path).unwrap().records, 6);
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
