//! `courtdeck probe` and `courtdeck play --headless` through the real binary, on media ffmpeg wrote:
//! the kind comes from the streams found (not the file's name), the size is the size shown (after a
//! track's rotation matrix, EXIF orientation and pixel aspect), a file that is not media says what
//! it is, and the play report carries the warnings the court would have seen.

use std::path::{Path, PathBuf};
use std::process::Command;

fn courtdeck(dir: &Path) -> Command {
    std::fs::write(
        dir.join("config.toml"),
        "[audio]\nsink = \"fakesink sync=true\"\n",
    )
    .unwrap();
    courtdeck_testkit::kiosk::courtdeck_cli(dir)
}

fn json(mut c: Command) -> (bool, serde_json::Value) {
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), value)
}

fn corpus() -> Vec<courtdeck_testdata::corpus::CorpusFile> {
    courtdeck_testdata::corpus::ffmpeg_corpus(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ffmpeg-corpus"),
    )
    .unwrap()
}

/// A file, and what probe must say of it: kind, width, height, rotation, plays, error code.
type Case = (
    &'static str,
    Option<&'static str>,
    Option<u64>,
    Option<u64>,
    u64,
    bool,
    Option<&'static str>,
);

#[test]
fn probe_says_what_a_kiosk_will_show() {
    let files = corpus();
    let path = |name: &str| files.iter().find(|f| f.name == name).unwrap().path.clone();
    let dir = tempfile::tempdir().unwrap();
    let cases: [Case; 6] = [
        // 320x240 stored, the track matrix turns it: 240x320 upright.
        (
            "phone-hevc-rotated.mov",
            Some("video"),
            Some(240),
            Some(320),
            90,
            true,
            None,
        ),
        // 640x480 stored, EXIF orientation 6: 480x640.
        (
            "portrait-exif6.jpg",
            Some("image"),
            Some(480),
            Some(640),
            90,
            true,
            None,
        ),
        // Named .3gp, holds only sound.
        ("voice-memo.3gp", Some("audio"), None, None, 0, true, None),
        ("camcorder-dv.avi", Some("video"), None, None, 0, true, None),
        (
            "web-page.mp4",
            None,
            None,
            None,
            0,
            false,
            Some("not_media"),
        ),
        (
            "bomb-30000x30000.png",
            Some("image"),
            Some(30000),
            Some(30000),
            0,
            false,
            Some("media_too_large"),
        ),
    ];
    let mut checked = 0;
    for (name, kind, width, height, rotation, plays, code) in cases {
        let poster = dir.path().join(format!("{name}.jpg"));
        let mut c = courtdeck(dir.path());
        c.args(["probe", "--json", "--poster"])
            .arg(&poster)
            .arg(path(name));
        let (ok, r) = json(c);
        println!("{name}: {r}");
        assert_eq!(ok, plays, "{name}: exit status");
        assert_eq!(r["plays"], plays, "{name}");
        assert_eq!(r["kind"].as_str(), kind, "{name}: kind");
        if width.is_some() {
            assert_eq!(r["width"].as_u64(), width, "{name}: width");
            assert_eq!(r["height"].as_u64(), height, "{name}: height");
        }
        assert_eq!(r["rotation"].as_u64(), Some(rotation), "{name}: rotation");
        assert_eq!(r["error"]["code"].as_str(), code, "{name}: error");
        if plays && kind != Some("audio") {
            let jpeg = std::fs::read(&poster).unwrap();
            assert!(jpeg.starts_with(&[0xff, 0xd8]), "{name}: poster is a JPEG");
        }
        checked += 1;
    }
    // The DV recording lasts 2 s.
    let mut c = courtdeck(dir.path());
    c.args(["probe", "--json"]).arg(path("camcorder-dv.avi"));
    let (_, r) = json(c);
    let ms = r["duration_ms"].as_u64().unwrap();
    assert!((1900..=2100).contains(&ms), "duration {ms} ms");
    println!(
        "RELIABILITY|media|probe_says_what_a_kiosk_will_show|courtdeck probe on ffmpeg media: rotated HEVC, EXIF portrait, sound-only 3GP, DV, a web page named .mp4, a pixel bomb (kind, size as shown, rotation, plays or the true error, poster)|{checked}"
    );
}

