"""The patient summary's speed on the demo: every patient's summary page, as a clinician opens it.

    python benchmarks/summary_speed.py --data DIR [--patients 500]

``DIR`` is a warehouse built by ``clinsearch demo`` (built into a temporary folder when
``--data`` is not given). In one process (FastAPI's test client, the real DuckDB file and
templates, no network), one clinician opens ``GET /patients/{id}`` for each patient (the page:
summary, timeline, trend plots; the scores come after it, in their own request), then
``GET /patients/{id}/scores`` and ``GET /api/v1/patients/{id}/summary`` (with the scores). Prints
one JSON object with the percentiles of each, and as the baseline in the same run the record
page of the previous release (``GET /api/v1/patients/{id}``, visits, notes and rows without any
grouping), with the ratio of the p95s. The target: the page under 300 ms at the 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services.demo import DEMO_USERS
from clinsearch.warehouse.store import open_store


def percentiles(times: list[float]) -> dict:
    ordered = sorted(times)
    at = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)  # noqa: E731
    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "max_ms": round(ordered[-1] * 1000, 1), "mean_ms": round(statistics.mean(ordered) * 1000, 1)}


def timed(client: TestClient, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        out.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--patients", type=int, default=500)
    args = parser.parse_args()
    data = args.data
    if data is None:
        data = Path(tempfile.mkdtemp()) / "demo"
        subprocess.run([sys.executable, "-m", "clinsearch.cli", "--data", str(data), "demo", "--no-serve"], check=True, capture_output=True)
    with open_store(data, read_only=True) as store:
        people = [r[0] for r in store.query("SELECT person_id FROM person ORDER BY person_id LIMIT ?", [args.patients])]
    password = {name: secret for name, _, secret in DEMO_USERS}["clinicien"]
    client = TestClient(create_app(data))
    assert client.post("/api/v1/login", json={"username": "clinicien", "password": password, "purpose": "benchmark"}).status_code == 200
    timed(client, [f"/patients/{people[0]}", f"/api/v1/patients/{people[0]}/summary"])  # warm-up: the terminology is loaded once
    page = timed(client, [f"/patients/{p}" for p in people])
    scores = timed(client, [f"/patients/{p}/scores" for p in people])
    api = timed(client, [f"/api/v1/patients/{p}/summary" for p in people])
    baseline = timed(client, [f"/api/v1/patients/{p}" for p in people])
    result = {"patients": len(people), "summary_page": percentiles(page), "scores_fragment": percentiles(scores),
              "api_summary_with_scores": percentiles(api), "baseline_record": percentiles(baseline)}
    result["page_p95_over_baseline"] = round(result["summary_page"]["p95_ms"] / result["baseline_record"]["p95_ms"], 2)
    result["page_under_300ms_p95"] = result["summary_page"]["p95_ms"] < 300
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
