//! The video link: a screen of kind `stream` with the role `video_link`, served over SRT on loopback
//! and decoded by a GStreamer client as a CVP PC would: black until something is shown; the setup
//! check's identify card through the stream, read back by the check's own client; a paused
//! exhibit's picture once presented to it; black when blanked and the picture again when unblanked;
//! a `bench_only` exhibit refused by playout itself and never on the link (black while BENCH shows
//! it); black after Withdraw; the exhibit's sound on the link while it plays, silence when the link
//! is blanked. Media made by ffmpeg.

use std::path::Path;
use std::time::{Duration, Instant};

use courtdeck_core::ErrorCode;
use courtdeck_playout::client::PlayoutClient;
use courtdeck_playout::protocol::{Command, OutputSpec};
use courtdeck_testkit::playout::prerolled;
use courtdeck_testkit::srt_client::{SrtClient, free_udp_port, is_black, is_blue, is_red};

/// 30 s of one colour with a 1 kHz tone (AAC), written by ffmpeg.
fn colour(path: &Path, colour: &str) {
    courtdeck_testdata::corpus::ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("color=c={colour}:size=640x360:rate=25:duration=30"),
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=1000:sample_rate=48000:duration=30",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
        path,
    )
    .unwrap();
}

fn load(exhibit: &str, path: &Path, restriction: &str) -> Command {
    Command::Load {
        exhibit: exhibit.into(),
        title: exhibit.into(),
        path: path.display().to_string(),
        kind: "video".into(),
        restriction: restriction.into(),
        pages: vec![],
        page: 1,
        captions: false,
    }
}

fn present(exhibit: &str, screens: &[&str]) -> Command {
    Command::Present {
        exhibit: exhibit.into(),
        screens: screens.iter().map(|s| s.to_string()).collect(),
    }
}

