//! Playout: the real playout process and its GStreamer pipelines, headless and on real windows under
//! Xvfb. One test binary (`cargo test -p courtdeck-testkit --test playout`); a test of what the
//! playout process does with media, documents, screens or sound goes here, in the module of its
//! subject. The harness is `courtdeck_testkit::playout`; media and documents come from
//! `courtdeck-testdata` (ffmpeg, Ghostscript, qpdf) and the demo store.

mod captions;
mod confinement;
mod corpus;
mod document_corpus;
mod documents;
mod formats;
mod live;
mod outputs;
mod paused;
mod probe;
mod process;
mod side_by_side;
mod sound;
mod video_link;
mod watchdog;
