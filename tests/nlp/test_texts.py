"""clinsearch.nlp.speedups.texts: a note's text for EDS-NLP's matchers, the same as EDS-NLP puts it together."""

from __future__ import annotations

import pytest
from edsnlp.utils import doc_to_text

from clinsearch.nlp.speedups import texts
from tests.nlp.modes import global_speedups

FORMS = [(attr, excluded, spaces) for attr in ("TEXT", "NORM", "LOWER") for excluded in (False, True) for spaces in (False, True)]
CRAFTED = [
    "",
    "Dr. Jean MARTIN\n\nPas d'embolie pulmonaire.\n",
    "Pr DUPONT  \n  \n=====\nwww.exemple.fr\tHTA  connue.\n\n\nFin",
    "İSTANBUL : ÉPREUVE d’effort « négative ».\r\n",
]


def edsnlp_forms(doc) -> list:
    own = texts.EDSNLP_OWN.__wrapped__
    return [own(doc, *form) for form in FORMS]


def clinsearch_forms(doc) -> list:
    return [texts.aggregate_tokens(doc, *form) for form in FORMS]


def test_every_form_of_every_note_is_edsnlp_s(nlp, demo_texts):
    docs = [nlp(text) for text in demo_texts[:15] + CRAFTED]
    for doc in docs:
        assert clinsearch_forms(doc) == edsnlp_forms(doc)
    # the notes exercise what differs between forms: pollution left out, and a space token after
    # it that gives the part before a trailing space
    amended = 0
    for doc in docs:
        for i, token in enumerate(doc):
            if i and token.tag_ == "SPACE" and doc[i - 1].tag_ == "EXCLUDED":
                amended += 1
    assert amended and any(t.tag_ == "EXCLUDED" for doc in docs for t in doc)


@pytest.mark.parametrize("text", CRAFTED)
def test_tokens_of_a_bare_tokenizer_too(nlp, text):
    doc = nlp.make_doc(text)
    assert clinsearch_forms(doc) == edsnlp_forms(doc)


def test_install_puts_it_where_edsnlp_looks_and_uninstall_puts_edsnlp_s_back(nlp):
    with global_speedups(on=False):
        assert doc_to_text.aggregate_tokens is texts.EDSNLP_OWN and not texts.installed()
        texts.install()
        cached = doc_to_text.aggregate_tokens
        texts.install()  # once in place, it stays as it is, its cache with it
        assert doc_to_text.aggregate_tokens is cached and cached.__wrapped__ is texts.aggregate_tokens and texts.installed()
        doc = nlp("Pas d'embolie pulmonaire.")
        assert doc_to_text.get_text(doc, "NORM", True) == "pas d'embolie pulmonaire."
        texts.uninstall()
        assert doc_to_text.aggregate_tokens is texts.EDSNLP_OWN


def test_an_attribute_spacy_does_not_have_goes_to_edsnlp(nlp):
    doc = nlp.make_doc("Pas de fièvre.")
    with pytest.raises(Exception) as ours:
        texts.aggregate_tokens(doc, "NOT_AN_ATTRIBUTE")
    with pytest.raises(Exception) as theirs:
        texts.EDSNLP_OWN.__wrapped__(doc, "NOT_AN_ATTRIBUTE")
    assert type(ours.value) is type(theirs.value)
