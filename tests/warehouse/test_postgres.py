"""The warehouse on a PostgreSQL server: what only the server store does (the rest of
tests/warehouse runs on it too, on make test's PostgreSQL pass)."""

from __future__ import annotations

import threading
import time

import pytest

from clinsearch.config import warehouse_path
from clinsearch.warehouse.postgres import redacted
from clinsearch.warehouse.sql import to_postgres
from clinsearch.warehouse.store import open_store
from tests.conftest import new_postgres_warehouse
from tests.helpers import run_cli


@pytest.fixture
def server_data(tmp_path, postgres_server):
    """A data directory whose warehouse is a new schema of the throw-away server."""
    url = new_postgres_warehouse(postgres_server)
    data = tmp_path / "data"
    result = run_cli("--data", data, "--warehouse", url, "upgrade")
    assert result.exit_code == 0, result.stderr
    return data, url


def test_the_data_directory_remembers_its_server_and_keeps_no_duckdb_file(server_data):
    data, url = server_data
    assert (data / "warehouse.url").read_text().strip() == url
    assert (data / "warehouse.url").stat().st_mode & 0o077 == 0  # it may hold a password
    with open_store(data) as store:
        assert store.dialect == "postgresql"
        store.upsert("person", [{"person_id": 7, "year_of_birth": 1960}])
    assert not warehouse_path(data).exists()
    with open_store(data, read_only=True) as store:
        assert store.query("SELECT person_id, year_of_birth FROM person") == [(7, 1960)]


def test_another_server_or_an_embedded_warehouse_is_refused(server_data, tmp_path, postgres_server, monkeypatch):
    data, _ = server_data
    monkeypatch.delenv("CLINSEARCH_WAREHOUSE", raising=False)  # set on make test's PostgreSQL pass
    other = new_postgres_warehouse(postgres_server)
    result = run_cli("--data", data, "--warehouse", other, "stats")
    assert result.exit_code != 0 and "another server" in result.stderr
    embedded = tmp_path / "embedded"
    with open_store(embedded) as store:
        assert store.dialect == "duckdb"
    result = run_cli("--data", embedded, "--warehouse", other, "stats")
    assert result.exit_code != 0 and "embedded file" in result.stderr


def test_a_reader_is_answered_at_once_while_a_load_holds_its_transaction(server_data):
    data, _ = server_data
    with open_store(data) as store:
        store.upsert("person", [{"person_id": 1, "year_of_birth": 1950}])
    inside, done = threading.Event(), threading.Event()

    def long_load():
        with open_store(data) as writer, writer.transaction():
            writer.upsert("person", [{"person_id": 2, "year_of_birth": 1970}])
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=long_load)
    thread.start()
    assert inside.wait(5)
    started = time.monotonic()
    with open_store(data, read_only=True) as reader:
        seen = reader.query("SELECT person_id FROM person ORDER BY 1")
    waited = time.monotonic() - started
    done.set()
    thread.join()
    assert seen == [(1,)]  # the uncommitted row is not seen, and the reader did not wait for it
    assert waited < 2.0
    with open_store(data, read_only=True) as reader:
        assert reader.query("SELECT person_id FROM person ORDER BY 1") == [(1,), (2,)]


def test_a_failed_transaction_leaves_the_server_warehouse_as_before(server_data):
    data, _ = server_data
    with open_store(data) as store:
        store.upsert("person", [{"person_id": 1, "year_of_birth": 1950}])
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert("person", [{"person_id": 1, "year_of_birth": 1999}, {"person_id": 3, "year_of_birth": 2000}])
            raise RuntimeError("killed half-way")
        assert store.query("SELECT person_id, year_of_birth FROM person") == [(1, 1950)]


def test_the_duckdb_functions_are_made_once_not_at_every_writer_open(server_data, monkeypatch):
    from clinsearch.warehouse import postgres

    data, _ = server_data
    made = "SELECT p.xmin::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() AND p.proname = 'date_diff'"
    with open_store(data) as store:
        first = store.query(made)
    with open_store(data) as store:
        assert store.query(made) == first  # the same rows of pg_proc: not made again
    original = postgres._sql_file
    monkeypatch.setattr(postgres, "_sql_file", lambda name: original(name) + "\n-- a new version of the file\n")
    with open_store(data) as store:
        assert store.query(made) != first and store.query("SELECT date_diff('day', DATE '2024-01-01', DATE '2024-03-01')") == [(60,)]
        indexes = {name for (name,) in store.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
    assert {"idx_person_id", "idx_measurement_person_id_1", "idx_note_nlp_note_id_1", "idx_cs_note_key"} <= indexes


def test_the_duckdb_functions_the_sql_uses_give_duckdbs_answers_on_the_server(server_data, tmp_path, monkeypatch):
    data, _ = server_data
    monkeypatch.delenv("CLINSEARCH_WAREHOUSE", raising=False)
    sql = ("SELECT date_sub('year', DATE '1950-06-01', DATE '2000-05-31'), date_sub('month', DATE '2020-01-31', DATE '2020-03-30'), "
           "quantile_cont(x, 0.5), quantile_cont(x, 0.25), list_contains(?, 2), strip_accents('Éléphant où'), round(2.345::DOUBLE, 2) "
           "FROM (SELECT unnest(?) AS x) AS t")
    params = [[1, 2, 3], [1.0, 2.0, 4.0, 10.0]]
    with open_store(data) as server, open_store(tmp_path / "embedded") as embedded:
        assert (server.dialect, embedded.dialect) == ("postgresql", "duckdb")
        assert server.query(sql, params) == embedded.query(sql, params)


def test_the_sql_is_rewritten_outside_quotes_only():
    assert to_postgres("SELECT '?', \"a?\" FROM t WHERE x = ?", True) == "SELECT '?', \"a?\" FROM t WHERE x = %s"
    assert to_postgres("SELECT * FROM (SELECT 1) x", False) == "SELECT * FROM (SELECT 1) x"
    assert to_postgres("SELECT * FROM (SELECT 1)", False) == "SELECT * FROM (SELECT 1) AS _q1"
    assert to_postgres("SELECT * FROM t WHERE a IN (SELECT unnest(?))", True) == "SELECT * FROM t WHERE a = ANY(%s)"


def test_messages_never_show_the_password():
    assert redacted("postgresql://clara:s3cret@db.example:5432/cdw") == "postgresql://clara:***@db.example:5432/cdw"
    assert redacted("postgresql://clara@db.example/cdw") == "postgresql://clara@db.example/cdw"
