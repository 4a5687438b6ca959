import { describe, expect, it } from "vitest";
import { KIND_ICON, kindDetail, problemText, addFetchProgress, asApiError, custodyProblem, caseProgress, failedChecks, levelPercent, mergeChecks, restrictionBadge, formatTime, nextRate, screenStatus, screenWords, toggleTarget, zoomLabel, pageStrip, addPoint, cueAt, searchCues, markDesignation, toggleCaption, nudgeOffset, offsetLabel, BESIDE_FRAME_MS, MAX_BESIDE_OFFSET_MS, clickerAction, blankKeyUnblanks, toolGroups, shownGroup, newerStage } from "./logic";
import { ERROR_CODES } from "./generated/error-codes";
import { CATALOGUES, translator } from "../i18n";
import type { CheckReport, Exhibit, Stage } from "./types";
import type { FetchState } from "./logic";

const exhibit = (restriction: Exhibit["restriction"], allowed: string[]): Exhibit => ({
  reference: "JS/3", title: "ABE interview", kind: "video", media_type: "video/mpeg", duration_ms: 10_000,
  restriction, size: 1, sha256: "0".repeat(64), cached: true, problem: null, clips: [], allowed_screens: allowed, poster: null, pages: 0, transcript: null,
  provenance: null,
});

const english = translator(CATALOGUES.en);
const welsh = translator(CATALOGUES.cy);

describe("errors", () => {
  it("keeps a well-formed {code, message}", () => {
    expect(asApiError({ code: "restricted_route", message: "No." }, "?")).toEqual({ code: "restricted_route", message: "No." });
  });
  it("keeps every code the Rust side defines (the hand-kept copy lacked audit_unavailable)", () => {
    for (const code of ERROR_CODES) expect(asApiError({ code, message: "m" }, "?").code).toBe(code);
  });
  it("maps anything else to internal", () => {
    expect(asApiError("boom", "?")).toEqual({ code: "internal", message: "boom" });
    expect(asApiError({ code: "made_up", message: "x" }, "?").code).toBe("internal");
    expect(asApiError(null, "Something went wrong.")).toEqual({ code: "internal", message: "Something went wrong." });
  });
  it("has a headline for every code", () => {
    expect(english.headline("store_unreachable")).toMatch(/offline/);
    expect(english.headline("playout_restarting")).toMatch(/restarting/);
  });
});

describe("problems as shown", () => {
  it("the message, then what to do next in the surface's language, one sentence after another", () => {
    expect(problemText({ code: "store_unreachable", message: "The store did not answer" }, english))
      .toBe("The store did not answer. Exhibits already on this kiosk still play. Ask the clerk to check the network.");
    expect(problemText({ code: "disk_full", message: "No space left." }, welsh)).toBe("No space left. Gofynnwch i'r clerc ryddhau lle.");
    expect(problemText({ code: "invalid_state", message: "Not now." }, english)).toBe("Not now.");
  });
});

describe("kinds on the list", () => {
  it("a length for a recording, still for a picture, pages for a document, in the surface's language", () => {
    expect(kindDetail({ kind: "video", duration_ms: 65_000, pages: 0 }, english)).toBe("1:05");
    expect(kindDetail({ kind: "audio", duration_ms: null, pages: 0 }, english)).toBe("--:--");
    expect(kindDetail({ kind: "image", duration_ms: null, pages: 0 }, english)).toBe("still");
    expect(kindDetail({ kind: "document", duration_ms: null, pages: 12 }, english)).toBe("12 pp");
    expect(KIND_ICON.audio).toBe("♪");
  });
});

describe("restriction badges", () => {
  it("none on an open exhibit, words in the surface's language on a restricted one", () => {
    expect(restrictionBadge("open", english)).toBeNull();
    expect(restrictionBadge("no_public", english)).toBe("No public");
    expect(restrictionBadge("bench_only", welsh)).toBe("Y fainc yn unig");
  });
});

