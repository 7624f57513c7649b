"""Labs of the summary, grouped by panel (``labs.json``): per test the latest value with its unit
and reference range, whether it is out of range, and the series for a trend plot.

The range is the laboratory's own when the row carries one (OMOP ``range_low``/``range_high``),
else the usual adult interval of ``labs.json`` (sex-specific where it says so), converted to the
row's unit by ``clinsearch.units`` when the unit differs -- or none, when the unit is unknown to
the conversion table: a range is never guessed. Values of a series written in other units are
converted the same way, or left out of the plot (and counted)."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from importlib import resources

from clinsearch import units
from clinsearch.record.citations import row_citation


@cache
def panels() -> dict:
    return json.loads(resources.files("clinsearch.record").joinpath("labs.json").read_text(encoding="utf-8"))


@cache
def tests_by_code() -> dict[str, tuple[dict, dict]]:
    return {test["loinc"]: (panel, test) for panel in panels()["panels"] for test in panel["tests"]}


def number(value: float | None, lang: str = "fr") -> str:
    """A value as a clinician writes it: three significant digits at most, a decimal comma in
    French (0.956575 -> "0,957"; 140.0 -> "140")."""
    if value is None:
        return ""
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def labs(record: dict, terminology, lang: str, sex: str | None) -> list[dict]:
    by_code: dict[str, list[dict]] = defaultdict(list)
    for row in record["measurements"]:
        code = row["code"] if row["vocabulary"] == "LOINC" and row["code"] else row["source_value"] or row["code"]
        if code:
            by_code[code].append(row)
    grouped: dict[str, dict] = {}
    other = panels()["other"]
    for code, rows in by_code.items():
        panel, test = tests_by_code().get(code, (other, None))
        entry = grouped.setdefault(panel["id"], {"panel": panel["id"], "label": panel.get(lang) or panel["fr"], "tests": []})
        entry["tests"].append(_test(code, rows, test, terminology, lang, sex))
    order = [p["id"] for p in panels()["panels"]] + [other["id"]]
    for entry in grouped.values():
        entry["tests"].sort(key=lambda t: t["label"])
    return sorted(grouped.values(), key=lambda p: order.index(p["panel"]))


def _test(code: str, rows: list[dict], test: dict | None, terminology, lang: str, sex: str | None) -> dict:
    latest = rows[-1]
    unit = latest["unit"]
    quantity = units.LOINC.get(code)
    points, left_out = [], 0
    for row in rows:
        value = _in_unit(row["value"], row["unit"], unit, quantity)
        if value is None:
            left_out += 1
        else:
            points.append({"date": row["date"], "value": value, "id": row["id"]})
    low, high, source = _range(latest, test, unit, quantity, sex)
    value = latest["value"]
    flag = "low" if low is not None and value < low else "high" if high is not None and value > high else "normal" if (low, high) != (None, None) else None
    concept = terminology.concept("LOINC", code)
    label = (test.get(lang) or test["fr"]) if test else (concept.label if concept else None) or latest["name"] or code
    text = f"{label} {number(value, lang)} {unit or ''}".strip()
    return {"code": code, "label": label, "unit": unit, "value": value, "display": number(value, lang), "date": latest["date"],
            "low": low, "high": high, "range_source": source, "flag": flag, "key": bool(test and test.get("key")),
            "points": points, "left_out": left_out, "citations": [row_citation("measurement", latest["id"], latest["date"], text)]}


def _in_unit(value: float, source: str | None, target: str | None, quantity: str | None) -> float | None:
    if units.normalise(source) == units.normalise(target):
        return value
    if quantity is None:
        return None
    try:
        return units.convert(value, source, target, quantity)
    except ValueError:
        return None


def _rounded(value: float | None) -> float | None:
    """A converted bound to three significant digits (5.2 mmol/L is 201 mg/dL, not 201.084)."""
    return None if value is None else float(f"{value:.3g}")


def _range(row: dict, test: dict | None, unit: str | None, quantity: str | None, sex: str | None) -> tuple:
    if row["range_low"] is not None or row["range_high"] is not None:
        return row["range_low"], row["range_high"], "laboratory"
    if test is None:
        return None, None, None
    female = (sex or "").upper().startswith("F")
    low = test.get("female_low", test.get("low")) if female else test.get("low")
    high = test.get("female_high", test.get("high")) if female else test.get("high")
    low, high = (_rounded(_in_unit(v, test["unit"], unit, quantity)) if v is not None else None for v in (low, high))
    if (low, high) == (None, None):
        return None, None, None
    return low, high, "usual"
