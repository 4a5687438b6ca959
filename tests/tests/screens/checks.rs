//! The clerk's setup checks through the real `courtdeck check`, on Xvfb with BENCH, WITNESS and PUBLIC
//! monitors and the demo store: it passes on the demo configuration, and each failure is detected and
//! named: a screen missing, a corrupt cached exhibit, an exhibit whose decoder is absent, the store
//! down, a credential the store rejects.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use courtdeck_testkit::servers::{Nginx, NginxOptions, SecretService};
use courtdeck_testkit::{Mon, Xvfb};
use serde_json::Value;

const MONITORS: [Mon; 3] = [
    Mon {
        name: "BENCH",
        x: 0,
        y: 0,
        w: 640,
        h: 360,
    },
    Mon {
        name: "WITNESS",
        x: 640,
        y: 0,
        w: 640,
        h: 360,
    },
    Mon {
        name: "PUBLIC",
        x: 0,
        y: 360,
        w: 1280,
        h: 360,
    },
];

struct Kiosk {
    dir: PathBuf,
    xvfb: Xvfb,
    _work: tempfile::TempDir,
}

impl Kiosk {
    fn write_config(&self, extra: &str) {
        std::fs::write(
            self.dir.join("config.toml"),
            format!(
                "cache_dir = {:?}\naudit_file = {:?}\n[audio]\nsink = \"fakesink sync=true\"\n{extra}",
                self.dir.join("cache").display().to_string(),
                self.dir.join("audit.jsonl").display().to_string(),
            ),
        )
        .unwrap();
    }

    fn courtdeck(&self, args: &[&str]) -> Command {
        let mut c = Command::new(courtdeck_testkit::target_dir().join("courtdeck"));
        c.arg("--config")
            .arg(self.dir.join("config.toml"))
            .args(args)
            .env("DISPLAY", &self.xvfb.display)
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("XDG_CACHE_HOME", self.dir.join("xdg-cache"))
            .stdin(Stdio::null());
        c
    }

    /// `courtdeck check --json [args]`: the report, and whether the command succeeded.
    fn check(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, Value) {
        let mut c = self.courtdeck(&[&["check", "--json"], args].concat());
        c.envs(env.iter().copied());
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "no JSON report ({e}): {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.success(), report)
    }
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"].as_str().unwrap()
}

fn detail(report: &Value, id: &str) -> String {
    check(report, id)["detail"].as_str().unwrap().to_owned()
}

fn start() -> Kiosk {
    let work = courtdeck_testkit::work_dir();
    let dir = work.path().to_path_buf();
    let media = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(
        &dir.join("data/courtdeck/demo-store"),
        &media,
        courtdeck_api::today(),
    )
    .unwrap();
    let xvfb = Xvfb::start(1280, 720, &MONITORS).unwrap();
    let kiosk = Kiosk {
        dir,
        xvfb,
        _work: work,
    };
    kiosk.write_config("");
    let out = kiosk.courtdeck(&["fetch"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    kiosk
}

/// Copies the system's GStreamer plugins except those that decode H.264, WMV and AAC (libav,
/// openh264): a kiosk where those decoders are absent.
fn plugins_without_libav(dir: &Path) -> PathBuf {
    let system = [
        "/usr/lib/x86_64-linux-gnu/gstreamer-1.0",
        "/usr/lib/aarch64-linux-gnu/gstreamer-1.0",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.is_dir())
    .expect("GStreamer's plugin folder");
    let out = dir.join("plugins");
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(&system).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".so") && name != "libgstlibav.so" && name != "libgstopenh264.so" {
            std::os::unix::fs::symlink(entry.path(), out.join(&name)).unwrap();
        }
    }
    out
}

