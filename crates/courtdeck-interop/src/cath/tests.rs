use serde_json::json;

use super::*;

/// A standard list with one room and the given sittings (`sittingStart`, hearings).
fn standard(sittings: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "document": {"publicationDate": "2026-03-27T09:00:00Z"},
        "venue": {"venueAddress": {"line": ["THE LAW COURTS"], "postCode": "PR1 2LL"}},
        "courtLists": [{"courtHouse": {"courtHouseName": "PRESTON", "courtRoom": [
            {"courtRoomName": "Courtroom 1", "session": [{"sittings": sittings}]}
        ]}}]
    }))
    .unwrap()
}

fn sitting(start: &str, urn: &str) -> Value {
    json!({"sittingStart": start, "hearing": [{"hearingType": "Trial", "case": [{
    "caseUrn": urn,
    "party": [
        {"partyRole": "DEFENDANT", "individualDetails": {
            "individualForenames": "Jane", "individualMiddleName": "Quinn",
            "individualSurname": "Smith", "dateOfBirth": "1990-02-03", "age": 36,
            "address": {"line": ["1 Secret Street"], "postCode": "ZZ9 9ZZ"},
            "asn": "ASN999888", "pncId": "PNC777666"},
         "offence": [{"offenceTitle": "Theft", "offenceWording": "stole a bicycle worth 300"}]},
        {"partyRole": "PROSECUTING_AUTHORITY", "organisationDetails": {"organisationName": "CPS"}}
    ]}]}]})
}

fn read_all(bytes: &[u8]) -> CathImport {
    read(
        bytes,
        &ReadOptions {
            list_type: None,
            content_date: None,
            rooms: &[],
        },
    )
    .unwrap()
}

/// (date, time) of each hearing listed.
fn listed_at(import: &CathImport) -> Vec<(String, String, String)> {
    import
        .lists
        .iter()
        .flat_map(|l| {
            l.hearings.iter().map(move |h| {
                (
                    l.date.to_string(),
                    h.time.strftime("%H:%M").to_string(),
                    h.case_id.to_string(),
                )
            })
        })
        .collect()
}

fn t(d: &str, time: &str, case: &str) -> (String, String, String) {
    (d.into(), time.into(), case.into())
}

#[test]
fn utc_sittings_are_listed_in_london_time_on_the_local_day() {
    let import = read_all(&standard(vec![
        sitting("2026-06-14T08:30:00Z", "U1"),
        sitting("2026-06-14T23:15:00.5Z", "U2"),
        sitting("2026-01-14T08:30:00Z", "U3"),
    ]));
    assert_eq!(
        listed_at(&import),
        vec![
            t("2026-01-14", "08:30", "U3"),
            t("2026-06-14", "09:30", "U1"),
            t("2026-06-15", "00:15", "U2"),
        ]
    );
    assert!(import.skipped.is_empty(), "{:?}", import.skipped);
}

#[test]
fn the_clock_changes_on_the_last_sundays_of_march_and_october() {
    // 2026: BST starts 29 March 01:00 UTC, ends 25 October 01:00 UTC.
    let import = read_all(&standard(vec![
        sitting("2026-03-29T00:59:00Z", "M1"),
        sitting("2026-03-29T01:00:00Z", "M2"),
        sitting("2026-03-28T23:30:00Z", "M3"),
        sitting("2026-10-25T00:30:00Z", "O1"),
        sitting("2026-10-25T01:30:00Z", "O2"),
        sitting("2026-10-24T23:30:00Z", "O3"),
    ]));
    assert_eq!(
        listed_at(&import),
        vec![
            t("2026-03-28", "23:30", "M3"),
            t("2026-03-29", "00:59", "M1"),
            t("2026-03-29", "02:00", "M2"),
            t("2026-10-25", "00:30", "O3"),
            // 01:30 happens twice that night; both sittings are listed at it, in UTC order kept by URN.
            t("2026-10-25", "01:30", "O1"),
            t("2026-10-25", "01:30", "O2"),
        ]
    );
}

