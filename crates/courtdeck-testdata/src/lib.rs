//! Test data made at test time by tools other than the ones that play it, never shipped: no product
//! crate depends on this one (`scripts/test.sh` checks that the release package carries none of it).
//!
//! - `corpus`: media written by ffmpeg and by hand, as DVRs, phones and interview suites write them.
//! - `pdf_corpus`: documents written by Ghostscript, qpdf and by hand, each page with its page mark.
//! - `formats`: the format matrix made with GStreamer's own encoders, and the picture-geometry files.
//!
//! The demo store's media are the product's (`courtdeck_engine::fixtures`, made on a kiosk's first
//! run); the generators here build on its `encode` and `make_once`.

pub mod corpus;
pub mod formats;
pub mod pdf_corpus;