#[test]
fn the_demo_kiosk_passes_and_every_failure_is_named() {
    let k = start();

    // 1. The demo configuration on its three monitors: everything passes.
    let (ok, report) = k.check(&[], &[]);
    println!("{report:#}");
    assert!(ok, "{report:#}");
    assert_eq!(report["overall"], "pass");
    for id in [
        "screens",
        "identify",
        "test_card",
        "test_tone",
        "store",
        "credential",
        "clock",
        "disk",
        "plugins",
        "confinement",
        "audit",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}: {}", detail(&report, id));
    }
    let exhibits: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"].as_str().unwrap().starts_with("exhibit:"))
        .collect();
    assert_eq!(
        exhibits.len(),
        12,
        "every exhibit of today's three hearings (the statement's every page drawn)"
    );
    assert!(exhibits.iter().all(|c| c["status"] == "pass"));
    assert!(detail(&report, "test_card").contains("PUBLIC: shown and read back"));
    assert!(detail(&report, "test_tone").contains("dBFS"));
    assert!(detail(&report, "exhibit:JS-2026-0142:JS/1").contains("H.264"));
    assert!(
        detail(&report, "exhibit:JS-2026-0142:JS/3").contains("transcript: 4 lines, bench_only"),
        "{}",
        detail(&report, "exhibit:JS-2026-0142:JS/3")
    );
    let json_path = report["json_path"].as_str().unwrap();
    let html = std::fs::read_to_string(report["html_path"].as_str().unwrap()).unwrap();
    assert!(Path::new(json_path).exists() && html.contains("Setup check: PASS"));
    let audit = std::fs::read_to_string(k.dir.join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"event\":\"setup_check\""),
        "recorded in the audit log"
    );
    println!("full check: {:.1} s", report["seconds"].as_f64().unwrap());

    // 2. A configured screen whose monitor is absent: named, and its card fails; the others pass.
    k.write_config(
        "[[screen]]\nid = \"bench\"\nlabel = \"BENCH\"\nrole = \"bench\"\nmonitor = \"BENCH\"\n\
         [[screen]]\nid = \"defence\"\nlabel = \"DEFENCE\"\nrole = \"defence\"\nmonitor = \"DEFENCE\"\n",
    );
    let (ok, report) = k.check(&["--only", "screens", "identify"], &[]);
    assert!(!ok);
    assert_eq!(status(&report, "screens"), "fail");
    assert!(detail(&report, "screens").contains("DEFENCE"), "{report:#}");
    assert!(!detail(&report, "screens").contains("BENCH"), "{report:#}");
    assert!(detail(&report, "identify").contains("DEFENCE: not connected"));
    assert!(detail(&report, "identify").contains("BENCH: shown and read back"));
    k.write_config("");

    // 3. A corrupt cached exhibit: named, removed from the cache; the others still pass.
    let cache = courtdeck_store::Cache::new(k.dir.join("cache"));
    let manifest: courtdeck_core::CaseManifest = courtdeck_store::wire::parse_manifest(
        &std::fs::read(
            k.dir
                .join("data/courtdeck/demo-store/cases/JS-2026-0142/manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let photo = manifest
        .exhibits()
        .iter()
        .find(|e| e.reference.to_string() == "JS/4")
        .unwrap();
    // And the ABE interview's transcript, a blob of its own.
    let abe = manifest
        .exhibits()
        .iter()
        .find(|e| e.reference.to_string() == "JS/3")
        .unwrap();
    let transcript = courtdeck_store::TranscriptBlob::of(abe).unwrap();
    for path in [
        cache.verified_path(photo).unwrap(),
        cache.verified_path(&transcript).unwrap(),
    ] {
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
    }
    let (ok, report) = k.check(&["--only", "exhibits"], &[]);
    assert!(!ok);
    let id = "exhibit:JS-2026-0142:JS/4";
    assert_eq!(status(&report, id), "fail");
    assert!(
        detail(&report, id).contains("do not match"),
        "{}",
        detail(&report, id)
    );
    assert_eq!(status(&report, "exhibit:JS-2026-0142:JS/5"), "pass");
    let abe_check = detail(&report, "exhibit:JS-2026-0142:JS/3");
    assert_eq!(
        status(&report, "exhibit:JS-2026-0142:JS/3"),
        "fail",
        "{abe_check}"
    );
    assert!(
        abe_check.contains("its transcript cannot be used") && abe_check.contains("do not match"),
        "{abe_check}"
    );
    assert!(
        cache.verified_path(&transcript).is_none(),
        "the rotted transcript left the cache"
    );
    assert!(
        cache.verified_path(photo).is_none(),
        "the corrupt copy left the cache"
    );
    let out = k.courtdeck(&["fetch"]).output().unwrap();
    assert!(out.status.success());

    // 4. Decoders absent (no libav, no openh264): the H.264 and WMV exhibits are named, with what is
    //    missing; the JPEG photos and the WAV call still pass.
    let plugins = plugins_without_libav(&k.dir);
    let registry = k.dir.join("registry.bin");
    let (ok, report) = k.check(
        &["--only", "exhibits", "plugins"],
        &[
            ("GST_PLUGIN_SYSTEM_PATH_1_0", plugins.to_str().unwrap()),
            ("GST_PLUGIN_PATH_1_0", ""),
            ("GST_REGISTRY_1_0", registry.to_str().unwrap()),
        ],
    );
    println!("{report:#}");
    assert!(!ok);
    let cctv = detail(&report, "exhibit:JS-2026-0142:JS/1");
    assert_eq!(status(&report, "exhibit:JS-2026-0142:JS/1"), "fail");
    assert!(
        cctv.contains("cannot decode") && cctv.contains("H.264"),
        "{cctv}"
    );
    assert_eq!(
        status(&report, "exhibit:JS-2026-0142:JS/6"),
        "fail",
        "WMV needs libav"
    );
    assert_eq!(status(&report, "exhibit:JS-2026-0142:JS/4"), "pass");
    assert_eq!(status(&report, "exhibit:JS-2026-0142:JS/2"), "pass");
    assert_eq!(status(&report, "plugins"), "warn");
    assert!(detail(&report, "plugins").contains("avdec_h264"));

    // 5. The store down (an HTTPS store nobody answers): named, and cached hearings still play.
    let port = courtdeck_testkit::servers::free_port().unwrap();
    k.write_config(&format!(
        "[store]\nkind = \"https\"\nurl = \"http://127.0.0.1:{port}/\"\nauth = \"none\"\nconnect_timeout_s = 2\n"
    ));
    let (ok, report) = k.check(&["--only", "store", "clock"], &[]);
    assert!(!ok);
    assert_eq!(status(&report, "store"), "fail");
    assert!(
        detail(&report, "store").contains("could not be reached"),
        "{report:#}"
    );
    assert_eq!(status(&report, "clock"), "warn");

    // 6. A credential the store rejects (in a real gnome-keyring).
    let store = k.dir.join("data/courtdeck/demo-store");
    let token = courtdeck_testkit::TEST_SECRETS.lines().next().unwrap();
    let wrong = courtdeck_testkit::TEST_SECRETS.lines().nth(1).unwrap();
    let nginx = Nginx::start(
        &store,
        &NginxOptions {
            bearer: Some(token.into()),
            ..NginxOptions::default()
        },
    )
    .unwrap();
    let keyring = SecretService::start().unwrap();
    k.write_config(&format!(
        "[store]\nkind = \"https\"\nurl = \"{}\"\nauth = \"bearer\"\n",
        nginx.url
    ));
    let with_keyring = |args: &[&str], stdin: &str| {
        let mut c = k.courtdeck(args);
        c.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
            .env("HOME", keyring.home())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, _) = with_keyring(&["store", "login"], &format!("{wrong}\n"));
    assert!(!ok);
    let (ok, text) = with_keyring(
        &["check", "--json", "--only", "store", "credential", "clock"],
        "",
    );
    assert!(!ok);
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status(&report, "credential"), "fail");
    assert!(
        detail(&report, "credential").contains("refused"),
        "{report:#}"
    );
    assert_eq!(
        status(&report, "clock"),
        "pass",
        "the store's Date header: {report:#}"
    );
    let (ok, _) = with_keyring(&["store", "login"], &format!("{token}\n"));
    assert!(ok);
    let (ok, text) = with_keyring(&["check", "--json", "--only", "store", "credential"], "");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert!(ok, "{report:#}");
    assert_eq!(status(&report, "credential"), "pass");

    println!(
        "RELIABILITY|setup checks|the_demo_kiosk_passes_and_every_failure_is_named|a screen missing, a corrupt cached exhibit, decoders absent, the store down, a credential rejected|5"
    );
}
