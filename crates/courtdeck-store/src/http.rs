//! The HTTPS store: the store layout (see `docs/store-format.md`) served by any static web server, with a
//! bearer token or HTTP basic credentials, TLS verified against the system roots or a configured CA.
//!
//! The S3 store is this store too (`HttpStoreConfig::s3`): the same layout under a bucket and prefix,
//! each request a SigV4 pre-signed GET (`rusty-s3` signs; reqwest sends), so the deadlines, the
//! minimum rate, retries, resume (`Range` + `If-Match`) and offline behaviour are the HTTPS store's,
//! word for word.
//!
//! Blocking like every store: each call runs the request on the caller's tokio runtime through a
//! `Handle`, so it must be called from a blocking thread (`spawn_blocking`), never from async code.
//! Secrets live in `HttpAuth` as `Secret`s and go nowhere but the `Authorization` header.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use courtdeck_core::Sha256Digest;
use reqwest::StatusCode;
use reqwest::header::{CONNECTION, CONTENT_RANGE, ETAG, HeaderMap, HeaderValue, IF_MATCH, RANGE};
use tokio::runtime::Handle;

use crate::{BlobBody, EvidenceStore, MAX_DOCUMENT_BYTES, Resume, Secret, StoreError, blob_path};

#[derive(Debug, Clone)]
pub enum HttpAuth {
    None,
    Bearer(Secret),
    Basic {
        username: String,
        password: Secret,
    },
    /// An S3 access key: requests are pre-signed with SigV4 (only with `HttpStoreConfig::s3`).
    S3 {
        access_key_id: String,
        secret_access_key: Secret,
    },
}

/// Where in S3 the store is: the endpoint is `HttpStoreConfig::url`.
#[derive(Debug, Clone)]
pub struct S3Location {
    pub bucket: String,
    /// `cases/…` lives at `<prefix>cases/…` in the bucket (`""` for the bucket's root).
    pub prefix: String,
    pub region: String,
    /// Path-style (`https://endpoint/bucket/key`) rather than virtual-host addressing
    /// (`https://bucket.endpoint/key`).
    pub path_style: bool,
}

impl S3Location {
    /// The bucket at `endpoint`, addressed path-style or by virtual host.
    pub(crate) fn bucket_at(
        &self,
        endpoint: &reqwest::Url,
    ) -> Result<rusty_s3::Bucket, StoreError> {
        let style = if self.path_style {
            rusty_s3::UrlStyle::Path
        } else {
            rusty_s3::UrlStyle::VirtualHost
        };
        rusty_s3::Bucket::new(
            endpoint.clone(),
            style,
            self.bucket.clone(),
            self.region.clone(),
        )
        .map_err(|e| {
            StoreError::Invalid(format!(
                "the S3 bucket {:?} at {endpoint} cannot be addressed: {e:?}",
                self.bucket
            ))
        })
    }

    /// `prefix` as a key prefix: no leading slash, one trailing slash (`""` for the bucket's root).
    pub(crate) fn key_prefix(&self) -> String {
        let mut prefix = self.prefix.trim_matches('/').to_owned();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix
    }
}

/// How long a pre-signed request stays valid: long enough for the slowest download's answer (the
/// signature is checked when the request arrives, not while the body flows).
const PRESIGN_TTL: Duration = Duration::from_secs(15 * 60);

/// Signs S3 requests. Its `Debug` names the bucket, never the key's secret.
struct S3Signer {
    bucket: rusty_s3::Bucket,
    prefix: String,
    credentials: Option<rusty_s3::Credentials>,
}

impl std::fmt::Debug for S3Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Signer")
            .field("bucket", &self.bucket.name())
            .field("prefix", &self.prefix)
            .field("signed", &self.credentials.is_some())
            .finish()
    }
}

impl S3Signer {
    /// The URL of `rel` (a store path), pre-signed when there is a key.
    fn url(&self, rel: &str) -> reqwest::Url {
        use rusty_s3::S3Action as _;
        let key = format!("{}{rel}", self.prefix);
        match &self.credentials {
            Some(c) => {
                rusty_s3::actions::GetObject::new(&self.bucket, Some(c), &key).sign(PRESIGN_TTL)
            }
            None => self.bucket.object_url(&key),
        }
    }
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
    /// Longest wait for the answer (status and headers) after the request went out: a store that
    /// accepts the connection and says nothing is offline after this.
    pub answer_timeout: Duration,
    /// Longest time for one document, all attempts and the whole body included: a court list that
    /// trickles in does not hold the kiosk.
    pub document_deadline: Duration,
    /// Extra attempts for a document after a transient failure (blobs are retried by the cache, which
    /// resumes where the bytes stopped).
    pub retries: u32,
    /// An S3 bucket at the endpoint `url`, instead of a plain web server.
    pub s3: Option<S3Location>,
}

