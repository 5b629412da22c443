// How a Quarterly Executive Review prints its numbers. The deck (Rust, `crates/desk/src/qbr.rs`)
// follows the same rules, and both are held to the cases of `qbr.cases.json`, so the window and
// the deck show the same text for every figure:
//   counts (customers, deployments, NPS, runway days)  whole, grouped: "1,234" / "1.234"
//   credits                                            to the hundredth, whole when the cents are
//                                                      zero: "1,234.50" / "1.234,50", "300,000"
//   fractions (retention, relative changes)            percent, one decimal: "81.2%" / "81,2 %"
//   retention and NPS changes                          points: "+1.2 pts" / "+1,2 ptos"
//   runway changes                                     days: "-78 days" / "-78 días"
// Rounding is half away from zero, done here on the decimal string (never through a float); a
// change carries "+" when it rounds above zero and "-" when below, nothing at zero.

import type { Kpi } from "../ipc/Kpi";
import type { Measure } from "../ipc/Measure";
import type { Locale } from "./format";
import { catalogs } from "./messages";

const TAGS: Record<Locale, string> = { en: "en-US", es: "es-ES" };

/** An exact decimal: |value| = digits / 10^scale. */
type Exact = { negative: boolean; digits: bigint; scale: number };

function parse(value: string): Exact {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error(`not a decimal string: ${JSON.stringify(value)}`);
  const fraction = match[3] ?? "";
  return { negative: match[1] === "-", digits: BigInt((match[2] ?? "") + fraction), scale: fraction.length };
}

/** `value` × 10^places, exactly. */
function shift(value: Exact, places: number): Exact {
  if (value.scale >= places) return { ...value, scale: value.scale - places };
  return { ...value, digits: value.digits * 10n ** BigInt(places - value.scale), scale: 0 };
}

/** `value` rounded half away from zero to `decimals`; zero is never negative. */
function round(value: Exact, decimals: number): Exact {
  let digits = value.digits;
  if (value.scale > decimals) {
    const divisor = 10n ** BigInt(value.scale - decimals);
    const rest = digits % divisor;
    digits = digits / divisor + (rest * 2n >= divisor ? 1n : 0n);
  } else {
    digits *= 10n ** BigInt(decimals - value.scale);
  }
  return { negative: value.negative && digits !== 0n, digits, scale: decimals };
}

/** A rounded value with its digits grouped the locale's way (no sign). */
function grouped(value: Exact, locale: Locale): string {
  const text = value.digits.toString().padStart(value.scale + 1, "0");
  const literal = value.scale === 0 ? text : `${text.slice(0, -value.scale)}.${text.slice(-value.scale)}`;
  return new Intl.NumberFormat(TAGS[locale], {
    minimumFractionDigits: value.scale,
    maximumFractionDigits: value.scale,
    useGrouping: "always",
  }).format(literal as Intl.StringNumericLiteral);
}

function sign(value: Exact, always: boolean): string {
  if (value.negative) return "-";
  return always && value.digits !== 0n ? "+" : "";
}

function fixed(value: Exact, decimals: number, locale: Locale, signed: boolean): string {
  const r = round(value, decimals);
  return sign(r, signed) + grouped(r, locale);
}

function percent(fraction: Exact, locale: Locale, signed: boolean): string {
  const text = fixed(shift(fraction, 2), 1, locale, signed);
  return locale === "es" ? `${text}\u00a0%` : `${text}%`;
}

function points(text: string, locale: Locale): string {
  return catalogs[locale]["review.points"].replace("{n}", text);
}

/** A change in days: "+1 day", "-78 days". */
function days(change: Exact, locale: Locale): string {
  const r = round(change, 0);
  const key = r.digits === 1n ? "review.days.one" : "review.days.other";
  return catalogs[locale][key].replace("{n}", fixed(r, 0, locale, true));
}

/** Credits to the hundredth, without the cents when they are zero. */
function credits(value: Exact, locale: Locale, signed: boolean): string {
  const cents = round(value, 2);
  return fixed(value, cents.digits % 100n === 0n ? 0 : 2, locale, signed);
}

const CREDITS: readonly Kpi[] = ["deployment_value", "recurring_volume", "credits_bought", "credits_consumed", "balance"];

/** A number rounded to `decimals` and grouped: "1,234.5" / "1.234,5". */
export function formatFixed(value: string, decimals: number, locale: Locale): string {
  return fixed(parse(value), decimals, locale, false);
}

/** A fraction as a percentage to one decimal: "0.8123" → "81.2%" / "81,2 %". */
export function formatRatio(fraction: string, locale: Locale): string {
  return percent(parse(fraction), locale, false);
}

/** A key figure's value; "—" without one. */
export function formatKpi(kpi: Kpi, value: string | null, locale: Locale): string {
  if (value === null) return "—";
  if (kpi === "retention") return formatRatio(value, locale);
  if (CREDITS.includes(kpi)) return credits(parse(value), locale, false);
  return formatFixed(value, 0, locale);
}

/** A key figure's change: relative in percent when there is one, else the difference (points
 * for NPS and retention, days for the runway); "—" without one. */
export function formatKpiChange(kpi: Kpi, change: string | null, relative: string | null, locale: Locale): string {
  if (relative !== null) return percent(parse(relative), locale, true);
  if (change === null) return "—";
  const diff = parse(change);
  if (kpi === "nps") return points(fixed(diff, 0, locale, true), locale);
  if (kpi === "retention") return points(fixed(shift(diff, 2), 1, locale, true), locale);
  if (kpi === "runway_days") return days(diff, locale);
  if (CREDITS.includes(kpi)) return credits(diff, locale, true);
  return fixed(diff, 0, locale, true);
}

/** A tier progression value (current or required) in its measure's format; "—" without one. */
export function formatMeasure(measure: Measure, value: string | null, locale: Locale): string {
  if (value === null) return "—";
  if (measure === "retention") return formatRatio(value, locale);
  if (measure === "recurring_volume") return credits(parse(value), locale, false);
  return formatFixed(value, 0, locale);
}

/** The gap to a threshold: retention in points, the others as their measure; "—" without one. */
export function formatGap(measure: Measure, gap: string | null, locale: Locale): string {
  if (gap === null) return "—";
  if (measure === "retention") return points(fixed(shift(parse(gap), 2), 1, locale, false), locale);
  return formatMeasure(measure, gap, locale);
}
