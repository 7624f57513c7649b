"""The measures of a score against observed outcomes.

Libraries where they exist: scikit-learn (AUROC, AUPRC, Brier score, ROC and PR curves),
statsmodels (logistic calibration models, LOWESS, Wilson intervals), scipy (normal quantiles,
mid-ranks). Written here, because no library of the field has them in Python:

* DeLong's variance of the AUROC and of the difference of two correlated AUROCs (DeLong,
  DeLong & Clarke-Pearson, Biometrics 1988;44:837-845), in Sun & Xu's fast mid-rank form (IEEE
  Signal Process Lett 2014;21:1389-1393) -- checked against R's pROC in the tests;
* net benefit (Vickers & Elkin, Med Decis Making 2006;26:565-574): TP/n − FP/n × pt/(1 − pt),
  a patient being flagged when the score is at least the threshold -- checked against the
  ``dcurves`` package;
* calibration as in Van Calster et al. (J Clin Epidemiol 2016;74:167-176): calibration-in-the-
  large (intercept with logit(p) as offset), slope (logistic regression on logit(p)), observed
  over expected events.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from clinsearch.evaluate.defaults import DEFAULT_THRESHOLDS

Z95 = stats.norm.ppf(0.975)
EPS = 1e-6
NET_BENEFIT_GRID = tuple(round(t / 100, 2) for t in range(1, 100))


def delong(y: np.ndarray, scores: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(AUROCs, their DeLong covariance matrix) of ``scores`` (higher = more likely an event)."""
    y = np.asarray(y).astype(bool)
    positives = np.array([s[y] for s in scores], dtype=float)
    negatives = np.array([s[~y] for s in scores], dtype=float)
    m, n = positives.shape[1], negatives.shape[1]
    if m < 2 or n < 2:  # a variance needs two of each
        aucs = np.array([roc_auc_score(y, s) for s in scores])
        return aucs, np.full((len(scores), len(scores)), np.nan)
    tx = np.array([stats.rankdata(p) for p in positives])
    ty = np.array([stats.rankdata(q) for q in negatives])
    tz = np.array([stats.rankdata(np.concatenate([p, q])) for p, q in zip(positives, negatives)])
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / (2.0 * n)
    v01 = (tz[:, :m] - tx) / n  # per event: the share of non-events it outranks
    v10 = 1.0 - (tz[:, m:] - ty) / m  # per non-event: the share of events that outrank it
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    return aucs, sx / m + sy / n


def auroc(y: np.ndarray, score: np.ndarray) -> dict:
    """AUROC (scikit-learn) with DeLong's 95 % interval (clipped to [0, 1])."""
    value = float(roc_auc_score(y, score))
    _, covariance = delong(y, [score])
    if not np.isfinite(covariance[0, 0]):
        return {"value": value, "ci_low": None, "ci_high": None, "se": None, "method": "DeLong (not estimable: fewer than 2 events or non-events)"}
    se = float(np.sqrt(max(covariance[0, 0], 0.0)))
    return {"value": value, "ci_low": float(max(0.0, value - Z95 * se)), "ci_high": float(min(1.0, value + Z95 * se)), "se": se, "method": "DeLong"}


def compare(y: np.ndarray, first: np.ndarray, second: np.ndarray) -> dict:
    """The paired difference of two AUROCs on the same patients: DeLong's test."""
    aucs, covariance = delong(y, [first, second])
    difference = float(aucs[0] - aucs[1])
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    se = float(np.sqrt(max(variance, 0.0)))
    z = difference / se if se > 0 else 0.0
    return {"auroc_difference": difference, "ci_low": float(difference - Z95 * se), "ci_high": float(difference + Z95 * se), "se": se,
            "z": float(z), "p_value": float(2 * stats.norm.sf(abs(z))), "method": "DeLong test for two correlated ROC curves"}


