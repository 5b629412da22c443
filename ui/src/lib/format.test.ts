import { describe, expect, it } from "vitest";
import {
  countryName,
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
  sumHundredths,
} from "./format";

describe("formatCredits", () => {
  it("uses a decimal point and comma groups in English", () => {
    expect(formatCredits("1234567.8", "en")).toBe("1,234,567.80");
  });

  it("uses a decimal comma and point groups in Spanish, even for four digits", () => {
    expect(formatCredits("1234567.8", "es")).toBe("1.234.567,80");
    expect(formatCredits("1234.5", "es")).toBe("1.234,50");
  });

  it("formats the exact decimal, never a rounded float", () => {
    // 2^53 + 1 is not representable as a double.
    expect(formatCredits("9007199254740993.01", "en")).toBe("9,007,199,254,740,993.01");
  });

  it("refuses text that is not a decimal", () => {
    expect(() => formatCredits("12abc", "en")).toThrow(/not a decimal/);
    expect(() => formatCredits("1e5", "en")).toThrow(/not a decimal/);
  });
});

describe("formatSignedCredits", () => {
  it("marks money in with a plus and money out with a minus", () => {
    expect(formatSignedCredits("1000", "en")).toBe("+1,000.00");
    expect(formatSignedCredits("-1234.5", "es")).toBe("-1.234,50");
    expect(formatSignedCredits("0.00", "en")).toBe("0.00");
  });
});

describe("formatMoney", () => {
  it("uses the currency's minor unit and symbol", () => {
    expect(formatMoney("1234.5", "USD", "en")).toBe("$1,234.50");
    expect(formatMoney("1234.5", "EUR", "es")).toMatch(/^1\.234,50\s€$/);
    expect(formatMoney("1500", "CLP", "es")).toMatch(/^1\.500\sCLP$/);
  });
});

describe("formatPercent", () => {
  it("shows a fraction as a percentage in each locale", () => {
    expect(formatPercent("0.125", "en")).toBe("12.5%");
    expect(formatPercent("0.125", "es")).toMatch(/^12,5\s%$/);
  });
});

describe("formatDate", () => {
  it("shows the calendar day it is given, whatever the zone", () => {
    expect(formatDate("2026-01-31", "en")).toBe("Jan 31, 2026");
    expect(formatDate("2026-01-31", "es")).toBe("31 ene 2026");
  });

  it("refuses a date that is not ISO", () => {
    expect(() => formatDate("31/01/2026", "en")).toThrow(/ISO/);
  });
});

describe("formatMonth", () => {
  it("names the month and year in each locale", () => {
    expect(formatMonth("2026-03", "en")).toBe("Mar 2026");
    expect(formatMonth("2026-03", "es")).toBe("mar 2026");
    expect(() => formatMonth("2026-3", "en")).toThrow(/month/);
  });
});

describe("formatQuarter", () => {
  it("writes a quarter as Q in English and T (trimestre) in Spanish", () => {
    expect(formatQuarter("2026-Q3", "en")).toBe("Q3 2026");
    expect(formatQuarter("2026-Q3", "es")).toBe("T3 2026");
    expect(() => formatQuarter("2026-Q5", "es")).toThrow(/quarter/);
  });
});

describe("formatDateTime", () => {
  it("shows the date and time of day in the given zone", () => {
    expect(formatDateTime("2026-03-05T14:07:00Z", "en", "UTC")).toMatch(/^Mar 5, 2026, 2:07\sPM$/);
    expect(formatDateTime("2026-03-05T14:07:00Z", "es", "UTC")).toBe("5 mar 2026, 14:07");
    expect(formatDateTime("2026-03-05T15:07:00+01:00", "es", "UTC")).toBe("5 mar 2026, 14:07");
  });
});

describe("countryName", () => {
  it("names countries in the locale's language", () => {
    expect(countryName("ES", "en")).toBe("Spain");
    expect(countryName("ES", "es")).toBe("España");
  });
});

describe("sumHundredths", () => {
  it("adds amounts exactly", () => {
    expect(sumHundredths(["0.10", "0.20"])).toBe("0.30");
    expect(sumHundredths(["10.5", "-0.25", "3"])).toBe("13.25");
    expect(sumHundredths([])).toBe("0.00");
    expect(sumHundredths(["-5.01", "1"])).toBe("-4.01");
  });

  it("refuses amounts with more than two decimals", () => {
    expect(() => sumHundredths(["1.234"])).toThrow(/two decimals/);
  });
});

describe("formatRelative", () => {
  const now = new Date("2026-11-24T12:00:00Z");
  it("says how long ago, in each language", () => {
    expect(formatRelative("2026-11-24T11:58:00Z", now, "en")).toBe("2 minutes ago");
    expect(formatRelative("2026-11-24T11:58:00Z", now, "es")).toBe("hace 2 minutos");
    expect(formatRelative("2026-11-24T11:59:50Z", now, "en")).toBe("now");
    expect(formatRelative("2026-11-22T12:00:00Z", now, "en")).toBe("2 days ago");
  });
});

describe("formatDuration", () => {
  it("says the time left in the words of the language, rounded up", () => {
    expect(formatDuration(40, "en")).toBe("40 seconds");
    expect(formatDuration(40, "es")).toBe("40 segundos");
    expect(formatDuration(61, "en")).toBe("2 minutes");
    expect(formatDuration(1, "en")).toBe("1 second");
    expect(formatDuration(3600, "es")).toBe("1 hora");
    expect(formatDuration(3900, "en")).toBe("1 hour 5 minutes");
    expect(formatDuration(3900, "es")).toBe("1 hora 5 minutos");
  });
});
