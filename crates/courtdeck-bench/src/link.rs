//! The video link on loopback: glass-to-glass latency (a request to the picture decoded by an SRT
//! client, as a CVP PC would decode it), and the CPU of one 1080p encode against `gst-launch-1.0`
//! running the same encoder settings from a test source.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{cpu_seconds, median, playout_exe, wait};
use anyhow::{Context, Result};
use courtdeck_playout::client::PlayoutClient;
use courtdeck_playout::protocol::{Command as Cmd, Event, OutputSpec};
use courtdeck_testkit::srt_client::{SrtClient, free_udp_port, is_black, is_red};

const SECONDS: u64 = 10;

pub(crate) async fn link_bench(dir: &Path, runs: usize) -> Result<()> {
    let red = dir.join("link-red-1080p.mp4");
    courtdeck_testdata::corpus::ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=red:size=1920x1080:rate=25:duration=60",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
        &red,
    )?;
    let port = free_udp_port();
    let mut spec = OutputSpec::stream(
        "link",
        "video_link",
        &format!("127.0.0.1:{port}"),
        1920,
        1080,
    );
    if let Some(s) = spec.stream.as_mut() {
        s.bitrate_kbps = 6_000;
    }
    let client = PlayoutClient::start_with(
        playout_exe()?,
        vec![spec],
        crate::confined(vec![(
            "COURTDECK_AUDIO_SINK".into(),
            "fakesink sync=true".into(),
        )]),
    )
    .await?;
    let pid = client.pid().await.context("pid")?;
    let mut rx = client.subscribe();
    let link = SrtClient::connect(port)?;
    link.wait_for("black", Instant::now(), is_black)?;
    client
        .request(Cmd::Load {
            exhibit: "JS/1".into(),
            title: "red".into(),
            path: red.display().to_string(),
            kind: "video".into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await?;
    wait(&mut rx, |e| {
        matches!(e, Event::Prerolled { exhibit, .. } if exhibit == "JS/1").then_some(())
    })
    .await?;
    let (mut shown, mut blanked) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let t = Instant::now();
        if i == 0 {
            client
                .request(Cmd::Present {
                    exhibit: "JS/1".into(),
                    screens: vec!["link".into()],
                })
                .await?;
        } else {
            client
                .request(Cmd::Blank {
                    screen: "link".into(),
                    blank: false,
                })
                .await?;
        }
        shown.push((link.wait_for("the picture", t, is_red)?.at - t).as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t = Instant::now();
        client
            .request(Cmd::Blank {
                screen: "link".into(),
                blank: true,
            })
            .await?;
        blanked.push((link.wait_for("black", t, is_black)?.at - t).as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // CPU: the exhibit playing to the link for SECONDS (the decode, the scale and the encode).
    client
        .request(Cmd::Blank {
            screen: "link".into(),
            blank: false,
        })
        .await?;
    client.request(Cmd::Play).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let frames0 = link.latest().map_or(0, |s| s.frames);
    let before = cpu_seconds(pid)?;
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    let ours = cpu_seconds(pid)? - before;
    let frames = link.latest().map_or(0, |s| s.frames) - frames0;
    client.shutdown().await;
    drop(link);

    // The reference: gst-launch-1.0 encoding and serving a 1080p test picture with the same settings.
    let port = free_udp_port();
    let mut gst = Command::new("gst-launch-1.0")
        .args(["-q"])
        .args(
            format!(
                "videotestsrc is-live=true pattern=red ! video/x-raw,format=I420,width=1920,height=1080,framerate=25/1 \
                 ! x264enc tune=zerolatency speed-preset=veryfast bitrate=6000 key-int-max=25 bframes=0 \
                 ! h264parse config-interval=-1 ! mpegtsmux alignment=7 \
                 ! srtsink uri=srt://127.0.0.1:{port}?mode=listener wait-for-connection=false latency=60"
            )
            .split_whitespace(),
        )
        .spawn()
        .context("gst-launch-1.0")?;
    let reference_client = SrtClient::connect(port)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = cpu_seconds(gst.id())?;
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    let theirs = cpu_seconds(gst.id())? - before;
    let _ = gst.kill();
    let _ = gst.wait();
    drop(reference_client);

    let (shown, blanked) = (median(shown), median(blanked));
    println!(
        "\n## The video link on loopback: 1080p H.264 at 6 Mbit/s over SRT (latency 60 ms), median of {runs}"
    );
    println!("| what | courtdeck | reference | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| request (present, unblank) to the picture decoded by an SRT client | {shown:.0} ms | - | - |"
    );
    println!("| Blank to black decoded by the client | {blanked:.0} ms | - | - |");
    println!(
        "| CPU of {SECONDS} s streaming (playout: decode + scale + encode; gst-launch-1.0: test picture + encode) | {:.0}% of a core | {:.0}% of a core | {:.2}x |",
        ours * 100.0 / SECONDS as f64,
        theirs * 100.0 / SECONDS as f64,
        ours / theirs
    );
    println!("| frames decoded by the client in {SECONDS} s | {frames} | - | - |");
    Ok(())
}
