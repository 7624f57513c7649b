"""The patient summary against what the project did not write by hand: the demo generator's
ground truth (every patient) and real FHIR bundles (Synthea), through the service users call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinsearch.demo import phrases
from clinsearch.record.summary import summarise
from clinsearch.services import summary as summaries
from clinsearch.services.access import command_line, pseudonym
from clinsearch.services.patients import note as read_note
from clinsearch.terminology.defaults import default
from clinsearch.warehouse.store import open_store
from tests.helpers import load

SYNTHEA = Path(__file__).parents[1] / "data" / "synthea_fhir_r4_smart"
CATEGORY = {name: spec[0].replace(".", "")[:3] for name, spec in phrases.CONDITIONS.items()}


@pytest.fixture(scope="module")
def truth(demo) -> dict:
    return json.loads((demo / "demo-source" / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def summaries_of_all(demo) -> dict[str, tuple[dict, dict]]:
    """Every demo patient's summary (the domain function, one store), with the notes' texts and
    their ids in the generator's manifest."""
    out = {}
    with open_store(demo, read_only=True) as store:
        sources = {r["note_id"]: (r["source"], r["note_text"]) for r in store.query_dicts(
            "SELECT note_id, note_source_value AS source, note_text FROM note")}
        for row in store.query_dicts("SELECT person_id, person_source_value AS ipp FROM person ORDER BY person_id"):
            out[row["ipp"]] = summarise(store, row["person_id"], default())
    return {"summaries": out, "notes": sources}


def test_each_patients_problem_list_is_the_generators_ground_truth(summaries_of_all, truth):
    """Over all 500 demo patients: the problems among the generator's conditions are exactly the
    documented ones (coded or written as affirmed); any other problem is a disease the notes do
    affirm (the generator's look-alike sentences: pulmonary hypertension, diabetes insipidus)."""
    wrong = []
    for ipp, summary in summaries_of_all["summaries"].items():
        got = {p["code"] for p in summary["problems"] if p["code"] in CATEGORY.values()}
        want = {CATEGORY[c] for c in truth["patients"][ipp]["documented"]}
        others = [c["text"] for p in summary["problems"] if p["code"] not in CATEGORY.values() for c in p["citations"]]
        if got != want or any(not any(d.rstrip(".") in text for d in phrases.DISTRACTORS) for text in others):
            wrong.append((ipp, sorted(want - got), sorted(got - want), others[:2]))
    assert len(summaries_of_all["summaries"]) == 500
    assert not wrong, wrong[:5]


def test_no_negated_hypothetical_or_family_mention_supports_a_problem(summaries_of_all, truth):
    """Every note citation of a problem falls on a mention the generator wrote as affirmed or as
    history of that condition (or on a look-alike disease); traps land in their own sections."""
    notes, by_code = summaries_of_all["notes"], {v: k for k, v in CATEGORY.items()}
    traps_seen = {"negated": 0, "hypothetical": 0, "family_history": 0}
    for summary in summaries_of_all["summaries"].values():
        for problem in summary["problems"]:
            condition = by_code.get(problem["code"])
            for c in problem["citations"]:
                if not c.get("note_id") or condition is None:
                    continue
                mentions = truth["notes"][notes[c["note_id"]][0]]["mentions"]
                start, end = c["mention"]
                statuses = {m["status"] for m in mentions if m["condition"] == condition and m["start"] < end and start < m["end"]}
                assert statuses and statuses <= {"affirmed", "history"}, (problem["label"], c["text"], statuses)
        for section in traps_seen:
            traps_seen[section] += len(summary[section])
    assert all(n > 100 for n in traps_seen.values()), traps_seen  # the traps are there, kept apart


def test_every_citation_quotes_the_record(summaries_of_all, demo):
    """A note citation is the text at its offsets; a row citation names an existing row."""
    notes = summaries_of_all["notes"]
    some = list(summaries_of_all["summaries"].values())[:60]
    with open_store(demo, read_only=True) as store:
        for summary in some:
            for name in ("problems", "family_history", "negated", "hypothetical", "treatments", "symptoms"):
                for line in summary[name]:
                    assert line["citations"], line
                    for c in line["citations"]:
                        if c.get("note_id"):
                            assert notes[c["note_id"]][1][c["start"]: c["end"]] == c["text"]
                            assert c["start"] <= c["mention"][0] < c["mention"][1] <= c["end"]
                        else:
                            key = {"condition_occurrence": "condition_occurrence_id", "drug_exposure": "drug_exposure_id", "observation": "observation_id"}[c["table"]]
                            assert store.query(f"SELECT count(*) FROM {c['table']} WHERE {key} = ?", [c["row"]])[0][0] == 1


def test_a_researcher_gets_a_pseudonymised_summary_whose_quotes_match_the_note_they_can_open(demo):
    clinician, researcher = command_line(demo), command_line(demo, "researcher")
    identified = summaries.summary(clinician, "1", with_scores=False)
    alias = pseudonym(demo, 1)
    shown = summaries.summary(researcher, alias)
    text = json.dumps(shown, ensure_ascii=False)
    assert identified["person"]["family_name"] not in text and identified["person"]["ipp"] not in text
    assert shown["person"]["person_id"] == alias and "birth_date" not in shown["person"] and shown["scores"] == []
    assert shown["problems"][0]["first_date"] != identified["problems"][0]["first_date"]  # dates shifted
    for problem in shown["problems"]:
        for c in problem["citations"]:
            if c.get("note_id"):
                assert read_note(researcher, c["note_id"])["text"][c["start"]: c["end"]] == c["text"]


def test_scores_come_last_and_only_those_that_apply(demo):
    found = summaries.summary(command_line(demo), "1")
    assert list(found)[-2:] == ["scores", "timeline"]
    assert found["scores"] and all(s["status"] != "not_applicable" for s in found["scores"])


def test_real_fhir_allergies_snomed_problems_and_labs_in_other_units(tmp_path):
    """A Synthea patient (five AllergyIntolerance, SNOMED conditions, RxNorm drugs, labs in
    mg/dL): allergies listed with their rows, ranges converted to the row's unit or not shown."""
    data = tmp_path / "w"
    assert load(data, SYNTHEA / "Patria_Schimmel_d2f8f862-3856-490d-b56f-98e0ed984b1e.json.gz").ok
    with open_store(data, read_only=True) as store:
        person = store.query("SELECT person_id FROM person")[0][0]
    found = summaries.summary(command_line(data), str(person), with_scores=False)
    assert {a["label"] for a in found["allergies"]} >= {"Allergy to fish", "Allergy to nut"} and len(found["allergies"]) == 5
    assert all(a["citations"][0]["table"] == "observation" for a in found["allergies"])
    assert any(p["vocabulary"] == "SNOMED" and p["code"] == "44054006" for p in found["problems"])  # diabetes
    assert any(t["vocabulary"] == "RxNorm" and t["status"] == "current" for t in found["treatments"])
    tests = {t["code"]: t for panel in found["labs"] for t in panel["tests"]}
    assert tests["2093-3"]["unit"] == "mg/dL" and tests["2093-3"]["high"] == 201.0  # 5.2 mmol/L in mg/dL
    assert tests["4548-4"]["flag"] == "high"  # HbA1c 7.56 % for a diabetic
    assert tests["2571-8"]["low"] is None and tests["2571-8"]["range_source"] is None  # triglycerides: no conversion known, no range
