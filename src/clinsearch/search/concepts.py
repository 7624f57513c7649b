"""What a query word stands for in the terminology (``clinsearch.terminology``), beyond the
NLP lexicon: its group, the concepts below it, their codes and names.

``groups(text, lexicon_ids)`` says which terminology concepts a run of query words names:

* a lexicon concept that a clinsearch group refines (``diabète`` -> CIM-10 E10-E14,
  ``anticoagulant`` -> the ATC anticoagulant classes, not the antiplatelet agents of B01AC)
  answers by that group; any other lexicon concept answers as it always did (no group);
* otherwise the concepts of the most trusted vocabulary that names it: clinsearch's groups,
  then CIM-10, ATC, BDPM brand names, Orphanet, LOINC, HPO -- except for a short form (under
  four characters: ``PR``, ``MS``), which only a clinsearch group may answer.

``group_matches`` gives what the group matches: the CIM-10 / ATC / LOINC codes of the concept
and of everything below it (codes are indexed with their prefixes, so the shortest code of a
branch stands for the branch), the lexicon concepts coded there (their terms, abbreviations and
ids: DT1, DT2, DNID under diabète), and the names of the concepts below (brand names under an
ATC class), without a name that holds a shorter one already there (``diabète sucré de type 1``
adds nothing to ``diabète``), at most ``MAX_PHRASES``.

>>> groups("cancer du sein", ("cancer_sein",))
('CLINSEARCH:cancer_sein',)
>>> groups("eliquis", ())
('ATC:B01AF02',)
"""

from __future__ import annotations

from functools import lru_cache

from clinsearch import terminology
from clinsearch.nlp.lexicon import LEXICON
from clinsearch.search.analysis import LANGUAGES, lexicon_code, normalise_code, terms
from clinsearch.terminology.defaults import refined_lexicon

TRUST = ("CLINSEARCH", "CIM10", "ATC", "BDPM", "ORPHA", "LOINC", "HPO")
MAX_PHRASES = 150  # names of a group looked for in the text (its codes cover the rest)
CODED = ("CIM10", "ATC", "LOINC")  # vocabularies whose codes the index holds
SHORT = 4  # characters: a name shorter is an acronym, ambiguous across vocabularies ("PR", "MS")


def _key(text: str) -> tuple[str, str]:
    vocabulary, _, code = text.partition(":")
    return vocabulary, code


@lru_cache(maxsize=8192)
def groups(text: str, lexicon_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The terminology concepts (``VOCABULARY:code``) the query words ``text`` name."""
    if lexicon_ids:
        refined = refined_lexicon()
        return tuple(sorted({f"CLINSEARCH:{refined[i]}" for i in lexicon_ids if i in refined}))
    found = terminology.lookup(text)
    if _letters(text) < SHORT:  # a short form: only one of clinsearch's groups is trusted with it
        found = [c for c in found if c.vocabulary == "CLINSEARCH"]
    for vocabulary in TRUST:
        keys = sorted({f"{c.vocabulary}:{c.code}" for c in found if c.vocabulary == vocabulary})
        if keys:
            return tuple(keys)
    return ()


def _letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


def refines(lexicon_id: str) -> bool:
    """Whether a clinsearch group takes over the search of this lexicon concept."""
    return lexicon_id in refined_lexicon()


def index_codes(keys) -> set[str]:
    """The code-field terms of terminology concepts: for CIM-10 and ATC the shortest code of
    each branch (the index holds every code's prefixes), other codes as they are; CIM-10 blocks
    and chapters (``E10-E14``, ``IV``) are not codes of data and go through their categories."""
    keys = list(keys)
    branches = {normalise_code(code) for vocabulary, code in keys
                if vocabulary in ("CIM10", "ATC") and "-" not in code and not (vocabulary == "CIM10" and code.isalpha())}
    codes = {c for c in branches if not any(c != shorter and c.startswith(shorter) and len(shorter) >= 3 for shorter in branches)}
    return codes | {normalise_code(code) for vocabulary, code in keys if vocabulary in CODED and vocabulary not in ("CIM10", "ATC")}


def lexicon_under(codes: set[str]) -> list:
    """Lexicon concepts whose CIM-10 / ATC code lies under one of ``codes``."""
    return [e for e in LEXICON.values() if not refines(e.id) and any(normalise_code(c).startswith(code) for c in (*e.cim10, *e.atc) for code in codes)]


@lru_cache(maxsize=None)
def read_forms(lang: str) -> frozenset[tuple[str, ...]]:
    """The lexicon's terms and abbreviations in ``lang``, analysed: the forms the NLP's lexicon
    matchers read in the notes of that language (``nlp.pipeline``), whose entities carry the
    concept's code."""
    return frozenset(p for e in LEXICON.values() for w in (*e.terms[lang], *e.abbreviations[lang]) if (p := tuple(terms(w, lang))))


def _prune(phrases: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Without the phrases that hold a shorter one of the list (they would match nothing more)."""
    kept: list[tuple[str, ...]] = []
    for phrase in sorted(set(p for p in phrases if p), key=lambda p: (len(p), p)):
        if not any(_holds(phrase, shorter) for shorter in kept):
            kept.append(phrase)
    return kept


def _holds(phrase: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(phrase[i:i + n] == part for i in range(len(phrase) - n + 1))


def _names(concept, lang: str) -> list[str]:
    """A concept's names and abbreviations looked for in the text of ``lang``: its own ones of
    that language (an abbreviation is never looked for in the other language: French DID is
    English "did"); drug and brand names, written alike in both, in both."""
    if concept.vocabulary in ("ATC", "BDPM"):
        return list(concept.terms())
    if concept.vocabulary == "CLINSEARCH":
        return list(concept.terms(lang))
    return [t for t in concept.terms(lang) if _letters(t) >= SHORT]  # no acronym of another vocabulary


@lru_cache(maxsize=1024)
def group_matches(text: str | None, lexicon_ids: tuple[str, ...], keys: tuple[str, ...]) -> tuple[dict[str, tuple], tuple[str, ...], tuple[str, ...]]:
    """(phrases per language, code-field terms, the names looked for) of a query leaf that names
    terminology groups ``keys``. A lexicon concept a group refines is searched as the group
    says (its own abbreviations, such as the ambiguous AC for anticoagulant, are left out);
    the lexicon concepts coded under the group's codes come with their terms and ids."""
    table = terminology.terminology()
    tops = [table.concepts[_key(k)] for k in keys if _key(k) in table.concepts]
    below: set[tuple[str, str]] = set()
    for concept in tops:
        below |= table.expansion(concept.vocabulary, concept.code)
    codes = index_codes(below)
    entries = [LEXICON[i] for i in lexicon_ids if not refines(i)] + lexicon_under(codes)
    phrases, looked_for = {}, []
    for lang in LANGUAGES:
        own = [t for c in tops for t in _names(c, lang)] + [t for e in entries for t in (*e.terms[lang], *e.abbreviations[lang])]
        others = sorted({t for k in below for t in _names(table.concepts[k], lang)} - set(own), key=lambda t: (len(t), t))
        names = list(dict.fromkeys([*([text] if text else []), *own, *others]))
        looked_for += names
        phrases[lang] = tuple(_prune([tuple(terms(n, lang)) for n in names])[:MAX_PHRASES])
    codes = index_codes({*((v, c) for v, c in below), *(("ATC", c) for e in entries for c in e.atc), *(("CIM10", c) for e in entries for c in e.cim10)})
    all_codes = codes | {lexicon_code(e.id) for e in entries}
    return phrases, tuple(sorted(all_codes)), tuple(dict.fromkeys(looked_for))
