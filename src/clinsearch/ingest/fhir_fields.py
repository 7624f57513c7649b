"""What every FHIR mapper needs: references resolved within a bundle, validation against the
FHIR model, codes, patients, encounters and dates read from a resource."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from clinsearch.ids import local_concept_id, person_id_for, stable_id
from clinsearch.ingest.codes import concept_row, vocabulary_for
from clinsearch.ingest.values import parse_datetime, parse_partial_date


class MappingError(Exception):
    pass


@dataclass(frozen=True)
class References:
    """Bundle ``fullUrl`` -> ``Type/id``, to resolve ``urn:uuid:`` references."""

    full_urls: dict[str, str]

    def resolve(self, reference: dict | None, expected: str) -> str | None:
        """The id of the ``expected``-type resource a Reference points at, or None."""
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        target = reference["reference"].strip()
        if target.startswith("urn:"):
            target = self.full_urls.get(target, f"{expected}/{target.rsplit(':', 1)[-1]}")
        target = re.sub(r"/_history/[^/]+$", "", target)
        parts = target.rstrip("/").split("/")
        if len(parts) < 2 or parts[-2] != expected or not parts[-1]:
            return None
        return parts[-1]


# --- validation -------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _model(kind: str):
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(kind)


def is_fhir_type(kind: str) -> bool:
    try:
        _model(kind)
    except (ValueError, KeyError, AttributeError, ImportError):
        return False
    return True


def validate(resource: dict) -> str:
    """'' when the resource is valid FHIR, else the first problem found."""
    from pydantic import ValidationError

    try:
        _model(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
        return f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")
    except (ValueError, TypeError) as exc:
        return str(exc).splitlines()[0]
    return ""


# --- small helpers ----------------------------------------------------------------------------


def first_coding(concept: dict | None) -> tuple[str, str, str] | None:
    """(vocabulary, code, label) of a CodeableConcept's first coding with a code."""
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or []:
        if coding.get("code"):
            label = coding.get("display") or concept.get("text") or coding["code"]
            return vocabulary_for(coding.get("system")), str(coding["code"]), label
    return None


def code_rows(concept: dict | None, domain: str, what: str, required: bool = True):
    """(source_value, source_concept_id, [concept row]) for a CodeableConcept."""
    coding = first_coding(concept)
    if coding is None:
        text = (concept or {}).get("text") if isinstance(concept, dict) else None
        if text:
            return text, None, []
        if required:
            raise MappingError(f"no {what} code")
        return None, None, []
    vocabulary, code, label = coding
    return code, local_concept_id(vocabulary, code), [concept_row(vocabulary, code, label, domain)]


def person_of(resource: dict, refs: References, field: str = "subject") -> int:
    patient = refs.resolve(resource.get(field), "Patient")
    if patient is None:
        raise MappingError(f"missing or invalid patient reference in {field}")
    return person_id_for(patient)


def visit_of(resource: dict, refs: References, field: str = "encounter") -> int | None:
    encounter = refs.resolve(resource.get(field), "Encounter")
    return stable_id("visit_occurrence", f"Encounter/{encounter}") if encounter else None


def when(resource: dict, *fields: str, required: str = "") -> tuple:
    """(date, datetime) of the first field present: ``fooDateTime``, ``fooPeriod`` (its start)."""
    for name in fields:
        value = resource.get(name)
        if isinstance(value, dict):
            value = value.get("start") or value.get("end")
        if isinstance(value, str) and value:
            try:
                if len(value) <= 7:
                    day = parse_partial_date(value)
                    return day, None
                moment = parse_datetime(value)
            except ValueError as exc:
                raise MappingError(f"{name}: {exc}") from None
            return moment.date(), moment if len(value) > 10 else None
    if required:
        raise MappingError(f"no {required} date ({' / '.join(fields)})")
    return None, None


def resource_key(resource: dict) -> str:
    return f"{resource['resourceType']}/{resource.get('id') or stable_id('content', json.dumps(resource, sort_keys=True))}"


def number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def text_of(value) -> str | None:
    return None if value is None else str(value)
