"""Loading the OMOP standardized vocabularies from an Athena download into the warehouse.

Athena (athena.ohdsi.org) delivers one folder of tab-separated files named after the OMOP
vocabulary tables (``CONCEPT.csv``, ``CONCEPT_RELATIONSHIP.csv``, ``CONCEPT_ANCESTOR.csv``,
``CONCEPT_SYNONYM.csv``, ``VOCABULARY.csv``, ``DOMAIN.csv``, ``CONCEPT_CLASS.csv``,
``RELATIONSHIP.csv``, ``DRUG_STRENGTH.csv``): a header of the OHDSI column names (CDM v5.4
DDL), no quoting (a name may hold a ``"``), dates as ``YYYYMMDD`` (ISO dates are accepted too).

``load(store, folder)`` reads them all in **one transaction**: every value is checked against
its column's type first, and the first bad line stops the load with a ``VocabularyError`` naming
the file and the line -- the warehouse is then left as it was. A successful load replaces the
vocabulary tables (an Athena download is a complete set) and, in ``concept``, the concepts of
the same ``concept_id`` (the local codes of other ids stay). DuckDB's CSV reader does the
reading and the checking, in a DuckDB of its own (in memory, spilling to disk), whatever the
warehouse's engine; the checked rows go to the warehouse in Arrow batches (on a PostgreSQL
server, by COPY), so a full download (some 10 million concepts) loads in minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from clinsearch.warehouse.duckdb import DuckDBStore
from clinsearch.warehouse.schema import PROVENANCE, TABLES

# file -> table, in the order they are loaded (CONCEPT first: the others name its ids)
FILES = {
    "CONCEPT.csv": "concept", "VOCABULARY.csv": "vocabulary", "DOMAIN.csv": "domain", "CONCEPT_CLASS.csv": "concept_class",
    "RELATIONSHIP.csv": "relationship", "CONCEPT_RELATIONSHIP.csv": "concept_relationship",
    "CONCEPT_ANCESTOR.csv": "concept_ancestor", "CONCEPT_SYNONYM.csv": "concept_synonym", "DRUG_STRENGTH.csv": "drug_strength",
}
REQUIRED = ("CONCEPT.csv", "VOCABULARY.csv", "CONCEPT_RELATIONSHIP.csv", "CONCEPT_ANCESTOR.csv")
BATCH = 100_000  # rows per Arrow batch written to the warehouse
MARKER = "vocabularies.json"  # in the data directory: what was loaded, read by the search


class VocabularyError(Exception):
    """The download cannot be loaded; the message names the file (and line) and the reason."""


def columns(table: str) -> list[str]:
    """The OHDSI columns of a vocabulary table, in the DDL's order (no provenance)."""
    return [c for c in TABLES[table].column_names if c not in PROVENANCE]


def find_files(folder: Path) -> dict[str, Path]:
    """The Athena files of ``folder`` (names matched whatever their case)."""
    if not folder.is_dir():
        raise VocabularyError(f"{folder}: not a folder (give the folder of the Athena download)")
    present = {p.name.upper(): p for p in folder.iterdir() if p.is_file()}
    found = {name: present[name.upper()] for name in FILES if name.upper() in present}
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise VocabularyError(f"{folder}: not an Athena download: {', '.join(missing)} missing")
    return found


def _header(path: Path, table: str) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = [h.strip().lower() for h in handle.readline().rstrip("\r\n").split("\t")]
    expected = columns(table)
    if header != expected:
        unknown = [h for h in header if h not in expected]
        absent = [c for c in expected if c not in header]
        detail = f"unknown column(s) {', '.join(unknown)}" if unknown else f"missing column(s) {', '.join(absent)}" if absent else "columns out of order"
        raise VocabularyError(f"{path.name}, line 1: not the OMOP {table} header ({detail}; expected, tab-separated: {' '.join(expected)})")
    return header


def _value_sql(name: str, kind: str) -> tuple[str, str]:
    """(SQL converting the text column, SQL true when the text is not a valid value)."""
    col = f'"{name}"'
    if kind == "DATE":
        converted = f"coalesce(try_strptime({col}, '%Y%m%d')::DATE, try_cast({col} AS DATE))"
        return converted, f"({col} IS NOT NULL AND {converted} IS NULL)"
    if kind in ("BIGINT", "INTEGER", "DOUBLE"):
        converted = f"try_cast({col} AS {kind})"
        return converted, f"({col} IS NOT NULL AND {converted} IS NULL)"
    return col, "false"


_CSV_ERROR = re.compile(r"CSV Error on Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)", re.S)


