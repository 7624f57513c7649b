"""Upgrading a warehouse made by an earlier clinsearch: the schema of version 1 (24 of the 39
OMOP tables, no version recorded) is kept as a fixture with a few rows written by hand."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from clinsearch.config import warehouse_path
from clinsearch.warehouse import upgrade as upgrade_module
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.schema import SCHEMA_VERSION, TABLES
from clinsearch.warehouse.store import open_store
from tests.helpers import DATA, query, run_cli

V1 = DATA / "warehouse_v1"


@pytest.fixture
def old(data):
    """A data directory whose warehouse is of schema version 1."""
    path = warehouse_path(data)
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute((V1 / "schema.sql").read_text("utf-8"))
        con.execute((V1 / "rows.sql").read_text("utf-8"))
    return data


def tables(data) -> set[str]:
    with duckdb.connect(str(warehouse_path(data)), read_only=True) as con:
        return {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_an_older_warehouse_is_refused_read_only_with_the_command_that_upgrades_it(old):
    with pytest.raises(WarehouseError, match=r"schema version 1 .*run 'clinsearch upgrade'"):
        open_store(old, read_only=True)
    result = run_cli("--data", old, "stats")
    assert result.exit_code == 1 and "clinsearch upgrade" in result.stderr and "Traceback" not in result.stderr


def test_upgrade_migrates_in_place_keeping_every_row_and_deriving_the_new_tables(old):
    assert "observation_period" not in tables(old)
    result = run_cli("--data", old, "upgrade", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["before"], out["after"]) == (1, SCHEMA_VERSION)
    assert set(TABLES) <= tables(old)
    assert out["tables"]["person"] == 2 and out["tables"]["condition_occurrence"] == 3 and out["tables"]["note"] == 1
    assert query(old, "SELECT note_text FROM note") == [("Pas d'embolie pulmonaire. Diabète de type 2 équilibré.",)]
    assert sorted(query(old, "SELECT person_id, observation_period_start_date, observation_period_end_date FROM observation_period")) == [
        (1, dt.date(2021, 1, 4), dt.date(2021, 1, 20)), (2, dt.date(2022, 6, 30), dt.date(2023, 2, 1))]
    assert sorted(query(old, "SELECT person_id, condition_era_start_date, condition_occurrence_count FROM condition_era")) == [
        (1, dt.date(2021, 1, 4), 2), (2, dt.date(2022, 6, 30), 1)]
    again = run_cli("--data", old, "upgrade")
    assert again.exit_code == 0 and f"already at schema version {SCHEMA_VERSION}" in again.stdout
    with open_store(old, read_only=True) as store:  # readable now
        assert store.count("person") == 2


def test_an_upgrade_that_fails_half_way_leaves_the_warehouse_at_its_old_version(old, monkeypatch):
    def broken(store):
        raise OSError("disk full")

    monkeypatch.setattr(upgrade_module, "derive_within", broken)
    with pytest.raises(OSError):
        open_store(old)
    assert "observation_period" not in tables(old) and "schema_version" not in tables(old)
    monkeypatch.undo()
    with open_store(old) as store:
        assert store.upgraded == (1, SCHEMA_VERSION)


def test_a_new_warehouse_starts_at_the_current_version_and_a_newer_one_is_refused(data):
    with open_store(data) as store:
        assert store.upgraded == (None, SCHEMA_VERSION)
        store.execute("INSERT INTO schema_version VALUES (?, ?)", [SCHEMA_VERSION + 1, dt.datetime(2030, 1, 1)])
    for read_only in (True, False):
        with pytest.raises(WarehouseError, match="made by a newer clinsearch"):
            open_store(data, read_only=read_only)
