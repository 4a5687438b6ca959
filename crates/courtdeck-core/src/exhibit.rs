//! Exhibits and the small validated values they are made of.

use std::fmt;
use std::time::Duration;

/// A value that failed validation: which field, and why, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        InvalidValue {
            field,
            reason: reason.into(),
        }
    }
}

/// An exhibit reference as said in court: the producing witness's initials, a slash, a number (`JS/3`).
///
/// Exhibits are referred to this way on labels, in statements and in the transcript, so it is what the
/// advocate taps and what the audit log records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExhibitRef {
    initials: String,
    number: u32,
}

impl ExhibitRef {
    pub fn parse(s: &str) -> Result<ExhibitRef, InvalidValue> {
        let bad = || {
            InvalidValue::new(
                "reference",
                format!(
                    "{s:?} is not an exhibit reference like JS/3 (initials, a slash, a number)"
                ),
            )
        };
        let (initials, number) = s.split_once('/').ok_or_else(bad)?;
        if initials.is_empty()
            || initials.len() > 6
            || !initials.chars().all(|c| c.is_ascii_uppercase())
        {
            return Err(bad());
        }
        if number.is_empty() || number.len() > 4 || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let number: u32 = number.parse().map_err(|_| bad())?;
        if number == 0 {
            return Err(bad());
        }
        Ok(ExhibitRef {
            initials: initials.to_owned(),
            number,
        })
    }

    pub fn initials(&self) -> &str {
        &self.initials
    }

    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for ExhibitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.initials, self.number)
    }
}

/// A case identifier. It names a folder in the store, so it is restricted to a safe path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(String);

impl CaseId {
    pub fn parse(s: &str) -> Result<CaseId, InvalidValue> {
        safe_segment("case_id", s).map(CaseId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `s` can be used as one path segment in any store (directory, HTTPS, S3) without escaping
/// its folder: ASCII letters, digits, `-`, `_`, `.`; not starting with a dot; at most 64 bytes.
pub(crate) fn safe_segment(field: &'static str, s: &str) -> Result<String, InvalidValue> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            field,
            format!("{s:?} must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'"),
        ))
    }
}

/// A SHA-256 digest. Blobs are addressed by it; nothing plays unless its bytes hash to it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Sha256Digest(bytes)
    }

    /// The SHA-256 of `bytes` (a still made in court; everything else is hashed while it is fetched).
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        use sha2::Digest as _;
        Sha256Digest(sha2::Sha256::digest(bytes).into())
    }

    /// Parses 64 lowercase hex digits. Uppercase is refused so that every store path has one spelling.
    pub fn from_hex(s: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue::new("sha256", format!("{s:?} is not 64 lowercase hex digits"));
        if s.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let nibble = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            let hi = nibble(chunk[0]).ok_or_else(bad)?;
            let lo = nibble(chunk[1]).ok_or_else(bad)?;
            out[i] = hi << 4 | lo;
        }
        Ok(Sha256Digest(out))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 15) as usize] as char);
        }
        s
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

/// Who may see an exhibit. See `routing::may_show` for the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Restriction {
    /// Every screen, the public gallery included.
    Open,
    /// Never the public gallery (e.g. an ABE interview of a vulnerable witness).
    NoPublic,
    /// Only the bench and the legal adviser.
    BenchOnly,
}

impl Restriction {
    /// Every restriction, least restrictive first.
    pub const ALL: [Restriction; 3] = [
        Restriction::Open,
        Restriction::NoPublic,
        Restriction::BenchOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Restriction::Open => "open",
            Restriction::NoPublic => "no_public",
            Restriction::BenchOnly => "bench_only",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "open" => Ok(Restriction::Open),
            "no_public" => Ok(Restriction::NoPublic),
            "bench_only" => Ok(Restriction::BenchOnly),
            _ => Err(InvalidValue::new(
                "restriction",
                format!("{s:?} is not one of open, no_public, bench_only"),
            )),
        }
    }
}

