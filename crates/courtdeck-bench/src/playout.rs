//! Headless playout: first frames, steps and seeks, restarts, CPU and memory over a day of switches.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cold_gst_launch_ms;
use crate::confined;
use crate::cpu_seconds;
use crate::headless;
use crate::load;
use crate::load_present_first_frames;
use crate::median;
use crate::playout_exe;
use crate::run;
use crate::wait;
use anyhow::{Context, Result, bail};
use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command as Cmd, Event};

/// Frames counted at `screen`'s sink, as the engine reports them.
pub(crate) async fn frames_at(client: &PlayoutClient, screen: &str) -> Result<u64> {
    let stats = client.request(Cmd::Stats).await?.unwrap_or_default();
    Ok(stats
        .iter()
        .find(|s| s.screen == screen)
        .map_or(0, |s| s.frames))
}

/// Sends `command` and waits until a new frame reaches the screen's sink; milliseconds.
pub(crate) async fn until_new_frame(client: &PlayoutClient, command: Cmd) -> Result<f64> {
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
pub(crate) async fn step_seek_bench(dir: &Path, runs: usize) -> Result<()> {
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
    let client =
        PlayoutClient::start_with(playout_exe()?, headless(1), confined(Vec::new())).await?;
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
pub(crate) async fn rss_bench(
    media: &[courtdeck_engine::fixtures::DemoFile],
    switches: usize,
) -> Result<()> {
    let rss = |pid: u32| -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .context("VmRSS")?;
        Ok(kb * 1024)
    };
    let client =
        PlayoutClient::start_with(playout_exe()?, headless(2), confined(Vec::new())).await?;
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
        // Every kind of the demo store, as a hearing switches between them (the PDF is a document:
        // this loop stopped on it once the demo gained one, and nothing ran it to notice).
        let kind = match demo.file.rsplit('.').next() {
            Some("jpg" | "png") => "image",
            Some("wav") => "audio",
            Some("pdf") => "document",
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
                pages: demo.pages.clone(),
                page: 1,
                captions: false,
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

/// Present -> first frame at every output, three ways, against a cold `gst-launch-1.0 playbin`.
pub(crate) async fn first_frame_bench(media: &Path, runs: usize) -> Result<()> {
    // SAFETY: set before any playout process is spawned; single-threaded at this point of the program.
    unsafe { std::env::set_var("COURTDECK_AUDIO_SINK", "fakesink") };
    let uri = format!("file://{}", media.display());
    let gst = cold_gst_launch_ms(&uri, runs)?;
    let outputs = 4;
    let client =
        PlayoutClient::start_with(playout_exe()?, headless(outputs), confined(Vec::new())).await?;
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
pub(crate) async fn restart_bench(media: &Path, runs: usize) -> Result<()> {
    let uri = format!("file://{}", media.display());
    let gst = cold_gst_launch_ms(&uri, runs)?;
    let outputs = 2;
    let screens: Vec<String> = (1..=outputs).map(|i| format!("out{i}")).collect();
    let client =
        PlayoutClient::start_with(playout_exe()?, headless(outputs), confined(Vec::new())).await?;
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

/// CPU time of the playout process playing 5 s of the CCTV to 1 and to 4 outputs.
pub(crate) async fn cpu_bench(media: &Path) -> Result<()> {
    let mut results = Vec::new();
    for outputs in [1usize, 4] {
        let client =
            PlayoutClient::start_with(playout_exe()?, headless(outputs), confined(Vec::new()))
                .await?;
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
