"""Exports of demo cohorts: identified and pseudonymised patient lists, OMOP tables of the
cohort's patients, written whole or not at all; saved cohorts; the command line, audited."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pyarrow.parquet as pq
import pytest

from clinsearch.cohort import export as export_module
from clinsearch.cohort.build import build
from clinsearch.cohort.definition import read
from clinsearch.cohort.export import export
from clinsearch.files import OutputError
from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift, person_pseudonym
from clinsearch.security.audit import AuditLog
from clinsearch.warehouse.store import open_store
from tests.helpers import run_cli

DEFINITION = {"name": "EP et anticoagulant", "as_of": "2025-07-01",
              "index": {"event": {"type": "text", "query": "EP"}},
              "inclusion": [{"type": "drug", "codes": ["B01A*"], "window": {"from": 0, "to": 30}}]}


@pytest.fixture(scope="module")
def cohort(demo):
    with open_store(demo, read_only=True) as store:
        return build(store, demo, read(DEFINITION))


def identities(demo, people) -> list[dict]:
    with open_store(demo, read_only=True) as store:
        return store.query_dicts("SELECT p.person_id, p.person_source_value AS ipp, i.family_name, i.phone FROM person p JOIN person_identity i USING (person_id) "
                                 "WHERE person_id IN (SELECT unnest(?))", [list(people)])


def test_identified_csv_lists_the_patients_with_their_index_date(demo, cohort, tmp_path):
    with open_store(demo, read_only=True) as store:
        result = export(store, demo, cohort, tmp_path / "c.csv", pseudonymised=False)
    with open(tmp_path / "c.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert result.patients == len(rows) == cohort.size > 10
    assert [(int(r["person_id"]), dt.date.fromisoformat(r["index_date"])) for r in rows] == cohort.members
    assert set(rows[0]) == {"person_id", "index_date", "sex", "year_of_birth", "age_at_index"}


def test_pseudonymised_parquet_has_pseudonyms_and_shifted_dates(demo, cohort, tmp_path):
    with open_store(demo, read_only=True) as store:
        export(store, demo, cohort, tmp_path / "c.parquet", pseudonymised=True)
    table = pq.read_table(tmp_path / "c.parquet").to_pylist()
    secret = secret_key(demo)
    expected = {person_pseudonym(p, secret): d + dt.timedelta(days=date_shift(p, secret)) for p, d in cohort.members}
    assert {r["person_id"]: r["index_date"] for r in table} == expected
    assert "year_of_birth" not in table[0]


def test_pseudonymised_omop_tables_hold_no_identifier(demo, cohort, tmp_path):
    with open_store(demo, read_only=True) as store:
        result = export(store, demo, cohort, tmp_path / "omop", pseudonymised=True)
        conditions = store.query("SELECT person_id, condition_start_date FROM condition_occurrence WHERE person_id IN (SELECT unnest(?)) ORDER BY 1, 2",
                                 [[p for p, _ in cohort.members]])
        periods = store.query("SELECT person_id, observation_period_start_date, observation_period_end_date FROM observation_period "
                              "WHERE person_id IN (SELECT unnest(?))", [[p for p, _ in cohort.members]])
    folder = tmp_path / "omop"
    assert sorted(f.name for f in folder.iterdir()) == sorted(f"{t}.parquet" for t in result.rows)
    assert "person_identity.parquet" not in {f.name for f in folder.iterdir()}
    people = pq.read_table(folder / "person.parquet").to_pylist()
    assert len(people) == cohort.size
    assert {p["person_id"] for p in people}.isdisjoint({p for p, _ in cohort.members})
    assert all(p["person_source_value"].startswith("P-") and p["birth_datetime"] is None and p["day_of_birth"] is None for p in people)
    assert "source_file" not in pq.read_table(folder / "measurement.parquet").column_names
    # dates are shifted per patient: the same intervals, other days
    secret = secret_key(demo)
    shifted = sorted((r["condition_start_date"]) for r in pq.read_table(folder / "condition_occurrence.parquet").to_pylist())
    assert shifted == sorted(d + dt.timedelta(days=date_shift(p, secret)) for p, d in conditions)
    exported_periods = sorted((r["observation_period_start_date"], r["observation_period_end_date"]) for r in pq.read_table(folder / "observation_period.parquet").to_pylist())
    assert len(exported_periods) == cohort.size
    assert exported_periods == sorted((s + dt.timedelta(days=date_shift(p, secret)), e + dt.timedelta(days=date_shift(p, secret))) for p, s, e in periods)
    # no name, phone or IPP of these patients anywhere in the exported notes; NLP offsets follow the new text
    notes = pq.read_table(folder / "note.parquet").to_pylist()
    text = "\n".join(n["note_text"] for n in notes)
    for who in identities(demo, [p for p, _ in cohort.members]):
        # as a name is written (PETIT, Petit), not the word it may also be ("un petit EP")
        assert not re.search(rf"\b({re.escape(who['family_name'].upper())}|{re.escape(who['family_name'])})\b", text) and who["ipp"] not in text
        if who["phone"]:
            assert who["phone"] not in text
    by_id = {n["note_id"]: n["note_text"] for n in notes}
    entities = pq.read_table(folder / "note_nlp.parquet").to_pylist()
    assert entities and all(by_id[e["note_id"]][e["start_char"]: e["end_char"]] == e["lexical_variant"] for e in entities)
    cohort_rows = pq.read_table(folder / "cohort.parquet").to_pylist()
    assert {r["subject_id"] for r in cohort_rows} == {p["person_id"] for p in people}


def test_identified_omop_tables_keep_the_warehouse_rows(demo, cohort, tmp_path):
    with open_store(demo, read_only=True) as store:
        result = export(store, demo, cohort, tmp_path / "omop", pseudonymised=False)
        expected = store.query("SELECT count(*) FROM measurement WHERE person_id IN (SELECT unnest(?))", [[p for p, _ in cohort.members]])[0][0]
    assert result.rows["measurement"] == expected == pq.read_table(tmp_path / "omop" / "measurement.parquet").num_rows


def test_a_failed_export_leaves_nothing_half_written(demo, cohort, tmp_path, monkeypatch):
    target = tmp_path / "omop"
    written = []

    def failing(table, path):
        written.append(path)
        if len(written) == 3:
            raise OSError("disk full")
        real(table, path)

    real = export_module.pq.write_table
    monkeypatch.setattr(export_module.pq, "write_table", failing)
    with open_store(demo, read_only=True) as store, pytest.raises(OSError, match="disk full"):
        export(store, demo, cohort, target, pseudonymised=True)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with open_store(demo, read_only=True) as store, pytest.raises(OutputError, match="does not exist"):
        export(store, demo, cohort, tmp_path / "nowhere" / "c.csv", pseudonymised=True)


def test_the_command_line_builds_describes_exports_and_audits(demo, tmp_path):
    definition = tmp_path / "ep.json"
    definition.write_text(json.dumps(DEFINITION, ensure_ascii=False), encoding="utf-8")
    log = AuditLog(demo)
    before = log.entries(1000, 0)
    log.close()
    result = run_cli("--data", demo, "cohort", definition, "--json", "--export", tmp_path / "ep.csv", "--pseudonymised")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["export"]["pseudonymised"] and (tmp_path / "ep.csv").exists()
    assert [s["where"] for s in out["attrition"]] == ["population", "index", "inclusion[1]"]
    assert {r["section"] for r in out["table_one"]["rows"]} >= {"Patients", "Age at index", "Sex", "Drugs"}
    assert all(p["person_id"].startswith("P-") for p in out["patients"])
    log = AuditLog(demo)
    entries = log.entries(1000, 0)
    log.close()
    new = [e for e in entries if e not in before]
    assert any(e["action"] == "cohort-export" and e["target"] == DEFINITION["name"] for e in new)
    plain = run_cli("--data", demo, "cohort", definition)
    assert plain.exit_code == 0 and "attrition" in plain.stdout and "Table 1" in plain.stdout


def test_saved_cohorts_are_rerun_by_name(demo, tmp_path):
    definition = tmp_path / "saved.json"
    definition.write_text(json.dumps({**DEFINITION, "name": "EP sauvegardée"}), encoding="utf-8")
    assert run_cli("--data", demo, "cohort", definition, "--save").exit_code == 0
    listed = json.loads(run_cli("--data", demo, "cohort", "--list", "--json").stdout)["cohorts"]
    assert "EP sauvegardée" in [c["name"] for c in listed]
    again = run_cli("--data", demo, "cohort", "EP sauvegardée", "--json", "--compare", definition)
    assert again.exit_code == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["name"] == "EP sauvegardée" and out["table_one"]["columns"] == ["EP sauvegardée", "EP sauvegardée"]
    assert out["compare"]["size"] == out["size"]


@pytest.mark.parametrize("content, message", [
    ('{"name": "x", "inclusion": [{"type": "condition", "codes": ["I21*"], "window": {"from": 5, "to": 1}}]}', "inclusion[1] (condition I21*): impossible window"),
    ('{"name": "x", "inclusion": [{"type": "measurement", "code": "2093-3", "min": 2, "unit": "kg"}]}', "unit 'kg' is not a unit of cholesterol"),
    ('{"name": "x", "inclusion": [{"type": "condition", "codes": ["Q99.99"]}]}', "unknown CIM-10 code"),
    ('{"name": "x", "inclusion": [{"type": "drug", "atc": ["B01A*"]}]}', "unknown field 'atc'"),
    ('{"name": "x", ', "not JSON"),
])
def test_bad_definitions_exit_2_with_one_line(demo, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = run_cli("--data", demo, "cohort", path)
    assert result.exit_code == 2
    assert message in result.stderr and "bad.json" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_saved_cohort(demo):
    result = run_cli("--data", demo, "cohort", "no such cohort")
    assert result.exit_code == 2 and "no saved cohort of that name" in result.stderr
