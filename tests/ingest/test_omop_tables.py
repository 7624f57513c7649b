"""The OMOP table reader: CSV in the encodings and separators hospitals export, Parquet, and
the ways such files go wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.helpers import counts, load, quarantine, query, run_cli


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def person1(data: Path, tmp_path: Path) -> None:
    """Patient 1, loaded first: a row of a patient the warehouse does not have is quarantined."""
    assert load(data, write(tmp_path / "person.csv", "person_id,year_of_birth\n1,1950\n")).ok


def test_a_utf8_csv_loads_into_the_table_named_by_the_file(data, tmp_path):
    path = write(tmp_path / "person.csv", "person_id,gender_concept_id,year_of_birth,person_source_value\n1,8507,1950,IPP1\n2,8532,1961,IPP2\n")
    assert load(data, path).ok
    assert query(data, "SELECT person_id, year_of_birth, person_source_value FROM person ORDER BY 1") == [(1, 1950, "IPP1"), (2, 1961, "IPP2")]


def test_a_latin1_semicolon_csv_with_decimal_commas_and_french_dates_loads(data, tmp_path):
    person1(data, tmp_path)
    text = "measurement_id;person_id;measurement_date;value_as_number;unit_source_value;measurement_source_value\n1;1;04/03/2021;5,4;mmol/L;Cholestérol\n"
    path = write(tmp_path / "MEASUREMENT.csv", text, encoding="latin-1")
    assert load(data, path).ok
    assert query(data, "SELECT measurement_date, value_as_number, measurement_source_value FROM measurement") == [(dt.date(2021, 3, 4), 5.4, "Cholestérol")]


def test_parquet_tables_load_with_their_types(data, tmp_path):
    person1(data, tmp_path)
    table = pa.table({"note_id": [1, 2], "person_id": [1, 1], "note_date": [dt.date(2024, 1, 2), dt.date(2024, 1, 3)], "note_text": ["Pas de diabète.", "HTA connue."]})
    pq.write_table(table, tmp_path / "note.parquet")
    assert load(data, tmp_path / "note.parquet").ok
    assert query(data, "SELECT note_id, note_text FROM note ORDER BY 1") == [(1, "Pas de diabète."), (2, "HTA connue.")]


def test_a_csv_missing_a_required_column_is_refused_whole_with_the_column_named(data, tmp_path):
    path = write(tmp_path / "visit_occurrence.csv", "visit_occurrence_id,person_id\n1,1\n")
    result = run_cli("--data", data, "ingest", path)
    assert result.exit_code == 1
    assert "visit_occurrence.csv: missing required column(s) visit_start_date" in result.stderr
    assert counts(data)["visit_occurrence"] == 0


def test_an_unknown_column_is_refused_with_its_name(data, tmp_path):
    path = write(tmp_path / "person.csv", "person_id,year_of_birth,shoe_size\n1,1950,42\n")
    result = run_cli("--data", data, "ingest", path)
    assert result.exit_code == 1 and "unknown column(s) shoe_size for OMOP table person" in result.stderr


def test_bad_values_are_quarantined_by_line_and_the_good_lines_load(data, tmp_path):
    person1(data, tmp_path)
    text = (
        "condition_occurrence_id,person_id,condition_start_date,condition_source_value\n"
        "1,1,2021-01-01,I10\n"
        "2,1,2021-13-45,E11\n"
        "3,one,2021-01-01,E11\n"
        "4,1,31.12.2020,E11\n"
        "5,1,,E11\n"
        "6,1,2021-01-01\n"
        "7,1,2021-01-02,I26\n"
    )
    result = load(data, write(tmp_path / "condition_occurrence.csv", text))
    assert result.summaries[0].loaded == 2 and result.summaries[0].quarantined == 5
    reasons = {q["source_record"]: q["reason"] for q in quarantine(data)}
    assert reasons["line 3"] == "column condition_start_date: impossible date '2021-13-45'"
    assert reasons["line 4"] == "column person_id: expected a number, got 'one'"
    assert "unknown date format '31.12.2020'" in reasons["line 5"]
    assert reasons["line 6"] == "missing required value for condition_start_date"
    assert reasons["line 7"] == "expected 4 fields, got 3"


def test_duplicated_ids_in_one_file_are_quarantined(data, tmp_path):
    path = write(tmp_path / "person.csv", "person_id,year_of_birth\n1,1950\n2,1960\n1,1970\n")
    result = load(data, path)
    assert result.summaries[0].quarantined == 1
    assert quarantine(data)[0]["reason"] == "duplicate person_id 1 (first at line 2)"
    assert query(data, "SELECT year_of_birth FROM person WHERE person_id = 1") == [(1950,)]


def test_an_empty_file_is_one_clear_error(data, tmp_path):
    result = run_cli("--data", data, "ingest", write(tmp_path / "person.csv", ""))
    assert result.exit_code == 1 and "person.csv: empty file (no header line)" in result.stderr


def test_multiline_quoted_notes_keep_their_line_numbers(data, tmp_path):
    person1(data, tmp_path)
    text = 'note_id,person_id,note_date,note_text\n1,1,2024-01-01,"Ligne 1\nLigne 2"\n2,1,pas une date,"x"\n'
    load(data, write(tmp_path / "note.csv", text))
    assert query(data, "SELECT note_text FROM note") == [("Ligne 1\nLigne 2",)]
    assert quarantine(data)[0]["source_record"] == "line 4"


def test_a_changed_file_replaces_rows_by_their_ids(data, tmp_path):
    path = write(tmp_path / "person.csv", "person_id,year_of_birth\n1,1950\n")
    load(data, path)
    write(path, "person_id,year_of_birth\n1,1951\n2,1980\n")
    load(data, path)
    assert query(data, "SELECT person_id, year_of_birth FROM person ORDER BY 1") == [(1, 1951), (2, 1980)]
