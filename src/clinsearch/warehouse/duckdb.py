"""The embedded store: one DuckDB file in the data directory.

Every store offers the same small interface (``open_store`` returns one), so that a PostgreSQL
backend is a sibling module rather than a rewrite:

* ``transaction()`` -- a context manager; everything inside commits or rolls back together;
* ``upsert(table, rows)`` -- write rows, replacing those with the same key;
* ``insert(table, rows)`` -- append rows (bookkeeping tables);
* ``query(sql, params)`` -- rows as tuples; ``query_dicts`` -- rows as dicts; ``arrow`` -- an Arrow table;
* ``count(table)``, ``tables()``, ``register(name, arrow_table)`` / ``unregister(name)`` (a
  table of the caller's readable by SQL), ``close()``;
* ``paused()`` -- a context manager that lets go of the store while a writer computes, and
  ``give_way()`` between a long load's transactions: requests are served during a load.

>>> import tempfile, pathlib
>>> store = DuckDBStore(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
>>> store.upsert("person", [{"person_id": 1, "year_of_birth": 1950}])
>>> store.upsert("person", [{"person_id": 1, "year_of_birth": 1951}])
>>> store.query("SELECT person_id, year_of_birth FROM person")
[(1, 1951)]
"""

from __future__ import annotations

import time

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import pyarrow as pa

from clinsearch.warehouse.errors import WarehouseError, first_line
from clinsearch.warehouse.schema import TABLES, check_table, present_columns
from clinsearch.warehouse.turns import GIVE_WAY_PAUSE, Turn
from clinsearch.warehouse.upgrade import check, upgrade

_ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR": pa.string(),
}


# DuckDB lets one process write a file, or several read it, not both at once. Readers and writers
# take turns (``turns.py``): a reader waits for a load's current transaction to end, a writer
# (a load) for the requests being served to end, and a load gives way to requests between its
# transactions. Past these waits the store is "momentarily unavailable" (WarehouseError: HTTP 503
# + Retry-After).
LOCK_WAIT = {"read": 10.0, "write": 120.0}  # seconds


def _connect(path: Path, read_only: bool):
    deadline = time.monotonic() + LOCK_WAIT["read" if read_only else "write"]
    pause = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise WarehouseError(f"{path}: cannot open the warehouse{_busy(exc)} ({first_line(exc)})") from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _busy(exc: BaseException) -> str:
    return " (another process is writing it: try again in a moment)" if "lock" in str(exc).lower() or isinstance(exc, TimeoutError) else ""


def _take_turn(path: Path, read_only: bool) -> Turn:
    try:
        return Turn(path, write=not read_only, timeout=LOCK_WAIT["read" if read_only else "write"])
    except TimeoutError as exc:
        raise WarehouseError(f"{path}: cannot open the warehouse{_busy(exc)} ({exc})") from exc


class DuckDBStore:
    dialect = "duckdb"

    def __init__(self, path: Path, *, read_only: bool = False, any_version: bool = False):
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise WarehouseError(f"{self.path}: no warehouse here yet (run 'clinsearch ingest' first)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        self._in_transaction = False
        self.upgraded: tuple[int | None, int] | None = None  # (schema version before, after) when opened for writing
        self._open()
        try:
            if read_only and not any_version:
                check(self, self.path)  # an older warehouse is upgraded first, never read as if it were current
            elif not read_only:
                self.upgraded = upgrade(self, self.path)
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self.turn = _take_turn(self.path, self.read_only)
        try:
            self.con = _connect(self.path, self.read_only)
        except BaseException:
            self.turn.release()
            raise

    def close(self) -> None:
        if self.turn.held:
            self.con.close()
            self.turn.release()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Let go of the file while the caller computes (a writer's NLP batch), and take it back:
        requests are served meanwhile. Nothing read before may be relied on being unchanged."""
        if self.read_only or self._in_transaction or not self.turn.held:  # nothing to let go of (or already let go)
            yield
            return
        self.close()
        try:
            yield
        finally:
            self._open()

    @contextmanager
    def writers_kept_out(self) -> Iterator[None]:
        """Writers wait while a store is open at all (a reader's turn keeps them out already)."""
        yield

    def give_way(self) -> None:
        """Between two transactions of a long load: a writer that has held the file for a while
        lets the requests waiting for it in (the turns module), then goes on."""
        if self.turn.due() and not self._in_transaction:
            with self.paused():
                time.sleep(GIVE_WAY_PAUSE)

    def __enter__(self) -> "DuckDBStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")
        finally:
            self._in_transaction = False

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns no rows (the result is consumed at once)."""
        self.con.execute(sql, params or []).fetchall()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """The rows as an Arrow table (exports, columnar work)."""
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def tables(self) -> set[str]:
        """The names of the warehouse's tables."""
        return {name for (name,) in self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")}

    def register(self, name: str, table: pa.Table) -> None:
        """Make ``table`` readable by SQL as ``name`` until ``unregister(name)``."""
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def count(self, table: str) -> int:
        check_table(table)
        return self.con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]

    def upsert(self, table: str, rows: list[dict]) -> None:
        """Write ``rows``; a row whose key is already stored replaces it."""
        if not rows:
            return
        keys = TABLES[table].keys
        staging = _to_arrow(table, rows)
        self.con.register("_staging", staging)
        try:
            if len(keys) == 1:
                self.execute(f'DELETE FROM "{table}" WHERE {keys[0]} IN (SELECT {keys[0]} FROM _staging)')
            else:  # a table identified by several columns (concept_ancestor, fact_relationship ...)
                same = " AND ".join(f'"{table}".{k} IS NOT DISTINCT FROM _staging.{k}' for k in keys)
                self.execute(f'DELETE FROM "{table}" USING _staging WHERE {same}')
            self.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _staging')
        finally:
            self.con.unregister("_staging")

    def insert(self, table: str, rows: list[dict]) -> None:
        if rows:
            self.insert_arrow(table, _to_arrow(table, rows))

    def insert_arrow(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        """Append ``batch`` (columns named as the table's, in any order) to ``table``."""
        check_table(table)
        self.con.register("_staging", batch)
        try:
            self.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _staging')
        finally:
            self.con.unregister("_staging")

    def next_id(self, table: str, column: str) -> int:
        check_table(table)
        return self.con.execute(f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"').fetchall()[0][0]


def _to_arrow(table: str, rows: list[dict]) -> pa.Table:
    """Rows as an Arrow table with the warehouse's column types (only the columns present)."""
    columns = present_columns(table, rows)
    arrays = [pa.array([row.get(c.name) for row in rows], type=_ARROW_TYPES[c.type]) for c in columns]
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])

