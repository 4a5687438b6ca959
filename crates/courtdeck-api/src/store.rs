//! The evidence store as the facade holds it: building it from the config (with its credential from
//! the keyring), signing in and out, the fetch policy.

use std::sync::Arc;

use crate::audit::{audit_once, custody_open};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::{Courtdeck, CredentialState, internal};
use courtdeck_core::ErrorCode;
use courtdeck_store::{DirStore, EvidenceStore, HttpAuth, HttpStore, HttpStoreConfig};

/// Builds the configured store. An HTTPS store's credential comes from the keyring; without one the
/// store still opens (cached hearings go on) and every request says how to sign in.
pub(crate) async fn build_store(
    config: &Config,
) -> ApiResult<(Arc<dyn EvidenceStore>, CredentialState)> {
    use crate::config::{AuthKind, StoreConfig};
    let h = match &config.store {
        StoreConfig::Demo | StoreConfig::Dir { .. } => {
            return Ok((
                Arc::new(DirStore::new(config.store_dir())),
                CredentialState::NotNeeded,
            ));
        }
        StoreConfig::Https(h) => h.clone(),
    };
    if h.auth == AuthKind::Basic && h.username.is_none() {
        return Err(ApiError::new(
            ErrorCode::ConfigInvalid,
            "the store uses basic auth but names no `username`",
        ));
    }
    let secret = if h.auth == AuthKind::None {
        Ok(None)
    } else {
        let h2 = h.clone();
        tokio::task::spawn_blocking(move || crate::credentials::load(&h2))
            .await
            .map_err(internal)?
    };
    let (auth, state) = match (h.auth, secret) {
        (AuthKind::None, _) => (HttpAuth::None, CredentialState::NotNeeded),
        (_, Ok(None)) => {
            tracing::warn!(store = %h.url, "no credential in the keyring for the store; run `courtdeck store login`");
            (HttpAuth::None, CredentialState::Missing)
        }
        (_, Err(e)) => {
            tracing::error!(store = %h.url, "{}", e.message);
            (
                HttpAuth::None,
                CredentialState::KeyringUnavailable(e.message),
            )
        }
        (AuthKind::Bearer, Ok(Some(token))) => (HttpAuth::Bearer(token), CredentialState::Present),
        (AuthKind::Basic, Ok(Some(password))) => (
            HttpAuth::Basic {
                username: h.username.clone().unwrap_or_default(),
                password,
            },
            CredentialState::Present,
        ),
    };
    let store = HttpStore::new(
        HttpStoreConfig {
            url: h.url.clone(),
            auth,
            ca_file: h.ca_file.clone(),
            connect_timeout: std::time::Duration::from_secs(h.connect_timeout_s.max(1)),
            read_timeout: std::time::Duration::from_secs(h.read_timeout_s.max(1)),
            answer_timeout: seconds(h.answer_timeout_s),
            document_deadline: seconds(h.document_deadline_s),
            retries: 3,
        },
        tokio::runtime::Handle::current(),
    )
    .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
    Ok((Arc::new(store), state))
}

/// When a download ended as too slow, the store, its rate and what was needed.
pub(crate) type SlowStore = (std::time::Instant, String, String, String);

/// How long a download that ended as too slow keeps the waiting ones from starting.
pub(crate) const SLOW_STORE_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// A configured number of seconds as a `Duration` (at least 10 ms; nonsense becomes the minimum).
pub(crate) fn seconds(s: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(s.max(0.01))
        .unwrap_or(std::time::Duration::from_millis(10))
}

/// The download policy: the configured rate floor for an HTTPS store; none for a folder (a local disk
/// or a USB stick is as fast as it is).
pub(crate) fn fetch_policy(config: &Config) -> courtdeck_store::FetchPolicy {
    let mut policy = courtdeck_store::FetchPolicy::default();
    match &config.store {
        crate::config::StoreConfig::Https(h) => {
            policy.min_rate = (h.min_rate_kib_s.max(0.0) * 1024.0) as u64;
            policy.rate_window = seconds(h.rate_window_s);
            policy.max_slow_attempts = h.slow_attempts.max(1);
        }
        _ => policy.min_rate = 0,
    }
    policy
}

pub(crate) fn https_store(config: &Config) -> ApiResult<crate::config::HttpsStoreConfig> {
    match &config.store {
        crate::config::StoreConfig::Https(h) if h.auth != crate::config::AuthKind::None => {
            Ok(h.clone())
        }
        crate::config::StoreConfig::Https(_) => Err(ApiError::new(
            ErrorCode::ConfigInvalid,
            "the store is configured with `auth = \"none\"`: it takes no credential",
        )),
        _ => Err(ApiError::new(
            ErrorCode::ConfigInvalid,
            "the configured store is a folder: it takes no credential (configure `kind = \"https\"` first)",
        )),
    }
}

impl Courtdeck {
    /// Puts the configured HTTPS store's credential into the OS keyring (`courtdeck store login`), and
    /// records that it changed (never the value) in the audit log.
    pub async fn store_login(config: &Config, secret: courtdeck_store::Secret) -> ApiResult<()> {
        let h = https_store(config)?;
        custody_open(config)?;
        let h2 = h.clone();
        tokio::task::spawn_blocking(move || crate::credentials::save(&h2, &secret))
            .await
            .map_err(internal)??;
        audit_once(
            config,
            "credential_saved",
            serde_json::json!({ "store": h.url, "auth": format!("{:?}", h.auth).to_lowercase() }),
        )
    }

    /// Removes the store's credential from the keyring; true when there was one.
    pub async fn store_logout(config: &Config) -> ApiResult<bool> {
        let h = https_store(config)?;
        custody_open(config)?;
        let h2 = h.clone();
        let removed = tokio::task::spawn_blocking(move || crate::credentials::delete(&h2))
            .await
            .map_err(internal)??;
        audit_once(
            config,
            "credential_removed",
            serde_json::json!({ "store": h.url, "existed": removed }),
        )?;
        Ok(removed)
    }

    pub fn credential(&self) -> &CredentialState {
        &self.credential
    }
}
