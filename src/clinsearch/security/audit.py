"""The audit log: every access to patient data, append-only and hash-chained.

Each entry records who (user and role), what (action and target), when (UTC) and why (the
purpose the user stated), and the hash of the previous entry; its own hash covers all of that
(SHA-256 over canonical JSON). Editing an entry breaks its hash; deleting one breaks the next
entry's link; deleting the last ones is caught by the head file (``audit.head``: the number of
entries and the last hash, signed with the warehouse's secret key). ``verify`` walks the chain.

The log lives in ``DATA/security.sqlite`` (SQLite: several server processes may append at once;
each append is one transaction under SQLite's write lock).

>>> import tempfile, pathlib
>>> data = pathlib.Path(tempfile.mkdtemp())
>>> log = AuditLog(data)
>>> _ = log.append("alice", "clinician", "search", "EP", purpose="soins")
>>> log.verify().ok
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from clinsearch.config import secret_key
from clinsearch.statedb import WRITE_LOCK, connect

GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    purpose TEXT NOT NULL,
    details TEXT NOT NULL,
    previous TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_session (
    username TEXT NOT NULL,
    session TEXT NOT NULL,
    entry INTEGER NOT NULL,
    started TEXT NOT NULL,
    PRIMARY KEY (username, session)
);
CREATE TABLE IF NOT EXISTS audit_folded (
    entry INTEGER NOT NULL,
    at TEXT NOT NULL
);
"""
SESSION_HOURS = 1  # a session of live counts older than this starts a new entry
FIELDS = ("id", "at", "username", "role", "action", "target", "purpose", "details", "previous")


ANCHOR = "CLINSEARCH_AUDIT_ANCHOR"


@dataclass(frozen=True)
class Filter:
    """Which entries to read, as SQL (the filters of the audit page and its CSV export).

    ``since`` / ``until``: days (``YYYY-MM-DD``, UTC), both included. ``subjects``: pairs
    (action, target pattern) of which one must match, the pattern a SQL ``LIKE`` pattern whose
    ``\\`` escapes (``like_escape``) -- how a patient is found among targets that name them in
    several ways, without the log knowing what a patient is. ``None`` keeps every entry, ``()``
    none (a patient the warehouse does not know)."""

    user: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None
    subjects: tuple[tuple[str, str], ...] | None = None

    def sql(self) -> tuple[str, list]:
        parts, values = [], []
        if self.user:
            parts.append("username = ?")
            values.append(self.user)
        if self.action:
            parts.append("action = ?")
            values.append(self.action)
        if self.since:
            parts.append("at >= ?")
            values.append(_day(self.since).isoformat())
        if self.until:
            parts.append("at < ?")
            values.append((_day(self.until) + dt.timedelta(days=1)).isoformat())
        if self.subjects is not None:
            parts.append("(" + (" OR ".join("(action = ? AND target LIKE ? ESCAPE '\\')" for _ in self.subjects) or "1 = 0") + ")")
            for action, pattern in self.subjects:
                values += [action, pattern]
        return (" WHERE " + " AND ".join(parts) if parts else ""), values


