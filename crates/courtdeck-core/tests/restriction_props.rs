//! Property tests of the restriction rule: random courtrooms (any mix of screen roles), random
//! manifests (any restrictions), random live sources (any restriction, any roles the court gave them)
//! and random sequences of what an advocate (or a forged request) can do. After every step, no screen
//! shows an exhibit its role may not see, nor a live source its role was not given. Cases: `PROPTEST_CASES` (default
//! 2000 sequences of up to 40 steps).

use std::collections::BTreeSet;
use std::time::Duration;

use courtdeck_core::{
    Exhibit, ExhibitKind, ExhibitRef, Item, LiveKind, LiveSource, OutputRole, Presentation,
    Restriction, Screen, ScreenId, Sha256Digest, Shown, SourceId, Transport, may_show,
    may_show_live, plan_route,
};
use proptest::prelude::*;

fn restriction() -> impl Strategy<Value = Restriction> {
    prop_oneof![
        Just(Restriction::Open),
        Just(Restriction::NoPublic),
        Just(Restriction::BenchOnly)
    ]
}

fn role() -> impl Strategy<Value = OutputRole> {
    (0..OutputRole::ALL.len()).prop_map(|i| OutputRole::ALL[i])
}

#[derive(Debug, Clone)]
enum Step {
    Select(usize),
    /// Present to the screens whose bits are set (any subset, forbidden ones included).
    Present(u16),
    Blank(usize, bool),
    BlankAll,
    Withdraw,
    Play,
    Hold(bool),
    PlayoutLost,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..8usize).prop_map(Step::Select),
        4 => any::<u16>().prop_map(Step::Present),
        1 => (0..8usize, any::<bool>()).prop_map(|(s, b)| Step::Blank(s, b)),
        1 => Just(Step::BlankAll),
        1 => Just(Step::Withdraw),
        1 => Just(Step::Play),
        1 => any::<bool>().prop_map(Step::Hold),
        1 => Just(Step::PlayoutLost),
    ]
}

fn exhibit(i: usize, restriction: Restriction) -> Exhibit {
    Exhibit {
        reference: ExhibitRef::parse(&format!("PT/{}", i + 1)).unwrap(),
        title: format!("exhibit {i}"),
        kind: ExhibitKind::Video,
        media_type: "video/mp4".into(),
        size: 1,
        sha256: Sha256Digest::from_bytes([i as u8; 32]),
        restriction,
        duration: Some(Duration::from_secs(10)),
        clips: vec![],
        pages: vec![],
        derived_from: None,
        transcript: None,
        provenance: None,
    }
}

