"""Who may see what: the access core every service calls before it reads patient data.

Rules, enforced here and nowhere else:

* ``clinician``: identified data, restricted to the departments and/or patients of the account
  when it has any (a search only looks in those; a patient outside them is refused);
* ``researcher``: pseudonymised data only -- patients by pseudonym (``P-`` and 10 hex digits of
  an HMAC of the person id with the warehouse's secret), text with identifiers replaced and dates
  shifted by the patient's secret offset, no name or birth date, and counts under the threshold
  suppressed with every count that would let them be recomputed (``disclosure``);
* ``admin``: no patient data at all (users and audit log only).

Every call that touches patient data is written to the audit log first (who, role, what, why):
an access that cannot be audited does not happen. The command line is a principal too
(``command_line``): the operating-system user, as a clinician (or a researcher with
``--pseudonymised``), audited like any other.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass
from pathlib import Path

from clinsearch.config import query_budget, secret_key
from clinsearch.nlp.pseudonymize import person_pseudonym
from clinsearch.security.audit import AuditLog
from clinsearch.security.users import Principal
from clinsearch.services.disclosure import shown
from clinsearch.warehouse.store import open_store


class AccessDenied(Exception):
    """The principal may not see this (the message says why, without revealing data)."""


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Request:
    """One call of a service: the warehouse, who asks, and why (the purpose given at login)."""

    data: Path
    principal: Principal
    purpose: str = ""


def command_line(data: Path, role: str = "clinician") -> Request:
    """The request of a command typed on this machine: the operating-system user, audited."""
    return Request(Path(data), Principal(f"{getpass.getuser()} (command line)", role), "command line")


def audit(request: Request, action: str, target: str, details: dict | None = None) -> None:
    log = AuditLog(request.data)
    try:
        log.append(request.principal.username, request.principal.role, action, target, request.purpose, details)
    finally:
        log.close()


def refuse(request: Request, target: str, reason: str) -> AccessDenied:
    """A refusal, written to the audit log (the DPO sees attempts too) and returned to raise."""
    audit(request, "refused", target, {"reason": reason})
    return AccessDenied(reason)


COUNTING = ("search", "cohort", "cohort-count", "evaluate-cohort")  # the actions that return counts


def spend_query(request: Request, target: str) -> None:
    """A researcher's counting request, within their hourly budget (``config.query_budget``), as
    i2b2 limits repeated near-identical queries: beyond it, refused (and audited) for the hour."""
    if request.principal.role != "researcher":
        return
    log = AuditLog(request.data)
    try:
        used = log.count_since(request.principal.username, COUNTING, dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    finally:
        log.close()
    if used >= query_budget():
        raise refuse(request, target, f"{query_budget()} counting requests in the last hour: the researcher's budget is spent, try again later")


def require_patient_data(request: Request, target: str = "") -> None:
    if request.principal.role not in ("clinician", "researcher"):
        raise refuse(request, target, f"the {request.principal.role} role has no access to patient data")


def require_identified(request: Request, why: str, target: str = "") -> None:
    require_patient_data(request, target)
    if not request.principal.identified:
        raise refuse(request, target, f"{why}: clinicians only")


def require_admin(request: Request, what: str = "the audit log") -> None:
    if request.principal.role != "admin":
        raise refuse(request, what, f"only administrators read {what}")


def scope(request: Request) -> dict:
    """The restriction of a clinician's account as keyword arguments of the lower layers
    (``persons``, ``departments``; None: unrestricted)."""
    return {"persons": request.principal.patients or None, "departments": request.principal.departments or None}


# -- pseudonyms and small counts --------------------------------------------------------------
def pseudonym(data: Path, person_id: int) -> str:
    return person_pseudonym(person_id, secret_key(data))


def person_of_pseudonym(data: Path, value: str) -> int | None:
    with open_store(data, read_only=True) as store:
        for (person_id,) in store.query("SELECT person_id FROM person"):
            if pseudonym(data, person_id) == value:
                return person_id
    return None


def blur(count: int | None) -> int | str | None:
    """A count as a researcher sees it (``disclosure.shown``)."""
    return shown(count)


def shown_count(request: Request, count: int | None) -> int | str | None:
    """A count as this principal may see it."""
    return count if request.principal.identified else blur(count)


# -- one patient ------------------------------------------------------------------------------
def resolve_patient(request: Request, key: str) -> int:
    """The person id a request names: a person id for clinicians, a pseudonym for researchers."""
    require_patient_data(request)
    if request.principal.identified:
        if not (str(key).isascii() and str(key).isdigit() and len(str(key)) <= 18):  # a person id is a BIGINT
            raise NotFound(f"no patient {str(key)[:40]}")
        return int(key)
    person_id = person_of_pseudonym(request.data, str(key))
    if person_id is None:
        raise NotFound(f"no patient {key} (researchers name patients by pseudonym)")
    return person_id


def check_patient(request: Request, store, person_id: int) -> None:
    """Refuse a patient outside a restricted clinician's departments and patients. A restricted
    clinician gets the same answer for a patient who does not exist and one outside their
    perimeter, so that the answer does not tell which person ids exist."""
    principal = request.principal
    exists = bool(store.query("SELECT 1 FROM person WHERE person_id = ?", [person_id]))
    if principal.role != "clinician" or not principal.restricted:
        if not exists:
            raise NotFound(f"no patient {person_id}")
        return
    if exists and person_id in principal.patients:
        return
    if exists and principal.departments and store.query(
        "SELECT 1 FROM note n JOIN care_site c USING (care_site_id) WHERE n.person_id = ? AND c.care_site_name IN (SELECT unnest(?)) LIMIT 1",
        [person_id, list(principal.departments)],
    ):
        return
    raise refuse(request, f"patient {person_id}", f"patient {person_id} is outside the departments and patients of {principal.username}")


def note_departments(request: Request, person_id: int) -> tuple[str, ...] | None:
    """The departments whose notes of this patient the principal may read; None: all of them.

    The rule is per note: a clinician restricted to departments sees the structured record of
    every patient who has a note in them, but reads only the notes written in them (their text,
    title and NLP, in the patient page, the note page, search and text criteria alike). Patients
    given to the account by name are seen whole."""
    principal = request.principal
    if principal.role != "clinician" or not principal.departments or person_id in principal.patients:
        return None
    return tuple(principal.departments)


def note_scope(request: Request) -> dict:
    """``note_departments`` for many patients at once, as keyword arguments of the lower layers
    (``departments``: None when every note may be read; ``whole``: the patients seen whole)."""
    principal = request.principal
    if principal.role != "clinician" or not principal.departments:
        return {"departments": None, "whole": ()}
    return {"departments": tuple(principal.departments), "whole": tuple(principal.patients)}


def check_note(request: Request, person_id: int, department: str | None, note_id: int) -> None:
    """Refuse a note outside the departments the principal may read for this patient, with the
    answer given for a note that does not exist (and the refusal audited)."""
    allowed = note_departments(request, person_id)
    if allowed is not None and department not in allowed:
        audit(request, "refused", f"note {note_id}", {"reason": f"note {note_id} was written outside the departments of {request.principal.username}"})
        raise NotFound(f"no note {note_id}")


def identities(store, person_ids: set[int]) -> dict[int, dict]:
    """What identifies each patient (IPP, names, address, phone, e-mail): what the pseudonymiser removes."""
    if not person_ids:
        return {}
    rows = store.query_dicts(
        "SELECT p.person_id, p.person_source_value AS ipp, i.family_name, i.given_name, i.address, i.city, i.phone, i.email "
        "FROM person p LEFT JOIN person_identity i USING (person_id) WHERE p.person_id IN (SELECT unnest(?))",
        [sorted(person_ids)],
    )
    return {row["person_id"]: row for row in rows}
