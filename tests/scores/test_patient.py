"""Scores of patients from the warehouse: the right value, its trail, stale and missing inputs,
units converted; and end to end from real FHIR (Synthea, tests/data/synthea_fhir_r4_smart)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clinsearch.scores.patient import last_record_date
from clinsearch.scores.registry import compute, compute_for_patient
from clinsearch.scores.units import convert
from clinsearch.warehouse.store import open_store
from tests.helpers import DATA, load, run_cli

AT = dt.date(2024, 6, 1)

PERSON = """person_id,year_of_birth,month_of_birth,day_of_birth,gender_concept_id,gender_source_value
1,1970,3,1,8507,M
2,1965,1,1,8532,F
3,1960,1,1,8507,M
4,1962,6,15,8532,F
"""
# Person 1: an old and a recent cholesterol (the recent one counts), HDL in g/L, an old SBP.
# Person 2: cholesterol in a unit nobody can convert. Person 3: no smoking status.
# Person 4: everything, and type 2 diabetes coded since 2015.
MEASUREMENT = """measurement_id,person_id,measurement_date,measurement_source_value,value_as_number,unit_source_value
11,1,2015-01-01,2093-3,300,mg/dL
12,1,2023-05-01,2093-3,5.2,mmol/L
13,1,2023-05-01,2085-9,0.5,g/L
14,1,2012-01-01,8480-6,150,mm[Hg]
15,1,2025-01-01,2093-3,9.9,mmol/L
21,2,2023-01-01,2093-3,5.0,mg%
22,2,2023-01-01,2085-9,1.2,mmol/L
23,2,2023-01-01,8480-6,130,mmHg
31,3,2023-01-01,2093-3,200,mg/dL
32,3,2023-01-01,2085-9,50,mg/dL
33,3,2023-01-01,8480-6,135,mmHg
41,4,2024-01-10,2093-3,5.5,mmol/L
42,4,2024-01-10,2085-9,1.3,mmol/L
43,4,2024-01-10,8480-6,140,mmHg
"""
OBSERVATION = """observation_id,person_id,observation_date,observation_source_value,value_as_string,value_source_value
101,1,2020-01-01,72166-2,Non-fumeur,never
102,1,2023-05-01,72166-2,Fumeur actif,current
201,2,2023-01-01,72166-2,Ancien fumeur,former
401,4,2024-01-10,72166-2,Never smoker,266919005
"""
CONDITION = """condition_occurrence_id,person_id,condition_start_date,condition_source_value
501,4,2015-03-01,E11.9
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("scores")
    folder = root / "omop"
    folder.mkdir()
    for name, text in (("person", PERSON), ("measurement", MEASUREMENT), ("observation", OBSERVATION), ("condition_occurrence", CONDITION)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    data = root / "warehouse"
    assert load(data, folder).ok
    return data


def score(data, person_id, name="score2", **options):
    with open_store(data, read_only=True) as store:
        return compute_for_patient(store, name, person_id, at=AT, **options)


def inputs(result) -> dict:
    return {i.name: i for i in result.inputs}


def test_the_most_recent_value_before_the_date_is_used_with_its_source(warehouse):
    result = score(warehouse, 1)
    found = inputs(result)
    assert found["total_chol"].value == 5.2 and found["total_chol"].date == dt.date(2023, 5, 1)  # not 2015's, not 2025's
    assert found["total_chol"].source.startswith("measurement 12 (LOINC 2093-3")
    assert found["smoker"].value == 1 and "observation 102" in found["smoker"].source  # the later status
    assert found["age"].value == 54 and found["sex"].value == "male"
    assert found["diabetes"].value == 0 and "no diabetes" in found["diabetes"].source
    assert result.computed


def test_units_are_converted_and_said(warehouse):
    hdl = inputs(score(warehouse, 1))["hdl"]
    assert hdl.unit == "mmol/L" and hdl.value == pytest.approx(50 / 38.67, abs=1e-3)  # 0.5 g/L = 50 mg/dL
    assert "0.5 g/L" in hdl.source
    chol = inputs(score(warehouse, 3))["total_chol"]
    assert chol.value == pytest.approx(200 / 38.67, abs=1e-3)
    assert convert("creatinine", 88.42, "µmol/L") == pytest.approx(1.0) and convert("creatinine", 10, "mg/L") == pytest.approx(1.0)
    assert convert("hba1c", 6.5, "%") == pytest.approx(47.5, abs=0.1)  # IFCC: 48 mmol/mol for 6.5 %


def test_a_stale_input_is_used_and_flagged(warehouse):
    result = score(warehouse, 1)
    assert result.computed and any(s.startswith("sbp: from 2012-01-01") for s in result.stale)
    assert not score(warehouse, 1, max_age_days=20 * 365).stale


def test_an_unconvertible_unit_or_a_missing_input_stops_the_score(warehouse):
    result = score(warehouse, 2)
    assert not result.computed
    assert result.missing[0]["name"] == "total_chol" and "mg%" in result.missing[0]["reason"]
    result = score(warehouse, 3)
    assert not result.computed and [m["name"] for m in result.missing] == ["smoker"]


def test_coded_diabetes_feeds_score2_and_score2_diabetes_asks_for_hba1c(warehouse):
    result = score(warehouse, 4)
    assert inputs(result)["diabetes"].value == 1 and "condition_occurrence 501 (E11.9)" in inputs(result)["diabetes"].source
    expected = compute("score2", {"age": "61", "sex": "female", "smoker": "0", "sbp": "140", "total_chol": "5.5", "hdl": "1.3", "diabetes": "1"}).value
    assert result.value == pytest.approx(expected)
    diabetes = score(warehouse, 4, name="score2-diabetes")
    assert not diabetes.computed and {m["name"] for m in diabetes.missing} == {"hba1c", "egfr"}
    assert inputs(diabetes)["age_at_diagnosis"].value == 52


def test_the_score_command_for_a_patient(warehouse):
    result = run_cli("--data", warehouse, "score", "score2", "--patient", "1", "--at", "2024-06-01", "--json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["person_id"] == 1 and body["inputs"][0] == {"name": "age", "value": 54, "unit": "years", "date": "2024-06-01", "source": "person 1: born 1970-03-01"}
    result = run_cli("--data", warehouse, "score", "score2", "--patient", "3", "--at", "2024-06-01")
    assert result.exit_code == 1 and "smoker" in result.stderr
    assert run_cli("--data", warehouse, "score", "score2", "--patient", "999").exit_code == 1


def test_every_synthea_adult_with_a_lipid_panel_gets_score2_or_score2_op(tmp_path):
    """tests/data/synthea_fhir_r4_smart: 36 adults aged 40-89 (at their last record) with
    cholesterol, HDL and blood pressure in mg/dL and panel components, smoking status as an
    observation; 6 deceased patients; 8 under 40. Every one of the 36 gets a score with its
    trail; every other patient a reason."""
    data = tmp_path / "warehouse"
    assert load(data, *sorted((DATA / "synthea_fhir_r4_smart").glob("*.json.gz"))).ok
    outcomes = {}
    with open_store(data, read_only=True) as store:
        for (person_id,) in store.query("SELECT person_id FROM person"):
            result = compute_for_patient(store, "score2", person_id, at=last_record_date(store, person_id))
            outcomes[person_id] = result
    computed = [r for r in outcomes.values() if r.computed]
    assert len(computed) == 36
    assert {r.model for r in computed} == {"SCORE2", "SCORE2-OP"}
    for result in computed:
        sources = {i.name: i.source for i in result.inputs}
        assert sources["total_chol"].startswith("measurement") and "mg/dL" in sources["total_chol"]
        assert sources["sbp"].startswith("measurement") and sources["smoker"].startswith("observation")
        assert 0 < result.value < 100
    reasons = [r.reasons[0]["name"] for r in outcomes.values() if not r.computed]
    assert len(reasons) == 14 and set(reasons) <= {"alive", "age", "total_chol", "hdl", "sbp", "smoker"}
    assert reasons.count("alive") >= 5
    assert {r.status for r in outcomes.values() if r.reasons and r.reasons[0]["name"] == "alive"} == {"not_applicable"}
