use std::time::Duration;

use super::*;
use crate::{ExhibitKind, OutputRole, Restriction, Sha256Digest};

fn screens() -> Vec<Screen> {
    [
        ("bench", OutputRole::Bench),
        ("public", OutputRole::PublicGallery),
    ]
    .into_iter()
    .map(|(id, role)| Screen {
        id: ScreenId::parse(id).unwrap(),
        label: id.to_uppercase(),
        role,
    })
    .collect()
}

fn exhibit(reference: &str, restriction: Restriction) -> Exhibit {
    Exhibit {
        reference: ExhibitRef::parse(reference).unwrap(),
        title: "t".into(),
        kind: ExhibitKind::Video,
        media_type: "video/mp4".into(),
        size: 1,
        sha256: Sha256Digest::from_bytes([0; 32]),
        restriction,
        duration: Some(Duration::from_secs(10)),
        clips: vec![],
        pages: vec![],
        derived_from: None,
        transcript: None,
        provenance: None,
    }
}

#[test]
fn side_by_side_needs_every_screen_allowed_both_and_two_recordings() {
    let ids = |v: &[&str]| -> BTreeSet<ScreenId> {
        v.iter().map(|s| ScreenId::parse(s).unwrap()).collect()
    };
    let angle1 = exhibit("JS/1", Restriction::Open);
    let angle2 = exhibit("JS/2", Restriction::Open);
    let bwv = exhibit("JS/3", Restriction::NoPublic);
    let mut still = exhibit("JS/4", Restriction::Open);
    still.kind = ExhibitKind::Image;
    let mut p = Presentation::default();
    assert_eq!(
        p.set_beside(&angle1, Some((&angle2, 0)), &screens()),
        Err(PresentationError::NothingPresented)
    );
    p.select(angle1.reference.clone());
    p.present(&angle1, &ids(&["bench", "public"]), &screens())
        .unwrap();
    p.zoom(ZoomStep::In).unwrap();

    // A no_public recording cannot join one the public gallery sees: refused whole, nothing changes.
    let before = p.clone();
    let e = p
        .set_beside(&angle1, Some((&bwv, 500)), &screens())
        .unwrap_err();
    assert_eq!(
        e,
        PresentationError::BesideRefused {
            exhibit: "JS/3".into(),
            restriction: "no_public",
            screens: vec!["PUBLIC".into()],
        }
    );
    assert_eq!(p, before);
    // Neither a still nor the same exhibit, nor clocks more than a day apart.
    assert!(matches!(
        p.set_beside(&angle1, Some((&still, 0)), &screens()),
        Err(PresentationError::SideBySide(m)) if m.contains("JS/4 is a still picture")
    ));
    assert!(matches!(
        p.set_beside(&angle1, Some((&angle1, 0)), &screens()),
        Err(PresentationError::SideBySide(_))
    ));
    assert!(matches!(
        p.set_beside(
            &angle1,
            Some((&angle2, MAX_BESIDE_OFFSET_MS + 1)),
            &screens()
        ),
        Err(PresentationError::SideBySide(_))
    ));
    assert_eq!(p, before);

    // Two open angles: side by side on both screens; the zoom goes back to the whole picture.
    p.set_beside(&angle1, Some((&angle2, -1500)), &screens())
        .unwrap();
    let on = p.on_air().unwrap();
    assert_eq!(on.zoom, Zoom::default());
    assert_eq!(
        on.beside,
        Some(Beside {
            exhibit: angle2.reference.clone(),
            restriction: Restriction::Open,
            offset_ms: -1500
        })
    );
    assert_eq!(on.restriction(angle1.restriction), Restriction::Open);
    // A new offset for the same exhibit keeps the zoom.
    p.zoom(ZoomStep::In).unwrap();
    p.set_beside(&angle1, Some((&angle2, 40)), &screens())
        .unwrap();
    assert_ne!(p.on_air().unwrap().zoom, Zoom::default());
    assert_eq!(p.on_air().unwrap().beside.as_ref().unwrap().offset_ms, 40);

    // Re-routing keeps it; withdrawing to the bench first lets a no_public one beside it, and
    // then the public gallery cannot be added back while it is there.
    p.present(&angle1, &ids(&["bench"]), &screens()).unwrap();
    assert!(p.on_air().unwrap().beside.is_some());
    p.set_beside(&angle1, Some((&bwv, 0)), &screens()).unwrap();
    assert_eq!(
        p.on_air().unwrap().restriction(angle1.restriction),
        Restriction::NoPublic
    );
    let before = p.clone();
    assert!(matches!(
        p.present(&angle1, &ids(&["bench", "public"]), &screens()),
        Err(PresentationError::BesideRefused { .. })
    ));
    assert_eq!(p, before);

    // Alone again; a new exhibit presented never inherits the one beside.
    p.set_beside(&angle1, None, &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().beside, None);
    p.set_beside(&angle1, Some((&angle2, 0)), &screens())
        .unwrap();
    p.select(bwv.reference.clone());
    p.present(&bwv, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().beside, None);
}

