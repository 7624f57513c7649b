"""A fix to tokenisation before any matcher runs: an abbreviation ending a sentence.

EDS-NLP's tokenizer keeps "EP." in one token (it reads upper-case words with a period as
abbreviations such as "M."), so that "Suspicion d'EP." never matches the abbreviation "EP".
``split_final_periods`` splits a token of two or more capitals or digits followed by a period
into the word and the period ("EP." -> "EP" "."); single letters ("M.", "J.") are left alone.
(The speed-ups match each distinct token text once: ``clinsearch.nlp.speedups.tokens``.)
"""

from __future__ import annotations

import re

from edsnlp.core import registry
from spacy.tokens import Doc

ABBREVIATION_WITH_PERIOD = re.compile(r"^[A-ZÉÈ][A-ZÉÈ0-9+]+\.$")


def split_final_periods(doc: Doc) -> Doc:
    return split(doc, [token for token in doc if ABBREVIATION_WITH_PERIOD.match(token.text)])


def split(doc: Doc, targets: list) -> Doc:
    """``doc`` with each token of ``targets`` split into its text and its final period."""
    if not targets:
        return doc
    with doc.retokenize() as retokenizer:
        for token in targets:
            retokenizer.split(token, [token.text[:-1], "."], heads=[(token, 0), (token, 0)])
    return doc


class SplitFinalPeriods:
    """The pipeline component running ``split_final_periods``."""

    def __init__(self, nlp=None, name: str = "split_final_periods"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        return split_final_periods(doc)


create_component = registry.factory.register("clinsearch.split_final_periods", assigns=["token.is_sent_start"])(SplitFinalPeriods)
