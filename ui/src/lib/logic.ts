// Pure state logic of the control surface, unit-tested in logic.test.ts.
import { ERROR_CODES } from "./generated/error-codes";
import type { Translate } from "../i18n";
import type { ApiError, CheckReport, CheckStatus, Cue, ErrorCode, Exhibit, Kind, Restriction, Slate, Stage, Tool } from "./types";

const CODES: ReadonlySet<string> = new Set<ErrorCode>(ERROR_CODES);

/** Whatever a failed call threw, as `{code, message}`; the UI branches on `code` only. `unknownMessage`
 *  is what to say when it carries no message of its own. */
export function asApiError(e: unknown, unknownMessage: string): ApiError {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    if (typeof code === "string" && CODES.has(code) && typeof message === "string") {
      return { code: code as ErrorCode, message };
    }
  }
  return { code: "internal", message: typeof e === "string" ? e : unknownMessage };
}

/** The badge on a restricted exhibit, in the surface's language; none on an open one. */
export function restrictionBadge(r: Restriction, t: Translate): string | null {
  return r === "open" ? null : t(`restriction.${r}`);
}

/** Toggling a screen the exhibit may not be shown on does nothing: the core would refuse it anyway. */
export function toggleTarget(targets: Set<string>, exhibit: Pick<Exhibit, "allowed_screens">, screen: string): Set<string> {
  if (!exhibit.allowed_screens.includes(screen)) return targets;
  const next = new Set(targets);
  if (next.has(screen)) next.delete(screen);
  else next.add(screen);
  return next;
}

/** An error as the surface shows it: what happened (the facade's message), then what to do next
 * about any error of its code, in the surface's language (`advice`), as one sentence after another. */
export function problemText(e: ApiError, t: Translate): string {
  const advice = t.advice(e.code);
  if (!advice) return e.message;
  const message = e.message.trimEnd();
  return /[.!?]$/.test(message) ? `${message} ${advice}` : `${message}. ${advice}`;
}

/** The exhibit list's icon for an exhibit without a poster. One entry per kind (`Kind` is generated
 * from the Rust), so a kind added there fails the type check here until it has one. */
export const KIND_ICON: Readonly<Record<Kind, string>> = { video: "▶", audio: "♪", image: "▣", document: "▶" };

/** What the exhibit list says of an exhibit's extent: its length, "still", or its page count. */
export function kindDetail(e: Pick<Exhibit, "kind" | "duration_ms" | "pages">, t: Translate): string {
  const detail: Record<Kind, () => string> = {
    video: () => formatTime(e.duration_ms),
    audio: () => formatTime(e.duration_ms),
    image: () => t("hearing.still"),
    document: () => t("hearing.pageCount", { pages: e.pages }),
  };
  return detail[e.kind]();
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "--:--";
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return (h > 0 ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
}

/** What a screen tile says: the truth from playout's stage, never what the user last tapped. */
export function screenStatus(
  stage: Stage,
  id: string,
): "live" | "blank" | "black" | "missing" | "wrong_monitor" | Slate {
  const s = stage.screens.find((x) => x.id === id);
  if (s?.wrong_monitor) return "wrong_monitor";
  if (!s || !s.connected) return "missing";
  if (s.blanked) return "blank";
  // A live source on air without a picture: its screens show the "no signal" slate, not the picture.
  if (s.showing) return s.slate === "no_signal" ? "no_signal" : "live";
  return s.slate ?? "black";
}

/** The words under a screen tile. */
export function screenWords(status: ReturnType<typeof screenStatus>, showing: string | null, t: Translate): string {
  switch (status) {
    case "live":
      return showing ?? "";
    case "missing":
      return t("screen.notConnected");
    case "wrong_monitor":
      return t("screen.wrongMonitor");
    case "standby":
      return t("screen.standby");
    case "unavailable":
      return t("screen.unavailable");
    case "no_signal":
      return t("screen.noSignal");
    case "blank":
      return t("screen.blank");
    case "black":
      return t("screen.black");
  }
}

/** "1x", "2.3x": the zoom factor as the advocate reads it. */
/** Side by side: one nudge of the second recording's clock by "a frame" (at 25 fps, a court's CCTV
 * rate), and the furthest apart the two clocks may be set (the core's `MAX_BESIDE_OFFSET_MS`). */
export const BESIDE_FRAME_MS = 40;
export const MAX_BESIDE_OFFSET_MS = 24 * 60 * 60 * 1000;

/** The offset moved by `by` milliseconds, within a day either way. */
export function nudgeOffset(offsetMs: number, by: number): number {
  return Math.max(-MAX_BESIDE_OFFSET_MS, Math.min(MAX_BESIDE_OFFSET_MS, offsetMs + by));
}

/** An offset as the surface says it: signed seconds to the hundredth ("+2.00 s", "−0.04 s"). */
export function offsetLabel(offsetMs: number): string {
  const sign = offsetMs < 0 ? "−" : "+";
  return `${sign}${(Math.abs(offsetMs) / 1000).toFixed(2)} s`;
}

export function zoomLabel(factor: number): string {
  return `${Math.round(factor * 10) / 10}x`;
}

/** The stroke's points after the pen moved to `p` (ten-thousandths of the preview): a freehand
 * stroke keeps points at least 0.5% apart, up to 512 of them; an arrow, a rectangle or a callout keeps its
 * first point and the latest. */
export function addPoint(
  tool: Tool,
  points: [number, number][],
  p: [number, number],
): [number, number][] {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return [p];
  if (tool === "arrow" || tool === "rectangle" || tool === "callout") return [first, p];
  if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 50 || points.length >= 512) return points;
  return [...points, p];
}

