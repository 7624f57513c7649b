"""Which value of a measurement a criterion means (``value_of``: the latest before the index date
by default, the first, the lowest, the highest, or any), strict and inclusive bounds, and the
index date of a deceased patient when there is no index event (their death, not today)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import DefinitionError, read
from clinsearch.warehouse.store import open_store

D = dt.date
# HbA1c (4548-4, %): person 1 was at 8 then got to 6.5; person 2 was at 6.5 then 7 (7 exactly);
# person 3 had 6.0, and 9 after their index date (the diabetes of 2023-01-01, below).
VALUES = [(1, D(2020, 1, 1), 8.0), (1, D(2022, 1, 1), 6.5), (2, D(2020, 1, 1), 6.5), (2, D(2022, 1, 1), 7.0),
          (3, D(2019, 1, 1), 6.0), (3, D(2023, 6, 1), 9.0)]


@pytest.fixture
def warehouse(data):
    with open_store(data) as store:
        store.upsert("person", [{"person_id": p, "year_of_birth": 1950, "month_of_birth": 1, "day_of_birth": 1} for p in (1, 2, 3, 4)])
        store.upsert("measurement", [{"measurement_id": i, "person_id": p, "measurement_date": day, "measurement_source_value": "4548-4",
                                      "value_as_number": value, "unit_source_value": "%"} for i, (p, day, value) in enumerate(VALUES, start=1)])
        store.upsert("condition_occurrence", [{"condition_occurrence_id": p, "person_id": p, "condition_start_date": D(2023, 1, 1),
                                               "condition_source_value": "E11.9"} for p in (1, 2, 3)])
        store.upsert("death", [{"person_id": 4, "death_date": D(2010, 1, 1)}])
    return data


def patients(data, definition: dict) -> list[int]:
    with open_store(data, read_only=True) as store:
        return [p for p, _ in build(store, data, read({"name": "x", "as_of": "2024-06-15", **definition})).members]


def hba1c(**bounds) -> dict:
    return {"type": "measurement", "code": "4548-4", "unit": "%", **bounds}


@pytest.mark.parametrize("criterion, expected", [
    (hba1c(min=7), [2, 3]),  # the latest values: 6.5 (person 1, once at 8), 7 and 9
    (hba1c(min=7, value_of="any"), [1, 2, 3]),  # any value ever: what "min" meant before value_of
    (hba1c(min=7, value_of="first"), [1]),
    (hba1c(min=7, value_of="max"), [1, 2, 3]),
    (hba1c(max=6.5, value_of="min"), [1, 2, 3]),
    (hba1c(above=7), [3]),  # strictly above: person 2's 7 is not
    (hba1c(above=6.9, below=7.1), [2]),
    (hba1c(below=6.5), []),  # latest values 6.5, 7, 9: none strictly below 6.5
])
def test_the_bounds_apply_to_the_value_the_criterion_names(warehouse, criterion, expected):
    assert patients(warehouse, {"inclusion": [criterion]}) == expected


def test_with_an_index_event_the_latest_value_is_the_one_before_the_index_date(warehouse):
    """Indexed at their diabetes (2023-01-01): person 3's latest value before it is 6.0, not the 9 of June 2023."""
    index = {"event": {"type": "condition", "codes": ["E11*"]}}
    assert patients(warehouse, {"index": index, "inclusion": [hba1c(min=7)]}) == [2]
    assert patients(warehouse, {"index": index, "inclusion": [hba1c(min=7, window={"from": 0})]}) == [3]


def test_one_value_cannot_be_counted_several_times_and_bounds_are_not_both_strict_and_inclusive():
    with pytest.raises(DefinitionError, match="at_least counts values"):
        read({"name": "x", "inclusion": [hba1c(min=7, value_of="latest", at_least=2)]})
    with pytest.raises(DefinitionError, match="give min .included. or above .excluded., not both"):
        read({"name": "x", "inclusion": [hba1c(min=7, above=7)]})
    with pytest.raises(DefinitionError, match="impossible range: above 7 is not below max 7"):
        read({"name": "x", "inclusion": [hba1c(above=7, max=7)]})
    assert read({"name": "x", "inclusion": [hba1c(min=7, at_least=2)]}).inclusion[0].at_least == 2  # counted: any value, as before


def test_without_an_index_event_a_deceased_patient_is_indexed_at_their_death(warehouse):
    """Person 4 (born 1950, died 2010) is 60 at their death, not 74 on as_of (2024-06-15); the result says so."""
    with open_store(warehouse, read_only=True) as store:
        cohort = build(store, warehouse, read({"name": "x", "as_of": "2024-06-15", "inclusion": [{"type": "demographics", "age": {"max": 70}}]}))
    assert cohort.members == [(4, D(2010, 1, 1))]
    out = cohort.as_dict()
    assert out["patients"] == [{"person_id": 4, "index_date": "2010-01-01", "indexed_at": "death"}]
    assert out["index_dates"] == {"as_of": "2024-06-15", "at_death": 1, "at_last_record": 0}
