"""The synthetic hospital: deterministic, realistic enough, and true to its own ground truth."""

from __future__ import annotations

import csv
import filecmp
import json
import re
from pathlib import Path

from clinsearch.demo.generator import generate
from tests.helpers import query, run_cli


def truth(demo: Path) -> dict:
    return json.loads((demo / "demo-source" / "ground_truth.json").read_text(encoding="utf-8"))


def test_the_same_seed_writes_the_same_files(tmp_path):
    generate(tmp_path / "a", patients=30, notes=200, seed=7)
    generate(tmp_path / "b", patients=30, notes=200, seed=7)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", [str(f) for f in files_a], shallow=False)
    assert mismatch == [] and errors == []
    generate(tmp_path / "c", patients=30, notes=200, seed=8)
    assert not filecmp.cmp(tmp_path / "a" / "ground_truth.json", tmp_path / "c" / "ground_truth.json", shallow=False)


def test_the_demo_loads_whole_with_nothing_quarantined(demo):
    result = run_cli("--data", demo, "stats", "--json")
    stats = json.loads(result.stdout)
    assert stats["quarantine"] == 0
    tables = stats["tables"]
    assert tables["person"] == 500 and tables["note"] == 5000
    sources = demo / "demo-source" / "sources"
    for table in ("visit_occurrence", "condition_occurrence", "measurement", "drug_exposure", "procedure_occurrence", "observation"):
        with open(sources / "omop" / f"{table}.csv", newline="", encoding="utf-8") as handle:
            assert tables[table] == sum(1 for _ in csv.DictReader(handle)) > 0, table
    assert tables["image_occurrence"] == len(list((sources / "imaging").glob("*.dcm"))) // 2 > 0
    assert tables["article"] == 13


def test_notes_are_of_every_type_and_tied_to_their_patient_and_department(demo):
    types = dict(query(demo, "SELECT note_class_source_value, count(*) FROM note GROUP BY 1"))
    assert set(types) == {"CRH", "CRO", "CRI", "CONS", "URG"}
    orphans = query(demo, "SELECT count(*) FROM note n LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL")[0][0]
    assert orphans == 0
    departments = query(demo, "SELECT count(DISTINCT c.care_site_name) FROM note n JOIN care_site c USING (care_site_id)")[0][0]
    assert departments == 9


def test_notes_use_the_turns_of_phrase_of_french_clinical_notes(demo):
    texts = "\n".join(r[0] for r in query(demo, "SELECT note_text FROM note LIMIT 2000"))
    for phrase in ("Pas d", "Absence d", "Suspicion d", "à éliminer", "chez la mère", "Antécédent", "HTA", "IDM", "EP", "DT2", "AVC", "BPCO", "FA"):
        assert phrase in texts, phrase
    assert re.search(r"TA \d+/\d+ mmHg", texts) and re.search(r"Créatinine \d+ µmol/L", texts)
    assert re.search(r"Apixaban \(Eliquis\) 5 mg", texts) and re.search(r"Date : \d\d/\d\d/\d{4}", texts)


def test_ground_truth_offsets_point_at_the_mentions_in_the_loaded_text(demo):
    notes = truth(demo)["notes"]
    texts = dict(query(demo, "SELECT note_source_value, note_text FROM note"))
    statuses = set()
    for source, note in notes.items():
        text = texts[source]
        for mention in note["mentions"]:
            assert text[mention["start"]:mention["end"]] == mention["text"], (source, mention)
            statuses.add(mention["status"])
        for identifier in note["identifiers"]:
            assert text[identifier["start"]:identifier["end"]] == identifier["text"]
    assert statuses == {"affirmed", "history", "negated", "hypothetical", "family"}


def test_coded_conditions_in_the_truth_are_the_conditions_in_the_warehouse(demo):
    t = truth(demo)
    codes = {k: v["code"] for k, v in t["conditions"].items()}
    rows = query(demo, "SELECT p.person_source_value, c.condition_source_value FROM condition_occurrence c JOIN person p USING (person_id)")
    stored = {(ipp, code) for ipp, code in rows}
    expected = {(ipp, codes[c]) for ipp, p in t["patients"].items() for c in p["coded"]}
    assert stored == expected


def test_traps_never_concern_a_condition_the_patient_has(demo):
    t = truth(demo)
    for note in t["notes"].values():
        patient = t["patients"][note["person_source_value"]]
        for mention in note["mentions"]:
            if mention["status"] in ("negated", "hypothetical", "family"):
                assert mention["condition"] not in patient["conditions"]
            else:
                assert mention["condition"] in patient["written"]


def test_running_the_demo_again_loads_nothing_twice(demo):
    before = json.loads(run_cli("--data", demo, "stats", "--json").stdout)
    assert run_cli("--data", demo, "demo", "--no-serve").exit_code == 0
    assert json.loads(run_cli("--data", demo, "stats", "--json").stdout) == before


def test_the_demo_notes_are_annotated_and_agree_with_the_ground_truth(demo):
    """Every mention the generator wrote is found by the NLP with the right context."""
    notes = truth(demo)["notes"]
    rows = query(demo, "SELECT n.note_source_value, x.start_char, x.end_char, x.term_exists, coalesce(x.term_modifiers, '') FROM note_nlp x JOIN note n USING (note_id)")
    found: dict[str, list] = {}
    for source, start, end, exists, modifiers in rows:
        found.setdefault(source, []).append((start, end, exists, modifiers))
    agree = total = 0
    for source, note in notes.items():
        for m in note["mentions"]:
            hits = [h for h in found.get(source, []) if h[0] < m["end"] and m["start"] < h[1]]
            expected = (m["status"] == "negated", m["status"] == "hypothetical", m["status"] == "family")
            total += 1
            agree += any((h[2] == "N", "hypothesis" in h[3], "family" in h[3]) == expected for h in hits)
    assert total > 5000 and agree / total >= 0.97


def test_the_demo_creates_one_user_per_role(demo):
    from clinsearch.services.demo import DEMO_USERS
    from clinsearch.security.users import Users

    users = Users(demo)
    for name, role, password in DEMO_USERS:
        assert users.authenticate(name, password).role == role
