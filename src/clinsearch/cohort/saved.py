"""Saved cohorts: a name, its definition, its owner, its versions, kept in the data directory
(``security.sqlite``, beside the users who write them) so that a cohort can be re-run as the
warehouse grows.

* The user who first saves a name **owns** it: only they may save a new version under that name
  (anyone else is refused and saves under another name).
* Each save is a new **version**; the earlier ones stay readable (``versions``).
* A cohort is private to its owner unless **shared**: a definition may hold text that names
  someone (a query on a name), and what one user wrote is not for every other user to read.

>>> import tempfile, pathlib
>>> saved = SavedCohorts(pathlib.Path(tempfile.mkdtemp()))
>>> first = saved.save({"name": "EP", "inclusion": [{"type": "text", "query": "EP"}]}, "remi")
>>> second = saved.save({"name": "EP", "inclusion": [{"type": "text", "query": "embolie"}]}, "remi")
>>> second["id"] == first["id"], second["version"], saved.get("EP", "remi")["definition"]["inclusion"][0]["query"]
(True, 2, 'embolie')
>>> saved.get("EP", "alice") is None  # private to remi
True
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from clinsearch.cohort.definition import read
from clinsearch.statedb import WRITE_LOCK, connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_cohort (
    cohort_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS saved_cohort_version (
    cohort_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    author TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (cohort_id, version)
);
"""
COLUMNS = "cohort_id, name, definition, author, created_at, updated_at, shared, version"


class CohortOwned(Exception):
    """A name saved by another user: it is theirs."""


class SavedCohorts:
    def __init__(self, data: Path):
        self.con = connect(Path(data), SCHEMA)
        have = {row[1] for row in self.con.execute("PRAGMA table_info(saved_cohort)")}
        if "shared" not in have:  # a warehouse made before owners and versions
            with WRITE_LOCK:
                for column in ("shared INTEGER NOT NULL DEFAULT 0", "version INTEGER NOT NULL DEFAULT 1"):
                    if column.split()[0] not in {row[1] for row in self.con.execute("PRAGMA table_info(saved_cohort)")}:
                        self.con.execute(f"ALTER TABLE saved_cohort ADD COLUMN {column}")

    def close(self) -> None:
        self.con.close()

    def save(self, definition: dict, author: str, *, shared: bool | None = None) -> dict:
        """Check ``definition`` (DefinitionError when it cannot run) and save it under its name,
        as a new version when ``author`` already owns that name (``shared`` None: as it was)."""
        read(definition)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        text = json.dumps(definition, ensure_ascii=False, sort_keys=True)
        with WRITE_LOCK:
            self.con.execute("BEGIN IMMEDIATE")
            try:
                row = self.con.execute("SELECT cohort_id, author, version, shared FROM saved_cohort WHERE name = ?", (definition["name"],)).fetchone()
                if row is None:
                    cursor = self.con.execute(
                        "INSERT INTO saved_cohort (name, definition, author, created_at, updated_at, shared, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
                        (definition["name"], text, author, now, now, int(bool(shared))))
                    cohort_id, version = cursor.lastrowid, 1
                else:
                    cohort_id, owner, version, was_shared = row
                    if owner != author:
                        raise CohortOwned(f"the cohort {definition['name']!r} belongs to {owner}: save yours under another name")
                    version += 1
                    self.con.execute("UPDATE saved_cohort SET definition = ?, updated_at = ?, version = ?, shared = ? WHERE cohort_id = ?",
                                     (text, now, version, int(was_shared if shared is None else shared), cohort_id))
                self.con.execute("INSERT INTO saved_cohort_version VALUES (?, ?, ?, ?, ?)", (cohort_id, version, text, author, now))
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        return self.get(definition["name"], author)

    def get(self, key: str | int, reader: str | None = None) -> dict | None:
        """The cohort named or numbered ``key``, if ``reader`` may read it (their own, or shared;
        ``reader`` None: whoever)."""
        column = "cohort_id" if isinstance(key, int) or str(key).isdigit() else "name"
        row = self.con.execute(f"SELECT {COLUMNS} FROM saved_cohort WHERE {column} = ?", (key,)).fetchone()
        if row is None or not _readable(row, reader):
            return None
        return _as_dict(row)

    def list(self, reader: str | None = None) -> list[dict]:
        rows = self.con.execute(f"SELECT {COLUMNS} FROM saved_cohort ORDER BY name").fetchall()
        return [_as_dict(r) for r in rows if _readable(r, reader)]

    def versions(self, key: str | int, reader: str | None = None) -> list[dict]:
        """Every version of a cohort, the first first."""
        found = self.get(key, reader)
        if found is None:
            return []
        rows = self.con.execute("SELECT version, definition, author, saved_at FROM saved_cohort_version WHERE cohort_id = ? ORDER BY version",
                                (found["id"],)).fetchall()
        return [{"version": v, "definition": json.loads(d), "author": a, "saved_at": at} for v, d, a, at in rows]

    def delete(self, key: str | int, reader: str | None = None) -> bool:
        found = self.get(key, reader)
        if found is None or (reader is not None and found["author"] != reader):
            return False
        with WRITE_LOCK:
            self.con.execute("DELETE FROM saved_cohort WHERE cohort_id = ?", (found["id"],))
            self.con.execute("DELETE FROM saved_cohort_version WHERE cohort_id = ?", (found["id"],))
        return True


def _readable(row: tuple, reader: str | None) -> bool:
    return reader is None or row[3] == reader or bool(row[6])


def _as_dict(row: tuple) -> dict:
    cohort_id, name, definition, author, created, updated, shared, version = row
    return {"id": cohort_id, "name": name, "definition": json.loads(definition), "author": author, "created_at": created, "updated_at": updated,
            "shared": bool(shared), "version": version}
