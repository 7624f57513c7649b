"""NLP speed: the full clinsearch NLP run against the bare pipeline, and the cold start.

    python benchmarks/nlp_speed.py [--notes 1000] [--chars 1600]

In one run, on the same notes (demo notes joined and cut to about ``--chars`` characters):

* bare: the same EDS-NLP pipeline (same pipes, same cue lists), built afresh in this process --
  not loaded from clinsearch's cache -- with EDS-NLP's own code where clinsearch only made it
  faster (the dates pipe's regex matcher, the qualifiers' token writes), applied note by note
  in one process, entities extracted, nothing written;
* clinsearch: ``run_nlp`` over a warehouse holding the notes -- worker processes on every core,
  ``note_nlp`` rows written, ``note_nlp_state`` updated;
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
        generate(Path(folder), patients=max(count // 5, 1), notes=count * 2, seed=9)
        texts = [p.read_text(encoding="utf-8") for p in sorted((Path(folder) / "sources" / "documents").rglob("*.txt"))]
    joined = [(a + "\n" + b)[:chars] for a, b in zip(texts[::2], texts[1::2])]
    return [text[: text.rfind("\n") + 1] or text for text in joined][:count]


def edsnlp_only(nlp):
    """``nlp`` with EDS-NLP's own code in place of clinsearch's faster equivalents."""
    import types

    from edsnlp.matchers.regex import RegexMatcher
    from edsnlp.pipes.qualifiers.family.family import FamilyContextQualifier
    from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
    from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier

    nlp.get_pipe("dates").regex_matcher.__class__ = RegexMatcher
    for name, base in (("negation", NegationQualifier), ("hypothesis", HypothesisQualifier), ("family", FamilyContextQualifier)):
        pipe = nlp.get_pipe(name)
        pipe.process = types.MethodType(base.process, pipe)
    return nlp


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
    args = parser.parse_args()
    from clinsearch.nlp.annotate import entities
    from clinsearch.nlp.matchers import complete
    from clinsearch.nlp.pipeline import build_french, load_pipeline
    from clinsearch.nlp.run import run_nlp
    from clinsearch.warehouse.store import open_store

    texts = notes(args.notes, args.chars)
    characters = sum(len(t) for t in texts)

    fresh = edsnlp_only(build_french(full=True))
    start = time.perf_counter()
    bare = {}
    for note_id, text in enumerate(texts, start=1):
        for entity in entities(fresh(text)):
            bare[key(note_id, entity.as_dict())] = True
    bare_seconds = time.perf_counter() - start
    del fresh

    # clinsearch: the cached pipelines loaded and filled (what the bare one's build is to it),
    # outside the timed run
    start = time.perf_counter()
    complete(load_pipeline("fr"))
    load_pipeline("en")
    load_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        with open_store(data) as store:
            store.upsert("note", [{"note_id": i, "person_id": 1, "note_date": None, "note_text": t, "language_source_value": "fr"} for i, t in enumerate(texts, start=1)])
            start = time.perf_counter()
            summary = run_nlp(store)
            ours_seconds = time.perf_counter() - start
            rows = store.query_dicts(
                "SELECT note_id, start_char AS start, end_char AS end, label, code, term_exists = 'N' AS negated, "
                "coalesce(term_modifiers, '') LIKE '%hypothesis%' AS hypothesis, coalesce(term_modifiers, '') LIKE '%family%' AS family, "
                "term_temporal = 'past' AS history FROM note_nlp WHERE label <> 'context'"
            )
    ours = {key(r["note_id"], {**r, "history": bool(r["history"])}): True for r in rows}
    differ = len(set(bare) ^ set(ours))

    cold = median(wall([sys.executable, "-m", "clinsearch.cli", "annotate", "--json", "Pas d'embolie pulmonaire."]) for _ in range(5))
    floor = median(wall([sys.executable, "-c", "import edsnlp.pipes.qualifiers.hypothesis"]) for _ in range(5))

    report = {
        "benchmark": "nlp_speed",
        "notes": len(texts),
        "mean_chars": round(characters / len(texts)),
        "cores": os.cpu_count(),
        "bare_single_process": {"seconds": round(bare_seconds, 2), "notes_per_second": round(len(texts) / bare_seconds, 1), "chars_per_second": round(characters / bare_seconds)},
        "clinsearch_pipeline_load_seconds": round(load_seconds, 2),
        "clinsearch_run_nlp": {"seconds": round(ours_seconds, 2), "notes_per_second": round(len(texts) / ours_seconds, 1), "chars_per_second": round(characters / ours_seconds), "entities": summary.entities},
        "speedup": round(bare_seconds / ours_seconds, 2),
        "entities_bare": len(bare),
        "entities_differing": differ,
        "share_differing": round(differ / max(len(bare), 1), 6),
        "cold_start_annotate_seconds": round(cold, 2),
        "cold_start_floor_import_edsnlp_seconds": round(floor, 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
