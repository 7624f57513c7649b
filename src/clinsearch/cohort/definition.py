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
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from clinsearch import units
from clinsearch.search.query import QueryError, parse

EVENT_TYPES = ("condition", "measurement", "drug", "procedure", "imaging", "visit", "text")
CIM10 = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$")
ATC = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")
CCAM = re.compile(r"^[A-Z]{1,4}([0-9]{1,3})?$")


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
        return f"{kind} {' '.join(spec['codes'])}"
    if kind == "measurement":
        bounds = " ".join(x for x in (f"≥ {spec['min']}" if "min" in spec else "", f"≤ {spec['max']}" if "max" in spec else "") if x)
        return f"measurement {spec['code']} {bounds} {spec.get('unit', '')}".strip()
    if kind == "imaging":
        return "imaging " + " ".join(str(spec[k]) for k in ("modality", "body_part", "description") if k in spec)
    if kind == "visit":
        return f"{spec['kind']} visit"
    return f"text {spec['query']!r}"


def _check_demographics(c: Criterion) -> None:
    age = c.spec.get("age", {})
    if "min" in age and "max" in age and age["min"] > age["max"]:
        raise DefinitionError(f"{c}: impossible age range: min {age['min']} is above max {age['max']}")


def _check_codes(c: Criterion, pattern: re.Pattern, known: frozenset[str], vocabulary: str) -> None:
    for code in c.spec["codes"]:
        bare = code.upper().rstrip("*").replace(".", "")
        if not bare or code.count("*") > 1 or ("*" in code and not code.endswith("*")):
            raise DefinitionError(f"{c}: {code!r} is not a {vocabulary} code or prefix (a * may only end it)")
        if not code.endswith("*") and not pattern.match(code.upper()):
            raise DefinitionError(f"{c}: {code!r} is not a {vocabulary} code")
        if not known:
            continue
        found = _has_prefix(known, bare) if code.endswith("*") else bare in known
        if not found:
            raise DefinitionError(f"{c}: unknown {vocabulary} code {code!r}")


def _has_prefix(known: frozenset[str], prefix: str) -> bool:
    """Whether a known code starts with ``prefix``: a binary search in the sorted codes."""
    ordered = _sorted(known)
    at = bisect.bisect_left(ordered, prefix)
    return at < len(ordered) and ordered[at].startswith(prefix)


@lru_cache(maxsize=8)
def _sorted(known: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(known))


def _check_condition(c: Criterion) -> None:
    _check_codes(c, CIM10, cim10_codes(), "CIM-10")


def _check_drug(c: Criterion) -> None:
    _check_codes(c, ATC, atc_codes(), "ATC")


def _check_procedure(c: Criterion) -> None:
    _check_codes(c, CCAM, frozenset(), "CCAM")


def _check_measurement(c: Criterion) -> None:
    spec = c.spec
    code = spec["code"]
    if not loinc_check_digit_ok(code):
        raise DefinitionError(f"{c}: {code!r} is not a LOINC code (its check digit is wrong)")
    if "min" in spec and "max" in spec and spec["min"] > spec["max"]:
        raise DefinitionError(f"{c}: impossible range: min {spec['min']} is above max {spec['max']}")
    if ("min" in spec or "max" in spec) and not spec.get("unit"):
        raise DefinitionError(f"{c}: a threshold needs its unit (\"unit\": ...)")
    quantity = units.LOINC.get(code)
    if spec.get("unit") and quantity and units.normalise(spec["unit"]) not in units.QUANTITIES[quantity]:
        raise DefinitionError(f"{c}: unit {spec['unit']!r} is not a unit of {quantity} ({code}): {', '.join(units.QUANTITIES[quantity])}")


def _check_text(c: Criterion) -> None:
    try:
        parse(c.spec["query"])
    except QueryError as exc:
        raise DefinitionError(f"{c}: {exc}") from exc


def _check_nothing(c: Criterion) -> None:
    return None


CHECKS = {
    "demographics": _check_demographics, "condition": _check_condition, "measurement": _check_measurement,
    "drug": _check_drug, "procedure": _check_procedure, "imaging": _check_nothing, "visit": _check_nothing, "text": _check_text,
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
