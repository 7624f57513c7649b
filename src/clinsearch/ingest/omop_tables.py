"""Reader for OMOP CDM tables exported as CSV or Parquet.

The table is recognised by the file name (``person.csv``, ``NOTE.parquet``,
``measurement.csv.gz``). CSV files may be UTF-8 or Latin-1/Windows-1252 and separated by
``,``, ``;``, tab or ``|`` -- French hospital exports are often ``;``-separated Latin-1 with
decimal commas. Every line is checked against the warehouse schema: the header must name known
columns and hold the required ones (else the file is unreadable), and each value must parse
as its column's type (else that line goes to the quarantine).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
from pathlib import Path
from typing import Any, Callable, Iterator

from clinsearch.ingest.values import parse_date, parse_datetime, parse_float, parse_int
from clinsearch.warehouse.records import Parsed, Record, Rejected, Row, UnreadableFile
from clinsearch.warehouse.schema import PROVENANCE, SOURCE_TABLES, TABLES, Table

SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet")
DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(64 * 1024 * 1024)  # notes can be long


def table_for(path: Path) -> str | None:
    """The OMOP table a file holds, from its name, or None (the derived tables, which clinsearch
    computes, are no source's: ``named_table`` tells them)."""
    stem = named_table(path)
    return stem if stem in SOURCE_TABLES else None


def named_table(path: Path) -> str | None:
    """The warehouse table a file is named after (``OBSERVATION_PERIOD.csv``), or None."""
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem in TABLES else None
    return None


def read(path: Path) -> Iterator[Record]:
    table = TABLES[table_for(path) or ""]
    if path.name.lower().endswith(".parquet"):
        return _read_parquet(path, table)
    return _read_csv(path, table)


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' when the whole file is valid UTF-8, else 'cp1252' (Windows Latin-1, what
    French exports use) when it decodes, else 'latin-1' (which decodes any byte)."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with _open_bytes(path) as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except (OSError, EOFError) as exc:
            raise UnreadableFile(str(path), f"cannot read file ({exc})") from None
        return encoding
    return "latin-1"


def _read_csv(path: Path, table: Table) -> Iterator[Record]:
    encoding = detect_encoding(path)
    with io.TextIOWrapper(_open_bytes(path), encoding=encoding, errors="strict", newline="") as text:
        header_line = text.readline()
        if not header_line.strip():
            raise UnreadableFile(str(path), "empty file (no header line)")
        delimiter = max(DELIMITERS, key=header_line.count)
        header = next(csv.reader([header_line], delimiter=delimiter))
        converters = _converters(path, table, header)
        reader = csv.reader(text, delimiter=delimiter)
        line = 1
        while True:
            start = line + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UnreadableFile(str(path), f"line {start}: malformed CSV ({exc})") from None
            line = reader.line_num + 1
            if not fields or fields == [""]:
                continue
            position = f"line {start}"
            if len(fields) != len(header):
                yield Rejected(position, f"expected {len(header)} fields, got {len(fields)}", delimiter.join(fields))
                continue
            yield _record(table, converters, fields, position, lambda: delimiter.join(fields))


def _read_parquet(path: Path, table: Table) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several kinds for a bad file
        raise UnreadableFile(str(path), f"not a readable Parquet file ({exc})") from None
    header = parquet.schema_arrow.names
    converters = _converters(path, table, header)
    index = 0
    for batch in parquet.iter_batches(batch_size=10_000):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for values in zip(*columns):
            index += 1
            yield _record(table, converters, values, f"row {index}", lambda: repr(values))


Converter = tuple[str, Callable[[Any], Any], bool]


def _converters(path: Path, table: Table, header: list[str]) -> list[Converter]:
    names = [h.strip().strip('"').lower() for h in header]
    known = set(table.column_names) - set(PROVENANCE)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnreadableFile(str(path), f"unknown column(s) {', '.join(unknown)} for OMOP table {table.name}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise UnreadableFile(str(path), f"column(s) {', '.join(duplicated)} appear twice in the header")
    missing = [c.name for c in table.required if c.name not in names]
    if missing:
        raise UnreadableFile(str(path), f"missing required column(s) {', '.join(missing)} for OMOP table {table.name}")
    return [(n, _COERCE[table.column(n).type], table.column(n).required) for n in names]


def _record(table: Table, converters: list[Converter], values, position: str, raw) -> Record:
    row = {}
    for (name, coerce, required), value in zip(converters, values):
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                return Rejected(position, f"missing required value for {name}", raw())
            continue
        try:
            row[name] = coerce(value)
        except (ValueError, TypeError) as exc:
            return Rejected(position, f"column {name}: {exc}", raw())
    return Parsed(position, [Row(table.name, row)])


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value))


def _to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return parse_datetime(str(value))


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    return parse_int(str(value))


def _to_float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else parse_float(str(value))


def _to_str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _bounded(bits: int) -> Callable[[Any], int]:
    limit = 2 ** (bits - 1)

    def coerce(value: Any) -> int:
        number = _to_int(value)
        if not -limit <= number < limit:
            raise ValueError(f"{number} is out of range for a {bits}-bit integer column")
        return number

    return coerce


_COERCE = {
    "BIGINT": _bounded(64),
    "INTEGER": _bounded(32),
    "DOUBLE": _to_float,
    "DATE": _to_date,
    "TIMESTAMP": _to_datetime,
    "VARCHAR": _to_str,
}
