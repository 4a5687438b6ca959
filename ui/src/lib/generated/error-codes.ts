// Generated from `courtdeck_core::ErrorCode::ALL` by crates/courtdeck-core/tests/sourcegen.rs.
// Do not edit: change the Rust enum, then run
//   UPDATE_GENERATED=1 cargo test -p courtdeck-core --test sourcegen

/** A stable, machine-readable error code: the UI branches on it, never on message text. */
export type ErrorCode =
  | "store_unreachable"
  | "not_authorised"
  | "link_refused"
  | "not_found"
  | "hash_mismatch"
  | "invalid_manifest"
  | "decoder_missing"
  | "media_corrupt"
  | "not_media"
  | "media_too_large"
  | "document_refused"
  | "transcript_refused"
  | "playback_stalled"
  | "audio_unavailable"
  | "restricted_route"
  | "disk_full"
  | "screen_missing"
  | "screen_mismatch"
  | "playout_restarting"
  | "playout_unavailable"
  | "invalid_state"
  | "not_cached"
  | "config_invalid"
  | "audit_unavailable"
  | "no_signal"
  | "internal";

/** Every error code, in the order of `ErrorCode::ALL`. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "store_unreachable",
  "not_authorised",
  "link_refused",
  "not_found",
  "hash_mismatch",
  "invalid_manifest",
  "decoder_missing",
  "media_corrupt",
  "not_media",
  "media_too_large",
  "document_refused",
  "transcript_refused",
  "playback_stalled",
  "audio_unavailable",
  "restricted_route",
  "disk_full",
  "screen_missing",
  "screen_mismatch",
  "playout_restarting",
  "playout_unavailable",
  "invalid_state",
  "not_cached",
  "config_invalid",
  "audit_unavailable",
  "no_signal",
  "internal",
];
