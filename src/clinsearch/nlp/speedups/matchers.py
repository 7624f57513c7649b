"""EDS-NLP's phrase matchers in the pipeline cache, loaded in a fraction of the time.

Loading a pickled phrase matcher re-adds every pattern to spaCy's trie one by one -- 212,099
patterns for ``eds.cim10``, two thirds of a cold start. ``register()`` gives ``EDSPhraseMatcher``
a ``copyreg`` reduction that keeps what the cache's own one keeps (its class and its two skipping
switches: ``clinsearch.nlp.pickling``) and stores the patterns as flat arrays of token hashes. A
matcher of more than ``LAZY_FROM`` patterns comes back *lazy*: before matching a document it adds
the patterns whose tokens all occur in that document -- no other pattern can match it -- so a cold
``clinsearch annotate`` adds a few hundred patterns instead of 212,099. Patterns are always added
in their original order, a pattern's key with it, and all the patterns ending on the same token
sequence in the same call, so the trie answers the same matches in the same order as a matcher
filled at once. Finding those patterns costs about 5 ms a document; ``complete(nlp)`` fills every
lazy matcher of a pipeline at once (about 2 s), which ``run_nlp`` has done in the parent before
forking its workers. ``unregister()`` takes the reduction away again.
"""

from __future__ import annotations

import copyreg

import numpy as np
from edsnlp.matchers.phrase import EDSPhraseMatcher
from spacy.tokens import Span

from clinsearch.nlp.pickling import switches_of

LAZY_FROM = 10_000  # patterns: smaller matchers are filled when loaded (hypothesis cues: 3,920)


