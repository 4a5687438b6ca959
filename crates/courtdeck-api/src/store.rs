//! The evidence store as the facade holds it: building it from the config (with its credential from
//! the keyring), signing in and out, the fetch policy.

use courtdeck_audit::CustodyEvent;
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
    let (h, s3) = match &config.store {
        StoreConfig::Demo | StoreConfig::Dir { .. } => {
            return Ok((
                Arc::new(DirStore::new(config.store_dir())),
                CredentialState::NotNeeded,
            ));
        }
        StoreConfig::Https(h) => (h.clone(), false),
        StoreConfig::S3(h) => (h.clone(), true),
    };
    let invalid = |m: &str| Err(ApiError::new(ErrorCode::ConfigInvalid, m.to_owned()));
    match (s3, &h.bucket) {
        (true, None) => return invalid("an S3 store needs a `bucket`"),
        (false, Some(_)) => {
            return invalid("`bucket` is for an S3 store: set `kind = \"s3\"` (and `endpoint`)");
        }
        _ => {}
    }
    if !s3 && h.auth == AuthKind::Basic && h.username.is_none() {
        return invalid("the store uses basic auth but names no `username`");
    }
    let secret = load_credential(config, &h, s3).await?;
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
        (_, Ok(Some(saved))) if s3 => match crate::credentials::s3_key(&saved) {
            Some((access_key_id, secret_access_key)) => (
                HttpAuth::S3 {
                    access_key_id,
                    secret_access_key,
                },
                CredentialState::Present,
            ),
            None => {
                tracing::error!(store = %h.url, "the keyring's S3 key is not KEY_ID:SECRET; run `courtdeck store login` again");
                (HttpAuth::None, CredentialState::Missing)
            }
        },
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
            s3: h.bucket.clone().map(|bucket| courtdeck_store::S3Location {
                bucket,
                prefix: h.prefix.clone(),
                region: h.region.clone().unwrap_or_else(|| "us-east-1".into()),
                path_style: h.path_style.unwrap_or(true),
            }),
        },
        tokio::runtime::Handle::current(),
    )
    .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
    Ok((Arc::new(store), state))
}

/// The store's credential: from the keyring; for an S3 store used by the CLI, else from the AWS_*
/// variables. `Ok(None)` when there is none (or the store takes none); `Err` inside for a keyring
/// that cannot be reached.
pub(crate) async fn load_credential(
    config: &Config,
    h: &crate::config::HttpsStoreConfig,
    s3: bool,
) -> ApiResult<ApiResult<Option<courtdeck_store::Secret>>> {
    if h.auth == crate::config::AuthKind::None {
        return Ok(Ok(None));
    }
    let h2 = h.clone();
    let saved = tokio::task::spawn_blocking(move || crate::credentials::load(&h2))
        .await
        .map_err(internal)?;
    Ok(match saved {
        Ok(Some(key)) => Ok(Some(key)),
        // Publishing from a workstation or CI (often with no keyring at all): the standard
        // variables, for the CLI only.
        other if s3 && config.env_credentials => {
            crate::credentials::s3_key_from_env().map_or(other, |key| Ok(Some(key)))
        }
        other => other,
    })
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
        crate::config::StoreConfig::Https(h) | crate::config::StoreConfig::S3(h) => {
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
        crate::config::StoreConfig::Https(h) | crate::config::StoreConfig::S3(h)
            if h.auth != crate::config::AuthKind::None =>
        {
            Ok(h.clone())
        }
        crate::config::StoreConfig::Https(_) | crate::config::StoreConfig::S3(_) => {
            Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                "the store is configured with `auth = \"none\"`: it takes no credential",
            ))
        }
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
            None,
            CustodyEvent::CredentialSaved {
                store: h.url.to_string(),
                auth: match &h.bucket {
                    Some(_) => "s3".to_owned(),
                    None => format!("{:?}", h.auth).to_lowercase(),
                },
            },
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
            None,
            CustodyEvent::CredentialRemoved {
                store: h.url.to_string(),
                existed: removed,
            },
        )?;
        Ok(removed)
    }

    pub fn credential(&self) -> &CredentialState {
        &self.credential
    }
}
