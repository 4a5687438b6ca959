// Generated from src-tauri/src/commands.rs by src-tauri/src/sourcegen.rs.
// Do not edit: change the commands, then run
//   UPDATE_GENERATED=1 cargo test -p courtdeck-app sourcegen
import type { CheckReportDto, HearingDto, PagePosterDto, StageDto, StrokeDto, TodayDto, TranscriptDto, WeekAheadDto, ZoomStep } from "./dto";

/** Every Tauri command of the control surface: its arguments (as Tauri names them) and result. */
export type Commands = {
  today: { args: Record<string, never>; returns: TodayDto };
  /** The next `days` days' hearings and their evidence's readiness; with `prepare`, fetched first. */
  week_ahead: { args: { days: number; prepare: boolean }; returns: WeekAheadDto };
  /** Every hearing's readiness report of the next `days` days, saved; their paths. */
  save_week_reports: { args: { days: number }; returns: string[] };
  /** The exhibit sound level, 0.0 to 1.5. */
  set_volume: { args: { volume: number }; returns: StageDto };
  /** Zooms or pans the picture on air: `in`, `out`, `left`, `right`, `up`, `down`, `whole`, `fit_width` (a document page's full width). */
  zoom: { args: { step: ZoomStep }; returns: StageDto };
  /** Zooms into the box drawn on the preview, corner `from` to corner `to` (ten-thousandths of it). */
  zoom_to_box: { args: { from: [number, number]; to: [number, number] }; returns: StageDto };
  /** The telestrator: strokes drawn on the preview (points in ten-thousandths of it) are added to those on the picture on air. */
  annotate: { args: { strokes: StrokeDto[] }; returns: StageDto };
  /** Small pictures of pages of a document, for the page strip. */
  page_posters: { args: { reference: string; pages: number[] }; returns: PagePosterDto[] };
  /** Keeps the marked picture on air as a new still exhibit of the hearing. */
  keep_marked: { args: Record<string, never>; returns: HearingDto };
  /** Takes every stroke off the picture on air. */
  clear_annotations: { args: Record<string, never>; returns: StageDto };
  /** The transcript of an exhibit of the open hearing: its cues, and who may read it along. */
  transcript: { args: { reference: string }; returns: TranscriptDto };
  /** The transcript's captions on `screens` of the recording on air (none: off). */
  set_captions: { args: { screens: string[] }; returns: StageDto };
  /** Plays lines `first` to `last` (from 1) of the transcript of the recording on air, as a clip. */
  play_designation: { args: { first: number; last: number }; returns: StageDto };
  /** Shows `exhibit` side by side with the recording on air, its clock `offset_ms` ahead (none: alone). */
  set_beside: { args: { exhibit: string | null; offsetMs: number }; returns: StageDto };
  /** Turns the page of the document on air: `next`, `previous`, or a page number from 1. */
  turn_page: { args: { to: string }; returns: StageDto };
  set_mute: { args: { mute: boolean }; returns: StageDto };
  /** Confidence thumbnails of what each screen shows, while the hearing view is open. */
  set_thumbnails: { args: { enabled: boolean }; returns: null };
  /** The clerk's setup checks; `only` re-runs the named ones (what failed). */
  run_checks: { args: { only: string[] | null }; returns: CheckReportDto };
  launch: { args: { caseId: string }; returns: HearingDto };
  hearing: { args: Record<string, never>; returns: HearingDto | null };
  stage: { args: Record<string, never>; returns: StageDto };
  select: { args: { reference: string }; returns: StageDto };
  present: { args: { screens: string[] }; returns: StageDto };
  hold: { args: { hold: boolean }; returns: StageDto };
  play: { args: Record<string, never>; returns: StageDto };
  pause: { args: Record<string, never>; returns: StageDto };
  seek: { args: { positionMs: number }; returns: StageDto };
  step: { args: { frames: number }; returns: StageDto };
  set_rate: { args: { rate: number }; returns: StageDto };
  play_clip: { args: { label: string }; returns: StageDto };
  blank: { args: { screen: string; blank: boolean }; returns: StageDto };
  blank_all: { args: Record<string, never>; returns: StageDto };
  withdraw: { args: Record<string, never>; returns: StageDto };
};
