//! Captions on real output windows (Xvfb, three virtual monitors), read back from the framebuffer:
//! an open recording made by ffmpeg whose transcript is for the bench only shows its captions on
//! BENCH and never on WITNESS or PUBLIC, which show the same picture; the caption is the cue of the
//! frame on screen (seek, play through a cue change); playout itself refuses captions on a screen
//! the transcript may not reach; blank, withdraw and a playout restart take them down.

use std::path::Path;

use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, WireCue};
use courtdeck_testkit::playout::{is_black, prerolled, wait_for, wait_screen};
use courtdeck_testkit::{Mon, Xvfb};

const BENCH: Mon = Mon::in_row("BENCH", 0, 640, 360);
const WITNESS: Mon = Mon::in_row("WITNESS", 1, 640, 360);
const PUBLIC: Mon = Mon::in_row("PUBLIC", 2, 640, 360);

/// The short caption, the long one, and where neither is.
const SHORT: (u64, u64) = (0, 3_000);
const LONG: (u64, u64) = (3_000, 6_000);
const NONE_AT: u64 = 7_000;

fn cues() -> Vec<WireCue> {
    vec![
        WireCue {
            start_ms: SHORT.0,
            end_ms: SHORT.1,
            speaker: None,
            text: "ONE".into(),
        },
        WireCue {
            start_ms: LONG.0,
            end_ms: LONG.1,
            speaker: None,
            // Markup in the words is shown as words, never obeyed.
            text: "W1: <b>I saw him</b> & ran to the door".into(),
        },
    ]
}

fn captions(screens: &[&str]) -> Command {
    Command::Captions {
        restriction: "bench_only".into(),
        screens: screens.iter().map(|s| s.to_string()).collect(),
        cues: cues(),
    }
}

/// How many columns of the lower half of `m` hold a white (caption) pixel. The picture is a dark
/// blue that has none.
fn caption_columns(xvfb: &Xvfb, m: Mon) -> usize {
    let top = m.h / 2;
    let rgb = xvfb
        .grab(m.x, m.y + top as i16, m.w, m.h - top)
        .expect("grab");
    let w = m.w as usize;
    (0..w)
        .filter(|x| {
            (0..(m.h - top) as usize).any(|y| {
                let p = &rgb.data[(y * w + x) * 3..][..3];
                p.iter().all(|&c| c > 200)
            })
        })
        .count()
}

fn lit(xvfb: &Xvfb, m: Mon) -> bool {
    xvfb.grab(m.x, m.y, m.w, m.h).unwrap().lit_fraction() > 0.5
}

async fn start(xvfb: &Xvfb) -> PlayoutClient {
    courtdeck_testkit::playout::playout_on(xvfb, courtdeck_testkit::playout::bench_witness_public())
        .await
        .unwrap()
}

