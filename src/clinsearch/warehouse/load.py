"""Loading one source into the warehouse: one transaction, a load_log row, the quarantine.

The guarantees (DESIGN.md, "Bad input and failure") are all kept here:

* a file whose checksum is already in ``load_log`` with status ``loaded`` is skipped whole, and
  rows are keyed by natural keys, so loading the same data twice changes nothing;
* every file is loaded in one transaction, so a load that fails or is killed leaves the
  warehouse as it was before that file;
* a bad record goes to ``quarantine`` with file, position and reason and never stops the good
  ones; an unreadable file gets one quarantine entry and a ``failed`` load_log row;
* no row may point at a patient the warehouse does not have: a record whose ``person_id`` is
  neither in ``person`` nor among the persons of the same source is quarantined ("orphan"),
  whatever the format; a person row marked ``if_absent`` (a source that says it creates its
  patients) is written only when that person does not exist yet;
* counts of read, loaded, skipped and quarantined records are kept for the summary, and the
  status says what happened: ``loaded`` (nothing quarantined), ``partly quarantined``,
  ``quarantined`` (every record), ``failed`` (unreadable). A source with quarantined records is
  read again by the next ingest (its orphans may have found their patient), until its
  quarantine is cleared (status ``cleared``, ``clinsearch quarantine clear``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from clinsearch.warehouse.duckdb import DuckDBStore
from clinsearch.warehouse.records import Parsed, Record, Rejected, Row, Skipped, UnreadableFile
from clinsearch.warehouse.schema import TABLES

# Tables of reference rows that many records share: repeated keys are expected, not duplicates.
DICTIONARY_TABLES = frozenset({"concept", "care_site", "location", "provider"})
BATCH_ROWS = 50_000
RAW_LIMIT = 2_000  # characters of a bad record kept in the quarantine
PENDING_RECORDS = 5_000  # records whose patients are looked up in the warehouse at once
# Tables whose rows belong to a patient: each must point at a person the warehouse has.
PERSON_TABLES = frozenset(name for name, table in TABLES.items() if name != "person" and table.column("person_id"))
# Load statuses after which an unchanged source is not read again.
SETTLED = ("loaded", "cleared")
ORPHAN = "no patient with person_id {pid}{label} in the warehouse"
ORPHAN_HINT = ("load the patient first (OMOP person, FHIR Patient), or let a notes source create it "
               "(\"create_persons\": true in its sidecar); the next ingest reads this source again")


@dataclass
class LoadSummary:
    source: str
    format: str
    status: str = "loaded"  # loaded | partly quarantined | quarantined | failed | already loaded
    read: int = 0
    loaded: int = 0
    skipped: int = 0
    quarantined: int = 0
    orphans: int = 0  # of the quarantined: records whose patient is not in the warehouse
    persons_created: int = 0  # persons the source created ("create_persons")
    rows: Counter = field(default_factory=Counter)  # rows written per table
    skipped_reasons: Counter = field(default_factory=Counter)
    message: str = ""

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "status": self.status,
            "read": self.read,
            "loaded": self.loaded,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "orphans": self.orphans,
            "persons_created": self.persons_created,
            "rows": dict(self.rows),
            "skipped_reasons": dict(self.skipped_reasons),
            "message": self.message,
        }


def already_loaded(store: DuckDBStore, checksum: str) -> bool:
    """Whether a source with this checksum was loaded with nothing left in the quarantine."""
    return bool(store.query("SELECT 1 FROM load_log WHERE checksum = ? AND status IN (?, ?) LIMIT 1", [checksum, *SETTLED]))


def load(
    store: DuckDBStore,
    source: str,
    fmt: str,
    checksum: str,
    records: Callable[[], Iterable[Record]],
    on_progress: Callable[[int], None] | None = None,
    person_label: Callable[[int], str | None] | None = None,
) -> LoadSummary:
    """Load the records of one source (``records`` is called once, inside the transaction);
    ``person_label`` names a person id in the orphans' reason (the hospital's identifier)."""
    summary = LoadSummary(source, fmt)
    if already_loaded(store, checksum):
        summary.status = "already loaded"
        return summary
    started = _now()
    try:
        with store.transaction():
            load_id = store.next_id("load_log", "load_id")
            quarantine = _write_records(store, source, load_id, records(), summary, on_progress, person_label)
            summary.status = _status(summary)
            summary.message = _message(summary)
            _finish(store, summary, load_id, source, checksum, started, quarantine)
    except UnreadableFile as exc:
        summary = LoadSummary(source, fmt, status="failed", message=exc.reason)
        with store.transaction():
            load_id = store.next_id("load_log", "load_id")
            quarantine = [_quarantine_row(load_id, source, "file", exc.reason, "")]
            summary.quarantined = 1
            _finish(store, summary, load_id, source, checksum, started, quarantine)
    return summary


def _write_records(store, source, load_id, records, summary, on_progress, person_label=None) -> list[dict]:
    writer = _Writer(store, source, load_id, summary, person_label)
    for record in records:
        summary.read += 1
        if isinstance(record, Skipped):
            summary.skipped += 1
            summary.skipped_reasons[record.reason] += 1
        elif isinstance(record, Rejected):
            writer.quarantine.append(_quarantine_row(load_id, source, record.position, record.reason, record.raw))
        elif isinstance(record, Parsed):
            refused = _nul(record) or _duplicate(record, writer.first_seen)
            if refused:
                writer.quarantine.append(_quarantine_row(load_id, source, record.position, refused, ""))
                continue
            writer.add(record)
        if on_progress and summary.read % 1000 == 0:
            on_progress(summary.read)
    writer.finish()
    if on_progress:
        on_progress(summary.read)
    summary.quarantined = len(writer.quarantine)
    return writer.quarantine


class _Writer:
    """The good records of one source on their way to the warehouse, held back until their
    patients are known to exist: in the warehouse already, or among this source's persons (read
    before or after them -- a bundle or an export need not list its patients first)."""

    def __init__(self, store: DuckDBStore, source: str, load_id: int, summary: LoadSummary, person_label):
        self.store, self.source, self.load_id, self.summary = store, source, load_id, summary
        self.person_label = person_label or (lambda pid: None)
        self.first_seen: dict[str, dict[object, str]] = {t: {} for t in TABLES}
        self.quarantine: list[dict] = []
        self.buffers: dict[str, list[dict]] = {}
        self.buffered = 0
        self.known: set[int] = set()  # person ids that exist (warehouse or this source)
        self.looked_up: set[int] = set()  # person ids already looked up in the warehouse
        self.pending: list[Parsed] = []
        self.deferred: list[Parsed] = []  # records whose patient may come later in the source

    def add(self, record: Parsed) -> None:
        self.known.update(r.values["person_id"] for r in record.rows if r.table == "person" and not r.if_absent)
        self.pending.append(record)
        if len(self.pending) >= PENDING_RECORDS:
            self._settle()

    def finish(self) -> None:
        self._settle()
        for record in self.deferred:
            missing = _patients(record) - self.known
            if missing:
                self._orphan(record, min(missing))
            else:
                self._accept(record)
        self._flush()

    def _settle(self) -> None:
        wanted = set()
        for record in self.pending:
            wanted |= _patients(record) | {r.values["person_id"] for r in record.rows if r.if_absent}
        self._look_up(wanted)
        for record in self.pending:
            created = {r.values["person_id"] for r in record.rows if r.if_absent and r.table == "person"}
            if _patients(record) - self.known - created:
                self.deferred.append(record)
            else:
                self._accept(record)
        self.pending = []

    def _look_up(self, ids: set[int]) -> None:
        ids = {i for i in ids if i is not None} - self.known - self.looked_up
        if ids:
            found = self.store.query("SELECT person_id FROM person WHERE list_contains(?, person_id)", [sorted(ids)])
            self.known.update(row[0] for row in found)
            self.looked_up |= ids

    def _accept(self, record: Parsed) -> None:
        self.summary.loaded += 1
        for row in record.rows:
            if row.if_absent:
                if row.values.get(TABLES[row.table].key) in self.known:
                    continue
                self.known.add(row.values.get("person_id"))
                self.summary.persons_created += 1 if row.table == "person" else 0
            values = dict(row.values, source_file=self.source, source_record=record.position, load_id=self.load_id)
            self.buffers.setdefault(row.table, []).append(values)
            self.buffered += 1
        if self.buffered >= BATCH_ROWS:
            self._flush()

    def _orphan(self, record: Parsed, pid: int) -> None:
        label = self.person_label(pid)
        reason = ORPHAN.format(pid=pid, label=f" ({label})" if label else "") + ": " + ORPHAN_HINT
        self.summary.orphans += 1
        self.quarantine.append(_quarantine_row(self.load_id, self.source, record.position, reason, _raw(record)))

    def _flush(self) -> None:
        _flush(self.store, self.buffers, self.summary)
        self.buffered = 0


def _patients(record: Parsed) -> set[int]:
    """The persons a record's rows point at (its own person rows aside)."""
    return {r.values["person_id"] for r in record.rows if r.table in PERSON_TABLES and r.values.get("person_id") is not None}


