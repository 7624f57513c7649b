"""Opening the store of a data directory: the one place that picks the backend.

The embedded DuckDB file of the data directory by default; a PostgreSQL server when the data
directory names one (``config.warehouse_url``: ``--warehouse postgresql://...`` or
``CLINSEARCH_WAREHOUSE``). Either way the data directory keeps the index, the users, the audit
log and the secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Union

from clinsearch.config import private_dir, record_warehouse_url, warehouse_path, warehouse_url

if TYPE_CHECKING:
    from clinsearch.warehouse.duckdb import DuckDBStore
    from clinsearch.warehouse.postgres import PostgresStore

    Store = Union[DuckDBStore, PostgresStore]

URL_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(url: str) -> bool:
    return url.startswith(URL_SCHEMES)


def open_store(data: Path, *, read_only: bool = False, any_version: bool = False) -> "Store":
    """The warehouse of ``data``; ``read_only`` takes a reader's turn, and refuses a warehouse of
    another schema version unless ``any_version`` (a backup's copy)."""
    url = warehouse_url(data)
    if url:
        from clinsearch.warehouse.errors import WarehouseError
        from clinsearch.warehouse.postgres import PostgresStore

        if not is_server_url(url):
            raise WarehouseError(f"{url}: not a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE)")
        if read_only and not (Path(data) / "warehouse.url").exists():
            raise WarehouseError(f"{data}: no warehouse here yet (run 'clinsearch ingest' first)")
        store = PostgresStore(url, read_only=read_only, any_version=any_version)
        if not read_only and not (Path(data) / "warehouse.url").exists():
            record_warehouse_url(data, url)
        return store
    from clinsearch.warehouse.duckdb import DuckDBStore  # here: commands that never open it start faster

    if not read_only:
        private_dir(data)
    return DuckDBStore(warehouse_path(data), read_only=read_only, any_version=any_version)


class Remembered:
    """A read-only store whose query answers are remembered (same SQL, same parameters, same
    rows): the scores of one patient ask for the same conditions and measurements again and
    again -- a panel of eight scores made 193 queries, 92 of them different. Only for reads
    within one snapshot (one request); everything else goes to the store."""

    def __init__(self, store):
        self._store = store
        self._answers: dict = {}

    def query(self, sql: str, params=None) -> list[tuple]:
        key = ("rows", sql, repr(params))
        if key not in self._answers:
            self._answers[key] = self._store.query(sql, params)
        return list(self._answers[key])

    def query_dicts(self, sql: str, params=None) -> list[dict]:
        key = ("dicts", sql, repr(params))
        if key not in self._answers:
            self._answers[key] = self._store.query_dicts(sql, params)
        return [dict(row) for row in self._answers[key]]

    def tables(self) -> set[str]:
        if "tables" not in self._answers:
            self._answers["tables"] = self._store.tables()
        return set(self._answers["tables"])

    def __getattr__(self, name):
        return getattr(self._store, name)
