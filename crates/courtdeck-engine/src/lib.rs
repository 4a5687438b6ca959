//! The playout engine: the separate, supervised process (`courtdeck-playout`) that owns the
//! courtroom's output windows and GStreamer pipelines, so that a decoder crash can never take down the
//! control surface. The app never links this crate: it speaks `courtdeck_playout::protocol` to the
//! process through `courtdeck_playout::client` (Cargo keeps that line: `cargo tree -p courtdeck-app`
//! has no gstreamer and no x11rb).
//!
//! - `server`: the process's main loop, and its one-shot tool modes (`monitors`, `demo-media`).
//! - `engine`: pipelines and outputs, run on the server's engine thread.
//! - `x11`: output windows on X11 monitors, and watching the monitors change.
//! - `identity`: who a monitor is, from its EDID (RandR or sysfs).
//! - `checks`: the playout side of the clerk's setup checks (test card, discoverer, inventory).
//! - `media`: decoder ranks, stream selection, the picture-size budget, naming files that are not media.
//! - `fixtures`: the demo store's media, made with GStreamer encoders (the tests' own media and
//!   documents are in the dev-only crate `courtdeck-testdata`).

pub use courtdeck_playout::{placement, protocol};

pub mod checks;
pub mod confine;
pub mod document;
pub mod engine;
pub mod fixtures;
pub mod identity;
pub mod media;
pub mod server;
pub mod x11;
