"""The PostgreSQL side of the side-by-side benchmarks: a throw-away local server (``tests/postgres.py``)
and a copy of an embedded warehouse onto it, table by table in Arrow batches (COPY)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests/postgres.py

from tests.postgres import temporary_server, url  # noqa: E402,F401  (re-exported for the benchmarks)

from clinsearch.config import choose_warehouse  # noqa: E402
from clinsearch.warehouse.schema import TABLES  # noqa: E402
from clinsearch.warehouse.store import open_store  # noqa: E402

BATCH = 50_000


def copy_to_server(embedded: Path, server_data: Path, server_url: str) -> None:
    """A data directory ``server_data`` whose warehouse, on ``server_url``, holds the rows of the
    embedded warehouse of ``embedded`` (its secret key too: the same pseudonyms)."""
    server_data.mkdir(parents=True)
    choose_warehouse(server_data, server_url)
    if (embedded / "secret.key").exists():
        (server_data / "secret.key").write_bytes((embedded / "secret.key").read_bytes())
        (server_data / "secret.key").chmod(0o600)
    with open_store(embedded, read_only=True) as source, open_store(server_data) as target, target.transaction():
        present = source.tables()
        for table in TABLES:
            if table in present and table != "schema_version":
                target.execute(f'DELETE FROM "{table}"')
                for batch in source.con.sql(f'SELECT * FROM "{table}"').to_arrow_reader(BATCH):
                    target.insert_arrow(table, batch)
