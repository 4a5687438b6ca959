//! The facade as every front end uses it, on the real demo store, the real verified cache and the real
//! playout process (headless outputs, plus one window screen whose monitor does not exist).

use std::time::Duration;

use courtdeck_api::config::{AudioConfig, ScreenConfig, StoreConfig};
use courtdeck_api::json::UiEvent;
use courtdeck_api::{Config, Courtdeck};
use courtdeck_core::ErrorCode;

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
    let events: Vec<&str> = records
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
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

/// The next `n` sound levels of `exhibit` leaving for the speakers that `keep` accepts, in dBFS.
async fn levels(
    events: &mut tokio::sync::broadcast::Receiver<UiEvent>,
    exhibit: &str,
    n: usize,
    keep: impl Fn(f64) -> bool,
) -> Vec<f64> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while out.len() < n {
            if let Ok(UiEvent::Level { exhibit: x, rms_db }) = events.recv().await
                && x == exhibit
                && keep(rms_db)
            {
                out.push(rms_db);
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} levels of {exhibit}: got {out:?}"));
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The room is the facade's: the stage says the volume, the mute, the speed and the screens to tick;
/// a refused level changes nothing; and after the playout process is killed the new engine plays at
/// the level and mute the court set (the speakers' level read back), while the stage still says so.
#[tokio::test(flavor = "multi_thread")]
async fn the_rooms_sound_survives_a_playout_restart_and_the_stage_says_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let config = three_screen_room(store, dir.path());
    let deck = Courtdeck::open(config).await.unwrap();
    let mut events = deck.subscribe();
    deck.launch("JS-2026-0142").await.unwrap();

    // The screens to tick: every connected screen the exhibit may reach (WITNESS is unplugged).
    let stage = deck.select("JS/3").await.unwrap();
    assert_eq!(
        stage.default_targets,
        ["bench"],
        "no_public, WITNESS missing"
    );
    let stage = deck.select("JS/2").await.unwrap();
    assert_eq!(stage.default_targets, ["bench", "public"]);
    assert_eq!((stage.sound.volume, stage.sound.muted), (1.0, false));

    let stage = deck.present(&["bench".into()]).await.unwrap();
    let on = stage.on_air.as_ref().unwrap();
    assert_eq!(on.rate, 1.0);
    assert!(
        on.controls.sound && on.controls.seek && !on.controls.zoom,
        "{on:?}"
    );
    deck.play().await.unwrap();
    let full = median(levels(&mut events, "JS/2", 5, |db| db > -60.0).await);

    let stage = deck.set_volume(0.5).await.unwrap();
    assert_eq!(stage.sound.volume, 0.5);
    assert!(deck.set_volume(3.0).await.is_err(), "300% is refused");
    assert_eq!(
        deck.stage().await.sound.volume,
        0.5,
        "a refused level changes nothing"
    );
    let stage = deck.set_rate(2.0).await.unwrap();
    assert_eq!(stage.on_air.unwrap().rate, 2.0);
    assert!(deck.set_rate(5.0).await.is_err());
    assert_eq!(deck.stage().await.on_air.unwrap().rate, 2.0);
    let stage = deck.set_mute(true).await.unwrap();
    assert!(stage.sound.muted);

    let pid = deck.playout_pid().await.unwrap();
    let stage = kill_playout(pid, &mut events).await;
    assert_ne!(deck.playout_pid().await.unwrap(), pid);
    assert_eq!(
        (stage.sound.volume, stage.sound.muted),
        (0.5, true),
        "the stage still says the room's sound"
    );

    // Presented again: a new presentation plays at 1x, and the speakers stay silent (muted)...
    deck.select("JS/2").await.unwrap();
    let stage = deck.present(&["bench".into()]).await.unwrap();
    assert_eq!(stage.on_air.unwrap().rate, 1.0);
    deck.play().await.unwrap();
    let muted = levels(&mut events, "JS/2", 5, |_| true).await;
    assert!(
        muted.iter().all(|&db| db <= -100.0),
        "muted across the restart: {muted:?}"
    );
    // ...until unmuted, at the half level the court set before the restart (-6 dB).
    deck.set_mute(false).await.unwrap();
    let half = median(levels(&mut events, "JS/2", 5, |db| db > -60.0).await);
    println!("level at 100%: {full:.1} dB; after the restart at 50%: {half:.1} dB");
    assert!(
        (full - half - 6.0).abs() < 1.5,
        "50% is 6 dB down: {full:.1} dB before, {half:.1} dB after the restart"
    );
    deck.shutdown().await;
}

