"""Concepts, their names and their relations, in memory: what the terminology answers from.

A concept is identified by its vocabulary and its code (``("CIM10", "E11")``, ``("ATC",
"B01AF02")``, ``("ORPHA", "58")``, ``("CLINSEARCH", "anticoagulant")``). It has labels and
synonyms per language, abbreviations, parents in its own vocabulary (the is-a hierarchy) and
"maps to" links to concepts of other vocabularies (a brand name to its ATC code, a
clinsearch group to the CIM-10 or ATC codes it stands for).

Names are looked up by their *key*: case, accents, punctuation and a plural ``s``/``x`` ignored,
so that "Embolies pulmonaires" and "embolie pulmonaire" are one name.

>>> t = Terminology([Concept("CIM10", "E11", {"fr": ("Diabète sucré de type 2",)}, parents=("E10-E14",)),
...                  Concept("CIM10", "E10-E14", {"fr": ("Diabète sucré",)})])
>>> [c.code for c in t.lookup("DIABÈTES SUCRÉS")], [c.code for c in t.lookup("diabète insipide")]
(['E10-E14'], [])
>>> sorted(t.descendants("CIM10", "E10-E14"))
[('CIM10', 'E10-E14'), ('CIM10', 'E11')]
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Iterable

LANGUAGES = ("fr", "en")
_WORD = re.compile(r"[^\W_]+")
_PLURAL = re.compile(r"(?<=[^\W_]{3})[sx](?![^\W_])")  # a final s or x after three letters or more
# Latin letters with accents -> without (what text.fold does, as one C-level translate)
_FOLD = str.maketrans({chr(c): "".join(ch for ch in unicodedata.normalize("NFKD", chr(c)) if not unicodedata.combining(ch))
                       for c in range(0xC0, 0x250) if unicodedata.normalize("NFKD", chr(c)) != chr(c)} | {"œ": "oe", "æ": "ae"})

Key = tuple[str, str]  # (vocabulary, code)


def folded_words(text: str) -> list[str]:
    """The words of ``text`` with case and accents folded (plurals kept)."""
    return _WORD.findall(text.casefold().translate(_FOLD))


def name_key(text: str) -> str:
    """The words of a name as looked up: case and accents folded, without a plural ``s`` or
    ``x``, one space between words."""
    return " ".join(_WORD.findall(_PLURAL.sub("", text.casefold().translate(_FOLD))))


class Concept:
    """One concept (a plain class with slots: the default terminology holds some 70,000)."""

    __slots__ = ("vocabulary", "code", "names", "abbreviations", "parents", "maps_to", "source")

    def __init__(self, vocabulary: str, code: str, names: dict[str, tuple[str, ...]] | None = None,
                 abbreviations: dict[str, tuple[str, ...]] | None = None, parents: tuple[str, ...] = (),
                 maps_to: tuple[Key, ...] = (), source: str = ""):
        self.vocabulary = vocabulary
        self.code = code
        self.names = names or {}  # lang -> names, the preferred one first
        self.abbreviations = abbreviations or {}
        self.parents = parents  # codes in the same vocabulary
        self.maps_to = maps_to  # (vocabulary, code) of other vocabularies
        self.source = source

    def __repr__(self) -> str:
        return f"Concept({self.vocabulary}:{self.code} {self.label!r})"

    @property
    def key(self) -> Key:
        return self.vocabulary, self.code

    @property
    def label(self) -> str:
        """The preferred name, French first."""
        for lang in LANGUAGES:
            if self.names.get(lang):
                return self.names[lang][0]
        return self.code

    def terms(self, lang: str | None = None) -> tuple[str, ...]:
        """Every name and abbreviation (of ``lang``, or of every language)."""
        langs = LANGUAGES if lang is None else (lang,)
        return tuple(dict.fromkeys(t for la in langs for t in (*self.names.get(la, ()), *self.abbreviations.get(la, ()))))

    def as_dict(self) -> dict:
        return {
            "vocabulary": self.vocabulary, "code": self.code, "label": self.label,
            "names": {k: list(v) for k, v in self.names.items() if v},
            "abbreviations": {k: list(v) for k, v in self.abbreviations.items() if v},
            "parents": list(self.parents), "maps_to": [f"{v}:{c}" for v, c in self.maps_to], "source": self.source,
        }


class Terminology:
    """Concepts indexed by key, by name and by relation. Built once (``defaults.default()``);
    every query on it is a dictionary look-up or a walk of the hierarchy."""

    def __init__(self, concepts: Iterable[Concept]):
        self.concepts: dict[Key, Concept] = {}
        for concept in concepts:
            self.add(concept)
        self._children: dict[Key, list[Key]] | None = None
        self._mapped_from: dict[Key, list[Key]] | None = None
        self._names: dict[str, list[Key]] | None = None

    def add(self, concept: Concept) -> None:
        """Add a concept, or merge its names and relations into the one of the same key."""
        old = self.concepts.get(concept.key)
        if old is not None:
            names = {la: tuple(dict.fromkeys((*old.names.get(la, ()), *concept.names.get(la, ())))) for la in LANGUAGES}
            abbreviations = {la: tuple(dict.fromkeys((*old.abbreviations.get(la, ()), *concept.abbreviations.get(la, ())))) for la in LANGUAGES}
            concept = Concept(old.vocabulary, old.code, names, abbreviations, tuple(dict.fromkeys((*old.parents, *concept.parents))),
                              tuple(dict.fromkeys((*old.maps_to, *concept.maps_to))), old.source if concept.source in old.source else f"{old.source}; {concept.source}")
        self.concepts[concept.key] = concept
        self._children = self._mapped_from = self._names = None

    # -- indexes, built on first use ---------------------------------------------------------
    def children(self, key: Key) -> list[Key]:
        if self._children is None:
            children: dict[Key, list[Key]] = defaultdict(list)
            for concept in self.concepts.values():
                for parent in concept.parents:
                    children[(concept.vocabulary, parent)].append(concept.key)
            self._children = dict(children)
        return self._children.get(key, [])

    def mapped_from(self, key: Key) -> list[Key]:
        """The concepts that map to ``key`` (the brand names of an ATC code, say)."""
        if self._mapped_from is None:
            mapped: dict[Key, list[Key]] = defaultdict(list)
            for concept in self.concepts.values():
                for target in concept.maps_to:
                    mapped[target].append(concept.key)
            self._mapped_from = dict(mapped)
        return self._mapped_from.get(key, [])

    def names_index(self) -> dict[str, list[Key]]:
        if self._names is None:
            names: dict[str, list[Key]] = {}
            for concept in self.concepts.values():
                own = (concept.vocabulary, concept.code)
                for table in (concept.names, concept.abbreviations):
                    for texts in table.values():
                        for text in texts:
                            found = names.setdefault(name_key(text), [])
                            if own not in found:
                                found.append(own)
            names.pop("", None)
            self._names = names
        return self._names

    # -- questions ---------------------------------------------------------------------------
    def concept(self, vocabulary: str, code: str) -> Concept | None:
        return self.concepts.get((vocabulary, code))

    def lookup(self, text: str) -> list[Concept]:
        """The concepts one of whose names or abbreviations is ``text`` (by its key)."""
        return [self.concepts[k] for k in self.names_index().get(name_key(text), ())]

    def descendants(self, vocabulary: str, code: str) -> set[Key]:
        """``(vocabulary, code)`` and every concept below it in its vocabulary's hierarchy."""
        seen, todo = set(), [(vocabulary, code)]
        while todo:
            key = todo.pop()
            if key not in seen:
                seen.add(key)
                todo.extend(self.children(key))
        return seen

    def ancestors(self, vocabulary: str, code: str) -> list[Key]:
        """Every concept above ``(vocabulary, code)``, nearest first."""
        out, todo = [], [(vocabulary, code)]
        while todo:
            concept = self.concepts.get(todo.pop(0))
            for parent in concept.parents if concept else ():
                key = (concept.vocabulary, parent)
                if key not in out:
                    out.append(key)
                    todo.append(key)
        return out

    def maps_to(self, vocabulary: str, code: str) -> list[Key]:
        concept = self.concepts.get((vocabulary, code))
        return list(concept.maps_to) if concept else []

    def expansion(self, vocabulary: str, code: str) -> set[Key]:
        """What a search for the concept should find: its descendants, the concepts it maps to
        and their descendants (a clinsearch group's codes), and the concepts mapping to any of
        those (the brand names of an ATC class)."""
        found: set[Key] = set()
        todo = [(vocabulary, code)]
        while todo:
            key = todo.pop()
            if key in found:
                continue
            for below in self.descendants(*key):
                if below not in found:
                    found.add(below)
                    todo.extend(self.maps_to(*below))
        for key in list(found):
            found.update(k for k in self.mapped_from(key) if k[0] == "BDPM")
        return {key for key in found if key in self.concepts}  # a link may name a concept held elsewhere (OMOP ids)

    def words(self) -> frozenset[str]:
        """Every folded word of five letters or more of every name: the medical words whose
        misspellings the search corrects."""
        return frozenset(w for key in self.names_index() for w in key.split() if len(w) >= 5 and w.isalpha())
