//! End to end: the real app (Tauri + WebKitGTK) driven by tauri-driver under Xvfb with virtual monitors,
//! the real playout process drawing into real X11 windows, the demo store generated with GStreamer.
//! What the control surface claims is checked against grabs of each monitor's pixels.

use std::time::{Duration, Instant};

use courtdeck_testkit::pages::mark_on;

mod accessibility;
mod blank_key;
mod kiosk;
mod layout;
mod lists;
mod live;

use kiosk::{
    BENCH, Kiosk, PUBLIC, drag_on_pad, grab, save_manifest, start_kiosk, tap, tap_in_list,
};

#[test]
fn usher_launches_advocate_presents_blanks_and_restricted_stays_off_public() {
    let k = start_kiosk();
    // Today's list comes from the demo store (generated on first run: allow for it).
    k.wd.wait_for(
        "[data-testid=hearing-card][data-case=JS-2026-0142]",
        Duration::from_secs(180),
    )
    .unwrap();
    // The DOM can exist before WebKit paints it: wait for the dark surface to reach the monitor.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // The hearing cards (panel colour) fill the band below the title once painted.
        let cards = k.xvfb.grab(0, 110, 1280, 150).unwrap();
        let panel = [0x15u8, 0x1c, 0x24];
        let panel_px = cards
            .data
            .chunks_exact(3)
            .filter(|p| p.iter().zip(panel).all(|(c, want)| c.abs_diff(want) < 8))
            .count();
        if panel_px as f64 > 0.4 * (cards.data.len() / 3) as f64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the control surface never painted"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    k.shot("01-today");

    // The usher: one tap launches the hearing.
    let mut launch_taps = 0;
    tap(
        &k,
        "[data-testid=hearing-card][data-case=JS-2026-0142] [data-testid=launch]",
        &mut launch_taps,
    );
    k.wd.wait_for(
        "[data-testid=exhibit][data-ref='JS/1']",
        Duration::from_secs(120),
    )
    .unwrap();

    // Before anything is presented, both output monitors are black.
    k.wait_black(BENCH);
    k.wait_black(PUBLIC);

    // The advocate: tap JS/1 (it prerolls), tap Present. Defaults follow the restriction: all screens.
    let mut present_taps = 0;
    tap(
        &k,
        "[data-testid=exhibit][data-ref='JS/1']",
        &mut present_taps,
    );
    k.wd.wait_until("the cue to be ready", Duration::from_secs(30), |wd| {
        let b = wd.wait_for("[data-testid=present]", Duration::from_secs(10))?;
        Ok(wd.text(&b)? == "Present")
    })
    .unwrap();
    tap(&k, "[data-testid=present]", &mut present_taps);
    k.wait_tile("bench", "live");
    k.wait_tile("public", "live");
    println!("taps to launch a hearing: {launch_taps}; taps to present an exhibit: {present_taps}");
    assert!(launch_taps <= 2 && present_taps <= 2);

    let mut extra = 0;
    tap(&k, "[data-testid=play-pause]", &mut extra);
    let (lit, changed) = k.wait_moving(BENCH);
    println!(
        "BENCH after Present+Play: {:.0}% lit, {:.2}% of pixels changing",
        lit * 100.0,
        changed * 100.0
    );
    // The BENCH tile shows a live confidence thumbnail of what BENCH shows.
    k.wd.wait_for(
        "[data-testid=screen-thumb][data-screen=bench] img",
        Duration::from_secs(10),
    )
    .unwrap();
    let width =
        k.wd.execute(
            "const i = document.querySelector('[data-testid=screen-thumb][data-screen=bench] img');
             return i.complete ? i.naturalWidth : -1;",
        )
        .unwrap();
    assert_eq!(
        width.as_i64(),
        Some(192),
        "a decoded 192x108 thumbnail: {width}"
    );
    k.wait_moving(PUBLIC);
    k.shot("02-presented");

    // Pause holds the picture; one frame step changes it (the burnt-in clock moves on by a frame).
    tap(&k, "[data-testid=play-pause]", &mut extra);
    k.wd.wait_until("paused", Duration::from_secs(10), |wd| {
        let b = wd.wait_for("[data-testid=play-pause]", Duration::from_secs(5))?;
        Ok(wd.text(&b)?.contains("Play"))
    })
    .unwrap();
    let held = {
        // Paused means two grabs agree.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let a = grab(&k.xvfb, BENCH);
            std::thread::sleep(Duration::from_millis(300));
            let b = grab(&k.xvfb, BENCH);
            if a.changed_fraction(&b) == 0.0 {
                break b;
            }
            assert!(
                Instant::now() < deadline,
                "BENCH kept changing while paused"
            );
        }
    };
    tap(&k, "[data-testid=step-forward]", &mut extra);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = grab(&k.xvfb, BENCH);
        let changed = held.changed_fraction(&now);
        if changed > 0.0 {
            println!(
                "one frame step changed {:.3}% of BENCH's pixels",
                changed * 100.0
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a frame step did not change the picture"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Side by side: camera 4 (JS/8) beside camera 3 on both screens, from the surface's picker;
    // BENCH shows camera 3's green-grey on the left and camera 4's blue-grey on the right. A frame's
    // nudge of camera 4's clock says so on the surface. Then camera 3 alone again.
    let halves = |k: &Kiosk| {
        let b = grab(&k.xvfb, BENCH);
        let share = |x0: usize, x1: usize, f: &dyn Fn(&[u8]) -> bool| {
            let mut n = 0;
            for y in 0..b.h as usize {
                for x in x0..x1 {
                    n += usize::from(f(&b.data[(y * b.w as usize + x) * 3..][..3]));
                }
            }
            n as f64 / ((x1 - x0) * b.h as usize) as f64
        };
        let w = b.w as usize;
        (
            share(0, w / 2 - 8, &|p| u16::from(p[1]) > u16::from(p[2]) + 8),
            share(w / 2 + 8, w, &|p| u16::from(p[2]) > u16::from(p[1]) + 8),
        )
    };
    k.tools("beside", &mut extra);
    k.wd.execute(
        "const s = document.querySelector('[data-testid=beside-select]');
         s.value = 'JS/8'; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
    )
    .unwrap();
    extra += 1;
    k.wd.wait_until(
        "camera 3 and camera 4 side by side on BENCH",
        Duration::from_secs(30),
        |_| {
            let (left, right) = halves(&k);
            Ok(left > 0.3 && right > 0.3)
        },
    )
    .unwrap();
    tap(&k, "[data-testid=beside-frame-on]", &mut extra);
    k.wd.wait_until("the offset on the surface", Duration::from_secs(10), |wd| {
        let el = wd.wait_for("[data-testid=beside-offset]", Duration::from_secs(5))?;
        Ok(wd.text(&el)? == "JS/8's clock: +0.04 s")
    })
    .unwrap();
    k.shot("02b-side-by-side");
    k.wd.execute(
        "const s = document.querySelector('[data-testid=beside-select]');
         s.value = ''; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
    )
    .unwrap();
    k.wd.wait_until("camera 3 alone on BENCH", Duration::from_secs(30), |_| {
        Ok(halves(&k).1 < 0.05)
    })
    .unwrap();

    // The "Entry" clip (00:04-00:09) plays from its in point.
    k.tools("clips", &mut extra);
    tap(&k, "[data-testid=clip][data-clip=Entry]", &mut extra);
    k.wd.wait_until(
        "the clip to play from 0:04",
        Duration::from_secs(15),
        |wd| {
            let p = wd.wait_for("[data-testid=position]", Duration::from_secs(5))?;
            let text = wd.text(&p)?;
            Ok(["0:04", "0:05", "0:06"].iter().any(|t| text.starts_with(t)))
        },
    )
    .unwrap();
    k.wait_moving(BENCH);

    // Blank PUBLIC only: it goes black, BENCH keeps moving.
    tap(
        &k,
        "[data-testid=blank-toggle][data-screen=public]",
        &mut extra,
    );
    k.wait_tile("public", "blank");
    k.wait_black(PUBLIC);
    // BENCH still shows the picture (not moving necessarily: the clip may have reached its out point).
    assert!(
        grab(&k.xvfb, BENCH).lit_fraction() > 0.2,
        "BENCH went dark when only PUBLIC was blanked"
    );
    assert!(
        k.wd.find_all("[data-testid=screen-thumb][data-screen=public] img")
            .unwrap()
            .is_empty(),
        "a blanked screen's tile shows no picture"
    );
    // Poster frames reach the exhibit list (made in the background after the prefetch).
    for reference in ["JS/1", "JS/4"] {
        k.wd.wait_for(
            &format!("[data-testid=exhibit][data-ref='{reference}'] [data-testid=poster] img"),
            Duration::from_secs(60),
        )
        .unwrap();
    }
    k.shot("03-public-blanked");

    // Blank all: every output black, and the surface says so.
    tap(&k, "[data-testid=blank-all]", &mut extra);
    k.wait_tile("bench", "blank");
    k.wait_black(BENCH);
    k.wait_black(PUBLIC);
    k.shot("04-blank-all");

    // Unblank BENCH, then cue the restricted ABE interview (JS/3, no_public): the PUBLIC toggle is
    // disabled, and a forged request through the same IPC is refused by the core.
    tap(
        &k,
        "[data-testid=blank-toggle][data-screen=bench]",
        &mut extra,
    );
    tap(
        &k,
        "[data-testid=blank-toggle][data-screen=public]",
        &mut extra,
    );
    k.wait_tile("public", "live");

    // The PUBLIC monitor's cable comes out: its tile says so at once (nobody asked), the other screen
    // goes on; back in, it shows the exhibit on air again without anyone presenting it again.
    courtdeck_testkit::delete_monitors(&k.xvfb.display, &[PUBLIC.name]).unwrap();
    k.wait_tile("public", "missing");
    k.wait_black(PUBLIC);
    assert!(grab(&k.xvfb, BENCH).lit_fraction() > 0.2, "BENCH goes on");
    k.shot("04b-public-unplugged");
    courtdeck_testkit::set_monitors(&k.xvfb.display, &[PUBLIC]).unwrap();
    k.wait_tile("public", "live");
    let deadline = Instant::now() + Duration::from_secs(30);
    while grab(&k.xvfb, PUBLIC).lit_fraction() < 0.2 {
        assert!(Instant::now() < deadline, "PUBLIC shows the exhibit again");
        std::thread::sleep(Duration::from_millis(100));
    }

    tap(&k, "[data-testid=exhibit][data-ref='JS/3']", &mut extra);
    // The selection returns once JS/3's cached copy has been hashed again (launch re-checks every copy
    // in the background; selecting waits for that exhibit's check): until then the controls still act
    // on JS/1. Wait for the surface to say JS/3 is cued before reading its toggles or forging a route.
    k.wd.wait_for(
        "[data-testid=exhibit][data-ref='JS/3'].selected",
        Duration::from_secs(20),
    )
    .unwrap();
    let public_toggle =
        k.wd.wait_for(
            "[data-testid=target][data-screen=public]",
            Duration::from_secs(10),
        )
        .unwrap();
    assert_eq!(
        k.wd.attribute(&public_toggle, "disabled")
            .unwrap()
            .as_deref(),
        Some("true")
    );
    let forged =
        k.wd.execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('present', { screens: ['bench', 'public'] })
               .then(() => done('accepted'), (e) => done(e.code || String(e)));",
        )
        .unwrap();
    assert_eq!(
        forged.as_str(),
        Some("restricted_route"),
        "a forged route to PUBLIC must be refused"
    );
    tap(&k, "[data-testid=present]", &mut extra);
    k.wait_tile("bench", "live");
    k.wait_tile("public", "black");
    k.wait_black(PUBLIC);
    let bench = grab(&k.xvfb, BENCH);
    assert!(bench.lit_fraction() > 0.2, "JS/3 shows on BENCH");
    k.shot("05-restricted-bench-only");

    // Its transcript beside the transport (bench_only: the advocate reads it; captions only on
    // BENCH). Tap line 3: the recording goes there (within a frame of the line's start) and the line
    // is the current one; captions on BENCH put its words on BENCH's picture, and PUBLIC stays black.
    k.tools("transcript", &mut extra);
    k.wd.wait_until(
        "the transcript's four lines",
        Duration::from_secs(20),
        |wd| Ok(wd.find_all("[data-testid=cue]")?.len() == 4),
    )
    .unwrap();
    tap_in_list(&k, "[data-testid=cue][data-index='2']", &mut extra);
    let line3 =
        k.wd.wait_for("[data-testid=cue][data-index='2']", Duration::from_secs(5))
            .unwrap();
    let start: u64 =
        k.wd.attribute(&line3, "data-start")
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
    k.wd.wait_until(
        "line 3 to be the current line",
        Duration::from_secs(20),
        |wd| {
            let el = wd.wait_for("[data-testid=cue][data-index='2']", Duration::from_secs(5))?;
            Ok(wd.attribute(&el, "aria-current")?.as_deref() == Some("true"))
        },
    )
    .unwrap();
    let panel =
        k.wd.wait_for("[data-testid=transcript]", Duration::from_secs(5))
            .unwrap();
    let landed: u64 =
        k.wd.attribute(&panel, "data-position")
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
    assert!(
        (start..start + 40).contains(&landed),
        "a tap on line 3 ({start} ms) landed at {landed} ms: more than a frame away"
    );
    // The lower half of BENCH, where captions go; paused, nothing else there changes.
    let lower = |k: &Kiosk| {
        k.xvfb
            .grab(BENCH.x, BENCH.y + BENCH.h as i16 / 2, BENCH.w, BENCH.h / 2)
            .unwrap()
    };
    k.wait_still(BENCH);
    let before = lower(&k);
    let upper = grab(&k.xvfb, BENCH);
    tap(&k, "[data-testid=captions][data-screen=bench]", &mut extra);
    k.wd.wait_until("the caption on BENCH", Duration::from_secs(20), |_| {
        Ok(lower(&k).changed_fraction(&before) > 0.03)
    })
    .unwrap();
    let caption_area = lower(&k).changed_fraction(&before);
    assert!(
        grab(&k.xvfb, BENCH).changed_fraction(&upper) < caption_area,
        "only the caption changed"
    );
    k.wait_black(PUBLIC);
    k.shot("05a-transcript-captions-bench");
    // Search the words.
    k.wd.execute(
        "const s = document.querySelector('[data-testid=transcript-search]');
         s.value = 'hoodie'; s.dispatchEvent(new Event('input', { bubbles: true })); return true;",
    )
    .unwrap();
    let found =
        k.wd.wait_for("[data-testid=transcript-found]", Duration::from_secs(5))
            .unwrap();
    assert_eq!(k.wd.text(&found).unwrap(), "1 found");
    // A designation: lines 1 and 2, played as a clip.
    tap(&k, "[data-testid=designate]", &mut extra);
    tap_in_list(&k, "[data-testid=cue][data-index='0']", &mut extra);
    tap_in_list(&k, "[data-testid=cue][data-index='1']", &mut extra);
    tap(&k, "[data-testid=play-designation]", &mut extra);
    k.wd.wait_until("line 1 playing", Duration::from_secs(20), |wd| {
        let el = wd.wait_for("[data-testid=cue][data-index='0']", Duration::from_secs(5))?;
        Ok(wd.attribute(&el, "aria-current")?.as_deref() == Some("true"))
    })
    .unwrap();
    tap(&k, "[data-testid=captions][data-screen=bench]", &mut extra);
    k.wd.wait_until(
        "the caption gone from BENCH",
        Duration::from_secs(20),
        |wd| {
            let el = wd.wait_for(
                "[data-testid=captions][data-screen=bench]",
                Duration::from_secs(5),
            )?;
            Ok(wd.attribute(&el, "aria-pressed")?.as_deref() == Some("false"))
        },
    )
    .unwrap();

    // Zoom into the still JS/4 on BENCH from the surface: two taps on "+ Zoom", the surface says
    // 2.3x and BENCH shows a different (magnified) picture.
    tap(&k, "[data-testid=exhibit][data-ref='JS/4']", &mut extra);
    tap(&k, "[data-testid=present]", &mut extra);
    k.wait_tile("bench", "live");
    let whole = k.wait_still(BENCH);
    k.tools("zoom", &mut extra);
    tap(&k, "[data-testid=zoom-in]", &mut extra);
    tap(&k, "[data-testid=zoom-in]", &mut extra);
    k.wd.wait_until(
        "the zoom factor to read 2.3x",
        Duration::from_secs(10),
        |wd| {
            let el = wd.wait_for("[data-testid=zoom-factor]", Duration::from_secs(5))?;
            Ok(wd.text(&el)? == "2.3x")
        },
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let zoomed = grab(&k.xvfb, BENCH);
        let changed = zoomed.changed_fraction(&whole);
        if changed > 0.2 && zoomed.lit_fraction() > 0.2 {
            println!(
                "zoom 2.3x on BENCH changed {:.0}% of its pixels",
                changed * 100.0
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "BENCH did not zoom (changed {changed:.3})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    k.shot("05b-still-zoomed");
    // "Zoom to box": a box drawn round a quarter of the preview's width zooms into it. The 2.3x view
    // is 4:3, letterboxed into the 16:9 preview, so the box is a third of the view, 0.148 of the
    // photo: 1.5^4 = 5.1x is the closest view that still holds it.
    let before = grab(&k.xvfb, BENCH);
    tap(&k, "[data-testid=tool-zoom]", &mut extra);
    k.wd.wait_for("[data-testid=draw-pad]", Duration::from_secs(10))
        .unwrap();
    drag_on_pad(&k, (0.2, 0.2), (0.3, 0.3), (0.45, 0.45));
    k.wd.wait_until(
        "the zoom factor to read 5.1x",
        Duration::from_secs(10),
        |wd| {
            let el = wd.wait_for("[data-testid=zoom-factor]", Duration::from_secs(5))?;
            Ok(wd.text(&el)? == "5.1x")
        },
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while grab(&k.xvfb, BENCH).changed_fraction(&before) < 0.2 {
        assert!(Instant::now() < deadline, "BENCH did not zoom into the box");
        std::thread::sleep(Duration::from_millis(100));
    }
    k.shot("05b2-still-zoomed-to-box");

    // The witness statement JS/7 (a no_public PDF) on BENCH: page 1 by its page mark; "Page ▶"
    // shows the plan (page 2, landscape) and the surface says so; the page strip's "1" and "Fit
    // width" show page 1 at its full width. PUBLIC stays black throughout.
    let a4 = (595.0, 842.0);
    tap(&k, "[data-testid=exhibit][data-ref='JS/7']", &mut extra);
    tap(&k, "[data-testid=present]", &mut extra);
    k.wait_tile("bench", "live");
    let wait_page = |what: &str, page: u32, size: (f64, f64), fit: bool| {
        k.wd.wait_until(what, Duration::from_secs(20), |wd| {
            let el = wd.wait_for("[data-testid=page-number]", Duration::from_secs(5))?;
            Ok(
                wd.attribute(&el, "data-page")?.as_deref() == Some(&page.to_string())
                    && mark_on(&k.xvfb, BENCH, size, fit) == page,
            )
        })
        .unwrap();
    };
    wait_page("page 1 of the statement on BENCH", 1, a4, false);
    // The page strip shows each page's picture (made by playout, one small JPEG per page).
    k.wd.wait_until(
        "pictures in the page strip",
        Duration::from_secs(20),
        |wd| {
            Ok(wd
                .find_all("[data-testid=page-strip] [data-testid=page-thumb]")?
                .len()
                == 3)
        },
    )
    .unwrap();
    tap(&k, "[data-testid=page-next]", &mut extra);
    wait_page("the plan (page 2) on BENCH", 2, (842.0, 595.0), false);
    k.wait_black(PUBLIC);
    k.shot("05c-document-page-2");
    tap(&k, "[data-testid=page-1]", &mut extra);
    tap(&k, "[data-testid=fit-width]", &mut extra);
    wait_page("page 1 at its full width on BENCH", 1, a4, true);
    k.wait_black(PUBLIC);
    k.shot("05d-document-fit-width");

    // The telestrator from the surface: the arrow tool, a stroke dragged across the middle of the
    // draw pad (pointer events, as a finger makes them): BENCH shows a red arrow, PUBLIC stays
    // black; "Clear marks" takes it off.
    let red_on_bench = |k: &Kiosk| {
        grab(&k.xvfb, BENCH)
            .data
            .chunks_exact(3)
            .filter(|p| p[0] > 150 && p[1] < 120 && p[2] < 120 && p[0] - p[1].max(p[2]) > 80)
            .count()
    };
    let before = red_on_bench(&k);
    k.tools("marks", &mut extra);
    tap(&k, "[data-testid=tool-arrow]", &mut extra);
    k.wd.wait_for("[data-testid=draw-pad]", Duration::from_secs(5))
        .unwrap();
    drag_on_pad(&k, (0.35, 0.6), (0.5, 0.6), (0.65, 0.6));
    k.wd.wait_until("a red arrow on BENCH", Duration::from_secs(20), |_| {
        Ok(red_on_bench(&k) > before + 50)
    })
    .unwrap();
    k.wait_black(PUBLIC);
    k.shot("05e-document-annotated");

    // "Keep as exhibit": the marked page becomes JS/9 in the list (the case's next reference), a still of its own that shows
    // the arrow when presented, and the custody log names what it was made of.
    tap(&k, "[data-testid=keep-marked]", &mut extra);
    k.wd.wait_for(
        "[data-testid=exhibit][data-ref='JS/9']",
        Duration::from_secs(20),
    )
    .unwrap();
    tap(&k, "[data-testid=clear-strokes]", &mut extra);
    k.wd.wait_until("the arrow gone from BENCH", Duration::from_secs(20), |_| {
        Ok(red_on_bench(&k) <= before)
    })
    .unwrap();
    tap(&k, "[data-testid=exhibit][data-ref='JS/9']", &mut extra);
    tap(&k, "[data-testid=present]", &mut extra);
    k.wd.wait_until(
        "the kept still (with its arrow) on BENCH",
        Duration::from_secs(20),
        |_| Ok(red_on_bench(&k) > before + 50),
    )
    .unwrap();
    k.wait_black(PUBLIC);
    k.shot("05f-marked-page-kept");
    let log_path = k._home.path().join(".local/state/courtdeck/audit.jsonl");
    // Everything the app recorded so far is a typed custody event.
    let typed = courtdeck_audit::read_events(&log_path).unwrap();
    assert!(typed.iter().any(|l| matches!(
        &l.event,
        courtdeck_audit::CustodyEvent::ExhibitDerived { source, .. } if source.exhibit == "JS/7"
    )));
    let log = std::fs::read_to_string(&log_path).unwrap();
    let derived: serde_json::Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["event"] == "exhibit_derived")
        .expect("an exhibit_derived record")["fields"]
        .clone();
    let drawn = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["event"] == "annotation_drawn")
        .expect("an annotation_drawn record")["fields"]
        .clone();
    println!("custody: {drawn}\ncustody: {derived}");
    assert_eq!(derived["exhibit"], "JS/9", "{derived}");
    assert_eq!(derived["source"]["exhibit"], "JS/7", "{derived}");
    assert_eq!(derived["source"]["page"], 1, "{derived}");
    assert_eq!(
        derived["restriction"], "no_public",
        "a marked no_public page stays no_public"
    );
    assert_eq!(drawn["strokes"][0]["tool"], "arrow", "{drawn}");

    // The webview cannot call anything outside its capability set.
    let outside =
        k.wd.execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('plugin:fs|read_text_file', { path: '/etc/passwd' })
               .then(() => done('allowed'), (e) => done(String(e)));",
        )
        .unwrap();
    assert_ne!(outside.as_str(), Some("allowed"), "{outside}");
    println!("fs plugin call refused: {outside}");

    // The clerk's Setup view in the real app: with nothing on air, the checks run; every window's
    // test card is read back from its pixels and the tone reaches the level meter.
    let mut setup_taps = 0;
    tap(&k, "[data-testid=withdraw]", &mut setup_taps);
    k.wait_tile("bench", "black");
    tap(&k, "[data-testid=back-to-list]", &mut setup_taps);
    tap(&k, "[data-testid=open-setup]", &mut setup_taps);
    tap(&k, "[data-testid=run-checks]", &mut setup_taps);
    // The identify card is up for the first three seconds: BENCH, black before, lights up.
    k.wait_still(BENCH);
    k.shot("06-identify-card");
    k.wd.wait_for("[data-testid=checks-overall]", Duration::from_secs(120))
        .unwrap();
    let status = |id: &str| {
        let el =
            k.wd.wait_for(
                &format!("[data-testid=check][data-id='{id}']"),
                Duration::from_secs(5),
            )
            .unwrap();
        k.wd.attribute(&el, "data-status")
            .unwrap()
            .unwrap_or_default()
    };
    for id in [
        "screens",
        "identify",
        "test_card",
        "test_tone",
        "store",
        "plugins",
    ] {
        assert_eq!(status(id), "pass", "setup check {id}");
    }
    let overall = k.wd.find_all("[data-testid=checks-overall]").unwrap();
    println!("setup view: {}", k.wd.text(&overall[0]).unwrap_or_default());
    k.shot("07-setup-checks");
    save_manifest(&k.shots);
    println!(
        "RELIABILITY|custody|usher_launches_advocate_presents_blanks_and_restricted_stays_off_public|restricted exhibit in the real app: PUBLIC toggle disabled, forged IPC present refused, PUBLIC pixels stay dark; a command outside the capability set refused|{}",
        3
    );
}
