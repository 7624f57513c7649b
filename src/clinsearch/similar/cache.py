"""The concept matrix remembered between requests while the warehouse is unchanged.

Reading the matrix is the one slow step of a request (the NLP's mentions of every note: some
seconds at 100,000 patients, where ranking takes milliseconds), and it is the same for every
request until the warehouse changes. For the embedded DuckDB file, the matrix is kept per
process with the file's fingerprint (modification time and size of the file and of its
write-ahead log): a load that commits changes one of them, and the next request reads the
matrix again. A read happens within a reader's turn, when no load writes (``warehouse.turns``),
so the fingerprint taken then is that of the data read. A warehouse on a PostgreSQL server has
no such fingerprint: its matrix is read on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from clinsearch.config import warehouse_path, warehouse_url
from clinsearch.similar.concepts import Concepts, read_concepts

KEPT = 4  # matrices kept (the whole warehouse's, and a few restricted clinicians' views)
_kept: OrderedDict[tuple, Concepts] = OrderedDict()
_lock = threading.Lock()


def fingerprint(data: Path) -> tuple | None:
    """(modification time, size) of the DuckDB file and of its write-ahead log; None on a server."""
    if warehouse_url(data):
        return None
    path = warehouse_path(data)
    stamps = []
    for part in (path, path.with_name(path.name + ".wal")):
        try:
            stat = part.stat()
        except FileNotFoundError:
            stamps.append(None)
        else:
            stamps.append((stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def concepts(store, data: Path, departments: tuple[str, ...] | None = None, whole: tuple[int, ...] = ()) -> Concepts:
    """``read_concepts(store, departments, whole)``, remembered while the warehouse is unchanged.
    The matrix returned is shared: callers read it, never change it."""
    stamp = fingerprint(data)
    if stamp is None:
        return read_concepts(store, departments, whole)
    key = (str(Path(data).resolve()), stamp, departments, tuple(sorted(whole)) if departments is not None else ())
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    found = read_concepts(store, departments, whole)
    with _lock:
        _kept[key] = found
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return found


def forget() -> None:
    """Drop every matrix kept (tests, memory)."""
    with _lock:
        _kept.clear()
