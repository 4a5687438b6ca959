//! The facade as every front end uses it, on the real demo store, the real verified cache and the real
//! playout process (headless outputs, plus one window screen whose monitor does not exist).

use std::time::Duration;

use courtdeck_api::config::{AudioConfig, ScreenConfig, StoreConfig};
use courtdeck_api::json::UiEvent;
use courtdeck_api::{Config, Courtdeck};
use courtdeck_core::ErrorCode;

mod presenting;
mod sound;

/// The demo store, with its generated media shared by every test of this crate.
fn demo_store(store: &std::path::Path) {
    let media = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(store, &media, courtdeck_api::today()).unwrap();
}

fn screen(id: &str, role: &str, headless: bool) -> ScreenConfig {
    ScreenConfig {
        id: id.into(),
        label: id.to_uppercase(),
        role: role.into(),
        monitor: (!headless).then(|| "NO-SUCH-MONITOR".into()),
        monitor_index: None,
        headless,
        identity: None,
        stream: None,
    }
}

/// BENCH and PUBLIC headless, WITNESS a window whose monitor does not exist; silent sound output.
fn three_screen_room(store: std::path::PathBuf, dir: &std::path::Path) -> Config {
    Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(dir.join("cache")),
        screens: vec![
            screen("bench", "bench", true),
            screen("witness", "witness", false),
            screen("public", "public_gallery", true),
        ],
        audio: AudioConfig {
            sink: "fakesink sync=true".into(),
        },
        ..Config::default()
    }
}

