"""Local users: argon2id password hashes, a role, and optional restrictions.

Roles (``ROLES``): ``clinician`` reads identified data, restricted to departments and/or patients
when the account says so; ``researcher`` reads pseudonymised data only, small counts blurred;
``admin`` manages users and reads the audit log (no patient data). Users live in
``DATA/security.sqlite`` with the audit log. ``clinsearch user add`` creates them.

>>> import tempfile, pathlib
>>> users = Users(pathlib.Path(tempfile.mkdtemp()))
>>> _ = users.add("alice", "correct horse battery", "clinician", departments=["Cardiologie"])
>>> users.authenticate("alice", "correct horse battery").departments
('Cardiologie',)
>>> users.authenticate("alice", "wrong") is None
True
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clinsearch.statedb import connect

ROLES = ("clinician", "researcher", "admin")
MIN_PASSWORD = 10  # characters
USERNAME = re.compile(r"^[A-Za-z0-9._-]{2,64}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS app_user (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    departments TEXT NOT NULL,
    patients TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
"""
_HASHER = PasswordHasher()  # argon2id, the library's (RFC 9106) defaults


class UserError(ValueError):
    """A user that cannot be created as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: what every service function checks."""

    username: str
    role: str
    departments: tuple[str, ...] = ()  # empty: all
    patients: tuple[int, ...] = ()  # empty: all

    @property
    def identified(self) -> bool:
        """May read identified data (names, raw note text)."""
        return self.role == "clinician"

    @property
    def restricted(self) -> bool:
        return bool(self.departments or self.patients)


class Users:
    def __init__(self, data: Path):
        self.con = connect(Path(data), SCHEMA)

    def close(self) -> None:
        self.con.close()

    def add(self, username: str, password: str, role: str, departments: list[str] = (), patients: list[int] = ()) -> Principal:
        if not USERNAME.match(username or ""):
            raise UserError(f"user name {username!r}: 2 to 64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if len(password or "") < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        if role != "clinician" and (departments or patients):
            raise UserError("only clinicians are restricted to departments or patients")
        if self.con.execute("SELECT 1 FROM app_user WHERE username = ?", [username]).fetchone():
            raise UserError(f"user {username!r} already exists")
        self.con.execute(
            "INSERT INTO app_user VALUES (?, ?, ?, ?, ?, ?, 0)",
            [username, _HASHER.hash(password), role, json.dumps(list(departments)), json.dumps([int(p) for p in patients]), dt.datetime.now(dt.timezone.utc).isoformat()],
        )
        return Principal(username, role, tuple(departments), tuple(int(p) for p in patients))

    def get(self, username: str) -> Principal | None:
        row = self.con.execute("SELECT username, role, departments, patients FROM app_user WHERE username = ? AND disabled = 0", [username]).fetchone()
        if row is None:
            return None
        return Principal(row[0], row[1], tuple(json.loads(row[2])), tuple(json.loads(row[3])))

    def authenticate(self, username: str, password: str) -> Principal | None:
        row = self.con.execute("SELECT password_hash FROM app_user WHERE username = ? AND disabled = 0", [username]).fetchone()
        if row is None:
            _HASHER.hash(password or "x")  # same work whether the user exists or not
            return None
        try:
            _HASHER.verify(row[0], password or "")
        except (VerificationError, InvalidHashError):
            return None
        return self.get(username)

    def list(self) -> list[dict]:
        rows = self.con.execute("SELECT username, role, departments, patients, created_at, disabled FROM app_user ORDER BY username").fetchall()
        return [{"username": r[0], "role": r[1], "departments": json.loads(r[2]), "patients": json.loads(r[3]), "created_at": r[4], "disabled": bool(r[5])} for r in rows]

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (no login, no session) or enable an account; its history stays in the audit log."""
        self._existing(username)
        self.con.execute("UPDATE app_user SET disabled = ? WHERE username = ?", [int(disabled), username])

    def set_password(self, username: str, password: str) -> None:
        self._existing(username)
        if len(password or "") < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        self.con.execute("UPDATE app_user SET password_hash = ? WHERE username = ?", [_HASHER.hash(password), username])

    def remove(self, username: str) -> None:
        """Remove an account (its audit entries stay: the log is append-only)."""
        self._existing(username)
        self.con.execute("DELETE FROM app_user WHERE username = ?", [username])

    def _existing(self, username: str) -> None:
        if not self.con.execute("SELECT 1 FROM app_user WHERE username = ?", [username]).fetchone():
            raise UserError(f"no user {username!r}")
