//! The PDF renderer, chosen by measuring: poppler (what the playout process draws with, through
//! `courtdeck_engine::document::render`) against hayro (pure Rust) on the corpus's documents
//! (Ghostscript's text, vector, scanned-image, rotated and mixed-size pages, and the hostile ones),
//! each page drawn at the size a 1920x1080 screen shows it whole, with `pdftoppm` as the reference
//! tool for the first page. Correctness: each page's *page mark* (its number in eight squares along
//! its top) read back from each drawing, and how much of hayro's drawing agrees with poppler's.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use courtdeck_engine::document::{self, render_size};
use courtdeck_testdata::pdf_corpus::{self, read_page_mark};
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings, render};

use crate::median;

const SCREEN: (u32, u32) = (1920, 1080);

/// A drawn page as luminance, `w` x `h`.
struct Grey {
    w: u32,
    h: u32,
    y: Vec<u8>,
}

impl Grey {
    fn mark(&self, page: (f64, f64)) -> u32 {
        let (sx, sy) = (f64::from(self.w) / page.0, f64::from(self.h) / page.1);
        read_page_mark(|x, y| {
            let (px, py) = ((x * sx) as u32, (y * sy) as u32);
            px < self.w && py < self.h && self.y[(py * self.w + px) as usize] < 90
        })
    }

    /// The fraction of pixels within 40 levels of `other`'s (same size) .
    fn agreement(&self, other: &Grey) -> f64 {
        if (self.w, self.h) != (other.w, other.h) {
            return 0.0;
        }
        let same = self
            .y
            .iter()
            .zip(&other.y)
            .filter(|(a, b)| a.abs_diff(**b) < 40)
            .count();
        same as f64 / self.y.len().max(1) as f64
    }
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

fn poppler_page(doc: &poppler::Document, index: i32, size: (u32, u32)) -> Result<Grey> {
    let f = document::render(doc, index, size).map_err(|e| anyhow::anyhow!("{e}"))?;
    let y = f
        .data
        .chunks_exact(4)
        .map(|p| luma(p[2], p[1], p[0]))
        .collect();
    Ok(Grey {
        w: f.width,
        h: f.height,
        y,
    })
}

fn hayro_page(pdf: &Pdf, index: usize, size: (u32, u32)) -> Result<Grey> {
    let page = pdf.pages().get(index).context("no such page")?;
    let (pw, ph) = page.render_dimensions();
    let cache = RenderCache::new();
    let pixmap = render(
        page,
        &cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: size.0 as f32 / pw.max(1.0),
            y_scale: size.1 as f32 / ph.max(1.0),
            bg_color: WHITE,
        },
    );
    let y = pixmap.data().iter().map(|p| luma(p.r, p.g, p.b)).collect();
    Ok(Grey {
        w: u32::from(pixmap.width()),
        h: u32::from(pixmap.height()),
        y,
    })
}

/// `pdftoppm` drawing page `n` (from 1) at `size`, a new process as a viewer's first draw.
fn pdftoppm_ms(path: &Path, n: usize, size: (u32, u32), out: &Path) -> Result<f64> {
    let t = Instant::now();
    let status = Command::new("pdftoppm")
        .args([
            "-q",
            "-png",
            "-singlefile",
            "-f",
            &n.to_string(),
            "-l",
            &n.to_string(),
        ])
        .args([
            "-scale-to-x",
            &size.0.to_string(),
            "-scale-to-y",
            &size.1.to_string(),
        ])
        .arg(path)
        .arg(out)
        .status()
        .context("pdftoppm (poppler-utils)")?;
    anyhow::ensure!(status.success(), "pdftoppm failed");
    Ok(t.elapsed().as_secs_f64() * 1e3)
}

