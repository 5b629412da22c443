// Geometry of the small trend charts: pure numbers in, rectangles out.
//
// Only geometry uses binary floats; the values shown as text stay exact decimal strings.

export type Bar = { x: number; y: number; width: number; height: number; negative: boolean };

export type BarLayout = {
  /** One per value; null where the value is missing (a gap, not a zero). */
  bars: (Bar | null)[];
  /** Where zero is, from the top. */
  baseline: number;
  /** Width of one value's slot. */
  slot: number;
};

/**
 * Bars for `values` in a `width`×`height` box. The scale always includes zero, so negative
 * values hang below the baseline and the largest magnitude reaches the box's edge.
 */
export function barLayout(
  values: readonly (number | null)[],
  width: number,
  height: number,
  gap = 2,
): BarLayout {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const hi = Math.max(0, ...present);
  const lo = Math.min(0, ...present);
  const scale = height / (hi - lo || 1);
  const baseline = hi * scale;
  const slot = values.length > 0 ? width / values.length : width;
  const bars = values.map((v, i): Bar | null => {
    if (v === null || !Number.isFinite(v)) return null;
    // A value too small to see still shows as a hairline, so it is not mistaken for a gap.
    const height = v === 0 ? 0 : Math.max(Math.abs(v) * scale, 1);
    return {
      x: i * slot + gap / 2,
      y: v >= 0 ? baseline - height : baseline,
      width: Math.max(slot - gap, 1),
      height,
      negative: v < 0,
    };
  });
  return { bars, baseline, slot };
}
