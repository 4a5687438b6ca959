//! The playout process drawing into real output windows on Xvfb with two virtual monitors, BENCH and
//! PUBLIC, every claim read back from the framebuffer: blanking one screen, the aspect ratio of
//! anamorphic CCTV, a phone video's rotation, zoom and pan on a still (and its thumbnail while paused),
//! the "exhibit unavailable" slate when an exhibit on air fails, the standby slate after the
//! process is killed, and the hardware blank key (typed through XTEST) blanking every screen with no
//! word from the app.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use courtdeck_engine::engine::{SLATE_STANDBY_ARGB, SLATE_UNAVAILABLE_ARGB};
use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, Event, OutputSpec};
use courtdeck_testkit::playout::{is_black, load, show, wait_for, wait_screen};
use courtdeck_testkit::{Mon, Rgb, Xvfb};

const BENCH: Mon = Mon::in_row("BENCH", 0, 640, 360);
const PUBLIC: Mon = Mon::in_row("PUBLIC", 1, 640, 360);

fn window(id: &str, role: &str, monitor: &str) -> OutputSpec {
    OutputSpec::window(id, role, monitor)
}

fn present(exhibit: &str, screens: &[&str]) -> Command {
    Command::Present {
        exhibit: exhibit.into(),
        screens: screens.iter().map(|s| s.to_string()).collect(),
    }
}

/// Average colour of an 8x8 square at (`x`, `y`) of monitor `m`.
fn colour_at(xvfb: &Xvfb, m: Mon, x: i16, y: i16) -> (u8, u8, u8) {
    let rgb = xvfb.grab(m.x + x, m.y + y, 8, 8).expect("grab");
    average(&rgb)
}

