"""What a score computation returns: the value and the trail that justifies it.

A score is never computed on a guess. Its ``status`` says which of five answers it is:

* ``computed``: a value from inputs that are all present and recent enough;
* ``stale``: a value, but some input is older than allowed (listed in ``stale``);
* ``missing``: no value, an input cannot be found (listed in ``missing``);
* ``not_applicable``: no value, the score is not meant for this patient (CHA2DS2-VASc without
  atrial fibrillation; listed in ``refusals``);
* ``out_of_domain``: no value, the patient is outside the population the model was validated in
  (Framingham at 80; listed in ``refusals``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


COMPUTED, STALE, MISSING, NOT_APPLICABLE, OUT_OF_DOMAIN = "computed", "stale", "missing", "not_applicable", "out_of_domain"
STATUSES = (COMPUTED, STALE, MISSING, NOT_APPLICABLE, OUT_OF_DOMAIN)


@dataclass
class Input:
    name: str
    value: float | int | str
    unit: str | None = None
    date: dt.date | None = None
    source: str = "given"  # "given", or the warehouse row / note it was read from

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "unit": self.unit, "date": self.date.isoformat() if self.date else None, "source": self.source}


@dataclass
class ScoreResult:
    score: str  # the score asked for
    model: str  # the model that computed it (score2 switches to SCORE2-OP from 70)
    value: float | None
    unit: str
    category: str | None
    inputs: list[Input]
    missing: list[dict]  # {"name", "reason"}
    reference: str
    version: str
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    person_id: int | None = None
    refusals: list[dict] = field(default_factory=list)  # {"name", "reason", "status": not_applicable | out_of_domain}

    @property
    def computed(self) -> bool:
        return self.value is not None

    @property
    def status(self) -> str:
        if self.refusals:
            return self.refusals[0]["status"]
        if self.missing:
            return MISSING
        return STALE if self.stale else COMPUTED

    @property
    def reasons(self) -> list[dict]:
        """Why no value: the refusals first, then the missing inputs."""
        return [{"name": r["name"], "reason": r["reason"]} for r in self.refusals] + self.missing

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "status": self.status,
            "model": self.model,
            "value": None if self.value is None else round(self.value, 2),
            "unit": self.unit,
            "category": self.category,
            "inputs": [i.as_dict() for i in self.inputs],
            "missing": self.missing,
            "refusals": self.refusals,
            "stale": self.stale,
            "notes": self.notes,
            "reference": self.reference,
            "version": self.version,
            "person_id": self.person_id,
        }


class ScoreInputError(ValueError):
    """An input given by hand that cannot be used (unknown name, not a number, out of range)."""
