"""Logging in and out, written once for every face: the rate limit on failed logins, the
password check, the session opened with the purpose the user states."""

from __future__ import annotations

from pathlib import Path

from clinsearch.security.sessions import Session, Sessions, logged_in
from clinsearch.security.users import Principal, Users

__all__ = ["LoginRefused", "Principal", "Session", "current", "login", "logout"]


class LoginRefused(Exception):
    """A login that does not open a session: ``status`` 401 (wrong name or password) or 429
    (too many failed attempts)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def login(data: Path, username: str, password: str, purpose: str, address: str) -> tuple[Session, Principal]:
    sessions, users = Sessions(data), Users(data)
    try:
        if sessions.blocked(username, address):
            raise LoginRefused(429, "too many failed logins for this user from this address; try again in a few minutes")
        principal = users.authenticate(username, password)
        if principal is None:
            sessions.failed(username, address)
            raise LoginRefused(401, "wrong user name or password")
        return sessions.open(principal.username, purpose), principal
    finally:
        sessions.close()
        users.close()


def logout(data: Path, token: str) -> None:
    sessions = Sessions(data)
    try:
        sessions.close_session(token)
    finally:
        sessions.close()


def current(data: Path, token: str | None) -> tuple[Session | None, Principal | None]:
    """(session, principal) of a session token, or (None, None): what every face checks first."""
    return logged_in(data, token)
