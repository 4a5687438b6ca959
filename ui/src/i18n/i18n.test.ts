import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../lib/generated/error-codes";
import { writable } from "svelte/store";
import { CATALOGUES, LANGUAGES, isLanguage, language, languageSwitch, t, translate, translator, type Catalogue, type Message, type MessageKey } from ".";
import { cy } from "./cy";
import { en } from "./en";

const KEYS = Object.keys(en.messages) as MessageKey[];

/** Every string of a message: itself, or each of its plural forms. */
function texts(m: Message): string[] {
  return typeof m === "string" ? [m] : Object.values(m).filter((v): v is string => typeof v === "string");
}

function placeholders(m: Message): string[] {
  return [...new Set(texts(m).flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1] ?? "")))].sort();
}

/** Parameters that fill every placeholder a key's English message has. */
function paramsFor(key: MessageKey): Record<string, string | number> {
  return Object.fromEntries(placeholders(en.messages[key]).map((p) => [p, p === "count" ? 2 : `<${p}>`]));
}

/** `t` with parameters built at run time, for tests that walk every key. */
function say(tr: ReturnType<typeof translator>, key: MessageKey): string {
  return (tr as unknown as (k: string, p: Record<string, string | number>) => string)(key, paramsFor(key));
}

afterEach(() => language.set("en"));