def _stage(con, path: Path, table: str) -> int:
    """Read ``path`` into the table ``_athena`` of the DuckDB connection ``con`` (text columns
    and the line number); raises VocabularyError at the first line that is not a valid row.
    Returns the rows read."""
    names = _header(path, table)
    spec = {name: "VARCHAR" for name in names}
    try:
        con.execute("DROP TABLE IF EXISTS _athena")
        con.execute(
            "CREATE TEMP TABLE _athena AS SELECT *, row_number() OVER () + 1 AS _line FROM read_csv(?, delim='\t', header=true, quote='', "
            "escape='', auto_detect=false, columns=?, encoding='utf-8')", [str(path), spec]).fetchall()
    except Exception as exc:  # DuckDB's own message is many lines: keep what the user acts on
        match = _CSV_ERROR.search(str(exc))
        if match:
            raise VocabularyError(f"{path.name}, line {match.group(1)}: expected {match.group(2)} tab-separated fields, found {match.group(3)}") from None
        raise VocabularyError(f"{path.name}: cannot be read ({str(exc).splitlines()[0]})") from None
    checks = []
    for column in TABLES[table].columns:
        if column.name not in names:
            continue
        _, invalid = _value_sql(column.name, column.type)
        missing = f"(\"{column.name}\" IS NULL)" if column.required else "false"
        checks.append(f"SELECT min(_line), '{column.name}', '{column.type}', bool_or({missing}) FROM _athena WHERE {invalid} OR {missing}")
    bad = [row for row in con.execute(" UNION ALL ".join(checks)).fetchall() if row[0] is not None]
    if bad:
        line, name, kind, missing = min(bad)
        value = con.execute(f'SELECT "{name}" FROM _athena WHERE _line = ?', [line]).fetchall()[0][0]
        reason = f"{name} is empty (required)" if value is None else f"{name} {value!r} is not a {'date (YYYYMMDD)' if kind == 'DATE' else 'number'}"
        raise VocabularyError(f"{path.name}, line {line}: {reason}")
    return con.execute("SELECT count(*) FROM _athena").fetchall()[0][0]


def _write(store, con, path: Path, table: str, load_id: int) -> None:
    """The checked rows of ``_athena`` (in ``con``) into the warehouse's ``table``, replacing
    the table (``concept``: the concepts of the same ids)."""
    if table == "concept":
        store.register("_athena_ids", con.sql("SELECT DISTINCT try_cast(concept_id AS BIGINT) AS concept_id FROM _athena").to_arrow_table())
        try:
            store.execute("DELETE FROM concept WHERE concept_id IN (SELECT concept_id FROM _athena_ids)")
        finally:
            store.unregister("_athena_ids")
    else:
        store.execute(f'DELETE FROM "{table}"')
    select = ", ".join(f"{_value_sql(c.name, c.type)[0]}::{c.type} AS \"{c.name}\"" for c in TABLES[table].columns if c.name not in PROVENANCE)
    rows = con.sql(f"SELECT {select}, ? AS source_file, _line::VARCHAR AS source_record, ?::BIGINT AS load_id FROM _athena ORDER BY _line",
                   params=[path.name, load_id]).to_arrow_reader(BATCH)
    for batch in rows:
        store.insert_arrow(table, batch)


@contextmanager
def _reader() -> Iterator:
    """A DuckDB of its own for reading and checking the files: in memory, spilling to a
    temporary folder when a table outgrows it."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="clinsearch-athena-") as spill:
        con = duckdb.connect(config={"temp_directory": spill})
        try:
            yield con
        finally:
            con.close()


def load(store: DuckDBStore, folder: Path, *, data: Path | None = None,
         on_progress: Callable[[str, int], None] | None = None) -> dict:
    """Load the Athena download in ``folder``; returns the summary (rows per table, the
    vocabularies and their versions). ``data``: the data directory, where the marker the search
    reads (``vocabularies.json``) is written after the commit."""
    folder = Path(folder)
    files = find_files(folder)
    started = time.perf_counter()
    rows: dict[str, int] = {}
    load_id = store.next_id("load_log", "load_id")
    begun = dt.datetime.now()
    with _reader() as con, store.transaction():
        for name, table in FILES.items():
            if name not in files:
                continue
            rows[table] = _stage(con, files[name], table)
            _write(store, con, files[name], table, load_id)
            if on_progress:
                on_progress(name, rows[table])
        total = sum(rows.values())
        store.insert("load_log", [{"load_id": load_id, "source_file": str(folder), "checksum": None, "format": "athena", "status": "loaded",
                                   "started_at": begun, "finished_at": dt.datetime.now(), "records_read": total, "records_loaded": total,
                                   "records_skipped": 0, "records_quarantined": 0, "message": "OMOP vocabularies"}])
    vocabularies = [{"vocabulary_id": v, "name": n, "version": ver} for v, n, ver in
                    store.query("SELECT vocabulary_id, vocabulary_name, vocabulary_version FROM vocabulary ORDER BY vocabulary_id")]
    summary = {"folder": str(folder), "load_id": load_id, "tables": rows, "missing": [n for n in FILES if n not in files],
               "vocabularies": vocabularies, "seconds": round(time.perf_counter() - started, 2)}
    if data is not None:
        (Path(data) / MARKER).write_text(json.dumps({"load_id": load_id, "vocabularies": [v["vocabulary_id"] for v in vocabularies]}), "utf-8")
    return summary
