"""What every page module of the web face shares: the data directory, the logged-in session, and
how a page is rendered (``routes.router`` builds one ``Face``; each ``*_pages`` module adds its
routes with it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fastapi import Request

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
