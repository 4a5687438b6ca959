//! A laptop on the courtroom's screens from the real surface: the clerk keeps the source's SRT
//! passphrase in a real gnome-keyring (the CLI), the app reads it there, ffmpeg casts (a sender
//! nobody here wrote), the advocate taps the LIVE item and Present, and the monitors' pixels say what
//! the surface claims: the laptop's picture on BENCH only (it is `no_public`), then the "No signal"
//! slate when the laptop stops, then black after Withdraw.

use std::process::Stdio;
use std::time::Duration;

use courtdeck_engine::engine::SLATE_NO_SIGNAL_ARGB;
use courtdeck_testkit::servers::SecretService;
use courtdeck_testkit::srt_client::free_udp_port;
use courtdeck_testkit::srt_sender::{PASSPHRASE, ffmpeg_sender, wait_udp_listening};

use crate::kiosk::{BENCH, CONTROL, PUBLIC, start_kiosk_with, tap};

const SOURCE: &str = "[data-testid=live-source][data-source='live:defence-laptop']";

fn close(a: (u8, u8, u8), b: (u8, u8, u8), by: u8) -> bool {
    a.0.abs_diff(b.0) <= by && a.1.abs_diff(b.1) <= by && a.2.abs_diff(b.2) <= by
}

#[test]
fn an_advocate_presents_a_laptop_from_the_surface_and_sees_its_no_signal_slate() {
    let keyring = SecretService::start().unwrap();
    let port = free_udp_port();
    let source = format!(
        "[[source]]\nid = \"defence-laptop\"\nlabel = \"Defence laptop\"\nkind = \"stream\"\n\
         listen = \"127.0.0.1:{port}\"\n"
    );
    // The clerk keeps the laptop's passphrase in the session's keyring, as on the kiosk.
    let clerk = courtdeck_testkit::work_dir();
    std::fs::write(clerk.path().join("config.toml"), &source).unwrap();
    let mut cli = courtdeck_testkit::kiosk::courtdeck_cli(clerk.path())
        .args(["sources", "passphrase", "defence-laptop"])
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = cli.stdin.take().unwrap();
        stdin
            .write_all(format!("{PASSPHRASE}\n").as_bytes())
            .unwrap();
    }
    let out = cli.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bus = std::path::PathBuf::from(&keyring.address);
    let k = start_kiosk_with(
        courtdeck_testkit::work_dir(),
        1920,
        800,
        &[CONTROL, BENCH, PUBLIC],
        "",
        &source,
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
    );
    let mut taps = 0;
    k.launch_demo_hearing(&mut taps);
    let el = k.wd.wait_for(SOURCE, Duration::from_secs(10)).unwrap();
    assert_eq!(
        k.wd.attribute(&el, "data-signal").unwrap().as_deref(),
        Some("closed"),
        "no listener before the advocate opens it"
    );

    // Tapped: it listens; the laptop calls; the item says it has a picture.
    tap(&k, SOURCE, &mut taps);
    wait_udp_listening(port).unwrap();
    let mut laptop = ffmpeg_sender(port, "red", Some(PASSPHRASE)).unwrap();
    k.wd.wait_until("the laptop's signal", Duration::from_secs(30), |wd| {
        let el = wd.wait_for(SOURCE, Duration::from_secs(10))?;
        Ok(wd.attribute(&el, "data-signal")?.as_deref() == Some("yes"))
    })
    .unwrap();
    k.wd.wait_for("[data-testid=live-warning]", Duration::from_secs(10))
        .unwrap();
    // PUBLIC is not offered: the source is no_public.
    let public =
        k.wd.wait_for(
            "[data-testid=target][data-screen=public]",
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(
        k.wd.attribute(&public, "disabled").unwrap().is_some(),
        "PUBLIC may not be ticked for a no_public source"
    );
    tap(&k, "[data-testid=present]", &mut taps);
    k.wait_tile("bench", "live");
    k.wd.wait_for(
        "[data-testid=tile-live][data-screen=bench]",
        Duration::from_secs(10),
    )
    .unwrap();
    k.wd.wait_until("BENCH to show the laptop", Duration::from_secs(30), |_| {
        Ok(close(k.xvfb.corner(BENCH), (254, 0, 0), 30))
    })
    .unwrap();
    k.wait_black(PUBLIC);
    k.shot("11-live-on-air");
    // Everything for it on one screen; held, its marks and zoom too.
    crate::layout::fits(&k, CONTROL.w, CONTROL.h, "a laptop on air");
    tap(&k, "[data-testid=hold]", &mut taps);
    k.tools("marks", &mut taps);
    crate::layout::fits(&k, CONTROL.w, CONTROL.h, "a laptop's frame held, marks");
    k.tools("zoom", &mut taps);
    crate::layout::fits(&k, CONTROL.w, CONTROL.h, "a laptop's frame held, zoom");
    tap(&k, "[data-testid=hold][aria-pressed=true]", &mut taps);
    k.wd.wait_for(
        "[data-testid=hold][aria-pressed=false]",
        Duration::from_secs(10),
    )
    .unwrap();

    // The laptop stops: BENCH says so at once, and the surface says what to check.
    laptop.stop();
    k.wait_tile("bench", "no_signal");
    let want = (
        (SLATE_NO_SIGNAL_ARGB >> 16) as u8,
        (SLATE_NO_SIGNAL_ARGB >> 8) as u8,
        SLATE_NO_SIGNAL_ARGB as u8,
    );
    k.wd.wait_until("BENCH's no-signal slate", Duration::from_secs(10), |_| {
        Ok(close(k.xvfb.corner(BENCH), want, 10))
    })
    .unwrap();
    let problem =
        k.wd.wait_for("[data-testid=live-problem]", Duration::from_secs(10))
            .unwrap();
    let words = k.wd.text(&problem).unwrap();
    assert!(words.contains(&format!("port {port}")), "{words}");
    k.wait_black(PUBLIC);
    k.shot("11b-live-no-signal");

    // Withdraw: the screens go black.
    tap(&k, "[data-testid=withdraw]", &mut taps);
    k.wait_black(BENCH);
    println!(
        "RELIABILITY|e2e|an_advocate_presents_a_laptop_from_the_surface_and_sees_its_no_signal_slate|the real app: a LIVE source presented from the surface with ffmpeg casting and a gnome-keyring passphrase, its picture on BENCH only, the no-signal slate, Withdraw|1"
    );
}
