"""Refining a query from its result: a facet value as the operator that filters on it, and the
filters a query already has, each with the query without it (the search page's facet links
and removable chips). The query stays the one text the user can read and edit: a facet adds
``type:CRH`` to it, a chip cuts that filter out of it, nothing is kept beside it.

>>> refined("EP", "year", "2020")
'EP after:2020 before:2021'
>>> [f["without"] for f in active_filters('EP department:"Médecine interne"')]
['EP']
"""

from __future__ import annotations

import re

from clinsearch.search.query import And, Filter, Not, QueryError, parse

FACET_FIELDS = ("source", "type", "year", "department")
_FILTER_TEXT = re.compile(r'[A-Za-z_]+:(?:\s*"[^"]*"|[^\s()"]+)')


def facet_filter(name: str, value: str) -> str:
    """The operator that keeps the documents of one facet value: ``type:CRH``, a year as
    ``after:2020 before:2021`` (``before`` excludes the year given), a value with spaces quoted."""
    if name not in FACET_FIELDS:
        raise QueryError(f"no facet '{name}' (known: {', '.join(FACET_FIELDS)})")
    if name == "year":
        year = int(value)
        return f"after:{year} before:{year + 1}"
    value = value.replace('"', " ").strip()
    return f"{name}:{value}" if re.fullmatch(r'[^\s()"]+', value) else f'{name}:"{value}"'


def refined(query: str, name: str, value: str) -> str:
    """``query`` with the filter of one facet value added (kept as written otherwise). A query
    with ``OR`` at its top is put in parentheses first, so that the filter applies to all of it."""
    query = query.strip()
    try:
        if " OR " in query and not isinstance(parse(query), And):
            query = f"({query})"
    except QueryError:
        pass
    return f"{query} {facet_filter(name, value)}".strip()


def active_filters(query: str) -> list[dict]:
    """The filters at the top of ``query`` (those that narrow the whole result), each as
    ``{"field", "value", "negated", "text", "without"}``: ``text`` as written in the query,
    ``without`` the query once that filter is cut out (empty when nothing is left). A query that
    cannot be read has none."""
    try:
        tree = parse(query)
    except QueryError:
        return []
    items = tree.items if isinstance(tree, And) else (tree,)
    found = []
    for item in items:
        negated = isinstance(item, Not) and isinstance(item.item, Filter)
        leaf = item.item if negated else item
        if not isinstance(leaf, Filter):
            continue
        span = _span(query, leaf.position - 1, negated)
        if span is None:
            continue
        start, end = span
        without = " ".join((query[:start] + " " + query[end:]).split())
        found.append({"field": leaf.field, "value": leaf.value, "negated": negated, "text": query[start:end].strip(), "without": without})
    return found


def facet_active(filters: list[dict], name: str, value: str) -> bool:
    """Whether the facet value's filter is among the query's filters already."""
    positive = {(f["field"], f["value"].casefold()) for f in filters if not f["negated"]}
    if name == "year":
        return {("after", value), ("before", str(int(value) + 1))} <= positive
    return (name, value.casefold()) in positive


def _span(query: str, at: int, negated: bool) -> tuple[int, int] | None:
    """Where the filter written from ``at`` (0-based) lies in ``query``, with its minus sign."""
    match = _FILTER_TEXT.match(query, at)
    if match is None:
        return None
    start = at
    if negated:
        before = query[:at].rstrip()
        if not before.endswith("-"):
            return None
        start = len(before) - 1
    return start, match.end()
