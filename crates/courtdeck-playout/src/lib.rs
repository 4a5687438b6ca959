//! Playout: the separate, supervised process that owns the courtroom's output windows and GStreamer
//! pipelines, so that a decoder crash can never take down the control surface.
//!
//! - `protocol`: the versioned IPC types (JSON lines) shared by both sides.
//! - `server`: the playout process's main loop (the `courtdeck-playout` binary).
//! - `engine`: pipelines and outputs, run on the server's engine thread.
//! - `x11`: output windows on X11 monitors.
//! - `client`: spawns and supervises the process from the app or the CLI.
//! - `checks`: the playout side of the clerk's setup checks (test card, discoverer, inventory).
//! - `media`: decoder ranks, stream selection, the picture-size budget, naming files that are not media.
//! - `fixtures`: media made with GStreamer encoders, for the demo store and tests.
//! - `corpus`: media made by ffmpeg and by hand, for the tests (real exports are not made by GStreamer).
//!
//! Architecture invariant: the app links this crate for `client`, `protocol` and `fixtures` only; the
//! engine runs in the child process.

pub mod checks;
pub mod client;
pub mod corpus;
pub mod engine;
pub mod fixtures;
pub mod media;
pub mod protocol;
pub mod server;
pub mod x11;
