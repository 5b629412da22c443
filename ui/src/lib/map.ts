// The territory map's geometry: the bundled world (countries and their first-level ISO 3166-2
// subdivisions, from Natural Earth; see tools/geo/README.md) and pure helpers that pick the
// shapes to draw, the frame to fit and where the deal bubbles go. No DOM here.

import {
  geoArea,
  geoBounds,
  geoCentroid,
  geoMercator,
  geoNaturalEarth1,
  geoPath,
  type GeoPath,
  type GeoProjection,
} from "d3-geo";
import type { Feature, FeatureCollection, MultiPolygon, Polygon, Position } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

/** An area on the map: a whole country (subdivisions empty) or some of its subdivisions. */
export type MapArea = { country: string; subdivisions: string[] };
export type MapClaim = MapArea & { holder: string };
export type MapDeals = { country: string; subdivision: string | null; count: number };

/** A country ("US") or a first-level subdivision ("US-TX") with its ISO names (subdivisions only). */
export type AreaProperties = { id: string; name?: string; name_es?: string };
export type AreaFeature = Feature<Polygon | MultiPolygon, AreaProperties>;

export type World = {
  countries: AreaFeature[];
  subdivisions: AreaFeature[];
  country: ReadonlyMap<string, AreaFeature>;
  subdivision: ReadonlyMap<string, AreaFeature>;
  /** Country code → its subdivisions that have a shape. */
  subdivisionsOf: ReadonlyMap<string, AreaFeature[]>;
};

type WorldTopology = Topology<{
  countries: GeometryCollection<AreaProperties>;
  subdivisions: GeometryCollection<AreaProperties>;
}>;

function features(topology: WorldTopology, object: GeometryCollection<AreaProperties>): AreaFeature[] {
  return (feature(topology, object) as FeatureCollection<Polygon | MultiPolygon, AreaProperties>).features;
}

/** The world from its TopoJSON (two objects, `countries` and `subdivisions`, with `id`s). */
export function worldFrom(topology: WorldTopology): World {
  const countries = features(topology, topology.objects.countries);
  const subdivisions = features(topology, topology.objects.subdivisions);
  const subdivisionsOf = new Map<string, AreaFeature[]>();
  for (const f of subdivisions) {
    const country = f.properties.id.slice(0, 2);
    const list = subdivisionsOf.get(country);
    if (list) list.push(f);
    else subdivisionsOf.set(country, [f]);
  }
  return {
    countries,
    subdivisions,
    country: new Map(countries.map((f) => [f.properties.id, f])),
    subdivision: new Map(subdivisions.map((f) => [f.properties.id, f])),
    subdivisionsOf,
  };
}

let world: Promise<World> | null = null;

/** The bundled world, loaded once, on first use (a chunk of its own, out of the main bundle). */
export function loadWorld(): Promise<World> {
  world ??= import("../assets/world.topo.json").then((m) => worldFrom(m.default as unknown as WorldTopology));
  return world;
}

/** The shapes of `area`: its country's, or those of its subdivisions the map has. */
export function areaFeatures(w: World, area: MapArea): AreaFeature[] {
  if (area.subdivisions.length === 0) {
    const country = w.country.get(area.country);
    return country ? [country] : [];
  }
  return area.subdivisions.flatMap((code) => {
    const f = w.subdivision.get(code);
    return f ? [f] : [];
  });
}

/**
 * The countries the map is about, sorted, once each: those of the partner's own areas and deals,
 * where it has any (other partners' claims there are drawn, those far away are not framed); else
 * those of the claims it sees.
 */
export function focusCountries(
  own: readonly MapArea[],
  claims: readonly MapClaim[],
  deals: readonly MapDeals[],
): string[] {
  const mine: readonly { country: string }[] = [...own, ...deals];
  const codes = new Set<string>();
  for (const a of mine.length > 0 ? mine : claims) codes.add(a.country);
  return [...codes].sort();
}

/** The shapes of the countries to frame (see `focusCountries`). */
export function focusFeatures(
  w: World,
  own: readonly MapArea[],
  claims: readonly MapClaim[],
  deals: readonly MapDeals[],
): AreaFeature[] {
  return focusCountries(own, claims, deals).flatMap((code) => {
    const f = w.country.get(code);
    return f ? [f] : [];
  });
}

function polygons(f: AreaFeature): Position[][][] {
  return f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
}

function asFeature(id: string, coords: Position[][][]): AreaFeature {
  return { type: "Feature", properties: { id }, geometry: { type: "MultiPolygon", coordinates: coords } };
}

/** Longitude `lon` within [west, east], the range possibly crossing the antimeridian (west > east). */
function lonWithin(lon: number, west: number, east: number): boolean {
  return west <= east ? lon >= west && lon <= east : lon >= west || lon <= east;
}

/**
 * The part of a country that frames it: its large polygons (a quarter of the largest one's area or
 * more), and the smaller ones near them. Far islands and territories (Alaska and Hawaii for the
 * US, the Canaries for Spain, Clipperton for France, Svalbard for Norway) are left out; an area
 * there is framed by its own shape instead.
 */
