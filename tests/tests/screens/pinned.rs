//! Through the facade on Xvfb, with `[screens] require_identity`: restricted exhibits are not sent to
//! a screen that is not pinned to its monitor; two identical monitors without a serial. These tests set
//! `DISPLAY` for the playout process the facade starts, as the kiosk's own environment would, and
//! take it away again when they end (`Display`), so the other tests of the binary never see it.

use std::time::Duration;

use courtdeck_core::edid_block;
use courtdeck_testkit::{DrmTree, Mon, Xvfb};

const H: u16 = 360;

/// `DISPLAY` set to a test's Xvfb for as long as it lives.
struct Display;

impl Display {
    fn set(xvfb: &Xvfb) -> Display {
        // SAFETY: the tests of this binary run one at a time (--test-threads=1), and this one has no
        // other thread reading the environment yet.
        unsafe { std::env::set_var("DISPLAY", &xvfb.display) };
        Display
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SAFETY: as in `set`; the facade and its playout process are shut down by now.
        unsafe { std::env::remove_var("DISPLAY") };
    }
}

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
    let _display = Display::set(&xvfb);
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

/// Two monitors of one model without a serial (AOpen's placeholder `01010101`, #34): a screen pinned
/// to that identity alone could be either, so it shows nothing, and the unpinned screen on the other
/// twin shows nothing either; the setup check and the surface say why and what to do. Pinned by
/// connector as well, each screen shows on its own monitor. Two screens named by one identity
/// without connectors are refused when the config is read.
#[tokio::test(flavor = "multi_thread")]
async fn two_identical_monitors_without_a_serial_leave_both_screens_black_until_pinned_by_connector()
 {
    use courtdeck_api::config::{AudioConfig, ScreenConfig, StoreConfig};
    use courtdeck_api::json::{CheckStatus, UiEvent};
    use courtdeck_api::{Config, Courtdeck};
    use courtdeck_testkit::playout::{is_black, wait_screen};

    let work = courtdeck_testkit::work_dir();
    let store = work.path().join("store");
    let media = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(&store, &media, courtdeck_api::today()).unwrap();
    let twin = edid_block("AOP", 0x06a5, 0x0101_0101, None, "2470W");
    let hash_identity = courtdeck_core::Edid::parse(&twin)
        .unwrap()
        .identity()
        .to_string();
    assert!(hash_identity.starts_with("EDID-"), "{hash_identity}");
    let drm = DrmTree::new().unwrap();
    drm.plug("HDMI-A-1", Some(&twin)).unwrap();
    drm.plug("HDMI-A-2", Some(&twin)).unwrap();
    let (left, right) = (mon("HDMI-1", 0), mon("HDMI-2", 640));
    let xvfb = Xvfb::start(1280, H, &[left, right]).unwrap();
    let screen = |id: &str, monitor: Option<&str>, identity: Option<&str>| ScreenConfig {
        id: id.into(),
        label: id.to_uppercase(),
        role: "bench".into(),
        monitor: monitor.map(str::to_owned),
        monitor_index: None,
        headless: false,
        identity: identity.map(str::to_owned),
        stream: None,
    };
    let config = |screens: Vec<ScreenConfig>| {
        let mut c = Config {
            store: StoreConfig::Dir {
                path: store.clone(),
            },
            cache_dir: Some(work.path().join("cache")),
            audit_file: Some(work.path().join("audit.jsonl")),
            screens,
            audio: AudioConfig {
                sink: "fakesink sync=true".into(),
            },
            ..Config::default()
        };
        c.screen_identity.drm_root = Some(drm.root.path().to_owned());
        c
    };

    // Two screens, one identity, no connectors: refused as the config is read.
    let refused = config(vec![
        screen("bench", None, Some("AOP-06A5-01010101")),
        screen("public", None, Some("AOP-06A5-01010101")),
    ])
    .screens()
    .unwrap_err();
    assert_eq!(refused.code, courtdeck_core::ErrorCode::ConfigInvalid);
    assert!(
        refused
            .message
            .contains("both have identity AOP-06A5-01010101")
            && refused.message.contains("connector"),
        "{refused:?}"
    );

    let _display = Display::set(&xvfb);
    // The bench pinned to the twins' identity (in the form written before #34) alone; the public
    // screen unpinned, on the second twin's connector.
    let deck = Courtdeck::open(config(vec![
        screen("bench", None, Some("AOP-06A5-01010101")),
        screen("public", Some("HDMI-2"), None),
    ]))
    .await
    .unwrap();
    let mut events = deck.subscribe();
    let report = deck.run_checks(Some(vec!["screens".into()])).await.unwrap();
    let check = &report.checks[0];
    println!("setup check: {:?}: {}", check.status, check.detail);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(
        check
            .detail
            .contains("BENCH matches 2 monitors (HDMI-1, HDMI-2)")
            && check.detail.contains("AOP-06A5 \"2470W\" (no serial)")
            && check.detail.contains("pin it by connector"),
        "{}",
        check.detail
    );
    deck.launch("JS-2026-0142").await.unwrap();
    deck.select("JS/1").await.unwrap();
    let presented = deck.present(&["bench".into(), "public".into()]).await;
    println!("present to both: {presented:?}");
    let notice = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(UiEvent::Notice { error, .. }) = events.recv().await
                && error.message.contains("BENCH")
            {
                return error.message;
            }
        }
    })
    .await
    .unwrap_or_default();
    println!("notice: {notice}");
    // Had JS/1 reached a screen, its frames would count within this.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        notice.contains("Not shown on BENCH")
            && notice.contains("BENCH matches 2 monitors")
            && notice.contains("pin it by connector"),
        "{notice}"
    );
    // Neither twin shows the exhibit: both tiles say wrong monitor, no frame reached either, and
    // what stays on them is black.
    let stage = deck.stage().await;
    for tile in &stage.screens {
        assert!(
            tile.wrong_monitor && !tile.connected && tile.showing.is_none(),
            "{tile:?}"
        );
    }
    let frames = deck.screen_frames().await.unwrap();
    assert!(frames.values().all(|f| *f == 0), "{frames:?}");
    assert!(is_black(&xvfb, left) && is_black(&xvfb, right));
    deck.shutdown().await;

    // Pinned by connector as well (what `courtdeck screens` tells the clerk to write): each screen
    // on its own twin, and the exhibit on both.
    let deck = Courtdeck::open(config(vec![
        screen("bench", Some("HDMI-1"), Some(&hash_identity)),
        screen("public", Some("HDMI-2"), Some(&hash_identity)),
    ]))
    .await
    .unwrap();
    let report = deck.run_checks(Some(vec!["screens".into()])).await.unwrap();
    assert_eq!(
        report.checks[0].status,
        CheckStatus::Pass,
        "{}",
        report.checks[0].detail
    );
    deck.launch("JS-2026-0142").await.unwrap();
    deck.select("JS/1").await.unwrap();
    let stage = deck
        .present(&["bench".into(), "public".into()])
        .await
        .unwrap();
    assert_eq!(stage.on_air.as_ref().unwrap().screens, ["bench", "public"]);
    for m in [left, right] {
        wait_screen(
            &format!("JS/1 on {}", m.name),
            || !is_black(&xvfb, m),
            || format!("{} stayed black", m.name),
        );
    }
    deck.shutdown().await;
    println!(
        "RELIABILITY|screens|two_identical_monitors_without_a_serial_leave_both_screens_black_until_pinned_by_connector|two monitors of one model without a serial: pinned by identity alone, by an old identity, by connector|3"
    );
}
