"""``clinsearch cohort``: build, describe, save and export cohorts (audited)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from clinsearch.cli.console import echo_json, fail, out


@click.command("cohort")
@click.argument("definition", required=False)
@click.option("--compare", "compare", metavar="DEFINITION", help="A second cohort to describe side by side (file or saved name).")
@click.option("--export", "export_path", type=click.Path(path_type=Path), help="Write the cohort: FILE.csv or FILE.parquet (one row per patient), or a folder (OMOP tables as Parquet).")
@click.option("--pseudonymised", is_flag=True, help="As a researcher sees it: pseudonyms, shifted dates, counts under 10 blurred.")
@click.option("--save", is_flag=True, help="Save the definition under its name (re-run it later by that name); a new version when it is yours.")
@click.option("--share", is_flag=True, help="With --save: let every user read and run it (default: private to you).")
@click.option("--list", "list_saved", is_flag=True, help="List the saved cohorts.")
@click.option("--draft", "draft_text", metavar="TEXT", help="Draft a definition from inclusion and exclusion criteria written in words (or @FILE to read them); prints it criterion by criterion, without running it.")
@click.option("--lang", "lang", type=click.Choice(["fr", "en"]), help="With --draft: the language of the explanations (default: the text's).")
@click.option("--json", "as_json", is_flag=True, help='Print {"name", "size", "attrition": [...], "table_one": {...}, "patients": [...], ...}.')
@click.pass_obj
def cohort_command(data: Path, definition: str | None, compare: str | None, export_path: Path | None, pseudonymised: bool,
                   save: bool, share: bool, list_saved: bool, draft_text: str | None, lang: str | None, as_json: bool) -> None:
    """Build a cohort from inclusion and exclusion criteria on text and coded data.

    \b
    DEFINITION is a JSON file (schema: docs/cohorts.md) or the name of a saved
    cohort; --draft "TEXT" (or --draft @FILE) drafts one from criteria written
    in words, to correct before running (docs/cohorts.md). Criteria:
    demographics, condition (CIM-10, I21*; SNOMED:44054006), measurement
    (LOINC, the latest value's bounds and unit), drug (ATC; RxNorm:860975),
    procedure (CCAM), imaging, visit, and text (any search query,
    negation-aware), each with a window in days around the index event and
    an occurrence count. Prints the attrition table and Table 1.
    Every export is written to the audit log.
    """
    from clinsearch.services import cohorts
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import AccessDenied, DefinitionError, NotFound, OutputError, SearchError, WarehouseError

    request = command_line(data, "researcher" if pseudonymised else "clinician")
    if draft_text is not None:
        return _draft(request, draft_text, lang, as_json)
    if list_saved:
        saved = cohorts.saved_cohorts(request)
        if as_json:
            echo_json({"cohorts": saved})
        for item in saved if not as_json else []:
            out.print(f"{item['id']:>4}  {item['name']}  [dim]{item['author']}, {item['updated_at']}[/dim]")
        return
    if definition is None:
        raise click.UsageError("give a DEFINITION (a JSON file or a saved cohort's name), or --list")
    try:
        raw = cohorts.definition_of(request, definition)
        second = cohorts.definition_of(request, compare) if compare else None
        if save:
            cohorts.save_cohort(request, raw, shared=True if share else None)
        result = cohorts.cohort(request, raw, compare=second, export_to=export_path)
    except DefinitionError as exc:
        fail(str(exc), code=2)
    except (OutputError, WarehouseError, NotFound, SearchError, AccessDenied) as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    show(result)


def show(result: dict) -> None:
    out.print(f"[bold]{escape(result['name'])}[/bold]: {result['size']} patients ({result['seconds']:.2f} s)")
    index = result.get("index_dates")
    if index:
        out.print(f"index date: {index['as_of']} (no index event)" + (f"; {index['at_death']} deceased patient(s) at their date of death" if index["at_death"] else "")
                  + (f", {index['at_last_record']} dead at an unknown date at their last record" if index["at_last_record"] else ""))
    table = Table(title="attrition")
    for column in ("step", "criterion", "remaining", "removed"):
        table.add_column(column, overflow="fold")
    for step in result["attrition"]:
        table.add_row(step["where"], escape(step["label"]), str(step["remaining"]), str(step["removed"]))
    out.print(table)
    one = result.get("table_one")
    if one:
        table = Table(title="Table 1")
        table.add_column("")
        for name in one["columns"]:
            table.add_column(escape(name), overflow="fold")
        section = None
        for row in one["rows"]:
            if row["section"] != section:
                section = row["section"]
                table.add_row(f"[bold]{escape(section)}[/bold]", *[""] * len(one["columns"]))
            table.add_row("  " + escape(row["label"]), *row["values"])
        out.print(table)
    for warning in result.get("warnings", []):
        out.print(f"[yellow]warning[/yellow] {escape(warning)}")
    if result.get("export"):
        e = result["export"]
        out.print(f"exported {e['patients']} patients to {escape(e['path'])} ({e['form']}{', pseudonymised' if e['pseudonymised'] else ''})")


def _draft(request, text: str, lang: str | None, as_json: bool) -> None:
    """``--draft``: the draft of ``services.criteria.draft_cohort``, criterion by criterion."""
    from clinsearch.services import criteria
    from clinsearch.services.errors import AccessDenied, DefinitionError

    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{text[1:]}: cannot read the criteria ({getattr(exc, 'strerror', None) or exc})", code=2)
    try:
        made = criteria.draft_cohort(request, text, lang)
    except DefinitionError as exc:
        fail(str(exc), code=2)
    except AccessDenied as exc:
        fail(str(exc))
    if as_json:
        echo_json(made)
        return
    table = Table(title=escape(made["definition"]["name"]))
    for column in ("role", "words", "criterion", "reading"):
        table.add_column(column, overflow="fold")
    for c in made["criteria"]:
        table.add_row(c["where"], escape(c["text"]), escape(c["label"] or "—"), escape(c["explanation"]))
    out.print(table)
    for piece in made["not_understood"]:
        out.print(f"[yellow]not understood[/yellow] {escape(piece)}")
    for warning in made["warnings"]:
        out.print(f"[dim]note[/dim] {escape(warning)}")
    out.print("the definition: --json prints it (\"definition\"), to correct and run with clinsearch cohort FILE.json")
