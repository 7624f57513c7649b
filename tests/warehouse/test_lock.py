"""DuckDB lets one process write a file or several read it: a load and the server wait for each
other a little, and past that the answer is "momentarily unavailable" (503 + Retry-After), never
a 500 nor a failed load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from fastapi.testclient import TestClient

from clinsearch.security.users import Users
from clinsearch.server import create_app
from clinsearch.warehouse import duckdb as store_module
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.store import open_store
from tests.helpers import run_cli
from tests.search.conftest import write_hospital

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from clinsearch.warehouse.store import open_store
    with open_store(Path(sys.argv[1])) as store:
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


@pytest.fixture
def hospital(tmp_path):
    data = tmp_path / "warehouse"
    sources = write_hospital(tmp_path / "sources")
    (sources / "omop" / "person.csv").write_text("person_id,year_of_birth\n" + "".join(f"{i},{1950 + i}\n" for i in range(1, 10)), encoding="utf-8")
    assert run_cli("--data", data, "ingest", "--no-nlp", sources).exit_code == 0
    users = Users(data)
    users.add("clara", "a long enough password", "clinician")
    users.close()
    return data


class hold:
    """A process holding the warehouse open (for writing, or ``read_only``) for ``seconds``."""

    def __init__(self, data, seconds: float, read_only: bool = False):
        script = HOLD.replace("open_store(Path(sys.argv[1]))", "open_store(Path(sys.argv[1]), read_only=True)") if read_only else HOLD
        self.process = subprocess.Popen([sys.executable, "-c", script, str(data), str(seconds)], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "locked"

    def wait(self) -> None:
        self.process.wait()
        self.process.stdout.close()


@pytest.mark.duckdb_only  # on PostgreSQL a reader never waits (tests/warehouse/test_postgres.py)
def test_a_reader_waits_for_a_short_write_and_then_reads(hospital):
    writer = hold(hospital, 0.8)
    started = time.monotonic()
    with open_store(hospital, read_only=True) as store:
        assert store.query("SELECT count(*) FROM person")[0][0] > 0
    assert time.monotonic() - started > 0.3  # it waited for the writer rather than failing
    writer.wait()


@pytest.mark.duckdb_only
def test_a_long_write_makes_requests_answer_503_with_retry_after(hospital, monkeypatch):
    monkeypatch.setitem(store_module.LOCK_WAIT, "read", 0.3)
    c = TestClient(create_app(hospital))
    response = c.post("/api/v1/login", json={"username": "clara", "password": "a long enough password"})
    c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    writer = hold(hospital, 4)
    try:
        api = c.get("/api/v1/patients/1")
        page = c.get("/patients/1")
        with pytest.raises(WarehouseError, match="another process is writing"):
            open_store(hospital, read_only=True)
    finally:
        writer.wait()
    assert api.status_code == 503 and api.headers["retry-after"] and "writing" in api.json()["detail"]
    assert page.status_code == 503 and page.headers["retry-after"]
    assert c.get("/api/v1/patients/1").status_code == 200


def test_a_load_waits_for_the_readers_instead_of_failing(hospital, tmp_path):
    reader = hold(hospital, 1.0, read_only=True)
    more = tmp_path / "more"
    more.mkdir()
    (more / "extra.txt").write_text("Hypertension artérielle.", encoding="utf-8")
    (more / "extra.txt.json").write_text('{"person_source_value": "X1", "date": "2024-02-01", "create_persons": true}', encoding="utf-8")
    result = run_cli("--data", hospital, "ingest", "--no-nlp", more)
    reader.wait()
    assert result.exit_code == 0, result.stderr