/// What kind of media an exhibit is; decides how it is shown (moving picture, slate with a clock, held
/// still frame, a page of a document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExhibitKind {
    Video,
    Audio,
    Image,
    /// A PDF: statements, plans, phone-download reports, bank records. Shown a page at a time.
    Document,
}

impl ExhibitKind {
    pub const ALL: [ExhibitKind; 4] = [
        ExhibitKind::Video,
        ExhibitKind::Audio,
        ExhibitKind::Image,
        ExhibitKind::Document,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExhibitKind::Video => "video",
            ExhibitKind::Audio => "audio",
            ExhibitKind::Image => "image",
            ExhibitKind::Document => "document",
        }
    }

    /// The kind in a sentence ("exhibit JS/3 is a sound recording").
    pub fn phrase(self) -> &'static str {
        match self {
            ExhibitKind::Video => "a video",
            ExhibitKind::Audio => "a sound recording",
            ExhibitKind::Image => "a still picture",
            ExhibitKind::Document => "a document",
        }
    }

    /// What an exhibit of this kind can do. The one place a kind's abilities are decided: every other
    /// part of Courtdeck asks these, never "is it a video?", so a new kind is one arm here (the match
    /// has no wildcard) and the compiler points to nothing else.
    pub fn capabilities(self) -> Capabilities {
        let no = Capabilities {
            picture: false,
            moving_picture: false,
            still: false,
            pages: false,
            timeline: false,
            sound: false,
        };
        match self {
            ExhibitKind::Video => Capabilities {
                picture: true,
                moving_picture: true,
                timeline: true,
                sound: true,
                ..no
            },
            ExhibitKind::Audio => Capabilities {
                timeline: true,
                sound: true,
                ..no
            },
            ExhibitKind::Image => Capabilities {
                picture: true,
                still: true,
                ..no
            },
            ExhibitKind::Document => Capabilities {
                picture: true,
                pages: true,
                ..no
            },
        }
    }

    /// A recording (video, audio) has a timeline: a position, a duration, an end. A still or a
    /// document does not: it holds its picture until it is taken down.
    pub fn has_timeline(self) -> bool {
        self.capabilities().timeline
    }

    /// What the presenter can do with an exhibit of this kind on air: the surface shows these
    /// controls and no others.
    pub fn controls(self) -> Controls {
        let can = self.capabilities();
        Controls {
            transport: can.timeline,
            step: can.timeline,
            speed: can.timeline,
            sound: can.sound,
            seek: can.timeline,
            zoom: can.picture,
            pages: can.pages,
            annotate: can.picture,
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "video" => Ok(ExhibitKind::Video),
            "audio" => Ok(ExhibitKind::Audio),
            "image" => Ok(ExhibitKind::Image),
            "document" => Ok(ExhibitKind::Document),
            _ => Err(InvalidValue::new(
                "kind",
                format!("{s:?} is not one of video, audio, image, document"),
            )),
        }
    }
}

/// What an exhibit kind can do (`ExhibitKind::capabilities`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// It has a picture of its own to show, zoom into and draw on. (A sound recording has none: the
    /// screens show a slate drawn for it, and its position is its sound's.)
    pub picture: bool,
    /// Its picture moves: it can be shown side by side with another recording.
    pub moving_picture: bool,
    /// One still frame, held until it is taken down (no clips, no gaps to watch for).
    pub still: bool,
    /// Pages, shown one at a time and rendered rather than decoded.
    pub pages: bool,
    /// A position, a duration and an end: play, pause, step, seek and clips.
    pub timeline: bool,
    /// Sound: volume, mute and the level meter.
    pub sound: bool,
}

