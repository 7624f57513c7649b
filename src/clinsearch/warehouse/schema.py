"""The warehouse's data model, read from ``schema.sql``.

``schema.sql`` is the single description of every table; this module parses it into plain
dataclasses so that readers can validate records against it and stores can create it.

>>> TABLES["person"].key
'person_id'
>>> [c.name for c in TABLES["note"].required]
['note_id', 'person_id', 'note_date', 'note_text']
>>> TABLES["concept_ancestor"].keys
('ancestor_concept_id', 'descendant_concept_id')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

PROVENANCE = ("source_file", "source_record", "load_id")
# Tables the loader manages itself; readers never emit rows for them.
BOOKKEEPING = ("load_log", "quarantine", "note_nlp_state", "index_state", "derived_state", "schema_version")
# The version of schema.sql: 1 had 24 of the 39 OMOP tables (to December 2026), 2 has all of them
# and the derived ones. ``upgrade.py`` migrates a warehouse of an earlier version in place.
SCHEMA_VERSION = 2
# OMOP tables clinsearch computes from the others after each ingest (``derived.py``); no source
# writes them.
DERIVED = ("observation_period", "condition_era", "drug_era", "dose_era", "cdm_source")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # BIGINT, INTEGER, DOUBLE, DATE, TIMESTAMP, VARCHAR
    required: bool
    key: bool = False  # one of the columns that together identify a row


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    @property
    def key(self) -> str:
        """The first column (``person_id``, ``note_id`` ...): the one that identifies a row of a
        table with an id column, and the first of the ``keys`` of one without."""
        return self.columns[0].name

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns that together identify a row: those marked ``key`` in ``schema.sql``
        (``concept_ancestor``, ``fact_relationship`` ...), else the first column alone."""
        return tuple(c.name for c in self.columns if c.key) or (self.key,)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


_TABLE_RE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", re.S)
_COLUMN_RE = re.compile(r'^\s*"?(\w+)"?\s+(\w+),?\s*(--.*)?$')


def schema_sql() -> str:
    return resources.files("clinsearch.warehouse").joinpath("schema.sql").read_text("utf-8")


def parse_schema(sql: str) -> dict[str, Table]:
    tables = {}
    for name, body in _TABLE_RE.findall(sql):
        columns = []
        for line in body.splitlines():
            match = _COLUMN_RE.match(line)
            if match:
                comment = match.group(3) or ""
                marks = set(re.findall(r"\w+", comment))
                columns.append(Column(match.group(1), match.group(2), "required" in marks, "key" in marks))
        tables[name] = Table(name, tuple(columns))
    return tables


TABLES: dict[str, Table] = parse_schema(schema_sql())
# Tables that hold data (everything but the loader's own bookkeeping).
DATA_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t not in BOOKKEEPING)
# Tables a source may write (the data tables but the derived ones).
SOURCE_TABLES: tuple[str, ...] = tuple(t for t in DATA_TABLES if t not in DERIVED)


def check_table(table: str) -> None:
    """Refuse a table name the schema does not have (names are put in SQL text)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")


def present_columns(table: str, rows: list[dict]) -> list[Column]:
    """The columns of ``table`` that ``rows`` give values for, in the table's order; an unknown
    column raises (a reader's mistake, never silently dropped)."""
    spec = TABLES[table]
    present = {name for row in rows for name in row}
    unknown = present - set(spec.column_names)
    if unknown:
        raise ValueError(f"{table}: unknown column(s) {', '.join(sorted(unknown))}")
    return [c for c in spec.columns if c.name in present]
