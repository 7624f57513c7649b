"""Each patient's concepts, read from the whole warehouse at once: a sparse patient x concept
matrix of counts, one row per person, one column per concept.

A concept is a code of a vocabulary, made comparable across the sources that carry it
(``vocabularies.json``):

* coded conditions (``condition_occurrence``: the source concept, else the standard concept,
  else a source value that looks like a CIM-10 code), drugs (``drug_exposure``, ATC) and
  procedures (``procedure_occurrence``, CCAM);
* the NLP's **affirmed** mentions (``note_nlp``: ``term_exists = 'Y'``, no ``hypothesis`` nor
  ``family`` modifier -- the problem list's and the scores' convention), with their CIM-10 or
  ATC code;
* a CIM-10 code at its three-character category (E11.9 and the written "DT2", E11, are one
  concept, as on the problem list), an ATC code at its substance: a coded and a written
  concept with the same code are one column, their counts added.

A cell counts the patient's records and mentions of the concept. One query per table, grouped
by patient and code in SQL, the codes turned into concepts once per distinct code: a warehouse
of 100,000 patients is a few million cells, read in seconds and held as a scipy CSR matrix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

Key = tuple[str, str]  # (vocabulary, code), as the terminology names concepts

CODED = (  # table, source concept, standard concept, source value
    ("condition_occurrence", "condition_source_concept_id", "condition_concept_id", "condition_source_value"),
    ("drug_exposure", "drug_source_concept_id", "drug_concept_id", "drug_source_value"),
    ("procedure_occurrence", "procedure_source_concept_id", "procedure_concept_id", "procedure_source_value"),
)
GUESSED = {  # a source value without a concept, taken for a code of this vocabulary when it has its form
    "condition_occurrence": ("CIM10", re.compile(r"[A-Z][0-9]{2}(\.?[0-9A-Z+]{0,4})?")),
    "drug_exposure": ("ATC", re.compile(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}")),
    "procedure_occurrence": ("CCAM", re.compile(r"[A-Z]{4}[0-9]{3}")),
}
CATEGORY = re.compile(r"[A-Z][0-9]{2}")


@cache
def rules() -> dict:
    return json.loads(resources.files("clinsearch.similar").joinpath("vocabularies.json").read_text(encoding="utf-8"))


@cache
def _canonical() -> dict[str, str]:
    return {alias.upper(): name for name, spec in rules()["vocabularies"].items() for alias in spec["aliases"]}


def canonical_vocabulary(vocabulary: str | None) -> str | None:
    """``CIM10`` for ICD10, ICD10CM, ...; a vocabulary of no alias as it is; None for none."""
    if not vocabulary or not vocabulary.strip():
        return None
    return _canonical().get(vocabulary.strip().upper(), vocabulary.strip())


def concept_key(vocabulary: str | None, code: str | None, table: str | None = None) -> Key | None:
    """The concept of a code: ``("CIM10", "E11")`` for CIM-10 ``E11.9`` or the NLP's ``E11``,
    ``("ATC", "B01AF02")``; None for no code.

    >>> concept_key("ICD10", "e11.9"), concept_key("CIM10", "R53+1"), concept_key(None, "C34.9", "condition_occurrence")
    (('CIM10', 'E11'), ('CIM10', 'R53'), ('CIM10', 'C34'))
    >>> concept_key("CCAM", "DDAF008"), concept_key("SNOMED", "44054006"), concept_key(None, "12 mg", "drug_exposure")
    (('CCAM', 'DDAF008'), ('SNOMED', '44054006'), ('?', '12 mg'))
    """
    code = (code or "").strip()
    if not code:
        return None
    name = canonical_vocabulary(vocabulary)
    if name is None:
        guess = GUESSED.get(table or "")
        name = guess[0] if guess and guess[1].fullmatch(code.upper()) else "?"
    if name == "CIM10":
        plain = re.sub(r"[^0-9A-Z]", "", code.upper())
        size = rules()["vocabularies"]["CIM10"]["category_length"]
        return "CIM10", plain[:size] if CATEGORY.fullmatch(plain[:size]) else plain
    if name == "ATC":
        return "ATC", code.upper()
    return name, code


def kind_of(key: Key, table: str | None = None) -> str:
    """``condition``, ``drug``, ``procedure`` (by vocabulary, else by the table it came from), or ``mention``."""
    spec = rules()["vocabularies"].get(key[0])
    if spec:
        return spec["kind"]
    return rules()["tables"].get(table or "", "mention")


@dataclass
class Concepts:
    """The warehouse's patients and concepts: ``counts[i, j]`` is how many records and affirmed
    mentions person ``persons[i]`` has of concept ``keys[j]``."""

    persons: np.ndarray  # int64, sorted
    keys: list[Key]
    kinds: list[str]
    counts: sparse.csr_matrix

    def row(self, person_id: int) -> int | None:
        at = int(np.searchsorted(self.persons, person_id))
        return at if at < len(self.persons) and self.persons[at] == person_id else None

    def column(self, key: Key) -> int | None:
        try:
            return self.keys.index(key)
        except ValueError:
            return None


def coded_sql(table: str, source_concept: str, standard_concept: str, source_value: str) -> str:
    return f"""SELECT x.person_id, coalesce(c.vocabulary_id, s.vocabulary_id) AS vocabulary,
        coalesce(c.concept_code, s.concept_code, x.{source_value}) AS code, count(*) AS n
        FROM {table} x LEFT JOIN concept c ON c.concept_id = x.{source_concept}
        LEFT JOIN concept s ON s.concept_id = x.{standard_concept} AND x.{standard_concept} <> 0
        GROUP BY 1, 2, 3"""


def mentions_sql(departments: tuple[str, ...] | None) -> str:
    where = ("AND (n.care_site_id IN (SELECT care_site_id FROM care_site WHERE care_site_name IN (SELECT unnest(?))) "
             "OR n.person_id IN (SELECT unnest(?)))") if departments is not None else ""
    return f"""SELECT n.person_id, x.code_vocabulary AS vocabulary, x.code, count(*) AS n
        FROM note_nlp x JOIN note n ON n.note_id = x.note_id
        WHERE x.label NOT IN (SELECT unnest(?)) AND x.code IS NOT NULL AND x.code_vocabulary IS NOT NULL AND x.term_exists = ?
          AND coalesce(x.term_modifiers, '') NOT LIKE ? AND coalesce(x.term_modifiers, '') NOT LIKE ? {where}
        GROUP BY 1, 2, 3"""


def read_concepts(store, departments: tuple[str, ...] | None = None, whole: tuple[int, ...] = ()) -> Concepts:
    """The concept matrix of every patient of the warehouse, in one query per table.

    ``departments``: the NLP of the notes written in these departments only (and of every note
    of the ``whole`` patients) -- what a clinician restricted to departments may read; None: all."""
    persons = np.array(sorted(pid for (pid,) in store.query("SELECT person_id FROM person")), dtype=np.int64)
    nlp = rules()["nlp"]
    excluded = [f"%{m}%" for m in nlp["modifiers_excluded"]]
    if len(excluded) != 2:
        raise ValueError("vocabularies.json: mentions_sql excludes exactly two modifiers")
    params = [list(nlp["labels_excluded"]), nlp["term_exists"], *excluded]
    if departments is not None:
        params += [list(departments), [int(p) for p in whole]]
    parts = [(columns[0], store.arrow(coded_sql(*columns))) for columns in CODED]
    parts.append(("note_nlp", store.arrow(mentions_sql(departments), params)))
    index: dict[Key, int] = {}
    kinds: list[str] = []
    rows, cols, values = [], [], []
    for table, found in parts:
        if found.num_rows == 0:
            continue
        vocabulary = pc.fill_null(found.column("vocabulary").cast(pa.string()), "")
        code = pc.fill_null(found.column("code").cast(pa.string()), "")
        encoded = pc.binary_join_element_wise(vocabulary, code, "\x1f").combine_chunks().dictionary_encode()
        lookup = np.full(len(encoded.dictionary), -1, dtype=np.int64)
        for at, text in enumerate(encoded.dictionary.to_pylist()):
            key = concept_key(*text.split("\x1f", 1), table)
            if key is None:
                continue
            if key not in index:
                index[key] = len(index)
                kinds.append(kind_of(key, table))
            lookup[at] = index[key]
        column = lookup[encoded.indices.to_numpy(zero_copy_only=False)]
        person = found.column("person_id").to_numpy().astype(np.int64)
        row = np.searchsorted(persons, person)
        known = (column >= 0) & (row < len(persons))
        known[known] &= persons[row[known]] == person[known]  # rows of a person the warehouse does not hold: left out
        rows.append(row[known])
        cols.append(column[known])
        values.append(found.column("n").to_numpy().astype(np.float64)[known])
    shape = (len(persons), len(index))
    if rows:
        counts = sparse.coo_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=shape).tocsr()
    else:
        counts = sparse.csr_matrix(shape, dtype=np.float64)
    counts.sum_duplicates()  # a coded and a written concept of the same code: one cell
    return Concepts(persons, list(index), kinds, counts)


def labels(store, terminology, keys: list[Key], lang: str = "fr") -> dict[Key, str]:
    """A readable name of each concept: the terminology's (in ``lang``, else French), else the
    warehouse's own concept name (one query for all of them), else the code."""
    out: dict[Key, str] = {}
    missing: list[Key] = []
    for key in keys:
        concept = terminology.concept(*key)
        if concept is None:
            missing.append(key)
            continue
        names = concept.names.get(lang) or ()
        label = names[0] if names else concept.label
        out[key] = label[:1].upper() + label[1:].lower() if label.isupper() else label
    if missing:
        codes = sorted({code for _, code in missing})
        named = {}
        for vocabulary, code, name in store.query("SELECT vocabulary_id, concept_code, min(concept_name) FROM concept "
                                                  "WHERE concept_code IN (SELECT unnest(?)) GROUP BY 1, 2", [codes]):
            named[(canonical_vocabulary(vocabulary), code)] = name
        for key in missing:
            out[key] = named.get(key) or key[1]
    return out
