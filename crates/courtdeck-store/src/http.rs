//! The HTTPS store: the store layout (see `docs/store-format.md`) served by any static web server, with a
//! bearer token or HTTP basic credentials, TLS verified against the system roots or a configured CA.
//!
//! Blocking like every store: each call runs the request on the caller's tokio runtime through a
//! `Handle`, so it must be called from a blocking thread (`spawn_blocking`), never from async code.
//! Secrets live in `HttpAuth` as `Secret`s and go nowhere but the `Authorization` header.

use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use courtdeck_core::Sha256Digest;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, HeaderValue, IF_MATCH, RANGE};
use tokio::runtime::Handle;

use crate::{BlobBody, EvidenceStore, MAX_DOCUMENT_BYTES, Resume, Secret, StoreError, blob_path};

#[derive(Debug, Clone)]
pub enum HttpAuth {
    None,
    Bearer(Secret),
    Basic { username: String, password: Secret },
}

#[derive(Debug, Clone)]
pub struct HttpStoreConfig {
    /// `https://host/prefix/`. Plain `http://` only for a loopback host: credentials never cross a
    /// network in clear.
    pub url: String,
    pub auth: HttpAuth,
    /// PEM bundle of the CAs to trust instead of the system roots (a court's private CA).
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// Longest silence while reading a response before the connection counts as dropped.
    pub read_timeout: Duration,
    /// Extra attempts for a document after a transient failure (blobs are retried by the cache, which
    /// resumes where the bytes stopped).
    pub retries: u32,
}

impl HttpStoreConfig {
    pub fn new(url: impl Into<String>, auth: HttpAuth) -> Self {
        HttpStoreConfig {
            url: url.into(),
            auth,
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            retries: 3,
        }
    }
}

#[derive(Debug)]
pub struct HttpStore {
    base: reqwest::Url,
    client: reqwest::Client,
    auth: HttpAuth,
    retries: u32,
    rt: Handle,
    /// Set when a request just failed for good after its retries: until then, one attempt per request
    /// and no retries, so an offline kiosk falls back to its kept copies at once instead of waiting
    /// out the backoff on every document.
    offline_until: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How long a store that failed all its retries is asked only once per request.
const OFFLINE_GRACE: Duration = Duration::from_secs(30);

impl HttpStore {
    pub fn new(config: HttpStoreConfig, rt: Handle) -> Result<HttpStore, StoreError> {
        let mut url = config.url.trim().to_owned();
        if !url.ends_with('/') {
            url.push('/');
        }
        let base = reqwest::Url::parse(&url)
            .map_err(|e| StoreError::Invalid(format!("the store URL {url:?} is not valid: {e}")))?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(StoreError::Invalid(
                "the store URL must not contain credentials; use `courtdeck store login`".into(),
            ));
        }
        let loopback = match base.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match base.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(StoreError::Invalid(format!(
                    "the store URL {base} must start with https:// (plain http is accepted only for this machine's own loopback address)"
                )));
            }
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("courtdeck/", env!("CARGO_PKG_VERSION")))
            .https_only(!loopback);
        if let Some(ca) = &config.ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                StoreError::io(format!("reading the CA bundle {}", ca.display()), e)
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                StoreError::Invalid(format!(
                    "the CA bundle {} is not PEM certificates: {e}",
                    ca.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "the CA bundle {} holds no certificate",
                    ca.display()
                )));
            }
            builder = builder.tls_certs_only(certs);
        }
        let client = builder
            .build()
            .map_err(|e| StoreError::Invalid(format!("cannot set up HTTPS: {}", chain(&e))))?;
        Ok(HttpStore {
            base,
            client,
            auth: config.auth,
            retries: config.retries,
            rt,
            offline_until: std::sync::Mutex::new(None),
        })
    }

    /// One GET, no retry. Transport failures become `Unreachable` (transient) or `Untrusted`.
    fn send(&self, rel: &str, headers: HeaderMap) -> Result<reqwest::Response, StoreError> {
        let url = self
            .base
            .join(rel)
            .map_err(|e| StoreError::Invalid(format!("bad store path {rel:?}: {e}")))?;
        let mut req = self.client.get(url).headers(headers);
        req = match &self.auth {
            HttpAuth::None => req,
            HttpAuth::Bearer(token) => req.bearer_auth(token.expose()),
            HttpAuth::Basic { username, password } => {
                req.basic_auth(username, Some(password.expose()))
            }
        };
        // `send` starts its timers at once, so it must be called inside the runtime, not before.
        self.rt
            .block_on(async move { req.send().await })
            .map_err(|e| self.transport_error(&e))
    }

    fn transport_error(&self, e: &reqwest::Error) -> StoreError {
        let reason = chain(e);
        let lower = reason.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls")
        {
            return StoreError::Untrusted {
                store: self.describe(),
                reason,
            };
        }
        let reason = if e.is_timeout() {
            format!("no answer in time ({reason})")
        } else {
            reason
        };
        StoreError::Unreachable {
            store: self.describe(),
            reason,
        }
    }

    fn status_error(&self, status: StatusCode, rel: &str) -> StoreError {
        match status.as_u16() {
            401 | 403 => StoreError::NotAuthorised {
                store: self.describe(),
                status: status.as_u16(),
            },
            404 | 410 => StoreError::NotFound(rel.to_owned()),
            408 | 429 | 500 | 502 | 503 | 504 => StoreError::Unreachable {
                store: self.describe(),
                reason: format!("the server answered HTTP {status} for {rel}"),
            },
            _ => StoreError::Invalid(format!(
                "the evidence store {} answered HTTP {status} for {rel}",
                self.describe()
            )),
        }
    }

    fn body(&self, resp: reqwest::Response, offset: u64, what: String) -> BlobBody {
        let etag = resp
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.starts_with("W/"))
            .map(str::to_owned);
        BlobBody {
            reader: Box::new(HttpBody {
                resp,
                rt: self.rt.clone(),
                chunk: Bytes::new(),
                what,
            }),
            offset,
            etag,
        }
    }
}

