// Generated from crates/courtdeck-api/src/json.rs by its `mod ts_bindings` (ts-rs).
// Do not edit: change the Rust types, then run
//   UPDATE_GENERATED=1 cargo test -p courtdeck-api --lib ts_bindings
import type { ErrorCode } from "./error-codes";

export type Kind = "video" | "audio" | "image" | "document";

export type Restriction = "open" | "no_public" | "bench_only";

export type Role = "bench" | "legal_adviser" | "witness" | "prosecution" | "defence" | "video_link" | "public_gallery";

export type CopyRole = "master" | "working_copy" | "court_playable";

export type Tool = "pen" | "arrow" | "rectangle" | "highlighter" | "callout";

export type ZoomStep = "in" | "out" | "left" | "right" | "up" | "down" | "whole" | "fit_width";

export type Slate = "standby" | "unavailable" | "no_signal";

export type ApiError = {
  code: ErrorCode,
  message: string
};

export type Language = "en" | "cy";

export type StoreStatusDto = {
  online: boolean,
  description: string,
  problem: ApiError | null,
  /**
   * `not_needed`, `present`, `missing` or `keyring_unavailable`; never the credential itself.
   */
  credential: string | null,
};

export type TodayDto = {
  court: string,
  court_name: string,
  date: string,
  store: StoreStatusDto,
  hearings: Array<HearingCardDto>,
  /**
   * Set when the custody (audit) log cannot be written (`audit_unavailable`): the surface shows it
   * as a banner until it is fixed.
   */
  custody: ApiError | null,
  /**
   * The language the surface starts in (`[ui] language`).
   */
  language: Language,
};

export type WeekAheadDto = {
  court: string,
  court_name: string,
  kiosk: string,
  /**
   * When it was checked, court time (`2026-12-07 16:05`).
   */
  made_at: string,
  days: Array<DayAheadDto>,
};

export type DayAheadDto = {
  date: string,
  weekday: string,
  /**
   * The store could not be asked for this day's list (a kept copy, or none, is shown).
   */
  store: ApiError | null,
  hearings: Array<HearingAheadDto>,
};

export type HearingAheadDto = {
  time: string,
  case_id: string,
  title: string,
  hearing_type: string,
  reporting_restriction: string | null,
  /**
   * Exhibits that will play, and that will not.
   */
  will_play: number,
  will_not: number,
  /**
   * The case's evidence cannot be read at all (no manifest, refused manifest).
   */
  problem: ApiError | null,
  exhibits: Array<ExhibitReadinessDto>,
};

export type ExhibitReadinessDto = {
  reference: string,
  title: string,
  kind: Kind,
  restriction: Restriction,
  /**
   * Fail: it will not play on the day.
   */
  status: CheckStatus,
  /**
   * Why, in words.
   */
  detail: string,
};

export type Readiness = "ready" | "not_fetched" | "unavailable";

export type HearingCardDto = {
  time: string,
  case_id: string,
  title: string,
  hearing_type: string,
  /**
   * The list says reporting restrictions apply: shown as a banner on the hearing.
   */
  reporting_restriction: string | null,
  exhibits_total: number,
  exhibits_ready: number,
  readiness: Readiness,
  problem: ApiError | null,
};

export type ScreenDto = {
  id: string,
  label: string,
  role: Role,
};

export type ClipDto = {
  label: string,
  start_ms: number,
  end_ms: number,
};

export type ExhibitDto = {
  reference: string,
  title: string,
  kind: Kind,
  media_type: string,
  /**
   * A document's page count (0 for every other kind).
   */
  pages: number,
  duration_ms: number | null,
  restriction: Restriction,
  size: number,
  sha256: string,
  cached: boolean,
  /**
   * Where it came from, when it was handed over with that said.
   */
  provenance: ProvenanceDto | null,
  /**
   * Why it cannot be played, when it cannot.
   */
  problem: ApiError | null,
  clips: Array<ClipDto>,
  /**
   * Screens the restriction rule allows; the UI greys out the rest, the core refuses them anyway.
   */
  allowed_screens: Array<string>,
  /**
   * A 160x90 JPEG poster frame (base64), once made (`UiEvent::Poster` announces new ones).
   */
  poster: string | null,
  /**
   * A recording's transcript: who may read it along (captions); `None` without one.
   */
  transcript: Restriction | null,
};

export type HearingDto = {
  case_id: string,
  title: string,
  hearing_type: string,
  /**
   * The list says reporting restrictions apply: shown as a banner on the hearing.
   */
  reporting_restriction: string | null,
  time: string,
  exhibits: Array<ExhibitDto>,
  screens: Array<ScreenDto>,
};

export type ProvenanceDto = {
  source_organisation: string,
  source_id: string | null,
  copy: CopyRole | null,
  digests: Array<DigestDto>,
  /**
   * False: the source did not say who may see it; the restriction is Courtdeck's cautious
   * default (not the public gallery) until someone decides.
   */
  restriction_stated: boolean,
};

export type DigestDto = {
  algorithm: string,
  hex: string,
};

