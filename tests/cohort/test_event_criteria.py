"""Imaging and visit criteria on a small warehouse: an imaging description is matched word by word
whatever the case and accents, folded as search folds text (``clinsearch.text.fold``); a visit
criterion counts the standard visit concepts of its kind (``clinsearch.warehouse.concepts``)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import read
from clinsearch.warehouse.store import open_store

DAY = dt.date(2021, 3, 1)
DESCRIPTIONS = {1: "Échographie CARDIAQUE", 2: "Röntgen Fußgelenk rechts", 3: "RÖNTGEN FUSSGELENK LINKS", 4: "Scanner thoracique 100%_dose"}
# OMOP visit concepts (OHDSI Athena): 9201 inpatient, 9202 outpatient, 9203 emergency room, 262 emergency room and inpatient
VISITS = {1: 9201, 2: 9202, 3: 9203, 4: 262}


@pytest.fixture
def warehouse(data):
    with open_store(data) as store:
        store.upsert("person", [{"person_id": p, "year_of_birth": 1960} for p in DESCRIPTIONS])
        store.upsert("image_occurrence", [{"image_occurrence_id": p, "person_id": p, "image_occurrence_date": DAY, "image_study_description": text}
                                          for p, text in DESCRIPTIONS.items()])
        store.upsert("visit_occurrence", [{"visit_occurrence_id": p, "person_id": p, "visit_start_date": DAY, "visit_concept_id": concept}
                                          for p, concept in VISITS.items()])
    return data


def patients(data, criterion: dict) -> list[int]:
    with open_store(data, read_only=True) as store:
        return [p for p, _ in build(store, data, read({"name": "x", "as_of": "2024-06-15", "inclusion": [criterion]})).members]


@pytest.mark.parametrize("description, expected", [
    ("echographie cardiaque", [1]),
    ("CARDIAQUE échographie", [1]),  # every word, in any order
    ("Fußgelenk", [2, 3]),  # ß folds to ss on both sides
    ("fussgelenk rechts", [2]),
    ("100%_dose", [4]),  # LIKE wildcards in a word are literal
    ("100", [4]),
    ("%", [4]),
    ("thorax", []),
])
def test_an_imaging_description_matches_whatever_the_case_and_accents(warehouse, description, expected):
    assert patients(warehouse, {"type": "imaging", "description": description}) == expected


@pytest.mark.parametrize("kind, expected", [("inpatient", [1, 4]), ("outpatient", [2]), ("emergency", [3, 4])])
def test_an_emergency_visit_ending_in_admission_counts_as_both_kinds(warehouse, kind, expected):
    assert patients(warehouse, {"type": "visit", "kind": kind}) == expected
