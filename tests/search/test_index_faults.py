"""The index under faults: a rebuild is built beside the index being served and swapped in, a
rebuild killed half-way leaves the old index answering, a missing index is an error (HTTP 503
with Retry-After), never an empty answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from clinsearch.search import engine
from clinsearch.search.index import index_dir
from clinsearch.security.users import Users
from clinsearch.server import create_app
from tests.helpers import run_cli
from tests.search.conftest import write_hospital

QUERY = "embolie pulmonaire"


@pytest.fixture
def hospital_copy(tmp_path):
    data = tmp_path / "warehouse"
    assert run_cli("--data", data, "ingest", write_hospital(tmp_path / "sources")).exit_code == 0
    return data


def test_a_rebuild_gives_the_same_answers_and_leaves_no_folder_behind(hospital_copy):
    before = engine.search(hospital_copy, QUERY).total
    assert before > 0
    assert run_cli("--data", hospital_copy, "index", "--rebuild").exit_code == 0
    assert engine.search(hospital_copy, QUERY).total == before
    assert sorted(p.name for p in hospital_copy.iterdir() if p.name.startswith("index")) == ["index"]


def test_a_killed_rebuild_leaves_the_old_index_answering(hospital_copy):
    before = engine.search(hospital_copy, QUERY).total
    for delay in (0.3, 0.8, 1.5, 2.5):
        process = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(hospital_copy), "index", "--rebuild"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            try:  # while it runs, every answer is the full one (or an error while the folders swap), never a partial one
                assert engine.search(hospital_copy, QUERY).total == before
            except engine.SearchError:
                pass
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert engine.search(hospital_copy, QUERY).total == before
    assert run_cli("--data", hospital_copy, "index").exit_code == 0  # the next update picks up whatever the kill left
    assert engine.search(hospital_copy, QUERY).total == before


def test_a_missing_index_is_an_error_not_an_empty_answer(hospital_copy):
    users = Users(hospital_copy)
    users.add("clara", "a long enough password", "clinician")
    users.close()
    c = TestClient(create_app(hospital_copy))
    response = c.post("/api/v1/login", json={"username": "clara", "password": "a long enough password"})
    c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    assert c.get("/api/v1/search", params={"q": QUERY}).json()["total"] > 0
    index_dir(hospital_copy).rename(hospital_copy / "elsewhere")
    missing = c.get("/api/v1/search", params={"q": QUERY})
    assert missing.status_code == 503 and missing.headers["retry-after"] and "index" in missing.json()["detail"]
    (hospital_copy / "elsewhere").rename(index_dir(hospital_copy))
    assert c.get("/api/v1/search", params={"q": QUERY}).json()["total"] > 0
