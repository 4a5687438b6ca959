//! Benchmarks that print figures, each beside a reference tool run in the same process on the same data.
//! No pass/fail: BENCHMARKS.md records the figures. Run: `cargo run --release -p courtdeck-testkit --bin
//! courtdeck-bench [-- --fetch-mib N --resume-mib N --exhibits N --runs N]`. Needs nginx and curl.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use courtdeck_core::{Exhibit, ExhibitKind, ExhibitRef, Restriction};
use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command as Cmd, Event, OutputSpec};
use courtdeck_store::{Cache, DirStore, HttpAuth, HttpStore, HttpStoreConfig, hash_file};
use courtdeck_testkit::servers::{CutProxy, Nginx, NginxOptions, publish_random_case};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    // `--only store|checks|playout|rss|decodebin|windows` runs one group (rss: the playout RSS
    // benchmark alone; decodebin: uridecodebin against uridecodebin3; windows: real windows under
    // Xvfb. The last two are not part of a full run).
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let wants = |group: &str| only.as_deref().is_none_or(|o| o == group);
    let rt = tokio::runtime::Runtime::new()?;
    if wants("store") {
        fetch_bench(work.path(), arg("--fetch-mib", 512))?;
        http_fetch_bench(&rt, work.path(), arg("--fetch-mib", 512))?;
        resume_bench(&rt, work.path(), arg("--resume-mib", 256))?;
        rt.block_on(warm_launch_bench(
            work.path(),
            arg("--exhibits", 100) as usize,
        ))?;
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
            arg("--hearings", 10) as usize,
        ))?;
    }
    if wants("playout") {
        rt.block_on(first_frame_bench(&cctv, arg("--runs", 10) as usize))?;
        rt.block_on(cpu_bench(&cctv))?;
        rt.block_on(step_seek_bench(work.path(), arg("--runs", 10) as usize))?;
        rt.block_on(restart_bench(&cctv, arg("--runs", 10) as usize))?;
    }
    if wants("playout") || only.as_deref() == Some("rss") {
        rt.block_on(rss_bench(&files, arg("--switches", 200) as usize))?;
    }
    if only.as_deref() == Some("windows") {
        rt.block_on(windows_bench(work.path(), arg("--seconds", 30)))?;
    }
    if only.as_deref() == Some("decodebin") {
        let corpus = courtdeck_engine::corpus::ffmpeg_corpus(&work.path().join("corpus"))?;
        rt.block_on(decodebin_bench(&corpus, arg("--loads", 200) as usize))?;
    }
    Ok(())
}

