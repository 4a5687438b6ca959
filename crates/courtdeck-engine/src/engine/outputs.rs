//! The courtroom's screens: `Configure` makes one output per screen (a window on its monitor, or
//! headless), child windows are mapped for the screens a program is presented on, and the per-screen
//! figures (`stats`) come from here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use courtdeck_core::{ErrorCode, OutputRole, Restriction};
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use super::parts::base::err;
use super::parts::graph::BranchTarget;
use super::parts::output::Output;
use super::parts::program::Rebuild;
use super::{Engine, Msg};
use crate::placement::{Placement, place};
use crate::protocol::{Event, OutputKind, OutputSpec, ScreenStats, WireError};
use crate::x11;

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
                Ok(d) => {
                    self.display = Some(d);
                    let tx = std::sync::Mutex::new(self.tx.clone());
                    if let Err(e) = x11::watch_monitors(move || {
                        let _ = tx.lock().expect("monitor sender").send(Msg::Monitors);
                    }) {
                        tracing::error!("monitor changes will not be seen: {e:#}");
                    }
                    if let Some(key) = &self.blank_key {
                        let tx = std::sync::Mutex::new(self.tx.clone());
                        match x11::watch_key(key, move || {
                            let _ = tx.lock().expect("blank key sender").send(Msg::BlankKey);
                        }) {
                            Ok(()) => tracing::info!(key, "the blank key blanks every screen"),
                            Err(e) => tracing::error!("the blank key will not work: {e:#}"),
                        }
                    }
                }
                Err(e) => tracing::error!("no display for the courtroom screens: {e:#}"),
            }
        }
        for spec in specs {
            let role = OutputRole::parse(&spec.role)
                .map_err(|e| err(ErrorCode::ConfigInvalid, e.to_string()))?;
            let placement = match spec.kind {
                OutputKind::Headless | OutputKind::Stream => Placement::Headless,
                OutputKind::Window => Placement::Missing,
            };
            let link = match (&spec.kind, &spec.stream) {
                (OutputKind::Stream, Some(s)) => match super::parts::link::Link::start(&spec.id, s)
                {
                    Ok(link) => Some(link),
                    Err(e) => {
                        tracing::error!(screen = %spec.id, "{e:#}");
                        (self.emit)(Event::Error {
                            exhibit: None,
                            screen: Some(spec.id.clone()),
                            error: err(
                                ErrorCode::ScreenMissing,
                                format!(
                                    "The {} video link is not working: {e:#}. The other screens work.",
                                    spec.label
                                ),
                            ),
                        });
                        None
                    }
                },
                (OutputKind::Stream, None) => {
                    return Err(err(
                        ErrorCode::ConfigInvalid,
                        format!("screen {} is a stream with no address", spec.id),
                    ));
                }
                _ => None,
            };
            self.outputs.push(Output {
                spec,
                role,
                window: None,
                placement,
                verified: false,
                blanked: false,
                slate: None,
                drawn: None,
                frames: Arc::new(AtomicU64::new(0)),
                link,
            });
        }
        self.place_screens(true);
        Ok(())
    }

    /// Puts every screen where the monitors are now (`place`), and tells the court what changed: at
    /// Configure (`initial`) every screen not on its monitor is reported; after a monitor change,
    /// each screen that went, came back or got the wrong monitor. Exhibits loaded when a screen's
    /// window or what it may show changed are rebuilt where they stood, so a screen that comes back
    /// gets its branch, one that got the wrong monitor loses it, and nothing is shown on a window
    /// that is not on its own monitor.
    pub(super) fn place_screens(&mut self, initial: bool) {
        let monitors = match &self.display {
            Some(d)
                if self
                    .outputs
                    .iter()
                    .any(|o| o.spec.kind == OutputKind::Window) =>
            {
                d.monitors().unwrap_or_else(|e| {
                    tracing::error!("cannot list monitors: {e:#}");
                    Vec::new()
                })
            }
            _ => Vec::new(),
        };
        let placements = place(
            &self.outputs.iter().map(|o| &o.spec).collect::<Vec<_>>(),
            &monitors,
        );
        let mut rebuild = false;
        let mut old_windows = Vec::new();
        let mut news = Vec::new();
        for (o, placement) in self.outputs.iter_mut().zip(placements) {
            // A video link that could not be served shows nothing: it is missing.
            let placement = if o.spec.kind == OutputKind::Stream && o.link.is_none() {
                Placement::Missing
            } else {
                placement
            };
            if o.placement == placement && !initial {
                continue;
            }
            let before = (
                o.window.map(|w| w.0),
                o.may_show(Restriction::BenchOnly),
                o.may_show(Restriction::Open),
            );
            let Some(display) = &self.display else {
                o.placement = placement;
                if o.spec.kind == OutputKind::Window {
                    news.push((
                        o.spec.id.clone(),
                        trouble(&o.spec.label, &Placement::Missing),
                    ));
                }
                continue;
            };
            let on = match &placement {
                Placement::Shown(m) => Some(m),
                Placement::Mismatch { cover, .. } | Placement::Ambiguous { cover, .. } => {
                    cover.as_ref()
                }
                Placement::Missing | Placement::Headless => None,
            };
            match (on, o.window) {
                (Some(m), Some((win, w, h))) if (w, h) == (m.width, m.height) => {
                    if let Err(e) = display.place(win, m) {
                        tracing::warn!(screen = %o.spec.id, "cannot move its window: {e:#}");
                    }
                }
                (Some(m), old) => {
                    // A new window (the first, or another size): exhibits draw into it after a rebuild.
                    let title = format!("Courtdeck output {}", o.spec.label);
                    match display.create_output_window(m, &title) {
                        Ok(win) => {
                            o.window = Some((win, m.width, m.height));
                            o.drawn = None;
                        }
                        Err(e) => {
                            tracing::warn!(screen = %o.spec.id, "cannot open its window: {e:#}");
                            o.window = None;
                        }
                    }
                    old_windows.extend(old.map(|w| w.0));
                }
                (None, Some((win, _, _))) => {
                    if let Err(e) = display.unmap(win) {
                        tracing::warn!(screen = %o.spec.id, "cannot hide its window: {e:#}");
                    }
                }
                (None, None) => {}
            }
            match &placement {
                Placement::Shown(m) => {
                    o.verified = o.spec.identity.is_some();
                    tracing::info!(screen = %o.spec.id, monitor = %m.name, identity = ?m.identity, x = m.x, y = m.y, w = m.width, h = m.height, "screen placed");
                    if !initial {
                        news.push((o.spec.id.clone(), None));
                    }
                }
                Placement::Missing if o.spec.kind == OutputKind::Stream => {}
                Placement::Missing => {
                    tracing::warn!(screen = %o.spec.id, monitor = ?o.spec.monitor, "screen not connected");
                    news.push((o.spec.id.clone(), trouble(&o.spec.label, &placement)));
                }
                Placement::Mismatch { found, .. } => {
                    o.verified = false;
                    tracing::warn!(screen = %o.spec.id, monitor = ?o.spec.monitor, identity = ?o.spec.identity, found, "screen has the wrong monitor");
                    news.push((o.spec.id.clone(), trouble(&o.spec.label, &placement)));
                }
                Placement::Ambiguous { why, .. } => {
                    o.verified = false;
                    tracing::warn!(screen = %o.spec.id, identity = ?o.spec.identity, why, "screen's identity matches more than one monitor");
                    news.push((o.spec.id.clone(), trouble(&o.spec.label, &placement)));
                }
                Placement::Headless => {}
            }
            o.placement = placement;
            let after = (
                o.window.map(|w| w.0),
                o.may_show(Restriction::BenchOnly),
                o.may_show(Restriction::Open),
            );
            rebuild |= before != after;
        }
        if rebuild {
            let exhibits: Vec<String> = self.deck.iter().map(|p| p.exhibit.clone()).collect();
            for exhibit in exhibits {
                self.rebuild(&exhibit, Rebuild::Screens);
            }
        }
        if let Some(d) = &self.display {
            for w in old_windows {
                let _ = d.destroy(w);
            }
        }
        self.apply_visibility();
        for (screen, trouble) in &news {
            let Some((code, message)) = trouble else {
                continue;
            };
            (self.emit)(Event::Error {
                exhibit: None,
                screen: Some(screen.clone()),
                error: err(*code, message.clone()),
            });
        }
        if !initial && !news.is_empty() {
            (self.emit)(Event::Screens {
                screens: self.stats(),
            });
        }
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
        // A live source without its signal is shown nowhere (its screens show "no signal"): never a
        // frozen last frame.
        for p in self.deck.iter() {
            let on_air = self.deck.is_on_air(&p.exhibit);
            let hidden = on_air
                && (!p.has_picture() || !self.outputs.iter().any(|o| o.shows(on_air, p.route())));
            p.sound
                .lock()
                .expect("sound")
                .set(self.volume, self.muted || hidden);
        }
        self.show_on_links();
        let Some(display) = &self.display else { return };
        for p in self.deck.iter() {
            let on_air = self.deck.is_on_air(&p.exhibit) && p.has_picture();
            let branches = p.branches.lock().expect("branches");
            for (screen, b) in branches.iter() {
                let Some(child) = b.child else { continue };
                // A screen that is not on its own monitor shows nothing, whatever the route says.
                let visible = self
                    .outputs
                    .iter()
                    .any(|o| &o.spec.id == screen && o.shows(on_air, p.route()));
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

    /// The video links: each exhibit branch's valve is open only while its screen shows the exhibit
    /// (as a window is mapped); a link that starts showing another exhibit is black until that
    /// exhibit's first frame reaches it, and a paused one is pushed again so that frame comes.
    fn show_on_links(&mut self) {
        let mut push = Vec::new();
        for o in self.outputs.iter_mut() {
            if o.link.is_none() {
                continue;
            }
            let mut visible_seq = None;
            for p in self.deck.iter() {
                let visible = o.shows(
                    self.deck.is_on_air(&p.exhibit) && p.has_picture(),
                    p.route(),
                );
                if let Some(valve) = p
                    .branches
                    .lock()
                    .expect("branches")
                    .get(&o.spec.id)
                    .and_then(|b| b.valve.clone())
                {
                    valve.set_property("drop", !visible);
                    if visible {
                        visible_seq = Some(p.seq);
                    }
                    // Its sound goes with its picture.
                    if let Some(audio) = p.pipeline.by_name(&format!("linkaudio-{}", o.spec.id)) {
                        audio.set_property("drop", !visible);
                    }
                }
            }
            if o.link.as_mut().is_some_and(|link| link.show(visible_seq))
                && let Some(seq) = visible_seq
            {
                push.push(seq);
            }
        }
        for seq in push {
            if let Some(p) = self.deck.iter().find(|p| p.seq == seq)
                && !p.playing()
                && let Err(e) = super::parts::program::repush(p)
            {
                tracing::warn!(exhibit = %p.exhibit, "could not push the picture to the video link: {}", e.message);
            }
        }
    }

    pub(super) fn stats(&self) -> Vec<ScreenStats> {
        self.outputs
            .iter()
            .map(|o| ScreenStats {
                screen: o.spec.id.clone(),
                connected: o.is_shown(),
                frames: o.frames.load(Ordering::Relaxed),
                blanked: o.blanked,
                showing: self
                    .deck
                    .on_air()
                    .and_then(|p| o.shows(true, p.route()).then(|| p.exhibit.clone())),
                // What is drawn: slates are drawn after each reply, so by any later request.
                slate: o.drawn.map(|s| s.as_str().to_owned()),
                mismatch: match &o.placement {
                    Placement::Mismatch { found, .. } => Some(found.clone()),
                    Placement::Ambiguous { why, .. } => Some(why.clone()),
                    _ => None,
                },
                ambiguous: match &o.placement {
                    Placement::Ambiguous { why, .. } => Some(why.clone()),
                    _ => None,
                },
            })
            .collect()
    }
}

/// What the court is told when a screen is not on its own monitor: its code and message; `None`
/// when it is (or needs no monitor).
fn trouble(label: &str, placement: &Placement) -> Option<(ErrorCode, String)> {
    Some(match placement {
        Placement::Shown(_) | Placement::Headless => return None,
        Placement::Missing => (
            ErrorCode::ScreenMissing,
            format!(
                "The {label} screen is not connected. The other screens work; ask the clerk to check its cable."
            ),
        ),
        Placement::Mismatch { found, .. } => (
            ErrorCode::ScreenMismatch,
            format!(
                "The {label} screen has the wrong monitor plugged in ({found}): it shows nothing until its own monitor is back. The other screens work; ask the clerk to check the cables."
            ),
        ),
        Placement::Ambiguous { why, .. } => (
            ErrorCode::ScreenMismatch,
            format!(
                "The {label} screen shows nothing: {why}. The other screens work; ask the clerk."
            ),
        ),
    })
}
