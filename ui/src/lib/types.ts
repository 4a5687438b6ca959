// Mirrors crates/courtdeck-api/src/json.rs. Keep the two in step.

// The error codes are generated from the Rust enum (crates/courtdeck-core/tests/sourcegen.rs).
import type { ErrorCode } from "./generated/error-codes";
export type { ErrorCode };
import type { Language } from "../i18n/types";

export interface ApiError {
  code: ErrorCode;
  message: string;
}

export interface StoreStatus {
  online: boolean;
  description: string;
  problem: ApiError | null;
  /** "not_needed" | "present" | "missing" | "keyring_unavailable"; never the credential. */
  credential: string | null;
}

export type Readiness = "ready" | "not_fetched" | "unavailable";

export interface HearingCard {
  time: string;
  case_id: string;
  title: string;
  hearing_type: string;
  exhibits_total: number;
  exhibits_ready: number;
  readiness: Readiness;
  problem: ApiError | null;
}

export interface Today {
  court: string;
  court_name: string;
  date: string;
  store: StoreStatus;
  hearings: HearingCard[];
  /** Set when the custody (audit) log cannot be written. */
  custody: ApiError | null;
  /** The surface's starting language: `[ui] language` in the kiosk's config. */
  language: Language;
}

export type Restriction = "open" | "no_public" | "bench_only";
export type Kind = "video" | "audio" | "image";

export interface Clip {
  label: string;
  start_ms: number;
  end_ms: number;
}

export interface Exhibit {
  reference: string;
  title: string;
  kind: Kind;
  media_type: string;
  duration_ms: number | null;
  restriction: Restriction;
  size: number;
  sha256: string;
  cached: boolean;
  problem: ApiError | null;
  clips: Clip[];
  allowed_screens: string[];
  /** 160x90 JPEG poster frame, base64, once made. */
  poster: string | null;
}

export interface ScreenInfo {
  id: string;
  label: string;
  role: string;
}

export interface Hearing {
  case_id: string;
  title: string;
  hearing_type: string;
  time: string;
  exhibits: Exhibit[];
  screens: ScreenInfo[];
}

export interface ScreenState extends ScreenInfo {
  blanked: boolean;
  showing: string | null;
  connected: boolean;
  /** A slate instead of black: after a playout restart, or when the exhibit on it failed. */
  slate: "standby" | "unavailable" | null;
}

export type PlayoutStatus = "ready" | "restarting" | "unavailable";

/** What the presenter can do with the exhibit on air (by its kind): the surface shows these only. */
export interface Controls {
  transport: boolean;
  step: boolean;
  speed: boolean;
  sound: boolean;
  seek: boolean;
  zoom: boolean;
}

export interface OnAir {
  exhibit: string;
  screens: string[];
  playing: boolean;
  zoom: number;
  /** 1 as recorded; a new exhibit starts at 1. */
  rate: number;
  controls: Controls;
}

export interface Stage {
  case_id: string | null;
  cued: string | null;
  cued_ready: boolean;
  /** The screens to tick for the exhibit the controls act on: every connected one it may reach. */
  default_targets: string[];
  on_air: OnAir | null;
  screens: ScreenState[];
  playout: PlayoutStatus;
  /** The room's sound (0 to 1.5, and the mute), as playout has it; a restart keeps it. */
  sound: { volume: number; muted: boolean };
  /** Set when the custody (audit) log cannot be written. */
  custody: ApiError | null;
}

export type UiEvent =
  | ({ type: "stage" } & Stage)
  | { type: "position"; exhibit: string; position_ms: number; duration_ms: number | null; playing: boolean; rate: number }
  | { type: "notice"; error: ApiError; exhibit: string | null }
  | { type: "fetch_progress"; case_id: string; exhibit: string; done: number; total: number }
  | { type: "thumbnail"; exhibit: string; jpeg: string }
  | { type: "level"; exhibit: string; rms_db: number }
  | { type: "poster"; exhibit: string; sha256: string; jpeg: string }
  | { type: "no_poster"; exhibit: string; sha256: string; reason: string };

/** Mirrors courtdeck-api::json::CheckReportDto. */
export type CheckStatus = "pass" | "warn" | "fail";

export interface Check {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  ms: number;
}

export interface CheckReport {
  time: string;
  court: string;
  kiosk_id: string;
  overall: CheckStatus;
  seconds: number;
  checks: Check[];
  json_path: string | null;
  html_path: string | null;
}
