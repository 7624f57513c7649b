"""Bounds in eligibility criteria: a comparison and a number with its unit (``> 8 %``, ``≥ 1,9
g/L``, ``entre 7 et 10 %``, ``40-75``, ``18 ans ou plus``) and what they bound, found on their
left: an age (``ans``, ``years``, ``âgés de``), a measurement (its name: the measurement table of
``criteria_words.json`` or a LOINC name of the terminology), a duration (a window, which needs
an index event: not understood), or nothing (not understood).

>>> [f.criterion for f in find_bounds("âgés de 40 à 75 ans", tokens("âgés de 40 à 75 ans"), set())]
[{'type': 'demographics', 'age': {'min': 40, 'max': 75}}]
"""

from __future__ import annotations

import re
from functools import lru_cache

from clinsearch import terminology
from clinsearch.cohort.criteria_text import SHORT, Found, Token, fold, lists, phrase_at, text_of, tokens, words  # noqa: F401 (tokens: the doctest)
from clinsearch.terminology.model import name_key

LONGEST = 10  # tokens in one name


def _alternatives(items, fold_them=True) -> str:
    spelled = sorted({fold(i) if fold_them else i for i in items}, key=len, reverse=True)
    return "|".join(r"\s*".join(re.escape(part) for part in s.split()) for s in spelled)


def _unit_pattern(spelling: str) -> str:
    """A unit's spelling as a pattern: spaces allowed around what is not a letter (``1,73 m²``)."""
    out, previous = "", ""
    for ch in fold(spelling):
        if previous and not (previous.isalpha() and ch.isalpha()):
            out += r"\s*"
        out += {".": "[.,]", ",": "[.,]", "2": "[2²]", "²": "[2²]", "µ": "[µu]", " ": ""}.get(ch, re.escape(ch))
        previous = ch
    return out


@lru_cache(maxsize=1)
def _bound_regex() -> re.Pattern:
    w = words()
    units = sorted({*w["units"], *w["age_units"], *w["durations"], *w["relative_units"]}, key=len, reverse=True)

    def number(n: int) -> str:
        return rf"(?<![\w.,])(?P<n{n}>\d+(?:[.,]\d+)?)(?:\s*(?P<u{n}>" + "|".join(_unit_pattern(u) for u in units) + r"))?(?![^\W_])"
    cmp = "|".join(f"(?P<{kind}>{_alternatives(items)})" for kind, items in w["comparators"].items())

    def post(n: int) -> str:
        return "|".join(f"(?P<post{n}_{kind}>{_alternatives(items)})" for kind, items in w["postfix"].items())
    start, middle = _alternatives(w["ranges"]["start"]), _alternatives(w["ranges"]["middle"])
    return re.compile(
        rf"(?P<range>(?:(?:{start})\s*)?{number(1)}\s*(?:{middle})\s*{number(2)})"
        rf"|(?:(?:{cmp})\s*(?:(?:a|de)\s+)?{number(3)}(?:\s+(?:{post(3)}))?)"
        rf"|(?:{number(4)}\s+(?:{post(4)}))")


def _number(text: str) -> int | float:
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _bounds(match: re.Match) -> tuple[dict, str | None]:
    """({min|above|max|below: value}, the unit as written) of one match of the bound regex."""
    g = match.groupdict()
    if g["range"]:
        return {"min": _number(g["n1"]), "max": _number(g["n2"])}, g["u2"] or g["u1"]
    if g["n3"]:
        kind = next(k for k in ("min", "above", "max", "below") if g[k])
        return {kind: _number(g["n3"])}, g["u3"]
    kind = next(k for k in ("min", "max") if g[f"post4_{k}"])
    return {kind: _number(g["n4"])}, g["u4"]


def _span(toks: list[Token], start: int, end: int) -> tuple[int, int] | None:
    inside = [i for i, t in enumerate(toks) if t.start >= start and t.end <= end]
    return (inside[0], inside[-1]) if inside else None


@lru_cache(maxsize=1)
def measurements() -> tuple[dict[str, dict], dict[str, dict]]:
    """(name key -> measurement, exact short name -> measurement): the table's names."""
    by_key, by_short = {}, {}
    for item in words()["measurements"]:
        for name in item["names"]:
            (by_short if sum(c.isalnum() for c in name) < SHORT else by_key).setdefault(name if sum(c.isalnum() for c in name) < SHORT else name_key(name), item)
    return by_key, by_short


def measurement_named(text: str) -> dict | None:
    by_key, by_short = measurements()
    found = by_short.get(text.strip()) or (by_key.get(name_key(text)) if sum(c.isalnum() for c in text) >= SHORT else None)
    if found:
        return {**found, "name": text.strip()}
    for concept in terminology.lookup(text) if sum(c.isalnum() for c in text) >= SHORT else ():
        if concept.vocabulary == "LOINC":
            return {"loinc": concept.code, "names": [concept.label], "units": [], "name": text.strip(), "terminology": True}
    return None


