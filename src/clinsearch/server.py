"""The server: the REST API (``clinsearch.api``) and the web pages (``clinsearch.web``) on one
ASGI app, what ``clinsearch serve`` runs. The two faces know nothing of each other; this module
puts them side by side."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from clinsearch.api.app import create_api
from clinsearch.web.routes import router


def create_app(data: Path, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The app; ``allowed_hosts`` (``config.allowed_hosts``, what ``serve`` passes): a request
    naming another host in its ``Host`` header is answered 400."""
    app = create_api(data)
    app.include_router(router(Path(data)))
    app.mount("/static", StaticFiles(packages=[("clinsearch.web", "static")]), name="static")
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    return app
