"""CHA2DS2-VASc, HAS-BLED, CKD-EPI 2021, Charlson, BMI and Framingham: published reference values
in calculator mode, and from a small warehouse with their trail (codes, drugs, notes,
measurements in other units)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinsearch.scores.registry import SCORES, compute, compute_for_patient
from clinsearch.warehouse.store import open_store

AT = dt.date(2024, 6, 1)
NO_CHARLSON = {name: "0" for name in ("mi", "chf", "pvd", "cerebrovascular", "dementia", "pulmonary", "rheumatic", "ulcer", "liver_mild", "diabetes",
                                      "diabetes_complicated", "hemiplegia", "renal", "malignancy", "liver_severe", "metastatic", "aids")}


def value(name: str, **given) -> float:
    result = compute(name, {k: str(v) for k, v in given.items()})
    assert result.computed, result.missing
    return result.value


# -- published reference values ---------------------------------------------------------------------
def test_framingham_reproduces_dagostino_2008_worked_example():
    """D'Agostino et al., Circulation 2008;117:743-753, worked example of the lipid model: a woman
    of 61, total cholesterol 180 mg/dL, HDL 47 mg/dL, untreated systolic 124 mmHg, smoker, not
    diabetic: 10-year risk 10.48 %."""
    risk = value("framingham", age=61, sex="female", total_chol=180 / 38.67, hdl=47 / 38.67, sbp=124, treated=0, smoker=1, diabetes=0)
    assert round(risk, 2) == 10.48


def test_framingham_matches_the_cvrisk_r_package_example():
    """CVrisk (R package, ascvd_10y_frs, its documentation's example): man of 55, HDL 50, total
    cholesterol 213, systolic 140 untreated, non-smoker, not diabetic: 13.53 %."""
    risk = value("framingham", age=55, sex="male", total_chol=213 / 38.67, hdl=50 / 38.67, sbp=140, treated=0, smoker=0, diabetes=0)
    assert round(risk, 2) == 13.53


def test_framingham_is_refused_outside_30_to_74_as_out_of_domain_not_missing():
    result = compute("framingham", {"age": "80", "sex": "male", "total_chol": "5", "hdl": "1.2", "sbp": "130", "treated": "0", "smoker": "0", "diabetes": "0"})
    assert not result.computed and result.status == "out_of_domain" and result.missing == []
    assert "outside the validated age range 30-74" in result.refusals[0]["reason"]
    # the domain answer comes first: with the cholesterol unknown as well, it is still out of domain
    assert compute("framingham", {"age": "80", "sex": "male"}).status == "out_of_domain"


def test_ckd_epi_2021_matches_the_nkf_calculator():
    """The National Kidney Foundation's CKD-EPI 2021 calculator (kidney.org): a man of 55 with a
    creatinine of 1.2 mg/dL has an eGFR of 71 mL/min/1.73 m² (stage G2)."""
    result = compute("ckd-epi-2021", {"age": "55", "sex": "male", "creatinine": "1.2"})
    assert round(result.value) == 71 and result.category == "G2"


def test_ckd_epi_2021_equation_terms():
    """Inker et al., NEJM 2021: at the knot (creatinine = κ) only age and sex remain:
    142 × 0.9938^age (× 1.012 for women)."""
    assert value("ckd-epi-2021", age=40, sex="female", creatinine=0.7) == pytest.approx(142 * 0.9938 ** 40 * 1.012)
    assert value("ckd-epi-2021", age=40, sex="male", creatinine=0.9) == pytest.approx(142 * 0.9938 ** 40)
    assert value("ckd-epi-2021", age=40, sex="male", creatinine=1.8) == pytest.approx(142 * 2 ** -1.2 * 0.9938 ** 40)


def test_cha2ds2_vasc_points_of_lip_2010():
    """Lip et al., Chest 2010, Table: C 1, H 1, A2 (≥ 75) 2, D 1, S2 2, V 1, A (65-74) 1, Sc 1; maximum 9."""
    assert value("cha2ds2-vasc", age=76, sex="female", chf=0, hypertension=1, diabetes=0, stroke=0, vascular=0) == 4
    assert value("cha2ds2-vasc", age=64, sex="male", chf=0, hypertension=0, diabetes=0, stroke=0, vascular=0) == 0
    assert value("cha2ds2-vasc", age=65, sex="male", chf=0, hypertension=0, diabetes=0, stroke=0, vascular=0) == 1
    assert value("cha2ds2-vasc", age=80, sex="female", chf=1, hypertension=1, diabetes=1, stroke=1, vascular=1) == 9
    assert compute("cha2ds2-vasc", {"age": "50", "sex": "female", "chf": "0", "hypertension": "0", "diabetes": "0", "stroke": "0", "vascular": "0"}).category == "low"
    assert compute("cha2ds2-vasc", {"age": "50", "sex": "male", "chf": "0", "hypertension": "1", "diabetes": "0", "stroke": "0", "vascular": "0"}).category == "moderate"


def test_has_bled_points_of_pisters_2010():
    """Pisters et al., Chest 2010: one point each, hypertension meaning systolic > 160 mmHg and
    elderly > 65 years; maximum 9; ≥ 3 is high risk."""
    base = dict(renal_abnormal=0, liver_abnormal=0, stroke_any=0, bleeding=0, labile_inr=0, antiplatelet_nsaid=0, alcohol=0)
    assert value("has-bled", age=65, sbp=160, **base) == 0
    assert value("has-bled", age=66, sbp=161, **base) == 2
    assert value("has-bled", age=70, sbp=170, **{k: 1 for k in base}) == 9
    assert compute("has-bled", {"age": "70", "sbp": "120", **{k: "0" for k in base}, "bleeding": "1", "alcohol": "1"}).category == "high"


def test_charlson_weights_and_hierarchy():
    """Charlson 1987 weights; a category supersedes its milder form (Quan 2005)."""
    assert value("charlson", age=60, **NO_CHARLSON) == 0
    assert value("charlson", age=60, **{**NO_CHARLSON, "mi": 1, "chf": 1, "renal": 1}) == 4
    assert value("charlson", age=60, **{**NO_CHARLSON, "diabetes": 1, "diabetes_complicated": 1, "malignancy": 1, "metastatic": 1}) == 8
    assert value("charlson", age=60, **{**NO_CHARLSON, "liver_mild": 1, "liver_severe": 1, "aids": 1}) == 9
    # all 17: the 3 milder forms drop (diabetes, mild liver disease, malignancy)
    assert value("charlson", age=60, **{k: 1 for k in NO_CHARLSON}) == 1 * 8 + 2 * 3 + 3 + 6 + 6


def test_bmi_and_its_who_class():
    result = compute("bmi", {"weight": "70", "height": "175"})
    assert round(result.value, 1) == 22.9 and result.category == "normal"
    assert compute("bmi", {"weight": "100", "height": "170"}).category == "obesity class I"  # 34.6
    assert compute("bmi", {"weight": "105", "height": "170"}).category == "obesity class II"  # 36.3


def test_every_registered_score_names_its_reference_and_version():
    for spec in SCORES.values():
        assert spec.reference and spec.version and spec.title


# -- from the warehouse --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data = tmp_path_factory.mktemp("other-scores") / "warehouse"
    D = dt.date
    with open_store(data) as store:
        store.upsert("person", [
            {"person_id": 1, "year_of_birth": 1945, "month_of_birth": 5, "day_of_birth": 1, "gender_concept_id": 8532},
            {"person_id": 2, "year_of_birth": 1980, "month_of_birth": 1, "day_of_birth": 1, "gender_concept_id": 8507},
        ])
        store.upsert("condition_occurrence", [
            {"condition_occurrence_id": 1, "person_id": 1, "condition_start_date": D(2019, 1, 1), "condition_source_value": "I48.9"},
            {"condition_occurrence_id": 2, "person_id": 1, "condition_start_date": D(2020, 1, 1), "condition_source_value": "I50.0"},
            {"condition_occurrence_id": 3, "person_id": 1, "condition_start_date": D(2021, 1, 1), "condition_source_value": "E11.2"},
            {"condition_occurrence_id": 4, "person_id": 1, "condition_start_date": D(2022, 1, 1), "condition_source_value": "C78.0"},
            {"condition_occurrence_id": 5, "person_id": 1, "condition_start_date": D(2025, 1, 1), "condition_source_value": "I21.9"},  # after AT
        ])
        store.upsert("drug_exposure", [
            {"drug_exposure_id": 1, "person_id": 1, "drug_exposure_start_date": D(2024, 3, 1), "drug_source_value": "C09AA05"},
            {"drug_exposure_id": 2, "person_id": 1, "drug_exposure_start_date": D(2020, 3, 1), "drug_source_value": "B01AC06"},  # too old
        ])
        store.upsert("measurement", [
            {"measurement_id": 1, "person_id": 1, "measurement_date": D(2024, 5, 1), "measurement_source_value": "2160-0", "value_as_number": 212, "unit_source_value": "µmol/L"},
            {"measurement_id": 2, "person_id": 1, "measurement_date": D(2024, 5, 1), "measurement_source_value": "8480-6", "value_as_number": 165, "unit_source_value": "mmHg"},
            {"measurement_id": 3, "person_id": 2, "measurement_date": D(2024, 5, 1), "measurement_source_value": "29463-7", "value_as_number": 176, "unit_source_value": "[lb_av]"},
            {"measurement_id": 4, "person_id": 2, "measurement_date": D(2024, 5, 1), "measurement_source_value": "8302-2", "value_as_number": 70, "unit_source_value": "[in_i]"},
            *[{"measurement_id": 10 + i, "person_id": 1, "measurement_date": D(2024, 1 + i, 10), "measurement_source_value": "6301-6", "value_as_number": v, "unit_source_value": "{INR}"}
              for i, v in enumerate((1.6, 3.8, 2.4, 1.7))],
        ])
        store.upsert("note", [{"note_id": 1, "person_id": 1, "note_date": D(2023, 2, 1), "note_text": "Antécédent d'AVC en 2018. Pas de BPCO."}])
        store.upsert("note_nlp", [
            {"note_nlp_id": 1, "note_id": 1, "start_char": 15, "end_char": 18, "label": "lexicon", "normalized_term": "avc", "term_exists": "Y", "snippet": "Antécédent d'AVC en 2018"},
            {"note_nlp_id": 2, "note_id": 1, "start_char": 32, "end_char": 36, "label": "lexicon", "normalized_term": "bpco", "term_exists": "N", "snippet": "Pas de BPCO"},
        ])
    return data


def patient(data, name, person_id):
    with open_store(data, read_only=True) as store:
        return compute_for_patient(store, name, person_id, at=AT)


def trail(result) -> dict:
    return {i.name: (i.value, i.source) for i in result.inputs}


def test_cha2ds2_vasc_from_codes_and_a_note(warehouse):
    result = patient(warehouse, "cha2ds2-vasc", 1)  # woman of 79: A2 2, Sc 1, C (I50.0) 1, D (E11.2) 1, S2 (note: AVC) 2, H (ramipril? no: no code) 0
    t = trail(result)
    assert t["chf"][0] == 1 and "I50.0" in t["chf"][1]
    assert t["stroke"][0] == 1 and t["stroke"][1].startswith("note 1")
    assert t["vascular"][0] == 0 and "no vascular disease" in t["vascular"][1]  # the infarction is after the date
    assert t["hypertension"][0] == 0
    assert result.value == 7 and result.category == "high"


def test_has_bled_from_measurements_drugs_and_inr(warehouse):
    result = patient(warehouse, "has-bled", 1)
    t = trail(result)
    assert t["renal_abnormal"][0] == 1 and "≥ 200 µmol/L" in t["renal_abnormal"][1]  # creatinine 212 µmol/L
    assert t["labile_inr"][0] == 1 and "1 of 4 INR in 2-3" in t["labile_inr"][1]
    assert t["antiplatelet_nsaid"][0] == 0  # aspirin in 2020: more than a year before
    assert t["stroke_any"][0] == 1
    assert result.value == 5  # H (165 > 160) + A renal + S + L + E


def test_charlson_from_codes_and_notes_but_not_negated_ones(warehouse):
    result = patient(warehouse, "charlson", 1)
    t = trail(result)
    assert t["pulmonary"][0] == 0  # "pas de BPCO" is negated
    assert t["cerebrovascular"][0] == 1 and t["metastatic"][0] == 1 and t["diabetes_complicated"][0] == 1 and t["mi"][0] == 0
    assert result.value == 1 + 1 + 2 + 6  # CHF, cerebrovascular, complicated diabetes, metastatic (malignancy superseded)


def test_ckd_epi_converts_creatinine_from_umol_per_litre(warehouse):
    result = patient(warehouse, "ckd-epi-2021", 1)
    creatinine = next(i for i in result.inputs if i.name == "creatinine")
    assert creatinine.value == pytest.approx(212 / 88.42, abs=1e-3) and creatinine.unit == "mg/dL"
    assert result.value == pytest.approx(142 * (212 / 88.42 / 0.7) ** -1.2 * 0.9938 ** 79 * 1.012, rel=1e-4)


def test_bmi_converts_pounds_and_inches(warehouse):
    result = patient(warehouse, "bmi", 2)
    assert result.value == pytest.approx((176 * 0.45359237) / (70 * 2.54 / 100) ** 2, rel=1e-4)  # 25.3
    assert patient(warehouse, "bmi", 1).missing[0]["name"] == "weight"


def test_framingham_reads_the_antihypertensive_treatment(warehouse):
    result = patient(warehouse, "framingham", 1)
    assert not result.computed and result.status == "out_of_domain"  # 79: outside 30-74 (and no cholesterol: not asked)
    assert result.refusals[0]["name"] == "age" and "the patient is 79" in result.refusals[0]["reason"]
