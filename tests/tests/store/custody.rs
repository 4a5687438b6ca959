//! Custody through the real `courtdeck` binary: signed manifests (keygen, bundle --sign, a kiosk that
//! trusts the key refuses unsigned, altered and foreign-signed manifests), and the audit export of a
//! real run (CSV and HTML), which says when the log's hash chain was broken.

use std::path::{Path, PathBuf};

const COURT: &str = "custody-court";

use courtdeck_testkit::kiosk::{courtdeck_cli as courtdeck, run_cli as run};

/// A media folder with one file and a case.toml listing it today.
fn media(dir: &Path, case: &str, title: &str) -> PathBuf {
    let m = dir.join(format!("media-{case}"));
    std::fs::create_dir_all(&m).unwrap();
    // A real picture (bundle probes what it publishes), one of its own per case.
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,width=320,height=240 ! textoverlay text=\"{case}\" ! \
         videoconvert ! jpegenc ! filesink location=\"{}\"",
        m.join("photo.jpg").display()
    ))
    .unwrap();
    std::fs::write(
        m.join("case.toml"),
        format!(
            r#"case_id = "{case}"
title = "{title}"
[listing]
court = "{COURT}"
court_name = "Custody Court"
date = "{date}"
time = "10:00"
hearing_type = "Trial"
[[exhibit]]
reference = "CU/1"
title = "Photo"
file = "photo.jpg"
kind = "image"
"#,
            date = courtdeck_api::today()
        ),
    )
    .unwrap();
    m
}

