"""SCORE2, SCORE2-OP and SCORE2-Diabetes: 10-year risk of fatal and non-fatal cardiovascular
disease (ESC 2021 and 2023), recalibrated to the four European risk regions.

The coefficients, baseline survivals, validity ages, region scales and treatment categories are
data (``data/score2.json``, ``data/score2_region_scales.csv``, ``data/score2_diabetes.json``),
transcribed from the papers' supplementary material (SCORE2 working group, Eur Heart J
2021;42:2439-2454; SCORE2-OP working group, Eur Heart J 2021;42:2455-2467; SCORE2-Diabetes
working group, Eur Heart J 2023;44:2544-2556). France is a low-risk region, the default.

>>> round(score2(age=50, sex="male", smoker=1, sbp=140, total_chol=6.3, hdl=1.4, diabetes=0, region="low"), 2)
6.31
>>> round(score2_op(age=75, sex="female", smoker=1, sbp=140, total_chol=5.5, hdl=1.3, diabetes=0, region="low"), 2)
15.16
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache

from clinsearch.scores.tables import band, category, table, text

SEXES = ("male", "female")


def coefficients() -> dict:
    return table("score2.json")


def diabetes_coefficients() -> dict:
    return table("score2_diabetes.json")


@lru_cache(maxsize=None)
def region_scales() -> dict[tuple[str, str, str], tuple[float, float]]:
    """(model, region, sex) -> (scale1, scale2)."""
    return {(r["model"], r["region"], r["sex"]): (float(r["scale1"]), float(r["scale2"])) for r in csv.DictReader(text("score2_region_scales.csv").splitlines())}


# The ESC risk regions from the lowest risk to the highest (France is low), as the region scales name them.
REGIONS: tuple[str, ...] = tuple(dict.fromkeys(region for _, region, _ in region_scales()))
SCORE2_AGES: tuple[int, int] = tuple(coefficients()["score2"]["ages"])  # the ages each model is valid for
SCORE2_OP_AGES: tuple[int, int] = tuple(coefficients()["score2_op"]["ages"])
REFERENCE: str = coefficients()["source"]
DIABETES_REFERENCE: str = diabetes_coefficients()["source"]


def _check(sex: str, region: str) -> None:
    if sex not in SEXES:
        raise ValueError(f"sex must be one of {', '.join(SEXES)}, not {sex!r}")
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {region!r}")


def _calibrated(uncalibrated: float, model: str, region: str, sex: str) -> float:
    scale1, scale2 = region_scales()[(model, region, sex)]
    return 1 - math.exp(-math.exp(scale1 + scale2 * math.log(-math.log(1 - uncalibrated))))


def _score2_terms(age, smoker, sbp, total_chol, hdl, diabetes) -> dict[str, float]:
    cage, csbp, ctchol, chdl = (age - 60) / 5, (sbp - 120) / 20, total_chol - 6, (hdl - 1.3) / 0.5
    return {
        "cage": cage, "smoking": smoker, "csbp": csbp, "diabetes": diabetes, "ctchol": ctchol, "chdl": chdl,
        "cage*smoking": cage * smoker, "cage*csbp": cage * csbp, "cage*ctchol": cage * ctchol, "cage*chdl": cage * chdl, "cage*diabetes": cage * diabetes,
    }


def _linear(terms: dict[str, float], betas: dict[str, float]) -> float:
    return sum(betas[name] * value for name, value in terms.items())


def score2(*, age: float, sex: str, smoker: int, sbp: float, total_chol: float, hdl: float, diabetes: int, region: str = "low") -> float:
    """SCORE2 10-year risk in percent (ages 40-69); cholesterol in mmol/L, SBP in mmHg."""
    _check(sex, region)
    betas = coefficients()["score2"][sex]
    lp = _linear(_score2_terms(age, smoker, sbp, total_chol, hdl, diabetes), betas)
    return 100 * _calibrated(1 - betas["baseline_survival"] ** math.exp(lp), "SCORE2", region, sex)


def score2_op(*, age: float, sex: str, smoker: int, sbp: float, total_chol: float, hdl: float, diabetes: int, region: str = "low") -> float:
    """SCORE2-OP 10-year risk in percent (ages 70-89)."""
    _check(sex, region)
    betas = coefficients()["score2_op"][sex]
    cage, csbp, ctchol, chdl = age - 73, sbp - 150, total_chol - 6, hdl - 1.4
    terms = {
        "cage": cage, "diabetes": diabetes, "smoking": smoker, "csbp": csbp, "ctchol": ctchol, "chdl": chdl,
        "cage*diabetes": cage * diabetes, "cage*smoking": cage * smoker, "cage*csbp": cage * csbp, "cage*ctchol": cage * ctchol, "cage*chdl": cage * chdl,
    }
    lp = _linear(terms, betas)
    uncalibrated = 1 - betas["baseline_survival"] ** math.exp(lp - betas["mean_linear_predictor"])
    return 100 * _calibrated(uncalibrated, "SCORE2-OP", region, sex)


def score2_diabetes(*, age: float, sex: str, smoker: int, sbp: float, total_chol: float, hdl: float, diabetes: int, age_at_diagnosis: float | None,
                    hba1c: float, egfr: float, region: str = "low") -> float:
    """SCORE2-Diabetes 10-year risk in percent (ages 40-69); HbA1c in mmol/mol, eGFR in
    mL/min/1.73 m²; the age at diagnosis counts only with diabetes."""
    _check(sex, region)
    betas = diabetes_coefficients()[sex]
    terms = _score2_terms(age, smoker, sbp, total_chol, hdl, diabetes)
    cage = terms["cage"]
    cdage = (age_at_diagnosis - 50) / 5 if diabetes and age_at_diagnosis is not None else 0.0
    chba1c = (hba1c - 31) / 9.34
    cegfr = (math.log(egfr) - 4.5) / 0.15
    terms.update({"diabetes*cdage": diabetes * cdage, "chba1c": chba1c, "cegfr": cegfr, "cegfr^2": cegfr**2, "chba1c*cage": chba1c * cage, "cegfr*cage": cegfr * cage})
    lp = _linear(terms, betas)
    return 100 * _calibrated(1 - betas["baseline_survival"] ** math.exp(lp), "SCORE2", region, sex)


def category_2021(risk: float, age: float) -> str:
    """ESC 2021 treatment category for SCORE2/SCORE2-OP by age band: low-to-moderate, high,
    very high (Visseren et al., Eur Heart J 2021, table 4)."""
    by_age = band(age, coefficients()["categories_esc_2021"]["age_bands"])
    return category(risk, by_age["categories"])


def category_diabetes(risk: float) -> str:
    """ESC 2023 categories for people with type 2 diabetes: low < 5 %, moderate 5-10 %, high
    10-20 %, very high >= 20 % (Marx et al., Eur Heart J 2023)."""
    return category(risk, diabetes_coefficients()["categories_esc_2023_diabetes"]["bands"])
