"""The administrator's pages: the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clinsearch.services import admin
from clinsearch.web.face import Face


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/audit")
    def audit_page(request: Request) -> Response:
        return face.page(request, "audit.html", build=lambda service: admin.audit_page(service))
