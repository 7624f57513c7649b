"""The Spark path, in local mode: the same note_nlp rows as the local run."""

from __future__ import annotations

import json

from tests.helpers import query, run_cli

NOTES = ["Pas d'embolie pulmonaire. HTA connue.", "Suspicion d'EP. Mère diabétique.", "No fever. History of MI.", "Antécédent d'IDM en 2015, vu le 12/03/2023."]
COLUMNS = "note_id, start_char, end_char, label, code, term_exists, term_modifiers, term_temporal, snippet, section"


def warehouse(data, folder):
    folder.mkdir()
    lines = ["file,person_id,date"]
    for number, text in enumerate(NOTES):
        (folder / f"n{number}.txt").write_text(text, encoding="utf-8")
        lines.append(f"n{number}.txt,1,2024-01-0{number + 1}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "person.csv").write_text("person_id,year_of_birth\n1,1960\n", encoding="utf-8")
    assert run_cli("--data", data, "ingest", "--no-nlp", folder).exit_code == 0


def test_spark_local_mode_writes_the_same_note_nlp_as_the_local_run(tmp_path, fresh_warehouse):
    local, spark = tmp_path / "local", tmp_path / "spark"
    warehouse(local, tmp_path / "a")
    fresh_warehouse()  # two warehouses in one test (on the PostgreSQL run, a schema each)
    warehouse(spark, tmp_path / "b")
    assert run_cli("--data", local, "nlp", "--processes", "1").exit_code == 0
    result = run_cli("--data", spark, "nlp", "--spark", "--master", "local[2]", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["processed"] == 4 and summary["entities"] > 6
    rows = query(spark, f"SELECT {COLUMNS} FROM note_nlp ORDER BY note_id, start_char")
    assert rows == query(local, f"SELECT {COLUMNS} FROM note_nlp ORDER BY note_id, start_char")
    assert json.loads(run_cli("--data", spark, "nlp", "--spark", "--json").stdout)["notes"] == 0
