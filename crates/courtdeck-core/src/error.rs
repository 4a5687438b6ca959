//! The one list of error codes that cross into the control surface, the CLI's JSON output and the
//! playout protocol. The UI branches on these codes, never on message text.

use std::fmt;

/// A stable, machine-readable error code. `as_str` is the wire spelling; it never changes once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The evidence store did not answer (network down, directory not mounted).
    StoreUnreachable,
    /// The store refused our credentials.
    NotAuthorised,
    /// A case's pre-signed blob link was refused (expired): its publisher must renew the links.
    LinkRefused,
    /// A document or blob the list refers to is not in the store.
    NotFound,
    /// Downloaded or cached bytes do not match the manifest's SHA-256.
    HashMismatch,
    /// A manifest or court list is malformed or hostile.
    InvalidManifest,
    /// The media cannot be decoded here: a missing container or codec plugin.
    DecoderMissing,
    /// The media file is damaged: truncated, corrupt, empty.
    MediaCorrupt,
    /// The file is not a recording or a picture at all (a web page, an archive saved as `.mp4`).
    NotMedia,
    /// A picture larger than the kiosk will decode (a decompression bomb, or a huge scan).
    MediaTooLarge,
    /// A PDF Courtdeck will not show: password-protected or encrypted, carrying JavaScript, or with
    /// pages larger than PDF allows. Refused when it is bundled; the message says why.
    DocumentRefused,
    /// A transcript Courtdeck will not show: not well-formed WebVTT (or SRT), cues out of order or
    /// past the end of the recording, markup WebVTT does not have. Refused when it is bundled, with
    /// its line number.
    TranscriptRefused,
    /// The exhibit's picture froze while playing; playout restarted it where it stood.
    PlaybackStalled,
    /// The kiosk's sound output cannot be opened: exhibits play without sound.
    AudioUnavailable,
    /// A routing request would show a restricted exhibit on a screen that may not see it.
    RestrictedRoute,
    /// Not enough free disk for the fetch.
    DiskFull,
    /// A configured screen is not connected.
    ScreenMissing,
    /// A configured screen's connector carries another monitor than the one it names: that monitor
    /// is not the screen, shows black and is given nothing.
    ScreenMismatch,
    /// The playout process died and is being restarted.
    PlayoutRestarting,
    /// The playout process could not be started or does not answer.
    PlayoutUnavailable,
    /// The request does not make sense in the current state (e.g. Present with nothing selected).
    InvalidState,
    /// The exhibit is not in the local cache yet.
    NotCached,
    /// The configuration file is invalid.
    ConfigInvalid,
    /// The custody (audit) log cannot be written: what the court does is not being recorded.
    AuditUnavailable,
    /// A live source has no picture (its laptop stopped casting, its cable came out): its screens
    /// show "No signal from …" until it comes back; the message says what to check.
    NoSignal,
    /// Anything else; the message says what.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::StoreUnreachable,
        ErrorCode::NotAuthorised,
        ErrorCode::LinkRefused,
        ErrorCode::NotFound,
        ErrorCode::HashMismatch,
        ErrorCode::InvalidManifest,
        ErrorCode::DecoderMissing,
        ErrorCode::MediaCorrupt,
        ErrorCode::NotMedia,
        ErrorCode::MediaTooLarge,
        ErrorCode::DocumentRefused,
        ErrorCode::TranscriptRefused,
        ErrorCode::PlaybackStalled,
        ErrorCode::AudioUnavailable,
        ErrorCode::RestrictedRoute,
        ErrorCode::DiskFull,
        ErrorCode::ScreenMissing,
        ErrorCode::ScreenMismatch,
        ErrorCode::PlayoutRestarting,
        ErrorCode::PlayoutUnavailable,
        ErrorCode::InvalidState,
        ErrorCode::NotCached,
        ErrorCode::ConfigInvalid,
        ErrorCode::AuditUnavailable,
        ErrorCode::NoSignal,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::StoreUnreachable => "store_unreachable",
            ErrorCode::NotAuthorised => "not_authorised",
            ErrorCode::LinkRefused => "link_refused",
            ErrorCode::NotFound => "not_found",
            ErrorCode::HashMismatch => "hash_mismatch",
            ErrorCode::InvalidManifest => "invalid_manifest",
            ErrorCode::DecoderMissing => "decoder_missing",
            ErrorCode::MediaCorrupt => "media_corrupt",
            ErrorCode::NotMedia => "not_media",
            ErrorCode::MediaTooLarge => "media_too_large",
            ErrorCode::DocumentRefused => "document_refused",
            ErrorCode::TranscriptRefused => "transcript_refused",
            ErrorCode::PlaybackStalled => "playback_stalled",
            ErrorCode::AudioUnavailable => "audio_unavailable",
            ErrorCode::RestrictedRoute => "restricted_route",
            ErrorCode::DiskFull => "disk_full",
            ErrorCode::ScreenMissing => "screen_missing",
            ErrorCode::ScreenMismatch => "screen_mismatch",
            ErrorCode::PlayoutRestarting => "playout_restarting",
            ErrorCode::PlayoutUnavailable => "playout_unavailable",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::NotCached => "not_cached",
            ErrorCode::ConfigInvalid => "config_invalid",
            ErrorCode::AuditUnavailable => "audit_unavailable",
            ErrorCode::NoSignal => "no_signal",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }
}
