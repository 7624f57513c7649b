"""The scores clinsearch computes: inputs, validity domain, formula, reference, version.

``compute(name, given)`` is calculator mode (a clinician types the inputs);
``compute_for_patient(store, name, person_id)`` reads them from the warehouse with their trail.
Either returns a ``ScoreResult``; a score whose inputs are missing or outside the validity
domain is not computed and says why.

>>> result = compute("score2", {"age": "50", "sex": "male", "smoker": "1", "sbp": "140", "total_chol": "6.3", "hdl": "1.4", "diabetes": "0"})
>>> round(result.value, 2), result.category
(6.31, 'high')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from clinsearch.scores import formulas as f
from clinsearch.scores import score2 as s2
from clinsearch.scores.model import Input, ScoreInputError, ScoreResult
from clinsearch.scores.patient import PatientInputs, comorbidities
from clinsearch.scores.tables import table
from clinsearch.units import CHOLESTEROL_MG_DL_PER_MMOL_L, CREATININE_UMOL_L_PER_MG_DL
from clinsearch.warehouse.duckdb import DuckDBStore

DEFAULT_MAX_AGE_DAYS = 5 * 365  # inputs older than this are flagged stale


@dataclass(frozen=True)
class InputSpec:
    name: str
    kind: str  # number, binary, sex, region
    unit: str | None
    low: float | None = None  # plausible range of a typed value
    high: float | None = None
    default: str | None = None
    source: str | None = None  # where a patient's value is read: "flag:NAME", "charlson:NAME", "drugs:CLASS", "inr" (default: by name)


@dataclass(frozen=True)
class Score:
    name: str
    title: str
    inputs: tuple[InputSpec, ...]
    reference: str
    version: str
    unit: str
    run: Callable[[dict], tuple[str, float | None, str | None, list[str], list[dict]]]  # -> model, value, category, notes, refusals


COMMON = (
    InputSpec("age", "number", "years", 18, 110),
    InputSpec("sex", "sex", None),
    InputSpec("smoker", "binary", None),
    InputSpec("sbp", "number", "mmHg", 60, 300),
    InputSpec("total_chol", "number", "mmol/L", 1, 20),
    InputSpec("hdl", "number", "mmol/L", 0.2, 5),
    InputSpec("diabetes", "binary", None),
    InputSpec("region", "region", None, default="low"),
)


def _age_refusal(age: float, low: int, high: int, model: str) -> list[dict]:
    if low <= age <= high:
        return []
    return [{"name": "age", "reason": f"{model} is valid from {low} to {high} years; the patient is {age:g}"}]


def _risk_inputs(v: dict) -> dict:
    return {k: v[k] for k in ("age", "sex", "smoker", "sbp", "total_chol", "hdl", "diabetes", "region")}


def _run_model(v: dict, model: str, ages: tuple[int, int], formula, notes: list[str]):
    """One SCORE2-family model: refused outside its ages, else value and ESC 2021 category."""
    refusals = _age_refusal(v["age"], *ages, model)
    if refusals:
        return model, None, None, [], refusals
    value = formula(**_risk_inputs(v))
    return model, value, s2.category_2021(value, v["age"]), notes, []


def _run_score2(v: dict):
    if v["age"] >= 70:
        return _run_model(v, "SCORE2-OP", s2.SCORE2_OP_AGES, s2.score2_op, ["age 70 or over: SCORE2-OP (older persons) is used instead of SCORE2"])
    return _run_model(v, "SCORE2", s2.SCORE2_AGES, s2.score2, [])


def _run_score2_op(v: dict):
    return _run_model(v, "SCORE2-OP", s2.SCORE2_OP_AGES, s2.score2_op, [])


def _run_score2_diabetes(v: dict):
    refusals = _age_refusal(v["age"], *s2.SCORE2_AGES, "SCORE2-Diabetes")
    if refusals:
        return "SCORE2-Diabetes", None, None, [], refusals
    notes = [] if v["diabetes"] else ["SCORE2-Diabetes is meant for people with type 2 diabetes; without diabetes it equals SCORE2 with HbA1c and eGFR terms"]
    value = s2.score2_diabetes(**_risk_inputs(v), age_at_diagnosis=v.get("age_at_diagnosis"), hba1c=v["hba1c"], egfr=v["egfr"])
    return "SCORE2-Diabetes", value, s2.category_diabetes(value), notes, []


def _run_ckd_epi(v: dict):
    value = f.ckd_epi_2021(v["creatinine"], v["age"], v["sex"])
    refusals = [] if v["age"] >= 18 else [{"name": "age", "reason": f"CKD-EPI 2021 is for adults; the patient is {v['age']:g}"}]
    return "CKD-EPI 2021", None if refusals else value, None if refusals else f.kdigo_stage(value), [], refusals


def _run_bmi(v: dict):
    value = f.bmi(v["weight"], v["height"])
    return "BMI", value, f.bmi_class(value), ([] if v.get("age", 18) >= 18 else ["the WHO classes are for adults"]), []


def _run_framingham(v: dict):
    refusals = _age_refusal(v["age"], *f.framingham_ages(), "Framingham (D'Agostino 2008)")
    if refusals:
        return "Framingham 2008", None, None, [], refusals
    mg = CHOLESTEROL_MG_DL_PER_MMOL_L
    value = f.framingham(v["age"], v["sex"], v["total_chol"] * mg, v["hdl"] * mg, v["sbp"], v["treated"], v["smoker"], v["diabetes"])
    return "Framingham 2008", value, f.framingham_category(value), [f"cholesterol converted to mg/dL (× {mg:g}) as the model uses"], []


def _run_cha2ds2_vasc(v: dict):
    value = f.cha2ds2_vasc(v["age"], v["sex"], v["chf"], v["hypertension"], v["diabetes"], v["stroke"], v["vascular"])
    model = table("cha2ds2_vasc.json")
    men = model["categories"]["bands"][-2]["below"]  # where the last band, "high", starts
    women = men + model["points"]["female"]
    notes = [f"for patients with atrial fibrillation (ESC 2020: anticoagulation recommended from {men} in men, {women} in women)"]
    return "CHA2DS2-VASc", value, f.cha2ds2_vasc_category(value, v["sex"]), notes, []


def _run_has_bled(v: dict):
    rule = table("has_bled.json")
    uncontrolled = int(v["sbp"] > rule["hypertension_sbp_above"])
    value = f.has_bled(uncontrolled, v["renal_abnormal"], v["liver_abnormal"], v["stroke_any"], v["bleeding"], v["labile_inr"],
                       int(v["age"] > rule["elderly_age_above"]), v["antiplatelet_nsaid"], v["alcohol"])
    high = next(b["from"] for b in rule["categories"]["bands"] if b["label"] == "high")
    notes = [f"hypertension point: systolic {v['sbp']:g} mmHg {'>' if uncontrolled else '≤'} {rule['hypertension_sbp_above']}",
             f"≥ {high}: high bleeding risk (correct what can be corrected)"]
    return "HAS-BLED", value, f.has_bled_category(value), notes, []


def _run_charlson(v: dict):
    weighted = comorbidities()["charlson"]
    weights = {k: c["weight"] for k, c in weighted.items()}
    supersedes = {k: c["supersedes"] for k, c in weighted.items() if c.get("supersedes")}
    value = f.charlson({k: v[k] for k in weighted}, weights, supersedes)
    age_points = f.charlson_age_points(v["age"])
    return "Charlson", value, f.charlson_category(value), [f"age-adjusted (Charlson 1994: +1 per decade from 50): {value + age_points}"], []


def _flags(*names: str) -> tuple[InputSpec, ...]:
    return tuple(InputSpec(n, "binary", None, source=f"flag:{n}") for n in names)


AGE, SEX = COMMON[0], COMMON[1]
CHARLSON_INPUTS = tuple(InputSpec(name, "binary", None, source=f"charlson:{name}") for name in comorbidities()["charlson"])

SCORES: dict[str, Score] = {
    "score2": Score("score2", "SCORE2 / SCORE2-OP 10-year cardiovascular risk", COMMON, s2.REFERENCE, "ESC 2021", "%", _run_score2),
    "score2-op": Score("score2-op", "SCORE2-OP 10-year cardiovascular risk, 70 years and over", COMMON, s2.REFERENCE, "ESC 2021", "%", _run_score2_op),
    "score2-diabetes": Score(
        "score2-diabetes", "SCORE2-Diabetes 10-year cardiovascular risk in type 2 diabetes",
        (*COMMON[:6], InputSpec("diabetes", "binary", None, default="1"), InputSpec("age_at_diagnosis", "number", "years", 0, 110),
         InputSpec("hba1c", "number", "mmol/mol", 15, 200), InputSpec("egfr", "number", "mL/min/1.73m2", 5, 200), COMMON[7]),
        s2.DIABETES_REFERENCE, "ESC 2023", "%", _run_score2_diabetes,
    ),
    "ckd-epi-2021": Score("ckd-epi-2021", "CKD-EPI 2021 estimated glomerular filtration rate (creatinine, race-free)",
                          (AGE, SEX, InputSpec("creatinine", "number", "mg/dL", 0.1, 30)), f.reference("ckd_epi_2021"), "CKD-EPI 2021", "mL/min/1.73m2", _run_ckd_epi),
    "bmi": Score("bmi", "Body mass index", (InputSpec("weight", "number", "kg", 1, 400), InputSpec("height", "number", "cm", 40, 250)),
                 f.reference("bmi"), "WHO 2000", "kg/m2", _run_bmi),
    "framingham": Score("framingham", "Framingham 10-year general cardiovascular risk (D'Agostino 2008)",
                        (AGE, SEX, COMMON[3], COMMON[4], COMMON[5], InputSpec("treated", "binary", None, source="drugs:antihypertensive"),
                         COMMON[2], InputSpec("diabetes", "binary", None, source="flag:diabetes")),
                        f.reference("framingham"), "Framingham 2008", "%", _run_framingham),
    "cha2ds2-vasc": Score("cha2ds2-vasc", "CHA2DS2-VASc stroke risk in atrial fibrillation",
                          (AGE, SEX, *_flags("chf", "hypertension", "diabetes", "stroke", "vascular")),
                          f.reference("cha2ds2_vasc"), "Lip 2010", "points", _run_cha2ds2_vasc),
    "has-bled": Score("has-bled", "HAS-BLED 1-year major bleeding risk in atrial fibrillation",
                      (AGE, COMMON[3], *_flags("renal_abnormal", "liver_abnormal", "stroke_any", "bleeding"), InputSpec("labile_inr", "binary", None, source="inr"),
                       *_flags("antiplatelet_nsaid", "alcohol")),
                      f.reference("has_bled"), "Pisters 2010", "points", _run_has_bled),
    "charlson": Score("charlson", "Charlson comorbidity index (CIM-10 codes and notes)", (AGE, *CHARLSON_INPUTS),
                      f.reference("charlson"), "Charlson 1987 / Quan 2005", "points", _run_charlson),
}


def score(name: str) -> Score:
    if name not in SCORES:
        raise ScoreInputError(f"unknown score {name!r} (available: {', '.join(SCORES)})")
    return SCORES[name]


def compute(name: str, given: dict[str, str]) -> ScoreResult:
    """Calculator mode: ``given`` maps input names to typed text (``--set age=55``)."""
    spec = score(name)
    known = {i.name: i for i in spec.inputs}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ScoreInputError(f"{name}: unknown input(s) {', '.join(unknown)} (inputs: {', '.join(known)})")
    inputs, missing = [], []
    for item in spec.inputs:
        text = given.get(item.name, item.default)
        if text is None:
            if item.name != "age_at_diagnosis":
                missing.append({"name": item.name, "reason": "not given"})
            continue
        inputs.append(Input(item.name, _parse(item, text), item.unit))
    return _finish(spec, inputs, missing, [], None)


def compute_for_patient(store: DuckDBStore, name: str, person_id: int, *, at: dt.date | None = None, region: str = "low",
                        max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> ScoreResult:
    """The score of a patient from the warehouse as of ``at`` (default today), every input with
    its provenance."""
    spec = score(name)
    if region not in s2.REGIONS:
        raise ScoreInputError(f"region must be one of {', '.join(s2.REGIONS)}, not {region!r}")
    reader = PatientInputs(store, person_id, at or dt.date.today(), max_age_days)
    if not reader.alive():
        return _finish(spec, [], reader.missing, [], person_id)
    readers = {
        "age": reader.age, "sex": reader.sex, "smoker": reader.smoker, "diabetes": reader.diabetes,
        "sbp": lambda: reader.measurement("sbp"), "total_chol": lambda: reader.measurement("total_chol"), "hdl": lambda: reader.measurement("hdl"),
        "hba1c": lambda: reader.measurement("hba1c"), "egfr": lambda: reader.measurement("egfr"), "age_at_diagnosis": reader.age_at_diagnosis,
        "creatinine": lambda: reader.measurement("creatinine"), "weight": lambda: reader.measurement("weight"), "height": lambda: reader.measurement("height"),
        "region": lambda: Input("region", region, None, None, "given (France is a low-risk region)" if region == "low" else "given"),
    }
    inputs = [found for item in spec.inputs if (found := _read(reader, readers, item)) is not None]
    missing = [m for m in reader.missing if not (m["name"] == "age_at_diagnosis" and not _value(inputs, "diabetes"))]
    return _finish(spec, inputs, missing, reader.stale, person_id)


def _read(reader: PatientInputs, readers: dict, item: InputSpec) -> Input | None:
    if item.source is None:
        return readers[item.name]()
    kind, _, key = item.source.partition(":")
    if kind == "flag":
        found = reader.flag(item.name, comorbidities()["flags"][key])
        if key == "renal_abnormal" and not found.value:  # or a creatinine of 200 µmol/L or more (Pisters 2010)
            creatinine = reader.measurement("creatinine")
            umol_l = table("has_bled.json")["renal_creatinine_umol_l_from"]
            if creatinine is not None and creatinine.value >= umol_l / CREATININE_UMOL_L_PER_MG_DL:
                return Input(item.name, 1, None, creatinine.date, f"{creatinine.source}: ≥ {umol_l} µmol/L")
            reader.missing[:] = [m for m in reader.missing if m["name"] != "creatinine"]
        return found
    if kind == "charlson":
        return reader.flag(item.name, comorbidities()["charlson"][key])
    if kind == "drugs":
        return reader.drug_class(item.name, key)
    if kind == "inr":
        return reader.labile_inr()
    raise ValueError(f"unknown input source {item.source!r}")


def _finish(spec: Score, inputs: list[Input], missing: list[dict], stale: list[str], person_id: int | None) -> ScoreResult:
    result = ScoreResult(spec.name, spec.name, None, spec.unit, None, inputs, missing, spec.reference, spec.version, stale, [], person_id)
    if missing:
        result.notes.append("not computed: " + "; ".join(f"{m['name']} ({m['reason']})" for m in missing))
        return result
    values = {i.name: i.value for i in inputs}
    model, value, category, notes, refusals = spec.run(values)
    result.model, result.value, result.category = model, value, category
    result.notes.extend(notes)
    if refusals:
        result.missing.extend(refusals)
        result.notes.append("not computed: " + "; ".join(r["reason"] for r in refusals))
    return result


def _value(inputs: list[Input], name: str):
    return next((i.value for i in inputs if i.name == name), None)


def _parse(item: InputSpec, text: str):
    text = str(text).strip()
    if item.kind == "sex":
        value = {"male": "male", "m": "male", "homme": "male", "h": "male", "female": "female", "f": "female", "femme": "female"}.get(text.lower())
        if value is None:
            raise ScoreInputError(f"{item.name} must be male or female, not {text!r}")
        return value
    if item.kind == "region":
        if text not in s2.REGIONS:
            raise ScoreInputError(f"{item.name} must be one of {', '.join(s2.REGIONS)}, not {text!r}")
        return text
    if item.kind == "binary":
        value = {"0": 0, "1": 1, "yes": 1, "no": 0, "true": 1, "false": 0, "oui": 1, "non": 0}.get(text.lower())
        if value is None:
            raise ScoreInputError(f"{item.name} must be 0 or 1, not {text!r}")
        return value
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ScoreInputError(f"{item.name} must be a number ({item.unit}), not {text!r}") from None
    if value != value or (item.low is not None and value < item.low) or (item.high is not None and value > item.high):
        raise ScoreInputError(f"{item.name} = {text} is outside the plausible range {item.low:g}-{item.high:g} {item.unit}")
    return value
