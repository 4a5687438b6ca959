//! Pre-signed blob links: the pattern of evidence-sharing systems (Axon, Genetec Clearance) and of
//! object stores. The case's documents come from the kiosk's store as ever; its manifest (signed like
//! any other) says `blob_links`, and its blobs then come through the short-lived links of
//! `cases/<id>/blob-links.json`, fetched with no credential at all. Every byte is still hashed
//! against the manifest, so a link can only fail to deliver, never deliver something else.
//!
//! A link the host refuses (an expired signature answers 403) makes the document be read again, as
//! the publisher renews it (`courtdeck links`), and the fetch goes on with the new link; a link
//! refused again is an error that says the links must be renewed.

use std::sync::{Arc, Mutex};

use courtdeck_core::{CaseId, Sha256Digest};

use crate::wire::{self, BlobLinks};
use crate::{BlobBody, EvidenceStore, Resume, StoreError};

pub fn blob_links_path(case: &CaseId) -> String {
    format!("cases/{case}/blob-links.json")
}

/// The longest a link may be good for: SigV4's own limit.
pub const MAX_LINK_LIFE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Writes `cases/<id>/blob-links.json` for `manifest` into the store folder `out` (where the kiosks
/// read the case's documents): a link to each blob (and transcript) in `bucket`, good for `life`.
/// Returns the file and the links as a kiosk will read them.
pub fn presign_links(
    manifest: &courtdeck_core::CaseManifest,
    bucket: &crate::S3Uploader,
    life: std::time::Duration,
    out: &std::path::Path,
) -> Result<(std::path::PathBuf, BlobLinks), StoreError> {
    if life.is_zero() || life > MAX_LINK_LIFE {
        return Err(StoreError::Invalid(format!(
            "links can be good for 1 s to 7 days (S3's limit), not {} s",
            life.as_secs()
        )));
    }
    let expires = jiff::Timestamp::now()
        + jiff::SignedDuration::try_from(life).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut blobs: Vec<Sha256Digest> = manifest.exhibits().iter().map(|e| e.sha256).collect();
    blobs.extend(
        manifest
            .exhibits()
            .iter()
            .filter_map(|e| e.transcript.map(|t| t.sha256)),
    );
    blobs.sort();
    blobs.dedup();
    let doc = wire::blob_links_doc(
        &manifest.case_id,
        expires,
        blobs.into_iter().map(|d| {
            (
                d,
                bucket
                    .presigned_get(&crate::blob_path(&d), life)
                    .to_string(),
            )
        }),
    );
    let bytes = serde_json::to_vec_pretty(&doc).expect("serialisable");
    // What a kiosk would refuse is never written.
    let links = wire::parse_blob_links(&bytes, &manifest.case_id)?;
    let path = out.join(blob_links_path(&manifest.case_id));
    crate::bundle::write_atomic(&path, &bytes)?;
    Ok((path, links))
}

/// The kiosk's store for one case whose manifest says `blob_links`: documents from `store`, blobs
/// through the case's links (read on the first blob asked for, and again when a link is refused).
#[derive(Debug)]
pub struct LinkedStore {
    store: Arc<dyn EvidenceStore>,
    case: CaseId,
    links: Mutex<Option<Arc<BlobLinks>>>,
}

impl LinkedStore {
    pub fn new(store: Arc<dyn EvidenceStore>, case: CaseId) -> LinkedStore {
        LinkedStore {
            store,
            case,
            links: Mutex::new(None),
        }
    }

    /// The case's links: those read before, or read now the first time, or read again when `stale`
    /// (the copy a link was refused from) is still the one kept — when several downloads are
    /// refused at once, the first reads the document again and the rest take what it read.
    fn links(&self, stale: Option<&Arc<BlobLinks>>) -> Result<Arc<BlobLinks>, StoreError> {
        let mut kept = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(links) = kept
            .as_ref()
            .filter(|k| stale.is_none_or(|s| !Arc::ptr_eq(k, s)))
        {
            return Ok(links.clone());
        }
        let path = blob_links_path(&self.case);
        let bytes = self.store.read_document(&path).map_err(|e| match e {
            StoreError::NotFound(_) => StoreError::NotFound(format!(
                "{path} (the manifest says the case's exhibits come through its links)"
            )),
            e => e,
        })?;
        let links = Arc::new(wire::parse_blob_links(&bytes, &self.case)?);
        tracing::info!(case = %self.case, links = links.links.len(), expires = %links.expires, "blob links read");
        *kept = Some(links.clone());
        Ok(links)
    }

    fn link_of(links: &BlobLinks, digest: &Sha256Digest) -> Result<url::Url, StoreError> {
        links.links.get(digest).cloned().ok_or_else(|| {
            StoreError::NotFound(format!(
                "a link for blob {} in {}",
                digest.to_hex(),
                blob_links_path(&links.case_id)
            ))
        })
    }

    fn refused(&self, links: &BlobLinks, url: &url::Url, status: u16) -> StoreError {
        StoreError::LinkRefused {
            host: url.host_str().unwrap_or("?").to_owned(),
            status,
            path: blob_links_path(&self.case),
            expires: links.expires.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            expired: links.expires <= jiff::Timestamp::now(),
        }
    }
}

impl EvidenceStore for LinkedStore {
    fn describe(&self) -> String {
        format!(
            "{} (blobs through the links of case {})",
            self.store.describe(),
            self.case
        )
    }

    fn read_document(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        self.store.read_document(path)
    }

    fn server_time(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
        self.store.server_time()
    }

    fn open_blob(&self, digest: &Sha256Digest, resume: &Resume) -> Result<BlobBody, StoreError> {
        let links = self.links(None)?;
        let url = Self::link_of(&links, digest)?;
        match self.store.open_link(&url, digest, resume) {
            Err(StoreError::NotAuthorised { status, .. }) => {
                // Expired, most likely: the publisher renews the document before its links run out.
                let fresh = self.links(Some(&links))?;
                let again = Self::link_of(&fresh, digest)?;
                if again == url {
                    return Err(self.refused(&fresh, &url, status));
                }
                tracing::info!(blob = %digest, "a refused link was renewed; fetching through the new one");
                match self.store.open_link(&again, digest, resume) {
                    Err(StoreError::NotAuthorised { status, .. }) => {
                        Err(self.refused(&fresh, &again, status))
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    fn open_link(
        &self,
        url: &url::Url,
        digest: &Sha256Digest,
        resume: &Resume,
    ) -> Result<BlobBody, StoreError> {
        self.store.open_link(url, digest, resume)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A portal whose links document is `docs[reads]` (the last one once read past the end), and
    /// whose link host accepts only `good` URLs.
    #[derive(Debug)]
    struct Portal {
        docs: Vec<Vec<u8>>,
        reads: AtomicUsize,
        good: Vec<String>,
        fetched: Mutex<Vec<String>>,
    }

    impl EvidenceStore for Portal {
        fn describe(&self) -> String {
            "portal".into()
        }
        fn read_document(&self, path: &str) -> Result<Vec<u8>, StoreError> {
            assert_eq!(path, "cases/L-1/blob-links.json");
            let n = self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.docs[n.min(self.docs.len() - 1)].clone())
        }
        fn open_blob(&self, _: &Sha256Digest, _: &Resume) -> Result<BlobBody, StoreError> {
            panic!("a linked case's blob was asked of the portal")
        }
        fn open_link(
            &self,
            url: &url::Url,
            _: &Sha256Digest,
            resume: &Resume,
        ) -> Result<BlobBody, StoreError> {
            self.fetched.lock().unwrap().push(url.to_string());
            if !self.good.contains(&url.to_string()) {
                return Err(StoreError::NotAuthorised {
                    store: "portal".into(),
                    status: 403,
                });
            }
            Ok(BlobBody {
                reader: Box::new(std::io::empty()),
                offset: resume.offset,
                etag: None,
                stop: Default::default(),
            })
        }
    }

    fn doc(expires: &str, url: &str, digest: &Sha256Digest) -> Vec<u8> {
        let case = CaseId::parse("L-1").unwrap();
        serde_json::to_vec(&wire::blob_links_doc(
            &case,
            expires.parse().unwrap(),
            [(*digest, url.to_owned())],
        ))
        .unwrap()
    }

    fn linked(portal: Portal) -> (Arc<Portal>, LinkedStore) {
        let portal = Arc::new(portal);
        let store = LinkedStore::new(portal.clone(), CaseId::parse("L-1").unwrap());
        (portal, store)
    }

    #[test]
    fn a_refused_link_is_renewed_from_the_document_read_again() {
        let blob = Sha256Digest::of(b"exhibit");
        let (old, new) = (
            "https://s3.example/b?sig=old",
            "https://s3.example/b?sig=new",
        );
        let (portal, store) = linked(Portal {
            docs: vec![
                doc("2020-01-01T00:00:00Z", old, &blob),
                doc("2099-01-01T00:00:00Z", new, &blob),
            ],
            reads: AtomicUsize::new(0),
            good: vec![new.into()],
            fetched: Mutex::default(),
        });
        let body = store.open_blob(&blob, &Resume::default()).unwrap();
        assert_eq!(body.offset, 0);
        assert_eq!(*portal.fetched.lock().unwrap(), [old, new]);
        assert_eq!(portal.reads.load(Ordering::SeqCst), 2);
        // The renewed links are kept: the next blob goes straight to its new link.
        store.open_blob(&blob, &Resume::default()).unwrap();
        assert_eq!(portal.reads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_link_refused_again_says_the_links_must_be_renewed() {
        let blob = Sha256Digest::of(b"exhibit");
        let url = "https://s3.example/b?X-Amz-Signature=abc";
        let (portal, store) = linked(Portal {
            docs: vec![doc("2020-01-01T00:00:00Z", url, &blob)],
            reads: AtomicUsize::new(0),
            good: vec![],
            fetched: Mutex::default(),
        });
        let e = store.open_blob(&blob, &Resume::default()).unwrap_err();
        assert_eq!(e.code(), courtdeck_core::ErrorCode::LinkRefused);
        let msg = e.to_string();
        assert!(
            msg.contains("s3.example refused the pre-signed link")
                && msg.contains("expired at 2020-01-01 00:00 UTC")
                && msg.contains("courtdeck links"),
            "{msg}"
        );
        assert!(!msg.contains("Signature"), "{msg}");
        assert_eq!(portal.reads.load(Ordering::SeqCst), 2, "read again once");
        assert_eq!(
            portal.fetched.lock().unwrap().len(),
            1,
            "the same link not tried twice"
        );
    }

    #[test]
    fn a_blob_without_a_link_is_named() {
        let (_, store) = linked(Portal {
            docs: vec![doc(
                "2099-01-01T00:00:00Z",
                "https://s3.example/a",
                &Sha256Digest::of(b"another"),
            )],
            reads: AtomicUsize::new(0),
            good: vec![],
            fetched: Mutex::default(),
        });
        let blob = Sha256Digest::of(b"exhibit");
        let msg = store
            .open_blob(&blob, &Resume::default())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(&blob.to_hex()) && msg.contains("cases/L-1/blob-links.json"),
            "{msg}"
        );
    }
}
