//! Evidence stores, their wire format, and the verified, content-addressed cache.
//!
//! ```text
//! store (dir | HTTPS | S3 over HTTPS)      kiosk cache
//! lists/<court>/<date>.json   ──fetch──▶   sha256/ab/abcd…   (verified bytes only, read-only)
//! cases/<id>/manifest.json    ──verify─▶   tmp/*.part        (in flight; never played)
//! blobs/sha256/<hex>
//! ```
//!
//! Architecture invariant: the only way bytes enter `sha256/` is `Cache::fetch`, which hashes while it
//! writes and renames into place only when the digest and size match the manifest. Playout opens files
//! from there and nowhere else.
//!
//! API boundary: `wire` is the only module that knows the JSON layout; everything it returns is a
//! validated `courtdeck_core` type.

mod bundle;
mod cache;
mod dir;
mod error;
pub mod housekeeping;
mod http;
mod links;
mod lists;
mod s3_publish;
mod secret;
mod signing;
pub mod webvtt;
pub mod wire;

pub use bundle::{
    BundleClip, BundleDescription, BundleExhibit, BundleListing, bundle, bundle_signed,
};
pub use cache::{
    Blob, Cache, CorruptCopy, FetchPolicy, FetchProgress, FetchReport, HousekeepReport,
    MAX_FAILURES_WITHOUT_PROGRESS, TranscriptBlob, hash_file,
};
pub use dir::DirStore;
pub use error::StoreError;
pub use http::{HttpAuth, HttpStore, HttpStoreConfig, S3Location};
pub use links::{LinkedStore, MAX_LINK_LIFE, blob_links_path, presign_links};
pub use lists::write_court_lists;
pub use s3_publish::{S3Uploader, Uploaded};
pub use secret::Secret;
pub use signing::{PublisherKey, TrustedKeys};

use courtdeck_core::{CaseId, CaseManifest, CourtId, CourtList, Sha256Digest};
use jiff::civil::Date;
use std::io::Read;

/// The largest court list or manifest we parse. A real one is a few kilobytes; anything near this is
/// hostile or broken.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// One evidence store. Blocking by design: callers run it on a blocking thread. Every backend holds the
/// same layout (see `docs/store-format.md`), so an S3 backend is one more implementation of this trait.
pub trait EvidenceStore: Send + Sync + std::fmt::Debug {
    /// A human description for messages and logs ("directory /srv/evidence"). Never contains secrets.
    fn describe(&self) -> String;

    /// Reads a small JSON document at `path` (relative, `/`-separated), at most `MAX_DOCUMENT_BYTES`.
    fn read_document(&self, path: &str) -> Result<Vec<u8>, StoreError>;

    /// Opens the blob `digest` for reading. With `resume.offset > 0` the store is asked for the bytes
    /// from there on, on condition that the blob is still the one whose validator is `resume.etag`; a
    /// store that cannot or will not resume sends the whole blob again, and says so in `BlobBody::offset`.
    fn open_blob(&self, digest: &Sha256Digest, resume: &Resume) -> Result<BlobBody, StoreError>;

    /// Opens the blob `digest` at `url`, a pre-signed link the store's publisher handed out (see
    /// `links`), sending none of the store's credentials. A store with no web client cannot.
    fn open_link(
        &self,
        url: &url::Url,
        digest: &Sha256Digest,
        resume: &Resume,
    ) -> Result<BlobBody, StoreError> {
        let _ = (url, resume);
        Err(StoreError::Invalid(format!(
            "blob {} is to be fetched through a pre-signed link, which the store {} cannot follow: serve the case's documents over HTTPS",
            digest.to_hex(),
            self.describe()
        )))
    }

    /// The store's clock (an HTTP `Date` header), for the clerk's clock-skew check. `None` for a
    /// store without one (a folder shares the kiosk's clock).
    fn server_time(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
        Ok(None)
    }
}

/// Where an interrupted download stopped, and the validator the store gave for the bytes we already have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resume {
    pub offset: u64,
    pub etag: Option<String>,
}

/// A blob's bytes as the store sends them.
pub struct BlobBody {
    pub reader: Box<dyn Read + Send>,
    /// Where `reader` starts in the blob: the requested offset, or 0 when the store sent it all again.
    pub offset: u64,
    /// The store's strong validator for the blob (an HTTP ETag), kept beside a partial download.
    pub etag: Option<String>,
    /// Set by the reader's owner to make a `read` blocked on the network return soon (within 100 ms),
    /// so the thread reading can always be joined before the runtime under it goes away.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for BlobBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobBody")
            .field("offset", &self.offset)
            .field("etag", &self.etag)
            .finish_non_exhaustive()
    }
}

pub fn court_list_path(court: &CourtId, date: Date) -> String {
    format!("lists/{court}/{date}.json")
}

pub fn manifest_path(case: &CaseId) -> String {
    format!("cases/{case}/manifest.json")
}

/// The detached Ed25519 signature of a manifest (see `signing`).
pub fn manifest_signature_path(case: &CaseId) -> String {
    format!("cases/{case}/manifest.json.sig")
}

pub fn blob_path(digest: &Sha256Digest) -> String {
    format!("blobs/sha256/{}", digest.to_hex())
}

/// Reads and validates a court list. A missing list is an empty day, not an error.
pub fn read_court_list(
    store: &dyn EvidenceStore,
    court: &CourtId,
    date: Date,
) -> Result<Option<CourtList>, StoreError> {
    match store.read_document(&court_list_path(court, date)) {
        Ok(bytes) => {
            let list = wire::parse_court_list(&bytes)?;
            wire::check_court_list_place(&list, court, date)?;
            Ok(Some(list))
        }
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn read_manifest(store: &dyn EvidenceStore, case: &CaseId) -> Result<CaseManifest, StoreError> {
    let manifest = wire::parse_manifest(&store.read_document(&manifest_path(case))?)?;
    if &manifest.case_id != case {
        return Err(StoreError::Invalid(format!(
            "the manifest in cases/{case}/ is for case {}",
            manifest.case_id
        )));
    }
    Ok(manifest)
}
