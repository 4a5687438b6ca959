//! Live sources: pictures that do not come from the evidence store (an advocate's laptop casting over
//! SRT, a document camera or an HDMI capture card). The court configures them; they are shown under
//! the same restriction rule as exhibits, narrowed further to the roles the court gave each one.
//!
//! They are not exhibits: no manifest may declare one (`ExhibitKind` has no live kind), nothing of
//! theirs is hashed, and what they can do is decided here, by kind, as an exhibit's is.

use std::collections::BTreeSet;

use crate::exhibit::{InvalidValue, Restriction, safe_segment};
use crate::routing::{OutputRole, RouteRefused, Screen, ScreenId, may_show, plan_route_by};
use crate::text::displayable;

/// Where a live picture comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LiveKind {
    /// A V4L2 device: an HDMI-to-USB capture adapter or a USB document camera (UVC).
    Capture,
    /// An SRT listener a laptop calls (OBS, ffmpeg, VLC).
    Stream,
}

impl LiveKind {
    pub const ALL: [LiveKind; 2] = [LiveKind::Capture, LiveKind::Stream];

    pub fn as_str(self) -> &'static str {
        match self {
            LiveKind::Capture => "capture",
            LiveKind::Stream => "stream",
        }
    }

    pub fn parse(s: &str) -> Result<LiveKind, InvalidValue> {
        LiveKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| InvalidValue::new("kind", format!("{s:?} is not capture or stream")))
    }

    /// What the surface calls it.
    pub fn phrase(self) -> &'static str {
        match self {
            LiveKind::Capture => "capture device",
            LiveKind::Stream => "network stream",
        }
    }
}

/// A configured live source's identifier (`defence-laptop`): what commands and the custody log call it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(String);

impl SourceId {
    pub fn parse(s: &str) -> Result<SourceId, InvalidValue> {
        safe_segment("source", s).map(SourceId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A live source as the court configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSource {
    pub id: SourceId,
    /// The court's name for it ("Defence laptop"): the surface and the "no signal" slate say it.
    pub label: String,
    pub kind: LiveKind,
    pub restriction: Restriction,
    /// The roles that may ever see it; never one the restriction refuses (`LiveSource::new`).
    roles: BTreeSet<OutputRole>,
}

impl LiveSource {
    /// A live source; `roles` `None` gives it every role its restriction allows. A role named that
    /// the restriction refuses is an error, not silently dropped: the configuration says something
    /// the court cannot have.
    pub fn new(
        id: SourceId,
        label: &str,
        kind: LiveKind,
        restriction: Restriction,
        roles: Option<BTreeSet<OutputRole>>,
    ) -> Result<LiveSource, InvalidValue> {
        let label = displayable("label", label)?;
        let roles = match roles {
            None => OutputRole::ALL
                .into_iter()
                .filter(|r| may_show(restriction, *r))
                .collect(),
            Some(roles) => {
                if let Some(r) = roles.iter().find(|r| !may_show(restriction, **r)) {
                    return Err(InvalidValue::new(
                        "roles",
                        format!(
                            "{id}: a {} source may never be seen on a {} screen",
                            restriction.as_str(),
                            r.as_str()
                        ),
                    ));
                }
                if roles.is_empty() {
                    return Err(InvalidValue::new(
                        "roles",
                        format!("{id}: no role may see it, so it could never be shown"),
                    ));
                }
                roles
            }
        };
        Ok(LiveSource {
            id,
            label,
            kind,
            restriction,
            roles,
        })
    }

    pub fn roles(&self) -> &BTreeSet<OutputRole> {
        &self.roles
    }
}

/// May a screen with `role` show `source`? The restriction rule (`may_show`) and the roles the court
/// gave it, both.
pub fn may_show_live(source: &LiveSource, role: OutputRole) -> bool {
    source.roles.contains(&role) && may_show(source.restriction, role)
}

/// Checks a request to show `source` on `requested` screens, like `plan_route` for an exhibit: every
/// screen must be one `may_show_live` allows, or the request is refused whole, naming the others.
pub fn plan_live_route(
    source: &LiveSource,
    requested: &BTreeSet<ScreenId>,
    screens: &[Screen],
) -> Result<BTreeSet<ScreenId>, RouteRefused> {
    plan_route_by(
        requested,
        screens,
        |role| may_show_live(source, role),
        |screens| RouteRefused::LiveRefused {
            label: source.label.clone(),
            restriction: source.restriction.as_str(),
            screens,
        },
    )
}

/// The screens ticked by default when a live source is selected: every screen that may show it.
pub fn default_live_route(source: &LiveSource, screens: &[Screen]) -> BTreeSet<ScreenId> {
    screens
        .iter()
        .filter(|s| may_show_live(source, s.role))
        .map(|s| s.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(
        restriction: Restriction,
        roles: Option<&[OutputRole]>,
    ) -> Result<LiveSource, InvalidValue> {
        LiveSource::new(
            SourceId::parse("defence-laptop").unwrap(),
            "Defence laptop",
            LiveKind::Stream,
            restriction,
            roles.map(|r| r.iter().copied().collect()),
        )
    }

    #[test]
    fn without_roles_a_source_goes_wherever_its_restriction_allows_and_never_further() {
        for restriction in Restriction::ALL {
            let s = source(restriction, None).unwrap();
            for role in OutputRole::ALL {
                assert_eq!(
                    may_show_live(&s, role),
                    may_show(restriction, role),
                    "{restriction:?} on {role:?}"
                );
            }
        }
    }

    #[test]
    fn roles_narrow_it_and_cannot_widen_it() {
        let bench_only = source(Restriction::Open, Some(&[OutputRole::Bench])).unwrap();
        for role in OutputRole::ALL {
            assert_eq!(may_show_live(&bench_only, role), role == OutputRole::Bench);
        }
        let e = source(
            Restriction::NoPublic,
            Some(&[OutputRole::Bench, OutputRole::PublicGallery]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("public_gallery"), "{e}");
        assert!(source(Restriction::Open, Some(&[])).is_err());
    }

    #[test]
    fn kinds_and_ids_parse_back_and_refuse_the_rest() {
        for k in LiveKind::ALL {
            assert_eq!(LiveKind::parse(k.as_str()), Ok(k));
        }
        assert!(LiveKind::parse("webcam").is_err());
        assert!(SourceId::parse("../etc").is_err());
        assert!(
            LiveSource::new(
                SourceId::parse("x").unwrap(),
                "Bad\u{202e}label",
                LiveKind::Capture,
                Restriction::Open,
                None
            )
            .is_err()
        );
    }
}
