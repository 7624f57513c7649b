"""A patient's score inputs read from the warehouse, each with where it came from.

Which codes stand for which input is data (``data/inputs.json``). The rules:

* a measurement is the most recent one on or before the date of the computation, converted to
  the unit the score uses (``units.py``; an unknown unit makes the input missing, never a guess);
  one older than ``max_age_days`` is used but reported stale;
* diabetes is 1 when a diabetes condition, a diabetes drug (ATC A10) or an affirmed mention in a
  note is found, else 0 -- and the trail says that nothing was found;
* smoking is the latest recorded smoking status (current = 1; former or never = 0), else the
  latest note that mentions smoking (affirmed = 1, negated = 0); with neither it is missing;
* age and sex come from ``person``.
"""

from __future__ import annotations

import datetime as dt
import weakref

from clinsearch.cohort import codes as vocabulary_codes
from clinsearch.scores import formulas, units
from clinsearch.scores.model import Input
from clinsearch.scores.tables import table
from clinsearch.warehouse.concepts import FEMALE, MALE
from clinsearch.warehouse.duckdb import DuckDBStore


def codes() -> dict:
    return table("inputs.json")


def comorbidities() -> dict:
    return table("comorbidities.json")


def expand(codes_: list[str]) -> tuple[str, ...]:
    """Code prefixes without dots, ranges written out: ``["I42.5-I42.7", "I50"]`` →
    ``("I425", "I426", "I427", "I50")``.

    >>> expand(["I10-I13", "E10.2-E10.4", "Z99.2"])
    ('I10', 'I11', 'I12', 'I13', 'E102', 'E103', 'E104', 'Z992')
    """
    out = []
    for code in codes_:
        first, _, last = code.replace(".", "").partition("-")
        if not last:
            out.append(first)
            continue
        head, low, high = first[:-1], first[-1], last[-1]
        if first[:1] != last[:1] or len(first) != len(last):
            raise ValueError(f"bad code range {code!r}")
        if first[1:-1] != last[1:-1]:  # a range over two digits: C00-C26
            start, end = int(first[1:]), int(last[1:])
            out.extend(f"{first[0]}{n:0{len(first) - 1}d}" for n in range(start, end + 1))
        else:
            out.extend(head + chr(c) for c in range(ord(low), ord(high) + 1))
    return tuple(out)


COLUMNS = {"condition": ("condition_source_value", "condition_source_concept_id", "condition_concept_id"),
           "drug": ("drug_source_value", "drug_source_concept_id", "drug_concept_id")}
_MATCHES: "weakref.WeakKeyDictionary[DuckDBStore, dict]" = weakref.WeakKeyDictionary()


def _codes(store: DuckDBStore, kind: str, prefixes: list[str]) -> tuple[str, list]:
    """The SQL condition matching rows of ``kind`` coded by one of ``prefixes`` (``cohort.codes``),
    worked out once per store: a cohort's scores ask the same codes for every patient."""
    found = _MATCHES.setdefault(store, {})
    key = (kind, tuple(prefixes))
    if key not in found:
        where, params, _ = vocabulary_codes.match(store, vocabulary_codes.parse([p + "*" for p in prefixes], kind), *COLUMNS[kind])
        found[key] = (where, params)
    return found[key]


