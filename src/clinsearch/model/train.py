"""Training a prediction model on features (``features.py``) and an outcome: the split, the
cross-validated choice of hyper-parameters, and the predictions on the held-back patients.

Choices, each written into the model card:

* **split** by patient (a stratified random quarter held back, the outcome's rate the same on
  both sides) or by time (the latest quarter of index dates held back: a temporal validation,
  closer to how a model meets next year's patients);
* **hyper-parameters** by 5-fold stratified cross-validation on the training patients only (3
  folds from 20,000 training patients), scored by log-loss (which rewards calibrated
  probabilities, not just ranking): the strength of the L1 penalty of the logistic regression
  (which also selects features: most weights are 0), the learning rate and leaf count of the
  gradient boosting, whose number of trees is set by early stopping (on a tenth of each training
  fold, at most 300);
* **class imbalance**: stratified split and folds, a measure that does not reward predicting the
  majority class; re-weighting the classes (``balance=True``) is offered but not the default:
  it inflates every predicted risk, and the report's calibration shows it;
* **missing values**: a measurement never taken is not a normal value. The logistic regression
  gets a *missing* indicator column per test and the training median in its place (both
  visible in the weights); the gradient boosting sends missing values down a branch it learns;
* **rare features**: a feature held by fewer than ``min_patients`` training patients is left
  out (it cannot be learnt from, and its weight would point at a handful of patients).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clinsearch.model.features import Features

KINDS = ("logistic", "gbm")
SPLITS = ("patient", "time")
TEST_SHARE = 0.25
FOLDS = 5
LARGE = 20_000  # training patients from which 3 folds are enough (each fold then holds thousands)
MIN_PATIENTS = 10
LOGISTIC_C = tuple(float(c) for c in np.logspace(-3, 1, 9))
GBM_GRID = {"learning_rate": [0.05, 0.1], "max_leaf_nodes": [7, 15]}
GBM_TREES = 300  # at most: early stopping on a tenth of the training fold stops adding trees when log-loss stops falling
IMPORTANCE_ROWS = 2000  # permutation importances of the trees on at most this many test patients


class TrainingError(ValueError):
    """A model that cannot be trained on these data; the message says why."""


@dataclass
class Trained:
    pipeline: object  # the fitted scikit-learn pipeline (predict_proba on the columns below)
    columns: list[str]  # feature names the pipeline takes, in order
    labels: dict[str, str]
    kind: str
    split: str
    chosen: dict  # the hyper-parameters cross-validation chose
    cv_log_loss: float
    train: np.ndarray  # row numbers (of the features) trained on
    test: np.ndarray  # row numbers held back
    p_train: np.ndarray
    p_test: np.ndarray
    weights: list[dict]  # {"name", "label", "weight"}: coefficients (per SD) or importances
    dropped_rare: int  # features left out for being held by fewer than min_patients
    balance: bool


def split_rows(features: Features, y: np.ndarray, how: str, seed: int, share: float = TEST_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, test rows)."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    if how == "time":
        order = sorted(rows, key=lambda r: (features.index_dates[r], int(features.person_ids[r])))
        cut = len(order) - max(1, int(round(len(order) * share)))
        return np.array(sorted(order[:cut])), np.array(sorted(order[cut:]))
    train, test = train_test_split(rows, test_size=share, stratify=y, random_state=seed)
    return np.sort(train), np.sort(test)


def train(features: Features, y: np.ndarray, kind: str = "logistic", *, split: str = "patient", seed: int = 42,
          balance: bool = False, min_patients: int = MIN_PATIENTS) -> Trained:
    if kind not in KINDS:
        raise TrainingError(f"unknown model {kind!r} (one of: {', '.join(KINDS)})")
    if split not in SPLITS:
        raise TrainingError(f"unknown split {split!r} (one of: {', '.join(SPLITS)})")
    y = np.asarray(y, dtype=int)
    train_rows, test_rows = split_rows(features, y, split, seed)
    for name, rows in (("training", train_rows), ("test", test_rows)):
        events = int(y[rows].sum())
        if events < 2 or len(rows) - events < 2:
            raise TrainingError(f"the {name} patients hold {events} event(s) and {len(rows) - events} non-event(s): "
                                "at least 2 of each are needed (a larger cohort, a longer outcome window)")
    if int(y[train_rows].sum()) < FOLDS or len(train_rows) - int(y[train_rows].sum()) < FOLDS:
        raise TrainingError(f"{FOLDS}-fold cross-validation needs at least {FOLDS} training events and non-events")
    keep, dropped = _kept_columns(features, train_rows, min_patients)
    if not keep:
        raise TrainingError(f"no feature is held by at least {min_patients} training patients")
    columns = [features.names[j] for j in keep]
    X = features.values[:, keep]
    search = _search(kind, seed, balance, X[train_rows])
    with np.errstate(all="ignore"):
        search.fit(X[train_rows], y[train_rows])
    pipeline = search.best_estimator_
    p_train, p_test = pipeline.predict_proba(X[train_rows])[:, 1], pipeline.predict_proba(X[test_rows])[:, 1]
    weights = _weights(kind, pipeline, columns, features.labels, X[test_rows], y[test_rows], seed)
    chosen = {k.split("__")[-1]: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in search.best_params_.items()}
    return Trained(pipeline, columns, {c: features.labels[c] for c in columns}, kind, split, chosen, float(-search.best_score_),
                   train_rows, test_rows, p_train, p_test, weights, dropped, balance)


def _kept_columns(features: Features, rows: np.ndarray, min_patients: int) -> tuple[list[int], int]:
    """Columns held by at least ``min_patients`` of ``rows`` (a value for measurements, a 1 for
    presence) and not constant there."""
    keep, dropped = [], 0
    for j, name in enumerate(features.names):
        column = features.values[rows, j]
        known = column[~np.isnan(column)]
        held = len(known) if name.startswith("measurement:") or name == "age" else int((known != 0).sum())
        if held < min_patients or len(known) == 0 or np.ptp(known) == 0 and len(known) == len(column):
            dropped += held < min_patients
            continue
        keep.append(j)
    return keep, dropped


def _search(kind: str, seed: int, balance: bool, X_train: np.ndarray):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline

    folds = StratifiedKFold(FOLDS if len(X_train) < LARGE else 3, shuffle=True, random_state=seed)
    weight = "balanced" if balance else None
    if kind == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        steps = [("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)), ("scale", StandardScaler()),
                 ("model", LogisticRegression(l1_ratio=1.0, solver="liblinear", max_iter=5000, class_weight=weight, random_state=seed))]
        grid = {"model__C": list(LOGISTIC_C)}
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier

        steps = [("model", HistGradientBoostingClassifier(max_iter=GBM_TREES, early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                                                          class_weight=weight, random_state=seed))]
        grid = {f"model__{k}": v for k, v in GBM_GRID.items()}
    return GridSearchCV(Pipeline(steps), grid, cv=folds, scoring="neg_log_loss", n_jobs=1, refit=True)


def _weights(kind: str, pipeline, columns: list[str], labels: dict, X_test: np.ndarray, y_test: np.ndarray, seed: int) -> list[dict]:
    """Logistic: the coefficient of each standardised column (per standard deviation), missing
    indicators included, zeros left out. Trees: the permutation importance on the test patients
    (the fall of the AUROC when the column is shuffled)."""
    out = []
    if kind == "logistic":
        impute = pipeline.named_steps["impute"]
        names = list(columns)
        if impute.indicator_ is not None:
            names += [f"missing:{columns[j]}" for j in impute.indicator_.features_]
        for name, weight in zip(names, pipeline.named_steps["model"].coef_[0]):
            if weight != 0:
                base = name.removeprefix("missing:")
                out.append({"name": name, "label": ("no value: " if name.startswith("missing:") else "") + labels.get(base, base), "weight": float(weight)})
        out.append({"name": "(intercept)", "label": "intercept", "weight": float(pipeline.named_steps["model"].intercept_[0])})
    else:
        from sklearn.inspection import permutation_importance

        rows = np.random.default_rng(seed).permutation(len(y_test))[:IMPORTANCE_ROWS]
        found = permutation_importance(pipeline, X_test[rows], y_test[rows], scoring="roc_auc", n_repeats=5, random_state=seed, n_jobs=1)
        for name, weight in zip(columns, found.importances_mean):
            if weight != 0:
                out.append({"name": name, "label": labels.get(name, name), "weight": float(weight)})
    return sorted(out, key=lambda w: (w["name"] == "(intercept)", -abs(w["weight"]), w["name"]))