class Patterns:
    """A matcher's patterns as arrays, in the order they were added: pattern ``i`` is the token
    hashes ``vocabulary[index[offsets[i]:offsets[i + 1]]]`` and belongs to ``keys[key_of[i]]``.
    (The distinct hashes are few -- 19,832 for 212,099 CIM-10 patterns -- so that finding the
    patterns a document can match costs a look-up in them and one gather.)"""

    def __init__(self, keys: list[str], key_of: np.ndarray, offsets: np.ndarray, vocabulary: np.ndarray, index: np.ndarray):
        self.keys, self.key_of, self.offsets, self.vocabulary, self.index = keys, key_of, offsets, vocabulary, index

    def __len__(self) -> int:
        return len(self.key_of)

    def arrays(self) -> tuple:
        return self.keys, self.key_of, self.offsets, self.vocabulary, self.index

    @classmethod
    def of(cls, docs: dict) -> Patterns:
        """From spaCy's ``PhraseMatcher._docs`` (key -> set of token-hash tuples)."""
        keys = list(docs)
        patterns = [(k, p) for k, key in enumerate(keys) for p in docs[key]]
        key_of = np.fromiter((k for k, _ in patterns), dtype=np.int32, count=len(patterns))
        lengths = np.fromiter((len(p) for _, p in patterns), dtype=np.int64, count=len(patterns))
        offsets = np.zeros(len(patterns) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        tokens = np.fromiter((t for _, p in patterns for t in p), dtype=np.uint64, count=int(offsets[-1]))
        vocabulary, index = np.unique(tokens, return_inverse=True)
        return cls(keys, key_of, offsets, vocabulary, index.astype(np.int32).reshape(-1))

    def present_in(self, values: np.ndarray) -> np.ndarray:
        """Mask of the patterns whose every token hash is among ``values``."""
        if not len(self):
            return np.zeros(0, dtype=bool)
        found = np.isin(self.vocabulary, values)[self.index]
        return np.logical_and.reduceat(found, self.offsets[:-1])

    def add_to(self, matcher, indices: np.ndarray) -> None:
        """Add the patterns ``indices`` (ascending) to ``matcher``: one ``add`` per key, in order."""
        if len(indices) == 0:
            return
        offsets = self.offsets.tolist()
        if len(indices) > 1000:  # the whole table at once: one conversion to Python integers
            tokens = self.vocabulary[self.index].tolist()
            pattern = lambda i: tuple(tokens[offsets[i]: offsets[i + 1]])
        else:
            pattern = lambda i: tuple(self.vocabulary[self.index[offsets[i]: offsets[i + 1]]].tolist())
        key_of = self.key_of[indices]
        starts = np.flatnonzero(np.r_[True, key_of[1:] != key_of[:-1]]).tolist()
        ends = starts[1:] + [len(indices)]
        indices = indices.tolist()
        for start, end in zip(starts, ends):
            key = self.keys[int(key_of[start])]
            EDSPhraseMatcher.add(matcher, key, [pattern(i) for i in indices[start:end]], on_match=matcher.callbacks.get(key))


class LazyPhraseMatcher(EDSPhraseMatcher):
    """An ``EDSPhraseMatcher`` that adds its patterns when a document could use them."""

    def setup(self, attr: int, patterns: Patterns, callbacks: dict, switches: tuple[bool, bool], lazy: bool) -> None:
        self.attr_id, self.patterns, self.callbacks, self.switches = attr, patterns, callbacks, switches
        self.pending = np.ones(len(patterns), dtype=bool)
        self.filled = False  # a plain flag: the matchers are called some 40 times a note
        if not lazy:
            self.complete()

    def complete(self) -> None:
        if not self.filled:
            self.patterns.add_to(self, np.flatnonzero(self.pending))
            self.pending[:] = False
            self.filled = True

    def __call__(self, doclike, *, as_spans=False):
        if not self.filled:
            doc = doclike.doc if isinstance(doclike, Span) else doclike
            values = np.unique(doc.to_array(self.attr_id)) if len(doc) else np.zeros(0, np.uint64)
            wanted = self.pending & self.patterns.present_in(values)
            self.patterns.add_to(self, np.flatnonzero(wanted))
            self.pending &= ~wanted
            self.filled = not self.pending.any()
        return EDSPhraseMatcher.__call__(self, doclike, as_spans=as_spans)

    def __len__(self) -> int:
        return EDSPhraseMatcher.__len__(self) if self.filled else len(self.patterns.keys)

    def __contains__(self, key) -> bool:
        return EDSPhraseMatcher.__contains__(self, key) if self.filled else key in self.patterns.keys

    def add(self, key, docs, *args, on_match=None):
        self.complete()  # a new pattern goes after every earlier one, as in a full matcher
        return EDSPhraseMatcher.add(self, key, docs, *args, on_match=on_match)

    def remove(self, key) -> None:
        self.complete()
        EDSPhraseMatcher.remove(self, key)


def complete(nlp) -> None:
    """Fill every lazy phrase matcher of ``nlp`` (before forking workers that will all use them)."""
    for matcher in _matchers(nlp):
        matcher.complete()


def _matchers(nlp):
    for _, pipe in nlp.pipeline:
        for value in _values(pipe):
            if isinstance(value, LazyPhraseMatcher):
                yield value


def _values(pipe):
    for value in vars(pipe).values() if hasattr(pipe, "__dict__") else ():
        yield value
        if isinstance(value, (list, tuple)):  # the comorbidity pipes' contextual patterns
            for item in value:
                yield from (vars(item).values() if hasattr(item, "__dict__") else ())


# -- pickling ---------------------------------------------------------------------------------


def reduce_matcher(matcher: EDSPhraseMatcher):
    vocab, docs, callbacks, attr = matcher.__reduce__()[1]
    lazy = isinstance(matcher, LazyPhraseMatcher)
    if lazy and not matcher.filled:
        patterns, callbacks = matcher.patterns, matcher.callbacks  # nothing added or removed since
    else:
        patterns = Patterns.of(docs)
    callbacks = {k: c for k, c in callbacks.items() if c is not None}
    excluded, spaces = matcher.switches if lazy else switches_of(matcher)
    return restore_matcher, (vocab, attr, excluded, spaces, patterns.arrays(), callbacks)


def restore_matcher(vocab, attr, excluded, spaces, arrays, callbacks) -> LazyPhraseMatcher:
    matcher = LazyPhraseMatcher(vocab, attr=attr, ignore_excluded=excluded, ignore_space_tokens=spaces)
    patterns = Patterns(*arrays)
    matcher.setup(attr, patterns, callbacks, (excluded, spaces), lazy=len(patterns) > LAZY_FROM)
    return matcher


PICKLED = (EDSPhraseMatcher, LazyPhraseMatcher)


def registered() -> bool:
    return all(copyreg.dispatch_table.get(cls) is reduce_matcher for cls in PICKLED)


def register() -> None:
    """Pickle every phrase matcher with ``reduce_matcher`` (``copyreg``: every pickler)."""
    for cls in PICKLED:
        copyreg.pickle(cls, reduce_matcher)


def unregister() -> None:
    for cls in PICKLED:
        if copyreg.dispatch_table.get(cls) is reduce_matcher:
            del copyreg.dispatch_table[cls]


def remove_from(nlp) -> int:
    """Fill every lazy matcher of ``nlp``: filled, it matches as EDS-NLP's own (its class cannot
    be given back: EDS-NLP's is a compiled one); none changes class, so 0."""
    complete(nlp)
    return 0


def apply_to(nlp) -> int:
    """Nothing to change in a pipeline: its phrase matchers become lazy when pickled (``register``)."""
    return 0
