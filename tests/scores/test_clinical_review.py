"""Every registered score checked against its source, one item at a time (issue 20, "scores must
be clinically right"): the points or weight of each item, the codes that make each item (and the
look-alikes that must not), the population the score applies to, the ages the model was validated
in, and the five answers a score gives (computed, stale, missing, not applicable, outside the
model's domain). The expected numbers are written here from the papers, not read from the data
files, so that an error in a data file fails a test.

Sources: Lip 2010 (Chest 137:263) and the 2020 ESC AF guidelines (Hindricks, Eur Heart J
2021;42:373) for CHA2DS2-VASc; Pisters 2010 (Chest 138:1093) for HAS-BLED; Charlson 1987
(J Chronic Dis 40:373) weights with Quan 2005 (Med Care 43:1130) ICD-10 codes; Inker 2021 (NEJM
385:1737) for CKD-EPI 2021; D'Agostino 2008 (Circulation 117:743) for Framingham; WHO TRS 894
for BMI; the SCORE2 papers for the SCORE2 family.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clinsearch.scores import formulas as f
from clinsearch.scores.model import STATUSES
from clinsearch.scores.patient import comorbidities, expand
from clinsearch.scores.registry import SCORES, compute, compute_for_patient
from clinsearch.warehouse.store import open_store
from tests.helpers import run_cli

AT = dt.date(2024, 6, 1)
D = dt.date

# -- calculator mode: every registered score ---------------------------------------------------------
# One complete set of inputs per registered score, with the value its source gives.
CHARLSON_NONE = {name: "0" for name in comorbidities()["charlson"]}
CALCULATOR = {
    "score2": ({"age": "50", "sex": "male", "smoker": "1", "sbp": "140", "total_chol": "6.3", "hdl": "1.4", "diabetes": "0"}, 6.31),  # SCORE2 worked example
    "score2-op": ({"age": "75", "sex": "female", "smoker": "1", "sbp": "140", "total_chol": "5.5", "hdl": "1.3", "diabetes": "0"}, 15.16),  # SCORE2-OP worked example
    "score2-diabetes": ({"age": "60", "sex": "male", "smoker": "0", "sbp": "140", "total_chol": "5.5", "hdl": "1.3", "diabetes": "1",
                         "age_at_diagnosis": "55", "hba1c": "50", "egfr": "90"}, None),
    "ckd-epi-2021": ({"age": "55", "sex": "male", "creatinine": "1.2"}, 71),  # NKF calculator
    "bmi": ({"weight": "70", "height": "175"}, 22.86),
    "framingham": ({"age": "61", "sex": "female", "total_chol": str(180 / 38.67), "hdl": str(47 / 38.67), "sbp": "124", "treated": "0", "smoker": "1",
                    "diabetes": "0"}, 10.48),  # D'Agostino 2008 worked example
    "cha2ds2-vasc": ({"age": "45", "sex": "male", "chf": "0", "hypertension": "1", "diabetes": "0", "stroke": "0", "vascular": "0"}, 1),
    "has-bled": ({"age": "70", "sbp": "150", "renal_abnormal": "0", "liver_abnormal": "0", "stroke_any": "0", "bleeding": "1", "labile_inr": "0",
                  "antiplatelet_nsaid": "1", "alcohol": "0"}, 3),
    "charlson": ({"age": "60", **CHARLSON_NONE, "chf": "1"}, 1),
}


def test_every_registered_score_has_a_calculator_example():
    assert set(CALCULATOR) == set(SCORES)


@pytest.mark.parametrize("name", sorted(SCORES))
def test_every_registered_score_works_in_calculator_mode_from_the_command_line(name):
    """The ESC region default goes only to the scores that take a region (issue 20: every score
    but the SCORE2 family failed with "unknown input(s) region")."""
    given, expected = CALCULATOR[name]
    result = run_cli("score", name, *[item for k, v in given.items() for item in ("--set", f"{k}={v}")], "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "computed" and body["value"] is not None
    if expected is not None:
        assert body["value"] == pytest.approx(expected, abs=0.5 if name == "ckd-epi-2021" else 0.01)
    assert ("region" in {i["name"] for i in body["inputs"]}) == name.startswith("score2")


def test_cha2ds2_vasc_in_calculator_mode_with_only_age_and_sex_lists_what_is_missing():
    result = run_cli("score", "cha2ds2-vasc", "--set", "age=45", "--set", "sex=male", "--json")
    assert result.exit_code == 1 and "unknown input" not in result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "missing" and {m["name"] for m in body["missing"]} == {"chf", "hypertension", "diabetes", "stroke", "vascular"}


# -- points of each item (calculator) -------------------------------------------------------------------
CHA_ZERO = {"age": "50", "sex": "male", "chf": "0", "hypertension": "0", "diabetes": "0", "stroke": "0", "vascular": "0"}


@pytest.mark.parametrize("item, change, points", [
    ("C congestive heart failure", {"chf": "1"}, 1), ("H hypertension", {"hypertension": "1"}, 1), ("A2 age 75", {"age": "75"}, 2),
    ("A2 age 90", {"age": "90"}, 2), ("D diabetes", {"diabetes": "1"}, 1), ("S2 stroke/TIA/thromboembolism", {"stroke": "1"}, 2),
    ("V vascular disease", {"vascular": "1"}, 1), ("A age 65", {"age": "65"}, 1), ("A age 74", {"age": "74"}, 1), ("A age 64", {"age": "64"}, 0),
    ("Sc female", {"sex": "female"}, 1),
], ids=lambda x: x if isinstance(x, str) else None)
def test_cha2ds2_vasc_points_of_each_item_lip_2010(item, change, points):
    assert compute("cha2ds2-vasc", {**CHA_ZERO, **change}).value == points


def test_cha2ds2_vasc_esc_2020_categories_men_and_women():
    """ESC 2020: OAC recommended from 2 (men) / 3 (women), to be considered at 1 / 2, not at 0 / 1."""
    assert compute("cha2ds2-vasc", {**CHA_ZERO, "sex": "female"}).category == "low"  # 1: the female point alone
    assert compute("cha2ds2-vasc", {**CHA_ZERO, "sex": "female", "hypertension": "1"}).category == "moderate"
    assert compute("cha2ds2-vasc", {**CHA_ZERO, "hypertension": "1", "diabetes": "1"}).category == "high"


HAS_ZERO = {"age": "60", "sbp": "130", "renal_abnormal": "0", "liver_abnormal": "0", "stroke_any": "0", "bleeding": "0", "labile_inr": "0",
            "antiplatelet_nsaid": "0", "alcohol": "0"}


@pytest.mark.parametrize("item, change", [
    ("H systolic above 160", {"sbp": "161"}), ("A renal", {"renal_abnormal": "1"}), ("A liver", {"liver_abnormal": "1"}), ("S stroke", {"stroke_any": "1"}),
    ("B bleeding", {"bleeding": "1"}), ("L labile INR", {"labile_inr": "1"}), ("E older than 65", {"age": "66"}), ("D drugs", {"antiplatelet_nsaid": "1"}),
    ("D alcohol", {"alcohol": "1"}),
], ids=lambda x: x if isinstance(x, str) else None)
def test_has_bled_one_point_for_each_item_pisters_2010(item, change):
    assert compute("has-bled", HAS_ZERO).value == 0
    assert compute("has-bled", {**HAS_ZERO, **change}).value == 1


# Charlson 1987, table 3: the weight of each condition.
CHARLSON_WEIGHTS = {"mi": 1, "chf": 1, "pvd": 1, "cerebrovascular": 1, "dementia": 1, "pulmonary": 1, "rheumatic": 1, "ulcer": 1, "liver_mild": 1,
                    "diabetes": 1, "diabetes_complicated": 2, "hemiplegia": 2, "renal": 2, "malignancy": 2, "liver_severe": 3, "metastatic": 6, "aids": 6}


@pytest.mark.parametrize("category, weight", sorted(CHARLSON_WEIGHTS.items()))
def test_charlson_weight_of_each_category_charlson_1987(category, weight):
    assert set(CHARLSON_WEIGHTS) == set(comorbidities()["charlson"])
    assert compute("charlson", {"age": "40", **CHARLSON_NONE, category: "1"}).value == weight


# -- codes that make each item, from a warehouse ------------------------------------------------------------
# (person, code, flag or Charlson category, expected): the representative ICD-10 codes of each
# item's definition, and the look-alikes that must not count.
FLAG_CODES = [
    ("chf", "I50.9", 1), ("chf", "I42.1", 1), ("chf", "I42.0", 1), ("chf", "I25.9", 0),
    ("hypertension", "I10", 1), ("hypertension", "I15.0", 1), ("hypertension", "I27.0", 0),  # pulmonary hypertension is not arterial hypertension
    ("diabetes", "E11.9", 1), ("diabetes", "E10.2", 1), ("diabetes", "O24.4", 0),
    ("stroke", "I63.9", 1), ("stroke", "I64", 1), ("stroke", "G45.9", 1), ("stroke", "I74.3", 1), ("stroke", "I69.3", 1),
    ("stroke", "I26.9", 0), ("stroke", "I80.2", 0), ("stroke", "I82.9", 0), ("stroke", "I81", 0),  # venous thromboembolism is not S2
    ("vascular", "I21.9", 1), ("vascular", "I25.2", 1), ("vascular", "I25.1", 1), ("vascular", "I70.2", 1), ("vascular", "I73.9", 1), ("vascular", "I48.0", 0),
]
CHARLSON_CODES = [
    ("mi", "I21.4"), ("chf", "I50.1"), ("pvd", "I71.4"), ("cerebrovascular", "I63.5"), ("dementia", "G30.1"), ("pulmonary", "J44.1"),
    ("rheumatic", "M05.3"), ("ulcer", "K25.7"), ("liver_mild", "K70.0"), ("diabetes", "E11.9"), ("diabetes_complicated", "E11.2"),
    ("hemiplegia", "G81.0"), ("renal", "N18.4"), ("malignancy", "C50.9"), ("liver_severe", "I85.0"), ("metastatic", "C78.7"), ("aids", "B20.0"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data = tmp_path_factory.mktemp("review") / "warehouse"
    persons, conditions, measurements, observations, notes, nlp, deaths = [], [], [], [], [], [], []

    def person(pid: int, born: dt.date, female: bool = False):
        persons.append({"person_id": pid, "year_of_birth": born.year, "month_of_birth": born.month, "day_of_birth": born.day,
                        "gender_concept_id": 8532 if female else 8507})

    def condition(pid: int, code: str, day: dt.date = D(2020, 1, 1)):
        conditions.append({"condition_occurrence_id": len(conditions) + 1, "person_id": pid, "condition_start_date": day, "condition_source_value": code})

    def measurement(pid: int, loinc: str, value: float, unit: str, day: dt.date):
        measurements.append({"measurement_id": len(measurements) + 1, "person_id": pid, "measurement_date": day, "measurement_source_value": loinc,
                             "value_as_number": value, "unit_source_value": unit})

    # 1: issue 20's man of 45 with AF, hypertension and an old pulmonary embolism (coded and in a note): 1 point, not 3
    person(1, D(1979, 1, 1))
    for code in ("I48.0", "I10", "I26.9", "I80.2"):
        condition(1, code, D(2015, 1, 1))
    notes.append({"note_id": 1, "person_id": 1, "note_date": D(2016, 1, 1), "note_text": "Antécédent d'EP et de TVP en 2015."})
    nlp.append({"note_nlp_id": 1, "note_id": 1, "start_char": 14, "end_char": 16, "label": "lexicon", "normalized_term": "ep", "term_exists": "Y", "snippet": "Antécédent d'EP"})
    nlp.append({"note_nlp_id": 2, "note_id": 1, "start_char": 23, "end_char": 26, "label": "lexicon", "normalized_term": "tvp", "term_exists": "Y", "snippet": "et de TVP"})
    # 2: the same without atrial fibrillation: CHA2DS2-VASc and HAS-BLED do not apply
    person(2, D(1979, 1, 1))
    for code in ("I10", "I26.9"):
        condition(2, code)
    # 3: AF known only from a note (affirmed): applicable
    person(3, D(1950, 6, 1), female=True)
    notes.append({"note_id": 3, "person_id": 3, "note_date": D(2023, 1, 1), "note_text": "FA paroxystique."})
    nlp.append({"note_nlp_id": 3, "note_id": 3, "start_char": 0, "end_char": 2, "label": "lexicon", "normalized_term": "fa", "term_exists": "Y", "snippet": "FA paroxystique"})
    # 4: a recorded BMI more recent than the weight; 5: a recorded BMI older than the weight
    person(4, D(1970, 1, 1))
    measurement(4, "29463-7", 80, "kg", D(2022, 1, 1))
    measurement(4, "8302-2", 170, "cm", D(2022, 1, 1))
    measurement(4, "39156-5", 31.2, "kg/m2", D(2024, 1, 1))
    person(5, D(1970, 1, 1))
    measurement(5, "39156-5", 31.2, "kg/m2", D(2020, 1, 1))
    measurement(5, "29463-7", 80, "kg", D(2024, 1, 1))
    measurement(5, "8302-2", 170, "cm", D(2024, 1, 1))
    # 6: type 2 diabetes with a creatinine (µmol/L) and no recorded eGFR; 7: a recorded eGFR more recent than the creatinine
    for pid in (6, 7):
        person(pid, D(1964, 3, 1))
        condition(pid, "E11.9", D(2014, 5, 1))
        for loinc, value, unit in (("2093-3", 5.5, "mmol/L"), ("2085-9", 1.3, "mmol/L"), ("8480-6", 140, "mmHg"), ("4548-4", 7.0, "%")):
            measurement(pid, loinc, value, unit, D(2024, 1, 10))
        measurement(pid, "2160-0", 97.2, "µmol/L", D(2024, 1, 10))
        observations.append({"observation_id": pid, "person_id": pid, "observation_date": D(2024, 1, 10), "observation_source_value": "72166-2",
                             "value_as_string": "Never smoker", "value_source_value": "266919005"})
    measurement(7, "62238-1", 55, "mL/min/1.73m2", D(2024, 3, 1))
    # 8: died in 2023; 9: 80 years old; 10: 16 years old
    person(8, D(1950, 1, 1))
    condition(8, "I48.0")
    deaths.append({"person_id": 8, "death_date": D(2023, 5, 1)})
    person(9, D(1944, 1, 1))
    person(10, D(2008, 1, 1))
    measurement(10, "2160-0", 0.8, "mg/dL", D(2024, 1, 1))
    # 100+: one per code, each with atrial fibrillation, a man of 50 (CHA2DS2-VASc 0 but for the item)
    for offset, (_, code, _) in enumerate(FLAG_CODES):
        person(100 + offset, D(1974, 1, 1))
        condition(100 + offset, "I48.9")
        condition(100 + offset, code)
    for offset, (_, code) in enumerate(CHARLSON_CODES):
        person(200 + offset, D(1974, 1, 1))
        condition(200 + offset, code)
    with open_store(data) as store:
        for table_name, rows in (("person", persons), ("condition_occurrence", conditions), ("measurement", measurements), ("observation", observations), ("note", notes),
                                 ("note_nlp", nlp), ("death", deaths)):
            store.upsert(table_name, rows)
    return data


def patient(data, name: str, person_id: int):
    with open_store(data, read_only=True) as store:
        return compute_for_patient(store, name, person_id, at=AT)


def item(result, name: str):
    return next(i for i in result.inputs if i.name == name)


def test_an_old_pulmonary_embolism_is_not_the_stroke_item_of_cha2ds2_vasc(warehouse):
    """Issue 20: a man of 45 with hypertension and an old pulmonary embolism scored 3, "high"."""
    result = patient(warehouse, "cha2ds2-vasc", 1)
    assert result.value == 1 and result.category == "moderate"
    assert item(result, "stroke").value == 0 and item(result, "hypertension").value == 1
    assert item(result, "atrial_fibrillation").value == 1 and "I48.0" in item(result, "atrial_fibrillation").source


def test_the_stroke_item_names_no_venous_thromboembolism_code_or_concept():
    spec = comorbidities()["flags"]["stroke"]
    venous = ("I26", "I80", "I81", "I82", "Z867")
    assert not [code for code in expand(spec["conditions"]) if code.startswith(venous)]
    assert not set(spec["lexicon"]) & {"ep", "tvp", "mtev"}


@pytest.mark.parametrize("flag, code, expected", FLAG_CODES, ids=[f"{flag}-{code}" for flag, code, _ in FLAG_CODES])
def test_cha2ds2_vasc_item_codes(warehouse, flag, code, expected):
    offset = FLAG_CODES.index((flag, code, expected))
    result = patient(warehouse, "cha2ds2-vasc", 100 + offset)
    assert item(result, flag).value == expected
    assert result.value == expected * (2 if flag == "stroke" else 1)


@pytest.mark.parametrize("category, code", CHARLSON_CODES, ids=[c for c, _ in CHARLSON_CODES])
def test_charlson_category_codes_quan_2005(warehouse, category, code):
    result = patient(warehouse, "charlson", 200 + CHARLSON_CODES.index((category, code)))
    assert [i.name for i in result.inputs if i.name != "age" and i.value] == [category]
    assert result.value == CHARLSON_WEIGHTS[category]


def test_cha2ds2_vasc_and_has_bled_are_not_applicable_without_atrial_fibrillation(warehouse):
    for name in ("cha2ds2-vasc", "has-bled"):
        result = patient(warehouse, name, 2)
        assert result.value is None and result.status == "not_applicable" and result.missing == []
        assert "atrial fibrillation or flutter" in result.refusals[0]["reason"] and "I48" in result.refusals[0]["reason"]
    from_a_note = patient(warehouse, "cha2ds2-vasc", 3)
    assert item(from_a_note, "atrial_fibrillation").source.startswith("note 3")
    assert from_a_note.value == 2 and from_a_note.status == "computed"  # 74 years old (A 1), a woman (Sc 1)
    assert patient(warehouse, "charlson", 2).status == "computed"  # a score without a required condition applies to everyone


def test_a_recorded_bmi_is_used_when_at_least_as_recent_as_the_weight(warehouse):
    recorded = patient(warehouse, "bmi", 4)
    assert recorded.value == pytest.approx(31.2) and [i.name for i in recorded.inputs] == ["bmi"] and "39156-5" in recorded.inputs[0].source
    assert recorded.missing == [] and recorded.category == "obesity class I"
    computed = patient(warehouse, "bmi", 5)
    assert {i.name for i in computed.inputs} == {"weight", "height"} and computed.value == pytest.approx(80 / 1.7 ** 2)


def test_score2_diabetes_uses_an_egfr_computed_with_ckd_epi_when_none_is_recorded(warehouse):
    """Issue 20: SCORE2-Diabetes said "missing egfr" beside the CKD-EPI eGFR of the same panel."""
    result = patient(warehouse, "score2-diabetes", 6)
    egfr = item(result, "egfr")
    assert result.computed and result.status == "computed"
    assert egfr.value == pytest.approx(f.ckd_epi_2021(97.2 / 88.42, 59, "male"), abs=0.1)  # 59 at the creatinine's date
    assert egfr.source.startswith("CKD-EPI 2021 computed from measurement") and "97.2 µmol/L" in egfr.source
    assert egfr.value == pytest.approx(patient(warehouse, "ckd-epi-2021", 6).value, abs=0.5)  # the patient page's own eGFR (age at the date)
    recorded = item(patient(warehouse, "score2-diabetes", 7), "egfr")
    assert recorded.value == 55 and "62238-1" in recorded.source


def test_score2_diabetes_needs_the_age_at_diagnosis_with_diabetes():
    """The age at diagnosis is a term of the model for people with diabetes: never assumed."""
    given = dict(CALCULATOR["score2-diabetes"][0])
    del given["age_at_diagnosis"]
    result = compute("score2-diabetes", given)
    assert result.status == "missing" and [m["name"] for m in result.missing] == ["age_at_diagnosis"]
    assert compute("score2-diabetes", {**given, "diabetes": "0"}).computed  # without diabetes the term is 0


def test_the_four_answers_without_a_value_are_distinct(warehouse):
    """Missing, stale, not applicable and outside the model's domain are four answers."""
    assert STATUSES == ("computed", "stale", "missing", "not_applicable", "out_of_domain")
    assert patient(warehouse, "score2", 4).status == "missing"
    assert patient(warehouse, "framingham", 9).status == "out_of_domain"
    assert "outside the validated age range 30-74" in patient(warehouse, "framingham", 9).refusals[0]["reason"]
    assert patient(warehouse, "cha2ds2-vasc", 8).status == "not_applicable"  # died in 2023
    with open_store(warehouse, read_only=True) as store:
        stale = compute_for_patient(store, "bmi", 5, at=AT, max_age_days=30)
    assert stale.status == "stale" and stale.computed
    child = patient(warehouse, "ckd-epi-2021", 10)
    assert child.status == "out_of_domain" and "18 and over" in child.refusals[0]["reason"]


def test_the_score_json_says_the_status(warehouse):
    result = run_cli("--data", warehouse, "score", "cha2ds2-vasc", "--patient", "2", "--at", "2024-06-01", "--json")
    assert result.exit_code == 1 and "not applicable" in result.stderr
    assert json.loads(result.stdout)["status"] == "not_applicable"
    result = run_cli("--data", warehouse, "score", "framingham", "--patient", "9", "--at", "2024-06-01")
    assert result.exit_code == 1 and "outside the validated age range 30-74" in result.stdout.replace("\n", " ")
