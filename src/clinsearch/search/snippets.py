"""Highlighted snippets, each labelled with the context of what it shows.

The stored text of a hit is analysed as the index analysed it (``analysis.tokens``), the token
sequences the query asked for are looked for, and so are the NLP's entities of the concepts it
asked for (stored with the text: a concept is highlighted where the NLP found it, not where its
words stand for something else -- the "EP" of a pleural effusion); each occurrence takes the
context of the stretch it lies in (``contexts``: negated, hypothetical, family; affirmed elsewhere). Only the
occurrences in the contexts the query asked for are shown: ``neg:EP`` shows "pas d'[embolie
pulmonaire]" labelled *negated*, a bare ``EP`` never shows it.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field

from clinsearch.search import analysis

WINDOW = 80  # characters of text on each side of a highlight
MAX_SNIPPETS = 3


@dataclass
class Snippet:
    text: str
    context: str  # affirmed, negated, hypothetical or family
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets in ``text``

    def as_dict(self) -> dict:
        return {"text": self.text, "context": self.context, "highlights": [list(h) for h in self.highlights]}


@dataclass(frozen=True)
class Wanted:
    """What to highlight, and the contexts in which it counts: token sequences anywhere
    (``phrases``), token sequences only in the text no NLP read (``read``: there no entity stands
    for the lexicon's terms), and the NLP's entities carrying one of ``codes``."""

    phrases: tuple[tuple[str, ...], ...]
    contexts: frozenset[str]
    read: tuple[tuple[str, ...], ...] = ()
    codes: frozenset[str] = frozenset()


def context_at(contexts: list[tuple[int, int, str]], position: int) -> str:
    """The context of the character at ``position`` (``contexts`` sorted by start)."""
    i = bisect.bisect_right([c[0] for c in contexts], position) - 1
    if i >= 0 and contexts[i][0] <= position < contexts[i][1]:
        return contexts[i][2]
    return "affirmed"


def occurrences(text: str, lang: str, contexts: list[tuple[int, int, str]], wanted: list[Wanted],
                entities=(), unread: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, context) of every wanted token sequence in ``text`` and of every wanted
    entity (``entities``: (start, end, codes)), in a wanted context."""
    contexts = sorted(contexts)
    found = set(_phrases(text, lang, contexts, wanted, unread))
    for start, end, codes in entities:
        for want in wanted:
            if want.codes.intersection(codes) and (context := context_at(contexts, start)) in want.contexts:
                found.add((start, end, context))
    return sorted(found)


def _phrases(text: str, lang: str, contexts: list[tuple[int, int, str]], wanted: list[Wanted], unread: int) -> set:
    """The wanted token sequences: ``phrases`` anywhere, ``read`` before ``unread`` only.

    The text is analysed in one call; word offsets are only computed as far as the last
    candidate (the first term of a wanted sequence), and each candidate is checked against its
    own word, so that a disagreement between the two tokenizers can never shift a highlight."""
    sides = [(want, phrase, limit) for want in wanted for side, limit in ((want.phrases, len(text)), (want.read, unread)) if limit
             for phrase in side if phrase]
    firsts = {phrase[0]: len(phrase) for _, phrase, _ in sides}
    terms = analysis.terms(text, lang) if firsts else []
    candidates = [i for i, term in enumerate(terms) if term in firsts]
    if not candidates:
        return set()
    spans = analysis.word_spans(text, max(candidates) + max(firsts.values()))
    if any(i >= len(spans) or analysis.terms(text[spans[i][0]: spans[i][1]], lang) != [terms[i]] for i in candidates):
        tokens = analysis.tokens(text, lang)  # the tokenizers disagree: the slow, exact way
        terms, spans = [t[2] for t in tokens], [(t[0], t[1]) for t in tokens]
        candidates = [i for i, term in enumerate(terms) if term in firsts]
    found = set()
    for want, phrase, limit in sides:
        for i in candidates:
            if terms[i] != phrase[0] or tuple(terms[i: i + len(phrase)]) != phrase or i + len(phrase) > len(spans):
                continue
            start, end = spans[i][0], spans[i + len(phrase) - 1][1]
            context = context_at(contexts, start)
            if start < limit and context in want.contexts:
                found.add((start, end, context))
    return found


def snippets(text: str, lang: str, contexts: list[tuple[int, int, str]], wanted: list[Wanted], entities=(), unread: int = 0) -> list[Snippet]:
    """Up to ``MAX_SNIPPETS`` snippets around the wanted occurrences (the start of the text when
    the document matched by its coded data only)."""
    found = occurrences(text, lang, contexts, wanted, entities, unread)
    if not found:
        return [Snippet(_clip(text, 0, min(len(text), 2 * WINDOW))[0], "affirmed")] if text.strip() else []
    out: list[Snippet] = []
    offsets: list[int] = []  # where each snippet's text starts in ``text``
    limit = -1  # where the last snippet's text ends in ``text``
    for start, end, context in found:
        if out and end <= limit and out[-1].context == context:
            out[-1].highlights.append((start - offsets[-1], end - offsets[-1]))
            continue
        if len(out) == MAX_SNIPPETS:
            break
        piece, offset, limit = _clip(text, max(0, start - WINDOW), min(len(text), end + WINDOW))
        out.append(Snippet(piece, context, [(start - offset, end - offset)]))
        offsets.append(offset)
    return out


def _clip(text: str, begin: int, stop: int) -> tuple[str, int, int]:
    """``text[begin:stop]`` cut at word boundaries, one line, with "…" where it was cut; the
    offset in ``text`` that offset 0 of the result stands for; where the cut text ends."""
    if begin > 0:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + 20 else begin
    if stop < len(text):
        space = text.rfind(" ", stop - 20, stop)
        stop = space if space > begin else stop
    prefix = "…" if begin > 0 else ""
    suffix = "…" if stop < len(text) else ""
    piece = text[begin:stop].replace("\n", " ").replace("\r", " ")
    return prefix + piece + suffix, begin - len(prefix), stop


def _stored(doc, body_field: str) -> tuple[str, str, list, list, int]:
    """(text, language, contexts, entities, unread) of a document of the index (a
    ``tantivy.Document``), from its stored body in ``body_field`` (the view's)."""
    body = json.loads(bytes(doc.get_first(body_field)).decode("utf-8"))
    entities = [(s, e, frozenset(c)) for s, e, c in body.get("entities", ())]
    return body["text"], doc.get_first("language") or "fr", [tuple(c) for c in body["contexts"]], entities, body.get("unread", 0)


def stored_snippets(doc, wanted: dict[str, list[Wanted]], body_field: str) -> list[Snippet]:
    """The snippets of a document of the index (a researcher's come from the pseudonymised body)."""
    text, language, contexts, entities, unread = _stored(doc, body_field)
    return snippets(text, language, contexts, wanted.get(language, wanted["fr"]), entities, unread)


def stored_marks(doc, wanted: dict[str, list[Wanted]], body_field: str) -> tuple[str, list[tuple[int, int, str]]]:
    """A document's whole text as the index holds it and every wanted occurrence in it (what the
    opened note marks: the same matching as the snippets, synonyms and abbreviations included)."""
    text, language, contexts, entities, unread = _stored(doc, body_field)
    return text, occurrences(text, language, contexts, wanted.get(language, wanted["fr"]), entities, unread)
