"""The words of eligibility criteria as ``criteria`` reads them: the grammar words of
``criteria_words.json``, text folded (case and accents, offsets kept), tokens, and what a
recogniser found (``Found``)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

SHORT = 4  # letters and digits: a shorter name is an abbreviation, matched as written (case kept)
_TOKEN = re.compile(r"(?i:\b(?:jusqu|lorsqu|qu|[ldjmnsc])['’])|\bnon-(?=[^\W\d_])|\d+(?:[.,]\d+)?|[^\W_]+(?:[-'’][^\W_]+)*(?:\((?:e|s|es|ne|nes)\)s?)?|[≥≤⩾⩽<>=]+|[^\s\w]")


@lru_cache(maxsize=1)
def words() -> dict:
    return json.loads(resources.files("clinsearch.cohort").joinpath("criteria_words.json").read_text("utf-8"))


def fold(text: str) -> str:
    """Lower case without accents, one character for one (offsets are kept)."""
    out = []
    for ch in text:
        low = ch.lower() if len(ch.lower()) == 1 else ch
        base = unicodedata.normalize("NFD", low)[0]
        out.append({"μ": "µ", "’": "'", "–": "-", "—": "-"}.get(base, base))
    return "".join(out)


@dataclass
class Token:
    start: int  # offsets in the whole text
    end: int
    text: str
    key: str  # folded
    reading: str = ""  # the word read instead (a roman numeral, a misspelling), if any


@dataclass
class Found:
    """A run of tokens ``first``..``last`` (included) and what it names."""

    first: int
    last: int
    kind: str  # age, age_group, sex, visit, measurement, condition, drug, text; or a problem: duration, unattached, bad_unit
    criterion: dict | None = None
    why: dict = field(default_factory=dict)  # what the explanation says (criteria.explain)


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    out = []
    for match in _TOKEN.finditer(text, start, len(text) if end is None else end):
        key = re.sub(r"\((?:e|s|es|ne|nes)\)s?$", "", fold(match.group()))  # "âgé(e)s" is "âgé"
        out.append(Token(match.start(), match.end(), match.group(), key[:-1] if len(key) > 1 and key.endswith("-") else key))  # "non-" is "non"
    after = set(words()["numerals"]["after"])
    for previous, token in zip(out, out[1:]):  # "type II" is "type 2"
        if previous.key in after and token.text.lower() in words()["numerals"]["values"] and (token.text.isupper() or len(token.text) > 1):
            token.reading = words()["numerals"]["values"][token.text.lower()]
    return out


# -- phrases of the word lists ---------------------------------------------------------------
def phrases(items) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({tuple(t.key for t in tokens(item)) for item in items}, key=len, reverse=True))


@lru_cache(maxsize=1)
def lists() -> dict[str, tuple]:
    w = words()
    return {"negation": phrases(w["negations"]), "and": phrases(w["joiners"]["and"]), "or": phrases(w["joiners"]["or"]),
            "filler": phrases(w["fillers"]["fr"] + w["fillers"]["en"]), "qualifier": phrases(w["qualifiers"]),
            "connector": phrases(w["connectors"]), "excluded": phrases(w["exclusion_words"]),
            "exclusion_cue": phrases(w["exclusion_cues"]), "exception": phrases(w["exceptions"]), "duration_cue": phrases(w["duration_cues"]), "age_word": phrases(w["age_words"])}


BOUNDARIES = {",": ",", ";": ",", ".": ",", "(": "(", "[": "(", ")": ",", "]": ","}


def roles(toks: list[Token]) -> dict[int, str]:
    """The grammar role of each token (``content`` when it has none): ``,`` or ``(`` (a
    boundary), ``excluded`` (a postposed "exclus", "excluded"), ``or``, ``and``, ``negation``, ``exclusion_cue``
    (a prefixed "exclude", "exclure"), ``exception`` ("sauf", "except"), ``filler``, ``qualifier``, ``punctuation``. The
    first token of a phrase of several words is also given its length: ``role@n``."""
    out: dict[int, str] = {}
    i = 0
    while i < len(toks):
        if toks[i].key in BOUNDARIES:
            out[i] = BOUNDARIES[toks[i].key]
            i += 1
            continue
        found = [(phrase_at(toks, i, lists()[name]), -n, name) for n, name in enumerate(("excluded", "or", "and", "negation", "exclusion_cue", "exception", "filler", "qualifier"))]
        length, _, name = max(found)  # the longest phrase ("au long cours" over "au"), in this order when even
        if length:
            for j in range(i, i + length):
                out[j] = name
            out[i] = f"{name}@{length}" if length > 1 else name
            i += length
        else:
            out[i] = "punctuation" if not any(c.isalnum() for c in toks[i].text) else "content"
            i += 1
    return out


def role(value: str) -> tuple[str, int]:
    name, _, length = value.partition("@")
    return name, int(length or 1)


def phrase_at(toks: list[Token], at: int, phrases) -> int:
    """How many tokens from ``at`` one of ``phrases`` covers (0: none)."""
    for phrase in phrases:
        if tuple(t.key for t in toks[at:at + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def text_of(toks: list[Token], first: int, last: int, read: bool = False) -> str:
    out = ""
    for previous, token in zip([None, *toks[first:last]], toks[first:last + 1]):
        gap = " " if previous is not None and previous.end < token.start else ""
        out += gap + ((token.reading or token.text) if read else token.text)
    return out
