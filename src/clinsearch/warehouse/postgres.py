"""The shared store: the warehouse on a PostgreSQL server (``--warehouse postgresql://...``).

It offers the interface of the embedded store (``duckdb.py``) so that every service runs on
either. The SQL of clinsearch is written once, in the subset both engines run; ``sql.py``
rewrites what differs only in spelling (placeholders, ``DOUBLE``), and ``postgres_compat.sql``
gives PostgreSQL the few DuckDB functions clinsearch uses (``list_contains``, ``date_sub``,
``quantile_cont`` ...), made in the warehouse's schema once per version of that file, and
``postgres_indices.sql`` its indexes (OHDSI's for OMOP CDM v5.4, and the keys clinsearch replaces
rows by): a server has no zone maps, a look-up by patient would read the whole table.

* Loads keep their guarantees: one transaction per file (PostgreSQL's), rows sent in bulk with
  ``COPY`` into a staging table, then swapped in by key; a killed load rolls back on the server.
* Readers never wait for a writer (MVCC); writers take turns on an advisory lock, as the
  embedded store's writers do on its file, so that ids (``next_id``) are never given twice.
* The connection is in autocommit: a reader holds no transaction between two queries.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from decimal import Decimal
from importlib import resources
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyarrow as pa
from psycopg.adapt import Loader
from psycopg.types.numeric import Int8BinaryDumper, Int8Dumper

from clinsearch.warehouse.errors import WarehouseError, first_line
from clinsearch.warehouse.schema import TABLES, check_table, present_columns
from clinsearch.warehouse.sql import to_postgres
from clinsearch.warehouse.upgrade import check, upgrade

LOCK_WAIT = 120.0  # seconds a writer waits for another writer's turn
WRITER_LOCK = 7_351_142_003  # the advisory lock of the writers of one warehouse schema

_ARROW_OF_OID = {20: pa.int64(), 21: pa.int32(), 23: pa.int32(), 700: pa.float64(), 701: pa.float64(), 1700: pa.float64(),
                 1082: pa.date32(), 1114: pa.timestamp("us"), 25: pa.string(), 1043: pa.string(), 16: pa.bool_()}


class _Number(Loader):
    """NUMERIC (what PostgreSQL's sum and avg of integers give) as DuckDB gives it: an int when
    it is whole, else a float -- never a Decimal that the arithmetic of the callers refuses."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity") else int(text)