/// `uridecodebin` against `uridecodebin3` as the engine's decoder: `loads` Loads (to the first frame)
/// and Unloads in one playout process each, round robin over the ffmpeg corpus's good files, with
/// four other decoders busy on the machine's cores as on a loaded kiosk. Counts the loads that
/// failed or took more than a second (a preroll that needed the engine's rebuild takes at least 2 s).
async fn decodebin_bench(
    corpus: &[courtdeck_engine::corpus::CorpusFile],
    loads: usize,
) -> Result<()> {
    // The 300-track file is loaded once, last: it crashes uridecodebin3, which would spoil the rest.
    let (hostile, good): (Vec<_>, Vec<_>) = corpus
        .iter()
        .filter(|f| f.expect == courtdeck_engine::corpus::Expect::Plays)
        .partition(|f| f.name == "300-tracks.mkv");
    println!(
        "\n## Decoder element: {loads} loads each, {} files from the ffmpeg corpus, round robin, 2 headless screens",
        good.len()
    );
    // Load on the cores: the flakes showed under load, not on an idle machine.
    let busy: Vec<std::process::Child> = (0..4)
        .map(|_| {
            std::process::Command::new("gst-launch-1.0")
                .args([
                    "-q",
                    "videotestsrc",
                    "is-live=false",
                    "!",
                    "video/x-raw,width=1280,height=720",
                    "!",
                    "x264enc",
                    "speed-preset=ultrafast",
                    "!",
                    "fakesink",
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
        })
        .collect::<std::io::Result<_>>()?;
    for decodebin in ["uridecodebin", "uridecodebin3"] {
        let client = PlayoutClient::start_with(
            playout_exe()?,
            headless(2),
            vec![
                ("COURTDECK_DECODEBIN".into(), decodebin.into()),
                ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            ],
        )
        .await?;
        let mut rx = client.subscribe();
        let (mut times, mut failed, mut crashed) = (Vec::new(), Vec::new(), 0);
        for i in 0..loads + hostile.len() {
            let f = if i < loads {
                good[i % good.len()]
            } else {
                hostile[i - loads]
            };
            let exhibit = format!("D/{i}");
            let t0 = Instant::now();
            let loaded = client
                .request(Cmd::Load {
                    exhibit: exhibit.clone(),
                    title: f.name.into(),
                    path: f.path.display().to_string(),
                    kind: f.kind.into(),
                    restriction: "open".into(),
                })
                .await;
            let outcome = match loaded {
                Err(e) => Err(e.to_string()),
                Ok(_) => wait(&mut rx, |e| match e {
                    Event::Prerolled { exhibit: x, .. } if *x == exhibit => Some(()),
                    _ => None,
                })
                .await
                .map_err(|e| format!("{e:#}")),
            };
            if i >= loads {
                println!(
                    "{decodebin:<14} {}: {}",
                    f.name,
                    match &outcome {
                        Ok(()) => format!(
                            "first frame in {:.0} ms",
                            t0.elapsed().as_secs_f64() * 1000.0
                        ),
                        Err(e) => format!("FAILED: {e}"),
                    }
                );
                let _ = client.request(Cmd::Unload { exhibit }).await;
                continue;
            }
            match outcome {
                Ok(()) => times.push(t0.elapsed().as_secs_f64() * 1000.0),
                Err(e) => {
                    if e.contains("restart") || e.contains("stopped") {
                        crashed += 1;
                    }
                    failed.push(format!("{}: {e}", f.name));
                }
            }
            let _ = client.request(Cmd::Unload { exhibit }).await;
        }
        client.shutdown().await;
        let slow = times.iter().filter(|&&t| t > 1000.0).count();
        let max = times.iter().cloned().fold(0.0, f64::max);
        println!(
            "{decodebin:<14} loads {loads}: failed {:>3} (process died {crashed}), slower than 1 s {slow:>3}, median {:>6.1} ms, max {max:>7.1} ms",
            failed.len(),
            if times.is_empty() {
                0.0
            } else {
                median(times.clone())
            },
        );
        for f in failed.iter().take(5) {
            println!("    {f}");
        }
    }
    for mut b in busy {
        let _ = b.kill();
        let _ = b.wait();
    }
    Ok(())
}

/// Verified fetch from a directory store into the cache (hash while writing, fsync, rename) against
/// `cp` + `sync` and `sha256sum` on the same file.
fn fetch_bench(dir: &Path, mib: u64) -> Result<()> {
    let store_dir = dir.join("store");
    let blob_src = dir.join("blob.bin");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&blob_src)?;
        let mut block = vec![0u8; 1 << 20];
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..mib {
            for chunk in block.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            f.write_all(&block)?;
        }
        f.sync_all()?;
    }
    let sha256 = hash_file(&blob_src)?;
    let blob = store_dir.join(courtdeck_store::blob_path(&sha256));
    std::fs::create_dir_all(blob.parent().unwrap())?;
    std::fs::rename(&blob_src, &blob)?;
    let size = std::fs::metadata(&blob)?.len();
    let exhibit = Exhibit {
        reference: ExhibitRef::parse("B/1")?,
        title: "bench".into(),
        kind: ExhibitKind::Video,
        media_type: "video/mp4".into(),
        size,
        sha256,
        restriction: Restriction::Open,
        duration: None,
        clips: vec![],
    };
    let mb = size as f64 / 1e6;
    let mut ours = Vec::new();
    let mut cp = Vec::new();
    let mut shasum = Vec::new();
    for i in 0..3 {
        let cache = Cache::new(dir.join(format!("cache{i}")));
        let t = Instant::now();
        cache.fetch(
            &DirStore::new(&store_dir),
            &exhibit,
            &AtomicBool::new(false),
            &mut |_| {},
        )?;
        ours.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_dir_all(cache.root()).ok();

        let dest = dir.join("cp.out");
        let t = Instant::now();
        run(Command::new("cp").arg(&blob).arg(&dest))?;
        run(Command::new("sync").arg(&dest))?;
        cp.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_file(&dest).ok();

        let t = Instant::now();
        run(Command::new("sha256sum").arg(&blob))?;
        shasum.push(mb / t.elapsed().as_secs_f64());
    }
    let (o, c, s) = (median(ours), median(cp), median(shasum));
    println!(
        "\n## Verified fetch, directory store -> cache ({mib} MiB, median of 3, page cache warm)"
    );
    println!("courtdeck fetch (sha256 while writing + fsync + rename): {o:>8.0} MB/s");
    println!(
        "reference cp + sync:                                    {c:>8.0} MB/s   ratio {:.2}x",
        o / c
    );
    println!(
        "reference sha256sum (hash only):                        {s:>8.0} MB/s   ratio {:.2}x",
        o / s
    );
    Ok(())
}

