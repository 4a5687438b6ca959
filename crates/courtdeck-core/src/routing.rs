//! Screen roles and the restriction rule.
//!
//! | role              | open | no_public | bench_only |
//! |-------------------|------|-----------|------------|
//! | bench             | yes  | yes       | yes        |
//! | legal_adviser     | yes  | yes       | yes        |
//! | witness           | yes  | yes       | no         |
//! | prosecution       | yes  | yes       | no         |
//! | defence           | yes  | yes       | no         |
//! | video_link        | yes  | yes       | no         |
//! | public_gallery    | yes  | never     | never      |
//!
//! `video_link` is what a remote participant on the court's video link (CVP) sees: a witness or a
//! defendant taking part from elsewhere, a party to the hearing like the witness box, so it sees what
//! the witness screen may (never a `bench_only` exhibit). The link is not the public gallery: a court
//! that streams to the public gives that stream the `public_gallery` role.
//!
//! Architecture invariant: this table is the only place the rule is written. The facade asks
//! `plan_route` before anything reaches playout, and the playout process asks `may_show` again before it
//! links a screen (defence in depth).

use std::collections::BTreeSet;

use crate::exhibit::{InvalidValue, Restriction, safe_segment};

/// What a physical screen is for. Decides which exhibits it may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputRole {
    Bench,
    LegalAdviser,
    Witness,
    Prosecution,
    Defence,
    /// The court's video link to a remote participant (a witness or defendant on CVP).
    VideoLink,
    PublicGallery,
}

impl OutputRole {
    pub const ALL: [OutputRole; 7] = [
        OutputRole::Bench,
        OutputRole::LegalAdviser,
        OutputRole::Witness,
        OutputRole::Prosecution,
        OutputRole::Defence,
        OutputRole::VideoLink,
        OutputRole::PublicGallery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputRole::Bench => "bench",
            OutputRole::LegalAdviser => "legal_adviser",
            OutputRole::Witness => "witness",
            OutputRole::Prosecution => "prosecution",
            OutputRole::Defence => "defence",
            OutputRole::VideoLink => "video_link",
            OutputRole::PublicGallery => "public_gallery",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        OutputRole::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            InvalidValue::new(
                "role",
                format!(
                    "{s:?} is not one of bench, legal_adviser, witness, prosecution, defence, video_link, public_gallery"
                ),
            )
        })
    }
}

/// May a screen with `role` show an exhibit with `restriction`? The whole rule.
///
/// Written as one exhaustive table with no wildcard: a role or a restriction added to its enum does
/// not compile until someone decides, here, what it may see. A rule written as "every role except…"
/// would let tomorrow's role see a `no_public` exhibit; this one refuses by default.
pub fn may_show(restriction: Restriction, role: OutputRole) -> bool {
    use OutputRole::*;
    use Restriction::*;
    match (restriction, role) {
        (
            Open,
            Bench | LegalAdviser | Witness | Prosecution | Defence | VideoLink | PublicGallery,
        ) => true,
        (NoPublic, Bench | LegalAdviser | Witness | Prosecution | Defence | VideoLink) => true,
        (NoPublic, PublicGallery) => false,
        (BenchOnly, Bench | LegalAdviser) => true,
        (BenchOnly, Witness | Prosecution | Defence | VideoLink | PublicGallery) => false,
    }
}

/// A configured screen's identifier (`bench`, `public`): a safe, stable name used in commands and logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScreenId(String);

impl ScreenId {
    pub fn parse(s: &str) -> Result<ScreenId, InvalidValue> {
        safe_segment("screen", s).map(ScreenId)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ScreenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A configured screen: its id, the label shown to users (`BENCH`), and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub id: ScreenId,
    pub label: String,
    pub role: OutputRole,
}

/// A refused routing request, naming every screen that may not see the exhibit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteRefused {
    #[error("this exhibit is {restriction} and may not be shown on {}", screens.join(", "))]
    Restricted {
        restriction: &'static str,
        screens: Vec<String>,
    },
    #[error("there is no screen called {0}")]
    UnknownScreen(String),
    /// A live source asked for a screen the court did not give it (its roles), or its restriction
    /// refuses.
    #[error("{label} is live ({restriction}) and may not be shown on {}: the court has not allowed it there", screens.join(", "))]
    LiveRefused {
        label: String,
        restriction: &'static str,
        screens: Vec<String>,
    },
}

/// Checks a request to show an exhibit with `restriction` on `requested` screens out of `screens`.
/// Either every requested screen may show it, or the request is refused whole: a partial route could
/// surprise the advocate, who believes the public gallery is showing what the bench sees.
pub fn plan_route(
    restriction: Restriction,
    requested: &BTreeSet<ScreenId>,
    screens: &[Screen],
) -> Result<BTreeSet<ScreenId>, RouteRefused> {
    plan_route_by(
        requested,
        screens,
        |role| may_show(restriction, role),
        |screens| RouteRefused::Restricted {
            restriction: restriction.as_str(),
            screens,
        },
    )
}

