"""A note the NLP has not judged (loaded with --no-nlp, or by a load killed before its NLP) is
never searched as affirmed: its text is unqualified until the next run annotates it, which any
ingest does."""

from __future__ import annotations

import json

from tests.helpers import run_cli


def write(folder):
    folder.mkdir()
    (folder / "cr.txt").write_text("Angioscanner : pas d'embolie pulmonaire.", encoding="utf-8")
    (folder / "cr.txt.json").write_text('{"person_source_value": "IPP1", "date": "2024-01-10", "type": "CRI", "create_persons": true}', encoding="utf-8")
    return folder


def total(data, text: str):
    result = run_cli("--data", data, "search", text, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["total"]


def test_a_note_without_nlp_is_unqualified_then_annotated_by_the_next_ingest(data, tmp_path):
    sources = write(tmp_path / "notes")
    assert run_cli("--data", data, "ingest", "--no-nlp", sources).exit_code == 0
    assert total(data, "embolie pulmonaire") == 0  # "pas d'embolie" is not an affirmed embolism
    assert total(data, "any:embolie") == 1
    stats = json.loads(run_cli("--data", data, "stats", "--json").stdout)
    assert stats["nlp"]["waiting"] == 1
    again = run_cli("--data", data, "ingest", "--json", sources)  # the file is already loaded: the NLP runs all the same
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["nlp"]["processed"] == 1
    assert json.loads(run_cli("--data", data, "stats", "--json").stdout)["nlp"]["waiting"] == 0
    assert total(data, "embolie pulmonaire") == 0
    assert total(data, 'neg:"embolie pulmonaire"') == 1
