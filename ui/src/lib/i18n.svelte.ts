// The UI's language: reactive state, the translate function, and the formatters bound to it.

import { catalogs, type MessageKey } from "./messages";
import {
  countryName,
  formatCount,
  formatCredits,
  formatDate,
  formatDateTime,
  formatMoney,
  formatMonth,
  formatPercent,
  formatQuarter,
  formatRelative,
  formatDuration,
  formatSignedCredits,
  type Locale,
} from "./format";

export type { Locale, MessageKey };
export const LOCALES: readonly Locale[] = ["en", "es"];
const STORAGE_KEY = "partner-desk.locale";

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "es") return saved;
  return globalThis.navigator?.language?.toLowerCase().startsWith("es") ? "es" : "en";
}

const state = $state<{ locale: Locale }>({ locale: initialLocale() });

export function locale(): Locale {
  return state.locale;
}

export function setLocale(next: Locale): void {
  state.locale = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  if (globalThis.document) document.documentElement.lang = next;
}

/** Fills `{name}` placeholders of a message. */
export function interpolate(message: string, params: Record<string, string | number> = {}): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The message `key` in the current language. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return interpolate(catalogs[state.locale][key], params);
}

/** Messages with a plural form: `<key>.one` and `<key>.other` in the catalog. */
export type PluralKey = { [K in MessageKey]: K extends `${infer Base}.one` ? Base : never }[MessageKey];

/** The form of `key` the current language uses for `count` ({n} is the count, formatted). */
export function tn(key: PluralKey, count: number, params: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules(state.locale).select(count) === "one" ? "one" : "other";
  return t(`${key}.${form}` as MessageKey, { ...params, n: formatCount(count, state.locale) });
}

export const fmt = {
  credits: (v: string) => formatCredits(v, state.locale),
  signedCredits: (v: string) => formatSignedCredits(v, state.locale),
  money: (v: string, currency: string) => formatMoney(v, currency, state.locale),
  percent: (v: string) => formatPercent(v, state.locale),
  count: (n: number) => formatCount(n, state.locale),
  date: (iso: string) => formatDate(iso, state.locale),
  dateTime: (iso: string) => formatDateTime(iso, state.locale),
  month: (yyyymm: string) => formatMonth(yyyymm, state.locale),
  quarter: (q: string) => formatQuarter(q, state.locale),
  country: (code: string) => countryName(code, state.locale),
  relative: (iso: string, now: Date) => formatRelative(iso, now, state.locale),
  duration: (seconds: number) => formatDuration(seconds, state.locale),
};
