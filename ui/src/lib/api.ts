// The control surface's only way out: Tauri commands granted in src-tauri/capabilities/default.json.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ApiError, CheckReport, Hearing, Stage, Today, UiEvent } from "./types";
import { asApiError } from "./logic";

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asApiError(e);
  }
}

export const api = {
  today: () => call<Today>("today"),
  launch: (caseId: string) => call<Hearing>("launch", { caseId }),
  hearing: () => call<Hearing | null>("hearing"),
  stage: () => call<Stage>("stage"),
  select: (reference: string) => call<Stage>("select", { reference }),
  present: (screens: string[]) => call<Stage>("present", { screens }),
  play: () => call<Stage>("play"),
  pause: () => call<Stage>("pause"),
  seek: (positionMs: number) => call<Stage>("seek", { positionMs: Math.max(0, Math.round(positionMs)) }),
  step: (frames: number) => call<Stage>("step", { frames }),
  setRate: (rate: number) => call<Stage>("set_rate", { rate }),
  playClip: (label: string) => call<Stage>("play_clip", { label }),
  blank: (screen: string, blank: boolean) => call<Stage>("blank", { screen, blank }),
  blankAll: () => call<Stage>("blank_all"),
  withdraw: () => call<Stage>("withdraw"),
  setThumbnails: (enabled: boolean) => call<null>("set_thumbnails", { enabled }),
  setVolume: (volume: number) => call<null>("set_volume", { volume }),
  setMute: (mute: boolean) => call<null>("set_mute", { mute }),
  zoom: (step: "in" | "out" | "left" | "right" | "up" | "down" | "whole") => call<Stage>("zoom", { step }),
  runChecks: (only: string[] | null) => call<CheckReport>("run_checks", { only }),
};

export function onEvent(handler: (e: UiEvent) => void): Promise<UnlistenFn> {
  return listen<UiEvent>("courtdeck:event", (e) => handler(e.payload));
}

export type { ApiError };
