"""What the words of one clause of eligibility criteria name: the recognisers of ``criteria``.

A clause (a line, a bullet, a sentence) is cut into tokens; then, in this order, each
recogniser claims runs of tokens no earlier one claimed:

1. **bounds** -- a comparison and a number with its unit (``> 8 %``, ``≥ 1,9 g/L``, ``entre 7 et
   10 %``, ``40-75``, ``18 ans ou plus``) -- and what they bound, found on their left: an age
   (``ans``, ``years``, ``âgés de``), a measurement (its name: the measurement table of
   ``criteria_words.json`` or a LOINC name of the terminology), a duration (a window, which
   needs an index event: not understood), or nothing (not understood);
2. **word lists** of ``criteria_words.json``: age groups (``adultes``), sexes, kinds of visit;
3. **concepts**, the longest run first: the NLP lexicon's terms and abbreviations (``DT2``,
   ``IRC``, ``HTA``, ``statines``; refined by clinsearch's groups, ``diabète`` = E10-E14), the
   measurement names, then the terminology (clinsearch's groups, CIM-10 labels, ATC substances,
   BDPM brands, Orphanet, LOINC, HPO). A misspelt word is read as its one nearest medical word
   (``search.spelling``) only when that makes a concept.

>>> [(f.kind, f.criterion) for f in recognise("HbA1c > 8 %")]
[('measurement', {'type': 'measurement', 'code': '4548-4', 'above': 8, 'unit': '%'})]
"""

from __future__ import annotations

import re
from functools import lru_cache

from clinsearch import terminology
from clinsearch.cohort.criteria_bounds import LONGEST, find_bounds, measurement_named
from clinsearch.cohort.criteria_text import SHORT, Found, Token, fold, phrases, role, roles, text_of, tokens, words
from clinsearch.nlp.lexicon import LEXICON
from clinsearch.search import spelling
from clinsearch.terminology.defaults import refined_lexicon
from clinsearch.terminology.model import name_key

TRUST = ("CLINSEARCH", "CIM10", "ATC", "BDPM", "ORPHA", "LOINC", "HPO")  # as the search trusts them (search/concepts.py)
CODED = {"CIM10": "condition", "ATC": "drug"}


@lru_cache(maxsize=1)
def _word_lists() -> list[tuple[tuple[str, ...], str, dict | None]]:
    w = words()
    out = [(p, "age_group", {"type": "demographics", "age": group["age"]}) for group in w["age_groups"] for p in phrases(group["words"])]
    out += [(p, "sex", {"type": "demographics", "sex": sex}) for sex, items in w["sexes"].items() for p in phrases(items)]
    out += [(p, "visit", {"type": "visit", "kind": kind}) for kind, items in w["visits"].items() for p in phrases(items)]
    return sorted(out, key=lambda x: len(x[0]), reverse=True)


def find_words(toks: list[Token], taken: set[int]) -> list[Found]:
    out, i = [], 0
    while i < len(toks):
        hit = next(((p, kind, c) for p, kind, c in _word_lists() if not any(j in taken for j in range(i, i + len(p)))
                    and tuple(t.key for t in toks[i:i + len(p)]) == p), None)
        if hit:
            out.append(Found(i, i + len(hit[0]) - 1, hit[1], dict(hit[2])))
            i += len(hit[0])
        else:
            i += 1
    return out


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, str], dict[str, str]]:
    terms, short = {}, {}
    for entry in LEXICON.values():
        for lang in ("fr", "en"):
            for term in entry.terms[lang]:
                terms.setdefault(name_key(term), entry.id)
            for abbreviation in entry.abbreviations[lang]:
                short.setdefault(abbreviation, entry.id)
    return terms, short


