//! The store's JSON documents (schema version 1), documented in `docs/store-format.md` with a JSON Schema
//! for each in `docs/schema/`. These DTOs exist only here: `parse_*` turns them into validated core
//! types, and `to_*` turns core types back into documents for `bundle`.

use std::time::Duration;

use courtdeck_core::annotation::{Derivation, DerivedSource, Stroke, check_strokes};
use courtdeck_core::transcript::TranscriptRef;
use courtdeck_core::{
    CaseId, CaseManifest, Clip, CourtId, CourtList, Exhibit, ExhibitKind, ExhibitRef, Hearing,
    PageSize, Restriction, Sha256Digest,
};
use serde::{Deserialize, Serialize};

pub use courtdeck_core::text::{is_invisible_format, visible};

use crate::{MAX_DOCUMENT_BYTES, StoreError};

pub const SCHEMA_VERSION: u32 = 1;
/// Exhibits one manifest may hold; far above any real case, far below anything that hurts.
pub const MAX_EXHIBITS: usize = 2000;
pub const MAX_HEARINGS: usize = 500;
/// One tebibyte: larger "sizes" are hostile or a mistake.
pub const MAX_BLOB_BYTES: u64 = 1 << 40;
const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BANNER_CHARS: usize = 1000;

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
    /// Reporting restrictions apply to the case (a banner on the hearing): the details, or "".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_restriction: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDoc {
    pub schema_version: u32,
    pub case_id: String,
    pub title: String,
    pub exhibits: Vec<ExhibitDoc>,
    /// The blobs come through the pre-signed links of `cases/<id>/blob-links.json`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blob_links: bool,
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
    /// A document's pages in order, each `[width, height]` in points as shown (crop box, rotated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<[f64; 2]>,
    /// A still made in court from another exhibit (a marked page or frame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<DerivationDoc>,
    /// A recording's transcript (WebVTT), a blob of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<TranscriptDoc>,
    /// Where it came from (an evidence package from a police system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<ProvenanceDoc>,
}

/// `courtdeck_core::Provenance` on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceDoc {
    pub source_organisation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// `master`, `working_copy` or `court_playable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<String>,
    /// The source's own digests of the bytes, by algorithm (`sha512`: hex).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub digests: std::collections::BTreeMap<String, String>,
    /// False: the source did not say who may see it, and `restriction` is Courtdeck's cautious
    /// default until someone decides.
    #[serde(default = "stated")]
    pub restriction_stated: bool,
}

fn stated() -> bool {
    true
}

impl ProvenanceDoc {
    pub fn from_core(p: &courtdeck_core::Provenance) -> ProvenanceDoc {
        ProvenanceDoc {
            source_organisation: p.source_organisation.clone(),
            source_id: p.source_id.clone(),
            copy: p.copy.map(|c| c.as_str().to_owned()),
            digests: p.source_digests.iter().cloned().collect(),
            restriction_stated: p.restriction_stated,
        }
    }