#[test]
fn parties_are_initials_and_nothing_personal_is_kept() {
    let import = read_all(&standard(vec![sitting("2026-06-14T08:30:00Z", "U1")]));
    let h = &import.lists[0].hearings[0];
    assert_eq!(h.title, "R v J.S.");
    assert_eq!(h.hearing_type, "Trial");
    assert_eq!(h.reporting_restriction, None);
    let kept = format!("{:?}", import);
    for secret in [
        "Jane",
        "Quinn",
        "Smith",
        "1990-02-03",
        "36",
        "Secret",
        "ZZ9",
        "ASN999888",
        "PNC777666",
        "bicycle",
        "Theft",
    ] {
        assert!(!kept.contains(secret), "{secret} was kept: {kept}");
    }
}

#[test]
fn a_reporting_restriction_is_a_banner_with_its_details() {
    let mut s = sitting("2026-06-14T08:30:00Z", "U1");
    s["hearing"][0]["case"][0]["reportingRestriction"] = json!(true);
    let mut d = sitting("2026-06-14T09:30:00Z", "U2");
    d["hearing"][0]["case"][0]["reportingRestrictionDetails"] =
        json!(["Section 45 YJCEA 1999", "Section 45 YJCEA 1999"]);
    let mut o = sitting("2026-06-14T10:30:00Z", "U3");
    o["hearing"][0]["case"][0]["party"][0]["offence"][0]["reportingRestriction"] = json!(true);
    let import = read_all(&standard(vec![s, d, o]));
    let banners: Vec<_> = import.lists[0]
        .hearings
        .iter()
        .map(|h| h.reporting_restriction.clone())
        .collect();
    assert_eq!(
        banners,
        vec![
            Some(String::new()),
            Some("Section 45 YJCEA 1999".into()),
            Some(String::new()),
        ]
    );
}

#[test]
fn rooms_map_to_courts_and_unmapped_rooms_are_derived_and_reported() {
    let bytes = standard(vec![sitting("2026-06-14T08:30:00Z", "U1")]);
    let import = read_all(&bytes);
    assert_eq!(import.lists[0].court.as_str(), "preston-courtroom-1");
    assert_eq!(import.lists[0].court_name, "PRESTON, Courtroom 1");
    assert!(!import.rooms[0].mapped);
    let rooms = [RoomMapping {
        court_house: "preston".into(),
        room: " COURTROOM  1".into(),
        court: CourtId::parse("courtroom-2").unwrap(),
    }];
    let import = read(
        &bytes,
        &ReadOptions {
            list_type: Some(ListType::StandardList),
            content_date: None,
            rooms: &rooms,
        },
    )
    .unwrap();
    assert_eq!(import.lists[0].court.as_str(), "courtroom-2");
    assert!(import.rooms[0].mapped);
    assert_eq!(import.rooms[0].hearings, 1);
}

#[test]
fn derived_ids_are_stable_safe_and_bounded() {
    assert_eq!(
        derived_court_id("PRESTON", "Courtroom 1").as_str(),
        "preston-courtroom-1"
    );
    assert_eq!(
        derived_court_id("", "to be allocated").as_str(),
        "to-be-allocated"
    );
    assert_eq!(
        derived_court_id("North Shields Magistrates' Court", "1").as_str(),
        "north-shields-magistrates-court-1"
    );
    let long = derived_court_id(&"Very Long Court House Name ".repeat(4), "Room 1");
    assert!(long.as_str().len() <= 64, "{long}");
    assert_eq!(
        long,
        derived_court_id(&"Very Long Court House Name ".repeat(4), "Room 1")
    );
    assert_ne!(
        long,
        derived_court_id(&"Very Long Court House Name ".repeat(4), "Room 2")
    );
    let welsh = derived_court_id("Llys Ynadon", "Ystafell ŵ");
    assert_eq!(welsh.as_str(), "llys-ynadon-ystafell");
    assert!(derived_court_id("", "ŵŵ").as_str().starts_with("room-"));
}

