"""Where a line of the summary comes from: the sentence of a note (its character offsets in the
note's text) or a row of a table. Every line of the summary carries its citations; the patient
page opens a note's citation with the sentence marked (``/notes/{id}?cite=START-END``)."""

from __future__ import annotations

import re

# A sentence ends at a full stop, a question or exclamation mark followed by a space, at a line
# break or a semicolon: notes are written in lists and headed lines as much as in prose.
_END = re.compile(r"[.!?](?=\s)|[\n;]")
MAX_SENTENCE = 300  # characters either side of the mention at most (a note without punctuation)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets of the sentence holding ``text[start:end]``, without surrounding spaces."""
    left = max(0, start - MAX_SENTENCE)
    before = [m.end() for m in _END.finditer(text, left, start)]
    begin = before[-1] if before else left
    after = _END.search(text, end, min(len(text), end + MAX_SENTENCE))
    stop = after.end() if after and text[after.start()] in ".!?" else (after.start() if after else min(len(text), end + MAX_SENTENCE))
    while begin < start and text[begin].isspace():
        begin += 1
    while stop > end and text[stop - 1].isspace():
        stop -= 1
    return begin, stop


def note_citation(note: dict, mention: dict) -> dict:
    """The sentence of ``note`` in which ``mention`` was found."""
    text = note["text"] or ""
    start, end = sentence_bounds(text, mention["start"], mention["end"])
    return {"note_id": note["note_id"], "start": start, "end": end, "text": text[start:end], "date": note["date"],
            "title": note["title"], "mention": [mention["start"], mention["end"]]}


def row_citation(table: str, row_id: int, date, text: str) -> dict:
    """A row of an OMOP table, with what it says in words."""
    return {"table": table, "row": row_id, "date": date, "text": text}


def unique(citations: list[dict]) -> list[dict]:
    """Each sentence or row once (a sentence can hold the same concept twice), in date order."""
    seen, out = set(), []
    for c in citations:
        key = (c.get("note_id"), c.get("start"), c.get("table"), c.get("row"))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return sorted(out, key=lambda c: (str(c.get("date") or ""), c.get("note_id") or 0, c.get("start") or 0))