export type OnAirDto = {
  /**
   * What is on air: an exhibit's reference (`JS/3`), or a live source (`live:defence-laptop`).
   */
  exhibit: string,
  screens: Array<string>,
  playing: boolean,
  /**
   * How many times the picture is magnified (1 for the whole picture).
   */
  zoom: number,
  /**
   * The speed it plays at (1 as recorded); a new exhibit starts at 1.
   */
  rate: number,
  /**
   * What the presenter can do with it (by its kind): the surface shows these controls only.
   */
  controls: ControlsDto,
  /**
   * The page shown (from 1) and how many there are: a document; 1 of 1 for everything else.
   */
  page: number,
  pages: number,
  /**
   * A document page is shown at its full width (`zoom` is then 1).
   */
  fit_width: boolean,
  /**
   * How many telestrator strokes are on the picture.
   */
  strokes: number,
  /**
   * Screens showing the transcript's captions.
   */
  captions: Array<string>,
  /**
   * Screens on air that the transcript's restriction lets show captions (none without a
   * transcript): the surface offers captions on these only.
   */
  caption_screens: Array<string>,
  /**
   * Side by side: the recording shown beside it, and where its clock stands.
   */
  beside: BesideDto | null,
  /**
   * The recordings that may go beside it: the hearing's other videos, cached, that every screen
   * it is on may show (none for anything but a video).
   */
  beside_candidates: Array<string>,
  /**
   * A live source on air: not from the evidence store. `None` for an exhibit.
   */
  live: LiveOnAirDto | null,
};

export type BesideDto = {
  exhibit: string,
  offset_ms: number,
};

export type LiveOnAirDto = {
  /**
   * Frozen on a frame (Hold): zoom and strokes work on it, and Keep keeps it as an exhibit.
   */
  held: boolean,
};

export type LiveSourceDto = {
  /**
   * What selecting it names: `live:<id>`.
   */
  id: string,
  label: string,
  /**
   * `stream` or `capture`.
   */
  kind: string,
  restriction: Restriction,
  /**
   * The screens it may ever reach (its roles and its restriction).
   */
  allowed_screens: Array<string>,
  /**
   * Whether its picture is arriving (as far as playout has said: only while it is loaded).
   */
  signal: boolean,
  /**
   * The picture's size when it has a signal.
   */
  width: number | null,
  height: number | null,
  /**
   * Without a signal: what to check, in the advocate's words.
   */
  problem: string | null,
};

export type ControlsDto = {
  transport: boolean,
  step: boolean,
  speed: boolean,
  sound: boolean,
  seek: boolean,
  zoom: boolean,
  pages: boolean,
  annotate: boolean,
};

export type StrokeDto = {
  tool: Tool,
  points: Array<[number, number]>,
};

export type PagePosterDto = {
  page: number,
  /**
   * A 160x90 JPEG, base64.
   */
  jpeg: string,
};

export type TranscriptDto = {
  exhibit: string,
  restriction: Restriction,
  cues: Array<CueDto>,
};

export type CueDto = {
  start_ms: number,
  end_ms: number,
  speaker: string | null,
  text: string,
};

export type SoundDto = {
  /**
   * 0.0 to 1.5 (1.0 as recorded).
   */
  volume: number,
  muted: boolean,
};

export type ScreenStateDto = {
  blanked: boolean,
  /**
   * The exhibit this screen shows right now; `None` means black.
   */
  showing: string | null,
  /**
   * False when the screen is not connected, or has the wrong monitor on it.
   */
  connected: boolean,
  /**
   * The screen's connector carries another monitor than the one it names: it shows nothing.
   */
  wrong_monitor: boolean,
  /**
   * `standby` or `unavailable` when the screen shows a slate instead of black.
   */
  slate: Slate | null,
  id: string,
  label: string,
  role: Role,
};

export type PlayoutStatus = "ready" | "restarting" | "unavailable";

export type StageDto = {
  /**
   * Counts up with every stage the facade makes, in the order of the changes they describe (each
   * is made under the session's lock). A command's reply and a stage event can reach the surface in
   * either order: the surface keeps the newest, so an older stage never hides a newer one (a cue
   * that became ready while its own select's reply was on the way).
   */
  version: number,
  case_id: string | null,
  cued: string | null,
  /**
   * The cued exhibit has reached its first frame and Present will be instant.
   */
  cued_ready: boolean,
  /**
   * The screens ticked when the exhibit the controls act on (the cued one, else the one on air)
   * was chosen: every connected screen the restriction rule lets it reach (`default_route`).
   */
  default_targets: Array<string>,
  on_air: OnAirDto | null,
  screens: Array<ScreenStateDto>,
  playout: PlayoutStatus,
  /**
   * The room's sound: what the speakers are set to, whatever is on air (a restart keeps it).
   */
  sound: SoundDto,
  /**
   * As `TodayDto::custody`.
   */
  custody: ApiError | null,
  /**
   * The court's live sources, whatever hearing is open, with their signal.
   */
  sources: Array<LiveSourceDto>,
};

export type UiEvent = {
  "type": "stage"
} & StageDto | {
  "type": "position",
  exhibit: string,
  position_ms: number,
  duration_ms: number | null,
  playing: boolean,
  rate: number,
} | {
  "type": "level",
  exhibit: string,
  rms_db: number,
} | {
  "type": "poster",
  exhibit: string,
  sha256: string,
  jpeg: string,
} | {
  "type": "no_poster",
  exhibit: string,
  sha256: string,
  reason: string,
} | {
  "type": "thumbnail",
  exhibit: string,
  jpeg: string,
} | {
  "type": "notice",
  error: ApiError,
  exhibit: string | null,
} | {
  "type": "fetch_progress",
  case_id: string,
  exhibit: string,
  done: number,
  total: number,
};

export type CheckStatus = "pass" | "warn" | "fail";

export type CheckDto = {
  /**
   * Stable id (`screens`, `store`, `exhibit:<case>:<ref>`…): what a re-run names.
   */
  id: string,
  title: string,
  status: CheckStatus,
  detail: string,
  ms: number,
};

export type CheckReportDto = {
  time: string,
  court: string,
  kiosk_id: string,
  overall: CheckStatus,
  seconds: number,
  checks: Array<CheckDto>,
  json_path: string | null,
  html_path: string | null,
};