describe("error headlines", () => {
  it("every error code has an English and a Welsh headline, and the Welsh is not the English", () => {
    for (const code of ERROR_CODES) {
      expect(en.errors[code], code).toBeTruthy();
      expect(cy.errors[code], code).toBeTruthy();
      expect(cy.errors[code], code).not.toBe(en.errors[code]);
      expect(translator(cy).headline(code)).toBe(cy.errors[code]);
    }
  });
  it("the catalogues name no code the Rust side does not have", () => {
    for (const c of [en, cy]) expect(Object.keys(c.errors).sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe("what to do next", () => {
  it("every code's advice is given in both languages or in neither, and a Welsh kiosk reads it in Welsh", () => {
    for (const c of [en, cy]) expect(Object.keys(c.advice).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      expect(Boolean(cy.advice[code]), code).toBe(Boolean(en.advice[code]));
      if (en.advice[code]) expect(cy.advice[code], code).not.toBe(en.advice[code]);
      expect(translator(cy).advice(code)).toBe(cy.advice[code]);
    }
    expect(translator(en).advice("store_unreachable")).toMatch(/already on this kiosk still play/);
    expect(translator(cy).advice("disk_full")).toMatch(/clerc/);
  });
});

describe("catalogues", () => {
  it("no value is empty", () => {
    for (const c of Object.values(CATALOGUES)) {
      expect(c.name.trim()).not.toBe("");
      for (const [code, text] of Object.entries(c.errors)) expect(text.trim(), `${c.language} ${code}`).not.toBe("");
      for (const [key, m] of Object.entries(c.messages)) {
        for (const text of texts(m as Message)) expect(text.trim(), `${c.language} ${key}`).not.toBe("");
      }
    }
  });
  it("the Welsh catalogue is complete and names no key English lacks", () => {
    expect(Object.keys(cy.messages).sort()).toEqual([...KEYS].sort());
  });
  it("each Welsh message has the same placeholders as its English one", () => {
    for (const key of KEYS) {
      const welsh = cy.messages[key];
      if (welsh !== undefined) expect(placeholders(welsh), key).toEqual(placeholders(en.messages[key]));
    }
  });
  it("a plural message always has its `other` form", () => {
    for (const c of Object.values(CATALOGUES)) {
      for (const [key, m] of Object.entries(c.messages)) {
        if (typeof m === "object") expect(m.other, `${c.language} ${key}`).toBeTruthy();
      }
    }
  });
  it("the Welsh draft says whether it has been reviewed; English is the reference", () => {
    expect(en.reviewed).toBe(true);
    expect(typeof cy.reviewed).toBe("boolean");
    expect(cy.name).toBe("Cymraeg");
    expect(LANGUAGES.map((l) => CATALOGUES[l].language)).toEqual(["en", "cy"]);
  });
});

describe("lookup", () => {
  it("never shows a raw key or an unfilled placeholder, in either language", () => {
    for (const l of LANGUAGES) {
      const tr = translator(CATALOGUES[l]);
      for (const key of KEYS) {
        const text = say(tr, key);
        expect(text, `${l} ${key}`).not.toBe(key);
        expect(text, `${l} ${key}`).not.toMatch(/\{\w+\}/);
      }
    }
  });
  it("speaks Welsh", () => {
    const welsh = translator(cy);
    expect(welsh("hearing.play")).toBe("▶ Chwarae");
    expect(welsh("hearing.pause")).toBe("❚❚ Saib");
    expect(welsh("setup.pass")).toContain("llys");
    expect(welsh("today.noHearings", { court: "Llys Ynadon Caerdydd" })).toContain("Llys Ynadon Caerdydd");
  });
  it("falls back to English for a key the Welsh catalogue lacks, or leaves empty", () => {
    const { "hearing.withdraw": _gone, ...rest } = cy.messages;
    const partial: Catalogue = { ...cy, messages: { ...rest, "hearing.present": "" } };
    const tr = translator(partial);
    expect(tr("hearing.withdraw")).toBe("Withdraw");
    expect(tr("hearing.present")).toBe("Present");
    expect(tr("hearing.play")).toBe("▶ Chwarae");
  });
  it("falls back to English for a headline left empty, and to `internal` for a code it does not know", () => {
    const partial: Catalogue = { ...cy, errors: { ...cy.errors, disk_full: "" } };
    expect(translator(partial).headline("disk_full")).toBe("Kiosk disk is full");
    expect(translator(cy).headline("no_such_code" as never)).toBe(en.errors.internal);
  });
  it("a message that falls back keeps English plural rules", () => {
    const { "today.verified": _gone, ...rest } = cy.messages;
    const tr = translator({ ...cy, messages: rest });
    expect(tr("today.verified", { count: 1 })).toBe("(1 exhibit, verified)");
    expect(tr("today.verified", { count: 2 })).toBe("(2 exhibits, verified)");
  });
  it("chooses plural forms by the language's rules", () => {
    const english = translator(en);
    expect(english("today.downloaded", { ready: 0, count: 1 })).toBe("◐ 0 of 1 exhibit downloaded");
    expect(english("today.downloaded", { ready: 2, count: 5 })).toBe("◐ 2 of 5 exhibits downloaded");
    const welsh = translator(cy);
    expect(welsh("today.verified", { count: 1 })).toBe("(1 arddangosyn, wedi'i wirio)");
    // Welsh has zero, two, few and many forms too; a form the message does not give falls to `other`.
    expect(new Intl.PluralRules("cy").select(3)).toBe("few");
    expect(welsh("today.verified", { count: 3 })).toBe("(3 arddangosyn, wedi'u gwirio)");
  });
  it("leaves a placeholder it was given no value for visible", () => {
    const tr = translator(en);
    expect((tr as unknown as (k: string, p: object) => string)("today.noHearings", {})).toBe("No hearings are listed for {court} today.");
  });
});

describe("the language store", () => {
  it("starts in English", () => {
    expect(get(language)).toBe("en");
    expect(get(t).language).toBe("en");
  });
  it("switching it changes what t() says", () => {
    expect(get(t)("hearing.play")).toBe("▶ Play");
    expect(get(t).headline("store_unreachable")).toBe("Evidence store offline");
    language.set("cy");
    expect(get(t)("hearing.play")).toBe("▶ Chwarae");
    expect(get(t).headline("store_unreachable")).toBe("Storfa dystiolaeth all-lein");
    expect(translate()("app.ok")).toBe("Iawn");
    language.set("en");
    expect(translate()("app.ok")).toBe("OK");
  });
  it("subscribers hear the switch", () => {
    const heard: string[] = [];
    const stop = t.subscribe((tr) => heard.push(tr("app.todaysList")));
    language.set("cy");
    language.set("en");
    stop();
    expect(heard).toEqual(["Today's list", "Rhestr heddiw", "Today's list"]);
  });
  it("follows [ui] language until the switch is used, then only the switch", () => {
    const store = writable<"en" | "cy">("en");
    const sw = languageSwitch(store);
    sw.fromConfig("cy");
    expect(get(store)).toBe("cy");
    sw.fromConfig("fr");
    expect(get(store)).toBe("cy");
    sw.choose("en");
    sw.fromConfig("cy");
    expect(get(store)).toBe("en");
    sw.choose("cy");
    expect(get(store)).toBe("cy");
  });
  it("accepts only the languages it has", () => {
    expect(isLanguage("cy")).toBe(true);
    expect(isLanguage("en")).toBe(true);
    expect(isLanguage("fr")).toBe(false);
    expect(isLanguage(undefined)).toBe(false);
  });
});

// Views keep no words of their own: everything a person reads comes from a catalogue (or from the
// facade). This reads each component's markup, drops scripts, styles and `{expressions}`, and looks
// for letters left in text or in the attributes people read.
describe("views", () => {
  const sources = import.meta.glob("../**/*.svelte", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

  function withoutExpressions(markup: string): string {
    let out = "";
    let depth = 0;
    for (const ch of markup) {
      if (ch === "{") depth++;
      else if (ch === "}") depth = Math.max(0, depth - 1);
      else if (depth === 0) out += ch;
    }
    return out;
  }

  it("finds the components", () => {
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(4);
  });
  it("hold no hard-coded words", () => {
    for (const [file, source] of Object.entries(sources)) {
      const markup = withoutExpressions(source.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, ""));
      const readAttrs = [...markup.matchAll(/\b(title|alt|aria-label|placeholder)="([^"]*)"/g)]
        .map((m) => m[2] ?? "")
        .filter((v) => /[A-Za-z]/.test(v));
      const text = markup
        .replace(/<[^>]*>/g, " ")
        .split(/\s+/)
        .filter((w) => /[A-Za-z]/.test(w));
      expect([...readAttrs, ...text], file).toEqual([]);
    }
  });
});
