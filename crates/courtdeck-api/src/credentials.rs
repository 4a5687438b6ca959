//! Store credentials in the OS keyring (the Secret Service on Linux: gnome-keyring, KWallet). Never in
//! the config file, never in a log line: values travel as `Secret`, whose `Debug` is `<redacted>`.

use courtdeck_core::ErrorCode;
use courtdeck_store::Secret;

use crate::config::{AuthKind, HttpsStoreConfig};
use crate::error::{ApiError, ApiResult};

const SERVICE: &str = "courtdeck-evidence-store";

/// The keyring entry of a store: one per URL (and user, for basic auth).
fn entry(store: &HttpsStoreConfig) -> ApiResult<keyring::Entry> {
    let account = match (&store.bucket, store.auth, &store.username) {
        (Some(bucket), _, _) => format!("s3:{bucket}@{}", store.url),
        (None, AuthKind::Basic, Some(user)) => format!("{user}@{}", store.url),
        _ => store.url.clone(),
    };
    keyring::Entry::new(SERVICE, &account).map_err(keyring_error)
}

fn keyring_error(e: keyring::Error) -> ApiError {
    ApiError::new(
        ErrorCode::NotAuthorised,
        format!(
            "the OS keyring is not available ({e}); Courtdeck keeps store credentials only there. Is a Secret Service (gnome-keyring) running and unlocked?"
        ),
    )
}

/// Saves the credential, replacing any earlier one.
pub fn save(store: &HttpsStoreConfig, secret: &Secret) -> ApiResult<()> {
    entry(store)?
        .set_password(secret.expose())
        .map_err(keyring_error)
}

/// The saved credential, `None` when there is none.
pub fn load(store: &HttpsStoreConfig) -> ApiResult<Option<Secret>> {
    match entry(store)?.get_password() {
        Ok(v) => Ok(Some(Secret::new(v))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}

/// Forgets the credential; true when there was one.
pub fn delete(store: &HttpsStoreConfig) -> ApiResult<bool> {
    match entry(store)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(keyring_error(e)),
    }
}

/// An S3 access key as the keyring keeps it: `KEY_ID:SECRET` in one entry (key ids have no `:`).
pub fn s3_key(saved: &Secret) -> Option<(String, Secret)> {
    let (id, secret) = saved.expose().split_once(':')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_owned(), Secret::new(secret.to_owned())))
}

/// The S3 key from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, in the keyring's form.
pub fn s3_key_from_env() -> Option<Secret> {
    let id = std::env::var("AWS_ACCESS_KEY_ID").ok()?;
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").ok()?;
    (!id.is_empty() && !secret.is_empty() && !id.contains(':'))
        .then(|| Secret::new(format!("{id}:{secret}")))
}

/// The keyring entry of a client CaTH pushes lists as (`courtdeck serve-lists`): its client secret.
fn push_client_entry(client_id: &str) -> ApiResult<keyring::Entry> {
    keyring::Entry::new("courtdeck-cath-push", client_id).map_err(keyring_error)
}

/// Saves the client secret CaTH will present for `client_id`, replacing any earlier one.
pub fn save_push_client(client_id: &str, secret: &Secret) -> ApiResult<()> {
    push_client_entry(client_id)?
        .set_password(secret.expose())
        .map_err(keyring_error)
}

/// The client secret saved for `client_id`, `None` when there is none.
pub fn load_push_client(client_id: &str) -> ApiResult<Option<Secret>> {
    match push_client_entry(client_id)?.get_password() {
        Ok(v) => Ok(Some(Secret::new(v))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}

/// The keyring entry of a live source's SRT passphrase (`courtdeck sources passphrase ID`).
fn source_entry(id: &str) -> ApiResult<keyring::Entry> {
    keyring::Entry::new("courtdeck-live-source", id).map_err(keyring_error)
}

/// Saves the passphrase a laptop must give to cast to source `id`, replacing any earlier one.
pub fn save_source_passphrase(id: &str, secret: &Secret) -> ApiResult<()> {
    source_entry(id)?
        .set_password(secret.expose())
        .map_err(keyring_error)
}

/// Source `id`'s passphrase, `None` when none was saved.
pub fn load_source_passphrase(id: &str) -> ApiResult<Option<Secret>> {
    match source_entry(id)?.get_password() {
        Ok(v) => Ok(Some(Secret::new(v))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}
