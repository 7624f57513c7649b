"""The loader's guarantees: idempotent, atomic per file, nothing lost."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from clinsearch.warehouse.load import load
from clinsearch.warehouse.records import Parsed, Rejected, Row, Skipped
from clinsearch.warehouse.stats import stats
from clinsearch.warehouse.store import open_store
from tests.helpers import counts, quarantine, query
from tests.helpers import load as ingest_paths


def person(pid: int) -> Parsed:
    return Parsed(f"line {pid}", [Row("person", {"person_id": pid, "year_of_birth": 1950})])


def test_a_failure_in_the_middle_of_a_file_rolls_the_whole_file_back(data):
    def records():
        yield person(1)
        yield person(2)
        raise RuntimeError("disk on fire")

    with open_store(data) as store:
        load(store, "ok.csv", "omop", "sum-ok", lambda: iter([person(9)]))
        with pytest.raises(RuntimeError):
            load(store, "bad.csv", "omop", "sum-bad", records)
    assert query(data, "SELECT person_id FROM person") == [(9,)]
    assert query(data, "SELECT source_file FROM load_log") == [("ok.csv",)]


def test_the_summary_counts_every_record_once(data):
    records = [person(1), Rejected("line 2", "bad"), Skipped("line 3", "unmapped resource type Claim"), person(1)]
    with open_store(data) as store:
        summary = load(store, "f", "omop", "sum", lambda: iter(records))
    assert (summary.read, summary.loaded, summary.skipped, summary.quarantined) == (4, 1, 1, 2)
    assert query(data, "SELECT records_read, records_loaded, records_skipped, records_quarantined, status FROM load_log") == [(4, 1, 1, 2, "partly quarantined")]


def test_loading_a_file_again_does_not_pile_up_its_quarantine(data, tmp_path):
    path = tmp_path / "person.csv"
    path.write_text("person_id,year_of_birth\n1,1950\n2,never\n")
    ingest_paths(data, path)
    path.write_text("person_id,year_of_birth\n1,1950\n2,jamais\n")
    ingest_paths(data, path)
    assert [q["reason"] for q in quarantine(data)] == ["column year_of_birth: expected a number, got 'jamais'"]


def test_a_failed_file_is_retried_on_the_next_ingest(data, tmp_path):
    path = tmp_path / "person.csv"
    path.write_text("person_id\n1\n")
    assert ingest_paths(data, path).summaries[0].status == "failed"
    assert ingest_paths(data, path).summaries[0].status == "failed"
    assert len(quarantine(data)) == 1
    path.write_text("person_id,year_of_birth\n1,1950\n")
    assert ingest_paths(data, path).ok and counts(data)["person"] == 1
    assert quarantine(data) == []


def test_a_load_killed_half_way_leaves_the_warehouse_as_before_that_file(data, tmp_path):
    small = tmp_path / "person.csv"
    small.write_text("person_id,year_of_birth\n1,1950\n2,1960\n3,1970\n")
    big = tmp_path / "measurement.csv"
    with open(big, "w") as handle:
        handle.write("measurement_id,person_id,measurement_date,value_as_number,measurement_source_value\n")
        for i in range(1, 600_001):
            handle.write(f"{i},{i % 3 + 1},2024-01-{i % 28 + 1:02d},{i % 200},2093-3\n")
    command = [sys.executable, "-m", "clinsearch.cli", "--data", str(data), "ingest", str(small), str(big)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    for line in process.stderr:
        if "measurement.csv" in line or time.monotonic() > deadline:
            break
    time.sleep(1.0)  # well inside the big file's transaction
    assert process.poll() is None, "the load finished before it could be killed; make the file bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    assert counts(data)["person"] == 3
    assert counts(data)["measurement"] == 0
    assert query(data, "SELECT source_file FROM load_log") == [(str(small.resolve()),)]
    with open_store(data, read_only=True) as store:  # killed before the derived tables: said, not silently old
        assert stats(store)["derived_stale"] is True
    # and the next ingest loads the big file whole, and derives the tables from everything
    result = ingest_paths(data, small, big)
    assert [s.status for s in result.summaries] == ["already loaded", "loaded"]
    assert counts(data)["measurement"] == 600_000
    assert query(data, "SELECT count(*), min(observation_period_start_date), max(observation_period_end_date) FROM observation_period") == [
        (3, dt.date(2024, 1, 1), dt.date(2024, 1, 28))]


def test_the_warehouse_is_refused_clearly_when_another_process_holds_it(data, tmp_path):
    from tests.helpers import run_cli

    code = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)"
    data.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", code, str(data / "warehouse.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run_cli("--data", data, "stats")
        assert result.exit_code == 1
        assert "cannot open the warehouse" in result.stderr and "warehouse.duckdb" in result.stderr
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
