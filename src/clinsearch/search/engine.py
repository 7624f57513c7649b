"""Searching: a query over the index, at document and at patient level::

    search(data, "EP -neg:TVP after:2020").documents[0].snippets[0].context  # 'affirmed'

(``tests/search/`` runs such queries on a real index.) Document level ranks notes, imaging studies and articles by BM25 over the fields of the contexts
asked for, with facets (source, note type, year, department) and paging. Patient level
(``patients.py``) evaluates the query over each patient's whole record. The query tree becomes
Tantivy queries in ``translate.py``; nothing the user typed reaches Tantivy's own query parser.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from clinsearch.search.analysis import LANGUAGES, terms
from clinsearch.search.expand import Concept, describe, expand, matches
from clinsearch.search.index import SCHEMA, from_day_number, index_dir, open_index, text_field, view_field
from clinsearch.search.patients import PERSON_BUCKETS, PatientHit, PatientSearch
from clinsearch.search.query import Filter, Node, QueryError, parse
from clinsearch.search.snippets import Snippet, Wanted, stored_marks, stored_snippets
from clinsearch.search.spelling import correct, suggested_query
from clinsearch.search.sources import CONTEXTS
from clinsearch.search.translate import Translator, leaves

FACETS = ("source", "type", "year", "department")
MAX_LIMIT = 1_000
SORTS = ("relevance", "date")  # BM25, or the newest document first


class SearchError(Exception):
    """The search cannot run (no index yet)."""


@dataclass
class DocumentHit:
    source: str  # notes, imaging, articles
    id: int  # note_id, image_occurrence_id or article_id
    note_id: int | None
    person_id: int | None
    visit_id: int | None
    date: dt.date | None
    title: str
    type: str
    department: str | None
    score: float | None  # BM25; None when sorted by date (Tantivy then ranks by the date alone)
    snippets: list[Snippet] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["date"] = self.date.isoformat() if self.date else None
        out["score"] = round(self.score, 4) if self.score is not None else None
        out["snippets"] = [s.as_dict() for s in self.snippets]
        return out


@dataclass
class SearchResult:
    query: str
    total: int  # documents matching
    offset: int
    limit: int
    documents: list[DocumentHit]
    facets: dict[str, dict[str, int]]
    expansions: list[dict]
    patients: list[PatientHit] | None = None
    patients_total: int | None = None
    corrections: list[dict] = field(default_factory=list)  # misspelt words: corrected, or with candidates
    suggestions: list[str] = field(default_factory=list)  # "did you mean": the query with the corrections
    sort: str = "relevance"
    document_patients: int = 0  # the patients the matching documents belong to ("42 documents chez 17 patients")

    def as_dict(self) -> dict:
        out = {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "documents": [d.as_dict() for d in self.documents],
            "facets": self.facets,
            "expansions": self.expansions,
            "corrections": self.corrections,
            "suggestions": self.suggestions,
            "sort": self.sort,
            "document_patients": self.document_patients,
        }
        if self.patients is not None:
            out["patients"] = [p.as_dict() for p in self.patients]
            out["patients_total"] = self.patients_total
        return out


def search(data: Path, query: str, *, patients: bool = False, limit: int = 20, offset: int = 0,
           departments: tuple[str, ...] | None = None, persons: tuple[int, ...] | None = None,
           view: str = "identified", patient_of=None, sort: str = "relevance") -> SearchResult:
    """Run ``query`` over the index of the data directory ``data``.

    ``limit`` and ``offset`` page the documents (and the patients with ``patients=True``).
    ``departments`` and ``persons`` confine the search to those (a restricted account: the
    access layer sets them; documents outside are never looked at). ``view="pseudonymised"``
    searches, filters, facets and shows the researcher's view of the index (pseudonymised text
    and titles, shifted dates; ``patient_of`` resolves a pseudonym in ``patient:``).
    ``sort="date"`` lists the newest documents first (the view's dates; undated ones last) and
    the patients by their latest matching document.
    Raises ``QueryError`` for a query that cannot be read, ``SearchError`` when there is no index."""
    if not 0 < limit <= MAX_LIMIT or offset < 0:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT} and offset at least 0")
    if sort not in SORTS:
        raise QueryError(f"sort is one of {', '.join(SORTS)}, not '{sort}'")
    parsed = parse(query)
    searcher = _searcher(Path(data))
    parsed, corrections = correct(parsed, lambda word: _in_notes(searcher, word, view))
    tree = expand(parsed, Path(data))
    translator = Translator(searcher, departments, persons, view, patient_of)
    document_query = translator.documents_query(tree)
    # Tantivy releases the GIL: facets and patients are counted on other cores meanwhile.
    facets = _POOL.submit(_facets, searcher, document_query, view)
    wanted = _wanted(tree)
    ranked_patients = _POOL.submit(PatientSearch(translator).patients, tree, limit, offset, sort, wanted) if patients else None
    by_date = {"order_by_field": view_field("date", view), "order": tantivy.Order.Desc} if sort == "date" else {}
    found = searcher.search(document_query, limit=limit, count=True, offset=offset, **by_date)
    documents = [_hit(searcher, None if by_date else score, address, wanted, view) for score, address in found.hits]
    facets, document_patients = facets.result()
    result = SearchResult(
        query=query,
        total=found.count or 0,
        offset=offset,
        limit=limit,
        documents=documents,
        facets=facets,
        expansions=[describe(leaf) for leaf in leaves(tree) if isinstance(leaf, Concept) or (isinstance(leaf, Filter) and leaf.field == "code")],
        corrections=[c.as_dict() for c in corrections],
        suggestions=[q for q in [suggested_query(query, corrections)] if q],
        sort=sort,
        document_patients=document_patients,
    )
    if ranked_patients is not None:
        result.patients, result.patients_total = ranked_patients.result()
    return result


def note_marks(data: Path, query: str, note_id: int, *, view: str = "identified") -> tuple[str | None, list[tuple[int, int, str]]]:
    """What ``query`` matched in one note: (the note's text as the index holds it in ``view``,
    the (start, end, context) of each match there), found as the result's snippets are (the
    spelling corrections, synonyms, abbreviations and entity codes of the query). (None, []) when
    the note is not in the index. The caller checks that the text is the one it shows."""
    searcher = _searcher(Path(data))
    parsed, _ = correct(parse(query), lambda word: _in_notes(searcher, word, view))
    tree = expand(parsed, Path(data))
    hits = searcher.search(Query.term_query(SCHEMA, "key", f"note:{note_id}"), limit=1, count=False).hits
    if not hits:
        return None, []
    return stored_marks(searcher.doc(hits[0][1]), _wanted(tree), view_field("body", view))


def document_events(data: Path, query: str, *, persons: tuple[int, ...] | None = None,
                    departments: tuple[str, ...] | None = None, view: str = "identified", patient_of=None) -> tuple[list[int], list[int]]:
    """Every note matching ``query``, note by note, as (person ids, day numbers): what a cohort's
    text criterion counts and dates. Filters (``type:``, ``after:`` ...) apply to each note;
    notes without a date are left out. (Imaging studies are not counted: their report is a note
    already, and counting both would count one examination twice.) With ``view="pseudonymised"``
    the query reads the researcher's view (pseudonymised text, filters on shifted dates); the days
    returned are the real ones still, so that the cohort's windows around other events hold."""
    tree = expand(parse(query), Path(data))
    searcher = _searcher(Path(data))
    translator = Translator(searcher, departments, persons, view, patient_of)
    notes = Query.term_query(SCHEMA, "source", "notes")
    matching = Query.boolean_query([(Occur.Must, translator.to_query(tree)), (Occur.Must, notes), *translator.restriction])
    count = searcher.search(matching, limit=1, count=True).count or 0
    if not count:
        return [], []
    addresses = [address for _, address in searcher.search(matching, limit=count, count=False).hits]
    people = searcher.fast_field_values("person_id", addresses)
    days = searcher.fast_field_values("date", addresses)
    kept = [(p, d) for p, d in zip(people, days) if p is not None and d is not None]
    return [p for p, _ in kept], [d for _, d in kept]


_POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="clinsearch-search")
_OPEN: dict[Path, tuple[int, tantivy.Index]] = {}  # data directory -> (index creation time, index)


def _searcher(data: Path) -> tantivy.Searcher:
    """A searcher on the latest commit; the index is opened once per process (and again when it
    has been rebuilt since)."""
    try:
        created = (index_dir(data) / "clinsearch.json").stat().st_mtime_ns
    except OSError:
        created = None
    opened = _OPEN.get(data)
    try:
        if opened is None or opened[0] != created:
            index = open_index(data)
            if index is None:
                raise SearchError(f"{data}: no search index yet, or one being swapped in (run 'clinsearch index' if this lasts)")
            opened = _OPEN[data] = (created, index)
        else:
            opened[1].reload()
        return opened[1].searcher()
    except (OSError, ValueError) as exc:  # a damaged or vanishing index is an error, never an empty answer
        _OPEN.pop(data, None)
        raise SearchError(f"{data}: the search index cannot be read ({exc}); run 'clinsearch index --rebuild'") from None


def _in_notes(searcher: tantivy.Searcher, word: str, view: str) -> int:
    """How many times documents of the index hold ``word`` (a field of each context and language counts apart)."""
    return sum(searcher.doc_freq(text_field(context, lang, view), term)
               for lang in LANGUAGES for term in terms(word, lang)[:1] for context in CONTEXTS)


