//! The courtroom's screens as the facade sees them: which are connected, what each shows, and where
//! the control surface goes.

use std::collections::HashMap;

use crate::error::ApiResult;
use crate::{Courtdeck, Placement, Session};
use courtdeck_playout::protocol::Command;

pub(crate) fn apply_screen_states(
    session: &mut Session,
    stats: Vec<courtdeck_playout::protocol::ScreenStats>,
) {
    session.missing_screens = stats
        .iter()
        .filter(|s| !s.connected)
        .map(|s| s.screen.clone())
        .collect();
    session.mismatched_screens = stats
        .iter()
        .filter(|s| s.mismatch.is_some())
        .map(|s| s.screen.clone())
        .collect();
    session.ambiguous_screens = stats
        .iter()
        .filter_map(|s| Some((s.screen.clone(), s.ambiguous.clone()?)))
        .collect();
    session.slates = stats
        .into_iter()
        .filter_map(|s| Some((s.screen, s.slate?)))
        .collect();
}

impl Courtdeck {
    /// Where the control surface goes: `[control] monitor` by RandR name, else the first monitor no
    /// configured screen uses, else the first; `None` without X11 monitors (the window stays where
    /// the shell put it).
    pub fn control_placement(&self) -> Option<Placement> {
        let monitors = match courtdeck_playout::client::monitors(&[]) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("control surface left at its default place: {e}");
                return None;
            }
        };
        let used: Vec<&str> = self
            .config
            .screens
            .iter()
            .filter_map(|s| s.monitor.as_deref())
            .collect();
        let m = match &self.config.control.monitor {
            Some(name) => monitors.iter().find(|m| &m.name == name),
            None => monitors.iter().find(|m| !used.contains(&m.name.as_str())),
        }
        .or(monitors.first())?;
        tracing::info!(monitor = %m.name, x = m.x, y = m.y, w = m.width, h = m.height, "control surface placed");
        Some(Placement {
            monitor: m.name.clone(),
            x: m.x as i32,
            y: m.y as i32,
            width: m.width as u32,
            height: m.height as u32,
        })
    }

    /// Asks playout which screens are connected (after it configured them) and records the answer.
    /// Reads the screens back from playout (without holding the session while it answers) and
    /// shows the surface.
    pub(crate) async fn refresh_connected_screens(&self) {
        let states = self.screen_states().await;
        let mut session = self.session.lock().await;
        if let Some(states) = states {
            apply_screen_states(&mut session, states);
        }
        if !session.missing_screens.is_empty() {
            tracing::warn!(missing = ?session.missing_screens, "screens not connected");
        }
        self.emit_stage(&session);
    }

    /// Asks playout which screens are unplugged and which show a slate: the engine decides both
    /// (a slate goes up when an exhibit fails on air or after a restart, and comes down on the next
    /// Present, Withdraw or Blank), so the surface reads them back rather than guessing.
    pub(crate) async fn screen_states(
        &self,
    ) -> Option<Vec<courtdeck_playout::protocol::ScreenStats>> {
        let p = self.playout().ok()?;
        match p.request(Command::Stats).await {
            Ok(stats) => Some(stats.unwrap_or_default()),
            Err(e) => {
                tracing::warn!("cannot ask playout for its screens: {e}");
                None
            }
        }
    }

    /// The screens a `restriction`ed exhibit may not go to because they are not pinned to their
    /// monitor: under `[screens] require_identity`, every window screen without an `identity` (the
    /// playout process refuses them the same way; this lets Present drop them with a word instead).
    pub(crate) fn unpinned_screens(
        &self,
        restriction: courtdeck_core::Restriction,
    ) -> std::collections::HashSet<String> {
        if restriction == courtdeck_core::Restriction::Open
            || !self.config.screen_identity.require_identity
        {
            return Default::default();
        }
        self.config
            .screens
            .iter()
            .filter(|s| !s.headless && s.identity.is_none())
            .map(|s| s.id.clone())
            .collect()
    }

    /// Whether the facade answers: its session can be taken within `within` (a deadlock or a
    /// request stuck holding it would not). The systemd watchdog asks this.
    pub async fn responsive(&self, within: std::time::Duration) -> bool {
        tokio::time::timeout(within, self.session.lock())
            .await
            .is_ok()
    }

    /// Frames each screen has rendered, as the playout process counts them (a readback for tests/checks).
    pub async fn screen_frames(&self) -> ApiResult<HashMap<String, u64>> {
        let stats = self
            .playout()?
            .request(Command::Stats)
            .await?
            .unwrap_or_default();
        Ok(stats.into_iter().map(|s| (s.screen, s.frames)).collect())
    }
}

/// A monitor that is connected now, who it is, and which configured screen it is (`courtdeck screens`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MonitorReport {
    #[serde(flatten)]
    pub monitor: courtdeck_playout::protocol::Monitor,
    /// The configured screen on this monitor now, by the playout process's own rule.
    pub screen: Option<String>,
}

/// What `courtdeck screens` prints: the monitors, and each configured screen's placement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScreensReport {
    pub monitors: Vec<MonitorReport>,
    /// Each configured window screen: `on MONITOR`, `not connected`, or why it is not its monitor.
    pub screens: Vec<(String, String)>,
}

impl Courtdeck {
    /// The monitors connected now with their identities, and where each configured screen would go:
    /// what the clerk needs to write each `[[screen]] identity`.
    pub fn screens_report(config: &crate::config::Config) -> ApiResult<ScreensReport> {
        use courtdeck_playout::placement::{Placement, place};
        let monitors =
            courtdeck_playout::client::monitors(&crate::events::playout_env(config, Vec::new()))?;
        let specs = config.output_specs();
        let placements = place(&specs.iter().collect::<Vec<_>>(), &monitors);
        let on = |m: &courtdeck_playout::protocol::Monitor| {
            specs
                .iter()
                .zip(&placements)
                .find(|(_, p)| matches!(p, Placement::Shown(s) if s.name == m.name))
                .map(|(s, _)| s.id.clone())
        };
        Ok(ScreensReport {
            monitors: monitors
                .iter()
                .map(|m| MonitorReport {
                    monitor: m.clone(),
                    screen: on(m),
                })
                .collect(),
            screens: specs
                .iter()
                .zip(&placements)
                .filter_map(|(s, p)| {
                    let what = match p {
                        Placement::Headless => return None,
                        Placement::Shown(m) if s.identity.is_some() => {
                            format!("on {} (its identity matches)", m.name)
                        }
                        Placement::Shown(m) => format!(
                            "on {} (by connector: no identity set, so a swapped cable would move it)",
                            m.name
                        ),
                        Placement::Missing => "not connected".to_owned(),
                        Placement::Mismatch { found, .. } => {
                            format!("WRONG MONITOR: its connector has {found}")
                        }
                        Placement::Ambiguous { why, .. } => format!("NOT USED: {why}"),
                    };
                    Some((s.id.clone(), what))
                })
                .collect(),
        })
    }
}
