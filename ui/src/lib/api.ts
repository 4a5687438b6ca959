// The control surface's only way out: Tauri commands granted in src-tauri/capabilities/default.json.
// Their names, arguments and results are `Commands`, generated from src-tauri/src/commands.rs: a
// command called here with the wrong name or arguments fails the type check.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ApiError, Stroke, UiEvent, ZoomStep } from "./types";
import type { Commands } from "./generated/commands";
import { asApiError } from "./logic";
import { translate } from "../i18n";

type Command = keyof Commands;
type Args<K extends Command> = Commands[K]["args"];
type Returns<K extends Command> = Commands[K]["returns"];
/** No argument for a command that takes none; its arguments for one that does. */
type ArgList<K extends Command> = Args<K> extends Record<string, never> ? [] : [Args<K>];

async function call<K extends Command>(cmd: K, ...args: ArgList<K>): Promise<Returns<K>> {
  try {
    return await invoke<Returns<K>>(cmd, args[0]);
  } catch (e) {
    throw asApiError(e, translate()("errors.unknownMessage"));
  }
}

// Calls that act on what is cued or on air run one after another, in the order they were tapped: a
// Present tapped while the exhibit tapped before it is still being readied (its copy re-hashed) goes
// up after that selection, never to the exhibit that was there before. Blanking never waits.
let inOrder: Promise<unknown> = Promise.resolve();
function ordered<K extends Command>(cmd: K, ...args: ArgList<K> | [() => Args<K>]): Promise<Returns<K>> {
  // Arguments given as a function are read when the call's turn comes (after the calls before it).
  const next = inOrder.then(() => {
    const a = args[0];
    const now = (typeof a === "function" ? [a()] : args) as ArgList<K>;
    return call(cmd, ...now);
  });
  inOrder = next.catch(() => undefined);
  return next;
}

export const api = {
  today: () => call("today"),
  launch: (caseId: string) => call("launch", { caseId }),
  hearing: () => call("hearing"),
  /** Small pictures of pages of a document (160x90 JPEG, base64), for the page strip. */
  pagePosters: (reference: string, pages: number[]) => call("page_posters", { reference, pages }),
  stage: () => call("stage"),
  select: (reference: string) => ordered("select", { reference }),
  /** `screens` is read when the call's turn comes: the screens ticked for the exhibit then cued. */
  present: (screens: () => string[]) => ordered("present", () => ({ screens: screens() })),
  play: () => ordered("play"),
  pause: () => ordered("pause"),
  seek: (positionMs: number) => ordered("seek", { positionMs: Math.max(0, Math.round(positionMs)) }),
  step: (frames: number) => ordered("step", { frames }),
  setRate: (rate: number) => ordered("set_rate", { rate }),
  playClip: (label: string) => ordered("play_clip", { label }),
  blank: (screen: string, blank: boolean) => call("blank", { screen, blank }),
  blankAll: () => call("blank_all"),
  withdraw: () => ordered("withdraw"),
  /** Freezes the live source on air on its current frame (true), or lets it run live again. */
  hold: (hold: boolean) => ordered("hold", { hold }),
  setThumbnails: (enabled: boolean) => call("set_thumbnails", { enabled }),
  setVolume: (volume: number) => ordered("set_volume", { volume }),
  setMute: (mute: boolean) => ordered("set_mute", { mute }),
  zoom: (step: ZoomStep) => ordered("zoom", { step }),
  /** Zoom into the box drawn on the preview, corner to corner (ten-thousandths of the 16:9 preview). */
  zoomToBox: (from: [number, number], to: [number, number]) => ordered("zoom_to_box", { from, to }),
  /** `next`, `previous`, or a page number from 1 (as text). */
  turnPage: (to: string) => ordered("turn_page", { to }),
  /** Strokes drawn on the 16:9 preview (points in ten-thousandths of it), added to those on air. */
  annotate: (strokes: Stroke[]) => ordered("annotate", { strokes }),
  clearAnnotations: () => ordered("clear_annotations"),
  /** The marked picture on air kept as a new still exhibit; the hearing with it. */
  keepMarked: () => ordered("keep_marked"),
  /** An exhibit's transcript: its cues, and who may read it along. */
  transcript: (reference: string) => call("transcript", { reference }),
  /** The transcript's captions on these screens of the recording on air (none: off). */
  setCaptions: (screens: string[]) => ordered("set_captions", { screens }),
  /** Lines `first` to `last` (from 1) of the transcript played as a clip. */
  playDesignation: (first: number, last: number) => ordered("play_designation", { first, last }),
  /** Side by side: `exhibit` beside the recording on air, its clock `offsetMs` ahead (null: alone). */
  setBeside: (exhibit: string | null, offsetMs: number) =>
    ordered("set_beside", { exhibit, offsetMs }),
  runChecks: (only: string[] | null) => call("run_checks", { only }),
  /** The next `days` days' hearings with each exhibit's readiness; `prepare` fetches first. */
  weekAhead: (days: number, prepare: boolean) => call("week_ahead", { days, prepare }),
  /** Each hearing's printable readiness report saved; their paths. */
  saveWeekReports: (days: number) => call("save_week_reports", { days }),
};

export function onEvent(handler: (e: UiEvent) => void): Promise<UnlistenFn> {
  return listen<UiEvent>("courtdeck:event", (e) => handler(e.payload));
}

export type { ApiError };
