"""The administrator's pages: the audit log, filtered (user, patient by pseudonym, action, days),
paged, exported as CSV; and where each role lands after login."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from clinsearch.services import access, admin
from clinsearch.services.errors import QueryError
from clinsearch.web.face import Face

FILTERS = ("user", "patient", "action", "since", "until")
PAGE = 50


def landing(principal) -> str:
    """Where a user lands after login: administrators read no patient data, so the audit log;
    everyone else, the search."""
    return "/audit" if principal.role == "admin" else "/search"


def filters_of(request: Request) -> dict:
    """The audit filters of the query string (each cut to a sane length; empty ones dropped)."""
    return {k: request.query_params.get(k, "").strip()[:64] for k in FILTERS if request.query_params.get(k, "").strip()}


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/audit")
    def audit_page(request: Request, page: int = 1) -> Response:
        filters = filters_of(request)
        page = max(1, min(page, 100_000))

        def build(service):
            try:
                found = admin.audit_page(service, PAGE, (page - 1) * PAGE, **filters)
            except QueryError as exc:
                found = {**admin.audit_page(service, PAGE, 0), "error": str(exc)}
            return {"error": None, **found, "filters": filters, "page": page, "pages": max(1, -(-found["total"] // PAGE)),
                    "query_of": lambda **extra: urlencode({**filters, **extra}),
                    "csv_query": urlencode(filters)}

        return face.page(request, "audit.html", build=build)

    @routes.get("/audit.csv")
    def audit_csv(request: Request) -> Response:
        found, principal = face.current(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        service = access.Request(face.data, principal, found.purpose)
        try:
            content = admin.audit_csv(service, **filters_of(request))
        except access.AccessDenied as exc:
            return Response(str(exc), status_code=403, media_type="text/plain; charset=utf-8")
        except QueryError as exc:
            return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
        return Response(content, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
