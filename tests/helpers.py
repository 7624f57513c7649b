"""Helpers the tests share: the CLI run in-process, direct ingest calls, warehouse reads."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from clinsearch.cli import main
from clinsearch.ingest.run import IngestResult, ingest
from clinsearch.warehouse.stats import stats
from clinsearch.warehouse.store import open_store

DATA = Path(__file__).parent / "data"


def run_cli(*args: str):
    """Run ``clinsearch ARGS`` in-process; returns Click's result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def load(data: Path, *paths: Path) -> IngestResult:
    with open_store(data) as store:
        return ingest(store, list(paths))


def counts(data: Path) -> dict:
    with open_store(data, read_only=True) as store:
        return stats(store)["tables"]


def query(data: Path, sql: str, params=None) -> list[tuple]:
    with open_store(data, read_only=True) as store:
        return store.query(sql, params)


def quarantine(data: Path) -> list[dict]:
    with open_store(data, read_only=True) as store:
        return store.query_dicts("SELECT source_file, source_record, reason FROM quarantine ORDER BY quarantine_id")
