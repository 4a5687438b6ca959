//! A live source in a hearing, through the facade every front end uses: a laptop (ffmpeg, a sender
//! nobody here wrote) casts over SRT with the passphrase kept in a real gnome-keyring; the advocate
//! selects it beside the hearing's exhibits, presents it where its rules allow (and is refused
//! beyond them), holds a frame and marks it, loses the signal and gets it back by itself, withdraws
//! it; the custody log says what was shown, that it was live, and when the screens had no picture.

use std::time::Duration;

use courtdeck_api::config::{AudioConfig, SourceConfig, StoreConfig};
use courtdeck_api::json::{StageDto, UiEvent};
use courtdeck_api::{Config, Courtdeck};
use courtdeck_core::ErrorCode;
use courtdeck_store::Secret;
use courtdeck_testkit::servers::SecretService;
use courtdeck_testkit::srt_client::free_udp_port;
use courtdeck_testkit::srt_sender::{PASSPHRASE, ffmpeg_sender, wait_udp_listening};
use serde_json::Value;
use tokio::sync::broadcast::Receiver;

const LAPTOP: &str = "live:defence-laptop";

/// The first stage event for which `want` holds (the signal is playout's to report, in its time).
async fn stage_where(
    events: &mut Receiver<UiEvent>,
    what: &str,
    want: impl Fn(&StageDto) -> bool,
) -> StageDto {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(UiEvent::Stage(stage)) = events.recv().await
                && want(&stage)
            {
                return *stage;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no stage within 30 s where {what}"))
}

fn laptop(stage: &StageDto) -> &courtdeck_api::json::LiveSourceDto {
    stage.sources.iter().find(|s| s.id == LAPTOP).unwrap()
}

#[test]
fn an_advocate_shows_a_laptop_holds_a_frame_loses_it_and_withdraws_it() {
    let keyring = SecretService::start().unwrap();
    // The facade reads the passphrase from the session's Secret Service, as the kiosk does; this
    // binary runs one test at a time, and the variable is put back at the end.
    let before = std::env::var_os("DBUS_SESSION_BUS_ADDRESS");
    // SAFETY: no other thread of this process reads the environment now (one test at a time, the
    // runtime not started yet).
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &keyring.address) };
    let result = std::panic::catch_unwind(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(in_court())
    });
    // SAFETY: as above; the runtime has ended.
    unsafe {
        match before {
            Some(v) => std::env::set_var("DBUS_SESSION_BUS_ADDRESS", v),
            None => std::env::remove_var("DBUS_SESSION_BUS_ADDRESS"),
        }
    }
    drop(keyring);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    println!(
        "RELIABILITY|screens|an_advocate_shows_a_laptop_holds_a_frame_loses_it_and_withdraws_it|a live SRT source through the facade: ffmpeg casting with a gnome-keyring passphrase, refused on PUBLIC, presented, held and marked, no signal and back, withdrawn, custody live_* records|1"
    );
}