def concept_named(text: str, lang: str) -> dict | None:
    """What ``text`` names: {"kind", "criterion", "why"} or None."""
    short = sum(c.isalnum() for c in text) < SHORT
    terms, abbreviations = _lexicon()
    groups = [c for c in terminology.lookup(text) if c.vocabulary == "CLINSEARCH" and text.strip() in c.terms()]
    own = [c for c in groups if any(text.strip() in c.abbreviations.get(la, ()) for la in ("fr", "en"))]
    if own:  # a group's own abbreviation (AVK, AOD, HBPM) is more precise than the lexicon's sense of it
        return _from_concepts(own, lang, {})
    lexicon_id = abbreviations.get(text.strip()) or (None if short else terms.get(name_key(text)))
    if lexicon_id:
        entry = LEXICON[lexicon_id]
        group = refined_lexicon().get(lexicon_id)
        if group:
            return _from_concepts([terminology.concept("CLINSEARCH", group)], lang, {"lexicon": lexicon_id})
        kind = "drug" if entry.kind == "drug" else "condition"
        codes = [c for code in (entry.atc if kind == "drug" else entry.cim10) for c in _codes("ATC" if kind == "drug" else "CIM10", code.replace(".", ""))]
        if codes:
            return {"kind": kind, "criterion": {"type": kind, "codes": codes, "name": entry.terms.get(lang, entry.terms["fr"])[0] or text},
                    "why": {"lexicon": lexicon_id}}
    found = measurement_named(text)
    if found:
        return {"kind": "measurement", "criterion": {"type": "measurement", "code": found["loinc"]}, "why": {"name": found["name"], "loinc": found["loinc"], "bare": True}}
    concepts = terminology.lookup(text)
    if short:
        concepts = [c for c in concepts if c.vocabulary == "CLINSEARCH" and text.strip().isupper()]
    for vocabulary in TRUST:
        chosen = [c for c in concepts if c.vocabulary == vocabulary]
        if chosen:
            return _from_concepts(chosen, lang, {}, text)
    return None


def _from_concepts(concepts: list, lang: str, why: dict, text: str = "") -> dict | None:
    codes: dict[str, list[str]] = {"condition": [], "drug": []}
    for concept in concepts:
        for vocabulary, code in ([concept.key] if concept.vocabulary in CODED else concept.maps_to):
            if vocabulary in CODED:
                codes[CODED[vocabulary]].extend(_codes(vocabulary, code))
    label = _label(concepts[0], lang)
    why = {**why, "vocabulary": concepts[0].vocabulary, "label": label, "code": concepts[0].code}
    for kind in ("condition", "drug"):
        if codes[kind] and not codes["drug" if kind == "condition" else "condition"]:
            return {"kind": kind, "criterion": {"type": kind, "codes": list(dict.fromkeys(codes[kind])), "name": label}, "why": why}
    if concepts[0].vocabulary == "LOINC":
        return {"kind": "measurement", "criterion": {"type": "measurement", "code": concepts[0].code}, "why": {**why, "loinc": concepts[0].code, "bare": True}}
    if text:  # named (Orphanet, HPO) but with no code of the warehouse's vocabularies: the notes' text
        return {"kind": "text", "criterion": {"type": "text", "query": query_of(text)}, "why": {**why, "query": query_of(text)}}
    return None


def _codes(vocabulary: str, code: str) -> list[str]:
    if vocabulary == "CIM10" and not re.fullmatch(r"[A-Z]\d\d\w*", code):  # a block (E10-E14) or a chapter: its categories
        return sorted(f"{c}*" for v, c in terminology.descendants("CIM10", code) if v == "CIM10" and re.fullmatch(r"[A-Z]\d\d", c))
    if vocabulary == "ATC" and len(code) >= 7:
        return [code]
    return [code.replace(".", "") + "*"]


def _label(concept, lang: str) -> str:
    names = concept.names.get(lang) or concept.names.get("fr") or concept.names.get("en") or (concept.code,)
    return names[0].lower() if names[0].isupper() and len(names[0]) > SHORT else names[0]


def query_of(text: str) -> str:
    """A phrase query of the search language for the words ``text``."""
    cleaned = " ".join(re.sub(r"[^\w\s'’-]", " ", text).split())
    return f'"{cleaned}"' if " " in cleaned else cleaned


