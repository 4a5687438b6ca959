//! HMCTS's own CaTH schemas and sample lists (MIT, from `hmcts/pip-data-management`, unchanged in
//! `../shared/fixtures/cath/`), and lists of ours in `tests/lists/`, read by Courtdeck and checked
//! against the reference JSON Schema validator (PyPI `jsonschema`, installed by `scripts/setup.sh`
//! into `.work/venv-tools`) applying HMCTS's schema itself.
//!
//! The oracle's rule: every part of a list the validator finds an error in is refused by Courtdeck at
//! the smallest enclosing part (hearing, sitting, session, room, court house; Libra: case, block,
//! session), and no other part is refused as a break of the schema; an error outside every part
//! refuses the document.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use courtdeck_interop::cath::{self, CathError, CathImport, ListType, ReadOptions, SkipKind};
use jiff::civil::Date;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/fixtures/cath` beside the checkout (or `$COURTDECK_SHARED_FIXTURES/cath`).
fn hmcts() -> PathBuf {
    let root = std::env::var_os("COURTDECK_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/fixtures"));
    let dir = root.join("cath");
    assert!(
        dir.join("src/main/resources/schemas/magistrates_standard_list.json")
            .is_file(),
        "HMCTS's CaTH schemas and samples are not at {} (the shared fixtures beside the checkout, or set COURTDECK_SHARED_FIXTURES)",
        dir.display()
    );
    dir
}

fn schema(name: &str) -> PathBuf {
    hmcts().join("src/main/resources/schemas").join(name)
}

fn sample(name: &str) -> PathBuf {
    hmcts()
        .join("src/integrationTest/resources/data")
        .join(name)
}

fn ours(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lists")
        .join(name)
}

/// The validator's errors for each list, as JSON pointers.
fn oracle(schema: &Path, lists: &[PathBuf]) -> Vec<Vec<String>> {
    let python = workspace().join(".work/venv-tools/bin/python3");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup.sh (it installs PyPI's jsonschema there)",
        python.display()
    );
    let out = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema_oracle.py"))
        .arg(schema)
        .args(lists)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), lists.len());
    lines
        .iter()
        .map(|l| {
            l["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e[0].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

/// The smallest part of the list holding `pointer`, or None for the document's own fields.
fn part(list_type: ListType, pointer: &str) -> Option<String> {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    // Each part: the array's name, then an index.
    let parts: &[&[&str]] = if list_type.is_libra() {
        &[
            &["document", "data", "job", "sessions", "session"],
            &["blocks", "block"],
            &["cases", "case"],
        ]
    } else {
        &[
            &["courtLists"],
            &["courtHouse", "courtRoom"],
            &["session"],
            &["sittings"],
            &["hearing"],
        ]
    };
    let mut at = 0;
    let mut found = None;
    for names in parts {
        let end = at + names.len();
        if segments.len() > end && segments[at..end] == **names {
            found = Some(end + 1);
            at = end + 1;
        } else {
            break;
        }
    }
    found.map(|end| format!("/{}", segments[..end].join("/")))
}

fn read(
    path: &Path,
    list_type: ListType,
    content_date: Option<Date>,
) -> Result<CathImport, CathError> {
    cath::read(
        &std::fs::read(path).unwrap(),
        &ReadOptions {
            list_type: Some(list_type),
            content_date,
            rooms: &[],
        },
    )
}

/// Courtdeck's verdict on each list agrees with HMCTS's schema applied by the reference validator.
fn agrees_with_the_schema(schema_name: &str, list_type: ListType, lists: &[PathBuf]) {
    let date = Some(Date::constant(2025, 7, 31));
    for (list, errors) in lists.iter().zip(oracle(&schema(schema_name), lists)) {
        let expected: BTreeSet<Option<String>> =
            errors.iter().map(|e| part(list_type, e)).collect();
        match read(list, list_type, date) {
            Err(e) => assert!(
                expected.contains(&None),
                "{}: Courtdeck refused the whole list ({e}), the validator found only {errors:?}",
                list.display()
            ),
            Ok(import) => {
                assert!(
                    !expected.contains(&None),
                    "{}: the validator refuses the document ({errors:?}), Courtdeck read it",
                    list.display()
                );
                let refused: BTreeSet<Option<String>> = import
                    .skipped
                    .iter()
                    .filter(|s| s.kind == SkipKind::Schema)
                    .map(|s| Some(s.at.clone()))
                    .collect();
                assert_eq!(
                    refused,
                    expected,
                    "{}: the parts Courtdeck refused as breaking the schema are not the validator's ({errors:?}); skipped: {:#?}",
                    list.display(),
                    import.skipped
                );
                println!(
                    "{}: {} hearings in {} lists; {} parts refused as the validator refuses them, {} skipped for other reasons",
                    list.display(),
                    import.hearings(),
                    import.lists.len(),
                    refused.len(),
                    import
                        .skipped
                        .iter()
                        .filter(|s| s.kind != SkipKind::Schema)
                        .count()
                );
            }
        }
    }
}

#[test]
fn standard_lists_agree_with_hmcts_schema() {
    agrees_with_the_schema(
        "magistrates_standard_list.json",
        ListType::StandardList,
        &[
            sample("magistrates-standard-list/magistratesStandardList.json"),
            sample("magistrates-standard-list/magistratesStandardListWithInvalidData.json"),
            sample("magistrates-standard-list/magistratesStandardListWithNewLines.json"),
            ours("standard-clock-changes.json"),
            ours("standard-hostile.json"),
        ],
    );
}

#[test]
fn public_lists_agree_with_hmcts_schema() {
    agrees_with_the_schema(
        "magistrates_public_list.json",
        ListType::PublicList,
        &[
            sample("magistrates-public-list/magistratesPublicList.json"),
            sample("magistrates-public-list/magistratesPublicListWithInvalidData.json"),
            sample("magistrates-public-list/magistratesPublicListWithNewLines.json"),
            ours("public-autumn.json"),
        ],
    );
}

#[test]
fn libra_lists_agree_with_hmcts_schema() {
    agrees_with_the_schema(
        "magistrates_adult_court_list.json",
        ListType::AdultCourtList,
        &[sample(
            "magistrates-adult-court-list/magistratesAdultCourtList.json",
        )],
    );
    agrees_with_the_schema(
        "magistrates_public_adult_court_list.json",
        ListType::PublicAdultCourtList,
        &[sample(
            "magistrates-public-adult-court-list/magistratesPublicAdultCourtList.json",
        )],
    );
}

/// (court, date, time, case, title, banner) of every hearing.
fn rows(import: &CathImport) -> Vec<String> {
    import
        .lists
        .iter()
        .flat_map(|l| {
            l.hearings.iter().map(move |h| {
                format!(
                    "{} {} {} {} {} {} {}",
                    l.court,
                    l.date,
                    h.time.strftime("%H:%M"),
                    h.case_id,
                    h.title,
                    h.hearing_type,
                    h.reporting_restriction
                        .as_deref()
                        .map_or("-".into(), |d| if d.is_empty() {
                            "(restricted)".to_owned()
                        } else {
                            format!("(restricted: {d})")
                        })
                )
            })
        })
        .collect()
}

#[test]
fn hmcts_standard_sample_as_a_kiosk_lists_it() {
    let import = read(
        &sample("magistrates-standard-list/magistratesStandardList.json"),
        ListType::StandardList,
        None,
    )
    .unwrap();
    // December: GMT, so the UTC sitting time is the local time.
    assert_eq!(
        rows(&import),
        [
            "manchester-courtroom-1 2023-12-13 14:30 45684548 R v F.S. Hearing Type A (restricted)",
            "manchester-courtroom-2 2023-12-13 15:30 45684548 R v F.S. Hearing Type A (restricted)",
            "preston-courtroom-1 2023-12-13 13:30 45684548 R v F.S. Hearing Type A (restricted)",
        ]
    );
    let text = format!("{import:?}");
    for personal in [
        "1950-01-01",
        "Address Line",
        "ABC1234",
        "PNC12345",
        "Forename A",
        "driving whilst",
    ] {
        assert!(!text.contains(personal), "{personal} was kept");
    }
    assert!(import.rooms.iter().all(|r| !r.mapped));
}

#[test]
fn hmcts_public_sample_in_summer_time_and_its_broken_lines() {
    let import = read(
        &sample("magistrates-public-list/magistratesPublicList.json"),
        ListType::PublicList,
        None,
    )
    .unwrap();
    let rows = rows(&import);
    // 09:40Z in July is 10:40 BST; 08:00Z in January is 08:00 GMT.
    assert!(
        rows.contains(
            &"courtroom-1 2022-07-27 10:40 12341234 R v F.S. Directions (restricted)".to_owned()
        ),
        "{rows:#?}"
    );
    assert!(rows.contains(&"courtroom-1 2022-01-27 08:00 12345678 Case 12345678 FHDRA1 (First Hearing and Dispute Resolution Appointment) -".to_owned()), "{rows:#?}");
    // The same case listed again at the same time in the same room is reported, not listed twice.
    assert!(
        import
            .skipped
            .iter()
            .any(|s| s.kind == SkipKind::Duplicate && s.case.as_deref() == Some("112233445"))
    );
    let lines = read(
        &sample("magistrates-public-list/magistratesPublicListWithNewLines.json"),
        ListType::PublicList,
        None,
    )
    .unwrap();
    // HMCTS's sample breaks "CourtRoom" and the hearing type mid-word; the kiosk shows them whole.
    assert_eq!(lines.lists[0].court_name, "CourtRoom 1");
    assert!(
        lines.lists[0]
            .hearings
            .iter()
            .any(|h| h.hearing_type == "FHDRA1 (First Hearing and Dispute Resolution Appointment)"),
        "{:#?}",
        lines.lists[0].hearings
    );
}

#[test]
fn hmcts_libra_sample_lists_each_room_on_its_content_date() {
    let import = read(
        &sample("magistrates-adult-court-list/magistratesAdultCourtList.json"),
        ListType::AdultCourtList,
        Some(Date::constant(2025, 7, 31)),
    )
    .unwrap();
    let rows = rows(&import);
    assert!(
        rows.contains(
            &"north-shields-magistrates-court-1 2025-07-31 09:00 1000000000 R v T.U. Hearing -"
                .to_owned()
        ),
        "{rows:#?}"
    );
    assert!(
        rows.contains(
            &"north-shields-magistrates-court-2 2025-07-31 14:00 1000000003 R v T.U. Hearing -"
                .to_owned()
        ),
        "{rows:#?}"
    );
    let text = format!("{import:?}");
    for personal in [
        "06/11/1975",
        "High Street",
        "SW1A",
        "Offence summary",
        "POL01",
    ] {
        assert!(!text.contains(personal), "{personal} was kept");
    }
}

#[test]
fn our_clock_change_list_lists_local_times_across_midnight() {
    let import = read(
        &ours("standard-clock-changes.json"),
        ListType::StandardList,
        None,
    )
    .unwrap();
    let got: Vec<String> = rows(&import)
        .iter()
        .map(|r| r.split(' ').take(4).collect::<Vec<_>>().join(" "))
        .collect();
    let c1 = "lavender-hill-magistrates-court-courtroom-1";
    let c2 = "lavender-hill-magistrates-court-courtroom-2";
    assert_eq!(
        got,
        [
            format!("{c1} 2026-03-28 23:30 01AB2600001"),
            format!("{c1} 2026-03-29 00:59 01AB2600002"),
            format!("{c1} 2026-03-29 02:00 01AB2600003"),
            format!("{c1} 2026-06-14 09:30 01AB2600004"),
            format!("{c1} 2026-06-15 00:15 01AB2600005"),
            // 23:30Z on 24 October is still summer time: 00:30 on the 25th.
            format!("{c2} 2026-10-25 00:30 01AB2600006"),
            format!("{c2} 2026-10-25 01:30 01AB2600007"),
            format!("{c2} 2026-10-25 01:30 01AB2600008"),
            format!("{c2} 2026-10-25 09:00 01AB2600009"),
        ]
    );
}
