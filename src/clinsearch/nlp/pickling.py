"""How the pipeline cache pickles what ``pickle``'s defaults get wrong or write twice.

* EDS-NLP's phrase matcher (``EDSPhraseMatcher``) inherits spaCy's pickling, which rebuilds a
  plain spaCy ``PhraseMatcher``: the loaded pipeline then no longer skips the tokens the
  normaliser excluded, so that "insuffisance ===== cardiaque" is found by the pipeline just built
  and missed by the cached one. ``reduce_whole`` keeps the matcher's class and its two skipping
  switches (read by trying the matcher on a probe document, since EDS-NLP keeps them in C
  fields), and its patterns as spaCy stores them. This is a fix, not a speed-up: the cache needs
  it with the speed-ups on or off. With them on, ``clinsearch.nlp.speedups.matchers`` registers
  its own reduction instead, which keeps the same and loads lazily.
* An empty vectors table is written as just that: spaCy writes into it the vocabulary's 138,000
  strings again, and reads them twice on load (0.3 s of a cold ``clinsearch annotate``).

``dispatch_table()`` is what ``clinsearch.nlp.pipeline.dump`` gives its pickler; nothing is
registered anywhere else.
"""

from __future__ import annotations

import copyreg

from edsnlp.matchers.phrase import EDSPhraseMatcher
from spacy.tokens import Doc
from spacy.vectors import Vectors

PROBE_KEY = "clinsearch-probe"
PROBE_WORDS = ("clinsearchprobea", "clinsearchprobeb", "clinsearchprobec")


def dispatch_table() -> dict:
    """The reductions of the pipeline cache's pickler: ``copyreg``'s (the speed-ups' phrase
    matcher reduction among them, when they are on), else the matcher kept whole; vectors."""
    return {EDSPhraseMatcher: reduce_whole, **copyreg.dispatch_table, Vectors: reduce_vectors}


def switches_of(matcher: EDSPhraseMatcher) -> tuple[bool, bool]:
    """(skips excluded tokens, skips space tokens): tried on a probe document, then undone."""
    vocab = matcher.vocab
    attr = matcher.__reduce__()[1][3]
    doc = Doc(vocab, words=list(PROBE_WORDS))
    first, last = doc[0], doc[2]
    matcher.add(PROBE_KEY, [(_attr(first, attr), _attr(last, attr))])
    try:
        skips = []
        for tag in ("EXCLUDED", "SPACE"):
            doc[1].tag_ = tag
            skips.append(any(m[1:] == (0, 3) for m in EDSPhraseMatcher.__call__(matcher, doc)))
        return skips[0], skips[1]
    finally:
        EDSPhraseMatcher.remove(matcher, PROBE_KEY)


def _attr(token, attr: int) -> int:
    return int(token.doc.to_array(attr)[token.i])


def reduce_whole(matcher: EDSPhraseMatcher):
    vocab, docs, callbacks, attr = matcher.__reduce__()[1]
    excluded, spaces = switches_of(matcher)
    return restore_whole, (vocab, attr, excluded, spaces, docs, {k: c for k, c in callbacks.items() if c is not None})


def restore_whole(vocab, attr, excluded, spaces, docs, callbacks) -> EDSPhraseMatcher:
    """The matcher again, its patterns added as spaCy's own unpickling adds them."""
    matcher = EDSPhraseMatcher(vocab, attr=attr, ignore_excluded=excluded, ignore_space_tokens=spaces)
    for key, patterns in docs.items():
        matcher.add(key, list(patterns), on_match=callbacks.get(key))
    return matcher


def reduce_vectors(vectors: Vectors):
    if vectors.shape == (0, 0) and vectors.mode == "default" and not len(vectors.key2row):
        return Vectors, ()
    return vectors.__reduce__()
