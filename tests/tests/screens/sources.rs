//! `courtdeck sources`: the live sources of `[[source]]` as the clerk sees them, their passphrases
//! in a real gnome-keyring, and `--check` with ffmpeg casting to one of them (a sender nobody here
//! wrote): it has a signal and its picture's size; one without a passphrase is not opened; a capture
//! device that is not plugged in is named (no V4L2 device exists on these machines).

use std::process::Stdio;

use courtdeck_testkit::servers::SecretService;
use courtdeck_testkit::srt_client::free_udp_port;
use courtdeck_testkit::srt_sender::{PASSPHRASE, ffmpeg_sender, wait_udp_listening};
use serde_json::Value;

#[test]
fn the_clerk_lists_keys_and_checks_the_live_sources() {
    let dir = courtdeck_testkit::work_dir();
    let (laptop, other) = (free_udp_port(), free_udp_port());
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[[source]]\nid = \"defence-laptop\"\nlabel = \"Defence laptop\"\nkind = \"stream\"\n\
             listen = \"127.0.0.1:{laptop}\"\n\
             [[source]]\nid = \"crown-laptop\"\nlabel = \"Crown laptop\"\nkind = \"stream\"\n\
             listen = \"127.0.0.1:{other}\"\n\
             [[source]]\nid = \"visualiser\"\nlabel = \"Visualiser\"\nkind = \"capture\"\n\
             device = \"usb:046d:0825\"\nrestriction = \"open\"\n"
        ),
    )
    .unwrap();
    let keyring = SecretService::start().unwrap();
    let cli = |args: &[&str], stdin: &str| {
        let mut c = courtdeck_testkit::kiosk::courtdeck_cli(dir.path());
        c.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
            .env("HOME", keyring.home())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child
    };
    let finish = |child: std::process::Child| {
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // The list: what is configured, with its restriction's default.
    let (ok, text, err) = finish(cli(&["sources", "--json"], ""));
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3, "{list:#}");
    assert_eq!(list[0]["kind"], "stream");
    assert_eq!(list[0]["restriction"], "no_public");
    assert_eq!(list[2]["kind"], "capture");

    // A passphrase SRT would refuse is refused here; the court's is kept in the keyring.
    let (ok, _, err) = finish(cli(&["sources", "passphrase", "defence-laptop"], "short\n"));
    assert!(!ok);
    assert!(err.contains("10 to 64"), "{err}");
    let (ok, text, err) = finish(cli(
        &["sources", "passphrase", "defence-laptop"],
        &format!("{PASSPHRASE}\n"),
    ));
    assert!(ok, "{err}");
    assert!(
        !text.contains(PASSPHRASE),
        "a typed passphrase is not printed back"
    );
    let audit = std::fs::read_to_string(dir.path().join("state/courtdeck/audit.jsonl")).unwrap();
    assert!(audit.contains("source:defence-laptop") && audit.contains("srt_passphrase"));
    assert!(!audit.contains(PASSPHRASE));

    // The check: the laptop calls once its listener is up.
    let check = cli(&["sources", "--check", "--json", "--wait", "20"], "");
    wait_udp_listening(laptop).unwrap();
    let sender = ffmpeg_sender(laptop, "red", Some(PASSPHRASE)).unwrap();
    let (ok, text, err) = finish(check);
    assert!(ok, "{err}");
    let checks: Value = serde_json::from_str(&text).unwrap();
    println!("{checks:#}");
    let by_id = |id: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let defence = by_id("defence-laptop");
    assert_eq!(defence["signal"], true, "{defence:#}");
    assert_eq!(
        (defence["width"].as_u64(), defence["height"].as_u64()),
        (Some(640), Some(360))
    );
    let crown = by_id("crown-laptop");
    assert_eq!(crown["signal"], false);
    assert!(
        crown["problem"]
            .as_str()
            .unwrap()
            .contains("courtdeck sources passphrase crown-laptop"),
        "{crown:#}"
    );
    let visualiser = by_id("visualiser");
    assert_eq!(visualiser["signal"], false);
    assert!(
        visualiser["problem"]
            .as_str()
            .unwrap()
            .contains("is not plugged in"),
        "{visualiser:#}"
    );
    // The clerk's setup checks name each source; with no laptop casting now, a warning that says so.
    drop(sender);
    let (_, text, err) = finish(cli(&["check", "--json", "--only", "sources"], ""));
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}{err}"));
    let item = |id: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {report:#}"))
            .clone()
    };
    let defence = item("source:defence-laptop");
    assert_eq!(defence["status"], "warn", "{defence:#}");
    assert!(
        defence["detail"]
            .as_str()
            .unwrap()
            .contains("no laptop called"),
        "{defence:#}"
    );
    assert_eq!(item("source:visualiser")["status"], "warn");
    println!(
        "RELIABILITY|setup checks|the_clerk_lists_keys_and_checks_the_live_sources|courtdeck sources: listed, a passphrase kept in gnome-keyring (a short one refused), --check with ffmpeg casting over SRT: signal and 640x360; no passphrase and a capture device named; the setup check warns of each source with no picture|{}",
        1
    );
}
