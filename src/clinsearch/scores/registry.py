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
from clinsearch.scores.model import NOT_APPLICABLE, OUT_OF_DOMAIN, Input, ScoreInputError, ScoreResult
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
    needed: str = "always"  # "always", "optional", or "if:NAME" (needed when the binary input NAME is 1)
    replaces: tuple[str, ...] = ()  # when this input is present, these are not needed (a recorded BMI replaces weight and height)


@dataclass(frozen=True)
class Score:
    name: str
    title: str
    inputs: tuple[InputSpec, ...]
    reference: str
    version: str
    unit: str
    run: Callable[[dict], tuple[str, float | None, str | None, list[str]]]  # -> model, value, category, notes
    ages: tuple[int, int | None] | None = None  # the ages the model was validated in (None: no upper bound)
    domain: str = ""  # the model named in an out-of-domain answer
    applies_to: str | None = None  # a flag of comorbidities.json the patient must have (CHA2DS2-VASc: atrial fibrillation)


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


def _risk_inputs(v: dict) -> dict:
    return {k: v[k] for k in ("age", "sex", "smoker", "sbp", "total_chol", "hdl", "diabetes", "region")}


def _run_score2(v: dict):
    if v["age"] >= s2.SCORE2_OP_AGES[0]:
        return _run_score2_op(v, ["age 70 or over: SCORE2-OP (older persons) is used instead of SCORE2"])
    notes = ["with type 2 diabetes, ESC 2023 recommends SCORE2-Diabetes"] if v["diabetes"] else []
    value = s2.score2(**_risk_inputs(v))
    return "SCORE2", value, s2.category_2021(value, v["age"]), notes


def _run_score2_op(v: dict, notes: list[str] | None = None):
    value = s2.score2_op(**_risk_inputs(v))
    return "SCORE2-OP", value, s2.category_2021(value, v["age"]), notes or []


def _run_score2_diabetes(v: dict):
    notes = [] if v["diabetes"] else ["SCORE2-Diabetes is meant for people with type 2 diabetes; without diabetes it equals SCORE2 with HbA1c and eGFR terms"]
    value = s2.score2_diabetes(**_risk_inputs(v), age_at_diagnosis=v.get("age_at_diagnosis"), hba1c=v["hba1c"], egfr=v["egfr"])
    return "SCORE2-Diabetes", value, s2.category_diabetes(value), notes


def _run_ckd_epi(v: dict):
    value = f.ckd_epi_2021(v["creatinine"], v["age"], v["sex"])
    return "CKD-EPI 2021", value, f.kdigo_stage(value), []


def _run_bmi(v: dict):
    adult = [] if v.get("age", 18) >= 18 else ["the WHO classes are for adults"]
    if "bmi" in v:
        return "BMI", v["bmi"], f.bmi_class(v["bmi"]), ["the BMI given or recorded is used as is (not recomputed from weight and height)"] + adult
    value = f.bmi(v["weight"], v["height"])
    return "BMI", value, f.bmi_class(value), adult


def _run_framingham(v: dict):
    mg = CHOLESTEROL_MG_DL_PER_MMOL_L
    value = f.framingham(v["age"], v["sex"], v["total_chol"] * mg, v["hdl"] * mg, v["sbp"], v["treated"], v["smoker"], v["diabetes"])
    return "Framingham 2008", value, f.framingham_category(value), [f"cholesterol converted to mg/dL (× {mg:g}) as the model uses"]


def _run_cha2ds2_vasc(v: dict):
    value = f.cha2ds2_vasc(v["age"], v["sex"], v["chf"], v["hypertension"], v["diabetes"], v["stroke"], v["vascular"])
    model = table("cha2ds2_vasc.json")
    men = model["categories"]["bands"][-2]["below"]  # where the last band, "high", starts
    women = men + model["points"]["female"]
    notes = [f"for patients with atrial fibrillation or flutter (ESC 2020: anticoagulation recommended from {men} in men, {women} in women)"]
    return "CHA2DS2-VASc", value, f.cha2ds2_vasc_category(value, v["sex"]), notes


def _run_has_bled(v: dict):
    rule = table("has_bled.json")
    uncontrolled = int(v["sbp"] > rule["hypertension_sbp_above"])
    value = f.has_bled(uncontrolled, v["renal_abnormal"], v["liver_abnormal"], v["stroke_any"], v["bleeding"], v["labile_inr"],
                       int(v["age"] > rule["elderly_age_above"]), v["antiplatelet_nsaid"], v["alcohol"])
    high = next(b["from"] for b in rule["categories"]["bands"] if b["label"] == "high")
    notes = [f"hypertension point: systolic {v['sbp']:g} mmHg {'>' if uncontrolled else '≤'} {rule['hypertension_sbp_above']}",
             f"≥ {high}: high bleeding risk (correct what can be corrected)"]
    return "HAS-BLED", value, f.has_bled_category(value), notes


