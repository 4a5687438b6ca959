//! The engine's parts: everything a program is made of, below the `Engine` that drives them.
//!
//! Architecture invariant: nothing here sees the `Engine`, its message loop or its `impl Engine`
//! modules (`build`, `transport`, `lifecycle`, `outputs`, `captions`, `beside`, `slates`,
//! `test_card`). The parts are layered, each importing only those listed before it (the test
//! `layers::parts_import_only_the_parts_below_them` checks it):
//!
//! 1. `base`: the error constructor, the event sink, shared settings.
//! 2. `link`, `annotate`, `slate`, `document`, `captions`, `live`: components owning their elements
//!    and state (a video link's pipeline, the telestrator's layer, the slates, a document's page
//!    feed, a recording's captions, a live source and its signal).
//! 3. `beside`: the side-by-side composite and its shifted decoder.
//! 4. `graph`: pure builders of pipeline pieces (fan-out, audio chain, thumbnails, gap probe).
//! 5. `output`, `program`: the state the engine keeps per screen and per loaded exhibit.

pub(in crate::engine) mod base;

pub(in crate::engine) mod annotate;
pub(in crate::engine) mod captions;
pub(in crate::engine) mod document;
pub(in crate::engine) mod link;
pub(in crate::engine) mod live;
pub(in crate::engine) mod slate;

pub(in crate::engine) mod beside;

pub(in crate::engine) mod graph;

pub(in crate::engine) mod output;
pub(in crate::engine) mod program;

#[cfg(test)]
mod layers;