#[test]
fn captions_follow_the_transcripts_restriction_not_the_recordings() {
    use crate::transcript::TranscriptRef;
    let ids = |v: &[&str]| -> BTreeSet<ScreenId> {
        v.iter().map(|s| ScreenId::parse(s).unwrap()).collect()
    };
    // An open recording whose transcript is for the bench only.
    let mut interview = exhibit("JS/2", Restriction::Open);
    let plain = exhibit("JS/3", Restriction::Open);
    interview.transcript = Some(TranscriptRef {
        sha256: Sha256Digest::from_bytes([1; 32]),
        size: 10,
        restriction: Restriction::BenchOnly,
    });
    let mut p = Presentation::default();
    assert!(matches!(
        p.set_captions(&interview, &ids(&["bench"]), &screens()),
        Err(PresentationError::NothingPresented)
    ));
    p.select(interview.reference.clone());
    p.present(&interview, &ids(&["bench", "public"]), &screens())
        .unwrap();
    let refused = p
        .set_captions(&interview, &ids(&["bench", "public"]), &screens())
        .unwrap_err();
    assert!(matches!(refused, PresentationError::CaptionsRefused { .. }));
    assert!(refused.to_string().contains("PUBLIC"), "{refused}");
    assert!(p.on_air().unwrap().captions.is_empty(), "refused whole");
    p.set_captions(&interview, &ids(&["bench"]), &screens())
        .unwrap();
    assert_eq!(p.on_air().unwrap().captions, ids(&["bench"]));
    // Re-routed off the bench: its captions go with it, and do not come back by themselves.
    p.present(&interview, &ids(&["public"]), &screens())
        .unwrap();
    assert!(p.on_air().unwrap().captions.is_empty());
    assert!(matches!(
        p.set_captions(&interview, &ids(&["bench"]), &screens()),
        Err(PresentationError::CaptionsOffScreen(_))
    ));
    p.present(&interview, &ids(&["bench", "public"]), &screens())
        .unwrap();
    p.set_captions(&interview, &ids(&["bench"]), &screens())
        .unwrap();
    // Blank takes them down, unblank does not bring them back.
    p.set_blank(ScreenId::parse("bench").unwrap(), true);
    p.set_blank(ScreenId::parse("bench").unwrap(), false);
    assert!(p.on_air().unwrap().captions.is_empty());
    p.set_captions(&interview, &ids(&["bench"]), &screens())
        .unwrap();
    p.blank_all(&screens());
    assert!(p.on_air().unwrap().captions.is_empty());
    // A recording without a transcript has none to show.
    p.select(plain.reference.clone());
    p.present(&plain, &ids(&["bench"]), &screens()).unwrap();
    assert!(matches!(
        p.set_captions(&plain, &ids(&["bench"]), &screens()),
        Err(PresentationError::NoTranscript(_))
    ));
    p.set_captions(&plain, &BTreeSet::new(), &screens())
        .unwrap();
}

