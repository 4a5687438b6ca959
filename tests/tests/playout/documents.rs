//! Documents on real output windows (Xvfb, three virtual monitors of two sizes), every claim read
//! back from the framebuffer: a `no_public` statement on BENCH and WITNESS in its page's shape with
//! its page mark and its block where the PDF puts them, never on PUBLIC; page turns across mixed page
//! sizes on both screens at once; fit width and scrolling; blank and withdraw; page 137 of a 200-page
//! report; a hostile PDF that reaches playout failing on its own while the next document shows.

use std::path::Path;
use std::time::{Duration, Instant};

use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, Event, OutputSpec};
use courtdeck_testdata::pdf_corpus::{self, BLOCK, PdfFile};
use courtdeck_testkit::pages::{dark_at, mark_on, placed};
use courtdeck_testkit::playout::{is_black, prerolled, wait_for, wait_screen};
use courtdeck_testkit::{Mon, Xvfb};

const BENCH: Mon = Mon::in_row("BENCH", 0, 640, 360);
const WITNESS: Mon = Mon {
    name: "WITNESS",
    x: 640,
    y: 0,
    w: 480,
    h: 360,
};
const PUBLIC: Mon = Mon {
    name: "PUBLIC",
    x: 1120,
    y: 0,
    w: 640,
    h: 360,
};

fn load(exhibit: &str, f: &PdfFile, restriction: &str) -> Command {
    Command::Load {
        exhibit: exhibit.into(),
        title: f.name.into(),
        path: f.path.display().to_string(),
        kind: "document".into(),
        restriction: restriction.into(),
        pages: f.pages.iter().map(|(w, h)| [*w, *h]).collect(),
        page: 1,
        captions: false,
    }
}

/// The first column of row `y` on `m` that is not black.
fn left_border(xvfb: &Xvfb, m: Mon, y: i16) -> u16 {
    let row = xvfb.grab(m.x, m.y + y, m.w, 1).expect("grab");
    row.data
        .chunks_exact(3)
        .position(|p| p.iter().any(|&c| c > 40))
        .unwrap_or(m.w as usize) as u16
}

fn window(id: &str, role: &str, monitor: &str) -> OutputSpec {
    OutputSpec::window(id, role, monitor)
}

