"""A model from a cohort of the warehouse: its patients at their index dates, the outcome after
each, the features before, the training (``train.py``), and the evaluation of the held-back
patients with the evaluation report's own measures (``evaluate.run``).

The outcome is a definition as ``clinsearch evaluate --cohort`` takes it (``{"name",
"inclusion": [criteria with windows in days from the index date]}``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import Definition, read
from clinsearch.evaluate.cohort import age_band
from clinsearch.evaluate.data import Dataset
from clinsearch.evaluate.metrics import auroc
from clinsearch.evaluate.run import evaluate
from clinsearch.model import features as feature_set
from clinsearch.model.train import Trained, TrainingError, train

STEPS = ("cohort", "features", "training", "evaluation")  # what ``on_step`` is told, in this order


@dataclass
class Fitted:
    trained: Trained
    features: feature_set.Features
    y: np.ndarray
    test_data: Dataset  # the held-back patients as the evaluation reads them
    result: dict  # n_train, n_test, events_test, features, test (the evaluate metrics), ...


def outcome_definition(outcome: dict) -> Definition:
    return read({"name": outcome.get("name") or "outcome", "inclusion": outcome.get("inclusion", [])}, indexed=True)


def cohort_and_outcome(store, data: Path, cohort: Definition, outcome: dict, *, persons=None, departments=None,
                       pseudonymised: bool = False) -> tuple[list[tuple[int, dt.date]], np.ndarray, str]:
    """(members, their outcome 0/1, the outcome's name)."""
    members = build(store, data, cohort, persons=persons, departments=departments, pseudonymised=pseudonymised).members
    if not members:
        raise TrainingError(f"cohort {cohort.name!r}: no patient")
    definition = outcome_definition(outcome)
    found = {p for p, _ in build(store, data, definition, index_dates=members, persons=persons, departments=departments,
                                 pseudonymised=pseudonymised).members}
    return members, np.array([int(p in found) for p, _ in members], dtype=int), definition.name


def fit(store, data: Path, cohort: Definition, outcome: dict, kind: str = "logistic", *, spec: feature_set.Spec = feature_set.Spec(),
        split: str = "patient", seed: int = 42, balance: bool = False, name: str = "model", shuffle_outcome: bool = False,
        persons=None, departments=None, pseudonymised: bool = False, on_step=None) -> Fitted:
    """Build, train, evaluate. ``shuffle_outcome`` permutes the outcomes before training (the
    negative control of the learning path and the tests: the test AUROC must fall to about 0.5)."""
    step = on_step or (lambda s: None)
    step("cohort")
    members, y, outcome_name = cohort_and_outcome(store, data, cohort, outcome, persons=persons, departments=departments, pseudonymised=pseudonymised)
    if shuffle_outcome:
        y = np.random.default_rng(seed).permutation(y)
    step("features")
    features = feature_set.build(store, members, spec)
    step("training")
    trained = train(features, y, kind, split=split, seed=seed, balance=balance)
    step("evaluation")
    test_data = held_back(features, y, trained, name, cohort.name, outcome_name)
    metrics = evaluate(test_data)
    apparent = auroc(y[trained.train], trained.p_train)
    result = {
        "model": kind, "name": name, "cohort": cohort.name, "outcome": outcome_name, "split": split, "seed": seed, "balance": balance,
        "shuffled_outcome": shuffle_outcome, "n_train": int(len(trained.train)), "n_test": int(len(trained.test)),
        "events_train": int(y[trained.train].sum()), "events_test": int(y[trained.test].sum()),
        "features": [{"name": w["name"], "label": w["label"], "weight": w["weight"]} for w in trained.weights],
        "features_used": len(trained.columns), "features_built": len(features.names), "features_rare": trained.dropped_rare,
        "feature_spec": spec.as_dict(), "hyperparameters": trained.chosen, "cv_log_loss": trained.cv_log_loss,
        "train_auroc": apparent, "period": period(features), "left_out": features.left_out, "test": metrics,
    }
    return Fitted(trained, features, y, test_data, result)


def held_back(features: feature_set.Features, y: np.ndarray, trained: Trained, name: str, cohort_name: str, outcome_name: str) -> Dataset:
    rows = trained.test
    return Dataset(f"cohort {cohort_name!r}, held-back patients ({trained.split} split)", outcome_name, y[rows], {name: trained.p_test},
                   subgroups(features, rows), len(rows), {})


def subgroups(features: feature_set.Features, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Sex and age band of the patients of ``rows`` (the evaluation's subgroups)."""
    out = {}
    if "sex:F" in features.names:
        sex = features.column("sex:F")[rows]
        out["sex"] = np.array(["F" if v == 1 else "M" if v == 0 else "(missing)" for v in sex], dtype=object)
    if "age" in features.names:
        out["age_band"] = np.array([age_band(None if np.isnan(a) else a) for a in features.column("age")[rows]], dtype=object)
    return out


def period(features: feature_set.Features) -> dict:
    """The dates the data come from: index dates, and the oldest and newest event a feature used."""
    used = [d for d in features.newest if d is not None]
    return {"index_from": min(features.index_dates).isoformat(), "index_to": max(features.index_dates).isoformat(),
            "newest_event": max(used).isoformat() if used else None}


def apply(store, pipeline, columns: list[str], spec: feature_set.Spec, members: list[tuple[int, dt.date]]) -> tuple[feature_set.Features, np.ndarray]:
    """A trained pipeline's probabilities for ``members``: their features built as at training
    (same spec, same columns in the same order)."""
    features = feature_set.build(store, members, spec, names=columns)
    return features, pipeline.predict_proba(features.values)[:, 1]
