"""Every entity type of the full French pipeline, as marked-up sentences."""

from __future__ import annotations

import pytest

from clinsearch.nlp.annotate import annotate
from tests.nlp.markup import check, parse

SENTENCES = [
    "<ent label=cim10 code=J93>Pneumothorax</ent> droit.",
    "Traitement par <ent label=drug code=C01BD01>amiodarone</ent> au long cours.",
    "<ent label=lexicon code=B01AF02>Eliquis</ent> poursuivi.",
    "<ent label=diabetes code=E14>Néphropathie diabétique</ent> connue.",
    "<ent label=ckd code=N18>Insuffisance rénale chronique stade 4</ent>.",
    "Adénocarcinome <ent label=tnm>pT2N0M0</ent>.",
    "Poids <ent label=measurement>80 kg</ent> ce matin.",
    "Vu le <ent label=date code=2023-03-12>12/03/2023</ent> en consultation.",
    "Pas de <ent label=cim10 negated>pneumothorax</ent>.",
]


@pytest.mark.parametrize("marked", SENTENCES)
def test_entity_types_of_the_full_pipeline(marked):
    text, expected = parse(marked)
    check(annotate(text), expected)


@pytest.mark.parametrize("text", ["", " \n\t ", "\x00\x01\x02 garbage \ufffd\ufffd", "é" * 10, "a" * 200_000])
def test_hostile_texts_are_annotated_without_error(text):
    assert isinstance(annotate(text), list)


def test_a_one_megabyte_note_is_annotated():
    note = ("Pas d'embolie pulmonaire. HTA connue. " * 30_000)[:1_000_000]
    entities = annotate(note, full=False)
    assert len(entities) > 1000 and all(e.negated for e in entities if e.concept == "ep")
    assert all(note[e.start:e.end] == e.text for e in entities)  # offsets survive the cutting
