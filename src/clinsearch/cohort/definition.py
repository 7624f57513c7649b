"""Reading a cohort definition: JSON checked against ``schema.json``, then against what the
schema cannot say (known codes, convertible units, possible windows, readable queries).

Every refusal is a ``DefinitionError`` whose message names the criterion:

>>> read({"name": "x", "inclusion": [{"type": "condition", "codes": ["I21*"], "window": {"from": 10, "to": -10}}]})
Traceback (most recent call last):
...
clinsearch.cohort.definition.DefinitionError: inclusion[1] (condition I21*): impossible window: from 10 is after to -10
"""

from __future__ import annotations

import bisect

import datetime as dt
import gzip
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from clinsearch import units
from clinsearch.cohort import codes
from clinsearch.search.query import QueryError, parse

EVENT_TYPES = ("condition", "measurement", "drug", "procedure", "imaging", "visit", "text")


class DefinitionError(ValueError):
    """A definition that cannot be run; the message names the criterion."""


@dataclass(frozen=True)
class Window:
    start: int | None  # days relative to the index date, included
    end: int | None

    def describe(self) -> str:
        def days(n: int) -> str:
            return "the index date" if n == 0 else f"{abs(n)} days {'before' if n < 0 else 'after'}"
        if self.start is not None and self.end is not None:
            return f"from {days(self.start)} to {days(self.end)}"
        return f"from {days(self.start)}" if self.start is not None else f"until {days(self.end)}"


@dataclass(frozen=True)
class Criterion:
    where: str  # inclusion[2], exclusion[1], index
    type: str
    label: str  # how the attrition table names it
    spec: dict  # the criterion as written (type-specific fields)
    window: Window | None = None
    at_least: int = 1

    def __str__(self) -> str:
        return f"{self.where} ({self.label})"


@dataclass(frozen=True)
class Definition:
    name: str
    description: str
    index: Criterion | None
    occurrence: str  # first | last
    as_of: dt.date
    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]
    raw: dict = field(compare=False)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return self.inclusion + self.exclusion


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(resources.files("clinsearch.cohort").joinpath("schema.json").read_text("utf-8"))


