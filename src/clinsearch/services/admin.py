"""What administrators do: users and the audit log (never patient data)."""

from __future__ import annotations

from clinsearch.security.audit import AuditLog, Verification
from clinsearch.security.sessions import Sessions
from clinsearch.security.users import Principal, Users
from clinsearch.nlp.pseudonymize import pseudonymize
from clinsearch.services.access import Request, audit, pseudonym, require_admin


# Actions whose target (or its last word) is a person id: the admin sees the patient's pseudonym.
PERSON_TARGETS = ("patient", "score", "scores")


def audit_entries(request: Request, limit: int = 100, offset: int = 0) -> list[dict]:
    """The latest entries, as an administrator may read them: who did what and why, the patients
    named by pseudonym and free text (queries, cohort names) pseudonymised -- an admin reads no
    patient data, the audit log included."""
    require_admin(request)
    log = AuditLog(request.data)
    try:
        entries = log.entries(limit, offset)
    finally:
        log.close()
    return [{**e, "target": _target(request, e["action"], e["target"]), "details": pseudonymize(e["details"]).text} for e in entries]


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


def audit_page(request: Request, limit: int = 200) -> dict:
    """What the audit page shows: the verification, the latest entries, the users."""
    return {"verification": verify_audit(request), "entries": audit_entries(request, limit), "users": users(request)}
