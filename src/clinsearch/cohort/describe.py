"""Describing cohorts side by side ("Table 1"): size, age at index, sex, the most frequent
conditions and drugs, and a summary of each measurement.

Conditions and drugs count patients with the code anywhere in their record; measurements take
each patient's latest value on or before the index date (the baseline), per code and unit.
``blur`` (the researcher's view) turns every count into what a researcher may see (under the
threshold suppressed, others rounded) and computes the percentages from those, so that no exact
count can be read back from a share.
"""

from __future__ import annotations

from typing import Callable

import pyarrow as pa

from clinsearch.cohort.build import BIRTH, SEX, Cohort

TOP = 10
MEASUREMENTS = "Measurements: median [IQR] of the latest value on or before the index date"
# The table's words in French (English is what the code below writes: the command line's and the API's).
FRENCH = {
    "Patients": "Patients", "Age at index": "Âge à la date index", "Sex": "Sexe", "Conditions": "Diagnostics", "Drugs": "Médicaments",
    MEASUREMENTS: "Mesures : médiane [EIQ] de la dernière valeur jusqu'à la date index",
    "mean (SD), years": "moyenne (ET), ans", "median [IQR], years": "médiane [EIQ], ans", "min-max, years": "min-max, ans",
    "female": "femme", "male": "homme", "unknown": "inconnu", "no unit": "sans unité",
}


def table_one(store, cohorts: list[Cohort], *, blur: Callable[[int], int | str] | None = None, lang: str = "en") -> dict:
    """``{"columns": [names], "rows": [{"section", "label", "values": [one per cohort]}]}``;
    ``lang="fr"``: headings and labels in French, numbers written the French way (12,5 %)."""
    described = [_describe(store, cohort) for cohort in cohorts]
    rows: list[dict] = []
    sections = ("Patients", "Age at index", "Sex", "Conditions", "Drugs", MEASUREMENTS)
    for section in sections:
        labels: dict[str, str] = {}
        for d in described:
            for key, (label, _) in d[section].items():
                labels.setdefault(key, label)
        keys = list(labels)
        if section in ("Conditions", "Drugs"):  # the most frequent over all the cohorts shown
            keys.sort(key=lambda k: -sum(d[section].get(k, ("", {"n": 0}))[1].get("n", 0) for d in described))
            keys = keys[:TOP]
        for key in keys:
            values = [_cell(d[section].get(key, (None, None))[1], d["n"], blur) for d in described]
            rows.append({"section": section, "label": labels[key], "values": values})
    if lang == "fr":
        rows = [{"section": FRENCH[r["section"]], "label": _french(r["label"]), "values": [_french_number(v) for v in r["values"]]} for r in rows]
    return {"columns": [c.definition.name for c in cohorts], "rows": rows}


def _french(label: str) -> str:
    if label in FRENCH:
        return FRENCH[label]
    return label[: -len("no unit")] + FRENCH["no unit"] if label.endswith(", no unit") else label


def _french_number(text: str) -> str:
    """``1,234 (12.5 %)`` as French writes it: ``1 234 (12,5 %)`` (a narrow space for thousands)."""
    return text.replace(",", "\u202f").replace(".", ",")


def _cell(stat: dict | None, total: int, blur) -> str:
    if stat is None:
        return "0" if total else "-"
    if "n" in stat and "summary" not in stat:  # a count, with its share
        n = stat["n"]
        if blur is not None:
            n, total = blur(n), blur(total)
            if isinstance(n, str):
                return n
        share = f" ({100 * n / total:.1f} %)" if isinstance(total, int) and total and stat.get("share", True) else ""
        return f"{n:,}{share}"
    n = stat["n"]
    if blur is not None:
        if isinstance(blur(n), str):
            return f"{blur(n)} patients"
        return f"{stat['summary']} (n={blur(n):,})"
    return f"{stat['summary']} (n={n:,})"


def _describe(store, cohort: Cohort) -> dict:
    members = pa.table({
        "person_id": pa.array([p for p, _ in cohort.members], pa.int64()),
        "index_date": pa.array([d for _, d in cohort.members], pa.date32()),
    })
    store.register("_described", members)
    try:
        n = len(cohort.members)
        out: dict = {"n": n, "Patients": {"n": ("Patients", {"n": n, "share": False})}}
        ages = store.query(
            f"SELECT avg(a), stddev_samp(a), quantile_cont(a, 0.5), quantile_cont(a, 0.25), quantile_cont(a, 0.75), min(a), max(a), count(a) "
            f"FROM (SELECT date_sub('year', {BIRTH}, m.index_date) AS a FROM _described m JOIN person p USING (person_id))")[0]
        out["Age at index"] = {}
        if ages[7]:
            mean, sd, median, q1, q3, low, high, count = ages
            out["Age at index"] = {
                "mean": ("mean (SD), years", {"n": count, "summary": f"{mean:.1f} ({sd or 0:.1f})"}),
                "median": ("median [IQR], years", {"n": count, "summary": f"{median:.0f} [{q1:.0f}-{q3:.0f}]"}),
                "range": ("min-max, years", {"n": count, "summary": f"{low}-{high}"}),
            }
        sexes = store.query(f"SELECT coalesce({SEX}, 'unknown') AS s, count(*) FROM _described m JOIN person p USING (person_id) GROUP BY 1 ORDER BY 1")
        names = {"F": "female", "M": "male", "unknown": "unknown"}
        out["Sex"] = {s: (names[s], {"n": c}) for s, c in sexes}
        out["Conditions"] = _codes(store, "condition_occurrence", "condition_source_value", "condition_source_concept_id")
        out["Drugs"] = _codes(store, "drug_exposure", "drug_source_value", "drug_source_concept_id")
        out[MEASUREMENTS] = _measurements(store)
        return out
    finally:
        store.unregister("_described")


def _codes(store, table: str, code: str, concept: str) -> dict:
    rows = store.query(
        f"SELECT x.{code}, any_value(c.concept_name), count(DISTINCT x.person_id) AS n FROM {table} x JOIN _described m USING (person_id) "
        f"LEFT JOIN concept c ON c.concept_id = x.{concept} GROUP BY 1 ORDER BY n DESC, 1 LIMIT 50")
    return {f"{table}:{c}": (f"{c} {name or ''}".strip(), {"n": n}) for c, name, n in rows}


def _measurements(store) -> dict:
    rows = store.query(
        "WITH latest AS (SELECT x.measurement_source_value AS code, x.unit_source_value AS unit, x.person_id, "
        "arg_max(x.value_as_number, x.measurement_date) AS v FROM measurement x JOIN _described m USING (person_id) "
        "WHERE x.value_as_number IS NOT NULL AND x.measurement_date <= m.index_date GROUP BY 1, 2, 3) "
        "SELECT l.code, l.unit, any_value(c.concept_name), count(*), quantile_cont(v, 0.5), quantile_cont(v, 0.25), quantile_cont(v, 0.75) "
        "FROM latest l LEFT JOIN concept c ON c.vocabulary_id = 'LOINC' AND c.concept_code = l.code GROUP BY 1, 2 ORDER BY 1, 2")
    return {
        f"{code}:{unit}": (f"{name or code} ({code}), {unit or 'no unit'}", {"n": n, "summary": f"{median:.4g} [{q1:.4g}-{q3:.4g}]"})
        for code, unit, name, n, median, q1, q3 in rows
    }
