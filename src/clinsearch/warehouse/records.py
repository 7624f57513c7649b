"""What a reader hands to the loader: plain records, one per source record.

A reader yields, for every record it reads (a CSV line, a FHIR resource, a document ...),
exactly one of:

* ``Parsed``   -- the record maps to one or more warehouse rows;
* ``Rejected`` -- the record is bad; it goes to the quarantine with its reason;
* ``Skipped``  -- the record is valid but has no place in the warehouse (a FHIR Claim, say).

A file that cannot be read at all makes the reader raise ``UnreadableFile``. Readers do not
check that the patients they name exist: the loader does, for every format (``load``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Row:
    """One warehouse row. ``if_absent``: written only when no row of that key exists yet (a
    person a notes source creates, ``"create_persons": true``, never overwrites a real one)."""

    table: str
    values: dict[str, Any]
    if_absent: bool = False


@dataclass(frozen=True)
class Parsed:
    position: str  # "line 12", "entry 3 (Condition/abc)", "series 1.2.3"
    rows: list[Row]


@dataclass(frozen=True)
class Rejected:
    position: str
    reason: str
    raw: str = ""


@dataclass(frozen=True)
class Skipped:
    position: str
    reason: str  # short and groupable: "unmapped resource type Claim"


Record = Union[Parsed, Rejected, Skipped]


@dataclass
class UnreadableFile(Exception):
    """The whole file is unusable (truncated, wrong format, missing column ...)."""

    path: str
    reason: str
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reason = self.reason.replace("\x00", "\\x00")  # a NUL read from the file, shown, not sent on

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
