"""A fix to tokenisation before any matcher runs: an abbreviation ending a sentence.

EDS-NLP's tokenizer keeps "EP." in one token (it reads upper-case words with a period as
abbreviations such as "M."), so that "Suspicion d'EP." never matches the abbreviation "EP".
``split_final_periods`` splits a token of two or more capitals or digits followed by a period
into the word and the period ("EP." -> "EP" "."); single letters ("M.", "J.") are left alone.
"""

from __future__ import annotations

import re

from edsnlp.core import registry
from spacy.attrs import ORTH
from spacy.tokens import Doc

ABBREVIATION_WITH_PERIOD = re.compile(r"^[A-ZÉÈ][A-ZÉÈ0-9+]+\.$")
REMEMBERED = 200_000  # distinct token texts remembered; beyond, the memory starts again
_abbreviation: dict[int, bool] = {}  # token text (its hash) -> whether it is one


def split_final_periods(doc: Doc) -> Doc:
    # token texts read as hashes, each distinct one matched once: a tenth of reading every token
    strings, targets = doc.vocab.strings, []
    for i, orth in enumerate(doc.to_array([ORTH]).tolist() if len(doc) else []):
        found = _abbreviation.get(orth)
        if found is None:
            if len(_abbreviation) > REMEMBERED:
                _abbreviation.clear()
            found = _abbreviation[orth] = ABBREVIATION_WITH_PERIOD.match(strings[orth]) is not None
        if found:
            targets.append(doc[i])
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
