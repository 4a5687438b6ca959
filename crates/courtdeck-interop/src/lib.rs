//! Formats of the systems Courtdeck sits beside, read into its domain types.
//!
//! `cath`: HMCTS Court and tribunal hearings (CaTH) magistrates' lists, as CaTH publishes them, read
//! into one `CourtList` per courtroom and day. Pure: bytes in, core types and a report out; writing the
//! lists into a store is the caller's (the facade's) business. See `docs/interop.md`.

pub mod cath;
