"""The tokenisation fix (nlp/tokens.py): an abbreviation that ends a sentence loses its period."""

from __future__ import annotations

import edsnlp
import pytest

from clinsearch.nlp import tokens
from clinsearch.nlp.tokens import split_final_periods


@pytest.mark.parametrize("remembered", [200_000, 0])  # the memory of token texts, kept or started again
def test_split_final_periods(monkeypatch, remembered):
    monkeypatch.setattr(tokens, "REMEMBERED", remembered)
    nlp = edsnlp.blank("eds")
    text = "Suspicion d'EP. Revu par M. Dupont, TVP. Fin"
    doc = split_final_periods(nlp.make_doc(text))
    assert [t.text for t in doc] == ["Suspicion", "d'", "EP", ".", "Revu", "par", "M.", "Dupont", ",", "TVP", ".", "Fin"]
    assert doc.text == text  # a single letter (M.) keeps its period
    assert len(split_final_periods(nlp.make_doc(""))) == 0