def _wanted(tree: Node) -> dict[str, list[Wanted]]:
    """What to highlight in a document of each language (the phrases of that language only:
    the French "EP" is no English word to highlight)."""
    wanted: dict[str, list[Wanted]] = {lang: [] for lang in LANGUAGES}
    for leaf in leaves(tree):
        if isinstance(leaf, Filter) and leaf.field != "code":
            continue
        context = "affirmed" if isinstance(leaf, Filter) else leaf.context
        contexts = frozenset(CONTEXTS if context == "any" else (context,))
        found = matches(leaf)
        for lang in LANGUAGES:
            wanted[lang].append(Wanted(found.phrases.get(lang, ()), contexts, found.read.get(lang, ()), frozenset(found.codes)))
    return wanted


def _hit(searcher: tantivy.Searcher, score: float | None, address, wanted: dict[str, list[Wanted]], view: str) -> DocumentHit:
    doc = searcher.doc(address)
    source = doc.get_first("source")
    identifier = doc.get_first("id")
    return DocumentHit(
        source=source,
        id=identifier,
        note_id=identifier if source == "notes" else None,
        person_id=doc.get_first("person_id"),
        visit_id=doc.get_first("visit_id"),
        date=from_day_number(doc.get_first(view_field("date", view))),
        title=doc.get_first(view_field("title", view)) or "",
        type=doc.get_first("type") or "",
        department=doc.get_first("department"),
        score=float(score) if score is not None else None,
        snippets=stored_snippets(doc, wanted, view_field("body", view)),
    )


def _facets(searcher: tantivy.Searcher, query: Query, view: str) -> tuple[dict[str, dict[str, int]], int]:
    """The facets of the matching documents, and how many patients those documents belong to:
    counted exactly (one bucket a patient) up to Tantivy's bucket limit, estimated beyond it
    (HyperLogLog, ``cardinality``) rather than failing the search."""
    fields = {name: view_field("year", view) if name == "year" else name for name in FACETS}  # years of the view's dates
    spec = {name: {"terms": {"field": fields[name], "size": 200}} for name in FACETS}
    try:
        result = searcher.aggregate(query, {**spec, "persons": {"terms": {"field": "person_id", "size": PERSON_BUCKETS}}})
        persons = len(result["persons"]["buckets"])
    except ValueError:  # more patients than buckets
        result = searcher.aggregate(query, {**spec, "persons": {"cardinality": {"field": "person_id"}}})
        persons = int(result["persons"]["value"] or 0)
    facets = {}
    for name in FACETS:
        buckets = result.get(name, {}).get("buckets", [])
        facets[name] = {str(int(b["key"]) if isinstance(b["key"], float) else b["key"]): b["doc_count"] for b in buckets if b["key"] != ""}
    return facets, persons
