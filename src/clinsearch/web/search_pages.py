"""The search page and the opened note.

The page works without JavaScript: facets, chips, sort and paging are links carrying the whole
state in the URL (``q``, ``patients``, ``sort``); a result opens its note at ``#first-hit``, a
citation at ``#cited`` (``static/search.js`` only scrolls there when the fragment is missing)."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clinsearch.services import search as search_service
from clinsearch.services.errors import QueryError
from clinsearch.web.face import PAGE, Face, lang
from clinsearch.web.words_search import EXAMPLES


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/search")
    def search(request: Request, q: str = "", patients: int = 0, offset: int = 0, sort: str = "relevance") -> Response:
        sort = sort if sort in search_service.SORTS else "relevance"
        state = {"q": q, "patients": 1 if patients else 0, "sort": sort}

        def build(service):
            if not q.strip():
                return {"result": None, "error": None, "examples": [{**e, "url": _url(e["query"])} for e in EXAMPLES[lang(request)]]}
            try:
                result = search_service.search(service, q, patients=bool(patients), limit=PAGE, offset=max(0, min(offset, 10_000)), sort=sort)
            except QueryError as exc:
                return {"result": None, "error": str(exc)}
            for document in result["documents"]:
                for snippet in document["snippets"]:
                    snippet["html"] = _marked(snippet["text"], snippet["highlights"])
            for row in result.get("patients") or []:
                if row.get("snippet"):
                    row["snippet"]["html"] = _marked(row["snippet"]["text"], row["snippet"]["highlights"])
            total = result["total"] if isinstance(result["total"], int) else 0
            if patients and isinstance(result.get("patients_total"), int):
                total = max(total, result["patients_total"])  # the pages of patients may outlast those of documents
            return {"result": result, "error": None, **_links(state, offset, total), "facets": _facets(state, result["facets"]),
                    "chips": [{**chip, "url": _url(chip["without"], state)} for chip in search_service.active_filters(q)],
                    "suggestion_url": _url(result["suggestions"][0], state) if result["suggestions"] else None}

        return face.page(request, "search.html", q=q, patients=bool(patients), sort=sort, build=build)

    @routes.get("/notes/{note_id}")
    def note(request: Request, note_id: int, q: str = "", cite: str = "") -> Response:
        def build(service):
            found = search_service.note(service, note_id, q[:1000], cite[:40])
            marks = [{"start": s, "end": e, "class": f"term ctx-{c}"} for s, e, c in found["marks"]]
            return {"note": found, "html": _annotated(found["text"] or "", found["annotations"], marks, found["cite"]), "q": q,
                    "back_url": _url(q) if q.strip() else None}

        return face.page(request, "note.html", build=build)


def _url(query: str, state: dict | None = None, **changes) -> str:
    """The search page of ``query`` keeping the level and the sort (the first page); an empty
    query is the page of examples."""
    params = {**(state or {}), "q": query, **changes}
    params = {k: v for k, v in params.items() if v not in (0, "", None, "relevance") or k == "q"}
    return "/search?" + urlencode(params) if query.strip() else "/search"


def _links(state: dict, offset: int, total: int) -> dict:
    """Paging and sorting links: paging keeps the sort, sorting starts again at the first page."""
    return {"prev_url": _url(state["q"], state, offset=max(0, offset - PAGE)) if offset > 0 else None,
            "next_url": _url(state["q"], state, offset=offset + PAGE) if offset + PAGE < total else None,
            "sort_urls": {s: _url(state["q"], state, sort=s) for s in search_service.SORTS}}


def _facets(state: dict, facets: dict) -> dict[str, list[dict]]:
    return {name: [{**v, "url": _url(v["query"], state)} for v in values] for name, values in search_service.facet_links(state["q"], facets).items() if values}


def _marked(text: str, highlights: list) -> str:
    parts, at = [], 0
    for start, end in sorted(highlights):
        if start < at:
            continue
        parts.append(html.escape(text[at:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>")
        at = end
    return "".join(parts) + html.escape(text[at:])


def _annotated(text: str, annotations: list[dict], hits: list[dict] = (), cite: tuple[int, int] | None = None) -> str:
    """The note with the query's matches marked (``hits``, the first with ``id="first-hit"``),
    each other NLP entity marked in the colour of its context (title: label and code), and the
    cited passage wrapped in ``<mark class="cited" id="cited">`` around them."""
    spans, at = [], 0
    for hit in sorted(hits, key=lambda h: (h["start"], -h["end"])):
        if hit["start"] >= at and hit["end"] <= len(text):
            spans.append({**hit, "id": "first-hit" if not spans else None})
            at = hit["end"]
    for a in sorted((a for a in annotations if a["label"] != "context"), key=lambda a: (a["start"], -a["end"])):
        if a["end"] > len(text):
            continue
        title = " ".join(str(x) for x in (a["label"], a.get("vocabulary") or "", a.get("code") or "", a["context"]) if x)
        overlapping = [s for s in spans if s["start"] < a["end"] and a["start"] < s["end"]]
        if overlapping:  # a query term's mark wins; it keeps the entity's label as its title
            for span in overlapping:
                span.setdefault("title", title)
            continue
        spans.append({"start": a["start"], "end": a["end"], "class": f"ctx-{a['context']}", "title": title})
    return _render(text, sorted(spans, key=lambda s: s["start"]), cite)


def _render(text: str, spans: list[dict], cite: tuple[int, int] | None) -> str:
    """The text with the non-overlapping ``spans`` as marks, and the cited passage around them: a
    mark crossing the passage's edge is closed there and opened again, so that marks nest."""
    edges = set(cite or ())
    cuts = sorted({0, len(text), *edges, *(s["start"] for s in spans), *(s["end"] for s in spans)})
    starts = {s["start"]: s for s in spans}
    out, span, current = [], None, None  # current: the span whose mark is open
    for a, b in zip(cuts, cuts[1:]):
        span = starts.get(a, span if span and a < span["end"] else None)
        if current is not None and (span is not current or a in edges):
            out.append("</mark>")
            current = None
        if cite and a == cite[1]:
            out.append("</mark>")
        if cite and a == cite[0]:
            out.append('<mark class="cited" id="cited">')
        if span is not None and current is None:
            title = f' title="{html.escape(span["title"])}"' if span.get("title") else ""
            ident = f' id="{span["id"]}"' if span.get("id") and a == span["start"] else ""
            out.append(f'<mark class="{html.escape(span["class"])}"{title}{ident}>')
            current = span
        out.append(html.escape(text[a:b]))
    if current is not None:
        out.append("</mark>")
    if cite and cite[1] == len(text):
        out.append("</mark>")
    return "".join(out)
