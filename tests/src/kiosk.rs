//! What the end-to-end tests share about the kiosk itself: a headless kiosk config, and the `courtdeck`
//! command line run with its state kept in a test's folder.

use std::path::Path;
use std::process::Command;

use courtdeck_api::Config;
use courtdeck_api::config::{AudioConfig, ScreenConfig, StoreConfig};

/// A kiosk on `store` with one headless BENCH screen, a silent sound output, and its cache and custody
/// log in `dir`.
pub fn headless_kiosk(store: StoreConfig, dir: &Path) -> Config {
    Config {
        store,
        cache_dir: Some(dir.join("cache")),
        audit_file: Some(dir.join("audit.jsonl")),
        screens: vec![headless_screen("bench", "bench")],
        audio: AudioConfig {
            sink: "fakesink sync=true".into(),
        },
        ..Config::default()
    }
}

/// A headless screen `id` (its label `id` in capitals) of `role`: playout decodes and counts its
/// frames but draws them nowhere.
pub fn headless_screen(id: &str, role: &str) -> ScreenConfig {
    ScreenConfig {
        id: id.into(),
        label: id.to_uppercase(),
        role: role.into(),
        monitor: None,
        monitor_index: None,
        headless: true,
        identity: None,
        stream: None,
    }
}

/// Runs a command to its end: whether it succeeded, and its stdout then its stderr.
pub fn run_cli(mut c: Command) -> (bool, String) {
    let out = c.output().expect("the command runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The built `courtdeck` CLI with `--config dir/config.toml`, its state (custody log) and config folders
/// in `dir`.
pub fn courtdeck_cli(dir: &Path) -> Command {
    let bin = crate::target_dir().join("courtdeck");
    assert!(bin.exists(), "build the workspace's binaries first");
    let mut c = Command::new(bin);
    c.arg("--config")
        .arg(dir.join("config.toml"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"));
    c
}