/// The client sees only black for `for_` (it keeps receiving frames meanwhile).
fn stays_black(client: &SrtClient, what: &str, for_: Duration) {
    let until = Instant::now() + for_;
    let frames = client.latest().map_or(0, |s| s.frames);
    while Instant::now() < until {
        let seen = client.latest().expect("frames");
        assert!(is_black(seen.rgb), "{what}: the link showed {:?}", seen.rgb);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        client.latest().unwrap().frames > frames + 10,
        "{what}: the stream went on (black frames, not a stall)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_video_link_shows_what_the_court_sends_black_when_blanked_never_bench_only() {
    let dir = courtdeck_testkit::work_dir();
    let (red, blue) = (dir.path().join("red.mp4"), dir.path().join("blue.mp4"));
    colour(&red, "red");
    colour(&blue, "blue");
    let port = free_udp_port();
    let client = PlayoutClient::start_with(
        courtdeck_testkit::target_dir().join("courtdeck-playout"),
        vec![
            OutputSpec::headless("bench", "bench"),
            OutputSpec::stream("link", "video_link", &format!("127.0.0.1:{port}"), 640, 360),
        ],
        courtdeck_testkit::playout::confined(vec![(
            "COURTDECK_AUDIO_SINK".into(),
            "fakesink sync=true".into(),
        )]),
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();
    let link = SrtClient::connect(port).unwrap();
    link.wait_for("black before anything is shown", Instant::now(), is_black)
        .unwrap();

    // The clerk's identify card goes through the stream and is decoded back by the check itself.
    let card: courtdeck_playout::protocol::CardReport = client
        .request_data(Command::TestCard {
            seconds: 2.0,
            identify: true,
        })
        .await
        .unwrap();
    let on_link = card.screens.iter().find(|s| s.screen == "link").unwrap();
    assert_eq!(on_link.readback_ok, Some(true), "{}", on_link.detail);
    assert!(
        on_link.detail.contains("decoded from the stream"),
        "{}",
        on_link.detail
    );
    link.wait_for("black after the card", Instant::now(), is_black)
        .unwrap();

    // A paused exhibit presented to the bench and the link: its picture on the link.
    client.request(load("JS/1", &red, "open")).await.unwrap();
    prerolled(&mut rx, "JS/1").await;
    let asked = Instant::now();
    client
        .request(present("JS/1", &["bench", "link"]))
        .await
        .unwrap();
    let shown = link.wait_for("the red exhibit", asked, is_red).unwrap();
    let glass_to_glass = shown.at - asked;

    // Blank the link: black at once; unblank: the picture again. BENCH is untouched.
    let t = Instant::now();
    client
        .request(Command::Blank {
            screen: "link".into(),
            blank: true,
        })
        .await
        .unwrap();
    let blanked = link.wait_for("black after Blank", t, is_black).unwrap().at - t;
    stays_black(&link, "blanked", Duration::from_millis(800));
    let t = Instant::now();
    client
        .request(Command::Blank {
            screen: "link".into(),
            blank: false,
        })
        .await
        .unwrap();
    link.wait_for("the picture after unblanking", t, is_red)
        .unwrap();

    // Its sound goes with its picture: heard on the link while it plays, silence when the link is
    // blanked (the room's speakers are another matter), heard again when unblanked.
    let t = Instant::now();
    client.request(Command::Play).await.unwrap();
    let loud = link
        .wait_for_sound("the exhibit's tone", t, |db| db > -40.0)
        .unwrap();
    let t = Instant::now();
    client
        .request(Command::Blank {
            screen: "link".into(),
            blank: true,
        })
        .await
        .unwrap();
    link.wait_for_sound("silence after Blank", t, |db| db < -80.0)
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    link.wait_for_sound("silence while blanked", t, |db| db < -80.0)
        .unwrap();
    client
        .request(Command::Blank {
            screen: "link".into(),
            blank: false,
        })
        .await
        .unwrap();
    link.wait_for_sound("the tone again", t, |db| db > -40.0)
        .unwrap();
    client.request(Command::Pause).await.unwrap();

    // A bench_only exhibit: playout itself refuses the link; on the bench alone the link is black
    // (the exhibit before it came down) and stays so.
    client
        .request(load("JS/2", &blue, "bench_only"))
        .await
        .unwrap();
    prerolled(&mut rx, "JS/2").await;
    let refused = client
        .request(present("JS/2", &["bench", "link"]))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::RestrictedRoute,
        "{}",
        refused.message
    );
    let t = Instant::now();
    client.request(present("JS/2", &["bench"])).await.unwrap();
    client.request(Command::Play).await.unwrap();
    link.wait_for(
        "black while BENCH shows the bench_only exhibit",
        t,
        is_black,
    )
    .unwrap();
    stays_black(&link, "bench_only on air", Duration::from_millis(1500));
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    let bench = stats.iter().find(|s| s.screen == "bench").unwrap();
    assert_eq!(bench.showing.as_deref(), Some("JS/2"));
    let on_link = stats.iter().find(|s| s.screen == "link").unwrap();
    assert_eq!(on_link.showing, None);
    assert!(
        client
            .request(Command::Captions {
                restriction: "bench_only".into(),
                screens: vec!["link".into()],
                cues: vec![],
            })
            .await
            .is_err(),
        "nothing of it reaches the link"
    );

    // The open exhibit again, then Withdraw: black.
    client.request(load("JS/1", &red, "open")).await.unwrap();
    prerolled(&mut rx, "JS/1").await;
    let t = Instant::now();
    client.request(present("JS/1", &["link"])).await.unwrap();
    client.request(Command::Play).await.unwrap();
    link.wait_for("the red exhibit again", t, is_red).unwrap();
    let t = Instant::now();
    client.request(Command::Withdraw).await.unwrap();
    link.wait_for("black after Withdraw", t, is_black).unwrap();
    stays_black(&link, "withdrawn", Duration::from_millis(800));
    assert!(!is_blue(link.latest().unwrap().rgb));
    client.shutdown().await;
    println!(
        "video link: present to the picture decoded by the client {:.0} ms, blank to black {:.0} ms, the tone at {loud:.1} dBFS",
        glass_to_glass.as_secs_f64() * 1000.0,
        blanked.as_secs_f64() * 1000.0
    );
    println!(
        "RELIABILITY|screens|the_video_link_shows_what_the_court_sends_black_when_blanked_never_bench_only|an SRT video link decoded by a GStreamer client on loopback: black before, the setup check's identify card decoded back by the check itself, the exhibit's picture (paused) once presented, black when blanked and withdrawn, its sound heard while it plays and silent when blanked, a bench_only exhibit refused and never on it while BENCH shows it|ok"
    );
}