/// `[playout] memory_limit_mb` reaches the playout process as its address-space limit, so no exhibit
/// can take the kiosk's memory (the corpus tests play every file under the default limit).
#[tokio::test(flavor = "multi_thread")]
async fn the_playout_process_runs_under_its_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let mut config = Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(dir.path().join("cache")),
        screens: vec![screen("bench", "bench", true)],
        audio: AudioConfig {
            sink: "fakesink".into(),
        },
        ..Config::default()
    };
    config.playout.memory_limit_mb = 3000;
    let deck = Courtdeck::open(config).await.unwrap();
    let pid = deck.playout_pid().await.unwrap();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    // "Max address space  <soft>  <hard>  bytes"
    assert_eq!(
        (fields[3], fields[4]),
        ("3145728000", "3145728000"),
        "{line}"
    );
    deck.shutdown().await;
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

#[tokio::test(flavor = "multi_thread")]
async fn transcripts_captions_and_designations_through_the_facade() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let audit = dir.path().join("audit.jsonl");
    let config = Config {
        audit_file: Some(audit.clone()),
        screens: vec![
            screen("bench", "bench", true),
            screen("witness", "witness", true),
            screen("public", "public_gallery", true),
        ],
        ..three_screen_room(store, dir.path())
    };
    let deck = Courtdeck::open(config).await.unwrap();
    let mut events = deck.subscribe();
    let hearing = deck.launch("JS-2026-0142").await.unwrap();
    let of = |r: &str| hearing.exhibits.iter().find(|e| e.reference == r).unwrap();
    assert_eq!(of("JS/3").transcript, Some("bench_only"));
    assert_eq!(of("JS/2").transcript, Some("open"), "the 999 call's SRT");
    assert_eq!(of("JS/1").transcript, None);

    // The ABE interview's WebVTT, with its speakers; the 999 call's SRT, converted when bundled.
    let abe = deck.transcript("JS/3").await.unwrap();
    assert_eq!(abe.restriction, "bench_only");
    assert_eq!(abe.cues.len(), 4);
    assert_eq!(abe.cues[0].speaker.as_deref(), Some("Interviewer"));
    assert_eq!(
        abe.cues[3].text,
        "A man in a grey hoodie shouting at the door."
    );
    let call = deck.transcript("JS/2").await.unwrap();
    assert_eq!(call.cues[0].text, "Emergency, which service?");
    assert_eq!((call.cues[0].start_ms, call.cues[0].end_ms), (500, 3000));
    let none = deck.transcript("JS/1").await.unwrap_err();
    assert_eq!(none.code, ErrorCode::InvalidState, "{}", none.message);

    // On air to the bench and the witness: captions are offered on the bench only.
    deck.select("JS/3").await.unwrap();
    let stage = deck
        .present(&["bench".into(), "witness".into()])
        .await
        .unwrap();
    let on = stage.on_air.unwrap();
    assert_eq!(on.caption_screens, ["bench"]);
    assert!(on.captions.is_empty());
    let refused = deck.set_captions(vec!["witness".into()]).await.unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::RestrictedRoute,
        "{}",
        refused.message
    );
    assert!(refused.message.contains("WITNESS"), "{}", refused.message);
    let off_screen = deck.set_captions(vec!["public".into()]).await.unwrap_err();
    assert_eq!(
        off_screen.code,
        ErrorCode::InvalidState,
        "{}",
        off_screen.message
    );
    assert!(deck.stage().await.on_air.unwrap().captions.is_empty());
    let stage = deck.set_captions(vec!["bench".into()]).await.unwrap();
    assert_eq!(stage.on_air.unwrap().captions, ["bench"]);

    // A designation: lines 2 and 3, played from the first's start to the last's end.
    assert_eq!(
        deck.play_designation(3, 9).await.unwrap_err().code,
        ErrorCode::InvalidState
    );
    let stage = deck.play_designation(2, 3).await.unwrap();
    assert!(stage.on_air.as_ref().unwrap().playing);
    let stopped_at = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(UiEvent::Position {
                position_ms,
                playing: false,
                ..
            }) = events.recv().await
                && position_ms >= 7_000
            {
                return position_ms;
            }
        }
    })
    .await
    .expect("the designation stopped at its end");
    assert!(
        (7_000..=7_500).contains(&stopped_at),
        "stopped at {stopped_at} ms, line 3 ends at 7400"
    );

    // Blank takes the bench's captions down.
    let stage = deck.blank("bench", true).await.unwrap();
    assert!(stage.on_air.unwrap().captions.is_empty());
    deck.blank("bench", false).await.unwrap();

    // A cached transcript changed on disk is refused and set aside; asked again, it is fetched anew.
    let sha = {
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("store/cases/JS-2026-0142/manifest.json")).unwrap(),
        )
        .unwrap();
        m["exhibits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["reference"] == "JS/3")
            .unwrap()["transcript"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let cached = dir.path().join("cache/sha256").join(&sha[..2]).join(&sha);
    let mut perms = std::fs::metadata(&cached).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&cached, perms).unwrap();
    let mut bytes = std::fs::read(&cached).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0x20;
    std::fs::write(&cached, &bytes).unwrap();
    let rotted = deck.set_captions(vec!["bench".into()]).await.unwrap_err();
    assert_eq!(rotted.code, ErrorCode::HashMismatch, "{}", rotted.message);
    assert!(deck.stage().await.on_air.unwrap().captions.is_empty());
    assert_eq!(
        deck.transcript("JS/3").await.unwrap().cues.len(),
        4,
        "fetched again"
    );
    deck.set_captions(vec!["bench".into()]).await.unwrap();
    let stage = deck.set_captions(Vec::new()).await.unwrap();
    assert!(stage.on_air.unwrap().captions.is_empty());
    deck.shutdown().await;

    let text = std::fs::read_to_string(&audit).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |event: &str| {
        records
            .iter()
            .find(|r| r["event"] == event)
            .unwrap_or_else(|| panic!("no {event} in the custody log"))
            .clone()
    };
    let shown = find("captions_shown");
    assert_eq!(shown["fields"]["exhibit"], "JS/3");
    assert_eq!(shown["fields"]["restriction"], "bench_only");
    assert_eq!(shown["fields"]["screens"][0]["role"], "bench");
    assert_eq!(shown["fields"]["transcript_sha256"], sha.as_str());
    let designation = find("designation_played");
    assert_eq!(
        (
            designation["fields"]["start_ms"].as_u64(),
            designation["fields"]["end_ms"].as_u64()
        ),
        (Some(2_800), Some(7_400))
    );
    find("captions_off");
    assert!(
        records.iter().any(|r| r["event"] == "cache_corrupt"
            || r["fields"]["reason"]
                .as_str()
                .is_some_and(|s| s.contains("transcript"))),
        "the rotted transcript is on record"
    );
    println!(
        "RELIABILITY|custody|transcripts_captions_and_designations_through_the_facade|a WebVTT and an SRT transcript through bundle, fetch and the facade: bench_only captions refused on WITNESS and on a screen not showing the recording, a designation stopping at its last line's end ({stopped_at} ms), a cached transcript changed on disk refused then fetched again|ok"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_still_kept_in_court_comes_back_when_the_hearing_is_launched_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let config = Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(dir.path().join("cache")),
        audit_file: Some(dir.path().join("audit.jsonl")),
        screens: vec![screen("bench", "bench", true)],
        audio: AudioConfig {
            sink: "fakesink".into(),
        },
        ..Config::default()
    };
    let deck = Courtdeck::open(config.clone()).await.unwrap();
    deck.launch("JS-2026-0142").await.unwrap();
    deck.select("JS/4").await.unwrap();
    // The photo reaches its first frame (prerolled) before it is marked.
    tokio::time::timeout(Duration::from_secs(30), async {
        while !deck.stage().await.cued_ready {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("JS/4 prerolled");
    deck.present(&["bench".into()]).await.unwrap();
    deck.annotate(vec![courtdeck_api::json::StrokeDto {
        tool: "arrow".into(),
        points: vec![[2_000, 5_000], [8_000, 5_000]],
    }])
    .await
    .unwrap();
    let hearing = deck.keep_marked().await.unwrap();
    let kept = hearing
        .exhibits
        .iter()
        .find(|e| e.reference == "JS/9")
        .expect("the marked still is JS/9")
        .clone();
    assert!(kept.cached);
    deck.shutdown().await;

    // The kiosk restarts (or the usher launches the hearing again): JS/9 is still part of it.
    let deck = Courtdeck::open(config).await.unwrap();
    let hearing = deck.launch("JS-2026-0142").await.unwrap();
    let again = hearing
        .exhibits
        .iter()
        .find(|e| e.reference == "JS/9")
        .expect("the kept still came back with the hearing");
    assert!(again.cached);
    assert_eq!(
        (again.sha256.as_str(), again.title.as_str()),
        (kept.sha256.as_str(), kept.title.as_str())
    );
    deck.select("JS/9").await.unwrap();
    let stage = deck.present(&["bench".into()]).await.unwrap();
    assert_eq!(stage.on_air.unwrap().exhibit, "JS/9");
    deck.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_cctv_angles_side_by_side_through_the_facade() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let audit = dir.path().join("audit.jsonl");
    let config = Config {
        audit_file: Some(audit.clone()),
        screens: vec![
            screen("bench", "bench", true),
            screen("witness", "witness", true),
            screen("public", "public_gallery", true),
        ],
        ..three_screen_room(store, dir.path())
    };
    let deck = Courtdeck::open(config).await.unwrap();
    deck.launch("JS-2026-0142").await.unwrap();
    let nothing = deck.set_beside(Some("JS/8"), 0).await.unwrap_err();
    assert_eq!(nothing.code, ErrorCode::InvalidState, "{}", nothing.message);

    // Camera 3 to every screen: camera 4 (open) may go beside it, the ABE interview (no_public) not.
    deck.select("JS/1").await.unwrap();
    let everywhere = ["bench".to_string(), "witness".into(), "public".into()];
    let stage = deck.present(&everywhere).await.unwrap();
    let on = stage.on_air.unwrap();
    assert_eq!(
        on.beside_candidates,
        ["JS/6", "JS/8"],
        "videos every screen may show"
    );
    let refused = deck.set_beside(Some("JS/3"), 0).await.unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::RestrictedRoute,
        "{}",
        refused.message
    );
    assert!(refused.message.contains("PUBLIC"), "{}", refused.message);
    let still = deck.set_beside(Some("JS/4"), 0).await.unwrap_err();
    assert_eq!(still.code, ErrorCode::InvalidState, "{}", still.message);
    assert!(deck.stage().await.on_air.unwrap().beside.is_none());

    let stage = deck.set_beside(Some("JS/8"), 2_000).await.unwrap();
    let beside = stage
        .on_air
        .unwrap()
        .beside
        .expect("camera 4 beside camera 3");
    assert_eq!((beside.exhibit.as_str(), beside.offset_ms), ("JS/8", 2_000));
    let stage = deck.set_beside(Some("JS/8"), 1_960).await.unwrap();
    assert_eq!(stage.on_air.unwrap().beside.unwrap().offset_ms, 1_960);
    // The transport drives both; a still of the two is not a still of one exhibit.
    deck.play().await.unwrap();
    deck.pause().await.unwrap();
    deck.step(1).await.unwrap();
    deck.annotate(vec![courtdeck_api::json::StrokeDto {
        tool: "arrow".into(),
        points: vec![[2_000, 5_000], [8_000, 5_000]],
    }])
    .await
    .unwrap();
    let kept = deck.keep_marked().await.unwrap_err();
    assert_eq!(kept.code, ErrorCode::InvalidState, "{}", kept.message);
    assert!(kept.message.contains("side by side"), "{}", kept.message);

    // Alone again, and a new exhibit never inherits what was beside the last one.
    let stage = deck.set_beside(None, 0).await.unwrap();
    assert!(stage.on_air.unwrap().beside.is_none());
    deck.set_beside(Some("JS/6"), -500).await.unwrap();
    deck.select("JS/8").await.unwrap();
    let stage = deck.present(&everywhere).await.unwrap();
    assert!(stage.on_air.unwrap().beside.is_none());
    deck.shutdown().await;

    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let shown: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["event"] == "beside_shown")
        .map(|r| &r["fields"])
        .collect();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert_eq!(shown[0]["exhibit"], "JS/1");
    assert_eq!(shown[0]["beside"], "JS/8");
    assert_eq!(shown[0]["offset_ms"], 2_000);
    assert_eq!(shown[0]["beside_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(shown[0]["screens"].as_array().map(Vec::len), Some(3));
    assert_eq!(shown[1]["offset_ms"], 1_960);
    assert!(
        records
            .iter()
            .any(|r| r["event"] == "beside_off" && r["fields"]["beside"] == "JS/8")
    );
    assert!(records.iter().any(|r| r["event"] == "route_refused"
        && r["fields"]["exhibit"] == "JS/3"
        && r["fields"]["beside"] == "JS/1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_box_drawn_on_the_preview_zooms_into_that_part_of_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    demo_store(&store);
    let audit = dir.path().join("audit.jsonl");
    let config = Config {
        audit_file: Some(audit.clone()),
        ..three_screen_room(store, dir.path())
    };
    let deck = Courtdeck::open(config).await.unwrap();
    deck.launch("JS-2026-0142").await.unwrap();
    let nothing = deck.zoom_to_box([0, 0], [5_000, 5_000]).await.unwrap_err();
    assert_eq!(nothing.code, ErrorCode::InvalidState, "{}", nothing.message);
    // JS/4 is a 1600x1200 (4:3) photo: in the 16:9 preview it is letterboxed, its left edge at
    // 12.5% of the preview's width. A box 40% of the preview wide is 53% of the photo's width, so
    // the closest view that holds it is 1.5x (2.25x, had the letterbox been ignored, would cut it).
    deck.select("JS/4").await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        while !deck.stage().await.cued_ready {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("JS/4 prerolled");
    deck.present(&["bench".into()]).await.unwrap();
    // Corners in either order.
    let stage = deck
        .zoom_to_box([7_000, 5_500], [3_000, 4_500])
        .await
        .unwrap();
    assert_eq!(stage.on_air.unwrap().zoom, 1.5);
    // A small box near the top left of what is on air (the 1.5x view, itself 4:3 and letterboxed):
    // as far in as the zoom goes, round that part of the photo.
    let stage = deck.zoom_to_box([1_300, 100], [1_600, 400]).await.unwrap();
    let factor = stage.on_air.unwrap().zoom;
    assert!(factor > 7.0, "{factor}");
    deck.shutdown().await;

    let zooms: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["event"] == "exhibit_zoomed")
        .map(|r| r["fields"]["region"].clone())
        .collect();
    assert_eq!(zooms.len(), 2, "{zooms:?}");
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap();
    // The first box on the photo: x from (0.3 - 0.125) / 0.75 = 0.233 to 0.767.
    let first = &zooms[0];
    assert!(
        f(first, "x") <= 0.234 && f(first, "x") + f(first, "width") >= 0.766,
        "{first}"
    );
    // The second box, on the photo: the view on air starts at 1/6 and is 2/3 of it, so the box is
    // x from 1/6 + (0.13 - 0.125) / 0.75 * 2/3 = 0.171 to 0.198, y from 0.173 to 0.193.
    let (x, y, w) = (f(&zooms[1], "x"), f(&zooms[1], "y"), f(&zooms[1], "width"));
    assert!(
        x <= 0.171 && x + w >= 0.198 && y <= 0.173 && y + w >= 0.193,
        "{}",
        zooms[1]
    );
    assert!(w < 0.14, "as far in as it goes: {}", zooms[1]);
}
