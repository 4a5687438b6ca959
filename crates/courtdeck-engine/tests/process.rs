//! The real playout process, spawned and supervised as the app does it, with headless outputs and media
//! generated here.

use std::path::PathBuf;
use std::time::Duration;

use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, Event, OutputSpec};
use tokio::sync::broadcast::Receiver;

fn headless(id: &str, role: &str) -> OutputSpec {
    OutputSpec::headless(id, role)
}

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_courtdeck-playout"))
}

fn audio_sink(description: &str) -> Vec<(String, String)> {
    vec![("COURTDECK_AUDIO_SINK".into(), description.into())]
}

async fn start() -> PlayoutClient {
    PlayoutClient::start_with(
        exe(),
        vec![
            headless("bench", "bench"),
            headless("public", "public_gallery"),
        ],
        audio_sink("fakesink sync=true"),
    )
    .await
    .unwrap()
}

async fn wait_for<T>(
    rx: &mut Receiver<ClientEvent>,
    mut f: impl FnMut(&ClientEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let ev = match rx.recv().await {
                Ok(ev) => ev,
                // A burst of thumbnails or levels may overrun a slow test: skip, do not fail.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(e) => panic!("event stream: {e}"),
            };
            if let Some(t) = f(&ev) {
                return t;
            }
        }
    })
    .await
    .expect("the awaited event arrived within 60 s")
}

/// Waits for the error event about `exhibit`.
async fn wait_for_error(
    rx: &mut Receiver<ClientEvent>,
    exhibit: &str,
) -> courtdeck_playout::protocol::WireError {
    wait_for(rx, |e| match e {
        ClientEvent::Playout(Event::Error {
            exhibit: Some(x),
            error,
            ..
        }) if x == exhibit => Some(error.clone()),
        _ => None,
    })
    .await
}

fn media() -> (tempfile::TempDir, Vec<courtdeck_engine::fixtures::DemoFile>) {
    // Generated once and shared by the tests; the temp dir is scratch space for broken copies.
    let shared = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    let files = courtdeck_engine::fixtures::demo_media(&shared).unwrap();
    (tempfile::tempdir().unwrap(), files)
}

fn load(exhibit: &str, path: &std::path::Path, kind: &str, restriction: &str) -> Command {
    Command::Load {
        exhibit: exhibit.into(),
        title: format!("exhibit {exhibit}"),
        path: path.display().to_string(),
        kind: kind.into(),
        restriction: restriction.into(),
    }
}

/// Loads `exhibit`, waits for its first frame and presents it on `screens`.
async fn show(
    client: &PlayoutClient,
    rx: &mut Receiver<ClientEvent>,
    exhibit: &str,
    path: &std::path::Path,
    kind: &str,
    screens: &[&str],
) {
    client
        .request(load(exhibit, path, kind, "open"))
        .await
        .unwrap();
    wait_for(rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Prerolled { exhibit: x, .. }) if x == exhibit)
            .then_some(())
    })
    .await;
    client
        .request(Command::Present {
            exhibit: exhibit.into(),
            screens: screens.iter().map(|s| s.to_string()).collect(),
        })
        .await
        .unwrap();
}

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
    let matrix = courtdeck_engine::fixtures::format_matrix(
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

/// The 999 call plays with the level meter moving; mute and a zero volume silence what leaves for
/// the speakers (the meter is after volume and mute), and unmuting brings it back.
#[tokio::test(flavor = "multi_thread")]
async fn volume_mute_and_the_level_meter() {
    let (_dir, files) = media();
    let call = files
        .iter()
        .find(|f| f.file.ends_with(".wav"))
        .unwrap()
        .path
        .clone();
    let client = start().await;
    let mut rx = client.subscribe();
    client
        .request(load("JS/2", &call, "audio", "open"))
        .await
        .unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Prerolled { .. })).then_some(())
    })
    .await;
    client
        .request(Command::Present {
            exhibit: "JS/2".into(),
            screens: vec!["bench".into()],
        })
        .await
        .unwrap();
    client.request(Command::Play).await.unwrap();
    let level = |rx: &mut tokio::sync::broadcast::Receiver<ClientEvent>, loud: bool| {
        let mut rx = rx.resubscribe();
        async move {
            wait_for(&mut rx, |e| match e {
                ClientEvent::Playout(Event::Level { rms_db, .. }) if (*rms_db > -60.0) == loud => {
                    Some(*rms_db)
                }
                _ => None,
            })
            .await
        }
    };
    let playing = level(&mut rx, true).await;
    client
        .request(Command::SetMute { mute: true })
        .await
        .unwrap();
    let muted = level(&mut rx, false).await;
    client
        .request(Command::SetMute { mute: false })
        .await
        .unwrap();
    let back = level(&mut rx, true).await;
    client
        .request(Command::SetVolume { volume: 0.0 })
        .await
        .unwrap();
    let zero = level(&mut rx, false).await;
    assert!(
        client
            .request(Command::SetVolume { volume: 3.0 })
            .await
            .is_err(),
        "300% is refused"
    );
    println!(
        "level playing {playing:.1} dB, muted {muted:.1} dB, unmuted {back:.1} dB, volume 0 {zero:.1} dB"
    );
    assert!(muted <= -100.0 && zero <= -100.0);
    client.shutdown().await;
}