/// A directory store holding one random blob of `mib` MiB; returns the exhibit.
fn random_blob_store(store_dir: &Path, mib: u64) -> Result<Exhibit> {
    let date = jiff::Zoned::now().date();
    let m = publish_random_case(store_dir, "bench-court", date, "BENCH-1", &[mib << 20], 99)?;
    Ok(m.exhibits()[0].clone())
}

/// Verified fetch over HTTP from a loopback nginx against `curl -o` (+ `sync`) from the same nginx to
/// the same disk.
fn http_fetch_bench(rt: &tokio::runtime::Runtime, dir: &Path, mib: u64) -> Result<()> {
    let store_dir = dir.join("http-store");
    let exhibit = random_blob_store(&store_dir, mib)?;
    let nginx = Nginx::start(&store_dir, &NginxOptions::default())?;
    let url = format!(
        "{}{}",
        nginx.url,
        courtdeck_store::blob_path(&exhibit.sha256)
    );
    let store = HttpStore::new(
        HttpStoreConfig::new(&nginx.url, HttpAuth::None),
        rt.handle().clone(),
    )?;
    // Warm the server's page cache once, as a store that has served the file before would be.
    run(Command::new("curl").args(["-sS", "-o", "/dev/null", &url]))?;
    let mb = exhibit.size as f64 / 1e6;
    let (mut ours, mut curl_sync, mut curl) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..3 {
        let cache = Cache::new(dir.join(format!("http-cache{i}")));
        let t = Instant::now();
        cache.fetch(&store, &exhibit, &AtomicBool::new(false), &mut |_| {})?;
        ours.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_dir_all(cache.root()).ok();

        let dest = dir.join("curl.out");
        let t = Instant::now();
        run(Command::new("curl")
            .args(["-sS", "-o"])
            .arg(&dest)
            .arg(&url))?;
        curl.push(mb / t.elapsed().as_secs_f64());
        run(Command::new("sync").arg(&dest))?;
        curl_sync.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_file(&dest).ok();
    }
    let (o, cs, c) = (median(ours), median(curl_sync), median(curl));
    println!("\n## Verified fetch over HTTP from loopback nginx ({mib} MiB, median of 3)");
    println!(
        "courtdeck fetch (download thread; sha256 while writing; fsync; rename): {o:>8.0} MB/s"
    );
    println!(
        "reference curl -o + sync (same durability):                            {cs:>8.0} MB/s   ratio {:.2}x",
        o / cs
    );
    println!(
        "reference curl -o (page cache only, no fsync, no hash):                {c:>8.0} MB/s   ratio {:.2}x",
        o / c
    );
    Ok(())
}

