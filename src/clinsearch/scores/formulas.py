"""The published formulas of the other scores: pure functions of their inputs. Their coefficients,
points and category cut-offs are data (``data/framingham.json``, ``ckd_epi_2021.json``,
``bmi.json``, ``cha2ds2_vasc.json``, ``has_bled.json``, ``charlson.json``), each file with its
``source``.

>>> round(ckd_epi_2021(1.2, 55, "male"))  # the NKF's online calculator gives 71
71
>>> round(bmi(70, 175), 1)
22.9
>>> cha2ds2_vasc(age=76, sex="female", chf=0, hypertension=1, diabetes=0, stroke=0, vascular=0)
4
>>> framingham_category(10.48), kdigo_stage(71), has_bled_category(3), charlson_category(2)
('intermediate', 'G2', 'high', 'mild (1-2)')
"""

from __future__ import annotations

import math

from clinsearch.scores.tables import band, category, table


def reference(name: str) -> str:
    """The citation of a score's data file (``framingham``, ``ckd_epi_2021``, ``bmi`` ...)."""
    return table(f"{name}.json")["source"]


def ckd_epi_2021(creatinine_mg_dl: float, age: float, sex: str) -> float:
    """eGFR in mL/min/1.73 m² = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [female];
    κ 0.7 (female) or 0.9 (male), α −0.241 (female) or −0.302 (male)."""
    model = table("ckd_epi_2021.json")
    own = model["female" if sex == "female" else "male"]
    ratio = creatinine_mg_dl / own["kappa"]
    return (model["constant"] * min(ratio, 1) ** own["alpha"] * max(ratio, 1) ** model["above_kappa_exponent"]
            * model["age_base"] ** age * own["factor"])


def kdigo_stage(egfr: float) -> str:
    return category(egfr, table("ckd_epi_2021.json")["stages"]["bands"])


def bmi(weight_kg: float, height_cm: float) -> float:
    return weight_kg / (height_cm / 100) ** 2


def bmi_class(value: float) -> str:
    return category(value, table("bmi.json")["classes"]["bands"])


def framingham_ages() -> tuple[int, int]:
    """The ages the Framingham model is valid for (D'Agostino 2008: 30 to 74)."""
    low, high = table("framingham.json")["ages"]
    return low, high


def framingham(age: float, sex: str, total_chol_mg_dl: float, hdl_mg_dl: float, sbp: float, treated: int, smoker: int, diabetes: int) -> float:
    """10-year risk (%) of a first cardiovascular event, D'Agostino 2008 (cholesterol in mg/dL)."""
    b = table("framingham.json")[sex]
    total = (b["ln_age"] * math.log(age) + b["ln_total_chol"] * math.log(total_chol_mg_dl) + b["ln_hdl"] * math.log(hdl_mg_dl)
             + (b["ln_sbp_treated"] if treated else b["ln_sbp_untreated"]) * math.log(sbp) + b["smoker"] * smoker + b["diabetes"] * diabetes)
    return 100 * (1 - b["baseline_survival"] ** math.exp(total - b["mean_linear_predictor"]))


def framingham_category(risk: float) -> str:
    return category(risk, table("framingham.json")["categories"]["bands"])


def cha2ds2_vasc(age: float, sex: str, chf: int, hypertension: int, diabetes: int, stroke: int, vascular: int) -> int:
    """C 1, H 1, A₂ (≥ 75) 2, D 1, S₂ (stroke/TIA/thromboembolism) 2, V 1, A (65-74) 1, Sc (female) 1."""
    model = table("cha2ds2_vasc.json")
    points = model["points"]
    return (points["chf"] * chf + points["hypertension"] * hypertension + band(age, model["age_points"])["points"] + points["diabetes"] * diabetes
            + points["stroke"] * stroke + points["vascular"] * vascular + (points["female"] if sex == "female" else 0))


def cha2ds2_vasc_category(points: int, sex: str) -> str:
    """ESC 2020 AF guidelines: anticoagulation not indicated (0 men, 1 women), to consider (1 men, 2 women), recommended (≥ 2 men, ≥ 3 women)."""
    model = table("cha2ds2_vasc.json")
    own = points - (model["points"]["female"] if sex == "female" else 0)
    return category(own, model["categories"]["bands"])


def has_bled(uncontrolled_hypertension: int, renal_abnormal: int, liver_abnormal: int, stroke_any: int, bleeding: int,
             labile_inr: int, elderly: int, antiplatelet_nsaid: int, alcohol: int) -> int:
    """One point each: H, A (renal), A (liver), S, B, L, E (> 65), D (drugs), D (alcohol)."""
    return (uncontrolled_hypertension + renal_abnormal + liver_abnormal + stroke_any + bleeding + labile_inr + elderly
            + antiplatelet_nsaid + alcohol)


def has_bled_category(points: int) -> str:
    return category(points, table("has_bled.json")["categories"]["bands"])


def charlson(categories: dict[str, int], weights: dict[str, int], supersedes: dict[str, str]) -> int:
    """Sum of the weights of the categories present, a category superseding its milder form
    (diabetes with complications over without, severe over mild liver disease, metastatic over any malignancy)."""
    present = {name for name, value in categories.items() if value}
    for strong, weak in supersedes.items():
        if strong in present:
            present.discard(weak)
    return sum(weights[name] for name in present)


def charlson_category(points: int) -> str:
    return category(points, table("charlson.json")["categories"]["bands"])


def charlson_age_points(age: float) -> int:
    """The points the age adds to the age-adjusted index (Charlson 1994: one per decade from 50, at most 4)."""
    rule = table("charlson.json")["age_points"]
    if age < rule["from_age"]:
        return 0
    return max(0, min(rule["most"], int((age - (rule["from_age"] - rule["per_years"])) // rule["per_years"])))
