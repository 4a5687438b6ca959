//! HMCTS's lists on the real app: a CaTH list for today and tomorrow (UTC times, a reporting
//! restriction, the demo store's cases as its URNs, a case with no evidence) imported by the real
//! `courtdeck` binary into a store the kiosk reads; the surface shows it as today's list in court
//! time with the banner, on the card and in the hearing; the week ahead shows tomorrow, fetches and
//! checks on request, and saves a readiness report per hearing.

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
