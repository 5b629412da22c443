import { describe, expect, it } from "vitest";
import type { Kpi } from "../ipc/Kpi";
import type { Measure } from "../ipc/Measure";
import type { Locale } from "./format";
import { formatGap, formatKpi, formatKpiChange, formatMeasure } from "./qbr";
import table from "./qbr.cases.json";

type Case = {
  format: "kpi" | "change" | "measure" | "gap";
  kpi?: Kpi;
  measure?: Measure;
  value?: string | null;
  change?: string | null;
  relative?: string | null;
  en: string;
  es: string;
};

function shown(c: Case, locale: Locale): string {
  switch (c.format) {
    case "kpi":
      return formatKpi(c.kpi!, c.value ?? null, locale);
    case "change":
      return formatKpiChange(c.kpi!, c.change ?? null, c.relative ?? null, locale);
    case "measure":
      return formatMeasure(c.measure!, c.value ?? null, locale);
    case "gap":
      return formatGap(c.measure!, c.value ?? null, locale);
  }
}

describe("the review's numbers", () => {
  // The deck's Rust formatter is held to the same cases (crates/desk/tests/qbr.rs).
  for (const c of table.cases as Case[]) {
    for (const locale of ["en", "es"] as const) {
      it(`${c.format} ${c.kpi ?? c.measure} ${c.value ?? c.change ?? ""} ${c.relative ?? ""} in ${locale} is ${c[locale]}`, () => {
        expect(shown(c, locale)).toBe(c[locale]);
      });
    }
  }

  it("prints retention with one decimal, rounded half away from zero", () => {
    expect(formatKpi("retention", "0.8123", "en")).toBe("81.2%");
    expect(formatKpi("retention", "0.8125", "es")).toBe("81,3\u00a0%");
  });

  it("never turns a figure into a float on the way", () => {
    expect(formatKpi("balance", "9007199254740993.01", "en")).toBe("9,007,199,254,740,993.01");
  });

  it("refuses text that is not a decimal", () => {
    expect(() => formatKpi("balance", "1e5", "en")).toThrow(/not a decimal/);
  });
});