def find_bounds(text: str, toks: list[Token], taken: set[int]) -> list[Found]:
    w = words()
    folded = fold(text)
    out = []
    ages, durations = {fold(u) for u in w["age_units"]}, {fold(u) for u in w["durations"]}
    relative = {unit_key(u) for u in w["relative_units"]}
    for match in _bound_regex().finditer(folded, toks[0].start if toks else 0, toks[-1].end if toks else 0):
        span = _span(toks, match.start(), match.end())
        if span is None or any(i in taken for i in range(span[0], span[1] + 1)):
            continue
        bounds, unit = _bounds(match)
        spelled = re.sub(r"\s+", " ", unit).strip() if unit else None
        first, last = span
        left = _left_of(toks, first, taken)
        if spelled in ages and left[1] != "age" and _duration_before(toks, first, taken):  # "for at least 1 year", "espérance de vie < 1 an"
            out.append(Found(first, last, "duration"))
        elif spelled in ages or (spelled is None and left[1] == "age"):
            first = left[0] if left[1] == "age" else first
            out.append(Found(first, last, "age", _age(bounds), {"bounds": bounds}))
        elif spelled in durations:
            out.append(Found(first, last, "duration"))
        elif unit and unit_key(unit) in relative:  # "3 × LSN": relative to each laboratory's normal range
            out.append(Found(left[0] if left[1] == "measurement" else first, last, "relative"))
        elif left[1] == "measurement":
            out.append(_measurement(left[2], bounds, unit, left[0], last))
        elif unit is None and _after_persons(toks, first, taken):  # "patients over 50", "women 65 or older"
            out.append(Found(first, last, "age", _age(bounds), {"bounds": bounds}))
        else:
            out.append(Found(first, last, "unattached"))
    return out


def _duration_before(toks: list[Token], at: int, taken: set[int]) -> bool:
    """Whether the words just left of ``at`` make the years that follow a duration, not an age."""
    if at > 0 and phrase_at(toks, at - 1, lists()["connector"]) == 1:
        at -= 1
    return any(tuple(t.key for t in toks[at - len(p):at]) == p and not any(j in taken for j in range(at - len(p), at))
               for p in lists()["duration_cue"] if len(p) <= at)


def _after_persons(toks: list[Token], at: int, taken: set[int]) -> bool:
    """Whether the words just left of ``at`` name people (``patients``, ``women``): a bare number then is an age."""
    persons = {fold(w) for w in words()["persons"]}
    return at > 0 and (at - 1) not in taken and toks[at - 1].key in persons


def _left_of(toks: list[Token], at: int, taken: set[int]) -> tuple[int, str, dict | None]:
    """What the tokens left of ``at`` name: (first token, "age" | "measurement" | "", the measurement)."""
    i = at
    while i > 0 and (i - 1) not in taken and phrase_at(toks, i - 1, lists()["connector"]) == 1:
        i -= 1
    for length in range(min(LONGEST, i), 0, -1):
        run = range(i - length, i)
        if any(j in taken or not any(c.isalnum() for c in toks[j].text) for j in run):
            continue
        name = text_of(toks, i - length, i - 1)
        found = measurement_named(name)
        if found:
            return i - length, "measurement", found
    for length in (3, 2, 1):  # "âgés de", "aged", "d'âge"
        if i - length >= 0 and not any(j in taken for j in range(i - length, i)) and phrase_at(toks, i - length, lists()["age_word"]) == length:
            return i - length, "age", None
    return at, "", None


def _age(bounds: dict) -> dict:
    """Whole years: "over 18" (18 and some months) is 18 completed years, "under 75" 74."""
    age = {}
    if "min" in bounds or "above" in bounds:
        age["min"] = int(bounds.get("min", bounds.get("above")))
    if "max" in bounds or "below" in bounds:
        age["max"] = int(bounds["max"]) if "max" in bounds else int(-(-bounds["below"] // 1)) - 1
    return {"type": "demographics", "age": age}


def unit_key(unit: str) -> str:
    """A unit as compared: folded, no spaces, one decimal point and one micro sign (``mL/min/1,73 m²`` is ``ml/min/1.73m2``)."""
    key = re.sub(r"\s+", "", fold(unit)).replace(",", ".").replace("²", "2").replace("/mn", "/min")
    return "µ" + key[1:] if key.startswith("umol") else key


def _measurement(found: dict, bounds: dict, unit: str | None, first: int, last: int) -> Found:
    criterion = {"type": "measurement", "code": found["loinc"], **bounds}
    why = {"name": found["name"], "loinc": found["loinc"]}
    allowed = found.get("units", [])
    if unit:
        canonical = next((u for u in allowed if unit_key(u) == unit_key(unit)), None)
        if canonical is None and allowed:
            return Found(first, last, "bad_unit", None, {**why, "unit": unit, "units": ", ".join(allowed)})
        criterion["unit"] = canonical or next((c for s, c in words()["units"].items() if unit_key(s) == unit_key(unit)), unit)
    elif allowed:
        criterion["unit"] = allowed[0]
        why["assumed"] = allowed[0]
    return Found(first, last, "measurement", criterion, why)
