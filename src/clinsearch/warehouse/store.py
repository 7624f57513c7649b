"""Opening the store of a data directory: the one place that picks the backend."""

from __future__ import annotations

from pathlib import Path

from clinsearch.config import warehouse_path
from clinsearch.warehouse.duckdb import DuckDBStore


def open_store(data: Path, *, read_only: bool = False) -> DuckDBStore:
    return DuckDBStore(warehouse_path(data), read_only=read_only)
