# Contains code adapted from EDS-NLP 0.23 (https://github.com/aphp/edsnlp): ``aggregate_tokens``
# rewrites ``edsnlp.utils.doc_to_text.aggregate_tokens``, whose output it must give.
# Copyright 2021 Assistance Publique - Hôpitaux de Paris (AP-HP); BSD 3-Clause licence, whose
# text is in LICENSE-EDSNLP next to this file.
"""A note's text as EDS-NLP's matchers read it, put together in fewer steps, with the same result.

Every regular-expression matcher of EDS-NLP reads a note through
``edsnlp.utils.doc_to_text.aggregate_tokens``: the tokens' ORTH, NORM or lower-cased text,
excluded (pollution) or space tokens left out, joined into one string, with each token's
offsets in it -- remembered per note and form (``lru_cache(32)``). The French pipeline asks for
six forms of each note, 0.15-0.25 ms each, most of it decoding every token's string from the
vocabulary again and a Python loop over the tokens. ``aggregate_tokens`` here remembers the
strings of the hashes it has seen (words repeat across notes) and builds the parts, offsets and
kept-token flags with list operations; its output is EDS-NLP 0.23's, element for element
(``tests/nlp/test_texts.py`` compares every form, on notes with pollution and space tokens).

``install()`` puts it, under the same ``lru_cache(32)``, where EDS-NLP's ``get_text`` and
``get_char_offsets`` look it up (a module-global replacement), so that all matchers share one
cache as before; ``uninstall()`` puts EDS-NLP's function back.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import accumulate

import spacy.attrs
from edsnlp.utils import doc_to_text
from spacy.attrs import IDX, LENGTH, ORTH, SPACY, TAG
from spacy.tokens import Doc

REMEMBERED = 200_000  # distinct strings remembered; beyond, the memory starts again
EDSNLP_OWN = doc_to_text.aggregate_tokens  # read when this module is first imported, before any install()
_strings: dict[int, str] = {}


def _texts(doc: Doc, hashes: list[int]) -> list[str]:
    """The strings of ``hashes`` in ``doc``'s vocabulary."""
    memory = _strings
    try:
        return [memory[h] for h in hashes]
    except KeyError:
        if len(memory) > REMEMBERED:
            memory.clear()
        strings = doc.vocab.strings
        for h in hashes:
            if h not in memory:
                memory[h] = strings[h]
        return [memory[h] for h in hashes]


def aggregate_tokens(doc: Doc, attr: str, ignore_excluded: bool = False, ignore_space_tokens: bool = False):
    """EDS-NLP 0.23's ``aggregate_tokens`` (text, begins, ends, kept-token flags), same output."""
    spacy_attr = "ORTH" if attr in {"TEXT", "LOWER"} else attr
    if not hasattr(spacy.attrs, spacy_attr):
        return EDSNLP_OWN.__wrapped__(doc, attr, ignore_excluded, ignore_space_tokens)
    if not ignore_excluded and not ignore_space_tokens and spacy_attr == "ORTH":
        arr = doc.to_array([SPACY, ORTH, IDX, LENGTH])
        texts = _texts(doc, arr[:, 1].tolist())
        parts = [t + " " if s else t for t, s in zip(texts, arr[:, 0].tolist())]
        begins = arr[:, 2].tolist()
        ends = (arr[:, 2] + arr[:, 3]).tolist()
        keep = [True] * len(parts)
    else:
        arr = doc.to_array([SPACY, TAG, getattr(spacy.attrs, spacy_attr)])
        texts = _texts(doc, arr[:, 2].tolist())
        strings = doc.vocab.strings
        exclude_hash, space_hash = strings["EXCLUDED"], strings["SPACE"]
        tags = arr[:, 1]
        if ignore_excluded and ignore_space_tokens:
            keep = ((tags != exclude_hash) & (tags != space_hash)).tolist()
        elif ignore_excluded:
            keep = (tags != exclude_hash).tolist()
        elif ignore_space_tokens:
            keep = (tags != space_hash).tolist()
        else:
            keep = [True] * len(texts)
        parts = [(t + " " if s else t) if k else "" for t, s, k in zip(texts, arr[:, 0].tolist(), keep)]
        # a space token left out gives the part before it a trailing space, if it has none
        # (a part left out is "", so the order of these amendments does not matter)
        tag_list = tags.tolist()
        for i in [i for i, k in enumerate(keep) if not k]:
            if i > 0 and tag_list[i] == space_hash and parts[i - 1][-1:] not in ("", " ", "\n"):
                parts[i - 1] += " "
        # each token starts where the parts before it end; a kept one ends after its text,
        # without its trailing space; one left out ends where it starts
        begins = [0, *accumulate(map(len, parts[:-1]))] if parts else []
        ends = [b + len(t) if k else b for b, t, k in zip(begins, texts, keep)]
    text = "".join(parts)
    if attr == "LOWER":
        text = text.lower()
    return text, begins, ends, bytes(keep)


def installed() -> bool:
    """Whether EDS-NLP's text functions use ``aggregate_tokens``."""
    return getattr(doc_to_text.aggregate_tokens, "__wrapped__", None) is aggregate_tokens


def install() -> None:
    """Make EDS-NLP's text functions use ``aggregate_tokens``."""
    if not installed():
        doc_to_text.aggregate_tokens = lru_cache(32)(aggregate_tokens)


def uninstall() -> None:
    """Put EDS-NLP's own ``aggregate_tokens`` back."""
    if installed():
        doc_to_text.aggregate_tokens = EDSNLP_OWN
