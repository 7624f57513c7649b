"""`clinsearch vocabulary load` on a small Athena download in Athena's exact format
(tests/data/athena_small): every table loaded, one transaction, bad rows named by file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clinsearch import terminology
from clinsearch.terminology import omop
from tests.helpers import DATA, counts, query, run_cli

ATHENA = DATA / "athena_small"


def download(tmp_path: Path) -> Path:
    folder = tmp_path / "athena"
    shutil.copytree(ATHENA, folder)
    return folder


def test_every_vocabulary_table_is_loaded_with_a_summary(data):
    result = run_cli("--data", data, "vocabulary", "load", ATHENA, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["tables"] == {"concept": 10, "vocabulary": 5, "domain": 3, "concept_class": 6, "relationship": 6,
                                 "concept_relationship": 10, "concept_ancestor": 12, "concept_synonym": 3, "drug_strength": 1}
    assert [v["vocabulary_id"] for v in summary["vocabularies"]] == ["ATC", "ICD10", "LOINC", "RxNorm", "SNOMED"]
    tables = counts(data)
    assert tables["concept_ancestor"] == 12 and tables["drug_strength"] == 1
    # Athena's YYYYMMDD dates and empty fields are read as dates and NULLs, each row keeps its file and line
    assert query(data, "SELECT valid_start_date::VARCHAR, invalid_reason, source_file, source_record FROM concept WHERE concept_id = 201826") == [
        ("1970-01-01", None, "CONCEPT.csv", "3")]
    assert query(data, "SELECT amount_value, numerator_value FROM drug_strength") == [(500.0, None)]
    assert query(data, "SELECT format, status FROM load_log WHERE format = 'athena'") == [("athena", "loaded")]


def test_progress_names_each_file(data):
    result = run_cli("--data", data, "vocabulary", "load", ATHENA)
    assert result.exit_code == 0, result.stderr
    assert "CONCEPT_ANCESTOR.csv: 12 rows" in result.stderr and "SNOMED" in result.stdout


def test_the_loaded_hierarchy_and_maps_to_answer_through_the_terminology(data):
    assert run_cli("--data", data, "vocabulary", "load", ATHENA).exit_code == 0
    assert terminology.descendants("SNOMED", "73211009", data=data) >= {("SNOMED", "44054006"), ("SNOMED", "46635009")}
    assert ("SNOMED", "44054006") in terminology.maps_to("CIM10", "E11", data=data)
    assert ("SNOMED", "44054006") in {(c.vocabulary, c.code) for c in terminology.lookup("Type II diabetes mellitus", data=data)}
    assert omop.related(data, [("ATC", "A10BA02")]) == [("ATC", "A10BA02"), ("RxNorm", "6809"), ("RxNorm", "860975")]
    assert terminology.descendants("SNOMED", "73211009") == {("SNOMED", "73211009")}  # without the warehouse: nothing loaded


def test_loading_again_replaces_and_does_not_duplicate(data):
    assert run_cli("--data", data, "vocabulary", "load", ATHENA).exit_code == 0
    assert run_cli("--data", data, "vocabulary", "load", ATHENA).exit_code == 0
    assert counts(data)["concept_relationship"] == 10 and counts(data)["concept"] == 10


@pytest.mark.parametrize("file, line, replace, expected", [
    ("CONCEPT_ANCESTOR.csv", 4, lambda l: l.replace("\t0\t0", "\tzero\t0", 1), "CONCEPT_ANCESTOR.csv, line 4: min_levels_of_separation 'zero' is not a number"),
    ("CONCEPT.csv", 3, lambda l: l.replace("19700101", "1970-13-45"), "CONCEPT.csv, line 3: valid_start_date '1970-13-45' is not a date (YYYYMMDD)"),
    ("CONCEPT_RELATIONSHIP.csv", 2, lambda l: l.rsplit("\t", 1)[0].rsplit("\t", 1)[0], "CONCEPT_RELATIONSHIP.csv, line 2: expected 6 tab-separated fields, found 4"),
    ("CONCEPT_SYNONYM.csv", 2, lambda l: "\t" + l.split("\t", 1)[1], "CONCEPT_SYNONYM.csv, line 2: concept_id is empty (required)"),
])
def test_a_bad_row_stops_the_load_with_its_file_and_line_and_writes_nothing(data, tmp_path, file, line, replace, expected):
    folder = download(tmp_path)
    lines = (folder / file).read_text("utf-8").splitlines()
    lines[line - 1] = replace(lines[line - 1])
    (folder / file).write_text("\n".join(lines) + "\n", "utf-8")
    result = run_cli("--data", data, "vocabulary", "load", folder)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
    assert errors == [f"error: {expected}"] and result.stderr.strip().endswith(expected)
    tables = counts(data)
    assert tables["concept"] == 0 and tables["vocabulary"] == 0 and tables["concept_relationship"] == 0  # nothing half-written
    assert omop.loaded(data) == []


def test_a_bad_load_leaves_the_previous_vocabularies_in_place(data, tmp_path):
    assert run_cli("--data", data, "vocabulary", "load", ATHENA).exit_code == 0
    folder = download(tmp_path)
    (folder / "CONCEPT_ANCESTOR.csv").write_text((folder / "CONCEPT_ANCESTOR.csv").read_text("utf-8") + "1\t2\tthree\t3\n", "utf-8")
    assert run_cli("--data", data, "vocabulary", "load", folder).exit_code == 1
    assert counts(data)["concept_ancestor"] == 12 and counts(data)["concept"] == 10


def test_a_folder_that_is_not_an_athena_download_is_refused(data, tmp_path):
    (tmp_path / "CONCEPT.csv").write_text("concept_id\tconcept_name\n", "utf-8")
    result = run_cli("--data", data, "vocabulary", "load", tmp_path)
    assert result.exit_code == 1 and "not an Athena download: VOCABULARY.csv, CONCEPT_RELATIONSHIP.csv, CONCEPT_ANCESTOR.csv missing" in result.stderr
    folder = download(tmp_path)
    (folder / "DOMAIN.csv").write_text("domain_id\tdomain_label\tdomain_concept_id\n", "utf-8")
    result = run_cli("--data", data, "vocabulary", "load", folder)
    assert result.exit_code == 1 and "DOMAIN.csv, line 1: not the OMOP domain header (unknown column(s) domain_label" in result.stderr
