"""The cohort's words in French (the web pages' default) beside the English the lower layers
write: the attrition rows, the criteria's default labels, the windows. A label the user wrote
(a criterion's ``name``) is kept as written. English stays what ``definition``/``build`` say,
so that the command line and the API do not change."""

from __future__ import annotations

from clinsearch.cohort.definition import Criterion, Definition, Window

KINDS = {"condition": "diagnostic", "drug": "médicament", "procedure": "acte"}
VALUE_OF = {"latest": "dernière", "first": "première", "min": "plus basse", "max": "plus haute", "any": "n'importe quelle"}
VISITS = {"inpatient": "hospitalisation", "outpatient": "consultation", "emergency": "urgences"}
SEXES = {"F": "femme", "M": "homme"}
POPULATION = {"patients in the warehouse": "patients de l'entrepôt", "patients you may see": "patients que vous pouvez voir",
              "index dates given": "dates index données"}


def attrition(steps: list[dict], definition: Definition, lang: str) -> list[dict]:
    """The attrition rows (``Cohort.as_dict()["attrition"]``) with their labels in ``lang``."""
    if lang != "fr":
        return steps
    by_where = {c.where: c for c in definition.criteria}
    out = []
    for step in steps:
        where, label = step["where"], step["label"]
        if where == "population" or label in POPULATION:
            label = POPULATION.get(label, label)
        elif where == "index" and definition.index is not None:
            label = ("première" if definition.occurrence == "first" else "dernière") + " : " + criterion(definition.index, lang)
        elif where in by_where:
            label = ("sans " if where.startswith("exclusion") else "") + criterion(by_where[where], lang)
        out.append({**step, "label": label})
    return out


def criterion(c: Criterion, lang: str) -> str:
    """A criterion's label in ``lang``: the user's own name, else the default in that language."""
    if lang != "fr" or c.spec.get("name"):
        return c.label
    spec, kind = c.spec, c.type
    if kind == "demographics":
        parts = [f"sexe {SEXES.get(spec['sex'], spec['sex'])}"] if "sex" in spec else []
        age = spec.get("age", {})
        if "min" in age and "max" in age:
            parts.append(f"âge {age['min']}-{age['max']}")
        elif age:
            parts.append(f"âge ≥ {age['min']}" if "min" in age else f"âge ≤ {age['max']}")
        return ", ".join(parts)
    if kind in KINDS:
        return f"{KINDS[kind]} {spec['vocabulary'] + ' ' if spec.get('vocabulary') else ''}{' '.join(spec['codes'])}"
    if kind == "measurement":
        signs = {"min": "≥", "above": ">", "max": "≤", "below": "<"}
        bounds = " ".join(f"{sign} {spec[k]}" for k, sign in signs.items() if k in spec)
        which = f" ({VALUE_OF.get(spec['value_of'], spec['value_of'])} valeur)" if bounds and spec.get("value_of") else ""
        return f"mesure {spec['code']}{which} {bounds} {spec.get('unit', '') if bounds else ''}".strip()
    if kind == "imaging":
        return "imagerie " + " ".join(str(spec[k]) for k in ("modality", "body_part", "description") if k in spec)
    if kind == "visit":
        return f"venue {VISITS.get(spec['kind'], spec['kind'])}"
    return f"texte « {spec['query']} »"


def window(w: Window, lang: str) -> str:
    """A window from the index date, in ``lang``."""
    if lang != "fr":
        return w.describe()

    def days(n: int) -> str:
        return "la date index" if n == 0 else f"{abs(n)} jours {'avant' if n < 0 else 'après'}"
    if w.start is not None and w.end is not None:
        return f"de {days(w.start)} à {days(w.end)}"
    return f"à partir de {days(w.start)}" if w.start is not None else f"jusqu'à {days(w.end)}"
