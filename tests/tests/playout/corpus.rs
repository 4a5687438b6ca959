//! Media nobody here made: a corpus written by ffmpeg (and by hand), as DVRs, phones and interview
//! suites export it, played in the real playout process on two headless screens. Each good file plays
//! to its end with no warning; each broken one is refused with a true reason; nothing hangs and the
//! process never dies. The files that used to stall after their first frame are played again and again.

use std::path::PathBuf;
use std::time::Duration;

use courtdeck_playout::client::PlayoutClient;
use courtdeck_playout::protocol::OutputSpec;
use courtdeck_testdata::corpus::{CorpusFile, Expect, ffmpeg_corpus};
use courtdeck_testkit::playout::{Outcome, play_to_end};

const SCREENS: [&str; 2] = ["a", "b"];

async fn start() -> PlayoutClient {
    PlayoutClient::start_with(
        courtdeck_testkit::playout::exe(),
        SCREENS
            .iter()
            .map(|id| OutputSpec::headless(id, "bench"))
            .collect(),
        courtdeck_testkit::playout::confined(vec![(
            "COURTDECK_AUDIO_SINK".into(),
            "fakesink sync=true".into(),
        )]),
    )
    .await
    .unwrap()
}

fn corpus() -> Vec<CorpusFile> {
    ffmpeg_corpus(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ffmpeg-corpus")).unwrap()
}

/// Plays `f` as `exhibit` on both screens, to its end (15 s at most).
async fn play(client: &PlayoutClient, exhibit: &str, f: &CorpusFile) -> Outcome {
    play_to_end(
        client,
        exhibit,
        &f.path,
        f.kind,
        &SCREENS,
        Duration::from_secs(15),
    )
    .await
}

/// Checks one outcome against what the file should do; `Err` says what went wrong.
fn judge(f: &CorpusFile, outcome: &Outcome) -> Result<(), String> {
    match (&f.expect, outcome) {
        (
            Expect::Plays,
            Outcome::Played {
                frames,
                warnings,
                ended,
            },
        ) => {
            // An audio exhibit's screens show its slate, which moves (its clock) until the sound
            // has been heard to its end: the calls are 2 s (50 frames) long, and a slate ended by
            // the decoder's last buffer rather than by the sound stopped at 1 or 2.
            let least = if f.kind == "audio" { 10 } else { 3 };
            if frames.len() != SCREENS.len() || frames.iter().any(|(_, n)| *n < least) {
                return Err(format!("frames per screen {frames:?}"));
            }
            if f.kind != "image" && !ended {
                return Err(format!(
                    "did not reach its end (frames per screen {frames:?})"
                ));
            }
            if !warnings.is_empty() {
                return Err(format!("warnings on a good file: {warnings:?}"));
            }
            Ok(())
        }
        (Expect::Refused { code, words }, Outcome::Refused { code: got, message }) => {
            if got != code || !message.contains(words) {
                return Err(format!(
                    "refused as {got} \"{message}\", expected {code} with \"{words}\""
                ));
            }
            Ok(())
        }
        (expect, outcome) => Err(format!("expected {expect:?}, got {outcome:?}")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn media_nobody_here_made_plays_or_is_refused_truly() {
    let files = corpus();
    let client = start().await;
    let mut failures = Vec::new();
    let (mut played, mut refused) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        let exhibit = format!("C/{}", i + 1);
        let outcome = play(&client, &exhibit, f).await;
        println!("{:<28} {outcome:?}", f.name);
        match judge(f, &outcome) {
            Ok(()) if matches!(outcome, Outcome::Played { .. }) => played += 1,
            Ok(()) => refused += 1,
            Err(e) => failures.push(format!("{}: {e}", f.name)),
        }
    }
    client.shutdown().await;
    assert!(failures.is_empty(), "corpus failures: {failures:#?}");
    println!(
        "RELIABILITY|playout|media_nobody_here_made_plays_or_is_refused_truly|files written by ffmpeg and by hand (DVR H.264, DV, Xvid, H.263/AMR, MPEG-2/AC-3, rotated HEVC, WMV/WMA, VFR, 10-bit, 300 tracks, ADPCM/A-law/GSM/AMR, TIFF/BMP/WebP/GIF/16-bit PNG/EXIF JPEG; truncated, lying extensions, a pixel bomb): played to the end on 2 screens / refused with the true reason|{}",
        played + refused
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_used_to_stall_play_to_the_end_every_time() {
    const PLAYS: usize = 20;
    let files: Vec<CorpusFile> = corpus().into_iter().filter(|f| f.stall_prone).collect();
    assert!(!files.is_empty());
    let client = start().await;
    let mut stalls = Vec::new();
    let mut ended = 0;
    for f in &files {
        for n in 0..PLAYS {
            let exhibit = format!("S/{n}");
            let outcome = play(&client, &exhibit, f).await;
            match judge(f, &outcome) {
                Ok(()) => ended += 1,
                Err(e) => stalls.push(format!("{} play {n}: {e}", f.name)),
            }
        }
    }
    client.shutdown().await;
    println!("{ended} of {} plays reached their end", files.len() * PLAYS);
    assert!(stalls.is_empty(), "stalls: {stalls:#?}");
    println!(
        "RELIABILITY|playout|files_that_used_to_stall_play_to_the_end_every_time|a DV camcorder AVI and an H.263/AMR phone 3GP (ffmpeg), each played {PLAYS} times to its end on 2 screens: 0 stalls|{ended}"
    );
}
