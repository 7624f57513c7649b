"""clinsearch's medical lexicon: terms, synonyms, abbreviations and their codes, in French and
English, shared by the NLP matcher and (later) the search engine's query expansion, so that note
and query speak the same vocabulary.

``terms.csv`` holds one concept per row: ``id``, ``kind`` (condition, finding, drug), its
CIM-10 and ATC codes, and ``|``-separated French and English terms and abbreviations.
Abbreviations are matched case-sensitively (``AIT`` is a transient ischaemic attack, "ait" a
verb); terms ignore case and accents. Sources: CIM-10 (ATIH, 2024 French edition) and ATC (WHO
Collaborating Centre, 2024) for the codes; the abbreviations are those of French hospital
notes (list reviewed against the HAS and SFMU glossaries of usual medical abbreviations).
``eds_labels.csv`` ties EDS-NLP's own disorder labels to lexicon concepts, and ``eds_pipes.csv``
says which matches of each EDS-NLP comorbidity pipe name which concept (``nlp.trim``).

>>> entry = LEXICON["ep"]
>>> entry.cim10, entry.terms["fr"][0], entry.abbreviations["fr"]
(('I26',), 'embolie pulmonaire', ('EP',))
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib import resources

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class LexiconEntry:
    id: str
    kind: str
    cim10: tuple[str, ...]
    atc: tuple[str, ...]
    terms: dict[str, tuple[str, ...]]
    abbreviations: dict[str, tuple[str, ...]]

    @property
    def code(self) -> tuple[str, str] | None:
        """(vocabulary, code) of the concept's main code."""
        if self.cim10:
            return "CIM10", self.cim10[0]
        if self.atc:
            return "ATC", self.atc[0]
        return None


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


def _read(name: str) -> str:
    return resources.files("clinsearch.nlp.lexicon").joinpath(name).read_text("utf-8")


def load_lexicon() -> dict[str, LexiconEntry]:
    entries = {}
    for row in csv.DictReader(_read("terms.csv").splitlines()):
        entries[row["id"]] = LexiconEntry(
            id=row["id"],
            kind=row["kind"],
            cim10=_split(row["cim10"]),
            atc=_split(row["atc"]),
            terms={lang: _split(row[f"{lang}_terms"]) for lang in LANGUAGES},
            abbreviations={lang: _split(row[f"{lang}_abbreviations"]) for lang in LANGUAGES},
        )
    return entries


def load_eds_labels() -> dict[str, str]:
    """EDS-NLP disorder label -> lexicon id."""
    return {row["eds_label"]: row["lexicon_id"] for row in csv.DictReader(_read("eds_labels.csv").splitlines())}


def fingerprint() -> str:
    """Changes whenever the lexicon's data files or the disambiguation rules change (pipeline
    caches and ``run.nlp_system`` depend on it)."""
    rules = resources.files("clinsearch.nlp").joinpath("abbreviations.csv").read_text("utf-8")
    return hashlib.sha256((_read("terms.csv") + _read("eds_labels.csv") + _read("eds_pipes.csv") + rules).encode("utf-8")).hexdigest()[:16]


LEXICON: dict[str, LexiconEntry] = load_lexicon()