impl HttpStoreConfig {
    pub fn new(url: impl Into<String>, auth: HttpAuth) -> Self {
        HttpStoreConfig {
            url: url.into(),
            auth,
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            answer_timeout: Duration::from_secs(10),
            document_deadline: Duration::from_secs(20),
            retries: 3,
            s3: None,
        }
    }
}

#[derive(Debug)]
pub struct HttpStore {
    base: reqwest::Url,
    /// For an S3 store: every URL is made (and signed) here instead of joined to `base`.
    s3: Option<S3Signer>,
    client: reqwest::Client,
    /// For pre-signed links: no credential, no redirects, the system roots and any configured CA.
    link_client: reqwest::Client,
    auth: HttpAuth,
    retries: u32,
    answer_timeout: Duration,
    document_deadline: Duration,
    rt: Handle,
    /// Set when a request just failed for good after its retries: until then, one attempt per request
    /// and no retries, so an offline kiosk falls back to its kept copies at once instead of waiting
    /// out the backoff on every document. When the failure was silence (the store accepted and said
    /// nothing) or slowness (a document missed its deadline), requests in that time fail at once with
    /// that reason: waiting it out again for every document is what made an offline kiosk take minutes.
    offline_until: std::sync::Mutex<Option<(Instant, Option<String>)>>,
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
        let loopback = is_loopback(&base);
        match base.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(StoreError::Invalid(format!(
                    "the store URL {base} must start with https:// (plain http is accepted only for this machine's own loopback address)"
                )));
            }
        }
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .read_timeout(config.read_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("courtdeck/", env!("CARGO_PKG_VERSION")))
        };
        let mut store_client = builder().https_only(!loopback);
        // Links go to another host (a bucket, often a public cloud's): the system roots and the
        // court's CA both, and a scheme each link is checked for (`wire::check_link`).
        let mut link_client = builder();
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
            link_client = link_client.tls_certs_merge(certs.clone());
            store_client = store_client.tls_certs_only(certs);
        }
        let build = |b: reqwest::ClientBuilder| {
            b.build()
                .map_err(|e| StoreError::Invalid(format!("cannot set up HTTPS: {}", chain(&e))))
        };
        let (client, link_client) = (build(store_client)?, build(link_client)?);
        let s3 = match &config.s3 {
            None => None,
            Some(loc) => {
                let bucket = loc.bucket_at(&base)?;
                let prefix = loc.key_prefix();
                let credentials = match &config.auth {
                    HttpAuth::S3 {
                        access_key_id,
                        secret_access_key,
                    } => Some(rusty_s3::Credentials::new(
                        access_key_id.clone(),
                        secret_access_key.expose().to_owned(),
                    )),
                    _ => None,
                };
                Some(S3Signer {
                    bucket,
                    prefix,
                    credentials,
                })
            }
        };
        Ok(HttpStore {
            base,
            s3,
            client,
            link_client,
            auth: config.auth,
            retries: config.retries,
            answer_timeout: config.answer_timeout,
            document_deadline: config.document_deadline,
            rt,
            offline_until: std::sync::Mutex::new(None),
        })
    }

    fn request(
        &self,
        rel: &str,
        headers: HeaderMap,
    ) -> Result<reqwest::RequestBuilder, StoreError> {
        let url = match &self.s3 {
            Some(s3) => s3.url(rel),
            None => self
                .base
                .join(rel)
                .map_err(|e| StoreError::Invalid(format!("bad store path {rel:?}: {e}")))?,
        };
        let req = self.client.get(url).headers(headers);
        Ok(match &self.auth {
            // The signature is in the URL's query.
            HttpAuth::None | HttpAuth::S3 { .. } => req,
            HttpAuth::Bearer(token) => req.bearer_auth(token.expose()),
            HttpAuth::Basic { username, password } => {
                req.basic_auth(username, Some(password.expose()))
            }
        })
    }

    /// Sends `req` and waits at most `answer_timeout` for its status and headers.
    async fn answer(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, StoreError> {
        match tokio::time::timeout(self.answer_timeout, req.send()).await {
            Ok(r) => r.map_err(|e| self.transport_error(&e)),
            Err(_) => Err(StoreError::Silent {
                store: self.describe(),
                detail: format!(" within {}", secs(self.answer_timeout)),
            }),
        }
    }

    /// One GET, no retry. Transport failures become `Unreachable` (transient), `Silent` or `Untrusted`.
    fn send(&self, rel: &str, headers: HeaderMap) -> Result<reqwest::Response, StoreError> {
        let req = self.request(rel, headers)?;
        // `send` starts its timers at once, so it must be called inside the runtime, not before.
        let result = self.rt.block_on(self.answer(req));
        if let Err(e @ StoreError::Silent { .. }) = &result {
            self.mark_offline(Some(e));
        }
        result
    }

    /// One GET of a link (another host's: its silence says nothing of this store's).
    fn send_link(
        &self,
        url: &reqwest::Url,
        headers: HeaderMap,
    ) -> Result<reqwest::Response, StoreError> {
        // No credential of the store's: the link's signature is its authority, and the store's
        // token must never go to another host.
        let req = self.link_client.get(url.clone()).headers(headers);
        self.rt.block_on(self.answer(req))
    }

    /// Remembers a failure for `OFFLINE_GRACE`; with `fail_fast`, requests in that time fail at once.
    fn mark_offline(&self, fail_fast: Option<&StoreError>) {
        let reason = fail_fast.map(|e| match e {
            StoreError::Silent { detail, .. } => format!("it did not answer{detail}"),
            StoreError::TooSlow { rate, need, .. } => format!("it was too slow ({rate}; {need})"),
            other => other.to_string(),
        });
        *self.offline_until.lock().expect("not poisoned") =
            Some((Instant::now() + OFFLINE_GRACE, reason));
    }

    /// The store fell silent or was too slow a moment ago: say so at once instead of waiting again.
    fn still_silent(&self) -> Option<StoreError> {
        let offline = self.offline_until.lock().expect("not poisoned").clone();
        match offline {
            Some((until, Some(reason))) if Instant::now() < until => {
                Some(StoreError::Unreachable {
                    store: self.describe(),
                    reason: format!(
                        "{reason} a moment ago; it is asked again in {}",
                        secs(Duration::from_secs((until - Instant::now()).as_secs() + 1))
                    ),
                })
            }
            _ => None,
        }
    }

    /// One attempt at a document, its body included, ending by `deadline`.
    fn document_once(&self, rel: &str, deadline: Instant) -> Result<Vec<u8>, StoreError> {
        let req = self.request(rel, HeaderMap::new())?;
        let received = std::cell::Cell::new(0u64);
        let answered = std::cell::Cell::new(false);
        let work = async {
            let mut resp = self.answer(req).await?;
            answered.set(true);
            if !resp.status().is_success() {
                return Err(self.status_error(resp.status(), rel));
            }
            let mut bytes = Vec::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        received.set(received.get() + c.len() as u64);
                        bytes.extend_from_slice(&c);
                        if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(StoreError::Interrupted {
                            what: rel.to_owned(),
                            reason: chain(&e),
                        });
                    }
                }
            }
            Ok(bytes)
        };
        let result = self
            .rt
            .block_on(async { tokio::time::timeout_at(deadline.into(), work).await });
        match result {
            Ok(r) => r,
            // The deadline came before any answer: a store that is silent, whichever of the two
            // timers (answer, document) happened to fire first.
            Err(_) if !answered.get() => Err(StoreError::Silent {
                store: self.describe(),
                detail: format!(
                    " within {}",
                    secs(self.answer_timeout.min(self.document_deadline))
                ),
            }),
            Err(_) => Err(StoreError::TooSlow {
                store: self.describe(),
                rate: StoreError::rate(
                    received.get() as f64 / self.document_deadline.as_secs_f64(),
                ),
                need: format!("{rel} must arrive within {}", secs(self.document_deadline)),
                detail: format!("only {} bytes of it arrived in that time", received.get()),
            }),
        }
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
        let stop = Arc::new(AtomicBool::new(false));
        BlobBody {
            reader: Box::new(HttpBody {
                resp,
                rt: self.rt.clone(),
                chunk: Bytes::new(),
                what,
                stop: stop.clone(),
            }),
            offset,
            etag,
            stop,
        }
    }
}

