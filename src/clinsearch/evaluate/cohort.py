"""Evaluation data from the warehouse: a cohort, a score computed for each of its patients at
their index date, and an outcome looked for after it.

The outcome is a definition of its own (``inclusion`` criteria, windows in days from the
cohort's index date: ``{"type": "condition", "codes": ["I21*", "I63*"], "window": {"from": 1,
"to": 3650}}`` is a myocardial infarction or stroke coded in the 10 years after). Patients whose
score cannot be computed keep an empty score (counted as missing, with the reasons tallied).
Sex and age band come along as subgroups.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import Definition, read
from clinsearch.evaluate.data import Dataset, dataset
from clinsearch.scores.cohort import score_members

AGE_BANDS = ((0, 50, "<50"), (50, 60, "50-59"), (60, 70, "60-69"), (70, 200, "70+"))


def from_cohort(store, data: Path, cohort: Definition, outcome: dict, score_name: str, *, region: str = "low",
                persons: tuple[int, ...] | None = None, departments: tuple[str, ...] | None = None,
                pseudonymised: bool = False, on_step=None, also=None) -> tuple[Dataset, dict]:
    """(the evaluation data, what was done: cohort size, outcome, scores not computed and why).
    ``pseudonymised``: the cohorts are built as a researcher's (``cohort.build``). ``on_step``
    is told ``"reading"`` then ``"scoring"`` (the web page's progress). ``also(members)`` gives
    more scores of the same patients, ``{name: {person_id: probability}}`` (a saved model's):
    compared with the first on the patients that have both (paired DeLong test)."""
    step = on_step or (lambda name: None)
    step("reading")
    members = build(store, data, cohort, persons=persons, departments=departments, pseudonymised=pseudonymised).members
    outcome_definition = read({"name": outcome.get("name", "outcome"), "inclusion": outcome.get("inclusion", [])}, indexed=True)
    with_outcome = {p for p, _ in build(store, data, outcome_definition, index_dates=members, persons=persons, departments=departments,
                                      pseudonymised=pseudonymised).members}
    rows, reasons = [], Counter()
    step("scoring")
    more = also(members) if also else {}
    for scored in score_members(store, score_name, members, region=region):
        if scored["value"] is None:
            for reason in scored["not_computed_because"].split("; "):
                reasons[_short(reason)] += 1
        rows.append({"person_id": scored["person_id"], "index_date": scored["index_date"],
                     outcome_definition.name: int(scored["person_id"] in with_outcome),
                     score_name: _probability(scored), "sex": scored["sex"] or "(missing)", "age_band": age_band(scored["age"]),
                     **{name: values.get(scored["person_id"]) for name, values in more.items()}})
    table = pa.Table.from_pylist(rows, schema=pa.schema([("person_id", pa.int64()), ("index_date", pa.date32()), (outcome_definition.name, pa.int64()),
                                                         (score_name, pa.float64()), ("sex", pa.string()), ("age_band", pa.string()),
                                                         *((name, pa.float64()) for name in more)]))
    if not rows:
        from clinsearch.evaluate.data import EvaluationError

        raise EvaluationError(f"cohort {cohort.name!r}: no patient")
    source = f"cohort {cohort.name!r}, {' and '.join([score_name, *more])} at the index date"
    about = {"cohort": cohort.name, "patients": len(members), "with_outcome": len(with_outcome), "score": score_name,
             "not_computed": sum(1 for r in rows if r[score_name] is None), "reasons": dict(reasons.most_common(10))}
    if more:
        about["compared_with"] = list(more)
    return dataset(table, source, outcome_definition.name, [score_name, *more], ["sex", "age_band"]), about


def _probability(scored: dict) -> float | None:
    """Risks in % become probabilities; other scores (points, mL/min) are left as they are (the
    evaluation then asks for --rescale)."""
    if scored["value"] is None:
        return None
    return scored["value"] / 100 if scored["unit"] == "%" else scored["value"]


def age_band(age) -> str:
    if age is None:
        return "(missing)"
    return next(label for low, high, label in AGE_BANDS if low <= age < high)


def _short(reason: str) -> str:
    """A reason without the patient's own numbers, so that equal reasons are counted together."""
    for cut in (" the patient is", " on or before", " on "):
        if cut in reason:
            return reason.split(cut)[0]
    return reason
