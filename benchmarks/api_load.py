"""API load: concurrent clients searching the demo warehouse over HTTP, on the loopback only.

    python benchmarks/api_load.py --data DIR [--clients 20] [--seconds 60]
    python benchmarks/api_load.py --during-ingest 2000 [--clients 20] [--backend both] [--workers 2]

Serves ``DIR`` (a warehouse built by ``clinsearch demo``; built here into a temporary folder when
``--data`` is not given) with ``clinsearch serve`` (uvicorn, its own process) on 127.0.0.1, logs ``--clients`` clinicians in, and lets
each send ``GET /api/v1/search`` requests from a fixed mix (documents and patients, every kind of
query) one after the other for ``--seconds``. Prints one JSON object: requests, throughput,
latency percentiles, errors; and, as the baseline in the same run, the same mix from one client
alone (the latency without contention). Bounded in time; nothing leaves the machine.

``--during-ingest N`` is the loads-while-serving mode: the clients also open patient pages and
notes (``GET /api/v1/patients/{id}``, ``/api/v1/notes/{id}``) while ``clinsearch ingest`` loads a
second synthetic hospital of N notes (its own process, with the NLP and the index update) into
the warehouse being served; the clients run until the ingest ends. It prints the same figures
for the mix served during the ingest, for the same mix served without it just before (the
baseline), and the ingest's exit code and duration beside the same ingest run alone. Every
request must answer 200: a 503 is a failed request here.

``--backend duckdb|postgresql|both``: the warehouse embedded, on a local PostgreSQL server
(Debian's package, started for the run), or each in turn, reported side by side;
``--workers N`` serves with N server processes (``clinsearch serve --workers``).
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


def serve(data: Path, workers: int = 1) -> tuple[subprocess.Popen, int]:
    """``clinsearch serve`` in its own process (the clients must not share its interpreter)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "serve", "--port", str(port), "--workers", str(workers)],
                               stdout=subprocess.DEVNULL)
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


def request_path(item: dict, rng: random.Random) -> str:
    """A search (documents or patients), or a patient page or a note when the mix has them."""
    if "path" in item:
        return item["path"]
    return "/api/v1/search?" + urlencode({"q": item["q"], "patients": str(rng.random() < 0.3).lower()})


def client(port: int, cookie: str, mix: list[dict], until, seed: int, out: list) -> None:
    """Requests one after the other until ``until`` (a time, or an Event that gets set)."""
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    over = until.is_set if isinstance(until, threading.Event) else lambda: time.perf_counter() >= until
    while not over():
        path = request_path(rng.choice(mix), rng)
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


def run(port: int, cookies: list[str], mix: list[dict], seconds: float | None = None, until=None) -> dict:
    results: list[list] = [[] for _ in cookies]
    until = until if until is not None else time.perf_counter() + seconds
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


def pages_mix(data: Path, searches: list[dict], count: int = 200) -> list[dict]:
    """Searches, patient pages and notes, a third each, on ids taken from the warehouse."""
    from clinsearch.warehouse.store import open_store

    with open_store(data, read_only=True) as store:
        persons = [r[0] for r in store.query("SELECT person_id FROM person ORDER BY person_id LIMIT ?", [count])]
        notes = [r[0] for r in store.query("SELECT note_id FROM note ORDER BY note_id LIMIT ?", [count])]
    rng = random.Random(3)
    mix = list(searches[:count])
    mix += [{"path": f"/api/v1/patients/{rng.choice(persons)}"} for _ in range(count)]
    mix += [{"path": f"/api/v1/notes/{rng.choice(notes)}"} for _ in range(count)]
    return mix


def ingest_process(data: Path, sources: Path) -> subprocess.Popen:
    """``clinsearch ingest`` in its own process; its messages go to a file (a pipe nobody reads
    while it runs would fill and stop it)."""
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "ingest", str(sources)],
                               stdout=subprocess.DEVNULL, stderr=log, text=True)
    process.log = log
    return process


