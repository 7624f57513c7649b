"""Backing up and restoring a whole data directory, consistent while it is being served.

A backup holds everything of one warehouse: the warehouse file (or, for a warehouse on a
PostgreSQL server, its tables from one snapshot: ``warehouse/dump.py``), the search index, the users,
sessions, saved cohorts and audit log (``security.sqlite``), the audit log's signed head and the
warehouse's secret (without it pseudonyms and date shifts would change). It is taken while the
server answers:

* the warehouse and the index are copied while holding a reader's turn on the warehouse
  (``warehouse/turns.py``; on a server, the writers' turn): no load or index update writes
  meanwhile (one waiting for the turn goes on when the copy ends; a long load gives way between
  its files), readers go on;
* ``security.sqlite`` is copied with SQLite's backup API inside a transaction that holds its
  write lock, together with the audit head, so that the copy's head matches the copy's log;
* ``MANIFEST.json`` lists every file with its size and SHA-256: ``restore`` checks them all
  before writing anything, and restores into a data directory that must not hold a warehouse
  yet, whole or not at all (a temporary folder renamed into place).

Both refuse with one line (``BackupError``): a target that exists and is not empty, a backup
whose files do not match its manifest, a data directory that already holds a warehouse. A
server's backup is restored onto the server the new data directory names (``--warehouse URL``
or ``CLINSEARCH_WAREHOUSE``), into a database or schema with no warehouse yet; its URL (and
password) is never written into the backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

from clinsearch import __version__
from clinsearch.config import WAREHOUSE_URL_FILE, private_dir, warehouse_path, warehouse_url
from clinsearch.files import OutputError, atomic
from clinsearch.search.index import index_dir
from clinsearch.statedb import WRITE_LOCK
from clinsearch.warehouse.dump import dump, load_dump
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.schema import SCHEMA_VERSION
from clinsearch.warehouse.store import open_store
from clinsearch.warehouse.upgrade import upgrade

MANIFEST = "MANIFEST.json"
WAREHOUSE_FILES = ("warehouse.duckdb", "warehouse.duckdb.wal")  # the WAL of a writer that did not checkpoint
SMALL_FILES = ("secret.key",)
SERVER_DUMP = "warehouse"  # the folder of a server's tables in a backup


class BackupError(Exception):
    """A backup or a restore that cannot be done as asked (one line: what and where)."""


def backup(data: Path, target: Path) -> dict:
    """Copy the data directory ``data`` into the new folder ``target``; the manifest."""
    data, target = Path(data), Path(target)
    if not warehouse_path(data).exists() and not (data / WAREHOUSE_URL_FILE).exists():
        raise BackupError(f"{data}: no warehouse here to back up")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target}: exists and is not empty; back up into a new folder")
    if target.exists():
        target.rmdir()
    try:
        atomic(target, lambda tmp: _copy(data, tmp))
    except OutputError as exc:
        raise BackupError(str(exc)) from None
    return json.loads((target / MANIFEST).read_text("utf-8"))


def _copy(data: Path, out: Path) -> None:
    out.mkdir(mode=0o700)
    # A reader's turn: no writer until the copy ends. Any schema version: one backs up before upgrading.
    with open_store(data, read_only=True, any_version=True) as store, store.writers_kept_out():
        if store.dialect == "postgresql":
            dump(store, out / SERVER_DUMP)
        for name in WAREHOUSE_FILES:
            if (data / name).exists():
                shutil.copy2(data / name, out / name)
        index = index_dir(data)
        if index.is_dir():
            shutil.copytree(index, out / index.name)
        counts = {table: store.count(table) for table in ("person", "note", "note_nlp")}
        kind = store.dialect
    for name in SMALL_FILES:
        if (data / name).exists():
            shutil.copy2(data / name, out / name)
    _copy_security(data, out)
    files = {str(p.relative_to(out)): {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = {"clinsearch": __version__, "schema_version": SCHEMA_VERSION, "warehouse": kind, "created": dt.datetime.now().replace(microsecond=0).isoformat(),
                "source": str(data.resolve()), "rows": counts, "files": files}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1), "utf-8")


def _copy_security(data: Path, out: Path) -> None:
    """``security.sqlite`` and the audit head as one state: SQLite's write lock held meanwhile."""
    source = data / "security.sqlite"
    if not source.exists():
        return
    with WRITE_LOCK:  # this process's writers; other processes wait on SQLite's own lock, held below
        lock = sqlite3.connect(source, timeout=30, isolation_level=None)
        reader = sqlite3.connect(source, timeout=30)
        copy = sqlite3.connect(out / "security.sqlite")
        try:
            lock.execute("BEGIN IMMEDIATE")  # no entry is appended until the head and the log are copied
            if (data / "audit.head").exists():
                shutil.copy2(data / "audit.head", out / "audit.head")
            reader.backup(copy)  # one step: the log as committed, which the held lock keeps still
        finally:
            if lock.in_transaction:
                lock.execute("ROLLBACK")
            for con in (copy, reader, lock):
                con.close()