/// Bytes transferred again per resume, through a proxy that cuts connections every 4-12 MiB.
fn resume_bench(rt: &tokio::runtime::Runtime, dir: &Path, mib: u64) -> Result<()> {
    let store_dir = dir.join("resume-store");
    let exhibit = random_blob_store(&store_dir, mib)?;
    let nginx = Nginx::start(&store_dir, &NginxOptions::default())?;
    let proxy = CutProxy::start(nginx.port, 4 << 20..12 << 20, 42)?;
    let store = HttpStore::new(
        HttpStoreConfig::new(proxy.url(), HttpAuth::None),
        rt.handle().clone(),
    )?;
    let cache = Cache::new(dir.join("resume-cache"));
    let t = Instant::now();
    let report = cache.fetch_with_report(&store, &exhibit, &AtomicBool::new(false), &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let cuts = proxy.cuts().max(1);
    let down = proxy
        .stats
        .bytes_down
        .load(std::sync::atomic::Ordering::Relaxed);
    let sent = nginx.body_bytes_sent("/blobs/");
    println!("\n## Resume after dropped connections ({mib} MiB, a cut every 4-12 MiB)");
    println!(
        "{} cuts, {} reconnects, {secs:.1} s (backoff included), verified",
        proxy.cuts(),
        report.reconnects
    );
    println!(
        "bytes the kiosk received beyond the blob, per resume (headers): {:.0}",
        down.saturating_sub(exhibit.size) as f64 / cuts as f64
    );
    println!(
        "body bytes nginx sent beyond the blob, per resume (lost in socket buffers at the cut): {:.0}",
        sent.saturating_sub(exhibit.size) as f64 / cuts as f64
    );
    Ok(())
}

/// Launching a hearing of `n` cached exhibits through the facade, its store an nginx on loopback;
/// against rehashing those exhibits with sha256sum (what launch avoids).
async fn warm_launch_bench(dir: &Path, n: usize) -> Result<()> {
    use courtdeck_api::config::{AuthKind, HttpsStoreConfig, StoreConfig};
    let store_dir = dir.join("launch-store");
    let date = courtdeck_api::today();
    let sizes: Vec<u64> = (0..n as u64).map(|i| 256 * 1024 + i).collect();
    let m = publish_random_case(&store_dir, "bench-court", date, "LAUNCH-1", &sizes, 7)?;
    let nginx = Nginx::start(&store_dir, &NginxOptions::default())?;
    let config = courtdeck_api::Config {
        court: "bench-court".into(),
        store: StoreConfig::Https(HttpsStoreConfig {
            auth: AuthKind::None,
            connect_timeout_s: 5,
            read_timeout_s: 10,
            ..HttpsStoreConfig::new(nginx.url.clone())
        }),
        cache_dir: Some(dir.join("launch-cache")),
        audit_file: Some(dir.join("launch-audit.jsonl")),
        ..courtdeck_api::Config::default()
    };
    let deck = courtdeck_api::Courtdeck::open_with(config, false).await?;
    deck.fetch_day(date, None).await?;
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let h = deck.launch("LAUNCH-1").await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(h.exhibits.iter().all(|e| e.cached), "not all cached");
    }
    let cache = Cache::new(dir.join("launch-cache"));
    let paths: Vec<_> = m
        .exhibits()
        .iter()
        .filter_map(|e| cache.verified_path(e))
        .collect();
    let t = Instant::now();
    run(Command::new("sha256sum").args(&paths))?;
    let rehash = t.elapsed().as_secs_f64() * 1000.0;
    let launch = median(times);
    println!(
        "\n## Warm launch of a hearing with {n} cached exhibits (store: loopback nginx, median of 5)"
    );
    println!(
        "courtdeck launch (list + manifest from the store, one stat per exhibit): {launch:>8.1} ms"
    );
    println!(
        "reference sha256sum of the same {n} files (what launch does not do):    {rehash:>8.1} ms   ratio {:.2}x",
        launch / rehash
    );
    deck.shutdown().await;
    Ok(())
}

