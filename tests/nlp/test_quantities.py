"""EDS-NLP's measurements without the spans made to read text (nlp/speedups/quantities.py): the same
measurements, values and units as EDS-NLP's own pipe, on demo notes and on sentences made for it."""

from __future__ import annotations

import pytest
from edsnlp.pipes.misc.quantities.quantities import QuantitiesMatcher
from edsnlp.utils.doc_to_text import aggregate_tokens
from hypothesis import given, settings
from hypothesis import strategies as st

from clinsearch.nlp.speedups.quantities import QuickQuantities, between, number
from tests.nlp.modes import speedups_applied

SENTENCES = [
    "Créatinine 110 µmol/l, DFG 45 ml/min/1,73m², TA 130/80 mmHg, HbA1c 7,2 %, poids 80,5 kg.",
    "Poids : 63, Taille : 170, IMC : 21,8.",  # values without units, read from the header
    "TA : 57/22/150 ; FC 72 bpm ; SpO2 < 95 % ; température > 38,5 °C.",
    "Il mesure 1 m 80 et pèse quatre-vingts kilos ; lésion de 2 x 3 cm, puis de 12 à 15 mm.",
    "Dose : 2 g par jour pendant 7 jours, puis 500 mg x 3 / j, soit 1 500 mg.",
    "Glycémie 5,5 mmol/L\nHDL 1,2 mmol/L\nLDL : 3,4\n\nTaille 1,75 m",
    "Pas de mesure ici. Seulement du texte, des dates 12/03/2020 et 1/2 comprimé.",
    "",
]


@pytest.fixture(scope="module")
def nlp(nlp):
    """The session's French pipeline with the speed-ups, whatever the switch."""
    with speedups_applied(nlp):
        yield nlp


def measured(nlp, texts: list[str], cls) -> list:
    pipe = nlp.get_pipe("quantities")
    pipe.__class__, before = cls, type(pipe)
    try:
        docs = list(map(nlp, texts))
    finally:
        pipe.__class__ = before
    return [[(q.start_char, q.end_char, q.label_, str(q._.value)) for q in doc.spans.get("quantities", [])]
            + [(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]


def test_the_pipeline_measures_quickly(nlp):
    assert type(nlp.get_pipe("quantities")) is QuickQuantities


def test_same_measurements_as_edsnlp_on_sentences(nlp):
    ours = measured(nlp, SENTENCES, QuickQuantities)
    assert ours == measured(nlp, SENTENCES, QuantitiesMatcher)
    found = {label for sentence in ours for _, _, label, *value in sentence if value}
    assert {"weight", "size"} <= found, found


def test_same_measurements_as_edsnlp_on_demo_notes(nlp, demo_texts):
    ours = measured(nlp, demo_texts, QuickQuantities)
    assert ours == measured(nlp, demo_texts, QuantitiesMatcher)
    assert sum(len(found) for found in ours) > 100


def test_numbers_are_read_as_edsnlp_reads_them():
    assert number("12.5") == 12.5 and number("1/2") == 0.5 and number("3") == 3
    with pytest.raises(SyntaxError):
        number("1..2")  # EDS-NLP skips such a number; remembered or not, it still raises


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab1,. \n\u00a0\t/é", max_size=40), st.integers(0, 30), st.integers(0, 30))
def test_text_between_tokens_as_spacy_reads_it(nlp, text, start, end):
    doc = nlp.make_doc(text)
    start, end = min(start, len(doc)), min(end, len(doc))
    assert between(*aggregate_tokens(doc, "TEXT")[:3], start, end) == doc[start:end].text
    assert nlp.get_pipe("quantities")._between(doc, start, end) == doc[start:end].text  # outside a run
