//! Which monitor each configured screen is on: one rule, used by the playout process to place its
//! windows and by `courtdeck screens` to tell the clerk what it will do.

use courtdeck_core::MonitorIdentity;

use crate::protocol::{Monitor, OutputKind, OutputSpec};

/// Where a screen is, from the monitors RandR reports now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// No window: frames are counted and dropped.
    Headless,
    /// On `monitor`: its window covers it.
    Shown(Monitor),
    /// Its monitor is not there.
    Missing,
    /// Its connector carries another monitor than the one its `identity` names (`found` says which);
    /// that monitor is covered black (`cover`) unless another screen is on it. It gets nothing.
    Mismatch {
        found: String,
        cover: Option<Monitor>,
    },
}

/// Places every screen on the monitors there are now. A screen with an `identity` is on the monitor
/// with that identity, wherever it is plugged in; a connector it names that carries another monitor is
/// a mismatch. A screen without one is on its connector (or n-th monitor), unless a screen that names
/// its identity is there already.
pub fn place(specs: &[&OutputSpec], monitors: &[Monitor]) -> Vec<Placement> {
    let by_connector = |spec: &OutputSpec| match (&spec.monitor, spec.monitor_index) {
        (Some(name), _) => monitors
            .iter()
            .find(|m| &m.name == name || m.connector.as_ref() == Some(name)),
        (None, Some(i)) => monitors.get(i),
        (None, None) => None,
    };
    let wanted = |spec: &OutputSpec| spec.identity.as_deref().map(MonitorIdentity::new);
    let identity = |m: &Monitor| m.identity.as_deref().map(MonitorIdentity::new);
    // First the screens that name their monitor: they claim it wherever it is.
    let claimed: Vec<Option<&Monitor>> = specs
        .iter()
        .map(|spec| {
            let want = wanted(spec)?;
            monitors
                .iter()
                .find(|m| identity(m).as_ref() == Some(&want))
        })
        .collect();
    let is_claimed = |m: &Monitor| claimed.iter().flatten().any(|c| c.name == m.name);
    specs
        .iter()
        .zip(&claimed)
        .map(|(spec, claim)| {
            if spec.kind != OutputKind::Window {
                return Placement::Headless;
            }
            if let Some(m) = claim {
                return Placement::Shown((*m).clone());
            }
            let Some(m) = by_connector(spec) else {
                return Placement::Missing;
            };
            if wanted(spec).is_some() {
                let found = match &m.identity {
                    Some(id) => format!("monitor {id}"),
                    None => "a monitor with no readable identity".to_owned(),
                };
                let cover = (!is_claimed(m)).then(|| m.clone());
                return Placement::Mismatch { found, cover };
            }
            if is_claimed(m) {
                return Placement::Mismatch {
                    found: "the monitor of another screen".to_owned(),
                    cover: None,
                };
            }
            Placement::Shown(m.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mon(name: &str, x: i16, identity: Option<&str>) -> Monitor {
        Monitor {
            identity: identity.map(str::to_owned),
            ..Monitor::new(name, x, 0, 100, 100)
        }
    }

    fn screen(id: &str, monitor: &str, identity: Option<&str>) -> OutputSpec {
        OutputSpec {
            identity: identity.map(str::to_owned),
            ..OutputSpec::window(id, "bench", monitor)
        }
    }

    fn names(p: &[Placement]) -> Vec<String> {
        p.iter()
            .map(|p| match p {
                Placement::Shown(m) => m.name.clone(),
                Placement::Missing => "missing".into(),
                Placement::Headless => "headless".into(),
                Placement::Mismatch { cover, .. } => format!(
                    "mismatch/{}",
                    cover.as_ref().map_or("-", |m| m.name.as_str())
                ),
            })
            .collect()
    }

    #[test]
    fn screens_follow_their_monitors_through_a_swapped_pair_of_cables() {
        let bench = screen("bench", "HDMI-1", Some("DEL-0001-A"));
        let public = screen("public", "HDMI-2", Some("DEL-0001-B"));
        let as_wired = [
            mon("HDMI-1", 0, Some("DEL-0001-A")),
            mon("HDMI-2", 100, Some("DEL-0001-B")),
        ];
        assert_eq!(
            names(&place(&[&bench, &public], &as_wired)),
            ["HDMI-1", "HDMI-2"]
        );
        let swapped = [
            mon("HDMI-1", 0, Some("DEL-0001-B")),
            mon("HDMI-2", 100, Some("del-0001-a")),
        ];
        assert_eq!(
            names(&place(&[&bench, &public], &swapped)),
            ["HDMI-2", "HDMI-1"]
        );
    }

    #[test]
    fn a_connector_with_another_monitor_is_not_the_screen() {
        let bench = screen("bench", "HDMI-1", Some("DEL-0001-A"));
        // A stranger on the bench's connector: covered black, not the bench.
        let stranger = [mon("HDMI-1", 0, Some("SAM-0002-Z"))];
        assert_eq!(names(&place(&[&bench], &stranger)), ["mismatch/HDMI-1"]);
        // A monitor with no EDID is no better.
        let blank = [mon("HDMI-1", 0, None)];
        let p = place(&[&bench], &blank);
        assert!(
            matches!(&p[0], Placement::Mismatch { found, .. } if found.contains("no readable identity"))
        );
        assert_eq!(names(&place(&[&bench], &[])), ["missing"]);
    }

    #[test]
    fn a_screen_without_an_identity_never_takes_a_claimed_monitor() {
        // The bench's monitor was moved to the connector the (unpinned) public screen names: the public
        // screen does not get it, the bench keeps it.
        let bench = screen("bench", "HDMI-1", Some("DEL-0001-A"));
        let public = screen("public", "HDMI-2", None);
        let moved = [mon("HDMI-2", 100, Some("DEL-0001-A"))];
        assert_eq!(
            names(&place(&[&bench, &public], &moved)),
            ["HDMI-2", "mismatch/-"]
        );
        // By index and by connector name, without identities, as before.
        let by_index = OutputSpec {
            monitor: None,
            monitor_index: Some(1),
            ..screen("w", "", None)
        };
        let mut connector = mon("DP-1", 0, None);
        connector.name = "MONITOR-A".into();
        connector.connector = Some("DP-1".into());
        let mons = [connector, mon("HDMI-2", 100, None)];
        assert_eq!(
            names(&place(
                &[
                    &by_index,
                    &screen("x", "DP-1", None),
                    &OutputSpec::headless("h", "bench")
                ],
                &mons
            )),
            ["HDMI-2", "MONITOR-A", "headless"]
        );
    }
}
