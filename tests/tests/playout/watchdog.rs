//! The real playout process and the watchdogs: a damaged stretch reported while the rest plays, a
//! frozen picture reported and rebuilt where it stood, a gap in a recording not taken for a freeze,
//! a sound that stops under a moving slate reported and rebuilt too.

use std::path::PathBuf;

use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, Event};

use courtdeck_testkit::playout::*;

/// An MJPEG AVI whose second half cannot be decoded (each frame's bytes after its JPEG marker garbled):
/// the decoder skips those frames without an error, so the engine watches the pictures' timestamps and
/// tells the court where the exhibit is damaged; the good part stays on the screens.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_stretch_is_reported_and_the_rest_plays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.avi");
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc pattern=ball num-buffers=100 ! video/x-raw,width=320,height=240,framerate=25/1 ! \
         videoconvert ! jpegenc ! avimux ! filesink location=\"{}\"",
        path.display()
    ))
    .unwrap();
    let mut avi = std::fs::read(&path).unwrap();
    let index = avi
        .windows(4)
        .position(|w| w == b"idx1")
        .unwrap_or(avi.len());
    let chunks: Vec<usize> = avi[..index]
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"00db")
        .map(|(i, _)| i)
        .collect();
    assert!(chunks.len() >= 100, "{} video chunks", chunks.len());
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for &at in &chunks[chunks.len() / 2..] {
        let size = u32::from_le_bytes(avi[at + 4..at + 8].try_into().unwrap()) as usize;
        let end = (at + 8 + size).min(index);
        for b in &mut avi[(at + 10).min(end)..end] {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
    }
    std::fs::write(&path, &avi).unwrap();

    let client = start().await;
    let mut rx = client.subscribe();
    show(&client, &mut rx, "X/7", &path, "video", &["bench"]).await;
    client.request(Command::Play).await.unwrap();
    let warning = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Warning { exhibit, error }) if exhibit == "X/7" => {
            Some(error.clone())
        }
        ClientEvent::Playout(Event::Error {
            exhibit: Some(x),
            error,
            ..
        }) if x == "X/7" => panic!("the good half must stay on air: {error:?}"),
        _ => None,
    })
    .await;
    println!("{}", warning.message);
    assert_eq!(warning.code, "media_corrupt");
    assert!(
        warning.message.contains("from 0:01 to 0:04")
            || warning.message.contains("from 0:02 to 0:04"),
        "{}",
        warning.message
    );
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    assert_eq!(
        stats
            .iter()
            .find(|s| s.screen == "bench")
            .unwrap()
            .showing
            .as_deref(),
        Some("X/7"),
        "still on air"
    );
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|a_damaged_stretch_is_reported_and_the_rest_plays|an MJPEG AVI whose second half cannot be decoded (the decoder skips it silently): the damaged stretch named, the good part stays on air|{}",
        1
    );
}

