"""``clinsearch nlp evaluate``: annotated notes read from BRAT standoff and JSON lines, the real
pipeline measured on them per entity label and per qualifier, and a bad file refused with its
name and line (tests/data/annotated_small, written by hand)."""

from __future__ import annotations

import json
import shutil

import pytest

from clinsearch.nlp.annotate import Entity
from clinsearch.nlp.evaluation import AnnotatedNote, AnnotationError, GoldEntity, entity_scores, prf, qualifier_scores, read_annotations
from clinsearch.services.nlp_evaluation import evaluate_annotations
from tests.helpers import DATA, run_cli

SMALL = DATA / "annotated_small"


# -- reading --------------------------------------------------------------------------------------------
def test_brat_entities_and_their_binary_and_valued_attributes_are_read():
    notes = {n.name: n for n in read_annotations(SMALL / "brat")}
    assert set(notes) == {"cr_cardiologie", "urgences", "discharge_en"}
    cardio = {e.label: e for e in notes["cr_cardiologie"].entities}
    assert cardio["ep"].text == "embolie pulmonaire" and cardio["ep"].negated and not cardio["ep"].hypothesis
    assert cardio["fa"].hypothesis and cardio["dt2"].family and not any((cardio["hta"].negated, cardio["hta"].hypothesis, cardio["hta"].family))
    urgences = {e.label: e for e in notes["urgences"].entities}
    assert urgences["pneumopathie"].hypothesis and not urgences["pneumopathie"].negated  # "Assertion T5 hypothetical"
    text = notes["urgences"].text
    assert all(text[e.start:e.end] == e.text for e in notes["urgences"].entities)


def test_json_lines_are_read_with_qualifiers_defaulting_to_false():
    notes = read_annotations(SMALL / "notes.jsonl")
    assert [n.name for n in notes] == ["note-1", "note-2", "note-3"]
    assert [(e.label, e.negated, e.hypothesis, e.family) for e in notes[1].entities] == [("avc", True, False, False), ("ep", False, True, False)]
    assert sum(len(n.entities) for n in read_annotations(SMALL)) == 13 + 7  # the folder: both formats


