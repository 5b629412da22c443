// Locale-aware formatting of the backend's exact values.
//
// Money, credits and rates cross IPC as decimal strings. They are handed to Intl.NumberFormat as
// strings (ECMA-402 "string numeric literals"), which formats them exactly: no value is ever
// turned into a binary float on its way to the screen.

export type Locale = "en" | "es";

/** BCP 47 tags behind the app's locales (Spanish as used across LATAM and Spain). */
const TAGS: Record<Locale, string> = { en: "en-US", es: "es-ES" };

const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: Locale, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let nf = cache.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(TAGS[locale], options);
    cache.set(key, nf);
  }
  return nf;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Checks that `value` is a plain decimal string, as the backend sends. */
function decimal(value: string): Intl.StringNumericLiteral {
  if (!DECIMAL.test(value)) throw new Error(`not a decimal string: ${JSON.stringify(value)}`);
  return value as Intl.StringNumericLiteral;
}

/** An amount of Activation Credits with two decimals, e.g. "12,345.60" or "12.345,60". */
export function formatCredits(value: string, locale: Locale): string {
  return numberFormat(locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    // Spanish leaves four-digit amounts ungrouped by default; tables read better grouped.
    useGrouping: "always",
  }).format(decimal(value));
}

/** A movement of credits with its sign: "+1,000.00", "-12.50", "0.00". */
export function formatSignedCredits(value: string, locale: Locale): string {
  return numberFormat(locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    useGrouping: "always",
    signDisplay: "exceptZero",
  }).format(decimal(value));
}

/** An amount of money in `currency` (ISO 4217), with that currency's minor unit. */
export function formatMoney(value: string, currency: string, locale: Locale): string {
  return numberFormat(locale, { style: "currency", currency, useGrouping: "always" }).format(
    decimal(value),
  );
}

/** A fraction as a percentage: "0.125" → "12.5%" (en) or "12,5 %" (es). */
export function formatPercent(fraction: string, locale: Locale): string {
  return numberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(
    decimal(fraction),
  );
}

/** A whole count, grouped. */
export function formatCount(n: number, locale: Locale): string {
  return numberFormat(locale, { maximumFractionDigits: 0, useGrouping: "always" }).format(n);
}

/** An ISO date ("2026-11-24") in the locale's medium style. The date has no zone: shown as is. */
export function formatDate(iso: string, locale: Locale): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) throw new Error(`not an ISO date: ${JSON.stringify(iso)}`);
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(TAGS[locale], { dateStyle: "medium", timeZone: "UTC" }).format(
    date,
  );
}

/** A month ("2026-03") as "Mar 2026" or "mar 2026". */
export function formatMonth(yyyymm: string, locale: Locale): string {
  const match = /^(\d{4})-(\d{2})$/.exec(yyyymm);
  if (!match) throw new Error(`not a month: ${JSON.stringify(yyyymm)}`);
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return new Intl.DateTimeFormat(TAGS[locale], {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(date);
}

/** A quarter ("2026-Q3") as "Q3 2026", or "T3 2026" (trimestre) in Spanish, as the deck prints it. */
export function formatQuarter(quarter: string, locale: Locale): string {
  const match = /^(\d{4})-Q([1-4])$/.exec(quarter);
  if (!match) throw new Error(`not a quarter: ${JSON.stringify(quarter)}`);
  return `${locale === "es" ? "T" : "Q"}${match[2]} ${match[1]}`;
}

/** An RFC 3339 time as a date and a time of day, in the user's zone unless `timeZone` is given. */
export function formatDateTime(iso: string, locale: Locale, timeZone?: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new Error(`not a time: ${JSON.stringify(iso)}`);
  return new Intl.DateTimeFormat(TAGS[locale], {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(time);
}

/** A country's name from its ISO 3166-1 alpha-2 code, in the locale's language. */
export function countryName(code: string, locale: Locale): string {
  return new Intl.DisplayNames([TAGS[locale]], { type: "region" }).of(code) ?? code;
}

/**
 * Adds decimal strings exactly, in hundredths (BigInt): "10.50" + "0.25" → "10.75".
 * Inputs have at most two decimals, as the backend's credit amounts do.
 */
export function sumHundredths(values: readonly string[]): string {
  let total = 0n;
  for (const v of values) {
    const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v);
    if (!match) throw new Error(`not an amount with at most two decimals: ${JSON.stringify(v)}`);
    const hundredths = BigInt(match[2] ?? "0") * 100n + BigInt((match[3] ?? "").padEnd(2, "0"));
    total += match[1] ? -hundredths : hundredths;
  }
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const cents = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${abs / 100n}.${cents}`;
}

/** How long ago `iso` (an RFC 3339 time) was, relative to `now`: "2 minutes ago", "hace 2 minutos". */
export function formatRelative(iso: string, now: Date, locale: Locale): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) throw new Error(`not a time: ${JSON.stringify(iso)}`);
  const seconds = Math.round((then - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(TAGS[locale], { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 45) return rtf.format(0, "second");
  if (abs < 45 * 60) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 22 * 3600) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

/** A span of time still to go, as a person says it: "40 seconds", "3 minutes", "1 hour 5 minutes"
 *  ("40 segundos", "3 minutos", "1 hora 5 minutos"); rounded up, never shorter than it is. */
export function formatDuration(seconds: number, locale: Locale): string {
  const unit = (n: number, u: "second" | "minute" | "hour") =>
    new Intl.NumberFormat(TAGS[locale], { style: "unit", unit: u, unitDisplay: "long" }).format(n);
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return unit(s, "second");
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return unit(minutes, "minute");
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? unit(h, "hour") : `${unit(h, "hour")} ${unit(m, "minute")}`;
}