pub(crate) fn renderers_bench(dir: &Path) -> Result<()> {
    let corpus = pdf_corpus::documents(&dir.join("pdf-corpus"))?;
    println!(
        "\n## PDF renderers: poppler (courtdeck) against hayro 0.9, each page at the size a 1920x1080 screen shows it whole"
    );
    println!(
        "| document | pages drawn | poppler ms/page (median) | hayro ms/page | hayro / poppler | pdftoppm page 1 (process) | page marks read: poppler | hayro | hayro's pixels agreeing with poppler's (worst page) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for f in corpus
        .iter()
        .filter(|f| matches!(f.expect, courtdeck_testdata::corpus::Expect::Plays))
    {
        let doc =
            poppler::Document::from_file(&gstreamer::glib::filename_to_uri(&f.path, None)?, None)?;
        let pdf = match Pdf::new(std::fs::read(&f.path)?) {
            Ok(pdf) => pdf,
            Err(e) => {
                println!("| {} | hayro cannot open it: {e:?} | | | | | | | |", f.name);
                continue;
            }
        };
        // Every page of a short document; the first, middle and last of a long one.
        let n = f.pages.len();
        let pages: Vec<usize> = if n <= 8 {
            (0..n).collect()
        } else {
            vec![0, n / 2, n - 1]
        };
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut marks_p, mut marks_h, mut worst) = (0, 0, 1.0f64);
        for &i in &pages {
            let page = f.pages[i];
            let size = render_size([page.0, page.1], SCREEN);
            let t = Instant::now();
            let p = poppler_page(&doc, i as i32, size)?;
            ours.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let h = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                hayro_page(&pdf, i, size)
            }));
            theirs.push(t.elapsed().as_secs_f64() * 1e3);
            let want = i as u32 + 1;
            marks_p += u32::from(p.mark(page) == want);
            match h {
                Ok(Ok(h)) => {
                    marks_h += u32::from(h.mark(page) == want);
                    worst = worst.min(h.agreement(&p));
                }
                Ok(Err(e)) => {
                    println!("<!-- hayro, {} page {}: {e:#} -->", f.name, i + 1);
                    worst = 0.0;
                }
                Err(_) => {
                    println!("<!-- hayro panicked on {} page {} -->", f.name, i + 1);
                    worst = 0.0;
                }
            }
        }
        let first = render_size([f.pages[0].0, f.pages[0].1], SCREEN);
        let reference = pdftoppm_ms(&f.path, 1, first, &dir.join("pdftoppm-out"))?;
        let (ours, theirs) = (median(ours), median(theirs));
        println!(
            "| {} | {} of {n} | {ours:.1} | {theirs:.1} | {:.2}x | {reference:.0} ms | {marks_p} of {} | {marks_h} of {} | {:.1}% |",
            f.name,
            pages.len(),
            theirs / ours,
            pages.len(),
            pages.len(),
            worst * 100.0
        );
    }
    // The hostile documents: poppler's verdict is the engine's (`document::inspect`); hayro's is
    // whether it opens them and draws page 1 without panicking.
    println!("\n| hostile document | courtdeck (poppler) | hayro |");
    println!("|---|---|---|");
    for f in corpus
        .iter()
        .filter(|f| !matches!(f.expect, courtdeck_testdata::corpus::Expect::Plays))
    {
        let ours = match document::inspect(&f.path) {
            Ok(pages) => format!("{} pages", pages.len()),
            Err(e) => format!("refused: {}", e.message),
        };
        let t = Instant::now();
        let theirs = std::panic::catch_unwind(|| match Pdf::new(std::fs::read(&f.path).ok()?) {
            Ok(pdf) => {
                let n = pdf.pages().len();
                if n == 0 {
                    return Some("opens, no pages".to_string());
                }
                let g = hayro_page(&pdf, 0, (960, 540)).ok()?;
                Some(format!("draws page 1 of {n} ({}x{})", g.w, g.h))
            }
            Err(e) => Some(format!("refused: {e:?}")),
        });
        let theirs = match theirs {
            Ok(Some(s)) => s,
            Ok(None) => "fails".into(),
            Err(_) => "panics".into(),
        };
        println!(
            "| {} | {ours} | {theirs} ({:.0} ms) |",
            f.name,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