describe("screen targets", () => {
  // The default ticks (every connected screen the exhibit may reach) come from the facade's stage
  // (`default_targets`); crates/courtdeck-api/tests/facade.rs checks them.
  it("never adds a forbidden screen", () => {
    const abe = exhibit("no_public", ["bench", "witness"]);
    const t = new Set(abe.allowed_screens);
    expect(toggleTarget(t, abe, "public").has("public")).toBe(false);
    expect(toggleTarget(t, abe, "bench").has("bench")).toBe(false);
    expect(toggleTarget(toggleTarget(t, abe, "bench"), abe, "bench").has("bench")).toBe(true);
  });
});

describe("time and rate", () => {
  it("formats", () => {
    expect(formatTime(0)).toBe("0:00");
    expect(formatTime(125_000)).toBe("2:05");
    expect(formatTime(38 * 60_000 + 10_000)).toBe("38:10");
    expect(formatTime(3_725_000)).toBe("1:02:05");
    expect(formatTime(null)).toBe("--:--");
  });
  it("steps through rates and stops at the ends", () => {
    expect(nextRate(1, 1)).toBe(1.5);
    expect(nextRate(2, 1)).toBe(2);
    expect(nextRate(0.25, -1)).toBe(0.25);
    expect(nextRate(1, -1)).toBe(0.5);
  });
});

describe("screen status comes from the stage", () => {
  const stage: Stage = {
    version: 1,
    custody: null,
    case_id: "JS-1", sources: [], cued: null, cued_ready: false, playout: "ready", default_targets: ["bench", "public"],
    sound: { volume: 1, muted: false },
    on_air: {
      exhibit: "JS/1", screens: ["bench", "public"], playing: true, zoom: 1, rate: 1, page: 1, pages: 1, fit_width: false, strokes: 0, captions: [], caption_screens: [], beside: null, beside_candidates: [], live: null,
      controls: { transport: true, step: true, speed: true, sound: true, seek: true, zoom: true, pages: false, annotate: true },
    },
    screens: [
      { id: "bench", label: "BENCH", role: "bench", blanked: false, showing: "JS/1", connected: true, wrong_monitor: false, slate: null },
      { id: "public", label: "PUBLIC", role: "public_gallery", blanked: true, showing: null, connected: true, wrong_monitor: false, slate: null },
      { id: "witness", label: "WITNESS", role: "witness", blanked: false, showing: null, connected: false, wrong_monitor: false, slate: null },
      { id: "legal", label: "ADVISER", role: "legal_adviser", blanked: false, showing: null, connected: false, wrong_monitor: true, slate: null },
      { id: "defence", label: "DEFENCE", role: "defence", blanked: false, showing: null, connected: true, wrong_monitor: false, slate: "unavailable" },
    ],
  };
  it("says which slate a screen shows, and a blank beats a slate", () => {
    expect(screenStatus(stage, "defence")).toBe("unavailable");
    expect(screenWords("unavailable", null, english)).toContain("exhibit unavailable");
    expect(screenWords("standby", null, english)).toBe("standby slate");
    expect(screenWords("standby", null, welsh)).toBe("cerdyn aros");
    expect(screenWords("live", "JS/1", welsh)).toBe("JS/1");
    expect(screenWords("black", null, english)).toBe("black");
    const blanked: Stage = { ...stage, screens: stage.screens.map((s) => ({ ...s, blanked: true })) };
    expect(screenStatus(blanked, "defence")).toBe("blank");
  });
  it("says a screen showing a live source without a picture has no signal, and a blank beats it", () => {
    const live: Stage = {
      ...stage,
      screens: stage.screens.map((s) => (s.id === "bench" ? { ...s, showing: "live:defence-laptop", slate: "no_signal" } : s)),
    };
    expect(screenStatus(live, "bench")).toBe("no_signal");
    expect(screenStatus(stage, "bench")).toBe("live");
    const blanked: Stage = { ...live, screens: live.screens.map((s) => ({ ...s, blanked: true })) };
    expect(screenStatus(blanked, "bench")).toBe("blank");
  });
  it("says when a screen has the wrong monitor on it", () => {
    expect(screenStatus(stage, "legal")).toBe("wrong_monitor");
    expect(screenWords("wrong_monitor", null, english)).toBe("wrong monitor");
    expect(screenWords("wrong_monitor", null, welsh)).toBe("monitor anghywir");
  });
  it("labels the zoom factor", () => {
    expect(zoomLabel(1)).toBe("1x");
    expect(zoomLabel(2.25)).toBe("2.3x");
  });
  it("says live, blank, missing", () => {
    expect(screenStatus(stage, "bench")).toBe("live");
    expect(screenStatus(stage, "public")).toBe("blank");
    expect(screenStatus(stage, "witness")).toBe("missing");
    expect(screenStatus(stage, "nope")).toBe("missing");
  });
});