def calibration(y: np.ndarray, p: np.ndarray) -> dict:
    """Calibration-in-the-large (intercept), slope, observed/expected ratio."""
    import statsmodels.api as sm

    clipped = np.clip(p, EPS, 1 - EPS)
    logit = np.log(clipped / (1 - clipped))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect separation etc.: reported by the numbers themselves
        large = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=logit).fit()
        # a constant prediction has no slope
        slope = sm.GLM(y, np.column_stack([np.ones(len(y)), logit]), family=sm.families.Binomial()).fit() if np.ptp(logit) > 0 else None
    expected = float(p.sum())
    return {
        "intercept": float(large.params[0]),
        "slope": float(slope.params[1]) if slope is not None else None,
        "oe": float(y.sum() / expected) if expected > 0 else None,
        "observed": int(y.sum()),
        "expected": expected,
    }


def net_benefit(y: np.ndarray, p: np.ndarray, thresholds=NET_BENEFIT_GRID) -> list[dict]:
    """Net benefit of the score, of treating all and (0) of treating none, at each threshold."""
    n = len(y)
    prevalence = y.mean()
    out = []
    for t in thresholds:
        flagged = p >= t
        tp = int((flagged & (y == 1)).sum())
        fp = int((flagged & (y == 0)).sum())
        odds = t / (1 - t)
        out.append({"threshold": t, "net_benefit": tp / n - fp / n * odds, "treat_all": float(prevalence - (1 - prevalence) * odds), "treat_none": 0.0})
    return out


def threshold_table(y: np.ndarray, p: np.ndarray, thresholds) -> list[dict]:
    """Sensitivity, specificity, PPV, NPV and patients flagged (score ≥ threshold)."""
    out = []
    for t in thresholds:
        flagged = p >= t
        tp = int((flagged & (y == 1)).sum())
        fp = int((flagged & (y == 0)).sum())
        fn = int((~flagged & (y == 1)).sum())
        tn = int((~flagged & (y == 0)).sum())
        out.append({
            "threshold": t, "sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
            "ppv": _ratio(tp, tp + fp), "npv": _ratio(tn, tn + fn), "flagged": tp + fp,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        })
    return out


def summary(y: np.ndarray, score: np.ndarray, thresholds=DEFAULT_THRESHOLDS, probabilities: bool = True) -> dict:
    """Every measure of one score. Without probabilities (a score not in [0, 1]) only
    discrimination is measured."""
    out = {"n": int(len(y)), "events": int(y.sum()), "auroc": auroc(y, score), "auprc": float(average_precision_score(y, score))}
    if probabilities:
        out["brier"] = float(brier_score_loss(y, score))
        out["calibration"] = calibration(y, score)
        out["net_benefit"] = net_benefit(y, score)
        out["thresholds"] = threshold_table(y, score, thresholds)
    return out


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = 10, seed: int = 1, resamples: int = 200) -> dict:
    """For the plot: quantile bins (mean predicted, observed share, Wilson 95 % interval) and a
    LOWESS curve with a bootstrap 95 % band."""
    from statsmodels.nonparametric.smoothers_lowess import lowess
    from statsmodels.stats.proportion import proportion_confint

    order = np.argsort(p, kind="stable")
    binned = []
    for chunk in np.array_split(order, min(bins, len(p))):
        if len(chunk) == 0:
            continue
        events = int(y[chunk].sum())
        low, high = proportion_confint(events, len(chunk), method="wilson")
        binned.append({"predicted": float(p[chunk].mean()), "observed": events / len(chunk), "low": float(low), "high": float(high), "n": int(len(chunk))})
    grid = np.linspace(float(p.min()), float(p.max()), 50)
    smooth = lowess(y, p, frac=2 / 3, it=0, xvals=grid)
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(resamples):
        pick = rng.integers(0, len(p), len(p))
        curves.append(lowess(y[pick], p[pick], frac=2 / 3, it=0, xvals=grid))
    band = np.nanpercentile(np.array(curves), [2.5, 97.5], axis=0)
    return {"bins": binned, "grid": grid.tolist(), "smooth": np.clip(smooth, 0, 1).tolist(),
            "smooth_low": np.clip(band[0], 0, 1).tolist(), "smooth_high": np.clip(band[1], 0, 1).tolist()}


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None
