//! The courtroom's screens and the clerk's setup: monitors known by identity (EDIDs under Xvfb RandR
//! monitors and a fake DRM tree), hot-plug, screens pinned to their monitors, and `courtdeck check`.
//! One test binary (`cargo test -p courtdeck-testkit --test screens`).

mod checks;
mod hotplug;
mod live_hearing;
mod pinned;
mod sources;
