//! Page turns on real windows under Xvfb against `pdftoppm` drawing the same page at the same size.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{full_hd_monitors, median, wait};
use anyhow::{Context, Result};
use courtdeck_playout::protocol::{Command as Cmd, Event, OutputSpec};
use courtdeck_testkit::Mon;
use courtdeck_testkit::pages::mark_on;
use courtdeck_testkit::playout::playout_on_reading;

/// Turns pages of the corpus's 200-page report on two 1920x1080 windows: a jump to a page not drawn
/// ahead (the page is drawn, then shown) and the next page (drawn ahead while the last one was on
/// screen), each timed from the request to the page's mark read back from both windows; against
/// `pdftoppm` drawing the same page at the same size (a new process each time, as a viewer's first
/// draw of a page).
pub(crate) async fn documents_bench(dir: &Path, runs: usize) -> Result<()> {
    let corpus = courtdeck_testdata::pdf_corpus::documents(&dir.join("pdf-corpus"))?;
    let report = corpus
        .iter()
        .find(|f| f.name == "download-report.pdf")
        .context("the report")?;
    let (xvfb, mons) = full_hd_monitors(&["BENCH", "WITNESS"])?;
    let client = playout_on_reading(
        &xvfb,
        vec![
            OutputSpec::window("bench", "bench", "BENCH"),
            OutputSpec::window("witness", "witness", "WITNESS"),
        ],
        crate::bench_policy(),
    )
    .await?;
    let mut rx = client.subscribe();
    client
        .request(Cmd::Load {
            exhibit: "DOC/1".into(),
            title: "report".into(),
            path: report.path.display().to_string(),
            kind: "document".into(),
            restriction: "open".into(),
            pages: report.pages.iter().map(|(w, h)| [*w, *h]).collect(),
            page: 1,
            captions: false,
        })
        .await?;
    wait(&mut rx, |e| {
        matches!(e, Event::Prerolled { exhibit, .. } if exhibit == "DOC/1").then_some(())
    })
    .await?;
    client
        .request(Cmd::Present {
            exhibit: "DOC/1".into(),
            screens: vec!["bench".into(), "witness".into()],
        })
        .await?;
    let a4 = report.pages[0];
    let shown = |page: u32| -> Result<Duration> {
        let started = Instant::now();
        loop {
            if mons.iter().all(|m| mark_on(&xvfb, *m, a4, false) == page) {
                return Ok(started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(20) {
                anyhow::bail!("page {page} did not show within 20 s");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    shown(1)?;
    let (mut cold, mut warm, mut reference) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        // Far from the last page: nothing drawn ahead.
        let page = 20 + (i as u32 * 37) % 170;
        let started = Instant::now();
        client
            .request(Cmd::Page {
                page,
                fit_width: false,
            })
            .await?;
        shown(page)?;
        cold.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        client
            .request(Cmd::Page {
                page: page + 1,
                fit_width: false,
            })
            .await?;
        shown(page + 1)?;
        warm.push(started.elapsed().as_secs_f64() * 1000.0);
        // The reference draws the same page at the size playout draws it for 1920x1080 screens.
        let (w, h) = courtdeck_engine::document::render_size([a4.0, a4.1], (1920, 1080));
        let out = dir.join("pdftoppm-page");
        let started = Instant::now();
        let status = Command::new("pdftoppm")
            .args([
                "-f",
                &page.to_string(),
                "-l",
                &page.to_string(),
                "-singlefile",
            ])
            .args(["-scale-to-x", &w.to_string(), "-scale-to-y", &h.to_string()])
            .arg(&report.path)
            .arg(&out)
            .status()
            .context("pdftoppm (poppler-utils)")?;
        anyhow::ensure!(status.success(), "pdftoppm failed");
        reference.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    // The telestrator: an arrow across the page on air, from the request to both screens showing it
    // (its red read back from each window), then taken off again.
    let red = |m: &Mon| {
        xvfb.grab(m.x + 900, m.y + 536, 120, 8)
            .map(|g| {
                g.data
                    .chunks_exact(3)
                    .any(|p| p[0] > 150 && p[1] < 120 && p[2] < 120)
            })
            .unwrap_or(false)
    };
    let mut strokes = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        client
            .request(Cmd::Annotate {
                strokes: vec![courtdeck_playout::protocol::WireStroke {
                    tool: "arrow".into(),
                    points: vec![(4_000, 5_000), (6_000, 5_000)],
                }],
                append: false,
            })
            .await?;
        while !mons.iter().all(red) {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(20),
                "no arrow shown"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        strokes.push(started.elapsed().as_secs_f64() * 1000.0);
        client
            .request(Cmd::Annotate {
                strokes: vec![],
                append: false,
            })
            .await?;
        while mons.iter().any(red) {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(20),
                "the arrow stayed"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    client.shutdown().await;
    let strokes = median(strokes);
    let (cold, warm, reference) = (median(cold), median(warm), median(reference));
    let (w, h) = courtdeck_engine::document::render_size([a4.0, a4.1], (1920, 1080));
    println!(
        "\n## Page turns: a 200-page A4 report on 2 windows of 1920x1080 (pages drawn at {w}x{h}), median of {runs}"
    );
    println!("| what | courtdeck | pdftoppm (same page, same size) | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| page not drawn ahead: request to both screens showing it | {cold:.1} ms | {reference:.1} ms | {:.2}x |",
        cold / reference
    );
    println!(
        "| next page (drawn ahead): request to both screens showing it | {warm:.1} ms | {reference:.1} ms | {:.2}x |",
        warm / reference
    );
    println!(
        "| an arrow drawn: request to both screens showing it (one 25 fps frame is 40 ms) | {strokes:.1} ms | - | - |"
    );
    Ok(())
}
