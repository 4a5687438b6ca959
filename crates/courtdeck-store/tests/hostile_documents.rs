//! Fuzzing the store's document parsers with proptest (a documented, repeatable stand-in for
//! cargo-fuzz, which needs a nightly toolchain): arbitrary bytes, byte-level mutations of valid
//! documents, and structurally valid JSON with hostile values. The parsers must never panic, and
//! whatever they accept must satisfy the invariants the rest of the kiosk relies on.
//!
//! Run more cases: `PROPTEST_CASES=200000 cargo test -p courtdeck-store --test hostile_documents`.

use courtdeck_store::wire::{parse_court_list, parse_manifest};
use proptest::prelude::*;

const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn valid_manifest() -> String {
    format!(
        r#"{{"schema_version":1,"case_id":"JS-1","title":"R v J.S.","exhibits":[{{"reference":"JS/1","title":"CCTV","kind":"video","media_type":"video/mp4","size":10,"sha256":"{HASH}","restriction":"open","duration_ms":20000,"clips":[{{"label":"Entry","start_ms":1000,"end_ms":5000}}]}},{{"reference":"JS/2","title":"Photo","kind":"image","media_type":"image/jpeg","size":3,"sha256":"{HASH}","restriction":"no_public"}}]}}"#
    )
}

fn valid_list() -> String {
    r#"{"schema_version":1,"court":"courtroom-2","court_name":"Courtroom 2","date":"2026-11-26","hearings":[{"time":"10:00","case_id":"JS-1","title":"R v J.S.","hearing_type":"Trial"}]}"#.into()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// What every accepted manifest must satisfy.
fn check_manifest(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(m) = parse_manifest(bytes) {
        let id = m.case_id.to_string();
        prop_assert!(!id.is_empty() && !id.contains('/') && !id.starts_with('.') && id.len() <= 64);
        let mut refs = std::collections::HashSet::new();
        for e in m.exhibits() {
            prop_assert!(
                refs.insert(e.reference.clone()),
                "duplicate {}",
                e.reference
            );
            prop_assert!(e.size > 0);
            for c in &e.clips {
                prop_assert!(c.start() < c.end());
                if let Some(d) = e.duration {
                    prop_assert!(c.end() <= d);
                }
            }
        }
    }
    Ok(())
}

fn check_list(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(l) = parse_court_list(bytes) {
        let court = l.court.to_string();
        prop_assert!(!court.contains('/') && !court.starts_with('.'));
        for h in &l.hearings {
            let id = h.case_id.to_string();
            prop_assert!(!id.contains('/') && !id.contains("..") && !id.starts_with('.'));
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    /// Replace a span with a hostile token.
    Splice(usize, usize, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = prop::sample::select(vec![
        "../",
        "/etc/passwd",
        "-1",
        "1e400",
        "18446744073709551616",
        "null",
        "\"\\u0000\"",
        "{}",
        "[]",
        "2",
        "\"..\"",
        "\"JS/1\"",
        "99999999999999999999",
        "\"\\\\\"",
        "true",
        "\"schema_version\":2",
        "\"extra\":1,",
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), 0..12usize, tokens).prop_map(|(i, n, t)| Mutation::Splice(i, n, t)),
    ]
}

fn mutate(doc: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut b = doc.as_bytes().to_vec();
    for m in muts {
        let len = b.len().max(1);
        match *m {
            Mutation::Flip(i, x) => {
                if !b.is_empty() {
                    b[i % len] ^= x;
                }
            }
            Mutation::Insert(i, x) => b.insert(i % (b.len() + 1), x),
            Mutation::Delete(i) => {
                if !b.is_empty() {
                    b.remove(i % len);
                }
            }
            Mutation::Splice(i, n, t) => {
                let start = i % (b.len() + 1);
                let end = (start + n).min(b.len());
                b.splice(start..end, t.bytes());
            }
        }
    }
    b
}

/// A manifest that is valid JSON of the right shape, with values drawn from hostile sets.
fn hostile_manifest() -> impl Strategy<Value = String> {
    let text = prop::sample::select(vec![
        "JS-1",
        "../x",
        "/abs",
        ".hidden",
        "a/b",
        "",
        "JS-1\u{0}",
        "É",
        "x".repeat(65).leak(),
        "CON",
        "JS/1",
        "JS/0",
        "js/1",
        "JS/10000",
        "ABCDEFG/1",
        "JS/1 ",
    ]);
    let number = prop::sample::select(vec![
        "0",
        "1",
        "-1",
        "10",
        "1.5",
        "1e3",
        "18446744073709551615",
        "18446744073709551616",
        "9007199254740993",
        "\"10\"",
        "null",
    ]);
    let hash = prop::sample::select(vec![
        HASH.to_owned(),
        HASH.to_uppercase(),
        HASH[..63].to_owned(),
        format!("{HASH}0"),
        "g".repeat(64),
        String::new(),
    ]);
    let kind = prop::sample::select(vec!["video", "audio", "image", "document", ""]);
    let restriction = prop::sample::select(vec!["open", "no_public", "bench_only", "secret", ""]);
    let exhibit = (
        text.clone(),
        number.clone(),
        hash,
        kind,
        restriction,
        number.clone(),
        number.clone(),
        number,
    )
        .prop_map(|(r, size, h, k, res, dur, cs, ce)| {
            format!(
                r#"{{"reference":"{r}","title":"t","kind":"{k}","media_type":"video/mp4","size":{size},"sha256":"{h}","restriction":"{res}","duration_ms":{dur},"clips":[{{"label":"c","start_ms":{cs},"end_ms":{ce}}}]}}"#
            )
        });
    (
        text,
        prop::sample::select(vec!["1", "0", "2", "-1", "\"1\""]),
        prop::collection::vec(exhibit, 0..5),
    )
        .prop_map(|(case, version, exhibits)| {
            format!(
                r#"{{"schema_version":{version},"case_id":"{case}","title":"t","exhibits":[{}]}}"#,
                exhibits.join(",")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_manifest(&bytes)?;
        check_list(&bytes)?;
    }

    #[test]
    fn mutated_valid_documents_never_panic(muts in prop::collection::vec(mutation(), 1..6)) {
        check_manifest(&mutate(&valid_manifest(), &muts))?;
        check_list(&mutate(&valid_list(), &muts))?;
    }

    #[test]
    fn hostile_values_in_valid_json_are_refused_or_sane(doc in hostile_manifest()) {
        check_manifest(doc.as_bytes())?;
    }
}

#[test]
fn the_valid_seeds_parse() {
    parse_manifest(valid_manifest().as_bytes()).unwrap();
    parse_court_list(valid_list().as_bytes()).unwrap();
}

#[test]
fn oversized_and_deeply_nested_documents_are_refused() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(5 * 1024 * 1024));
    assert!(parse_manifest(big.as_bytes()).is_err());
    let deep = "[".repeat(100_000);
    assert!(parse_manifest(deep.as_bytes()).is_err());
    assert!(parse_court_list(deep.as_bytes()).is_err());
}

#[test]
fn reliability_line() {
    println!(
        "RELIABILITY|custody|hostile_documents (4 tests)|store documents: arbitrary bytes, mutated valid documents, hostile values, oversized and deeply nested (proptest)|{}",
        cases() * 3 + 3
    );
}