/// The playback watchdog. A picture that stops arriving while playing (injected: the first
/// pipeline's video is held from 1 s, as a deadlocked decoder would) is reported within seconds and
/// the exhibit is rebuilt where it stood and plays to its end. A recording with a gap in its
/// timestamps (motion-triggered CCTV: 1 s, nothing for 3 s, 1 s) holds its picture too, but is no
/// freeze: it is reported as a gap, never as frozen.
#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_picture_is_reported_and_restarted_a_gap_is_not_a_freeze() {
    let matrix = courtdeck_testdata::formats::format_matrix(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("format-matrix"),
    )
    .unwrap();
    let video = matrix.iter().find(|f| f.name == "h264-aac.mp4").unwrap();
    let client = start_freezing_at_1s().await;
    let mut rx = client.subscribe();
    show(&client, &mut rx, "W/1", &video.path, "video", &["bench"]).await;
    client.request(Command::Play).await.unwrap();
    let warning = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Warning { exhibit, error }) if exhibit == "W/1" => {
            Some(error.clone())
        }
        ClientEvent::Playout(Event::Eos { exhibit }) if exhibit == "W/1" => {
            panic!("reached its end without the freeze being seen")
        }
        _ => None,
    })
    .await;
    assert_eq!(warning.code, "playback_stalled", "{}", warning.message);
    assert!(
        warning.message.contains("froze at 0:0") && warning.message.contains("restarted"),
        "{}",
        warning.message
    );
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Eos { exhibit }) if exhibit == "W/1").then_some(())
    })
    .await;
    client.shutdown().await;

    // A gap: no freeze reported (the gap watch names the missing stretch instead).
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("watchdog");
    std::fs::create_dir_all(&dir).unwrap();
    let gap = dir.join("gap.mkv");
    if !gap.exists() {
        // 25 frames at 0-1 s, then 25 more from 4 s: a 3 s hole in the timestamps.
        courtdeck_testdata::corpus::ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240:rate=25:duration=2",
                "-vf",
                "setpts='if(lt(N\\,25)\\,N\\,N+75)/25/TB'",
                "-fps_mode",
                "passthrough",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ],
            &gap,
        )
        .unwrap();
    }
    let client = start().await;
    let mut rx = client.subscribe();
    show(&client, &mut rx, "W/2", &gap, "video", &["bench"]).await;
    client.request(Command::Play).await.unwrap();
    let mut warnings = Vec::new();
    wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Warning { exhibit, error }) if exhibit == "W/2" => {
            warnings.push(error.clone());
            None
        }
        ClientEvent::Playout(Event::Eos { exhibit }) if exhibit == "W/2" => Some(()),
        _ => None,
    })
    .await;
    client.shutdown().await;
    assert!(
        warnings.iter().all(|w| w.code != "playback_stalled"),
        "a gap was called a freeze: {warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.code == "media_corrupt" && w.message.contains("0:01 to 0:04")),
        "the gap is named: {warnings:?}"
    );
    println!(
        "RELIABILITY|playout|a_frozen_picture_is_reported_and_restarted_a_gap_is_not_a_freeze|a picture held from 1 s (injected): reported as frozen, rebuilt where it stood, played to its end; a recording with a 3 s timestamp gap: named as a gap, not as a freeze|2"
    );
}

/// A sound-only exhibit (a 999 call, ffmpeg's WAV) whose sound stops arriving while it plays
/// (injected: the first pipeline's sound held from 1 s). Its slate's picture goes on moving, so the
/// watchdog must watch the sound itself: reported as frozen, rebuilt where it stood, played to its
/// end.
#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_sound_under_a_moving_slate_is_reported_and_restarted() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("watchdog");
    std::fs::create_dir_all(&dir).unwrap();
    let call = dir.join("call-4s.wav");
    if !call.exists() {
        courtdeck_testdata::corpus::ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=8000:duration=4",
                "-c:a",
                "pcm_s16le",
            ],
            &call,
        )
        .unwrap();
    }
    let client = start_freezing_at_1s().await;
    let mut rx = client.subscribe();
    show(&client, &mut rx, "W/3", &call, "audio", &["bench"]).await;
    client.request(Command::Play).await.unwrap();
    let warning = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Warning { exhibit, error }) if exhibit == "W/3" => {
            Some(error.clone())
        }
        ClientEvent::Playout(Event::Eos { exhibit }) if exhibit == "W/3" => {
            panic!("reached its end without the stopped sound being seen")
        }
        _ => None,
    })
    .await;
    println!("{}", warning.message);
    assert_eq!(warning.code, "playback_stalled", "{}", warning.message);
    assert!(
        warning.message.contains("froze at 0:01") && warning.message.contains("restarted"),
        "{}",
        warning.message
    );
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Eos { exhibit }) if exhibit == "W/3").then_some(())
    })
    .await;
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|a_stopped_sound_under_a_moving_slate_is_reported_and_restarted|a sound-only WAV (ffmpeg) whose sound is held from 1 s (injected) while its slate moves on: reported as frozen at 0:01, rebuilt where it stood, played to its end|1"
    );
}

/// A playout process with one headless BENCH whose first build of an exhibit stops its timeline's
/// stream (the picture, or a sound-only exhibit's sound) at 1 s (`COURTDECK_FAULT_FREEZE_AT_MS`).
async fn start_freezing_at_1s() -> PlayoutClient {
    PlayoutClient::start_with(
        exe(),
        vec![headless("bench", "bench")],
        courtdeck_testkit::playout::confined(vec![
            ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            ("COURTDECK_FAULT_FREEZE_AT_MS".into(), "1000".into()),
        ]),
    )
    .await
    .unwrap()
}
