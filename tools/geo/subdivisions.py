#!/usr/bin/env python3
"""Writes crates/program/data/subdivisions.tsv: every first-level ISO 3166-2 subdivision (the
entries without a parent: states, provinces, comunidades autónomas, regions, departamentos), one a
line as `code<TAB>English name<TAB>Spanish name`, sorted by code.

The codes come from Debian's iso-codes package (`apt-get install iso-codes`), which follows ISO's
published changes. English names are Unicode CLDR's (the npm package cldr-subdivisions-full, whose
folder is the first argument), falling back to ISO's. Spanish names are CLDR's where it has them,
else ISO's own name in the Spanish-speaking countries (it is the Spanish one there), else the
English one. Run this again after upgrading either and review the diff:

    python3 tools/geo/subdivisions.py /path/to/cldr-subdivisions-full

Left out: the parts of a country that have an ISO 3166-1 code of their own (Puerto Rico, Guam and
the other US outlying areas, France's overseas regions and collectivities, Aruba, Curaçao and Sint
Maarten, Hong Kong and Macao). The app enters them as countries (PR, GF, ...), never as a
subdivision of another.

    python3 tools/geo/subdivisions.py
"""
import json
import pathlib
import re
import sys

SOURCE = pathlib.Path("/usr/share/iso-codes/json/iso_3166-2.json")
TARGET = pathlib.Path(__file__).resolve().parents[2] / "crates/program/data/subdivisions.tsv"

OWN_COUNTRY_CODE = {
    "Outlying area",
    "Overseas region",
    "Overseas collectivity",
    "Overseas collectivity with special status",
    "Overseas territory",
    "Special administrative region",
}


def own_country(entry):
    return entry["type"] in OWN_COUNTRY_CODE or (
        entry["code"].startswith("NL-") and entry["type"] == "Country"
    )


SPANISH_SPEAKING = set(
    "AR BO CL CO CR CU DO EC ES GT HN MX NI PA PE PY SV UY VE".split()
)


# Where ISO's name is not the Spanish one (it gives Navarre and the Basque Country in Basque).
SPANISH_OVERRIDES = {
    "ES-NC": "Comunidad Foral de Navarra",
    "ES-PV": "País Vasco",
    "ES-VC": "Comunidad Valenciana",
}


def cldr(folder, lang):
    path = pathlib.Path(folder) / "subdivisions" / lang / f"{lang}.json"
    names = json.loads(path.read_text(encoding="utf-8"))
    return names["subdivisions"]["localeDisplayNames"]["subdivisions"]


def iso_name(code, name):
    """ISO's name as a person writes it: Spain's bilingual names by their Spanish half
    ("Catalunya [Cataluña]"), inverted ones put right ("Madrid, Comunidad de"), notes dropped."""
    name = name.rstrip("*").strip()
    bracket = re.fullmatch(r"(.*?) \[(.*)\]", name)
    if bracket:
        name = bracket[2] if code.startswith("ES-") else bracket[1]
    inverted = re.fullmatch(r"(.*), (.* (?:de|del|de la|de los))", name)
    if inverted:
        name = f"{inverted[2]} {inverted[1]}"
    return name


def cleaned(name):
    return re.sub(r"[²³¹]+$", "", name).strip()


en_names, es_names = cldr(sys.argv[1], "en"), cldr(sys.argv[1], "es")
entries = json.loads(SOURCE.read_text(encoding="utf-8"))["3166-2"]
rows = []
for e in sorted(entries, key=lambda e: e["code"]):
    if "parent" in e or own_country(e):
        continue
    code, key = e["code"], e["code"].replace("-", "").lower()
    local = iso_name(code, e["name"])
    en = cleaned(en_names.get(key, local))
    es = SPANISH_OVERRIDES.get(code) or cleaned(
        es_names.get(key) or (local if code[:2] in SPANISH_SPEAKING else en)
    )
    for name in (en, es):
        assert name and "\t" not in name and "\n" not in name, code
    rows.append(f"{code}\t{en}\t{es}\n")
TARGET.write_text("".join(rows), encoding="utf-8")
first_level = rows
print(f"{len(first_level)} subdivisions written to {TARGET}")
