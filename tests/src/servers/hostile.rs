//! `HostileStore`: a small HTTP server of our own serving a store folder, with one bad habit for the
//! documents or the blobs.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Result;

/// The bad habit of a `HostileStore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostility {
    /// Answers at once, then sends the body one byte per `interval`.
    Trickle { interval: Duration },
    /// Accepts the connection, reads the request, never answers.
    Silence,
    /// Ignores `Range` (always 200 and the whole length announced), and cuts the connection after 90%
    /// of the body.
    IgnoreRangeCutAt90,
    /// Sends the real bytes, then zeros without end (no `Content-Length`; at most 1 GiB, so the server
    /// stops by itself).
    EndlessBody,
    /// Announces 1000 bytes more than it has, sends what it has, then closes.
    LyingContentLength,
}

/// Which requests a `HostileStore` is hostile to; the others are served properly (with `Range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostileTo {
    Documents,
    Blobs,
}

/// Counters of a `HostileStore`, observed on the wire.
#[derive(Debug, Default)]
pub struct HostileStats {
    pub connections: AtomicU64,
    /// Requests that got the hostile treatment.
    pub hostile_requests: AtomicU64,
    /// Body bytes sent to the hostile requests.
    pub hostile_bytes: AtomicU64,
    /// Hostile requests that carried a `Range` header.
    pub ranged_requests: AtomicU64,
}

/// A loopback HTTP/1.1 server (one request per connection) serving the store folder `root`, hostile to
/// one kind of request. Stopped (every connection closed) when dropped.
#[derive(Debug)]
pub struct HostileStore {
    pub port: u16,
    pub stats: Arc<HostileStats>,
    stop: Arc<AtomicBool>,
}

impl HostileStore {
    pub fn start(root: &Path, mode: Hostility, to: HostileTo) -> Result<HostileStore> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let stats = Arc::new(HostileStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (root, s, st) = (root.to_path_buf(), stats.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        s.connections.fetch_add(1, Ordering::Relaxed);
                        let (root, s, st) = (root.clone(), s.clone(), st.clone());
                        std::thread::spawn(move || {
                            let _ = serve_one(conn, &root, mode, to, &s, &st);
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(HostileStore { port, stats, stop })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn hostile_requests(&self) -> u64 {
        self.stats.hostile_requests.load(Ordering::Relaxed)
    }

    pub fn hostile_bytes(&self) -> u64 {
        self.stats.hostile_bytes.load(Ordering::Relaxed)
    }
}

impl Drop for HostileStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve_one(
    mut conn: TcpStream,
    root: &Path,
    mode: Hostility,
    to: HostileTo,
    stats: &HostileStats,
    stop: &AtomicBool,
) -> Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    // The request head, up to its blank line.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_owned();
    let range_start: Option<u64> = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if !k.eq_ignore_ascii_case("range") {
            return None;
        }
        v.trim()
            .strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse()
            .ok()
    });
    let is_blob = path.starts_with("blobs/");
    let hostile = match to {
        HostileTo::Blobs => is_blob,
        HostileTo::Documents => !is_blob,
    };
    let safe = !path.split('/').any(|s| s == ".." || s.is_empty());
    let body = if safe {
        std::fs::read(root.join(&path)).ok()
    } else {
        None
    };
    let Some(body) = body else {
        conn.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    let etag = format!("\"{}-{}\"", body.len(), path.len());
    if !hostile {
        let start = range_start.unwrap_or(0).min(body.len() as u64) as usize;
        let head = match range_start {
            Some(_) => format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
                body.len() - start,
                body.len().saturating_sub(1),
                body.len()
            ),
            None => format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
                body.len()
            ),
        };
        conn.write_all(head.as_bytes())?;
        conn.write_all(&body[start..])?;
        return Ok(());
    }
    stats.hostile_requests.fetch_add(1, Ordering::Relaxed);
    if range_start.is_some() {
        stats.ranged_requests.fetch_add(1, Ordering::Relaxed);
    }
    let sent = |n: usize| {
        stats.hostile_bytes.fetch_add(n as u64, Ordering::Relaxed);
    };
    let ok_head = |len: Option<usize>| match len {
        Some(n) => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
        ),
        None => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_owned(),
    };
    match mode {
        Hostility::Silence => {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Hostility::Trickle { interval } => {
            conn.write_all(ok_head(Some(body.len())).as_bytes())?;
            for b in &body {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                conn.write_all(std::slice::from_ref(b))?;
                sent(1);
                std::thread::sleep(interval);
            }
        }
        Hostility::IgnoreRangeCutAt90 => {
            conn.write_all(ok_head(Some(body.len())).as_bytes())?;
            let cut = body.len() * 9 / 10;
            conn.write_all(&body[..cut])?;
            sent(cut);
        }
        Hostility::EndlessBody => {
            conn.write_all(ok_head(None).as_bytes())?;
            conn.write_all(&body)?;
            sent(body.len());
            let zeros = vec![0u8; 64 * 1024];
            let mut total = body.len();
            while total < (1 << 30) && !stop.load(Ordering::Relaxed) {
                conn.write_all(&zeros)?;
                sent(zeros.len());
                total += zeros.len();
            }
        }
        Hostility::LyingContentLength => {
            conn.write_all(ok_head(Some(body.len() + 1000)).as_bytes())?;
            conn.write_all(&body)?;
            sent(body.len());
        }
    }
    let _ = conn.shutdown(Shutdown::Both);
    Ok(())
}
