//! The week ahead through the real `courtdeck` binary: lists for today and the next days (one
//! imported from HMCTS's format, as lists arrive days early), evidence that plays, evidence that
//! does not decode, evidence missing from the store, a listed case with no evidence at all; then
//! `courtdeck week --prepare` fetches, verifies and inspects each hearing's exhibits and writes a
//! readiness report per hearing that says what will not play and why.

use std::path::Path;
use std::process::Command;

use courtdeck_testkit::kiosk::courtdeck_cli as courtdeck;
use serde_json::{Value, json};

const COURT: &str = "week-court";

fn run(mut c: Command) -> (bool, String, String) {
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A case of one real JPEG (drawn by GStreamer), listed in `COURT` on `date`.
fn publish_photo(d: &Path, case: &str, date: jiff::civil::Date) {
    let m = d.join(format!("media-{case}"));
    std::fs::create_dir_all(&m).unwrap();
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,width=320,height=240 ! videoconvert ! jpegenc ! filesink location=\"{}\"",
        m.join("photo.jpg").display()
    ))
    .unwrap();
    std::fs::write(
        m.join("case.toml"),
        format!(
            "case_id = \"{case}\"\ntitle = \"R v P.H.\"\n[listing]\ncourt = \"{COURT}\"\ncourt_name = \"Week Court\"\ndate = \"{date}\"\ntime = \"10:00\"\nhearing_type = \"Trial\"\n[[exhibit]]\nreference = \"PH/1\"\ntitle = \"Photo\"\nfile = \"photo.jpg\"\nkind = \"image\"\n"
        ),
    )
    .unwrap();
    let mut c = courtdeck(d);
    c.args(["bundle", "--store"])
        .arg(d.join("store"))
        .arg("--media")
        .arg(&m);
    let (ok, out, err) = run(c);
    assert!(ok, "{out}{err}");
}

#[test]
fn the_week_ahead_says_what_will_not_play_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store");
    std::fs::write(
        d.join("config.toml"),
        format!(
            "court = \"{COURT}\"\ncache_dir = {:?}\naudit_file = {:?}\nstore = {{ kind = \"dir\", path = {:?} }}\n\
             [audio]\nsink = \"fakesink\"\n[[screen]]\nid = \"bench\"\nlabel = \"Bench\"\nrole = \"bench\"\nheadless = true\n\
             [[lists.rooms]]\ncourt_house = \"PRESTON\"\nroom = \"Courtroom 1\"\ncourt = \"{COURT}\"\n",
            d.join("cache").display().to_string(),
            d.join("audit.jsonl").display().to_string(),
            store.display().to_string(),
        ),
    )
    .unwrap();
    let today = courtdeck_api::today();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();

    publish_photo(d, "READY-1", today);
    // Tomorrow: random bytes that say they are pictures (they will not decode), and a case whose
    // blob has gone from the store.
    courtdeck_testkit::servers::publish_random_case(
        &store,
        COURT,
        day(1),
        "NOISE-1",
        &[4096, 8192],
        7,
    )
    .unwrap();
    let gone = courtdeck_testkit::servers::publish_random_case(
        &store,
        COURT,
        day(1),
        "GONE-1",
        &[5000],
        9,
    )
    .unwrap();
    let blob = store.join(courtdeck_store::blob_path(&gone.exhibits()[0].sha256));
    std::fs::remove_file(&blob).unwrap();
    // The day after: HMCTS's list, imported days early, names a case with no evidence yet.
    let cath = json!({
        "document": {"publicationDate": "2026-01-01T16:00:00Z"},
        "venue": {"venueAddress": {"postCode": "PR1 2LL"}},
        "courtLists": [{"courtHouse": {"courtHouseName": "PRESTON", "courtRoom": [
            {"courtRoomName": "Courtroom 1", "session": [{"sittings": [
                {"sittingStart": day(2).at(9, 0, 0, 0).to_zoned(courtdeck_api::court_time_zone()).unwrap().timestamp().to_string(),
                 "hearing": [{"hearingType": "Trial", "case": [{"caseUrn": "06PR2600099", "reportingRestriction": true,
                    "party": [{"partyRole": "DEFENDANT", "individualDetails": {"individualForenames": "Noah", "individualSurname": "Evans"}}]}]}]}
            ]}]}
        ]}}]
    });
    std::fs::write(d.join("cath.json"), serde_json::to_vec(&cath).unwrap()).unwrap();
    let mut c = courtdeck(d);
    c.args(["import", "cath-list"])
        .arg(d.join("cath.json"))
        .arg("--store")
        .arg(&store);
    let (ok, out, err) = run(c);
    assert!(ok, "{out}{err}");

    let mut c = courtdeck(d);
    c.args(["week", "--days", "3", "--prepare", "--json", "--out"])
        .arg(d.join("reports"));
    let (ok, out, err) = run(c);
    assert!(!ok, "not every hearing is ready, so it fails:\n{out}{err}");
    let week: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let days = week["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    let hearing = |n: usize, case: &str| -> Value {
        days[n]["hearings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["case_id"] == case)
            .unwrap_or_else(|| panic!("{case} not on day {n}: {}", days[n]))
            .clone()
    };
    let ready = hearing(0, "READY-1");
    assert_eq!(
        (ready["will_play"].as_u64(), ready["will_not"].as_u64()),
        (Some(1), Some(0)),
        "{ready}"
    );
    let noise = hearing(1, "NOISE-1");
    assert_eq!(noise["will_not"], 2, "{noise}");
    for e in noise["exhibits"].as_array().unwrap() {
        assert_eq!(e["status"], "fail");
        assert!(
            e["detail"]
                .as_str()
                .unwrap()
                .starts_with("hash verified, but"),
            "{e}"
        );
    }
    let gone = hearing(1, "GONE-1");
    assert_eq!(gone["will_not"], 1, "{gone}");
    assert!(
        gone["exhibits"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("not downloaded"),
        "{gone}"
    );
    let unlisted = hearing(2, "06PR2600099");
    assert!(
        unlisted["problem"]["message"]
            .as_str()
            .unwrap()
            .starts_with("No evidence has been published for case 06PR2600099 yet"),
        "{unlisted}"
    );
    assert_eq!(unlisted["reporting_restriction"], "");
    assert_eq!(unlisted["title"], "R v N.E.");

    // A report per hearing, printable, saying what will not play and why.
    let report = |date: jiff::civil::Date, case: &str| {
        std::fs::read_to_string(
            d.join("reports")
                .join(format!("readiness-{date}-{case}.html")),
        )
        .unwrap()
    };
    let r = report(today, "READY-1");
    assert!(
        r.contains("All 1 exhibits will play.") && r.contains("PH/1"),
        "{r}"
    );
    let r = report(day(1), "NOISE-1");
    assert!(r.contains("2 of 2 exhibits will not play"), "{r}");
    assert!(
        r.contains("RC/1") && r.contains("hash verified, but"),
        "{r}"
    );
    let r = report(day(2), "06PR2600099");
    assert!(
        r.contains("cannot be read on this kiosk")
            && r.contains("No evidence has been published")
            && r.contains("Reporting restrictions apply."),
        "{r}"
    );
    assert!(!r.contains("<script"), "a report is a page without scripts");
}
