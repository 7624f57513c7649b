"""The OMOP vocabularies: ``vocabulary load`` (an Athena download) and ``vocabulary lookup``."""

from __future__ import annotations

from pathlib import Path

import click

from clinsearch.cli.console import echo_json, err, fail, out


@click.group("vocabulary")
def vocabulary_group() -> None:
    """OMOP standard vocabularies (SNOMED CT, LOINC, RxNorm ...) from an Athena download, and code look-ups."""


@vocabulary_group.command("load")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the load summary as one JSON object.")
@click.pass_obj
def load_command(data: Path, folder: Path, as_json: bool) -> None:
    """Load the Athena download in FOLDER (CONCEPT.csv, CONCEPT_RELATIONSHIP.csv, CONCEPT_ANCESTOR.csv, ...).

    Every file is checked and loaded in one transaction: the first bad line stops the load with
    its file and line, and the warehouse is left as it was (exit code 1). A load replaces the
    vocabulary tables loaded before. Searches and look-ups then use the hierarchies and the
    "Maps to" relations (`code:44054006`).
    """
    from clinsearch.services.errors import WarehouseError
    from clinsearch.services.vocabulary import VocabularyError, load

    def progress(name: str, rows: int) -> None:
        if not as_json:
            err.print(f"{name}: {rows:,} rows", soft_wrap=True)

    try:
        summary = load(data, folder, on_progress=progress)
    except (VocabularyError, WarehouseError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(summary)
        return
    rows = sum(summary["tables"].values())
    out.print(f"Loaded {rows:,} rows from {summary['folder']} in {summary['seconds']} s (load {summary['load_id']}).")
    for vocabulary in summary["vocabularies"]:
        out.print(f"  {vocabulary['vocabulary_id']:<12} {vocabulary['version'] or ''}", soft_wrap=True)
    if summary["missing"]:
        out.print(f"Absent (optional): {', '.join(summary['missing'])}")


@vocabulary_group.command("lookup")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help='Print {"query", "vocabularies", "concepts": [...]}.')
@click.pass_obj
def lookup_command(data: Path, text: str, as_json: bool) -> None:
    """The concepts named TEXT, or the concept of a code (VOCABULARY:CODE or a bare code)."""
    from clinsearch.services.vocabulary import lookup

    result = lookup(data, text)
    if as_json:
        echo_json(result)
        return
    if not result["concepts"]:
        out.print(f"No concept named or coded {text!r}.")
    for concept in result["concepts"]:
        label = concept.get("label", "")
        out.print(f"{concept['vocabulary']}:{concept['code']}  {label}  [dim]({concept.get('source', '')})[/dim]", soft_wrap=True)