#[test]
fn play_headless_takes_the_kind_from_the_streams_and_reports_warnings() {
    let files = corpus();
    let path = |name: &str| files.iter().find(|f| f.name == name).unwrap().path.clone();
    let dir = tempfile::tempdir().unwrap();
    // A sound-only 3GP: played as audio, so its screens show the slate and it ends.
    let mut c = courtdeck(dir.path());
    c.args(["play", "--headless", "--outputs", "2", "--seconds", "10"])
        .arg(path("voice-memo.3gp"));
    let (ok, r) = json(c);
    println!("voice memo: {r}");
    assert!(ok, "{r}");
    assert_eq!(r["kind"], "audio");
    assert_eq!(r["eos"], true);
    // No sound output: the play passes (the picture is the evidence) and says so in its warnings.
    let config = dir.path().join("nosound.toml");
    std::fs::write(
        &config,
        "[audio]\nsink = \"pulsesink server=unix:/nonexistent/courtdeck-test/pulse\"\n",
    )
    .unwrap();
    let bin = courtdeck_testkit::target_dir().join("courtdeck");
    let mut c = Command::new(bin);
    c.arg("--config")
        .arg(&config)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args(["play", "--headless", "--outputs", "1", "--seconds", "10"])
        .arg(path("hevc-aac.mp4"));
    let (ok, r) = json(c);
    println!("no sound: {r}");
    assert!(ok, "{r}");
    assert_eq!(r["warnings"][0]["code"], "audio_unavailable");
    // A web page named .mp4: not ok, and it says what it is.
    let mut c = courtdeck(dir.path());
    c.args(["play", "--headless", "--seconds", "5"])
        .arg(path("web-page.mp4"));
    let (ok, r) = json(c);
    assert!(!ok);
    assert_eq!(r["errors"][0]["code"], "not_media", "{r}");
    println!(
        "RELIABILITY|media|play_headless_takes_the_kind_from_the_streams_and_reports_warnings|courtdeck play --headless: a sound-only 3GP played as audio to its end, no sound output reported as a warning, a web page named .mp4 refused as not media|3"
    );
}

