"""A warehouse on a PostgreSQL server as files, and back: what ``clinsearch backup`` and
``restore`` do with a server's warehouse (the embedded one is a file, copied as it is).

* ``dump(store, folder)`` writes every table of the warehouse's schema as PostgreSQL's binary
  ``COPY`` format (``TABLE.pgcopy``), all from one snapshot (a ``REPEATABLE READ, READ ONLY``
  transaction): the tables agree with each other although loads may commit meanwhile. No
  ``pg_dump`` needed on the machine, and nothing but the data (the schema is clinsearch's own).
* ``load_dump(store, folder)`` writes them into an empty warehouse of this schema, in
  one transaction: killed half-way, the server holds nothing of it.
"""

from __future__ import annotations

from pathlib import Path

from clinsearch.warehouse.errors import WarehouseError

SUFFIX = ".pgcopy"
BLOCK = 1 << 20


def dump(store, folder: Path) -> dict[str, int]:
    """Every table of ``store`` into ``folder`` (made here); rows per table."""
    folder.mkdir(mode=0o700)
    rows: dict[str, int] = {}
    with store.con.transaction():
        store.con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table in sorted(store.tables()):
            with open(folder / f"{table}{SUFFIX}", "wb") as out:
                with store.con.cursor().copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as copy:
                    for block in copy:
                        out.write(block)
            rows[table] = store.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return rows


def load_dump(store, folder: Path) -> None:
    """The tables dumped in ``folder`` into ``store``, a new warehouse (no patient yet), in one
    transaction; a table of the dump that this schema lacks is refused."""
    if store.query("SELECT count(*) FROM person")[0][0]:
        raise WarehouseError(f"{store.path}: already holds a warehouse; restore into a new database or schema")
    present = store.tables()
    files = sorted(folder.glob(f"*{SUFFIX}"))
    unknown = [f.stem for f in files if f.stem not in present]
    if unknown:
        raise WarehouseError(f"{folder}: table(s) {', '.join(unknown)} unknown to this clinsearch; nothing was restored")
    with store.transaction():
        for path in files:
            store.con.execute(f'TRUNCATE "{path.stem}"')  # the new warehouse's own bookkeeping rows go
            with store.con.cursor().copy(f'COPY "{path.stem}" FROM STDIN (FORMAT binary)') as copy, open(path, "rb") as handle:
                for block in iter(lambda: handle.read(BLOCK), b""):
                    copy.write(block)
