//! Documents against poppler directly: every PDF of the corpus (written by Ghostscript, qpdf and by
//! hand) is inspected as `courtdeck bundle` would, each good one has every page drawn and read back
//! (its page mark says which page it is, its shape says it is the right way up), and each hostile
//! one is refused with its reason.

use courtdeck_engine::document::{self, Pages};
use courtdeck_testdata::corpus::Expect;
use courtdeck_testdata::pdf_corpus::{self, BLOCK, read_page_mark};
use std::time::{Duration, Instant};

fn corpus() -> Vec<pdf_corpus::PdfFile> {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pdf-corpus");
    pdf_corpus::documents(&dir).expect("the PDF corpus is generated")
}

/// Whether the point `(x, y)` of a page (points from its top-left) is dark in `frame`, drawn from a
/// page `page_w` points wide.
fn dark(frame: &document::Frame, page_w: f64, x: f64, y: f64) -> bool {
    let s = f64::from(frame.width) / page_w;
    let (px, py) = ((x * s) as usize, (y * s) as usize);
    let i = (py * frame.width as usize + px) * 4;
    let p = &frame.data[i..i + 3];
    p.iter().map(|&c| u32::from(c)).sum::<u32>() < 3 * 80
}

#[test]
fn every_document_is_inspected_drawn_or_refused_with_its_reason() {
    let mut checked = 0;
    for f in corpus() {
        let inspected = document::inspect(&f.path);
        match (&f.expect, &inspected) {
            (Expect::Plays, Ok(pages)) => {
                let got: Vec<(f64, f64)> = pages.iter().map(|[w, h]| (*w, *h)).collect();
                assert_eq!(got, f.pages, "{}: page sizes", f.name);
                let n = document::check_every_page(&f.path)
                    .unwrap_or_else(|e| panic!("{}: a page did not draw: {e}", f.name));
                assert_eq!(n, f.pages.len(), "{}", f.name);
            }
            (Expect::Refused { code, words }, Err(e)) => {
                assert_eq!(e.code.as_str(), *code, "{}: {}", f.name, e.message);
                assert!(
                    e.message.contains(words),
                    "{}: {:?} lacks {words:?}",
                    f.name,
                    e.message
                );
                println!("{}: refused ({}): {}", f.name, e.code.as_str(), e.message);
            }
            (expect, got) => panic!("{}: expected {expect:?}, got {got:?}", f.name),
        }
        checked += 1;
    }
    assert_eq!(checked, 10, "every corpus file was checked");
}

#[test]
fn pages_are_drawn_the_right_way_up_with_their_marks_and_ahead_of_time() {
    let files = corpus();
    let by_name = |n: &str| files.iter().find(|f| f.name == n).unwrap().clone();
    let statement = by_name("statement.pdf");
    let sizes: Vec<[f64; 2]> = statement.pages.iter().map(|(w, h)| [*w, *h]).collect();
    let pages = Pages::open(statement.path.clone(), &sizes, (640, 360), 1);
    for n in 1..=4u32 {
        let frame = pages.get(n, Duration::from_secs(20)).unwrap();
        let (pw, ph) = statement.pages[n as usize - 1];
        // Drawn in the page's own shape, at least as wide as the screen.
        assert!(frame.width >= 640, "page {n}: {frame:?}");
        let aspect = f64::from(frame.width) / f64::from(frame.height);
        assert!(
            (aspect - pw / ph).abs() < 0.01,
            "page {n}: {frame:?} for {pw}x{ph}"
        );
        assert_eq!(
            read_page_mark(|x, y| dark(&frame, pw, x, y)),
            n,
            "page {n}'s mark"
        );
        pages.want(n + 1);
    }
    let frame = pages.get(1, Duration::from_secs(20)).unwrap();
    let (x, y, w, h) = BLOCK;
    assert!(
        dark(&frame, 595.0, x + w / 2.0, y + h / 2.0),
        "the block on page 1"
    );
    assert!(
        !dark(&frame, 595.0, x + w + 20.0, y + h / 2.0),
        "white beside the block"
    );

    // Turned a quarter clockwise (`/Rotate 90`): landscape, and the page mark (along the top of the
    // unturned page) is down its right-hand side, its first square at the top right.
    let rotated = by_name("rotated.pdf");
    let sizes: Vec<[f64; 2]> = rotated.pages.iter().map(|(w, h)| [*w, *h]).collect();
    drop(pages);
    let pages = Pages::open(rotated.path.clone(), &sizes, (640, 360), 1);
    let frame = pages.get(1, Duration::from_secs(20)).unwrap();
    assert!(frame.width > frame.height, "{frame:?}");
    let (pw, _) = rotated.pages[0];
    let turned = |x: f64, y: f64| dark(&frame, pw, 842.0 - y, x);
    assert_eq!(
        read_page_mark(turned),
        1,
        "page 1's mark down the right side"
    );

    // The next page is drawn ahead: once page 101 of the report is shown, page 102 comes at once.
    drop(pages);
    let report = by_name("download-report.pdf");
    let sizes: Vec<[f64; 2]> = report.pages.iter().map(|(w, h)| [*w, *h]).collect();
    let pages = Pages::open(report.path.clone(), &sizes, (1920, 1080), 101);
    let cold = Instant::now();
    let frame = pages.get(101, Duration::from_secs(20)).unwrap();
    let cold = cold.elapsed();
    assert_eq!(read_page_mark(|x, y| dark(&frame, 595.0, x, y)), 101);
    std::thread::sleep(Duration::from_millis(500));
    let warm = Instant::now();
    let frame = pages.get(102, Duration::from_secs(20)).unwrap();
    let warm = warm.elapsed();
    assert_eq!(read_page_mark(|x, y| dark(&frame, 595.0, x, y)), 102);

    // Put away while page 50 is being drawn: the drawing thread has stopped by the time the drop
    // returns (one left inside poppler crashed this binary at exit, 1 run in 30). No other test of
    // this binary opens `Pages`, so no other `pdf-pages` thread is about.
    pages.want(50);
    let away = Instant::now();
    drop(pages);
    let away = away.elapsed();
    assert_eq!(
        threads_named("pdf-pages"),
        0,
        "a drawing thread outlived its pages"
    );
    println!(
        "report page 101 drawn at 1920 wide in {cold:?}; page 102, drawn ahead, handed over in {warm:?}; put away in {away:?}"
    );
}

/// How many of this process's threads are called `name`.
fn threads_named(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

#[test]
fn a_poster_is_made_of_the_first_page() {
    let f = corpus()
        .into_iter()
        .find(|f| f.name == "statement.pdf")
        .unwrap();
    gstreamer::init().unwrap();
    let jpeg = document::poster(&f.path, 1).unwrap();
    assert!(jpeg.starts_with(&[0xff, 0xd8]), "a JPEG");
    assert!(jpeg.len() > 500, "{} bytes", jpeg.len());
}
