//! HMCTS's lists and police evidence bags on the real app, nothing typed: a CaTH list for today and
//! tomorrow (UTC times, a reporting restriction, the demo store's cases as its URNs, a case with no
//! evidence, and the URN of a bag the LoC's `bagit` tool made from ffmpeg media) imported by the
//! real `courtdeck` binary into a store the kiosk reads; the surface shows it as today's list in
//! court time with the banner, on the card and in the hearing; the bag's case launches and presents
//! with each exhibit's provenance on the surface and in the custody log; the week ahead shows
//! tomorrow, fetches and checks on request, and saves a readiness report per hearing.

use std::time::Duration;

use serde_json::json;

use crate::kiosk::{BENCH, CONTROL, PUBLIC, start_kiosk_in};

fn run(mut c: std::process::Command) -> String {
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// Waits for `css`; on a timeout the failure says what the surface showed instead.
fn wait(k: &crate::kiosk::Kiosk, css: &str, secs: u64) {
    if let Err(e) = k.wd.wait_for(css, Duration::from_secs(secs)) {
        k.shot("failed-lists");
        let page =
            k.wd.execute("return document.body.innerText;")
                .unwrap_or_default();
        panic!(
            "{e}; the surface showed:\n{}",
            page.as_str().unwrap_or_default()
        );
    }
}

/// Taps the element `css` names once it is there.
fn press(k: &crate::kiosk::Kiosk, css: &str) {
    let element = k.wd.wait_for(css, Duration::from_secs(30)).unwrap();
    k.wd.click(&element).unwrap();
}

#[test]
fn a_list_from_hmcts_is_todays_list_with_its_banner_and_the_week_ahead() {
    let home = courtdeck_testkit::work_dir();
    let h = home.path().to_owned();
    let store = h.join("store");
    let cli = || {
        let mut c = std::process::Command::new(courtdeck_testkit::target_dir().join("courtdeck"));
        c.arg("--config")
            .arg(h.join("publisher.toml"))
            .env("XDG_STATE_HOME", h.join("publisher-state"))
            .env("XDG_DATA_HOME", h.join("publisher-data"));
        c
    };
    std::fs::write(
        h.join("publisher.toml"),
        "[[lists.rooms]]\ncourt_house = \"LAVENDER HILL MAGISTRATES' COURT\"\nroom = \"Courtroom 2\"\ncourt = \"courtroom-2\"\n",
    )
    .unwrap();
    // The evidence: the demo store's cases. The list: HMCTS's, naming them by URN.
    let mut c = cli();
    c.arg("demo-store").arg(&store);
    run(c);
    // And a case of its own for tomorrow, published (not listed) by `bundle`: its blob is on no
    // other case, so the kiosk has not fetched it before the week ahead asks.
    let media = h.join("media-EV");
    std::fs::create_dir_all(&media).unwrap();
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc pattern=ball num-buffers=1 ! video/x-raw,width=640,height=360 ! videoconvert ! jpegenc ! filesink location=\"{}\"",
        media.join("scene.jpg").display()
    ))
    .unwrap();
    std::fs::write(
        media.join("case.toml"),
        "case_id = \"EV-2026-0500\"\ntitle = \"R v E.V.\"\n[[exhibit]]\nreference = \"EV/1\"\ntitle = \"Photo of the scene\"\nfile = \"scene.jpg\"\nkind = \"image\"\n",
    )
    .unwrap();
    let mut c = cli();
    c.args(["bundle", "--store"])
        .arg(&store)
        .arg("--media")
        .arg(&media);
    run(c);
    // A police export: a bag the Library of Congress's tool made, with the profile's exhibits file.
    let bag = h.join("police-bag");
    std::fs::create_dir_all(&bag).unwrap();
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=4:size=640x360:rate=25",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(bag.join("Station Rd camera 2.mp4"))
        .status()
        .unwrap();
    assert!(status.success());
    courtdeck_testkit::bagit::make_bag(
        &bag,
        &["sha256", "sha512"],
        "Metropolitan Police Service",
        "01MP2612345",
    );
    courtdeck_testkit::bagit::add_profile(
        &bag,
        &json!({"case_title": "R v D.K.", "exhibits": [
            {"path": "data/Station Rd camera 2.mp4", "reference": "DK/1", "title": "CCTV Station Rd camera 2",
             "restriction": "open", "copy": "working_copy", "source_id": "DEMS-7781"}]}),
    );
    let mut c = cli();
    c.args(["import", "bag"])
        .arg(&bag)
        .arg("--store")
        .arg(&store);
    println!("{}", run(c));
    let today = courtdeck_api::today();
    let tomorrow = today.tomorrow().unwrap();
    let utc = |d: jiff::civil::Date, hh: i8, mm: i8| {
        d.at(hh, mm, 0, 0)
            .to_zoned(courtdeck_api::court_time_zone())
            .unwrap()
            .timestamp()
            .to_string()
    };
    let hearing = |urn: &str, fore: &str, sur: &str, kind: &str| {
        json!({"hearingType": kind, "case": [{"caseUrn": urn, "party": [
            {"partyRole": "DEFENDANT", "individualDetails": {"individualForenames": fore, "individualSurname": sur,
             "dateOfBirth": "1988-03-04", "address": {"line": ["3 Hidden Row"]}}},
            {"partyRole": "PROSECUTING_AUTHORITY", "organisationDetails": {"organisationName": "Crown Prosecution Service"}}]}]})
    };
    let mut restricted = hearing("JS-2026-0142", "John", "Smith", "Trial");
    restricted["case"][0]["reportingRestriction"] = json!(true);
    restricted["case"][0]["reportingRestrictionDetails"] =
        json!(["Section 45 of the Youth Justice and Criminal Evidence Act 1999"]);
    let list = json!({
        "document": {"publicationDate": utc(today, 7, 0)},
        "venue": {"venueAddress": {"line": ["176A Lavender Hill"], "postCode": "SW11 1JU"}},
        "courtLists": [{"courtHouse": {"courtHouseName": "LAVENDER HILL MAGISTRATES' COURT", "courtRoom": [
            {"courtRoomName": "Courtroom 2", "session": [{"sittings": [
                {"sittingStart": utc(today, 10, 0), "hearing": [restricted]},
                {"sittingStart": utc(today, 11, 30), "hearing": [hearing("AP-2026-0203", "Anna", "Price", "Trial")]},
                {"sittingStart": utc(today, 14, 0), "hearing": [hearing("01MP2612345", "Dev", "Kaur", "Trial")]},
                {"sittingStart": utc(tomorrow, 10, 0), "hearing": [hearing("EV-2026-0500", "Eve", "Vance", "Sentence")]},
                {"sittingStart": utc(tomorrow, 14, 0), "hearing": [hearing("06LH2600123", "Omar", "Reid", "First appearance")]}
            ]}]}
        ]}}]
    });
    std::fs::write(
        h.join("cath.json"),
        serde_json::to_vec_pretty(&list).unwrap(),
    )
    .unwrap();
    let mut c = cli();
    c.args(["import", "cath-list"])
        .arg(h.join("cath.json"))
        .arg("--store")
        .arg(&store);
    println!("{}", run(c));

    let k = start_kiosk_in(
        home,
        1920,
        800,
        &[CONTROL, BENCH, PUBLIC],
        &format!(
            "store = {{ kind = \"dir\", path = {:?} }}\n",
            store.display().to_string()
        ),
    );
    let card = "[data-testid=hearing-card][data-case=JS-2026-0142]";
    wait(&k, card, 120);
    let cards = k
        .wd
        .execute(
            "return [...document.querySelectorAll('[data-testid=hearing-card]')].map(c =>
               [c.dataset.case, c.querySelector('.time').textContent, c.querySelector('.name').textContent,
                c.querySelector('[data-testid=reporting-restriction]')?.textContent ?? null]);",
        )
        .unwrap();
    println!("{cards}");
    assert_eq!(
        cards,
        json!([
            [
                "JS-2026-0142",
                "10:00",
                "R v J.S.",
                "⚠ Reporting restrictions apply: Section 45 of the Youth Justice and Criminal Evidence Act 1999"
            ],
            ["AP-2026-0203", "11:30", "R v A.P.", null],
            ["01MP2612345", "14:00", "R v D.K.", null],
        ]),
        "today's list is HMCTS's, in court time, by initials, with the banner"
    );
    let page = k.wd.execute("return document.body.innerText;").unwrap();
    for personal in ["Smith", "1988", "Hidden Row", "Crown Prosecution"] {
        assert!(
            !page.to_string().contains(personal),
            "{personal} on the surface"
        );
    }
    k.shot("08-cath-today");

    press(&k, &format!("{card} [data-testid=launch]"));
    wait(&k, ".hearing [data-testid=reporting-restriction]", 120);
    k.shot("08b-cath-hearing-banner");
    press(&k, "[data-testid=back-to-list]");

    // The bag's case, listed by its URN: launch it, select its exhibit, see where it came from.
    let bag_card = "[data-testid=hearing-card][data-case='01MP2612345']";
    wait(&k, &format!("{bag_card} .ok"), 120);
    press(&k, &format!("{bag_card} [data-testid=launch]"));
    press(&k, "[data-testid=exhibit][data-ref='DK/1']");
    wait(&k, "[data-testid=provenance]", 30);
    let provenance =
        k.wd.execute("return document.querySelector('[data-testid=provenance]').innerText;")
            .unwrap();
    let provenance = provenance.as_str().unwrap().to_owned();
    println!("provenance: {provenance}");
    for want in [
        "From Metropolitan Police Service",
        "DEMS-7781",
        "working copy",
        "SHA-512",
        "checked on import",
        "SHA-256",
    ] {
        assert!(provenance.contains(want), "{want} not in {provenance:?}");
    }
    k.wd.wait_until("the cue to be ready", Duration::from_secs(30), |wd| {
        let b = wd.wait_for("[data-testid=present]", Duration::from_secs(10))?;
        Ok(wd.text(&b)? == "Present")
    })
    .unwrap();
    press(&k, "[data-testid=present]");
    k.wait_tile("bench", "live");
    k.shot("10-bag-provenance");
    // The custody log: the presentation with where the exhibit came from.
    let audit = k._home.path().join(".local/state/courtdeck/audit.jsonl");
    let presented: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["event"] == "exhibit_presented")
        .collect();
    let p = &presented.last().expect("a presentation")["fields"]["provenance"];
    assert_eq!(
        p["source_organisation"], "Metropolitan Police Service",
        "{p}"
    );
    assert_eq!(p["source_id"], "DEMS-7781");
    assert_eq!(p["source_digests"]["sha512"].as_str().unwrap().len(), 128);
    press(&k, "[data-testid=blank-all]");
    press(&k, "[data-testid=back-to-list]");

    press(&k, "[data-testid=open-week]");
    // Tomorrow's sentencing is listed but its evidence not fetched yet; the first appearance has none.
    wait(
        &k,
        "[data-testid=week-hearing][data-case=EV-2026-0500][data-ready=false]",
        120,
    );
    wait(
        &k,
        "[data-testid=week-hearing][data-case='06LH2600123'][data-ready=false]",
        30,
    );
    press(&k, "[data-testid=week-prepare]");
    wait(
        &k,
        "[data-testid=week-hearing][data-case=EV-2026-0500][data-ready=true]",
        180,
    );
    k.shot("09-week-ahead");
    press(&k, "[data-testid=week-save]");
    wait(&k, "[data-testid=week-saved]", 60);
    let reports = k._home.path().join(".local/share/courtdeck/reports");
    let report =
        std::fs::read_to_string(reports.join(format!("readiness-{tomorrow}-06LH2600123.html")))
            .unwrap();
    assert!(report.contains("cannot be read on this kiosk"), "{report}");
    let report =
        std::fs::read_to_string(reports.join(format!("readiness-{tomorrow}-EV-2026-0500.html")))
            .unwrap();
    assert!(report.contains("exhibits will play."), "{report}");
}
