"""How the draft of ``criteria`` says each criterion it read: the criterion as written in the
definition (age bounds merged, the measurement's name) and its explanation, in French or
English (the messages of ``criteria_words.json``)."""

from __future__ import annotations

from clinsearch.cohort import labels
from clinsearch.cohort.criteria_text import Found, words


def reading(f: Found, written: str, lang: str) -> tuple[dict, str]:
    """The criterion of ``f`` as the draft writes it and how it was read, in ``lang`` (``written``: its words)."""
    say, criterion = words()["messages"][lang], dict(f.criterion)
    if f.kind in ("age", "age_group"):
        age = dict(criterion["age"])
        for other in f.why.get("merged", []):
            age["min"] = max(age.get("min", 0), other.criterion["age"].get("min", 0))
            age["max"] = min(age.get("max", 130), other.criterion["age"].get("max", 130))
        age = {k: v for k, v in age.items() if not (k == "min" and v == 0) and not (k == "max" and v == 130)}
        criterion["age"] = age
        bounds = " " + bounds_words(age)
        said = say["age"].format(bounds=bounds)
        given = f.why.get("bounds", {})
        if "above" in given:
            said += say["strict_min"].format(n=given["above"])
        if "below" in given:
            said += say["strict_max"].format(n=given["below"], m=age["max"])
        if f.kind == "age_group" and not f.why.get("merged"):
            said = say["age_group"].format(words=written, bounds=bounds_words(age))
        return criterion, said
    if f.kind == "sex":
        return criterion, say["sex"].format(sex=say[f"sex_{criterion['sex']}"])
    if f.kind == "visit":
        return criterion, say["visit"].format(kind=labels.VISITS.get(criterion["kind"], criterion["kind"]) if lang == "fr" else criterion["kind"])
    if f.kind == "measurement":
        bounds = {k: criterion[k] for k in ("min", "above", "max", "below") if k in criterion}
        said = f"{f.why.get('name', '')} : " if lang == "fr" else f"{f.why.get('name', '')}: "
        said += say["measurement"].format(code=criterion["code"], bounds=(" " + bounds_words(bounds, criterion.get("unit", ""))) if bounds else say["no_bounds"])
        if f.why.get("assumed"):
            said += say["unit_assumed"].format(unit=f.why["assumed"])
        criterion["name"] = f"{f.why.get('name') or criterion['code']} {bounds_words(bounds, criterion.get('unit', ''))}".strip()
    elif f.kind in ("condition", "drug"):
        said = say[f.kind].format(codes=" ".join(criterion["codes"]))
    else:
        said = say["object" if f.why.get("object") else "text"].format(query=criterion["query"])
    if "lexicon" in f.why:
        said += say["from_lexicon"].format(id=f.why["lexicon"])
    elif "vocabulary" in f.why:
        said += say["from_terminology"].format(vocabulary=f.why["vocabulary"], label=f.why["label"])
    for word, correction in f.why.get("corrected", {}).items():
        said += say["corrected"].format(word=word, correction=correction)
    return criterion, said


def bounds_words(bounds: dict, unit: str = "") -> str:
    signs = {"min": "≥", "above": ">", "max": "≤", "below": "<"}
    if "min" in bounds and "max" in bounds and not unit:
        return f"{bounds['min']}–{bounds['max']}"
    said = " ".join(f"{signs[k]} {v}" for k, v in bounds.items() if k in signs)
    return f"{said} {unit}".strip() if said else ""
