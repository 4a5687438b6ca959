//! Benchmarks that print figures, each beside a reference tool run in the same process on the same data.
//! No pass/fail: BENCHMARKS.md records the figures. Run: `cargo run --release -p courtdeck-bench --bin
//! courtdeck-bench [-- --fetch-mib N --resume-mib N --exhibits N --runs N]`. Needs nginx and curl.
//!
//! `--short` runs every section, the seven that a full run leaves out too, on small inputs (a few
//! seconds each): `scripts/test.sh` runs it, so a section that breaks fails the test command instead
//! of rotting unnoticed. Its figures are printed, never asserted.

mod bags;
mod beside;
mod captions;
mod checks;
mod decodebin;
mod documents;
mod link;
mod lists;
mod live;
mod playout;
mod renderers;
mod store;
mod windows;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::checks::checks_bench;
use crate::decodebin::decodebin_bench;
use crate::playout::cpu_bench;
use crate::playout::first_frame_bench;
use crate::playout::restart_bench;
use crate::playout::rss_bench;
use crate::playout::step_seek_bench;
use crate::store::fetch_bench;
use crate::store::resume_bench;
use crate::store::warm_launch_bench;
use crate::store::{http_fetch_bench, s3_fetch_bench};
use crate::windows::windows_bench;
use anyhow::{Context, Result, bail};
use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command as Cmd, Event, OutputSpec};

/// `--name N`, else `full` (or `short` under `--short`).
fn arg_or(name: &str, full: u64, short: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    let default = if args.iter().any(|a| a == "--short") {
        short
    } else {
        full
    };
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `--runs N` and the like: `default` in a full run, 2 under `--short`.
fn arg(name: &str, default: u64) -> u64 {
    arg_or(name, default, 2.min(default))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let work =
        tempfile::tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| "/var/tmp".into()))?;
    println!(
        "# Courtdeck benchmarks ({} cores, work dir {})",
        std::thread::available_parallelism()?,
        work.path().display()
    );
    // `--only store|fetch|lists|bags|checks|playout|rss|decodebin|windows|live|capture|documents|captions|link|beside|renderers` runs one group (rss:
    // the playout RSS benchmark alone; decodebin: uridecodebin against uridecodebin3; windows: real
    // windows under Xvfb; live: a laptop over SRT on 3 windows against ffplay; capture: the live test source on 3
    // windows against gst-launch-1.0; documents: page turns under Xvfb; captions: captions switched on a paused
    // recording under Xvfb; link: the video link over SRT on loopback; beside: side by side, headless;
    // renderers: poppler against hayro on the PDF corpus. The last nine are not part of a full run).
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let short = args.iter().any(|a| a == "--short");
    let wants = |group: &str| only.as_deref().is_none_or(|o| o == group);
    // The sections a full run leaves out: run alone with --only, or all of them under --short.
    let wants_alone = |group: &str| only.as_deref() == Some(group) || (short && only.is_none());
    let rt = tokio::runtime::Runtime::new()?;
    if wants("store") {
        fetch_bench(work.path(), arg_or("--fetch-mib", 512, 16))?;
    }
    // `--only fetch`: the verified fetches from nginx and SeaweedFS against curl, alone.
    if wants("store") || only.as_deref() == Some("fetch") {
        http_fetch_bench(&rt, work.path(), arg_or("--fetch-mib", 512, 16))?;
        s3_fetch_bench(&rt, work.path(), arg_or("--fetch-mib", 512, 16))?;
    }
    if wants("store") {
        resume_bench(&rt, work.path(), arg_or("--resume-mib", 256, 16))?;
        rt.block_on(warm_launch_bench(
            work.path(),
            arg_or("--exhibits", 100, 10) as usize,
        ))?;
    }
    if wants("lists") {
        lists::lists_bench(
            work.path(),
            arg_or("--list-hearings", 2000, 200) as usize,
            arg_or("--rooms", 40, 8) as usize,
            arg("--runs", 5) as usize,
        )?;
    }
    if wants("bags") {
        bags::bags_bench(
            work.path(),
            arg_or("--bag-files", 10, 3) as usize,
            arg_or("--bag-mib", 2048, 12),
        )?;
    }
    if matches!(only.as_deref(), Some("store" | "fetch" | "lists" | "bags")) {
        // Nothing below is the store's: no media to make.
        return Ok(());
    }
    let media = work.path().join("media");
    let files = courtdeck_engine::fixtures::demo_media(&media)?;
    let cctv = files
        .iter()
        .find(|f| f.file.ends_with(".mp4"))
        .context("cctv")?
        .path
        .clone();
    if wants("checks") {
        rt.block_on(checks_bench(
            work.path(),
            &files,
            arg_or("--hearings", 10, 2) as usize,
        ))?;
    }
    if wants("playout") {
        rt.block_on(first_frame_bench(&cctv, arg("--runs", 10) as usize))?;
        rt.block_on(cpu_bench(&cctv))?;
        rt.block_on(step_seek_bench(work.path(), arg("--runs", 10) as usize))?;
        rt.block_on(restart_bench(&cctv, arg("--runs", 10) as usize))?;
    }
    if wants("playout") || only.as_deref() == Some("rss") {
        // Three rounds of the demo files at least (the figure compares round 1 with the last).
        let round = files.len() as u64;
        rt.block_on(rss_bench(
            &files,
            arg_or("--switches", 200, 4 * round) as usize,
        ))?;
    }
    if wants_alone("windows") {
        rt.block_on(windows_bench(work.path(), arg_or("--seconds", 30, 3)))?;
    }
    if wants_alone("live") {
        // 1080p30 in a full run; 640x360 for a few seconds under --short.
        let size = if arg_or("--seconds", 20, 3) > 5 {
            (1920, 1080)
        } else {
            (640, 360)
        };
        rt.block_on(live::live_bench(
            work.path(),
            arg_or("--seconds", 20, 3),
            size,
        ))?;
    }
    if wants_alone("capture") {
        let size = if arg_or("--seconds", 20, 3) > 5 {
            (1920, 1080)
        } else {
            (640, 360)
        };
        rt.block_on(live::capture_bench(arg_or("--seconds", 20, 3), size))?;
    }
    if wants_alone("documents") {
        rt.block_on(documents::documents_bench(
            work.path(),
            arg("--runs", 10) as usize,
        ))?;
    }
    if wants_alone("captions") {
        rt.block_on(captions::captions_bench(
            work.path(),
            arg("--runs", 10) as usize,
        ))?;
    }
    if wants_alone("link") {
        rt.block_on(link::link_bench(work.path(), arg("--runs", 10) as usize))?;
    }
    if wants_alone("renderers") {
        renderers::renderers_bench(work.path())?;
    }
    if wants_alone("beside") {
        rt.block_on(beside::beside_bench(
            work.path(),
            arg("--runs", 10) as usize,
        ))?;
    }
    if wants_alone("decodebin") {
        let corpus = courtdeck_testdata::corpus::ffmpeg_corpus(&work.path().join("corpus"))?;
        rt.block_on(decodebin_bench(
            &corpus,
            arg_or("--loads", 200, 10) as usize,
        ))?;
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn headless(n: usize) -> Vec<OutputSpec> {
    (1..=n)
        .map(|i| OutputSpec::headless(&format!("out{i}"), "bench"))
        .collect()
}

/// An Xvfb with a 1920x1080 monitor for each of `names`, side by side (the window benchmarks).
fn full_hd_monitors(
    names: &[&'static str],
) -> Result<(courtdeck_testkit::Xvfb, Vec<courtdeck_testkit::Mon>)> {
    let mons = courtdeck_testkit::Mon::row(names, 1920, 1080);
    let xvfb = courtdeck_testkit::Xvfb::start(1920 * mons.len() as u16, 1080, &mons)?;
    Ok((xvfb, mons))
}

/// `env` and the confinement a benchmark's playout process runs under: it reads the benchmarks' work
/// folders (`BENCH_DIR`, else /var/tmp, and the temp folder) as a kiosk's reads its verified cache.
fn confined(mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.push(bench_policy().env());
    env
}

/// What a benchmark's playout process may read: the work folders (`BENCH_DIR`, else /var/tmp, and
/// the temp folder), as a kiosk's reads its verified cache.
/// A confined playout process (`bench_policy`) with one window per monitor: its id the monitor's
/// name in lower case, its role the bench's.
async fn playout_on_windows(
    xvfb: &courtdeck_testkit::Xvfb,
    mons: &[courtdeck_testkit::Mon],
) -> Result<courtdeck_playout::client::PlayoutClient> {
    let outputs = mons
        .iter()
        .map(|m| courtdeck_playout::protocol::OutputSpec {
            label: m.name.into(),
            ..courtdeck_playout::protocol::OutputSpec::window(
                &m.name.to_lowercase(),
                "bench",
                m.name,
            )
        })
        .collect();
    Ok(courtdeck_testkit::playout::playout_on_reading(xvfb, outputs, bench_policy()).await?)
}

fn bench_policy() -> courtdeck_playout::protocol::ConfinePolicy {
    let work =
        std::env::var_os("BENCH_DIR").map_or_else(|| PathBuf::from("/var/tmp"), PathBuf::from);
    let read = [work, std::env::temp_dir()].map(|p| p.canonicalize().unwrap_or(p));
    courtdeck_playout::protocol::ConfinePolicy::reading(read)
}

fn playout_exe() -> Result<PathBuf> {
    Ok(courtdeck_playout::client::locate_playout_binary()?)
}

async fn wait<T>(
    rx: &mut tokio::sync::broadcast::Receiver<ClientEvent>,
    mut f: impl FnMut(&Event) -> Option<T>,
) -> Result<T> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(ClientEvent::Playout(e))) => {
                if let Some(t) = f(&e) {
                    return Ok(t);
                }
                if let Event::Error { error, .. } = e {
                    bail!("playout error: {}", error.message);
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => bail!("event stream: {e}"),
            Err(_) => bail!("timed out"),
        }
    }
}

