//! Through the facade on Xvfb, with `[screens] require_identity`: restricted exhibits are not sent to
//! a screen that is not pinned to its monitor. Alone in its test binary: it sets `DISPLAY` for the
//! playout process the facade starts, as the kiosk's own environment would.

use std::time::Duration;

use courtdeck_core::edid_block;
use courtdeck_testkit::{DrmTree, Mon, Xvfb};

const H: u16 = 360;

fn mon(name: &'static str, x: i16) -> Mon {
    Mon {
        name,
        x,
        y: 0,
        w: 640,
        h: H,
    }
}

/// Through the facade, with `[screens] require_identity`: a restricted exhibit's default targets leave
/// out a screen that is not pinned to its monitor, and a Present naming it shows the exhibit on the
/// pinned one with a word about the other; an open exhibit goes to both.
#[tokio::test(flavor = "multi_thread")]
async fn restricted_exhibits_skip_screens_not_pinned_to_their_monitor() {
    use courtdeck_api::config::{AudioConfig, ScreenConfig, StoreConfig};
    use courtdeck_api::json::UiEvent;
    use courtdeck_api::{Config, Courtdeck};

    let work = courtdeck_testkit::work_dir();
    let store = work.path().join("store");
    let media = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(&store, &media, courtdeck_api::today()).unwrap();
    let bench_edid = edid_block("DEL", 0xa09b, 0, Some("BENCH-1"), "DELL");
    let witness_edid = edid_block("DEL", 0xa09b, 0, Some("WITNESS-2"), "DELL");
    let drm = DrmTree::new().unwrap();
    drm.plug("HDMI-A-1", Some(&bench_edid)).unwrap();
    drm.plug("HDMI-A-2", Some(&witness_edid)).unwrap();
    let xvfb = Xvfb::start(1280, H, &[mon("HDMI-1", 0), mon("HDMI-2", 640)]).unwrap();
    let screen = |id: &str, role: &str, monitor: &str, identity: Option<&str>| ScreenConfig {
        id: id.into(),
        label: id.to_uppercase(),
        role: role.into(),
        monitor: Some(monitor.into()),
        monitor_index: None,
        headless: false,
        identity: identity.map(str::to_owned),
        stream: None,
    };
    let mut config = Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(work.path().join("cache")),
        audit_file: Some(work.path().join("audit.jsonl")),
        screens: vec![
            screen("bench", "bench", "HDMI-1", Some("DEL-A09B-BENCH-1")),
            screen("witness", "witness", "HDMI-2", None),
        ],
        audio: AudioConfig {
            sink: "fakesink sync=true".into(),
        },
        ..Config::default()
    };
    config.screen_identity.require_identity = true;
    config.screen_identity.drm_root = Some(drm.root.path().to_owned());
    // The playout process finds the display in its environment, as the app's own does.
    // SAFETY: set before any thread of this test reads the environment; tests run one at a time.
    unsafe { std::env::set_var("DISPLAY", &xvfb.display) };
    let deck = Courtdeck::open(config).await.unwrap();
    let mut events = deck.subscribe();
    deck.launch("JS-2026-0142").await.unwrap();

    // JS/3, the ABE interview (no public): the witness screen is not pinned, so it is not ticked.
    let stage = deck.select("JS/3").await.unwrap();
    assert_eq!(stage.default_targets, ["bench"], "{stage:?}");
    let stage = deck
        .present(&["bench".into(), "witness".into()])
        .await
        .unwrap();
    assert_eq!(stage.on_air.as_ref().unwrap().screens, ["bench"]);
    let notice = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(UiEvent::Notice { error, .. }) = events.recv().await
                && error.code == courtdeck_core::ErrorCode::ScreenMismatch
            {
                return error.message;
            }
        }
    })
    .await
    .expect("a notice about the unpinned screen");
    assert!(
        notice.contains("WITNESS") && notice.contains("pinned"),
        "{notice}"
    );

    // JS/1 (open) goes to both.
    let stage = deck.select("JS/1").await.unwrap();
    assert_eq!(stage.default_targets, ["bench", "witness"], "{stage:?}");
    let stage = deck
        .present(&["bench".into(), "witness".into()])
        .await
        .unwrap();
    assert_eq!(stage.on_air.as_ref().unwrap().screens, ["bench", "witness"]);
    deck.shutdown().await;
}