fn average(rgb: &Rgb) -> (u8, u8, u8) {
    let n = (rgb.data.len() / 3).max(1) as u64;
    let sum = rgb.data.chunks_exact(3).fold([0u64; 3], |mut s, p| {
        for i in 0..3 {
            s[i] += p[i] as u64;
        }
        s
    });
    ((sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8)
}

fn argb_to_rgb(argb: u32) -> (u8, u8, u8) {
    ((argb >> 16) as u8, (argb >> 8) as u8, argb as u8)
}

fn close(a: (u8, u8, u8), b: (u8, u8, u8), tolerance: u8) -> bool {
    a.0.abs_diff(b.0) <= tolerance
        && a.1.abs_diff(b.1) <= tolerance
        && a.2.abs_diff(b.2) <= tolerance
}

/// The first column of row `y` on monitor `m` that is not black: the width of the left border.
fn left_border(xvfb: &Xvfb, m: Mon, y: i16) -> u16 {
    let row = xvfb.grab(m.x, m.y + y, m.w, 1).expect("grab");
    row.data
        .chunks_exact(3)
        .position(|p| p.iter().any(|&c| c > 40))
        .unwrap_or(m.w as usize) as u16
}

/// The number of black columns at the right end of row `y` on monitor `m`.
fn right_border(xvfb: &Xvfb, m: Mon, y: i16) -> u16 {
    let row = xvfb.grab(m.x, m.y + y, m.w, 1).expect("grab");
    row.data
        .chunks_exact(3)
        .rev()
        .position(|p| p.iter().any(|&c| c > 40))
        .unwrap_or(m.w as usize) as u16
}

/// How many child windows each Courtdeck output window has (one per loaded exhibit).
fn exhibit_windows(display: &str) -> Vec<usize> {
    exhibit_children(display).iter().map(Vec::len).collect()
}

/// Xvfb with BENCH and PUBLIC, and the playout process drawing on them (BENCH a bench screen,
/// PUBLIC the public gallery).
async fn start_on_xvfb() -> (Xvfb, PlayoutClient) {
    start_on_xvfb_with(Vec::new()).await
}

/// As `start_on_xvfb`, with `env` for the playout process besides its display and sound.
async fn start_on_xvfb_with(env: Vec<(String, String)>) -> (Xvfb, PlayoutClient) {
    let xvfb = Xvfb::start(1280, 360, &[BENCH, PUBLIC]).unwrap();
    let mut env = env;
    env.extend([
        ("DISPLAY".into(), xvfb.display.clone()),
        ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
    ]);
    let client = PlayoutClient::start_with(
        courtdeck_testkit::target_dir().join("courtdeck-playout"),
        vec![
            window("bench", "bench", "BENCH"),
            window("public", "public_gallery", "PUBLIC"),
        ],
        courtdeck_testkit::playout::confined(env),
    )
    .await
    .unwrap();
    (xvfb, client)
}

/// The CCTV `path` as JS/1 on BENCH and PUBLIC, playing, both lit.
async fn cctv_playing(
    client: &PlayoutClient,
    rx: &mut tokio::sync::broadcast::Receiver<ClientEvent>,
    xvfb: &Xvfb,
    path: &std::path::Path,
) {
    show(client, rx, "JS/1", path, "video", &["bench", "public"]).await;
    client.request(Command::Play).await.unwrap();
    let lit = |m: Mon| xvfb.grab(m.x, m.y, m.w, m.h).unwrap().lit_fraction() > 0.3;
    wait_screen(
        "CCTV on both screens",
        || lit(BENCH) && lit(PUBLIC),
        || "a screen stayed dark".into(),
    );
}

fn shared(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn pictures_on_real_windows_blank_zoom_rotation_aspect_and_slates() {
    let demo = courtdeck_engine::fixtures::demo_media(&shared("demo-media")).unwrap();
    let cctv = demo[0].path.clone();
    let matrix = courtdeck_testdata::formats::format_matrix(&shared("format-matrix")).unwrap();
    let photo = matrix
        .iter()
        .find(|f| f.name == "photo.png")
        .unwrap()
        .path
        .clone();
    let geometry = courtdeck_testdata::formats::geometry_media(&shared("geometry-media")).unwrap();
    let (rotated, anamorphic) = (geometry[0].clone(), geometry[1].clone());
    let scratch = tempfile::tempdir().unwrap();
    let truncated = scratch.path().join("truncated.mp4");
    let bytes = std::fs::read(&cctv).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let shots = courtdeck_testkit::target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    let (xvfb, client) = start_on_xvfb().await;
    let mut rx = client.subscribe();
    let mut checked = 0;

    // Idle: both screens black.
    wait_screen(
        "both screens black at start",
        || is_black(&xvfb, BENCH) && is_black(&xvfb, PUBLIC),
        || "a screen is lit".into(),
    );

    // CCTV on both, playing; blank PUBLIC: it goes black while BENCH plays on.
    cctv_playing(&client, &mut rx, &xvfb, &cctv).await;
    let lit = |m: Mon| xvfb.grab(m.x, m.y, m.w, m.h).unwrap().lit_fraction() > 0.3;
    client
        .request(Command::Blank {
            screen: "public".into(),
            blank: true,
        })
        .await
        .unwrap();
    wait_screen(
        "PUBLIC black after blanking it",
        || is_black(&xvfb, PUBLIC),
        || "PUBLIC still lit".into(),
    );
    let before = xvfb.grab(BENCH.x, BENCH.y, BENCH.w, BENCH.h).unwrap();
    wait_screen(
        "BENCH still playing",
        || {
            xvfb.grab(BENCH.x, BENCH.y, BENCH.w, BENCH.h)
                .unwrap()
                .changed_fraction(&before)
                > 0.001
        },
        || "BENCH froze".into(),
    );
    xvfb.grab(0, 0, 1280, 360)
        .unwrap()
        .save_png(&shots.join("outputs-public-blanked.png"))
        .unwrap();
    client
        .request(Command::Blank {
            screen: "public".into(),
            blank: false,
        })
        .await
        .unwrap();
    checked += 1;

    // Anamorphic CCTV (704x576, 12:11 pixels) is 4:3: on a 640x360 screen 480 wide with 80 px borders.
    // Square pixels would make it 440 wide with 100 px borders.
    show(&client, &mut rx, "JS/5", &anamorphic, "video", &["bench"]).await;
    wait_screen(
        "anamorphic picture with 4:3 borders",
        || (76..=84).contains(&left_border(&xvfb, BENCH, 180)),
        || format!("left border {} px", left_border(&xvfb, BENCH, 180)),
    );
    assert!(is_black(&xvfb, PUBLIC), "PUBLIC is not routed: black");
    println!(
        "anamorphic 704x576 12:11 on 640x360: left border {} px (expected 80)",
        left_border(&xvfb, BENCH, 180)
    );
    checked += 1;

    // A phone video (320x180 bars, rotated 90° by its track matrix) stands upright: 203 px wide in
    // the middle of the screen (the bars' top rows, now on the right, end 219 px from the edge), the
    // first bar (white) at the top and the last (blue) at the bottom. Unrotated, it would fill the
    // screen with the green bar in the middle of its top row.
    show(&client, &mut rx, "JS/6", &rotated, "video", &["bench"]).await;
    wait_screen(
        "rotated phone video upright",
        || {
            let border = right_border(&xvfb, BENCH, 180);
            let top = colour_at(&xvfb, BENCH, 316, 16);
            let bottom = colour_at(&xvfb, BENCH, 316, 336);
            (214..=224).contains(&border)
                && top.0 > 150
                && close((top.0, top.0, top.0), top, 20)
                && bottom.2 > 140
                && bottom.0 < 60
                && bottom.1 < 60
        },
        || {
            format!(
                "right border {} px, top {:?}, bottom {:?}",
                right_border(&xvfb, BENCH, 180),
                colour_at(&xvfb, BENCH, 316, 16),
                colour_at(&xvfb, BENCH, 316, 336)
            )
        },
    );
    xvfb.grab(0, 0, 1280, 360)
        .unwrap()
        .save_png(&shots.join("outputs-phone-rotated.png"))
        .unwrap();
    checked += 1;

    // A still (SMPTE bars, 640x480): the middle is the green bar; zoomed to its top-left tenth the
    // screen's middle is the white bar; panned to the top-right tenth, blue; back to the whole, green.
    // Thumbnails of the paused still arrive too, and change with the zoom.
    show(&client, &mut rx, "JS/4", &photo, "image", &["bench"]).await;
    client
        .request(Command::Thumbnails { enabled: true })
        .await
        .unwrap();
    // Each zoom brings a new thumbnail of the paused still (a different picture from the one before).
    let mut last_thumbnail = String::new();
    for (x, y, w, want, name) in [
        (0.0, 0.0, 1.0, (0, 255, 0), "whole still: green middle"),
        (
            0.0,
            0.0,
            0.1,
            (255, 255, 255),
            "zoomed to the top-left: white",
        ),
        (0.9, 0.0, 0.1, (0, 0, 255), "panned to the top-right: blue"),
    ] {
        client
            .request(Command::Zoom {
                x,
                y,
                width: w,
                height: w,
            })
            .await
            .unwrap();
        wait_screen(
            name,
            || close(colour_at(&xvfb, BENCH, 316, 176), want, 40),
            || format!("middle is {:?}", colour_at(&xvfb, BENCH, 316, 176)),
        );
        last_thumbnail = wait_for(&mut rx, |e| match e {
            ClientEvent::Playout(Event::Thumbnail { exhibit, jpeg })
                if exhibit == "JS/4" && *jpeg != last_thumbnail =>
            {
                Some(jpeg.clone())
            }
            _ => None,
        })
        .await;
    }
    let refused = client
        .request(Command::Zoom {
            x: 0.5,
            y: 0.5,
            width: 0.9,
            height: 0.9,
        })
        .await
        .unwrap_err();
    assert!(refused.message.contains("inside the picture"), "{refused}");
    client
        .request(Command::Thumbnails { enabled: false })
        .await
        .unwrap();
    checked += 1;

    // An exhibit that fails on air: both screens it was presented on show the "exhibit unavailable"
    // slate, not black and not the desktop. The process is held (SIGSTOP) while Load and Present are
    // queued, so Present is certain to come before the failure.
    let pid = client.pid().await.unwrap();
    let signal = |sig: &str, pid: u32| {
        assert!(
            std::process::Command::new("kill")
                .args([sig, &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
    };
    signal("-STOP", pid);
    // Both requests are written to the stopped process's stdin, Load first, before it may run
    // again: a request's first poll queues its line (its reply is awaited after).
    let mut loaded = std::pin::pin!(client.request(load("JS/9", &truncated, "video", "open")));
    let mut presented = std::pin::pin!(client.request(present("JS/9", &["bench", "public"])));
    std::future::poll_fn(|cx| {
        assert!(loaded.as_mut().poll(cx).is_pending());
        assert!(presented.as_mut().poll(cx).is_pending());
        std::task::Poll::Ready(())
    })
    .await;
    signal("-CONT", pid);
    loaded.await.unwrap();
    presented.await.unwrap();
    let failure = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Error {
            exhibit: Some(x),
            error,
            ..
        }) if x == "JS/9" => Some(error.clone()),
        _ => None,
    })
    .await;
    println!("on-air failure: {}", failure.message);
    let unavailable = argb_to_rgb(SLATE_UNAVAILABLE_ARGB);
    wait_screen(
        "the unavailable slate on both screens",
        || {
            close(colour_at(&xvfb, BENCH, 8, 8), unavailable, 4)
                && close(colour_at(&xvfb, PUBLIC, 8, 8), unavailable, 4)
        },
        || {
            format!(
                "corners {:?} {:?}",
                colour_at(&xvfb, BENCH, 8, 8),
                colour_at(&xvfb, PUBLIC, 8, 8)
            )
        },
    );
    let slate_text = xvfb.grab(BENCH.x, BENCH.y, BENCH.w, BENCH.h).unwrap();
    assert!(
        slate_text.lit_fraction() > 0.01,
        "the slate carries its words"
    );
    slate_text
        .save_png(&shots.join("outputs-slate-unavailable.png"))
        .unwrap();
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    assert!(
        stats
            .iter()
            .all(|s| s.slate.as_deref() == Some("unavailable") && s.showing.is_none()),
        "{stats:?}"
    );
    // Blanking a screen takes its slate down: black.
    client
        .request(Command::Blank {
            screen: "public".into(),
            blank: true,
        })
        .await
        .unwrap();
    wait_screen(
        "PUBLIC black",
        || is_black(&xvfb, PUBLIC),
        || format!("PUBLIC corner {:?}", colour_at(&xvfb, PUBLIC, 8, 8)),
    );
    checked += 1;

    // SIGKILL: the supervisor restarts the process; BENCH comes back on the standby slate, PUBLIC
    // (blanked by the court before the crash) stays black from the new engine's first moment, and
    // nothing resumes.
    signal("-9", pid);
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Restarted { .. }).then_some(())
    })
    .await;
    let standby = argb_to_rgb(SLATE_STANDBY_ARGB);
    wait_screen(
        "the standby slate on BENCH after a restart",
        || close(colour_at(&xvfb, BENCH, 8, 8), standby, 4),
        || format!("BENCH corner {:?}", colour_at(&xvfb, BENCH, 8, 8)),
    );
    assert!(is_black(&xvfb, PUBLIC), "the blanked PUBLIC stays black");
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    let by = |id: &str| stats.iter().find(|s| s.screen == id).unwrap().clone();
    assert_eq!(
        (by("bench").slate.as_deref(), by("bench").blanked),
        (Some("standby"), false),
        "{stats:?}"
    );
    assert_eq!(
        (by("public").slate.as_deref(), by("public").blanked),
        (None, true),
        "{stats:?}"
    );
    assert!(stats.iter().all(|s| s.showing.is_none()), "{stats:?}");
    // Withdraw with nothing on air takes the slate down.
    client.request(Command::Withdraw).await.unwrap();
    wait_screen(
        "BENCH black after Withdraw took the slate down",
        || is_black(&xvfb, BENCH),
        || format!("BENCH corner {:?}", colour_at(&xvfb, BENCH, 8, 8)),
    );
    // The README's shot: a second restart with nothing blanked, the standby slate on both.
    client
        .request(Command::Blank {
            screen: "public".into(),
            blank: false,
        })
        .await
        .unwrap();
    signal("-9", client.pid().await.unwrap());
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Restarted { .. }).then_some(())
    })
    .await;
    wait_screen(
        "the standby slate on both screens after a restart with nothing blanked",
        || {
            close(colour_at(&xvfb, BENCH, 8, 8), standby, 4)
                && close(colour_at(&xvfb, PUBLIC, 8, 8), standby, 4)
        },
        || {
            format!(
                "corners {:?} {:?}",
                colour_at(&xvfb, BENCH, 8, 8),
                colour_at(&xvfb, PUBLIC, 8, 8)
            )
        },
    );
    xvfb.grab(0, 0, 1280, 360)
        .unwrap()
        .save_png(&shots.join("outputs-slate-standby.png"))
        .unwrap();
    show(&client, &mut rx, "JS/1", &cctv, "video", &["bench"]).await;
    wait_screen(
        "CCTV on BENCH, PUBLIC black (slate gone)",
        || lit(BENCH) && is_black(&xvfb, PUBLIC),
        || format!("PUBLIC corner {:?}", colour_at(&xvfb, PUBLIC, 8, 8)),
    );
    // One exhibit loaded: one child window in each output window it may reach.
    assert_eq!(exhibit_windows(&xvfb.display), vec![1, 1]);
    client.request(Command::Withdraw).await.unwrap();
    wait_screen(
        "both black after Withdraw",
        || is_black(&xvfb, BENCH) && is_black(&xvfb, PUBLIC),
        || "a screen is lit".into(),
    );
    // Torn down means gone: no exhibit window is left inside either output window.
    let left = exhibit_windows(&xvfb.display);
    assert_eq!(left, vec![0, 0], "child windows left in the output windows");
    checked += 1;
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|pictures_on_real_windows_blank_zoom_rotation_aspect_and_slates|read back from Xvfb: one screen blanked, anamorphic 12:11 CCTV, a rotated phone video, zoom and pan on a still, an exhibit failing on air (unavailable slate), SIGKILL (standby slate; a blanked screen stays black)|{checked}"
    );
}