fn load(path: &Path) -> Cmd {
    Cmd::Load {
        exhibit: "X/1".into(),
        title: "bench".into(),
        path: path.display().to_string(),
        kind: "video".into(),
        restriction: "open".into(),
        pages: vec![],
        page: 1,
        captions: false,
    }
}

/// Load + Present of `media` on `screens`, returning once the first frame reached every one of them.
async fn load_present_first_frames(
    client: &PlayoutClient,
    rx: &mut tokio::sync::broadcast::Receiver<ClientEvent>,
    media: &Path,
    screens: &[String],
) -> Result<()> {
    client.request(load(media)).await?;
    client
        .request(Cmd::Present {
            exhibit: "X/1".into(),
            screens: screens.to_vec(),
        })
        .await?;
    let mut seen = 0;
    wait(rx, |e| {
        if matches!(e, Event::FirstFrame { .. }) {
            seen += 1;
        }
        (seen == screens.len()).then_some(())
    })
    .await
}

/// The reference: `gst-launch-1.0 playbin` from process start to its first video frame, `runs` times
/// (milliseconds each).
fn cold_gst_launch_ms(uri: &str, runs: usize) -> Result<Vec<f64>> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        run(Command::new("gst-launch-1.0").args([
            "-q",
            "playbin",
            &format!("uri={uri}"),
            "video-sink=fakesink num-buffers=1",
            "audio-sink=fakesink",
        ]))?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(times)
}

fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}
