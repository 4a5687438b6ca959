//! Publishing and the custody log's exports, through the facade like everything else: a publisher's
//! key, a case bundled into a store (probed first, and recorded in the custody log), a case's audit
//! trail exported for the court record. The CLI's `keygen`, `bundle` and `audit export` are thin over
//! these.

use courtdeck_audit::CustodyEvent;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use courtdeck_core::ErrorCode;
use courtdeck_store::{BundleDescription, DirStore, PublisherKey};

use crate::Courtdeck;
use crate::Publisher;
use crate::audit::{audit_once, custody_open};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};

/// Where `publish` writes: a store folder, or an S3 bucket (`[store] kind = "s3"`'s keys).
#[derive(Debug, Clone)]
pub enum PublishTo {
    Dir(PathBuf),
    S3(crate::config::HttpsStoreConfig),
}

impl PublishTo {
    pub(crate) fn describe(&self) -> String {
        match self {
            PublishTo::Dir(p) => p.display().to_string(),
            PublishTo::S3(h) => format!(
                "s3://{}/{} at {}",
                h.bucket.as_deref().unwrap_or(""),
                h.prefix,
                h.url
            ),
        }
    }
}

/// What `publish` did.
#[derive(Debug, Clone)]
pub struct Published {
    pub case_id: String,
    pub exhibits: usize,
    pub signed: bool,
    /// Days each blob is kept under Object Lock (an S3 bucket with `[publish] retain_days`).
    pub retain_days: Option<u32>,
    /// One line per exhibit whose duration was filled in from its file.
    pub durations: Vec<String>,
}

/// What `blob_links` wrote.
#[derive(Debug, Clone)]
pub struct LinksWritten {
    pub path: PathBuf,
    pub links: usize,
    pub expires: String,
}

/// What `export_audit` wrote.
#[derive(Debug, Clone)]
pub struct AuditExport {
    pub records: usize,
    pub csv: PathBuf,
    pub html: PathBuf,
    /// `Ok(records)` when the whole chain verified, else where it broke.
    pub chain: Result<u64, String>,
}

pub(crate) fn io_error(what: String, e: std::io::Error) -> ApiError {
    let code = if e.raw_os_error() == Some(28) {
        ErrorCode::DiskFull
    } else {
        ErrorCode::Internal
    };
    ApiError::new(code, format!("{what}: {e}"))
}

/// A publisher key from its file (`courtdeck keygen`).
pub fn read_publisher_key(path: &Path) -> ApiResult<PublisherKey> {
    std::fs::read_to_string(path)
        .map_err(|e| io_error(format!("reading {}", path.display()), e))
        .and_then(|text| {
            PublisherKey::from_file_text(&text).map_err(|e| {
                ApiError::new(ErrorCode::ConfigInvalid, format!("{}: {e}", path.display()))
            })
        })
}

impl Publisher {
    /// A new publisher key, written to `out` (which must not exist yet) readable by its owner only.
    /// Returns the public key for kiosks' `[trust] publisher_keys`.
    pub fn keygen(out: &Path) -> ApiResult<String> {
        use std::os::unix::fs::OpenOptionsExt;
        let key = PublisherKey::generate().map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(out)
            .map_err(|e| {
                io_error(
                    format!("creating {} (it must not exist yet)", out.display()),
                    e,
                )
            })?;
        f.write_all(key.to_file_text().as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io_error(format!("writing {}", out.display()), e))?;
        Ok(key.public_key())
    }

