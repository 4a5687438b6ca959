//! Paused means the same frame on every screen. A recording made by ffmpeg (H.264, 1280x720 at
//! 25 fps, its frame number in eleven black or white cells) plays on three windows of different
//! sizes (each screen scales on its own branch, so their queues hold different numbers of frames);
//! paused again and again at different moments, every screen must come to rest on one frame, and a
//! step forward moves them all to the next. (Each sink used to keep the frame its own queue held: a
//! bench a frame ahead of the public gallery.)

use std::time::Duration;

use courtdeck_playout::protocol::Command;
use courtdeck_testkit::playout::{show, wait_screen};
use courtdeck_testkit::{Mon, Rgb, Xvfb};

const BENCH: Mon = Mon {
    name: "BENCH",
    x: 0,
    y: 0,
    w: 960,
    h: 540,
};
const WITNESS: Mon = Mon {
    name: "WITNESS",
    x: 960,
    y: 0,
    w: 640,
    h: 360,
};
const PUBLIC: Mon = Mon {
    name: "PUBLIC",
    x: 1600,
    y: 0,
    w: 320,
    h: 180,
};

const BITS: u32 = 11;
/// The recording's size and its cells: 112 px wide, 240 px tall along the top.
const SRC: (f64, f64) = (1280.0, 720.0);
const CELL: (f64, f64) = (112.0, 240.0);

fn counter_video(out: &std::path::Path) {
    let mut filter = String::from("color=c=black:size=1280x720:rate=25:duration=30");
    for bit in 0..BITS {
        filter.push_str(&format!(
            ",drawbox=x={}:y=0:w={}:h={}:color=white:t=fill:enable='gt(bitand(n\\,{})\\,0)'",
            bit as f64 * CELL.0,
            CELL.0,
            CELL.1,
            1u32 << bit
        ));
    }
    courtdeck_testdata::corpus::ffmpeg(
        &[
            "-f", "lavfi", "-i", &filter, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50",
        ],
        out,
    )
    .unwrap();
}

/// The frame number `m` shows (its cells' centres, scaled to the window).
fn frame_on(xvfb: &Xvfb, m: Mon) -> u32 {
    let rgb: Rgb = xvfb.grab(m.x, m.y, m.w, m.h).unwrap();
    (0..BITS)
        .filter(|&bit| {
            let x = ((bit as f64 + 0.5) * CELL.0 / SRC.0 * f64::from(m.w)) as usize;
            let y = (CELL.1 / 2.0 / SRC.1 * f64::from(m.h)) as usize;
            let p = &rgb.data[(y * rgb.w as usize + x) * 3..][..3];
            p.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 128
        })
        .fold(0, |n, bit| n | 1 << bit)
}

fn frames(xvfb: &Xvfb) -> [u32; 3] {
    [BENCH, WITNESS, PUBLIC].map(|m| frame_on(xvfb, m))
}

#[tokio::test(flavor = "multi_thread")]
async fn paused_every_screen_holds_the_same_frame_and_a_step_moves_them_together() {
    let dir = courtdeck_testkit::work_dir();
    let video = dir.path().join("counter.mp4");
    counter_video(&video);
    let xvfb = Xvfb::start(1920, 540, &[BENCH, WITNESS, PUBLIC]).unwrap();
    let client = courtdeck_testkit::playout::playout_on(
        &xvfb,
        courtdeck_testkit::playout::bench_witness_public(),
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();
    show(
        &client,
        &mut rx,
        "JS/1",
        &video,
        "video",
        &["bench", "witness", "public"],
    )
    .await;
    let mut last = 0;
    // Pauses at moments that fall anywhere within a frame: 13 rounds of 150 to 750 ms of play.
    for round in 0..13u64 {
        client.request(Command::Play).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150 + round * 47 % 600)).await;
        client.request(Command::Pause).await.unwrap();
        let mut seen = [0; 3];
        wait_screen(
            &format!("round {round}: the three screens on one frame"),
            || {
                seen = frames(&xvfb);
                seen[0] > last && seen.iter().all(|&f| f == seen[0])
            },
            || format!("BENCH, WITNESS, PUBLIC show frames {:?}", frames(&xvfb)),
        );
        let paused = seen[0];
        client.request(Command::Step { frames: 1 }).await.unwrap();
        wait_screen(
            &format!("round {round}: all three stepped from frame {paused}"),
            || {
                seen = frames(&xvfb);
                seen.iter().all(|&f| f == paused + 1)
            },
            || format!("BENCH, WITNESS, PUBLIC show frames {:?}", frames(&xvfb)),
        );
        println!(
            "round {round}: paused on frame {paused} on all three, stepped to {}",
            paused + 1
        );
        last = paused + 1;
    }
    println!(
        "RELIABILITY|playout|paused_every_screen_holds_the_same_frame|13 pauses of an ffmpeg H.264 recording on three windows of different sizes: one frame on all, a step moves all|13"
    );
}
