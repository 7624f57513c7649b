"""Saved cohorts: a name, its definition, its author and dates, kept in the data directory
(``security.sqlite``, beside the users who write them) so that a cohort can be re-run as the
warehouse grows. Saving a name again replaces its definition and keeps its id.

>>> import tempfile, pathlib
>>> saved = SavedCohorts(pathlib.Path(tempfile.mkdtemp()))
>>> first = saved.save({"name": "EP", "inclusion": [{"type": "text", "query": "EP"}]}, "remi")
>>> saved.save({"name": "EP", "inclusion": [{"type": "text", "query": "embolie"}]}, "remi")["id"] == first["id"]
True
>>> saved.get("EP")["definition"]["inclusion"][0]["query"]
'embolie'
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
"""


class SavedCohorts:
    def __init__(self, data: Path):
        self.con = connect(Path(data), SCHEMA)

    def close(self) -> None:
        self.con.close()

    def save(self, definition: dict, author: str) -> dict:
        """Check ``definition`` (DefinitionError when it cannot run) and save it under its name."""
        read(definition)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        text = json.dumps(definition, ensure_ascii=False, sort_keys=True)
        with WRITE_LOCK:
            self.con.execute(
                "INSERT INTO saved_cohort (name, definition, author, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, author = excluded.author, updated_at = excluded.updated_at",
                (definition["name"], text, author, now, now))
        return self.get(definition["name"])

    def get(self, key: str | int) -> dict | None:
        column = "cohort_id" if isinstance(key, int) or str(key).isdigit() else "name"
        row = self.con.execute(f"SELECT cohort_id, name, definition, author, created_at, updated_at FROM saved_cohort WHERE {column} = ?", (key,)).fetchone()
        return _as_dict(row) if row else None

    def list(self) -> list[dict]:
        rows = self.con.execute("SELECT cohort_id, name, definition, author, created_at, updated_at FROM saved_cohort ORDER BY name").fetchall()
        return [_as_dict(r) for r in rows]

    def delete(self, key: str | int) -> bool:
        found = self.get(key)
        if found is None:
            return False
        with WRITE_LOCK:
            self.con.execute("DELETE FROM saved_cohort WHERE cohort_id = ?", (found["id"],))
        return True


def _as_dict(row: tuple) -> dict:
    cohort_id, name, definition, author, created, updated = row
    return {"id": cohort_id, "name": name, "definition": json.loads(definition), "author": author, "created_at": created, "updated_at": updated}
