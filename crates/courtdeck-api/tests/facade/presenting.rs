//! Presenting beyond one recording: transcripts and captions, a still kept in court, two angles side
//! by side, a zoom to a box drawn on the preview.

use super::*;

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