/// The controls an exhibit kind has on air (`ExhibitKind::controls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    /// Play and pause.
    pub transport: bool,
    /// Frame steps (an audio exhibit steps through its slate's frames).
    pub step: bool,
    pub speed: bool,
    /// Volume, mute and the level meter.
    pub sound: bool,
    /// The position bar and clips.
    pub seek: bool,
    /// Zoom and pan.
    pub zoom: bool,
    /// Page turns and fit width (a document).
    pub pages: bool,
    /// The telestrator (on a recording, only while it is paused).
    pub annotate: bool,
}

/// The most pages a document exhibit may have (a phone-download report runs to thousands).
pub const MAX_PAGES: usize = 20_000;

/// One page's size as the PDF gives it (its crop box, turned by its `/Rotate`), in hundredths of a
/// point (1/7200 inch): integers, so a manifest compares exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageSize {
    width: u32,
    height: u32,
}

impl PageSize {
    /// The largest page PDF allows is 14,400 points (200 inches) a side.
    pub const MAX_POINTS: f64 = 14_400.0;

    /// A page `width` x `height` points; refused when a side is not between 1 point and 200 inches.
    pub fn from_points(width: f64, height: f64) -> Result<PageSize, InvalidValue> {
        let side = |v: f64| {
            (v.is_finite() && (1.0..=Self::MAX_POINTS).contains(&v))
                .then(|| (v * 100.0).round() as u32)
                .ok_or_else(|| {
                    InvalidValue::new(
                        "page size",
                        format!("{v} points is not between 1 point and 200 inches"),
                    )
                })
        };
        Ok(PageSize {
            width: side(width)?,
            height: side(height)?,
        })
    }

    pub fn width_points(self) -> f64 {
        f64::from(self.width) / 100.0
    }

    pub fn height_points(self) -> f64 {
        f64::from(self.height) / 100.0
    }

    pub fn is_landscape(self) -> bool {
        self.width > self.height
    }
}

/// A named section of a recording, played on its own ("Entry 00:12-00:31").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    label: String,
    start: Duration,
    end: Duration,
}

impl Clip {
    pub fn new(label: &str, start: Duration, end: Duration) -> Result<Clip, InvalidValue> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 {
            return Err(InvalidValue::new("clip.label", "must be 1-80 characters"));
        }
        if start >= end {
            return Err(InvalidValue::new(
                "clip",
                format!("{label:?} starts at {start:?}, which is not before its end {end:?}"),
            ));
        }
        Ok(Clip {
            label: label.to_owned(),
            start,
            end,
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }
    pub fn start(&self) -> Duration {
        self.start
    }
    pub fn end(&self) -> Duration {
        self.end
    }
}

/// One exhibit of a case, as disclosed: what it is, who may see it, and the exact bytes (by hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhibit {
    pub reference: ExhibitRef,
    pub title: String,
    pub kind: ExhibitKind,
    /// The media type the producer declared (`video/mp4`). Informational: playout sniffs the content.
    pub media_type: String,
    pub size: u64,
    pub sha256: Sha256Digest,
    pub restriction: Restriction,
    /// Known length of a recording; `None` for stills or when the producer did not say.
    pub duration: Option<Duration>,
    pub clips: Vec<Clip>,
    /// A document's pages, in order (at least one); empty for every other kind.
    pub pages: Vec<PageSize>,
    /// For a still made in court from another exhibit (a marked page or frame): what it was made of.
    pub derived_from: Option<Box<crate::annotation::Derivation>>,
    /// A recording's transcript: a second verified blob with its own restriction.
    pub transcript: Option<crate::transcript::TranscriptRef>,
    /// Where it came from, when it was handed over with that said (a bag from a police system).
    pub provenance: Option<Provenance>,
}

/// Which copy of an item an exhibit is (NPCC "Recovery and Acquisition of Video Evidence": the
/// master stays in its native format, working copies are bit-for-bit, a court playable copy is a
/// separately named derivative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyRole {
    Master,
    WorkingCopy,
    CourtPlayable,
}

