use super::*;

const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn manifest(exhibits: &str) -> String {
    format!(r#"{{"schema_version":1,"case_id":"JS-1","title":"R v J.S.","exhibits":[{exhibits}]}}"#)
}

fn exhibit(reference: &str, extra: &str) -> String {
    format!(
        r#"{{"reference":"{reference}","title":"CCTV","kind":"video","media_type":"video/mp4","size":10,"sha256":"{HASH}","restriction":"open"{extra}}}"#
    )
}

#[test]
fn a_good_manifest_round_trips() {
    let m = parse_manifest(
        manifest(&exhibit(
            "JS/1",
            r#","duration_ms":20000,"clips":[{"label":"Entry","start_ms":1000,"end_ms":5000}]"#,
        ))
        .as_bytes(),
    )
    .unwrap();
    let again = serde_json::to_vec(&manifest_doc(&m)).unwrap();
    assert_eq!(parse_manifest(&again).unwrap(), m);
}

#[test]
fn documents_and_derived_stills_round_trip_and_bad_ones_are_refused() {
    let doc = format!(
        r#"{{"reference":"JS/7","title":"Statement","kind":"document","media_type":"application/pdf","size":10,"sha256":"{HASH}","restriction":"no_public","pages":[[595.0,842.0],[842.0,595.0]]}}"#
    );
    let derived = format!(
        r#"{{"reference":"JS/8","title":"JS/7, page 1, marked in court","kind":"image","media_type":"image/png","size":10,"sha256":"{HASH}","restriction":"no_public","derived_from":{{"source":"JS/7","source_sha256":"{HASH}","page":1,"strokes":[{{"tool":"arrow","points":[[2485,5000],[7515,5000]]}}]}}}}"#
    );
    // A live source's held frame, kept: its source is the court's live source, with when.
    let live = format!(
        r#"{{"reference":"LIVE/1","title":"Defence laptop, live, frame held at 14:32:05","kind":"image","media_type":"image/png","size":10,"sha256":"{HASH}","restriction":"no_public","derived_from":{{"source":"live:defence-laptop","source_label":"Defence laptop","taken_at":"2026-12-07T14:32:05Z","strokes":[]}}}}"#
    );
    let m = parse_manifest(manifest(&format!("{doc},{derived},{live}")).as_bytes()).unwrap();
    let held = m.exhibits()[2].derived_from.as_deref().unwrap();
    assert!(
        matches!(&held.source, courtdeck_core::annotation::DerivedSource::Live { label, taken_at, .. }
            if label == "Defence laptop" && taken_at.to_string() == "2026-12-07T14:32:05Z"),
        "{held:?}"
    );
    assert_eq!(held.source.name(), "live:defence-laptop");
    let d = m.exhibits()[1].derived_from.as_deref().unwrap();
    assert_eq!((d.source.name(), d.page), ("JS/7".into(), Some(1)));
    assert_eq!(m.exhibits()[0].pages.len(), 2);
    let again = serde_json::to_vec(&manifest_doc(&m)).unwrap();
    assert_eq!(parse_manifest(&again).unwrap(), m);
    for (bad, why) in [
        (
            doc.replace(r#","pages":[[595.0,842.0],[842.0,595.0]]"#, ""),
            "1 to 20000 pages",
        ),
        (
            doc.replace("[842.0,595.0]", "[100000.0,595.0]"),
            "200 inches",
        ),
        (
            derived.replace(r#""tool":"arrow""#, r#""tool":"laser""#),
            "laser",
        ),
        (
            derived.replace("7515,5000", "17515,5000"),
            "outside the picture",
        ),
        (
            live.replace(r#","taken_at":"2026-12-07T14:32:05Z""#, ""),
            "taken_at",
        ),
        (
            live.replace(
                r#""source":"live:defence-laptop""#,
                &format!(r#""source":"live:defence-laptop","source_sha256":"{HASH}""#),
            ),
            "no source_sha256",
        ),
        (
            derived.replace(
                r#""page":1"#,
                r#""page":1,"taken_at":"2026-12-07T14:32:05Z""#,
            ),
            "no source_label or taken_at",
        ),
        (
            live.replace(
                r#""source_label":"Defence laptop""#,
                r#""source_label":"Defence\u202elaptop""#,
            ),
            "source_label",
        ),
    ] {
        let err = parse_manifest(manifest(&bad).as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{err}");
    }
}

/// Data-driven: each hostile or broken manifest is refused with a message naming the problem.
#[test]
fn bad_manifests_are_refused_with_a_reason() {
    let cases: Vec<(String, &str)> = vec![
        ("{".into(), "EOF"),
        (
            manifest(&exhibit("JS/1", "")).replace("\"schema_version\":1", "\"schema_version\":2"),
            "schema_version 2",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace("JS-1", "../../etc"),
            "case_id",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace("JS-1", "/abs"),
            "case_id",
        ),
        (
            manifest(&format!("{},{}", exhibit("JS/1", ""), exhibit("JS/1", ""))),
            "more than once",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace("\"size\":10", "\"size\":-1"),
            "invalid value",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace("\"size\":10", "\"size\":0"),
            "size 0",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace("\"size\":10", "\"size\":18446744073709551615"),
            "size",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace(HASH, "abc"),
            "sha256",
        ),
        (
            manifest(&exhibit("JS/1", "")).replace(HASH, &HASH.to_uppercase()),
            "sha256",
        ),
        (
            manifest(&exhibit(
                "JS/1",
                r#","duration_ms":2000,"clips":[{"label":"x","start_ms":1000,"end_ms":5000}]"#,
            )),
            "ends after",
        ),
        (
            manifest(&exhibit(
                "JS/1",
                r#","clips":[{"label":"x","start_ms":5000,"end_ms":1000}]"#,
            )),
            "not before",
        ),
        (
            manifest(&exhibit("JS/1", r#","evil":true"#)),
            "unknown field",
        ),
        (manifest(&exhibit("js 1", "")), "reference"),
        (
            manifest(&exhibit("JS/1", "")).replace("\"open\"", "\"secret\""),
            "restriction",
        ),
        (manifest(""), "no exhibits"),
        (
            format!(
                "{}{}",
                manifest(&exhibit("JS/1", "")),
                " ".repeat(5 * 1024 * 1024)
            ),
            "larger than",
        ),
    ];
    let n = cases.len();
    for (doc, expect) in cases {
        let err = parse_manifest(doc.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(expect), "expected {expect:?} in {err:?}");
    }
    println!(
        "RELIABILITY|custody|bad_manifests_are_refused_with_a_reason|hostile manifests: traversal, absolute paths, unknown versions and fields, duplicates, bad sizes and hashes, clips outside the media|{}",
        n
    );
}

#[test]
fn court_lists() {
    let doc = r#"{"schema_version":1,"court":"courtroom-2","court_name":"Courtroom 2","date":"2026-11-26",
        "hearings":[{"time":"11:00","case_id":"B","title":"R v B","hearing_type":"Trial"},
                    {"time":"10:00","case_id":"A","title":"R v A","hearing_type":"Sentence"}]}"#;
    let list = parse_court_list(doc.as_bytes()).unwrap();
    assert_eq!(list.hearings[0].case_id.as_str(), "A", "sorted by time");
    assert_eq!(
        parse_court_list(&serde_json::to_vec(&court_list_doc(&list)).unwrap()).unwrap(),
        list
    );
    for (bad, expect) in [
        (doc.replace("11:00", "25:00"), "HH:MM"),
        (doc.replace("2026-11-26", "yesterday"), "date"),
        (doc.replace("courtroom-2", "../x"), "court"),
        (
            doc.replace("\"B\"", "\"A\"").replace("11:00", "10:00"),
            "listed twice",
        ),
    ] {
        let err = parse_court_list(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(expect), "expected {expect:?} in {err:?}");
    }
}

#[test]
fn invisible_characters_are_refused_in_every_displayed_string() {
    let list = r#"{"schema_version":1,"court":"courtroom-2","court_name":"Courtroom 2","date":"2026-11-26",
        "hearings":[{"time":"10:00","case_id":"A","title":"R v A","hearing_type":"Trial"}]}"#;
    let m = manifest(&exhibit(
        "JS/1",
        r#","duration_ms":20000,"clips":[{"label":"Entry","start_ms":1000,"end_ms":5000}]"#,
    ));
    let mut tried = 0;
    // U+202E makes "R v Smith\u{202e}htims" read backwards; the others hide in plain sight.
    for c in [
        '\u{202A}',
        '\u{202E}',
        '\u{2066}',
        '\u{2069}',
        '\u{200B}',
        '\u{200F}',
        '\u{FEFF}',
        '\u{00AD}',
        '\u{E0041}',
    ] {
        // As JSON writes it (a surrogate pair above the BMP).
        let esc: String = c
            .encode_utf16(&mut [0u16; 2])
            .iter()
            .map(|u| format!("\\u{u:04x}"))
            .collect();
        for (doc, field, is_list) in [
            (
                list.replace("R v A", &format!("R v A{esc}x")),
                "title",
                true,
            ),
            (
                list.replace("Courtroom 2", &format!("Court{esc}room")),
                "court_name",
                true,
            ),
            (
                list.replace("Trial", &format!("Tri{esc}al")),
                "hearing_type",
                true,
            ),
            (
                m.replace("R v J.S.", &format!("R v J.S.{esc}")),
                "title",
                false,
            ),
            (m.replace("CCTV", &format!("CC{esc}TV")), "title", false),
            (
                m.replace("Entry", &format!("En{esc}try")),
                "clip label",
                false,
            ),
            (
                m.replace("video/mp4", &format!("video/mp4{esc}")),
                "media_type",
                false,
            ),
        ] {
            let err = if is_list {
                parse_court_list(doc.as_bytes()).unwrap_err()
            } else {
                parse_manifest(doc.as_bytes()).unwrap_err()
            };
            let text = err.to_string();
            assert!(
                text.contains("invisible"),
                "{field} with U+{:04X}: {text}",
                c as u32
            );
            tried += 1;
        }
    }
    assert!(parse_court_list(list.as_bytes()).is_ok());
    assert!(parse_manifest(m.as_bytes()).is_ok());
    // Ordinary non-ASCII text stays welcome.
    assert!(
        parse_court_list(
            list.replace("R v A", "R v Łukasz Müller-Ødegård")
                .as_bytes()
        )
        .is_ok()
    );
    assert_eq!(visible("a\u{202e}b"), "a\\u{202e}b");
    println!(
        "RELIABILITY|custody|invisible_characters_are_refused_in_every_displayed_string|bidi overrides, embeddings and isolates, zero-width and other format characters in every title, name, label and media type of lists and manifests|{tried}"
    );
}

#[test]
fn one_bad_hearing_leaves_the_rest_of_the_list_and_a_misplaced_list_is_refused() {
    let doc = r#"{"schema_version":1,"court":"courtroom-2","court_name":"Courtroom 2","date":"2026-11-26",
        "hearings":[{"time":"10:00","case_id":"A","title":"R v A","hearing_type":"Trial"},
                    {"time":"10:30","case_id":"B","title":"R v B\u202e","hearing_type":"Trial"},
                    {"time":"25:00","case_id":"C","title":"R v C","hearing_type":"Trial"},
                    {"time":"11:00","case_id":"../etc","title":"R v D","hearing_type":"Trial"},
                    {"time":"11:30","case_id":"E","title":"R v E","hearing_type":"Trial","evil":1},
                    {"time":"10:00","case_id":"A","title":"R v A again","hearing_type":"Trial"},
                    {"time":"12:00","case_id":"F","title":"R v F","hearing_type":"Mention"}]}"#;
    let (list, rejected) = parse_court_list_lenient(doc.as_bytes()).unwrap();
    let good: Vec<&str> = list.hearings.iter().map(|h| h.case_id.as_str()).collect();
    assert_eq!(good, ["A", "F"]);
    let positions: Vec<usize> = rejected.iter().map(|r| r.position).collect();
    assert_eq!(positions, [2, 3, 4, 5, 6]);
    assert_eq!(rejected[0].case_id.as_ref().map(|c| c.as_str()), Some("B"));
    assert!(
        rejected[0].reason.contains("invisible"),
        "{}",
        rejected[0].reason
    );
    assert_eq!(rejected[1].time, None);
    assert_eq!(rejected[2].case_id, None);
    assert!(
        rejected[3].reason.contains("unknown field"),
        "{}",
        rejected[3].reason
    );
    assert!(
        rejected[4].reason.contains("listed twice"),
        "{}",
        rejected[4].reason
    );
    // The strict parser still refuses the whole document.
    assert!(parse_court_list(doc.as_bytes()).is_err());

    // A list whose own court or date is not where it was read from.
    let court = CourtId::parse("courtroom-2").unwrap();
    let day: jiff::civil::Date = "2026-11-26".parse().unwrap();
    assert!(check_court_list_place(&list, &court, day).is_ok());
    let other_court = CourtId::parse("courtroom-3").unwrap();
    let e = check_court_list_place(&list, &other_court, day).unwrap_err();
    assert!(e.to_string().contains("says it is for courtroom-2"), "{e}");
    let e = check_court_list_place(&list, &court, "2026-11-27".parse().unwrap()).unwrap_err();
    assert!(e.to_string().contains("on 2026-11-26, not"), "{e}");
    println!(
        "RELIABILITY|custody|one_bad_hearing_leaves_the_rest_of_the_list_and_a_misplaced_list_is_refused|court lists with a hidden bidi override, a bad time, a traversal case id, an unknown field, a duplicate; a list filed under another court or day|{}",
        rejected.len() + 2
    );
}

#[test]
fn blob_links_say_so_in_the_manifest_and_only_safe_links_are_taken() {
    let m = parse_manifest(
        format!(
            r#"{{"schema_version":1,"case_id":"JS-1","title":"R v J.S.","exhibits":[{}],"blob_links":true}}"#,
            exhibit("JS/1", "")
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(m.blob_links);
    let again = serde_json::to_vec(&manifest_doc(&m)).unwrap();
    assert_eq!(parse_manifest(&again).unwrap(), m);
    // Left out when false: a manifest without links is byte for byte what it was.
    let plain = parse_manifest(manifest(&exhibit("JS/1", "")).as_bytes()).unwrap();
    assert!(!plain.blob_links);
    let text = String::from_utf8(serde_json::to_vec(&manifest_doc(&plain)).unwrap()).unwrap();
    assert!(!text.contains("blob_links"), "{text}");

    let case = CaseId::parse("JS-1").unwrap();
    let links = |case_id: &str, url: &str| {
        format!(
            r#"{{"schema_version":1,"case_id":"{case_id}","expires":"2026-12-03T18:00:00Z","blobs":[{{"sha256":"{HASH}","url":"{url}"}}]}}"#
        )
    };
    let good = parse_blob_links(
        links("JS-1", "https://s3.example/b/x?X-Amz-Signature=1").as_bytes(),
        &case,
    )
    .unwrap();
    assert_eq!(good.links.len(), 1);
    assert!(parse_blob_links(links("JS-1", "http://127.0.0.1:8333/b/x").as_bytes(), &case).is_ok());
    for (case_id, url, why) in [
        ("JS-2", "https://s3.example/x", "for case \"JS-2\""),
        ("JS-1", "http://s3.example/x", "a http: link"),
        ("JS-1", "file:///etc/passwd", "a file: link"),
        ("JS-1", "https://u:p@s3.example/x", "credentials"),
        ("JS-1", "https://s3.example/x#frag", "#fragment"),
        ("JS-1", "not a url", "not a URL"),
    ] {
        let e = parse_blob_links(links(case_id, url).as_bytes(), &case)
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{url}: {e}");
    }
    let twice = format!(
        r#"{{"schema_version":1,"case_id":"JS-1","expires":"2026-12-03T18:00:00Z","blobs":[{{"sha256":"{HASH}","url":"https://a.example/x"}},{{"sha256":"{HASH}","url":"https://b.example/x"}}]}}"#
    );
    assert!(
        parse_blob_links(twice.as_bytes(), &case)
            .unwrap_err()
            .to_string()
            .contains("two links")
    );
    let unknown = r#"{"schema_version":1,"case_id":"JS-1","expires":"2026-12-03T18:00:00Z","blobs":[],"extra":1}"#;
    assert!(parse_blob_links(unknown.as_bytes(), &case).is_err());
}

#[test]
fn a_reporting_restriction_round_trips_and_is_displayed_text() {
    let list = |rr: &str| {
        format!(
            r#"{{"schema_version":1,"court":"c","court_name":"C","date":"2026-06-15","hearings":[
                {{"time":"10:00","case_id":"A","title":"R v A.B.","hearing_type":"Trial"{rr}}}]}}"#
        )
    };
    let none = parse_court_list(list("").as_bytes()).unwrap();
    assert_eq!(none.hearings[0].reporting_restriction, None);
    let bare = parse_court_list(list(r#","reporting_restriction":"""#).as_bytes()).unwrap();
    assert_eq!(bare.hearings[0].reporting_restriction.as_deref(), Some(""));
    let details =
        parse_court_list(list(r#","reporting_restriction":"Section 45 YJCEA 1999""#).as_bytes())
            .unwrap();
    let again = serde_json::to_vec(&court_list_doc(&details)).unwrap();
    assert_eq!(parse_court_list(&again).unwrap(), details);
    // As every displayed string: no direction override, not too long.
    let err = parse_court_list(list(",\"reporting_restriction\":\"s45 \u{202e}\"").as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("U+202E"), "{err}");
    let long = "x".repeat(MAX_BANNER_CHARS + 1);
    let err = parse_court_list(list(&format!(r#","reporting_restriction":"{long}""#)).as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("1-1000"), "{err}");
    // The lenient reading keeps the rest of the list when one banner is hostile.
    let (list, rejected) =
        parse_court_list_lenient(list(",\"reporting_restriction\":\"\u{200b}\"").as_bytes())
            .unwrap();
    assert!(list.hearings.is_empty());
    assert_eq!(rejected.len(), 1);
}
