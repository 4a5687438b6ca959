//! Formats of the systems Courtdeck sits beside, read into its domain types.
//!
//! `bagit`: BagIt bags (RFC 8493), the container evidence is handed over in with its hashes,
//! validated as the Library of Congress's conformance suite reads them. It reads the bag's folder
//! (the one module here that does I/O: a bag is files and their digests).
//!
//! `cath`: HMCTS Court and tribunal hearings (CaTH) magistrates' lists, as CaTH publishes them, read
//! into one `CourtList` per courtroom and day. Pure: bytes in, core types and a report out; writing the
//! lists into a store is the caller's (the facade's) business. See `docs/interop.md`.

pub mod bagit;
pub mod cath;
