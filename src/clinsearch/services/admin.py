"""What administrators do: users and the audit log (never patient data)."""

from __future__ import annotations

import csv
import io

from clinsearch.security.audit import AuditLog, Filter, Verification, like_escape
from clinsearch.security.sessions import Sessions
from clinsearch.security.users import Principal, Users
from clinsearch.nlp.pseudonymize import pseudonymize
from clinsearch.services.access import Request, audit, person_of_pseudonym, pseudonym, require_admin
from clinsearch.services.errors import QueryError


# Actions whose target (or its last word) is a person id: the admin sees the patient's pseudonym.
PERSON_TARGETS = ("patient", "summary", "score", "scores")


CSV_COLUMNS = ("id", "at", "username", "role", "action", "target", "purpose", "details", "live_counts", "hash")
CSV_MAX = 100_000  # entries in one export


def audit_entries(request: Request, limit: int = 100, offset: int = 0, *, user: str | None = None, patient: str | None = None,
                  action: str | None = None, since: str | None = None, until: str | None = None) -> list[dict]:
    """The latest entries that the filters keep, as an administrator may read them: who did what
    and why, the patients named by pseudonym and free text (queries, cohort names) pseudonymised
    -- an admin reads no patient data, the audit log included. ``patient``: a pseudonym as the
    page shows it; ``since``/``until``: days (YYYY-MM-DD), included. ``live_counts``: the later
    live counts folded into an entry (one per editing session of the cohort form)."""
    return audit_search(request, limit, offset, user=user, patient=patient, action=action, since=since, until=until)["entries"]


def audit_search(request: Request, limit: int = 100, offset: int = 0, **filters) -> dict:
    """``audit_entries`` with the number of entries the filters keep (``total``): the page's paging."""
    require_admin(request)
    where = audit_filter(request, **filters)
    log = AuditLog(request.data)
    try:
        entries, total = log.entries(limit, offset, where), log.count(where)
        folded = log.folded([e["id"] for e in entries])
    finally:
        log.close()
    shown = [{**e, "target": _target(request, e["action"], e["target"]), "details": pseudonymize(e["details"]).text,
              "live_counts": folded.get(e["id"], 0)} for e in entries]
    return {"entries": shown, "total": total, "limit": limit, "offset": offset}


def audit_filter(request: Request, user: str | None = None, patient: str | None = None, action: str | None = None,
                 since: str | None = None, until: str | None = None) -> Filter:
    """The filters as the log reads them. A patient (by pseudonym) becomes the targets that name
    them: ``patient ID`` (refusals), ``ID`` or ``... ID`` (record, scores), the pseudonym itself
    (a researcher's request). Raises ``QueryError`` for a day that is not YYYY-MM-DD."""
    for name, day in (("since", since), ("until", until)):
        if day and not _is_day(day):
            raise QueryError(f"{name}: {day[:20]!r} is not a day (YYYY-MM-DD)")
    subjects = None
    if patient and patient.strip():
        subjects = _patient_subjects(request, patient.strip()[:40])
    return Filter(user=(user or "").strip()[:64] or None, action=(action or "").strip()[:64] or None, since=since or None, until=until or None,
                  subjects=subjects)


def _patient_subjects(request: Request, alias: str) -> tuple[tuple[str, str], ...]:
    person_id = person_of_pseudonym(request.data, alias)
    named = (("patient", like_escape(alias)), ("refused", "patient " + like_escape(alias)))
    if person_id is None:
        return named
    pid = str(person_id)
    return (*named, *((a, pid) for a in PERSON_TARGETS), *((a, "% " + pid) for a in PERSON_TARGETS), ("refused", "patient " + pid))


def _is_day(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def audit_csv(request: Request, **filters) -> bytes:
    """The entries the filters keep as CSV (UTF-8 with a BOM, for spreadsheets), newest first;
    a cell starting with = + - @ (or a tab or carriage return) gets a leading quote so that a
    spreadsheet does not run it as a formula. The export is itself audited."""
    found = audit_search(request, CSV_MAX, 0, **filters)
    audit(request, "audit-export", "audit log", {k: v for k, v in filters.items() if v})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in found["entries"]:
        writer.writerow([_cell(entry[c]) for c in CSV_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _target(request: Request, action: str, target: str) -> str:
    words = target.split()
    if action in PERSON_TARGETS and words and words[-1].isdigit():
        return " ".join([*words[:-1], pseudonym(request.data, int(words[-1]))])
    if action == "refused" and target.startswith("patient ") and target[8:].isdigit():
        return "patient " + pseudonym(request.data, int(target[8:]))
    return pseudonymize(target).text


def verify_audit(request: Request) -> Verification:
    """The hash chain walked: where an entry was edited or deleted."""
    require_admin(request)
    log = AuditLog(request.data)
    try:
        return log.verify()
    finally:
        log.close()


def users(request: Request) -> list[dict]:
    """The users, their roles and restrictions (never their passwords)."""
    require_admin(request, "the users")
    found = Users(request.data)
    try:
        return found.list()
    finally:
        found.close()


def add_user(request: Request, username: str, password: str, role: str, departments: list[str] = (), patients: list[int] = ()) -> Principal:
    """Create a user (argon2id hash of the password). Raises ``UserError`` for a bad name,
    password or role."""
    require_admin(request, "the users")
    found = Users(request.data)
    try:
        added = found.add(username, password, role, list(departments), list(patients))
    finally:
        found.close()
    audit(request, "user-add", username, {"role": role, "departments": list(departments), "patients": list(patients)})
    return added


def change_user(request: Request, username: str, change: str, password: str | None = None) -> dict:
    """``change``: ``disable`` or ``remove`` (and every session of the account ends), ``enable``,
    ``passwd`` (a new password; the account's sessions end), ``revoke`` (only end its sessions).
    Written to the audit log. Returns ``{"user", "change", "sessions_ended"}``."""
    require_admin(request, "the users")
    users, sessions = Users(request.data), Sessions(request.data)
    try:
        if change == "disable":
            users.set_disabled(username, True)
        elif change == "enable":
            users.set_disabled(username, False)
        elif change == "passwd":
            users.set_password(username, password or "")
        elif change == "remove":
            users.remove(username)
        elif change != "revoke":
            raise ValueError(f"unknown change {change!r}")
        ended = sessions.close_all(username) if change != "enable" else 0
    finally:
        users.close()
        sessions.close()
    audit(request, f"user-{change}", username, {"sessions_ended": ended})
    return {"user": username, "change": change, "sessions_ended": ended}


def open_sessions(request: Request, username: str) -> int:
    require_admin(request, "the users")
    sessions = Sessions(request.data)
    try:
        return sessions.count(username)
    finally:
        sessions.close()


def audit_page(request: Request, limit: int = 50, offset: int = 0, **filters) -> dict:
    """What the audit page shows: the verification, the entries the filters keep (a page of
    them), the users, and the actions one may filter on."""
    found = audit_search(request, limit, offset, **filters)
    return {"verification": verify_audit(request), **found, "users": users(request), "filters": filters, "actions": ACTIONS}


# The actions written to the log (the page's filter menu).
ACTIONS = ("search", "patient", "summary", "note", "cohort", "cohort-count", "cohort-export", "cohort-save", "score", "scores", "score-cohort",
           "score-export", "evaluate", "evaluate-cohort", "refused", "user-add", "user-disable", "user-enable", "user-passwd", "user-remove",
           "user-revoke", "quarantine-list", "quarantine-show", "quarantine-clear", "audit-export")