/// A full setup-check run for a day of `hearings` hearings of 10 exhibits each (the demo media, each
/// exhibit its own copy with a distinct hash), warm cache, two headless screens; against sha256sum and
/// a gst-launch-1.0 preroll of the same files, run one after the other in the same benchmark.
async fn checks_bench(
    dir: &Path,
    media: &[courtdeck_engine::fixtures::DemoFile],
    hearings: usize,
) -> Result<()> {
    use courtdeck_api::config::{AudioConfig, ScreenConfig, StoreConfig};
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
    let screen = |id: &str, role: &str| ScreenConfig {
        id: id.into(),
        label: id.to_uppercase(),
        role: role.into(),
        monitor: None,
        monitor_index: None,
        headless: true,
    };
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

/// Frames counted at `screen`'s sink, as the engine reports them.
async fn frames_at(client: &PlayoutClient, screen: &str) -> Result<u64> {
    let stats = client.request(Cmd::Stats).await?.unwrap_or_default();
    Ok(stats
        .iter()
        .find(|s| s.screen == screen)
        .map_or(0, |s| s.frames))
}

/// Sends `command` and waits until a new frame reaches the screen's sink; milliseconds.
async fn until_new_frame(client: &PlayoutClient, command: Cmd) -> Result<f64> {
    let before = frames_at(client, "out1").await?;
    let t = Instant::now();
    client.request(command).await?;
    while frames_at(client, "out1").await? == before {
        if t.elapsed() > Duration::from_secs(10) {
            bail!("no new frame within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(t.elapsed().as_secs_f64() * 1e3)
}

/// Frame step forward and back, and accurate seeks, on 1080p H.264 with a keyframe every 50 frames,
/// paused; each from the request until the new frame reached the sink. Reference: a cold
/// `gst-launch-1.0` decoding to the same point (what seeking by restarting a player costs).
async fn step_seek_bench(dir: &Path, runs: usize) -> Result<()> {
    let media = dir.join("gop50-1080p.mp4");
    run(Command::new("gst-launch-1.0").args([
        "-q",
        "videotestsrc",
        "pattern=ball",
        "num-buffers=500",
        "!",
        "video/x-raw,width=1920,height=1080,framerate=25/1",
        "!",
        "videoconvert",
        "!",
        "video/x-raw,format=I420",
        "!",
        "x264enc",
        "speed-preset=ultrafast",
        "key-int-max=50",
        "!",
        "h264parse",
        "!",
        "mp4mux",
        "!",
        "filesink",
        &format!("location={}", media.display()),
    ]))?;
    let client = PlayoutClient::start(playout_exe()?, headless(1)).await?;
    let mut rx = client.subscribe();
    client.request(load(&media)).await?;
    wait(&mut rx, |e| {
        matches!(e, Event::Prerolled { .. }).then_some(())
    })
    .await?;
    client
        .request(Cmd::Present {
            exhibit: "X/1".into(),
            screens: vec!["out1".into()],
        })
        .await?;
    wait(&mut rx, |e| {
        matches!(e, Event::FirstFrame { .. }).then_some(())
    })
    .await?;
    let (mut fwd, mut back, mut seek) = (Vec::new(), Vec::new(), Vec::new());
    // Start mid-GOP so that stepping back must decode from the keyframe before.
    client.request(Cmd::Seek { position_ms: 8_840 }).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..runs {
        fwd.push(until_new_frame(&client, Cmd::Step { frames: 1 }).await?);
        back.push(until_new_frame(&client, Cmd::Step { frames: -1 }).await?);
        // Accurate seeks to frames in the middle of GOPs across the file.
        let position_ms = 1_000 + (i as u64 * 1_760) % 18_000 + 840;
        seek.push(until_new_frame(&client, Cmd::Seek { position_ms }).await?);
    }
    client.shutdown().await;
    let cold = median(cold_gst_launch_ms(
        &format!("file://{}", media.display()),
        runs.min(5),
    )?);
    println!(
        "\n## Frame step and accurate seek, 1080p H.264, keyframe every 50 frames, paused (median of {runs})"
    );
    println!("reference gst-launch-1.0 playbin, cold, to the first frame: {cold:>7.1} ms");
    for (what, v, target) in [
        ("step forward one frame", fwd, 50.0),
        ("step back one frame (accurate seek)", back, 300.0),
        ("accurate seek mid-GOP", seek, 300.0),
    ] {
        let m = median(v);
        println!(
            "{what:<38} {m:>7.1} ms   ratio {:.2}   (target {target:.0} ms)",
            m / cold
        );
    }
    Ok(())
}

/// Resident memory of the playout process across `switches` exhibit switches (Load + Present of the
/// next demo file, round robin), against its size after the first ten.
async fn rss_bench(media: &[courtdeck_engine::fixtures::DemoFile], switches: usize) -> Result<()> {
    let rss = |pid: u32| -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .context("VmRSS")?;
        Ok(kb * 1024)
    };
    let client = PlayoutClient::start(playout_exe()?, headless(2)).await?;
    let pid = client.pid().await.context("playout pid")?;
    let mut rx = client.subscribe();
    // RSS after each switch. What is loaded at the moment of a sample (a 1080p decoder's frame pool,
    // or a still) moves it by ten MB or more, so single samples compare badly: compare the mean of a
    // whole round of the demo files early on with the mean of the last round, and fit a line
    // through the round means for the growth per switch.
    let mut samples = Vec::with_capacity(switches);
    for i in 0..switches {
        let demo = &media[i % media.len()];
        let path = &demo.path;
        let kind = match demo.file.rsplit('.').next() {
            Some("jpg" | "png") => "image",
            Some("wav") => "audio",
            _ => "video",
        };
        let exhibit = format!("X/{}", i + 1);
        client
            .request(Cmd::Load {
                exhibit: exhibit.clone(),
                title: demo.file.clone(),
                path: path.display().to_string(),
                kind: kind.into(),
                restriction: "open".into(),
            })
            .await?;
        wait(&mut rx, |e| match e {
            Event::Prerolled { exhibit: x, .. } if *x == exhibit => Some(()),
            _ => None,
        })
        .await
        .with_context(|| format!("switch {i}: {}", demo.file))?;
        client
            .request(Cmd::Present {
                exhibit,
                screens: vec!["out1".into(), "out2".into()],
            })
            .await?;
        samples.push(rss(pid)? as f64);
    }
    client.shutdown().await;
    let round = media.len();
    let means: Vec<f64> = samples
        .chunks_exact(round)
        .map(|c| c.iter().sum::<f64>() / round as f64)
        .collect();
    anyhow::ensure!(means.len() >= 3, "too few switches for three rounds");
    // Round 0 loads every plugin and font for the first time: the baseline is round 1.
    let (baseline, last) = (means[1], means[means.len() - 1]);
    let xs: Vec<f64> = (1..means.len()).map(|r| (r * round) as f64).collect();
    let ys = &means[1..];
    let (mx, my) = (
        xs.iter().sum::<f64>() / xs.len() as f64,
        ys.iter().sum::<f64>() / ys.len() as f64,
    );
    let slope = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
    let peak = samples.iter().cloned().fold(0.0, f64::max);
    println!(
        "\n## Playout RSS across {switches} exhibit switches (demo media round robin, 2 headless screens)"
    );
    println!(
        "mean over round 2 ({round} switches) {:.1} MB, over the last round {:.1} MB (peak {:.1} MB): growth {:+.1}%   (target <= 10%); trend {:+.1} KB per switch",
        baseline / 1e6,
        last / 1e6,
        peak / 1e6,
        (last / baseline - 1.0) * 100.0,
        slope / 1e3
    );
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
    }
}

/// Present -> first frame at every output, three ways, against a cold `gst-launch-1.0 playbin`.
async fn first_frame_bench(media: &Path, runs: usize) -> Result<()> {
    // SAFETY: set before any playout process is spawned; single-threaded at this point of the program.
    unsafe { std::env::set_var("COURTDECK_AUDIO_SINK", "fakesink") };
    let uri = format!("file://{}", media.display());
    let gst = cold_gst_launch_ms(&uri, runs)?;
    let outputs = 4;
    let client = PlayoutClient::start(playout_exe()?, headless(outputs)).await?;
    let screens: Vec<String> = (1..=outputs).map(|i| format!("out{i}")).collect();
    let mut warm = Vec::new();
    let mut prerolled = Vec::new();
    for _ in 0..runs {
        // Warm: the process is running; Load + Present together, then every output's first buffer.
        let mut rx = client.subscribe();
        let t = Instant::now();
        load_present_first_frames(&client, &mut rx, media, &screens).await?;
        warm.push(t.elapsed().as_secs_f64() * 1e3);
        client.request(Cmd::Withdraw).await?;

        // Prerolled: Load, wait for the first frame to be decoded, then time Present alone.
        let mut rx = client.subscribe();
        client.request(load(media)).await?;
        wait(&mut rx, |e| {
            matches!(e, Event::Prerolled { .. }).then_some(())
        })
        .await?;
        let t = Instant::now();
        client
            .request(Cmd::Present {
                exhibit: "X/1".into(),
                screens: screens.clone(),
            })
            .await?;
        prerolled.push(t.elapsed().as_secs_f64() * 1e3);
        client.request(Cmd::Withdraw).await?;
    }
    client.shutdown().await;
    let (g, w, p) = (median(gst), median(warm), median(prerolled));
    println!(
        "\n## Present -> first frame, 704x576 H.264 CCTV, {outputs} headless outputs (median of {runs})"
    );
    println!("reference gst-launch-1.0 playbin, cold, to first frame: {g:>7.1} ms");
    println!(
        "courtdeck warm (Load+Present, all {outputs} outputs):        {w:>7.1} ms   ratio {:.2}",
        w / g
    );
    println!(
        "courtdeck prerolled (Present only, round trip):         {p:>7.2} ms   ratio {:.3}",
        p / g
    );
    Ok(())
}

/// SIGKILL of the playout process mid-playback: how long until the supervisor has a new process
/// with its outputs configured (`Restarted`, the standby slate up), and until an exhibit presented
/// again is on every output. The reference is a cold `gst-launch-1.0` to its first frame (process
/// start and GStreamer set-up, as a restart must do).
async fn restart_bench(media: &Path, runs: usize) -> Result<()> {
    let uri = format!("file://{}", media.display());
    let gst = cold_gst_launch_ms(&uri, runs)?;
    let outputs = 2;
    let screens: Vec<String> = (1..=outputs).map(|i| format!("out{i}")).collect();
    let client = PlayoutClient::start(playout_exe()?, headless(outputs)).await?;
    let mut restarted = Vec::new();
    let mut presented = Vec::new();
    for _ in 0..runs {
        let mut rx = client.subscribe();
        client.request(load(media)).await?;
        wait(&mut rx, |e| {
            matches!(e, Event::Prerolled { .. }).then_some(())
        })
        .await?;
        client
            .request(Cmd::Present {
                exhibit: "X/1".into(),
                screens: screens.clone(),
            })
            .await?;
        client.request(Cmd::Play).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pid = client.pid().await.context("pid")?;
        let t = Instant::now();
        run(Command::new("kill").args(["-9", &pid.to_string()]))?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Ok(ClientEvent::Restarted { .. })) => break,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => bail!("event stream: {e}"),
                Err(_) => bail!("no restart within 30 s"),
            }
        }
        restarted.push(t.elapsed().as_secs_f64() * 1e3);
        load_present_first_frames(&client, &mut rx, media, &screens).await?;
        presented.push(t.elapsed().as_secs_f64() * 1e3);
        client.request(Cmd::Withdraw).await?;
    }
    client.shutdown().await;
    let (g, r, p) = (median(gst), median(restarted), median(presented));
    println!(
        "\n## Playout restart after SIGKILL mid-playback, {outputs} headless outputs (median of {runs})"
    );
    println!("reference gst-launch-1.0 playbin, cold, to first frame: {g:>7.1} ms");
    println!(
        "kill -> new process up, outputs configured (standby slate): {r:>7.1} ms   ratio {:.2}   (target 2000 ms)",
        r / g
    );
    println!(
        "kill -> the exhibit presented again on every output:        {p:>7.1} ms   ratio {:.2}",
        p / g
    );
    Ok(())
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

