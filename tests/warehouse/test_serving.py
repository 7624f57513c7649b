"""Several ``clinsearch serve`` workers on one warehouse, answering while a load runs (both backends)."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import query, run_cli

PASSWORD = "serving-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workers(pid: int) -> set[int]:
    """The worker processes of the server ``pid`` (uvicorn spawns them; its resource tracker aside)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return {c for c in found if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()}


def get(port: int, path: str, cookie: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # a new connection: any worker may take it
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def answers(port: int) -> bool:
    try:
        return get(port, "/openapi.json") == 200
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    data = tmp_path / "data"
    assert run_cli("--data", data, "demo", "--no-serve", "--patients", "12", "--notes", "40").exit_code == 0
    assert run_cli("--data", data, "user", "add", "clara", "--role", "clinician", "--password", PASSWORD).exit_code == 0
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as errors:
        server = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "serve", "--port", str(port), "--workers", "2"],
                                  stdout=subprocess.DEVNULL, stderr=errors)
    try:
        deadline = time.monotonic() + 120
        while len(workers(server.pid)) < 2 or not answers(port):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text() if server.poll() is not None else "no answer"
            time.sleep(0.3)
        yield data, port, server
    finally:
        server.terminate()
        server.wait(timeout=60)


def log_in(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/api/v1/login", body=json.dumps({"username": "clara", "password": PASSWORD, "purpose": "test"}),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    return response.getheader("set-cookie").split(";")[0]


def test_two_workers_answer_one_login_and_keep_answering_during_a_load(served, tmp_path):
    data, port, server = served
    assert len(workers(server.pid)) == 2
    cookie = log_in(port)  # one worker opens the session; every worker knows it (security.sqlite)
    person_id = query(data, "SELECT min(person_id) FROM person")[0][0]
    paths = ["/api/v1/search?q=embolie", f"/api/v1/patients/{person_id}", "/api/v1/search?q=diab%C3%A8te&patients=true"]
    assert [get(port, paths[i % 3], cookie) for i in range(30)] == [200] * 30
    sources = tmp_path / "second"
    assert run_cli("demo", "--generate-only", sources, "--patients", "8", "--notes", "40", "--seed", "9").exit_code == 0
    log = tmp_path / "ingest.log"
    with open(log, "w") as errors:
        loader = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "ingest", str(sources / "sources")],
                                  stdout=subprocess.DEVNULL, stderr=errors)
    answered: list[int] = []
    while loader.poll() is None:
        answered.append(get(port, paths[len(answered) % 3], cookie))
    assert loader.returncode == 0, log.read_text()
    assert answered and set(answered) == {200}, answered
    assert get(port, "/api/v1/search?q=embolie", cookie) == 200
