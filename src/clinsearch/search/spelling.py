"""Misspelt medical words in a query: corrected when there is no doubt, suggested otherwise.

A query word is looked at only when it is unknown twice over: it is no word of the terminology
or the lexicon (accents, case and a plural ignored: ``diabete`` is ``diabète``), and no note of
the index holds it (a word the hospital's notes use is never "corrected"). Its candidates are
the medical words of the same first letter within a small edit distance (Levenshtein: 1 for
words of five to seven letters, 2 from eight letters on; shorter words are never touched).

A word the notes hold but no medical vocabulary knows is left alone (a name, a word of the
hospital's), unless its one candidate is at least ``RARER`` times as frequent in the notes
(``insufisance`` in one note, ``insuffisance`` in fifty: a typo of that note): it is then searched
both ways, as typed for the notes that misspell it and corrected for all the others (the
correction says ``as_typed``).

Precision first: the word is **corrected** (the search runs on the correction, and says so)
only when one candidate alone is nearest; when several are as near (two diseases a letter
apart), nothing is corrected and they are offered as **suggestions** ("did you mean ...").

>>> distance("pulmonnaire", "pulmonaire", 2), distance("fibrilation", "fibrillation", 2)
(1, 1)
>>> distance("abcdefgh", "zzzzzzzz", 2)
3
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from clinsearch import terminology
from clinsearch.nlp.lexicon import LEXICON
from clinsearch.search.analysis import LANGUAGES
from clinsearch.search.query import And, Node, Not, Or, Term
from clinsearch.terminology.model import folded_words, name_key

RARER = 5  # a word the notes hold is a typo of its candidate when that many times rarer
SHORTEST = 5  # letters: shorter words are abbreviations or too close to each other to correct


@dataclass(frozen=True)
class Correction:
    word: str  # as typed
    correction: str | None  # the word searched instead, or None (several candidates)
    candidates: tuple[str, ...]
    position: int
    as_typed: bool = False  # the word as typed is searched too (some notes hold it)

    def as_dict(self) -> dict:
        return {"word": self.word, "correction": self.correction, "candidates": list(self.candidates), "position": self.position,
                "as_typed": self.as_typed}


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` as soon as it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], dict[tuple[str, int], list[str]]]:
    """The medical words (their name keys) and the same bucketed by first letter and length."""
    words = set(terminology.terminology().words())
    for entry in LEXICON.values():
        for lang in LANGUAGES:
            for text in entry.terms[lang]:
                words.update(w for w in name_key(text).split() if len(w) >= SHORTEST and w.isalpha())
    buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
    for word in words:
        buckets[(word[0], len(word))].append(word)
    return frozenset(words), dict(buckets)


@lru_cache(maxsize=1)
def _spelled() -> dict[str, str]:
    """A word's name key -> the word as the names write it (folded, its plural kept if it has one only)."""
    seen: dict[str, str] = {}
    table = terminology.terminology()
    for concept in table.concepts.values():
        for text in concept.terms():
            for word in folded_words(text):
                if len(word) >= SHORTEST:
                    key = name_key(word)
                    if key not in seen or len(word) < len(seen[key]):
                        seen[key] = word
    return seen


def known(word: str) -> bool:
    return name_key(word) in _words()[0]


@lru_cache(maxsize=4096)
def candidates(word: str) -> tuple[str, ...]:
    """The nearest medical words of ``word`` (empty when none is near enough)."""
    key = name_key(word)
    if len(key) < SHORTEST or not key.isalpha():
        return ()
    limit = 1 if len(key) < 8 else 2
    buckets = _words()[1]
    scored = [(d, w) for n in range(len(key) - limit, len(key) + limit + 1) for w in buckets.get((key[0], n), ())
              if (d := distance(key, w, limit)) <= limit]
    if not scored:
        return ()
    best = min(d for d, _ in scored)
    spelled = _spelled()
    return tuple(sorted({spelled.get(w, w) for d, w in scored if d == best}))


def correct(tree: Node, in_notes) -> tuple[Node, list[Correction]]:
    """``tree`` with its misspelt words corrected, and what was done. ``in_notes(word)`` counts
    the documents holding the word; for a typo of the notes the tree searches it both as typed and corrected
    (``Or`` of the two trees, the same as an ``Or`` of each word and its correction, without
    breaking the run of words that names a concept)."""
    found: list[Correction] = []

    def walk(node: Node) -> Node:
        if isinstance(node, Term):
            return _term(node, in_notes, found)
        if isinstance(node, Not):
            return Not(walk(node.item))
        if isinstance(node, (And, Or)):
            return type(node)(tuple(walk(item) for item in node.items))
        return node

    corrected = walk(tree)
    return (Or((corrected, tree)) if any(c.as_typed for c in found) else corrected), found


def _term(term: Term, in_notes, found: list[Correction]) -> Term:
    if term.exact or term.phrase or " " in term.text or known(term.text):
        return term
    options = candidates(term.text)
    if not options:
        return term
    typed = in_notes(term.text)
    if typed and (len(options) > 1 or in_notes(options[0]) < RARER * typed):
        return term  # a word of the notes, not a typo of theirs
    if len(options) == 1:
        found.append(Correction(term.text, options[0], options, term.position, as_typed=bool(typed)))
        return Term(options[0], term.context, term.exact, term.phrase, term.position)
    found.append(Correction(term.text, None, options[:5], term.position))
    return term


def suggested_query(query: str, corrections: list[Correction]) -> str | None:
    """The query with every correction (or each word's first candidate) in place of the word."""
    if not corrections:
        return None
    out = query
    for c in sorted(corrections, key=lambda c: -c.position):
        start = out.find(c.word, max(c.position - 1, 0))
        if start >= 0:
            out = out[:start] + (c.correction or c.candidates[0]) + out[start + len(c.word):]
    return out
