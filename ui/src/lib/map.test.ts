import { geoBounds, geoCentroid } from "d3-geo";
import { beforeAll, describe, expect, it } from "vitest";
import {
  areaFeatures,
  areaName,
  bubbleRadius,
  dealBubbles,
  fitFrame,
  focusCountries,
  focusFeatures,
  frameFeatures,
  loadWorld,
  mainPart,
  type AreaFeature,
  type MapArea,
  type MapClaim,
  type MapDeals,
  type World,
} from "./map";

let world: World;
beforeAll(async () => {
  world = await loadWorld();
});

const ids = (fs: readonly AreaFeature[]) => fs.map((f) => f.properties.id);
function shape(code: string): AreaFeature {
  const f = world.subdivision.get(code) ?? world.country.get(code);
  if (!f) throw new Error(`${code} is not on the map`);
  return f;
}
/** [[west, south], [east, north]] in degrees. */
const bounds = (f: AreaFeature) => geoBounds(f);
const within = ([lon, lat]: [number, number], [w, s, e, n]: [number, number, number, number]) =>
  lon >= w && lon <= e && lat >= s && lat <= n;

describe("the bundled world", () => {
  it("is loaded once", () => {
    expect(loadWorld()).toBe(loadWorld());
  });

  it("has the first-level subdivisions the app names, with ISO codes", () => {
    for (const code of ["US-TX", "US-CA", "CA-QC", "MX-CMX", "BR-SP", "AR-C", "CO-DC", "CL-RM", "PE-LMA"])
      expect(world.subdivision.has(code), code).toBe(true);
    for (const code of ["ES-AN", "ES-CN", "FR-PAC", "FR-20R", "DE-BY", "IT-23", "IT-88", "PT-30", "GB-SCT", "GB-NIR"])
      expect(world.subdivision.has(code), code).toBe(true);
    expect(world.subdivisionsOf.get("US")).toHaveLength(51);
    expect(world.subdivisionsOf.get("ES")).toHaveLength(19);
    expect(world.subdivisionsOf.get("FR")).toHaveLength(14);
    // Second-level codes were folded into their parents.
    expect(world.subdivision.has("ES-SE")).toBe(false);
    expect(world.subdivision.has("FR-06")).toBe(false);
  });

  it("keys every subdivision to a country the map draws", () => {
    for (const f of world.subdivisions) {
      expect(f.properties.id).toMatch(/^[A-Z]{2}-[A-Z0-9]{1,3}$/);
      expect(world.country.has(f.properties.id.slice(0, 2)), f.properties.id).toBe(true);
    }
    expect(world.countries.length).toBeGreaterThan(240);
  });

  it("draws the parts of a country with an ISO 3166-1 code of their own as countries", () => {
    expect(world.country.has("GF")).toBe(true);
    expect(world.country.has("PR")).toBe(true);
    expect(world.subdivision.has("FR-GF")).toBe(false);
    // So France's shape stays in Europe (Clipperton aside, which mainPart leaves out).
    const [[west], [east]] = bounds(mainPart(shape("FR")));
    expect(west).toBeGreaterThan(-6);
    expect(east).toBeLessThan(10);
  });

  it("puts each subdivision where it is", () => {
    expect(within(geoCentroid(shape("US-TX")), [-106.7, 25.8, -93.5, 36.5])).toBe(true);
    expect(within(geoCentroid(shape("ES-AN")), [-7.6, 36.0, -1.6, 38.8])).toBe(true);
    expect(within(geoCentroid(shape("FR-PAC")), [4.2, 42.9, 7.8, 45.2])).toBe(true);
    expect(within(geoCentroid(shape("BR-AM")), [-73.9, -9.9, -56.1, 2.3])).toBe(true);
    expect(within(geoCentroid(shape("CL-RM")), [-71.8, -34.3, -69.7, -32.9])).toBe(true);
    // Not swapped: California is west of Texas.
    expect(geoCentroid(shape("US-CA"))[0]).toBeLessThan(geoCentroid(shape("US-TX"))[0]);
  });
});

describe("areas", () => {
  it("are a whole country when they name no subdivision", () => {
    expect(ids(areaFeatures(world, { country: "PT", subdivisions: [] }))).toEqual(["PT"]);
  });

  it("are their subdivisions otherwise, those the map lacks left out", () => {
    const area: MapArea = { country: "ES", subdivisions: ["ES-AN", "ES-XX", "ES-MD"] };
    expect(ids(areaFeatures(world, area))).toEqual(["ES-AN", "ES-MD"]);
    expect(areaFeatures(world, { country: "ZZ", subdivisions: [] })).toEqual([]);
  });

  it("have names in the UI's language, countries named by the caller", () => {
    const country = (code: string) => `country ${code}`;
    expect(areaName(world, "ES-AN", "es", country)).toMatch(/^Andaluc/);
    expect(areaName(world, "US-TX", "en", country)).toBe("Texas");
    expect(areaName(world, "MX", "en", country)).toBe("country MX");
    expect(areaName(world, "LT-99", "en", country)).toBe("LT-99");
  });
});