/// Xvfb with BENCH, WITNESS (another size) and PUBLIC, and the playout process drawing on them.
async fn start() -> (Xvfb, PlayoutClient) {
    let xvfb = Xvfb::start(1760, 360, &[BENCH, WITNESS, PUBLIC]).unwrap();
    let client = PlayoutClient::start_with(
        courtdeck_testkit::target_dir().join("courtdeck-playout"),
        vec![
            window("bench", "bench", "BENCH"),
            window("witness", "witness", "WITNESS"),
            window("public", "public_gallery", "PUBLIC"),
        ],
        courtdeck_testkit::playout::confined(vec![
            ("DISPLAY".into(), xvfb.display.clone()),
            ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
        ]),
    )
    .await
    .unwrap();
    (xvfb, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_on_two_screens_turn_pages_fit_width_and_never_reach_public() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pdf-corpus");
    let corpus = pdf_corpus::documents(&dir).unwrap();
    let by_name = |n: &str| corpus.iter().find(|f| f.name == n).unwrap().clone();
    let (statement, report) = (by_name("statement.pdf"), by_name("download-report.pdf"));
    let shots = courtdeck_testkit::target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    let (xvfb, client) = start().await;
    let mut rx = client.subscribe();

    // A no_public statement: the process itself refuses PUBLIC, and shows BENCH and WITNESS.
    client
        .request(load("JS/7", &statement, "no_public"))
        .await
        .unwrap();
    prerolled(&mut rx, "JS/7").await;
    let refused = client
        .request(Command::Present {
            exhibit: "JS/7".into(),
            screens: vec!["bench".into(), "public".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        courtdeck_core::ErrorCode::RestrictedRoute,
        "{refused:?}"
    );
    client
        .request(Command::Present {
            exhibit: "JS/7".into(),
            screens: vec!["bench".into(), "witness".into()],
        })
        .await
        .unwrap();
    let a4 = statement.pages[0];
    // Whole A4 on a 640x360 screen: 254 px wide, 193 px black either side; on 480x360, 113 px.
    for (m, border) in [(BENCH, 193u16), (WITNESS, 113)] {
        wait_screen(
            &format!("page 1 of the statement on {}", m.name),
            || {
                mark_on(&xvfb, m, a4, false) == 1
                    && left_border(&xvfb, m, 180).abs_diff(border) <= 3
            },
            || {
                format!(
                    "mark {}, left border {}",
                    mark_on(&xvfb, m, a4, false),
                    left_border(&xvfb, m, 180)
                )
            },
        );
        let (s, left, top) = placed(m, a4);
        let (x, y, w, h) = BLOCK;
        assert!(
            dark_at(&xvfb, m, left + (x + w / 2.0) * s, top + (y + h / 2.0) * s),
            "the block on page 1 where the PDF puts it on {}",
            m.name
        );
        assert!(
            !dark_at(&xvfb, m, left + (x + w + 30.0) * s, top + (y + h / 2.0) * s),
            "white paper beside the block on {}",
            m.name
        );
    }
    assert!(
        is_black(&xvfb, PUBLIC),
        "a no_public document never on PUBLIC"
    );
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-statement-page-1.png"))
        .unwrap();

    // Page turns across page sizes, on both screens together: A4 landscape, US Letter, A3.
    for page in 2..=4u32 {
        client
            .request(Command::Page {
                page,
                fit_width: false,
            })
            .await
            .unwrap();
        let size = statement.pages[page as usize - 1];
        for m in [BENCH, WITNESS] {
            wait_screen(
                &format!("page {page} on {}", m.name),
                || mark_on(&xvfb, m, size, false) == page,
                || format!("mark {}", mark_on(&xvfb, m, size, false)),
            );
        }
        assert!(is_black(&xvfb, PUBLIC));
    }
    let bad = client
        .request(Command::Page {
            page: 5,
            fit_width: false,
        })
        .await
        .unwrap_err();
    assert!(bad.message.contains("no page 5"), "{bad:?}");
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-statement-page-4.png"))
        .unwrap();

    // Fit width on page 1: the page's full width, no border, the mark at the top and the block
    // larger, lower down; scrolled to the bottom the mark is gone.
    client
        .request(Command::Page {
            page: 1,
            fit_width: true,
        })
        .await
        .unwrap();
    wait_screen(
        "page 1 at its full width on BENCH",
        || mark_on(&xvfb, BENCH, a4, true) == 1 && left_border(&xvfb, BENCH, 180) == 0,
        || {
            format!(
                "mark {}, left border {}",
                mark_on(&xvfb, BENCH, a4, true),
                left_border(&xvfb, BENCH, 180)
            )
        },
    );
    let s = 640.0 / a4.0;
    let (x, y, w, _) = BLOCK;
    assert!(
        dark_at(&xvfb, BENCH, (x + w / 2.0) * s, (y + 40.0) * s),
        "the block, enlarged"
    );
    assert_eq!(
        left_border(&xvfb, WITNESS, 180),
        0,
        "full width on WITNESS too"
    );
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-fit-width.png"))
        .unwrap();
    client
        .request(Command::FitWidth { scroll: 1.0 })
        .await
        .unwrap();
    wait_screen(
        "page 1 scrolled to its bottom",
        || {
            mark_on(&xvfb, BENCH, a4, true) == 0
                && !dark_at(&xvfb, BENCH, (x + w / 2.0) * s, (y + 40.0) * s)
        },
        || format!("mark {}", mark_on(&xvfb, BENCH, a4, true)),
    );

    // Blank BENCH: black, WITNESS still shows; withdraw: all black.
    client
        .request(Command::Blank {
            screen: "bench".into(),
            blank: true,
        })
        .await
        .unwrap();
    wait_screen("BENCH blanked", || is_black(&xvfb, BENCH), || "lit".into());
    assert!(!is_black(&xvfb, WITNESS));
    client
        .request(Command::Blank {
            screen: "bench".into(),
            blank: false,
        })
        .await
        .unwrap();
    client.request(Command::Withdraw).await.unwrap();
    wait_screen(
        "every screen black after Withdraw",
        || is_black(&xvfb, BENCH) && is_black(&xvfb, WITNESS) && is_black(&xvfb, PUBLIC),
        || "a screen is lit".into(),
    );

    // A password-protected PDF that reaches playout (a manifest from elsewhere) fails on its own.
    let protected = by_name("password.pdf");
    let mut hostile = load("JS/8", &protected, "open");
    if let Command::Load { pages, .. } = &mut hostile {
        *pages = vec![[595.0, 842.0]];
    }
    client.request(hostile).await.unwrap();
    let failed = wait_for(&mut rx, |e| match e {
        ClientEvent::Playout(Event::Error {
            exhibit: Some(x),
            error,
            ..
        }) if x == "JS/8" => Some(error.clone()),
        ClientEvent::Playout(Event::Prerolled { exhibit, .. }) if exhibit == "JS/8" => {
            panic!("a password-protected PDF prerolled")
        }
        _ => None,
    })
    .await;
    assert!(failed.message.contains("password"), "{failed:?}");

    // Page 137 of the 200-page report on BENCH, then the next page; how long each took to show.
    client.request(load("JS/9", &report, "open")).await.unwrap();
    prerolled(&mut rx, "JS/9").await;
    client
        .request(Command::Present {
            exhibit: "JS/9".into(),
            screens: vec!["bench".into(), "public".into()],
        })
        .await
        .unwrap();
    let started = Instant::now();
    client
        .request(Command::Page {
            page: 137,
            fit_width: false,
        })
        .await
        .unwrap();
    wait_screen(
        "page 137 of 200",
        || mark_on(&xvfb, BENCH, a4, false) == 137 && mark_on(&xvfb, PUBLIC, a4, false) == 137,
        || format!("mark {}", mark_on(&xvfb, BENCH, a4, false)),
    );
    let cold = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    client
        .request(Command::Page {
            page: 138,
            fit_width: false,
        })
        .await
        .unwrap();
    wait_screen(
        "page 138 of 200",
        || mark_on(&xvfb, BENCH, a4, false) == 138,
        || format!("mark {}", mark_on(&xvfb, BENCH, a4, false)),
    );
    println!(
        "page turn to page 137 (not drawn ahead) shown in {:?}; to page 138 (drawn ahead) in {:?} (debug build, 2 screens)",
        cold,
        started.elapsed()
    );
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-report-page-138.png"))
        .unwrap();
    client.shutdown().await;
}

fn red_at(xvfb: &Xvfb, m: Mon, x: f64, y: f64) -> bool {
    let rgb = xvfb
        .grab(
            m.x + (x as i16 - 1).max(0),
            m.y + (y as i16 - 1).max(0),
            3,
            3,
        )
        .expect("grab");
    rgb.data
        .chunks_exact(3)
        .any(|p| p[0] > 150 && p[1] < 120 && p[2] < 120 && p[0] - p[1].max(p[2]) > 80)
}

fn arrow(from: (f64, f64), to: (f64, f64)) -> courtdeck_playout::protocol::WireStroke {
    let p = |(x, y): (f64, f64)| ((x * 10_000.0) as u16, (y * 10_000.0) as u16);
    courtdeck_playout::protocol::WireStroke {
        tool: "arrow".into(),
        points: vec![p(from), p(to)],
    }
}

/// The telestrator on a `no_public` page: an arrow drawn on the 16:9 preview shows on BENCH and on
/// WITNESS (another size: the arrow is on the same part of the page, not the same pixels), never on
/// PUBLIC; it stays on the page when the view is zoomed; a page turn and a blank take it off.
#[tokio::test(flavor = "multi_thread")]
async fn strokes_follow_the_page_to_bench_and_witness_and_never_public() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pdf-corpus");
    let corpus = pdf_corpus::documents(&dir).unwrap();
    let statement = corpus.iter().find(|f| f.name == "statement.pdf").unwrap();
    let shots = courtdeck_testkit::target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let (xvfb, client) = start().await;
    let mut rx = client.subscribe();
    client
        .request(load("JS/7", statement, "no_public"))
        .await
        .unwrap();
    prerolled(&mut rx, "JS/7").await;
    client
        .request(Command::Present {
            exhibit: "JS/7".into(),
            screens: vec!["bench".into(), "witness".into()],
        })
        .await
        .unwrap();
    let a4 = statement.pages[0];
    wait_screen(
        "page 1 on BENCH",
        || mark_on(&xvfb, BENCH, a4, false) == 1,
        || "no page".into(),
    );

    // A horizontal arrow across the middle of the preview (40% to 60% of it): on BENCH (16:9 like
    // the preview) at the same place; on WITNESS (4:3) across the same part of the page.
    let started = Instant::now();
    let drawn: courtdeck_playout::protocol::Annotated = client
        .request_data(Command::Annotate {
            strokes: vec![arrow((0.4, 0.5), (0.6, 0.5))],
            append: false,
        })
        .await
        .unwrap();
    let on_bench = wait_screen(
        "the arrow on BENCH",
        || red_at(&xvfb, BENCH, 320.0, 180.0),
        || "no red".into(),
    );
    // In points of the page: from a quarter to three quarters across, half way down.
    let pts = &drawn.strokes[0].points;
    assert!(
        pts[0].0.abs_diff(2_485) < 30 && pts[1].0.abs_diff(7_515) < 30,
        "{pts:?}"
    );
    assert!(pts[0].1.abs_diff(5_000) < 30, "{pts:?}");
    let (s, left, top) = placed(WITNESS, a4);
    wait_screen(
        "the arrow on WITNESS, on the same part of the page",
        || red_at(&xvfb, WITNESS, left + 0.5 * a4.0 * s, top + 0.5 * a4.1 * s),
        || "no red".into(),
    );
    assert!(
        !red_at(&xvfb, WITNESS, 320.0, 180.0 + 60.0),
        "nothing red elsewhere on WITNESS"
    );
    assert!(
        is_black(&xvfb, PUBLIC),
        "strokes on a no_public page never reach PUBLIC"
    );
    println!(
        "arrow from Annotate to BENCH's framebuffer in {:?} (request to pixels, debug build, 2 screens); {:?} in all",
        on_bench,
        started.elapsed()
    );
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-annotated.png"))
        .unwrap();

    // A callout of the black block: the block, enlarged, over the middle of the page (white there
    // before) on BENCH and WITNESS, framed; taken off with the rest ("clear").
    let (s_b, left_b, top_b) = placed(BENCH, a4);
    // Just below the middle: clear of the arrow across it.
    let centre = (left_b + 0.5 * a4.0 * s_b, top_b + 0.5 * a4.1 * s_b + 12.0);
    assert!(
        !dark_at(&xvfb, BENCH, centre.0, centre.1),
        "the page's middle is white"
    );
    let (bx, by, bw, bh) = BLOCK;
    // The block in points of the preview: page fraction -> preview (the page is pillarboxed).
    let to_preview = |fx: f64, fy: f64| {
        let aspect = (a4.0 / a4.1) / (16.0 / 9.0);
        (0.5 - aspect / 2.0 + fx * aspect, fy)
    };
    let from = to_preview((bx + 10.0) / a4.0, (by + 10.0) / a4.1);
    let to = to_preview((bx + bw - 10.0) / a4.0, (by + bh - 10.0) / a4.1);
    let mut callout = arrow(from, to);
    callout.tool = "callout".into();
    client
        .request(Command::Annotate {
            strokes: vec![callout],
            append: true,
        })
        .await
        .unwrap();
    wait_screen(
        "the block called out over the middle of the page on BENCH",
        || dark_at(&xvfb, BENCH, centre.0, centre.1),
        || "the middle is still white".into(),
    );
    let (s_w, left_w, top_w) = placed(WITNESS, a4);
    let witness_centre = (left_w + 0.5 * a4.0 * s_w, top_w + 0.5 * a4.1 * s_w + 12.0);
    wait_screen(
        "and on WITNESS",
        || dark_at(&xvfb, WITNESS, witness_centre.0, witness_centre.1),
        || "the middle is still white".into(),
    );
    assert!(is_black(&xvfb, PUBLIC));
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-callout.png"))
        .unwrap();
    client
        .request(Command::Annotate {
            strokes: vec![arrow((0.4, 0.5), (0.6, 0.5))],
            append: false,
        })
        .await
        .unwrap();
    wait_screen(
        "the callout gone, the arrow back",
        || !dark_at(&xvfb, BENCH, centre.0, centre.1) && red_at(&xvfb, BENCH, 320.0, 180.0),
        || "the callout stayed".into(),
    );

    // Zoomed to the middle quarter of the page, the arrow (a quarter to three quarters across)
    // spans the whole width of the page as shown: it stayed on the page, not on the screen.
    client
        .request(Command::Zoom {
            x: 0.25,
            y: 0.25,
            width: 0.5,
            height: 0.5,
        })
        .await
        .unwrap();
    let (_, left, _) = placed(BENCH, a4);
    wait_screen(
        "the arrow zoomed with the page",
        || {
            red_at(&xvfb, BENCH, left + 6.0, 180.0)
                && red_at(&xvfb, BENCH, f64::from(BENCH.w) - left - 12.0, 180.0)
        },
        || "the arrow did not follow the zoom".into(),
    );
    xvfb.grab(0, 0, 1760, 360)
        .unwrap()
        .save_png(&shots.join("documents-annotated-zoomed.png"))
        .unwrap();

    // A page turn takes it off; so does a blank (of one screen: off every screen).
    client
        .request(Command::Page {
            page: 2,
            fit_width: false,
        })
        .await
        .unwrap();
    wait_screen(
        "page 2 with no arrow",
        || mark_on(&xvfb, BENCH, statement.pages[1], false) == 2,
        || "no page 2".into(),
    );
    assert!(!red_at(&xvfb, BENCH, 320.0, 180.0));
    client
        .request(Command::Annotate {
            strokes: vec![arrow((0.1, 0.9), (0.9, 0.9))],
            append: true,
        })
        .await
        .unwrap();
    // A second stroke is added to the first: the reply is the page's whole set.
    let both: courtdeck_playout::protocol::Annotated = client
        .request_data(Command::Annotate {
            strokes: vec![arrow((0.1, 0.1), (0.9, 0.1))],
            append: true,
        })
        .await
        .unwrap();
    assert_eq!(both.strokes.len(), 2);
    wait_screen(
        "an arrow on page 2",
        || red_at(&xvfb, BENCH, 320.0, 324.0),
        || "no red".into(),
    );
    client
        .request(Command::Blank {
            screen: "witness".into(),
            blank: true,
        })
        .await
        .unwrap();
    wait_screen(
        "the arrow gone from BENCH when WITNESS was blanked",
        || {
            !red_at(&xvfb, BENCH, 320.0, 324.0)
                && mark_on(&xvfb, BENCH, statement.pages[1], false) == 2
        },
        || "still red".into(),
    );
    // A playing recording cannot be drawn on; nothing on air, nothing to draw on.
    client.request(Command::Withdraw).await.unwrap();
    let refused = client
        .request(Command::Annotate {
            strokes: vec![arrow((0.1, 0.1), (0.2, 0.2))],
            append: true,
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        courtdeck_core::ErrorCode::InvalidState,
        "{refused:?}"
    );
    client.shutdown().await;
}
