//! The real playout process, spawned and supervised as the app does it, with headless outputs and media
//! generated here.

use std::path::PathBuf;

use courtdeck_playout::client::ClientEvent;
use courtdeck_playout::protocol::{Command, Event};

use courtdeck_testkit::playout::*;

#[tokio::test(flavor = "multi_thread")]
async fn present_play_blank_and_survive_a_crash() {
    let (_dir, files) = media();
    let cctv = &files[0].path;
    let abe = &files[3].path;
    let client = start().await;
    let mut rx = client.subscribe();

    client
        .request(load("JS/1", cctv, "video", "open"))
        .await
        .unwrap();
    let duration = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Prerolled {
            exhibit,
            duration_ms,
            ..
        }) if exhibit == "JS/1" => Some(*duration_ms),
        _ => None,
    })
    .await;
    assert!(duration.unwrap() >= 19_000, "duration {duration:?}");

    client
        .request(Command::Present {
            exhibit: "JS/1".into(),
            screens: vec!["bench".into(), "public".into()],
        })
        .await
        .unwrap();
    client.request(Command::Play).await.unwrap();
    // Wait for playback to advance past one second, by the engine's own position reports.
    wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Position {
            position_ms,
            playing: true,
            ..
        }) if *position_ms > 1000 => Some(()),
        _ => None,
    })
    .await;
    // Confidence thumbnails: none until asked for, then small JPEGs of the playing exhibit.
    client
        .request(Command::Thumbnails { enabled: true })
        .await
        .unwrap();
    let jpeg = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Thumbnail { exhibit, jpeg }) if exhibit == "JS/1" => {
            Some(jpeg.clone())
        }
        _ => None,
    })
    .await;
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(jpeg)
        .unwrap();
    assert!(
        bytes.starts_with(&[0xff, 0xd8]) && bytes.len() > 500,
        "a JPEG"
    );
    client
        .request(Command::Thumbnails { enabled: false })
        .await
        .unwrap();
    client
        .request(Command::Blank {
            screen: "public".into(),
            blank: true,
        })
        .await
        .unwrap();
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    let by = |s: &str| stats.iter().find(|x| x.screen == s).unwrap().clone();
    assert!(
        by("bench").frames > 20,
        "bench rendered {} frames",
        by("bench").frames
    );
    assert!(
        by("public").frames > 20,
        "public rendered {} frames",
        by("public").frames
    );
    assert_eq!(by("bench").showing.as_deref(), Some("JS/1"));
    assert_eq!(by("public").showing, None, "blanked");

    // Defence in depth: the process itself refuses a restricted route.
    client
        .request(load("JS/3", abe, "video", "no_public"))
        .await
        .unwrap();
    let refused = client
        .request(Command::Present {
            exhibit: "JS/3".into(),
            screens: vec!["public".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        courtdeck_core::ErrorCode::RestrictedRoute,
        "{refused}"
    );

    // Kill -9 the process: the supervisor reports it, restarts it and re-configures the outputs.
    let pid = client.pid().await.unwrap();
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Restarting { .. }).then_some(())
    })
    .await;
    let new_pid = wait_for(&mut rx, |e| match e {
        ClientEvent::Restarted { pid } => Some(*pid),
        _ => None,
    })
    .await;
    assert_ne!(new_pid, pid);
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    assert!(
        stats.iter().all(|s| s.showing.is_none()),
        "nothing resumes by itself: {stats:?}"
    );
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|present_play_blank_and_survive_a_crash|SIGKILL of the playout process mid-playback (restart, black outputs, nothing resumes); restricted route refused by the process itself|{}",
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_media_gives_a_clear_error_and_others_still_play() {
    let (dir, files) = media();
    let truncated = dir.path().join("truncated.mp4");
    let bytes = std::fs::read(&files[0].path).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let garbage = dir.path().join("not-video.mp4");
    std::fs::write(
        &garbage,
        b"this is a text file, named as if it were video".repeat(100),
    )
    .unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();

    let client = start().await;
    let mut rx = client.subscribe();

    let err = client
        .request(load("X/1", &empty, "video", "open"))
        .await
        .unwrap_err();
    assert_eq!(err.code, courtdeck_core::ErrorCode::MediaCorrupt, "{err}");

    client
        .request(load("X/2", &garbage, "video", "open"))
        .await
        .unwrap();
    let error = wait_for_error(&mut rx, "X/2").await;
    assert_eq!(error.code, "media_corrupt", "{error:?}");
    assert!(error.message.contains("X/2"), "{error:?}");

    // A truncated MP4 (the index at its end cut off): a clear error, not a black screen.
    client
        .request(load("X/3", &truncated, "video", "open"))
        .await
        .unwrap();
    let error = wait_for_error(&mut rx, "X/3").await;
    assert_eq!(error.code, "media_corrupt", "{error:?}");

    // Bit-flipped copies of a 2 s H.264/AAC MP4: one with flips through the media data (decoders
    // conceal what they can), one with flips in the index. Each must end cleanly, with an error
    // event or by playing to its end, never hang on a frozen or black screen.
    let matrix = courtdeck_testdata::formats::format_matrix(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("format-matrix"),
    )
    .unwrap();
    let good = std::fs::read(
        &matrix
            .iter()
            .find(|f| f.name == "h264-aac.mp4")
            .unwrap()
            .path,
    )
    .unwrap();
    let moov = good.windows(4).position(|w| w == b"moov").unwrap();
    assert!(
        moov > good.len() / 2,
        "the fixture keeps its index at the end (moov at {moov} of {})",
        good.len()
    );
    let mut outcomes = Vec::new();
    for (name, range, every) in [
        ("flipped-data.mp4", good.len() / 10..moov, 997),
        ("flipped-index.mp4", moov..good.len(), 61),
    ] {
        let mut bytes = good.clone();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for at in range.step_by(every) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes[at] ^= 1 << (state % 8);
        }
        let flipped = bytes.iter().zip(&good).filter(|(a, b)| a != b).count();
        assert!(flipped > 10, "{name}: only {flipped} bytes flipped");
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let exhibit = format!("F/{name}");
        client
            .request(load(&exhibit, &path, "video", "open"))
            .await
            .unwrap();
        let prerolled = wait_for(&mut rx, |e| match e {
            ClientEvent::Playout(Event::Prerolled { exhibit: x, .. }) if *x == exhibit => {
                Some(true)
            }
            ClientEvent::Playout(Event::Error {
                exhibit: Some(x),
                error,
                ..
            }) if *x == exhibit => {
                assert!(error.message.contains(&exhibit), "{error:?}");
                Some(false)
            }
            _ => None,
        })
        .await;
        let outcome = if prerolled {
            client
                .request(Command::Present {
                    exhibit: exhibit.clone(),
                    screens: vec!["bench".into()],
                })
                .await
                .unwrap();
            client.request(Command::Play).await.unwrap();
            wait_for(&mut rx, |e| match e {
                ClientEvent::Playout(Event::Eos { exhibit: x }) if *x == exhibit => {
                    Some("played to its end")
                }
                ClientEvent::Playout(Event::Error {
                    exhibit: Some(x), ..
                }) if *x == exhibit => Some("error while playing"),
                _ => None,
            })
            .await
        } else {
            "error before the first frame"
        };
        println!("{name}: {outcome}");
        outcomes.push(outcome);
        if prerolled {
            let _ = client.request(Command::Withdraw).await;
        }
    }
    // Each case ended one way or the other (the waits above fail the test on a hang); say how.
    println!("bit-flipped outcomes: {outcomes:?}");

    // After failures, a good exhibit still plays.
    client
        .request(load("JS/1", &files[0].path, "video", "open"))
        .await
        .unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Prerolled { exhibit, .. }) if exhibit == "JS/1")
            .then_some(())
    })
    .await;
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|bad_media_gives_a_clear_error_and_others_still_play|zero-byte, text named as video, truncated and bit-flipped (data, index) files: a clear error or a clean end, never a hang; the next exhibit still plays|{}",
        5
    );
}

