"""Scale: the memory of reading the notes waiting for the NLP and the index, at a million notes.

    python benchmarks/scale.py [--notes 1000000] [--chars 1500] [--no-postgres]

Makes a warehouse of ``--notes`` notes of ``--chars`` characters each (one patient per ten;
texts made by SQL from the demo's phrases, so that the run takes minutes, not the hours the
generator and the NLP would), then, each in a fresh process so that peaks do not mix:

* ``pending``: ``nlp.run.pending`` read to the end, batch by batch (what ``clinsearch nlp``
  holds of the texts at any time), with the time it takes;
* baseline ``all_at_once``: the same rows read into one list (what the NLP read before the
  batches: every pending text in memory);
* ``fingerprints``: ``search.sources.fingerprints``, what ``clinsearch index`` holds to decide what
  to index (one key and hash per document, texts not held).

Peak resident memory (VmHWM) of each process; the ratio of the baseline's over the streamed read.
With PostgreSQL (default), the same notes copied onto a local server and the same three reads.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

MEASURE = """
import json, sys, time
from pathlib import Path
from clinsearch.warehouse.store import open_store
from clinsearch.nlp.run import pending, pending_ids
from clinsearch.search.sources import fingerprints
what, data = sys.argv[1], Path(sys.argv[2])
start = time.perf_counter()
with open_store(data, read_only=True) as store:
    if what == "pending":
        rows = sum(len(batch) for batch in pending(store, pending_ids(store, "none")))
    elif what == "all_at_once":
        rows = len(store.query("SELECT note_id, note_text, language_source_value FROM note ORDER BY note_id"))
    else:
        rows = len(fingerprints(store))
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - start, 1), "peak_rss_mb": round(peak / 1024)}))
"""


def build(data: Path, notes: int, chars: int) -> float:
    """The warehouse of ``data`` with ``notes`` synthetic notes; seconds taken."""
    from clinsearch.demo import phrases
    from clinsearch.warehouse.store import open_store

    import pyarrow as pa

    words = [v for value in phrases.CONDITIONS.values() for _, v in value[2]]
    started = time.perf_counter()
    with open_store(data) as store, store.transaction():
        store.register("words", pa.table({"i": list(range(len(words))), "w": words}))
        store.execute("INSERT INTO person (person_id, gender_concept_id, year_of_birth, race_concept_id, ethnicity_concept_id) "
                      "SELECT i, 8507, 1950 + i % 50, 0, 0 FROM range(1, ? + 1) t(i)", [max(notes // 10, 1)])
        repeat = max(chars // 40, 1)
        store.execute(
            "INSERT INTO note (note_id, person_id, note_date, note_type_concept_id, note_class_concept_id, note_text, encoding_concept_id, "
            "language_concept_id, language_source_value) "
            "SELECT t.i, 1 + t.i % ?, DATE '2020-01-01' + CAST(t.i % 1500 AS INTEGER), 32817, 0, "
            f"repeat('Patient vu en consultation, ' || words.w || '. ', {repeat}), 0, 0, 'fr' "
            f"FROM range(1, ? + 1) t(i) JOIN words ON words.i = t.i % {len(words)}", [max(notes // 10, 1), notes])
    return time.perf_counter() - started


def measure(what: str, data: Path) -> dict:
    output = subprocess.run([sys.executable, "-c", MEASURE, what, str(data)], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def reads(data: Path) -> dict:
    report = {what: measure(what, data) for what in ("pending", "all_at_once", "fingerprints")}
    report["memory_ratio_all_at_once_over_pending"] = round(report["all_at_once"]["peak_rss_mb"] / max(report["pending"]["peak_rss_mb"], 1), 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--chars", type=int, default=1500, help="characters per note (the demo's notes: about 1,500)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clinsearch-scale-") as work:
        data = Path(work) / "warehouse"
        report = {"notes": args.notes, "chars_per_note": args.chars, "build_seconds": round(build(data, args.notes, args.chars), 1)}
        report["duckdb"] = reads(data)
        report["duckdb"]["warehouse_mb"] = round((data / "warehouse.duckdb").stat().st_size / 1e6)
        if not args.no_postgres:
            from servers import copy_to_server, temporary_server, url

            with temporary_server() as dsn:
                started = time.perf_counter()
                copy_to_server(data, Path(work) / "on-server", url(dsn))
                report["postgresql"] = {"copy_seconds": round(time.perf_counter() - started, 1), **reads(Path(work) / "on-server")}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
