"""The scores' knowledge as data: the files of ``scores/data/`` (coefficients, category cut-offs,
codes, each with its source), read once each, and the one rule their category tables follow.

A category table is a list of bands checked in order: a band applies when the value is below its
``below`` or at least its ``from``; the last band, without a bound, applies otherwise.

>>> category(22.9, table("bmi.json")["classes"]["bands"])
'normal'
>>> category(59.9, table("ckd_epi_2021.json")["stages"]["bands"])
'G3a'
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


def text(name: str) -> str:
    """The text of the data file ``name`` (``score2_region_scales.csv``)."""
    return resources.files("clinsearch.scores").joinpath("data", name).read_text("utf-8")


@lru_cache(maxsize=None)
def table(name: str) -> dict:
    """The JSON data file ``name`` (``framingham.json``), parsed once; never modify it."""
    return json.loads(text(name))


def band(value: float, bands: list[dict]) -> dict:
    """The first band of ``bands`` that ``value`` falls in (see the module's docstring)."""
    for entry in bands:
        if "below" in entry and not value < entry["below"]:
            continue
        if "from" in entry and not value >= entry["from"]:
            continue
        return entry
    raise ValueError(f"no band for {value!r}: the last band of a category table has no bound")


def category(value: float, bands: list[dict]) -> str:
    return band(value, bands)["label"]
