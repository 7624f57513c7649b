"""Query expansion from the medical lexicon the NLP uses (``clinsearch.nlp.lexicon``).

A word or a run of words of the query that names a lexicon concept -- by a term, a synonym or
an abbreviation, in French or English, whatever its accents, case or inflection -- is replaced by
the concept: it then matches every term and abbreviation of the concept in the notes, the
concept's id that the NLP put on its mentions, and its CIM-10 / ATC codes (in notes and in the
patient's coded data). ``code:X`` works the other way: it matches the code X and its descendants
and the terms of the lexicon concepts coded under X. ``=word`` is never expanded.

>>> expand(parse("embolies pulmonaires")).concept_ids
('ep',)
>>> sorted(matches(Concept("HTA", "affirmed", 1, ("hta",))).codes)
['I10', 'LEX:HTA']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Union

from clinsearch.nlp.lexicon import LEXICON, LexiconEntry
from clinsearch.search.analysis import LANGUAGES, lexicon_code, normalise_code, terms
from clinsearch.search.concepts import group_matches, groups, index_codes, lexicon_under, read_forms
from clinsearch.search.query import And, Filter, Node, Not, Or, Term, parse  # noqa: F401 (parse: doctest)
from clinsearch.terminology import omop

LONGEST = 8  # words in the longest lexicon term looked for in a query


@dataclass(frozen=True)
class Concept:
    """Words of the query that name lexicon concepts (several when a term is shared)."""

    text: str
    context: str
    position: int
    concept_ids: tuple[str, ...]  # lexicon ids
    groups: tuple[str, ...] = ()  # terminology concepts (VOCABULARY:code), concepts.groups
    extra_codes: tuple[str, ...] = ()  # code-field terms from the warehouse's OMOP vocabularies


@dataclass(frozen=True)
class Matches:
    """What a query leaf matches: token sequences per language, and code-field terms.

    ``read`` holds the written forms of lexicon concepts (per language): where the NLP read the
    text its entities stand for them (their codes are in ``codes``), so these are looked for as
    text only where no NLP read it (``sources.PLAIN``). Matching them in read text would bring
    back what the NLP rejected: "EP" of an *épanchement pleural*, "IC 95 %", "hypertension
    artérielle" inside *hypertension artérielle pulmonaire*, *diabète insipide*."""

    phrases: dict[str, tuple[tuple[str, ...], ...]]
    codes: tuple[str, ...]
    read: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


Leaf = Union[Term, Concept, Filter]


@lru_cache(maxsize=1)
def _phrase_table() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Analysed term (in either language) -> lexicon ids it names."""
    table: dict[tuple[str, ...], set[str]] = {}
    for entry in LEXICON.values():
        for lang in LANGUAGES:
            for text in (*entry.terms[lang], *entry.abbreviations[lang]):
                for analysed_in in LANGUAGES:
                    key = tuple(terms(text, analysed_in))
                    if key:
                        table.setdefault(key, set()).add(entry.id)
    return {key: tuple(sorted(ids)) for key, ids in table.items()}


def lookup(text: str) -> tuple[str, ...]:
    """The lexicon concepts ``text`` names, by any of their terms or abbreviations."""
    table = _phrase_table()
    for lang in LANGUAGES:
        found = table.get(tuple(terms(text, lang)))
        if found:
            return found
    return ()


@lru_cache(maxsize=16384)
def named(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(lexicon ids, terminology groups) that the query words ``text`` name."""
    ids = lookup(text)
    return ids, groups(text, ids)


def expand(node: Node, data: Path | None = None) -> Node:
    """``node`` with the runs of words that name lexicon or terminology concepts replaced by
    ``Concept``; with ``data`` (a data directory whose warehouse holds OMOP vocabularies),
    ``code:`` filters and concepts also carry the codes of those vocabularies."""
    tree = _expand(node)
    return _with_vocabularies(tree, data) if omop.loaded(data) else tree


def _expand(node: Node) -> Node:
    if isinstance(node, Term):
        return _single(node)
    if isinstance(node, Not):
        return Not(_expand(node.item))
    if isinstance(node, Or):
        return Or(tuple(_expand(item) for item in node.items))
    if isinstance(node, And):
        return _and(node)
    return node


def _single(term: Term) -> Term | Concept:
    if term.exact:
        return term
    ids, found = named(term.text)
    return Concept(term.text, term.context, term.position, ids, found) if ids or found else term


def _and(node: And) -> Node:
    items: list = []
    run: list[Term] = []
    for item in node.items:
        if isinstance(item, Term) and not item.exact and not item.phrase and (not run or run[-1].context == item.context):
            run.append(item)
            continue
        items.extend(_concepts_in(run))
        run = [item] if isinstance(item, Term) and not item.exact and not item.phrase else []
        if not run:
            items.append(_expand(item))
    items.extend(_concepts_in(run))
    return items[0] if len(items) == 1 else And(tuple(items))


def _concepts_in(run: list[Term]) -> list:
    """Greedy longest match of lexicon terms over consecutive words."""
    out, i = [], 0
    while i < len(run):
        for j in range(min(len(run), i + LONGEST), i, -1):
            text = " ".join(t.text for t in run[i:j])
            ids, found = named(text)
            if ids or found:
                out.append(Concept(text, run[i].context, run[i].position, ids, found))
                i = j
                break
        else:
            out.append(run[i])
            i += 1
    return out