def _nul(record: Parsed) -> str:
    """Why a record holding a NUL character is refused: no clinical text has one (it is binary
    data read as text), and a PostgreSQL server refuses it in any text column."""
    for row in record.rows:
        for column, value in row.values.items():
            if isinstance(value, str) and "\x00" in value:
                return f"NUL character in {row.table}.{column}: binary data, not text"
    return ""


def _printable(text: str) -> str:
    return text.replace("\x00", "\\x00")


def _raw(record: Parsed) -> str:
    """What an orphan record held, for the quarantine: its rows' values, long texts cut."""
    parts = []
    for row in record.rows:
        if row.table in PERSON_TABLES:
            values = {k: (v[:200] + "..." if isinstance(v, str) and len(v) > 200 else v) for k, v in row.values.items() if v is not None}
            parts.append(f"{row.table}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    return "; ".join(parts)


def _status(summary: LoadSummary) -> str:
    if not summary.quarantined:
        return "loaded"
    return "quarantined" if summary.loaded == 0 else "partly quarantined"


def _message(summary: LoadSummary) -> str:
    parts = []
    if summary.orphans:
        parts.append(f"{summary.orphans} record(s) quarantined: their patient is not in the warehouse")
    if summary.persons_created:
        parts.append(f"{summary.persons_created} person(s) created by the source (create_persons)")
    return "; ".join(parts)


def _duplicate(record: Parsed, first_seen: dict[str, dict[object, str]]) -> str:
    """The reason ``record`` repeats a key already read from the same source, or ''."""
    keys = []
    for row in record.rows:
        if row.table in DICTIONARY_TABLES or row.if_absent:
            continue
        key = _key(row)
        seen = first_seen[row.table].get(key)
        if seen is not None:
            named = ", ".join(f"{c} {v}" for c, v in zip(TABLES[row.table].keys, key))
            return f"duplicate {named} (first at {seen})"
        keys.append((row.table, key))
    for table, key in keys:
        first_seen[table][key] = record.position
    return ""


def _key(row: Row) -> tuple:
    """The values that identify ``row`` in its table."""
    return tuple(row.values.get(k) for k in TABLES[row.table].keys)


def _flush(store: DuckDBStore, buffers: dict[str, list[dict]], summary: LoadSummary) -> None:
    for table, rows in buffers.items():
        if table in DICTIONARY_TABLES:
            rows = list({tuple(row.get(k) for k in TABLES[table].keys): row for row in rows}.values())
        store.upsert(table, rows)
        summary.rows[table] += len(rows)
    buffers.clear()


def _finish(store, summary, load_id, source, checksum, started, quarantine) -> None:
    # Re-loading a source replaces its quarantine entries instead of piling them up.
    store.execute("DELETE FROM quarantine WHERE source_file = ?", [source])
    first_id = store.next_id("quarantine", "quarantine_id")
    for offset, row in enumerate(quarantine):
        row["quarantine_id"] = first_id + offset
    store.insert("quarantine", quarantine)
    store.insert(
        "load_log",
        [
            {
                "load_id": load_id,
                "source_file": source,
                "checksum": checksum,
                "format": summary.format,
                "status": summary.status,
                "started_at": started,
                "finished_at": _now(),
                "records_read": summary.read,
                "records_loaded": summary.loaded,
                "records_skipped": summary.skipped,
                "records_quarantined": summary.quarantined,
                "message": _printable(summary.message),
            }
        ],
    )


def _quarantine_row(load_id: int, source: str, position: str, reason: str, raw: str) -> dict:
    return {
        "load_id": load_id,
        "source_file": source,
        "source_record": _printable(position),
        "reason": _printable(reason),
        "raw": _printable(raw[:RAW_LIMIT]),
        "quarantined_at": _now(),
    }


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
