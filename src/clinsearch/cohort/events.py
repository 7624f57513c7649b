"""Each event criterion as the dated events it stands for: one SQL query returning
``(person_id, day)`` rows -- a coded row, a measurement in range, a visit, an imaging study, or
a note whose text matches a query of the search language (negation-aware, as in search).

Codes match by prefix when they end with ``*`` (``I21*``: I21 and every code below it) and
exactly otherwise, dots and case ignored, in any vocabulary of the warehouse (``codes``). Measurements in another unit than the criterion's are
converted (``clinsearch.units``); rows whose unit cannot be converted are left out and counted,
so that the result can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from clinsearch import units
from clinsearch.cohort import codes
from clinsearch.cohort.definition import Criterion, value_of
from clinsearch.search import engine
from clinsearch.search.index import from_day_number
from clinsearch.text import fold
from clinsearch.warehouse.concepts import VISIT_EMERGENCY, VISIT_EMERGENCY_AND_INPATIENT, VISIT_INPATIENT, VISIT_OUTPATIENT

# a visit criterion's kind -> the visit concepts it counts (an emergency visit that led to admission counts as both)
VISIT_CONCEPTS = {"inpatient": (VISIT_INPATIENT, VISIT_EMERGENCY_AND_INPATIENT), "outpatient": (VISIT_OUTPATIENT,),
                  "emergency": (VISIT_EMERGENCY, VISIT_EMERGENCY_AND_INPATIENT)}

# The study description folded in SQL as ``clinsearch.text.fold`` folds the criterion's words:
# DuckDB's lower() keeps the two letters whose case folding differs from their lower case in
# Latin and Greek text, ß (fold: ss) and ς (fold: σ), so they are replaced here.
FOLDED_DESCRIPTION = "replace(replace(strip_accents(lower(image_study_description)), 'ß', 'ss'), 'ς', 'σ')"

# type -> (table, date column, the OMOP domain prefix of its code columns)
CODED = {
    "condition": ("condition_occurrence", "condition_start_date", "condition"),
    "drug": ("drug_exposure", "drug_exposure_start_date", "drug"),
    "procedure": ("procedure_occurrence", "procedure_date", "procedure"),
}


@dataclass
class Events:
    """SQL giving ``(person_id, day)`` rows, its parameters, Arrow tables it reads (registered
    under their names), and what was left out."""

    sql: str
    params: list = field(default_factory=list)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pick: str | None = None  # a measurement's value_of: first | latest | min | max (rows carry ``value``)
    bounds: tuple[str, list] = ("", [])  # the condition on the picked ``value``


def events(store, data: Path, criterion: Criterion, name: str, *, persons: tuple[int, ...] | None = None,
           departments: tuple[str, ...] | None = None, view: str = "identified", patient_of=None) -> Events:
    """The events of ``criterion``; ``name`` is unique within one cohort build (Arrow tables are
    registered under it). ``persons``/``departments`` confine text search as for a restricted
    account; ``view``/``patient_of``: the index view a text criterion searches (search.engine)."""
    spec = criterion.spec
    if criterion.type in CODED:
        table, day, domain = CODED[criterion.type]
        where, params, warnings = codes.match(store, codes.parse(spec["codes"], criterion.type, spec.get("vocabulary")),
                                              f"{domain}_source_value", f"{domain}_source_concept_id", f"{domain}_concept_id")
        return Events(f"SELECT person_id, {day} AS day FROM {table} WHERE {where}", params, warnings=[f"{criterion}: {w}" for w in warnings])
    if criterion.type == "measurement":
        return _measurement(store, criterion)
    if criterion.type == "visit":
        concepts = VISIT_CONCEPTS[spec["kind"]]
        return Events(
            "SELECT person_id, visit_start_date AS day FROM visit_occurrence WHERE visit_concept_id IN (SELECT unnest(?)) "
            "OR (visit_concept_id IS NULL AND lower(visit_source_value) = ?)", [list(concepts), spec["kind"]])
    if criterion.type == "imaging":
        clauses, params = [], []
        if "modality" in spec:
            clauses.append("upper(modality_source_value) = ?")
            params.append(spec["modality"].upper())
        if "body_part" in spec:
            clauses.append("upper(anatomic_site_source_value) = ?")
            params.append(spec["body_part"].upper())
        for word in fold(spec.get("description", "")).split():
            clauses.append(f"{FOLDED_DESCRIPTION} LIKE ? ESCAPE '\\'")
            params.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        return Events(f"SELECT person_id, image_occurrence_date AS day FROM image_occurrence WHERE {' AND '.join(clauses)}", params)
    if criterion.type == "text":
        person_ids, days = engine.document_events(data, spec["query"], persons=persons, departments=departments, view=view, patient_of=patient_of)
        table = pa.table({"person_id": pa.array(person_ids, pa.int64()), "day": pa.array([from_day_number(d) for d in days], pa.date32())})
        return Events(f"SELECT person_id, day FROM {name}", [], {name: table})
    raise ValueError(f"{criterion}: not an event criterion")


# a measurement criterion's bounds: field -> SQL comparison (min/max included, above/below strict)
BOUNDS = {"min": ">=", "max": "<=", "above": ">", "below": "<"}


def _measurement(store, criterion: Criterion) -> Events:
    """Rows ``(person_id, day, at, id, value)``, the value converted to the criterion's unit.
    ``value_of`` ``any``: only the rows within the bounds; otherwise every row with a value, and
    ``Events.pick``/``Events.bounds`` say which value of each patient the bounds apply to."""
    spec = criterion.spec
    code = spec["code"]
    columns = "SELECT person_id, measurement_date AS day, measurement_datetime AS at, measurement_id AS id"
    base = f"{columns}, NULL::DOUBLE AS value FROM measurement WHERE measurement_source_value = ?"
    bounded = [(BOUNDS[k], spec[k]) for k in BOUNDS if k in spec]
    if not bounded:
        return Events(base, [code])
    target = spec["unit"]
    quantity = units.LOINC.get(code)
    stored = store.query("SELECT unit_source_value, count(*) FROM measurement WHERE measurement_source_value = ? AND value_as_number IS NOT NULL GROUP BY 1", [code])
    cases, params, warnings = [], [], []
    for unit, count in stored:
        if quantity is not None:
            found = units.factor(quantity, unit, target)
        else:
            found = (1.0, 0.0) if units.normalise(unit) == units.normalise(target) else None
        if found is None:
            warnings.append(f"{criterion}: {count:,} measurements of {code} in {unit or 'no unit'!r} left out (not convertible to {target})")
            continue
        cases.append("WHEN unit_source_value IS NOT DISTINCT FROM ? THEN value_as_number * ? + ?")
        params.extend([unit, found[0], found[1]])
    if not cases:
        return Events("SELECT NULL::BIGINT AS person_id, NULL::DATE AS day, NULL::TIMESTAMP AS at, NULL::BIGINT AS id, NULL::DOUBLE AS value WHERE false",
                      [], warnings=warnings)
    converted = f"(CASE {' '.join(cases)} END)"
    rows = f"{columns}, {converted} AS value FROM measurement WHERE measurement_source_value = ? AND value_as_number IS NOT NULL"
    bounds = " AND ".join(f"value {operator} ?" for operator, _ in bounded)
    limits = [value for _, value in bounded]
    which = "any" if criterion.where == "index" else value_of(spec)  # an index event: the first/last date in bounds
    if which == "any":
        return Events(f"SELECT * FROM ({rows}) WHERE {bounds}", [*params, code, *limits], warnings=warnings)
    return Events(f"SELECT * FROM ({rows}) WHERE value IS NOT NULL", [*params, code], warnings=warnings, pick=which, bounds=(bounds, limits))
