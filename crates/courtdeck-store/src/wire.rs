//! The store's JSON documents (schema version 1), documented in `docs/store-format.md` with a JSON Schema
//! for each in `docs/schema/`. These DTOs exist only here: `parse_*` turns them into validated core
//! types, and `to_*` turns core types back into documents for `bundle`.

use std::time::Duration;

use courtdeck_core::{
    CaseId, CaseManifest, Clip, CourtId, CourtList, Exhibit, ExhibitKind, ExhibitRef, Hearing,
    Restriction, Sha256Digest,
};
use serde::{Deserialize, Serialize};

use crate::{MAX_DOCUMENT_BYTES, StoreError};

pub const SCHEMA_VERSION: u32 = 1;
/// Exhibits one manifest may hold; far above any real case, far below anything that hurts.
pub const MAX_EXHIBITS: usize = 2000;
pub const MAX_HEARINGS: usize = 500;
/// One tebibyte: larger "sizes" are hostile or a mistake.
pub const MAX_BLOB_BYTES: u64 = 1 << 40;
const MAX_TITLE_CHARS: usize = 200;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourtListDoc {
    pub schema_version: u32,
    pub court: String,
    pub court_name: String,
    pub date: String,
    pub hearings: Vec<HearingDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HearingDoc {
    /// Local time, `HH:MM`.
    pub time: String,
    pub case_id: String,
    pub title: String,
    pub hearing_type: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDoc {
    pub schema_version: u32,
    pub case_id: String,
    pub title: String,
    pub exhibits: Vec<ExhibitDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExhibitDoc {
    pub reference: String,
    pub title: String,
    pub kind: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub restriction: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clips: Vec<ClipDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipDoc {
    pub label: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl ClipDoc {
    pub fn to_clip(&self) -> Result<Clip, courtdeck_core::InvalidValue> {
        Clip::new(
            &self.label,
            Duration::from_millis(self.start_ms),
            Duration::from_millis(self.end_ms),
        )
    }
}

fn invalid(what: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("{what} is not valid: {reason}"))
}

fn check_size(what: &str, bytes: &[u8]) -> Result<(), StoreError> {
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(invalid(
            what,
            format!("it is larger than {MAX_DOCUMENT_BYTES} bytes"),
        ));
    }
    Ok(())
}

fn check_version(what: &str, v: u32) -> Result<(), StoreError> {
    if v != SCHEMA_VERSION {
        return Err(invalid(
            what,
            format!(
                "schema_version {v} is not supported (this Courtdeck reads version {SCHEMA_VERSION}); update Courtdeck"
            ),
        ));
    }
    Ok(())
}

fn title(what: &str, field: &str, s: &str) -> Result<String, StoreError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_TITLE_CHARS || t.chars().any(char::is_control) {
        return Err(invalid(
            what,
            format!("{field} must be 1-{MAX_TITLE_CHARS} printable characters"),
        ));
    }
    Ok(t.to_owned())
}

pub fn parse_court_list(bytes: &[u8]) -> Result<CourtList, StoreError> {
    const WHAT: &str = "the court list";
    check_size(WHAT, bytes)?;
    let doc: CourtListDoc = serde_json::from_slice(bytes).map_err(|e| invalid(WHAT, e))?;
    check_version(WHAT, doc.schema_version)?;
    if doc.hearings.len() > MAX_HEARINGS {
        return Err(invalid(
            WHAT,
            format!("it lists more than {MAX_HEARINGS} hearings"),
        ));
    }
    let court = CourtId::parse(&doc.court).map_err(|e| invalid(WHAT, e))?;
    let date = doc
        .date
        .parse()
        .map_err(|e| invalid(WHAT, format!("date {:?}: {e}", doc.date)))?;
    let hearings = doc
        .hearings
        .iter()
        .map(|h| {
            Ok(Hearing {
                time: jiff::civil::Time::strptime("%H:%M", &h.time)
                    .map_err(|_| invalid(WHAT, format!("time {:?} is not HH:MM", h.time)))?,
                case_id: CaseId::parse(&h.case_id).map_err(|e| invalid(WHAT, e))?,
                title: title(WHAT, "title", &h.title)?,
                hearing_type: title(WHAT, "hearing_type", &h.hearing_type)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    CourtList::new(
        court,
        title(WHAT, "court_name", &doc.court_name)?,
        date,
        hearings,
    )
    .map_err(|e| invalid(WHAT, e))
}

pub fn parse_manifest(bytes: &[u8]) -> Result<CaseManifest, StoreError> {
    const WHAT: &str = "the case manifest";
    check_size(WHAT, bytes)?;
    let doc: ManifestDoc = serde_json::from_slice(bytes).map_err(|e| invalid(WHAT, e))?;
    check_version(WHAT, doc.schema_version)?;
    if doc.exhibits.len() > MAX_EXHIBITS {
        return Err(invalid(
            WHAT,
            format!("it lists more than {MAX_EXHIBITS} exhibits"),
        ));
    }
    let case_id = CaseId::parse(&doc.case_id).map_err(|e| invalid(WHAT, e))?;
    let exhibits = doc
        .exhibits
        .iter()
        .map(parse_exhibit)
        .collect::<Result<Vec<_>, _>>()?;
    CaseManifest::new(case_id, title(WHAT, "title", &doc.title)?, exhibits)
        .map_err(|e| invalid(WHAT, e))
}

fn parse_exhibit(e: &ExhibitDoc) -> Result<Exhibit, StoreError> {
    let reference =
        ExhibitRef::parse(&e.reference).map_err(|err| invalid("the case manifest", err))?;
    let what = format!("exhibit {reference}");
    let w = what.as_str();
    if e.size == 0 || e.size > MAX_BLOB_BYTES {
        return Err(invalid(
            w,
            format!(
                "size {} must be between 1 and {MAX_BLOB_BYTES} bytes",
                e.size
            ),
        ));
    }
    if e.media_type.is_empty() || e.media_type.len() > 100 || !e.media_type.contains('/') {
        return Err(invalid(
            w,
            format!("media_type {:?} is not a media type", e.media_type),
        ));
    }
    let clips = e
        .clips
        .iter()
        .map(|c| c.to_clip().map_err(|err| invalid(w, err)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Exhibit {
        title: title(w, "title", &e.title)?,
        kind: ExhibitKind::parse(&e.kind).map_err(|err| invalid(w, err))?,
        media_type: e.media_type.clone(),
        size: e.size,
        sha256: Sha256Digest::from_hex(&e.sha256).map_err(|err| invalid(w, err))?,
        restriction: Restriction::parse(&e.restriction).map_err(|err| invalid(w, err))?,
        duration: e.duration_ms.map(Duration::from_millis),
        clips,
        reference,
    })
}

pub fn court_list_doc(list: &CourtList) -> CourtListDoc {
    CourtListDoc {
        schema_version: SCHEMA_VERSION,
        court: list.court.to_string(),
        court_name: list.court_name.clone(),
        date: list.date.to_string(),
        hearings: list
            .hearings
            .iter()
            .map(|h| HearingDoc {
                time: h.time.strftime("%H:%M").to_string(),
                case_id: h.case_id.to_string(),
                title: h.title.clone(),
                hearing_type: h.hearing_type.clone(),
            })
            .collect(),
    }
}

pub fn manifest_doc(m: &CaseManifest) -> ManifestDoc {
    ManifestDoc {
        schema_version: SCHEMA_VERSION,
        case_id: m.case_id.to_string(),
        title: m.title.clone(),
        exhibits: m
            .exhibits()
            .iter()
            .map(|e| ExhibitDoc {
                reference: e.reference.to_string(),
                title: e.title.clone(),
                kind: e.kind.as_str().into(),
                media_type: e.media_type.clone(),
                size: e.size,
                sha256: e.sha256.to_hex(),
                restriction: e.restriction.as_str().into(),
                duration_ms: e.duration.map(|d| d.as_millis() as u64),
                clips: e
                    .clips
                    .iter()
                    .map(|c| ClipDoc {
                        label: c.label().into(),
                        start_ms: c.start().as_millis() as u64,
                        end_ms: c.end().as_millis() as u64,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn manifest(exhibits: &str) -> String {
        format!(
            r#"{{"schema_version":1,"case_id":"JS-1","title":"R v J.S.","exhibits":[{exhibits}]}}"#
        )
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

    /// Data-driven: each hostile or broken manifest is refused with a message naming the problem.
    #[test]
    fn bad_manifests_are_refused_with_a_reason() {
        let cases: Vec<(String, &str)> = vec![
            ("{".into(), "EOF"),
            (
                manifest(&exhibit("JS/1", ""))
                    .replace("\"schema_version\":1", "\"schema_version\":2"),
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
                manifest(&exhibit("JS/1", ""))
                    .replace("\"size\":10", "\"size\":18446744073709551615"),
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
}
