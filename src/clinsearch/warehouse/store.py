"""Opening the store of a data directory: the one place that picks the backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clinsearch.config import private_dir, warehouse_path

if TYPE_CHECKING:
    from clinsearch.warehouse.duckdb import DuckDBStore


def open_store(data: Path, *, read_only: bool = False, any_version: bool = False) -> DuckDBStore:
    """The warehouse of ``data``; ``read_only`` takes a reader's turn, and refuses a warehouse of
    another schema version unless ``any_version`` (a backup's copy)."""
    from clinsearch.warehouse.duckdb import DuckDBStore  # here: commands that never open it start faster

    if not read_only:
        private_dir(data)
    return DuckDBStore(warehouse_path(data), read_only=read_only, any_version=any_version)