    fn to_core(&self, w: &str) -> Result<courtdeck_core::Provenance, StoreError> {
        let digests = self
            .digests
            .iter()
            .map(|(alg, hex)| {
                let len = match alg.as_str() {
                    "md5" => 32,
                    "sha1" => 40,
                    "sha224" => 56,
                    "sha256" => 64,
                    "sha384" => 96,
                    "sha512" => 128,
                    _ => {
                        return Err(invalid(
                            w,
                            format!("provenance: {:?} is not a digest algorithm", visible(alg)),
                        ));
                    }
                };
                if hex.len() != len || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid(
                        w,
                        format!("provenance: {alg} {hex:?} is not a digest"),
                    ));
                }
                Ok((alg.clone(), hex.to_ascii_lowercase()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(courtdeck_core::Provenance {
            source_organisation: title(
                w,
                "provenance source_organisation",
                &self.source_organisation,
            )?,
            source_id: self
                .source_id
                .as_deref()
                .map(|s| title(w, "provenance source_id", s))
                .transpose()?,
            copy: self
                .copy
                .as_deref()
                .map(courtdeck_core::CopyRole::parse)
                .transpose()
                .map_err(|err| invalid(w, format!("provenance: {err}")))?,
            source_digests: digests,
            restriction_stated: self.restriction_stated,
        })
    }
}

/// `courtdeck_core::transcript::TranscriptRef` on the wire: the WebVTT blob's hash and size, and
/// who may read it (`bench_only` when not said: the cautious default for an ABE transcript).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptDoc {
    pub sha256: String,
    pub size: u64,
    #[serde(default = "bench_only")]
    pub restriction: String,
}

fn bench_only() -> String {
    "bench_only".into()
}

/// `courtdeck_core::annotation::Derivation` on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivationDoc {
    /// The exhibit it was made of (`JS/7`), or the live source whose held frame it is
    /// (`live:defence-laptop`).
    pub source: String,
    /// The exhibit's SHA-256 (absent for a live source: nothing of it was hashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
    /// A live source's name in the court ("Defence laptop").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_label: Option<String>,
    /// When a live source's frame was kept (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_ms: Option<u64>,
    pub strokes: Vec<StrokeDoc>,
}

/// A stroke: its tool and its points `[x, y]` in ten-thousandths of the picture.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrokeDoc {
    pub tool: String,
    pub points: Vec<[u16; 2]>,
}

impl DerivationDoc {
    pub fn from_core(d: &Derivation) -> DerivationDoc {
        let (source_sha256, source_label, taken_at) = match &d.source {
            DerivedSource::Exhibit { sha256, .. } => (Some(sha256.to_hex()), None, None),
            DerivedSource::Live {
                label, taken_at, ..
            } => (None, Some(label.clone()), Some(taken_at.to_string())),
        };
        DerivationDoc {
            source: d.source.name(),
            source_sha256,
            source_label,
            taken_at,
            page: d.page,
            position_ms: d.position_ms,
            strokes: d
                .strokes
                .iter()
                .map(|s| StrokeDoc {
                    tool: s.tool().as_str().into(),
                    points: s.points().iter().map(|(x, y)| [*x, *y]).collect(),
                })
                .collect(),
        }
    }

    fn to_core(&self) -> Result<Derivation, courtdeck_core::InvalidValue> {
        let strokes = self
            .strokes
            .iter()
            .map(|s| Stroke::parse(&s.tool, s.points.iter().map(|p| (p[0], p[1])).collect()))
            .collect::<Result<Vec<_>, _>>()?;
        check_strokes(&strokes)?;
        let invalid = |m: &str| courtdeck_core::InvalidValue::new("derived_from", m.to_owned());
        let source = match (
            courtdeck_core::Shown::parse(&self.source)?,
            &self.source_sha256,
            &self.source_label,
            &self.taken_at,
        ) {
            (courtdeck_core::Shown::Exhibit(reference), Some(sha256), None, None) => {
                DerivedSource::Exhibit {
                    reference,
                    sha256: Sha256Digest::from_hex(sha256)?,
                }
            }
            (courtdeck_core::Shown::Live(source), None, Some(label), Some(taken_at)) => {
                DerivedSource::Live {
                    source,
                    label: courtdeck_core::text::displayable("source_label", label)?,
                    taken_at: taken_at
                        .parse()
                        .map_err(|_| invalid("taken_at is not an RFC 3339 time"))?,
                }
            }
            (courtdeck_core::Shown::Exhibit(_), ..) => {
                return Err(invalid(
                    "an exhibit's still names its source_sha256, and no source_label or taken_at",
                ));
            }
            (courtdeck_core::Shown::Live(_), ..) => {
                return Err(invalid(
                    "a live source's frame names its source_label and taken_at, and no source_sha256",
                ));
            }
        };
        Ok(Derivation {
            source,
            page: self.page,
            position_ms: self.position_ms,
            strokes,
        })
    }
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
    text(what, field, s, MAX_TITLE_CHARS)
}