async fn in_court() {
    let work = courtdeck_testkit::work_dir();
    let store = work.path().join("store");
    let media = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(&store, &media, courtdeck_api::today()).unwrap();
    let port = free_udp_port();
    let screen = courtdeck_testkit::kiosk::headless_screen;
    let audit = work.path().join("audit.jsonl");
    let config = Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(work.path().join("cache")),
        audit_file: Some(audit.clone()),
        screens: vec![
            screen("bench", "bench"),
            screen("witness", "witness"),
            screen("public", "public_gallery"),
        ],
        audio: AudioConfig {
            sink: "fakesink sync=true".into(),
        },
        sources: vec![SourceConfig {
            id: "defence-laptop".into(),
            label: "Defence laptop".into(),
            kind: "stream".into(),
            device: None,
            listen: Some(format!("127.0.0.1:{port}")),
            restriction: None,
            roles: None,
            latency_ms: 120,
        }],
        ..Config::default()
    };
    Courtdeck::save_source_passphrase(&config, "defence-laptop", Secret::new(PASSPHRASE))
        .await
        .unwrap();
    let deck = Courtdeck::open(config).await.unwrap();
    let mut events = deck.subscribe();
    deck.launch("JS-2026-0142").await.unwrap();

    // Listed beside the exhibits, closed (no listener until it is chosen), kept off the public
    // gallery by default.
    let stage = deck.stage().await;
    let listed = laptop(&stage);
    assert_eq!((listed.kind, listed.restriction), ("stream", "no_public"));
    assert_eq!(listed.allowed_screens, ["bench", "witness"]);
    assert!(!listed.signal && listed.problem.is_none());

    // Selected: a listener waits for the laptop; what to check is said until it calls.
    let stage = deck.select(LAPTOP).await.unwrap();
    assert_eq!(stage.cued.as_deref(), Some(LAPTOP));
    assert_eq!(stage.default_targets, ["bench", "witness"]);
    wait_udp_listening(port).unwrap();
    let mut sender = ffmpeg_sender(port, "red", Some(PASSPHRASE)).unwrap();
    let stage = stage_where(&mut events, "the laptop has a signal", |s| laptop(s).signal).await;
    assert!(stage.cued_ready, "a cued source with a picture is ready");
    assert_eq!(
        (laptop(&stage).width, laptop(&stage).height),
        (Some(640), Some(360))
    );

    // Beyond its rules: refused whole, naming the screen; nothing goes on air.
    let refused = deck
        .present(&["bench".into(), "public".into()])
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::RestrictedRoute,
        "{}",
        refused.message
    );
    assert!(
        refused.message.contains("Defence laptop") && refused.message.contains("PUBLIC"),
        "{}",
        refused.message
    );
    assert!(deck.stage().await.on_air.is_none());

    // On air to the bench and the witness: live, no timeline, zoom.
    let stage = deck
        .present(&["bench".into(), "witness".into()])
        .await
        .unwrap();
    let on = stage.on_air.as_ref().unwrap();
    assert_eq!(on.exhibit, LAPTOP);
    assert_eq!(on.screens, ["bench", "witness"]);
    assert!(on.live.as_ref().is_some_and(|l| !l.held));
    assert!(!on.controls.transport && !on.controls.seek && on.controls.zoom);
    assert!(!on.controls.annotate, "strokes wait for a held frame");
    let showing: Vec<_> = stage
        .screens
        .iter()
        .map(|s| (s.screen.id.as_str(), s.showing.as_deref()))
        .collect();
    assert_eq!(
        showing,
        [
            ("bench", Some(LAPTOP)),
            ("witness", Some(LAPTOP)),
            ("public", None)
        ]
    );
    let no_pause = deck.pause().await.unwrap_err();
    assert_eq!(no_pause.code, ErrorCode::InvalidState);
    assert!(no_pause.message.contains("Hold"), "{}", no_pause.message);

    // Hold: the frame stays; it takes strokes; release drops them.
    let stage = deck.hold(true).await.unwrap();
    let on = stage.on_air.unwrap();
    assert!(on.live.unwrap().held && on.controls.annotate);
    let stroke = courtdeck_api::json::StrokeDto {
        tool: "arrow".into(),
        points: vec![[2000, 5000], [8000, 5000]],
    };
    let stage = deck.annotate(vec![stroke]).await.unwrap();
    assert_eq!(stage.on_air.unwrap().strokes, 1);
    // Kept as an exhibit: a still of the case, hashed into the cache, saying it was live.
    let hearing = deck.keep_marked().await.unwrap();
    let kept = hearing
        .exhibits
        .iter()
        .find(|e| e.reference == "LIVE/1")
        .expect("the held frame is exhibit LIVE/1");
    assert!(kept.cached, "verified into the cache");
    assert_eq!((kept.kind, kept.restriction), ("image", "no_public"));
    assert!(
        kept.title
            .starts_with("Defence laptop, live, frame held at")
            && kept.title.ends_with("marked in court"),
        "{}",
        kept.title
    );
    let stage = deck.hold(false).await.unwrap();
    let on = stage.on_air.unwrap();
    assert!(!on.live.unwrap().held);
    assert_eq!(on.strokes, 0, "a moving picture drops its marks");

    // The laptop stops: the advocate is told what to check; the screens say no signal.
    sender.stop();
    let notice = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(UiEvent::Notice { error, .. }) = events.recv().await
                && error.code == ErrorCode::NoSignal
            {
                return error;
            }
        }
    })
    .await
    .expect("a no-signal notice");
    assert!(
        notice.message.contains(&format!("port {port}")),
        "{}",
        notice.message
    );
    // Its screens show the "no signal" slate, as playout says (read back after the change).
    let stage = stage_where(
        &mut events,
        "the laptop lost its signal on BENCH and WITNESS",
        |s| {
            !laptop(s).signal
                && s.screens
                    .iter()
                    .all(|t| (t.screen.id == "public") == (t.slate.as_deref() != Some("no_signal")))
        },
    )
    .await;
    assert!(laptop(&stage).problem.is_some());
    assert_eq!(
        stage.on_air.as_ref().unwrap().exhibit,
        LAPTOP,
        "still on air"
    );
    // Back by itself when it calls again.
    wait_udp_listening(port).unwrap();
    let _sender = ffmpeg_sender(port, "blue", Some(PASSPHRASE)).unwrap();
    stage_where(&mut events, "the laptop is back", |s| laptop(s).signal).await;

    // Withdrawn: the screens go black, the listener closes.
    let stage = deck.withdraw().await.unwrap();
    assert!(stage.on_air.is_none());
    deck.shutdown().await;

    // The record: shown live (where from, which screens), the signal lost and back, held and
    // released, ended; the refusal; never the passphrase.
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(!text.contains(PASSPHRASE), "no secret in the custody log");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let live: Vec<(String, Value)> = records
        .iter()
        .filter(|r| {
            r["event"].as_str().is_some_and(|e| e.starts_with("live_"))
                || (r["event"] == "route_refused" && r["fields"]["exhibit"] == LAPTOP)
        })
        .map(|r| (r["event"].as_str().unwrap().to_owned(), r["fields"].clone()))
        .collect();
    let derived = records
        .iter()
        .find(|r| r["event"] == "exhibit_derived")
        .expect("exhibit_derived");
    assert_eq!(derived["fields"]["exhibit"], "LIVE/1");
    assert_eq!(derived["fields"]["source"]["exhibit"], LAPTOP);
    assert!(
        derived["fields"]["source"]["taken_at"].is_string(),
        "{derived}"
    );
    assert_eq!(derived["fields"]["strokes"].as_array().unwrap().len(), 1);
    let names: Vec<&str> = live.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        [
            "route_refused",
            "live_shown",
            "live_held",
            "live_released",
            "live_signal",
            "live_signal",
            "live_ended"
        ],
        "{live:#?}"
    );
    let shown = &live[1].1;
    assert_eq!(shown["source"], "defence-laptop");
    assert_eq!(shown["kind"], "stream");
    assert_eq!(
        shown["origin"],
        format!("srt://127.0.0.1:{port} (listener)")
    );
    let screens: Vec<&str> = shown["screens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["screen"].as_str().unwrap())
        .collect();
    assert_eq!(screens, ["bench", "witness"]);
    assert_eq!(live[4].1["present"], false);
    assert_eq!(live[5].1["present"], true);
    assert_eq!(live[6].1["reason"], "withdrawn");
}