/** The page numbers the strip offers around `page` of `pages`: the first and last, and up to
 * `around` either side of the page shown, so a 200-page bundle's strip stays one row. */
export function pageStrip(page: number, pages: number, around = 6): number[] {
  const out = new Set<number>();
  if (pages >= 1) out.add(1);
  for (let n = Math.max(1, page - around); n <= Math.min(pages, page + around); n++) out.add(n);
  if (pages >= 1) out.add(pages);
  return [...out].sort((a, b) => a - b);
}

export const RATES = [0.25, 0.5, 1, 1.5, 2] as const;

export function nextRate(rate: number, dir: 1 | -1): number {
  const i = RATES.findIndex((r) => r >= rate - 1e-9);
  const at = i < 0 ? RATES.length - 1 : i;
  const j = Math.min(RATES.length - 1, Math.max(0, at + dir));
  return RATES[j] ?? 1;
}

/**
 * What a presenter's clicker key does to the exhibit on air (a clicker sends Page Down / Page Up;
 * B and "." blank, handled with Blank All). A document turns its pages; a paused recording steps a
 * frame; a playing one pauses first (the advocate stops the picture where it is, then steps). Nothing
 * for other keys or what has neither pages nor frames (a still, a live source).
 */
export type ClickerAction = "next-page" | "previous-page" | "step-forward" | "step-back" | "pause";

export function clickerAction(
  key: string,
  on: { controls: { pages: boolean; step: boolean }; playing: boolean } | null,
): ClickerAction | null {
  const dir = key === "PageDown" ? 1 : key === "PageUp" ? -1 : 0;
  if (dir === 0 || !on) return null;
  if (on.controls.pages) return dir > 0 ? "next-page" : "previous-page";
  if (!on.controls.step) return null;
  if (on.playing) return "pause";
  return dir > 0 ? "step-forward" : "step-back";
}

/** Whether a key press is typing into a field (a page number, a search): no shortcut takes it. */
export function isTextEntry(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  const tag = el.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || el.isContentEditable) return true;
  if (tag !== "input") return false;
  const type = ((el as HTMLInputElement).type || "text").toLowerCase();
  return !["range", "checkbox", "radio", "button", "submit"].includes(type);
}

/** The keys that blank every screen (and, when every screen is already blank, bring them back). */
export const BLANK_KEYS = ["b", "B", "."] as const;

/** Whether a blank key should unblank: every connected screen is blank already. */
export function blankKeyUnblanks(screens: { blanked: boolean; connected: boolean }[]): boolean {
  const connected = screens.filter((s) => s.connected);
  return connected.length > 0 && connected.every((s) => s.blanked);
}

/** Download progress per case, from per-exhibit events (several exhibits download at once). */
export type FetchState = Record<string, Record<string, { done: number; total: number }>>;

export function addFetchProgress(
  state: FetchState,
  e: { case_id: string; exhibit: string; done: number; total: number },
): FetchState {
  return { ...state, [e.case_id]: { ...(state[e.case_id] ?? {}), [e.exhibit]: { done: e.done, total: e.total } } };
}

/** The sum over a case's exhibits seen so far, or null when none has reported. */
export function caseProgress(state: FetchState, caseId: string): { done: number; total: number } | null {
  const exhibits = Object.values(state[caseId] ?? {});
  if (exhibits.length === 0) return null;
  return exhibits.reduce((a, x) => ({ done: a.done + x.done, total: a.total + x.total }), { done: 0, total: 0 });
}

/** Merges a re-run of some checks into the last full report: re-run checks replace theirs, the others
 * stay; the overall result is the worst of all. */
