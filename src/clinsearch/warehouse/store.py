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