#[test]
fn strokes_mark_a_still_frame_and_go_when_it_changes() {
    use crate::annotation::{Stroke, Tool};
    let circle = || vec![Stroke::new(Tool::Pen, vec![(100, 100), (200, 200)]).unwrap()];
    let video = exhibit("JS/1", Restriction::NoPublic);
    let mut doc = exhibit("JS/5", Restriction::NoPublic);
    doc.kind = ExhibitKind::Document;
    doc.pages = vec![crate::PageSize::from_points(595.0, 842.0).unwrap(); 2];
    let mut p = Presentation::default();
    assert_eq!(
        p.annotate(&video, circle()),
        Err(PresentationError::NothingPresented)
    );
    p.select(video.reference.clone());
    p.present(&video, &ids(&["bench"]), &screens()).unwrap();
    p.annotate(&video, circle()).unwrap();
    assert_eq!(p.on_air().unwrap().strokes.len(), 1, "on a paused frame");
    p.set_transport(Transport::Playing).unwrap();
    assert!(
        p.on_air().unwrap().strokes.is_empty(),
        "playing clears them"
    );
    assert!(
        matches!(
            p.annotate(&video, circle()),
            Err(PresentationError::Annotation(_))
        ),
        "not on a playing recording"
    );
    p.set_transport(Transport::Paused).unwrap();
    p.annotate(&video, circle()).unwrap();
    p.frame_changed();
    assert!(
        p.on_air().unwrap().strokes.is_empty(),
        "a seek or a step clears them"
    );
    p.annotate(&video, circle()).unwrap();
    p.set_blank(ScreenId::parse("bench").unwrap(), true);
    assert!(
        p.on_air().unwrap().strokes.is_empty(),
        "a blank clears them"
    );

    p.select(doc.reference.clone());
    p.present(&doc, &ids(&["bench"]), &screens()).unwrap();
    p.annotate(&doc, circle()).unwrap();
    p.zoom(ZoomStep::In).unwrap();
    assert_eq!(p.on_air().unwrap().strokes.len(), 1, "zoom keeps them");
    p.present(&doc, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(
        p.on_air().unwrap().strokes.len(),
        1,
        "re-routing keeps them"
    );
    p.turn_page(PageTurn::Next, &doc).unwrap();
    assert!(
        p.on_air().unwrap().strokes.is_empty(),
        "a new page has none"
    );
    p.annotate(&doc, circle()).unwrap();
    p.annotate(&doc, vec![]).unwrap();
    assert!(p.on_air().unwrap().strokes.is_empty(), "clear");
}

#[test]
fn pages_turn_within_the_document_and_survive_a_reroute() {
    let mut doc = exhibit("JS/5", Restriction::NoPublic);
    doc.kind = ExhibitKind::Document;
    doc.duration = None;
    doc.pages = vec![crate::PageSize::from_points(595.0, 842.0).unwrap(); 3];
    let video = exhibit("JS/1", Restriction::Open);
    let mut p = Presentation::default();
    assert_eq!(
        p.turn_page(PageTurn::Next, &doc),
        Err(PresentationError::NothingPresented)
    );
    p.select(doc.reference.clone());
    p.present(&doc, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().page, 1);
    assert_eq!(
        p.turn_page(PageTurn::Previous, &doc),
        Err(PresentationError::NoSuchPage { page: 0, pages: 3 })
    );
    p.zoom(ZoomStep::In).unwrap();
    assert_eq!(
        p.turn_page(PageTurn::Next, &doc).unwrap(),
        (2, Zoom::default())
    );
    p.zoom(ZoomStep::FitWidth).unwrap();
    p.zoom(ZoomStep::Down).unwrap();
    let (page, view) = p.turn_page(PageTurn::To(3), &doc).unwrap();
    assert_eq!(page, 3);
    assert!(view.is_fit_width() && view.scroll() == 0.0, "{view:?}");
    assert_eq!(
        p.turn_page(PageTurn::Next, &doc),
        Err(PresentationError::NoSuchPage { page: 4, pages: 3 }),
        "the last page does not wrap to the first"
    );
    assert_eq!(
        p.on_air().unwrap().page,
        3,
        "a refused turn changes nothing"
    );
    p.present(&doc, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().page, 3, "re-routed, the page stays");
    p.select(video.reference.clone());
    p.present(&video, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().page, 1);
    assert_eq!(
        p.turn_page(PageTurn::Next, &video),
        Err(PresentationError::NotADocument)
    );
}

fn ids(names: &[&str]) -> BTreeSet<ScreenId> {
    names.iter().map(|n| ScreenId::parse(n).unwrap()).collect()
}

#[test]
fn speed_follows_the_exhibit_on_air() {
    let (js1, js2) = (
        exhibit("JS/1", Restriction::Open),
        exhibit("JS/2", Restriction::Open),
    );
    let mut p = Presentation::default();
    assert!(p.set_speed(Speed::FASTEST).is_err(), "nothing on air");
    p.select(js1.reference.clone());
    p.present(&js1, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().speed, Speed::NORMAL);
    p.set_speed(Speed::from_rate(2.0).unwrap()).unwrap();
    // Re-routed, the same exhibit keeps its speed; the next exhibit starts as recorded.
    p.present(&js1, &ids(&["bench", "public"]), &screens())
        .unwrap();
    assert_eq!(p.on_air().unwrap().speed.rate(), 2.0);
    p.select(js2.reference.clone());
    p.present(&js2, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.on_air().unwrap().speed, Speed::NORMAL);
    assert_eq!(Speed::from_rate(0.25), Some(Speed::SLOWEST));
    assert_eq!(Speed::from_rate(0.2), None);
    assert_eq!(Speed::from_rate(2.5), None);
    assert_eq!(Speed::from_rate(f64::NAN), None);
}

#[test]
fn controls_follow_the_kind() {
    let video = ExhibitKind::Video.controls();
    assert!(video.transport && video.step && video.speed && video.sound && video.zoom);
    let audio = ExhibitKind::Audio.controls();
    assert!(audio.transport && audio.sound && audio.seek && !audio.zoom);
    let document = ExhibitKind::Document.controls();
    assert!(document.pages && document.zoom && !document.transport && !document.sound);
    assert!(!ExhibitKind::Video.controls().pages);
    let image = ExhibitKind::Image.controls();
    assert!(image.zoom && !image.transport && !image.sound && !image.seek && !image.speed);
}

#[test]
fn select_present_switch_withdraw() {
    let (js1, js2) = (
        exhibit("JS/1", Restriction::Open),
        exhibit("JS/2", Restriction::Open),
    );
    let mut p = Presentation::default();
    assert!(matches!(
        p.present(&js1, &ids(&["bench"]), &screens()),
        Err(PresentationError::NothingSelected)
    ));

    p.select(js1.reference.clone());
    assert_eq!(p.state_of(&shown(&js1)), PresentationState::Prerolled);
    assert_eq!(
        p.showing(&ids(&["bench"]).pop_first().unwrap()),
        None,
        "prerolled is invisible"
    );

    p.present(&js1, &ids(&["bench", "public"]), &screens())
        .unwrap();
    assert_eq!(
        p.state_of(&shown(&js1)),
        PresentationState::Presented(Transport::Paused)
    );
    p.set_transport(Transport::Playing).unwrap();

    // Cue the next exhibit behind the one on air; the screens keep showing JS/1.
    p.select(js2.reference.clone());
    assert_eq!(
        p.showing(&ScreenId::parse("public").unwrap()),
        Some(&shown(&js1))
    );
    p.present(&js2, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.state_of(&shown(&js1)), PresentationState::Withdrawn);
    assert_eq!(p.showing(&ScreenId::parse("public").unwrap()), None);

    assert_eq!(p.withdraw().unwrap(), js2.reference);
    assert_eq!(p.showing(&ScreenId::parse("bench").unwrap()), None);
    assert!(matches!(
        p.withdraw(),
        Err(PresentationError::NothingPresented)
    ));
}

#[test]
fn a_blanked_screen_stays_blank_across_presentations() {
    let js1 = exhibit("JS/1", Restriction::Open);
    let public = ScreenId::parse("public").unwrap();
    let mut p = Presentation::default();
    p.set_blank(public.clone(), true);
    p.select(js1.reference.clone());
    p.present(&js1, &ids(&["bench", "public"]), &screens())
        .unwrap();
    assert_eq!(p.showing(&public), None);
    assert_eq!(
        p.showing(&ScreenId::parse("bench").unwrap()),
        Some(&shown(&js1))
    );
    p.set_blank(public.clone(), false);
    assert_eq!(p.showing(&public), Some(&shown(&js1)));
}

#[test]
fn restricted_exhibits_never_reach_public() {
    let abe = exhibit("JS/3", Restriction::NoPublic);
    let mut p = Presentation::default();
    p.select(abe.reference.clone());
    let err = p
        .present(&abe, &ids(&["bench", "public"]), &screens())
        .unwrap_err();
    assert!(matches!(
        err,
        PresentationError::Refused(RouteRefused::Restricted { .. })
    ));
    assert_eq!(p.on_air(), None, "a refused route changes nothing");
    assert_eq!(p.state_of(&shown(&abe)), PresentationState::Prerolled);
}

#[test]
fn playout_loss_goes_idle_and_keeps_the_blanks() {
    let js1 = exhibit("JS/1", Restriction::Open);
    let mut p = Presentation::default();
    p.select(js1.reference.clone());
    p.present(&js1, &ids(&["bench"]), &screens()).unwrap();
    let public = ids(&["public"]).into_iter().next().unwrap();
    p.set_blank(public.clone(), true);
    p.playout_lost();
    assert_eq!(p.state_of(&shown(&js1)), PresentationState::Idle);
    assert_eq!(p.on_air(), None, "nothing resumes by itself");
    assert_eq!(p.blanked().iter().collect::<Vec<_>>(), vec![&public]);
}

#[test]
fn zoom_is_kept_when_rerouted_and_reset_for_another_exhibit() {
    let (js1, js2) = (
        exhibit("JS/1", Restriction::Open),
        exhibit("JS/2", Restriction::Open),
    );
    let mut p = Presentation::default();
    assert_eq!(
        p.zoom(ZoomStep::In),
        Err(PresentationError::NothingPresented)
    );
    p.select(js1.reference.clone());
    p.present(&js1, &ids(&["bench"]), &screens()).unwrap();
    let z = p.zoom(ZoomStep::In).unwrap();
    assert!(!z.is_whole());
    p.present(&js1, &ids(&["bench", "public"]), &screens())
        .unwrap();
    assert_eq!(p.on_air().unwrap().zoom, z);
    p.select(js2.reference.clone());
    p.present(&js2, &ids(&["bench"]), &screens()).unwrap();
    assert!(p.on_air().unwrap().zoom.is_whole());
}

fn shown(e: &Exhibit) -> Shown {
    Shown::Exhibit(e.reference.clone())
}

fn laptop(restriction: Restriction, roles: Option<&[OutputRole]>) -> crate::LiveSource {
    crate::LiveSource::new(
        SourceId::parse("defence-laptop").unwrap(),
        "Defence laptop",
        crate::LiveKind::Stream,
        restriction,
        roles.map(|r| r.iter().copied().collect()),
    )
    .unwrap()
}

#[test]
fn a_live_source_is_shown_under_its_roles_and_refused_whole_beyond_them() {
    let bench_only = laptop(Restriction::Open, Some(&[OutputRole::Bench]));
    let mut p = Presentation::default();
    p.select(Shown::Live(bench_only.id.clone()));
    assert_eq!(
        p.state_of(&Shown::parse("live:defence-laptop").unwrap()),
        PresentationState::Prerolled
    );
    // Open by restriction, but the court gave it the bench alone: public is refused, nothing moves.
    let e = p
        .present(&bench_only, &ids(&["bench", "public"]), &screens())
        .unwrap_err();
    assert!(
        matches!(&e, PresentationError::Refused(RouteRefused::LiveRefused { screens, .. }) if screens == &["PUBLIC"]),
        "{e:?}"
    );
    assert!(e.to_string().contains("Defence laptop"), "{e}");
    assert_eq!(p.on_air(), None);

    let on = p
        .present(&bench_only, &ids(&["bench"]), &screens())
        .unwrap();
    assert_eq!(on.transport, Transport::Playing, "live is live at once");
    assert_eq!(on.exhibit(), None);
    assert_eq!(
        p.showing(&ScreenId::parse("bench").unwrap())
            .map(|s| s.to_string()),
        Some("live:defence-laptop".into())
    );
    // No timeline.
    assert_eq!(
        p.set_transport(Transport::Paused),
        Err(PresentationError::LiveHasNoTimeline)
    );
    assert_eq!(
        p.set_speed(Speed::SLOWEST),
        Err(PresentationError::LiveHasNoTimeline)
    );
    assert_eq!(p.withdraw().unwrap(), Shown::Live(bench_only.id.clone()));
}

#[test]
fn a_held_live_frame_takes_strokes_and_releasing_it_clears_them() {
    let src = laptop(Restriction::NoPublic, None);
    let js1 = exhibit("JS/1", Restriction::Open);
    let stroke =
        vec![Stroke::new(crate::annotation::Tool::Pen, vec![(100, 100), (200, 200)]).unwrap()];
    let mut p = Presentation::default();
    assert_eq!(p.hold(true), Err(PresentationError::NothingPresented));
    p.select(js1.reference.clone());
    p.present(&js1, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.hold(true), Err(PresentationError::NotLive));

    p.select(Shown::Live(src.id.clone()));
    p.present(&src, &ids(&["bench"]), &screens()).unwrap();
    assert_eq!(p.state_of(&shown(&js1)), PresentationState::Withdrawn);
    assert!(
        matches!(p.annotate(&src, stroke.clone()), Err(PresentationError::Annotation(m)) if m.contains("hold")),
        "a moving live picture takes no strokes"
    );
    p.hold(true).unwrap();
    p.annotate(&src, stroke.clone()).unwrap();
    p.zoom(ZoomStep::In).unwrap();
    // Re-routing keeps the held frame, its strokes and its zoom.
    let on = p
        .present(&src, &ids(&["bench"]), &screens())
        .unwrap()
        .clone();
    assert!(on.held && on.strokes.len() == 1 && on.zoom != Zoom::default());
    p.hold(true).unwrap();
    assert_eq!(
        p.on_air().unwrap().strokes.len(),
        1,
        "holding again changes nothing"
    );
    p.hold(false).unwrap();
    assert!(!p.on_air().unwrap().held);
    assert!(
        p.on_air().unwrap().strokes.is_empty(),
        "a moving picture drops its marks"
    );
}

#[test]
fn shown_parses_back_and_never_confuses_a_source_with_an_exhibit() {
    for text in ["JS/3", "live:defence-laptop", "live:JS3"] {
        assert_eq!(Shown::parse(text).unwrap().to_string(), text);
    }
    assert!(
        Shown::parse("live:JS/3").is_err(),
        "a source id has no slash"
    );
    assert!(Shown::parse("live:").is_err());
    assert!(
        Shown::parse("defence-laptop").is_err(),
        "a bare id is not an exhibit"
    );
    assert!(Shown::parse("JS/3").unwrap().live().is_none());
}