export function mergeChecks(previous: CheckReport | null, rerun: CheckReport): CheckReport {
  if (!previous) return rerun;
  const byId = new Map(previous.checks.map((c) => [c.id, c] as const));
  for (const c of rerun.checks) byId.set(c.id, c);
  const checks = previous.checks.map((c) => byId.get(c.id)!);
  for (const c of rerun.checks) if (!previous.checks.some((p) => p.id === c.id)) checks.push(c);
  const rank = { pass: 0, warn: 1, fail: 2 } as const;
  const overall = checks.reduce<CheckStatus>((w, c) => (rank[c.status] > rank[w] ? c.status : w), "pass");
  return { ...rerun, checks, overall };
}

/** The ids to re-run: everything that did not pass. */
export function failedChecks(report: CheckReport | null): string[] {
  return report ? report.checks.filter((c) => c.status !== "pass").map((c) => c.id) : [];
}

/** A meter's fill for an RMS level in dBFS: -60 dB and below empty, 0 dB full. */
export function levelPercent(rmsDb: number): number {
  return Math.max(0, Math.min(100, ((rmsDb + 60) / 60) * 100));
}

/**
 * The custody log's problem, if the facade reports one: the stage is the newer word when both say
 * something (it comes with every change), else today's list. Null when the log is being written.
 */
export function custodyProblem(today: { custody: ApiError | null } | null, stage: { custody: ApiError | null } | null): ApiError | null {
  return stage?.custody ?? today?.custody ?? null;
}

/** The cue on screen at `ms`: of the cues spanning it, the one that started last (the core's
 *  `Transcript::cue_at`); `null` between cues. Cues are in order of their start. */
export function cueAt(cues: readonly Cue[], ms: number): number | null {
  let started = 0;
  while (started < cues.length && (cues[started]?.start_ms ?? Infinity) <= ms) started++;
  for (let i = started - 1; i >= 0; i--) {
    if ((cues[i]?.end_ms ?? 0) > ms) return i;
  }
  return null;
}

/** The cues whose words or speaker contain `query`, ignoring case. */
export function searchCues(cues: readonly Cue[], query: string): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  return cues.flatMap((c, i) => (`${c.speaker ?? ""} ${c.text}`.toLowerCase().includes(q) ? [i] : []));
}

/** A designation being marked: the first tap sets its first line, the second its last (either
 *  order); a third starts again. Lines are indexes from 0. */
export function markDesignation(
  range: { first: number; last: number | null } | null,
  tapped: number,
): { first: number; last: number | null } {
  if (!range || range.last !== null) return { first: tapped, last: null };
  return { first: Math.min(range.first, tapped), last: Math.max(range.first, tapped) };
}

/** The caption screens after tapping `screen`'s toggle. */
export function toggleCaption(on: readonly string[], screen: string): string[] {
  return on.includes(screen) ? on.filter((s) => s !== screen) : [...on, screen];
}

/**
 * The groups of tools beside the transport, one shown at a time under its tab, in the order of the
 * tabs; the first is where the surface opens for what has just gone on air. Only what the kind on air
 * offers is listed: a document its pages, marks and zoom; a recording its clips, transcript, sound,
 * side by side, marks (drawn when paused) and zoom; a still its marks and zoom; a live source its
 * marks (on a held frame), zoom and sound.
 */
export type ToolGroup = "pages" | "clips" | "transcript" | "sound" | "beside" | "marks" | "zoom";

export function toolGroups(
  on: {
    controls: { pages: boolean; seek: boolean; sound: boolean; zoom: boolean; annotate: boolean };
    beside: unknown | null;
    beside_candidates: readonly string[];
  } | null,
  exhibit: { clips: readonly unknown[]; transcript: unknown | null } | undefined,
): ToolGroup[] {
  if (!on) return [];
  const c = on.controls;
  const offered: [ToolGroup, boolean][] = [
    ["pages", c.pages],
    ["clips", c.seek && (exhibit?.clips.length ?? 0) > 0],
    ["transcript", exhibit?.transcript != null],
    ["sound", c.sound],
    ["beside", on.beside != null || on.beside_candidates.length > 0],
    ["marks", c.annotate],
    ["zoom", c.zoom],
  ];
  return offered.filter(([, yes]) => yes).map(([g]) => g);
}

/** The group shown: the one chosen while it is still offered, else the first. */
export function shownGroup(groups: readonly ToolGroup[], chosen: ToolGroup | null): ToolGroup | null {
  return chosen && groups.includes(chosen) ? chosen : (groups[0] ?? null);
}

/**
 * The stage to show: the newer of the one shown and one just come (a command's reply or a stage
 * event; they can arrive in either order). An older one never hides a newer (a cue that became ready
 * while the reply to its own select was on the way would otherwise say "Loading" for ever).
 */
export function newerStage<S extends { version: number }>(shown: S | null, come: S): S {
  return shown && shown.version > come.version ? shown : come;
}
