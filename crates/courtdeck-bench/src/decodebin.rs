//! uridecodebin against uridecodebin3 over hundreds of loads of the corpus under load.

use std::time::Instant;

use crate::headless;
use crate::median;
use crate::playout_exe;
use crate::wait;
use anyhow::Result;
use courtdeck_playout::client::PlayoutClient;
use courtdeck_playout::protocol::{Command as Cmd, Event};

/// `uridecodebin` against `uridecodebin3` as the engine's decoder: `loads` Loads (to the first frame)
/// and Unloads in one playout process each, round robin over the ffmpeg corpus's good files, with
/// four other decoders busy on the machine's cores as on a loaded kiosk. Counts the loads that
/// failed or took more than a second (a preroll that needed the engine's rebuild takes at least 2 s).
pub(crate) async fn decodebin_bench(
    corpus: &[courtdeck_testdata::corpus::CorpusFile],
    loads: usize,
) -> Result<()> {
    // The 300-track file is loaded once, last: it crashes uridecodebin3, which would spoil the rest.
    let (hostile, good): (Vec<_>, Vec<_>) = corpus
        .iter()
        .filter(|f| f.expect == courtdeck_testdata::corpus::Expect::Plays)
        .partition(|f| f.name == "300-tracks.mkv");
    println!(
        "\n## Decoder element: {loads} loads each, {} files from the ffmpeg corpus, round robin, 2 headless screens",
        good.len()
    );
    // Load on the cores: the flakes showed under load, not on an idle machine.
    let busy: Vec<std::process::Child> = (0..4)
        .map(|_| {
            std::process::Command::new("gst-launch-1.0")
                .args([
                    "-q",
                    "videotestsrc",
                    "is-live=false",
                    "!",
                    "video/x-raw,width=1280,height=720",
                    "!",
                    "x264enc",
                    "speed-preset=ultrafast",
                    "!",
                    "fakesink",
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
        })
        .collect::<std::io::Result<_>>()?;
    for decodebin in ["uridecodebin", "uridecodebin3"] {
        let client = PlayoutClient::start_with(
            playout_exe()?,
            headless(2),
            crate::confined(vec![
                ("COURTDECK_DECODEBIN".into(), decodebin.into()),
                ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            ]),
        )
        .await?;
        let mut rx = client.subscribe();
        let (mut times, mut failed, mut crashed) = (Vec::new(), Vec::new(), 0);
        for i in 0..loads + hostile.len() {
            let f = if i < loads {
                good[i % good.len()]
            } else {
                hostile[i - loads]
            };
            let exhibit = format!("D/{i}");
            let t0 = Instant::now();
            let loaded = client
                .request(Cmd::Load {
                    exhibit: exhibit.clone(),
                    title: f.name.into(),
                    path: f.path.display().to_string(),
                    kind: f.kind.into(),
                    restriction: "open".into(),
                    pages: vec![],
                    page: 1,
                    captions: false,
                })
                .await;
            let outcome = match loaded {
                Err(e) => Err(e.to_string()),
                Ok(_) => wait(&mut rx, |e| match e {
                    Event::Prerolled { exhibit: x, .. } if *x == exhibit => Some(()),
                    _ => None,
                })
                .await
                .map_err(|e| format!("{e:#}")),
            };
            if i >= loads {
                println!(
                    "{decodebin:<14} {}: {}",
                    f.name,
                    match &outcome {
                        Ok(()) => format!(
                            "first frame in {:.0} ms",
                            t0.elapsed().as_secs_f64() * 1000.0
                        ),
                        Err(e) => format!("FAILED: {e}"),
                    }
                );
                let _ = client.request(Cmd::Unload { exhibit }).await;
                continue;
            }
            match outcome {
                Ok(()) => times.push(t0.elapsed().as_secs_f64() * 1000.0),
                Err(e) => {
                    if e.contains("restart") || e.contains("stopped") {
                        crashed += 1;
                    }
                    failed.push(format!("{}: {e}", f.name));
                }
            }
            let _ = client.request(Cmd::Unload { exhibit }).await;
        }
        client.shutdown().await;
        let slow = times.iter().filter(|&&t| t > 1000.0).count();
        let max = times.iter().cloned().fold(0.0, f64::max);
        println!(
            "{decodebin:<14} loads {loads}: failed {:>3} (process died {crashed}), slower than 1 s {slow:>3}, median {:>6.1} ms, max {max:>7.1} ms",
            failed.len(),
            if times.is_empty() {
                0.0
            } else {
                median(times.clone())
            },
        );
        for f in failed.iter().take(5) {
            println!("    {f}");
        }
    }
    for mut b in busy {
        let _ = b.kill();
        let _ = b.wait();
    }
    Ok(())
}
