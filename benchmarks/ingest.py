"""Ingestion speed: load N generated notes and compare with DuckDB's own bulk load.

    python benchmarks/ingest.py 100000 [--keep DIR] [--no-postgres]

Generates the demo hospital with N notes (N/10 patients), then, each in a fresh process:

* clinsearch: ``clinsearch ingest`` of the notes' manifest (after the patients' ``person.csv``, not timed) (each document read, decoded,
  validated, keyed, with provenance and load_log, in one transaction);
* clinsearch on PostgreSQL: the same ingest with the warehouse on a local PostgreSQL server
  (Debian's package, started for the run: ``CLINSEARCH_WAREHOUSE``), side by side;
* baseline: DuckDB alone, ``INSERT INTO note ... FROM read_csv(manifest) JOIN read_text(files)``
  -- the same texts into the same table with no validation, no provenance, no idempotence.

Prints one JSON object: records/s and peak resident memory of each, and the ratios of times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLINSEARCH = """
import json, resource, sys, time
from pathlib import Path
from clinsearch.ingest.run import ingest
from clinsearch.warehouse.store import open_store
with open_store(Path(sys.argv[1])) as store:
    ingest(store, [Path(sys.argv[3])])  # the patients first (a note of an unknown patient is quarantined), not timed
start = time.perf_counter()
with open_store(Path(sys.argv[1])) as store:
    result = ingest(store, [Path(sys.argv[2])])
seconds = time.perf_counter() - start
totals = result.totals()
print(json.dumps({"seconds": seconds, "records": totals["loaded"], "quarantined": totals["quarantined"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

GENERATE = """
import json, sys
from pathlib import Path
from clinsearch.demo.generator import generate
notes = int(sys.argv[2])
print(json.dumps(generate(Path(sys.argv[1]), patients=max(notes // 10, 1), notes=notes, seed=1)))
"""

BASELINE = """
import json, resource, sys, time
import duckdb
start = time.perf_counter()
con = duckdb.connect(sys.argv[1])
folder = sys.argv[2]
con.execute("CREATE TABLE note (note_id BIGINT, person_source_value VARCHAR, note_date DATE, note_class_source_value VARCHAR, note_title VARCHAR, note_text VARCHAR)")
con.execute(f'''
    INSERT INTO note
    SELECT row_number() OVER (), m.person_source_value, m.date, m.type, m.title, t.content
    FROM read_csv('{folder}/manifest.csv', all_varchar=true) m
    JOIN read_text('{folder}/*/*.txt') t ON t.filename = '{folder}/' || m.file
''')
records = con.execute("SELECT count(*) FROM note").fetchall()[0][0]
con.close()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "records": records,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args: str, env: dict | None = None) -> dict:
    output = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                            env={**os.environ, **env} if env else None).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notes", type=int, help="number of notes to generate and load")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--no-postgres", action="store_true", help="DuckDB only (no local PostgreSQL server started)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        # In a child process: Linux children inherit the parent's peak RSS, so the parent stays small.
        run(GENERATE, str(work / "demo"), str(args.notes))
        generated = time.perf_counter() - start
        documents = work / "demo" / "sources" / "documents"
        persons = work / "demo" / "sources" / "omop" / "person.csv"
        ours = run(CLINSEARCH, str(work / "clinsearch-data"), str(documents), str(persons))
        base = run(BASELINE, str(work / "baseline.duckdb"), str(documents.resolve()))
        server = None
        if not args.no_postgres:
            sys.path.insert(0, str(Path(__file__).parent))
            from servers import temporary_server, url

            with temporary_server() as dsn:
                server = run(CLINSEARCH, str(work / "clinsearch-pg-data"), str(documents), str(persons), env={"CLINSEARCH_WAREHOUSE": url(dsn)})
    report = {
        "benchmark": "ingest",
        "notes": args.notes,
        "generation_seconds": round(generated, 2),
        "clinsearch": {**ours, "records_per_second": round(ours["records"] / ours["seconds"], 1)},
        "baseline_duckdb_bulk": {**base, "records_per_second": round(base["records"] / base["seconds"], 1)},
        "time_ratio_clinsearch_over_baseline": round(ours["seconds"] / base["seconds"], 2),
    }
    if server:
        report["clinsearch_on_postgresql"] = {**server, "records_per_second": round(server["records"] / server["seconds"], 1)}
        report["time_ratio_postgresql_over_duckdb"] = round(server["seconds"] / ours["seconds"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
