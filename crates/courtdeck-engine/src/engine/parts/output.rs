//! The courtroom's screens: `Configure` makes one output per screen (a window on its monitor, or
//! headless), child windows are mapped for the screens a program is presented on, and the per-screen
//! figures (`stats`) come from here.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use courtdeck_core::{OutputRole, Restriction, may_show};

use super::slate::Slate;
use crate::placement::Placement;
use crate::protocol::{OutputKind, OutputSpec};

pub(in crate::engine) struct Output {
    pub(in crate::engine) spec: OutputSpec,
    pub(in crate::engine) role: OutputRole,
    /// The output window and its size; `None` for headless outputs, or a monitor that has not been
    /// seen since Configure. It stays (unmapped) while its monitor is away, so a monitor that comes
    /// back is shown again at once.
    pub(in crate::engine) window: Option<(u32, u16, u16)>,
    /// Where the screen is now (`place`).
    pub(in crate::engine) placement: Placement,
    /// Whether the monitor last seen on this screen was the one its `identity` names. Kept while the
    /// monitor is away: nothing is shown then, and a different monitor coming back is a mismatch.
    pub(in crate::engine) verified: bool,
    pub(in crate::engine) blanked: bool,
    /// What the screen shows when no exhibit is drawn on it: black (`None`) or a slate.
    pub(in crate::engine) slate: Option<Slate>,
    /// The slate last drawn on the window (`draw_slates` catches up with `slate`).
    pub(in crate::engine) drawn: Option<Slate>,
    pub(in crate::engine) frames: Arc<AtomicU64>,
    /// A `Stream` screen's pipeline (the video link); `None` for windows and headless screens, and
    /// for a stream that could not be served (then the screen is missing).
    pub(in crate::engine) link: Option<super::link::Link>,
}

impl Output {
    /// Whether exhibits with `restriction` may have a branch on this screen: the role allows it, and
    /// a restricted one goes only to a screen whose monitor is known to be the one it names (when
    /// `require_identity`). A screen with the wrong monitor gets nothing at all.
    pub(in crate::engine) fn may_show(&self, restriction: Restriction) -> bool {
        may_show(restriction, self.role)
            && !matches!(
                self.placement,
                Placement::Mismatch { .. } | Placement::Ambiguous { .. }
            )
            && (restriction == Restriction::Open
                || !self.spec.require_identity
                || self.spec.kind != OutputKind::Window
                || self.verified)
    }

    /// Whether the screen shows anything: headless, or on its own monitor.
    pub(in crate::engine) fn is_shown(&self) -> bool {
        matches!(self.placement, Placement::Headless | Placement::Shown(_))
    }

    /// Whether this screen shows a program that is (`on_air`) routed by `route`: not blanked, and on
    /// its own monitor (or headless, or a stream). The one rule for windows, links, sound and stats.
    pub(in crate::engine) fn shows(&self, on_air: bool, route: &[String]) -> bool {
        on_air && !self.blanked && self.is_shown() && route.contains(&self.spec.id)
    }

    /// The window to draw into, while the screen is on its own monitor.
    pub(in crate::engine) fn shown_window(&self) -> Option<(u32, u16, u16)> {
        self.window.filter(|_| self.is_shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Monitor;

    fn output(
        role: OutputRole,
        placement: Placement,
        require_identity: bool,
        verified: bool,
    ) -> Output {
        let mut spec = OutputSpec::headless("s", role.as_str());
        if !matches!(placement, Placement::Headless) {
            spec.kind = OutputKind::Window;
        }
        spec.require_identity = require_identity;
        Output {
            spec,
            role,
            window: None,
            placement,
            verified,
            blanked: false,
            slate: None,
            drawn: None,
            frames: Arc::new(AtomicU64::new(0)),
            link: None,
        }
    }

    /// The engine's gate (which screens get a branch at all), for every role and restriction: the
    /// core's table; never a screen with the wrong or an ambiguous monitor; a restricted exhibit only
    /// on a verified monitor when identities are required. No process, no display.
    #[test]
    fn the_gate_is_the_table_and_fails_closed_on_unknown_monitors() {
        let shown = || Placement::Shown(Monitor::new("HDMI-1", 0, 0, 1920, 1080));
        let mismatch = || Placement::Mismatch {
            found: "another".into(),
            cover: None,
        };
        for role in OutputRole::ALL {
            for restriction in Restriction::ALL {
                let table = may_show(restriction, role);
                assert_eq!(
                    output(role, Placement::Headless, false, false).may_show(restriction),
                    table
                );
                assert_eq!(
                    output(role, shown(), false, false).may_show(restriction),
                    table
                );
                assert!(!output(role, mismatch(), false, true).may_show(restriction));
                let unverified = output(role, shown(), true, false).may_show(restriction);
                assert_eq!(unverified, table && restriction == Restriction::Open);
                assert_eq!(
                    output(role, shown(), true, true).may_show(restriction),
                    table
                );
            }
        }
    }
}
