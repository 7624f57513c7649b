"""What the warehouse holds: row counts of every table and the quarantine summary."""

from __future__ import annotations

from clinsearch.warehouse.duckdb import DuckDBStore
from clinsearch.warehouse.schema import DATA_TABLES


def stats(store: DuckDBStore) -> dict:
    """``{"tables": {"person": N, ...}, "quarantine": N}`` plus, for people, the details."""
    return {
        "tables": {table: store.count(table) for table in DATA_TABLES},
        "quarantine": store.count("quarantine"),
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