/// Poster frames for the exhibit list: a JPEG for video and stills, none for audio or a broken file,
/// and the engine still answers afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn posters_for_video_and_stills_none_for_audio_or_junk() {
    use base64::Engine as _;
    use courtdeck_playout::protocol::Poster;
    let (dir, files) = media();
    let client = start().await;
    let by_ext = |ext: &str| {
        files
            .iter()
            .find(|f| f.file.ends_with(ext))
            .unwrap()
            .path
            .clone()
    };
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"not a video".repeat(50)).unwrap();
    for (path, expect) in [
        (by_ext(".mp4"), true),
        (by_ext(".jpg"), true),
        (by_ext(".wav"), false),
        (junk.clone(), false),
    ] {
        let poster: Poster = client
            .request_data(Command::Poster {
                path: path.display().to_string(),
                page: None,
            })
            .await
            .unwrap();
        match (&poster.jpeg, expect) {
            (Some(b64), true) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                assert!(bytes.starts_with(&[0xff, 0xd8]), "{}", path.display());
            }
            // Junk says why it has no poster (the list shows "no preview: …"); sound has nothing
            // to show and says nothing.
            (None, false) => assert_eq!(
                poster.error.is_some(),
                path == junk,
                "{}: {:?}",
                path.display(),
                poster.error
            ),
            _ => panic!(
                "{}: poster {:?}",
                path.display(),
                poster.jpeg.map(|j| j.len())
            ),
        }
    }
    assert!(client.request(Command::Stats).await.is_ok());
    client.shutdown().await;
}

/// The clerk's test card does not hold the engine: while an 8 s card is up, a Stats request is
/// answered with the card still running, and a Blank All ends the card at once, its report saying
/// it was stopped (the court's safety control never waits for a check).
#[tokio::test(flavor = "multi_thread")]
async fn blank_all_is_answered_during_the_test_card_and_ends_it() {
    let client = start().await;
    let mut card = std::pin::pin!(
        client.request_data::<courtdeck_playout::protocol::CardReport>(Command::TestCard {
            seconds: 8.0,
            identify: false,
        })
    );
    // One poll sends the request (its line is queued before anything sent after it); its reply
    // comes when the card ends.
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(card.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "the card answered at once: {first:?}");
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    assert_eq!(stats.len(), 2);
    let still_up = std::future::poll_fn(|cx| std::task::Poll::Ready(card.as_mut().poll(cx))).await;
    assert!(
        still_up.is_pending(),
        "Stats waited for the card: {still_up:?}"
    );
    client.request(Command::BlankAll).await.unwrap();
    let report = card.await.unwrap();
    assert_eq!(report.screens.len(), 2);
    for s in &report.screens {
        assert!(
            s.detail
                .contains("the test card was stopped: Blank All was pressed"),
            "{}: {}",
            s.screen,
            s.detail
        );
    }
    client.shutdown().await;
}
