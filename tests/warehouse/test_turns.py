"""Readers and a writer take turns on the DuckDB file (warehouse/turns.py): a long load gives
way to requests between its transactions and while it computes, and a waiting load is not
starved by a steady stream of requests. Real processes, the real DuckDB file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from clinsearch.warehouse import duckdb as store_module
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.store import open_store

# A load that runs for ``seconds``: many short transactions, with give_way() between them as
# ingest does between its files.
LONG_LOAD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from clinsearch.warehouse.store import open_store
    with open_store(Path(sys.argv[1])) as store:
        print("locked", flush=True)
        until, n = time.monotonic() + float(sys.argv[2]), 100
        while time.monotonic() < until:
            with store.transaction():
                store.upsert("person", [{"person_id": n, "year_of_birth": 1950}])
            n += 1
            time.sleep(0.02)
            if sys.argv[3] == "give-way":
                store.give_way()
        print(n - 100, flush=True)
""")


@pytest.fixture
def data(tmp_path):
    data = tmp_path / "warehouse"
    with open_store(data) as store:
        store.upsert("person", [{"person_id": 1, "year_of_birth": 1950}])
    return data


def long_load(data, seconds: float, mode: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", LONG_LOAD, str(data), str(seconds), mode], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def finish(process: subprocess.Popen) -> int:
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    return int(out.strip())


def test_requests_are_answered_during_a_long_load_that_gives_way(data, monkeypatch):
    monkeypatch.setitem(store_module.LOCK_WAIT, "read", 3.0)
    load = long_load(data, 8, "give-way")
    answered = []
    for _ in range(5):
        with open_store(data, read_only=True) as store:
            answered.append(store.query("SELECT count(*) FROM person")[0][0])
        time.sleep(0.3)
    written = finish(load)
    assert len(answered) == 5 and answered == sorted(answered)  # each read saw a consistent, growing warehouse
    assert written > 5  # and the load went on meanwhile


@pytest.mark.duckdb_only  # on PostgreSQL readers never wait for a writer
def test_without_giving_way_a_long_load_keeps_requests_out(data, monkeypatch):
    """The control of the test above: what give_way() changes."""
    monkeypatch.setitem(store_module.LOCK_WAIT, "read", 3.0)
    load = long_load(data, 8, "hold")
    try:
        with pytest.raises(WarehouseError, match="another process is writing"):
            open_store(data, read_only=True)
    finally:
        finish(load)


def test_a_writer_paused_while_it_computes_lets_readers_in(data, monkeypatch):
    monkeypatch.setitem(store_module.LOCK_WAIT, "read", 0.5)
    reader = [sys.executable, "-c", "import sys; from pathlib import Path; from clinsearch.warehouse.store import open_store; "
              "s = open_store(Path(sys.argv[1]), read_only=True); print(s.query('SELECT count(*) FROM person')[0][0])", str(data)]
    with open_store(data) as store:
        with store.paused():
            assert subprocess.run(reader, capture_output=True, text=True, timeout=60).stdout.strip() == "1"
        store.upsert("person", [{"person_id": 2, "year_of_birth": 1960}])  # the store is back for writing
    assert subprocess.run(reader, capture_output=True, text=True, timeout=60).stdout.strip() == "2"


def test_a_load_is_not_starved_by_a_steady_stream_of_requests(data):
    stop, reads, failures = threading.Event(), [], []

    def requests():  # overlapping readers, as the server's threads are
        while not stop.is_set():
            try:
                with open_store(data, read_only=True) as store:
                    reads.append(store.query("SELECT count(*) FROM person")[0][0])
                    time.sleep(0.05)
            except WarehouseError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=requests) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        load = subprocess.run([sys.executable, "-c", LONG_LOAD, str(data), "1", "give-way"], capture_output=True, text=True, timeout=120)
        waited = time.monotonic() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert load.returncode == 0, load.stderr
    assert waited < 30  # it got its turns although readers never stopped overlapping
    assert not failures and reads
