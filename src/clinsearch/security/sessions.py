"""Login sessions and login rate limiting, kept with the users in ``DATA/security.sqlite``.

A session is a random token (256 bits) in an HttpOnly, SameSite=Strict cookie, with its own CSRF
token that every state-changing request must echo in the ``X-CSRF-Token`` header, and the purpose
the user stated at login (written with every audit entry). Sessions expire after ``LIFETIME`` of
inactivity. After ``MAX_FAILURES`` failed logins for one user name or one address within
``WINDOW``, further attempts are refused until the window has passed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from clinsearch.statedb import WRITE_LOCK, connect

LIFETIME = dt.timedelta(hours=8)
TOUCH = dt.timedelta(minutes=1)  # how often the last-seen time of a session is written
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES = 5

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
        self.con.execute("INSERT INTO app_session VALUES (?, ?, ?, ?, ?)", [session.token, username, session.csrf, purpose, _now().isoformat()])
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        row = self.con.execute("SELECT token, username, csrf, purpose, seen FROM app_session WHERE token = ?", [token]).fetchone()
        if row is None:
            return None
        if _now() - dt.datetime.fromisoformat(row[4]) > LIFETIME:
            self.close_session(token)
            return None
        if _now() - dt.datetime.fromisoformat(row[4]) > TOUCH:
            with WRITE_LOCK:
                self.con.execute("UPDATE app_session SET seen = ? WHERE token = ?", [_now().isoformat(), token])
        return Session(*row[:4])

    def close_session(self, token: str) -> None:
        self.con.execute("DELETE FROM app_session WHERE token = ?", [token])

    def blocked(self, username: str, address: str) -> bool:
        since = (_now() - WINDOW).isoformat()
        by_user = self.con.execute("SELECT count(*) FROM login_failure WHERE username = ? AND at > ?", [username, since]).fetchone()[0]
        by_address = self.con.execute("SELECT count(*) FROM login_failure WHERE address = ? AND at > ?", [address, since]).fetchone()[0]
        return by_user >= MAX_FAILURES or by_address >= MAX_FAILURES * 4

    def failed(self, username: str, address: str) -> None:
        self.con.execute("INSERT INTO login_failure VALUES (?, ?, ?)", [_now().isoformat(), username, address])


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