/// Displayed text: 1 to `max` characters, trimmed, no control or invisible format character.
fn text(what: &str, field: &str, s: &str, max: usize) -> Result<String, StoreError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(invalid(
            what,
            format!("{field} must be 1-{max} printable characters"),
        ));
    }
    if let Some(c) = t.chars().find(|&c| is_invisible_format(c)) {
        return Err(invalid(
            what,
            format!(
                "{field} contains the invisible character U+{:04X} (a direction override or another format character can make text read as something else)",
                c as u32
            ),
        ));
    }
    Ok(t.to_owned())
}

/// A reporting-restriction banner: text like a title, but up to `MAX_BANNER_CHARS` (the details of
/// several orders can be long).
fn banner(what: &str, s: Option<&str>) -> Result<Option<String>, StoreError> {
    match s {
        None => Ok(None),
        // Restrictions apply; the list gave no details.
        Some(s) if s.trim().is_empty() => Ok(Some(String::new())),
        Some(s) => text(what, "reporting_restriction", s, MAX_BANNER_CHARS).map(Some),
    }
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
                reporting_restriction: banner(WHAT, h.reporting_restriction.as_deref())?,
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

/// A hearing of a court list that could not be read, kept so the list can say so in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedHearing {
    /// 1-based position in the document.
    pub position: usize,
    /// Its time and case, when those at least are valid.
    pub time: Option<jiff::civil::Time>,
    pub case_id: Option<CaseId>,
    /// Why, with any hostile characters written out.
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LenientCourtListDoc {
    schema_version: u32,
    court: String,
    court_name: String,
    date: String,
    hearings: Vec<serde_json::Value>,
}

/// As `parse_court_list`, but one malformed hearing does not take the list with it: the valid hearings
/// make the list, and each bad one comes back as a `RejectedHearing` (so the kiosk shows it as
/// unavailable, with the reason, where it was listed). The document itself (schema, court, date, court
/// name, size, count) must still be valid.
pub fn parse_court_list_lenient(
    bytes: &[u8],
) -> Result<(CourtList, Vec<RejectedHearing>), StoreError> {
    const WHAT: &str = "the court list";
    check_size(WHAT, bytes)?;
    let doc: LenientCourtListDoc = serde_json::from_slice(bytes).map_err(|e| invalid(WHAT, e))?;
    check_version(WHAT, doc.schema_version)?;
    if doc.hearings.len() > MAX_HEARINGS {
        return Err(invalid(
            WHAT,
            format!("it lists more than {MAX_HEARINGS} hearings"),
        ));
    }
    let court = CourtId::parse(&doc.court).map_err(|e| invalid(WHAT, visible(&e.to_string())))?;
    let date = doc
        .date
        .parse()
        .map_err(|e| invalid(WHAT, format!("date {:?}: {e}", visible(&doc.date))))?;
    let court_name = title(WHAT, "court_name", &doc.court_name)?;
    let mut hearings: Vec<Hearing> = Vec::new();
    let mut rejected = Vec::new();
    for (i, value) in doc.hearings.iter().enumerate() {
        let position = i + 1;
        let what = format!("hearing {position} of the court list");
        let time = value["time"]
            .as_str()
            .and_then(|t| jiff::civil::Time::strptime("%H:%M", t).ok());
        let case_id = value["case_id"]
            .as_str()
            .and_then(|c| CaseId::parse(c).ok());
        let parsed = serde_json::from_value::<HearingDoc>(value.clone())
            .map_err(|e| invalid(&what, e))
            .and_then(|h| {
                Ok(Hearing {
                    time: time
                        .ok_or_else(|| invalid(&what, format!("time {:?} is not HH:MM", h.time)))?,
                    case_id: CaseId::parse(&h.case_id).map_err(|e| invalid(&what, e))?,
                    title: title(&what, "title", &h.title)?,
                    hearing_type: title(&what, "hearing_type", &h.hearing_type)?,
                    reporting_restriction: banner(&what, h.reporting_restriction.as_deref())?,
                })
            })
            .and_then(|h| {
                if hearings
                    .iter()
                    .any(|o| o.time == h.time && o.case_id == h.case_id)
                {
                    Err(invalid(
                        &what,
                        format!("case {} is listed twice at {}", h.case_id, h.time),
                    ))
                } else {
                    Ok(h)
                }
            });
        match parsed {
            Ok(h) => hearings.push(h),
            Err(e) => rejected.push(RejectedHearing {
                position,
                time,
                case_id,
                reason: visible(&e.to_string()),
            }),
        }
    }
    let list = CourtList::new(court, court_name, date, hearings).map_err(|e| invalid(WHAT, e))?;
    Ok((list, rejected))
}

/// Refuses a court list whose own `court` or `date` is not the place it was read from: a list moved
/// or copied to another court's or day's path must not be shown there.
pub fn check_court_list_place(
    list: &CourtList,
    court: &CourtId,
    date: jiff::civil::Date,
) -> Result<(), StoreError> {
    if &list.court != court || list.date != date {
        return Err(StoreError::Invalid(format!(
            "the court list at {} says it is for {} on {}, not {court} on {date}; it was refused",
            crate::court_list_path(court, date),
            list.court,
            list.date
        )));
    }
    Ok(())
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
    let mut manifest = CaseManifest::new(case_id, title(WHAT, "title", &doc.title)?, exhibits)
        .map_err(|e| invalid(WHAT, e))?;
    manifest.blob_links = doc.blob_links;
    Ok(manifest)
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
    if e.media_type
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(invalid(w, "media_type contains an invisible character"));
    }
    for c in &e.clips {
        if c.label.chars().any(is_invisible_format) {
            title(w, "a clip label", &c.label)?;
        }
    }
    let clips = e
        .clips
        .iter()
        .map(|c| c.to_clip().map_err(|err| invalid(w, err)))
        .collect::<Result<Vec<_>, _>>()?;
    if e.pages.len() > courtdeck_core::MAX_PAGES {
        return Err(invalid(
            w,
            format!("it lists more than {} pages", courtdeck_core::MAX_PAGES),
        ));
    }
    let pages = e
        .pages
        .iter()
        .enumerate()
        .map(|(i, [width, height])| {
            PageSize::from_points(*width, *height)
                .map_err(|err| invalid(w, format!("page {}: {err}", i + 1)))
        })
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
        pages,
        derived_from: e
            .derived_from
            .as_ref()
            .map(|d| d.to_core().map(Box::new))
            .transpose()
            .map_err(|err| invalid(w, format!("derived_from: {err}")))?,
        transcript: e
            .transcript
            .as_ref()
            .map(|t| {
                if t.size == 0 || t.size > courtdeck_core::transcript::MAX_TRANSCRIPT_BYTES {
                    return Err(invalid(
                        w,
                        format!(
                            "transcript: size {} must be between 1 and {} bytes",
                            t.size,
                            courtdeck_core::transcript::MAX_TRANSCRIPT_BYTES
                        ),
                    ));
                }
                Ok(TranscriptRef {
                    sha256: Sha256Digest::from_hex(&t.sha256)
                        .map_err(|err| invalid(w, format!("transcript: {err}")))?,
                    size: t.size,
                    restriction: Restriction::parse(&t.restriction)
                        .map_err(|err| invalid(w, format!("transcript: {err}")))?,
                })
            })
            .transpose()?,
        provenance: e.provenance.as_ref().map(|p| p.to_core(w)).transpose()?,
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
                reporting_restriction: h.reporting_restriction.clone(),
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
                pages: e
                    .pages
                    .iter()
                    .map(|p| [p.width_points(), p.height_points()])
                    .collect(),
                derived_from: e.derived_from.as_deref().map(DerivationDoc::from_core),
                transcript: e.transcript.map(|t| TranscriptDoc {
                    sha256: t.sha256.to_hex(),
                    size: t.size,
                    restriction: t.restriction.as_str().into(),
                }),
                provenance: e.provenance.as_ref().map(ProvenanceDoc::from_core),
            })
            .collect(),
        blob_links: m.blob_links,
    }
}