#[test]
fn a_bad_hearing_is_skipped_with_its_reason_and_the_rest_stands() {
    let mut markup = sitting("2026-06-14T09:00:00Z", "BAD1");
    markup["hearing"][0]["hearingType"] = json!("Trial <script>alert(1)</script>");
    let mut bidi = sitting("2026-06-14T09:10:00Z", "BAD2");
    bidi["hearing"][0]["case"][0]["party"][0]["individualDetails"]["individualSurname"] =
        json!("\u{202e}Smith");
    let mut no_urn = sitting("2026-06-14T09:20:00Z", "X");
    no_urn["hearing"][0]["case"][0]
        .as_object_mut()
        .unwrap()
        .remove("caseUrn");
    let application_only = json!({"sittingStart": "2026-06-14T09:30:00Z", "hearing": [{
        "hearingType": "Application", "application": [{"applicationReference": "APP1"}]}]});
    let bad_time = sitting("2026-06-14 09:40", "BAD3");
    let twice = sitting("2026-06-14T08:30:00Z", "GOOD");
    let import = read_all(&standard(vec![
        sitting("2026-06-14T08:30:00Z", "GOOD"),
        markup,
        bidi,
        no_urn,
        application_only,
        bad_time,
        twice,
    ]));
    assert_eq!(listed_at(&import), vec![t("2026-06-14", "09:30", "GOOD")]);
    let skipped: Vec<_> = import
        .skipped
        .iter()
        .map(|s| (s.kind, s.case.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (SkipKind::Schema, "BAD1".into()),
            (SkipKind::Unusable, "BAD2".into()),
            (SkipKind::Schema, String::new()),
            (SkipKind::NoCase, String::new()),
            (SkipKind::Schema, "BAD3".into()),
            (SkipKind::Duplicate, "GOOD".into()),
        ]
    );
    let reasons: Vec<_> = import.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(reasons[0].contains("markup"), "{}", reasons[0]);
    assert!(reasons[1].contains("U+202E"), "{}", reasons[1]);
    assert!(reasons[2].contains("caseUrn is required"), "{}", reasons[2]);
    assert!(reasons[3].contains("application"), "{}", reasons[3]);
    assert!(reasons[4].contains("not a UTC time"), "{}", reasons[4]);
    assert!(reasons[5].contains("already listed"), "{}", reasons[5]);
    assert!(
        import
            .skipped
            .iter()
            .all(|s| s.place == "PRESTON, Courtroom 1")
    );
}

#[test]
fn a_broken_document_is_refused_whole() {
    for (bytes, why) in [
        (b"{".to_vec(), "not JSON"),
        (b"[]".to_vec(), "neither"),
        (
            serde_json::to_vec(&json!({"venue": {}, "courtLists": []})).unwrap(),
            "document is required",
        ),
        (
            serde_json::to_vec(&json!({"document": {"publicationDate": "yesterday"}, "venue": {}, "courtLists": []})).unwrap(),
            "not a UTC time",
        ),
        (
            serde_json::to_vec(&json!({"document": {"publicationDate": "2026-01-01T00:00:00Z"}, "venue": {"venueAddress": {"town": "<b>x</b>"}}, "courtLists": []})).unwrap(),
            "markup",
        ),
    ] {
        let err = read(
            &bytes,
            &ReadOptions {
                list_type: None,
                content_date: None,
                rooms: &[],
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(why), "{err} (wanted {why})");
    }
}

#[test]
fn libra_lists_need_their_day_and_list_local_times() {
    let bytes = serde_json::to_vec(&json!({"document": {"data": {"job": {
        "printdate": "31/07/2025",
        "sessions": {"session": [{"lja": "North Northumbria", "court": "North Shields Magistrates' Court",
            "room": 2, "sstart": "09:00", "blocks": {"block": [{"bstart": "14:05", "cases": {"case": [
                {"caseno": "1000000000", "def_name": "Mrs Alice Beth Cooper", "def_dob": "06/11/1975",
                 "def_addr": {"line1": "1 High Street", "pcode": "SW1A 1AA"}}]}}]}}]}
    }}}}))
    .unwrap();
    let options = ReadOptions {
        list_type: Some(ListType::AdultCourtList),
        content_date: None,
        rooms: &[],
    };
    assert_eq!(
        read(&bytes, &options).unwrap_err(),
        CathError::NeedsContentDate(ListType::AdultCourtList)
    );
    let date: Date = "2026-10-25".parse().unwrap();
    let import = read(
        &bytes,
        &ReadOptions {
            content_date: Some(date),
            ..options
        },
    )
    .unwrap();
    let list = &import.lists[0];
    assert_eq!(list.date, date);
    assert_eq!(list.court.as_str(), "north-shields-magistrates-court-2");
    assert_eq!(list.court_name, "North Shields Magistrates' Court, room 2");
    assert_eq!(list.hearings[0].time.strftime("%H:%M").to_string(), "14:05");
    assert_eq!(list.hearings[0].title, "R v A.C.");
    assert!(!format!("{import:?}").contains("High Street"));
}
