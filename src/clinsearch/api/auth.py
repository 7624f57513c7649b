"""The API's login check, shared by every module of routes: the session cookie, the CSRF header
of a state change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from clinsearch.services import sessions
from clinsearch.services.sessions import Principal, Session

COOKIE = "clinsearch_session"


def session(request: Request) -> tuple[Session, Principal]:
    """The logged-in session and its principal (401 without one; 403 on a state change without
    the session's CSRF token)."""
    found, principal = sessions.current(request.app.state.data, request.cookies.get(COOKIE))
    if found is None:
        raise HTTPException(401, "not logged in")
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.headers.get("x-csrf-token") != found.csrf:
        raise HTTPException(403, "missing or wrong X-CSRF-Token")
    return found, principal


Auth = Annotated[tuple[Session, Principal], Depends(session)]