def restore(source: Path, data: Path) -> dict:
    """Restore the backup ``source`` as the data directory ``data`` (which must hold no
    warehouse yet); the backup's manifest."""
    source, data = Path(source), Path(data)
    manifest = verify(source)
    on_server = manifest.get("warehouse") == "postgresql"
    url = warehouse_url(data)
    if data.exists() and any(p.name != WAREHOUSE_URL_FILE for p in data.iterdir()):
        raise BackupError(f"{data}: already holds data; restore into a new or empty data directory")
    if on_server and not url:
        raise BackupError(f"{source}: a backup of a warehouse on a PostgreSQL server: name the server to restore it to "
                          "(clinsearch --warehouse postgresql://... restore, or CLINSEARCH_WAREHOUSE)")
    if url and not on_server:
        raise BackupError(f"{source}: a backup of an embedded warehouse: restore it into a data directory without --warehouse")
    if not data.parent.exists():
        raise BackupError(f"{data}: folder {data.parent} does not exist")

    def write(tmp: Path) -> None:
        tmp.mkdir(mode=0o700)
        for name in manifest["files"]:
            if not name.startswith(SERVER_DUMP + "/"):
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / name, tmp / name)
        for name in SMALL_FILES:
            if (tmp / name).exists():
                os.chmod(tmp / name, 0o600)
        if on_server:
            (tmp / WAREHOUSE_URL_FILE).write_text(url, "utf-8")
            os.chmod(tmp / WAREHOUSE_URL_FILE, 0o600)
            _restore_server(tmp, source / SERVER_DUMP, manifest)

    atomic(data, write)  # replaces a data directory that held only the warehouse's URL
    private_dir(data)
    return manifest


def _restore_server(data: Path, dump_folder: Path, manifest: dict) -> None:
    """The server's tables of the backup into the (new) warehouse ``data`` names, then brought
    to this schema version when the backup is older."""
    try:
        with open_store(data) as store:
            load_dump(store, dump_folder)
            if manifest.get("schema_version", SCHEMA_VERSION) < SCHEMA_VERSION:
                upgrade(store, store.path)
    except WarehouseError as exc:
        raise BackupError(str(exc)) from None


def verify(source: Path) -> dict:
    """The backup's manifest, once every file it lists is there with its size and checksum."""
    try:
        manifest = json.loads((Path(source) / MANIFEST).read_text("utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(f"{source}: not a clinsearch backup (no readable {MANIFEST})") from None
    if manifest.get("schema_version", 0) > SCHEMA_VERSION:
        raise BackupError(f"{source}: a backup of schema version {manifest['schema_version']}, newer than this clinsearch ({SCHEMA_VERSION})")
    for name, expected in files.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise BackupError(f"{source}: {name} is not a file of a data directory; nothing was restored")
        path = Path(source) / name
        if not path.is_file():
            raise BackupError(f"{source}: {name} is missing from the backup")
        if path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{source}: {name} does not match the manifest (altered or damaged); nothing was restored")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
