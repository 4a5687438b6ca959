//! Publishing a store folder into an S3 bucket: what `courtdeck bundle --store s3://…` uploads after
//! bundling into a staging folder. Blobs first, then manifests (and their signatures), then court
//! lists, so a kiosk reading the bucket meanwhile never sees a manifest whose blobs are missing, nor a
//! listing whose manifest is. Each request is pre-signed with SigV4 (`rusty-s3`), as the S3 store's
//! reads are. Files over `MULTIPART_OVER` go up in parts. Every body (an object's, a part's) carries
//! its `Content-MD5`, so the bucket refuses bytes changed on the way (`BadDigest`) instead of keeping
//! them (AWS also requires it of any upload under Object Lock); each upload is then checked by its
//! size (`HEAD`: a multipart ETag is not a hash of the content), and the bytes themselves by every
//! kiosk's SHA-256 against the manifest.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusty_s3::S3Action as _;
use tokio::runtime::Handle;

use crate::{S3Location, Secret, StoreError};

/// Files larger than this go up as a multipart upload, in parts of `PART_SIZE`.
pub const MULTIPART_OVER: u64 = 64 << 20;
pub const PART_SIZE: usize = 16 << 20;
const TTL: Duration = Duration::from_secs(15 * 60);

pub struct S3Uploader {
    multipart_over: u64,
    /// Blobs are written under Object Lock in COMPLIANCE mode until then (`[publish] retain_days`).
    retain_until: Option<jiff::Timestamp>,
    bucket: rusty_s3::Bucket,
    prefix: String,
    credentials: rusty_s3::Credentials,
    http: reqwest::Client,
    rt: Handle,
}

impl std::fmt::Debug for S3Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Uploader")
            .field("bucket", &self.bucket.name())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// What an upload did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub objects: usize,
    pub bytes: u64,
    /// How many went up in parts.
    pub multipart: usize,
    /// How many blobs are kept under Object Lock (each read back).
    pub retained: usize,
}

