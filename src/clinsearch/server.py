"""The server: the REST API (``clinsearch.api``) and the web pages (``clinsearch.web``) on one
ASGI app, what ``clinsearch serve`` runs. The two faces know nothing of each other; this module
puts them side by side."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clinsearch.api.app import create_api
from clinsearch.web.routes import router


def create_app(data: Path) -> FastAPI:
    app = create_api(data)
    app.include_router(router(Path(data)))
    app.mount("/static", StaticFiles(packages=[("clinsearch.web", "static")]), name="static")
    return app