/// `courtdeck bundle` probes what it publishes: a file declared as the wrong kind, or one that does
/// not play, is refused with the reason and nothing is written; a missing duration is filled in.
#[test]
fn bundle_refuses_what_will_not_play_and_fills_in_durations() {
    let files = corpus();
    let path = |name: &str| files.iter().find(|f| f.name == name).unwrap().path.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let bundle = |file: &str, kind: &str| -> (bool, String) {
        let media = dir.path().join(format!("media-{kind}-{file}"));
        std::fs::create_dir_all(&media).unwrap();
        std::fs::copy(path(file), media.join(file)).unwrap();
        std::fs::write(
            media.join("case.toml"),
            format!(
                "case_id = \"PR-1\"\ntitle = \"R v Probe\"\n[[exhibit]]\nreference = \"PR/1\"\ntitle = \"Recording\"\nfile = \"{file}\"\nkind = \"{kind}\"\n"
            ),
        )
        .unwrap();
        let mut c = courtdeck(dir.path());
        c.args(["bundle", "--store"])
            .arg(&store)
            .arg("--media")
            .arg(&media);
        let out = c.output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let manifest = store.join("cases/PR-1/manifest.json");
    // A sound-only 3GP declared as video.
    let (ok, out) = bundle("voice-memo.3gp", "video");
    assert!(!ok, "{out}");
    assert!(
        out.contains("declared video, but the file holds only sound"),
        "{out}"
    );
    assert!(!manifest.exists(), "nothing published");
    // A web page named .mp4.
    let (ok, out) = bundle("web-page.mp4", "video");
    assert!(!ok, "{out}");
    assert!(
        out.contains("does not play") && out.contains("web page"),
        "{out}"
    );
    assert!(!manifest.exists(), "nothing published");
    // The same 3GP declared as audio: published, with the file's duration.
    let (ok, out) = bundle("voice-memo.3gp", "audio");
    assert!(ok, "{out}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let ms = doc["exhibits"][0]["duration_ms"]
        .as_u64()
        .expect("a duration");
    assert!((1900..=2100).contains(&ms), "duration {ms} ms");
    println!(
        "RELIABILITY|media|bundle_refuses_what_will_not_play_and_fills_in_durations|courtdeck bundle: a sound-only 3GP declared video and a web page named .mp4 refused (nothing published); the 3GP as audio published with its duration from the file|3"
    );
}

/// `courtdeck bundle` of documents: each hostile PDF (password, encryption without a password,
/// JavaScript, a page larger than PDF allows, a truncated file) is refused with its reason and its
/// code and nothing is published; a good one is published with every page's size read from the
/// file, and `courtdeck probe` says what it is.
#[test]
fn bundle_refuses_hostile_documents_and_writes_page_sizes() {
    use courtdeck_testdata::corpus::Expect;
    let corpus = courtdeck_testdata::pdf_corpus::documents(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pdf-corpus"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let manifest = store.join("cases/DOC-1/manifest.json");
    let mut refused = 0;
    for f in &corpus {
        let media = dir.path().join(format!("media-{}", f.name));
        std::fs::create_dir_all(&media).unwrap();
        std::fs::copy(&f.path, media.join(f.name)).unwrap();
        std::fs::write(
            media.join("case.toml"),
            format!(
                "case_id = \"DOC-1\"\ntitle = \"R v Document\"\n[[exhibit]]\nreference = \"DOC/1\"\ntitle = \"Statement\"\nfile = \"{}\"\nkind = \"document\"\nrestriction = \"no_public\"\n",
                f.name
            ),
        )
        .unwrap();
        let _ = std::fs::remove_file(&manifest);
        let mut c = courtdeck(dir.path());
        c.args(["bundle", "--store"])
            .arg(&store)
            .arg("--media")
            .arg(&media);
        let out = c.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        match &f.expect {
            Expect::Plays => {
                assert!(out.status.success(), "{}: {text}", f.name);
                let doc: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
                let e = &doc["exhibits"][0];
                assert_eq!(e["kind"], "document", "{}", f.name);
                assert_eq!(e["media_type"], "application/pdf", "{}", f.name);
                let pages: Vec<(f64, f64)> = e["pages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                    .collect();
                assert_eq!(pages, f.pages, "{}: the page sizes in the manifest", f.name);
            }
            Expect::Refused { code, words } => {
                assert!(!out.status.success(), "{}: published: {text}", f.name);
                assert!(text.contains(words), "{}: {text}", f.name);
                // Refused by policy: document_refused; a damaged file: the bundle's invalid_manifest.
                let code = if *code == "document_refused" {
                    code
                } else {
                    &"invalid_manifest"
                };
                assert!(text.contains(code), "{}: no {code} in {text}", f.name);
                assert!(!manifest.exists(), "{}: nothing published", f.name);
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 5);
    // probe says what a document is and that it shows.
    let statement = corpus.iter().find(|f| f.name == "statement.pdf").unwrap();
    let mut c = courtdeck(dir.path());
    c.args(["probe", "--json"]).arg(&statement.path);
    let (ok, v) = json(c);
    assert!(ok, "{v}");
    assert_eq!(v["kind"], "document");
    assert_eq!(v["plays"], true);
    assert_eq!(v["pages"].as_array().map(Vec::len), Some(4));
    println!(
        "RELIABILITY|documents|bundle_refuses_hostile_documents_and_writes_page_sizes|courtdeck bundle: password, encrypted, JavaScript, oversized-page and truncated PDFs refused with their reasons (nothing published); good PDFs published with their page sizes|{}",
        corpus.len()
    );
}
