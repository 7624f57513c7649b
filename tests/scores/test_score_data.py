"""The scores' knowledge is data (``scores/data/``): every file names its source, every category
table is well formed, and the cut-offs fall where the publications put them."""

from __future__ import annotations

import doctest
import json
from importlib import resources

import pytest

from clinsearch.scores import formulas as f
from clinsearch.scores import score2 as s2
from clinsearch.scores import tables

DATA = resources.files("clinsearch.scores").joinpath("data")
JSON_FILES = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".json"))


def category_tables(node, where: str = ""):
    """(where, bands) of every category table in a data file: the lists of bands with a label."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from category_tables(value, f"{where}.{key}")
    elif isinstance(node, list) and node and all(isinstance(b, dict) and ("label" in b or "points" in b) for b in node):
        yield where, node
        for index, entry in enumerate(node):
            yield from category_tables(entry, f"{where}[{index}]")


@pytest.mark.parametrize("name", JSON_FILES)
def test_every_data_file_names_its_source(name):
    data = json.loads(DATA.joinpath(name).read_text("utf-8"))
    assert data.get("source") or data.get("about"), f"{name}: no source"


@pytest.mark.parametrize("name", JSON_FILES)
def test_every_category_table_ends_unbounded_with_its_bounds_in_order(name):
    for where, bands in category_tables(json.loads(DATA.joinpath(name).read_text("utf-8"))):
        *bounded, last = bands
        assert "below" not in last and "from" not in last, f"{name}{where}: the last band must have no bound"
        assert all(("below" in b) != ("from" in b) for b in bounded), f"{name}{where}: one bound per band"
        below = [b["below"] for b in bounded if "below" in b]
        start = [b["from"] for b in bounded if "from" in b]
        assert not (below and start), f"{name}{where}: one kind of bound per table"
        assert below == sorted(set(below)) and start == sorted(set(start), reverse=True), f"{name}{where}: bounds out of order"


def test_the_tables_module_examples_run():
    failures, tried = doctest.testmod(tables)
    assert tried > 0 and failures == 0


def test_kdigo_2012_gfr_categories():
    """KDIGO 2012: G1 ≥ 90, G2 60-89, G3a 45-59, G3b 30-44, G4 15-29, G5 < 15 mL/min/1.73 m²."""
    cases = {120: "G1", 90: "G1", 89.9: "G2", 60: "G2", 59.9: "G3a", 45: "G3a", 44.9: "G3b", 30: "G3b", 29.9: "G4", 15: "G4", 14.9: "G5", 3: "G5"}
    assert {egfr: f.kdigo_stage(egfr) for egfr in cases} == cases


def test_who_2000_bmi_classes():
    cases = {18.4: "underweight", 18.5: "normal", 24.9: "normal", 25: "overweight", 29.9: "overweight", 30: "obesity class I",
             34.9: "obesity class I", 35: "obesity class II", 39.9: "obesity class II", 40: "obesity class III"}
    assert {value: f.bmi_class(value) for value in cases} == cases


def test_framingham_risk_groups():
    assert [f.framingham_category(r) for r in (9.99, 10, 19.99, 20)] == ["low", "intermediate", "intermediate", "high"]


def test_cha2ds2_vasc_esc_2020_bands_count_the_female_point_apart():
    assert [f.cha2ds2_vasc_category(p, "male") for p in (0, 1, 2, 9)] == ["low", "moderate", "high", "high"]
    assert [f.cha2ds2_vasc_category(p, "female") for p in (1, 2, 3, 9)] == ["low", "moderate", "high", "high"]


def test_cha2ds2_vasc_age_points():
    """A 65-74 years 1 point, A2 75 or over 2 points (Lip 2010)."""
    zero = dict(sex="male", chf=0, hypertension=0, diabetes=0, stroke=0, vascular=0)
    assert [f.cha2ds2_vasc(age=age, **zero) for age in (64, 65, 74, 75, 90)] == [0, 1, 1, 2, 2]


def test_has_bled_and_charlson_categories():
    assert [f.has_bled_category(p) for p in (0, 1, 2, 3, 9)] == ["low", "low", "moderate", "high", "high"]
    assert [f.charlson_category(p) for p in (0, 1, 2, 3, 4, 5, 30)] == ["none", "mild (1-2)", "mild (1-2)", "moderate (3-4)", "moderate (3-4)",
                                                                           "severe (5 or more)", "severe (5 or more)"]


def test_charlson_1994_age_points():
    """One point per decade from 50: 50-59 1, 60-69 2, 70-79 3, 80 or more 4."""
    assert [f.charlson_age_points(age) for age in (30, 49, 50, 59, 60, 69, 70, 79, 80, 101)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_score2_validity_ages_and_esc_regions():
    assert s2.SCORE2_AGES == (40, 69) and s2.SCORE2_OP_AGES == (70, 89) and f.framingham_ages() == (30, 74)
    assert s2.REGIONS == ("low", "moderate", "high", "very_high")


def test_esc_2021_categories_at_the_age_band_edges():
    """Visseren et al. 2021, table 4: high from 2.5 % (< 50 years), 5 % (50-69), 7.5 % (≥ 70);
    very high from 7.5, 10 and 15 %."""
    assert [s2.category_2021(2.5, age) for age in (49, 50, 69, 70)] == ["high", "low to moderate", "low to moderate", "low to moderate"]
    assert [s2.category_2021(7.5, age) for age in (49, 50, 70)] == ["very high", "high", "high"]
    assert [s2.category_2021(15, age) for age in (69, 70)] == ["very high", "very high"]
    assert [s2.category_diabetes(r) for r in (4.99, 5, 9.99, 10, 19.99, 20)] == ["low", "moderate", "moderate", "high", "high", "very high"]
