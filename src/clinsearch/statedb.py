"""The data directory's own small database, ``DATA/security.sqlite``: users, sessions, the audit
log and saved cohorts. SQLite, so that several server processes may write at once (each write is
one transaction under SQLite's write lock); WAL journal, so that readers never wait for a writer.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from clinsearch.config import private_dir

_READY: set[tuple[Path, str]] = set()  # (database, schema) already created in this process
# One writer at a time in this process: SQLite's own lock makes waiting threads sleep in steps of
# up to 100 ms, which a server under load feels as a long tail of slow requests.
WRITE_LOCK = threading.Lock()


def connect(data: Path, schema: str | None = None) -> sqlite3.Connection:
    """A connection to ``DATA/security.sqlite`` (autocommit; callers open their transactions),
    with ``schema`` (``CREATE TABLE IF NOT EXISTS ...``) created once per process."""
    path = private_dir(data) / "security.sqlite"
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    if schema and (path, schema) not in _READY:
        with WRITE_LOCK:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(schema)
        _READY.add((path, schema))
    return con
