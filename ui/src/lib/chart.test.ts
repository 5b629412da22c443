import { describe, expect, it } from "vitest";
import { barLayout } from "./chart";

describe("barLayout", () => {
  it("makes the largest value fill the height, from a baseline at the bottom", () => {
    const { bars, baseline } = barLayout([5, 10], 100, 50, 0);
    expect(baseline).toBe(50);
    expect(bars[1]).toEqual({ x: 50, y: 0, width: 50, height: 50, negative: false });
    expect(bars[0]?.height).toBe(25);
  });

  it("leaves a gap for a missing value instead of drawing a zero", () => {
    const { bars } = barLayout([3, null, 0], 90, 30);
    expect(bars[1]).toBeNull();
    expect(bars[2]).toMatchObject({ height: 0 });
  });

  it("hangs negative values below a baseline inside the box", () => {
    const { bars, baseline } = barLayout([-50, 50], 100, 100, 0);
    expect(baseline).toBe(50);
    expect(bars[0]).toMatchObject({ y: 50, height: 50, negative: true });
    expect(bars[1]).toMatchObject({ y: 0, height: 50, negative: false });
  });

  it("copes with nothing to draw", () => {
    const { bars, baseline } = barLayout([null, 0], 10, 10);
    expect(baseline).toBe(0);
    expect(bars.every((b) => b === null || Number.isFinite(b.y))).toBe(true);
  });
});
