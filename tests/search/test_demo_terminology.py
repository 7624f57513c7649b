"""Concept-aware search on the demo hospital, judged by its ground truth and its coded drugs:
a concept finds the patients of everything below it, and no one else."""

from __future__ import annotations

import json

from clinsearch.search.engine import search
from tests.helpers import query


def documented(demo, *conditions: str) -> set[int]:
    truth = json.loads((demo / "demo-source" / "ground_truth.json").read_text(encoding="utf-8"))
    return {p["person_id"] for p in truth["patients"].values() if set(conditions) & set(p["documented"])}


def patients(demo, text: str) -> set[int]:
    result = search(demo, text, patients=True, limit=1000)
    return {p.person_id for p in result.patients}


def on_drugs(demo, like: str) -> set[int]:
    return {r[0] for r in query(demo, "SELECT DISTINCT person_id FROM drug_exposure WHERE regexp_matches(drug_source_value, ?)", ["^" + like + "$"])}


def test_diabete_finds_the_patients_with_type_1_or_type_2(demo):
    expected = documented(demo, "diabete_t1", "diabete_t2")
    assert documented(demo, "diabete_t1") and documented(demo, "diabete_t2")
    assert patients(demo, "diabète") == expected
    assert patients(demo, "DT2") == documented(demo, "diabete_t2")  # the narrower concept stays narrow


def test_cancer_du_poumon_finds_every_way_the_notes_name_it_and_cancer_du_sein_finds_none(demo):
    assert patients(demo, "cancer du poumon") == documented(demo, "cancer_poumon")
    assert patients(demo, "carcinome bronchique") == documented(demo, "cancer_poumon")
    assert patients(demo, "cancer du sein") == set()  # the demo has no breast cancer: nothing else comes along


def test_anticoagulant_finds_the_patients_on_apixaban_enoxaparin_or_rivaroxaban_and_not_on_aspirin_alone(demo):
    anticoagulated = on_drugs(demo, "B01A[ABEF].*")
    antiplatelet_only = on_drugs(demo, "B01AC.*") - anticoagulated
    assert anticoagulated and antiplatelet_only
    found = patients(demo, "anticoagulant")
    assert found == anticoagulated
    assert not found & antiplatelet_only
    assert patients(demo, "Eliquis") == on_drugs(demo, "B01AF02")
    assert patients(demo, "Lovenox") == on_drugs(demo, "B01AB05")
