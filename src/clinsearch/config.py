"""Where a warehouse lives: the data directory and what it holds.

The data directory comes from ``--data DIR``, else the ``CLINSEARCH_DATA`` environment variable,
else ``./clinsearch-data``. It holds everything of one warehouse: ``warehouse.duckdb`` and, as
later features land, the search index and caches.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "clinsearch-data"
ENV_DATA_DIR = "CLINSEARCH_DATA"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)


def warehouse_path(data: Path) -> Path:
    return Path(data) / "warehouse.duckdb"