class PatientInputs:
    """Inputs of one patient at one date; ``missing`` and ``stale`` fill as inputs are read."""

    def __init__(self, store: DuckDBStore, person_id: int, at: dt.date, max_age_days: int, departments: tuple[str, ...] | None = None):
        """``departments``: read only the notes written in them (a clinician restricted to
        departments reads no other note, not even through a score's evidence)."""
        self.store, self.person_id, self.at, self.max_age_days = store, person_id, at, max_age_days
        self.departments = departments
        self.missing: list[dict] = []
        self.stale: list[str] = []
        rows = store.query_dicts("SELECT * FROM person WHERE person_id = ?", [person_id])
        if not rows:
            raise LookupError(f"no patient {person_id} in the warehouse")
        self.person = rows[0]

    def death_date(self) -> dt.date | None:
        """The date of death when the patient died on or before the date of the computation."""
        rows = self.store.query("SELECT death_date FROM death WHERE person_id = ? AND death_date <= ?", [self.person_id, self.at])
        return rows[0][0] if rows else None

    def miss(self, name: str, reason: str) -> None:
        self.missing.append({"name": name, "reason": reason})

    def birth_date(self) -> dt.date | None:
        p = self.person
        if p.get("birth_datetime"):
            return p["birth_datetime"].date()
        if p.get("year_of_birth"):
            return dt.date(p["year_of_birth"], p.get("month_of_birth") or 7, p.get("day_of_birth") or 1)
        return None

    def age(self) -> Input | None:
        born = self.birth_date()
        if born is None:
            self.miss("age", "no birth date")
            return None
        years = self.at.year - born.year - ((self.at.month, self.at.day) < (born.month, born.day))
        return Input("age", years, "years", self.at, f"person {self.person_id}: born {born.isoformat()}")

    def sex(self) -> Input | None:
        p = self.person
        value = {MALE: "male", FEMALE: "female"}.get(p.get("gender_concept_id"))
        if value is None:
            value = {"m": "male", "male": "male", "h": "male", "f": "female", "female": "female"}.get((p.get("gender_source_value") or "").strip().lower())
        if value is None:
            self.miss("sex", "sex not recorded as male or female")
            return None
        return Input("sex", value, None, None, f"person {self.person_id}: gender {p.get('gender_source_value') or p.get('gender_concept_id')}")

    def _latest(self, name: str) -> tuple | None:
        """(id, LOINC, date, value, unit) of the latest measurement of ``name`` on or before the date."""
        rows = self.store.query(
            """SELECT measurement_id, measurement_source_value, measurement_date, value_as_number, unit_source_value
               FROM measurement WHERE person_id = ? AND measurement_source_value IN (SELECT unnest(?))
                 AND value_as_number IS NOT NULL AND measurement_date <= ?
               ORDER BY measurement_date DESC, measurement_id DESC LIMIT 1""",
            [self.person_id, codes()["measurements"][name], self.at],
        )
        return rows[0] if rows else None

    def measurement(self, name: str, latest: tuple | None = None) -> Input | None:
        latest = latest or self._latest(name)
        if latest is None:
            self.miss(name, f"no measurement (LOINC {', '.join(codes()['measurements'][name])}) on or before {self.at.isoformat()}")
            return None
        measurement_id, code, date, value, unit = latest
        try:
            converted = units.convert(name, value, unit)
        except ValueError as exc:
            self.miss(name, f"measurement {measurement_id}: {exc}")
            return None
        self._check_age(name, date)
        written = f"{value:g} {unit or ''}".strip()
        return Input(name, round(converted, 4), units.target_unit(name), date, f"measurement {measurement_id} (LOINC {code}, {written})")

    def recorded_bmi(self) -> Input | None:
        """A recorded BMI (LOINC 39156-5) when there is one at least as recent as the latest
        weight; else None, and the BMI is computed from weight and height."""
        recorded, weight = self._latest("bmi"), self._latest("weight")
        if recorded is None or (weight is not None and weight[2] > recorded[2]):
            return None
        return self.measurement("bmi", recorded)

    def egfr(self) -> Input | None:
        """The latest eGFR: a recorded one, or CKD-EPI 2021 computed from a creatinine more recent
        than any recorded eGFR (with the age at the creatinine's date)."""
        recorded, creatinine = self._latest("egfr"), self._latest("creatinine")
        if creatinine is None or (recorded is not None and recorded[2] >= creatinine[2]):
            if recorded is None:
                self.miss("egfr", f"no eGFR (LOINC {', '.join(codes()['measurements']['egfr'])}) and no creatinine to compute it from "
                                  f"on or before {self.at.isoformat()}")
                return None
            return self.measurement("egfr", recorded)
        measured, born, sex = self.measurement("creatinine", creatinine), self.birth_date(), self.sex()
        if measured is None or born is None or sex is None:
            self.miss("egfr", "no recorded eGFR, and CKD-EPI 2021 needs a creatinine in a known unit, the birth date and the sex")
            return None
        day = measured.date
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        value = formulas.ckd_epi_2021(measured.value, age, sex.value)
        return Input("egfr", round(value, 1), units.target_unit("egfr"), day, f"CKD-EPI 2021 computed from {measured.source} at age {age}")

    def diabetes(self) -> Input:
        spec = codes()["diabetes"]
        found = self._condition(spec["condition_prefixes"])
        if found:
            condition_id, code, date = found
            return Input("diabetes", 1, None, date, f"condition_occurrence {condition_id} ({code})")
        drug = self._drug(spec["drug_prefixes"])
        if drug:
            return Input("diabetes", 1, None, drug[0][2], f"drug_exposure {drug[0][0]} ({drug[0][1]})")
        mention = self._mention(spec["lexicon"], affirmed_only=True)
        if mention:
            note_id, date, text, _ = mention
            return Input("diabetes", 1, None, date, f"note {note_id}: «{text}»")
        return Input("diabetes", 0, None, None, "no diabetes condition, diabetes drug (ATC A10) or affirmed mention in the record")

    def age_at_diagnosis(self) -> Input | None:
        found = self._condition(codes()["diabetes"]["condition_prefixes"])
        born = self.birth_date()
        if not found or born is None:
            self.miss("age_at_diagnosis", "no dated diabetes condition")
            return None
        condition_id, code, date = found
        years = date.year - born.year - ((date.month, date.day) < (born.month, born.day))
        return Input("age_at_diagnosis", years, "years", date, f"condition_occurrence {condition_id} ({code}): first diagnosis")

    def smoker(self) -> Input | None:
        spec = codes()["smoking"]
        rows = self.store.query(
            """SELECT observation_id, observation_date, coalesce(value_source_value, ''), coalesce(value_as_string, '')
               FROM observation WHERE person_id = ? AND observation_source_value IN (SELECT unnest(?)) AND observation_date <= ?
               ORDER BY observation_date DESC, observation_id DESC LIMIT 1""",
            [self.person_id, spec["observation_codes"], self.at],
        )
        if rows:
            observation_id, date, code, text = rows[0]
            status = _smoking_status(f"{code} {text}".lower(), spec)
            if status is not None:
                self._check_age("smoker", date)
                return Input("smoker", int(status == "current"), None, date, f"observation {observation_id} (smoking status: {text or code})")
        mention = self._mention(spec["lexicon"], affirmed_only=False)
        if mention:
            note_id, date, text, negated = mention
            self._check_age("smoker", date)
            return Input("smoker", 0 if negated else 1, None, date, f"note {note_id}: «{text}»" + (" (negated)" if negated else ""))
        self.miss("smoker", "no smoking status recorded and no note mentions smoking")
        return None

    def flag(self, name: str, spec: dict) -> Input:
        """1 when the record holds one of the flag's CIM-10 codes, drugs (ATC) or affirmed
        mentions (lexicon concepts) on or before the date; else 0, and the trail says what was
        looked for."""
        prefixes = expand(spec.get("conditions", []))
        found = self._condition(list(prefixes)) if prefixes else None
        if found:
            condition_id, code, date = found
            return Input(name, 1, None, date, f"condition_occurrence {condition_id} ({code})")
        for atc in spec.get("drugs", []):  # ATC classes; with the OMOP vocabularies, the RxNorm products they hold too
            since = self.at - dt.timedelta(days=spec["within_days"]) if spec.get("within_days") else None
            drug = self._drug([atc], since=since, latest=True)
            if drug:
                return Input(name, 1, None, drug[0][2], f"drug_exposure {drug[0][0]} (ATC {drug[0][1]})")
        mention = self._mention(spec["lexicon"], affirmed_only=True) if spec.get("lexicon") else None
        if mention:
            note_id, date, text, _ = mention
            return Input(name, 1, None, date, f"note {note_id}: «{text}»")
        looked = ", ".join(x for x in (
            f"CIM-10 {' '.join(spec['conditions'])}" if spec.get("conditions") else "",
            f"ATC {' '.join(spec['drugs'])}" + (f" in the last {spec['within_days']} days" if spec.get("within_days") else "") if spec.get("drugs") else "",
            f"affirmed mention of {', '.join(spec['lexicon'])}" if spec.get("lexicon") else "") if x)
        return Input(name, 0, None, None, f"no {spec.get('label', name)} in the record ({looked})")

    def labile_inr(self) -> Input:
        """Labile INR (HAS-BLED, ``data/has_bled.json``): under 60 % of the INRs of the last 6
        months in the 2-3 range, with at least 3 INRs; fewer INRs (no vitamin K antagonist
        follow-up) count 0, and say so."""
        rule = table("has_bled.json")["labile_inr"]
        loinc = codes()["measurements"]["inr"]
        rows = self.store.query(
            """SELECT measurement_id, measurement_date, value_as_number FROM measurement WHERE person_id = ?
               AND measurement_source_value IN (SELECT unnest(?)) AND value_as_number IS NOT NULL
               AND measurement_date <= ? AND measurement_date > ? ORDER BY measurement_date""",
            [self.person_id, loinc, self.at, self.at - dt.timedelta(days=rule["within_days"])])
        low, high, least = rule["low"], rule["high"], rule["at_least"]
        if len(rows) < least:
            return Input("labile_inr", 0, None, None, f"{len(rows)} INR in the last 6 months (fewer than {least}: no unstable anticoagulation to assess)")
        in_range = sum(1 for _, _, v in rows if low <= v <= high)
        share = in_range / len(rows)
        return Input("labile_inr", int(share < rule["share_in_range_below"]), None, rows[-1][1],
                     f"{in_range} of {len(rows)} INR in {low}-{high} over 6 months ({share:.0%}; measurements {', '.join(str(r[0]) for r in rows[-5:])})")

    def drug_class(self, name: str, key: str) -> Input:
        spec = codes()["drug_classes"][key]
        return self.flag(name, {"label": spec["label"], "drugs": spec["atc"], "within_days": spec.get("within_days"), "lexicon": []})

    # -- helpers -----------------------------------------------------------------------------------
    def _drug(self, prefixes: list[str], since: dt.date | None = None, latest: bool = False):
        """[(id, code, start date)] of the first (``latest``: the last) drug of one of the ATC
        ``prefixes`` started since ``since`` (with the OMOP vocabularies loaded, an RxNorm
        product of that class too)."""
        where, params = _codes(self.store, "drug", prefixes)
        return self.store.query(
            f"""SELECT drug_exposure_id, drug_source_value, drug_exposure_start_date FROM drug_exposure
               WHERE person_id = ? AND drug_exposure_start_date <= ? AND drug_exposure_start_date >= ? AND {where}
               ORDER BY drug_exposure_start_date {"DESC" if latest else ""} LIMIT 1""",
            [self.person_id, self.at, since or dt.date(1, 1, 1), *params])

    def _condition(self, prefixes: list[str]):
        """(id, code, start date) of the first condition coded by one of the CIM-10 ``prefixes``
        -- or, with the OMOP vocabularies loaded, by a concept they map to (a SNOMED-coded
        diabetes for E10-E14), as cohorts match codes (``cohort.codes``)."""
        where, params = _codes(self.store, "condition", prefixes)
        rows = self.store.query(
            f"""SELECT condition_occurrence_id, condition_source_value, condition_start_date FROM condition_occurrence
               WHERE person_id = ? AND condition_start_date <= ? AND {where} ORDER BY condition_start_date, condition_occurrence_id LIMIT 1""",
            [self.person_id, self.at, *params],
        )
        return rows[0] if rows else None

    def _mention(self, concepts: list[str], affirmed_only: bool):
        """(note_id, date, text, negated) of the latest note mentioning one of ``concepts``
        about the patient (not hypothetical, not family; negated too unless ``affirmed_only``)."""
        rows = self.store.query(
            f"""SELECT n.note_id, n.note_date, x.snippet, x.term_exists = 'N' FROM note_nlp x JOIN note n USING (note_id)
               WHERE n.person_id = ? AND n.note_date <= ? AND x.label <> 'context' AND x.normalized_term IN (SELECT unnest(?))
                 AND coalesce(x.term_modifiers, '') NOT LIKE '%hypothesis%' AND coalesce(x.term_modifiers, '') NOT LIKE '%family%'
                 {"AND x.term_exists = 'Y'" if affirmed_only else ""}
                 {"AND n.care_site_id IN (SELECT care_site_id FROM care_site WHERE care_site_name IN (SELECT unnest(?)))" if self.departments is not None else ""}
               ORDER BY n.note_date DESC, n.note_id DESC LIMIT 1""",
            [self.person_id, self.at, concepts, *([list(self.departments)] if self.departments is not None else [])],
        )
        if not rows:
            return None
        note_id, date, snippet, negated = rows[0]
        return note_id, date, " ".join((snippet or "").split()), bool(negated)

    def _check_age(self, name: str, date: dt.date | None) -> None:
        if date is not None and (self.at - date).days > self.max_age_days:
            self.stale.append(f"{name}: from {date.isoformat()}, more than {self.max_age_days} days before {self.at.isoformat()}")


def _smoking_status(text: str, spec: dict) -> str | None:
    # "never" and "former" are looked for first: "non-fumeur" and "ancien fumeur" contain "fumeur".
    for status in ("never", "former", "current"):
        if any(word.lower() in text for word in spec[status]):
            return status
    return None


def last_record_date(store: DuckDBStore, person_id: int) -> dt.date | None:
    """The date of the patient's latest visit, measurement, observation, condition or note."""
    rows = store.query(
        """SELECT max(d) FROM (
             SELECT max(visit_start_date) AS d FROM visit_occurrence WHERE person_id = ?
             UNION ALL SELECT max(measurement_date) FROM measurement WHERE person_id = ?
             UNION ALL SELECT max(observation_date) FROM observation WHERE person_id = ?
             UNION ALL SELECT max(condition_start_date) FROM condition_occurrence WHERE person_id = ?
             UNION ALL SELECT max(note_date) FROM note WHERE person_id = ?)""",
        [person_id] * 5,
    )
    return rows[0][0] if rows else None