impl EvidenceStore for HttpStore {
    fn describe(&self) -> String {
        match &self.s3 {
            Some(s3) => format!("s3://{}/{} at {}", s3.bucket.name(), s3.prefix, self.base),
            None => format!("{}", self.base),
        }
    }

    fn read_document(&self, rel: &str) -> Result<Vec<u8>, StoreError> {
        if let Some(e) = self.still_silent() {
            return Err(e);
        }
        let deadline = Instant::now() + self.document_deadline;
        let mut attempt = 0;
        let recently_offline = self
            .offline_until
            .lock()
            .expect("not poisoned")
            .as_ref()
            .is_some_and(|(t, _)| Instant::now() < *t);
        let retries = if recently_offline { 0 } else { self.retries };
        loop {
            let result = self.document_once(rel, deadline);
            let pause = backoff(attempt + 1);
            // Silence and a missed deadline are not retried: the first already waited its full time,
            // the second has no time left.
            let retry = matches!(&result, Err(e) if e.is_transient())
                && attempt < retries
                && Instant::now() + pause < deadline;
            match &result {
                Err(e @ (StoreError::Silent { .. } | StoreError::TooSlow { .. })) => {
                    self.mark_offline(Some(e))
                }
                Err(e) if e.code() == courtdeck_core::ErrorCode::StoreUnreachable && !retry => {
                    self.mark_offline(None)
                }
                Ok(_) => *self.offline_until.lock().expect("not poisoned") = None,
                Err(_) => {}
            }
            match result {
                Err(e) if retry => {
                    attempt += 1;
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
        if let Some(e) = self.still_silent() {
            return Err(e);
        }
        let rel = blob_path(digest);
        self.open(&|h| self.send(&rel, h), &rel, digest, resume)
    }

    fn open_link(
        &self,
        url: &reqwest::Url,
        digest: &Sha256Digest,
        resume: &Resume,
    ) -> Result<BlobBody, StoreError> {
        let shown = without_queries(url.as_str());
        // Its failures are the link host's, and said so: not the store's, which answers.
        let host = format!(
            "{} (the host of the case's pre-signed links)",
            url.host_str().unwrap_or("?")
        );
        self.open(&|h| self.send_link(url, h), &shown, digest, resume)
            .map_err(|e| match e {
                StoreError::Unreachable { reason, .. } => StoreError::Unreachable {
                    store: host,
                    reason,
                },
                StoreError::Silent { detail, .. } => StoreError::Silent {
                    store: host,
                    detail,
                },
                StoreError::Untrusted { reason, .. } => StoreError::Untrusted {
                    store: host,
                    reason,
                },
                e => e,
            })
    }
}

impl HttpStore {
    /// A blob's body through `get` (a store path or a link, `shown` in messages): from
    /// `resume.offset` with `Range` + `If-Match` when the store keeps the same bytes, else whole.
    fn open(
        &self,
        get: &dyn Fn(HeaderMap) -> Result<reqwest::Response, StoreError>,
        shown: &str,
        digest: &Sha256Digest,
        resume: &Resume,
    ) -> Result<BlobBody, StoreError> {
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
            // This connection is not kept for the next request. nginx refuses a stale `If-Match`
            // with a 412 that says `Connection: keep-alive`, then closes the connection anyway; a
            // request sent on it before its FIN arrived came back "reset by peer", and the whole
            // resume was tried again from the start. One handshake per resume is the price.
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
            let resp = get(headers)?;
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
                status => return Err(self.status_error(status, shown)),
            }
            // Its connection closes with it (`Connection: close`): the next request opens its own.
            drop(resp);
        }
        let resp = get(HeaderMap::new())?;
        if resp.status() != StatusCode::OK {
            return Err(self.status_error(resp.status(), shown));
        }
        Ok(self.body(resp, 0, what))
    }
}

/// Whether `url`'s host is this machine's loopback (`localhost`, 127.0.0.0/8, `::1`): the one
/// place plain `http://` is accepted, by stores, S3 endpoints and blob links alike.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
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

/// `10 s`, `1.5 s`.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
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
    without_queries(&out)
}

