"""Building cohorts on a small warehouse written row by row, where every expected patient can
be worked out by hand: windows (both ends included), counts, units converted, demographics at
the index date, the order of the attrition table."""

from __future__ import annotations

import datetime as dt

import pytest

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import read
from clinsearch.warehouse.store import open_store

D = dt.date


@pytest.fixture
def warehouse(data):
    with open_store(data) as store:
        store.upsert("person", [
            {"person_id": 1, "year_of_birth": 1950, "month_of_birth": 6, "day_of_birth": 15, "gender_concept_id": 8507},
            {"person_id": 2, "year_of_birth": 1980, "month_of_birth": 1, "day_of_birth": 1, "gender_concept_id": 8532},
            {"person_id": 3, "year_of_birth": 2000, "gender_concept_id": 8532},
            {"person_id": 4, "year_of_birth": 1960, "month_of_birth": 3, "day_of_birth": 1, "gender_source_value": "male"},
        ])
        store.upsert("condition_occurrence", [
            {"condition_occurrence_id": 1, "person_id": 1, "condition_start_date": D(2020, 1, 10), "condition_source_value": "I21.4"},
            {"condition_occurrence_id": 2, "person_id": 1, "condition_start_date": D(2022, 5, 1), "condition_source_value": "I21.9"},
            {"condition_occurrence_id": 3, "person_id": 2, "condition_start_date": D(2021, 3, 1), "condition_source_value": "I219"},
            {"condition_occurrence_id": 4, "person_id": 3, "condition_start_date": D(2021, 3, 1), "condition_source_value": "I10"},
            {"condition_occurrence_id": 5, "person_id": 4, "condition_start_date": D(2019, 1, 1), "condition_source_value": "I21"},
        ])
        store.upsert("measurement", [
            # total cholesterol in three units: 6.5 mmol/L = 2.51 g/L = 251 mg/dL
            {"measurement_id": 1, "person_id": 1, "measurement_date": D(2020, 1, 1), "measurement_source_value": "2093-3", "value_as_number": 6.5, "unit_source_value": "mmol/L"},
            {"measurement_id": 2, "person_id": 2, "measurement_date": D(2021, 2, 1), "measurement_source_value": "2093-3", "value_as_number": 2.51, "unit_source_value": "g/L"},
            {"measurement_id": 3, "person_id": 4, "measurement_date": D(2019, 1, 1), "measurement_source_value": "2093-3", "value_as_number": 150, "unit_source_value": "mg/dL"},
            {"measurement_id": 4, "person_id": 3, "measurement_date": D(2021, 3, 1), "measurement_source_value": "2093-3", "value_as_number": 900, "unit_source_value": "mg"},
        ])
        store.upsert("drug_exposure", [
            {"drug_exposure_id": 1, "person_id": 1, "drug_exposure_start_date": D(2020, 2, 9), "drug_source_value": "B01AC06"},
            {"drug_exposure_id": 2, "person_id": 2, "drug_exposure_start_date": D(2021, 4, 1), "drug_source_value": "B01AC06"},
            {"drug_exposure_id": 3, "person_id": 2, "drug_exposure_start_date": D(2021, 4, 2), "drug_source_value": "B01AC04"},
        ])
        store.upsert("visit_occurrence", [
            {"visit_occurrence_id": 1, "person_id": 1, "visit_start_date": D(2020, 1, 10), "visit_concept_id": 9203},
            {"visit_occurrence_id": 2, "person_id": 2, "visit_start_date": D(2021, 3, 1), "visit_concept_id": 9201},
            {"visit_occurrence_id": 3, "person_id": 3, "visit_start_date": D(2021, 3, 1), "visit_source_value": "Emergency"},
        ])
    return data


def run(data, definition: dict):
    with open_store(data, read_only=True) as store:
        return build(store, data, read({"as_of": "2024-06-15", **definition}))


def test_index_date_window_ends_are_included(warehouse):
    """Aspirin 30 days after the first infarction (person 1: day 30, kept) and the 31st (person 2: left out)."""
    cohort = run(warehouse, {"name": "x", "index": {"event": {"type": "condition", "codes": ["I21*"]}},
                             "inclusion": [{"type": "drug", "codes": ["B01AC06"], "window": {"from": 0, "to": 30}}]})
    assert cohort.members == [(1, D(2020, 1, 10))]
    assert [(s.where, s.remaining, s.removed) for s in cohort.attrition] == [("population", 4, 0), ("index", 3, 1), ("inclusion[1]", 1, 2)]


def test_last_occurrence_and_open_windows(warehouse):
    cohort = run(warehouse, {"name": "x", "index": {"event": {"type": "condition", "codes": ["I21*"]}, "occurrence": "last"},
                             "inclusion": [{"type": "drug", "codes": ["B01A*"], "window": {"to": 0}}]})
    assert cohort.members == [(1, D(2022, 5, 1))]  # aspirin before the last infarction; person 2's came after