/// The ids of the exhibit child windows inside each Courtdeck output window, in output order.
fn exhibit_children(display: &str) -> Vec<Vec<u32>> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};
    let (conn, n) = x11rb::connect(Some(display)).unwrap();
    let root = conn.setup().roots[n].root;
    let mut out = Vec::new();
    for w in conn.query_tree(root).unwrap().reply().unwrap().children {
        let name = conn
            .get_property(false, w, AtomEnum::WM_NAME, AtomEnum::STRING, 0, 256)
            .unwrap()
            .reply()
            .unwrap()
            .value;
        if name.starts_with(b"Courtdeck output") {
            out.push(conn.query_tree(w).unwrap().reply().unwrap().children);
        }
    }
    out
}

/// Media nobody here made, on real windows: a portrait phone photo (stored landscape, EXIF
/// orientation 6) stands upright; a TIFF scan is shown (no decoder was autoplugged for it before).
/// Then a window is destroyed under a playing video sink, from another X client, as a display
/// server does when a screen goes away: X errors follow in the sink's Xlib connection, and the
/// playout process must live on (Xlib's default handler exits) and show the next exhibit.
#[tokio::test(flavor = "multi_thread")]
async fn exif_portrait_upright_and_a_vanished_window_is_not_an_exit() {
    let corpus = courtdeck_testdata::corpus::ffmpeg_corpus(&shared("ffmpeg-corpus")).unwrap();
    let file = |name: &str| corpus.iter().find(|f| f.name == name).unwrap().path.clone();
    let demo = courtdeck_engine::fixtures::demo_media(&shared("demo-media")).unwrap();
    let cctv = demo[0].path.clone();
    let shots = courtdeck_testkit::target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let (xvfb, client) = start_on_xvfb().await;
    let mut rx = client.subscribe();
    let mut checked = 0;

    // SMPTE bars 640x480 stored landscape, EXIF "turn 90° clockwise": shown 480x640, so on a
    // 640x360 screen 270 px wide with 185 px borders (landscape would leave 80). Turned clockwise,
    // the picture's left column (the grey bar) becomes its top row, the grey at its top right and
    // the right column's blue bar along its bottom.
    show(
        &client,
        &mut rx,
        "P/1",
        &file("portrait-exif6.jpg"),
        "image",
        &["bench"],
    )
    .await;
    wait_screen(
        "EXIF portrait photo upright",
        || {
            let border = left_border(&xvfb, BENCH, 180);
            let top_right = colour_at(&xvfb, BENCH, 640 - 185 - 20, 10);
            let bottom_right = colour_at(&xvfb, BENCH, 640 - 185 - 20, 345);
            (181..=189).contains(&border)
                && close(top_right, (191, 191, 191), 30)
                && bottom_right.2 > 150
                && bottom_right.0 < 60
        },
        || {
            format!(
                "left border {} px, top right {:?}, bottom right {:?}",
                left_border(&xvfb, BENCH, 180),
                colour_at(&xvfb, BENCH, 640 - 185 - 20, 10),
                colour_at(&xvfb, BENCH, 640 - 185 - 20, 345)
            )
        },
    );
    xvfb.grab(0, 0, 1280, 360)
        .unwrap()
        .save_png(&shots.join("outputs-exif-portrait.png"))
        .unwrap();
    checked += 1;

    // A TIFF scan (640x480 bars): 4:3 on the 16:9 screen, 80 px borders, the middle lit.
    show(
        &client,
        &mut rx,
        "P/2",
        &file("scan.tiff"),
        "image",
        &["bench"],
    )
    .await;
    wait_screen(
        "TIFF scan shown",
        || {
            (76..=84).contains(&left_border(&xvfb, BENCH, 100))
                && colour_at(&xvfb, BENCH, 320, 100) != (0, 0, 0)
        },
        || format!("left border {} px", left_border(&xvfb, BENCH, 100)),
    );
    checked += 1;

    // CCTV on BENCH alone, playing (one video sink: with two, their Xlib calls can race and leave
    // GStreamer's own error handler installed, which would hide the default one's exit); then
    // BENCH's exhibit window is destroyed by another client.
    show(&client, &mut rx, "P/3", &cctv, "video", &["bench"]).await;
    client.request(Command::Play).await.unwrap();
    let lit = |m: Mon| xvfb.grab(m.x, m.y, m.w, m.h).unwrap().lit_fraction() > 0.3;
    wait_screen(
        "CCTV on BENCH",
        || lit(BENCH),
        || "BENCH stayed dark".into(),
    );
    let children = exhibit_children(&xvfb.display);
    assert_eq!(children.len(), 2, "two output windows");
    let bench_child = *children[0].first().expect("BENCH shows an exhibit window");
    {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::ConnectionExt as _;
        let (conn, _) = x11rb::connect(Some(&xvfb.display)).unwrap();
        conn.destroy_window(bench_child).unwrap().check().unwrap();
        conn.flush().unwrap();
    }
    // The sink goes on being fed (every frame it draws into nothing is an X error) for a second
    // and more: the process lives, and the same process answers.
    let frames = |stats: &[courtdeck_playout::protocol::ScreenStats]| {
        stats.iter().find(|s| s.screen == "bench").unwrap().frames
    };
    let at_destroy = frames(&client.request(Command::Stats).await.unwrap().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after = at_destroy;
    while after < at_destroy + 30 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = frames(&client.request(Command::Stats).await.unwrap().unwrap());
    }
    let mut restarted = false;
    while let Ok(event) = rx.try_recv() {
        restarted |= matches!(event, ClientEvent::Restarting { .. });
    }
    assert!(
        !restarted,
        "the playout process died when a window vanished"
    );
    assert!(
        after >= at_destroy + 30,
        "BENCH's sink stopped at {after} frames ({at_destroy} when its window vanished)"
    );
    println!(
        "frames drawn into the vanished window: {}",
        after - at_destroy
    );
    checked += 1;
    // And the next exhibit shows on both screens as usual.
    show(
        &client,
        &mut rx,
        "P/4",
        &file("scan.tiff"),
        "image",
        &["bench", "public"],
    )
    .await;
    wait_screen(
        "the next exhibit on both screens",
        || lit(BENCH) && lit(PUBLIC),
        || "a screen stayed dark".into(),
    );
    checked += 1;
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|exif_portrait_upright_and_a_vanished_window_is_not_an_exit|read back from Xvfb: an EXIF-rotated portrait JPEG and a TIFF scan (ffmpeg), a playing sink's window destroyed by another X client (the process lives and plays on, the next exhibit shows on both screens)|{checked}"
    );
}

