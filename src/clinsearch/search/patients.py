"""Patient-level search: the query over each patient's whole record -- all their documents and
their coded data -- so that ``EP AVC`` finds a patient with an embolism in one note and a stroke
in another.

The index holds one document per patient (``sources.PatientDoc``) and the query runs on those,
ranked by BM25. Filters written at the top of the query (``type:``, ``after:``, ``before:``,
``department:``, ``source:``, ``patient:``) restrict the documents every term is looked for in;
a patient's document has no single date or type, so then every term is looked up document by
document, gives a set of patients, and the operators combine the sets (coded data has no single
date either: a date filter leaves it out); patients are then ranked by the number of documents
that support them. Each patient comes with the number of their documents that match a term of
the query, whether their coded data does, and the date of the latest matching document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tantivy import Occur, Query

from clinsearch.search.index import SCHEMA, day_number, from_day_number, view_field
from clinsearch.search.query import And, Filter, Node, Not, Or
from clinsearch.search.snippets import Snippet, stored_snippets
from clinsearch.search.translate import Translator, leaf_query, leaves, top_filters

DOCUMENT_SOURCES = ("notes", "imaging", "articles")
SUPPORT_SOURCES = (*DOCUMENT_SOURCES, "records")  # what supports a patient: documents, coded data
PERSON_BUCKETS = 65_000  # Tantivy's limit on the buckets of one aggregation


WHY_DOCUMENTS = 3  # the supporting documents a patient row names


@dataclass
class Reason:
    """One term of the query and where the patient's record has it: the patient level looks
    across the whole record, so a patient may match on a term of one note and another of a
    second; an excluded term is in none of their documents nor coded data (the document level
    excludes note by note)."""

    term: str  # as written: EP, neg:TVP, "embolie pulmonaire", code:I26
    in_documents: bool
    in_coded_data: bool
    excluded: bool = False

    def as_dict(self) -> dict:
        return {"term": self.term, "in_documents": self.in_documents, "in_coded_data": self.in_coded_data, "excluded": self.excluded}


@dataclass
class PatientHit:
    person_id: int
    hits: int  # documents (notes, imaging) that support the match
    coded: bool  # the patient's coded data matches too
    last_date: dt.date | None
    why: list[Reason] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)  # the best supporting documents (identified view only)
    snippet: Snippet | None = None  # from the best supporting document (the view's text: pseudonymised for researchers)

    def as_dict(self) -> dict:
        return {"person_id": self.person_id, "hits": self.hits, "coded": self.coded, "last_date": self.last_date.isoformat() if self.last_date else None,
                "why": [r.as_dict() for r in self.why], "documents": self.documents, "snippet": self.snippet.as_dict() if self.snippet else None}


def written(leaf) -> str:
    """A term or code filter as a query writes it."""
    if isinstance(leaf, Filter):
        return f"{leaf.field}:{leaf.value}"
    text = f'"{leaf.text}"' if getattr(leaf, "phrase", False) else leaf.text  # a term, or the words of a lexicon concept
    prefix = {"affirmed": "", "negated": "neg:", "hypothetical": "hyp:", "family": "fam:", "any": "any:"}.get(leaf.context, f"{leaf.context}:")
    return f"{prefix}{'=' if getattr(leaf, 'exact', False) else ''}{text}"


def supporting(node: Node | None) -> list:
    """The terms and codes of a query whose matches support a patient (not its filters nor what it excludes)."""
    return [leaf for leaf in leaves(node) if not isinstance(leaf, Filter) or leaf.field == "code"]


def excluded_leaves(node: Node | None) -> list:
    """The terms a query excludes (``-neg:TVP``)."""
    if isinstance(node, Not):
        return leaves(node.item)
    if isinstance(node, (And, Or)):
        return [leaf for item in node.items for leaf in excluded_leaves(item)]
    return []


class PatientSearch:
    """The patients one query finds, with the queries of ``translator`` (its searcher and its
    restriction)."""

    def __init__(self, translator: Translator):
        self.translator = translator
        self.searcher = translator.searcher
        self._scope: list = []  # filters of a patient search by sets (patients_by_sets)
        self._everyone: set[int] | None = None
        self._wanted: dict | None = None

    def patients(self, tree: Node, limit: int, offset: int, sort: str = "relevance", wanted: dict | None = None) -> tuple[list[PatientHit], int]:
        """(the page of patients, how many match); ``sort="date"``: the latest matching document
        first (every matching patient's support is counted then, as with filters); ``wanted``:
        what the best document's snippet highlights (``engine._wanted``)."""
        self._wanted = wanted
        filters, rest = top_filters(tree)
        if filters or self.translator.departments or sort == "date":
            # a patient's document spans departments: a department restriction is a filter
            ranked = self.patients_by_sets(filters, rest)
            if sort == "date":
                ranked.sort(key=lambda h: (h.last_date is None, -(day_number(h.last_date) if h.last_date else 0), -h.hits, h.person_id))
            page = ranked[offset: offset + limit]
            self._why(rest, page, self._scope)  # the reasons and best documents of the page's patients only
            self._documents(rest, page, self._scope)
            return page, len(ranked)
        query = Query.boolean_query([(Occur.Must, self.translator.to_query(tree)), (Occur.Must, Query.term_query(SCHEMA, "source", "patients")),
                                     *self.translator.restriction])
        found = self.searcher.search(query, limit=limit, offset=offset, count=True)
        people = self.searcher.fast_field_values("person_id", [address for _, address in found.hits])
        hits = self._support(tree, people, [])
        page = [hits[p] for p in people]
        self._why(tree, page, [])
        self._documents(tree, page, [])
        return page, found.count or 0

    def _support(self, rest: Node | None, people: list[int], scope: list) -> dict[int, PatientHit]:
        """Documents and coded data supporting each of ``people``: those matching a term of the
        query (what a query excludes supports nothing)."""
        positives = supporting(rest)
        support = Query.boolean_query([(Occur.Should, leaf_query(leaf, self.translator.view)) for leaf in positives]) if positives else Query.all_query()
        within = [*scope, (Occur.Must, support), (Occur.Must, Query.term_set_query(SCHEMA, "person_id", people))] if people else None
        hits = {p: PatientHit(p, 0, False, None) for p in people}
        if within is None:
            return hits
        spec = {"p": {"terms": {"field": "person_id", "size": len(people)}, "aggs": {"s": {"terms": {"field": "source", "size": len(SUPPORT_SOURCES)},
                                                                                         "aggs": {"last": {"max": {"field": view_field("date", self.translator.view)}}}}}}}
        query = Query.boolean_query([*within, (Occur.Must, Query.term_set_query(SCHEMA, "source", list(SUPPORT_SOURCES)))])
        for bucket in self.searcher.aggregate(query, spec)["p"]["buckets"]:
            hit = hits[int(bucket["key"])]
            for by_source in bucket["s"]["buckets"]:
                if by_source["key"] == "records":
                    hit.coded = True
                    continue
                hit.hits += by_source["doc_count"]
                last = by_source["last"].get("value")
                if last:
                    day = from_day_number(int(last))
                    hit.last_date = max(hit.last_date, day) if hit.last_date else day
        return hits

    def _why(self, rest: Node | None, page: list[PatientHit], scope: list) -> None:
        """The reasons of each patient of ``page``: which term is in their documents, which in their coded data."""
        if not page:
            return
        view = self.translator.view
        positives = supporting(rest)
        people = [hit.person_id for hit in page]
        excluded = list(dict.fromkeys(written(leaf) for leaf in excluded_leaves(rest)))
        if len({written(leaf) for leaf in positives}) == 1:  # the support counted is that term's: no second look
            for hit in page:
                hit.why = [Reason(written(positives[0]), hit.hits > 0, hit.coded)] + [Reason(name, False, False, excluded=True) for name in excluded]
            return
        restricted = [*scope, *([] if scope else self.translator.restriction), (Occur.Must, Query.term_set_query(SCHEMA, "person_id", people))]
        found: dict[str, tuple[set[int], set[int]]] = {}
        for leaf in positives:
            name = written(leaf)
            if name in found:
                continue
            query = Query.boolean_query([*restricted, (Occur.Must, leaf_query(leaf, view)), (Occur.Must, Query.term_set_query(SCHEMA, "source", list(SUPPORT_SOURCES)))])
            spec = {"p": {"terms": {"field": "person_id", "size": len(people)}, "aggs": {"s": {"terms": {"field": "source", "size": len(SUPPORT_SOURCES)}}}}}
            docs, coded = set(), set()
            for bucket in self.searcher.aggregate(query, spec)["p"]["buckets"]:
                for by_source in bucket["s"]["buckets"]:
                    (coded if by_source["key"] == "records" else docs).add(int(bucket["key"]))
            found[name] = (docs, coded)
        for hit in page:
            hit.why = [Reason(name, hit.person_id in docs, hit.person_id in coded) for name, (docs, coded) in found.items()]
            hit.why += [Reason(name, False, False, excluded=True) for name in excluded]

    def _documents(self, rest: Node | None, page: list[PatientHit], scope: list) -> None:
        """The best supporting documents of each patient of ``page``, and the first one's best
        snippet; a researcher's rows get the snippet only (of the pseudonymised text): they say
        which terms, not which documents, whose number is blurred."""
        view = self.translator.view
        positives = supporting(rest)
        if not positives:
            return
        restricted = [*scope, *([] if scope else self.translator.restriction)]
        support = Query.boolean_query([(Occur.Should, leaf_query(leaf, view)) for leaf in positives])
        supported = [hit for hit in page if hit.hits]
        if not supported:
            return
        # One search for the page: a patient's documents rank among themselves as they would alone.
        query = Query.boolean_query([*restricted, (Occur.Must, Query.term_set_query(SCHEMA, "person_id", [hit.person_id for hit in supported])), (Occur.Must, support),
                                     (Occur.Must, Query.term_set_query(SCHEMA, "source", list(DOCUMENT_SOURCES)))])
        addresses = [address for _, address in self.searcher.search(query, limit=sum(hit.hits for hit in supported), count=False).hits]
        best: dict[int, list] = {}
        for person, address in zip(self.searcher.fast_field_values("person_id", addresses), addresses):
            if len(best.setdefault(person, [])) < WHY_DOCUMENTS:
                best[person].append(address)
        for hit in supported:
            for address in best.get(hit.person_id, []):
                doc = self.searcher.doc(address)
                if hit.snippet is None and self._wanted:
                    hit.snippet = next(iter(stored_snippets(doc, self._wanted, view_field("body", view))), None)
                if view != "identified":
                    continue
                day = from_day_number(doc.get_first(view_field("date", view)))
                hit.documents.append({"source": doc.get_first("source"), "id": doc.get_first("id"),
                                      "note_id": doc.get_first("id") if doc.get_first("source") == "notes" else None,
                                      "date": day.isoformat() if day else None, "title": doc.get_first(view_field("title", view)) or ""})

    def patients_by_sets(self, filters: list[Filter], rest: Node | None) -> list[PatientHit]:
        """With filters, terms are looked up document by document (patients' documents have no
        single date or type): each term gives a set of patients, the operators combine the sets."""
        scope = [(Occur.Must, self.translator.filter_query(f)) for f in filters] + self.translator.restriction
        scope.append((Occur.Must, Query.term_set_query(SCHEMA, "source", [*DOCUMENT_SOURCES[:2], "records"])))
        self._scope = scope
        self._everyone = None
        matched = self.persons_of(rest) if rest is not None else self.everyone()
        hits = self._support(rest, sorted(matched), scope)
        return sorted(hits.values(), key=lambda h: (-h.hits, not h.coded, -(day_number(h.last_date) if h.last_date else 0), h.person_id))

    def persons_of(self, node: Node) -> set[int]:
        if isinstance(node, Not):
            return self.everyone() - self.persons_of(node.item)
        if isinstance(node, Or):
            return set().union(*(self.persons_of(item) for item in node.items))
        if isinstance(node, And):
            positives = [i for i in node.items if not isinstance(i, Not)]
            found = self.persons_of(positives[0]) if positives else self.everyone()
            for item in positives[1:]:
                found &= self.persons_of(item)
            for item in node.items:
                if isinstance(item, Not):
                    found -= self.persons_of(item.item)
            return found
        return self._persons(Query.boolean_query([*self._scope, (Occur.Must, self.translator.to_query(node))]))

    def everyone(self) -> set[int]:
        if self._everyone is None:
            self._everyone = self._persons(Query.boolean_query([*self._scope, (Occur.Must, Query.all_query())]))
        return self._everyone

    def _persons(self, query: Query) -> set[int]:
        """The patients with a document matching ``query``: counted in Tantivy (a terms
        aggregation) up to its bucket limit, else read document by document."""
        try:
            result = self.searcher.aggregate(query, {"p": {"terms": {"field": "person_id", "size": PERSON_BUCKETS}}})
            return {int(b["key"]) for b in result["p"]["buckets"]}
        except ValueError:
            found = self.searcher.search(query, limit=max(self.searcher.num_docs, 1), count=False)
            people = self.searcher.fast_field_values("person_id", [address for _, address in found.hits])
            return {p for p in people if p is not None}
