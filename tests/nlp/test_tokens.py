"""The tokenisation fix (nlp/tokens.py): an abbreviation that ends a sentence loses its period --
and the speed-up that remembers token texts (nlp/speedups/tokens.py) splits exactly the same."""

from __future__ import annotations

import edsnlp
import pytest

from clinsearch.nlp import tokens
from clinsearch.nlp.speedups import tokens as remembering

TEXTS = ["Suspicion d'EP. Revu par M. Dupont, TVP. Fin", "", "HTA. BPCO.\nIRC3. É. ÉÈ. A+. DT2.", "EP. EP. ep. Ep."]


@pytest.mark.parametrize("split_final_periods", [tokens.split_final_periods, remembering.split_final_periods], ids=["fix", "remembering"])
def test_split_final_periods(split_final_periods):
    nlp = edsnlp.blank("eds")
    text = TEXTS[0]
    doc = split_final_periods(nlp.make_doc(text))
    assert [t.text for t in doc] == ["Suspicion", "d'", "EP", ".", "Revu", "par", "M.", "Dupont", ",", "TVP", ".", "Fin"]
    assert doc.text == text  # a single letter (M.) keeps its period
    assert len(split_final_periods(nlp.make_doc(""))) == 0


@pytest.mark.parametrize("remembered", [200_000, 0])  # the memory of token texts, kept or started again
def test_remembering_splits_what_the_fix_splits(monkeypatch, remembered):
    monkeypatch.setattr(remembering, "REMEMBERED", remembered)
    nlp = edsnlp.blank("eds")
    for text in TEXTS * 2:
        ours, plain = remembering.split_final_periods(nlp.make_doc(text)), tokens.split_final_periods(nlp.make_doc(text))
        assert [(t.text, t.whitespace_) for t in ours] == [(t.text, t.whitespace_) for t in plain]


def test_the_component_is_given_the_remembering_class_and_back():
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("clinsearch.split_final_periods", name="split_final_periods")
    assert remembering.apply_to(nlp) == 1 and type(nlp.get_pipe("split_final_periods")) is remembering.RememberingSplitFinalPeriods
    assert [t.text for t in nlp("Suspicion d'EP.")] == ["Suspicion", "d'", "EP", "."]
    assert remembering.remove_from(nlp) == 1 and type(nlp.get_pipe("split_final_periods")) is tokens.SplitFinalPeriods


@pytest.mark.parametrize(("text", "expected"), [
    ("No history of hepatitis C.", ["No", "history", "of", "hepatitis", "C", "."]),
    ("hepatitis B or C. No diabetes.", ["hepatitis", "B", "or", "C", ".", "No", "diabetes", "."]),
    ("Seen by Dr. J. Smith.", ["Seen", "by", "Dr.", "J.", "Smith", "."]),  # initials stay whole
    ("seen by J. Smith", ["seen", "by", "J.", "Smith"]),
    ("developed C. DIFF COLITIS", ["developed", "C.", "DIFF", "COLITIS"]),  # a genus abbreviation goes on
])
def test_split_letter_periods_ends_a_sentence_after_a_single_capital(text, expected):
    doc = tokens.split_letter_periods(edsnlp.blank("en")(text))
    assert [t.text for t in doc] == expected


def test_keep_sentences_going_after_susp():
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.sentences())
    doc = tokens.keep_sentences_going(nlp("Conclusion : susp. embolie pulmonaire. Suite du bilan."))
    assert [s.text for s in doc.sents] == ["Conclusion : susp. embolie pulmonaire.", "Suite du bilan."]