/// CPU time of the playout process playing 5 s of the CCTV to 1 and to 4 outputs.
async fn cpu_bench(media: &Path) -> Result<()> {
    let mut results = Vec::new();
    for outputs in [1usize, 4] {
        let client = PlayoutClient::start(playout_exe()?, headless(outputs)).await?;
        let pid = client.pid().await.context("pid")?;
        let mut rx = client.subscribe();
        client.request(load(media)).await?;
        wait(&mut rx, |e| {
            matches!(e, Event::Prerolled { .. }).then_some(())
        })
        .await?;
        let screens = (1..=outputs).map(|i| format!("out{i}")).collect();
        client
            .request(Cmd::Present {
                exhibit: "X/1".into(),
                screens,
            })
            .await?;
        let before = cpu_seconds(pid)?;
        client.request(Cmd::Play).await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let used = cpu_seconds(pid)? - before;
        let stats = client.request(Cmd::Stats).await?.unwrap_or_default();
        client.shutdown().await;
        let frames: u64 = stats.iter().map(|s| s.frames).sum();
        results.push((outputs, used, frames));
    }
    println!(
        "\n## CPU time of the playout process, 5 s of 704x576 H.264 scaled to 1280x720 per output"
    );
    for (n, cpu, frames) in &results {
        println!("{n} output(s): {cpu:>5.2} CPU-s for {frames} frames rendered");
    }
    println!(
        "ratio 4 outputs / 1 output: {:.2}x",
        results[1].1 / results[0].1
    );
    Ok(())
}

