//! Courtdeck's domain core.
//!
//! Everything a court user means by "case", "hearing", "exhibit `JS/3`", "the public gallery screen" and
//! "presented" lives here as plain, validated Rust types with pure functions over them.
//!
//! Architecture invariant: this crate does no I/O and depends on no async runtime, network, media,
//! keyring or UI crate. It is not serialisable either: the wire formats live at the edges
//! (`courtdeck-store::wire`, `courtdeck-playout::protocol`, `courtdeck-api::json`) and are parsed into
//! these types once.

pub mod annotation;
mod edid;
mod error;
mod exhibit;
mod hearing;
mod live;
mod presentation;
mod routing;
pub mod text;
pub mod transcript;
mod zoom;

#[cfg(any(test, feature = "test-support"))]
pub use edid::edid_block;
pub use edid::{Edid, EdidError, MonitorIdentity, Serial, placeholder_text};
pub use error::ErrorCode;
pub use exhibit::{
    Capabilities, CaseId, Clip, Controls, CopyRole, Exhibit, ExhibitKind, ExhibitRef, InvalidValue,
    MAX_PAGES, PageSize, Provenance, Restriction, Sha256Digest,
};
pub use hearing::{CaseManifest, CourtId, CourtList, Hearing, ManifestError};
pub use live::{
    LiveKind, LiveSource, SourceId, default_live_route, may_show_live, plan_live_route,
};
pub use presentation::{
    Beside, Item, MAX_BESIDE_OFFSET_MS, OnAir, PageTurn, Presentation, PresentationError,
    PresentationState, Shown, Speed, Transport,
};
pub use routing::{
    OutputRole, RouteRefused, Screen, ScreenId, default_route, may_show, plan_route,
};
pub use zoom::{Zoom, ZoomStep, fit_width_region};
