"""Import spaCy's French language without compiling its 1.45-million-character regular expression.

EDS-NLP's ``eds`` language derives from spaCy's French, and importing ``spacy.lang.fr`` compiles
``TOKEN_MATCH``, a single pattern of 1,450,369 characters (hyphenated and elided words, each
spelled with every accented letter) that takes 3.3 s -- a third of a cold ``clinsearch annotate``.
The ``eds`` tokenizer never uses it. ``import_french()`` imports ``spacy.lang.fr`` with
``re.compile`` answering a *deferred* pattern for patterns that long: compiled, the same, the
first time it is used (spaCy's own French tokenizer, for one), never otherwise. Every other
pattern compiles as usual, and ``re.compile`` is restored before the function returns.
Nothing changes in what spaCy or EDS-NLP find (``tests/nlp/test_spacy_french.py`` tokenizes with
spaCy's French as imported the usual way): a speed-up of the cold start, under the speed-ups'
switch. Once spaCy's French is imported there is nothing to undo or redo.
"""

from __future__ import annotations

import re
import sys

LONG = 100_000  # characters: the French TOKEN_MATCH has 1,450,369; spaCy's next longest, 3,858


class DeferredPattern:
    """``re.compile(pattern, flags)``, done when first needed."""

    def __init__(self, pattern: str, flags: int, compile_):
        self._args, self._compile, self._compiled = (pattern, flags), compile_, None

    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = self._compile(*self._args)
        return self._compiled

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return DeferredMethod(self, name)


class DeferredMethod:
    """``pattern.match`` (or any method) of a deferred pattern: compiles it when called."""

    def __init__(self, pattern: DeferredPattern, name: str):
        self.pattern, self.name = pattern, name

    def __call__(self, *args, **kwargs):
        return getattr(self.pattern.compiled(), self.name)(*args, **kwargs)

    @property
    def __self__(self) -> re.Pattern:  # spaCy reads ``token_match.__self__.pattern`` when saving a tokenizer
        return self.pattern.compiled()

    def __reduce__(self):
        return getattr, (self.pattern.compiled(), self.name)


def import_french() -> None:
    if "spacy.lang.fr" in sys.modules:
        return
    compile_ = re.compile

    def deferring(pattern, flags=0):
        if isinstance(pattern, str) and len(pattern) > LONG:
            return DeferredPattern(pattern, flags, compile_)
        return compile_(pattern, flags)

    re.compile = deferring
    try:
        import spacy.lang.fr  # noqa: F401
    finally:
        re.compile = compile_
