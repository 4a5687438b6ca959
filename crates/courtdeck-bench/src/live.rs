//! A laptop casting over SRT, shown on real windows under Xvfb: glass-to-glass latency against
//! `ffplay` of the same stream in the same run, and the CPU of one live source on three windows.
//!
//! The sender is ffmpeg (the laptop of the issue): `testsrc2` with the frame number burnt into the
//! top left as 16 black or white boxes (bit k of the number in box k), H.264 zero-latency, sent to
//! two SRT listeners at once (`tee`): Courtdeck's playout (a live source presented on three windows)
//! and `ffplay` (one window). ffmpeg reports every 0.1 s how many frames it has sent; at each sample
//! both windows are grabbed and their boxes read back: latency = (frames sent by now − frame on the
//! window) / frame rate. This misses the laptop's own capture and encode, which both receivers share.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use courtdeck_playout::protocol::{Command as Cmd, Event, LiveInput, WireSecret};
use courtdeck_testkit::srt_client::free_udp_port;
use courtdeck_testkit::srt_sender::{PASSPHRASE, wait_udp_listening};
use courtdeck_testkit::{Mon, Xvfb};

use crate::{cpu_seconds, median, wait};

const FPS: f64 = 30.0;
/// Boxes of the frame number: 16 bits, each `BOX` pixels square, along the top left.
const BITS: u32 = 16;

/// Frames ffmpeg has sent, and when it said so.
type Sent = Arc<Mutex<Option<(Instant, u64)>>>;

pub(crate) async fn live_bench(_dir: &Path, seconds: u64, size: (u16, u16)) -> Result<()> {
    let (w, h) = size;
    let cell = (w / 20).max(16);
    let names = ["BENCH", "WITNESS", "PUBLIC", "FFPLAY"];
    let mons = Mon::row(&names, w, h);
    let xvfb = Xvfb::start(w * names.len() as u16, h, &mons)?;
    println!(
        "\n## A live source over SRT: {w}x{h} at 30 fps from ffmpeg, {seconds} s, on 3 windows under Xvfb, against ffplay of the same stream on one"
    );

    // Courtdeck: the live source on three windows.
    let client = crate::playout_on_windows(&xvfb, &mons[..3]).await?;
    let pid = client.pid().await.context("playout pid")?;
    let mut rx = client.subscribe();
    let (ours, theirs) = (free_udp_port(), free_udp_port());
    show_live(
        &client,
        "laptop",
        "Laptop",
        LiveInput::Srt {
            listen: format!("127.0.0.1:{ours}"),
            latency_ms: 120,
            passphrase: Some(WireSecret(PASSPHRASE.into())),
        },
    )
    .await?;
    wait_udp_listening(ours)?;

    // The reference: ffplay, low-delay flags, listening likewise.
    let ff = &mons[3];
    let mut ffplay = Command::new("ffplay")
        .args(["-hide_banner", "-loglevel", "error", "-an", "-noborder"])
        .args(["-fflags", "nobuffer", "-flags", "low_delay", "-framedrop"])
        .args(["-probesize", "32", "-analyzeduration", "0", "-sync", "ext"])
        .args(["-left", &ff.x.to_string(), "-top", "0"])
        .args(["-x", &w.to_string(), "-y", &h.to_string()])
        .arg(format!(
            "srt://127.0.0.1:{theirs}?mode=listener&latency=120000&passphrase={PASSPHRASE}"
        ))
        .env("DISPLAY", &xvfb.display)
        .env("SDL_AUDIODRIVER", "dummy")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("ffplay")?;
    wait_udp_listening(theirs)?;

    // The laptop.
    let mut boxes = format!(
        "drawbox=x=0:y=0:w={}:h={cell}:c=black:t=fill",
        cell * BITS as u16
    );
    for k in 0..BITS {
        boxes.push_str(&format!(
            ",drawbox=x={}:y=0:w={cell}:h={cell}:c=white:t=fill:enable='mod(floor(n/{}),2)'",
            k as u16 * cell,
            1u64 << k
        ));
    }
    let to = |port: u16| {
        format!(
            "[f=mpegts:onfail=ignore]srt://127.0.0.1:{port}?mode=caller&latency=120000&passphrase={PASSPHRASE}"
        )
    };
    let mut sender = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(["-progress", "pipe:1", "-stats_period", "0.1", "-re"])
        .args([
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size={w}x{h}:rate=30"),
        ])
        .args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"])
        .args(["-vf", &boxes])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
        ])
        .args(["-g", "30", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "aac"])
        .args([
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-muxdelay",
            "0",
            "-muxpreload",
            "0",
        ])
        .args(["-f", "tee"])
        .arg(format!("{}|{}", to(ours), to(theirs)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("ffmpeg")?;
    let sent: Sent = Arc::default();
    {
        let sent = sent.clone();
        let out = sender.stdout.take().context("ffmpeg's progress")?;
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(n) = line
                    .strip_prefix("frame=")
                    .and_then(|n| n.trim().parse().ok())
                {
                    *sent.lock().expect("sent") = Some((Instant::now(), n));
                }
            }
        });
    }
    let result = measure(&xvfb, &mons, cell, seconds, &sent, pid, &mut rx).await;
    let _ = sender.kill();
    let _ = sender.wait();
    let ref_cpu = cpu_seconds(ffplay.id()).unwrap_or(0.0);
    let _ = ffplay.kill();
    let _ = ffplay.wait();
    client.shutdown().await;
    let (ours_ms, theirs_ms, cpu, wall) = result?;
    if ours_ms.is_empty() || theirs_ms.is_empty() {
        bail!("no frame number could be read back from the windows");
    }
    print_latencies(
        (&ours_ms, cpu),
        (
            "ffplay, low-delay flags (nobuffer, low_delay, -probesize 32, -sync ext), 1 window",
            &theirs_ms,
            ref_cpu,
        ),
        wall,
    );
    println!(
        "latency ratio courtdeck / ffplay (medians): **{:.2}x**; both at SRT latency 120 ms",
        median(ours_ms) / median(theirs_ms).max(1.0)
    );
    Ok(())
}

