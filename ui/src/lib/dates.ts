// Dates typed the user's way. A browser's `<input type="date">` shows the operating system's
// format whatever the page's language (mm/dd/yyyy in an English desktop even when the window is in
// Spanish), so the forms' date fields are text in the app's language, read back to ISO dates here;
// the calendar button beside them still opens the platform's picker.

import type { Locale } from "./format";

const TAGS: Record<Locale, string> = { en: "en-US", es: "es-ES" };

type Part = "day" | "month" | "year";

function numeric(locale: Locale): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(TAGS[locale], {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** The order of day, month and year in `locale`'s numeric dates: month first in English. */
function order(locale: Locale): Part[] {
  return numeric(locale)
    .formatToParts(new Date(Date.UTC(2026, 10, 23)))
    .map((p) => p.type)
    .filter((t): t is Part => t === "day" || t === "month" || t === "year");
}

/** What a field shows as its placeholder: "mm/dd/yyyy", "dd/mm/aaaa". */
export function datePattern(locale: Locale): string {
  const letters: Record<Locale, Record<Part, string>> = {
    en: { day: "dd", month: "mm", year: "yyyy" },
    es: { day: "dd", month: "mm", year: "aaaa" },
  };
  return order(locale)
    .map((p) => letters[locale][p])
    .join("/");
}

/** An ISO date ("2026-12-15") as the field shows it: "12/15/2026", "15/12/2026". */
export function showDate(iso: string, locale: Locale): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  return numeric(locale).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

function iso(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  // Not a day of the calendar (31/02) when the date rolls over into another month.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

/** The ISO date `text` names, typed in `locale`'s order with /, - or . between its numbers (or
 * as an ISO date); null when it names no day of the calendar. */
export function readDate(text: string, locale: Locale): string | null {
  const typed = text.trim();
  const isoTyped = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(typed);
  if (isoTyped) return iso(Number(isoTyped[1]), Number(isoTyped[2]), Number(isoTyped[3]));
  const numbers = /^(\d{1,4})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,4})$/.exec(typed);
  if (!numbers) return null;
  const parts = order(locale);
  const value = (part: Part) => numbers[parts.indexOf(part) + 1] ?? "";
  const year = value("year");
  if (year.length !== 4) return null;
  return iso(Number(year), Number(value("month")), Number(value("day")));
}
