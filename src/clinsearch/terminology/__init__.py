"""clinsearch's terminology: medical concepts with their codes, names and relations, shared by
the NLP, the search, the cohorts and the scores.

Every function answers from the open defaults (``defaults.py``: CIM-10 structure and French
labels, ATC levels, BDPM brand names, Orphanet, HPO French, core LOINC, clinsearch's groups) and,
given a data directory whose warehouse holds OMOP vocabularies (``clinsearch vocabulary load``),
from those too (``omop.py``: SNOMED CT, LOINC, RxNorm ... hierarchies and "Maps to"). A concept
is named by ``(vocabulary, code)``; CIM-10 codes are written without their dot (``E119``).

>>> [c.code for c in lookup("Eliquis") if c.vocabulary == "BDPM"]
['ELIQUIS']
>>> maps_to("BDPM", "ELIQUIS")
[('ATC', 'B01AF02')]
>>> ("CIM10", "E119") in descendants("CIM10", "E10-E14")
True
>>> ("ATC", "B01AC06") in expansion("CLINSEARCH", "anticoagulant")  # aspirin is no anticoagulant
False
"""

from __future__ import annotations

from pathlib import Path

from clinsearch.terminology import omop
from clinsearch.terminology.defaults import abbreviation_senses, default
from clinsearch.terminology.model import Concept, Key, Terminology, name_key

__all__ = ["Concept", "Key", "Terminology", "abbreviations", "ancestors", "concept", "descendants", "expansion", "lookup", "maps_to", "terminology"]


def terminology() -> Terminology:
    """The default terminology (read on first use, then kept)."""
    return default()


def concept(vocabulary: str, code: str) -> Concept | None:
    return default().concept(vocabulary, code)


def lookup(text: str, *, data: Path | None = None) -> list[Concept]:
    """The concepts named ``text`` (a name, synonym or abbreviation; case, accents and plural
    ignored); with ``data``, the loaded OMOP concepts of that name or synonym too."""
    found = default().lookup(text)
    for row in omop.lookup(data, text):
        found.append(Concept(row["vocabulary"], row["code"], {"en": (row["label"],)}, source="OMOP vocabularies (Athena)"))
    return found


def descendants(vocabulary: str, code: str, *, data: Path | None = None) -> set[Key]:
    """``(vocabulary, code)`` and every concept below it (is-a), in the defaults and, with
    ``data``, in the loaded OMOP vocabularies (``concept_ancestor``)."""
    found = default().descendants(vocabulary, code)
    found.update(omop.descendants(data, vocabulary, code))
    return found


def ancestors(vocabulary: str, code: str) -> list[Key]:
    """Every concept above ``(vocabulary, code)`` in the defaults, nearest first."""
    return default().ancestors(vocabulary, code)


def maps_to(vocabulary: str, code: str, *, data: Path | None = None) -> list[Key]:
    """The concepts of other vocabularies ``(vocabulary, code)`` stands for: a brand's ATC code,
    a clinsearch group's codes, with ``data`` an OMOP source code's standard concepts."""
    return [*default().maps_to(vocabulary, code), *omop.maps_to(data, vocabulary, code)]


def expansion(vocabulary: str, code: str, *, data: Path | None = None) -> set[Key]:
    """Everything a search for the concept should find: descendants, mapped codes and their
    descendants, brand names; with ``data``, the loaded vocabularies' related codes."""
    found = default().expansion(vocabulary, code)
    found.update(omop.related(data, [(v, c) for v, c in found if v in ("CIM10", "ATC") and "-" not in c]))
    if vocabulary not in ("CIM10", "ATC", "CLINSEARCH", "BDPM"):
        found.update(omop.related(data, [(vocabulary, code)]))
    return found


def abbreviations(short: str) -> list[tuple[str, bool]]:
    """The senses of a French clinical abbreviation as (long form, preferred), from the CHU de
    Bordeaux inventory (lower case, no accents): ``abbreviations("HTA")``."""
    return list(abbreviation_senses().get(name_key(short), []))
