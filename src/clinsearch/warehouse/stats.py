"""What the warehouse holds: row counts of every table and the quarantine summary."""

from __future__ import annotations

from clinsearch.warehouse.derived import stale
from clinsearch.warehouse.duckdb import DuckDBStore
from clinsearch.warehouse.schema import DATA_TABLES


def stats(store: DuckDBStore) -> dict:
    """``{"tables": {"person": N, ...}, "quarantine": N, "derived_stale": bool}`` (whether the
    derived tables lag behind the last load: a run killed before computing them; the next ingest
    does)."""
    return {
        "tables": {table: store.count(table) for table in DATA_TABLES},
        "quarantine": store.count("quarantine"),
        "derived_stale": stale(store),
    }


def quarantine_summary(store: DuckDBStore, limit: int = 20) -> list[dict]:
    """The most frequent quarantine reasons, per source file."""
    return store.query_dicts(
        "SELECT source_file, reason, count(*) AS records, min(source_record) AS first_record "
        "FROM quarantine GROUP BY source_file, reason ORDER BY records DESC, source_file LIMIT ?",
        [limit],
    )


def loads(store: DuckDBStore, limit: int = 20) -> list[dict]:
    return store.query_dicts(
        "SELECT load_id, source_file, format, status, finished_at, records_read, records_loaded, "
        "records_skipped, records_quarantined FROM load_log ORDER BY load_id DESC LIMIT ?",
        [limit],
    )


def quarantine_sources(store: DuckDBStore) -> list[dict]:
    """One line per source with quarantined records: how many, its last load's status, and the
    most frequent reason (``first_id``: an entry to ``show``)."""
    return store.query_dicts(
        "WITH q AS (SELECT source_file, count(*) AS records, min(quarantine_id) AS first_id FROM quarantine GROUP BY source_file), "
        "r AS (SELECT source_file, reason AS top_reason, row_number() OVER (PARTITION BY source_file ORDER BY count(*) DESC, min(quarantine_id)) AS k "
        "      FROM quarantine GROUP BY source_file, reason), "
        "l AS (SELECT source_file, status, format, row_number() OVER (PARTITION BY source_file ORDER BY load_id DESC) AS k FROM load_log) "
        "SELECT q.source_file, l.format, l.status, q.records, q.first_id, r.top_reason FROM q JOIN r ON r.source_file = q.source_file AND r.k = 1 "
        "LEFT JOIN l ON l.source_file = q.source_file AND l.k = 1 "
        "ORDER BY q.records DESC, q.source_file"
    )


def quarantine_entries(store: DuckDBStore, source: str | None = None, limit: int = 100) -> list[dict]:
    """The quarantine's entries (of one source), without their raw content."""
    where, params = ("WHERE source_file = ?", [source]) if source else ("", [])
    return store.query_dicts(
        f"SELECT quarantine_id, source_file, source_record, reason, quarantined_at FROM quarantine {where} ORDER BY quarantine_id LIMIT ?",
        [*params, limit],
    )


def quarantine_entry(store: DuckDBStore, quarantine_id: int) -> dict | None:
    """One entry with the raw record as read (it may hold identifying data)."""
    rows = store.query_dicts("SELECT q.*, l.format, l.status FROM quarantine q LEFT JOIN load_log l USING (load_id) WHERE quarantine_id = ?", [quarantine_id])
    return rows[0] if rows else None


def clear_quarantine(store: DuckDBStore, source: str) -> int:
    """Drop the quarantine entries of ``source`` (a data engineer has dealt with them) and mark
    its loads ``cleared``: an unchanged file is then not read again. Returns the entries dropped."""
    with store.transaction():
        dropped = store.query("SELECT count(*) FROM quarantine WHERE source_file = ?", [source])[0][0]
        store.execute("DELETE FROM quarantine WHERE source_file = ?", [source])
        store.execute("UPDATE load_log SET status = 'cleared' WHERE source_file = ? AND status IN ('partly quarantined', 'quarantined', 'failed')", [source])
    return dropped
