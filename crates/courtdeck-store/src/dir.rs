//! The directory store: the embedded default, and equally a USB stick or a mounted share.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use courtdeck_core::Sha256Digest;

use crate::{BlobBody, EvidenceStore, MAX_DOCUMENT_BYTES, Resume, StoreError, blob_path};

#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Joins a store path made by this crate from validated segments. Refuses anything that could leave
    /// the root anyway, as a second line of defence.
    fn resolve(&self, rel: &str) -> Result<PathBuf, StoreError> {
        if rel.starts_with('/')
            || rel
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(StoreError::Invalid(format!(
                "refusing the store path {rel:?}"
            )));
        }
        Ok(self.root.join(rel))
    }

    fn open(&self, rel: &str) -> Result<File, StoreError> {
        let path = self.resolve(rel)?;
        File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                if self.root.is_dir() {
                    StoreError::NotFound(rel.to_owned())
                } else {
                    StoreError::Unreachable {
                        store: self.describe(),
                        reason: "the folder does not exist or is not mounted".into(),
                    }
                }
            } else {
                StoreError::io(format!("reading {}", path.display()), e)
            }
        })
    }
}

impl EvidenceStore for DirStore {
    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }

    fn read_document(&self, rel: &str) -> Result<Vec<u8>, StoreError> {
        let file = self.open(rel)?;
        let mut bytes = Vec::new();
        file.take(MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::io(format!("reading {rel}"), e))?;
        Ok(bytes)
    }

    fn open_blob(&self, digest: &Sha256Digest, resume: &Resume) -> Result<BlobBody, StoreError> {
        let rel = blob_path(digest);
        let mut file = self.open(&rel)?;
        file.seek(SeekFrom::Start(resume.offset))
            .map_err(|e| StoreError::io(format!("seeking in {rel}"), e))?;
        Ok(BlobBody {
            reader: Box::new(file),
            offset: resume.offset,
            etag: None,
            stop: Default::default(),
        })
    }
}