describe("fetch progress", () => {
  it("adds up the exhibits of a case that download at once", () => {
    let s: FetchState = {};
    expect(caseProgress(s, "C1")).toBeNull();
    s = addFetchProgress(s, { case_id: "C1", exhibit: "JS/1", done: 10, total: 100 });
    s = addFetchProgress(s, { case_id: "C1", exhibit: "JS/2", done: 50, total: 50 });
    s = addFetchProgress(s, { case_id: "C2", exhibit: "AB/1", done: 1, total: 2 });
    s = addFetchProgress(s, { case_id: "C1", exhibit: "JS/1", done: 40, total: 100 });
    expect(caseProgress(s, "C1")).toEqual({ done: 90, total: 150 });
    expect(caseProgress(s, "C2")).toEqual({ done: 1, total: 2 });
  });
});

describe("setup checks", () => {
  const report = (checks: [string, "pass" | "warn" | "fail"][]): CheckReport => ({
    time: "t", court: "c", kiosk_id: "k", seconds: 1, json_path: null, html_path: null,
    overall: checks.some(([, s]) => s === "fail") ? "fail" : "pass",
    checks: checks.map(([id, status]) => ({ id, title: id, status, detail: "", ms: 1 })),
  });
  it("re-runs what did not pass and merges the answer in place", () => {
    const first = report([["screens", "fail"], ["store", "pass"], ["clock", "warn"]]);
    expect(failedChecks(first)).toEqual(["screens", "clock"]);
    const merged = mergeChecks(first, report([["screens", "pass"], ["clock", "pass"]]));
    expect(merged.checks.map((c) => [c.id, c.status])).toEqual([["screens", "pass"], ["store", "pass"], ["clock", "pass"]]);
    expect(merged.overall).toBe("pass");
    expect(mergeChecks(first, report([["clock", "fail"]])).overall).toBe("fail");
    expect(failedChecks(null)).toEqual([]);
  });
});

describe("level meter", () => {
  it("maps dBFS to a fill from -60 to 0", () => {
    expect(levelPercent(-120)).toBe(0);
    expect(levelPercent(-60)).toBe(0);
    expect(levelPercent(-30)).toBe(50);
    expect(levelPercent(0)).toBe(100);
    expect(levelPercent(6)).toBe(100);
  });
});

describe("custody banner", () => {
  const problem = { code: "audit_unavailable" as const, message: "custody log unavailable: read-only file system" };
  it("shows what the facade reports, the stage first", () => {
    expect(custodyProblem(null, null)).toBeNull();
    expect(custodyProblem({ custody: null }, { custody: null })).toBeNull();
    expect(custodyProblem({ custody: problem }, null)).toEqual(problem);
    expect(custodyProblem({ custody: null }, { custody: problem })).toEqual(problem);
    expect(english.headline("audit_unavailable")).toMatch(/Custody log/);
  });
});

describe("pageStrip", () => {
  it("offers the first, the last and the pages around the one shown", () => {
    expect(pageStrip(1, 1)).toEqual([1]);
    expect(pageStrip(1, 3)).toEqual([1, 2, 3]);
    expect(pageStrip(7, 200)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 200]);
    expect(pageStrip(100, 200, 2)).toEqual([1, 98, 99, 100, 101, 102, 200]);
  });
});

