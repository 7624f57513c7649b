"""API load: concurrent clients searching the demo warehouse over HTTP, on the loopback only.

    python benchmarks/api_load.py --data DIR [--clients 20] [--seconds 60]

Serves ``DIR`` (a warehouse built by ``clinsearch demo``; built here into a temporary folder when
``--data`` is not given) with ``clinsearch serve`` (uvicorn, its own process) on 127.0.0.1, logs ``--clients`` clinicians in, and lets
each send ``GET /api/v1/search`` requests from a fixed mix (documents and patients, every kind of
query) one after the other for ``--seconds``. Prints one JSON object: requests, throughput,
latency percentiles, errors; and, as the baseline in the same run, the same mix from one client
alone (the latency without contention). Bounded in time; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))

from search_speed import percentiles, query_mix  # noqa: E402

from clinsearch.security.users import Users  # noqa: E402

PASSWORD = "load-test-password"


def serve(data: Path) -> tuple[subprocess.Popen, int]:
    """``clinsearch serve`` in its own process (the clients must not share its interpreter)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "serve", "--port", str(port)], stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def login(port: int, username: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/v1/login", body=json.dumps({"username": username, "password": PASSWORD, "purpose": "load test"}), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("set-cookie").split(";")[0]
    connection.close()
    return cookie


def client(port: int, cookie: str, mix: list[dict], until: float, seed: int, out: list) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < until:
        item = rng.choice(mix)
        path = "/api/v1/search?" + urlencode({"q": item["q"], "patients": str(rng.random() < 0.3).lower()})
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            ok = response.status
        except (OSError, http.client.HTTPException):
            ok = "connection"
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out.append((time.perf_counter() - started, ok))  # (seconds, HTTP status)
    connection.close()


def run(port: int, cookies: list[str], mix: list[dict], seconds: float) -> dict:
    results: list[list] = [[] for _ in cookies]
    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=client, args=(port, cookie, mix, until, i, results[i])) for i, cookie in enumerate(cookies)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [t for r in results for t, _ in r]
    errors: dict[str, int] = {}
    for r in results:
        for _, status in r:
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
    return {"clients": len(cookies), "seconds": round(elapsed, 1), "requests": len(latencies), "requests_per_second": round(len(latencies) / elapsed, 1), "errors": errors, **percentiles(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="A demo warehouse (default: built here, 500 patients, 5,000 notes).")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    data = args.data
    if data is None:
        from click.testing import CliRunner

        from clinsearch.cli.main import main as cli

        data = Path(tempfile.mkdtemp(prefix="clinsearch-api-load-")) / "warehouse"
        CliRunner().invoke(cli, ["--data", str(data), "demo", "--no-serve"], catch_exceptions=False)
    users = Users(data)
    names = [f"load{i:02d}" for i in range(args.clients)]
    existing = {u["username"] for u in users.list()}
    for name in names:
        if name not in existing:
            users.add(name, PASSWORD, "clinician")
    users.close()
    server, port = serve(data)
    mix = query_mix(200)
    cookies = [login(port, name) for name in names]
    report = {"baseline_one_client": run(port, cookies[:1], mix, min(20.0, args.seconds)), "concurrent": run(port, cookies, mix, args.seconds)}
    server.terminate()
    server.wait(timeout=30)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
