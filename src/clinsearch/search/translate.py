"""The query tree as Tantivy queries: terms, phrases, lexicon concepts and codes looked for in
the fields of their context, filters as term, range and set queries, and the restriction of a
restricted account added to every query.

Nothing the user typed reaches Tantivy's own query parser: queries are built from analysed terms,
so Tantivy syntax in a query is just text.
"""

from __future__ import annotations

from typing import Callable

import tantivy
from tantivy import Occur, Query

from clinsearch.search.expand import Concept, Leaf, matches
from clinsearch.search.index import SCHEMA, code_field, day_number, text_field, view_field
from clinsearch.search.query import And, Filter, Node, Not, Or, QueryError, Term, first_day
from clinsearch.search.sources import CONTEXTS, PLAIN
from clinsearch.text import fold


class Translator:
    """Builds the Tantivy queries of one search on one searcher; ``restriction`` holds the
    clauses confining every query of a restricted account (``departments``, ``persons``).

    ``view`` is the index's view the search reads (``index.VIEWS``): a pseudonymised search looks
    in the pseudonymised text and filters on shifted dates, and its ``patient:`` takes a
    pseudonym, resolved by ``patient_of`` (a person id there is refused: it would confirm who the
    pseudonym is)."""

    def __init__(self, searcher: tantivy.Searcher, departments: tuple[str, ...] | None = None, persons: tuple[int, ...] | None = None,
                 view: str = "identified", patient_of: Callable[[str], int | None] | None = None):
        self.searcher = searcher
        self.view = view
        self.patient_of = patient_of
        self._values: dict[str, list[str]] = {}
        self.departments = tuple(departments or ())
        self.restriction = []
        if departments:
            self.restriction.append((Occur.Must, Query.term_set_query(SCHEMA, "department", list(departments))))
        if persons:
            self.restriction.append((Occur.Must, Query.term_set_query(SCHEMA, "person_id", [int(p) for p in persons])))

    def documents_query(self, tree: Node) -> Query:
        not_documents = Query.term_set_query(SCHEMA, "source", ["records", "patients"])
        return Query.boolean_query([(Occur.Must, self.to_query(tree)), (Occur.MustNot, not_documents), *self.restriction])

    def to_query(self, node: Node) -> Query:
        if isinstance(node, (Term, Concept)) or (isinstance(node, Filter) and node.field == "code"):
            return leaf_query(node, self.view)
        if isinstance(node, Filter):
            return self.filter_query(node)
        if isinstance(node, Not):
            return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, self.to_query(node.item))])
        if isinstance(node, Or):
            return Query.boolean_query([(Occur.Should, self.to_query(item)) for item in node.items])
        clauses = [(Occur.MustNot, self.to_query(i.item)) if isinstance(i, Not) else (Occur.Must, self.to_query(i)) for i in node.items]
        if all(occur == Occur.MustNot for occur, _ in clauses):
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    def filter_query(self, node: Filter) -> Query:
        value = node.value
        if node.field in ("after", "before"):
            day, field = day_number(first_day(value)), view_field("date", self.view)
            if node.field == "after":
                return Query.range_query(SCHEMA, field, tantivy.FieldType.Integer, lower_bound=day, upper_bound=None)
            return Query.range_query(SCHEMA, field, tantivy.FieldType.Integer, lower_bound=None, upper_bound=day, include_upper=False)
        if node.field == "patient":
            return self.patient_query(value, node.position)
        if node.field == "source":
            return Query.term_query(SCHEMA, "source", value.lower())
        # type: and department: match the stored values whatever the case and accents; a
        # department may be given by the start of its name ("department:cardio").
        values = [v for v in self.values(node.field) if fold(v) == fold(value) or (node.field == "department" and fold(v).startswith(fold(value)))]
        if not values:
            return Query.empty_query()
        return Query.term_set_query(SCHEMA, node.field, values)

    def patient_query(self, value: str, position: int) -> Query:
        if value.isdigit():
            if self.view == "pseudonymised":
                raise QueryError("'patient:' takes a pseudonym (P-...) here, not a person id", position)
            return Query.term_query(SCHEMA, "person_id", int(value))
        person = self.patient_of(value) if self.patient_of else None
        return Query.term_query(SCHEMA, "person_id", person) if person is not None else Query.empty_query()

    def values(self, name: str) -> list[str]:
        if name not in self._values:
            self._values[name] = [term for term, _ in self.searcher.terms_with_prefix(name, "")]
        return self._values[name]


def leaf_query(leaf: Leaf, view: str = "identified") -> Query:
    """A term, phrase, lexicon concept or code, looked for in the fields of its context (in the
    text of ``view``; codes are the same in both views)."""
    context = "affirmed" if isinstance(leaf, Filter) else leaf.context
    contexts = CONTEXTS if context == "any" else (context,)
    found = matches(leaf)
    clauses = []
    for ctx in contexts:
        for lang, phrases in found.phrases.items():
            clauses += _phrase_clauses(text_field(ctx, lang, view), phrases)
        for code in found.codes:
            clauses.append((Occur.Should, Query.term_query(SCHEMA, code_field(ctx), code)))
    if "affirmed" in contexts:  # the lexicon's own forms, where no NLP entity stands for them
        for lang, phrases in found.read.items():
            clauses += _phrase_clauses(text_field(PLAIN, lang, view), phrases)
    return Query.boolean_query(clauses) if clauses else Query.empty_query()


def _phrase_clauses(field: str, phrases) -> list:
    return [(Occur.Should, Query.term_query(SCHEMA, field, p[0]) if len(p) == 1 else Query.phrase_query(SCHEMA, field, list(p))) for p in phrases if p]


def top_filters(tree: Node) -> tuple[list[Filter], Node | None]:
    """The filters ANDed at the top of the query, and the rest of it (None when nothing is left)."""
    items = tree.items if isinstance(tree, And) else (tree,)
    filters = [i for i in items if isinstance(i, Filter) and i.field != "code"]
    rest = [i for i in items if not (isinstance(i, Filter) and i.field != "code")]
    if not rest:
        return filters, None
    return filters, rest[0] if len(rest) == 1 else And(tuple(rest))


def leaves(node: Node | None) -> list:
    """The terms, concepts and filters a query looks for (not those it excludes)."""
    if node is None:
        return []
    if isinstance(node, Not):
        return []  # what a query excludes is neither highlighted nor counted as support
    if isinstance(node, (And, Or)):
        return [leaf for item in node.items for leaf in leaves(item)]
    return [node]
