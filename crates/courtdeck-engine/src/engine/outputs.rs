//! The courtroom's screens: `Configure` makes one output per screen (a window on its monitor, or
//! headless), child windows are mapped for the screens a program is presented on, and the per-screen
//! figures (`stats`) come from here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use courtdeck_core::{ErrorCode, OutputRole};
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use super::program::PendingFirstFrames;
use super::slates::Slate;
use super::{Emit, Engine, err};
use crate::protocol::{Event, OutputKind, OutputSpec, ScreenStats, WireError};
use crate::x11;

pub(super) struct Output {
    pub(super) spec: OutputSpec,
    pub(super) role: OutputRole,
    /// The output window and its size; `None` for headless outputs or a missing monitor.
    pub(super) window: Option<(u32, u16, u16)>,
    pub(super) blanked: bool,
    /// What the screen shows when no exhibit is drawn on it: black (`None`) or a slate.
    pub(super) slate: Option<Slate>,
    /// The slate last drawn on the window (`draw_slates` catches up with `slate`).
    pub(super) drawn: Option<Slate>,
    pub(super) frames: Arc<AtomicU64>,
}

#[derive(Clone)]
pub(super) struct BranchTarget {
    pub(super) screen: String,
    /// Child window and its size; `None` for a headless output.
    pub(super) child: Option<(u32, u16, u16)>,
    pub(super) frames: Arc<AtomicU64>,
    pub(super) exhibit: String,
    pub(super) pending: PendingFirstFrames,
    pub(super) emit: Emit,
}

impl Engine {
    pub(super) fn configure(&mut self, specs: Vec<OutputSpec>) -> Result<(), WireError> {
        for p in self.deck.take_all() {
            self.teardown(p);
        }
        if let Some(d) = &self.display {
            for o in &self.outputs {
                if let Some((w, _, _)) = o.window {
                    let _ = d.destroy(w);
                }
            }
        }
        self.outputs.clear();
        let needs_display = specs.iter().any(|s| s.kind == OutputKind::Window);
        if needs_display && self.display.is_none() {
            // No display at all: every window screen is reported missing below; headless ones still work.
            match x11::Display::connect() {
                Ok(d) => self.display = Some(d),
                Err(e) => tracing::error!("no display for the courtroom screens: {e:#}"),
            }
        }
        let monitors = match &self.display {
            Some(d) if needs_display => d.monitors().unwrap_or_else(|e| {
                tracing::error!("cannot list monitors: {e:#}");
                Vec::new()
            }),
            _ => Vec::new(),
        };
        let mut missing = Vec::new();
        for spec in specs {
            let role = OutputRole::parse(&spec.role)
                .map_err(|e| err(ErrorCode::ConfigInvalid, e.to_string()))?;
            let window = match spec.kind {
                OutputKind::Headless => None,
                OutputKind::Window => {
                    let monitor = match (&spec.monitor, spec.monitor_index) {
                        (Some(name), _) => monitors.iter().find(|m| &m.name == name),
                        (None, Some(i)) => monitors.get(i),
                        (None, None) => None,
                    };
                    match (monitor, &self.display) {
                        (Some(m), Some(d)) => {
                            let title = format!("Courtdeck output {}", spec.label);
                            match d.create_output_window(m, &title) {
                                Ok(w) => {
                                    tracing::info!(screen = %spec.id, monitor = %m.name, x = m.x, y = m.y, w = m.width, h = m.height, "output window placed");
                                    Some((w, m.width, m.height))
                                }
                                Err(e) => {
                                    // One bad screen must not take the others down with it.
                                    tracing::warn!(screen = %spec.id, "cannot open its window: {e:#}");
                                    missing.push(spec.label.clone());
                                    None
                                }
                            }
                        }
                        _ => {
                            tracing::warn!(screen = %spec.id, monitor = ?spec.monitor, "screen not connected");
                            missing.push(spec.label.clone());
                            None
                        }
                    }
                }
            };
            self.outputs.push(Output {
                spec,
                role,
                window,
                blanked: false,
                slate: None,
                drawn: None,
                frames: Arc::new(AtomicU64::new(0)),
            });
        }
        for label in &missing {
            let screen = self
                .outputs
                .iter()
                .find(|o| &o.spec.label == label)
                .map(|o| o.spec.id.clone());
            (self.emit)(Event::Error {
                exhibit: None,
                screen,
                error: err(
                    ErrorCode::ScreenMissing,
                    format!(
                        "The {label} screen is not connected. The other screens work; ask the clerk to check its cable."
                    ),
                ),
            });
        }
        Ok(())
    }

    pub(super) fn destroy_children(&self, targets: &[BranchTarget]) {
        if let Some(d) = &self.display {
            for t in targets {
                if let Some((w, _, _)) = t.child {
                    let _ = d.destroy(w);
                }
            }
        }
    }

    /// Maps the on-air exhibit's child windows on routed, unblanked screens; unmaps everything else.
    pub(super) fn apply_visibility(&mut self) {
        // Sound follows the pictures: when no screen shows the exhibit on air (all blanked, or none
        // routed), the room hears nothing either. Blank All silences the courtroom. Only the exhibit
        // on air ever plays; the others (cued, paused) hold the room's level, so the sound their
        // preroll already processed is right when they play.
        for p in self.deck.iter() {
            let on_air = self.deck.is_on_air(&p.exhibit);
            let hidden = on_air
                && !p
                    .route
                    .iter()
                    .any(|s| self.outputs.iter().any(|o| &o.spec.id == s && !o.blanked));
            p.sound
                .lock()
                .expect("sound")
                .set(self.volume, self.muted || hidden);
        }
        let Some(display) = &self.display else { return };
        for p in self.deck.iter() {
            let on_air = self.deck.is_on_air(&p.exhibit);
            let branches = p.branches.lock().expect("branches");
            for (screen, b) in branches.iter() {
                let Some(child) = b.child else { continue };
                let blanked = self
                    .outputs
                    .iter()
                    .any(|o| &o.spec.id == screen && o.blanked);
                let visible = on_air && p.route.contains(screen) && !blanked;
                let result = if visible {
                    display.map(child).map(|()| {
                        if let Ok(overlay) = b
                            .sink
                            .clone()
                            .dynamic_cast::<gstreamer_video::VideoOverlay>()
                        {
                            overlay.expose();
                        }
                    })
                } else {
                    display.unmap(child)
                };
                if let Err(e) = result {
                    tracing::warn!(screen, "window update failed: {e:#}");
                }
            }
        }
    }

    pub(super) fn stats(&self) -> Vec<ScreenStats> {
        self.outputs
            .iter()
            .map(|o| ScreenStats {
                screen: o.spec.id.clone(),
                connected: o.spec.kind == OutputKind::Headless || o.window.is_some(),
                frames: o.frames.load(Ordering::Relaxed),
                blanked: o.blanked,
                showing: self.deck.on_air().and_then(|p| {
                    (p.route.contains(&o.spec.id) && !o.blanked).then(|| p.exhibit.clone())
                }),
                // What is drawn: slates are drawn after each reply, so by any later request.
                slate: o.drawn.map(|s| s.as_str().to_owned()),
            })
            .collect()
    }
}