/// `text` with every URL's query string cut off: reqwest names the URL in its errors, and an S3
/// store's URLs carry their signature (`X-Amz-Signature`, `X-Amz-Credential`) in the query, which
/// must never reach a log line or the surface.
pub(crate) fn without_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == ')' || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let url = &tail[..end];
        match url.find('?') {
            Some(q) => {
                out.push_str(&url[..q]);
                out.push_str("?…");
            }
            None => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// How often a body read waiting on the network looks at its stop flag.
const STOP_TICK: Duration = Duration::from_millis(100);

/// A response body as `Read`, pulling chunks on the store's runtime. A read waiting for the network
/// returns (`Interrupted`... as an error of kind `Other`) within `STOP_TICK` of `stop` being set; waiting
/// in short slices loses nothing, because a body's next chunk stays in the body until it is taken.
struct HttpBody {
    resp: reqwest::Response,
    rt: Handle,
    chunk: Bytes,
    what: String,
    stop: Arc<AtomicBool>,
}

impl Read for HttpBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            if self.stop.load(Ordering::Relaxed) {
                return Err(io::Error::other(format!(
                    "{}: the download was stopped",
                    self.what
                )));
            }
            let next = self
                .rt
                .block_on(async { tokio::time::timeout(STOP_TICK, self.resp.chunk()).await });
            let Ok(next) = next else { continue };
            match next {
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
    #[test]
    fn signatures_in_urls_never_reach_a_message() {
        let msg = "error sending request for url (http://127.0.0.1:8333/evidence/cases/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=testkey%2F2026&X-Amz-Signature=abc123): connection refused";
        let clean = super::without_queries(msg);
        assert_eq!(
            clean,
            "error sending request for url (http://127.0.0.1:8333/evidence/cases/x?…): connection refused"
        );
        assert_eq!(super::without_queries("no url here"), "no url here");
    }

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
