//! Playout, as the app sees it: the IPC protocol of the separate, supervised playout process and the
//! client that spawns and supervises it. No GStreamer and no X11 here: those live in
//! `courtdeck-engine`, which builds the `courtdeck-playout` binary, so a decoder crash can never take
//! down the control surface and Cargo enforces the line (`cargo tree -p courtdeck-app`).
//!
//! - `protocol`: the versioned IPC types (JSON lines) shared by both sides.
//! - `placement`: which monitor each screen is on (by identity, else by connector).
//! - `client`: spawns and supervises the process from the app or the CLI, and runs its one-shot tool
//!   modes (the monitors, the demo media).

pub mod client;
pub mod placement;
pub mod protocol;