#[test]
fn a_kiosk_that_trusts_a_publisher_refuses_every_other_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store");
    let key = d.join("publisher.key");
    let other_key = d.join("other.key");

    let mut c = courtdeck(d);
    c.args(["keygen", "--out"]).arg(&key);
    let (ok, out) = run(c);
    assert!(ok, "{out}");
    let public = out.lines().last().unwrap().trim().to_owned();
    assert_eq!(public.len(), 44, "{out}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let mut c = courtdeck(d);
    c.args(["keygen", "--out"]).arg(&key);
    assert!(!run(c).0, "keygen never overwrites a key");
    let mut c = courtdeck(d);
    c.args(["keygen", "--out"]).arg(&other_key);
    assert!(run(c).0);

    let publish = |case: &str, title: &str, sign: Option<&Path>| {
        let mut c = courtdeck(d);
        c.args(["bundle", "--store"])
            .arg(&store)
            .arg("--media")
            .arg(media(d, case, title));
        if let Some(k) = sign {
            c.arg("--sign").arg(k);
        }
        let (ok, out) = run(c);
        assert!(ok, "{out}");
    };
    publish("SIGNED-1", "R v S", Some(&key));
    publish("UNSIGNED-1", "R v U", None);
    publish("FOREIGN-1", "R v F", Some(&other_key));
    publish("ALTERED-1", "R v A", Some(&key));
    // Publishing is in the publisher's own custody log: which case, signed or not, every blob's hash.
    let log = courtdeck_testkit::files_under(&d.join("state"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("the publisher's custody log");
    let published: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["event"] == "case_published")
        .collect();
    assert_eq!(published.len(), 4, "{published:?}");
    assert_eq!(published[0]["fields"]["case"], "SIGNED-1");
    assert_eq!(published[0]["fields"]["signed"], true);
    assert_eq!(published[1]["fields"]["signed"], false);
    assert_eq!(
        published[0]["fields"]["exhibits"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(courtdeck_audit::verify(&log).is_ok(), "its chain verifies");
    // Change the altered case's manifest after signing: one character of its title.
    let manifest = store.join("cases/ALTERED-1/manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("R v A", "R v B")).unwrap();

    std::fs::write(
        d.join("config.toml"),
        format!(
            "court = \"{COURT}\"\ncache_dir = {:?}\naudit_file = {:?}\nstore = {{ kind = \"dir\", path = {:?} }}\n[trust]\npublisher_keys = [\"{public}\"]\n",
            d.join("cache").display().to_string(),
            d.join("audit.jsonl").display().to_string(),
            store.display().to_string(),
        ),
    )
    .unwrap();
    let mut c = courtdeck(d);
    c.arg("fetch");
    let (ok, out) = run(c);
    println!("{out}");
    assert!(!ok, "three manifests must be refused: {out}");
    let line = |case: &str| {
        out.lines()
            .skip_while(|l| !l.starts_with(case))
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(line("SIGNED-1").contains("1/1 exhibits verified"), "{out}");
    assert!(line("UNSIGNED-1").contains("it is not signed"), "{out}");
    assert!(
        line("FOREIGN-1").contains("not a trusted publisher key"),
        "{out}"
    );
    assert!(
        line("ALTERED-1").contains("changed after it was signed"),
        "{out}"
    );
    assert!(out.contains("[invalid_manifest]"), "{out}");

    // A key that is not a key is a config error, said as such.
    std::fs::write(
        d.join("config.toml"),
        "[trust]\npublisher_keys = [\"bm90LWEta2V5\"]\n",
    )
    .unwrap();
    let mut c = courtdeck(d);
    c.arg("list");
    let (ok, out) = run(c);
    assert!(
        !ok && out.contains("[trust]") && out.contains("config_invalid"),
        "{out}"
    );
    println!(
        "RELIABILITY|custody|a_kiosk_that_trusts_a_publisher_refuses_every_other_manifest|manifests unsigned, signed by an untrusted key, altered after signing; an invalid trust key|{}",
        4
    );
}

/// A real run through the facade (demo store, headless playout), then `courtdeck audit export` and
/// `courtdeck audit verify` on its log, before and after a one-byte edit.
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_of_a_real_hearing_exports_and_catches_a_one_byte_edit() {
    use courtdeck_api::config::{AudioConfig, StoreConfig};
    use courtdeck_api::{Config, Courtdeck};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store");
    let media = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(&store, &media, courtdeck_api::today()).unwrap();
    let audit = d.join("audit.jsonl");
    let screen = courtdeck_testkit::kiosk::headless_screen;
    let config = Config {
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(d.join("cache")),
        audit_file: Some(audit.clone()),
        screens: vec![screen("bench", "bench"), screen("public", "public_gallery")],
        audio: AudioConfig {
            sink: "fakesink sync=true".into(),
        },
        ..Config::default()
    };
    let deck = Courtdeck::open(config).await.unwrap();
    deck.launch("JS-2026-0142").await.unwrap();
    deck.select("JS/1").await.unwrap();
    deck.present(&["bench".into(), "public".into()])
        .await
        .unwrap();
    deck.blank("public", true).await.unwrap();
    deck.select("JS/3").await.unwrap();
    assert!(deck.present(&["public".into()]).await.is_err());
    deck.blank_all().await.unwrap();
    deck.shutdown().await;
    drop(deck);

    let out_dir = d.join("export");
    let export = |expect_ok: bool| {
        let mut c = courtdeck(d);
        c.args(["audit", "export", "--case", "JS-2026-0142", "--file"])
            .arg(&audit)
            .arg("--out")
            .arg(&out_dir);
        let (ok, out) = run(c);
        assert_eq!(ok, expect_ok, "{out}");
        (
            std::fs::read_to_string(out_dir.join("audit-JS-2026-0142.csv")).unwrap(),
            std::fs::read_to_string(out_dir.join("audit-JS-2026-0142.html")).unwrap(),
        )
    };
    let (csv, html) = export(true);
    println!("{csv}");
    for event in [
        "hearing_launched",
        "fetch_started",
        "fetch_verified",
        "exhibit_presented",
        "screen_blanked",
        "route_refused",
        "blank_all",
    ] {
        assert!(
            csv.contains(&format!(",{event},")),
            "{event} missing:\n{csv}"
        );
        assert!(
            html.contains(&format!("<td>{event}</td>")),
            "{event} missing in HTML"
        );
    }
    assert!(csv.starts_with("# Courtdeck audit export for case JS-2026-0142; hash chain verified"));
    assert!(
        csv.contains("bench (bench) public (public_gallery)"),
        "the screens of the presentation, with their roles:\n{csv}"
    );
    assert!(
        !csv.contains("KM-2026-0077"),
        "another case's records stay out"
    );

    // One byte changed in the middle of the log: verify names the line; the export says it broke.
    let text = std::fs::read(&audit).unwrap();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let target = lines.len() / 2;
    let offset: usize = lines[..target].iter().map(|l| l.len() + 1).sum::<usize>() + 10;
    let mut edited = text.clone();
    edited[offset] = if edited[offset] == b'1' { b'2' } else { b'1' };
    std::fs::write(&audit, &edited).unwrap();
    let mut c = courtdeck(d);
    c.args(["audit", "verify"]).arg(&audit);
    let (ok, out) = run(c);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("line {}", target + 1)), "{out}");
    let (csv, html) = export(false);
    assert!(
        csv.contains(&format!("HASH CHAIN BROKEN at line {}", target + 1)),
        "{csv}"
    );
    assert!(html.contains("class=\"bad\""));
    println!(
        "RELIABILITY|custody|the_audit_of_a_real_hearing_exports_and_catches_a_one_byte_edit|a one-byte edit in the audit log of a real hearing: verify names the line, the export says the chain broke|{}",
        1
    );
}
