//! Side by side on a real output window (Xvfb), read back from the framebuffer: two recordings made
//! by ffmpeg (H.264 in MP4, Motion JPEG in AVI, as a DVR exports), each showing its own frame number
//! in eleven black or white cells, composited on BENCH with an offset between their clocks. Both
//! pictures are read back; they stay within one frame of the offset for 30 s of play, through frame
//! steps forward and back, seeks and a new offset; a `no_public` recording never reaches PUBLIC and
//! playout refuses it beside one the public gallery sees.

use std::path::Path;
use std::time::{Duration, Instant};

use courtdeck_playout::protocol::{BesideSpec, Command, OutputSpec};
use courtdeck_testkit::playout::{is_black, prerolled, wait_screen};
use courtdeck_testkit::{Mon, Rgb, Xvfb};

const BENCH: Mon = Mon::in_row("BENCH", 0, 960, 540);
const PUBLIC: Mon = Mon::in_row("PUBLIC", 1, 960, 540);

/// The recordings: 320x180 at 25 fps, 45 s; frame number `n` in bits 0..11 as cells 28 px wide along
/// the top 60 px (white is 1), and a coloured band below (red on the left one, blue on the right).
const SRC: (f64, f64) = (320.0, 180.0);
const BITS: u32 = 11;
const CELL: f64 = 28.0;
const FPS: i64 = 25;

fn counter_video(out: &Path, band: &str, codec: &[&str]) {
    let mut filter = format!("color=c=black:size=320x180:rate={FPS}:duration=45");
    for bit in 0..BITS {
        filter.push_str(&format!(
            ",drawbox=x={}:y=0:w={}:h=60:color=white:t=fill:enable='gt(bitand(n\\,{})\\,0)'",
            bit as f64 * CELL,
            CELL,
            1u32 << bit
        ));
    }
    filter.push_str(&format!(
        ",drawbox=x=0:y=100:w=320:h=80:color={band}:t=fill"
    ));
    let mut args = vec!["-f", "lavfi", "-i", &filter];
    args.extend_from_slice(codec);
    courtdeck_testdata::corpus::ffmpeg(&args, out).unwrap();
}

/// Where a point of side `side`'s picture (source pixels) is on `m`: the composite is 1920x1080,
/// two halves 952 wide with a 16 px gutter, each recording fitted into its half.
fn on_screen(m: Mon, side: usize, (x, y): (f64, f64)) -> (usize, usize) {
    let half = (1920.0 - 16.0) / 2.0;
    let k = (half / SRC.0).min(1080.0 / SRC.1);
    let x0 = side as f64 * (half + 16.0) + (half - SRC.0 * k) / 2.0;
    let y0 = (1080.0 - SRC.1 * k) / 2.0;
    let s = f64::from(m.w) / 1920.0;
    (((x0 + x * k) * s) as usize, ((y0 + y * k) * s) as usize)
}

fn mean(rgb: &Rgb, (x, y): (usize, usize)) -> [u32; 3] {
    let mut sum = [0u32; 3];
    for dy in 0..3 {
        for dx in 0..3 {
            let p = &rgb.data[(((y + dy - 1) * rgb.w as usize) + x + dx - 1) * 3..][..3];
            for c in 0..3 {
                sum[c] += u32::from(p[c]);
            }
        }
    }
    sum.map(|v| v / 9)
}

/// What side `side` of `m` shows: its frame number and its band's colour (None: black there).
fn read(rgb: &Rgb, m: Mon, side: usize) -> (i64, Option<&'static str>) {
    let mut n = 0i64;
    for bit in 0..BITS {
        let px = on_screen(m, side, (bit as f64 * CELL + CELL / 2.0, 30.0));
        let [r, g, b] = mean(rgb, px);
        if r + g + b > 3 * 128 {
            n |= 1 << bit;
        }
    }
    let [r, _, b] = mean(rgb, on_screen(m, side, (160.0, 140.0)));
    let band = match (r > 128, b > 128) {
        (true, false) => Some("red"),
        (false, true) => Some("blue"),
        _ => None,
    };
    (n, band)
}

