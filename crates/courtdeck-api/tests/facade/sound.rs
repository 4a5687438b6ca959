//! The room's sound through the facade: levels and mute kept across a playout restart; the playout
//! process's memory limit.

use super::*;

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
