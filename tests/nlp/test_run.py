"""NLP over the warehouse: note_nlp rows, incremental re-runs, the nlp and annotate commands."""

from __future__ import annotations

import json

from clinsearch.nlp.run import run_nlp
from clinsearch.warehouse.store import open_store
from tests.helpers import load, query, run_cli

NOTES = [
    ("n1.txt", "Angioscanner : pas d'embolie pulmonaire. HTA connue.", "fr"),
    ("n2.txt", "Suspicion d'EP. Mère diabétique. Antécédent d'IDM en 2015.", "fr"),
    ("n3.txt", "No fever. The patient denies chest pain.", None),
]


def warehouse(data, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    lines = ["file,person_id,date,language"]
    for name, text, language in NOTES:
        (folder / name).write_text(text, encoding="utf-8")
        lines.append(f"{name},1,2024-01-01,{language or ''}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "person.csv").write_text("person_id,year_of_birth\n1,1960\n", encoding="utf-8")
    assert load(data, folder).ok
    return folder


def test_entities_become_note_nlp_rows_with_omop_qualifiers(data, tmp_path):
    warehouse(data, tmp_path)
    with open_store(data) as store:
        summary = run_nlp(store, processes=1)
    assert summary.processed == 3 and summary.skipped == {}
    rows = query(data, "SELECT lexical_variant, term_exists, term_modifiers, term_temporal, code, normalized_term, \"offset\" FROM note_nlp WHERE label = 'lexicon' ORDER BY note_id, start_char")
    by_text = {r[0]: r[1:] for r in rows}
    assert by_text["embolie pulmonaire"][:2] == ("N", None)
    assert by_text["HTA"][:2] == ("Y", None)
    assert by_text["EP"][:2] == ("Y", "hypothesis")
    assert by_text["diabétique"][1] == "family"
    assert by_text["IDM"][2] == "past" and by_text["IDM"][3] == "I21"
    text = query(data, "SELECT note_text FROM note WHERE note_source_value = 'n1.txt'")[0][0]
    start, end = (int(x) for x in by_text["embolie pulmonaire"][5].split("-"))
    assert text[start:end] == "embolie pulmonaire"
    # the English note (no language given) is detected as English and annotated in English
    english = query(data, "SELECT s.language, x.lexical_variant, x.term_exists FROM note_nlp_state s JOIN note n USING (note_id) JOIN note_nlp x USING (note_id) WHERE n.note_source_value = 'n3.txt' AND x.label <> 'context' ORDER BY x.start_char")
    assert english == [("en", "fever", "N"), ("en", "chest pain", "N")]


def test_a_rerun_processes_only_new_or_changed_notes(data, tmp_path):
    folder = warehouse(data, tmp_path)
    with open_store(data) as store:
        run_nlp(store, processes=1)
        before = store.query("SELECT note_nlp_id FROM note_nlp ORDER BY 1")
        assert run_nlp(store, processes=1).notes == 0
        assert store.query("SELECT note_nlp_id FROM note_nlp ORDER BY 1") == before
    (folder / "n1.txt").write_text("Angioscanner : embolie pulmonaire bilatérale.", encoding="utf-8")
    load(data, folder)
    with open_store(data) as store:
        summary = run_nlp(store, processes=1)
    assert summary.notes == 1
    assert query(data, "SELECT term_exists FROM note_nlp WHERE lexical_variant = 'embolie pulmonaire'") == [("Y",)]


def test_worker_processes_write_what_one_process_writes(data, tmp_path, monkeypatch):
    from clinsearch.nlp import run

    warehouse(data, tmp_path)
    monkeypatch.setattr(run, "FORK_FROM", 2)  # three notes are enough to fork here
    monkeypatch.setattr(run, "TASK", 1)
    columns = "note_id, start_char, end_char, label, code, term_exists, term_modifiers, term_temporal, section"
    with open_store(data) as store:
        assert run_nlp(store, processes=2).processed == 3
        forked = store.query(f"SELECT {columns} FROM note_nlp ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9")
        store.execute("DELETE FROM note_nlp_state")
        assert run_nlp(store, processes=1).processed == 3
        assert store.query(f"SELECT {columns} FROM note_nlp ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9") == forked
    assert len(forked) > 10


def test_pending_notes_are_read_a_batch_at_a_time_and_each_annotated_once(data, tmp_path, monkeypatch):
    from clinsearch.nlp import run

    folder = warehouse(data, tmp_path)
    for i in range(9):
        (folder / f"extra{i}.txt").write_text(f"Note {i} : HTA, pas de diabète.", encoding="utf-8")
    (folder / "manifest.csv").write_text((folder / "manifest.csv").read_text() + "".join(f"extra{i}.txt,1,2024-02-0{i + 1},fr\n" for i in range(9)))
    assert load(data, folder).ok
    read: list[int] = []
    original = run.pending

    def counted(*args, **kwargs):
        for batch in original(*args, **kwargs):
            read.append(len(batch))
            yield batch

    monkeypatch.setattr(run, "READ", 4)
    monkeypatch.setattr(run, "WRITE", 3)
    monkeypatch.setattr(run, "pending", counted)
    with open_store(data) as store:
        summary = run_nlp(store, processes=1)
        states = store.query("SELECT count(*), count(DISTINCT note_id) FROM note_nlp_state")[0]
    assert summary.notes == summary.processed == 12 and states == (12, 12)
    assert read and max(read) <= 4 and sum(read) == 12  # never more than READ texts held


def test_workers_leave_what_they_inherit_out_of_garbage_collections():
    import gc
    import multiprocessing

    from clinsearch.nlp import run

    before = gc.get_freeze_count()  # the terminology, once loaded, keeps its own tables out of collections
    with multiprocessing.get_context("fork").Pool(1, initializer=run._worker_start) as pool:
        assert pool.apply(gc.get_freeze_count) > before + 1_000  # what it inherited and the parent had not frozen
    assert gc.get_freeze_count() == before  # the parent is left as it was


def test_ingest_runs_the_nlp_on_new_notes(data, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("Pas de BPCO.", encoding="utf-8")
    (folder / "manifest.csv").write_text("file,person_id,date\na.txt,1,2024-01-01\n", encoding="utf-8")
    (folder / "person.csv").write_text("person_id,year_of_birth\n1,1960\n", encoding="utf-8")
    result = run_cli("--data", data, "ingest", "--json", folder)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["nlp"]["processed"] == 1
    assert query(data, "SELECT lexical_variant, term_exists FROM note_nlp WHERE label <> 'context'") == [("BPCO", "N")]
    result = run_cli("--data", data, "nlp", "--json")
    assert json.loads(result.stdout)["notes"] == 0


def test_annotate_json_follows_the_contract():
    result = run_cli("annotate", "--json", "Pas d'embolie pulmonaire.")
    assert result.exit_code == 0
    entity = json.loads(result.stdout)["entities"][0]
    assert {"text", "start", "end", "label", "code", "negated", "hypothesis", "family", "history"} <= set(entity)
    assert (entity["text"], entity["negated"], entity["code"]) == ("embolie pulmonaire", True, "I26")


def test_annotate_lines_gives_one_object_per_line_with_its_own_terms(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text('{"text": "Pas de lombalgie.", "terms": ["lombalgie"]}\nHTA connue.\nLombalgie aiguë.\n', encoding="utf-8")
    result = run_cli("annotate", "--lines", path)
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 3
    assert [(e["text"], e["negated"]) for e in objects[0]["entities"]] == [("lombalgie", True)]
    assert [e["text"] for e in objects[1]["entities"]] == ["HTA"]
    assert objects[2]["entities"] == []  # the term was for the first line only


def test_annotate_refuses_bad_input_clearly(tmp_path):
    assert run_cli("annotate").exit_code == 2
    assert run_cli("annotate", "x", "--file", __file__).exit_code == 2
    path = tmp_path / "lines.txt"
    path.write_text('{"text": "ok"}\n{"text": oops}\n', encoding="utf-8")
    result = run_cli("annotate", "--lines", path)
    assert result.exit_code == 1 and "lines.txt: line 2: malformed JSON" in result.stderr


NLP_SYSTEM = "from clinsearch.nlp.run import nlp_system; import clinsearch; print(clinsearch.__file__); print(nlp_system())"


def test_a_comment_in_any_nlp_module_leaves_the_nlp_version_as_it_is(tmp_path):
    """The NLP version written to note_nlp says what determines the output, not the code's text:
    a copy of the package with a comment added to every NLP module gives the same one."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import clinsearch
    from clinsearch.nlp.run import nlp_system

    copy = tmp_path / "src" / "clinsearch"
    shutil.copytree(Path(clinsearch.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    edited = sorted((copy / "nlp").rglob("*.py"))
    for path in edited:
        path.write_text(path.read_text("utf-8") + "# a comment added by tests/nlp/test_run.py\n", encoding="utf-8")
    assert len(edited) > 20 and any(p.parent.name == "speedups" for p in edited)
    environment = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", NLP_SYSTEM], capture_output=True, text=True, check=True, env=environment)
    imported_from, system = done.stdout.strip().splitlines()[-2:]
    assert Path(imported_from).parent == copy  # the edited copy, not the installed package
    assert system == nlp_system()


def test_notes_annotated_by_another_nlp_version_are_reprocessed_only_when_asked(data, tmp_path):
    from clinsearch.nlp.run import nlp_system, outdated

    warehouse(data, tmp_path)
    with open_store(data) as store:
        assert run_nlp(store, processes=1).processed == 3 and outdated(store) == 0
        rows = store.query("SELECT note_id, note_nlp_id FROM note_nlp ORDER BY 1, 2")
        store.execute("UPDATE note_nlp_state SET nlp_system = 'clinsearch nlp 4 (edsnlp 0.23.0)'")
        assert outdated(store) == 3
        assert run_nlp(store, processes=1).notes == 0  # a plain run leaves them
        assert store.query("SELECT note_id, note_nlp_id FROM note_nlp ORDER BY 1, 2") == rows
        # ... but takes a note without NLP state
        first = store.query("SELECT min(note_id) FROM note")[0][0]
        store.execute("DELETE FROM note_nlp_state WHERE note_id = ?", [first])
        assert outdated(store) == 2
        summary = run_nlp(store, processes=1)
        assert (summary.notes, summary.processed) == (1, 1) and outdated(store) == 2
        summary = run_nlp(store, processes=1, reprocess=True)
        assert (summary.notes, summary.processed) == (2, 2) and outdated(store) == 0
        assert store.query("SELECT DISTINCT nlp_system FROM note_nlp_state") == [(nlp_system(),)]
        assert store.query("SELECT DISTINCT nlp_system FROM note_nlp WHERE note_id <> ?", [first]) == [(nlp_system(),)]
        assert run_nlp(store, processes=1, reprocess=True).notes == 0