/// The hardware blank key: a pedal's F12, typed through XTEST while this side sends nothing, blanks
/// both screens by playout's own grab; held (a repeat) it is one blank; only the surface unblanks.
#[tokio::test(flavor = "multi_thread")]
async fn the_blank_key_blanks_every_screen_through_playout_itself() {
    let demo = courtdeck_engine::fixtures::demo_media(&shared("demo-media")).unwrap();
    let (xvfb, client) =
        start_on_xvfb_with(vec![("COURTDECK_BLANK_KEY".into(), "F12".into())]).await;
    let mut rx = client.subscribe();
    cctv_playing(&client, &mut rx, &xvfb, &demo[0].path).await;
    let lit = |m: Mon| xvfb.grab(m.x, m.y, m.w, m.h).unwrap().lit_fraction() > 0.3;

    // F12 twice in quick succession (a key held down repeats): both screens black, one blank told.
    const F12: u32 = 0xffc9;
    xvfb.press_key(F12).unwrap();
    xvfb.press_key(F12).unwrap();
    let key = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::BlankedByKey { key }) => Some(key.clone()),
        _ => None,
    })
    .await;
    assert_eq!(key, "F12");
    wait_screen(
        "both screens black after the blank key",
        || is_black(&xvfb, BENCH) && is_black(&xvfb, PUBLIC),
        || "a screen is still lit".into(),
    );
    // The second press came within the repeat time: no second blank follows the first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let repeats = std::iter::from_fn(|| rx.try_recv().ok())
        .filter(|e| matches!(e, ClientEvent::Playout(Event::BlankedByKey { .. })))
        .count();
    assert_eq!(repeats, 0, "a key held down blanked twice");

    // Pressing it again keeps them blank: the key never unblanks. The surface does.
    tokio::time::sleep(Duration::from_millis(600)).await;
    xvfb.press_key(F12).unwrap();
    wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::BlankedByKey { .. }) => Some(()),
        _ => None,
    })
    .await;
    assert!(is_black(&xvfb, BENCH) && is_black(&xvfb, PUBLIC));
    for screen in ["bench", "public"] {
        client
            .request(Command::Blank {
                screen: screen.into(),
                blank: false,
            })
            .await
            .unwrap();
    }
    wait_screen(
        "CCTV back on both screens when the surface unblanks",
        || lit(BENCH) && lit(PUBLIC),
        || "a screen stayed dark".into(),
    );
    client.shutdown().await;
}