def like_escape(text: str) -> str:
    """``text`` as a literal inside a ``LIKE`` pattern (``Filter.subjects``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day(text: str) -> dt.date:
    """A day of a filter; ``ValueError`` for anything else."""
    return dt.date.fromisoformat(str(text)[:10])


@dataclass
class Verification:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)
    anchored: bool = False  # checked against an anchor outside the data directory


def entry_hash(entry: dict) -> str:
    canonical = json.dumps({k: entry[k] for k in FIELDS}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditLog:
    def __init__(self, data: Path, anchor: Path | None = None):
        self.data = Path(data)
        self.con = connect(self.data, SCHEMA)
        configured = anchor or os.environ.get(ANCHOR)
        self.anchor = Path(configured) if configured else None

    def close(self) -> None:
        self.con.close()

    def append(self, username: str, role: str, action: str, target: str, purpose: str = "", details: dict | None = None) -> dict:
        """Write one entry (in a transaction holding SQLite's write lock) and return it."""
        with WRITE_LOCK:
            return self._append(username, role, action, target, purpose, details)

    def _append(self, username: str, role: str, action: str, target: str, purpose: str, details: dict | None) -> dict:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            last = self.con.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            entry = {
                "id": (last[0] + 1) if last else 1,
                "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
                "username": username, "role": role, "action": action, "target": str(target), "purpose": purpose or "",
                "details": json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
                "previous": last[1] if last else GENESIS,
            }
            entry["hash"] = entry_hash(entry)
            self.con.execute(f"INSERT INTO audit ({', '.join(FIELDS)}, hash) VALUES ({', '.join('?' * (len(FIELDS) + 1))})", [entry[k] for k in (*FIELDS, "hash")])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self._write_head(entry["id"], entry["hash"])
        if self.anchor is not None:
            with open(self.anchor, "a", encoding="utf-8") as handle:
                handle.write(f"{entry['id']} {entry['hash']} {self._sign(entry['id'], entry['hash'])}\n")
                handle.flush()
                os.fsync(handle.fileno())
        return entry

    def append_once(self, session: str, username: str, role: str, action: str, target: str, purpose: str = "",
                    details: dict | None = None) -> tuple[int, bool]:
        """One entry per ``session`` of ``username`` (the live counts of one editing of a form):
        the first call appends the entry, later ones (within ``SESSION_HOURS``) are folded into it
        -- each recorded with its time in ``audit_folded``, so that ``count_since`` (the query
        budget) and the audit page still count every one. Returns (entry id, appended now)."""
        now = dt.datetime.now(dt.timezone.utc)
        with WRITE_LOCK:
            found = self.con.execute("SELECT entry, started FROM audit_session WHERE username = ? AND session = ?", [username, session]).fetchone()
            if found and dt.datetime.fromisoformat(found[1]) > now - dt.timedelta(hours=SESSION_HOURS):
                self.con.execute("INSERT INTO audit_folded (entry, at) VALUES (?, ?)", [found[0], now.isoformat(timespec="microseconds")])
                return found[0], False
            entry = self._append(username, role, action, target, purpose, details)
            self.con.execute("INSERT OR REPLACE INTO audit_session (username, session, entry, started) VALUES (?, ?, ?, ?)",
                             [username, session, entry["id"], entry["at"]])
            return entry["id"], True

    def folded(self, entries: list[int]) -> dict[int, int]:
        """How many later calls each of ``entries`` stands for (``append_once``)."""
        if not entries:
            return {}
        marks = ",".join("?" * len(entries))
        return dict(self.con.execute(f"SELECT entry, count(*) FROM audit_folded WHERE entry IN ({marks}) GROUP BY entry", list(entries)))

    def count_since(self, username: str, actions: tuple[str, ...], since: dt.datetime) -> int:
        """How many entries of ``username`` with one of ``actions`` were written after ``since``,
        the calls folded into an entry (``append_once``) each counted."""
        marks, at = ",".join("?" * len(actions)), since.isoformat(timespec="microseconds")
        written = self.con.execute(f"SELECT count(*) FROM audit WHERE username = ? AND action IN ({marks}) AND at > ?",
                                   [username, *actions, at]).fetchone()[0]
        folded = self.con.execute(f"SELECT count(*) FROM audit_folded f JOIN audit a ON a.id = f.entry "
                                  f"WHERE a.username = ? AND a.action IN ({marks}) AND f.at > ?", [username, *actions, at]).fetchone()[0]
        return written + folded

    def entries(self, limit: int = 100, offset: int = 0, where: Filter | None = None) -> list[dict]:
        """The latest entries (newest first) that ``where`` keeps."""
        clause, values = (where or Filter()).sql()
        rows = self.con.execute(f"SELECT {', '.join(FIELDS)}, hash FROM audit{clause} ORDER BY id DESC LIMIT ? OFFSET ?",
                                [*values, limit, offset]).fetchall()
        return [dict(zip((*FIELDS, "hash"), row)) for row in rows]

    def count(self, where: Filter | None = None) -> int:
        """How many entries ``where`` keeps (the audit page's paging)."""
        clause, values = (where or Filter()).sql()
        return self.con.execute(f"SELECT count(*) FROM audit{clause}", values).fetchone()[0]

    def verify(self) -> Verification:
        problems, previous, expected_id, count = [], GENESIS, 1, 0
        for row in self.con.execute(f"SELECT {', '.join(FIELDS)}, hash FROM audit ORDER BY id"):
            entry = dict(zip((*FIELDS, "hash"), row))
            count += 1
            if entry["id"] != expected_id:
                problems.append(f"entry {expected_id}" + (f" to {entry['id'] - 1}" if entry["id"] - 1 > expected_id else "") + " deleted")
            if entry["previous"] != previous:
                problems.append(f"entry {entry['id']}: does not follow the entry before it (an entry was deleted or changed)")
            if entry_hash(entry) != entry["hash"]:
                problems.append(f"entry {entry['id']}: content changed after it was written")
            previous, expected_id = entry["hash"], entry["id"] + 1
        hashes = dict(self.con.execute("SELECT id, hash FROM audit"))
        last = expected_id - 1
        head = self._read_head()
        if head is None and count:
            problems.append("the head file audit.head is missing")
        elif head is not None:
            problems += self._check_mark("the head file audit.head", head, last, hashes)
        anchored = self.anchor is not None
        if anchored:
            mark = self._read_anchor()
            if mark is None and count:
                problems.append(f"the anchor {self.anchor} records no entry")
            elif mark is not None:
                problems += self._check_mark(f"the anchor {self.anchor}", mark, last, hashes)
        return Verification(not problems, count, problems, anchored)

    def _check_mark(self, what: str, mark: tuple[int, str, str], last: int, hashes: dict[int, str]) -> list[str]:
        """A head or anchor (count, hash, signature) against the log: it may lag by one entry (a
        crash after the commit), never lead it nor disagree with it."""
        marked, marked_hash, signature = mark
        if not hmac.compare_digest(signature, self._sign(marked, marked_hash)):
            return [f"{what} was altered"]
        if marked > last:
            return [f"the log ends at entry {last} but {marked} were written (entries deleted at the end, or an older copy restored)"]
        if hashes.get(marked) != marked_hash:
            return [f"{what} does not match entry {marked} (the log was replaced)"]
        if last - marked > 1:
            return [f"{what} stops at entry {marked} of {last}: entries were added without it"]
        return []

    def _read_anchor(self) -> tuple[int, str, str] | None:
        try:
            lines = self.anchor.read_text("utf-8").split("\n")
        except OSError:
            return None
        marks = []
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[0].isdigit():
                marks.append((int(parts[0]), parts[1], parts[2]))
        return max(marks, default=None)  # processes append concurrently: the furthest mark counts

    # -- the head: count and last hash, signed --------------------------------------------------
    def _sign(self, count: int, last: str) -> str:
        return hmac.new(secret_key(self.data), f"{count}:{last}".encode(), hashlib.sha256).hexdigest()

    def _write_head(self, count: int, last: str) -> None:
        current = self._read_head()
        if current is not None and current[0] >= count:
            return  # another process wrote a later head meanwhile
        path = self.data / "audit.head"
        tmp = path.with_name(f"audit.head.{os.getpid()}.tmp")
        tmp.write_text(f"{count} {last} {self._sign(count, last)}\n", "utf-8")
        tmp.replace(path)

    def _read_head(self) -> tuple[int, str, str] | None:
        try:
            count, last, signature = (self.data / "audit.head").read_text("utf-8").split()
            return int(count), last, signature
        except (OSError, ValueError):
            return None
