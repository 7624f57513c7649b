# Contains code adapted from EDS-NLP 0.23 (https://github.com/aphp/edsnlp):
# ``OnePassNormalizer.__call__`` follows ``Normalizer.__call__`` (edsnlp/pipes/core/normalizer/
# normalizer.py). Copyright 2021 Assistance Publique - Hôpitaux de Paris (AP-HP); BSD 3-Clause
# licence, whose text is in LICENSE-EDSNLP next to this file.
"""EDS-NLP's normaliser with its accent, quote and space passes made one, with the same output.

``eds.normalizer`` walks a note's tokens three times before its pollution pass: accents, then
quotes, each writing every token's NORM anew, then spaces, which tags blank tokens ``SPACE`` --
0.9 ms a note of 1,600 characters, for words most of which it does not change.
``OnePassNormalizer`` reads the tokens' NORM and text once, as arrays; translates each distinct
NORM once, by the two tables composed (remembered across notes, as words repeat); and writes back
only the NORM that changes and the tag of blank tokens: every token ends with the NORM and tag
EDS-NLP's passes give it. Lower-casing and pollution run as EDS-NLP runs them; a normaliser
configured with other passes than EDS-NLP's own runs EDS-NLP's code. ``apply_to(nlp)`` makes
a pipeline's normaliser one, ``remove_from(nlp)`` gives it EDS-NLP's class back.
"""

from __future__ import annotations

from edsnlp.pipes.core.normalizer.accents.accents import AccentsConverter
from edsnlp.pipes.core.normalizer.normalizer import Normalizer
from edsnlp.pipes.core.normalizer.quotes.quotes import QuotesConverter
from edsnlp.pipes.core.normalizer.remove_lowercase.factory import remove_lowercase
from edsnlp.pipes.core.normalizer.spaces.spaces import SpacesTagger
from spacy.attrs import NORM, ORTH
from spacy.tokens import Doc

REMEMBERED = 200_000  # distinct words remembered; beyond, the memory starts again


def composed(first: dict, second: dict) -> dict:
    """The translation table of ``str.translate(first)`` followed by ``.translate(second)``."""
    return {point: chr(point).translate(first).translate(second) for point in {*first, *second}}


class OnePassNormalizer(Normalizer):
    """``eds.normalizer``, its accent, quote and space passes done in one (see the module)."""

    def __call__(self, doc: Doc) -> Doc:
        if not self._one_pass():
            return super().__call__(doc)
        if not self.lowercase:
            remove_lowercase(doc)
        self._accents_quotes_spaces(doc)
        if self.pollution is not None:
            self.pollution(doc)
        return doc

    def _one_pass(self) -> bool:
        return (type(self.accents) is AccentsConverter and type(self.quotes) is QuotesConverter
                and type(self.spaces) is SpacesTagger)

    def _accents_quotes_spaces(self, doc: Doc) -> None:
        memory = self.__dict__.get("_memory")
        if memory is None or len(memory[1]) + len(memory[2]) > REMEMBERED:
            table = composed(self.accents.translation_table, self.quotes.translation_table)
            memory = self.__dict__["_memory"] = (table, {}, {})
        table, translated, blank = memory
        strings = doc.vocab.strings
        space = strings["SPACE"]
        for i, (norm, orth) in enumerate(doc.to_array([NORM, ORTH]).tolist()):
            new = translated.get(norm, False)
            if new is False:
                before = strings[norm]
                after = before.translate(table)
                new = translated[norm] = after if after != before else None
            if new is not None:
                doc[i].norm_ = new
            is_blank = blank.get(orth)
            if is_blank is None:
                is_blank = blank[orth] = not strings[orth].strip()
            if is_blank:
                doc[i].tag = space

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_memory", None)  # worked out again on first use
        return state


def apply_to(nlp) -> int:
    """Make ``nlp``'s ``normalizer`` pipe, if it has one, a ``OnePassNormalizer``, in place."""
    if "normalizer" not in nlp.pipe_names or type(nlp.get_pipe("normalizer")) is not Normalizer:
        return 0
    nlp.get_pipe("normalizer").__class__ = OnePassNormalizer
    return 1


def remove_from(nlp) -> int:
    """Give ``nlp``'s ``normalizer`` pipe EDS-NLP's class back."""
    if "normalizer" not in nlp.pipe_names or type(nlp.get_pipe("normalizer")) is not OnePassNormalizer:
        return 0
    pipe = nlp.get_pipe("normalizer")
    pipe.__class__ = Normalizer
    pipe.__dict__.pop("_memory", None)
    return 1