impl EvidenceStore for HttpStore {
    fn describe(&self) -> String {
        format!("{}", self.base)
    }

    fn read_document(&self, rel: &str) -> Result<Vec<u8>, StoreError> {
        let mut attempt = 0;
        let recently_offline = self
            .offline_until
            .lock()
            .expect("not poisoned")
            .is_some_and(|t| std::time::Instant::now() < t);
        let retries = if recently_offline { 0 } else { self.retries };
        loop {
            let result = self.send(rel, HeaderMap::new()).and_then(|resp| {
                if !resp.status().is_success() {
                    return Err(self.status_error(resp.status(), rel));
                }
                let mut body = self.body(resp, 0, rel.to_owned()).reader;
                let mut bytes = Vec::new();
                (&mut body)
                    .take(MAX_DOCUMENT_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| StoreError::Interrupted {
                        what: rel.to_owned(),
                        reason: e.to_string(),
                    })?;
                Ok(bytes)
            });
            let mut offline = self.offline_until.lock().expect("not poisoned");
            match &result {
                Err(e) if e.is_transient() && attempt >= retries => {
                    *offline = Some(std::time::Instant::now() + OFFLINE_GRACE);
                }
                Ok(_) => *offline = None,
                Err(_) => {}
            }
            drop(offline);
            match result {
                Err(e) if e.is_transient() && attempt < retries => {
                    attempt += 1;
                    let pause = backoff(attempt);
                    tracing::warn!(
                        path = rel,
                        attempt,
                        ?pause,
                        "store request failed, retrying: {e}"
                    );
                    std::thread::sleep(pause);
                }
                other => return other,
            }
        }
    }

