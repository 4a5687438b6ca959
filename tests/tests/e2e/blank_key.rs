//! The keys a courtroom presses, in the real app, as real key events:
//! - the hardware blank key: with the app's process stopped (SIGSTOP, a frozen surface), a pedal's
//!   F12 typed through XTEST blanks every screen by the playout process's own grab, read back from
//!   the monitors' pixels; once the app runs again its tiles say blank and its custody log has
//!   `blank_key`;
//! - a presenter's clicker (WebDriver key actions): "." shows the screens again when all are blank
//!   and blanks them otherwise; Page Down pauses a playing recording, then steps it a frame; Page
//!   Down / Page Up turn a document's pages; "?" shows the keys and Escape hides them.

use std::path::Path;
use std::time::Duration;

use crate::kiosk::{BENCH, PUBLIC, start_kiosk, tap};
use courtdeck_testkit::target_dir;
use rustix::process::{Pid, Signal, kill_process};

/// The pid of the app this test started (the only `courtdeck-app` running: the e2e tests run one
/// at a time).
fn app_pid() -> Pid {
    let app = target_dir().join("courtdeck-app");
    let app = std::fs::canonicalize(&app).unwrap_or(app);
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app))
        .and_then(Pid::from_raw)
        .expect("the app's process")
}

/// Resumes a stopped process when dropped: a failed assertion must not leave the app stopped.
struct Stopped(Pid);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = kill_process(self.0, Signal::CONT);
    }
}

#[test]
fn the_blank_key_blanks_while_the_app_is_stopped_and_a_clicker_drives_the_surface() {
    let k = start_kiosk();
    let mut taps = 0;
    k.launch_demo_hearing(&mut taps);
    k.present("JS/1", &mut taps);
    k.wait_tile("bench", "live");
    k.wait_tile("public", "live");
    tap(&k, "[data-testid=play-pause]", &mut taps);
    k.wait_moving(BENCH);
    k.wait_moving(PUBLIC);

    // The surface frozen: the app stopped. The pedal still blanks, by playout alone.
    let stopped = Stopped(app_pid());
    kill_process(stopped.0, Signal::STOP).unwrap();
    const F12: u32 = 0xffc9;
    k.xvfb.press_key(F12).unwrap();
    k.wait_black(BENCH);
    k.wait_black(PUBLIC);
    drop(stopped);

    // Running again, the app has heard: its tiles say blank, its record says who blanked.
    k.wait_tile("bench", "blank");
    k.wait_tile("public", "blank");
    k.wd.wait_until(
        "BENCH's toggle to offer Unblank",
        Duration::from_secs(10),
        |wd| {
            let b = wd.wait_for(
                "[data-testid=blank-toggle][data-screen=bench]",
                Duration::from_secs(5),
            )?;
            Ok(wd.text(&b)? == "Unblank")
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    k.shot("12-blank-key");
    let log_path = k._home.path().join(".local/state/courtdeck/audit.jsonl");
    let records = wait_for_record(&log_path);
    assert!(
        records.iter().any(|l| matches!(
            &l.event,
            courtdeck_audit::CustodyEvent::BlankKey { key } if key == "F12"
        )),
        "no blank_key record"
    );

    // A clicker's "." with every screen blank shows them again; again, it blanks them all.
    const PAGE_DOWN: &str = "\u{E00F}";
    const PAGE_UP: &str = "\u{E00E}";
    k.wd.press(".").unwrap();
    k.wait_tile("bench", "live");
    k.wait_tile("public", "live");
    k.wait_moving(BENCH);
    k.wd.press(".").unwrap();
    k.wait_tile("bench", "blank");
    k.wait_tile("public", "blank");
    k.wait_black(BENCH);
    k.wd.press(".").unwrap();
    k.wait_tile("bench", "live");

    // Page Down on the playing recording pauses it; on the paused one it steps a frame.
    k.wd.press(PAGE_DOWN).unwrap();
    k.wd.wait_until("paused by Page Down", Duration::from_secs(10), |wd| {
        let b = wd.wait_for("[data-testid=play-pause]", Duration::from_secs(5))?;
        Ok(wd.text(&b)?.contains("Play"))
    })
    .unwrap();
    let held = k.wait_still(BENCH);
    k.wd.press(PAGE_DOWN).unwrap();
    k.wd.wait_until(
        "a frame stepped by Page Down",
        Duration::from_secs(10),
        |_| Ok(held.changed_fraction(&crate::kiosk::grab(&k.xvfb, BENCH)) > 0.0),
    )
    .unwrap();

    // "?" lists the keys; Escape puts them away.
    k.wd.press("?").unwrap();
    let help =
        k.wd.wait_for("[data-testid=help]", Duration::from_secs(5))
            .unwrap();
    assert!(k.wd.text(&help).unwrap().contains("Page Down"));
    std::thread::sleep(Duration::from_millis(1500));
    k.shot("12b-keys-help");
    k.wd.press("\u{E00C}").unwrap();
    k.wd.wait_until("the keys put away", Duration::from_secs(5), |wd| {
        Ok(wd.find_all("[data-testid=help]")?.is_empty())
    })
    .unwrap();

    // The statement (JS/7, three pages) on BENCH: Page Down, page 2; Page Up, page 1.
    k.present("JS/7", &mut taps);
    let page_is = |what: &str, page: &str| {
        k.wd.wait_until(what, Duration::from_secs(20), |wd| {
            let el = wd.wait_for("[data-testid=page-number]", Duration::from_secs(5))?;
            Ok(wd.attribute(&el, "data-page")?.as_deref() == Some(page))
        })
        .unwrap();
    };
    page_is("the statement on air at page 1", "1");
    k.wd.press(PAGE_DOWN).unwrap();
    page_is("page 2 after Page Down", "2");
    k.wd.press(PAGE_UP).unwrap();
    page_is("page 1 after Page Up", "1");
    println!(
        "RELIABILITY|screens|the_blank_key_blanks_while_the_app_is_stopped_and_a_clicker_drives_the_surface|the hardware blank key (F12 through XTEST) blanks BENCH and PUBLIC while the app is SIGSTOPped, tiles and custody follow; a clicker's ., Page Down/Up and ? as real key events|{}",
        3
    );
}

/// The custody log's records once one says `blank_key` (the app writes it when it runs again).
fn wait_for_record(path: &Path) -> Vec<courtdeck_audit::Logged> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let records = courtdeck_audit::read_events(path).unwrap();
        if records
            .iter()
            .any(|l| matches!(l.event, courtdeck_audit::CustodyEvent::BlankKey { .. }))
            || std::time::Instant::now() > deadline
        {
            return records;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