    /// Publishes the case described by `description` (default `media/case.toml`) into the store folder
    /// `store`: every file is probed as a kiosk would play it first (a file that does not play, or is
    /// not the kind declared, is refused; durations are filled in), then blobs, manifest and list are
    /// written, signed with the key at `sign` if given. Recorded in the custody log as
    /// `case_published`; a custody log that cannot be written stops it before anything is published.
    pub async fn publish(
        &self,
        to: &PublishTo,
        media: &Path,
        description: Option<&Path>,
        sign: Option<&Path>,
    ) -> ApiResult<Published> {
        let key = sign.map(read_publisher_key).transpose()?;
        let path = description.map_or_else(|| media.join("case.toml"), Path::to_path_buf);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| io_error(format!("reading {}", path.display()), e))?;
        let desc: BundleDescription = toml::from_str(&text).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidManifest,
                format!("{} is not a valid description: {e}", path.display()),
            )
        })?;
        self.publish_description(to, media, desc, key).await
    }

    /// Publishes the case `desc` describes, its files in `media`, into `to`: every file probed as a
    /// kiosk would play it first, then blobs, manifest and list written, signed with `key` if given,
    /// and recorded in the custody log as `case_published`. `publish` (a case.toml) and `import_bag`
    /// (a BagIt bag) both end here.
    pub async fn publish_description(
        &self,
        to: &PublishTo,
        media: &Path,
        mut desc: BundleDescription,
        key: Option<PublisherKey>,
    ) -> ApiResult<Published> {
        let config = &self.config;
        custody_open(config)?;
        let probed = self.probe_bundle(media, &mut desc).await?;
        let (manifest, signed) = match to {
            PublishTo::Dir(store) => (
                courtdeck_store::bundle_signed(&DirStore::new(store), media, &desc, key.as_ref())?,
                key.is_some(),
            ),
            PublishTo::S3(h) => {
                let uploader = s3_uploader(config, h).await?;
                let media = media.to_owned();
                tokio::task::spawn_blocking(move || {
                    publish_s3(&uploader, &media, &desc, key.as_ref())
                })
                .await
                .map_err(crate::internal)??
            }
        };
        // Only an S3 upload keeps blobs under Object Lock (each one read back by the uploader).
        let retain_days = match to {
            PublishTo::S3(_) if config.publish.retain_days > 0 => Some(config.publish.retain_days),
            _ => None,
        };
        audit_once(
            config,
            Some(&manifest.case_id.to_string()),
            CustodyEvent::CasePublished {
                store: to.describe(),
                signed,
                retain_days,
                exhibits: manifest
                    .exhibits()
                    .iter()
                    .map(|e| courtdeck_audit::ExhibitPublished {
                        exhibit: e.reference.to_string(),
                        sha256: e.sha256.to_hex(),
                        restriction: e.restriction.as_str().into(),
                    })
                    .collect(),
            },
        )?;
        Ok(Published {
            case_id: manifest.case_id.to_string(),
            exhibits: manifest.exhibits().len(),
            signed,
            retain_days,
            durations: probed.durations,
        })
    }

    /// Writes `cases/<case>/blob-links.json` into the store folder `out` (where the kiosks read the
    /// case's documents): a link to each of the case's blobs in the S3 store `h`, pre-signed with
    /// its key and good for `life`. Run again before they run out; kiosks read the new ones when
    /// an old one is refused. Recorded as `blob_links_written`.
    pub async fn blob_links(
        &self,
        h: &crate::config::HttpsStoreConfig,
        case: &str,
        life: std::time::Duration,
        out: &Path,
    ) -> ApiResult<LinksWritten> {
        let config = &self.config;
        let case = crate::listing::parse_case(case)?;
        custody_open(config)?;
        let uploader = s3_uploader(config, h).await?;
        let (c2, out2) = (case.clone(), out.to_owned());
        let (path, links) = tokio::task::spawn_blocking(move || {
            let rel = courtdeck_store::manifest_path(&c2);
            let manifest = uploader.get(&rel)?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("the bucket has no {rel}: publish the case first (`courtdeck bundle`)"),
                )
            })?;
            let manifest = courtdeck_store::wire::parse_manifest(&manifest)?;
            if !manifest.blob_links {
                return Err(ApiError::new(
                    ErrorCode::InvalidManifest,
                    format!(
                        "the manifest of case {c2} does not say `blob_links`, so kiosks would not use links: publish it with `blob_links = true` in its case.toml"
                    ),
                ));
            }
            Ok(courtdeck_store::presign_links(
                &manifest, &uploader, life, &out2,
            )?)
        })
        .await
        .map_err(crate::internal)??;
        let expires = links.expires.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
        audit_once(
            config,
            Some(&case.to_string()),
            CustodyEvent::BlobLinksWritten {
                store: PublishTo::S3(h.clone()).describe(),
                links: links.links.len(),
                expires: links.expires.to_string(),
                file: path.display().to_string(),
            },
        )?;
        Ok(LinksWritten {
            path,
            links: links.links.len(),
            expires,
        })
    }
}