impl CopyRole {
    pub const ALL: [CopyRole; 3] = [
        CopyRole::Master,
        CopyRole::WorkingCopy,
        CopyRole::CourtPlayable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CopyRole::Master => "master",
            CopyRole::WorkingCopy => "working_copy",
            CopyRole::CourtPlayable => "court_playable",
        }
    }

    pub fn parse(s: &str) -> Result<CopyRole, InvalidValue> {
        match s {
            "master" => Ok(CopyRole::Master),
            "working_copy" => Ok(CopyRole::WorkingCopy),
            "court_playable" => Ok(CopyRole::CourtPlayable),
            _ => Err(InvalidValue::new(
                "copy",
                format!("{s:?} is not one of master, working_copy, court_playable"),
            )),
        }
    }
}

/// Where an exhibit came from: who handed it over, the source system's id for it, which copy it is,
/// and the source's own digests of its bytes (checked when it was imported, beside Courtdeck's
/// SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub source_organisation: String,
    pub source_id: Option<String>,
    pub copy: Option<CopyRole>,
    /// Algorithm name (`sha512`) and lower-case hex, sorted by name.
    pub source_digests: Vec<(String, String)>,
    /// Whether whoever handed it over said who may see it (the profile's exhibits file). When not,
    /// Courtdeck kept it off the public gallery (`no_public`) until someone decides: the surface
    /// says so.
    pub restriction_stated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capabilities hang together for every kind: what moves has a timeline and a picture; a
    /// still and a document hold a picture without a timeline; whatever has no picture has sound (it
    /// is shown as a slate). Every kind parses back from its name.
    #[test]
    fn every_kind_has_consistent_capabilities() {
        for kind in ExhibitKind::ALL {
            let can = kind.capabilities();
            assert_eq!(ExhibitKind::parse(kind.as_str()), Ok(kind));
            if can.moving_picture {
                assert!(can.picture && can.timeline, "{kind:?}");
            }
            if can.still || can.pages {
                assert!(
                    can.picture && !can.timeline && !can.moving_picture,
                    "{kind:?}"
                );
            }
            assert!(!(can.still && can.pages), "{kind:?}");
            if !can.picture {
                assert!(can.sound && can.timeline, "{kind:?}");
            }
            assert_eq!(kind.has_timeline(), can.timeline);
        }
    }

    #[test]
    fn exhibit_refs() {
        for ok in ["JS/1", "JS/3", "ABC/1234", "K/9"] {
            assert_eq!(ExhibitRef::parse(ok).unwrap().to_string(), ok);
        }
        for bad in [
            "", "JS", "JS/", "/3", "js/3", "JS/0", "JS/3a", "J S/3", "JS/3/4", "JS/12345", "../3",
        ] {
            assert!(ExhibitRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(
            ExhibitRef::parse("JS/2").unwrap() < ExhibitRef::parse("JS/10").unwrap(),
            "sorted by number, not text"
        );
    }

    #[test]
    fn case_ids_are_safe_path_segments() {
        assert!(CaseId::parse("JS-2026-0142").is_ok());
        for bad in [
            "",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "/etc",
            "a b",
            &"x".repeat(65),
        ] {
            assert!(CaseId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn sha256_hex_round_trip() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(Sha256Digest::from_hex(hex).unwrap().to_hex(), hex);
        assert!(Sha256Digest::from_hex(&hex.to_uppercase()).is_err());
        assert!(Sha256Digest::from_hex(&hex[1..]).is_err());
        assert!(Sha256Digest::from_hex(&format!("{}g", &hex[1..])).is_err());
    }

    #[test]
    fn clips_must_have_positive_length() {
        let s = Duration::from_secs;
        assert!(Clip::new("Entry", s(12), s(31)).is_ok());
        assert!(Clip::new("Entry", s(31), s(12)).is_err());
        assert!(Clip::new("Entry", s(5), s(5)).is_err());
        assert!(Clip::new("  ", s(1), s(2)).is_err());
    }
}