describe("addPoint", () => {
  it("keeps freehand points apart and shapes to their two corners", () => {
    let pen: [number, number][] = [];
    for (const p of [[0, 0], [10, 10], [100, 0], [100, 20], [300, 300]] as [number, number][]) {
      pen = addPoint("pen", pen, p);
    }
    expect(pen).toEqual([[0, 0], [100, 0], [300, 300]]);
    let arrow: [number, number][] = [];
    for (const p of [[0, 0], [10, 10], [5000, 5000]] as [number, number][]) arrow = addPoint("arrow", arrow, p);
    expect(arrow).toEqual([[0, 0], [5000, 5000]]);
  });
});

describe("transcripts", () => {
  const cue = (start_ms: number, end_ms: number, text: string, speaker: string | null = null) => ({ start_ms, end_ms, text, speaker });
  const cues = [cue(0, 1000, "one"), cue(1000, 3000, "two", "DC Shaw"), cue(2000, 2500, "overlap"), cue(4000, 5000, "At HOME")];
  it("finds the cue on screen as the core does", () => {
    expect(cueAt(cues, 0)).toBe(0);
    expect(cueAt(cues, 999)).toBe(0);
    expect(cueAt(cues, 1000)).toBe(1);
    expect(cueAt(cues, 2200)).toBe(2);
    expect(cueAt(cues, 2600)).toBe(1);
    expect(cueAt(cues, 3500)).toBeNull();
    expect(cueAt(cues, 5000)).toBeNull();
    expect(cueAt([], 10)).toBeNull();
  });
  it("searches words and speakers ignoring case", () => {
    expect(searchCues(cues, "home")).toEqual([3]);
    expect(searchCues(cues, "shaw")).toEqual([1]);
    expect(searchCues(cues, "  ")).toEqual([]);
  });
  it("marks a designation from two taps in either order", () => {
    const a = markDesignation(null, 5);
    expect(a).toEqual({ first: 5, last: null });
    expect(markDesignation(a, 2)).toEqual({ first: 2, last: 5 });
    expect(markDesignation({ first: 2, last: 5 }, 7)).toEqual({ first: 7, last: null });
  });
  it("toggles a screen's captions", () => {
    expect(toggleCaption([], "bench")).toEqual(["bench"]);
    expect(toggleCaption(["bench", "witness"], "bench")).toEqual(["witness"]);
  });
});

describe("side by side", () => {
  it("says an offset with its sign, to the hundredth of a second", () => {
    expect(offsetLabel(0)).toBe("+0.00 s");
    expect(offsetLabel(2000)).toBe("+2.00 s");
    expect(offsetLabel(-BESIDE_FRAME_MS)).toBe("−0.04 s");
    expect(offsetLabel(-61_500)).toBe("−61.50 s");
  });
  it("nudges by a frame or a second, never beyond a day either way", () => {
    expect(nudgeOffset(0, BESIDE_FRAME_MS)).toBe(40);
    expect(nudgeOffset(40, -1000)).toBe(-960);
    expect(nudgeOffset(MAX_BESIDE_OFFSET_MS - 10, 1000)).toBe(MAX_BESIDE_OFFSET_MS);
    expect(nudgeOffset(-MAX_BESIDE_OFFSET_MS, -BESIDE_FRAME_MS)).toBe(-MAX_BESIDE_OFFSET_MS);
  });
});

