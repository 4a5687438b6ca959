//! Streaming a store's bytes into a part file: hashed as they arrive, written by a thread of its
//! own, with the deadlines, the minimum rate and the disk checks of a fetch.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use courtdeck_core::Sha256Digest;
use sha2::{Digest, Sha256};

use super::CHUNK;
use super::FetchPolicy;
use super::FetchProgress;

/// Attempts in a row that bring no byte before a fetch gives up (about 12 s of backoff in all).
pub const MAX_FAILURES_WITHOUT_PROGRESS: u32 = 6;
pub(super) const ENOSPC: i32 = 28;
/// Chunks in flight between the download thread and the hashing writer.
pub(super) const PIPELINE_DEPTH: usize = 4;

pub(super) fn pause(d: std::time::Duration, cancel: &AtomicBool) {
    let until = std::time::Instant::now() + d;
    while std::time::Instant::now() < until && !cancel.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub(super) struct Sink<'a> {
    pub(super) out: &'a mut File,
    pub(super) hasher: &'a mut Sha256,
    pub(super) done: &'a mut u64,
    pub(super) size: u64,
}

pub(super) enum StreamError {
    Cancelled,
    TooLong,
    TooSlow { bytes_per_s: f64 },
    Read(std::io::Error),
    Write(std::io::Error),
}

/// How often the writer looks at the rate and the cancel flag while no buffer arrives.
pub(super) const TICK: Duration = Duration::from_millis(100);

/// Copies the body into the sink: a thread reads the network into 1 MiB buffers while this thread
/// hashes and writes the previous ones. Every byte that arrived is written before a read error is
/// returned, so a resume never asks for it again. Returns how many bytes came over the wire in this
/// attempt (more than were written when the store sent more than the blob).
///
/// The reader thread is always joined before this returns: it blocks on the store's runtime, and one
/// left behind would find that runtime gone at exit (the panic "A Tokio 1.x context was found, but it
/// is being shutdown"). `BlobBody::stop` makes its read return promptly.
pub(super) fn stream(
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