def test_at_least_counts_events_in_the_window(warehouse):
    two = run(warehouse, {"name": "x", "inclusion": [{"type": "condition", "codes": ["I21*"], "at_least": 2}]})
    assert [p for p, _ in two.members] == [1]
    antiplatelets = run(warehouse, {"name": "x", "inclusion": [{"type": "drug", "codes": ["B01AC*"], "at_least": 2}]})
    assert [p for p, _ in antiplatelets.members] == [2]


def test_exact_codes_ignore_dots_and_prefixes_take_descendants(warehouse):
    exact = run(warehouse, {"name": "x", "inclusion": [{"type": "condition", "codes": ["I21.9"]}]})
    assert [p for p, _ in exact.members] == [1, 2]  # I21.9 and I219, not I21.4 alone nor I21
    everything = run(warehouse, {"name": "x", "inclusion": [{"type": "condition", "codes": ["I2*"]}]})
    assert [p for p, _ in everything.members] == [1, 2, 4]


@pytest.mark.parametrize("unit, threshold", [("mmol/L", 6.0), ("g/L", 2.32), ("mg/dL", 232)])
def test_measurements_are_compared_in_the_criterion_unit(warehouse, unit, threshold):
    """6.0 mmol/L = 2.32 g/L = 232 mg/dL: persons 1 (6.5 mmol/L) and 2 (2.51 g/L) are above, 4 (150 mg/dL) is not;
    person 3's value in 'mg' cannot be converted: left out, and said so."""
    cohort = run(warehouse, {"name": "x", "inclusion": [{"type": "measurement", "code": "2093-3", "min": threshold, "unit": unit}]})
    assert [p for p, _ in cohort.members] == [1, 2]
    assert any("1 measurements of 2093-3 in 'mg' left out" in w for w in cohort.warnings)


def test_measurement_ranges_and_presence(warehouse):
    low = run(warehouse, {"name": "x", "inclusion": [{"type": "measurement", "code": "2093-3", "max": 4.0, "unit": "mmol/L"}]})
    assert [p for p, _ in low.members] == [4]
    measured = run(warehouse, {"name": "x", "inclusion": [{"type": "measurement", "code": "2093-3"}]})
    assert [p for p, _ in measured.members] == [1, 2, 3, 4]


def test_demographics_use_the_age_at_the_index_date(warehouse):
    """Person 1 (born 15 June 1950) is 69 at his first infarction (10 Jan 2020), 74 on 15 June 2024."""
    at_index = run(warehouse, {"name": "x", "index": {"event": {"type": "condition", "codes": ["I21*"]}},
                               "inclusion": [{"type": "demographics", "age": {"max": 69}, "sex": "M"}]})
    assert [p for p, _ in at_index.members] == [1, 4]
    today = run(warehouse, {"name": "x", "inclusion": [{"type": "demographics", "age": {"min": 74}}]})
    assert [p for p, _ in today.members] == [1]
    birthday = run(warehouse, {"name": "x", "as_of": "2024-06-14", "inclusion": [{"type": "demographics", "age": {"min": 74}}]})
    assert birthday.members == []


def test_visits_by_kind_and_exclusions_in_order(warehouse):
    cohort = run(warehouse, {"name": "x", "inclusion": [{"type": "visit", "kind": "emergency"}],
                             "exclusion": [{"type": "condition", "codes": ["I10"]}, {"type": "demographics", "sex": "M"}]})
    assert cohort.members == []
    assert [(s.where, s.label, s.remaining) for s in cohort.attrition] == [
        ("population", "patients in the warehouse", 4), ("inclusion[1]", "emergency visit", 2),
        ("exclusion[1]", "not condition I10", 1), ("exclusion[2]", "not sex M", 0)]


def test_a_restricted_population(warehouse):
    cohort = build_restricted(warehouse, persons=(2, 3))
    assert cohort.attrition[0].label == "patients you may see" and cohort.attrition[0].remaining == 2
    assert [p for p, _ in cohort.members] == [2]


def build_restricted(data, persons):
    with open_store(data, read_only=True) as store:
        return build(store, data, read({"name": "x", "inclusion": [{"type": "condition", "codes": ["I21*"]}]}), persons=persons)


def test_building_leaves_nothing_behind(warehouse):
    with open_store(warehouse, read_only=True) as store:
        build(store, warehouse, read({"name": "x", "inclusion": [{"type": "condition", "codes": ["I21*"]}]}))
        assert not [t for t in store.query("SELECT table_name FROM information_schema.tables") if t[0].startswith("_cohort")]