describe("the focus", () => {
  const own: MapArea[] = [{ country: "ES", subdivisions: ["ES-AN"] }];
  const claims: MapClaim[] = [
    { country: "PT", subdivisions: [], holder: "Lusa" },
    { country: "ES", subdivisions: ["ES-CT"], holder: "Acme" },
  ];
  const deals: MapDeals[] = [
    { country: "FR", subdivision: "FR-IDF", count: 2 },
    { country: "ES", subdivision: null, count: 1 },
  ];

  it("is the countries of the partner's own areas and deals, once; else those of the claims", () => {
    expect(focusCountries(own, claims, deals)).toEqual(["ES", "FR"]);
    expect(ids(focusFeatures(world, own, claims, deals))).toEqual(["ES", "FR"]);
    // A partner with no territory and no deal sees the claims it may run into.
    expect(focusCountries([], claims, [])).toEqual(["ES", "PT"]);
    expect(focusCountries([], [], [])).toEqual([]);
  });

  it("frames the countries' main parts, and far areas only when named", () => {
    const W = 720;
    const H = 360;
    const inside = ([x, y]: [number, number]) => x >= 0 && x <= W && y >= 0 && y <= H;
    const madrid: [number, number] = [-3.7, 40.4];
    const tenerife: [number, number] = [-16.5, 28.3];

    const mainland = fitFrame(frameFeatures(world, own, [], []), W, H);
    expect(mainland.focused).toBe(true);
    expect(inside(mainland.projection(madrid)!)).toBe(true);
    expect(inside(mainland.projection(tenerife)!)).toBe(false);

    const canaries = [{ country: "ES", subdivisions: ["ES-AN", "ES-CN"] }];
    const wider = fitFrame(frameFeatures(world, canaries, [], []), W, H);
    expect(inside(wider.projection(madrid)!)).toBe(true);
    expect(inside(wider.projection(tenerife)!)).toBe(true);
  });

  it("keeps a frame across the antimeridian in one piece", () => {
    const W = 720;
    const H = 360;
    const russia = fitFrame(frameFeatures(world, [{ country: "RU", subdivisions: [] }], [], []), W, H);
    const [mx] = russia.projection([37.6, 55.8])!; // Moscow
    const [ax] = russia.projection([177.5, 64.7])!; // Anadyr
    const [ux] = russia.projection([-171, 66.3])!; // Chukotka, east of 180°
    expect(mx).toBeGreaterThanOrEqual(0);
    expect(mx).toBeLessThan(ax);
    expect(ax).toBeLessThan(ux);
    expect(ux).toBeLessThanOrEqual(W);
  });

  it("is the whole world when there is nothing to show", () => {
    const frame = fitFrame(frameFeatures(world, [], [], []), 720, 360);
    expect(frame.focused).toBe(false);
    const [x, y] = frame.projection([0, 0])!;
    expect(x).toBeCloseTo(360, 0);
    expect(y).toBeCloseTo(180, 0);
  });

  it("leaves far parts out of a country's main part", () => {
    const [[usWest, usSouth]] = bounds(mainPart(shape("US")));
    expect(usWest).toBeGreaterThan(-126); // no Alaska, no Hawaii
    expect(usSouth).toBeGreaterThan(24);
    const [[, esSouth], [esEast]] = bounds(mainPart(shape("ES")));
    expect(esSouth).toBeGreaterThan(35); // no Canaries
    expect(esEast).toBeGreaterThan(4); // Menorca stays
    expect(bounds(mainPart(shape("FR")))[1][0]).toBeGreaterThan(9); // Corsica stays
  });
});

describe("deal bubbles", () => {
  it("add up the deals of one area, largest first", () => {
    const bubbles = dealBubbles(world, [
      { country: "US", subdivision: "US-TX", count: 3 },
      { country: "US", subdivision: "US-CA", count: 5 },
      { country: "US", subdivision: "US-TX", count: 4 },
      { country: "US", subdivision: "US-NY", count: 0 },
    ]);
    expect(bubbles.map((b) => [b.area, b.count])).toEqual([
      ["US-TX", 7],
      ["US-CA", 5],
    ]);
    expect(within(bubbles[0]!.at, [-106.7, 25.8, -93.5, 36.5])).toBe(true);
  });

  it("sit on the country when the map has no shape for the subdivision, and nowhere off the map", () => {
    const bubbles = dealBubbles(world, [
      { country: "ES", subdivision: "ES-ZZ", count: 2 },
      { country: "ES", subdivision: null, count: 1 },
      { country: "ZZ", subdivision: null, count: 9 },
    ]);
    expect(bubbles.map((b) => b.area)).toEqual(["ES-ZZ", "ES"]);
    // Spain's centroid, not the Canaries'.
    expect(within(bubbles[0]!.at, [-6, 38.5, -2, 41.5])).toBe(true);
    expect(bubbles[0]!.at).toEqual(bubbles[1]!.at);
  });

  it("grow in area with the count", () => {
    const min = 7;
    expect(bubbleRadius(100, 100)).toBe(17);
    expect(bubbleRadius(0, 100)).toBe(min);
    expect((bubbleRadius(64, 100) - min) / (bubbleRadius(16, 100) - min)).toBeCloseTo(2, 10);
    expect(bubbleRadius(5, 0)).toBe(min);
  });
});
