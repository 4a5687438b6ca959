//! Store credentials in the OS keyring (the Secret Service on Linux: gnome-keyring, KWallet). Never in
//! the config file, never in a log line: values travel as `Secret`, whose `Debug` is `<redacted>`.

use courtdeck_core::ErrorCode;
use courtdeck_store::Secret;

use crate::config::{AuthKind, HttpsStoreConfig};
use crate::error::{ApiError, ApiResult};

const SERVICE: &str = "courtdeck-evidence-store";

/// The keyring entry of a store: one per URL (and user, for basic auth).
fn entry(store: &HttpsStoreConfig) -> ApiResult<keyring::Entry> {
    let account = match (store.auth, &store.username) {
        (AuthKind::Basic, Some(user)) => format!("{user}@{}", store.url),
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
