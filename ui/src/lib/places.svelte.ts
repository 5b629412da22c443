// Places as a person reads them: a country's states, provinces or regions (first-level ISO 3166-2
// subdivisions, from the program's list through the backend), named in the user's language.

import type { SubdivisionChoice } from "../ipc/SubdivisionChoice";
import { api } from "./api";
import { fmt, locale } from "./i18n.svelte";

/** Each country's subdivisions, once they arrived. */
const lists = $state<Record<string, SubdivisionChoice[]>>({});
/** The countries asked for, so that each is asked once. */
const asked = new Set<string>();

/** Starts loading a country's subdivisions, once; resolves with them. */
export async function loadSubdivisions(country: string): Promise<SubdivisionChoice[]> {
  const code = country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) return [];
  if (!asked.has(code)) {
    asked.add(code);
    try {
      lists[code] = await api.subdivisions(code);
    } catch {
      // A code that is no country the program serves has none; the form says why elsewhere.
      lists[code] = [];
    }
  }
  return lists[code] ?? [];
}

/** A country's subdivisions, by name in the user's language: empty until they have arrived (the
 * call starts loading them) and for a country that has none. */
export function subdivisionsOf(country: string): SubdivisionChoice[] {
  const code = country.trim().toUpperCase();
  if (!(code in lists)) void loadSubdivisions(code);
  const list = lists[code] ?? [];
  const es = locale() === "es";
  return [...list].sort((a, b) => (es ? a.es : a.en).localeCompare(es ? b.es : b.en, locale()));
}

/** A subdivision's name in the user's language; its code until its country's list arrives. */
export function subdivisionName(code: string): string {
  const country = code.slice(0, 2).toUpperCase();
  if (!(country in lists)) void loadSubdivisions(country);
  const found = lists[country]?.find((s) => s.code === code);
  if (!found) return code;
  return locale() === "es" ? found.es : found.en;
}

/** A place: "Texas, United States", or the country alone. */
export function placeName(country: string, subdivision: string | null | undefined): string {
  return subdivision ? `${subdivisionName(subdivision)}, ${fmt.country(country)}` : fmt.country(country);
}

/** The countries the program serves (ISO codes), once they arrived from the backend. */
const served = $state<{ codes: string[] }>({ codes: [] });
let servedAsked = false;

/** The countries a picker offers, named in the user's language and sorted by that name; empty
 * until the list has arrived (the call starts loading it). */
export function countryChoices(): { code: string; name: string }[] {
  if (!servedAsked) {
    servedAsked = true;
    api.countries().then(
      (codes) => (served.codes = codes),
      () => (servedAsked = false),
    );
  }
  return served.codes
    .map((code) => ({ code, name: fmt.country(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, locale()));
}

/** The country `text` names: its name in the user's language (any case, any accents) or its
 * ISO code; null when it names none of `choices`. */
export function countryNamed(text: string, choices: { code: string; name: string }[]): string | null {
  const typed = text.trim();
  if (typed === "") return null;
  const upper = typed.toUpperCase();
  const byCode = choices.find((c) => c.code === upper);
  if (byCode) return byCode.code;
  const same = (a: string, b: string) => a.localeCompare(b, locale(), { sensitivity: "base" }) === 0;
  return choices.find((c) => same(c.name, typed))?.code ?? null;
}
