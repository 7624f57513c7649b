"""``clinsearch quarantine``: the records a load could not take, listed, explained and cleared
by whoever runs the command on this machine (as an administrator: they may hold identified data)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from clinsearch.cli.console import echo_json, fail, out


@click.group("quarantine")
def quarantine_group() -> None:
    """Records that could not be loaded: list, show one, clear a source (docs/data-engineering.md)."""


@quarantine_group.command("list")
@click.argument("source", required=False)
@click.option("--limit", default=100, show_default=True, help="Entries listed at most.")
@click.option("--json", "as_json", is_flag=True, help='Print {"sources": [...], "entries": [...]}.')
@click.pass_obj
def quarantine_list_command(data: Path, source: str | None, limit: int, as_json: bool) -> None:
    """Sources with quarantined records and why; with SOURCE, the entries of that source."""
    from clinsearch.services import quarantine
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import AccessDenied

    try:
        result = quarantine.listing(command_line(data, "admin"), source, limit)
    except AccessDenied as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    if not result["sources"]:
        out.print("the quarantine is empty")
        return
    table = Table(title="quarantine, per source")
    for column in ("source", "format", "status", "records", "most frequent reason", "first entry"):
        table.add_column(column, overflow="fold")
    for s in result["sources"]:
        table.add_row(escape(s["source_file"]), s["format"] or "", s["status"] or "", f"{s['records']:,}", escape(s["top_reason"]), str(s["first_id"]))
    out.print(table)
    if source:
        entries = Table(title=f"entries of {source}")
        for column in ("id", "record", "reason"):
            entries.add_column(column, overflow="fold")
        for e in result["entries"]:
            entries.add_row(str(e["quarantine_id"]), escape(e["source_record"] or ""), escape(e["reason"] or ""))
        out.print(entries)
    out.print("'clinsearch quarantine show ID' shows one record as read; fix the source (or load the missing patients) and "
              "ingest it again, or 'clinsearch quarantine clear SOURCE' to drop its entries for good")


@quarantine_group.command("show")
@click.argument("quarantine_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the entry as one JSON object.")
@click.pass_obj
def quarantine_show_command(data: Path, quarantine_id: int, as_json: bool) -> None:
    """One quarantined record: where it was, why, and what was read."""
    from clinsearch.services import quarantine
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import AccessDenied, NotFound

    try:
        found = quarantine.entry(command_line(data, "admin"), quarantine_id)
    except (AccessDenied, NotFound) as exc:
        fail(str(exc))
    if as_json:
        echo_json(found)
        return
    for key in ("quarantine_id", "source_file", "source_record", "format", "status", "reason", "quarantined_at", "raw"):
        out.print(f"[bold]{key}[/bold]: {escape(str(found.get(key) if found.get(key) is not None else ''))}", soft_wrap=True)


@quarantine_group.command("clear")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help='Print {"source": ..., "cleared": N}.')
@click.pass_obj
def quarantine_clear_command(data: Path, source: str, as_json: bool) -> None:
    """Drop the entries of SOURCE (its path, or its file name when only one source has it): the
    records stay out of the warehouse and the unchanged file is not read again."""
    from clinsearch.services import quarantine
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import AccessDenied, NotFound

    try:
        result = quarantine.clear(command_line(data, "admin"), source)
    except (AccessDenied, NotFound) as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    out.print(f"{result['cleared']:,} quarantine entr{'y' if result['cleared'] == 1 else 'ies'} of {escape(result['source'])} cleared")
