"""Source codes and the local concept table.

Sources carry codes from many vocabularies (SNOMED CT, LOINC, RxNorm, CIM-10, ATC ...). The
warehouse keeps the code in ``*_source_value`` and points ``*_source_concept_id`` at a local
``concept`` row holding the vocabulary, the code and its label, so that no licensed vocabulary
is needed to know what a code is.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from clinsearch.ids import local_concept_id
from clinsearch.warehouse import concepts
from clinsearch.warehouse.records import Row


@lru_cache(maxsize=None)
def _data(name: str) -> dict:
    return json.loads(resources.files("clinsearch.ingest").joinpath(name).read_text("utf-8"))


def vocabulary_for(system: str | None) -> str:
    """The OMOP vocabulary_id of a FHIR coding system (its URI when unknown)."""
    if not system:
        return "Unknown"
    return _data("vocabularies.json")["systems"].get(system.rstrip("/"), _data("vocabularies.json")["systems"].get(system, system))


# group -> (the FHIR codes of fhir_codes.json, or None: keys are concept names; the concept ids)
_GROUPS = {"gender": ("gender", concepts.GENDER), "visit": ("encounter_class", concepts.VISIT), "type": (None, concepts.TYPE)}


def omop_concept(group: str, key: str | None) -> int | None:
    """The standard OMOP concept id (``clinsearch.warehouse.concepts``) of a FHIR code: a
    Patient.gender (group ``gender``), an Encounter.class (``visit``), or a record type
    (``type``: ``ehr``, ``nlp``); None for a code it does not know."""
    if key is None:
        return None
    codes, ids = _GROUPS[group]
    name = _data("fhir_codes.json")[codes].get(key) if codes else key
    return ids.get(name) if name else None


def concept_row(vocabulary_id: str, code: str, name: str | None, domain_id: str) -> Row:
    return Row(
        "concept",
        {
            "concept_id": local_concept_id(vocabulary_id, code),
            "concept_name": name or code,
            "domain_id": domain_id,
            "vocabulary_id": vocabulary_id,
            "concept_class_id": "Source",
            "concept_code": code,
        },
    )
