"""The search page and the opened note."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clinsearch.services import patients
from clinsearch.services import search as search_service
from clinsearch.services.errors import QueryError
from clinsearch.web.face import PAGE, Face


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/search")
    def search(request: Request, q: str = "", patients: int = 0, offset: int = 0) -> Response:
        def build(service):
            if not q.strip():
                return {"result": None, "error": None}
            try:
                result = search_service.search(service, q, patients=bool(patients), limit=PAGE, offset=max(0, min(offset, 10_000)))
            except QueryError as exc:
                return {"result": None, "error": str(exc)}
            for document in result["documents"]:
                for snippet in document["snippets"]:
                    snippet["html"] = _marked(snippet["text"], snippet["highlights"])
            total = result["total"] if isinstance(result["total"], int) else 0
            base = {"q": q, "patients": patients}
            prev_url = f"/search?{urlencode({**base, 'offset': max(0, offset - PAGE)})}" if offset > 0 else None
            next_url = f"/search?{urlencode({**base, 'offset': offset + PAGE})}" if offset + PAGE < total else None
            return {"result": result, "error": None, "prev_url": prev_url, "next_url": next_url}

        return face.page(request, "search.html", q=q, patients=bool(patients), build=build)

    @routes.get("/notes/{note_id}")
    def note(request: Request, note_id: int) -> Response:
        def build(service):
            found = patients.note(service, note_id)
            return {"note": found, "html": _annotated(found["text"] or "", found["annotations"])}

        return face.page(request, "note.html", build=build)


def _marked(text: str, highlights: list) -> str:
    parts, at = [], 0
    for start, end in sorted(highlights):
        if start < at:
            continue
        parts.append(html.escape(text[at:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>")
        at = end
    return "".join(parts) + html.escape(text[at:])


def _annotated(text: str, annotations: list[dict]) -> str:
    """The note with each entity marked in the colour of its context (title: label and code)."""
    parts, at = [], 0
    for a in sorted((a for a in annotations if a["label"] != "context"), key=lambda a: (a["start"], -a["end"])):
        if a["start"] < at or a["end"] > len(text):
            continue
        title = " ".join(str(x) for x in (a["label"], a.get("vocabulary") or "", a.get("code") or "", a["context"]) if x)
        parts.append(html.escape(text[at: a["start"]]))
        parts.append(f'<mark class="ctx-{html.escape(a["context"])}" title="{html.escape(title)}">{html.escape(text[a["start"]: a["end"]])}</mark>')
        at = a["end"]
    return "".join(parts) + html.escape(text[at:])
