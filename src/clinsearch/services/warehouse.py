"""What the warehouse holds: row counts and the quarantine (no patient data)."""

from __future__ import annotations

from pathlib import Path

from clinsearch.warehouse.stats import quarantine_summary, stats
from clinsearch.warehouse.store import open_store


def table_counts(data: Path) -> dict:
    """``{"tables": {name: rows}, "quarantine": N}``."""
    with open_store(data, read_only=True) as store:
        return stats(store)


def overview(data: Path) -> tuple[dict, list[dict]]:
    """The row counts and the quarantine's most frequent reasons."""
    with open_store(data, read_only=True) as store:
        return stats(store), quarantine_summary(store)
