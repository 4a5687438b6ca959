//! The error every facade call returns: a stable code the UI branches on, and a message for an usher.

use courtdeck_core::{ErrorCode, PresentationError, RouteRefused};
use courtdeck_playout::client::ClientError;
use courtdeck_store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // What happened, in words, and the remedy where it follows from what happened (the store's
        // copy is wrong: its publisher must put it right). What an usher does next about any error
        // of a code is the surface's, in its language (`advice` in ui/src/i18n).
        let remedy = match e.code() {
            ErrorCode::HashMismatch => " The exhibit was not used. Ask the party to re-upload it.",
            ErrorCode::InvalidManifest => " Ask the party who published it to correct it.",
            _ => "",
        };
        let mut message = match &e {
            // A listed case whose evidence is not published yet (a list arrives days early).
            StoreError::NotFound(path)
                if path.starts_with("cases/") && path.ends_with("/manifest.json") =>
            {
                let case = path
                    .trim_start_matches("cases/")
                    .trim_end_matches("/manifest.json");
                format!(
                    "No evidence has been published for case {case} yet ({path} is not in the evidence store)."
                )
            }
            _ => capitalise(&e.to_string()),
        };
        if !remedy.is_empty() && !message.ends_with('.') {
            message.push('.');
        }
        ApiError {
            code: e.code(),
            message: format!("{message}{remedy}"),
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        ApiError {
            code: e.code,
            message: e.message,
        }
    }
}

impl From<courtdeck_playout::protocol::WireError> for ApiError {
    fn from(e: courtdeck_playout::protocol::WireError) -> Self {
        ClientError::from(e).into()
    }
}

impl From<PresentationError> for ApiError {
    fn from(e: PresentationError) -> Self {
        let code = match &e {
            PresentationError::Refused(RouteRefused::Restricted { .. })
            | PresentationError::Refused(RouteRefused::LiveRefused { .. })
            | PresentationError::CaptionsRefused { .. }
            | PresentationError::BesideRefused { .. } => ErrorCode::RestrictedRoute,
            PresentationError::Refused(RouteRefused::UnknownScreen(_)) => ErrorCode::ScreenMissing,
            _ => ErrorCode::InvalidState,
        };
        ApiError {
            code,
            message: capitalise(&e.to_string()) + ".",
        }
    }
}

/// `s` with its first letter in upper case, to start a sentence.
pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
