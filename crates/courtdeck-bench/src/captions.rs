//! Captions on real windows under Xvfb: a caption switched on (and off) on a paused recording, from
//! the request to the words on both screens, against the same engine pushing the same frame again
//! without a change (a seek to where it stands), which is the floor any change to a paused picture
//! pays. No outside tool switches captions on a running output, so that is the reference.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::{full_hd_monitors, median, wait};
use anyhow::Result;
use courtdeck_playout::protocol::{Command as Cmd, Event, OutputSpec, WireCue};
use courtdeck_testkit::playout::playout_on_reading;
use courtdeck_testkit::{Mon, Rgb};

pub(crate) async fn captions_bench(dir: &Path, runs: usize) -> Result<()> {
    let video = dir.join("captions-bench.mp4");
    courtdeck_testdata::corpus::ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=0x203070:size=1920x1080:rate=25:duration=10",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
        &video,
    )?;
    let (xvfb, mons) = full_hd_monitors(&["BENCH", "LEGAL"])?;
    let client = playout_on_reading(
        &xvfb,
        vec![
            OutputSpec::window("bench", "bench", "BENCH"),
            OutputSpec::window("legal", "legal_adviser", "LEGAL"),
        ],
        crate::bench_policy(),
    )
    .await?;
    let mut rx = client.subscribe();
    client
        .request(Cmd::Load {
            exhibit: "JS/3".into(),
            title: "interview".into(),
            path: video.display().to_string(),
            kind: "video".into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: true,
        })
        .await?;
    wait(&mut rx, |e| {
        matches!(e, Event::Prerolled { exhibit, .. } if exhibit == "JS/3").then_some(())
    })
    .await?;
    client
        .request(Cmd::Present {
            exhibit: "JS/3".into(),
            screens: vec!["bench".into(), "legal".into()],
        })
        .await?;
    let cues = vec![WireCue {
        start_ms: 0,
        end_ms: 10_000,
        speaker: None,
        text: "Interviewer: What did you see when you got there?".into(),
    }];
    let captions = |on: bool| Cmd::Captions {
        restriction: "bench_only".into(),
        screens: if on {
            vec!["bench".into(), "legal".into()]
        } else {
            vec![]
        },
        cues: cues.clone(),
    };
    // A caption's words are white; the picture is a dark blue with none. The band it is drawn in.
    let lower = |m: &Mon| -> Result<Rgb> { xvfb.grab(m.x + 200, m.y + 880, 1520, 140) };
    let white = |g: &Rgb| g.data.chunks_exact(3).any(|p| p.iter().all(|&c| c > 200));
    let until = |f: &dyn Fn(&Mon) -> bool| -> Result<()> {
        let started = Instant::now();
        while !mons.iter().all(f) {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(20), "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    };
    let lit = |m: &Mon| lower(m).map(|g| g.lit_fraction() > 0.5).unwrap_or(false);
    until(&lit)?;
    // A new frame at both screens' sinks since `before` (the frame counters of `Stats`).
    let frames = |stats: &[courtdeck_playout::protocol::ScreenStats]| -> Vec<u64> {
        stats.iter().map(|s| s.frames).collect()
    };
    let sinks_moved = async |before: &[u64]| -> Result<()> {
        let started = Instant::now();
        loop {
            let now = frames(&client.request(Cmd::Stats).await?.unwrap_or_default());
            if now.iter().zip(before).all(|(n, b)| n > b) {
                return Ok(());
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(20), "no frame");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let (mut sink, mut on, mut off, mut reply, mut repush, mut poll) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for _ in 0..runs {
        let before = frames(&client.request(Cmd::Stats).await?.unwrap_or_default());
        let started = Instant::now();
        client.request(captions(true)).await?;
        reply.push(ms(started));
        sinks_moved(&before).await?;
        sink.push(ms(started));
        until(&|m| lower(m).map(|g| white(&g)).unwrap_or(false))?;
        on.push(ms(started));
        let started = Instant::now();
        client.request(captions(false)).await?;
        until(&|m| lower(m).map(|g| !white(&g)).unwrap_or(false))?;
        off.push(ms(started));
        // What one look at both screens costs (included in the two figures above).
        let started = Instant::now();
        let _ = mons
            .iter()
            .all(|m| lower(m).map(|g| white(&g)).unwrap_or(false));
        poll.push(ms(started));
        // The reference: the same frame pushed again, without a change, to both sinks.
        let before = frames(&client.request(Cmd::Stats).await?.unwrap_or_default());
        let started = Instant::now();
        client.request(Cmd::Seek { position_ms: 0 }).await?;
        sinks_moved(&before).await?;
        repush.push(ms(started));
    }
    client.shutdown().await;
    let (sink, on, off, reply, repush, poll) = (
        median(sink),
        median(on),
        median(off),
        median(reply),
        median(repush),
        median(poll),
    );
    println!(
        "\n## Captions: a paused 1080p H.264 recording on 2 windows of 1920x1080, median of {runs}"
    );
    println!(
        "| what | courtdeck | reference: the same frame pushed again, to both sinks | ratio |"
    );
    println!("|---|---:|---:|---:|");
    println!(
        "| captions on: request to the captioned frame at both sinks | {sink:.1} ms | {repush:.1} ms | {:.2}x |",
        sink / repush
    );
    println!(
        "| captions on: request to the words read back from both screens | {on:.1} ms | - | - |"
    );
    println!(
        "| captions off: request to both screens read back without them | {off:.1} ms | - | - |"
    );
    println!("| captions on: request to playout's reply | {reply:.1} ms | - | - |");
    println!(
        "| one framebuffer readback of both screens' caption bands (in the two above) | {poll:.1} ms | - | - |"
    );
    Ok(())
}