describe("the presenter's clicker", () => {
  const doc = { controls: { pages: true, step: false }, playing: false };
  const video = (playing: boolean) => ({ controls: { pages: false, step: true }, playing });
  const still = { controls: { pages: false, step: false }, playing: false };
  it("turns a document's pages", () => {
    expect(clickerAction("PageDown", doc)).toBe("next-page");
    expect(clickerAction("PageUp", doc)).toBe("previous-page");
  });
  it("steps a paused recording and pauses a playing one first", () => {
    expect(clickerAction("PageDown", video(false))).toBe("step-forward");
    expect(clickerAction("PageUp", video(false))).toBe("step-back");
    expect(clickerAction("PageDown", video(true))).toBe("pause");
    expect(clickerAction("PageUp", video(true))).toBe("pause");
  });
  it("does nothing to a still, with nothing on air, or for other keys", () => {
    expect(clickerAction("PageDown", still)).toBeNull();
    expect(clickerAction("PageDown", null)).toBeNull();
    expect(clickerAction("ArrowDown", doc)).toBeNull();
  });
  it("unblanks with the blank key only when every connected screen is blank", () => {
    const s = (blanked: boolean, connected = true) => ({ blanked, connected });
    expect(blankKeyUnblanks([s(true), s(true)])).toBe(true);
    expect(blankKeyUnblanks([s(true), s(false)])).toBe(false);
    expect(blankKeyUnblanks([s(true), s(false, false)])).toBe(true);
    expect(blankKeyUnblanks([])).toBe(false);
  });
});

describe("the tools beside the transport", () => {
  const controls = (c: Partial<Record<"transport" | "step" | "speed" | "sound" | "seek" | "zoom" | "pages" | "annotate", boolean>>) => ({
    transport: false, step: false, speed: false, sound: false, seek: false, zoom: false, pages: false, annotate: false, ...c,
  });
  const video = controls({ transport: true, step: true, speed: true, sound: true, seek: true, zoom: true, annotate: true });
  const on = (c: ReturnType<typeof controls>, besides: string[] = []) => ({ controls: c, beside: null, beside_candidates: besides });
  const exhibit = (clips: number, transcript: boolean) => ({ clips: Array(clips).fill({}), transcript: transcript ? {} : null });

  it("a document opens on its pages, then marks and zoom; nothing of a recording", () => {
    expect(toolGroups(on(controls({ pages: true, zoom: true, annotate: true })), exhibit(0, false))).toEqual(["pages", "marks", "zoom"]);
  });
  it("a recording opens on its clips, and offers only what it has", () => {
    expect(toolGroups(on(video, ["JS/6"]), exhibit(2, true))).toEqual(["clips", "transcript", "sound", "beside", "marks", "zoom"]);
    expect(toolGroups(on(video), exhibit(0, false))).toEqual(["sound", "marks", "zoom"]);
  });
  it("a sound recording has no picture to mark or zoom", () => {
    expect(toolGroups(on(controls({ transport: true, step: true, speed: true, sound: true, seek: true })), exhibit(1, true)))
      .toEqual(["clips", "transcript", "sound"]);
  });
  it("a still, and a live source before and after its frame is held", () => {
    expect(toolGroups(on(controls({ zoom: true, annotate: true })), exhibit(0, false))).toEqual(["marks", "zoom"]);
    expect(toolGroups(on(controls({ zoom: true, sound: true })), undefined)).toEqual(["sound", "zoom"]);
    expect(toolGroups(on(controls({ zoom: true, sound: true, annotate: true })), undefined)).toEqual(["sound", "marks", "zoom"]);
  });
  it("nothing on air, no tools", () => {
    expect(toolGroups(null, undefined)).toEqual([]);
  });
  it("the chosen group stays while offered, else the first is shown", () => {
    expect(shownGroup(["pages", "marks", "zoom"], "zoom")).toBe("zoom");
    expect(shownGroup(["pages", "marks", "zoom"], "clips")).toBe("pages");
    expect(shownGroup(["pages", "marks"], null)).toBe("pages");
    expect(shownGroup([], "pages")).toBeNull();
  });
});

describe("the stage shown", () => {
  it("a reply older than the event that came before it does not hide it", () => {
    const ready = { version: 8, cued_ready: true };
    const reply = { version: 7, cued_ready: false };
    expect(newerStage(ready, reply)).toBe(ready);
    expect(newerStage(reply, ready)).toBe(ready);
    expect(newerStage(null, reply)).toBe(reply);
    expect(newerStage(ready, ready)).toBe(ready);
  });
});