/// `cases/<id>/blob-links.json`: pre-signed links to a case's blobs (see `links`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobLinksDoc {
    pub schema_version: u32,
    pub case_id: String,
    /// When the links stop working (RFC 3339): for the messages, not a rule (the host decides).
    pub expires: String,
    pub blobs: Vec<BlobLinkDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobLinkDoc {
    pub sha256: String,
    pub url: String,
}

/// A case's pre-signed blob links, each checked: `https://` (plain `http://` only to this
/// machine's loopback), no credentials or fragment in the URL.
#[derive(Debug, Clone)]
pub struct BlobLinks {
    pub case_id: CaseId,
    pub expires: jiff::Timestamp,
    pub links: std::collections::HashMap<Sha256Digest, url::Url>,
}

/// Whether `url` may be fetched as a blob link: what is refused is said in words.
pub fn check_link(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    let loopback = crate::http::is_loopback(&parsed);
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => {
            return Err(format!(
                "a {other}: link (only https://, or plain http:// to this machine's loopback)"
            ));
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("a link with credentials in it".into());
    }
    if parsed.fragment().is_some() {
        return Err("a link with a #fragment".into());
    }
    Ok(parsed)
}

pub fn parse_blob_links(bytes: &[u8], case: &CaseId) -> Result<BlobLinks, StoreError> {
    let what = format!("the blob links of case {case}");
    let w = what.as_str();
    check_size(w, bytes)?;
    let doc: BlobLinksDoc = serde_json::from_slice(bytes).map_err(|e| invalid(w, e))?;
    check_version(w, doc.schema_version)?;
    if doc.case_id != case.as_str() {
        return Err(invalid(w, format!("they are for case {:?}", doc.case_id)));
    }
    // A recording and its transcript each have a link.
    if doc.blobs.len() > 2 * MAX_EXHIBITS {
        return Err(invalid(
            w,
            format!("they list more than {} links", 2 * MAX_EXHIBITS),
        ));
    }
    let expires: jiff::Timestamp = doc
        .expires
        .parse()
        .map_err(|e| invalid(w, format!("expires {:?}: {e}", doc.expires)))?;
    let mut links = std::collections::HashMap::new();
    for b in &doc.blobs {
        let digest = Sha256Digest::from_hex(&b.sha256).map_err(|e| invalid(w, e))?;
        // The URL itself is never in the message: its query is a signature.
        let url = check_link(&b.url).map_err(|e| invalid(w, format!("blob {}: {e}", b.sha256)))?;
        if links.insert(digest, url).is_some() {
            return Err(invalid(w, format!("blob {} has two links", b.sha256)));
        }
    }
    Ok(BlobLinks {
        case_id: case.clone(),
        expires,
        links,
    })
}

/// The links document for `case`: `links` are (blob, pre-signed URL), good until `expires`.
pub fn blob_links_doc(
    case: &CaseId,
    expires: jiff::Timestamp,
    links: impl IntoIterator<Item = (Sha256Digest, String)>,
) -> BlobLinksDoc {
    BlobLinksDoc {
        schema_version: SCHEMA_VERSION,
        case_id: case.to_string(),
        expires: expires.to_string(),
        blobs: links
            .into_iter()
            .map(|(d, url)| BlobLinkDoc {
                sha256: d.to_hex(),
                url,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
