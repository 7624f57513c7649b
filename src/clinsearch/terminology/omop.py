"""The OMOP vocabularies loaded in a warehouse (``clinsearch vocabulary load``), as the
terminology reads them: concepts by code or name, the hierarchy (``concept_ancestor``) and the
"Maps to" relations (``concept_relationship``).

Nothing is read unless a load has happened (the marker ``DATA/vocabularies.json`` that
``athena.load`` writes): a warehouse without OMOP vocabularies costs no look-up. Answers are
cached per data directory until the next load.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from clinsearch.terminology.athena import MARKER
from clinsearch.terminology.model import Key
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.store import open_store

# How clinsearch and users name vocabularies -> OMOP's vocabulary_id
ALIASES = {"CIM10": "ICD10", "CIM-10": "ICD10", "ICD-10": "ICD10", "ICD10": "ICD10", "ICD10CM": "ICD10CM", "SNOMED": "SNOMED",
           "SNOMEDCT": "SNOMED", "SCT": "SNOMED", "LOINC": "LOINC", "RXNORM": "RxNorm", "ATC": "ATC", "CVX": "CVX", "UCUM": "UCUM"}

_RELATED = """
WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS vocabulary_id, unnest(?::VARCHAR[]) AS concept_code),
start AS (SELECT c.concept_id FROM concept c JOIN wanted w ON c.concept_code = w.concept_code AND (w.vocabulary_id = '' OR c.vocabulary_id = w.vocabulary_id)),
standard AS (SELECT concept_id FROM start UNION SELECT r.concept_id_2 FROM concept_relationship r JOIN start s ON r.concept_id_1 = s.concept_id
             WHERE r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL),
below AS (SELECT concept_id FROM standard UNION SELECT a.descendant_concept_id FROM concept_ancestor a JOIN standard s ON a.ancestor_concept_id = s.concept_id),
sources AS (SELECT concept_id FROM below UNION SELECT r.concept_id_1 FROM concept_relationship r JOIN below b ON r.concept_id_2 = b.concept_id
            WHERE r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL)
SELECT DISTINCT c.vocabulary_id, c.concept_code FROM sources JOIN concept c USING (concept_id) ORDER BY 1, 2"""


def vocabulary_id(name: str) -> str:
    """OMOP's id of a vocabulary as a user may write it (``CIM10`` -> ``ICD10``, ``rxnorm`` -> ``RxNorm``)."""
    return ALIASES.get(name.upper().replace("_", ""), name)


def loaded(data: Path | None) -> list[str]:
    """The vocabularies of the last load into ``data`` (empty when none was loaded)."""
    if data is None:
        return []
    try:
        return list(json.loads((Path(data) / MARKER).read_text("utf-8")).get("vocabularies", []))
    except (OSError, ValueError):
        return []


def _stamp(data: Path) -> int:
    try:
        return (Path(data) / MARKER).stat().st_mtime_ns
    except OSError:
        return 0


def _query(data: Path, sql: str, params: list) -> list[tuple]:
    try:
        with open_store(data, read_only=True) as store:
            return store.query(sql, params)
    except WarehouseError:
        return []  # no warehouse (or busy past the wait): answer from the default terminology alone


def related(data: Path | None, keys: list[tuple[str | None, str]]) -> list[Key]:
    """What a search for codes should find with the loaded vocabularies: the concepts of those
    ``(vocabulary or None, code)``, the standard concepts they map to, every descendant of
    those, and the source codes mapping to any of them -- as (OMOP vocabulary_id, code). One
    query, whatever the number of codes."""
    if not loaded(data) or not keys:
        return []
    wanted = sorted({(vocabulary_id(v) if v else "", form) for v, code in keys for form in {code, _dotted(code)}})
    return list(_related(str(data), _stamp(data), tuple(wanted)))


@lru_cache(maxsize=2048)
def _related(data: str, stamp: int, wanted: tuple[tuple[str, str], ...]) -> tuple[Key, ...]:
    return tuple(tuple(r) for r in _query(Path(data), _RELATED, [[v for v, _ in wanted], [c for _, c in wanted]]))


def _dotted(code: str) -> str:
    """An ICD-10 code as OMOP writes it (E119 -> E11.9); other codes as they are."""
    if len(code) > 3 and "." not in code and code[0].isalpha() and code[1:3].isdigit():
        return f"{code[:3]}.{code[3:]}"
    return code


def descendants(data: Path | None, vocabulary: str, code: str) -> list[Key]:
    """The concept and its descendants by ``concept_ancestor``."""
    if not loaded(data):
        return []
    return [tuple(r) for r in _query(Path(data), """SELECT DISTINCT d.vocabulary_id, d.concept_code FROM concept c
        JOIN concept_ancestor a ON a.ancestor_concept_id = c.concept_id JOIN concept d ON d.concept_id = a.descendant_concept_id
        WHERE c.concept_code = ? AND c.vocabulary_id = ? ORDER BY 1, 2""", [code, vocabulary_id(vocabulary)])]


def maps_to(data: Path | None, vocabulary: str, code: str) -> list[Key]:
    """The standard concepts a code maps to ("Maps to")."""
    if not loaded(data):
        return []
    return [tuple(r) for r in _query(Path(data), """SELECT DISTINCT t.vocabulary_id, t.concept_code FROM concept c
        JOIN concept_relationship r ON r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL
        JOIN concept t ON t.concept_id = r.concept_id_2 WHERE c.concept_code = ? AND c.vocabulary_id = ? ORDER BY 1, 2""",
        [code, vocabulary_id(vocabulary)])]


def lookup(data: Path | None, text: str) -> list[dict]:
    """Concepts whose name or a synonym is ``text`` (case ignored)."""
    if not loaded(data):
        return []
    rows = _query(Path(data), """SELECT DISTINCT c.vocabulary_id, c.concept_code, c.concept_name, c.standard_concept FROM concept c
        WHERE lower(c.concept_name) = lower(?) OR c.concept_id IN (SELECT concept_id FROM concept_synonym WHERE lower(concept_synonym_name) = lower(?))
        ORDER BY 1, 2, 3, 4""", [text, text])
    return [{"vocabulary": v, "code": c, "label": n, "standard": s == "S"} for v, c, n, s in rows]