/// Reads a 16-bit PCM WAV: (sample rate, channels, samples).
fn read_wav(path: &std::path::Path) -> (u32, u16, Vec<i16>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"RIFF", "a WAV file");
    let (mut at, mut rate, mut channels) = (12, 0, 0);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8 + len).min(bytes.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]);
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
        } else if id == b"data" {
            let samples = body
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return (rate, channels, samples);
        }
        at += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display());
}

/// The last reported position of `exhibit` once it has stopped after its end.
async fn position_after_eos(rx: &mut Receiver<ClientEvent>, exhibit: &str) -> u64 {
    wait_for(rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Eos { exhibit: x }) if x == exhibit).then_some(())
    })
    .await;
    wait_for(rx, |e| match e {
        ClientEvent::Playout(Event::Position {
            exhibit: x,
            position_ms,
            playing: false,
            ..
        }) if x == exhibit => Some(*position_ms),
        _ => None,
    })
    .await
}

/// A clip stops at its out point, and at 2x the 999 call keeps its pitch: the sound that leaves for
/// the speakers (written to a WAV file by the audio sink) is 440 Hz, as recorded, and half as long.
#[tokio::test(flavor = "multi_thread")]
async fn clips_stop_at_their_out_point_and_speed_keeps_the_pitch() {
    let (dir, files) = media();
    let out = dir.path().join("speakers.wav");
    let client = PlayoutClient::start_with(
        exe(),
        vec![headless("bench", "bench")],
        audio_sink(&format!("wavenc ! filesink location=\"{}\"", out.display())),
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();

    // The CCTV (25 fps): the clip 1.000-3.000 s ends within one frame of 3.000 s.
    show(
        &client,
        &mut rx,
        "JS/1",
        &files[0].path,
        "video",
        &["bench"],
    )
    .await;
    client
        .request(Command::PlayClip {
            start_ms: 1000,
            end_ms: 3000,
        })
        .await
        .unwrap();
    let stopped = position_after_eos(&mut rx, "JS/1").await;
    println!("video clip 1000-3000 ms stopped at {stopped} ms");
    assert!((2960..=3040).contains(&stopped), "stopped at {stopped} ms");
    client.request(Command::Withdraw).await.unwrap();

    // The 999 call (440 Hz), its clip 2-6 s at 2x: 2 s of sound at 440 Hz.
    let call = &files
        .iter()
        .find(|f| f.file.ends_with(".wav"))
        .unwrap()
        .path;
    show(&client, &mut rx, "JS/2", call, "audio", &["bench"]).await;
    client
        .request(Command::SetRate { rate: 2.0 })
        .await
        .unwrap();
    client
        .request(Command::PlayClip {
            start_ms: 2000,
            end_ms: 6000,
        })
        .await
        .unwrap();
    let stopped = position_after_eos(&mut rx, "JS/2").await;
    assert!((5960..=6040).contains(&stopped), "stopped at {stopped} ms");
    client.request(Command::Withdraw).await.unwrap();
    client.shutdown().await;

    let (rate, channels, samples) = read_wav(&out);
    let mono: Vec<i16> = samples
        .chunks(channels.max(1) as usize)
        .map(|c| c[0])
        .collect();
    let seconds = mono.len() as f64 / rate as f64;
    let crossings = mono.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    let hz = crossings as f64 / 2.0 / seconds;
    println!("speakers got {seconds:.2} s at {hz:.0} Hz ({rate} Hz, {channels} ch)");
    assert!(
        (1.8..=2.3).contains(&seconds),
        "{seconds:.2} s of sound for a 4 s clip at 2x"
    );
    assert!(
        (420.0..=460.0).contains(&hz),
        "pitch {hz:.0} Hz, recorded at 440 Hz"
    );
    println!(
        "RELIABILITY|playout|clips_stop_at_their_out_point_and_speed_keeps_the_pitch|a clip's out point (video and audio, within a frame); 2x speed keeps a 440 Hz tone at 440 Hz|{}",
        2
    );
}

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

/// A kiosk whose sound output cannot be opened (here a sound server that is not there): the picture
/// of a video with a soundtrack still plays, to its end, and the court is told "no sound output";
/// the setup check's tone fails with the reason instead of passing on a meter nobody hears.
#[tokio::test(flavor = "multi_thread")]
async fn no_sound_output_the_picture_plays_and_the_court_is_told() {
    let matrix = courtdeck_engine::fixtures::format_matrix(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("format-matrix"),
    )
    .unwrap();
    let with_sound = matrix.iter().find(|f| f.name == "h264-aac.mp4").unwrap();
    let client = PlayoutClient::start_with(
        exe(),
        vec![headless("bench", "bench"), headless("witness", "witness")],
        audio_sink("pulsesink server=unix:/nonexistent/courtdeck-test/pulse"),
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();
    show(
        &client,
        &mut rx,
        "S/1",
        &with_sound.path,
        "video",
        &["bench", "witness"],
    )
    .await;
    let warning = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Warning { exhibit, error }) if exhibit == "S/1" => {
            Some(error.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(warning.code, "audio_unavailable");
    assert!(
        warning.message.contains("No sound output") && warning.message.contains("speakers"),
        "{}",
        warning.message
    );
    client.request(Command::Play).await.unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, ClientEvent::Playout(Event::Eos { exhibit }) if exhibit == "S/1").then_some(())
    })
    .await;
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    for s in &stats {
        assert!(s.frames >= 40, "{} got {} frames of 50", s.screen, s.frames);
    }
    client.request(Command::Withdraw).await.unwrap();
    let card: courtdeck_playout::protocol::CardReport = client
        .request_data(Command::TestCard {
            seconds: 1.0,
            identify: false,
        })
        .await
        .unwrap();
    let tone_error = card
        .tone
        .error
        .expect("the tone check fails without a sound output");
    assert!(tone_error.contains("no sound output"), "{tone_error}");
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|no_sound_output_the_picture_plays_and_the_court_is_told|a sound output that cannot be opened: the video with sound plays to its end on 2 screens ({} and {} frames), 'no sound output' notice, the tone check fails|{}",
        stats[0].frames,
        stats[1].frames,
        stats.len()
    );
}

/// The playback watchdog. A picture that stops arriving while playing (injected: the first
/// pipeline's video is held from 1 s, as a deadlocked decoder would) is reported within seconds and
/// the exhibit is rebuilt where it stood and plays to its end. A recording with a gap in its
/// timestamps (motion-triggered CCTV: 1 s, nothing for 3 s, 1 s) holds its picture too, but is no
/// freeze: it is reported as a gap, never as frozen.
#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_picture_is_reported_and_restarted_a_gap_is_not_a_freeze() {
    let matrix = courtdeck_engine::fixtures::format_matrix(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("format-matrix"),
    )
    .unwrap();
    let video = matrix.iter().find(|f| f.name == "h264-aac.mp4").unwrap();
    let client = PlayoutClient::start_with(
        exe(),
        vec![headless("bench", "bench")],
        vec![
            ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            ("COURTDECK_FAULT_FREEZE_AT_MS".into(), "1000".into()),
        ],
    )
    .await
    .unwrap();
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
        courtdeck_engine::corpus::ffmpeg(
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
