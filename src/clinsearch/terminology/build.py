"""Build the terminology's shipped data (``terminology/data/``) from the open source files.

Run it on a folder laid out as the project's collection of open terminologies (one sub-folder
per source, each with the README that gives its source, version and licence)::

    python -m clinsearch.terminology.build TERMINOLOGIES_DIR

It writes, byte for byte the same on every run (sorted rows, gzip without a time stamp):

* ``concepts.tsv.gz`` -- one concept a row: ``vocabulary, code, label_fr, label_en,
  synonyms_fr, synonyms_en, parents, maps_to, source`` (lists ``|``-separated; a parent is a code
  of the same vocabulary, a ``maps_to`` target is ``VOCABULARY:code``). From:
  the WHO ICD-10 2019 structure (chapters, blocks, categories, subcategories: codes and parent
  links only -- the French labels are EDS-NLP's, read at run time), the ATC codes BDPM uses with
  their five levels cut from the code (WHO ATC structure; no WHO labels: substance names come
  from BDPM here and from EDS-NLP at run time), BDPM brand names mapped to their ATC codes
  (directly, or through their single active substance), Orphanet's rare diseases with their
  French and English names, synonyms and classification parents, and the 34 core laboratory
  LOINC codes of the ANS "EDS socle commun" guide;
* ``hpo_fr.babelon.tsv.gz`` and ``abbreviations_fr.tsv.gz`` -- the HPO French translation file
  and the CHU de Bordeaux abbreviation inventory, unchanged (HPO's licence forbids altering its
  content: it is read as it is at run time).

What is left out, and why, is in ``data/NOTICE.md``. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).parent / "data"
COLUMNS = ("vocabulary", "code", "label_fr", "label_en", "synonyms_fr", "synonyms_en", "parents", "maps_to", "source")


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _concept(vocabulary: str, code: str, source: str, **values) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    row.update(vocabulary=vocabulary, code=code, source=source)
    for name, value in values.items():
        row[name] = "|".join(sorted(set(value))) if isinstance(value, (set, list, tuple)) else value
    return row


def icd10(root: Path) -> list[dict]:
    """WHO ICD-10 2019: codes (dots removed, as CIM-10 is written in French PMSI data) and parents."""
    out = []
    for row in _rows(root / "icd10" / "who_icd10_2019_structure" / "who_icd10_2019_codes_parents_NO_LABELS.tsv"):
        parent = row["parent_code"].replace(".", "")
        out.append(_concept("CIM10", row["code"].replace(".", ""), f"WHO ICD-10 2019 structure ({row['kind']})", parents=[parent] if parent else []))
    return out


def atc(root: Path) -> tuple[list[dict], dict[str, set[str]]]:
    """The ATC codes BDPM uses and every level above them; substance names (BDPM) as labels."""
    names: dict[str, set[str]] = defaultdict(set)
    for row in _rows(root / "bdpm" / "derived" / "bdpm_substance_to_atc5_monocomponent_utf8.tsv"):
        names[row["atc5"]].add(row["substance_name"].strip())
    codes: set[str] = set()
    for row in _rows(root / "atc" / "atc_codes_seen_in_bdpm_mitm.tsv"):
        code = row["atc_code"].strip()
        codes.update(code[:n] for n in (1, 3, 4, 5, 7) if n <= len(code))
    out = []
    for code in sorted(codes):
        parent = {1: "", 3: code[:1], 4: code[:3], 5: code[:4], 7: code[:5]}[len(code)]
        labels = sorted(names.get(code, ()))
        out.append(_concept("ATC", code, "ATC code structure (WHO), codes used by BDPM 2026-05; substance names: BDPM",
                            label_fr=labels[0] if labels else "", synonyms_fr=labels[1:], parents=[parent] if parent else []))
    return out, names


def bdpm(root: Path, substance_atc: dict[str, set[str]]) -> list[dict]:
    """Brand names -> ATC codes: the MITM code, else the ATC code of the single active substance."""
    by_substance = {name: code for code, names in substance_atc.items() for name in names}
    out = []
    for row in _rows(root / "bdpm" / "derived" / "bdpm_brand_to_substances_atc_utf8.tsv"):
        brand = row["brand_name_heuristic"].strip()
        substances = [s.strip() for s in row["active_substances"].split("|") if s.strip()]
        targets = {c.strip() for c in row["atc5_codes_from_MITM"].split("|") if c.strip()}
        if not targets and len(substances) == 1 and substances[0] in by_substance:
            targets = {by_substance[substances[0]]}
        if len(brand) < 3 or not any(ch.isalpha() for ch in brand) or not targets:
            continue  # a name too short to search, or a product with no ATC class
        out.append(_concept("BDPM", brand, "BDPM 2026-05 (brand name, active substances, ATC)", label_fr=brand,
                            synonyms_fr=substances, maps_to=[f"ATC:{c}" for c in targets]))
    return out


def orphanet(root: Path) -> list[dict]:
    folder = root / "orphanet" / "derived"
    synonyms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows(folder / "orphanet_synonyms_2023.tsv"):
        synonyms[(row["orpha_code"], row["lang"])].add(row["synonym"].strip())
    parents: dict[str, set[str]] = defaultdict(set)
    for row in _rows(folder / "orphanet_hierarchy_2023.tsv"):
        parents[row["child_orpha_code"]].add(row["parent_orpha_code"])
    out = []
    for row in _rows(folder / "orphanet_disorders_2023.tsv"):
        if row["status_en"] != "Active":
            continue
        code = row["orpha_code"]
        out.append(_concept("ORPHA", code, f"Orphanet nomenclature 2023 ({row['disorder_type_en']})", label_fr=row["name_fr"].strip(),
                            label_en=row["name_en"].strip(), synonyms_fr=synonyms[(code, "fr")], synonyms_en=synonyms[(code, "en")],
                            parents=parents[code]))
    return out


def loinc(root: Path) -> list[dict]:
    out = []
    for row in _rows(root / "loinc_fr_subset" / "eds_socle_commun_ans" / "eds_lab_loinc_to_omop.tsv"):
        label_fr = row["display_fr_from_cisis_jdv"].split(":")[0].strip()
        out.append(_concept("LOINC", row["loinc_code"], "LOINC, core laboratory codes of the ANS EDS socle commun guide", label_fr=label_fr,
                            label_en=row["loinc_long_name_en"].strip(), maps_to=[f"OMOP:{row['omop_concept_id']}"]))
    return out


def _write_gzip(path: Path, data: bytes) -> None:
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as handle:
        handle.write(data)


def build(root: Path, out: Path = OUT) -> dict[str, int]:
    atc_rows, substance_atc = atc(root)
    concepts = [*icd10(root), *atc_rows, *bdpm(root, substance_atc), *orphanet(root), *loinc(root)]
    concepts.sort(key=lambda r: (r["vocabulary"], r["code"]))
    text = io.StringIO()
    writer = csv.DictWriter(text, COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    writer.writeheader()
    for row in concepts:
        writer.writerow({k: v.replace("\t", " ").replace("\n", " ") for k, v in row.items()})
    out.mkdir(parents=True, exist_ok=True)
    _write_gzip(out / "concepts.tsv.gz", text.getvalue().encode("utf-8"))
    _write_gzip(out / "hpo_fr.babelon.tsv.gz", (root / "hpo_fr" / "raw" / "hp-fr-preprocessed.babelon.tsv").read_bytes())
    _write_gzip(out / "abbreviations_fr.tsv.gz", (root / "abbreviations_fr" / "sense_inventory.tsv").read_bytes())
    counts: dict[str, int] = defaultdict(int)
    for row in concepts:
        counts[row["vocabulary"]] += 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("terminologies", type=Path, help="the folder of open terminology files (one sub-folder per source)")
    args = parser.parse_args(argv)
    print(build(args.terminologies))
    return 0


if __name__ == "__main__":
    sys.exit(main())
