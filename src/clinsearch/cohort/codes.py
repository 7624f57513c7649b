"""The codes of a criterion, in any vocabulary of the warehouse, and the rows they stand for.

A code names its vocabulary (``SNOMED:44054006``, ``RxNorm:860975``), or takes the criterion's
(``"vocabulary": "SNOMED"``), or -- written bare -- keeps clinsearch's historical meaning by its
criterion type: CIM-10 for a condition, ATC for a drug, CCAM for a procedure
(``vocabularies.json``). A trailing ``*`` takes every code starting so.

>>> [(c.vocabulary, c.code, c.named) for c in parse(["SNOMED:44054006", "E11*"], "condition")]
[('SNOMED', '44054006', True), ('CIM10', 'E11*', False)]

Matching (``match``): a row matches when its source concept (``*_source_concept_id``, the
``concept`` row ingest writes for every code a source carries) or its standard concept
(``*_concept_id``) is one of the codes' concepts; when its source value is the code and it has
no known concept (OMOP tables loaded without concepts); and, for a bare code, on its source
value alone, as before. When the OMOP vocabulary tables are loaded (``concept_relationship``,
``concept_ancestor``, OHDSI's names), the codes' concepts are first extended: their standard
concepts ("Maps to"), every descendant of those, and every concept that maps to one of them --
so ``E11*`` finds SNOMED-coded diabetics, and ATC ``A10BA02`` the RxNorm metformin products.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

VOCABULARY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._-]{0,39}$")


@lru_cache(maxsize=1)
def vocabularies() -> dict:
    return json.loads(resources.files("clinsearch.cohort").joinpath("vocabularies.json").read_text("utf-8"))


def vocabulary_id(name: str) -> str:
    """The OMOP vocabulary_id a definition's spelling names (``snomed-ct`` -> ``SNOMED``); an
    unknown name is kept as written (any vocabulary present in the warehouse may be used)."""
    key = re.sub(r"[\s.\-_]", "", name).upper()
    return vocabularies()["names"].get(key, name.strip())


def family(vocabulary: str) -> list[str]:
    """The vocabulary_ids sharing the codes of ``vocabulary`` (CIM10, ICD10, ICD10CM)."""
    return vocabularies()["families"].get(vocabulary, [vocabulary])


@dataclass(frozen=True)
class Code:
    vocabulary: str  # an OMOP vocabulary_id
    code: str  # as written, with its trailing * if any
    named: bool  # the vocabulary was written (on the code or the criterion), not taken from the code's shape

    @property
    def bare(self) -> str:
        """The code compared: upper case, no dots."""
        return self.code.upper().replace(".", "")

    def __str__(self) -> str:
        return f"{self.vocabulary}:{self.code}" if self.named else self.code


def parse(codes: list[str], kind: str, vocabulary: str | None = None) -> list[Code]:
    """The codes of a criterion of type ``kind`` (``vocabulary``: the criterion's own)."""
    default = vocabulary_id(vocabulary) if vocabulary else vocabularies()["bare"][kind]
    out = []
    for written in codes:
        name, sep, code = written.partition(":")
        if sep and VOCABULARY_NAME.match(name.strip()):
            out.append(Code(vocabulary_id(name), code.strip(), True))
        else:
            out.append(Code(default, written.strip(), vocabulary is not None))
    return out


def pattern(vocabulary: str) -> re.Pattern | None:
    found = vocabularies()["patterns"].get(vocabulary)
    return re.compile(found) if found else None


def looks_like(code: str) -> str | None:
    """The vocabulary a code written bare seems to be from, for the error that refuses it."""
    if re.match(r"^[0-9]{6,18}$", code):
        return "SNOMED (or RxNorm)"
    if re.match(r"^[0-9]{1,7}-[0-9]$", code):
        return "LOINC"
    return None


# -- the rows -------------------------------------------------------------------------------------
def regex_of(codes: list[Code]) -> tuple[list[str], str | None]:
    """(exact codes, one anchored regular expression of the prefixes or None)."""
    exact = sorted({c.bare for c in codes if not c.bare.endswith("*")})
    prefixes = sorted({c.bare.rstrip("*") for c in codes if c.bare.endswith("*")})
    return exact, ("^(?:" + "|".join(re.escape(p) for p in prefixes) + ")") if prefixes else None


def value_match(column: str, codes: list[Code]) -> tuple[str, list]:
    """Exact codes as one set, prefixes as one anchored regular expression: two tests a row,
    however many codes (200 prefixes took 21 s as 200 starts_with)."""
    exact, prefixes = regex_of(codes)
    clauses, params = [], []
    if exact:
        clauses.append(f"{column} IN (SELECT unnest(?))")
        params.append(exact)
    if prefixes:
        clauses.append(f"regexp_matches({column}, ?)")
        params.append(prefixes)
    return "(" + " OR ".join(clauses or ["false"]) + ")", params


VOCABULARY_TABLES = ("concept_relationship", "concept_ancestor")


def tables_present(store) -> set[str]:
    """Which OMOP vocabulary tables the warehouse has, with rows."""
    found = store.tables() & set(VOCABULARY_TABLES)
    return {name for name in found if store.query(f"SELECT EXISTS (SELECT 1 FROM {name})")[0][0]}


def concepts(store, codes: list[Code]) -> tuple[list[int], list[str]]:
    """(the concept ids ``codes`` stand for, the named codes no concept of the warehouse has).
    Extended through the vocabulary tables when they are loaded (module docstring)."""
    found: set[int] = set()
    missing: list[str] = []
    by_vocabulary: dict[str, list[Code]] = {}
    for code in codes:
        by_vocabulary.setdefault(code.vocabulary, []).append(code)
    for vocabulary, group in by_vocabulary.items():  # one query per vocabulary, however many codes
        names = [v.upper() for v in family(vocabulary)]
        where, params = value_match("replace(upper(concept_code), '.', '')", group)
        rows = store.query(f"SELECT concept_id, replace(upper(concept_code), '.', '') FROM concept "
                           f"WHERE upper(vocabulary_id) IN (SELECT unnest(?)) AND {where}", [names, *params])
        found |= {i for i, _ in rows}
        known = sorted({c for _, c in rows})
        for code in group:
            prefix = code.bare.rstrip("*")
            at = bisect.bisect_left(known, prefix)
            present = at < len(known) and (known[at].startswith(prefix) if code.bare.endswith("*") else known[at] == prefix)
            if code.named and not present:
                missing.append(str(code))
    present = tables_present(store)
    if found and present:
        found = _extended(store, found, present)
    if found:
        # the same code in the local concepts and in Athena's (ingest names every source code locally)
        found |= {i for (i,) in store.query(
            "SELECT c.concept_id FROM concept c JOIN (SELECT DISTINCT vocabulary_id, concept_code FROM concept WHERE concept_id IN (SELECT unnest(?))) k "
            "USING (vocabulary_id, concept_code)", [sorted(found)])}
    return sorted(found), missing


def _extended(store, ids: set[int], present: set[str]) -> set[int]:
    start = sorted(ids)
    out = set(ids)
    if "concept_relationship" in present:
        out |= {i for (i,) in store.query("SELECT concept_id_2 FROM concept_relationship WHERE relationship_id = 'Maps to' "
                                          "AND invalid_reason IS NULL AND concept_id_1 IN (SELECT unnest(?))", [start])}
    if "concept_ancestor" in present:
        out |= {i for (i,) in store.query("SELECT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id IN (SELECT unnest(?))",
                                          [sorted(out)])}
    if "concept_relationship" in present:
        out |= {i for (i,) in store.query("SELECT concept_id_1 FROM concept_relationship WHERE relationship_id = 'Maps to' "
                                          "AND invalid_reason IS NULL AND concept_id_2 IN (SELECT unnest(?))", [sorted(out)])}
    return out


def match(store, codes: list[Code], value: str, source_concept: str, standard_concept: str) -> tuple[str, list, list[str]]:
    """(SQL condition on a row of a clinical table, its parameters, warnings) for ``codes``:
    ``value``/``source_concept``/``standard_concept`` are the row's columns."""
    ids, missing = concepts(store, codes)
    folded = f"replace(upper({value}), '.', '')"
    clauses, params = [], []
    bare = [c for c in codes if not c.named]
    if bare:
        where, more = value_match(folded, bare)
        clauses.append(where)
        params.extend(more)
    named = [c for c in codes if c.named]
    if named:
        where, more = value_match(folded, named)
        clauses.append(f"({where} AND ({source_concept} IS NULL OR {source_concept} = 0 OR {source_concept} NOT IN (SELECT concept_id FROM concept)))")
        params.extend(more)
    if ids:
        clauses.append(f"{source_concept} IN (SELECT unnest(?)) OR {standard_concept} IN (SELECT unnest(?))")
        params.extend([ids, ids])
    warnings = [f"{code}: no such code in this warehouse's concepts (matched on source values only)" for code in missing]
    return "(" + " OR ".join(clauses or ["false"]) + ")", params, warnings
