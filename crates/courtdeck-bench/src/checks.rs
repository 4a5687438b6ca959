//! The setup checks over a day of hearings, against sha256sum and gst-launch-1.0.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::median;
use crate::run;
use anyhow::{Context, Result};
use courtdeck_store::DirStore;

/// A full setup-check run for a day of `hearings` hearings of 10 exhibits each (the demo media, each
/// exhibit its own copy with a distinct hash), warm cache, two headless screens; against sha256sum and
/// a gst-launch-1.0 preroll of the same files, run one after the other in the same benchmark.
pub(crate) async fn checks_bench(
    dir: &Path,
    media: &[courtdeck_engine::fixtures::DemoFile],
    hearings: usize,
) -> Result<()> {
    use courtdeck_api::config::{AudioConfig, StoreConfig};
    let store_dir = dir.join("checks-store");
    let date = courtdeck_api::today();
    let mut files = Vec::new();
    for h in 0..hearings {
        let case = format!("CHK-{h:02}");
        let m = dir.join(format!("checks-media-{h}"));
        std::fs::create_dir_all(&m)?;
        let mut toml = format!(
            "case_id = \"{case}\"\ntitle = \"R v {h}\"\n[listing]\ncourt = \"bench-court\"\ncourt_name = \"Bench\"\ndate = \"{date}\"\ntime = \"{:02}:00\"\nhearing_type = \"Trial\"\n",
            9 + h % 8
        );
        for i in 0..10 {
            let demo = &media[i % media.len()];
            let src = &demo.path;
            let ext = demo.file.rsplit('.').next().unwrap_or("bin");
            let name = format!("e{i}.{ext}");
            // A distinct copy: trailing bytes after the media change the hash, not the playback.
            let mut bytes = std::fs::read(src)?;
            bytes.extend_from_slice(format!("{case}/{i}").as_bytes());
            std::fs::write(m.join(&name), bytes)?;
            files.push(m.join(&name));
            let kind = match ext {
                "jpg" | "png" => "image",
                "wav" | "mp3" | "m4a" => "audio",
                _ => "video",
            };
            toml.push_str(&format!(
                "[[exhibit]]\nreference = \"CK/{}\"\ntitle = \"{}\"\nfile = \"{name}\"\nkind = \"{kind}\"\n",
                i + 1,
                demo.file
            ));
        }
        let desc: courtdeck_store::BundleDescription = toml::from_str(&toml)?;
        courtdeck_store::bundle(&DirStore::new(&store_dir), &m, &desc)?;
    }
    let screen = courtdeck_testkit::kiosk::headless_screen;
    let config = courtdeck_api::Config {
        court: "bench-court".into(),
        store: StoreConfig::Dir { path: store_dir },
        cache_dir: Some(dir.join("checks-cache")),
        audit_file: Some(dir.join("checks-audit.jsonl")),
        screens: vec![screen("bench", "bench"), screen("public", "public_gallery")],
        audio: AudioConfig {
            sink: "fakesink sync=true".into(),
        },
        ..courtdeck_api::Config::default()
    };
    let deck = courtdeck_api::Courtdeck::open(config).await?;
    deck.fetch_day(date, None).await?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let r = deck.run_checks(None).await?;
        times.push(r.seconds);
        last = Some(r);
    }
    deck.shutdown().await;
    let r = last.context("a report")?;
    let exhibits = r
        .checks
        .iter()
        .filter(|c| c.id.starts_with("exhibit:"))
        .count();
    let failed = r
        .checks
        .iter()
        .filter(|c| c.status != courtdeck_api::json::CheckStatus::Pass)
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect::<Vec<_>>();
    let exhibit_ms: u64 = r
        .checks
        .iter()
        .filter(|c| c.id.starts_with("exhibit:"))
        .map(|c| c.ms)
        .sum();
    let t = Instant::now();
    run(Command::new("sha256sum").args(&files))?;
    let sha = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for f in &files {
        let uri = format!("file://{}", f.display());
        run(Command::new("gst-launch-1.0").args([
            "-q",
            "playbin",
            &format!("uri={uri}"),
            "video-sink=fakesink num-buffers=1",
            "audio-sink=fakesink num-buffers=1",
        ]))
        .ok();
    }
    let gst = t.elapsed().as_secs_f64();
    let ours = median(times);
    println!(
        "\n## Setup checks: a day of {hearings} hearings / {exhibits} exhibits, warm cache, 2 headless screens (median of 3)"
    );
    println!(
        "courtdeck check, every check ({} checks, overall {}):  {ours:>6.1} s   (exhibits: {:.1} s)",
        r.checks.len(),
        r.overall.as_str(),
        exhibit_ms as f64 / 1000.0
    );
    println!(
        "reference sha256sum of the {} files:                 {sha:>6.1} s",
        files.len()
    );
    println!(
        "reference gst-launch-1.0 playbin to the first buffer, per file: {gst:>6.1} s   ratio {:.2}x (ours / sha256sum + gst-launch)",
        ours / (sha + gst)
    );
    if !failed.is_empty() {
        println!("not passing: {failed:?}");
    }
    Ok(())
}