/// A live source with `restriction` and the roles whose bits are set in `roles` that the restriction
/// allows (none of them: every role it allows).
fn source(i: usize, restriction: Restriction, roles: u8) -> LiveSource {
    let given: BTreeSet<OutputRole> = OutputRole::ALL
        .into_iter()
        .enumerate()
        .filter(|(b, r)| roles & (1 << b) != 0 && may_show(restriction, *r))
        .map(|(_, r)| r)
        .collect();
    LiveSource::new(
        SourceId::parse(&format!("source-{i}")).unwrap(),
        &format!("Source {i}"),
        LiveKind::Stream,
        restriction,
        (!given.is_empty()).then_some(given),
    )
    .unwrap()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn no_sequence_of_requests_puts_an_exhibit_on_a_screen_that_may_not_see_it(
        roles in prop::collection::vec(role(), 1..8),
        restrictions in prop::collection::vec(restriction(), 1..8),
        live in prop::collection::vec((restriction(), any::<u8>()), 0..3),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let screens: Vec<Screen> = roles
            .iter()
            .enumerate()
            .map(|(i, &role)| Screen {
                id: ScreenId::parse(&format!("s{i}")).unwrap(),
                label: format!("S{i}"),
                role,
            })
            .collect();
        let exhibits: Vec<Exhibit> = restrictions
            .iter()
            .enumerate()
            .map(|(i, &r)| exhibit(i, r))
            .collect();
        let sources: Vec<LiveSource> = live
            .iter()
            .enumerate()
            .map(|(i, &(r, roles))| source(i, r, roles))
            .collect();
        let item = |shown: &Shown| -> Item<'_> {
            match shown {
                Shown::Exhibit(r) => Item::Exhibit(exhibits.iter().find(|e| &e.reference == r).unwrap()),
                Shown::Live(id) => Item::Live(sources.iter().find(|s| &s.id == id).unwrap()),
            }
        };
        let allowed_on = |item: Item<'_>, role: OutputRole| match item {
            Item::Exhibit(e) => may_show(e.restriction, role),
            Item::Live(s) => may_show_live(s, role),
        };
        let mut p = Presentation::default();
        for step in steps {
            match step {
                Step::Select(i) => {
                    let i = i % (exhibits.len() + sources.len());
                    match exhibits.get(i) {
                        Some(e) => p.select(e.reference.clone()),
                        None => p.select(Shown::Live(sources[i - exhibits.len()].id.clone())),
                    }
                }
                Step::Present(bits) => {
                    let requested: BTreeSet<ScreenId> = screens
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| bits & (1 << i) != 0)
                        .map(|(_, s)| s.id.clone())
                        .collect();
                    let target = p.cued().or(p.on_air().map(|o| &o.shown)).cloned();
                    if let Some(t) = target {
                        let e = item(&t);
                        let allowed = requested.iter().all(|id| {
                            allowed_on(e, screens.iter().find(|s| &s.id == id).unwrap().role)
                        });
                        let result = p.present(e, &requested, &screens).map(|o| o.screens.clone());
                        // Accepted exactly when every requested screen may show it; never trimmed.
                        match result {
                            Ok(routed) => prop_assert!(allowed && routed == requested),
                            Err(_) => prop_assert!(!allowed || requested.is_empty()),
                        }
                    }
                }
                Step::Blank(s, b) => {
                    let s = s % screens.len();
                    p.set_blank(screens[s].id.clone(), b);
                }
                Step::BlankAll => p.blank_all(&screens),
                Step::Withdraw => {
                    let _ = p.withdraw();
                }
                Step::Play => {
                    let _ = p.set_transport(Transport::Playing);
                }
                Step::Hold(h) => {
                    let _ = p.hold(h);
                }
                Step::PlayoutLost => p.playout_lost(),
            }
            for s in &screens {
                if let Some(shown) = p.showing(&s.id) {
                    let e = item(shown);
                    prop_assert!(
                        allowed_on(e, s.role),
                        "{} ({}) shows {} ({})", s.label, s.role.as_str(), shown, e.restriction().as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn plan_route_accepts_exactly_the_allowed_requests(
        roles in prop::collection::vec(role(), 1..10),
        restriction in restriction(),
        bits in any::<u16>(),
    ) {
        let screens: Vec<Screen> = roles
            .iter()
            .enumerate()
            .map(|(i, &role)| Screen { id: ScreenId::parse(&format!("s{i}")).unwrap(), label: format!("S{i}"), role })
            .collect();
        let requested: BTreeSet<ScreenId> = screens
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, s)| s.id.clone())
            .collect();
        let forbidden: Vec<&Screen> = screens
            .iter()
            .filter(|s| requested.contains(&s.id) && !may_show(restriction, s.role))
            .collect();
        match plan_route(restriction, &requested, &screens) {
            Ok(route) => prop_assert!(forbidden.is_empty() && route == requested),
            Err(e) => {
                prop_assert!(!forbidden.is_empty());
                for s in forbidden {
                    prop_assert!(e.to_string().contains(&s.label), "{e} names {}", s.label);
                }
            }
        }
        // The public gallery never sees anything but open exhibits.
        prop_assert_eq!(may_show(restriction, OutputRole::PublicGallery), restriction == Restriction::Open);
    }
}

#[test]
fn reliability_line() {
    println!(
        "RELIABILITY|custody|no_sequence_of_requests_puts_an_exhibit_on_a_screen_that_may_not_see_it + plan_route_accepts_exactly_the_allowed_requests|restriction rule over random courtrooms, manifests and request sequences (proptest)|{}",
        cases() * 2
    );
}