impl Courtdeck {
    /// Writes one case's custody records from the log at `file` (default: the configured one) as CSV
    /// and HTML into `out`, and says whether the whole hash chain verified.
    pub fn export_audit(
        config: &Config,
        file: Option<&Path>,
        case: &str,
        out: &Path,
    ) -> ApiResult<AuditExport> {
        let path = file.map_or_else(|| config.audit_file(), Path::to_path_buf);
        let export = courtdeck_audit::export(&path, case).map_err(|e| {
            ApiError::new(
                ErrorCode::AuditUnavailable,
                format!("{}: {e}", path.display()),
            )
        })?;
        let safe: String = case
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let (csv, html) = (
            out.join(format!("audit-{safe}.csv")),
            out.join(format!("audit-{safe}.html")),
        );
        std::fs::create_dir_all(out)
            .and_then(|()| std::fs::write(&csv, courtdeck_audit::to_csv(&export)))
            .and_then(|()| std::fs::write(&html, courtdeck_audit::to_html(&export)))
            .map_err(|e| io_error(format!("writing into {}", out.display()), e))?;
        Ok(AuditExport {
            records: export.rows.len(),
            csv,
            html,
            chain: export.chain.map(|(n, _)| n),
        })
    }
}

/// An uploader for the S3 store `h`, with its key from the keyring (or, for the CLI, AWS_*).
pub(crate) async fn s3_uploader(
    config: &Config,
    h: &crate::config::HttpsStoreConfig,
) -> ApiResult<courtdeck_store::S3Uploader> {
    let bucket = h
        .bucket
        .clone()
        .ok_or_else(|| ApiError::new(ErrorCode::ConfigInvalid, "an S3 store needs a `bucket`"))?;
    let saved = crate::store::load_credential(config, h, true).await??;
    let (id, secret) = saved
        .as_ref()
        .and_then(crate::credentials::s3_key)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotAuthorised,
                "no S3 key to publish with: `courtdeck store login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            )
        })?;
    courtdeck_store::S3Uploader::new(
        &h.url,
        &courtdeck_store::S3Location {
            bucket,
            prefix: h.prefix.clone(),
            region: h.region.clone().unwrap_or_else(|| "us-east-1".into()),
            path_style: h.path_style.unwrap_or(true),
        },
        &id,
        &secret,
        h.ca_file.as_deref(),
        tokio::runtime::Handle::current(),
    )
    .map(|u| {
        let days = config.publish.retain_days;
        u.retain_until((days > 0).then(|| {
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * i64::from(days))
        }))
    })
    .map_err(ApiError::from)
}

/// Bundles into a staging folder that starts with the bucket's list of the listing's day (so the
/// hearing is added to it, not put in its place), then uploads it: blobs, manifest, list.
fn publish_s3(
    uploader: &courtdeck_store::S3Uploader,
    media: &Path,
    desc: &BundleDescription,
    key: Option<&PublisherKey>,
) -> ApiResult<(courtdeck_core::CaseManifest, bool)> {
    let staging = std::env::temp_dir().join(format!(
        "courtdeck-publish-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    let result = (|| -> ApiResult<courtdeck_core::CaseManifest> {
        if let Some(l) = &desc.listing
            && let (Ok(court), Ok(date)) = (
                courtdeck_core::CourtId::parse(&l.court),
                l.date.parse::<jiff::civil::Date>(),
            )
        {
            let rel = courtdeck_store::court_list_path(&court, date);
            if let Some(bytes) = uploader.get(&rel)? {
                let path = staging.join(&rel);
                std::fs::create_dir_all(path.parent().expect("a list is in a folder"))
                    .and_then(|()| std::fs::write(&path, bytes))
                    .map_err(|e| io_error(format!("writing {}", path.display()), e))?;
            }
        }
        let manifest = courtdeck_store::bundle_signed(&DirStore::new(&staging), media, desc, key)?;
        let up = uploader.upload_store(&staging)?;
        tracing::info!(
            objects = up.objects,
            bytes = up.bytes,
            multipart = up.multipart,
            retained = up.retained,
            "published to S3"
        );
        Ok(manifest)
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result.map(|m| (m, key.is_some()))
}