export function mainPart(f: AreaFeature): AreaFeature {
  const parts = polygons(f).map((coords) => ({
    coords,
    area: geoArea({ type: "Polygon", coordinates: coords }),
  }));
  if (parts.length <= 1) return f;
  const largest = Math.max(...parts.map((p) => p.area));
  const big = parts.filter((p) => p.area >= largest / 4);
  const [[west, south], [east, north]] = geoBounds(asFeature(f.properties.id, big.map((p) => p.coords)));
  const width = (east - west + 360) % 360;
  const margin = Math.max(1.5, 0.08 * Math.max(width, north - south));
  const near = parts.filter((p) => {
    if (p.area >= largest / 4) return true;
    const [lon, lat] = geoCentroid({ type: "Polygon", coordinates: p.coords });
    return (
      lat >= south - margin &&
      lat <= north + margin &&
      lonWithin(lon, west - margin, east + margin) // lonWithin copes with the ±180 wrap
    );
  });
  return asFeature(f.properties.id, near.map((p) => p.coords));
}

function normalizeLon(lon: number): number {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

/**
 * What the map fits in its box: the main part of every focus country, and every shape the areas,
 * claims and deals name (so an own area in the Canaries widens Spain's frame to them).
 */
export function frameFeatures(
  w: World,
  own: readonly MapArea[],
  claims: readonly MapClaim[],
  deals: readonly MapDeals[],
): AreaFeature[] {
  const focus = new Set(focusCountries(own, claims, deals));
  const named = [...own, ...claims]
    .filter((a) => focus.has(a.country))
    .flatMap((a) => (a.subdivisions.length ? areaFeatures(w, a) : []));
  for (const d of deals) {
    const f = d.subdivision ? w.subdivision.get(d.subdivision) : undefined;
    if (f) named.push(f);
  }
  return [...focusFeatures(w, own, claims, deals), ...named].map(mainPart);
}

export type Frame = { projection: GeoProjection; path: GeoPath; focused: boolean };

/**
 * A projection fitted to `frame` inside `width`×`height` less `padding`: Mercator centred on the
 * frame's longitude (so a frame across the antimeridian stays in one piece), or the whole world in
 * Natural Earth when there is nothing to frame.
 */
export function fitFrame(frame: readonly AreaFeature[], width: number, height: number, padding = 12): Frame {
  const extent: [[number, number], [number, number]] = [
    [padding, padding],
    [width - padding, height - padding],
  ];
  if (frame.length === 0) {
    const projection = geoNaturalEarth1().fitExtent(extent, { type: "Sphere" });
    return { projection, path: geoPath(projection), focused: false };
  }
  const collection: FeatureCollection = { type: "FeatureCollection", features: [...frame] };
  const [[west], [east]] = geoBounds(collection);
  const centre = normalizeLon(west <= east ? (west + east) / 2 : (west + east + 360) / 2);
  const projection = geoMercator().rotate([-centre, 0]).fitExtent(extent, collection);
  return { projection, path: geoPath(projection), focused: true };
}

/** Whether `f`, projected, overlaps the `width`×`height` box. */
export function inView(path: GeoPath, f: AreaFeature, width: number, height: number): boolean {
  const [[x0, y0], [x1, y1]] = path.bounds(f);
  return x1 >= 0 && y1 >= 0 && x0 <= width && y0 <= height && Number.isFinite(x0 + y0 + x1 + y1);
}

export type Bubble = {
  /** The subdivision's code, or the country's when the deals name none. */
  area: string;
  country: string;
  subdivision: string | null;
  count: number;
  /** Where the bubble goes, [longitude, latitude]. */
  at: [number, number];
};

/**
 * One bubble per area with deals (counts of the same area added up), largest first so that small
 * ones are drawn on top. A bubble sits on its subdivision's centroid, or on its country's (main
 * part) when the map has no shape for the subdivision; deals in a country the map lacks get none.
 */
export function dealBubbles(w: World, deals: readonly MapDeals[]): Bubble[] {
  const byArea = new Map<string, Bubble>();
  for (const d of deals) {
    if (!(d.count > 0)) continue;
    const area = d.subdivision ?? d.country;
    const known = byArea.get(area);
    if (known) {
      known.count += d.count;
      continue;
    }
    const shape = (d.subdivision ? w.subdivision.get(d.subdivision) : undefined) ?? w.country.get(d.country);
    if (!shape) continue;
    const at = geoCentroid(mainPart(shape)) as [number, number];
    byArea.set(area, { area, country: d.country, subdivision: d.subdivision, count: d.count, at });
  }
  return [...byArea.values()].sort((a, b) => b.count - a.count || a.area.localeCompare(b.area));
}

/** A bubble's radius: its area grows with the count (radius ∝ √count), from `min` to `max`. */
export function bubbleRadius(count: number, largest: number, min = 7, max = 17): number {
  if (!(largest > 0) || !(count > 0)) return min;
  return min + (max - min) * Math.sqrt(Math.min(count, largest) / largest);
}

/** The name of an area the map draws: a subdivision's from the map, else `countryName(code)`. */
export function areaName(
  w: World,
  code: string,
  locale: "en" | "es",
  countryName: (code: string) => string,
): string {
  const sub = w.subdivision.get(code);
  if (sub) return (locale === "es" ? sub.properties.name_es : undefined) ?? sub.properties.name ?? code;
  if (code.length === 2) return countryName(code);
  return code;
}