def load(path: Path) -> Definition:
    """Read a definition file; errors name the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        return read(raw)
    except DefinitionError as exc:
        raise DefinitionError(f"{path}: {exc}") from exc


# Bounds on one definition, so that one request cannot hold the server's cores for minutes (a
# prefix covers a whole hierarchy: I26* is every pulmonary embolism).
MAX_CRITERIA = 60
MAX_CODES = 1_000


def read(raw: object, today: dt.date | None = None, *, indexed: bool = False) -> Definition:
    """``indexed``: the caller gives the index dates (windows are allowed without an index event)."""
    _check_structure(raw)
    assert isinstance(raw, dict)
    index = raw.get("index")
    index_criterion = _criterion("index", index["event"]) if index else None
    if index_criterion is not None:
        if index_criterion.type == "demographics":
            raise DefinitionError("index: the index event must be an event (condition, measurement, drug, procedure, imaging, visit or text), not demographics")
        if index_criterion.window is not None:
            raise DefinitionError(f"{index_criterion}: the index event has no window (it defines the index date)")
    criteria = len(raw.get("inclusion", [])) + len(raw.get("exclusion", []))
    codes = sum(len(c.get("codes", [])) for c in (*raw.get("inclusion", []), *raw.get("exclusion", []), (index or {}).get("event", {})) if isinstance(c, dict))
    if criteria > MAX_CRITERIA or codes > MAX_CODES:
        raise DefinitionError(f"a definition holds at most {MAX_CRITERIA} criteria and {MAX_CODES} codes in all (this one: {criteria} and {codes}); "
                              "use code prefixes (I26*) rather than lists")
    inclusion = tuple(_criterion(f"inclusion[{i}]", c) for i, c in enumerate(raw.get("inclusion", []), start=1))
    exclusion = tuple(_criterion(f"exclusion[{i}]", c) for i, c in enumerate(raw.get("exclusion", []), start=1))
    for criterion in inclusion + exclusion:
        if criterion.window is not None and index_criterion is None and not indexed:
            raise DefinitionError(f"{criterion}: a window needs an index event (add \"index\" to the definition)")
    as_of = dt.date.fromisoformat(raw["as_of"]) if raw.get("as_of") else (today or dt.date.today())
    return Definition(
        name=raw["name"], description=raw.get("description", ""), index=index_criterion,
        occurrence=(index or {}).get("occurrence", "first"), as_of=as_of,
        inclusion=inclusion, exclusion=exclusion, raw=raw,
    )


# -- structure (JSON Schema) ------------------------------------------------------------------------
def _check_structure(raw: object) -> None:
    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    error = errors[0]
    path = list(error.absolute_path)
    where, criterion = _criterion_at(raw, path)
    if criterion is not None:
        # the criterion against the schema of its own type: a precise message, not "oneOf failed"
        kind = criterion.get("type") if isinstance(criterion, dict) else None
        if kind not in schema()["$defs"]["criterion"]["properties"]["type"]["enum"]:
            raise DefinitionError(f"{where}: unknown criterion type {kind!r} (one of: {', '.join(schema()['$defs']['criterion']['properties']['type']['enum'])})")
        sub = Draft202012Validator({"$defs": schema()["$defs"], "$ref": f"#/$defs/{kind}"}, format_checker=FormatChecker())
        inner = sorted(sub.iter_errors(criterion), key=lambda e: len(e.absolute_path))
        if inner:
            raise DefinitionError(f"{where} ({kind}{_named(criterion)}): {_message(inner[0])}")
    raise DefinitionError(_message(error) if path else f"definition: {_message(error)}")


def _criterion_at(raw: object, path: list) -> tuple[str, dict | None]:
    if len(path) >= 2 and path[0] in ("inclusion", "exclusion") and isinstance(path[1], int):
        return f"{path[0]}[{path[1] + 1}]", raw[path[0]][path[1]]
    if len(path) >= 2 and path[:2] == ["index", "event"]:
        return "index", raw["index"]["event"]
    return "", None


def _named(criterion: dict) -> str:
    name = criterion.get("name")
    return f" {name!r}" if isinstance(name, str) and name else ""


def _message(error) -> str:
    where = _path(list(error.absolute_path))
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}" + (f" in {where}" if where else "")
    if error.validator == "required":
        return error.message.replace("is a required property", "is required") + (f" in {where}" if where else "")
    if error.validator == "anyOf" and error.validator_value and all("required" in x for x in error.validator_value):
        return "needs one of " + ", ".join(repr(x["required"][0]) for x in error.validator_value)
    return (f"{where}: " if where else "") + error.message


def _path(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# -- meaning -------------------------------------------------------------------------------------
def _criterion(where: str, spec: dict) -> Criterion:
    kind = spec["type"]
    label = spec.get("name") or _default_label(spec)
    window = None
    if "window" in spec:
        window = Window(spec["window"].get("from"), spec["window"].get("to"))
    criterion = Criterion(where, kind, label, spec, window, spec.get("at_least", 1))
    if window and window.start is not None and window.end is not None and window.start > window.end:
        raise DefinitionError(f"{criterion}: impossible window: from {window.start} is after to {window.end}")
    CHECKS[kind](criterion)
    return criterion


def _default_label(spec: dict) -> str:
    kind = spec["type"]
    if kind == "demographics":
        parts = []
        if "sex" in spec:
            parts.append(f"sex {spec['sex']}")
        age = spec.get("age", {})
        if "min" in age and "max" in age:
            parts.append(f"age {age['min']}-{age['max']}")
        elif age:
            parts.append(f"age ≥ {age['min']}" if "min" in age else f"age ≤ {age['max']}")
        return ", ".join(parts)
    if kind in ("condition", "drug", "procedure"):
        return f"{kind} {spec['vocabulary'] + ' ' if spec.get('vocabulary') else ''}{' '.join(spec['codes'])}"
    if kind == "measurement":
        signs = {"min": "≥", "above": ">", "max": "≤", "below": "<"}
        bounds = " ".join(f"{sign} {spec[k]}" for k, sign in signs.items() if k in spec)
        which = f"{spec['value_of']} " if bounds and spec.get("value_of") else ""  # the default (latest) unsaid, as the docs say
        return f"{which}measurement {spec['code']} {bounds} {spec.get('unit', '') if bounds else ''}".strip()
    if kind == "imaging":
        return "imaging " + " ".join(str(spec[k]) for k in ("modality", "body_part", "description") if k in spec)
    if kind == "visit":
        return f"{spec['kind']} visit"
    return f"text {spec['query']!r}"


def _check_demographics(c: Criterion) -> None:
    age = c.spec.get("age", {})
    if "min" in age and "max" in age and age["min"] > age["max"]:
        raise DefinitionError(f"{c}: impossible age range: min {age['min']} is above max {age['max']}")


def _check_codes(c: Criterion) -> None:
    for code in codes.parse(c.spec["codes"], c.type, c.spec.get("vocabulary")):
        vocabulary, written = code.vocabulary, code.code
        bare = code.bare.rstrip("*")
        if not bare or written.count("*") > 1 or ("*" in written and not written.endswith("*")):
            raise DefinitionError(f"{c}: {str(code)!r} is not a {_spelled(vocabulary)} code or prefix (a * may only end it)")
        shape = codes.pattern(vocabulary)
        if not written.endswith("*") and shape is not None and not shape.match(written.upper()):
            guess = codes.looks_like(written) if not code.named else None
            hint = f"; a {guess} code? write it {guess.split()[0]}:{written}, or give the criterion \"vocabulary\"" if guess else ""
            raise DefinitionError(f"{c}: {str(code)!r} is not a {_spelled(vocabulary)} code{hint}")
        known = KNOWN.get(vocabulary)
        if known is None:
            continue
        found = _has_prefix(known(), bare) if written.endswith("*") else bare in known()
        if not found:
            raise DefinitionError(f"{c}: unknown {_spelled(vocabulary)} code {str(code)!r}")


def _spelled(vocabulary: str) -> str:
    return {"CIM10": "CIM-10"}.get(vocabulary, vocabulary)


def _has_prefix(known: frozenset[str], prefix: str) -> bool:
    """Whether a known code starts with ``prefix``: a binary search in the sorted codes."""
    ordered = _sorted(known)
    at = bisect.bisect_left(ordered, prefix)
    return at < len(ordered) and ordered[at].startswith(prefix)


@lru_cache(maxsize=8)
def _sorted(known: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(known))


def _check_measurement(c: Criterion) -> None:
    spec = c.spec
    code = spec["code"]
    if not loinc_check_digit_ok(code):
        raise DefinitionError(f"{c}: {code!r} is not a LOINC code (its check digit is wrong)")
    for inclusive, strict in (("min", "above"), ("max", "below")):
        if inclusive in spec and strict in spec:
            raise DefinitionError(f"{c}: give {inclusive} (included) or {strict} (excluded), not both")
    low = next(((k, spec[k]) for k in ("min", "above") if k in spec), None)
    high = next(((k, spec[k]) for k in ("max", "below") if k in spec), None)
    if low and high and (low[1] > high[1] or (low[1] == high[1] and (low[0] == "above" or high[0] == "below"))):
        raise DefinitionError(f"{c}: impossible range: {low[0]} {low[1]} is {'above' if low[1] > high[1] else 'not below'} {high[0]} {high[1]}")
    bounded = any(k in spec for k in ("min", "max", "above", "below"))
    if value_of(spec) != "any" and bounded and c.at_least > 1:
        raise DefinitionError(f"{c}: at_least counts values (\"value_of\": \"any\"); {spec['value_of']} compares one value")
    if bounded and not spec.get("unit"):
        raise DefinitionError(f"{c}: a threshold needs its unit (\"unit\": ...)")
    quantity = units.LOINC.get(code)
    if spec.get("unit") and quantity and units.normalise(spec["unit"]) not in units.QUANTITIES[quantity]:
        raise DefinitionError(f"{c}: unit {spec['unit']!r} is not a unit of {quantity} ({code}): {', '.join(units.QUANTITIES[quantity])}")


def value_of(spec: dict) -> str:
    """Which value of a measurement criterion its bounds apply to: as written, else the latest
    (any value when ``at_least`` counts several, as before ``value_of`` existed)."""
    return spec.get("value_of") or ("any" if spec.get("at_least", 1) > 1 else "latest")


def _check_text(c: Criterion) -> None:
    try:
        parse(c.spec["query"])
    except QueryError as exc:
        raise DefinitionError(f"{c}: {exc}") from exc


def _check_nothing(c: Criterion) -> None:
    return None


CHECKS = {
    "demographics": _check_demographics, "condition": _check_codes, "measurement": _check_measurement,
    "drug": _check_codes, "procedure": _check_codes, "imaging": _check_nothing, "visit": _check_nothing, "text": _check_text,
}


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC's mod-10 check digit (LOINC Users' Guide, appendix: the Luhn algorithm over the
    code's digits). ``2093-3`` is right, ``2093-4`` is not."""
    body, _, check = code.partition("-")
    if not body.isdigit() or not check.isdigit():
        return False
    total = 0
    for position, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(check)


@lru_cache(maxsize=1)
def cim10_codes() -> frozenset[str]:
    """The CIM-10 codes EDS-NLP ships (ATIH's list, 42,886 codes, without dots)."""
    text = gzip.decompress(resources.files("edsnlp.resources").joinpath("cim10.csv.gz").read_bytes()).decode("utf-8")
    return frozenset(line.split(",", 1)[0] for line in text.splitlines()[1:] if line.strip())


@lru_cache(maxsize=1)
def atc_codes() -> frozenset[str]:
    """The ATC codes EDS-NLP's drug pipe knows (its drugs.json, from the ATC index)."""
    return frozenset(json.loads(resources.files("edsnlp.resources").joinpath("drugs.json").read_text("utf-8")))


# vocabularies whose every code clinsearch knows (a code outside is refused before the build)
KNOWN = {"CIM10": cim10_codes, "ATC": atc_codes}