    fn server_time(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
        // Any answer (even a 403 for the root folder) carries a Date header; the root is the cheapest
        // thing to ask for. Credentials are checked elsewhere.
        let resp = self.send("", HeaderMap::new())?;
        Ok(resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|d| {
                jiff::fmt::rfc2822::DateTimeParser::new()
                    .parse_timestamp(d)
                    .ok()
            }))
    }

    fn open_blob(&self, digest: &Sha256Digest, resume: &Resume) -> Result<BlobBody, StoreError> {
        let rel = blob_path(digest);
        let what = format!("blob {}", digest.to_hex());
        if resume.offset > 0 {
            let mut headers = HeaderMap::new();
            headers.insert(
                RANGE,
                HeaderValue::from_str(&format!("bytes={}-", resume.offset)).expect("ascii"),
            );
            if let Some(tag) = resume
                .etag
                .as_deref()
                .and_then(|t| HeaderValue::from_str(t).ok())
            {
                headers.insert(IF_MATCH, tag);
            }
            let resp = self.send(&rel, headers)?;
            match resp.status() {
                StatusCode::PARTIAL_CONTENT => {
                    let start = resp
                        .headers()
                        .get(CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(content_range_start);
                    if start == Some(resume.offset) {
                        return Ok(self.body(resp, resume.offset, what));
                    }
                    tracing::warn!(blob = %digest, offset = resume.offset, ?start, "the store resumed at another offset; starting the download again");
                }
                // The server ignored Range: this response is the whole blob; use it.
                StatusCode::OK => return Ok(self.body(resp, 0, what)),
                StatusCode::PRECONDITION_FAILED => {
                    tracing::warn!(blob = %digest, "the blob's ETag changed since the partial download; starting again");
                }
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    tracing::warn!(blob = %digest, offset = resume.offset, "the store cannot resume there; starting again");
                }
                status => return Err(self.status_error(status, &rel)),
            }
        }
        let resp = self.send(&rel, HeaderMap::new())?;
        if resp.status() != StatusCode::OK {
            return Err(self.status_error(resp.status(), &rel));
        }
        Ok(self.body(resp, 0, what))
    }
}

/// `bytes 100-999/1000` -> 100.
fn content_range_start(v: &str) -> Option<u64> {
    let rest = v.trim().strip_prefix("bytes ")?;
    rest.split('-').next()?.trim().parse().ok()
}

/// 250 ms, 500 ms, 1 s, 2 s, then 4 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64 << attempt.saturating_sub(1).min(4))
}

/// An error with its causes, `a: b: c` (reqwest's own message alone says little).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// A response body as `Read`, pulling chunks on the store's runtime.
struct HttpBody {
    resp: reqwest::Response,
    rt: Handle,
    chunk: Bytes,
    what: String,
}

impl Read for HttpBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rt.block_on(self.resp.chunk()) {
                Ok(Some(c)) => self.chunk = c,
                Ok(None) => return Ok(0),
                Err(e) => {
                    let kind = if e.is_timeout() {
                        io::ErrorKind::TimedOut
                    } else {
                        io::ErrorKind::ConnectionAborted
                    };
                    return Err(io::Error::new(
                        kind,
                        format!("{}: {}", self.what, chain(&e)),
                    ));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parsing() {
        assert_eq!(content_range_start("bytes 100-999/1000"), Some(100));
        assert_eq!(content_range_start("bytes 0-0/1"), Some(0));
        assert_eq!(content_range_start("bytes */1000"), None);
        assert_eq!(content_range_start("items 1-2/3"), None);
    }

    #[test]
    fn plain_http_only_on_loopback_and_no_credentials_in_urls() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let make = |url: &str| {
            HttpStore::new(
                HttpStoreConfig::new(url, HttpAuth::None),
                rt.handle().clone(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        assert!(make("http://127.0.0.1:8080/store").is_ok());
        assert!(make("http://localhost/").is_ok());
        assert!(make("https://evidence.example.org/").is_ok());
        assert!(
            make("http://evidence.example.org/")
                .unwrap_err()
                .contains("https://")
        );
        assert!(
            make("https://u:p@evidence.example.org/")
                .unwrap_err()
                .contains("credentials")
        );
        assert!(make("ftp://127.0.0.1/").is_err());
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(9), Duration::from_secs(4));
    }
}
