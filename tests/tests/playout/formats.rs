//! Every format in issue 4's list, generated here with GStreamer encoders, plays on two headless screens
//! in the real playout process: it prerolls, reaches both screens, frames keep coming, and (but for
//! stills) it plays to its end and says so.

use std::path::PathBuf;
use std::time::Duration;

use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, Event, OutputSpec};

fn headless(id: &str) -> OutputSpec {
    OutputSpec::headless(id, "bench")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_listed_format_plays_on_every_screen() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("format-matrix");
    let files = courtdeck_testdata::formats::format_matrix(&dir).unwrap();
    let client = PlayoutClient::start_with(
        courtdeck_testkit::playout::exe(),
        vec![headless("a"), headless("b")],
        courtdeck_testkit::playout::confined(vec![(
            "COURTDECK_AUDIO_SINK".into(),
            "fakesink sync=true".into(),
        )]),
    )
    .await
    .unwrap();
    let mut failures = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let exhibit = format!("F/{}", i + 1);
        let mut rx = client.subscribe();
        let before = client.request(Command::Stats).await.unwrap().unwrap();
        client
            .request(Command::Load {
                exhibit: exhibit.clone(),
                title: f.name.into(),
                path: f.path.display().to_string(),
                kind: f.kind.into(),
                restriction: "open".into(),
                pages: vec![],
                page: 1,
                captions: false,
            })
            .await
            .unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match rx.recv().await {
                    Ok(ClientEvent::Playout(Event::Prerolled { exhibit: x, .. }))
                        if x == exhibit =>
                    {
                        return Ok(());
                    }
                    Ok(ClientEvent::Playout(Event::Error {
                        exhibit: Some(x),
                        error,
                        ..
                    })) if x == exhibit => {
                        return Err(error.message);
                    }
                    Ok(_) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
        })
        .await
        .unwrap_or_else(|_| Err("no preroll within 30 s".into()));
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", f.name));
            continue;
        }
        // A good file must never be reported damaged (the gap watch on the decoded pictures).
        let mut warnings = client.subscribe();
        client
            .request(Command::Present {
                exhibit: exhibit.clone(),
                screens: vec!["a".into(), "b".into()],
            })
            .await
            .unwrap();
        client.request(Command::Play).await.unwrap();
        // Frames reach both screens: waited for (up to 10 s), not timed, so a loaded machine is no
        // failure and a frozen one is.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let after = loop {
            let after = client.request(Command::Stats).await.unwrap().unwrap();
            let all = before
                .iter()
                .zip(after.iter())
                .all(|(b, a)| a.frames - b.frames >= 3);
            if all || std::time::Instant::now() > deadline {
                break after;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        for (b, a) in before.iter().zip(after.iter()) {
            let got = a.frames - b.frames;
            println!("{:<16} screen {}: {got} frames", f.name, a.screen);
            if got < 3 {
                failures.push(format!("{}: screen {} got {got} frames", f.name, a.screen));
            }
        }
        if f.kind != "image" {
            let ended = tokio::time::timeout(Duration::from_secs(15), async {
                loop {
                    match rx.recv().await {
                        Ok(ClientEvent::Playout(Event::Eos { exhibit: x })) if x == exhibit => {
                            return true;
                        }
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
            })
            .await
            .unwrap_or(false);
            if !ended {
                failures.push(format!("{}: did not reach its end within 15 s", f.name));
            }
        }
        while let Ok(event) = warnings.try_recv() {
            if let ClientEvent::Playout(Event::Warning { exhibit: x, error }) = event
                && x == exhibit
            {
                failures.push(format!("{}: reported damaged: {}", f.name, error.message));
            }
        }
        client.request(Command::Withdraw).await.unwrap();
    }
    client.shutdown().await;
    assert!(
        failures.is_empty(),
        "formats that did not play: {failures:#?}"
    );
    println!(
        "RELIABILITY|playout|every_listed_format_plays_on_every_screen|formats made by GStreamer encoders at test time, each on two screens and played to its end (a file that cannot play names what is missing)|{}",
        files.len()
    );
}
