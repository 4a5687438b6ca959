//! Court lists, hearings and case manifests.

use std::collections::HashSet;

use jiff::civil::{Date, Time};

use crate::exhibit::{CaseId, Exhibit, ExhibitRef, InvalidValue, safe_segment};

/// A courtroom's identifier in the store (`courtroom-2`); a safe path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourtId(String);

impl CourtId {
    pub fn parse(s: &str) -> Result<CourtId, InvalidValue> {
        safe_segment("court", s).map(CourtId)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CourtId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One listed hearing: when, which case, what kind of hearing, and the parties by initials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hearing {
    pub time: Time,
    pub case_id: CaseId,
    /// How the case is called in court: "R v J.S.".
    pub title: String,
    /// "Trial", "Sentence", "First appearance"...
    pub hearing_type: String,
    /// The list says reporting restrictions apply to the case (the surface shows a banner on the
    /// hearing): the details it gives (which orders), empty when it gives none.
    pub reporting_restriction: Option<String>,
}

/// The day's list for one courtroom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtList {
    pub court: CourtId,
    pub court_name: String,
    pub date: Date,
    /// Sorted by time.
    pub hearings: Vec<Hearing>,
}

impl CourtList {
    pub fn new(
        court: CourtId,
        court_name: String,
        date: Date,
        mut hearings: Vec<Hearing>,
    ) -> Result<CourtList, InvalidValue> {
        let mut seen = HashSet::new();
        for h in &hearings {
            if !seen.insert((h.time, h.case_id.clone())) {
                return Err(InvalidValue::new(
                    "hearings",
                    format!("case {} is listed twice at {}", h.case_id, h.time),
                ));
            }
        }
        hearings.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.case_id.cmp(&b.case_id)));
        Ok(CourtList {
            court,
            court_name,
            date,
            hearings,
        })
    }
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("{0}")]
    Invalid(#[from] InvalidValue),
    #[error("exhibit {0} appears more than once")]
    DuplicateReference(ExhibitRef),
    #[error(
        "exhibit {reference}: clip {label:?} ends after the recording ({end_ms} ms > {duration_ms} ms)"
    )]
    ClipOutsideMedia {
        reference: ExhibitRef,
        label: String,
        end_ms: u128,
        duration_ms: u128,
    },
    #[error("exhibit {0}: a still image cannot have clips")]
    ClipOnStill(ExhibitRef),
    #[error("exhibit {0}: a document cannot have clips or a duration")]
    ClipOnDocument(ExhibitRef),
    #[error("exhibit {reference}: {why}")]
    Pages { reference: ExhibitRef, why: String },
    #[error("exhibit {0}: only a recording (video or audio) can have a transcript")]
    TranscriptOnStill(ExhibitRef),
    #[error("the case has no exhibits")]
    Empty,
}

/// A case's disclosed exhibits, validated as a whole: unique references, clips inside their media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseManifest {
    pub case_id: CaseId,
    pub title: String,
    /// Sorted by reference.
    exhibits: Vec<Exhibit>,
    /// The publisher says the case's blobs are fetched through pre-signed links it hands out beside
    /// the manifest (an object store's, as evidence-sharing systems give), not from the store's own
    /// blob folder.
    pub blob_links: bool,
}

impl CaseManifest {
    pub fn new(
        case_id: CaseId,
        title: String,
        mut exhibits: Vec<Exhibit>,
    ) -> Result<CaseManifest, ManifestError> {
        if exhibits.is_empty() {
            return Err(ManifestError::Empty);
        }
        let mut seen = HashSet::new();
        for e in &exhibits {
            if !seen.insert(e.reference.clone()) {
                return Err(ManifestError::DuplicateReference(e.reference.clone()));
            }
            let pages = |why: String| ManifestError::Pages {
                reference: e.reference.clone(),
                why,
            };
            let can = e.kind.capabilities();
            if !can.timeline && !can.pages && !e.clips.is_empty() {
                return Err(ManifestError::ClipOnStill(e.reference.clone()));
            }
            if can.pages {
                if !e.clips.is_empty() || e.duration.is_some() {
                    return Err(ManifestError::ClipOnDocument(e.reference.clone()));
                }
                if e.pages.is_empty() || e.pages.len() > crate::MAX_PAGES {
                    return Err(pages(format!(
                        "a document has 1 to {} pages, not {}",
                        crate::MAX_PAGES,
                        e.pages.len()
                    )));
                }
            } else if !e.pages.is_empty() {
                return Err(pages(format!(
                    "only a document has pages, and this is {}",
                    e.kind.as_str()
                )));
            }
            if e.transcript.is_some() && !e.kind.has_timeline() {
                return Err(ManifestError::TranscriptOnStill(e.reference.clone()));
            }
            if let Some(duration) = e.duration {
                for c in &e.clips {
                    if c.end() > duration {
                        return Err(ManifestError::ClipOutsideMedia {
                            reference: e.reference.clone(),
                            label: c.label().to_owned(),
                            end_ms: c.end().as_millis(),
                            duration_ms: duration.as_millis(),
                        });
                    }
                }
            }
        }
        exhibits.sort_by(|a, b| a.reference.cmp(&b.reference));
        Ok(CaseManifest {
            case_id,
            title,
            exhibits,
            blob_links: false,
        })
    }

