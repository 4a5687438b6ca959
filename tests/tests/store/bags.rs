//! Evidence as it is handed over: bags made at test time by the Library of Congress's own tool
//! (PyPI `bagit`, in `.work/venv-tools`) from media ffmpeg wrote, imported by the real `courtdeck
//! import bag`. Nothing typed: HMCTS's list names the URN, the bag's External-Identifier is the URN,
//! and the kiosk's list shows the hearing ready after a fetch. A broken bag publishes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use courtdeck_testkit::bagit::{self, python};
use courtdeck_testkit::kiosk::{courtdeck_cli as courtdeck, run_cli as run};
use serde_json::{Value, json};

const COURT: &str = "bag-court";

fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg {args:?}");
}

/// A bag of a police export made by the LoC's tool: a CCTV clip, a photo, with `algs`; `profile`
/// written into it as courtdeck-exhibits.json (then the tag manifests made again by the tool).
fn police_bag(dir: &Path, urn: &str, algs: &[&str], profile: Option<&Value>) -> PathBuf {
    let bag = dir.join(format!("bag-{urn}-{}", algs.join("-")));
    std::fs::create_dir_all(bag.join("CCTV")).unwrap();
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
        &bag.join("CCTV/High St camera 4.mp4"),
    );
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "smptebars=size=320x240",
            "-frames:v",
            "1",
        ],
        &bag.join("scene photo.jpg"),
    );
    bagit::make_bag(&bag, algs, "Metropolitan Police Service", urn);
    if let Some(profile) = profile {
        bagit::add_profile(&bag, profile);
    }
    bag
}

fn setup(d: &Path) {
    std::fs::write(
        d.join("config.toml"),
        format!(
            "court = \"{COURT}\"\ncache_dir = {:?}\naudit_file = {:?}\nstore = {{ kind = \"dir\", path = {:?} }}\n\
             [[lists.rooms]]\ncourt_house = \"PRESTON\"\nroom = \"Courtroom 1\"\ncourt = \"{COURT}\"\n",
            d.join("cache").display().to_string(),
            d.join("audit.jsonl").display().to_string(),
            d.join("store").display().to_string(),
        ),
    )
    .unwrap();
}

fn import_bag(d: &Path, bag: &Path) -> (bool, String) {
    let mut c = courtdeck(d);
    c.args(["import", "bag"])
        .arg(bag)
        .arg("--store")
        .arg(d.join("store"));
    run(c)
}