async fn show(client: &PlayoutClient, path: &Path) {
    let mut rx = client.subscribe();
    client
        .request(Command::Load {
            exhibit: "JS/3".into(),
            title: "ABE interview".into(),
            path: path.display().to_string(),
            kind: "video".into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: true,
        })
        .await
        .unwrap();
    prerolled(&mut rx, "JS/3").await;
    client
        .request(Command::Present {
            exhibit: "JS/3".into(),
            screens: vec!["bench".into(), "witness".into(), "public".into()],
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn captions_follow_the_frame_on_bench_only_and_go_with_blank_withdraw_and_restart() {
    let dir = courtdeck_testkit::work_dir();
    let video = dir.path().join("interview.mp4");
    // Not made by the library that plays it: ffmpeg's H.264, 25 fps, 10 s of a dark blue.
    courtdeck_testdata::corpus::ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=0x203070:size=640x360:rate=25:duration=10",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
        &video,
    )
    .unwrap();
    let xvfb = Xvfb::start(1920, 360, &[BENCH, WITNESS, PUBLIC]).unwrap();
    let client = start(&xvfb).await;
    show(&client, &video).await;
    wait_screen(
        "the recording on all three screens",
        || lit(&xvfb, BENCH) && lit(&xvfb, WITNESS) && lit(&xvfb, PUBLIC),
        || "a screen stayed dark".into(),
    );
    let cols = |m: Mon| caption_columns(&xvfb, m);
    assert_eq!(cols(BENCH), 0, "no captions before they are asked for");

    // Playout's own check: a bench-only transcript never reaches PUBLIC or WITNESS, whatever it is
    // asked, and the refused request changes nothing.
    for screens in [&["bench", "public"][..], &["witness"]] {
        let refused = client.request(captions(screens)).await.unwrap_err();
        assert_eq!(
            refused.code,
            courtdeck_core::ErrorCode::RestrictedRoute,
            "{}",
            refused.message
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(cols(BENCH), 0, "a refused request shows nothing");

    // On BENCH: paused at the start, the short cue.
    client.request(captions(&["bench"])).await.unwrap();
    wait_screen(
        "the first caption on BENCH",
        || cols(BENCH) > 0,
        || "BENCH shows no caption".into(),
    );
    let short = cols(BENCH);
    let away = |what: &str| {
        assert_eq!(cols(WITNESS), 0, "{what}: a caption on WITNESS");
        assert_eq!(cols(PUBLIC), 0, "{what}: a caption on PUBLIC");
    };
    away("paused at 0:00");
    // Seek into the long cue: the caption is the frame's own.
    client
        .request(Command::Seek {
            position_ms: LONG.0 + 500,
        })
        .await
        .unwrap();
    wait_screen(
        "the long caption after a seek",
        || cols(BENCH) > short * 3,
        || format!("{} caption columns, the short one had {short}", cols(BENCH)),
    );
    let long = cols(BENCH);
    away("paused in the long cue");
    let shots = courtdeck_testkit::target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    xvfb.grab(0, 0, 1920, 360)
        .unwrap()
        .save_png(&shots.join("captions-bench-only.png"))
        .unwrap();
    client
        .request(Command::Seek {
            position_ms: NONE_AT,
        })
        .await
        .unwrap();
    wait_screen(
        "no caption between cues",
        || cols(BENCH) == 0,
        || format!("{} caption columns between cues", cols(BENCH)),
    );
    assert!(lit(&xvfb, BENCH), "the picture stays");

    // Playing through a cue change: short, then long, by the pictures' own time.
    client
        .request(Command::Seek {
            position_ms: SHORT.1 - 1_500,
        })
        .await
        .unwrap();
    wait_screen(
        "the short caption again",
        || cols(BENCH) == short,
        || format!("{} columns", cols(BENCH)),
    );
    client.request(Command::Play).await.unwrap();
    wait_screen(
        "the long caption once playing reaches it",
        || cols(BENCH) == long,
        || format!("{} columns", cols(BENCH)),
    );
    away("playing");
    client.request(Command::Pause).await.unwrap();

    // Blank takes BENCH's captions down; unblanked, the picture comes back without them.
    for blank in [true, false] {
        client
            .request(Command::Blank {
                screen: "bench".into(),
                blank,
            })
            .await
            .unwrap();
    }
    client
        .request(Command::Seek {
            position_ms: LONG.0 + 500,
        })
        .await
        .unwrap();
    wait_screen(
        "BENCH lit after unblanking",
        || lit(&xvfb, BENCH),
        || "dark".into(),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(cols(BENCH), 0, "blank took the captions down for good");

    // Withdraw: every screen black.
    client.request(captions(&["bench"])).await.unwrap();
    wait_screen(
        "captions on again",
        || cols(BENCH) == long,
        || format!("{} columns", cols(BENCH)),
    );
    client.request(Command::Withdraw).await.unwrap();
    wait_screen(
        "all black after withdraw",
        || is_black(&xvfb, BENCH) && is_black(&xvfb, WITNESS) && is_black(&xvfb, PUBLIC),
        || "a screen is lit".into(),
    );

    // A restart: the recording loaded and shown again has no captions until asked.
    let mut rx = client.subscribe();
    let pid = client.pid().await.expect("a playout process");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Restarted { .. }).then_some(())
    })
    .await;
    show(&client, &video).await;
    client
        .request(Command::Seek {
            position_ms: LONG.0 + 500,
        })
        .await
        .unwrap();
    wait_screen(
        "the recording back after the restart",
        || lit(&xvfb, BENCH),
        || "dark".into(),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(cols(BENCH), 0, "no captions after a restart");
    println!(
        "RELIABILITY|screens|captions_follow_the_frame_on_bench_only_and_go_with_blank_withdraw_and_restart|a bench_only transcript's captions on an open ffmpeg recording: read back on BENCH ({short} then {long} columns of text), never on WITNESS or PUBLIC; playout refuses them there itself; blank, withdraw and a SIGKILL restart take them down|ok"
    );
}