def _run_charlson(v: dict):
    weighted = comorbidities()["charlson"]
    weights = {k: c["weight"] for k, c in weighted.items()}
    supersedes = {k: c["supersedes"] for k, c in weighted.items() if c.get("supersedes")}
    value = f.charlson({k: v[k] for k in weighted}, weights, supersedes)
    age_points = f.charlson_age_points(v["age"])
    return "Charlson", value, f.charlson_category(value), [f"age-adjusted (Charlson 1994: +1 per decade from 50): {value + age_points}"]


def _flags(*names: str) -> tuple[InputSpec, ...]:
    return tuple(InputSpec(n, "binary", None, source=f"flag:{n}") for n in names)


AGE, SEX = COMMON[0], COMMON[1]
CHARLSON_INPUTS = tuple(InputSpec(name, "binary", None, source=f"charlson:{name}") for name in comorbidities()["charlson"])

AF = "atrial_fibrillation"  # CHA2DS2-VASc and HAS-BLED were derived and validated in atrial fibrillation (Lip 2010, Pisters 2010)
SCORE2_DIABETES_INPUTS = (*COMMON[:6], InputSpec("diabetes", "binary", None, default="1"),
                          InputSpec("age_at_diagnosis", "number", "years", 0, 110, needed="if:diabetes"),
                          InputSpec("hba1c", "number", "mmol/mol", 15, 200), InputSpec("egfr", "number", "mL/min/1.73m2", 5, 200), COMMON[7])

SCORES: dict[str, Score] = {
    "score2": Score("score2", "SCORE2 / SCORE2-OP 10-year cardiovascular risk", COMMON, s2.REFERENCE, "ESC 2021", "%", _run_score2,
                    (s2.SCORE2_AGES[0], s2.SCORE2_OP_AGES[1]), "SCORE2 / SCORE2-OP"),
    "score2-op": Score("score2-op", "SCORE2-OP 10-year cardiovascular risk, 70 years and over", COMMON, s2.REFERENCE, "ESC 2021", "%", _run_score2_op,
                       s2.SCORE2_OP_AGES, "SCORE2-OP"),
    "score2-diabetes": Score("score2-diabetes", "SCORE2-Diabetes 10-year cardiovascular risk in type 2 diabetes", SCORE2_DIABETES_INPUTS,
                             s2.DIABETES_REFERENCE, "ESC 2023", "%", _run_score2_diabetes, s2.SCORE2_AGES, "SCORE2-Diabetes"),
    "ckd-epi-2021": Score("ckd-epi-2021", "CKD-EPI 2021 estimated glomerular filtration rate (creatinine, race-free)",
                          (AGE, SEX, InputSpec("creatinine", "number", "mg/dL", 0.1, 30)), f.reference("ckd_epi_2021"), "CKD-EPI 2021", "mL/min/1.73m2", _run_ckd_epi,
                          tuple(table("ckd_epi_2021.json")["ages"]), "CKD-EPI 2021"),
    "bmi": Score("bmi", "Body mass index", (InputSpec("bmi", "number", "kg/m2", 8, 100, needed="optional", replaces=("weight", "height")),
                                            InputSpec("weight", "number", "kg", 1, 400), InputSpec("height", "number", "cm", 40, 250)),
                 f.reference("bmi"), "WHO 2000", "kg/m2", _run_bmi),
    "framingham": Score("framingham", "Framingham 10-year general cardiovascular risk (D'Agostino 2008)",
                        (AGE, SEX, COMMON[3], COMMON[4], COMMON[5], InputSpec("treated", "binary", None, source="drugs:antihypertensive"),
                         COMMON[2], InputSpec("diabetes", "binary", None, source="flag:diabetes")),
                        f.reference("framingham"), "Framingham 2008", "%", _run_framingham, f.framingham_ages(), "Framingham (D'Agostino 2008)"),
    "cha2ds2-vasc": Score("cha2ds2-vasc", "CHA2DS2-VASc stroke risk in atrial fibrillation",
                          (AGE, SEX, *_flags("chf", "hypertension", "diabetes", "stroke", "vascular")),
                          f.reference("cha2ds2_vasc"), "Lip 2010", "points", _run_cha2ds2_vasc, applies_to=AF),
    "has-bled": Score("has-bled", "HAS-BLED 1-year major bleeding risk in atrial fibrillation",
                      (AGE, COMMON[3], *_flags("renal_abnormal", "liver_abnormal", "stroke_any", "bleeding"), InputSpec("labile_inr", "binary", None, source="inr"),
                       *_flags("antiplatelet_nsaid", "alcohol")),
                      f.reference("has_bled"), "Pisters 2010", "points", _run_has_bled, applies_to=AF),
    "charlson": Score("charlson", "Charlson comorbidity index (CIM-10 codes and notes)", (AGE, *CHARLSON_INPUTS),
                      f.reference("charlson"), "Charlson 1987 / Quan 2005", "points", _run_charlson),
}


def score(name: str) -> Score:
    if name not in SCORES:
        raise ScoreInputError(f"unknown score {name!r} (available: {', '.join(SCORES)})")
    return SCORES[name]


