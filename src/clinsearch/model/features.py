"""Features of a cohort's patients at their index dates, read from the warehouse -- never a value
dated after the index date.

One column per feature, built from what the warehouse holds on or before each patient's index
date (and after the look-back start, when one is set):

* ``demographics``: age at the index date (years), sex (``sex:F``, 1 for women);
* ``conditions``, ``drugs``, ``procedures``: 1 when the concept was coded, by its source code
  (CIM-10, ATC, CCAM...) or else its standard concept (SNOMED, RxNorm: Synthea's data), and by
  the nearest level above it in the terminology's hierarchy (``hierarchy=1``: CIM-10 E11.9 also
  counts for E11, ATC C10AA05 for C10AA);
* ``measurements``: the latest value of each test, converted to its quantity's first unit
  (``units.py``: cholesterol in mmol/L whatever the laboratory wrote); a value whose unit cannot
  be converted is left out (counted), never guessed; no value stays *missing* (NaN): the model
  decides what to do with it (``train``: an indicator column and the median, or the trees' own
  handling);
* ``notes``: the concepts the NLP found **affirmed** in the patient's notes (``text:CIM10:I21``);
  negated, hypothetical and family mentions are left out (``qualified="omit"``, the default) or
  kept as features of their own (``qualified="separate"``: ``text-negated:CIM10:I21``) -- the
  choice is recorded with the model.

Each patient's newest event used is kept (``newest``): the test of no leakage checks it against
the index date, and the model card reports the period the features come from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from clinsearch import terminology, units

KINDS = ("demographics", "conditions", "drugs", "procedures", "measurements", "notes")
QUALIFIED = ("omit", "separate")
INDEX_TABLE = "_model_index"


@dataclass(frozen=True)
class Spec:
    """What features are built: recorded with a saved model, so that applying it builds the same."""

    kinds: tuple[str, ...] = KINDS
    lookback_days: int | None = None  # None: the whole history before the index date
    hierarchy: int = 1  # levels above each coded concept also counted (0: the concept only)
    qualified: str = "omit"  # negated / hypothetical / family mentions: left out, or features of their own

    def as_dict(self) -> dict:
        return {"kinds": list(self.kinds), "lookback_days": self.lookback_days, "hierarchy": self.hierarchy, "qualified": self.qualified}

    @classmethod
    def of(cls, raw: dict) -> "Spec":
        return cls(tuple(raw.get("kinds", KINDS)), raw.get("lookback_days"), int(raw.get("hierarchy", 1)), raw.get("qualified", "omit"))


@dataclass
class Features:
    person_ids: np.ndarray  # int64, one row per patient
    index_dates: list[dt.date]
    names: list[str]  # one per column
    labels: dict[str, str]  # name -> how a clinician reads it
    values: np.ndarray  # float64 (patients x names); NaN: no measurement
    newest: list[dt.date | None]  # per patient: the latest event date a feature used
    left_out: dict[str, int] = field(default_factory=dict)  # why values were not used, counted

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


def check(spec: Spec) -> None:
    unknown = [k for k in spec.kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown feature kind(s) {', '.join(unknown)} (known: {', '.join(KINDS)})")
    if spec.qualified not in QUALIFIED:
        raise ValueError(f"qualified mentions: {spec.qualified!r} is not one of {', '.join(QUALIFIED)}")
    if spec.lookback_days is not None and spec.lookback_days < 1:
        raise ValueError(f"look-back of {spec.lookback_days} days: give at least 1 (or none for the whole history)")


def build(store, members: list[tuple[int, dt.date]], spec: Spec = Spec(), names: list[str] | None = None) -> Features:
    """The features of ``members`` (person, index date) as ``spec`` says; with ``names`` (a saved
    model's columns) exactly those columns, in that order (a feature no patient has is 0)."""
    check(spec)
    persons = np.array([p for p, _ in members], dtype=np.int64)
    dates = [d for _, d in members]
    row_of = {int(p): i for i, p in enumerate(persons)}
    cells: dict[str, dict[int, float]] = {}
    labels: dict[str, str] = {}
    newest: list[dt.date | None] = [None] * len(members)
    left_out: dict[str, int] = {}

    def put(name: str, label: str, person: int, value: float, day: dt.date | None) -> None:
        row = row_of[int(person)]
        cells.setdefault(name, {})[row] = value
        labels.setdefault(name, label)
        if day is not None and (newest[row] is None or day > newest[row]):
            newest[row] = day

    starts = [None if spec.lookback_days is None else d - dt.timedelta(days=spec.lookback_days) for d in dates]
    store.register(INDEX_TABLE, pa.table({"person_id": pa.array(persons, pa.int64()), "index_date": pa.array(dates, pa.date32()),
                                          "start_date": pa.array(starts, pa.date32())}))
    try:
        if "demographics" in spec.kinds:
            _demographics(store, put)
        for kind in ("conditions", "drugs", "procedures"):
            if kind in spec.kinds:
                _coded(store, kind, spec.hierarchy, put)
        if "measurements" in spec.kinds:
            _measurements(store, put, left_out)
        if "notes" in spec.kinds:
            _mentions(store, spec.qualified, put)
    finally:
        store.unregister(INDEX_TABLE)
    columns = sorted(cells) if names is None else list(names)
    values = np.zeros((len(members), len(columns)), dtype=np.float64)
    for j, name in enumerate(columns):
        if name.startswith("measurement:") or name == "age":
            values[:, j] = np.nan
        for row, value in cells.get(name, {}).items():
            values[row, j] = value
    return Features(persons, dates, columns, {n: labels.get(n, n) for n in columns}, values, newest, left_out)


def _window(column: str) -> str:
    return f"{column} <= i.index_date AND (i.start_date IS NULL OR {column} >= i.start_date)"


def _demographics(store, put) -> None:
    rows = store.query(f"""SELECT i.person_id, i.index_date, p.year_of_birth, p.month_of_birth, p.day_of_birth, p.gender_source_value, g.concept_name
        FROM {INDEX_TABLE} i JOIN person p ON p.person_id = i.person_id LEFT JOIN concept g ON g.concept_id = p.gender_concept_id""")
    for person, index_date, year, month, day, sex, gender in rows:
        if year:
            born = dt.date(int(year), int(month or 7), int(day or 1))  # an unknown month: mid-year
            put("age", "age (years)", person, (index_date - born).days / 365.25, None)
        written = (sex or gender or "").strip().upper()[:1]
        if written in ("F", "M"):
            put("sex:F", "sex: female", person, 1.0 if written == "F" else 0.0, None)


CODED = {  # kind -> (table, date column, source concept, standard concept, source value, feature prefix)
    "conditions": ("condition_occurrence", "condition_start_date", "condition_source_concept_id", "condition_concept_id", "condition_source_value", "condition"),
    "drugs": ("drug_exposure", "drug_exposure_start_date", "drug_source_concept_id", "drug_concept_id", "drug_source_value", "drug"),
    "procedures": ("procedure_occurrence", "procedure_date", "procedure_source_concept_id", "procedure_concept_id", "procedure_source_value", "procedure"),
}


def _coded(store, kind: str, hierarchy: int, put) -> None:
    table, date, source, standard, source_value, prefix = CODED[kind]
    rows = store.query(f"""SELECT i.person_id, coalesce(c.vocabulary_id, s.vocabulary_id, 'source') AS vocabulary,
            coalesce(c.concept_code, s.concept_code, x.{source_value}) AS code, coalesce(c.concept_name, s.concept_name) AS name, max(x.{date})
        FROM {INDEX_TABLE} i JOIN {table} x ON x.person_id = i.person_id
        LEFT JOIN concept c ON c.concept_id = x.{source} AND x.{source} <> 0
        LEFT JOIN concept s ON s.concept_id = x.{standard} AND x.{standard} <> 0
        WHERE {_window('x.' + date)}
        GROUP BY i.person_id, coalesce(c.vocabulary_id, s.vocabulary_id, 'source'), coalesce(c.concept_code, s.concept_code, x.{source_value}),
            coalesce(c.concept_name, s.concept_name)""")
    for person, vocabulary, code, name, day in rows:
        if not code:
            continue
        for key, label in concept_keys(vocabulary, code, name, hierarchy):
            put(f"{prefix}:{key}", f"{prefix}: {label}", person, 1.0, day)


def concept_keys(vocabulary: str, code: str, name: str | None, hierarchy: int) -> list[tuple[str, str]]:
    """``VOCABULARY:CODE`` of a concept and of the ``hierarchy`` nearest levels above it, with
    their labels. CIM-10 codes are keyed without their dot (E11.9 and E119 are one concept)."""
    code = code.strip()
    bare = code.replace(".", "") if vocabulary == "CIM10" else code
    found = terminology.concept(vocabulary, bare)
    out = [(f"{vocabulary}:{bare}", f"{name or (found.label if found else code)} ({code})")]
    for up_vocabulary, up_code in terminology.ancestors(vocabulary, bare)[:hierarchy]:
        above = terminology.concept(up_vocabulary, up_code)
        out.append((f"{up_vocabulary}:{up_code}", f"{above.label if above else up_code} ({up_code}, any)"))
    return out


def _measurements(store, put, left_out: dict) -> None:
    rows = store.query(f"""SELECT person_id, code, value, unit, day FROM (
            SELECT i.person_id, coalesce(c.concept_code, x.measurement_source_value) AS code, x.value_as_number AS value,
                x.unit_source_value AS unit, x.measurement_date AS day,
                row_number() OVER (PARTITION BY i.person_id, coalesce(c.concept_code, x.measurement_source_value)
                                   ORDER BY x.measurement_date DESC, x.measurement_id DESC) AS rank
            FROM {INDEX_TABLE} i JOIN measurement x ON x.person_id = i.person_id
            LEFT JOIN concept c ON c.concept_id = x.measurement_source_concept_id AND x.measurement_source_concept_id <> 0
            WHERE x.value_as_number IS NOT NULL AND {_window('x.measurement_date')}) latest
        WHERE rank = 1""")
    for person, code, value, unit, day in rows:
        if not code:
            continue
        quantity = units.LOINC.get(code)
        if quantity is None:
            key, label = f"measurement:{code} [{unit or 'no unit'}]", f"{_test_name(code)} ({unit or 'no unit'})"
        else:
            target = units.units_of(quantity)[0]
            try:
                value = units.convert(float(value), unit, target, quantity)
            except ValueError:
                left_out["measurement in a unit that cannot be converted"] = left_out.get("measurement in a unit that cannot be converted", 0) + 1
                continue
            key, label = f"measurement:{code}", f"{_test_name(code)} ({target})"
        put(key, f"latest {label}", person, float(value), day)


def _test_name(code: str) -> str:
    found = terminology.concept("LOINC", code)
    return f"{found.label} [{code}]" if found else code


def _mentions(store, qualified: str, put) -> None:
    status = """CASE WHEN x.term_exists = 'N' THEN 'negated' WHEN coalesce(x.term_modifiers, '') LIKE '%family%' THEN 'family'
                     WHEN coalesce(x.term_modifiers, '') LIKE '%hypothesis%' THEN 'hypothetical' ELSE 'affirmed' END"""
    rows = store.query(f"""SELECT i.person_id, x.code_vocabulary, x.code, min(x.normalized_term), {status} AS status, max(n.note_date)
        FROM {INDEX_TABLE} i JOIN note n ON n.person_id = i.person_id JOIN note_nlp x ON x.note_id = n.note_id
        WHERE x.code IS NOT NULL AND x.code_vocabulary IS NOT NULL AND x.label NOT IN ('context', 'date', 'measurement')
            AND {_window('n.note_date')}
        GROUP BY i.person_id, x.code_vocabulary, x.code, {status}""")
    for person, vocabulary, code, term, state, day in rows:
        if state != "affirmed" and qualified == "omit":
            continue
        prefix = "text" if state == "affirmed" else f"text-{state}"
        for key, label in concept_keys(vocabulary, code, term, 0):
            put(f"{prefix}:{key}", f"{'written' if state == 'affirmed' else state}: {label}", person, 1.0, day)
