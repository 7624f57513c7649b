"""Login sessions and login rate limiting, kept with the users in ``DATA/security.sqlite``.

A session is a random token (256 bits) in an HttpOnly, SameSite=Strict cookie, with its own CSRF
token that every state-changing request must echo in the ``X-CSRF-Token`` header, and the purpose
the user stated at login (written with every audit entry). Only the token's SHA-256 is stored: a
copy of ``security.sqlite`` opens no session. Sessions expire after ``LIFETIME`` of inactivity.

Failed logins are limited per (user name, address): after ``MAX_FAILURES`` within ``WINDOW`` that
pair waits ``BACKOFF``, doubled at each further failure (up to ``WINDOW``), so that someone
guessing from one machine cannot lock the real user out from theirs; one address failing for
``MAX_FAILURES * 4`` user names in the window is refused as a whole (a scan).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from clinsearch.statedb import WRITE_LOCK, connect

LIFETIME = dt.timedelta(hours=8)
TOUCH = dt.timedelta(minutes=1)  # how often the last-seen time of a session is written
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES = 5
BACKOFF = dt.timedelta(seconds=30)

SCHEMA = """
CREATE TABLE IF NOT EXISTS app_session (token TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL, purpose TEXT NOT NULL, seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_failure (at TEXT NOT NULL, username TEXT NOT NULL, address TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    csrf: str
    purpose: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Sessions:
    def __init__(self, data: Path):
        self.con = connect(Path(data), SCHEMA)

    def close(self) -> None:
        self.con.close()

    def open(self, username: str, purpose: str) -> Session:
        session = Session(secrets.token_urlsafe(32), username, secrets.token_urlsafe(24), purpose)
        self.con.execute("INSERT INTO app_session VALUES (?, ?, ?, ?, ?)", [token_hash(session.token), username, session.csrf, purpose, _now().isoformat()])
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        key = token_hash(token)
        row = self.con.execute("SELECT username, csrf, purpose, seen FROM app_session WHERE token = ?", [key]).fetchone()
        if row is None:
            return None
        if _now() - dt.datetime.fromisoformat(row[3]) > LIFETIME:
            self.close_session(token)
            return None
        if _now() - dt.datetime.fromisoformat(row[3]) > TOUCH:
            with WRITE_LOCK:
                self.con.execute("UPDATE app_session SET seen = ? WHERE token = ?", [_now().isoformat(), key])
        return Session(token, *row[:3])

    def close_session(self, token: str) -> None:
        self.con.execute("DELETE FROM app_session WHERE token = ?", [token_hash(token)])

    def close_all(self, username: str) -> int:
        """End every session of ``username`` (a revoked account, a stolen laptop); how many ended."""
        return self.con.execute("DELETE FROM app_session WHERE username = ?", [username]).rowcount

    def count(self, username: str) -> int:
        return self.con.execute("SELECT count(*) FROM app_session WHERE username = ?", [username]).fetchone()[0]

    def blocked(self, username: str, address: str) -> bool:
        since = (_now() - WINDOW).isoformat()
        failures = [dt.datetime.fromisoformat(at) for (at,) in self.con.execute(
            "SELECT at FROM login_failure WHERE username = ? AND address = ? AND at > ? ORDER BY at", [username, address, since])]
        names = self.con.execute("SELECT count(DISTINCT username) FROM login_failure WHERE address = ? AND at > ?", [address, since]).fetchone()[0]
        if names >= MAX_FAILURES * 4:
            return True
        if len(failures) < MAX_FAILURES:
            return False
        wait = min(BACKOFF * 2 ** (len(failures) - MAX_FAILURES), WINDOW)
        return _now() - failures[-1] < wait

    def failed(self, username: str, address: str) -> None:
        self.con.execute("INSERT INTO login_failure VALUES (?, ?, ?)", [_now().isoformat(), username, address])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def logged_in(data: Path, token: str | None):
    """(session, principal) of a session token, or (None, None): what every face checks first."""
    from clinsearch.security.users import Users

    sessions, users = Sessions(data), Users(data)
    try:
        found = sessions.get(token)
        principal = users.get(found.username) if found else None
    finally:
        sessions.close()
        users.close()
    return (found, principal) if found and principal else (None, None)
