"""The drafted letter: every sentence carries its sources, every source quotes the record, and the
.docx a clinician downloads says the same (opened with python-docx)."""

from __future__ import annotations

import io
import re

import docx
import pytest

from clinsearch.record.citations import sentence_bounds
from clinsearch.record.labs import number
from clinsearch.services import summary as summaries
from clinsearch.services.access import command_line
from clinsearch.warehouse.store import open_store


def quoted(store, source: dict) -> str | None:
    """What the record holds where a source points."""
    if source.get("note_id"):
        text = store.query("SELECT note_text FROM note WHERE note_id = ?", [source["note_id"]])[0][0]
        return text[source["start"]: source["end"]]
    key = {"person": "person_id", "condition_occurrence": "condition_occurrence_id", "drug_exposure": "drug_exposure_id",
           "measurement": "measurement_id", "procedure_occurrence": "procedure_occurrence_id", "observation": "observation_id",
           "image_occurrence": "image_occurrence_id"}[source["table"]]
    return source["text"] if store.query(f"SELECT count(*) FROM {source['table']} WHERE {key} = ?", [source["row"]])[0][0] == 1 else None


@pytest.mark.parametrize("person", ["1", "2", "7", "42"])
def test_every_sentence_of_the_letter_has_sources_that_quote_the_record(demo, person):
    letter = summaries.letter(command_line(demo), person)
    sentences = [s for section in letter["sections"] for s in section["sentences"]]
    assert len(sentences) > 3 and letter["lang"] == "fr"
    numbers = {s["n"] for s in letter["sources"]}
    for sentence in sentences:
        assert sentence.get("blank") or sentence["sources"], sentence  # only the clinician's blank has none
        assert set(sentence["sources"]) <= numbers
    with open_store(demo, read_only=True) as store:
        for source in letter["sources"]:
            assert quoted(store, source) == source["text"], source


def test_the_letter_says_only_what_the_summary_holds(demo):
    """Each problem, treatment and value of the letter is a line of the summary."""
    request = command_line(demo)
    summary = summaries.summary(request, "1", with_scores=False)
    letter = summaries.letter(request, "1")
    text = " ".join(s["text"] for section in letter["sections"] for s in section["sentences"])
    for problem in summary["problems"]:
        assert problem["label"] in text
    for test in (t for panel in summary["labs"] for t in panel["tests"] if t["key"]):
        assert f"{test['label']} : {test['display']}" in text
    assert not [d for d in summary["negated"] + summary["hypothetical"] if f"{d['label']} ({d['code']})" in text]


def test_the_docx_holds_the_sentences_and_their_numbered_sources(demo, tmp_path):
    made = summaries.letter_file(command_line(demo), "1", "docx")
    document = docx.Document(io.BytesIO(made.content))
    paragraphs = [p.text for p in document.paragraphs]
    listed = {int(m.group(1)): p for p in paragraphs if (m := re.match(r"\[(\d+)\] ", p))}
    assert sorted(listed) == [s["n"] for s in made.letter["sources"]]
    for source in made.letter["sources"]:
        assert source["text"] in listed[source["n"]]
    first_problem = next(s for section in made.letter["sections"] if section["heading"] == "Problèmes actifs" for s in section["sentences"])
    assert any(p.startswith(first_problem["text"]) and p.endswith("[" + ", ".join(map(str, first_problem["sources"])) + "]") for p in paragraphs)
    html = summaries.letter_file(command_line(demo), "1", "html").content.decode()
    assert html.count('<li id="source-') == len(made.letter["sources"]) and "<script" not in html


def test_an_english_record_gets_an_english_letter():
    from clinsearch.record.letter import draft

    summary = {"person": {"person_id": 9, "family_name": "Doe", "given_name": "Jane", "sex": "F", "age": 61}, "reason": None,
               "problems": [{"label": "Pulmonary embolism", "code": "I26", "status": "active", "first_date": "2024-01-02", "last_date": "2024-03-04",
                             "citations": [{"note_id": 5, "start": 0, "end": 30, "text": "Confirmed pulmonary embolism.", "date": "2024-01-02", "title": "Discharge"}]}],
               "family_history": [], "allergies": [], "treatments": [], "labs": [], "imaging": [], "procedures": []}
    letter = draft(summary, "referral", "en")
    texts = [s["text"] for section in letter["sections"] for s in section["sentences"]]
    assert letter["title"] == "Referral letter (draft)" and "Patient: Doe Jane, female, 61 years old." in texts
    assert "Pulmonary embolism (I26), documented from 2024-01-02 to 2024-03-04." in texts


def test_a_sentence_is_cut_at_its_punctuation_or_line():
    text = "Antécédents : HTA.\nConclusion : embolie pulmonaire bilatérale. Sortie J3."
    start = text.index("embolie")
    assert text[slice(*sentence_bounds(text, start, start + 7))] == "Conclusion : embolie pulmonaire bilatérale."
    assert text[slice(*sentence_bounds(text, 14, 17))] == "Antécédents : HTA."


@pytest.mark.parametrize(("value", "lang", "shown"), [(0.956575, "fr", "0,957"), (140.0, "fr", "140"), (5.25, "en", "5.25"), (29.54, "fr", "29,5"), (-1.5, "en", "-1.5")])
def test_values_are_written_as_clinicians_write_them(value, lang, shown):
    assert number(value, lang) == shown