    pub fn exhibits(&self) -> &[Exhibit] {
        &self.exhibits
    }

    pub fn exhibit(&self, reference: &ExhibitRef) -> Option<&Exhibit> {
        self.exhibits.iter().find(|e| &e.reference == reference)
    }

    /// The manifest with `exhibit` added (checked as a whole again).
    pub fn with_exhibit(&self, exhibit: Exhibit) -> Result<CaseManifest, ManifestError> {
        let mut exhibits = self.exhibits.clone();
        exhibits.push(exhibit);
        Ok(CaseManifest {
            blob_links: self.blob_links,
            ..CaseManifest::new(self.case_id.clone(), self.title.clone(), exhibits)?
        })
    }

    /// The next free reference with `like`'s initials: one more than the highest number the case
    /// has with them (`JS/7` in a case up to `JS/7` gives `JS/8`).
    /// The next reference with `initials` (`LIVE/1` when the case has none yet).
    pub fn next_reference_with(&self, initials: &str) -> Option<ExhibitRef> {
        let highest = self
            .exhibits
            .iter()
            .filter(|e| e.reference.initials() == initials)
            .map(|e| e.reference.number())
            .max()
            .unwrap_or(0);
        ExhibitRef::parse(&format!("{initials}/{}", highest + 1)).ok()
    }

    pub fn next_reference(&self, like: &ExhibitRef) -> Option<ExhibitRef> {
        let highest = self
            .exhibits
            .iter()
            .filter(|e| e.reference.initials() == like.initials())
            .map(|e| e.reference.number())
            .max()?;
        let initials = like.initials();
        ExhibitRef::parse(&format!("{initials}/{}", highest + 1)).ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{Clip, ExhibitKind, Restriction, Sha256Digest};

    fn exhibit(
        reference: &str,
        kind: ExhibitKind,
        duration: Option<u64>,
        clips: Vec<Clip>,
    ) -> Exhibit {
        Exhibit {
            reference: ExhibitRef::parse(reference).unwrap(),
            title: "x".into(),
            kind,
            media_type: "video/mp4".into(),
            size: 1,
            sha256: Sha256Digest::from_bytes([7; 32]),
            restriction: Restriction::Open,
            duration: duration.map(Duration::from_secs),
            clips,
            pages: vec![],
            derived_from: None,
            transcript: None,
            provenance: None,
        }
    }

    fn case() -> CaseId {
        CaseId::parse("JS-1").unwrap()
    }

    #[test]
    fn a_derived_exhibit_takes_the_next_free_reference() {
        let m = CaseManifest::new(
            case(),
            "R v J.S.".into(),
            vec![
                exhibit("JS/2", ExhibitKind::Image, None, vec![]),
                exhibit("JS/10", ExhibitKind::Image, None, vec![]),
                exhibit("AB/40", ExhibitKind::Image, None, vec![]),
            ],
        )
        .unwrap();
        let js2 = ExhibitRef::parse("JS/2").unwrap();
        let next = m.next_reference(&js2).unwrap();
        assert_eq!(next.to_string(), "JS/11");
        let m = m
            .with_exhibit(exhibit("JS/11", ExhibitKind::Image, None, vec![]))
            .unwrap();
        assert_eq!(m.next_reference(&js2).unwrap().to_string(), "JS/12");
        assert!(
            m.with_exhibit(exhibit("JS/2", ExhibitKind::Image, None, vec![]))
                .is_err(),
            "a reference is never used twice"
        );
    }

    #[test]
    fn manifest_is_sorted_and_checked() {
        let clip = Clip::new("Entry", Duration::from_secs(12), Duration::from_secs(31)).unwrap();
        let m = CaseManifest::new(
            case(),
            "R v J.S.".into(),
            vec![
                exhibit("JS/10", ExhibitKind::Video, Some(60), vec![]),
                exhibit("JS/2", ExhibitKind::Video, Some(60), vec![clip.clone()]),
            ],
        )
        .unwrap();
        let refs: Vec<_> = m
            .exhibits()
            .iter()
            .map(|e| e.reference.to_string())
            .collect();
        assert_eq!(refs, ["JS/2", "JS/10"]);

        let dup = CaseManifest::new(
            case(),
            "t".into(),
            vec![
                exhibit("JS/1", ExhibitKind::Video, None, vec![]),
                exhibit("JS/1", ExhibitKind::Audio, None, vec![]),
            ],
        );
        assert!(matches!(dup, Err(ManifestError::DuplicateReference(_))));

        let outside = CaseManifest::new(
            case(),
            "t".into(),
            vec![exhibit(
                "JS/1",
                ExhibitKind::Video,
                Some(20),
                vec![clip.clone()],
            )],
        );
        assert!(matches!(
            outside,
            Err(ManifestError::ClipOutsideMedia { .. })
        ));

        let still = CaseManifest::new(
            case(),
            "t".into(),
            vec![exhibit("JS/1", ExhibitKind::Image, None, vec![clip])],
        );
        assert!(matches!(still, Err(ManifestError::ClipOnStill(_))));

        assert_eq!(
            CaseManifest::new(case(), "t".into(), vec![]),
            Err(ManifestError::Empty)
        );
    }
}