def compute(name: str, given: dict[str, str]) -> ScoreResult:
    """Calculator mode: ``given`` maps input names to typed text (``--set age=55``). The clinician
    who types the inputs vouches that the score applies (CHA2DS2-VASc: atrial fibrillation)."""
    spec = score(name)
    known = {i.name: i for i in spec.inputs}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ScoreInputError(f"{name}: unknown input(s) {', '.join(unknown)} (inputs: {', '.join(known)})")
    inputs, missing = [], []
    for item in spec.inputs:
        text = given.get(item.name, item.default)
        if text is None:
            missing.append({"name": item.name, "reason": "not given"})
            continue
        inputs.append(Input(item.name, _parse(item, text), item.unit))
    return _finish(spec, inputs, missing, [], None)


def compute_for_patient(store: DuckDBStore, name: str, person_id: int, *, at: dt.date | None = None, region: str = "low",
                        max_age_days: int = DEFAULT_MAX_AGE_DAYS, departments: tuple[str, ...] | None = None) -> ScoreResult:
    """The score of a patient from the warehouse as of ``at`` (default today), every input with
    its provenance. A score meant for a condition the patient does not have is not applicable.
    ``departments``: the notes read are those written in them (a restricted clinician's)."""
    spec = score(name)
    if region not in s2.REGIONS:
        raise ScoreInputError(f"region must be one of {', '.join(s2.REGIONS)}, not {region!r}")
    reader = PatientInputs(store, person_id, at or dt.date.today(), max_age_days, departments)
    died = reader.death_date()
    if died is not None:
        result = _result(spec, [], [], [], person_id)
        result.refusals.append({"name": "alive", "status": NOT_APPLICABLE, "reason": f"not applicable: the patient died on {died.isoformat()}"})
        return result
    inputs = []
    if spec.applies_to:
        condition = reader.flag(spec.applies_to, comorbidities()["flags"][spec.applies_to])
        inputs.append(condition)
        if not condition.value:
            result = _result(spec, inputs, [], [], person_id)
            result.refusals.append({"name": spec.applies_to, "status": NOT_APPLICABLE,
                                    "reason": f"not applicable: {spec.title} is for patients with {comorbidities()['flags'][spec.applies_to]['label']}; {condition.source}"})
            result.notes.append(result.refusals[0]["reason"])
            return result
    readers = {
        "age": reader.age, "sex": reader.sex, "smoker": reader.smoker, "diabetes": reader.diabetes, "egfr": reader.egfr, "bmi": reader.recorded_bmi,
        "age_at_diagnosis": reader.age_at_diagnosis,
        "region": lambda: Input("region", region, None, None, "given (France is a low-risk region)" if region == "low" else "given"),
    }
    replaced: set[str] = set()
    for item in spec.inputs:
        if item.name in replaced:
            continue
        found = _read(reader, readers, item)
        if found is not None:
            inputs.append(found)
            replaced.update(item.replaces)
    return _finish(spec, inputs, reader.missing, reader.stale, person_id)


def _read(reader: PatientInputs, readers: dict, item: InputSpec) -> Input | None:
    if item.source is None:
        return readers[item.name]() if item.name in readers else reader.measurement(item.name)
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


def _result(spec: Score, inputs: list[Input], missing: list[dict], stale: list[str], person_id: int | None) -> ScoreResult:
    return ScoreResult(spec.name, spec.name, None, spec.unit, None, inputs, missing, spec.reference, spec.version, list(stale), [], person_id)


def _finish(spec: Score, inputs: list[Input], missing: list[dict], stale: list[str], person_id: int | None) -> ScoreResult:
    """The value, or why none: outside the model's ages first (no input is worth finding then),
    then the inputs still missing (the optional ones, those replaced by another input, and those
    needed only with a condition the patient does not have are not)."""
    result = _result(spec, inputs, [], stale, person_id)
    values = {i.name: i.value for i in inputs}
    refusal = _outside_ages(spec, values.get("age"))
    if refusal:
        result.refusals.append(refusal)
        result.notes.append("not computed: " + refusal["reason"])
        return result
    known = {i.name: i for i in spec.inputs}
    replaced = {name for i in inputs if i.name in known for name in known[i.name].replaces}
    seen: set[str] = set()
    result.missing = [m for m in missing if m["name"] not in replaced and _needed(known.get(m["name"]), values)
                      and not (m["name"] in seen or seen.add(m["name"]))]
    if result.missing:
        result.notes.append("not computed: " + "; ".join(f"{m['name']} ({m['reason']})" for m in result.missing))
        return result
    result.model, result.value, result.category, notes = spec.run(values)
    result.notes.extend(notes)
    return result


def _needed(item: InputSpec | None, values: dict) -> bool:
    if item is None or item.needed == "always":
        return True
    if item.needed == "optional":
        return False
    condition = item.needed.removeprefix("if:")
    return bool(values.get(condition))


def _outside_ages(spec: Score, age: float | None) -> dict | None:
    if spec.ages is None or age is None:
        return None
    low, high = spec.ages
    if low <= age and (high is None or age <= high):
        return None
    ages = f"{low}-{high}" if high is not None else f"{low} and over"
    return {"name": "age", "status": OUT_OF_DOMAIN, "reason": f"outside the validated age range {ages} of {spec.domain}: the patient is {age:g}"}


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
