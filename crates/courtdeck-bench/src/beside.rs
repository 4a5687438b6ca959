//! Side by side: how long putting a second recording beside the one on air takes (the request to the
//! composed program prerolled again, which is when its windows are mapped), and the CPU of playing two
//! 1080p recordings side by side against `gst-launch-1.0` running the same decode and composite.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{cpu_seconds, median, playout_exe, wait};
use anyhow::{Context, Result};
use courtdeck_playout::client::PlayoutClient;
use courtdeck_playout::protocol::{BesideSpec, Command as Cmd, Event, OutputSpec};

const SECONDS: u64 = 10;

fn recording(dir: &Path, name: &str, colour: &str) -> Result<std::path::PathBuf> {
    let out = dir.join(name);
    courtdeck_testdata::corpus::ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size=1920x1080:rate=25:duration=60,colorbalance=rs={colour}"),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
        ],
        &out,
    )?;
    Ok(out)
}

pub(crate) async fn beside_bench(dir: &Path, runs: usize) -> Result<()> {
    let a = recording(dir, "angle-a-1080p.mp4", "0.3")?;
    let b = recording(dir, "angle-b-1080p.mp4", "-0.3")?;
    let client = PlayoutClient::start_with(
        playout_exe()?,
        vec![OutputSpec::headless("bench", "bench")],
        crate::confined(vec![(
            "COURTDECK_AUDIO_SINK".into(),
            "fakesink sync=true".into(),
        )]),
    )
    .await?;
    let pid = client.pid().await.context("pid")?;
    let mut rx = client.subscribe();
    client
        .request(Cmd::Load {
            exhibit: "JS/1".into(),
            title: "angle a".into(),
            path: a.display().to_string(),
            kind: "video".into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await?;
    let prerolled = |e: &Event| {
        matches!(e, Event::Prerolled { exhibit, .. } if exhibit == "JS/1").then_some(())
    };
    wait(&mut rx, prerolled).await?;
    client
        .request(Cmd::Present {
            exhibit: "JS/1".into(),
            screens: vec!["bench".into()],
        })
        .await?;
    let beside = |offset_ms| Cmd::Beside {
        beside: Some(BesideSpec {
            exhibit: "JS/2".into(),
            path: b.display().to_string(),
            restriction: "open".into(),
            offset_ms,
        }),
    };
    let (mut composed, mut alone, mut offsets) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let t = Instant::now();
        client.request(beside(2_000)).await?;
        wait(&mut rx, prerolled).await?;
        composed.push(t.elapsed().as_secs_f64() * 1e3);
        // A new offset is a seek: its reply comes once the seek was sent.
        let t = Instant::now();
        client.request(beside(2_000 + 40 * i as i64)).await?;
        offsets.push(t.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        client.request(Cmd::Beside { beside: None }).await?;
        wait(&mut rx, prerolled).await?;
        alone.push(t.elapsed().as_secs_f64() * 1e3);
    }
    client.request(beside(2_000)).await?;
    wait(&mut rx, prerolled).await?;
    client.request(Cmd::Play).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = cpu_seconds(pid)?;
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    let ours = cpu_seconds(pid)? - before;
    client.shutdown().await;

    // The reference: the same two files decoded, composited into 1920x1080 halves and scaled to the
    // headless screen's 1280x720 by gst-launch-1.0, at the clock's pace.
    let pipeline = format!(
        "compositor name=c background=black \
           sink_0::xpos=0 sink_0::width=952 sink_0::height=1080 sink_0::sizing-policy=keep-aspect-ratio \
           sink_1::xpos=968 sink_1::width=952 sink_1::height=1080 sink_1::sizing-policy=keep-aspect-ratio \
         ! video/x-raw,width=1920,height=1080 ! videoconvert ! videoscale ! video/x-raw,width=1280,height=720 \
         ! fakesink sync=true \
         filesrc location={a} ! decodebin ! videoconvert ! queue ! c.sink_0 \
         filesrc location={b} ! decodebin ! videoconvert ! queue ! c.sink_1",
        a = a.display(),
        b = b.display()
    );
    let mut gst = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .spawn()
        .context("gst-launch-1.0")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = cpu_seconds(gst.id())?;
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    let theirs = cpu_seconds(gst.id())? - before;
    let _ = gst.kill();
    let _ = gst.wait();

    println!(
        "\n## Side by side: two 1080p H.264 recordings on one 1280x720 screen, median of {runs}"
    );
    println!("| what | courtdeck | reference | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| Beside to the composed program prerolled (its windows mapped) | {:.0} ms | - | - |",
        median(composed)
    );
    println!(
        "| a new offset (a seek) to its reply | {:.1} ms | - | - |",
        median(offsets)
    );
    println!(
        "| Beside off to the single program prerolled | {:.0} ms | - | - |",
        median(alone)
    );
    println!(
        "| CPU of {SECONDS} s playing (two decodes, composite, scale; gst-launch-1.0 the same) | {:.0}% of a core | {:.0}% of a core | {:.2}x |",
        ours * 100.0 / SECONDS as f64,
        theirs * 100.0 / SECONDS as f64,
        ours / theirs
    );
    Ok(())
}
