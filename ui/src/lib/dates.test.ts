import { describe, expect, it } from "vitest";
import { datePattern, readDate, showDate } from "./dates";

describe("a date field", () => {
  it("shows and reads dates in the order of the user's language", () => {
    expect(datePattern("en")).toBe("mm/dd/yyyy");
    expect(datePattern("es")).toBe("dd/mm/aaaa");
    expect(showDate("2026-12-05", "en")).toBe("12/05/2026");
    expect(showDate("2026-12-05", "es")).toBe("05/12/2026");
    expect(readDate("12/05/2026", "en")).toBe("2026-12-05");
    expect(readDate("05/12/2026", "es")).toBe("2026-12-05");
    expect(readDate("5-12-2026", "es")).toBe("2026-12-05");
    expect(readDate("5.12.2026", "es")).toBe("2026-12-05");
  });

  it("reads an ISO date in either language", () => {
    expect(readDate("2026-12-15", "en")).toBe("2026-12-15");
    expect(readDate("2026-12-15", "es")).toBe("2026-12-15");
  });

  it("reads what it shows back to the same day", () => {
    for (const day of ["2026-01-31", "2028-02-29", "2026-11-09"]) {
      for (const locale of ["en", "es"] as const) expect(readDate(showDate(day, locale), locale)).toBe(day);
    }
  });

  it("reads no day that the calendar has not, and nothing half typed", () => {
    expect(readDate("31/02/2026", "es")).toBeNull();
    expect(readDate("02/31/2026", "en")).toBeNull();
    expect(readDate("29/02/2027", "es")).toBeNull();
    expect(readDate("13/13/2026", "es")).toBeNull();
    expect(readDate("05/12/26", "es")).toBeNull();
    expect(readDate("05/12", "es")).toBeNull();
    expect(readDate("", "en")).toBeNull();
    expect(readDate("tomorrow", "en")).toBeNull();
  });
});
