"""The cohort form's fields turned into a definition's criterion, and the definition carried
from step to step (a JSON text field): parsing only -- checking is ``cohort.definition``'s.

>>> criterion({"type": "condition", "codes": "I21*, I22", "window_from": "-365", "at_least": "2"})
{'type': 'condition', 'codes': ['I21*', 'I22'], 'window': {'from': -365}, 'at_least': 2}
"""

from __future__ import annotations

import json

from clinsearch.services.errors import DefinitionError

SECTIONS = ("index", "inclusion", "exclusion")
TYPES = ("demographics", "condition", "measurement", "drug", "procedure", "imaging", "visit", "text")
# form field -> the criterion types it belongs to (the page shows only those)
FIELDS = {
    "codes": ("condition", "drug", "procedure"),
    "query": ("text",),
    "code": ("measurement",),
    "min": ("measurement",),
    "max": ("measurement",),
    "unit": ("measurement",),
    "bounds": ("measurement",),
    "value_of": ("measurement",),
    "kind": ("visit",),
    "modality": ("imaging",),
    "body_part": ("imaging",),
    "description": ("imaging",),
    "age_min": ("demographics",),
    "age_max": ("demographics",),
    "sex": ("demographics",),
}


def definition(text: str, name: str = "") -> dict:
    """The definition so far (the form's JSON field), named ``name`` when given."""
    try:
        found = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"definition: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(found, dict):
        raise DefinitionError("definition: a JSON object is expected")
    if name.strip():
        found["name"] = name.strip()
    found.setdefault("name", "cohorte")
    return found


def criterion(fields: dict[str, str]) -> dict:
    """One criterion from the fields of the form (empty fields left out)."""
    kind = fields.get("type", "")
    if kind not in TYPES:
        raise DefinitionError(f"new criterion: unknown criterion type {kind!r}")
    value = {k: v.strip() for k, v in fields.items() if isinstance(v, str) and v.strip()}
    out: dict = {"type": kind}
    if value.get("label"):
        out["name"] = value["label"]
    if kind == "demographics":
        age = {k: _integer(value[f"age_{k}"], f"age {k}") for k in ("min", "max") if f"age_{k}" in value}
        if age:
            out["age"] = age
        if "sex" in value:
            out["sex"] = value["sex"]
    elif kind in ("condition", "drug", "procedure"):
        out["codes"] = [c.strip() for c in value.get("codes", "").replace(";", ",").split(",") if c.strip()]
    elif kind == "text":
        out["query"] = value.get("query", "")
    elif kind == "measurement":
        out["code"] = value.get("code", "")
        strict = value.get("bounds") == "strict"  # min/max excluded: above/below
        for bound, excluded in (("min", "above"), ("max", "below")):
            if bound in value:
                out[excluded if strict else bound] = _number(value[bound], bound)
        if "unit" in value:
            out["unit"] = value["unit"]
        if value.get("value_of", "latest") != "latest":
            out["value_of"] = value["value_of"]
    elif kind == "visit":
        out["kind"] = value.get("kind", "")
    elif kind == "imaging":
        for key in ("modality", "body_part", "description"):
            if key in value:
                out[key] = value[key].upper() if key != "description" else value[key]
    if kind != "demographics":
        window = {k: _integer(value[f"window_{k}"], f"window {k}") for k in ("from", "to") if f"window_{k}" in value}
        if window:
            out["window"] = window
        if "at_least" in value:
            out["at_least"] = _integer(value["at_least"], "at least")
    return out


def with_criterion(found: dict, section: str, item: dict) -> dict:
    """``found`` with ``item`` added to ``section`` (the index event replaces any other)."""
    if section not in SECTIONS:
        raise DefinitionError(f"new criterion: unknown section {section!r}")
    out = json.loads(json.dumps(found))
    if section == "index":
        out["index"] = {"event": item}
    else:
        out.setdefault(section, []).append(item)
    return out


def without(found: dict, section: str, position: int) -> dict:
    out = json.loads(json.dumps(found))
    if section == "index":
        out.pop("index", None)
    elif section in ("inclusion", "exclusion") and 0 < position <= len(out.get(section, [])):
        out[section].pop(position - 1)
    return out


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DefinitionError(f"new criterion: {what}: {text!r} is not a whole number") from None


def _number(text: str, what: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise DefinitionError(f"new criterion: {what}: {text!r} is not a number") from None