def find_concepts(toks: list[Token], taken: set[int], lang: str, skip: set[int], bare: set[int] = frozenset()) -> list[Found]:
    """The longest names first, left to right; ``skip``: tokens that never start or end a name
    (grammar words); ``bare``: tokens that are no name on their own (qualifiers: "sévère")."""
    out, i = [], 0
    while i < len(toks):
        hit = None
        if i not in taken and i not in skip:
            for length in range(min(LONGEST, len(toks) - i), 0, -1):
                last = i + length - 1
                if (any(j in taken for j in range(i, last + 1)) or last in skip or any(toks[j].key in ",;()" for j in range(i, last + 1))
                        or all(j in bare for j in range(i, last + 1))):
                    continue
                hit = _named(toks, i, last, lang)
                if hit:
                    break
        if hit:
            out.append(hit)
            i = hit.last + 1
        else:
            i += 1
    return out


def _named(toks: list[Token], first: int, last: int, lang: str) -> Found | None:
    text = text_of(toks, first, last, read=True)
    found = concept_named(text, lang)
    corrected = {}
    if found is None:  # a misspelt word: read as its one nearest medical word, if that names a concept
        fixed = list(toks[first:last + 1])
        for j, token in enumerate(fixed):
            if len(token.key) >= spelling.SHORTEST and token.key.isalpha() and not spelling.known(token.text):
                options = spelling.candidates(token.text)
                if len(options) == 1:
                    corrected[token.text] = options[0]
                    fixed[j] = Token(token.start, token.end, options[0], fold(options[0]))
        if corrected:
            found = concept_named(text_of(fixed, 0, len(fixed) - 1, read=True), lang)
            if found is not None and found["kind"] == "text":  # a correction must give a code: "sécurité" is no "sévérité"
                found = None
    if found is None:
        return None
    return Found(first, last, found["kind"], found["criterion"], {**found["why"], **({"corrected": corrected} if corrected else {})})


def objects(items: list, toks) -> list:
    """"allergie à l'aspirine", "contre-indication aux AVK": the drug (or condition) is what the
    allergy is to, not a criterion of its own -- the whole phrase is searched as text."""
    heads = {fold(w) for w in words()["object_heads"]}
    at = lambda x: x.first if isinstance(x, Found) else x[0]  # noqa: E731
    for n, item in enumerate(items):
        head = any(t.key in heads for t in toks[at(item):(item.last if isinstance(item, Found) else item[0]) + 1])
        target = next((m for m in range(n + 1, len(items)) if isinstance(items[m], Found) and items[m].kind in ("drug", "condition", "text")), None)
        if head and target is not None:
            phrase = query_of(text_of(toks, at(item), items[target].last))
            found = Found(at(item), items[target].last, "text", {"type": "text", "query": phrase}, {"query": phrase, "object": True})
            return [*items[:n], found, *objects(items[target + 1:], toks)]
    return items


def medical(token: Token) -> bool:
    """A word of the medical vocabularies (the terminology's and the lexicon's), or a short code-like word (VIH, C)."""
    return spelling.known(token.text) or (token.text.isupper() and len(token.text) <= SHORT) or token.key.isdigit()


def recognise(text: str, lang: str = "fr") -> list[Found]:
    """Every recogniser over ``text`` (one clause)."""
    toks = tokens(text)
    found = {i: role(r)[0] for i, r in roles(toks).items()}
    return claim(text, toks, lang, {i for i, r in found.items() if r not in ("content", "qualifier")}, {i for i, r in found.items() if r == "qualifier"})


def claim(text: str, toks: list[Token], lang: str, skip: set[int], bare: set[int]) -> list[Found]:
    """Bounds that bound something, the word lists, the concepts, then the bounds left
    unattached, each on the tokens no earlier one claimed."""
    taken: set[int] = set()
    out: list[Found] = []

    def keep(found: Found) -> None:
        if not any(i in taken for i in range(found.first, found.last + 1)):
            out.append(found)
            taken.update(range(found.first, found.last + 1))
    bounds = find_bounds(text, toks, taken)
    for found in bounds:
        if found.kind != "unattached":
            keep(found)
    for found in find_words(toks, taken):
        keep(found)
    for found in find_concepts(toks, taken, lang, skip, bare):
        keep(found)
    for found in bounds:
        if found.kind == "unattached":
            keep(found)
    return sorted(out, key=lambda f: f.first)