@pytest.mark.parametrize("name, content, line, message", [
    ("bad.jsonl", '{"text": "Pas de fièvre.", "entities": []}\n{"text": "x", "entities": [\n', 2, "not JSON"),
    ("bad.jsonl", '{"text": "Pas de fièvre.", "entities": [{"start": 7, "end": 40, "label": "fievre"}]}\n', 1, "start and end must be offsets"),
    ("bad.jsonl", '{"text": "Pas de fièvre.", "entities": [{"start": 7, "end": 13, "label": "fievre", "negated": "yes"}]}\n', 1, "negated must be true or false"),
    ("bad.jsonl", '{"text": "Pas de fièvre.", "entities": [{"start": 7, "end": 13, "label": "fievre", "text": "fièvres"}]}\n', 1, "is not the text at 7-13"),
    ("bad.jsonl", '{"entities": []}\n', 1, 'expected {"text"'),
    ("bad.ann", "T1\tfievre 7 13\tfièvre\nT2\tfievre 7 x\tfièvre\n", 2, "offsets must be integers"),
    ("bad.ann", "T1\tfievre 7 13\tfièvre\nA1\tNegation T9\n", 2, "refers to T9"),
    ("bad.ann", "T1\tfievre 6 12\tfièvre\n", 1, "offsets and .txt disagree"),
    ("bad.ann", "T1\tfievre 7 13\tfièvre\nQ1 something\n", 2, "not a BRAT standoff line"),
])
def test_a_bad_annotation_file_is_refused_with_its_name_and_line(tmp_path, name, content, line, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    if name.endswith(".ann"):
        (tmp_path / "bad.txt").write_text("Pas de fièvre.", encoding="utf-8")
    with pytest.raises(AnnotationError, match=message) as caught:
        read_annotations(tmp_path / name)
    assert caught.value.path.endswith(name) and caught.value.line == line
    assert str(caught.value).startswith(f"{tmp_path / name}:{line}: ")


def test_a_brat_file_without_its_text_is_refused(tmp_path):
    (tmp_path / "alone.ann").write_text("T1\tfievre 7 13\tfièvre\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match="needs its text beside it, alone.txt"):
        read_annotations(tmp_path)


# -- measuring (metrics on given predictions) --------------------------------------------------------------
def predicted(start, end, concept=None, code=None, label="lexicon", negated=False, hypothesis=False, family=False) -> Entity:
    return Entity("", start, end, label, code, None, negated, hypothesis, family, False, False, None, concept)


def test_precision_recall_f1_per_label_and_for_all_labels():
    note = AnnotatedNote("n", "x" * 100, [GoldEntity(0, 5, "ep", "x"), GoldEntity(10, 15, "ep", "x"), GoldEntity(20, 25, "E11", "x")])
    found = [
        predicted(0, 6, "ep", "I26"),  # overlaps the first ep: right
        predicted(30, 35, "ep", "I26"),  # no ep there: a false positive
        predicted(20, 25, "dt2", "E11.9"),  # the code label E11 covers E11.9
        predicted(40, 45, "fievre", "R50"),  # a label nobody annotated: not counted
        predicted(50, 55, label="date", code="2024-01-01"),
    ]
    rows = entity_scores([note], [found])
    assert rows["ep"] == {"gold": 2, "predicted": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert rows["E11"] == {"gold": 1, "predicted": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert rows["all"] == {"gold": 3, "predicted": 3, "precision": 0.667, "recall": 0.667, "f1": 0.667}
    assert entity_scores([note], [found], exact=True)["ep"]["recall"] == 0.0  # 0-6 is not exactly 0-5
    assert prf(0, 0, 3) == {"precision": None, "recall": 0.0, "f1": None}


def test_qualifiers_are_judged_on_every_gold_entity_and_a_missed_one_counts_as_unqualified():
    note = AnnotatedNote("n", "x" * 100, [GoldEntity(0, 5, "ep", "x", negated=True), GoldEntity(10, 15, "avc", "x", negated=True),
                                          GoldEntity(20, 25, "hta", "x"), GoldEntity(30, 35, "fa", "x", family=True)])
    found = [predicted(0, 5, label="target", negated=True), predicted(20, 25, label="target", negated=True), predicted(30, 35, label="target", family=True)]
    scores = qualifier_scores([note], [found])
    assert scores["negated"] == {"n": 4, "positives": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert scores["family"]["f1"] == 1.0 and scores["hypothesis"]["positives"] == 0 and scores["hypothesis"]["precision"] is None
    assert scores["not_found"] == 1


# -- the real pipeline -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def measured():
    return evaluate_annotations(SMALL)


def test_the_real_pipeline_on_the_small_annotated_set(measured):
    assert measured["notes"] == 6 and measured["entities"] == 20 and measured["languages"] == {"fr": 5, "en": 1}
    labels = measured["labels"]
    assert labels["all"]["gold"] == 20 and labels["ep"]["gold"] == 2 and labels["dt2"]["gold"] == 3
    assert labels["all"]["recall"] >= 0.9 and labels["all"]["precision"] >= 0.9
    qualifiers = measured["qualifiers"]
    assert (qualifiers["negated"]["positives"], qualifiers["hypothesis"]["positives"], qualifiers["family"]["positives"]) == (5, 4, 3)
    assert qualifiers["negated"]["f1"] >= 0.9 and qualifiers["not_found"] == 0


def test_a_wrong_gold_label_shows_as_a_miss(tmp_path):
    """The measure can fail: the same note with "ep" annotated where the text says a stroke."""
    text = "Pas d'AVC. Embolie pulmonaire confirmée."
    record = {"text": text, "entities": [{"start": 6, "end": 9, "label": "ep", "negated": False}]}
    (tmp_path / "wrong.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    result = evaluate_annotations(tmp_path / "wrong.jsonl", lang="fr")
    assert result["labels"]["ep"]["recall"] == 0.0 and result["labels"]["ep"]["precision"] == 0.0  # the ep found is at 11-29
    assert result["qualifiers"]["negated"]["precision"] == 0.0  # the pipeline says "Pas d'AVC" is negated; the (wrong) gold says not


def test_the_command_prints_tables_and_json():
    result = run_cli("nlp", "evaluate", str(SMALL / "brat" / "urgences.ann"), "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["notes"] == 1 and body["entities"] == 5 and set(body["qualifiers"]) == {"negated", "hypothesis", "family", "not_found"}
    table = run_cli("nlp", "evaluate", str(SMALL / "notes.jsonl"))
    assert table.exit_code == 0 and "entities per label" in table.stdout and "qualifiers" in table.stdout and "hta" in table.stdout


def test_the_command_names_the_file_and_line_of_a_bad_annotation(tmp_path):
    shutil.copy(SMALL / "notes.jsonl", tmp_path / "notes.jsonl")
    with open(tmp_path / "notes.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"text": "Pas de fièvre.", "entities": [{"start": 7, "end": 99, "label": "fievre"}]}\n')
    result = run_cli("nlp", "evaluate", str(tmp_path / "notes.jsonl"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'notes.jsonl'}:4: entity 1: start and end" in " ".join(result.stderr.split())


def test_bare_nlp_and_nlp_reprocess_still_run_the_nlp(tmp_path):
    """``clinsearch nlp`` became a group with ``evaluate``: invoked bare it still annotates."""
    (tmp_path / "person.csv").write_text("person_id,year_of_birth\n1,1960\n", encoding="utf-8")
    data = tmp_path / "warehouse"
    assert run_cli("--data", data, "ingest", "--no-nlp", str(tmp_path / "person.csv")).exit_code == 0
    for args in ((), ("--reprocess",), ("--processes", "1")):
        result = run_cli("--data", data, "nlp", *args, "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["notes"] == 0 and "index" in json.loads(result.stdout)
    assert run_cli("--data", data, "nlp", "nonsense").exit_code == 2
