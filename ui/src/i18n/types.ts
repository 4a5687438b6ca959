// The shape of a message catalogue. en.ts is the reference; every other language is checked against it.
import type { ErrorCode } from "../lib/generated/error-codes";
import type { MessageKey } from "./en";

/** The languages the surface speaks: `[ui] language` in the kiosk's config names one of them
 *  (generated from `courtdeck_api::config::Language`, so a new one needs a catalogue here). */
export type { Language } from "../lib/generated/dto";
import type { Language } from "../lib/generated/dto";

/** A message whose words depend on a number: CLDR plural forms, picked by `{count}`. */
export interface Plural {
  readonly zero?: string;
  readonly one?: string;
  readonly two?: string;
  readonly few?: string;
  readonly many?: string;
  readonly other: string;
}

export type Message = string | Plural;

export interface Catalogue {
  readonly language: Language;
  /** The language's name in itself, as the switch shows it. */
  readonly name: string;
  /** False while the catalogue is a draft awaiting review by a translator. */
  readonly reviewed: boolean;
  /** One headline per error code: required, so a new Rust code fails the type check until it is named. */
  readonly errors: Readonly<Record<ErrorCode, string>>;
  /**
   * What an usher does next about an error of each code, shown after its message wherever the
   * surface shows one. It must be true of every error with that code ("" where nothing is): a
   * remedy that follows from one situation is in that error's own message.
   */
  readonly advice: Readonly<Record<ErrorCode, string>>;
  /** A missing message falls back to English. */
  readonly messages: Readonly<Partial<Record<MessageKey, Message>>>;
}
