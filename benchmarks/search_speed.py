"""Search speed: index build, query latency and memory, against PostgreSQL full-text search.

    python benchmarks/search_speed.py --notes 100000 [--queries 200] [--no-postgres]

1. Generates ``--notes`` notes with the demo generator (one patient per ten notes) and ingests
   them. The NLP is *not* run (at ~80 notes/s it would take hours for a million notes): the
   generator's ground truth stands in for it -- each mention it wrote becomes a ``note_nlp``
   entity with its lexicon concept and context, each negated, hypothetical or family mention a
   context stretch -- so the index holds what it would hold after the NLP.
2. Builds the clinsearch index (``index.update``): notes/s, index size.
3. Runs a fixed mix of ``--queries`` queries (bare terms, abbreviations, ``neg:``/``hyp:``/
   ``fam:``, phrases, codes, exclusions, ``OR``, ``type:`` and ``after:`` filters) at document
   level (top 20 with snippets, facets and total) and at patient level, in a fresh process, after
   a warm-up pass: p50/p95/p99 latency, and that process's peak resident memory.
4. clinsearch on PostgreSQL, side by side: the same warehouse copied onto a local server, its
   index built from there and the same mix run (``clinsearch_on_postgresql``).
5. Baseline in the same run: a local PostgreSQL server (Debian's package, started for the run)
   with the notes in a table, ``to_tsvector('french', note_text)`` stored and a GIN index; the
   same words with ``websearch_to_tsquery('french', ...)`` and the same filters, top 20 by
   ``ts_rank`` plus the total count (documents), and patients by number of matching notes.

Prints one JSON object; ``ratio_p95`` is PostgreSQL's p95 over clinsearch's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from clinsearch.demo import phrases
from clinsearch.demo.generator import generate
from clinsearch.ingest.run import ingest
from clinsearch.search.expand import lookup
from clinsearch.search.index import index_dir, update
from clinsearch.warehouse.store import open_store

sys.path.insert(0, str(Path(__file__).parent))

TYPES = list(phrases.NOTE_TYPE_WEIGHTS)
CODES = {key: value[0].split(".")[0] for key, value in phrases.CONDITIONS.items()}


def query_mix(count: int, seed: int = 7) -> list[dict]:
    """``count`` queries: {"q": clinsearch query, "words": PostgreSQL websearch text, "type", "after"}."""
    rng = random.Random(seed)
    conditions = list(phrases.CONDITIONS)
    mix = []
    for i in range(count):
        key, other = rng.sample(conditions, 2)
        variants = [v for _, v in phrases.CONDITIONS[key][2]]
        term, abbreviation = variants[0], next((v for v in variants if v.isupper()), variants[-1])
        other_term = next((v for _, v in phrases.CONDITIONS[other][2] if v.isupper()), phrases.CONDITIONS[other][2][0][1])
        kind = i % 12
        item = {"type": None, "after": None}
        if kind == 0:
            item.update(q=term, words=term)
        elif kind == 1:
            item.update(q=abbreviation, words=abbreviation)
        elif kind in (2, 3, 4):
            prefix = ("neg", "hyp", "fam")[kind - 2]
            item.update(q=f'{prefix}:"{term}"', words=term)
        elif kind == 5:
            kind_of_note = rng.choice(TYPES)
            item.update(q=f"{term} type:{kind_of_note}", words=term, type=kind_of_note)
        elif kind == 6:
            year = rng.randint(2016, 2024)
            item.update(q=f"{abbreviation} after:{year}", words=abbreviation, after=f"{year}-01-01")
        elif kind == 7:
            item.update(q=f"{term} -{other_term}", words=f"{term} -{other_term}")
        elif kind == 8:
            item.update(q=f"{abbreviation} OR {other_term}", words=f"{abbreviation} or {other_term}")
        elif kind == 9:
            item.update(q=f"code:{CODES[key]}", words=CODES[key])
        elif kind == 10:
            item.update(q=f'"{term}"', words=f'"{term}"')
        else:
            lab = rng.choice([label for label, _ in phrases.LABS.values()])
            item.update(q=f"{term} {lab}", words=f"{term} {lab}")
        mix.append(item)
    return mix


def build(work: Path, notes: int) -> tuple[Path, dict]:
    timings = {}
    started = time.perf_counter()
    generate(work / "source", patients=max(notes // 10, 10), notes=notes, seed=11)
    timings["generate_seconds"] = round(time.perf_counter() - started, 1)
    data = work / "warehouse"
    started = time.perf_counter()
    with open_store(data) as store:
        ingest(store, [work / "source" / "sources" / "omop", work / "source" / "sources" / "documents"])
    timings["ingest_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with open_store(data) as store:
        write_ground_truth_nlp(store, json.loads((work / "source" / "ground_truth.json").read_text("utf-8")))
    timings["ground_truth_nlp_seconds"] = round(time.perf_counter() - started, 1)
    return data, timings


def write_ground_truth_nlp(store, truth: dict) -> None:
    ids = dict(store.query("SELECT note_source_value, note_id FROM note"))
    concept = {key: (lookup(value["variants"][0]) or (key,))[0] for key, value in truth["conditions"].items()}
    columns: dict[str, list] = {name: [] for name in ("note_nlp_id", "note_id", "start_char", "end_char", "label", "normalized_term", "term_exists", "term_modifiers", "lexical_variant", "nlp_system")}
    states = []
    next_id = 1
    for source, note in truth["notes"].items():
        note_id = ids.get(source)
        if note_id is None:
            continue
        states.append(note_id)
        for m in note["mentions"]:
            modifier = {"hypothetical": "hypothesis", "family": "family"}.get(m["status"])
            rows = [("lexicon", concept[m["condition"]])]
            if m["status"] in ("negated", "hypothetical", "family"):
                rows.append(("context", m["status"]))
            for label, normalized in rows:
                for name, value in (("note_nlp_id", next_id), ("note_id", note_id), ("start_char", m["start"]), ("end_char", m["end"]), ("label", label), ("normalized_term", normalized),
                                    ("term_exists", "N" if m["status"] == "negated" else "Y"), ("term_modifiers", modifier), ("lexical_variant", m["text"]), ("nlp_system", "ground truth")):
                    columns[name].append(value)
                next_id += 1
    store.con.register("_nlp", pa.table(columns))
    store.execute("INSERT INTO note_nlp BY NAME SELECT * FROM _nlp")
    store.con.unregister("_nlp")
    store.con.register("_state", pa.table({"note_id": states}))
    # The state says which text was judged (its hash): a note whose text differs is searched as unqualified.
    store.execute("INSERT INTO note_nlp_state BY NAME SELECT s.note_id, 'ground truth' AS nlp_system, 'fr' AS language, 'processed' AS status, "
                  "md5(n.note_text) AS text_hash FROM _state s JOIN note n USING (note_id)")
    store.con.unregister("_state")


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]  # noqa: E731
    return {"p50_ms": round(pick(0.50) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1), "p99_ms": round(pick(0.99) * 1000, 1), "mean_ms": round(statistics.mean(values) * 1000, 1)}


def serve_queries(data: str, mix: list[dict], out) -> None:
    """In a fresh process: warm up, then time every query at both levels; report peak memory."""
    from clinsearch.search.engine import search

    for item in mix[:20]:
        search(Path(data), item["q"], patients=True)
    documents, patients, found = [], [], 0
    for item in mix:
        started = time.perf_counter()
        result = search(Path(data), item["q"], limit=20)
        documents.append(time.perf_counter() - started)
        found += result.total
        started = time.perf_counter()
        search(Path(data), item["q"], patients=True, limit=20)
        patients.append(time.perf_counter() - started)
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
    out.send({"documents": percentiles(documents), "patients": percentiles(patients), "mean_hits": round(found / len(mix), 1), "peak_rss_mb": round(peak / 1024)})


def clinsearch_queries(data: Path, mix: list[dict]) -> dict:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=serve_queries, args=(str(data), mix, child))
    process.start()
    child.close()  # so that recv() fails, rather than waits, if the child dies
    try:
        result = parent.recv()
    except EOFError:
        raise SystemExit("the query process failed (see above)") from None
    process.join()
    return result


def postgres_baseline(data: Path, mix: list[dict]) -> dict:
    import sys

    import psycopg

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests/postgres.py
    from tests.postgres import temporary_server

    report = {}
    with temporary_server() as dsn, psycopg.connect(dsn, autocommit=True) as pg, open_store(data, read_only=True) as store:
        pg.execute("CREATE TABLE note (note_id BIGINT PRIMARY KEY, person_id BIGINT, note_date DATE, note_type TEXT, note_text TEXT)")
        started = time.perf_counter()
        cursor = store.con.execute("SELECT note_id, person_id, note_date, note_class_source_value, note_text FROM note")
        with pg.cursor().copy("COPY note FROM STDIN") as copy:
            while batch := cursor.fetchmany(10_000):
                for row in batch:
                    copy.write_row(row)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        pg.execute("ALTER TABLE note ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('french', note_text)) STORED")
        pg.execute("CREATE INDEX note_tsv ON note USING gin (tsv)")
        pg.execute("ANALYZE note")
        report["build_seconds"] = round(time.perf_counter() - started, 1)
        report["load_seconds"] = round(loaded, 1)
        report["size_mb"] = round(pg.execute("SELECT pg_total_relation_size('note')").fetchone()[0] / 1e6)
        documents, patients = [], []
        for warm, item in [(True, m) for m in mix[:20]] + [(False, m) for m in mix]:
            where, params = ["tsv @@ q"], [item["words"]]
            if item["type"]:
                where.append("note_type = %s")
                params.append(item["type"])
            if item["after"]:
                where.append("note_date >= %s")
                params.append(item["after"])
            base = f"FROM note, websearch_to_tsquery('french', %s) q WHERE {' AND '.join(where)}"
            started = time.perf_counter()
            pg.execute(f"SELECT note_id, ts_rank(tsv, q) AS rank {base} ORDER BY rank DESC LIMIT 20", params).fetchall()
            pg.execute(f"SELECT count(*) {base}", params).fetchone()
            took = time.perf_counter() - started
            started = time.perf_counter()
            pg.execute(f"SELECT person_id, count(*) AS n {base} GROUP BY person_id ORDER BY n DESC LIMIT 20", params).fetchall()
            took_patients = time.perf_counter() - started
            if not warm:
                documents.append(took)
                patients.append(took_patients)
        report["documents"] = percentiles(documents)
        report["patients"] = percentiles(patients)
    return report


def clinsearch_on_postgresql(data: Path, mix: list[dict], notes: int) -> dict:
    """The same warehouse on a local PostgreSQL server (copied there), its index built from the
    server and the same queries: clinsearch on either backend, side by side."""
    from servers import copy_to_server, temporary_server, url

    server_data = data.parent / "warehouse-on-postgresql"
    shutil.rmtree(server_data, ignore_errors=True)
    with temporary_server() as dsn:
        started = time.perf_counter()
        copy_to_server(data, server_data, url(dsn))
        copied = time.perf_counter() - started
        with open_store(server_data) as store:
            started = time.perf_counter()
            summary = update(store, server_data, rebuild=True)
            seconds = time.perf_counter() - started
        report = {"copy_seconds": round(copied, 1),
                  "index": {"documents": summary.documents, "seconds": round(seconds, 1), "notes_per_second": round(notes / seconds)},
                  **clinsearch_queries(server_data, mix)}
    shutil.rmtree(server_data, ignore_errors=True)
    return report


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--work", type=Path, help="Folder for the generated data, kept and reused by the next run (default: a temporary one, deleted after).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="clinsearch-search-speed-"))
    if args.work and (work / "warehouse" / "warehouse.duckdb").exists():
        data, report = work / "warehouse", {"reused": str(work)}  # built by an earlier run with the same --work
    else:
        data, report = build(work, args.notes)
    report = {"notes": args.notes, "queries": args.queries, **report}
    with open_store(data) as store:
        started = time.perf_counter()
        summary = update(store, data, rebuild=True)
        seconds = time.perf_counter() - started
    report["index"] = {"documents": summary.documents, "seconds": round(seconds, 1), "notes_per_second": round(args.notes / seconds), "size_mb": round(folder_size(index_dir(data)) / 1e6)}
    mix = query_mix(args.queries)
    report["clinsearch"] = clinsearch_queries(data, mix)
    if not args.no_postgres:
        report["clinsearch_on_postgresql"] = clinsearch_on_postgresql(data, mix, args.notes)
        report["index_ratio_postgresql_over_duckdb"] = round(report["clinsearch_on_postgresql"]["index"]["seconds"] / report["index"]["seconds"], 2)
        report["postgresql"] = postgres_baseline(data, mix)
        report["ratio_p95"] = {level: round(report["postgresql"][level]["p95_ms"] / max(report["clinsearch"][level]["p95_ms"], 0.1), 1) for level in ("documents", "patients")}
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
