"""Taking turns on the DuckDB file: many readers at once, or one writer, and a writer that waits
is served before readers that come after it.

DuckDB's own lock says only "someone has the file": under a steady stream of requests a load
would never find it free, and a reader arriving during a load fails at once. Two advisory locks
(``flock``, released by the system when a process dies, even by kill -9) beside the file order
the turns:

* ``<file>.turn`` -- the door. A writer holds it exclusively for as long as it writes; a reader
  passes it (takes it shared and drops it at once), so a waiting writer shuts out newcomers;
* ``<file>.use`` -- the room. Readers hold it shared while their connection is open; a writer
  takes it exclusively once the readers already inside have left.

A writer gives its turn back between its transactions (``Turn.give_way``) and while it computes
(the NLP of a batch), so that requests are answered during a long load; a reader waits at most
``timeout`` for a writer's transaction, then the store is "momentarily unavailable".

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "w.duckdb"
>>> writer = Turn(path, write=True, timeout=1.0)
>>> Turn(path, write=False, timeout=0.1)
Traceback (most recent call last):
...
TimeoutError: the warehouse is being written
>>> writer.release()
>>> Turn(path, write=False, timeout=0.1).release()
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

POLL = 0.01  # seconds between two tries: short, so that a reader gets in while a writer gives way
GIVE_WAY_AFTER = 0.5  # a writer that has held its turn this long lets the waiting readers in
GIVE_WAY_PAUSE = 0.05  # ... and waits this long before taking it again


class Turn:
    """One reader's or one writer's turn on the file at ``path``, taken on construction."""

    def __init__(self, path: Path, *, write: bool, timeout: float):
        self.path, self.write, self.timeout = Path(path), write, timeout
        self._door: int | None = None
        self._room: int | None = None
        self.acquire()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        door = _open(self.path, ".turn")
        try:
            _lock(door, fcntl.LOCK_EX if self.write else fcntl.LOCK_SH, deadline)
            if not self.write:
                fcntl.flock(door, fcntl.LOCK_UN)
                os.close(door)
                door = None
            room = _open(self.path, ".use")
            try:
                _lock(room, fcntl.LOCK_EX if self.write else fcntl.LOCK_SH, deadline)
            except BaseException:
                os.close(room)
                raise
        except BaseException:
            if door is not None:
                os.close(door)
            raise
        self._door, self._room = door, room
        self.since = time.monotonic()

    def release(self) -> None:
        for fd in (self._room, self._door):
            if fd is not None:
                os.close(fd)  # closing the descriptor drops its lock
        self._door = self._room = None

    @property
    def held(self) -> bool:
        return self._room is not None

    def due(self) -> bool:
        """A writer has held its turn long enough that it should give way."""
        return self.write and self.held and time.monotonic() - self.since >= GIVE_WAY_AFTER


def _open(path: Path, suffix: str) -> int:
    try:
        return os.open(str(path) + suffix, os.O_RDWR | os.O_CREAT, 0o600)
    except PermissionError:  # a reader of a folder it may not write to: a shared lock needs no more
        return os.open(str(path) + suffix, os.O_RDONLY)


def _lock(fd: int, mode: int, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() + POLL > deadline:
                raise TimeoutError("the warehouse is being written" if mode == fcntl.LOCK_SH else "the warehouse is in use") from None
            time.sleep(POLL)
