import { describe, expect, it } from "vitest";
import { parseLowRunwayDays } from "./settings.svelte";

describe("parseLowRunwayDays", () => {
  it("accepts whole days from 1 to 365", () => {
    expect(parseLowRunwayDays("1")).toBe(1);
    expect(parseLowRunwayDays(" 45 ")).toBe(45);
    expect(parseLowRunwayDays("365")).toBe(365);
  });

  it("refuses zero, a year and a day, fractions and text", () => {
    for (const text of ["0", "366", "12.5", "-3", "", "ten", "1e2"]) {
      expect(parseLowRunwayDays(text), text).toBeNull();
    }
  });
});