/// SIGKILLs the playout process `pid` and returns the first stage after the supervisor's restart
/// (playout ready, the standby slate up).
async fn kill_playout(
    pid: u32,
    events: &mut tokio::sync::broadcast::Receiver<UiEvent>,
) -> courtdeck_api::json::StageDto {
    assert!(
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(UiEvent::Stage(stage)) = events.recv().await
                && stage.playout == courtdeck_api::json::PlayoutStatus::Ready
                && stage
                    .screens
                    .iter()
                    .any(|s| s.slate.as_deref() == Some("standby"))
            {
                return *stage;
            }
        }
    })
    .await
    .expect("the restarted engine's screens reported")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hearing_through_the_facade() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let config = Config {
        audit_file: Some(dir.path().join("audit.jsonl")),
        ..three_screen_room(store, dir.path())
    };
    let deck = Courtdeck::open(config).await.unwrap();
    let mut events = deck.subscribe();

    let today = deck.today().await.unwrap();
    assert!(today.store.online);
    assert_eq!(today.hearings.len(), 3);
    assert!(
        today.hearings.iter().all(|h| h.exhibits_ready == 0),
        "nothing cached yet"
    );

    let hearing = deck.launch("JS-2026-0142").await.unwrap();
    assert_eq!(hearing.exhibits.len(), 8);
    assert!(
        hearing.exhibits.iter().all(|e| e.cached),
        "launch fetched and verified every exhibit"
    );
    let abe = hearing
        .exhibits
        .iter()
        .find(|e| e.reference == "JS/3")
        .unwrap();
    assert_eq!(abe.allowed_screens, ["bench", "witness"]);
    let today = deck.today().await.unwrap();
    assert!(matches!(
        today.hearings[0].readiness,
        courtdeck_api::json::Readiness::Ready
    ));

    // The witness screen's monitor does not exist: reported, and the stage says so.
    let stage = deck.stage().await;
    let witness = stage
        .screens
        .iter()
        .find(|s| s.screen.id == "witness")
        .unwrap();
    assert!(!witness.connected, "{stage:?}");

    // Present JS/1 to all three: shown on the two that work, with a notice about the third.
    deck.select("JS/1").await.unwrap();
    let stage = deck
        .present(&["bench".into(), "witness".into(), "public".into()])
        .await
        .unwrap();
    assert_eq!(stage.on_air.as_ref().unwrap().screens, ["bench", "public"]);
    let notice = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(UiEvent::Notice { error, .. }) = events.recv().await
                && error.code == ErrorCode::ScreenMissing
            {
                return error;
            }
        }
    })
    .await
    .unwrap();
    assert!(notice.message.contains("WITNESS"), "{}", notice.message);
    deck.play().await.unwrap();
    let frames = frames_on(&deck, &["bench", "public"]).await;
    assert!(frames["bench"] > 0 && frames["public"] > 0, "{frames:?}");

    // Blank one screen: the stage says black for it, live for the other.
    let stage = deck.blank("public", true).await.unwrap();
    let s = |id: &str| {
        stage
            .screens
            .iter()
            .find(|s| s.screen.id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(s("bench").showing.as_deref(), Some("JS/1"));
    assert_eq!(s("public").showing, None);
    assert!(s("public").blanked);

    // A clip plays from its in point.
    deck.play_clip("Entry").await.unwrap();
    assert_eq!(
        deck.play_clip("No such clip").await.unwrap_err().code,
        ErrorCode::InvalidState
    );

    // The restricted ABE interview can never reach PUBLIC, whatever is requested.
    deck.select("JS/3").await.unwrap();
    let refused = deck
        .present(&["bench".into(), "public".into()])
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::RestrictedRoute);
    assert!(refused.message.contains("PUBLIC"), "{}", refused.message);
    assert_eq!(
        deck.stage().await.on_air.unwrap().exhibit,
        "JS/1",
        "a refused request changes nothing"
    );
    deck.blank("public", false).await.unwrap();
    let stage = deck.present(&["bench".into()]).await.unwrap();
    assert_eq!(stage.on_air.as_ref().unwrap().exhibit, "JS/3");
    assert_eq!(
        stage
            .screens
            .iter()
            .find(|s| s.screen.id == "public")
            .unwrap()
            .showing,
        None
    );

    // Withdraw: everything black.
    let stage = deck.withdraw().await.unwrap();
    assert!(stage.screens.iter().all(|s| s.showing.is_none()));
    assert_eq!(
        deck.withdraw().await.unwrap_err().code,
        ErrorCode::InvalidState
    );

    // Zoom on the still: the stage says how far; a new exhibit starts whole.
    deck.select("JS/4").await.unwrap();
    deck.present(&["bench".into()]).await.unwrap();
    deck.zoom("in").await.unwrap();
    let stage = deck.zoom("in").await.unwrap();
    assert_eq!(stage.on_air.as_ref().unwrap().zoom, 2.25);
    assert_eq!(
        deck.zoom("sideways").await.unwrap_err().code,
        ErrorCode::InvalidState
    );

    // The playout process killed: the stage goes idle, the new engine's screens show the standby
    // slate, except PUBLIC, which the court had blanked and which stays black.
    deck.blank("public", true).await.unwrap();
    let pid = deck.playout_pid().await.unwrap();
    let stage = kill_playout(pid, &mut events).await;
    assert!(stage.on_air.is_none(), "nothing resumes by itself");
    let slate = |id: &str| {
        stage
            .screens
            .iter()
            .find(|s| s.screen.id == id)
            .map(|s| (s.slate.clone(), s.blanked))
            .unwrap()
    };
    assert_eq!(slate("bench"), (Some("standby".into()), false));
    assert_eq!(slate("public"), (None, true), "blanked stays black");
    assert_ne!(deck.playout_pid().await.unwrap(), pid);
    // With nothing on air, Withdraw takes the slate down (black); without slates it is refused.
    let stage = deck.withdraw().await.unwrap();
    assert!(stage.screens.iter().all(|s| s.slate.is_none()), "{stage:?}");
    assert_eq!(
        deck.withdraw().await.unwrap_err().code,
        ErrorCode::InvalidState
    );
    // Presenting again works at once.
    deck.select("JS/1").await.unwrap();
    let stage = deck.present(&["bench".into()]).await.unwrap();
    let bench = stage
        .screens
        .iter()
        .find(|s| s.screen.id == "bench")
        .unwrap();
    assert_eq!(
        (bench.showing.as_deref(), bench.slate.as_deref()),
        (Some("JS/1"), None)
    );
    deck.shutdown().await;

    // The audit log of this real run: the chain verifies, and says who saw what.
    let audit = dir.path().join("audit.jsonl");
    let report = courtdeck_audit::verify(&audit).unwrap();
    let text = std::fs::read_to_string(&audit).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(report.records as usize, records.len());
    // Every record of the run is a typed custody event (read back by the audit crate's own reader).
    let typed = courtdeck_audit::read_events(&audit).unwrap();
    assert_eq!(typed.len(), records.len());
    let names: Vec<String> = typed.iter().map(|l| l.event.name()).collect();
    let events: Vec<&str> = names.iter().map(String::as_str).collect();
    for expected in [
        "app_start",
        "hearing_launched",
        "exhibit_presented",
        "screen_blanked",
        "clip_played",
        "route_refused",
        "exhibit_withdrawn",
        "exhibit_zoomed",
        "playout_crashed",
        "playout_restarted",
        "slates_cleared",
        "app_stop",
    ] {
        assert!(
            events.contains(&expected),
            "{expected} missing from {events:?}"
        );
    }
    let first_presented = records
        .iter()
        .find(|r| r["event"] == "exhibit_presented")
        .unwrap();
    assert_eq!(first_presented["fields"]["exhibit"], "JS/1");
    assert_eq!(
        first_presented["fields"]["sha256"].as_str().unwrap().len(),
        64
    );
    assert_eq!(
        first_presented["fields"]["screens"][1]["role"],
        "public_gallery"
    );
    // One byte changed anywhere is found, at its line.
    let mut bytes = text.into_bytes();
    let at = bytes.iter().position(|&b| b == b'J').unwrap();
    bytes[at] = b'K';
    std::fs::write(&audit, &bytes).unwrap();
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    match courtdeck_audit::verify(&audit) {
        Err(courtdeck_audit::AuditError::Broken { line: l, .. }) => assert_eq!(l, line),
        other => panic!("a one-byte edit went unnoticed: {other:?}"),
    }
    println!(
        "RELIABILITY|playout|a_hearing_through_the_facade|a configured screen whose monitor is missing (the others show the exhibit); a restricted exhibit sent to PUBLIC (refused); the playout process SIGKILLed (standby slate, blanks kept, nothing resumes)|{}",
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_exhibit_is_refused_and_the_rest_of_the_hearing_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    // Flip one byte in the 999 call's blob (same size, wrong hash).
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(store.join("cases/JS-2026-0142/manifest.json")).unwrap(),
    )
    .unwrap();
    let call = manifest["exhibits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reference"] == "JS/2")
        .unwrap();
    let blob = store
        .join("blobs/sha256")
        .join(call["sha256"].as_str().unwrap());
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&blob, bytes).unwrap();

    let config = Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(dir.path().join("cache")),
        screens: vec![screen("bench", "bench", true)],
        audio: AudioConfig {
            sink: "fakesink".into(),
        },
        ..Config::default()
    };
    let deck = Courtdeck::open(config).await.unwrap();
    let hearing = deck.launch("JS-2026-0142").await.unwrap();
    let call = hearing
        .exhibits
        .iter()
        .find(|e| e.reference == "JS/2")
        .unwrap();
    assert!(!call.cached);
    assert_eq!(call.problem.as_ref().unwrap().code, ErrorCode::HashMismatch);
    assert_eq!(
        hearing.exhibits.len() - 1,
        hearing.exhibits.iter().filter(|e| e.cached).count(),
        "the others are fine"
    );
    let err = deck.select("JS/2").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::HashMismatch, "{}", err.message);
    deck.select("JS/1").await.unwrap();
    deck.present(&["bench".into()]).await.unwrap();
    deck.shutdown().await;
    println!(
        "RELIABILITY|store|a_tampered_exhibit_is_refused_and_the_rest_of_the_hearing_goes_on|a tampered exhibit in the store: refused at launch, the rest of the hearing plays|{}",
        1
    );
}

/// Waits (up to 30 s) until every screen in `screens` has rendered a frame, and returns the counts.
async fn frames_on(
    deck: &courtdeck_api::Courtdeck,
    screens: &[&str],
) -> std::collections::HashMap<String, u64> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let frames = deck.screen_frames().await.unwrap();
        if screens
            .iter()
            .all(|s| frames.get(*s).is_some_and(|&n| n > 0))
            || std::time::Instant::now() > deadline
        {
            return frames;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
