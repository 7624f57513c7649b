"""EDS-NLP's normaliser in one pass (nlp/speedups/normalizer.py): every token ends with the NORM, tag and
pollution mark EDS-NLP's own passes give it -- on demo notes and on text made to be awkward."""

from __future__ import annotations

import pytest
from edsnlp.pipes.core.normalizer.normalizer import Normalizer
from spacy.attrs import NORM, TAG

from clinsearch.nlp.speedups import normalizer as module
from clinsearch.nlp.speedups.normalizer import OnePassNormalizer, composed
from tests.nlp.modes import speedups_applied

AWKWARD = [
    "« Il dit ‘non’ » puis `oui` ; l’été dernier, À ÉTÉ VU ÇA, œdème, naïve, Noël.",
    "Espaces : \u00a0 \u2003 \u200b fin\n\n  \t\r\nsuite\x0b\x0c.",
    "Ligatures et cas : ﬁn, ß, İstanbul, ı, ǅ, ＂guillemets pleine chasse＂, ″secondes″.",
    "",
    " ",
    "1/1 Patient Jean DUPONT né le 01/02/1960\n==========\nbbbbbbbbbbbb\nwww.aphp.fr",
]


@pytest.fixture(scope="module")
def nlp(nlp):
    """The session's French pipeline with the speed-ups, whatever the switch."""
    with speedups_applied(nlp):
        yield nlp


@pytest.fixture(scope="module")
def texts(demo_texts):
    return demo_texts + AWKWARD


def normalised(nlp, texts: list[str], cls) -> list:
    pipe = nlp.get_pipe("normalizer")
    pipe.__class__, before = cls, type(pipe)
    try:
        docs = [pipe(nlp.get_pipe("split_final_periods")(nlp.make_doc(t))) for t in texts]
    finally:
        pipe.__class__ = before
    return [(d.to_array([NORM, TAG]).tolist(), [(t.norm_, t.tag_, t._.excluded) for t in d]) for d in docs]


def test_the_pipeline_normalises_in_one_pass(nlp):
    assert type(nlp.get_pipe("normalizer")) is OnePassNormalizer


def test_same_norms_and_tags_as_edsnlp(nlp, texts):
    ours = normalised(nlp, texts, OnePassNormalizer)
    assert ours == normalised(nlp, texts, Normalizer)
    norms = {norm for _, tokens in ours for norm, _, _ in tokens}
    assert {"ete", "l'", "naive", '"'} <= norms  # accents and quotes normalised
    assert any(tag == "SPACE" for _, tokens in ours for _, tag, _ in tokens)
    assert any(excluded for _, tokens in ours for _, _, excluded in tokens)  # pollution still marked


def test_same_output_when_the_memory_starts_again(nlp, texts, monkeypatch):
    monkeypatch.setattr(module, "REMEMBERED", 10)
    assert normalised(nlp, texts, OnePassNormalizer) == normalised(nlp, texts, Normalizer)


def test_composed_tables_translate_as_one_after_the_other():
    first, second = str.maketrans("éèa", "eeb"), str.maketrans("b’", "c'")
    table = composed(first, second)
    for text in ["éa’b", "bébé", "rien", ""]:
        assert text.translate(table) == text.translate(first).translate(second)


def test_other_passes_run_edsnlps_code():
    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.normalizer(accents=False, lowercase=True))
    assert module.apply_to(nlp) == 1
    assert not nlp.get_pipe("normalizer")._one_pass()
    assert [t.norm_ for t in nlp("Été")] == ["été"]  # accents kept, as EDS-NLP keeps them
    assert module.remove_from(nlp) == 1 and type(nlp.get_pipe("normalizer")) is Normalizer
