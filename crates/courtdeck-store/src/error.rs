use courtdeck_core::ErrorCode;

/// What went wrong talking to a store or the cache. Messages name the thing and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the evidence store {store} could not be reached: {reason}")]
    Unreachable { store: String, reason: String },
    #[error(
        "the evidence store {store} did not accept Courtdeck's credentials (HTTP {status}); sign in again with `courtdeck store login`"
    )]
    NotAuthorised { store: String, status: u16 },
    /// A pre-signed blob link refused by its host, after the case's links were read again.
    #[error(
        "{host} refused the pre-signed link to this exhibit (HTTP {status}){}: the publisher must renew {path} (`courtdeck links`), then fetch again",
        if *expired { format!("; the case's links expired at {expires}") } else { format!(" though the case's links are good until {expires}") }
    )]
    LinkRefused {
        host: String,
        status: u16,
        path: String,
        expires: String,
        expired: bool,
    },
    #[error(
        "the evidence store {store} was refused: its TLS certificate is not trusted ({reason}); check `ca_file` in the store config"
    )]
    Untrusted { store: String, reason: String },
    /// Accepted the connection, then said nothing.
    #[error("the evidence store {store} accepted the connection but did not answer{detail}")]
    Silent { store: String, detail: String },
    /// Kept sending, but below the configured minimum rate, attempt after attempt.
    #[error("the evidence store {store} is too slow: {rate} ({need}); {detail}")]
    TooSlow {
        store: String,
        rate: String,
        /// What would have been fast enough, as a phrase ("at least 64 KiB/s is needed").
        need: String,
        detail: String,
    },
    #[error(
        "the download of {what} was cancelled; what arrived is kept and the next fetch resumes it"
    )]
    Cancelled { what: String },
    #[error("the download of {what} was interrupted: {reason}")]
    Interrupted { what: String, reason: String },
    #[error("{0} is not in the evidence store")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// An upload the bucket refused because what arrived was not what was sent (S3 `BadDigest`:
    /// its `Content-MD5` did not match).
    #[error(
        "the bucket {store} refused {what}: its bytes were changed on the way ({said}), and it kept nothing of it; publish again, and if this happens again check the network between here and the store"
    )]
    ChangedInTransit {
        store: String,
        what: String,
        said: String,
    },
    /// A bucket that refused what a publisher sent it, in S3's words (its set-up, not a manifest).
    #[error("{0}")]
    BucketRefused(String),
    /// A transcript that is not well-formed WebVTT or SRT, or does not fit its recording.
    #[error("{0}")]
    TranscriptRefused(String),
    #[error(
        "the bytes of {what} do not match the manifest (expected sha256 {expected}, got {actual}); they were discarded"
    )]
    HashMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{what}: the store sent {actual} bytes but the manifest says {expected}; they were discarded"
    )]
    SizeMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },
    #[error("not enough disk space for {what}: {detail}")]
    DiskFull { what: String, detail: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(28) {
            // ENOSPC: report it as what it is, so the usher sees "disk full", not an OS error.
            return StoreError::DiskFull {
                what: context.into(),
                detail: "the disk is full".into(),
            };
        }
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// `needed` bytes wanted, `free` available in `dir`: says how much is missing, in megabytes.
    pub fn disk_full(
        what: impl Into<String>,
        needed: u64,
        free: u64,
        dir: &std::path::Path,
    ) -> Self {
        let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
        StoreError::DiskFull {
            what: what.into(),
            detail: format!(
                "it needs {}, {} are free in {} ({} more needed)",
                mb(needed),
                mb(free),
                dir.display(),
                mb(needed.saturating_sub(free).max(1))
            ),
        }
    }

    /// A rate for messages, in the units the config uses: `20 B/s`, `12.5 KiB/s`, `1.5 MiB/s`.
    pub fn rate(bytes_per_s: f64) -> String {
        if bytes_per_s < 1024.0 {
            format!("{} B/s", bytes_per_s.round() as u64)
        } else if bytes_per_s < 1024.0 * 1024.0 {
            format!("{:.1} KiB/s", bytes_per_s / 1024.0)
        } else {
            format!("{:.1} MiB/s", bytes_per_s / (1024.0 * 1024.0))
        }
    }

    /// Worth trying again after a pause: the network or the server may recover. Credentials, missing
    /// files, bad bytes and a full disk will not.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable { .. }
                | StoreError::Interrupted { .. }
                | StoreError::ChangedInTransit { .. }
        )
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::Unreachable { .. } => ErrorCode::StoreUnreachable,
            StoreError::NotAuthorised { .. } => ErrorCode::NotAuthorised,
            StoreError::LinkRefused { .. } => ErrorCode::LinkRefused,
            StoreError::Untrusted { .. }
            | StoreError::Interrupted { .. }
            | StoreError::Silent { .. }
            | StoreError::TooSlow { .. }
            | StoreError::ChangedInTransit { .. } => ErrorCode::StoreUnreachable,
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Invalid(_) => ErrorCode::InvalidManifest,
            StoreError::BucketRefused(_) => ErrorCode::ConfigInvalid,
            StoreError::TranscriptRefused(_) => ErrorCode::TranscriptRefused,
            StoreError::HashMismatch { .. } | StoreError::SizeMismatch { .. } => {
                ErrorCode::HashMismatch
            }
            StoreError::DiskFull { .. } => ErrorCode::DiskFull,
            StoreError::Cancelled { .. } => ErrorCode::NotCached,
            StoreError::Io { .. } => ErrorCode::Internal,
        }
    }
}
