// The surface's words, in English and Welsh. Views read `$t(key, params)` and `$t.headline(code)`; the
// language is a store: the kiosk's `[ui] language` sets it at start, the switch in the header changes
// it for this surface only.
import { derived, get, writable, type Readable, type Writable } from "svelte/store";
import type { ErrorCode } from "../lib/generated/error-codes";
import { cy } from "./cy";
import { en, type EnglishMessages, type MessageKey } from "./en";
import type { Catalogue, Language, Message, Plural } from "./types";

export type { Catalogue, Language, Message, MessageKey, Plural };

export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, cy };
/** In the order the switch shows them. */
export const LANGUAGES: readonly Language[] = ["en", "cy"];

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/** The `{name}` placeholders of an English message, as a union of names. */
type Placeholders<S> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;
type VarsOf<M> = M extends string ? Placeholders<M> : M extends Plural ? Placeholders<M[keyof M]> | "count" : never;
/** `t(key)` for a message without placeholders, `t(key, { name: value })` for one with them. */
export type Params<K extends MessageKey> = [VarsOf<EnglishMessages[K]>] extends [never]
  ? []
  : [Record<VarsOf<EnglishMessages[K]>, string | number>];

export interface Translate {
  <K extends MessageKey>(key: K, ...params: Params<K>): string;
  /** The headline shown above an error's message. */
  headline(code: ErrorCode): string;
  /** What to do next about an error with this code ("" when there is nothing to add). */
  advice(code: ErrorCode): string;
  readonly language: Language;
}

function isPlural(m: Message): m is Plural {
  return typeof m === "object";
}

function fill(text: string, params: Record<string, string | number>): string {
  // An unknown placeholder is left as written: visible, so a reviewer sees it, and never a raw key.
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

function render(language: Language, message: Message, params: Record<string, string | number>): string {
  if (!isPlural(message)) return fill(message, params);
  const count = Number(params.count ?? 0);
  const form = new Intl.PluralRules(language).select(count);
  return fill(message[form] ?? message.other, params);
}

/**
 * The lookup for `catalogue`, falling back to English for anything it does not name. A plural message
 * that falls back is chosen by English plural rules, since its forms are English ones.
 */
export function translator(catalogue: Catalogue, fallback: Catalogue = en): Translate {
  const t = <K extends MessageKey>(key: K, ...params: Params<K>): string => {
    const values = (params[0] ?? {}) as Record<string, string | number>;
    const own = catalogue.messages[key];
    if (own !== undefined && own !== "") return render(catalogue.language, own, values);
    const english = fallback.messages[key];
    if (english !== undefined) return render(fallback.language, english, values);
    // Unreachable while the key's type is checked: English names every key.
    return key;
  };
  return Object.assign(t, {
    headline: (code: ErrorCode) =>
      catalogue.errors[code] || fallback.errors[code] || fallback.errors.internal,
    advice: (code: ErrorCode) => catalogue.advice[code] || fallback.advice[code] || "",
    language: catalogue.language,
  });
}

/** The surface's language: English until `[ui] language` or the switch says otherwise. */
export const language = writable<Language>("en");

/**
 * Who sets the language: the kiosk's `[ui] language` (it comes with each of today's lists) until the
 * switch on the surface is used; from then on only the switch, until the app restarts. Nothing is
 * sent back to the facade: the choice belongs to this surface.
 */
export function languageSwitch(store: Writable<Language> = language) {
  let chosen = false;
  return {
    /** The facade's word; ignored once someone has chosen, or if it names no language we have. */
    fromConfig(l: unknown): void {
      if (!chosen && isLanguage(l)) store.set(l);
    },
    /** A tap on the switch. */
    choose(l: Language): void {
      chosen = true;
      store.set(l);
    },
  };
}

/** `$t("view.what")`: the current language's lookup. */
export const t: Readable<Translate> = derived(language, (l): Translate => translator(CATALOGUES[l]));

/** The lookup for the language of the moment, outside a component (e.g. in api.ts). */
export function translate(): Translate {
  return get(t);
}

/** The `lang` attribute for the document: screen readers and hyphenation follow it. */
export function htmlLang(l: Language): string {
  return l === "cy" ? "cy-GB" : "en-GB";
}
