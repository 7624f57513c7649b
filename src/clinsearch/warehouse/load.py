"""Loading one source into the warehouse: one transaction, a load_log row, the quarantine.

The guarantees (DESIGN.md, "Bad input and failure") are all kept here:

* a file whose checksum is already in ``load_log`` with status ``loaded`` is skipped whole, and
  rows are keyed by natural keys, so loading the same data twice changes nothing;
* every file is loaded in one transaction, so a load that fails or is killed leaves the
  warehouse as it was before that file;
* a bad record goes to ``quarantine`` with file, position and reason and never stops the good
  ones; an unreadable file gets one quarantine entry and a ``failed`` load_log row;
* counts of read, loaded, skipped and quarantined records are kept for the summary.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from clinsearch.warehouse.duckdb import DuckDBStore
from clinsearch.warehouse.records import Parsed, Record, Rejected, Skipped, UnreadableFile
from clinsearch.warehouse.schema import TABLES

# Tables of reference rows that many records share: repeated keys are expected, not duplicates.
DICTIONARY_TABLES = frozenset({"concept", "care_site"})
BATCH_ROWS = 50_000
RAW_LIMIT = 2_000  # characters of a bad record kept in the quarantine


@dataclass
class LoadSummary:
    source: str
    format: str
    status: str = "loaded"  # loaded | already loaded | failed
    read: int = 0
    loaded: int = 0
    skipped: int = 0
    quarantined: int = 0
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
            "rows": dict(self.rows),
            "skipped_reasons": dict(self.skipped_reasons),
            "message": self.message,
        }


def already_loaded(store: DuckDBStore, checksum: str) -> bool:
    return bool(store.query("SELECT 1 FROM load_log WHERE checksum = ? AND status = 'loaded' LIMIT 1", [checksum]))


def load(
    store: DuckDBStore,
    source: str,
    fmt: str,
    checksum: str,
    records: Callable[[], Iterable[Record]],
    on_progress: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Load the records of one source (``records`` is called once, inside the transaction)."""
    summary = LoadSummary(source, fmt)
    if already_loaded(store, checksum):
        summary.status = "already loaded"
        return summary
    started = _now()
    try:
        with store.transaction():
            load_id = store.next_id("load_log", "load_id")
            quarantine = _write_records(store, source, load_id, records(), summary, on_progress)
            _finish(store, summary, load_id, source, checksum, started, quarantine)
    except UnreadableFile as exc:
        summary = LoadSummary(source, fmt, status="failed", message=exc.reason)
        with store.transaction():
            load_id = store.next_id("load_log", "load_id")
            quarantine = [_quarantine_row(load_id, source, "file", exc.reason, "")]
            summary.quarantined = 1
            _finish(store, summary, load_id, source, checksum, started, quarantine)
    return summary


def _write_records(store, source, load_id, records, summary, on_progress) -> list[dict]:
    buffers: dict[str, list[dict]] = {}
    buffered = 0
    first_seen: dict[str, dict[object, str]] = {t: {} for t in TABLES}
    quarantine: list[dict] = []
    for record in records:
        summary.read += 1
        if isinstance(record, Skipped):
            summary.skipped += 1
            summary.skipped_reasons[record.reason] += 1
        elif isinstance(record, Rejected):
            quarantine.append(_quarantine_row(load_id, source, record.position, record.reason, record.raw))
        elif isinstance(record, Parsed):
            duplicate = _duplicate(record, first_seen)
            if duplicate:
                quarantine.append(_quarantine_row(load_id, source, record.position, duplicate, ""))
                continue
            summary.loaded += 1
            for row in record.rows:
                values = dict(row.values, source_file=source, source_record=record.position, load_id=load_id)
                buffers.setdefault(row.table, []).append(values)
                buffered += 1
            if buffered >= BATCH_ROWS:
                _flush(store, buffers, summary)
                buffered = 0
        if on_progress and summary.read % 1000 == 0:
            on_progress(summary.read)
    _flush(store, buffers, summary)
    if on_progress:
        on_progress(summary.read)
    summary.quarantined = len(quarantine)
    return quarantine


def _duplicate(record: Parsed, first_seen: dict[str, dict[object, str]]) -> str:
    """The reason ``record`` repeats a key already read from the same source, or ''."""
    keys = []
    for row in record.rows:
        if row.table in DICTIONARY_TABLES:
            continue
        key_column = TABLES[row.table].key
        key = row.values.get(key_column)
        seen = first_seen[row.table].get(key)
        if seen is not None:
            return f"duplicate {key_column} {key} (first at {seen})"
        keys.append((row.table, key))
    for table, key in keys:
        first_seen[table][key] = record.position
    return ""


def _flush(store: DuckDBStore, buffers: dict[str, list[dict]], summary: LoadSummary) -> None:
    for table, rows in buffers.items():
        if table in DICTIONARY_TABLES:
            rows = list({row[TABLES[table].key]: row for row in rows}.values())
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
                "message": summary.message,
            }
        ],
    )


def _quarantine_row(load_id: int, source: str, position: str, reason: str, raw: str) -> dict:
    return {
        "load_id": load_id,
        "source_file": source,
        "source_record": position,
        "reason": reason,
        "raw": raw[:RAW_LIMIT],
        "quarantined_at": _now(),
    }


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
