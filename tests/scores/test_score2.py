"""SCORE2, SCORE2-OP and SCORE2-Diabetes against values nobody here computed.

``tests/data/score2/`` (see its SOURCE_README.md) holds the papers' worked examples (SCORE2
supplementary methods table 4; SCORE2-OP paper; SCORE2-Diabetes structured graphical abstract),
values checked against the ESC's calculator (heartscore.org) and mdcalc.com, as recorded in the
tests of two independent open-source implementations (dvicencio/RiskScorescvd and
DGruen89/estimateCVRisk).
"""

from __future__ import annotations

import csv
import json

import pytest

from clinsearch.scores import score2 as s2
from clinsearch.scores.model import ScoreInputError
from clinsearch.scores.registry import compute
from tests.helpers import DATA, run_cli

CASES = list(csv.DictReader((DATA / "score2" / "reference_cases.csv").read_text(encoding="utf-8").splitlines()))
DIABETES_CASES = list(csv.DictReader((DATA / "score2" / "score2_diabetes_reference_cases.csv").read_text(encoding="utf-8").splitlines()))


def risk_inputs(row: dict) -> dict:
    return {
        "age": float(row["age"]), "sex": row["sex"], "smoker": int(row["current_smoker"]), "sbp": float(row["sbp_mmhg"]),
        "total_chol": float(row["total_chol_mmol_l"]), "hdl": float(row["hdl_mmol_l"]), "diabetes": int(row["diabetes"]), "region": row["region"],
    }


@pytest.mark.parametrize("row", CASES, ids=[r["case_id"] for r in CASES])
def test_score2_and_score2_op_reproduce_the_published_values(row):
    function = s2.score2 if row["model"] == "SCORE2" else s2.score2_op
    assert round(function(**risk_inputs(row)), int(row["expected_decimals"])) == pytest.approx(float(row["expected_risk_pct"]))


@pytest.mark.parametrize("row", DIABETES_CASES, ids=[r["case_id"] for r in DIABETES_CASES])
def test_score2_diabetes_reproduces_the_published_values(row):
    value = s2.score2_diabetes(
        **risk_inputs(row), age_at_diagnosis=float(row["age_at_diabetes_diagnosis"] or 0),
        hba1c=float(row["hba1c_mmol_mol"]), egfr=float(row["egfr_ml_min_1_73m2"]),
    )
    assert value == pytest.approx(float(row["expected_risk_pct"]), abs=0.05)


def test_esc_2021_categories_depend_on_age():
    # Visseren et al. 2021, table 4: < 50 years high from 2.5 %, 50-69 from 5 %, >= 70 from 7.5 %
    assert s2.category_2021(3.0, 45) == "high" and s2.category_2021(3.0, 55) == "low to moderate"
    assert s2.category_2021(10.0, 60) == "very high" and s2.category_2021(10.0, 75) == "high"
    assert s2.category_diabetes(4.9) == "low" and s2.category_diabetes(25) == "very high"


WORKED_EXAMPLE = {"age": "50", "sex": "male", "smoker": "1", "sbp": "140", "total_chol": "6.3", "hdl": "1.4", "diabetes": "0"}


def test_calculator_mode_gives_value_category_inputs_and_reference():
    result = compute("score2", WORKED_EXAMPLE)
    assert result.model == "SCORE2" and round(result.value, 2) == 6.31 and result.category == "high"
    body = result.as_dict()
    assert {i["name"] for i in body["inputs"]} == {"age", "sex", "smoker", "sbp", "total_chol", "hdl", "diabetes", "region"}
    assert body["unit"] == "%" and "Eur Heart J 2021" in body["reference"] and body["missing"] == []


def test_score2_switches_to_score2_op_at_70_and_says_so():
    result = compute("score2", {**WORKED_EXAMPLE, "age": "75", "sex": "female", "total_chol": "5.5", "hdl": "1.3"})
    assert result.model == "SCORE2-OP" and round(result.value, 2) == 15.16
    assert any("SCORE2-OP" in note for note in result.notes)
    assert compute("score2-op", {**WORKED_EXAMPLE, "age": "75", "sex": "female", "total_chol": "5.5", "hdl": "1.3"}).value == result.value


def test_outside_the_validity_domain_nothing_is_computed():
    for name, age in (("score2", "35"), ("score2", "92"), ("score2-op", "65"), ("score2-diabetes", "72")):
        given = {**WORKED_EXAMPLE, "age": age}
        if name == "score2-diabetes":
            given.update(diabetes="1", age_at_diagnosis="60", hba1c="50", egfr="90")
        result = compute(name, given)
        assert result.value is None and result.status == "out_of_domain" and result.refusals[0]["name"] == "age" and age in result.refusals[0]["reason"]


def test_missing_inputs_are_listed_never_defaulted():
    result = compute("score2", {"age": "55", "sex": "male", "sbp": "140"})
    assert result.value is None
    assert {m["name"] for m in result.missing} == {"smoker", "total_chol", "hdl", "diabetes"}


@pytest.mark.parametrize(
    "given, message",
    [({"age": "abc"}, "age must be a number"), ({"sex": "x"}, "sex must be male or female"), ({"smoker": "2"}, "smoker must be 0 or 1"),
     ({"sbp": "1400"}, "outside the plausible range"), ({"region": "mars"}, "region must be one of"), ({"weight": "80"}, "unknown input")],
)
def test_bad_inputs_are_refused_with_the_reason(given, message):
    with pytest.raises(ScoreInputError, match=message):
        compute("score2", {**WORKED_EXAMPLE, **given})


def test_the_score_command_in_calculator_mode():
    args = [item for key, value in WORKED_EXAMPLE.items() for item in ("--set", f"{key}={value}")]
    result = run_cli("score", "score2", *args, "--json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["value"] == 6.31 and body["category"] == "high" and body["score"] == "score2"
    moderate = json.loads(run_cli("score", "score2", *args, "--region", "moderate", "--json").stdout)
    assert round(moderate["value"], 1) == 8.1  # the worked example in a moderate-risk region
    assert run_cli("score", "score2", "--set", "age=50").exit_code == 1  # not computed: inputs missing
    assert run_cli("score", "nonsense", "--set", "age=50").exit_code == 2
    assert run_cli("score", "score2").exit_code == 2  # neither --patient nor --set
