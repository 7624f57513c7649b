"""Fixes to tokenisation before any matcher runs: an abbreviation ending a sentence, and a
lower-case abbreviation whose period ends none.

EDS-NLP's tokenizer keeps "EP." in one token (it reads upper-case words with a period as
abbreviations such as "M."), so that "Suspicion d'EP." never matches the abbreviation "EP".
``split_final_periods`` splits a token of two or more capitals or digits followed by a period
into the word and the period ("EP." -> "EP" "."); single letters ("M.", "J.") are left alone.
(The speed-ups match each distinct token text once: ``clinsearch.nlp.speedups.tokens``.)

The other way round, telegraphic notes abbreviate words that go on: "susp. EP", "cf. CR
joint". ``EDS-NLP``'s sentence splitter ends a sentence at their period, which cuts the cue
"susp." off the finding it qualifies. ``keep_sentences_going`` (run after ``eds.sentences``)
joins the sentence after such a word (``ABBREVIATIONS_GOING_ON``) to its own.

English: spaCy's English tokenizer keeps a single capital and its period together ("hepatitis
C." is "hepatitis" "C."), so that "hepatitis C" at the end of a sentence is never found.
``split_letter_periods`` splits such a token after a lower-case word and before what starts a
sentence ("hepatitis B or C. No diabetes"), not after a title, a capitalised word or a word
that introduces a name ("Dr. J. Smith", "seen by J. Smith", "Vitamin D."), nor before a word
that goes on ("C. diff colitis").
"""

from __future__ import annotations

import re

from edsnlp.core import registry
from spacy.tokens import Doc

ABBREVIATION_WITH_PERIOD = re.compile(r"^[A-ZÉÈ][A-ZÉÈ0-9+]+\.$")
LETTER_WITH_PERIOD = re.compile(r"^[A-Z]\.$")
BEFORE_A_NAME = frozenset({"by", "to", "with", "from", "per", "cc", "dr", "mr", "mrs", "ms", "prof"})
ABBREVIATIONS_GOING_ON = frozenset({"susp", "suspic", "suspi", "poss", "cf", "env", "diag", "hyp"})


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


def split_letter_periods(doc: Doc) -> Doc:
    return split(doc, [t for t in doc[1:] if LETTER_WITH_PERIOD.match(t.text) and _after_a_word(doc[t.i - 1]) and _before_a_sentence(t)])


def _before_a_sentence(token) -> bool:
    """The end of the text or of a line, or a capitalised word next: not "C. diff", "C. DIFF"."""
    if token.i + 1 == len(token.doc) or "\n" in token.whitespace_:
        return True
    following = token.doc[token.i + 1]
    return following.is_space or following.is_punct or following.is_title


def _after_a_word(token) -> bool:
    return token.text.islower() and token.text.isalpha() and token.lower_ not in BEFORE_A_NAME


class SplitLetterPeriods:
    """The pipeline component running ``split_letter_periods`` (English)."""

    def __init__(self, nlp=None, name: str = "split_letter_periods"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        return split_letter_periods(doc)


def keep_sentences_going(doc: Doc) -> Doc:
    """No sentence starts after "susp." and the other ``ABBREVIATIONS_GOING_ON``."""
    for i in range(len(doc) - 2):
        if doc[i + 1].text == "." and not doc[i].whitespace_ and doc[i].lower_ in ABBREVIATIONS_GOING_ON and doc[i + 2].is_sent_start:
            doc[i + 2].is_sent_start = False
    return doc


class KeepSentencesGoing:
    """The pipeline component running ``keep_sentences_going`` (after the sentence splitter)."""

    def __init__(self, nlp=None, name: str = "keep_sentences_going"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        return keep_sentences_going(doc)


create_component = registry.factory.register("clinsearch.split_final_periods", assigns=["token.is_sent_start"])(SplitFinalPeriods)
create_letter_periods = registry.factory.register("clinsearch.split_letter_periods", assigns=["token.is_sent_start"])(SplitLetterPeriods)
create_keep_going = registry.factory.register("clinsearch.keep_sentences_going", assigns=["token.is_sent_start"])(KeepSentencesGoing)
