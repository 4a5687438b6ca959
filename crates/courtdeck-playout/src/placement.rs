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
    /// Its `identity` names more than one monitor here, or the monitor of another screen too (two
    /// monitors of one model without a serial): which one is this screen cannot be told, so it gets
    /// nothing, and neither does the other screen, until the clerk pins them by connector as well.
    /// `why` says so in the clerk's words; the monitor on its connector, if any and no other screen's,
    /// is covered black (`cover`).
    Ambiguous { why: String, cover: Option<Monitor> },
}

/// What a pinned screen's identity finds among the monitors.
enum Claim<'a> {
    /// No `identity` set.
    Unpinned,
    /// Exactly this monitor.
    One(&'a Monitor),
    /// More than one, and no connector that tells which.
    Many(Vec<&'a Monitor>),
    /// None (or none on the connector it also names).
    None,
}

/// Places every screen on the monitors there are now. Every rule here fails closed: a screen that
/// cannot be told to be on its own monitor gets nothing.
///
/// - A screen with an `identity` is on the monitor with that identity, wherever it is plugged in.
///   When it also names a connector (`monitor`), the monitor with that identity on that connector
///   wins; a monitor with a real serial that moved to another connector is still followed.
/// - An identity that matches two monitors (two of one model without a serial), with no connector
///   to tell them apart, places neither: `Ambiguous`. So does an identity two screens claim.
/// - A connector that carries another monitor than its screen's identity is a `Mismatch`.
/// - A screen without an identity is on its connector (or n-th monitor), unless a screen that names
///   its identity may be there.
pub fn place(specs: &[&OutputSpec], monitors: &[Monitor]) -> Vec<Placement> {
    let by_connector = |spec: &OutputSpec| match (&spec.monitor, spec.monitor_index) {
        (Some(name), _) => monitors
            .iter()
            .find(|m| &m.name == name || m.connector.as_ref() == Some(name)),
        (None, Some(i)) => monitors.get(i),
        (None, None) => None,
    };
    let named_by = |pin: &MonitorIdentity, m: &Monitor| {
        m.identity
            .as_deref()
            .is_some_and(|id| pin.names(&MonitorIdentity::new(id)))
            || m.legacy_identity
                .as_deref()
                .is_some_and(|old| MonitorIdentity::new(old) == *pin)
    };
    let claims: Vec<Claim> = specs
        .iter()
        .map(|spec| {
            let Some(pin) = spec.identity.as_deref().map(MonitorIdentity::new) else {
                return Claim::Unpinned;
            };
            if spec.kind != OutputKind::Window {
                return Claim::Unpinned;
            }
            let found: Vec<&Monitor> = monitors.iter().filter(|m| named_by(&pin, m)).collect();
            let on_connector = spec.monitor.as_ref().and(by_connector(spec));
            match (found.as_slice(), on_connector) {
                (_, Some(c)) if found.iter().any(|m| m.name == c.name) => Claim::One(c),
                // Moved to another connector: followed only when its serial says it is this one.
                ([one], _) if one.unique || spec.monitor.is_none() => Claim::One(one),
                ([], _) | ([_], _) => Claim::None,
                (_, Some(_)) => Claim::None,
                (_, None) => Claim::Many(found),
            }
        })
        .collect();
    // A monitor two screens claim is neither's.
    let claimants = |m: &Monitor| -> Vec<usize> {
        claims
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c, Claim::One(x) if x.name == m.name))
            .map(|(i, _)| i)
            .collect()
    };
    // Any monitor a pinned screen may mean: an unpinned screen never takes it.
    let is_claimed = |m: &Monitor| {
        claims.iter().any(|c| match c {
            Claim::One(x) => x.name == m.name,
            Claim::Many(xs) => xs.iter().any(|x| x.name == m.name),
            Claim::Unpinned | Claim::None => false,
        })
    };
    let labels = |idx: &[usize]| {
        let l: Vec<&str> = idx.iter().map(|i| specs[*i].label.as_str()).collect();
        match l.as_slice() {
            [a, b] => format!("{a} and {b}"),
            _ => l.join(", "),
        }
    };
    let cover_of = |spec: &OutputSpec| by_connector(spec).filter(|m| !is_claimed(m)).cloned();
    specs
        .iter()
        .zip(&claims)
        .map(|(spec, claim)| {
            if spec.kind != OutputKind::Window {
                return Placement::Headless;
            }
            match claim {
                Claim::One(m) => {
                    let all = claimants(m);
                    if all.len() > 1 {
                        return Placement::Ambiguous {
                            why: format!(
                                "{} both match {} ({}): pin them by connector as well ([[screen]] monitor)",
                                labels(&all),
                                short(m),
                                if m.unique { "the same serial" } else { "no serial" },
                            ),
                            cover: cover_of(spec),
                        };
                    }
                    return Placement::Shown((*m).clone());
                }
                Claim::Many(ms) => {
                    let connectors: Vec<&str> = ms.iter().map(|m| display_name(m)).collect();
                    return Placement::Ambiguous {
                        why: format!(
                            "{} matches {} monitors ({}) as {} ({}): pin it by connector as well ([[screen]] monitor)",
                            spec.label,
                            ms.len(),
                            connectors.join(", "),
                            short(ms[0]),
                            if ms[0].unique { "the same serial" } else { "no serial" },
                        ),
                        cover: None,
                    };
                }
                Claim::None | Claim::Unpinned => {}
            }
            let Some(m) = by_connector(spec) else {
                return Placement::Missing;
            };
            if spec.identity.is_some() {
                let found = match &m.identity {
                    Some(id) => format!("monitor {id}"),
                    None => "a monitor with no readable identity".to_owned(),
                };
                return Placement::Mismatch {
                    found,
                    cover: cover_of(spec),
                };
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

/// `HDMI-A-1` (its connector when RandR names one), else the monitor's name.
fn display_name(m: &Monitor) -> &str {
    m.connector.as_deref().unwrap_or(&m.name)
}

/// A monitor as the clerk knows it: maker, product and model (`AOP-06A5 "AOC 2470W"`), else its
/// identity.
fn short(m: &Monitor) -> String {
    match (&m.maker, &m.product) {
        (Some(maker), Some(product)) => match &m.model {
            Some(model) => format!("{maker}-{product} \"{model}\""),
            None => format!("{maker}-{product}"),
        },
        _ => m.identity.clone().unwrap_or_else(|| m.name.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mon(name: &str, x: i16, identity: Option<&str>) -> Monitor {
        Monitor {
            identity: identity.map(str::to_owned),
            unique: identity.is_some_and(|i| !i.starts_with("EDID-")),
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
                Placement::Ambiguous { cover, .. } => format!(
                    "ambiguous/{}",
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

    /// Two monitors of one model without a serial (the AOpen pair of #34): one identity.
    fn twins() -> [Monitor; 2] {
        let twin = |name: &str, x| Monitor {
            maker: Some("AOP".into()),
            product: Some("06A5".into()),
            model: Some("AOC 2470W".into()),
            legacy_identity: Some("AOP-06A5-01010101".into()),
            ..mon(name, x, Some("EDID-0011223344556677"))
        };
        [twin("HDMI-A-1", 0), twin("HDMI-A-2", 100)]
    }

    #[test]
    fn an_identity_that_matches_two_monitors_places_neither() {
        let twins = twins();
        // Pinned by identity alone: which twin is the bench cannot be told.
        let bench = screen("bench", "", Some("EDID-0011223344556677"));
        let bench = OutputSpec {
            monitor: None,
            ..bench
        };
        let p = place(&[&bench], &twins);
        assert_eq!(names(&p), ["ambiguous/-"]);
        let Placement::Ambiguous { why, .. } = &p[0] else {
            unreachable!()
        };
        assert!(
            why.contains("BENCH matches 2 monitors (HDMI-A-1, HDMI-A-2)"),
            "{why}"
        );
        assert!(why.contains("AOP-06A5 \"AOC 2470W\" (no serial)"), "{why}");
        assert!(why.contains("pin it by connector"), "{why}");
        // Two screens pinned to the old form of that identity, each with its connector: the
        // connector tells them apart, and each is on its own.
        let mut bench = screen("bench", "HDMI-A-1", Some("AOP-06A5-01010101"));
        bench.label = "BENCH".into();
        let mut public = screen("public", "HDMI-A-2", Some("AOP-06A5-01010101"));
        public.label = "PUBLIC".into();
        assert_eq!(
            names(&place(&[&bench, &public], &twins)),
            ["HDMI-A-1", "HDMI-A-2"]
        );
        // The same pins without connectors: neither screen is used, and an unpinned screen does not
        // take either twin.
        let loose = |s: &OutputSpec| OutputSpec {
            monitor: None,
            ..s.clone()
        };
        let witness = screen("witness", "HDMI-A-2", None);
        assert_eq!(
            names(&place(&[&loose(&bench), &loose(&public), &witness], &twins)),
            ["ambiguous/-", "ambiguous/-", "mismatch/-"]
        );
        // One twin unplugged: the one left is no proof of which screen it is when the screen
        // names another connector.
        assert_eq!(names(&place(&[&public], &twins[..1])), ["missing"]);
        assert_eq!(names(&place(&[&bench], &twins[..1])), ["HDMI-A-1"]);
    }

    #[test]
    fn two_screens_on_one_monitor_are_neither() {
        // Two screens pinned to one monitor (a unique one): neither gets it.
        let only = [mon("HDMI-1", 0, Some("DEL-0001-A"))];
        let mut bench = screen("bench", "HDMI-1", Some("DEL-0001-A"));
        bench.label = "BENCH".into();
        let mut public = screen("public", "HDMI-2", Some("DEL-0001-A"));
        public.label = "PUBLIC".into();
        let p = place(&[&bench, &public], &only);
        assert_eq!(names(&p), ["ambiguous/-", "ambiguous/-"]);
        let Placement::Ambiguous { why, .. } = &p[1] else {
            unreachable!()
        };
        assert!(why.starts_with("BENCH and PUBLIC both match"), "{why}");
        // A monitor with a real serial moved to another connector is still followed; one without
        // a serial is not.
        let moved = [mon("HDMI-2", 0, Some("DEL-0001-A"))];
        assert_eq!(names(&place(&[&bench], &moved)), ["HDMI-2"]);
        let tv = [mon("HDMI-2", 0, Some("EDID-0011223344556677"))];
        let tv_bench = screen("bench", "HDMI-1", Some("EDID-0011223344556677"));
        assert_eq!(names(&place(&[&tv_bench], &tv)), ["missing"]);
        // The same serial under another product code (another input) is the same monitor.
        let other_input = [mon("HDMI-1", 0, Some("DEL-0002-A"))];
        assert_eq!(names(&place(&[&bench], &other_input)), ["HDMI-1"]);
    }
}
