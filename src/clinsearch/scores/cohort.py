"""A score over a whole cohort: computed for each patient at their index date, one row each --
the table ``clinsearch score NAME --cohort DEFINITION.json --export FILE`` writes and
``clinsearch evaluate --cohort`` evaluates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import Definition
from clinsearch.scores.registry import compute_for_patient, score

SCHEMA = pa.schema([("person_id", pa.int64()), ("index_date", pa.date32()), ("age", pa.int64()), ("sex", pa.string()), ("score", pa.string()), ("status", pa.string()), ("model", pa.string()),
                    ("value", pa.float64()), ("unit", pa.string()), ("category", pa.string()), ("not_computed_because", pa.string()),
                    ("stale", pa.string())])


def score_cohort(store, data: Path, name: str, definition: Definition, *, region: str = "low", persons=None, departments=None) -> list[dict]:
    """One row per patient of the cohort: the score at the index date, or why it is not computed."""
    score(name)  # an unknown score is refused before the cohort is built
    members = build(store, data, definition, persons=persons, departments=departments).members
    return score_members(store, name, members, region=region)


def score_members(store, name: str, members: list[tuple[int, dt.date]], *, region: str = "low") -> list[dict]:
    """The score of each (person, index date), with the patient's age and sex at that date."""
    rows = []
    for person_id, day in members:
        result = compute_for_patient(store, name, person_id, at=day, region=region)
        given = {i.name: i.value for i in result.inputs}
        rows.append({
            "person_id": person_id, "index_date": day, "age": given.get("age"), "sex": given.get("sex"), "score": name, "status": result.status, "model": result.model,
            "value": round(result.value, 4) if result.computed else None, "unit": result.unit, "category": result.category,
            "not_computed_because": "; ".join(f"{m['name']}: {m['reason']}" for m in result.reasons) or None,
            "stale": "; ".join(result.stale) or None,
        })
    return rows


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)
