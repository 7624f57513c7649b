"""Shared fixtures."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A fresh, empty data directory."""
    return tmp_path / "warehouse"


@pytest.fixture(scope="session")
def demo(tmp_path_factory, request) -> Path:
    """The full demo built once through `clinsearch demo` (500 patients, 5,000 notes; NLP and
    index included), shared by the tests that check features against its ground truth; on the
    PostgreSQL run, its warehouse is on the server."""
    from tests.helpers import run_cli

    data = tmp_path_factory.mktemp("demo") / "warehouse"
    server = ["--warehouse", new_postgres_warehouse(request.getfixturevalue("postgres_server"))] if ON_POSTGRES else []
    result = run_cli("--data", data, *server, "demo", "--no-serve")
    assert result.exit_code == 0, result.stderr
    return data


# ---- the store tests on PostgreSQL --------------------------------------------------------------
# ``CLINSEARCH_TEST_WAREHOUSE=postgresql pytest ...`` (the second run of ``make test``) gives every
# test a warehouse of its own on one throw-away PostgreSQL server (a schema each), through the
# setting users have (CLINSEARCH_WAREHOUSE). Tests of what only the embedded file has (its locks,
# its bytes) are marked ``duckdb_only`` and deselected there.
ON_POSTGRES = os.environ.get("CLINSEARCH_TEST_WAREHOUSE") == "postgresql"


@pytest.fixture(scope="session")
def postgres_server():
    """The DSN of a throw-away PostgreSQL server, started once for the session."""
    from tests.postgres import temporary_server

    with temporary_server({"shared_buffers": "256MB", "max_connections": "200"}) as dsn:
        yield dsn


_schemas = itertools.count(1)


def new_postgres_warehouse(dsn: str) -> str:
    """The URL of a new, empty warehouse (a schema of its own) on the server of ``dsn``."""
    import psycopg

    from tests.postgres import url

    schema = f"w{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    return url(dsn, schema)


@pytest.fixture(autouse=ON_POSTGRES)
def postgres_warehouse(request, monkeypatch):
    """On the PostgreSQL run, the warehouse of every data directory the test makes is on the server."""
    dsn = request.getfixturevalue("postgres_server")
    monkeypatch.setenv("CLINSEARCH_WAREHOUSE", new_postgres_warehouse(dsn))
    yield


@pytest.fixture
def fresh_warehouse(request, monkeypatch):
    """A function that gives the next data directory a new, empty warehouse: on the PostgreSQL
    run a new schema (a test that makes many data directories, one per generated example);
    the embedded warehouse is new with its directory anyway."""
    def fresh() -> None:
        if ON_POSTGRES:
            monkeypatch.setenv("CLINSEARCH_WAREHOUSE", new_postgres_warehouse(request.getfixturevalue("postgres_server")))
    return fresh


def pytest_collection_modifyitems(config, items):
    """Tests of what only one backend has run on that backend's pass only (deselected, not skipped).
    The browser tests (those taking the ``browser`` fixture) are about the web face, not the
    store: they run on the DuckDB pass only, the API tests over the same services on both."""
    other = "duckdb_only" if ON_POSTGRES else "postgresql_only"

    def elsewhere(item) -> bool:
        return item.get_closest_marker(other) is not None or (ON_POSTGRES and "browser" in getattr(item, "fixturenames", ()))

    kept = [item for item in items if not elsewhere(item)]
    deselected = [item for item in items if elsewhere(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
