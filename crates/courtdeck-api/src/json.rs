//! What crosses into the control surface (and the CLI's `--json`): serialisable views of the core's
//! types. The surface's TypeScript for them, `ui/src/lib/generated/dto.ts`, is rendered from these by
//! `mod ts_bindings` below (ts-rs, in tests only); its test fails while the committed file is stale.

use serde::Serialize;

use crate::config::Language;
use crate::error::ApiError;

impl Serialize for ApiError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ErrorDto {
            code: self.code.as_str(),
            message: &self.message,
        }
        .serialize(s)
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorDto<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

/// A setup check's outcome; ordered so that the worst one decides the report.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CheckDto {
    /// Stable id (`screens`, `store`, `exhibit:<case>:<ref>`…): what a re-run names.
    pub id: String,
    pub title: String,
    pub status: CheckStatus,
    pub detail: String,
    pub ms: u64,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CheckReportDto {
    pub time: String,
    pub court: String,
    pub kiosk_id: String,
    pub overall: CheckStatus,
    pub seconds: f64,
    pub checks: Vec<CheckDto>,
    pub json_path: Option<String>,
    pub html_path: Option<String>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct StoreStatusDto {
    pub online: bool,
    pub description: String,
    pub problem: Option<ApiError>,
    /// `not_needed`, `present`, `missing` or `keyring_unavailable`; never the credential itself.
    pub credential: Option<String>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct TodayDto {
    pub court: String,
    pub court_name: String,
    pub date: String,
    pub store: StoreStatusDto,
    pub hearings: Vec<HearingCardDto>,
    /// Set when the custody (audit) log cannot be written (`audit_unavailable`): the surface shows it
    /// as a banner until it is fixed.
    pub custody: Option<ApiError>,
    /// The language the surface starts in (`[ui] language`).
    pub language: Language,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Every exhibit cached and verified.
    Ready,
    /// Some exhibits still to fetch (launching fetches them).
    NotFetched,
    /// The manifest could not be read or is invalid.
    Unavailable,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct HearingCardDto {
    pub time: String,
    pub case_id: String,
    pub title: String,
    pub hearing_type: String,
    /// The list says reporting restrictions apply: shown as a banner on the hearing.
    pub reporting_restriction: Option<String>,
    pub exhibits_total: usize,
    pub exhibits_ready: usize,
    pub readiness: Readiness,
    pub problem: Option<ApiError>,
}

/// The week ahead (`Courtdeck::week_ahead`): the next days' hearings and their evidence's readiness.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct WeekAheadDto {
    pub court: String,
    pub court_name: String,
    pub kiosk: String,
    /// When it was checked, court time (`2026-12-07 16:05`).
    pub made_at: String,
    pub days: Vec<DayAheadDto>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct DayAheadDto {
    pub date: String,
    pub weekday: String,
    /// The store could not be asked for this day's list (a kept copy, or none, is shown).
    pub store: Option<ApiError>,
    pub hearings: Vec<HearingAheadDto>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct HearingAheadDto {
    pub time: String,
    pub case_id: String,
    pub title: String,
    pub hearing_type: String,
    pub reporting_restriction: Option<String>,
    /// Exhibits that will play, and that will not.
    pub will_play: usize,
    pub will_not: usize,
    /// The case's evidence cannot be read at all (no manifest, refused manifest).
    pub problem: Option<ApiError>,
    pub exhibits: Vec<ExhibitReadinessDto>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ExhibitReadinessDto {
    pub reference: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "Kind"))]
    pub kind: &'static str,
    #[cfg_attr(test, ts(type = "Restriction"))]
    pub restriction: &'static str,
    /// Fail: it will not play on the day.
    pub status: CheckStatus,
    /// Why, in words.
    pub detail: String,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ScreenDto {
    pub id: String,
    pub label: String,
    #[cfg_attr(test, ts(type = "Role"))]
    pub role: String,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ClipDto {
    pub label: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ExhibitDto {
    pub reference: String,
    pub title: String,
    #[cfg_attr(test, ts(type = "Kind"))]
    pub kind: &'static str,
    pub media_type: String,
    /// A document's page count (0 for every other kind).
    pub pages: u32,
    pub duration_ms: Option<u64>,
    #[cfg_attr(test, ts(type = "Restriction"))]
    pub restriction: &'static str,
    pub size: u64,
    pub sha256: String,
    pub cached: bool,
    /// Where it came from, when it was handed over with that said.
    pub provenance: Option<ProvenanceDto>,
    /// Why it cannot be played, when it cannot.
    pub problem: Option<ApiError>,
    pub clips: Vec<ClipDto>,
    /// Screens the restriction rule allows; the UI greys out the rest, the core refuses them anyway.
    pub allowed_screens: Vec<String>,
    /// A 160x90 JPEG poster frame (base64), once made (`UiEvent::Poster` announces new ones).
    pub poster: Option<String>,
    /// A recording's transcript: who may read it along (captions); `None` without one.
    #[cfg_attr(test, ts(type = "Restriction | null"))]
    pub transcript: Option<&'static str>,
}

/// Where an exhibit came from: who handed it over, their id for it, which copy it is, and their
/// digests of its bytes (checked on import beside Courtdeck's SHA-256).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceDto {
    pub source_organisation: String,
    pub source_id: Option<String>,
    #[cfg_attr(test, ts(type = "CopyRole | null"))]
    pub copy: Option<&'static str>,
    pub digests: Vec<DigestDto>,
    /// False: the source did not say who may see it; the restriction is Courtdeck's cautious
    /// default (not the public gallery) until someone decides.
    pub restriction_stated: bool,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct DigestDto {
    pub algorithm: String,
    pub hex: String,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct HearingDto {
    pub case_id: String,
    pub title: String,
    pub hearing_type: String,
    /// The list says reporting restrictions apply: shown as a banner on the hearing.
    pub reporting_restriction: Option<String>,
    pub time: String,
    pub exhibits: Vec<ExhibitDto>,
    pub screens: Vec<ScreenDto>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct OnAirDto {
    /// What is on air: an exhibit's reference (`JS/3`), or a live source (`live:defence-laptop`).
    pub exhibit: String,
    pub screens: Vec<String>,
    pub playing: bool,
    /// How many times the picture is magnified (1 for the whole picture).
    pub zoom: f64,
    /// The speed it plays at (1 as recorded); a new exhibit starts at 1.
    pub rate: f64,
    /// What the presenter can do with it (by its kind): the surface shows these controls only.
    pub controls: ControlsDto,
    /// The page shown (from 1) and how many there are: a document; 1 of 1 for everything else.
    pub page: u32,
    pub pages: u32,
    /// A document page is shown at its full width (`zoom` is then 1).
    pub fit_width: bool,
    /// How many telestrator strokes are on the picture.
    pub strokes: u32,
    /// Screens showing the transcript's captions.
    pub captions: Vec<String>,
    /// Screens on air that the transcript's restriction lets show captions (none without a
    /// transcript): the surface offers captions on these only.
    pub caption_screens: Vec<String>,
    /// Side by side: the recording shown beside it, and where its clock stands.
    pub beside: Option<BesideDto>,
    /// The recordings that may go beside it: the hearing's other videos, cached, that every screen
    /// it is on may show (none for anything but a video).
    pub beside_candidates: Vec<String>,
    /// A live source on air: not from the evidence store. `None` for an exhibit.
    pub live: Option<LiveOnAirDto>,
}

/// A live source on air, beyond what every picture has.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct LiveOnAirDto {
    /// Frozen on a frame (Hold): zoom and strokes work on it, and Keep keeps it as an exhibit.
    pub held: bool,
}

/// A live source the court configured, as the surface lists it beside the hearing's exhibits.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct LiveSourceDto {
    /// What selecting it names: `live:<id>`.
    pub id: String,
    pub label: String,
    /// `stream` or `capture`.
    pub kind: &'static str,
    #[cfg_attr(test, ts(type = "Restriction"))]
    pub restriction: &'static str,
    /// The screens it may ever reach (its roles and its restriction).
    pub allowed_screens: Vec<String>,
    /// Whether its picture is arriving (as far as playout has said: only while it is loaded).
    pub signal: bool,
    /// The picture's size when it has a signal.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Without a signal: what to check, in the advocate's words.
    pub problem: Option<String>,
}

/// The recording beside the one on air: at the program's position `t` it shows its own
/// `t + offset_ms`.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct BesideDto {
    pub exhibit: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub offset_ms: i64,
}

/// A recording's transcript for the surface: its cues in order, and who may read it along.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct TranscriptDto {
    pub exhibit: String,
    #[cfg_attr(test, ts(type = "Restriction"))]
    pub restriction: &'static str,
    pub cues: Vec<CueDto>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CueDto {
    pub start_ms: u64,
    pub end_ms: u64,
    pub speaker: Option<String>,
    pub text: String,
}

/// One telestrator stroke from the surface: `pen`, `arrow`, `rectangle`, `highlighter` or `callout`, and its
/// points `[x, y]` in ten-thousandths of the 16:9 preview it was drawn on.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StrokeDto {
    #[cfg_attr(test, ts(type = "Tool"))]
    pub tool: String,
    pub points: Vec<[u16; 2]>,
}

/// A small picture of one page of a document, for the page strip.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagePosterDto {
    pub page: u32,
    /// A 160x90 JPEG, base64.
    pub jpeg: String,
}

/// `courtdeck_core::Controls`.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ControlsDto {
    pub transport: bool,
    pub step: bool,
    pub speed: bool,
    pub sound: bool,
    pub seek: bool,
    pub zoom: bool,
    pub pages: bool,
    pub annotate: bool,
}

impl From<courtdeck_core::Controls> for ControlsDto {
    fn from(c: courtdeck_core::Controls) -> Self {
        ControlsDto {
            transport: c.transport,
            step: c.step,
            speed: c.speed,
            sound: c.sound,
            seek: c.seek,
            zoom: c.zoom,
            pages: c.pages,
            annotate: c.annotate,
        }
    }
}

/// The room's exhibit sound.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SoundDto {
    /// 0.0 to 1.5 (1.0 as recorded).
    pub volume: f64,
    pub muted: bool,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ScreenStateDto {
    #[serde(flatten)]
    pub screen: ScreenDto,
    pub blanked: bool,
    /// The exhibit this screen shows right now; `None` means black.
    pub showing: Option<String>,
    /// False when the screen is not connected, or has the wrong monitor on it.
    pub connected: bool,
    /// The screen's connector carries another monitor than the one it names: it shows nothing.
    pub wrong_monitor: bool,
    /// `standby` or `unavailable` when the screen shows a slate instead of black.
    #[cfg_attr(test, ts(type = "Slate | null"))]
    pub slate: Option<String>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlayoutStatus {
    Ready,
    Restarting,
    Unavailable,
}

/// Everything the advocate needs to know about the screens, sent after every change.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct StageDto {
    /// Counts up with every stage the facade makes, in the order of the changes they describe (each
    /// is made under the session's lock). A command's reply and a stage event can reach the surface in
    /// either order: the surface keeps the newest, so an older stage never hides a newer one (a cue
    /// that became ready while its own select's reply was on the way).
    pub version: u64,
    pub case_id: Option<String>,
    pub cued: Option<String>,
    /// The cued exhibit has reached its first frame and Present will be instant.
    pub cued_ready: bool,
    /// The screens ticked when the exhibit the controls act on (the cued one, else the one on air)
    /// was chosen: every connected screen the restriction rule lets it reach (`default_route`).
    pub default_targets: Vec<String>,
    pub on_air: Option<OnAirDto>,
    pub screens: Vec<ScreenStateDto>,
    pub playout: PlayoutStatus,
    /// The room's sound: what the speakers are set to, whatever is on air (a restart keeps it).
    pub sound: SoundDto,
    /// As `TodayDto::custody`.
    pub custody: Option<ApiError>,
    /// The court's live sources, whatever hearing is open, with their signal.
    pub sources: Vec<LiveSourceDto>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    Stage(Box<StageDto>),
    Position {
        exhibit: String,
        position_ms: u64,
        duration_ms: Option<u64>,
        playing: bool,
        rate: f64,
    },
    /// The on-air exhibit's sound level as it leaves for the speakers (dBFS, -120 = silence), ~10 Hz.
    Level {
        exhibit: String,
        rms_db: f64,
    },
    /// A poster frame was made for an exhibit (160x90 JPEG, base64).
    Poster {
        exhibit: String,
        sha256: String,
        jpeg: String,
    },
    /// No poster frame could be made for an exhibit (after a second try): the list says why.
    NoPoster {
        exhibit: String,
        sha256: String,
        reason: String,
    },
    /// A confidence thumbnail of an exhibit's picture (192x108 JPEG, base64), about twice a second
    /// while the surface asked for them. Every screen showing `exhibit` (not blanked) shows this.
    Thumbnail {
        exhibit: String,
        jpeg: String,
    },
    /// Something the user should read: an error from playout, a screen unplugged, a restart.
    Notice {
        error: ApiError,
        exhibit: Option<String>,
    },
    FetchProgress {
        case_id: String,
        exhibit: String,
        done: u64,
        total: u64,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct FetchReportDto {
    pub case_id: String,
    pub exhibits: usize,
    pub verified: usize,
    /// (exhibit reference, why) for each exhibit that could not be fetched and verified.
    pub problems: Vec<(String, ApiError)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlayReportDto {
    pub file: String,
    pub ok: bool,
    pub duration_ms: Option<u64>,
    /// Present -> first frame at each screen's sink, in milliseconds.
    pub first_frame_ms: std::collections::BTreeMap<String, f64>,
    pub frames: std::collections::BTreeMap<String, u64>,
    pub eos: bool,
    pub wall_seconds: f64,
    pub errors: Vec<ApiError>,
    /// The kind it was played as, from the streams found in it.
    pub kind: Option<String>,
    /// What the court would have been told while it played (a damaged stretch, a freeze, no sound).
    pub warnings: Vec<ApiError>,
}

/// `courtdeck probe FILE`: what a kiosk will show of a file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeDto {
    pub file: String,
    /// `video`, `audio`, `image` or `document`, from the streams found (not the file's name).
    pub kind: Option<String>,
    pub duration_ms: Option<u64>,
    /// The picture's size as shown (after pixel aspect, rotation and EXIF orientation).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Degrees clockwise the picture is turned to stand upright.
    pub rotation: u32,
    pub container: Option<String>,
    pub video: Vec<String>,
    pub audio: Vec<String>,
    /// Whether it reached its first picture (or sound) in a real playout pipeline here.
    pub plays: bool,
    /// Why it does not play, when it does not.
    pub error: Option<ApiError>,
    pub warnings: Vec<ApiError>,
    /// Where the poster frame was written (`--poster`).
    pub poster: Option<String>,
    /// A document's pages: `[width, height]` in points, as shown.
    pub pages: Vec<[f64; 2]>,
}

#[cfg(test)]
mod ts_bindings;
