//! Real output windows under Xvfb: frames dropped and CPU against gst-launch-1.0 playbin.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cpu_seconds;
use crate::full_hd_monitors;
use crate::wait;
use anyhow::{Context, Result};
use courtdeck_playout::client::ClientEvent;
use courtdeck_playout::protocol::{Command as Cmd, Event};

/// Playing to three real 1920x1080 windows under Xvfb for `seconds`: frames each window's sink got
/// against the frames in the file (the rest were dropped, late, by QoS), and the playout process's
/// CPU, against `gst-launch-1.0 playbin` to one `ximagesink` (`fpsdisplaysink` counts its rendered
/// and dropped frames) on the same display. 1080p25 and 1440p25 H.264, 720p25 HEVC, made by ffmpeg.
pub(crate) async fn windows_bench(dir: &Path, seconds: u64) -> Result<()> {
    let (xvfb, mons) = full_hd_monitors(&["BENCH", "WITNESS", "PUBLIC"])?;
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
            courtdeck_testdata::corpus::ffmpeg(
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
        let client = crate::playout_on_windows(&xvfb, &mons).await?;
        let pid = client.pid().await.context("playout pid")?;
        let mut rx = client.subscribe();
        client
            .request(Cmd::Load {
                exhibit: "W/1".into(),
                title: label.into(),
                path: file.display().to_string(),
                kind: "video".into(),
                restriction: "open".into(),
                pages: vec![],
                page: 1,
                captions: false,
            })
            .await?;
        wait(&mut rx, |e| {
            matches!(e, Event::Prerolled { .. }).then_some(())
        })
        .await?;
        client
            .request(Cmd::Present {
                exhibit: "W/1".into(),
                screens: mons.iter().map(|m| m.name.to_lowercase()).collect(),
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
