"""What every page module of the web face shares: the data directory, the logged-in session, and
how a page is rendered (``routes.router`` builds one ``Face``; each ``*_pages`` module adds its
routes with it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from clinsearch.web.i18n import LANGUAGES

LANG = "clinsearch_lang"
PAGE = 20


@dataclass(frozen=True)
class Face:
    data: Path
    current: Callable  # request -> (session or None, principal)
    render: Callable  # (request, template, status=200, **context) -> HTMLResponse
    page: Callable  # (request, template, build=service -> context, **context) -> Response, login required


def lang(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG) or "fr"
    return asked if asked in LANGUAGES else "fr"


async def form(request: Request) -> dict[str, str]:
    """A posted form's text fields (files left out)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def refusal(face: Face, request: Request, fields: dict[str, str]) -> Response | None:
    """None for a form posted from a logged-in session with that session's CSRF token; else the
    answer: to the login page, or 403."""
    found, _ = face.current(request)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    if not secrets.compare_digest(found.csrf, fields.get("csrf_token", "")):
        return Response("missing or wrong CSRF token", status_code=403)
    return None
