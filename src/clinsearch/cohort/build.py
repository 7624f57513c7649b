"""Building a cohort: the index date of each patient, then the criteria in order, counting who
remains after each (the attrition table).

* With an index event, each patient's index date is the first (or last) date of that event;
  patients without it are not in the cohort. Without one, every patient is indexed at the
  definition's ``as_of`` date (default today) -- a deceased patient at their date of death when
  it came before (dead at an unknown date: their last record), so that nobody is aged past their
  death; the result says how many (``index_dates``, and ``indexed_at`` on each such patient).
* An inclusion criterion keeps the patients with at least ``at_least`` of its events inside its
  window (days relative to the index date, both ends included; the whole record without a
  window). Demographics compare the age in whole years at the index date and the sex.
* An exclusion criterion removes the patients who have it, with the same rules.

The work happens in DuckDB (temporary tables, one per step) and, for text criteria, in the
search index; nothing is written to the warehouse.

A **pseudonymised** build is the researcher's: text criteria search the pseudonymised view of
the index (identifiers never match, ``after:`` reads shifted dates), and ``as_of`` is a date of
the researcher's shifted calendar -- each patient is indexed at ``as_of`` minus their own shift,
so that an age bound at ``as_of`` compares the shifted birth date, never the real one.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from clinsearch.cohort.definition import Criterion, Definition
from clinsearch.cohort.events import events
from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift, person_pseudonym
from clinsearch.warehouse.concepts import FEMALE, MALE

BIRTH = "coalesce(CAST(p.birth_datetime AS DATE), make_date(p.year_of_birth, coalesce(p.month_of_birth, 7), coalesce(p.day_of_birth, 1)))"
SEX = f"CASE WHEN p.gender_concept_id = {FEMALE} OR upper(p.gender_source_value) IN ('F', 'FEMALE') THEN 'F' " \
      f"WHEN p.gender_concept_id = {MALE} OR upper(p.gender_source_value) IN ('M', 'MALE') THEN 'M' END"


@dataclass
class Step:
    where: str  # population, index, inclusion[1], exclusion[2]
    label: str
    remaining: int
    removed: int

    def as_dict(self) -> dict:
        return {"where": self.where, "label": self.label, "remaining": self.remaining, "removed": self.removed}


@dataclass
class Cohort:
    definition: Definition
    attrition: list[Step]
    members: list[tuple[int, dt.date]]  # (person_id, index date), by person_id
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    deceased: dict[int, str] = field(default_factory=dict)  # members indexed at their death, not at as_of (no index event)

    @property
    def size(self) -> int:
        """Patients in the cohort (the last row of the attrition table; also when only counted)."""
        return self.attrition[-1].remaining

    def index_dates(self) -> dict:
        """Without an index event: the date every patient is indexed at, and how many members
        were indexed at their death (or, dead at an unknown date, their last record) instead."""
        reasons = list(self.deceased.values())
        return {"as_of": self.definition.as_of.isoformat(), "at_death": reasons.count("death"), "at_last_record": reasons.count("last record")}

    def as_dict(self) -> dict:
        return {
            "name": self.definition.name,
            "size": self.size,
            "attrition": [s.as_dict() for s in self.attrition],
            "patients": [{"person_id": p, "index_date": d.isoformat(), **({"indexed_at": self.deceased[p]} if p in self.deceased else {})}
                         for p, d in self.members],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            **({"index_dates": self.index_dates()} if self.definition.index is None else {}),
        }


def build(store, data: Path, definition: Definition, *, persons: tuple[int, ...] | None = None,
          departments: tuple[str, ...] | None = None, members: bool = True,
          index_dates: list[tuple[int, dt.date]] | None = None, pseudonymised: bool = False) -> Cohort:
    """Run ``definition`` on the warehouse ``store`` (and the index of ``data``). ``persons`` and
    ``departments`` confine the population (a restricted account); ``members=False`` counts only.
    ``index_dates`` gives the patients and their index dates instead of an index event (an
    outcome looked for after another cohort's index, as ``clinsearch evaluate --cohort`` does).
    ``pseudonymised``: the researcher's build (module docstring)."""
    started = time.perf_counter()
    run = _Run(store, Path(data), persons, departments, pseudonymised)
    try:
        total = run.population()
        attrition = [Step("population", "patients in the warehouse" if not (persons or departments) else "patients you may see", total, 0)]
        if index_dates is not None:
            current = run.given(index_dates)
            attrition.append(Step("index", "index dates given", current, total - current))
        elif definition.index is not None:
            current = run.indexed(definition.index, definition.occurrence)
            attrition.append(Step("index", f"{definition.occurrence} {definition.index.label}", current, total - current))
        else:
            current = run.at(definition.as_of)
        for criterion in definition.inclusion:
            after = run.apply(criterion, keep=True)
            attrition.append(Step(criterion.where, criterion.label, after, current - after))
            current = after
        for criterion in definition.exclusion:
            after = run.apply(criterion, keep=False)
            attrition.append(Step(criterion.where, f"not {criterion.label}", after, current - after))
            current = after
        found = store.query(f"SELECT person_id, index_date FROM {run.current} ORDER BY person_id") if members else []
        kept = {p for p, _ in found}
        return Cohort(definition, attrition, [(p, d) for p, d in found], run.warnings, time.perf_counter() - started,
                      {p: why for p, why in run.deceased.items() if p in kept})
    finally:
        run.close()


# The index date of a patient without an index event: ``day``, or their date of death when it
# came before (else, dead at an unknown date, their last record): a deceased patient is not aged
# past their death.
_LAST_RECORD = " UNION ALL ".join(
    f"SELECT person_id, {column} AS day FROM {table}" for table, column in (
        ("visit_occurrence", "visit_start_date"), ("condition_occurrence", "condition_start_date"), ("measurement", "measurement_date"),
        ("drug_exposure", "drug_exposure_start_date"), ("procedure_occurrence", "procedure_date"), ("observation", "observation_date"),
        ("note", "note_date")))
_ALIVE_AT = ("CASE WHEN x.person_id NOT IN (SELECT person_id FROM death) THEN {day} "
             "ELSE least({day}, coalesce((SELECT min(death_date) FROM death d WHERE d.person_id = x.person_id), "
             f"(SELECT max(day) FROM ({_LAST_RECORD}) r WHERE r.person_id = x.person_id))) END")


class _Run:
    """The temporary tables of one build: ``_cohort_N`` (person_id, index_date) after step N."""

    def __init__(self, store, data: Path, persons, departments, pseudonymised: bool = False):
        self.store, self.data = store, data
        self.persons, self.departments = persons, departments
        self.pseudonymised = pseudonymised
        self.step = 0
        self.current = ""
        self.population_table = ""
        self.temporary: list[str] = []
        self.registered: list[str] = []
        self.warnings: list[str] = []
        self.deceased: dict[int, str] = {}  # indexed at their death ('death') or their last record, not at as_of

    def close(self) -> None:
        for name in self.temporary:
            self.store.execute(f"DROP TABLE IF EXISTS {name}")
        for name in self.registered:
            self.store.unregister(name)

    def _table(self, sql: str, params: list | None = None) -> int:
        self.step += 1
        name = f"_cohort_{self.step}"
        self.store.execute(f"DROP TABLE IF EXISTS {name}")
        self.store.execute(f"CREATE TEMP TABLE {name} AS {sql}", params or [])
        self.temporary.append(name)
        self.current = name
        return self.store.query(f"SELECT count(*) FROM {name}")[0][0]

    def population(self) -> int:
        clauses, params = [], []
        if self.persons:
            clauses.append("person_id IN (SELECT unnest(?))")
            params.append(list(self.persons))
        if self.departments:
            clauses.append("person_id IN (SELECT n.person_id FROM note n JOIN care_site c USING (care_site_id) WHERE c.care_site_name IN (SELECT unnest(?)))")
            params.append(list(self.departments))
        where = f"WHERE {' OR '.join(clauses)}" if clauses else ""
        count = self._table(f"SELECT person_id, NULL::DATE AS index_date FROM person {where}", params)
        self.population_table = self.current
        return count

    def at(self, day: dt.date) -> int:
        """Every patient indexed at ``day``, the deceased at their death (module docstring)."""
        if not self.pseudonymised:
            count = self._table(f"SELECT person_id, {_ALIVE_AT.format(day='?::DATE')} AS index_date FROM {self.population_table} x", [day, day])
        else:
            import pyarrow as pa

            secret = secret_key(self.data)
            people = [p for (p,) in self.store.query(f"SELECT person_id FROM {self.population_table}")]
            shifts = pa.table({"person_id": pa.array(people, pa.int64()), "shift": pa.array([date_shift(p, secret) for p in people], pa.int32())})
            self.store.register("_cohort_shifts", shifts)
            self.registered.append("_cohort_shifts")
            shifted = "CAST(?::DATE - x.shift AS DATE)"
            count = self._table(f"SELECT person_id, {_ALIVE_AT.format(day=shifted)} AS index_date FROM _cohort_shifts x", [day, day])
        self.deceased = dict(self.store.query(
            f"SELECT c.person_id, CASE WHEN d.death_date IS NULL THEN 'last record' ELSE 'death' END FROM {self.current} c "
            "JOIN (SELECT person_id, min(death_date) AS death_date FROM death GROUP BY person_id) d USING (person_id) "
            "WHERE d.death_date IS NULL OR c.index_date >= d.death_date"))
        return count

    def patient_of(self, value: str) -> int | None:
        """The patient a pseudonym names (``patient:`` in a researcher's text criterion)."""
        secret = secret_key(self.data)
        return next((p for (p,) in self.store.query("SELECT person_id FROM person") if person_pseudonym(p, secret) == value), None)

    def given(self, index_dates: list[tuple[int, dt.date]]) -> int:
        import pyarrow as pa

        table = pa.table({"person_id": pa.array([p for p, _ in index_dates], pa.int64()), "index_date": pa.array([d for _, d in index_dates], pa.date32())})
        self.store.register("_cohort_given", table)
        self.registered.append("_cohort_given")
        return self._table(f"SELECT g.person_id, g.index_date FROM _cohort_given g WHERE g.person_id IN (SELECT person_id FROM {self.population_table})")

    def _events(self, criterion: Criterion):
        name = f"_cohort_events_{self.step + 1}"
        view = {"view": "pseudonymised", "patient_of": self.patient_of} if self.pseudonymised else {}
        found = events(self.store, self.data, criterion, name, persons=self.persons, departments=self.departments, **view)
        for table_name, table in found.tables.items():
            self.store.register(table_name, table)
            self.registered.append(table_name)
        self.warnings.extend(found.warnings)
        return found

    def indexed(self, criterion: Criterion, occurrence: str) -> int:
        found = self._events(criterion)
        pick = "min" if occurrence == "first" else "max"
        return self._table(
            f"SELECT e.person_id, {pick}(e.day) AS index_date FROM ({found.sql}) e "
            f"WHERE e.person_id IN (SELECT person_id FROM {self.population_table}) AND e.day IS NOT NULL GROUP BY e.person_id",
            found.params)

    def apply(self, criterion: Criterion, keep: bool) -> int:
        before = self.current
        if criterion.type == "demographics":
            having, params = _demographics(criterion)
            matching = f"SELECT c.person_id FROM {before} c JOIN person p USING (person_id) WHERE {having}"
        else:
            found = self._events(criterion)
            window, window_params = _window(criterion, before_index=found.pick is not None)
            if found.pick is None:
                matching = (f"SELECT c.person_id FROM {before} c JOIN ({found.sql}) e USING (person_id) WHERE {window} "
                            f"GROUP BY c.person_id HAVING count(*) >= ?")
                params = [*found.params, *window_params, criterion.at_least]
            else:
                matching, params = _picked(before, found, window, window_params)
        operator = "IN" if keep else "NOT IN"
        return self._table(f"SELECT person_id, index_date FROM {before} WHERE person_id {operator} ({matching})", params)


def _picked(before: str, found, window: str, window_params: list) -> tuple[str, list]:
    """The patients whose one value (the first, latest, lowest or highest in the window) is
    within the bounds; the same day's values in the order of their time, then of their id."""
    joined = f"FROM {before} c JOIN ({found.sql}) e USING (person_id) WHERE {window}"
    if found.pick in ("first", "latest"):
        order = "ASC" if found.pick == "first" else "DESC"
        ranked = (f"SELECT c.person_id, e.value, row_number() OVER "
                  f"(PARTITION BY c.person_id ORDER BY e.day {order}, e.at {order} NULLS LAST, e.id {order}) AS _rank {joined}")
        one = f"SELECT person_id, value FROM ({ranked}) ranked WHERE _rank = 1"
    else:
        one = f"SELECT c.person_id, {found.pick}(e.value) AS value {joined} GROUP BY c.person_id"
    bounds, limits = found.bounds
    return f"SELECT person_id FROM ({one}) WHERE {bounds}", [*found.params, *window_params, *limits]


def _window(criterion: Criterion, before_index: bool = False) -> tuple[str, list]:
    """The window's condition on an event ``e`` of a patient ``c``; without a window, the whole
    record (``before_index``: up to the index date included, where one value is picked)."""
    clauses, params = ["e.day IS NOT NULL"], []
    window = criterion.window
    if window is None and before_index:
        clauses.append("e.day <= c.index_date")
    if window is not None and window.start is not None:
        clauses.append("e.day >= c.index_date + CAST(? AS INTEGER)")
        params.append(window.start)
    if window is not None and window.end is not None:
        clauses.append("e.day <= c.index_date + CAST(? AS INTEGER)")
        params.append(window.end)
    return " AND ".join(clauses), params


def _demographics(criterion: Criterion) -> tuple[str, list]:
    clauses, params = [], []
    spec = criterion.spec
    age = f"date_sub('year', {BIRTH}, c.index_date)"
    if "min" in spec.get("age", {}):
        clauses.append(f"{age} >= ?")
        params.append(spec["age"]["min"])
    if "max" in spec.get("age", {}):
        clauses.append(f"{age} <= ?")
        params.append(spec["age"]["max"])
    if "sex" in spec:
        clauses.append(f"({SEX}) = ?")
        params.append(spec["sex"])
    return " AND ".join(clauses), params
