"""The open defaults: the terminology every clinsearch has, with no download and no set-up.

Read on first use (``default()``, then kept for the process), from

* ``data/concepts.tsv.gz`` (built by ``terminology/build.py``): the WHO ICD-10 structure, ATC
  codes and levels, BDPM brand names and their ATC codes, Orphanet's rare diseases, core LOINC
  laboratory codes;
* EDS-NLP's own resources, as installed (``edsnlp/resources/``): the French CIM-10 labels of
  ``cim10.csv.gz`` (ATIH extensions included) and the drug names per ATC code of ``drugs.json``
  -- read where EDS-NLP keeps them, never copied (their licence is EDS-NLP's);
* ``data/hpo_fr.babelon.tsv.gz``: HPO's English labels and their official French translations,
  read from HPO's file as it is (its licence forbids altering it);
* ``data/curated.tsv``: clinsearch's own groups (``diabète`` = CIM-10 E10-E14, ``anticoagulant``
  = the ATC anticoagulant classes, ...), vocabulary ``CLINSEARCH``;
* ``data/abbreviations_fr.tsv.gz``: the CHU de Bordeaux abbreviation inventory (``abbreviations``).

Licences and attributions: ``data/NOTICE.md``.
"""

from __future__ import annotations

import csv
import gc
import gzip
import importlib.util
import json
from collections import defaultdict
from functools import lru_cache
from importlib import resources
from pathlib import Path

from clinsearch.terminology.model import LANGUAGES, Concept, Terminology, name_key

HPO_VERSION = "2026-06-23"


def _data(name: str):
    return resources.files("clinsearch.terminology").joinpath("data", name)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


def _qualified(value: str) -> tuple[str, str]:
    vocabulary, _, code = value.partition(":")
    return vocabulary, code


def shipped() -> list[Concept]:
    with _data("concepts.tsv.gz").open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        return [Concept(
            row["vocabulary"], row["code"],
            {"fr": tuple(dict.fromkeys(t for t in (row["label_fr"], *_split(row["synonyms_fr"])) if t)),
             "en": tuple(dict.fromkeys(t for t in (row["label_en"], *_split(row["synonyms_en"])) if t))},
            {}, _split(row["parents"]), tuple(_qualified(v) for v in _split(row["maps_to"])), row["source"],
        ) for row in rows]


def curated() -> list[Concept]:
    lines = [line for line in _data("curated.tsv").read_text("utf-8").splitlines() if line and not line.startswith("#")]
    out = []
    for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        out.append(Concept(
            "CLINSEARCH", row["id"],
            {lang: _split(row[f"{lang}_terms"]) for lang in LANGUAGES},
            {lang: _split(row[f"{lang}_abbreviations"]) for lang in LANGUAGES},
            _split(row["parents"]), tuple(_qualified(v) for v in _split(row["codes"])),
            "clinsearch groups (terminology/data/curated.tsv)" + (f"; refines NLP lexicon concept {row['lexicon']}" if row["lexicon"] else ""),
        ))
    return out


def refined_lexicon() -> dict[str, str]:
    """NLP lexicon id -> the clinsearch group that refines it (its search follows the group)."""
    lines = [line for line in _data("curated.tsv").read_text("utf-8").splitlines() if line and not line.startswith("#")]
    return {row["lexicon"]: row["id"] for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE) if row["lexicon"]}


def _edsnlp_resources() -> Path | None:
    spec = importlib.util.find_spec("edsnlp")  # finds the package without importing it (and spaCy)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def edsnlp_cim10(folder: Path | None) -> list[Concept]:
    """French CIM-10 labels (EDS-NLP's ``cim10.csv.gz``); a code the WHO structure lacks (an
    ATIH extension such as E1190) hangs under its code less one character."""
    if folder is None or not (folder / "cim10.csv.gz").exists():
        return []
    with gzip.open(folder / "cim10.csv.gz", "rt", encoding="utf-8") as handle:
        return [Concept("CIM10", row["code"], {"fr": (row["long"].strip(),)}, {}, (row["code"][:-1],) if len(row["code"]) > 3 else (),
                        (), "CIM-10 FR labels from EDS-NLP (edsnlp/resources/cim10.csv.gz)") for row in csv.DictReader(handle)]


def edsnlp_drugs(folder: Path | None) -> list[Concept]:
    """Drug names per ATC code (EDS-NLP's ``drugs.json``): substances in lower case, brands in capitals."""
    if folder is None or not (folder / "drugs.json").exists():
        return []
    out = []
    for code, names in json.loads((folder / "drugs.json").read_text("utf-8")).items():
        parent = {1: "", 3: code[:1], 4: code[:3], 5: code[:4], 7: code[:5]}.get(len(code), "")
        ordered = sorted(names, key=lambda n: (n.isupper(), n))  # the substance first
        out.append(Concept("ATC", code, {"fr": tuple(ordered)}, {}, (parent,) if parent else (), (), "drug names from EDS-NLP (edsnlp/resources/drugs.json)"))
    return out


def hpo() -> list[Concept]:
    """HPO terms with an official French translation of their label."""
    out = []
    with _data("hpo_fr.babelon.tsv.gz").open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["predicate_id"] == "rdfs:label" and row["translation_status"] == "OFFICIAL":
                out.append(Concept("HPO", row["subject_id"], {"fr": (row["translation_value"].strip(),), "en": (row["source_value"].strip(),)},
                                   {}, (), (), f"Human Phenotype Ontology, version {HPO_VERSION}"))
    return out


@lru_cache(maxsize=1)
def default() -> Terminology:
    """The open default terminology (built once per process, in about a second)."""
    folder = _edsnlp_resources()
    terminology = Terminology([*shipped(), *edsnlp_cim10(folder), *edsnlp_drugs(folder), *hpo(), *curated()])
    terminology.names_index()  # the indexes, built now rather than in the first request that needs them
    terminology.children(("", ""))
    terminology.mapped_from(("", ""))
    # Some million long-lived objects: leave them out of the garbage collector's full passes,
    # which would otherwise walk them all during later requests (search latency).
    gc.collect()
    gc.freeze()
    return terminology


@lru_cache(maxsize=1)
def abbreviation_senses() -> dict[str, list[tuple[str, bool]]]:
    """Short form (its name key) -> its senses as (long form, preferred) (Cossin et al. 2021)."""
    senses: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    with _data("abbreviations_fr.tsv.gz").open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            senses[name_key(row["shortForm"])].append((row["longForm"], row["PT"] == "1"))
    return dict(senses)
