"""Model speed: features and training for a large cohort, step by step.

    python benchmarks/model_speed.py [--patients 100000] [--notes-per-patient 2] [--work DIR] [--models logistic gbm]

1. Builds (or, with ``--work``, reuses) a warehouse of ``--patients`` patients from the demo
   generator, with the generator's ground truth standing in for the NLP (as ``search_speed.py``;
   the mentions get their CIM-10 codes, so that the notes' concepts are features).
2. Runs the demo's model cohort (``demo/examples/model-cohort.json``) and a coded form of its
   outcome (``OUTCOME`` below: the same events by their CIM-10 codes, so that no text index is
   needed and the setup stays minutes) through each step, timed: cohort and outcome, features, training (with
   its cross-validation) and the evaluation of the held-back patients, for each model kind.
3. Baseline in the same run: a logistic regression on age and sex alone (no cross-validation)
   on the same split -- its time, and the ratio of the full model's time and AUROC to it.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))

from search_speed import write_ground_truth_nlp  # noqa: E402

from clinsearch.cohort.definition import read  # noqa: E402
from clinsearch.demo.generator import generate  # noqa: E402
from clinsearch.evaluate.metrics import auroc  # noqa: E402
from clinsearch.evaluate.run import evaluate  # noqa: E402
from clinsearch.ingest.run import ingest  # noqa: E402
from clinsearch.model import features as feature_set  # noqa: E402
from clinsearch.model.run import cohort_and_outcome, held_back  # noqa: E402
from clinsearch.model.train import split_rows, train  # noqa: E402
from clinsearch.warehouse.store import open_store  # noqa: E402

EXAMPLES = resources.files("clinsearch.demo").joinpath("examples")
OUTCOME = {"name": "cardiovascular event coded in 10 years",
           "inclusion": [{"type": "condition", "codes": ["I21*", "I63*", "G45*", "I48*", "I50*"], "window": {"from": 1, "to": 3650}}]}


def build(work: Path, patients: int, per_patient: int) -> tuple[Path, dict]:
    data = work / "warehouse"
    if (data / "warehouse.duckdb").exists():
        return data, {"reused": True}
    timings = {}
    started = time.perf_counter()
    generate(work / "source", patients=patients, notes=patients * per_patient, seed=11)
    timings["generate_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with open_store(data) as store:
        ingest(store, [work / "source" / "sources" / "omop", work / "source" / "sources" / "documents"])
    timings["ingest_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    truth = json.loads((work / "source" / "ground_truth.json").read_text("utf-8"))
    with open_store(data) as store:
        write_ground_truth_nlp(store, truth)
        codes = {variant.lower(): value["code"].replace(".", "") for value in truth["conditions"].values() for variant in value["variants"]}
        store.con.register("_codes", pa.table({"variant": list(codes), "code": list(codes.values())}))
        store.execute("UPDATE note_nlp SET code = c.code, code_vocabulary = 'CIM10' FROM _codes c WHERE lower(note_nlp.lexical_variant) = c.variant "
                      "AND note_nlp.label = 'lexicon'")
        store.con.unregister("_codes")
    timings["ground_truth_nlp_seconds"] = round(time.perf_counter() - started, 1)
    return data, timings


def timed(work):
    started = time.perf_counter()
    value = work()
    return value, round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--notes-per-patient", type=int, default=2)
    parser.add_argument("--work", type=Path, help="Keep (and reuse) the warehouse in this folder.")
    parser.add_argument("--models", nargs="+", default=["logistic", "gbm"], choices=["logistic", "gbm"])
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="clinsearch-model-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data, setup = build(work, args.patients, args.notes_per_patient)
        cohort = read(json.loads(EXAMPLES.joinpath("model-cohort.json").read_text("utf-8")))
        outcome = OUTCOME
        steps: dict = {}
        with open_store(data, read_only=True) as store:
            (members, y, name), steps["cohort_and_outcome_seconds"] = timed(lambda: cohort_and_outcome(store, data, cohort, outcome))
            built, steps["features_seconds"] = timed(lambda: feature_set.build(store, members))
        out = {"patients_in_warehouse": args.patients, "cohort": len(members), "events": int(y.sum()), "features": len(built.names),
               "setup": setup, "steps": steps, "models": {}}
        for kind in args.models:
            trained, seconds = timed(lambda: train(built, y, kind))
            metrics, evaluation_seconds = timed(lambda: evaluate(held_back(built, y, trained, kind, cohort.name, name)))
            out["models"][kind] = {"training_seconds": seconds, "evaluation_seconds": evaluation_seconds, "chosen": trained.chosen,
                                   "features_used": len(trained.columns), "test_auroc": round(metrics["scores"][kind]["auroc"]["value"], 4)}
        # the baseline: age and sex, one logistic regression, the same split
        from sklearn.linear_model import LogisticRegression

        train_rows, test_rows = split_rows(built, y, "patient", 42)
        columns = [built.names.index(c) for c in ("age", "sex:F") if c in built.names]
        X = np.nan_to_num(built.values[:, columns], nan=float(np.nanmedian(built.values[:, columns[0]])))
        fitted, seconds = timed(lambda: LogisticRegression().fit(X[train_rows], y[train_rows]))
        base_auroc = auroc(y[test_rows], fitted.predict_proba(X[test_rows])[:, 1])["value"]
        out["baseline"] = {"what": "logistic regression on age and sex, no cross-validation", "training_seconds": seconds, "test_auroc": round(base_auroc, 4)}
        for kind, found in out["models"].items():
            found["time_ratio_to_baseline"] = round((found["training_seconds"] + steps["features_seconds"]) / max(seconds, 1e-3), 1)
            found["auroc_gain_over_baseline"] = round(found["test_auroc"] - base_auroc, 4)
        print(json.dumps(out, indent=1))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