fn grab(xvfb: &Xvfb, m: Mon) -> Rgb {
    xvfb.grab(m.x, m.y, m.w, m.h).unwrap()
}

/// Both sides as `(left frame, right frame)`, once both bands show.
fn both(xvfb: &Xvfb) -> Option<(i64, i64)> {
    let rgb = grab(xvfb, BENCH);
    match (read(&rgb, BENCH, 0), read(&rgb, BENCH, 1)) {
        ((l, Some("red")), (r, Some("blue"))) => Some((l, r)),
        _ => None,
    }
}

fn wait_both(xvfb: &Xvfb, what: &str, want: impl Fn(i64, i64) -> bool) -> (i64, i64) {
    let mut seen = None;
    wait_screen(
        what,
        || {
            seen = both(xvfb);
            seen.is_some_and(|(l, r)| want(l, r))
        },
        || {
            let rgb = grab(xvfb, BENCH);
            format!(
                "BENCH shows left {:?}, right {:?}",
                read(&rgb, BENCH, 0),
                read(&rgb, BENCH, 1)
            )
        },
    );
    seen.expect("read")
}

fn beside(path: &Path, restriction: &str, offset_ms: i64) -> Command {
    Command::Beside {
        beside: Some(BesideSpec {
            exhibit: "JS/2".into(),
            path: path.display().to_string(),
            restriction: restriction.into(),
            offset_ms,
        }),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_recordings_side_by_side_stay_in_step_and_a_no_public_one_never_reaches_public() {
    let dir = courtdeck_testkit::work_dir();
    let left = dir.path().join("angle1.mp4");
    let right = dir.path().join("angle2.avi");
    counter_video(
        &left,
        "red",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50"],
    );
    counter_video(
        &right,
        "blue",
        &["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "3"],
    );
    let xvfb = Xvfb::start(1920, 540, &[BENCH, PUBLIC]).unwrap();
    let client = courtdeck_testkit::playout::playout_on(
        &xvfb,
        vec![
            OutputSpec::window("bench", "bench", "BENCH"),
            OutputSpec::window("public", "public_gallery", "PUBLIC"),
        ],
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();
    client
        .request(Command::Load {
            exhibit: "JS/1".into(),
            title: "CCTV angle 1".into(),
            path: left.display().to_string(),
            kind: "video".into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await
        .unwrap();
    prerolled(&mut rx, "JS/1").await;
    let everywhere = vec!["bench".to_string(), "public".to_string()];
    client
        .request(Command::Present {
            exhibit: "JS/1".into(),
            screens: everywhere.clone(),
        })
        .await
        .unwrap();
    wait_screen(
        "angle 1 on both screens",
        || !is_black(&xvfb, BENCH) && !is_black(&xvfb, PUBLIC),
        || "a screen is black".into(),
    );

    // Playout's own check: a no_public recording cannot join one the public gallery sees.
    let refused = client
        .request(beside(&right, "no_public", 2_000))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        courtdeck_core::ErrorCode::RestrictedRoute,
        "{}",
        refused.message
    );
    assert!(refused.message.contains("PUBLIC"), "{}", refused.message);
    std::thread::sleep(Duration::from_millis(300));
    assert!(both(&xvfb).is_none(), "a refused request composes nothing");

    // On the bench alone, beside it with its clock 2 s ahead (50 frames).
    client
        .request(Command::Present {
            exhibit: "JS/1".into(),
            screens: vec!["bench".into()],
        })
        .await
        .unwrap();
    wait_screen(
        "PUBLIC black once off the route",
        || is_black(&xvfb, PUBLIC),
        || "PUBLIC is lit".into(),
    );
    let asked = Instant::now();
    client
        .request(beside(&right, "no_public", 2_000))
        .await
        .unwrap();
    let (l, r) = wait_both(&xvfb, "both pictures at 0:00", |l, r| (l, r) == (0, 50));
    let composed_ms = asked.elapsed().as_millis();
    assert_eq!((l, r), (0, 50));
    let public_black = || assert!(is_black(&xvfb, PUBLIC), "PUBLIC showed something");
    public_black();
    // Re-routing to PUBLIC with a no_public recording beside it: refused whole by playout.
    let refused = client
        .request(Command::Present {
            exhibit: "JS/1".into(),
            screens: everywhere.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, courtdeck_core::ErrorCode::RestrictedRoute);
    public_black();
    let shots = courtdeck_testkit::target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    xvfb.grab(0, 0, 1920, 540)
        .unwrap()
        .save_png(&shots.join("side-by-side.png"))
        .unwrap();

    // Frame steps move both on together; back too.
    client.request(Command::Step { frames: 1 }).await.unwrap();
    wait_both(&xvfb, "one step on", |l, r| (l, r) == (1, 51));
    client.request(Command::Step { frames: 5 }).await.unwrap();
    wait_both(&xvfb, "five steps on", |l, r| (l, r) == (6, 56));
    client.request(Command::Step { frames: -1 }).await.unwrap();
    wait_both(&xvfb, "one step back", |l, r| (l, r) == (5, 55));
    // A seek lands both, each on its own clock.
    client
        .request(Command::Seek { position_ms: 5_000 })
        .await
        .unwrap();
    wait_both(&xvfb, "a seek to 0:05", |l, r| (l, r) == (125, 175));

    // 30 s of play: every frame read back is within one frame of the offset.
    client.request(Command::Play).await.unwrap();
    let started = Instant::now();
    let (mut samples, mut worst, mut first, mut last) = (0u32, 0i64, None, 0i64);
    while started.elapsed() < Duration::from_secs(30) {
        if let Some((l, r)) = both(&xvfb) {
            samples += 1;
            worst = worst.max((r - l - 50).abs());
            assert!(
                (r - l - 50).abs() <= 1,
                "out of step after {:?}: left frame {l}, right frame {r}",
                started.elapsed()
            );
            first.get_or_insert(l);
            last = l;
        }
        public_black();
        std::thread::sleep(Duration::from_millis(100));
    }
    client.request(Command::Pause).await.unwrap();
    let first = first.expect("frames were read while playing");
    assert!(samples >= 100, "only {samples} readings in 30 s");
    assert!(
        last - first >= 25 * 25,
        "played from frame {first} to {last} in 30 s"
    );

    // A new offset, paused: the right side moves to its new place at once (1 s behind).
    let (l, _) = wait_both(&xvfb, "paused", |_, _| true);
    std::thread::sleep(Duration::from_millis(200));
    let (l2, _) = wait_both(&xvfb, "still paused", |_, _| true);
    assert_eq!(l, l2, "paused means paused");
    client
        .request(beside(&right, "no_public", -1_000))
        .await
        .unwrap();
    wait_both(&xvfb, "the right side 25 frames behind", |a, b| {
        a == l && b == l - 25
    });
    // Before the right recording's start, its side is black while the left plays on.
    client
        .request(Command::Seek { position_ms: 480 })
        .await
        .unwrap();
    wait_screen(
        "the right side black before its start",
        || {
            let rgb = grab(&xvfb, BENCH);
            read(&rgb, BENCH, 0) == (12, Some("red")) && read(&rgb, BENCH, 1).1.is_none()
        },
        || {
            let rgb = grab(&xvfb, BENCH);
            format!("{:?} {:?}", read(&rgb, BENCH, 0), read(&rgb, BENCH, 1))
        },
    );
    client.request(Command::Play).await.unwrap();
    let (l, r) = wait_both(&xvfb, "the right side starting at 0:01", |l, _| l >= 30);
    assert!((r - (l - 25)).abs() <= 1, "left {l}, right {r}");
    client.request(Command::Pause).await.unwrap();

    // Alone again: the left recording fills BENCH, nothing of the right is left.
    client
        .request(Command::Beside { beside: None })
        .await
        .unwrap();
    wait_screen(
        "angle 1 alone",
        || {
            let rgb = grab(&xvfb, BENCH);
            let [r, _, b] = mean(&rgb, (720, 420));
            r > 128 && b < 128
        },
        || "BENCH does not show angle 1 alone".into(),
    );
    assert!(both(&xvfb).is_none());
    public_black();
    client.request(Command::Withdraw).await.unwrap();
    wait_screen(
        "black after withdraw",
        || is_black(&xvfb, BENCH),
        || "BENCH is lit".into(),
    );
    println!(
        "side by side: both pictures read back {composed_ms} ms after Beside; {samples} readings over 30 s of play, worst {worst} frames from the offset"
    );
    println!(
        "RELIABILITY|screens|two_recordings_side_by_side_stay_in_step_and_a_no_public_one_never_reaches_public|two ffmpeg recordings (H.264 MP4, MJPEG AVI) composited on BENCH with a 2 s offset: both frame numbers read back from the pixels {samples} times over 30 s of play, never more than {worst} frame from the offset; steps, a seek, a new offset (-1 s, black before its start) move both; a no_public one is refused beside a route with PUBLIC, and PUBLIC stays black|ok"
    );
}

/// A DVD-style MPEG-2 programme stream with MP2 sound (the demo's ABE interview) with an H.264 MP4
/// beside it: both halves show and keep playing, and no error comes. (The ABE interview beside the
/// other angle on four screens failed with "Internal data stream error" in the e2e layout test.)
#[tokio::test(flavor = "multi_thread")]
async fn an_mpeg2_programme_stream_takes_an_h264_recording_beside() {
    let (_tmp, media) = courtdeck_testkit::playout::media();
    let file = |name: &str| {
        media
            .iter()
            .find(|f| f.path.file_name().is_some_and(|n| n == name))
            .unwrap()
            .path
            .clone()
    };
    let (abe, cam4) = (file("abe-interview.mpg"), file("cctv-high-st-cam4.mp4"));
    let xvfb = Xvfb::start(1920, 540, &[BENCH, PUBLIC]).unwrap();
    let client = courtdeck_testkit::playout::playout_on(
        &xvfb,
        vec![
            OutputSpec::window("bench", "bench", "BENCH"),
            OutputSpec::window("witness", "witness", "PUBLIC"),
        ],
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();
    courtdeck_testkit::playout::show(
        &client,
        &mut rx,
        "JS/3",
        &abe,
        "video",
        &["bench", "witness"],
    )
    .await;
    client.request(Command::Play).await.unwrap();
    client
        .request(Command::Beside {
            beside: Some(BesideSpec {
                exhibit: "JS/8".into(),
                path: cam4.display().to_string(),
                restriction: "open".into(),
                offset_ms: 0,
            }),
        })
        .await
        .unwrap();
    // Five seconds of play with both beside each other: no error.
    let error = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await {
                Ok(courtdeck_playout::client::ClientEvent::Playout(
                    courtdeck_playout::protocol::Event::Error { error, .. },
                )) => return error,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event stream: {e}"),
            }
        }
    })
    .await;
    if let Ok(error) = error {
        panic!("side by side failed: {}", error.message);
    }
    for m in [BENCH, PUBLIC] {
        let rgb = grab(&xvfb, m);
        let lit = |x0: u16, x1: u16| {
            (0..rgb.h as usize).any(|y| {
                (x0 as usize..x1 as usize).any(|x| {
                    rgb.data[(y * rgb.w as usize + x) * 3..][..3]
                        .iter()
                        .any(|&c| c > 60)
                })
            })
        };
        assert!(
            lit(0, m.w / 2 - 10) && lit(m.w / 2 + 10, m.w),
            "{} shows both halves",
            m.name
        );
    }
}
