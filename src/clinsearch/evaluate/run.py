"""One evaluation: every measure of each score, the comparison of two, the same per subgroup
with the gaps between subgroups (fairlearn's ``MetricFrame``), and the warnings a clinician
must read before concluding.

Scores must be probabilities (in [0, 1]) for calibration, net benefit and thresholds. A score
outside [0, 1] is refused for those unless ``rescale`` says what to do: ``percent`` (divide by
100: SCORE2 is in %), or ``logistic`` (a logistic regression of the outcome on the score, fitted
on these same data -- its calibration is then perfect in-sample by construction, and the report
says so); discrimination does not depend on the scale.
"""

from __future__ import annotations

import warnings

import numpy as np

from clinsearch.evaluate import metrics
from clinsearch.evaluate.data import Dataset, EvaluationError

SMALL_GROUP = 100  # patients
SMALL_EVENTS = 10  # events (or non-events)


def evaluate(data: Dataset, thresholds=metrics.DEFAULT_THRESHOLDS, rescale: str | None = None) -> dict:
    """Every measure of each score of ``data``; ``thresholds`` are the risks of the threshold
    table (None: ``metrics.DEFAULT_THRESHOLDS``)."""
    thresholds = tuple(sorted(set(float(t) for t in (metrics.DEFAULT_THRESHOLDS if thresholds is None else thresholds))))
    for t in thresholds:
        if not 0 < t < 1:
            raise EvaluationError(f"threshold {t:g} is not a probability strictly between 0 and 1")
    scores, notes = probabilities(data, rescale)
    warnings_ = _warnings(data)
    out = {
        "source": data.source, "outcome": data.outcome, "rows": data.rows, "n": data.n, "events": data.events,
        "missing": data.missing, "thresholds": list(thresholds), "rescale": rescale, "notes": notes,
        "scores": {name: metrics.summary(data.y, p, thresholds) for name, p in scores.items()},
        "groups": {}, "fairness": {}, "warnings": warnings_,
    }
    if len(scores) == 2:
        first, second = scores
        out["comparison"] = {"scores": [first, second], **metrics.compare(data.y, scores[first], scores[second])}
    for column, values in data.groups.items():
        out["groups"][column], out["fairness"][column] = _by_group(data, column, values, scores, thresholds, warnings_)
    return out


def probabilities(data: Dataset, rescale: str | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """The scores as probabilities (rescaled as asked), and what was done to them."""
    scores, notes = {}, []
    for name, values in data.scores.items():
        scores[name], note = _probabilities(data, name, values, rescale)
        if note:
            notes.append(note)
    return scores, notes


def _probabilities(data: Dataset, name: str, values: np.ndarray, rescale: str | None) -> tuple[np.ndarray, str | None]:
    inside = values.min() >= 0 and values.max() <= 1
    if inside and rescale != "logistic":
        return values, None
    if rescale == "percent":
        if values.min() < 0 or values.max() > 100:
            raise EvaluationError(f"{data.source}: score {name!r} runs from {values.min():g} to {values.max():g}: not a percentage")
        return values / 100, f"{name}: divided by 100 (a percentage)"
    if rescale == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=np.inf).fit(values.reshape(-1, 1), data.y)
        return model.predict_proba(values.reshape(-1, 1))[:, 1], (
            f"{name}: mapped to probabilities by a logistic regression fitted on these data "
            f"(intercept {model.intercept_[0]:.3f}, slope {model.coef_[0][0]:.4f}); its calibration is perfect in-sample by construction")
    raise EvaluationError(
        f"{data.source}: score {name!r} runs from {values.min():g} to {values.max():g}, outside [0, 1]: calibration and net benefit "
        "need probabilities. Use --rescale percent (a score in %) or --rescale logistic (a logistic regression fitted on these data)")


def _warnings(data: Dataset) -> list[str]:
    out = []
    if data.events < SMALL_EVENTS or data.n - data.events < SMALL_EVENTS:
        out.append(f"only {min(data.events, data.n - data.events)} {'events' if data.events < SMALL_EVENTS else 'non-events'}: "
                   "every measure is very uncertain")
    left_out = sum(data.missing.values())
    if left_out:
        out.append(f"{left_out} row(s) left out for a missing value ({', '.join(f'{k}: {v}' for k, v in data.missing.items() if v)}); "
                   "if they differ from the others, the results may be biased")
    return out


def _by_group(data: Dataset, column: str, values: np.ndarray, scores: dict, thresholds, warnings_: list) -> tuple[dict, dict]:
    from fairlearn.metrics import MetricFrame

    groups: dict[str, dict] = {}
    for value in sorted(set(values.tolist()), key=str):
        mask = values == value
        y = data.y[mask]
        n, events = int(mask.sum()), int(y.sum())
        entry: dict = {"n": n, "events": events}
        if n < SMALL_GROUP or events < SMALL_EVENTS or n - events < SMALL_EVENTS:
            entry["warning"] = f"too small to conclude ({n} patients, {events} events; at least {SMALL_GROUP} and {SMALL_EVENTS} events and non-events wanted)"
            warnings_.append(f"{column} = {value}: {entry['warning']}")
        for name, p in scores.items():
            entry[name] = metrics.summary(y, p[mask], thresholds) if 0 < events < n else {"n": n, "events": events, "note": "a single class: not measurable"}
        groups[str(value)] = entry
    fairness = {}
    first = thresholds[0] if thresholds else metrics.DEFAULT_THRESHOLDS[1]  # none asked for: the middle default, 10 %
    for name, p in scores.items():
        frame = MetricFrame(
            metrics={"auroc": _safe_auroc, "brier": _brier, "observed_rate": _observed, "mean_predicted": _mean_predicted,
                     f"sensitivity@{first:g}": _sensitivity(first), f"flagged_rate@{first:g}": _flagged(first)},
            y_true=data.y, y_pred=p, sensitive_features=values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fairness[name] = {
                "by_group": {str(k): _clean(v) for k, v in frame.by_group.to_dict(orient="index").items()},
                "difference": _clean(frame.difference(method="between_groups").to_dict()),
                "ratio": _clean(frame.ratio(method="between_groups").to_dict()),
            }
    return groups, fairness


def _safe_auroc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < np.sum(y) < len(y) else float("nan")


def _brier(y, p) -> float:
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))


def _observed(y, p) -> float:
    return float(np.mean(y))


def _mean_predicted(y, p) -> float:
    return float(np.mean(p))


def _sensitivity(t: float):
    def sensitivity(y, p) -> float:
        y, p = np.asarray(y), np.asarray(p)
        events = y.sum()
        return float(((p >= t) & (y == 1)).sum() / events) if events else float("nan")

    return sensitivity


def _flagged(t: float):
    def flagged(y, p) -> float:
        return float(np.mean(np.asarray(p) >= t))

    return flagged


def _clean(values: dict) -> dict:
    return {str(k): (None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v)) for k, v in values.items()}