def during_ingest(data: Path, notes: int, clients: int, cookies: list[str], port: int, mix: list[dict], alone: float) -> dict:
    """The mix served while ``notes`` notes are ingested, and the same mix without an ingest."""
    from click.testing import CliRunner

    from clinsearch.cli.main import main as cli

    sources = Path(tempfile.mkdtemp(prefix="clinsearch-api-load-sources-"))
    CliRunner().invoke(cli, ["demo", "--generate-only", str(sources), "--patients", str(max(notes // 10, 1)), "--notes", str(notes), "--seed", "7"],
                       catch_exceptions=False)
    baseline = run(port, cookies, mix, seconds=min(30.0, alone))
    done = threading.Event()
    started = time.perf_counter()
    loader = ingest_process(data, sources / "sources")

    def wait_for_ingest() -> None:
        loader.wait()
        done.set()

    threading.Thread(target=wait_for_ingest, daemon=True).start()
    during = run(port, cookies, mix, until=done)
    seconds = time.perf_counter() - started
    loader.log.seek(0)
    errors = loader.log.read().strip().splitlines()
    loader.log.close()
    return {
        "ingest": {"notes": notes, "exit_code": loader.returncode, "seconds": round(seconds, 1), "alone_seconds": round(alone, 1),
                   "ratio_to_alone": round(seconds / alone, 2) if alone else None, "last_error": errors[-1] if loader.returncode else None},
        "without_ingest": baseline,
        "during_ingest": during,
        "failed_requests": sum(during["errors"].values()),
    }


def ingest_alone(notes: int, server: list[str]) -> float:
    """The same ingest into a copy of the warehouse with nobody serving: the time to compare with."""
    from click.testing import CliRunner

    from clinsearch.cli.main import main as cli

    folder = Path(tempfile.mkdtemp(prefix="clinsearch-api-load-alone-"))
    CliRunner().invoke(cli, ["--data", str(folder / "warehouse"), *server, "demo", "--no-serve", "--patients", "50", "--notes", "500"], catch_exceptions=False)
    CliRunner().invoke(cli, ["demo", "--generate-only", str(folder / "sources"), "--patients", str(max(notes // 10, 1)), "--notes", str(notes), "--seed", "7"],
                       catch_exceptions=False)
    started = time.perf_counter()
    process = ingest_process(folder / "warehouse", folder / "sources" / "sources")
    process.wait()
    process.log.close()
    return time.perf_counter() - started


def one_backend(args, new_server) -> dict:
    """The whole benchmark with the warehouse embedded (``new_server`` None) or on a server
    (``new_server()`` gives the URL of a new, empty warehouse there)."""
    from click.testing import CliRunner

    from clinsearch.cli.main import main as cli

    data = args.data
    if data is None:
        data = Path(tempfile.mkdtemp(prefix="clinsearch-api-load-")) / "warehouse"
        small = ["--patients", "50", "--notes", "500"] if args.during_ingest else []
        server = ["--warehouse", new_server()] if new_server else []
        CliRunner().invoke(cli, ["--data", str(data), *server, "demo", "--no-serve", *small], catch_exceptions=False)
    users = Users(data)
    names = [f"load{i:02d}" for i in range(args.clients)]
    existing = {u["username"] for u in users.list()}
    for name in names:
        if name not in existing:
            users.add(name, PASSWORD, "clinician")
    users.close()
    alone = ingest_alone(args.during_ingest, ["--warehouse", new_server()] if new_server else []) if args.during_ingest else 0.0
    server, port = serve(data, args.workers)
    mix = query_mix(200)
    cookies = [login(port, name) for name in names]
    if args.during_ingest:
        report = during_ingest(data, args.during_ingest, args.clients, cookies, port, pages_mix(data, mix), alone)
    else:
        report = {"baseline_one_client": run(port, cookies[:1], mix, min(20.0, args.seconds)), "concurrent": run(port, cookies, mix, args.seconds)}
    server.terminate()
    server.wait(timeout=30)
    return {"workers": args.workers, **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="A demo warehouse (default: built here, 500 patients, 5,000 notes).")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--during-ingest", dest="during_ingest", type=int, metavar="N", help="Serve patient pages, notes and searches while N notes are ingested.")
    parser.add_argument("--backend", choices=["duckdb", "postgresql", "both"], default="duckdb")
    parser.add_argument("--workers", type=int, default=1, help="Server processes (clinsearch serve --workers).")
    args = parser.parse_args()
    if args.data is not None and args.backend == "both":
        parser.error("--data names one warehouse: give --backend duckdb or postgresql with it")
    report = {}
    if args.backend in ("duckdb", "both"):
        report["duckdb"] = one_backend(args, None)
    if args.backend in ("postgresql", "both"):
        import itertools

        from servers import temporary_server, url

        with temporary_server({"max_connections": "200"}) as dsn:
            import psycopg

            schemas = itertools.count(1)

            def new_server() -> str:
                schema = f"load{next(schemas)}"
                with psycopg.connect(dsn, autocommit=True) as con:
                    con.execute(f"CREATE SCHEMA {schema}")
                return url(dsn, schema)

            report["postgresql"] = one_backend(args, new_server)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
