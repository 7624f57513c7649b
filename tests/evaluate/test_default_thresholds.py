"""The threshold table's default risks: one constant, ``metrics.DEFAULT_THRESHOLDS``, used when a
caller asks for none."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from clinsearch.evaluate.data import dataset
from clinsearch.evaluate.metrics import DEFAULT_THRESHOLDS
from clinsearch.evaluate.run import evaluate


def small_dataset():
    rng = np.random.default_rng(3)
    risk = rng.uniform(0.01, 0.6, 400)
    outcome = (rng.uniform(0, 1, 400) < risk).astype(int)
    return dataset(pa.table({"event": outcome, "risk": risk}), "generated", "event", ["risk"])


def test_the_defaults_are_5_10_and_20_percent():
    assert DEFAULT_THRESHOLDS == (0.05, 0.1, 0.2)


def test_no_thresholds_asked_for_means_the_defaults():
    data = small_dataset()
    assert evaluate(data)["thresholds"] == evaluate(data, None)["thresholds"] == list(DEFAULT_THRESHOLDS)
    assert [t["threshold"] for t in evaluate(data, None)["scores"]["risk"]["thresholds"]] == list(DEFAULT_THRESHOLDS)