def _with_vocabularies(node: Node, data: Path) -> Node:
    """The tree with the OMOP vocabularies' codes on its ``code:`` filters and concepts."""
    if isinstance(node, Not):
        return Not(_with_vocabularies(node.item, data))
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_with_vocabularies(item, data) for item in node.items))
    if isinstance(node, Filter) and node.field == "code":
        vocabulary, code = split_code(node.value)
        related = omop.related(data, [(vocabulary, code)])
        return Filter(node.field, node.value, node.position, tuple(sorted(_index_terms(related)))) if related else node
    if isinstance(node, Concept) and node.groups:
        phrases, codes, _ = group_matches(node.text, node.concept_ids, node.groups)
        mapped = omop.related(data, [("CIM10" if c[0].isalpha() and c[1:3].isdigit() else "ATC", c) for c in codes if not c.startswith("LEX:")])
        extra = tuple(sorted(_index_terms(mapped) - set(codes)))
        return Concept(node.text, node.context, node.position, node.concept_ids, node.groups, extra) if extra else node
    return node


def _index_terms(keys) -> set[str]:
    """The code-field terms of OMOP (vocabulary_id, code) pairs: ICD-10 and ATC codes stand for
    their branch (prefixes are indexed), other vocabularies' codes for themselves."""
    return {normalise_code(code) for _, code in keys if normalise_code(code)}


def split_code(value: str) -> tuple[str | None, str]:
    """``SNOMED:44054006`` -> ("SNOMED", "44054006"); a bare code has no vocabulary."""
    value = value.rstrip("*")
    head, sep, rest = value.partition(":")
    if sep and head.isalpha() and head.upper() != "LEX":
        return head, rest
    return None, value


@lru_cache(maxsize=4096)
def matches(leaf: Leaf) -> Matches:
    if isinstance(leaf, Term):
        return Matches({lang: (tuple(terms(leaf.text, lang)),) for lang in LANGUAGES}, ())
    return _read_apart(_leaf_matches(leaf))


def _leaf_matches(leaf: Concept | Filter) -> Matches:
    if isinstance(leaf, Concept) and leaf.groups:
        phrases, codes, _ = group_matches(leaf.text, leaf.concept_ids, leaf.groups)
        return Matches(phrases, tuple(sorted({*codes, *leaf.extra_codes})))
    if isinstance(leaf, Concept):
        return _concept_matches(leaf.text, [LEXICON[i] for i in leaf.concept_ids], ())
    assert leaf.field == "code"
    code = normalise_code(split_code(leaf.value)[1])
    wanted = index_codes([("CIM10", code)]) | {code} | set(leaf.expanded)
    coded_under = [e for e in LEXICON.values() if any(normalise_code(c).startswith(code) for c in (*e.cim10, *e.atc))]
    coded_under += [e for e in lexicon_under({w for w in leaf.expanded if len(w) >= 3}) if e not in coded_under]
    return _concept_matches(None, coded_under, tuple(sorted(wanted)))


def _read_apart(found: Matches) -> Matches:
    """``found`` with the lexicon's written forms moved from ``phrases`` to ``read``."""
    phrases, read = {}, {}
    for lang, wanted in found.phrases.items():
        forms = read_forms(lang)
        phrases[lang] = tuple(p for p in wanted if p not in forms)
        read[lang] = tuple(p for p in wanted if p in forms)
    return Matches(phrases, found.codes, read)


def _concept_matches(text: str | None, entries: list[LexiconEntry], codes: tuple[str, ...]) -> Matches:
    phrases: dict[str, set[tuple[str, ...]]] = {lang: set() for lang in LANGUAGES}
    all_codes = set(codes)
    for entry in entries:
        for lang in LANGUAGES:
            for written in (*entry.terms[lang], *entry.abbreviations[lang]):
                phrases[lang].add(tuple(terms(written, lang)))
        all_codes.add(lexicon_code(entry.id))
        all_codes.update(normalise_code(c) for c in (*entry.cim10, *entry.atc))
    if text:
        for lang in LANGUAGES:
            phrases[lang].add(tuple(terms(text, lang)))
    return Matches({lang: tuple(sorted(p for p in found if p)) for lang, found in phrases.items()}, tuple(sorted(all_codes)))


def describe(leaf: Leaf) -> dict:
    """What a leaf was expanded to, for the user to see (``expansions`` in search results)."""
    if isinstance(leaf, Concept) and leaf.groups:
        _, codes, names = group_matches(leaf.text, leaf.concept_ids, leaf.groups)
        return {"query": leaf.text, "concepts": [*leaf.concept_ids, *leaf.groups], "terms": sorted(set(names) - {leaf.text}, key=str.lower),
                "codes": sorted(c for c in {*codes, *leaf.extra_codes} if not c.startswith("LEX:"))}
    if isinstance(leaf, Concept):
        entries = [LEXICON[i] for i in leaf.concept_ids]
        return {
            "query": leaf.text,
            "concepts": list(leaf.concept_ids),
            "terms": sorted({t for e in entries for lang in LANGUAGES for t in (*e.terms[lang], *e.abbreviations[lang])}),
            "codes": sorted({c for e in entries for c in (*e.cim10, *e.atc)}),
        }
    assert isinstance(leaf, Filter)
    found = matches(leaf)
    return {"query": f"code:{leaf.value}", "concepts": [c[4:].lower() for c in found.codes if c.startswith("LEX:")], "terms": [], "codes": [c for c in found.codes if not c.startswith("LEX:")]}