def redacted(url: str) -> str:
    """The URL without its password (for messages and the audit)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class PostgresStore:
    dialect = "postgresql"

    def __init__(self, url: str, *, read_only: bool = False, any_version: bool = False):
        self.url = url
        self.path = redacted(url)  # what messages name (the embedded store names its file)
        self.read_only = read_only
        self._in_transaction = False
        self._locked = False
        self.upgraded: tuple[int | None, int] | None = None
        try:
            self.con = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise WarehouseError(f"{self.path}: cannot reach the warehouse server ({first_line(exc)})") from exc
        self.con.adapters.register_loader("numeric", _Number)
        # Python ints as BIGINT (DuckDB's integer): a list of small ones is then a bigint[], not a smallint[]
        self.con.adapters.register_dumper(int, Int8Dumper)
        self.con.adapters.register_dumper(int, Int8BinaryDumper)
        try:
            (schema,) = self.con.execute("SELECT current_schema()").fetchone()
            self._key = WRITER_LOCK + sum(ord(c) * 31 ** i for i, c in enumerate(schema or "")) % 1_000_000
            if not read_only:
                self._lock()
                self._once("clinsearch_compat", _sql_file("postgres_compat.sql"))  # before upgrade: a migration may call them
            if read_only and "person" not in self.tables():
                raise WarehouseError(f"{self.path}: no warehouse here yet (run 'clinsearch ingest' first)")
            if read_only and not any_version:
                check(self, self.path)
            elif not read_only:
                self.upgraded = upgrade(self, self.path)
                self._once("clinsearch_indices", _sql_file("postgres_indices.sql"))
        except BaseException:
            self.close()
            raise

    # -- turns of the writers ------------------------------------------------------------
    def _lock(self) -> None:
        deadline = time.monotonic() + LOCK_WAIT
        while not self.con.execute("SELECT pg_try_advisory_lock(%s)", [self._key]).fetchone()[0]:
            if time.monotonic() > deadline:
                raise WarehouseError(f"{self.path}: cannot open the warehouse (another process is writing it: try again in a moment)")
            time.sleep(0.05)
        self._locked = True

    def _once(self, name: str, text: str) -> None:
        """Run the SQL file ``text`` in the schema once per version of it: its hash is kept as
        the body of the function ``name``, so that a writer's open costs one look-up."""
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        made = self.con.execute(
            "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname = %s", [name]).fetchone()
        if made and digest in made[0]:
            return
        with self.con.transaction():
            self.con.execute(text)
            self.con.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '{digest}' $$")

    def close(self) -> None:
        if not self.con.closed:
            self.con.close()  # ends the session: its advisory lock and temporary tables go with it

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Let other writers in while the caller computes (the readers never wait here)."""
        if not self._locked or self._in_transaction:
            yield
            return
        self.con.execute("SELECT pg_advisory_unlock(%s)", [self._key])
        self._locked = False
        try:
            yield
        finally:
            self._lock()

    @contextmanager
    def writers_kept_out(self) -> Iterator[None]:
        """Hold the writers' turn without writing (a backup: the index copied meanwhile then
        matches the warehouse); readers go on."""
        if self._locked:
            yield
            return
        self._lock()
        try:
            yield
        finally:
            self.con.execute("SELECT pg_advisory_unlock(%s)", [self._key])
            self._locked = False

    def give_way(self) -> None:
        """Readers are never kept waiting on PostgreSQL: nothing to give way to."""

    def __enter__(self) -> "PostgresStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._in_transaction = True
        try:
            with self.con.transaction():
                yield
        finally:
            self._in_transaction = False

    # -- reading and writing -------------------------------------------------------------
    def _run(self, sql: str, params: Sequence[Any] | None):
        try:
            return self.con.execute(to_postgres(sql, bool(params)), _adapt(params) if params else None)
        except psycopg.errors.OperationalError as exc:
            raise WarehouseError(f"{self.path}: the warehouse server is unavailable ({first_line(exc)})") from exc

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._run(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return [tuple(row) for row in self._run(sql, params).fetchall()]

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        cursor = self._run(sql, params)
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cursor = self._run(sql, params)
        rows = cursor.fetchall()
        names = [d.name for d in cursor.description]
        arrays = [pa.array([row[i] for row in rows], type=_ARROW_OF_OID.get(d.type_code)) for i, d in enumerate(cursor.description)]
        return pa.Table.from_arrays(arrays, names=names)

    def tables(self) -> set[str]:
        return {name for (name,) in self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}

    def count(self, table: str) -> int:
        check_table(table)
        return self.query(f'SELECT count(*) FROM "{table}"')[0][0]

    def register(self, name: str, table: pa.Table) -> None:
        """Make ``table`` readable by SQL as ``name`` (a temporary table of this session)."""
        columns = ", ".join(f'"{f.name}" {_pg_type_of_arrow(f.type)}' for f in table.schema)
        self.con.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.con.execute(f'CREATE TEMP TABLE "{name}" ({columns})')
        self._copy(name, table.column_names, zip(*(column.to_pylist() for column in table.columns)) if table.num_columns else [])

    def unregister(self, name: str) -> None:
        self.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def upsert(self, table: str, rows: list[dict]) -> None:
        """Write ``rows``; a row whose key is already stored replaces it."""
        if not rows:
            return
        keys = TABLES[table].keys
        names = self._stage(table, rows)
        try:
            if len(keys) == 1:
                self.con.execute(f'DELETE FROM "{table}" WHERE {keys[0]} IN (SELECT {keys[0]} FROM _staging)')
            else:
                same = " AND ".join(f'"{table}".{k} IS NOT DISTINCT FROM _staging.{k}' for k in keys)
                self.con.execute(f'DELETE FROM "{table}" USING _staging WHERE {same}')
            self.con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM _staging')
        finally:
            self.con.execute("DROP TABLE IF EXISTS _staging")

    def insert(self, table: str, rows: list[dict]) -> None:
        if not rows:
            return
        columns = [c.name for c in present_columns(table, rows)]
        self._copy(table, columns, ([row.get(c) for c in columns] for row in rows))

    def insert_arrow(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        """Append ``batch`` (columns named as the table's, in any order) to ``table``, by COPY."""
        check_table(table)
        self._copy(table, batch.schema.names, zip(*(column.to_pylist() for column in batch.columns)))

    def _stage(self, table: str, rows: list[dict]) -> str:
        columns = [c.name for c in present_columns(table, rows)]
        self.con.execute("DROP TABLE IF EXISTS _staging")
        self.con.execute(f'CREATE TEMP TABLE _staging (LIKE "{table}")')
        self._copy("_staging", columns, ([row.get(c) for c in columns] for row in rows))
        return ", ".join(f'"{c}"' for c in columns)

    def _copy(self, table: str, columns: Sequence[str], rows) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        with self.con.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def next_id(self, table: str, column: str) -> int:
        check_table(table)
        return self.query(f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"')[0][0]


def _sql_file(name: str) -> str:
    return resources.files("clinsearch.warehouse").joinpath(name).read_text("utf-8")


def _adapt(params: Sequence[Any]) -> list:
    """Parameters as psycopg sends them: tuples as lists (PostgreSQL arrays), Decimals as floats."""
    out = []
    for value in params:
        if isinstance(value, Decimal):
            value = float(value)
        out.append(list(value) if isinstance(value, tuple) else value)
    return out


def _pg_type_of_arrow(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind):
        return "BIGINT" if kind.bit_width == 64 else "INTEGER"
    if pa.types.is_floating(kind):
        return "DOUBLE PRECISION"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    return "TEXT"

