"""Decision-support scores: for one patient (with the trail quoting the record: clinicians only),
for every patient of a cohort, or as a calculator from values typed in (no patient data)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from clinsearch.cohort.definition import read
from clinsearch.files import atomic
from clinsearch.scores.cohort import score_cohort, table
from clinsearch.scores.registry import SCORES, compute, compute_for_patient
from clinsearch.scores.registry import score as spec_of
from clinsearch.services.access import Request, audit, check_patient, note_departments, require_identified, resolve_patient, scope
from clinsearch.warehouse.store import Remembered, open_store

TRAIL = "a score's trail quotes identified data"


def calculate(name: str, given: dict[str, str], region: str | None = None) -> dict:
    """Calculator mode: the score of values typed in (no patient data, nothing audited).
    ``region`` (the ESC risk region) is used by the scores that take one, ignored by the others."""
    if region is not None and any(item.name == "region" for item in spec_of(name).inputs):
        given = {"region": region, **given}
    return compute(name, given).as_dict()


def score(request: Request, name: str, key: str, region: str = "low", *, at: dt.date | None = None, max_age_days: int | None = None) -> dict:
    """A decision-support score of one patient with its trail. The trail quotes the record (birth
    date, note snippets), so it is identified data: clinicians only."""
    return _scores(request, key, [name], region, "score", at=at, max_age_days=max_age_days)[0]


def score_panel(request: Request, key: str, region: str = "low") -> list[dict]:
    """Every score of one patient with its trail (the patient page's panel): clinicians only,
    one audit entry."""
    return _scores(request, key, [name for name in SCORES if name != "score2-op"], region, "scores")


def _scores(request: Request, key: str, names: list[str], region: str, action: str, *, at=None, max_age_days=None) -> list[dict]:
    require_identified(request, TRAIL)
    for name in names:
        spec_of(name)  # an unknown score is refused before anything is read
    person_id = resolve_patient(request, key)
    options = {"at": at, "region": region, **({"max_age_days": max_age_days} if max_age_days is not None else {})}
    with open_store(request.data, read_only=True) as store:
        check_patient(request, store, person_id)
        options["departments"] = note_departments(request, person_id)
        audit(request, action, f"{' '.join(names) if action == 'score' else ''} {person_id}".strip(), {"region": region, **({"at": at.isoformat()} if at else {})})
        return _computed(store, names, person_id, options)


def panel_in(request: Request, store, person_id: int, region: str = "low") -> list[dict]:
    """The panel for a service that has already resolved and checked the patient on ``store``
    (the patient summary): clinicians only, one audit entry."""
    require_identified(request, TRAIL)
    names = [name for name in SCORES if name != "score2-op"]
    audit(request, "scores", str(person_id), {"region": region})
    return _computed(store, names, person_id, {"at": None, "region": region, "departments": note_departments(request, person_id)})


def _computed(store, names: list[str], person_id: int, options: dict) -> list[dict]:
    remembered = Remembered(store)  # the scores read the same rows again and again
    return [{**compute_for_patient(remembered, name, person_id, **options).as_dict(), "title": SCORES[name].title} for name in names]


def cohort_scores(request: Request, name: str, definition: dict, *, region: str = "low", export_to: Path | None = None) -> dict:
    """The score of every patient of a cohort at their index date: a summary and the rows
    (clinicians only: the rows name patients); ``export_to`` (.csv or .parquet) writes the rows."""
    require_identified(request, "a cohort's score rows name patients")
    spec_of(name)
    parsed = read(definition)
    audit(request, "score-cohort", f"{name} {parsed.name}", {"definition": definition, "region": region})
    with open_store(request.data, read_only=True) as store:
        rows = score_cohort(store, request.data, name, parsed, region=region, **scope(request))
    if export_to is not None:
        audit(request, "score-export", f"{name} {parsed.name}", {"path": str(export_to), "patients": len(rows)})
        _write(rows, Path(export_to))
    computed = [r for r in rows if r["value"] is not None]
    return {"score": name, "cohort": parsed.name, "patients": len(rows), "computed": len(computed),
            "categories": dict(Counter(r["category"] for r in computed)), "statuses": dict(Counter(r["status"] for r in rows)),
            "not_computed": dict(Counter(r["not_computed_because"].split(":")[0] for r in rows if r["value"] is None)),
            "export": str(export_to) if export_to else None, "rows": rows}


def _write(rows: list[dict], path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    found = table(rows)
    parquet = path.suffix.lower() == ".parquet"
    atomic(path, lambda tmp: pq.write_table(found, tmp) if parquet else pacsv.write_csv(found, tmp))