/// Playing to three real 1920x1080 windows under Xvfb for `seconds`: frames each window's sink got
/// against the frames in the file (the rest were dropped, late, by QoS), and the playout process's
/// CPU, against `gst-launch-1.0 playbin` to one `ximagesink` (`fpsdisplaysink` counts its rendered
/// and dropped frames) on the same display. 1080p25 and 1440p25 H.264, 720p25 HEVC, made by ffmpeg.
async fn windows_bench(dir: &Path, seconds: u64) -> Result<()> {
    use courtdeck_playout::protocol::OutputKind;
    use courtdeck_testkit::{Mon, Xvfb};
    let mons = [
        Mon {
            name: "BENCH",
            x: 0,
            y: 0,
            w: 1920,
            h: 1080,
        },
        Mon {
            name: "WITNESS",
            x: 1920,
            y: 0,
            w: 1920,
            h: 1080,
        },
        Mon {
            name: "PUBLIC",
            x: 3840,
            y: 0,
            w: 1920,
            h: 1080,
        },
    ];
    let xvfb = Xvfb::start(5760, 1080, &mons)?;
    println!(
        "\n## Real windows under Xvfb: {seconds} s to 3 windows of 1920x1080 (ximagesink), against gst-launch-1.0 playbin to one"
    );
    println!(
        "| file | courtdeck frames per window (of N) | courtdeck CPU | reference frames (dropped) | reference CPU | CPU ratio |"
    );
    println!("|---|---|---:|---|---:|---:|");
    let cases = [
        ("1080p25 H.264", "1920x1080", "libx264"),
        ("1440p25 H.264", "2560x1440", "libx264"),
        ("720p25 HEVC", "1280x720", "libx265"),
    ];
    for (label, size, codec) in cases {
        let file = dir.join(format!("windows-{size}-{codec}.mp4"));
        if !file.exists() {
            let source = format!("testsrc2=size={size}:rate=25:duration={seconds}");
            courtdeck_engine::corpus::ffmpeg(
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    &source,
                    "-c:v",
                    codec,
                    "-preset",
                    "ultrafast",
                    "-pix_fmt",
                    "yuv420p",
                    "-g",
                    "50",
                ],
                &file,
            )?;
        }
        let expected = seconds * 25;
        // Courtdeck: three window outputs, one exhibit on all three.
        let outputs: Vec<OutputSpec> = mons
            .iter()
            .map(|m| OutputSpec {
                id: m.name.to_lowercase(),
                label: m.name.into(),
                role: "bench".into(),
                kind: OutputKind::Window,
                monitor: Some(m.name.into()),
                monitor_index: None,
            })
            .collect();
        let client = PlayoutClient::start_with(
            playout_exe()?,
            outputs.clone(),
            vec![
                ("DISPLAY".into(), xvfb.display.clone()),
                ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            ],
        )
        .await?;
        let pid = client.pid().await.context("playout pid")?;
        let mut rx = client.subscribe();
        client
            .request(Cmd::Load {
                exhibit: "W/1".into(),
                title: label.into(),
                path: file.display().to_string(),
                kind: "video".into(),
                restriction: "open".into(),
            })
            .await?;
        wait(&mut rx, |e| {
            matches!(e, Event::Prerolled { .. }).then_some(())
        })
        .await?;
        client
            .request(Cmd::Present {
                exhibit: "W/1".into(),
                screens: outputs.iter().map(|o| o.id.clone()).collect(),
            })
            .await?;
        let before = cpu_seconds(pid)?;
        client.request(Cmd::Play).await?;
        let end = tokio::time::Instant::now() + Duration::from_secs(seconds + 15);
        loop {
            match tokio::time::timeout_at(end, rx.recv()).await {
                Ok(Ok(ClientEvent::Playout(Event::Eos { .. }))) | Err(_) => break,
                _ => {}
            }
        }
        let cpu = cpu_seconds(pid)? - before;
        let stats = client.request(Cmd::Stats).await?.unwrap_or_default();
        client.shutdown().await;
        // The preroll frame counts once per window before Play.
        let frames: Vec<String> = stats
            .iter()
            .map(|s| s.frames.saturating_sub(1).to_string())
            .collect();
        // The reference: one window, fpsdisplaysink's own count; its CPU sampled from /proc while
        // it runs (the last sample before it ends: within 0.1 s of its total).
        let t0 = Instant::now();
        let mut child = std::process::Command::new("gst-launch-1.0")
            .env("DISPLAY", &xvfb.display)
            .args([
                "-v",
                "playbin",
                &format!("uri=file://{}", file.display()),
                "video-sink=fpsdisplaysink text-overlay=false video-sink=ximagesink",
                "audio-sink=fakesink",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let reader = {
            let mut stdout = child.stdout.take().context("piped")?;
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
                text
            })
        };
        let mut ref_cpu = 0.0;
        while child.try_wait()?.is_none() {
            if let Ok(c) = cpu_seconds(child.id()) {
                ref_cpu = c;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let wall = t0.elapsed().as_secs_f64();
        let out_text = reader.join().unwrap_or_default();
        let last = out_text
            .lines()
            .filter_map(|l| {
                l.split_once("last-message = rendered: ")
                    .map(|(_, r)| r.to_owned())
            })
            .next_back()
            .unwrap_or_default();
        let number = |key: &str| -> u64 {
            last.split(", ")
                .find_map(|kv| kv.strip_prefix(key))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let rendered: u64 = last
            .split(',')
            .next()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let dropped = number("dropped: ");
        println!(
            "| {label} | {} (of {expected}) | {cpu:.1} s | {rendered} ({dropped}) in {wall:.1} s | {ref_cpu:.1} s | {:.2}x |",
            frames.join(" / "),
            cpu / ref_cpu.max(0.01)
        );
    }
    Ok(())
}