#[test]
fn a_listed_urn_and_its_bag_make_a_ready_hearing_nothing_typed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let urn = "01MP2612345";
    let profile = json!({
        "case_title": "R v J.S.",
        "exhibits": [
            {"path": "data/CCTV/High St camera 4.mp4", "reference": "JS/1", "title": "CCTV High St camera 4",
             "restriction": "open", "copy": "working_copy", "source_id": "DEMS-0042"},
            {"path": "data/scene photo.jpg", "reference": "JS/2", "title": "Photo of the scene",
             "restriction": "no_public", "copy": "master"}
        ]
    });
    let bag = police_bag(d, urn, &["sha256", "sha512"], Some(&profile));
    let (ok, out) = import_bag(d, &bag);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "published case 01MP2612345 from the bag of Metropolitan Police Service with 2 exhibits"
        ),
        "{out}"
    );
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(d.join(format!("store/cases/{urn}/manifest.json"))).unwrap(),
    )
    .unwrap();
    let exhibits = manifest["exhibits"].as_array().unwrap();
    assert_eq!(manifest["title"], "R v J.S.");
    assert_eq!(
        exhibits
            .iter()
            .map(|e| (
                e["reference"].clone(),
                e["kind"].clone(),
                e["restriction"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (json!("JS/1"), json!("video"), json!("open")),
            (json!("JS/2"), json!("image"), json!("no_public")),
        ]
    );
    assert_eq!(exhibits[0]["duration_ms"], 2000);
    // Where each came from travels with it in the manifest: the kiosk shows it, custody records it.
    let p = &exhibits[0]["provenance"];
    assert_eq!(
        p["source_organisation"], "Metropolitan Police Service",
        "{p}"
    );
    assert_eq!(p["source_id"], "DEMS-0042");
    assert_eq!(p["copy"], "working_copy");
    assert_eq!(p["digests"]["sha512"].as_str().unwrap().len(), 128);
    assert_eq!(
        p["digests"]["sha256"], exhibits[0]["sha256"],
        "the bag's SHA-256 is Courtdeck's"
    );
    assert_eq!(exhibits[1]["provenance"]["copy"], "master");
    assert_eq!(
        p["restriction_stated"], true,
        "the profile said who may see it"
    );
    // The bag's SHA-256 of each file is the manifest's.
    let bag_sha256 = std::fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    for e in exhibits {
        assert!(bag_sha256.contains(e["sha256"].as_str().unwrap()), "{e}");
    }

    // HMCTS's list names the URN: the kiosk lists it, and after a fetch it is ready.
    let today = courtdeck_api::today();
    let list = json!({
        "document": {"publicationDate": "2026-01-01T08:00:00Z"},
        "venue": {"venueAddress": {"postCode": "PR1 2LL"}},
        "courtLists": [{"courtHouse": {"courtHouseName": "PRESTON", "courtRoom": [
            {"courtRoomName": "Courtroom 1", "session": [{"sittings": [
                {"sittingStart": today.at(10, 0, 0, 0).to_zoned(courtdeck_api::court_time_zone()).unwrap().timestamp().to_string(),
                 "hearing": [{"hearingType": "Trial", "case": [{"caseUrn": urn, "party": [
                    {"partyRole": "DEFENDANT", "individualDetails": {"individualForenames": "John", "individualSurname": "Smith"}}]}]}]}
            ]}]}
        ]}}]
    });
    std::fs::write(d.join("list.json"), serde_json::to_vec(&list).unwrap()).unwrap();
    let mut c = courtdeck(d);
    c.args(["import", "cath-list"])
        .arg(d.join("list.json"))
        .arg("--store")
        .arg(d.join("store"));
    let (ok, out) = run(c);
    assert!(ok, "{out}");
    let mut c = courtdeck(d);
    c.arg("fetch");
    let (ok, out) = run(c);
    assert!(ok, "{out}");
    let mut c = courtdeck(d);
    c.args(["list", "--json"]);
    let (ok, out) = run(c);
    assert!(ok, "{out}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    let h = &listed["hearings"][0];
    assert_eq!(
        (
            h["case_id"].as_str(),
            h["title"].as_str(),
            h["readiness"].as_str()
        ),
        (Some(urn), Some("R v J.S."), Some("ready")),
        "{h}"
    );
    assert_eq!(h["exhibits_ready"], 2);

    // The custody log has where each exhibit came from.
    let records: Vec<Value> = std::fs::read_to_string(d.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let imported = records
        .iter()
        .find(|r| r["event"] == "bag_imported")
        .expect("bag_imported");
    let f = &imported["fields"];
    assert_eq!(f["source_organisation"], "Metropolitan Police Service");
    assert_eq!(f["exhibits"][0]["copy"], "working_copy");
    assert_eq!(f["exhibits"][0]["source_id"], "DEMS-0042");
    assert_eq!(
        f["exhibits"][0]["bag_digests"]["sha512"]
            .as_str()
            .unwrap()
            .len(),
        128
    );
}

#[test]
fn a_bag_that_fails_any_check_publishes_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let store_files = || courtdeck_testkit::files_under(&d.join("store"));

    // Without the profile: numbered, and not for the public gallery until someone decides.
    let plain = police_bag(d, "01MP2600001", &["sha512"], None);
    let (ok, out) = import_bag(d, &plain);
    assert!(ok, "{out}");
    assert!(
        out.contains("EX/1")
            && out.contains("no_public")
            && out.contains("until someone decides otherwise"),
        "{out}"
    );
    let plain_manifest: Value = serde_json::from_slice(
        &std::fs::read(d.join("store/cases/01MP2600001/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        plain_manifest["exhibits"][0]["provenance"]["restriction_stated"], false,
        "nobody said who may see it, and the surface says so"
    );
    // The same bag handed over as one file: unpacked, checked and published the same.
    let archive = d.join("01MP2600001.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(plain.parent().unwrap())
        .arg(plain.file_name().unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let (ok, out) = import_bag(d, &archive);
    assert!(ok && out.contains("published case 01MP2600001"), "{out}");
    let published = store_files();

    type MakeBag<'a> = Box<dyn Fn() -> PathBuf + 'a>;
    let cases: Vec<(&str, MakeBag)> = vec![
        (
            "does not match its sha512 digest",
            Box::new(|| {
                let b = police_bag(d, "01MP2600002", &["sha512"], None);
                let p = b.join("data/scene photo.jpg");
                let mut bytes = std::fs::read(&p).unwrap();
                let n = bytes.len() - 10;
                bytes[n] ^= 0x40;
                std::fs::write(p, bytes).unwrap();
                b
            }),
        ),
        (
            "use only md5",
            Box::new(|| police_bag(d, "01MP2600003", &["md5"], None)),
        ),
        (
            "External-Identifier",
            Box::new(|| {
                let b = police_bag(d, "01MP2600004", &["sha256"], None);
                let info = b.join("bag-info.txt");
                let t = std::fs::read_to_string(&info).unwrap();
                std::fs::write(&info, t.replace("External-Identifier: 01MP2600004\n", "")).unwrap();
                // Tag manifests made again, so only the missing identifier is wrong.
                let status = Command::new(python())
                    .args([
                        "-c",
                        "import bagit, sys; bagit.Bag(sys.argv[1]).save(manifests=True)",
                    ])
                    .arg(&b)
                    .status()
                    .unwrap();
                assert!(status.success());
                b
            }),
        ),
        (
            "not in a SHA-256 or SHA-512 tag manifest",
            Box::new(|| {
                let b = police_bag(d, "01MP2600005", &["sha256"], None);
                std::fs::write(b.join("courtdeck-exhibits.json"), br#"{"exhibits": []}"#).unwrap();
                b
            }),
        ),
        (
            "does not describe data/scene photo.jpg",
            Box::new(|| {
                police_bag(
                    d,
                    "01MP2600006",
                    &["sha256"],
                    Some(&json!({"exhibits": [
                        {"path": "data/CCTV/High St camera 4.mp4", "reference": "AB/1", "title": "CCTV", "restriction": "open"}
                    ]})),
                )
            }),
        ),
        (
            "is in the bag but not in manifest-sha256.txt",
            Box::new(|| {
                let b = police_bag(d, "01MP2600007", &["sha256"], None);
                std::fs::write(b.join("data/added later.txt"), b"x").unwrap();
                b
            }),
        ),
    ];
    for (why, make) in cases {
        let bag = make();
        let (ok, out) = import_bag(d, &bag);
        assert!(!ok, "{why}: {out}");
        assert!(
            out.contains("The bag was refused and nothing was published"),
            "{why}: {out}"
        );
        assert!(out.contains(why), "{why}: {out}");
        assert_eq!(store_files(), published, "{why}: the store changed");
    }
}
