"""Cohorts on the demo hospital, judged by what the generator wrote: its ground truth (what each
note says, in which context, on which date) and its source files (the coded rows, the
measurements, the DICOM headers) -- read here with csv and pydicom, not through the warehouse.
Each definition mixes text and structured criteria; the patients returned must be exactly the
expected ones."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pydicom
import pytest

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import read
from clinsearch.units import convert
from clinsearch.warehouse.store import open_store

AS_OF = dt.date(2025, 7, 1)
AFFIRMED = ("affirmed", "history")  # what a bare term finds


class Truth:
    def __init__(self, demo: Path):
        source = demo / "demo-source"
        self.data = json.loads((source / "ground_truth.json").read_text(encoding="utf-8"))
        self.ipp = {ipp: p["person_id"] for ipp, p in self.data["patients"].items()}
        self.people = {p["person_id"]: p for p in self.data["patients"].values()}
        self.tables = {name: _rows(source / "sources" / "omop" / f"{name}.csv")
                       for name in ("condition_occurrence", "measurement", "drug_exposure", "procedure_occurrence", "visit_occurrence")}
        self.deaths = {int(r["person_id"]): dt.date.fromisoformat(r["death_date"]) for r in _rows(source / "sources" / "omop" / "death.csv")}
        self.studies = []
        for path in sorted((source / "sources" / "imaging").glob("*_1.dcm")):
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            self.studies.append((self.ipp[ds.PatientID], dt.datetime.strptime(ds.StudyDate, "%Y%m%d").date(), ds.Modality, ds.BodyPartExamined))

    # events: person -> sorted list of dates
    def notes(self, condition: str, statuses=AFFIRMED, note_type: str | None = None) -> dict[int, list[dt.date]]:
        found = defaultdict(list)
        for note in self.data["notes"].values():
            if note_type and note["type"] != note_type:
                continue
            if any(m["condition"] == condition and m["status"] in statuses for m in note["mentions"]):
                found[self.ipp[note["person_source_value"]]].append(dt.date.fromisoformat(note["date"]))
        return {p: sorted(d) for p, d in found.items()}

    def coded(self, table: str, column: str, date: str, prefixes: tuple[str, ...]) -> dict[int, list[dt.date]]:
        found = defaultdict(list)
        for row in self.tables[table]:
            if row[column].replace(".", "").startswith(prefixes):
                found[int(row["person_id"])].append(dt.date.fromisoformat(row[date]))
        return {p: sorted(d) for p, d in found.items()}

    def measured(self, code: str, test) -> dict[int, list[dt.date]]:
        found = defaultdict(list)
        for row in self.tables["measurement"]:
            if row["measurement_source_value"] == code and test(float(row["value_as_number"]), row["unit_source_value"]):
                found[int(row["person_id"])].append(dt.date.fromisoformat(row["measurement_date"]))
        return {p: sorted(d) for p, d in found.items()}

    def values(self, code: str, convert_value) -> dict[int, list[tuple[dt.date, int, float]]]:
        """person -> [(date, measurement_id, value in the criterion's unit)], in that order."""
        found = defaultdict(list)
        for row in self.tables["measurement"]:
            if row["measurement_source_value"] == code:
                found[int(row["person_id"])].append((dt.date.fromisoformat(row["measurement_date"]), int(row["measurement_id"]),
                                                     convert_value(float(row["value_as_number"]), row["unit_source_value"])))
        return {p: sorted(v) for p, v in found.items()}

    def indexed(self, person: int) -> dt.date:
        """The index date without an index event: AS_OF, or the date of death before it."""
        died = self.deaths.get(person)
        return min(AS_OF, died) if died else AS_OF

    def visits(self, kind: str) -> dict[int, list[dt.date]]:
        found = defaultdict(list)
        for row in self.tables["visit_occurrence"]:
            if row["visit_source_value"] == kind:
                found[int(row["person_id"])].append(dt.date.fromisoformat(row["visit_start_date"]))
        return found

    def age(self, person: int, day: dt.date) -> int:
        birth = dt.date.fromisoformat(self.people[person]["birth_date"])
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def latest_within(values: dict[int, list[tuple[dt.date, int, float]]], person: int, index: dt.date, start: int, end: int, test) -> bool:
    """The patient's latest value in the window passes ``test`` (a measurement's default ``value_of``)."""
    inside = [v for day, _, v in values.get(person, []) if start <= (day - index).days <= end]
    return bool(inside) and test(inside[-1])


def within(events: dict[int, list[dt.date]], person: int, index: dt.date, start: int | None, end: int | None, at_least: int = 1) -> bool:
    days = [(d - index).days for d in events.get(person, [])]
    return sum(1 for n in days if (start is None or n >= start) and (end is None or n <= end)) >= at_least


@lru_cache(maxsize=1)
def _truth(demo: Path) -> Truth:
    return Truth(demo)


@pytest.fixture(scope="module")
def truth(demo) -> Truth:
    return _truth(demo)


def run(demo: Path, definition: dict) -> dict[int, dt.date]:
    with open_store(demo, read_only=True) as store:
        cohort = build(store, demo, read({"as_of": AS_OF.isoformat(), **definition}))
    assert cohort.size == cohort.attrition[-1].remaining
    return dict(cohort.members)


def everyone(truth: Truth) -> dict[int, dt.date]:
    return {p: truth.indexed(p) for p in truth.people}


def test_confirmed_embolism_with_cholesterol_and_no_anticoagulant_within_30_days(demo, truth):
    definition = {
        "name": "EP sans anticoagulant",
        "index": {"event": {"type": "text", "query": "embolie pulmonaire"}},
        "inclusion": [
            {"type": "demographics", "age": {"min": 18}},
            {"type": "measurement", "code": "2093-3", "min": 1.5, "unit": "g/L", "window": {"from": -365, "to": 365}},
        ],
        "exclusion": [{"type": "drug", "codes": ["B01A*"], "window": {"from": 0, "to": 30}}],
    }
    index = {p: d[0] for p, d in truth.notes("ep").items()}
    cholesterol = truth.values("2093-3", lambda v, unit: convert(v, unit, "g/L", "cholesterol"))
    anticoagulants = truth.coded("drug_exposure", "drug_source_value", "drug_exposure_start_date", ("B01A",))
    expected = {p: d for p, d in index.items() if truth.age(p, d) >= 18 and latest_within(cholesterol, p, d, -365, 365, lambda v: v >= 1.5)
                and not within(anticoagulants, p, d, 0, 30)}
    assert len(index) > 10
    assert run(demo, definition) == expected


def test_coded_ischaemic_heart_disease_or_embolism_in_women(demo, truth):
    definition = {"name": "I2x", "inclusion": [{"type": "condition", "codes": ["I2*"]}, {"type": "demographics", "sex": "F"}]}
    coded = truth.coded("condition_occurrence", "condition_source_value", "condition_start_date", ("I2",))
    expected = {p: truth.indexed(p) for p in coded if truth.people[p]["sex"] == "F"}
    assert expected
    assert run(demo, definition) == expected


def test_written_diabetes_with_two_high_hba1c_in_ifcc_units(demo, truth):
    """HbA1c is stored in % (NGSP); the criterion asks for >= 53 mmol/mol (IFCC), at least twice."""
    definition = {"name": "DT2 mal équilibré", "inclusion": [
        {"type": "text", "query": "DT2"},
        {"type": "measurement", "code": "4548-4", "min": 53, "unit": "mmol/mol", "at_least": 2},
    ]}
    written = truth.notes("diabete_t2")
    high = truth.measured("4548-4", lambda v, unit: convert(v, unit, "mmol/mol", "hba1c") >= 53)
    expected = {p: truth.indexed(p) for p in written if len(high.get(p, [])) >= 2}
    assert expected and len(expected) < len(written)
    assert run(demo, definition) == expected


def test_embolism_ruled_out_and_never_affirmed(demo, truth):
    definition = {"name": "EP écartée", "inclusion": [{"type": "text", "query": "neg:EP"}], "exclusion": [{"type": "text", "query": "EP"}]}
    negated = truth.notes("ep", ("negated",))
    affirmed = truth.notes("ep")
    expected = {p: truth.indexed(p) for p in negated if p not in affirmed}
    assert expected
    assert run(demo, definition) == expected


def test_stroke_with_atrial_fibrillation_written_in_the_year_before(demo, truth):
    definition = {"name": "AVC et FA", "index": {"event": {"type": "condition", "codes": ["I63*"]}},
                  "inclusion": [{"type": "text", "query": "fibrillation atriale", "window": {"from": -365, "to": 0}}]}
    strokes = truth.coded("condition_occurrence", "condition_source_value", "condition_start_date", ("I63",))
    fa = truth.notes("fa")
    expected = {p: d[0] for p, d in strokes.items() if within(fa, p, d[0], -365, 0)}
    assert expected and len(expected) < len(strokes)
    assert run(demo, definition) == expected


def test_frequent_emergency_visitors_under_70(demo, truth):
    definition = {"name": "urgences", "inclusion": [{"type": "visit", "kind": "emergency", "at_least": 2}],
                  "exclusion": [{"type": "demographics", "age": {"min": 70}}]}
    emergencies = truth.visits("emergency")
    expected = {p: truth.indexed(p) for p, d in emergencies.items() if len(d) >= 2 and truth.age(p, truth.indexed(p)) < 70}
    assert expected
    assert run(demo, definition) == expected


def test_coronary_stent_then_aspirin_within_a_month(demo, truth):
    definition = {"name": "stent", "index": {"event": {"type": "procedure", "codes": ["DDAF008"]}},
                  "inclusion": [{"type": "drug", "codes": ["B01AC06"], "window": {"from": 0, "to": 30}}]}
    stents = truth.coded("procedure_occurrence", "procedure_source_value", "procedure_date", ("DDAF008",))
    aspirin = truth.coded("drug_exposure", "drug_source_value", "drug_exposure_start_date", ("B01AC06",))
    expected = {p: d[0] for p, d in stents.items() if within(aspirin, p, d[0], 0, 30)}
    assert expected
    assert run(demo, definition) == expected


def test_chest_ct_and_lung_cancer_in_the_notes(demo, truth):
    definition = {"name": "scanner", "inclusion": [{"type": "imaging", "modality": "CT", "body_part": "CHEST"},
                                                   {"type": "text", "query": "cancer du poumon"}]}
    scanned = {p for p, _, modality, part in truth.studies if modality == "CT" and part == "CHEST"}
    cancer = truth.notes("cancer_poumon")
    expected = {p: truth.indexed(p) for p in scanned if p in cancer}
    assert scanned
    assert run(demo, definition) == expected


def test_family_history_of_diabetes_without_diabetes(demo, truth):
    definition = {"name": "ATCD familial DT2", "inclusion": [{"type": "text", "query": 'fam:"diabète de type 2"'}],
                  "exclusion": [{"type": "text", "query": "DT2"}, {"type": "condition", "codes": ["E11*"]}]}
    family = truth.notes("diabete_t2", ("family",))
    written = truth.notes("diabete_t2")
    coded = truth.coded("condition_occurrence", "condition_source_value", "condition_start_date", ("E11",))
    expected = {p: truth.indexed(p) for p in family if p not in written and p not in coded}
    assert expected
    assert run(demo, definition) == expected


def test_fasting_glucose_in_grams_per_litre_at_least_twice_without_suspected_diabetes(demo, truth):
    definition = {"name": "hyperglycémie", "inclusion": [{"type": "measurement", "code": "2345-7", "min": 1.26, "unit": "g/L", "at_least": 2}],
                  "exclusion": [{"type": "text", "query": "hyp:DT2"}]}
    high = truth.measured("2345-7", lambda v, unit: convert(v, unit, "g/L", "glucose") >= 1.26)
    suspected = truth.notes("diabete_t2", ("hypothetical",))
    expected = {p: truth.indexed(p) for p, d in high.items() if len(d) >= 2 and p not in suspected}
    assert expected
    assert run(demo, definition) == expected


def test_last_copd_mention_with_high_creatinine_in_the_two_years_before(demo, truth):
    """Index on the *last* mention; creatinine stored in µmol/L, asked in mg/dL."""
    definition = {"name": "BPCO et créatinine", "index": {"event": {"type": "text", "query": "BPCO"}, "occurrence": "last"},
                  "inclusion": [{"type": "measurement", "code": "2160-0", "min": 1.5, "unit": "mg/dL", "window": {"from": -730, "to": 0}}]}
    copd = {p: d[-1] for p, d in truth.notes("bpco").items()}
    creatinine = truth.values("2160-0", lambda v, unit: convert(v, unit, "mg/dL", "creatinine"))
    expected = {p: d for p, d in copd.items() if latest_within(creatinine, p, d, -730, 0, lambda v: v >= 1.5)}
    assert expected and len(expected) < len(copd)
    assert run(demo, definition) == expected
    ever = truth.measured("2160-0", lambda v, unit: convert(v, unit, "mg/dL", "creatinine") >= 1.5)
    anywhere = {p: d for p, d in copd.items() if within(ever, p, d, -730, 0)}
    assert len(anywhere) > len(expected)  # "any value" is another cohort, asked for by name:
    definition["inclusion"][0]["value_of"] = "any"
    assert run(demo, definition) == anywhere


def test_deceased_patients_are_indexed_and_aged_at_their_death(demo, truth):
    with open_store(demo, read_only=True) as store:
        cohort = build(store, demo, read({"name": "tous", "as_of": AS_OF.isoformat()}))
    died = {p for p, d in truth.deaths.items() if d < AS_OF}
    assert died and cohort.deceased == {p: "death" for p in died}
    assert cohort.as_dict()["index_dates"]["at_death"] == len(died)


def test_text_filters_apply_note_by_note(demo, truth):
    """`type:URG` restricts the text criterion to emergency notes; later than 30 days after the index."""
    definition = {"name": "EP aux urgences", "index": {"event": {"type": "condition", "codes": ["I26*"]}},
                  "inclusion": [{"type": "text", "query": "EP type:URG", "window": {"from": 31}}]}
    coded = truth.coded("condition_occurrence", "condition_source_value", "condition_start_date", ("I26",))
    emergency = truth.notes("ep", note_type="URG")
    expected = {p: d[0] for p, d in coded.items() if within(emergency, p, d[0], 31, None)}
    assert run(demo, definition) == expected


def test_without_criteria_the_cohort_is_everyone(demo, truth):
    assert run(demo, {"name": "tous"}) == everyone(truth)