/// Samples both receivers' windows for `seconds` once the picture is on them: latencies (ms) of
/// Courtdeck and of the reference, Courtdeck's CPU seconds and the wall time they were taken over.
/// Loads the live source `id` (open, for the bench's role) and presents it on BENCH, WITNESS and
/// PUBLIC.
async fn show_live(
    client: &courtdeck_playout::client::PlayoutClient,
    id: &str,
    label: &str,
    input: LiveInput,
) -> Result<()> {
    let source = format!("live:{id}");
    client
        .request(Cmd::LoadLive {
            source: source.clone(),
            label: label.into(),
            input,
            restriction: "open".into(),
            roles: vec!["bench".into()],
        })
        .await?;
    client
        .request(Cmd::Present {
            exhibit: source,
            screens: vec!["bench".into(), "witness".into(), "public".into()],
        })
        .await?;
    Ok(())
}

async fn measure(
    xvfb: &Xvfb,
    mons: &[Mon],
    cell: u16,
    seconds: u64,
    sent: &Sent,
    pid: u32,
    rx: &mut tokio::sync::broadcast::Receiver<courtdeck_playout::client::ClientEvent>,
) -> Result<(Vec<f64>, Vec<f64>, f64, f64)> {
    wait(rx, |e| match e {
        Event::Signal { present: true, .. } => Some(()),
        _ => None,
    })
    .await
    .context("the live source's signal")?;
    // Both receivers show frame numbers near what was sent (ffplay probes the stream first).
    let settled = Instant::now();
    loop {
        let near = |m: &Mon| {
            let (Some(f), Some((at, n))) = (frame_on(xvfb, m, cell), *sent.lock().expect("sent"))
            else {
                return false;
            };
            let by_now = n as f64 + at.elapsed().as_secs_f64() * FPS;
            (0.0..=60.0).contains(&(by_now - f as f64))
        };
        if near(&mons[0]) && near(&mons[3]) {
            break;
        }
        if settled.elapsed() > Duration::from_secs(30) {
            bail!(
                "no frame number on {} and {} within 30 s of the signal",
                mons[0].name,
                mons[3].name
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // What the windows show, for a look when no frame number can be read (`BENCH_SHOT=file.png`).
    if let Some(path) = std::env::var_os("BENCH_SHOT") {
        xvfb.grab(0, 0, xvfb.width, xvfb.height)?
            .save_png(Path::new(&path))?;
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let cpu0 = cpu_seconds(pid)?;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        let now = Instant::now();
        let a = frame_on(xvfb, &mons[0], cell);
        let b = frame_on(xvfb, &mons[3], cell);
        let Some((at, n)) = *sent.lock().expect("sent") else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        // Frames sent by `now`, from ffmpeg's last report and the frame rate since.
        let by_now = n as f64 + now.saturating_duration_since(at).as_secs_f64() * FPS;
        for (shown, into) in [(a, &mut ours), (b, &mut theirs)] {
            // A frame number read wrong (a box mid-change) is one far from what was sent.
            if let Some(f) = shown
                && (0.0..=60.0).contains(&(by_now - f as f64))
            {
                into.push((by_now - f as f64) / FPS * 1e3);
            }
        }
        tokio::time::sleep(Duration::from_millis(137)).await;
    }
    Ok((
        ours,
        theirs,
        cpu_seconds(pid)? - cpu0,
        t0.elapsed().as_secs_f64(),
    ))
}

/// The frame number burnt into the picture on monitor `m`, read from the centres of its boxes.
fn frame_on(xvfb: &Xvfb, m: &Mon, cell: u16) -> Option<u64> {
    let rgb = xvfb.grab(m.x, m.y, cell * BITS as u16, cell).ok()?;
    let mut n = 0u64;
    for k in 0..BITS {
        let (x, y) = (k * cell as u32 + cell as u32 / 2, cell as u32 / 2);
        let i = ((y * rgb.w + x) * 3) as usize;
        let luma = rgb
            .data
            .get(i..i + 3)?
            .iter()
            .map(|&c| u32::from(c))
            .sum::<u32>()
            / 3;
        match luma {
            0..=60 => {}
            200.. => n |= 1 << k,
            // Neither black nor white: not the boxes (a slate, a window not drawn yet).
            _ => return None,
        }
    }
    Some(n)
}

/// The capture path, with the live test source standing in for the card (there is none here): a
/// ball that sweeps once a second at the wall clock's time (`pattern: "clock"`, videotestsrc's
/// `ball`, `motion=sweep`, `animation-mode=wall-time`), on three windows, against `gst-launch-1.0`
/// of the same source straight into one `ximagesink` on a display of its own. Each sample grabs
/// the window and reads the ball's angle back (the full-width line through its centre and the
/// full-height one): latency = the wall clock at the grab − the time the angle says, modulo 1 s.
///
/// Behind a queue videotestsrc draws a frame as soon as the one before has left and then waits for
/// its time: both figures include that wait (up to a frame), which a card cannot have (it hands a
/// frame over once it is whole, stamped with when it was captured).
pub(crate) async fn capture_bench(seconds: u64, size: (u16, u16)) -> Result<()> {
    let (w, h) = size;
    let names = ["BENCH", "WITNESS", "PUBLIC"];
    let mons = Mon::row(&names, w, h);
    let xvfb = Xvfb::start(w * names.len() as u16, h, &mons)?;
    let reference_mon = [Mon::in_row("GST", 0, w, h)];
    // The reference's display: its own, where ximagesink's window opens at the top left.
    let reference_x = Xvfb::start(w, h, &reference_mon)?;
    println!(
        "\n## The capture path: the live test source at {w}x{h} 30 fps, {seconds} s, on 3 windows under Xvfb, against gst-launch-1.0 of the same source into one ximagesink"
    );
    let client = crate::playout_on_windows(&xvfb, &mons).await?;
    let pid = client.pid().await.context("playout pid")?;
    let mut rx = client.subscribe();
    show_live(
        &client,
        "camera",
        "Visualiser",
        LiveInput::TestPattern {
            pattern: "clock".into(),
            width: u32::from(w),
            height: u32::from(h),
            fps: 30,
        },
    )
    .await?;
    wait(&mut rx, |e| match e {
        Event::Signal { present: true, .. } => Some(()),
        _ => None,
    })
    .await
    .context("the test source's signal")?;
    let mut reference = Command::new("gst-launch-1.0")
        .args(["-q", "videotestsrc", "is-live=true", "pattern=ball"])
        .args(["motion=sweep", "animation-mode=wall-time", "!"])
        .arg(format!("video/x-raw,width={w},height={h},framerate=30/1"))
        // A queue after the source, as in Courtdeck: the source then draws each frame as soon as
        // the one before has left, up to a frame before its time, in both.
        .args(["!", "queue", "!", "videoconvert", "!", "ximagesink"])
        .env("DISPLAY", &reference_x.display)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("gst-launch-1.0")?;
    let settled = Instant::now();
    while ball_latency(&xvfb, &mons[0]).is_none()
        || ball_latency(&reference_x, &reference_mon[0]).is_none()
    {
        if settled.elapsed() > Duration::from_secs(20) {
            let _ = reference.kill();
            bail!("no ball could be read back from the windows within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let cpu0 = cpu_seconds(pid)?;
    let ref_cpu0 = cpu_seconds(reference.id())?;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        ours.extend(ball_latency(&xvfb, &mons[0]));
        theirs.extend(ball_latency(&reference_x, &reference_mon[0]));
        tokio::time::sleep(Duration::from_millis(97)).await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid)? - cpu0;
    let ref_cpu = cpu_seconds(reference.id()).unwrap_or(ref_cpu0) - ref_cpu0;
    let _ = reference.kill();
    let _ = reference.wait();
    client.shutdown().await;
    if ours.is_empty() || theirs.is_empty() {
        bail!("no ball could be read back from the windows");
    }
    print_latencies(
        (&ours, cpu),
        (
            "gst-launch-1.0 videotestsrc ! queue ! videoconvert ! ximagesink, 1 window",
            &theirs,
            ref_cpu,
        ),
        wall,
    );
    println!(
        "latency ratio courtdeck / gst-launch (medians): **{:.2}x**; a frame is 33 ms",
        median(ours) / median(theirs).max(1.0)
    );
    Ok(())
}

/// How long ago (ms) the ball now on monitor `m` was drawn: the wall clock at the grab against the
/// time its angle says (videotestsrc's sweep: the angle is 2π × the wall clock's seconds, the
/// centre at `w/2 + R sin`, `h/2 − R cos`, R = min(w, h)/4). `None` when no ball can be read.
fn ball_latency(xvfb: &Xvfb, m: &Mon) -> Option<f64> {
    let before = std::time::SystemTime::now();
    let rgb = xvfb.grab(m.x, m.y, m.w, m.h).ok()?;
    let after = std::time::SystemTime::now();
    let grabbed = before + after.duration_since(before).ok()? / 2;
    let (w, h) = (rgb.w as usize, rgb.h as usize);
    let bright = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        rgb.data[i..i + 3].iter().all(|&c| c > 160)
    };
    // The lines through the ball's centre: a full row and a full column, besides the middle ones.
    let full_rows: Vec<usize> = (0..h).filter(|&y| (0..w).all(|x| bright(x, y))).collect();
    let full_cols: Vec<usize> = (0..w).filter(|&x| (0..h).all(|y| bright(x, y))).collect();
    let pick = |lines: &[usize], middle: usize| -> Option<f64> {
        let off: Vec<usize> = lines
            .iter()
            .copied()
            .filter(|&l| l.abs_diff(middle) > 1)
            .collect();
        match (off.is_empty(), lines.is_empty()) {
            (true, false) => Some(middle as f64),
            (false, _) => Some(off.iter().sum::<usize>() as f64 / off.len() as f64),
            (true, true) => None,
        }
    };
    let cx = pick(&full_cols, w / 2)?;
    let cy = pick(&full_rows, h / 2)?;
    let (dx, dy) = (cx - w as f64 / 2.0, h as f64 / 2.0 - cy);
    if dx.hypot(dy) < (w.min(h) / 8) as f64 {
        return None; // both lines on the middle: not the sweep (a slate, a window not drawn yet)
    }
    let turn = dx.atan2(dy).rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU;
    let now = grabbed
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some((now - turn).rem_euclid(1.0) * 1e3)
}

/// The latency table of a live section: Courtdeck's samples (ms) and CPU seconds, the reference's
/// (what it is, samples, CPU seconds), over `wall` seconds.
fn print_latencies(ours: (&[f64], f64), reference: (&str, &[f64], f64), wall: f64) {
    let p90 = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[(v.len() * 9 / 10).min(v.len() - 1)]
    };
    println!("| receiver | samples | latency median, ms | p90, ms | CPU over the run |");
    println!("|---|---:|---:|---:|---:|");
    for (what, samples, cpu) in [
        ("courtdeck-playout, 3 windows".to_owned(), ours.0, ours.1),
        (
            format!("reference: {}", reference.0),
            reference.1,
            reference.2,
        ),
    ] {
        println!(
            "| {what} | {} | {:.0} | {:.0} | {:.0}% of a core |",
            samples.len(),
            median(samples.to_vec()),
            p90(samples),
            cpu / wall * 100.0
        );
    }
}
