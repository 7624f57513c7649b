"""What administrators do: users and the audit log (never patient data)."""

from __future__ import annotations

from clinsearch.security.audit import AuditLog, Verification
from clinsearch.security.users import Principal, Users
from clinsearch.services.access import Request, require_admin


def audit_entries(request: Request, limit: int = 100, offset: int = 0) -> list[dict]:
    require_admin(request)
    log = AuditLog(request.data)
    try:
        return log.entries(limit, offset)
    finally:
        log.close()


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
        return found.add(username, password, role, list(departments), list(patients))
    finally:
        found.close()


def audit_page(request: Request, limit: int = 200) -> dict:
    """What the audit page shows: the verification, the latest entries, the users."""
    return {"verification": verify_audit(request), "entries": audit_entries(request, limit), "users": users(request)}
