// The control surface's only way out: Tauri commands granted in src-tauri/capabilities/default.json.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ApiError, CheckReport, Hearing, PagePoster, Stage, Stroke, Today, Transcript, UiEvent, WeekAhead } from "./types";
import { asApiError } from "./logic";
import { translate } from "../i18n";

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asApiError(e, translate()("errors.unknownMessage"));
  }
}

// Calls that act on what is cued or on air run one after another, in the order they were tapped: a
// Present tapped while the exhibit tapped before it is still being readied (its copy re-hashed) goes
// up after that selection, never to the exhibit that was there before. Blanking never waits.
let inOrder: Promise<unknown> = Promise.resolve();
function ordered<T>(cmd: string, args?: Record<string, unknown> | (() => Record<string, unknown>)): Promise<T> {
  // Arguments given as a function are read when the call's turn comes (after the calls before it).
  const next = inOrder.then(() => call<T>(cmd, typeof args === "function" ? args() : args));
  inOrder = next.catch(() => undefined);
  return next;
}

export const api = {
  today: () => call<Today>("today"),
  launch: (caseId: string) => call<Hearing>("launch", { caseId }),
  hearing: () => call<Hearing | null>("hearing"),
  /** Small pictures of pages of a document (160x90 JPEG, base64), for the page strip. */
  pagePosters: (reference: string, pages: number[]) => call<PagePoster[]>("page_posters", { reference, pages }),
  stage: () => call<Stage>("stage"),
  select: (reference: string) => ordered<Stage>("select", { reference }),
  /** `screens` is read when the call's turn comes: the screens ticked for the exhibit then cued. */
  present: (screens: () => string[]) => ordered<Stage>("present", () => ({ screens: screens() })),
  play: () => ordered<Stage>("play"),
  pause: () => ordered<Stage>("pause"),
  seek: (positionMs: number) => ordered<Stage>("seek", { positionMs: Math.max(0, Math.round(positionMs)) }),
  step: (frames: number) => ordered<Stage>("step", { frames }),
  setRate: (rate: number) => ordered<Stage>("set_rate", { rate }),
  playClip: (label: string) => ordered<Stage>("play_clip", { label }),
  blank: (screen: string, blank: boolean) => call<Stage>("blank", { screen, blank }),
  blankAll: () => call<Stage>("blank_all"),
  withdraw: () => ordered<Stage>("withdraw"),
  setThumbnails: (enabled: boolean) => call<null>("set_thumbnails", { enabled }),
  setVolume: (volume: number) => ordered<Stage>("set_volume", { volume }),
  setMute: (mute: boolean) => ordered<Stage>("set_mute", { mute }),
  zoom: (step: "in" | "out" | "left" | "right" | "up" | "down" | "whole" | "fit_width") =>
    ordered<Stage>("zoom", { step }),
  /** `next`, `previous`, or a page number from 1 (as text). */
  /** Zoom into the box drawn on the preview, corner to corner (ten-thousandths of the 16:9 preview). */
  zoomToBox: (from: [number, number], to: [number, number]) => ordered<Stage>("zoom_to_box", { from, to }),
  turnPage: (to: string) => ordered<Stage>("turn_page", { to }),
  /** Strokes drawn on the 16:9 preview (points in ten-thousandths of it), added to those on air. */
  annotate: (strokes: Stroke[]) => ordered<Stage>("annotate", { strokes }),
  clearAnnotations: () => ordered<Stage>("clear_annotations"),
  /** The marked picture on air kept as a new still exhibit; the hearing with it. */
  keepMarked: () => ordered<Hearing>("keep_marked"),
  /** An exhibit's transcript: its cues, and who may read it along. */
  transcript: (reference: string) => call<Transcript>("transcript", { reference }),
  /** The transcript's captions on these screens of the recording on air (none: off). */
  setCaptions: (screens: string[]) => ordered<Stage>("set_captions", { screens }),
  /** Lines `first` to `last` (from 1) of the transcript played as a clip. */
  playDesignation: (first: number, last: number) => ordered<Stage>("play_designation", { first, last }),
  /** Side by side: `exhibit` beside the recording on air, its clock `offsetMs` ahead (null: alone). */
  setBeside: (exhibit: string | null, offsetMs: number) =>
    ordered<Stage>("set_beside", { exhibit, offsetMs }),
  runChecks: (only: string[] | null) => call<CheckReport>("run_checks", { only }),
  /** The next `days` days' hearings with each exhibit's readiness; `prepare` fetches first. */
  weekAhead: (days: number, prepare: boolean) => call<WeekAhead>("week_ahead", { days, prepare }),
  /** Each hearing's printable readiness report saved; their paths. */
  saveWeekReports: (days: number) => call<string[]>("save_week_reports", { days }),
};

export function onEvent(handler: (e: UiEvent) => void): Promise<UnlistenFn> {
  return listen<UiEvent>("courtdeck:event", (e) => handler(e.payload));
}

export type { ApiError };
