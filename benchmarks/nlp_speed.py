"""NLP speed: the full clinsearch NLP run against the bare pipeline, and the cold start.

    python benchmarks/nlp_speed.py [--notes 1000] [--chars 1600] [--rounds 3]

On the same notes (three demo notes joined, cut at the last line end before ``--chars``
characters: 1,517 on average), in ``--rounds`` rounds that alternate the two, so that both see
the machine at the same speed:

* bare: the same EDS-NLP pipeline (same pipes, same cue lists, same behaviour changes), built
  afresh in this process -- not loaded from clinsearch's cache -- without clinsearch's speed-ups
  (``clinsearch.nlp.speedups``: the builders leave them out, and ``speedups.edsnlp_own()`` puts
  EDS-NLP's own text function back while it runs), applied note by note in one process, entities
  extracted, nothing written -- a third of the notes each round;
* clinsearch: ``run_nlp`` over a new warehouse holding all the notes -- worker processes on every
  core, ``note_nlp`` rows written, ``note_nlp_state`` updated; with the speed-ups unless
  ``CLINSEARCH_NLP_SPEEDUPS=off`` (``speedups_status`` in the output says which);
* the medians over the rounds, and the ratio of each round;
* the share of entities that differ between the two (start, end, label, code, qualifiers);
* cold start: wall time of ``clinsearch annotate`` in a new process, pipeline cache warm (median
  of 5), next to the time a new process takes just to import EDS-NLP's qualifiers (the floor).

Prints one JSON object.
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
from statistics import median


def notes(count: int, chars: int) -> list[str]:
    from clinsearch.demo.generator import generate

    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), patients=max(count // 5, 1), notes=count * 3, seed=9)
        texts = [p.read_text(encoding="utf-8") for p in sorted((Path(folder) / "sources" / "documents").rglob("*.txt"))]
    # three demo notes joined, cut at the last line end before ``chars``: about ``chars`` long
    joined = ["\n".join(three)[:chars] for three in zip(texts[::3], texts[1::3], texts[2::3])]
    return [text[: text.rfind("\n") + 1] or text for text in joined][:count]


def clinsearch_run(texts: list[str], run_nlp, open_store) -> tuple[float, object, list[dict]]:
    """(notes/s, summary, entity rows) of ``run_nlp`` over a new warehouse holding ``texts``."""
    with tempfile.TemporaryDirectory() as folder:
        with open_store(Path(folder) / "data") as store:
            store.upsert("note", [{"note_id": i, "person_id": 1, "note_date": None, "note_text": t, "language_source_value": "fr"} for i, t in enumerate(texts, start=1)])
            start = time.perf_counter()
            summary = run_nlp(store)
            rate = len(texts) / (time.perf_counter() - start)
            rows = store.query_dicts(
                "SELECT note_id, start_char AS start, end_char AS end, label, code, term_exists = 'N' AS negated, "
                "coalesce(term_modifiers, '') LIKE '%hypothesis%' AS hypothesis, coalesce(term_modifiers, '') LIKE '%family%' AS family, "
                "term_temporal = 'past' AS history FROM note_nlp WHERE label <> 'context'"
            )
    return rate, summary, rows


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def key(note_id: int, e) -> tuple:
    return (note_id, e["start"], e["end"], e["label"], e["code"], e["negated"], e["hypothesis"], e["family"], e["history"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--chars", type=int, default=1600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from clinsearch.nlp import speedups
    from clinsearch.nlp.annotate import entities
    from clinsearch.nlp.pipeline import build_french, ready_pipeline
    from clinsearch.nlp.run import run_nlp
    from clinsearch.warehouse.store import open_store

    texts = notes(args.notes, args.chars)
    characters = sum(len(t) for t in texts)
    fresh = build_french(full=True)  # without the speed-ups, which only the pipeline loader applies
    # clinsearch: the cached pipelines loaded and filled (what the bare one's build is to it),
    # outside the timed runs
    start = time.perf_counter()
    ready_pipeline("fr")
    ready_pipeline("en")
    load_seconds = time.perf_counter() - start

    # Rounds alternate the two, so that both see the same machine (its speed drifts by 20 % or
    # more over minutes): each round times the bare pipeline on a third of the notes and
    # clinsearch on all of them; the medians are reported, and the ratio of each round.
    bare, rounds = {}, []
    slices = [list(enumerate(texts, start=1))[r:: args.rounds] for r in range(args.rounds)]
    for part in slices:
        with speedups.edsnlp_own():
            start = time.perf_counter()
            for note_id, text in part:
                for entity in entities(fresh(text)):
                    bare[key(note_id, entity.as_dict())] = True
            elapsed = time.perf_counter() - start
        bare_rate, bare_chars = len(part) / elapsed, sum(len(t) for _, t in part) / elapsed
        ours_rate, summary, rows = clinsearch_run(texts, run_nlp, open_store)
        rounds.append({"bare_notes_per_second": round(bare_rate, 1), "bare_chars_per_second": round(bare_chars),
                       "clinsearch_notes_per_second": round(ours_rate, 1), "clinsearch_chars_per_second": round(ours_rate * characters / len(texts)),
                       "ratio": round(ours_rate / bare_rate, 2)})
    ours = {key(r["note_id"], {**r, "history": bool(r["history"])}): True for r in rows}
    differ = len(set(bare) ^ set(ours))

    cold = median(wall([sys.executable, "-m", "clinsearch.cli", "annotate", "--json", "Pas d'embolie pulmonaire."]) for _ in range(5))
    floor = median(wall([sys.executable, "-c", "import edsnlp.pipes.qualifiers.hypothesis"]) for _ in range(5))

    report = {
        "benchmark": "nlp_speed",
        "notes": len(texts),
        "mean_chars": round(characters / len(texts)),
        "cores": os.cpu_count(),
        "speedups_status": speedups.status(),
        "rounds": rounds,
        "bare_single_process_notes_per_second": median(r["bare_notes_per_second"] for r in rounds),
        "clinsearch_run_nlp_notes_per_second": median(r["clinsearch_notes_per_second"] for r in rounds),
        "clinsearch_run_nlp_chars_per_second": median(r["clinsearch_chars_per_second"] for r in rounds),
        "speedup": median(r["ratio"] for r in rounds),
        "clinsearch_pipeline_load_seconds": round(load_seconds, 2),
        "clinsearch_entities": summary.entities,
        "entities_bare": len(bare),
        "entities_differing": differ,
        "share_differing": round(differ / max(len(bare), 1), 6),
        "cold_start_annotate_seconds": round(cold, 2),
        "cold_start_floor_import_edsnlp_seconds": round(floor, 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
