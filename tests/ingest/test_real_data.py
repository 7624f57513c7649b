"""Loading real data as a new user would (issue 20, "Loading"): MTSamples notes whose patients
the warehouse does not have, a Synthea folder with its own manifest.csv, a CSV without sidecar,
and the quarantine command that lists, explains and clears what could not be loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clinsearch.security.users import Principal
from clinsearch.services import quarantine as quarantine_service
from clinsearch.services.access import AccessDenied, Request
from clinsearch.security.audit import AuditLog
from tests.helpers import DATA, counts, load, quarantine, query, run_cli

SMART = DATA / "synthea_fhir_r4_smart"
# The notes-CSV sidecar example of ingest/documents.py, as a user copies it: no create_persons.
EXAMPLE_SIDECAR = {"columns": {"text": "transcription", "title": "sample_name", "type": "medical_specialty", "id": ""},
                   "defaults": {"person_source_value": "mtsamples-{id}", "date": "2023-02-01"}}


def mtsamples(folder: Path, **sidecar) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(DATA / "mtsamples" / "mtsamples.csv", folder / "mtsamples.csv")
    (folder / "mtsamples.csv.json").write_text(json.dumps({**EXAMPLE_SIDECAR, **sidecar}), encoding="utf-8")
    return folder


def orphan_notes(data: Path) -> int:
    return query(data, "SELECT count(*) FROM note n LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL")[0][0]


def test_notes_of_patients_the_warehouse_does_not_have_are_quarantined_not_loaded(data, tmp_path):
    result = run_cli("--data", data, "ingest", "--no-nlp", "--json", mtsamples(tmp_path / "mts"))
    assert result.exit_code == 1
    source = json.loads(result.stdout)["sources"][0]
    assert (source["status"], source["loaded"], source["quarantined"], source["orphans"]) == ("quarantined", 0, 20, 20)
    assert "their patient is not in the warehouse" in source["message"]
    assert counts(data)["note"] == 0 and orphan_notes(data) == 0
    reason = quarantine(data)[0]["reason"]
    assert "no patient with person_id" in reason and "person_source_value 'mtsamples-0'" in reason and "create_persons" in reason
    assert "quarantined: " in result.stderr and "quarantine list" in result.stderr


def test_a_source_that_says_so_creates_its_patients_and_the_summary_says_it(data, tmp_path):
    result = load(data, mtsamples(tmp_path / "mts", create_persons=True))
    assert result.ok
    summary = result.summaries[0]
    assert (summary.status, summary.loaded, summary.persons_created, summary.orphans) == ("loaded", 20, 20, 0)
    assert "20 person(s) created" in summary.message
    assert counts(data)["note"] == 20 and counts(data)["person"] == 20 and orphan_notes(data) == 0


def test_created_persons_never_overwrite_a_patient_already_loaded(data, tmp_path):
    (tmp_path / "person.csv").write_text("person_id,year_of_birth,gender_concept_id,person_source_value\n7,1950,8532,mtsamples-0\n")
    assert load(data, tmp_path / "person.csv").ok
    result = load(data, mtsamples(tmp_path / "mts", create_persons=True))
    assert result.summaries[0].persons_created == 19
    assert query(data, "SELECT person_id, year_of_birth, gender_concept_id FROM person WHERE person_source_value = 'mtsamples-0'") == [(7, 1950, 8532)]
    assert query(data, "SELECT person_id FROM note WHERE note_source_value = 'mtsamples.csv:0'") == [(7,)]


def test_orphans_load_once_their_patients_are_there(data, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("Pas de diabète.", encoding="utf-8")
    (notes / "b.txt").write_text("HTA connue.", encoding="utf-8")
    (notes / "manifest.csv").write_text("file,person_source_value,date\na.txt,IPP1,2024-01-01\nb.txt,IPP2,2024-01-02\n")
    (tmp_path / "person.csv").write_text("person_id,year_of_birth,person_source_value\n1,1950,IPP1\n")
    first = load(data, tmp_path / "person.csv", notes)
    assert [s.status for s in first.summaries] == ["loaded", "partly quarantined"]
    (tmp_path / "person.csv").write_text("person_id,year_of_birth,person_source_value\n1,1950,IPP1\n2,1960,IPP2\n")
    again = load(data, tmp_path / "person.csv", notes)  # the notes are unchanged: read again all the same
    assert [s.status for s in again.summaries] == ["loaded", "loaded"]
    assert query(data, "SELECT person_id FROM note ORDER BY note_date") == [(1,), (2,)]
    assert quarantine(data) == []


def test_the_rule_holds_for_omop_tables_too(data, tmp_path):
    (tmp_path / "person.csv").write_text("person_id,year_of_birth\n1,1950\n")
    (tmp_path / "condition_occurrence.csv").write_text(
        "condition_occurrence_id,person_id,condition_start_date,condition_source_value\n1,1,2021-01-01,I10\n2,99,2021-01-01,E11\n")
    result = load(data, tmp_path)  # condition_occurrence.csv sorts first by name; person.csv loads first all the same
    assert [Path(s.source).name for s in result.summaries] == ["person.csv", "condition_occurrence.csv"]
    assert (result.summaries[1].loaded, result.summaries[1].orphans) == (1, 1)
    assert quarantine(data)[0]["source_record"] == "line 3"


def test_a_data_sets_own_manifest_is_not_taken_for_a_document_manifest(data, tmp_path):
    folder = tmp_path / "synthea"
    (folder / "bundles").mkdir(parents=True)
    names = sorted(p.name for p in SMART.glob("*.json.gz"))[:3]
    for name in names:
        shutil.copy(SMART / name, folder / "bundles" / name)
    shutil.copy(SMART / "expected_counts.csv", folder / "manifest.csv")  # as the data set ships it
    result = run_cli("--data", data, "ingest", "--no-nlp", "--json", folder)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["totals"]["quarantined"] == 0 and len(summary["sources"]) == 3
    ignored = {Path(i["source"]).name: i["reason"] for i in summary["ignored"]}
    assert "not a document manifest" in ignored["manifest.csv"]
    assert counts(data)["person"] == 3


def test_a_document_manifest_is_recognised_by_its_columns_whatever_its_name(data, tmp_path):
    (tmp_path / "person.csv").write_text("person_id,year_of_birth\n7,1950\n")
    (tmp_path / "crh.txt").write_text("Embolie pulmonaire.", encoding="utf-8")
    (tmp_path / "index_documents.csv").write_text("file,person_id,date,type\ncrh.txt,7,2024-01-01,CRH\n")
    result = load(data, tmp_path)
    assert result.ok and [s.format for s in result.summaries] == ["omop", "manifest"]
    assert counts(data)["note"] == 1


def test_a_csv_without_sidecar_is_refused_with_the_sidecar_it_needs(data, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("id,text\n1,Pas de fièvre.\n")
    result = run_cli("--data", data, "ingest", path)
    assert result.exit_code == 1
    assert "notes.csv: unrecognised format" in result.stderr and "sidecar notes.csv.json" in result.stderr
    assert '"columns"' in result.stderr and "docs/data-engineering.md" in result.stderr


def test_the_quarantine_command_lists_shows_and_clears(data, tmp_path):
    folder = mtsamples(tmp_path / "mts")
    run_cli("--data", data, "ingest", "--no-nlp", folder)
    listed = json.loads(run_cli("--data", data, "quarantine", "list", "--json").stdout)
    [source] = listed["sources"]
    assert (source["status"], source["records"], source["format"]) == ("quarantined", 20, "notes-csv")
    assert "no patient with person_id" in source["top_reason"]
    shown = run_cli("--data", data, "quarantine", "show", str(source["first_id"]), "--json")
    entry = json.loads(shown.stdout)
    assert entry["source_record"] == "line 2" and "mtsamples-0" in entry["reason"] and "note: " in entry["raw"]
    assert run_cli("--data", data, "quarantine", "show", "999999").exit_code == 1
    cleared = json.loads(run_cli("--data", data, "quarantine", "clear", "mtsamples.csv", "--json").stdout)
    assert cleared["cleared"] == 20 and quarantine(data) == []
    again = json.loads(run_cli("--data", data, "ingest", "--no-nlp", "--json", folder).stdout)
    assert again["sources"][0]["status"] == "already loaded"  # cleared: the unchanged file is not read again
    assert "the quarantine is empty" in run_cli("--data", data, "quarantine", "list").stdout


@pytest.mark.parametrize("role", ["researcher", "clinician"])
def test_only_administrators_read_the_quarantine_and_refusals_are_audited(data, tmp_path, role):
    run_cli("--data", data, "ingest", "--no-nlp", mtsamples(tmp_path / "mts"))
    request = Request(data, Principal("someone", role), "test")
    with pytest.raises(AccessDenied, match="only administrators"):
        quarantine_service.listing(request)
    with pytest.raises(AccessDenied):
        quarantine_service.entry(request, 1)
    with pytest.raises(AccessDenied):
        quarantine_service.clear(request, "mtsamples.csv")
    assert len(quarantine(data)) == 20
    log = AuditLog(data)
    try:
        actions = [e["action"] for e in log.entries(limit=10)]
    finally:
        log.close()
    assert actions.count("refused") == 3


def test_reading_the_quarantine_is_audited(data, tmp_path):
    run_cli("--data", data, "ingest", "--no-nlp", mtsamples(tmp_path / "mts"))
    run_cli("--data", data, "quarantine", "show", "1")
    log = AuditLog(data)
    try:
        entries = log.entries(limit=10)
    finally:
        log.close()
    assert any(e["action"] == "quarantine-show" and e["target"] == "quarantine 1" and e["role"] == "admin" for e in entries)