/// The one shape of every route check: each requested screen must exist and have a role `allowed`
/// lets see it, or the request is refused whole with the labels of the others (`refused`).
pub(crate) fn plan_route_by(
    requested: &BTreeSet<ScreenId>,
    screens: &[Screen],
    allowed: impl Fn(OutputRole) -> bool,
    refused: impl FnOnce(Vec<String>) -> RouteRefused,
) -> Result<BTreeSet<ScreenId>, RouteRefused> {
    let mut forbidden = Vec::new();
    for id in requested {
        let screen = screens
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| RouteRefused::UnknownScreen(id.to_string()))?;
        if !allowed(screen.role) {
            forbidden.push(screen.label.clone());
        }
    }
    if forbidden.is_empty() {
        Ok(requested.clone())
    } else {
        Err(refused(forbidden))
    }
}

/// The screens ticked by default when an exhibit is selected: every screen that may show it.
pub fn default_route(restriction: Restriction, screens: &[Screen]) -> BTreeSet<ScreenId> {
    screens
        .iter()
        .filter(|s| may_show(restriction, s.role))
        .map(|s| s.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screens() -> Vec<Screen> {
        OutputRole::ALL
            .into_iter()
            .map(|role| Screen {
                id: ScreenId::parse(role.as_str()).unwrap(),
                label: role.as_str().to_uppercase(),
                role,
            })
            .collect()
    }

    /// The table as the module's documentation states it, written per role with an exhaustive match
    /// (a new role fails to compile here too), checked for every role and every restriction.
    #[test]
    fn the_table() {
        use OutputRole::*;
        fn expected(role: OutputRole) -> [bool; 3] {
            // open, no_public, bench_only
            match role {
                Bench | LegalAdviser => [true, true, true],
                Witness | Prosecution | Defence | VideoLink => [true, true, false],
                PublicGallery => [true, false, false],
            }
        }
        for role in OutputRole::ALL {
            for (restriction, allowed) in Restriction::ALL.into_iter().zip(expected(role)) {
                assert_eq!(
                    may_show(restriction, role),
                    allowed,
                    "{} on {}",
                    restriction.as_str(),
                    role.as_str()
                );
            }
        }
    }

    /// `ALL` lists every role once, in a stable order, and each parses back from its name: a role
    /// missing from `ALL` could not be configured at all (refused, not allowed).
    #[test]
    fn every_role_is_listed_once_and_parses() {
        let names: BTreeSet<_> = OutputRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), OutputRole::ALL.len());
        for role in OutputRole::ALL {
            assert_eq!(OutputRole::parse(role.as_str()), Ok(role));
        }
        for restriction in Restriction::ALL {
            assert_eq!(Restriction::parse(restriction.as_str()), Ok(restriction));
        }
    }

    #[test]
    fn a_route_with_one_forbidden_screen_is_refused_whole() {
        let all: BTreeSet<_> = screens().into_iter().map(|s| s.id).collect();
        let err = plan_route(Restriction::NoPublic, &all, &screens()).unwrap_err();
        assert_eq!(
            err,
            RouteRefused::Restricted {
                restriction: "no_public",
                screens: vec!["PUBLIC_GALLERY".into()]
            }
        );
        let bench_only = plan_route(Restriction::BenchOnly, &all, &screens()).unwrap_err();
        assert!(
            matches!(bench_only, RouteRefused::Restricted { screens, .. } if screens.len() == 5)
        );
        assert_eq!(
            plan_route(Restriction::Open, &all, &screens()).unwrap(),
            all
        );
    }

    #[test]
    fn unknown_screens_are_refused() {
        let req = BTreeSet::from([ScreenId::parse("ceiling").unwrap()]);
        assert!(matches!(
            plan_route(Restriction::Open, &req, &screens()),
            Err(RouteRefused::UnknownScreen(_))
        ));
    }

    /// Exhaustive over every subset of screens and every restriction: an accepted route never contains
    /// a screen the table forbids, and a refused one always contains one.
    #[test]
    fn plan_route_agrees_with_the_table_for_every_request() {
        let screens = screens();
        for restriction in Restriction::ALL {
            for mask in 0u32..(1 << screens.len()) {
                let requested: BTreeSet<_> = screens
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, s)| s.id.clone())
                    .collect();
                let forbidden = screens
                    .iter()
                    .any(|s| requested.contains(&s.id) && !may_show(restriction, s.role));
                assert_eq!(
                    plan_route(restriction, &requested, &screens).is_err(),
                    forbidden
                );
            }
            let default = default_route(restriction, &screens);
            assert!(plan_route(restriction, &default, &screens).is_ok());
        }
    }
}
