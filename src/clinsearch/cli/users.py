"""``clinsearch user`` and ``clinsearch audit``: the local users and the audit log, managed by
whoever runs the command on this machine (as an administrator)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from clinsearch.cli.console import echo_json, err, fail, out


@click.group("user")
def user_group() -> None:
    """Local users of the web application and API (roles: clinician, researcher, admin)."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["clinician", "researcher", "admin"]), help="What the user may see.")
@click.option("--department", "departments", multiple=True, help="Clinician restricted to this department (repeatable).")
@click.option("--patient", "patients", multiple=True, type=int, help="Clinician restricted to this patient (repeatable).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters [prompted when not given].")
@click.pass_obj
def user_add_command(data: Path, username: str, role: str, departments: tuple[str, ...], patients: tuple[int, ...], password: str) -> None:
    """Create a user; the password is stored as an argon2id hash."""
    from clinsearch.services import admin
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import UserError

    try:
        admin.add_user(command_line(data, "admin"), username, password, role, list(departments), list(patients))
    except UserError as exc:
        fail(str(exc), code=2)
    out.print(f"user {username} added ({role}" + (f"; departments {', '.join(departments)}" if departments else "")
              + (f"; patients {', '.join(map(str, patients))}" if patients else "") + ")")


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the users as one JSON object.")
@click.pass_obj
def user_list_command(data: Path, as_json: bool) -> None:
    """The users, their roles and restrictions (never their passwords)."""
    from clinsearch.services import admin
    from clinsearch.services.access import command_line

    rows = admin.users(command_line(data, "admin"))
    if as_json:
        echo_json({"users": rows})
        return
    table = Table(title="users")
    for column in ("username", "role", "departments", "patients", "created_at"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["username"], r["role"], ", ".join(r["departments"]), ", ".join(map(str, r["patients"])), r["created_at"][:19])
    out.print(table)


def _change(data: Path, username: str, change: str, password: str | None = None) -> None:
    from clinsearch.services import admin
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import UserError

    try:
        result = admin.change_user(command_line(data, "admin"), username, change, password)
    except UserError as exc:
        fail(str(exc), code=2)
    out.print(f"user {username}: {change}" + (f", {result['sessions_ended']} session(s) ended" if result["sessions_ended"] else ""))


@user_group.command("disable")
@click.argument("username")
@click.pass_obj
def user_disable_command(data: Path, username: str) -> None:
    """Disable an account: no login, its open sessions end (its audit entries stay)."""
    _change(data, username, "disable")


@user_group.command("enable")
@click.argument("username")
@click.pass_obj
def user_enable_command(data: Path, username: str) -> None:
    """Enable a disabled account again."""
    _change(data, username, "enable")


@user_group.command("passwd")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters [prompted when not given].")
@click.pass_obj
def user_passwd_command(data: Path, username: str, password: str) -> None:
    """Set a new password; the account's open sessions end."""
    _change(data, username, "passwd", password)


@user_group.command("remove")
@click.argument("username")
@click.pass_obj
def user_remove_command(data: Path, username: str) -> None:
    """Remove an account and end its sessions (its audit entries stay)."""
    _change(data, username, "remove")


@user_group.command("sessions")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="End every open session of the account.")
@click.pass_obj
def user_sessions_command(data: Path, username: str, revoke: bool) -> None:
    """How many sessions the account has open; --revoke ends them all."""
    if revoke:
        _change(data, username, "revoke")
        return
    from clinsearch.services import admin
    from clinsearch.services.access import command_line

    out.print(f"user {username}: {admin.open_sessions(command_line(data, 'admin'), username)} open session(s)")


@click.group("audit")
def audit_group() -> None:
    """The audit log of every access to patient data."""


@audit_group.command("verify")
@click.pass_obj
def audit_verify_command(data: Path) -> None:
    """Check the hash chain: exit 1 and say where when an entry was edited or deleted."""
    from clinsearch.services import admin
    from clinsearch.services.access import command_line

    result = admin.verify_audit(command_line(data, "admin"))
    if result.ok:
        out.print(f"audit log intact: {result.entries:,} entries"
                  + ("" if result.anchored else " (not anchored outside the data directory: set CLINSEARCH_AUDIT_ANCHOR, docs/security.md)"))
        return
    for problem in result.problems:
        err.print(f"[red]error:[/red] audit log: {problem}", soft_wrap=True)
    sys.exit(1)
