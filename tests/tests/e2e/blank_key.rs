//! The hardware blank key in the real app: with the app's process stopped (SIGSTOP, a frozen
//! surface), a pedal's F12 typed through XTEST blanks every screen by the playout process's own grab,
//! read back from the monitors' pixels; once the app runs again its tiles say blank and its custody
//! log has `blank_key`.

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
fn the_blank_key_blanks_every_screen_while_the_app_is_stopped() {
    let k = start_kiosk();
    k.wd.wait_for(
        "[data-testid=hearing-card][data-case=JS-2026-0142] [data-testid=launch]",
        Duration::from_secs(180),
    )
    .unwrap();
    let mut taps = 0;
    tap(
        &k,
        "[data-testid=hearing-card][data-case=JS-2026-0142] [data-testid=launch]",
        &mut taps,
    );
    k.wd.wait_for(
        "[data-testid=exhibit][data-ref='JS/1']",
        Duration::from_secs(120),
    )
    .unwrap();
    tap(&k, "[data-testid=exhibit][data-ref='JS/1']", &mut taps);
    k.wd.wait_until("the cue to be ready", Duration::from_secs(30), |wd| {
        let b = wd.wait_for("[data-testid=present]", Duration::from_secs(10))?;
        Ok(wd.text(&b)? == "Present")
    })
    .unwrap();
    tap(&k, "[data-testid=present]", &mut taps);
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
    k.shot("blank-key");
    let log_path = k._home.path().join(".local/state/courtdeck/audit.jsonl");
    let records = wait_for_record(&log_path);
    assert!(
        records.iter().any(|l| matches!(
            &l.event,
            courtdeck_audit::CustodyEvent::BlankKey { key } if key == "F12"
        )),
        "no blank_key record"
    );
    println!(
        "RELIABILITY|screens|the_blank_key_blanks_every_screen_while_the_app_is_stopped|the hardware blank key (F12 through XTEST) blanks BENCH and PUBLIC while the app is SIGSTOPped; tiles and custody follow|{}",
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
