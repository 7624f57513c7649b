"""The index follows the warehouse: built by ingest, updated incrementally, rebuilt on demand;
and the `search` and `index` commands follow the CLI contract."""

from __future__ import annotations

import json
import shutil

from clinsearch.search.engine import search
from clinsearch.search.index import index_dir
from tests.helpers import run_cli
from tests.search.conftest import write_hospital


def note_folder(tmp_path, name: str, text: str, person: int = 20):
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / "manifest.csv").write_text(f"file,person_id,date,type\n{name}.txt,{person},2024-05-05,CRH\n", encoding="utf-8")
    (folder / "person.csv").write_text(f"person_id,year_of_birth\n{person},1960\n", encoding="utf-8")
    return folder


def test_ingest_indexes_and_a_second_update_does_nothing(hospital):
    result = run_cli("--data", hospital, "index", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {**json.loads(result.stdout), "added": 0, "removed": 0, "rebuilt": False}


def test_new_and_changed_notes_are_indexed_by_the_next_ingest(data, tmp_path):
    first = note_folder(tmp_path, "n1", "Bronchopneumopathie chronique obstructive stade 2.")
    result = run_cli("--data", data, "ingest", "--json", first)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["index"]["added"] == 1
    assert [d.person_id for d in search(data, "BPCO").documents] == [20]
    # the same file, changed: the old text is gone from the index, the new one is found
    (first / "n1.txt").write_text("Pas de BPCO. Asthme allergique.", encoding="utf-8")
    result = run_cli("--data", data, "ingest", "--json", first)
    assert json.loads(result.stdout)["index"]["added"] == 1
    assert search(data, "BPCO").total == 0
    assert search(data, "neg:BPCO").total == 1 and search(data, "asthme").total == 1
    # the patient's own document follows
    assert search(data, "BPCO", patients=True).patients_total == 0
    assert [p.person_id for p in search(data, "neg:BPCO asthme", patients=True).patients] == [20]
    # another note: added, the first untouched
    second = note_folder(tmp_path, "n2", "Fibrillation atriale paroxystique.", person=21)
    summary = json.loads(run_cli("--data", data, "ingest", "--json", second).stdout)["index"]
    assert summary["added"] == 1 and summary["patients"] == 1 and summary["documents"] == 4  # 2 notes, 2 patients
    assert [d.person_id for d in search(data, "FA").documents] == [21]


def test_rebuild_and_a_lost_index_give_the_same_results(tmp_path):
    data = tmp_path / "warehouse"
    assert run_cli("--data", data, "ingest", write_hospital(tmp_path / "sources")).exit_code == 0
    before = search(data, "any:EP", patients=True, limit=50).as_dict()
    result = run_cli("--data", data, "index", "--rebuild", "--json")
    assert json.loads(result.stdout)["rebuilt"] is True
    assert search(data, "any:EP", patients=True, limit=50).as_dict() == before
    shutil.rmtree(index_dir(data))
    result = run_cli("--data", data, "index", "--json")
    assert json.loads(result.stdout)["rebuilt"] is True and json.loads(result.stdout)["added"] > 0
    assert search(data, "any:EP", patients=True, limit=50).as_dict() == before


def test_search_json_follows_the_contract(hospital):
    result = run_cli("--data", hospital, "search", "EP", "--patients", "--json", "--limit", "5")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert {"documents", "patients", "facets", "total"} <= set(body)
    assert all({"note_id", "person_id", "date", "title", "score", "snippets"} <= set(d) for d in body["documents"])
    assert all({"person_id", "hits"} <= set(p) for p in body["patients"])
    assert {p["person_id"] for p in body["patients"]} == {1, 9}


def test_search_prints_ranked_notes_with_labelled_snippets(hospital):
    result = run_cli("--data", hospital, "search", "neg:EP")
    assert result.exit_code == 0
    assert "2 document(s)" in result.stdout and "negated" in result.stdout and "embolie pulmonaire" in result.stdout


def test_bad_queries_exit_2_with_the_position(hospital):
    result = run_cli("--data", hospital, "search", 'EP "TVP')
    assert result.exit_code == 2
    assert "unbalanced quote" in result.stderr and "position 4" in result.stderr
    assert result.stdout == ""


def test_searching_without_an_index_exits_1(data):
    result = run_cli("--data", data, "search", "EP")
    assert result.exit_code == 1 and "no search index yet" in result.stderr