impl S3Uploader {
    pub fn new(
        endpoint: &str,
        location: &S3Location,
        access_key_id: &str,
        secret_access_key: &Secret,
        ca_file: Option<&Path>,
        rt: Handle,
    ) -> Result<S3Uploader, StoreError> {
        let url: reqwest::Url = endpoint
            .parse()
            .map_err(|e| StoreError::Invalid(format!("the S3 endpoint {endpoint:?}: {e}")))?;
        let loopback = crate::http::is_loopback(&url);
        if url.scheme() != "https" && !loopback {
            return Err(StoreError::Invalid(format!(
                "the S3 endpoint {url} must start with https:// (plain http only on loopback)"
            )));
        }
        let bucket = location.bucket_at(&url)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| StoreError::io(format!("reading {}", ca.display()), e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| StoreError::Invalid(format!("{}: {e}", ca.display())))?;
            builder = builder.tls_certs_only(certs);
        }
        let prefix = location.key_prefix();
        Ok(S3Uploader {
            multipart_over: MULTIPART_OVER,
            retain_until: None,
            bucket,
            prefix,
            credentials: rusty_s3::Credentials::new(
                access_key_id,
                secret_access_key.expose().to_owned(),
            ),
            http: builder
                .build()
                .map_err(|e| StoreError::Invalid(format!("cannot set up HTTPS: {e}")))?,
            rt,
        })
    }

    /// Files larger than `bytes` go up in parts (default `MULTIPART_OVER`; tests use less).
    pub fn multipart_over(mut self, bytes: u64) -> Self {
        self.multipart_over = bytes;
        self
    }

    /// Blobs go up under Object Lock, COMPLIANCE mode, kept until `until` (no one, the bucket's
    /// owner included, can delete or shorten it): evidence is WORM. The bucket must have been made
    /// with Object Lock; each blob's retention is read back after its upload, so a bucket that took
    /// the headers and kept nothing is an error, not a promise.
    pub fn retain_until(mut self, until: Option<jiff::Timestamp>) -> Self {
        self.retain_until = until;
        self
    }

    /// The Object Lock headers a blob's upload signs and sends (none without retention).
    fn lock_headers(&self, rel: &str) -> Vec<(&'static str, String)> {
        match self.retain_until {
            Some(until) if is_blob(rel) => vec![
                ("x-amz-object-lock-mode", "COMPLIANCE".into()),
                (
                    "x-amz-object-lock-retain-until-date",
                    until.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ),
            ],
            _ => Vec::new(),
        }
    }

    /// The request `action` makes, carrying `headers` (signed, and sent).
    fn signed<'a>(
        &self,
        mut action: impl rusty_s3::S3Action<'a>,
        headers: Vec<(&'static str, String)>,
        request: impl FnOnce(reqwest::Url) -> reqwest::RequestBuilder,
    ) -> reqwest::RequestBuilder {
        for (k, v) in &headers {
            action.headers_mut().insert(*k, v.clone());
        }
        headers
            .into_iter()
            .fold(request(action.sign(TTL)), |req, (k, v)| req.header(k, v))
    }

    /// Reads back a blob's retention (`GET ?retention`): COMPLIANCE until at least `until`.
    fn check_retention(&self, rel: &str, until: jiff::Timestamp) -> Result<(), StoreError> {
        let key = self.key(rel);
        let mut get =
            rusty_s3::actions::GetObject::new(&self.bucket, Some(&self.credentials), &key);
        get.query_mut().insert("retention", "");
        let url = get.sign(TTL);
        let bucket = self.bucket.name().to_owned();
        let (status, text) = self.rt.block_on(async {
            let r = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| self.fail(rel, e))?;
            let status = r.status().as_u16();
            let text = r.text().await.map_err(|e| self.fail(rel, e))?;
            Ok::<_, StoreError>((status, text))
        })?;
        let kept_until = (status == 200 && xml_field(&text, "Mode") == Some("COMPLIANCE"))
            .then(|| {
                xml_field(&text, "RetainUntilDate")?
                    .parse::<jiff::Timestamp>()
                    .ok()
            })
            .flatten();
        match kept_until {
            Some(t) if t >= until - jiff::SignedDuration::from_secs(1) => Ok(()),
            _ => Err(StoreError::BucketRefused(format!(
                "the bucket {bucket} did not keep {rel} under Object Lock until {} (it answered HTTP {} for its retention): `[publish] retain_days` needs a bucket made with Object Lock",
                until.strftime("%Y-%m-%d"),
                status
            ))),
        }
    }

    fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    fn fail(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::Unreachable {
            store: format!("s3://{}/{}", self.bucket.name(), self.prefix),
            reason: format!("{what}: {}", crate::http::without_queries(&e.to_string())),
        }
    }

    /// Sends `req` and turns a transport failure or an error status into a `StoreError`.
    async fn send(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, StoreError> {
        let r = req.send().await.map_err(|e| self.fail(what, e))?;
        self.check(what, r).await
    }

    /// `r` if it succeeded; else what the bucket said, in its own words (S3's error `Code` and
    /// `Message`): a refusal is not a network fault.
    async fn check(
        &self,
        what: &str,
        r: reqwest::Response,
    ) -> Result<reqwest::Response, StoreError> {
        let status = r.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(r);
        }
        let store = format!("s3://{}/{}", self.bucket.name(), self.prefix);
        if status == 401 || status == 403 {
            return Err(StoreError::NotAuthorised { store, status });
        }
        let text = r.text().await.unwrap_or_default();
        let field = |name| xml_field(&text, name).map(|v| v.chars().take(200).collect::<String>());
        let said = match (field("Code"), field("Message")) {
            (Some(c), Some(m)) => format!(" ({c}: {m})"),
            (Some(c), None) => format!(" ({c})"),
            _ => String::new(),
        };
        if field("Code").as_deref() == Some("BadDigest") {
            return Err(StoreError::ChangedInTransit {
                store,
                what: what.to_owned(),
                said: match field("Message") {
                    Some(m) => format!("HTTP {status} BadDigest: {m}"),
                    None => format!("HTTP {status} BadDigest"),
                },
            });
        }
        if (400..500).contains(&status) {
            let hint = if self.retain_until.is_some() && is_blob(what) {
                "; `[publish] retain_days` needs a bucket made with Object Lock"
            } else {
                ""
            };
            return Err(StoreError::BucketRefused(format!(
                "the bucket {store} refused {what}: HTTP {status}{said}{hint}"
            )));
        }
        Err(self.fail(what, format!("HTTP {status}{said}")))
    }

    /// A GET of store path `rel`, pre-signed for `ttl` (S3 takes up to 7 days): what a
    /// `blob-links.json` hands a kiosk that has no key.
    pub fn presigned_get(&self, rel: &str, ttl: Duration) -> reqwest::Url {
        rusty_s3::actions::GetObject::new(&self.bucket, Some(&self.credentials), &self.key(rel))
            .sign(ttl)
    }

    /// The object at store path `rel`, `None` if there is none.
    pub fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.key(rel);
        let url = rusty_s3::actions::GetObject::new(&self.bucket, Some(&self.credentials), &key)
            .sign(TTL);
        self.rt.block_on(async {
            let r = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| self.fail(rel, e))?;
            if r.status().as_u16() == 404 {
                return Ok(None);
            }
            let r = self.check(rel, r).await?;
            Ok(Some(
                r.bytes().await.map_err(|e| self.fail(rel, e))?.to_vec(),
            ))
        })
    }

    /// Uploads every file of the store folder `dir`: blobs, then manifests, then lists.
    pub fn upload_store(&self, dir: &Path) -> Result<Uploaded, StoreError> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d)
                .map_err(|e| StoreError::io(format!("reading {}", d.display()), e))?;
            for e in entries {
                let p = e
                    .map_err(|e| StoreError::io(format!("reading {}", d.display()), e))?
                    .path();
                if p.is_dir() {
                    stack.push(p);
                } else if !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                {
                    files.push(p);
                }
            }
        }
        let rel = |p: &PathBuf| {
            p.strip_prefix(dir)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        };
        let rank = |r: &str| match r.split('/').next() {
            _ if is_blob(r) => 0,
            Some("cases") => 1,
            _ => 2,
        };
        files.sort_by_key(|p| (rank(&rel(p)), rel(p)));
        let mut done = Uploaded::default();
        for f in &files {
            let r = rel(f);
            let size = std::fs::metadata(f)
                .map_err(|e| StoreError::io(format!("reading {}", f.display()), e))?
                .len();
            if size > self.multipart_over {
                self.put_multipart(&r, f)?;
                done.multipart += 1;
            } else {
                let body = std::fs::read(f)
                    .map_err(|e| StoreError::io(format!("reading {}", f.display()), e))?;
                self.put(&r, body)?;
            }
            self.check_size(&r, size)?;
            if let Some(until) = self.retain_until.filter(|_| is_blob(&r)) {
                self.check_retention(&r, until)?;
                done.retained += 1;
            }
            done.objects += 1;
            done.bytes += size;
        }
        Ok(done)
    }

    fn put(&self, rel: &str, body: Vec<u8>) -> Result<(), StoreError> {
        let key = self.key(rel);
        let put = rusty_s3::actions::PutObject::new(&self.bucket, Some(&self.credentials), &key);
        let mut headers = self.lock_headers(rel);
        headers.push(content_md5(&body));
        let req = self
            .signed(put, headers, |url| self.http.put(url))
            .body(body);
        self.rt
            .block_on(async { self.send(rel, req).await.map(drop) })
    }

    fn put_multipart(&self, rel: &str, path: &Path) -> Result<(), StoreError> {
        let key = self.key(rel);
        let create = rusty_s3::actions::CreateMultipartUpload::new(
            &self.bucket,
            Some(&self.credentials),
            &key,
        );
        let req = self.signed(create, self.lock_headers(rel), |url| self.http.post(url));
        let upload_id = self.rt.block_on(async {
            let text = self
                .send(rel, req)
                .await?
                .text()
                .await
                .map_err(|e| self.fail(rel, e))?;
            rusty_s3::actions::CreateMultipartUpload::parse_response(&text)
                .map(|r| r.upload_id().to_owned())
                .map_err(|e| self.fail(rel, format!("an unreadable answer: {e}")))
        })?;
        let done = self.upload_parts(rel, &key, path, &upload_id);
        if done.is_err() {
            // Parts of an upload never completed are kept (and billed) until aborted.
            let abort = rusty_s3::actions::AbortMultipartUpload::new(
                &self.bucket,
                Some(&self.credentials),
                &key,
                &upload_id,
            )
            .sign(TTL);
            let aborted = self
                .rt
                .block_on(async { self.send(rel, self.http.delete(abort)).await.map(drop) });
            if let Err(e) = aborted {
                tracing::warn!(
                    path = rel,
                    "could not abort the failed multipart upload: {e}"
                );
            }
        }
        done
    }

    /// The parts of the multipart upload `upload_id` of `path`, then its completion.
    fn upload_parts(
        &self,
        rel: &str,
        key: &str,
        path: &Path,
        upload_id: &str,
    ) -> Result<(), StoreError> {
        let mut file = std::fs::File::open(path)
            .map_err(|e| StoreError::io(format!("reading {}", path.display()), e))?;
        let mut etags = Vec::new();
        let mut part = 1u16;
        loop {
            let mut buf = vec![0u8; PART_SIZE];
            let mut n = 0;
            while n < buf.len() {
                let got = file
                    .read(&mut buf[n..])
                    .map_err(|e| StoreError::io(format!("reading {}", path.display()), e))?;
                if got == 0 {
                    break;
                }
                n += got;
            }
            if n == 0 {
                break;
            }
            buf.truncate(n);
            let upload = rusty_s3::actions::UploadPart::new(
                &self.bucket,
                Some(&self.credentials),
                key,
                part,
                upload_id,
            );
            let md5 = vec![content_md5(&buf)];
            let req = self.signed(upload, md5, |url| self.http.put(url)).body(buf);
            let etag = self.rt.block_on(async {
                let r = self.send(rel, req).await?;
                r.headers()
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .ok_or_else(|| self.fail(rel, "a part's answer had no ETag"))
            })?;
            etags.push(etag);
            part += 1;
        }
        let complete = rusty_s3::actions::CompleteMultipartUpload::new(
            &self.bucket,
            Some(&self.credentials),
            key,
            upload_id,
            etags.iter().map(String::as_str),
        );
        let url = complete.sign(TTL);
        let body = complete.body();
        self.rt.block_on(async {
            let r = self.send(rel, self.http.post(url).body(body)).await?;
            // S3 may answer 200 with an error document inside.
            let text = r.text().await.map_err(|e| self.fail(rel, e))?;
            if text.contains("<Error>") {
                return Err(self.fail(rel, "the multipart upload was not completed"));
            }
            Ok(())
        })
    }

    /// The object's size as the server has it: an ETag (a multipart one above all) says nothing
    /// about the content, but a wrong size says an upload went wrong.
    fn check_size(&self, rel: &str, size: u64) -> Result<(), StoreError> {
        let key = self.key(rel);
        let url = rusty_s3::actions::HeadObject::new(&self.bucket, Some(&self.credentials), &key)
            .sign(TTL);
        self.rt.block_on(async {
            let r = self.send(rel, self.http.head(url)).await?;
            let have = r
                .headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if have != Some(size) {
                return Err(self.fail(
                    rel,
                    format!("the bucket holds {have:?} bytes of it, not {size}"),
                ));
            }
            Ok(())
        })
    }
}

/// The `Content-MD5` header of `body`: the bucket refuses the upload if what arrived differs.
fn content_md5(body: &[u8]) -> (&'static str, String) {
    use base64::Engine as _;
    use md5::Digest as _;
    let digest = md5::Md5::digest(body);
    (
        "content-md5",
        base64::engine::general_purpose::STANDARD.encode(digest),
    )
}

/// Whether the store path `rel` is a blob's (`blobs/…`): what is uploaded first, and locked.
fn is_blob(rel: &str) -> bool {
    rel.split('/').next() == Some("blobs")
}

/// The text of the first `<name>…</name>` in an S3 answer (its error `Code`, a retention's `Mode`).
fn xml_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let from = text.find(&open)? + open.len();
    let to = from + text[from..].find(&format!("</{name}>"))?;
    Some(&text[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_md5_is_the_base64_of_the_md5() {
        // RFC 1321's test vectors, in base64 as RFC 1864 puts them in the header.
        assert_eq!(content_md5(b"").1, "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(content_md5(b"abc").1, "kAFQmDzST7DWlj99KOF/cg==");
    }
}
