"""Loading and maintaining the warehouse: ``ingest``, ``nlp`` (and ``nlp evaluate``), ``index``, ``stats``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clinsearch.cli import render
from clinsearch.cli.console import echo_json, err, fail, out
from clinsearch.cli.progress import IngestBar, StageBars

# Each command imports what it uses: `clinsearch annotate` must not wait for DuckDB and Arrow.


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the load summary as one JSON object.")
@click.option("--no-nlp", is_flag=True, help="Do not run the NLP on new notes after the load.")
@click.pass_obj
def ingest_command(data: Path, paths: tuple[Path, ...], as_json: bool, no_nlp: bool) -> None:
    """Load files or folders (OMOP CSV/Parquet, FHIR, documents, DICOM, PubMed/JATS) into the warehouse.

    Formats are detected per file; folders are walked. Each file loads in one transaction;
    bad records go to the quarantine. New or changed notes then go through the NLP (unless
    --no-nlp), and the search index is brought up to date. Exit code 1 when anything was
    quarantined or unreadable.
    """
    from clinsearch.services.errors import WarehouseError
    from clinsearch.services.pipeline import ingest

    try:
        with IngestBar(enabled=not as_json) as reporter, StageBars(enabled=not as_json) as stages:
            run = ingest(data, list(paths), reporter, nlp=not no_nlp, on_progress=stages)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        echo_json(run.as_dict())
    else:
        render.run(run)
    report_problems(run.ingest)
    sys.exit(0 if run.ok else 1)


def report_problems(result) -> None:
    """One line on stderr per source that failed or had records quarantined."""
    for problem in result.problems:
        err.print(f"[red]error:[/red] {problem.path}: {problem.reason}", soft_wrap=True)
    for summary in result.summaries:
        if summary.status == "failed":
            err.print(f"[red]error:[/red] {summary.source}: {summary.message}", soft_wrap=True)
        elif summary.quarantined:
            err.print(f"[yellow]{summary.status}:[/yellow] {summary.source}: {summary.quarantined} record(s){'; ' + summary.message if summary.message else ''}; see 'clinsearch quarantine list'", soft_wrap=True)


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help='Print {"tables": {...}, "quarantine": N, "nlp": {"waiting": N, "outdated": N}}.')
@click.pass_obj
def stats_command(data: Path, as_json: bool) -> None:
    """Row counts of every table and a summary of the quarantine."""
    from clinsearch.services.errors import WarehouseError
    from clinsearch.services.warehouse import overview

    try:
        counts, reasons = overview(data)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        echo_json(counts)
        return
    render.stats(data, counts, reasons)


@click.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help='Print {"warehouse", "before", "after", "tables"}.')
@click.pass_obj
def upgrade_command(data: Path, as_json: bool) -> None:
    """Migrate a warehouse made by an earlier clinsearch to this one's schema, in place.

    One transaction: killed half-way, the warehouse stays as it was. Back the data directory
    up first all the same. A warehouse already current is left untouched.
    """
    from clinsearch.services.errors import WarehouseError
    from clinsearch.services.warehouse import upgrade

    try:
        result = upgrade(data)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
    elif result["before"] == result["after"]:
        out.print(f"warehouse {result['warehouse']}: already at schema version {result['after']}")
    else:
        out.print(f"warehouse {result['warehouse']}: schema version {result['before'] or 'new'} -> {result['after']}")


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the backup's manifest (files, sizes, SHA-256).")
@click.pass_obj
def backup_command(data: Path, target: Path, as_json: bool) -> None:
    """Back the whole data directory up into the new folder TARGET, while it is being served.

    The warehouse, the search index, users, sessions, saved cohorts, the audit log and the
    warehouse's secret, consistent with each other; a MANIFEST.json gives every file's SHA-256.
    A load or index update started meanwhile waits for the copy to end.
    """
    from clinsearch.services.backup import BackupError, backup
    from clinsearch.services.errors import WarehouseError

    try:
        manifest = backup(data, target)
    except (BackupError, WarehouseError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(manifest)
    else:
        size = sum(f["bytes"] for f in manifest["files"].values())
        out.print(f"backup {target}: {len(manifest['files'])} file(s), {size / 1e6:.1f} MB, {manifest['rows']['person']:,} patient(s), "
                  f"{manifest['rows']['note']:,} note(s); 'clinsearch --data DIR restore {target}' restores it")


@click.command("restore")
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.pass_obj
def restore_command(data: Path, source: Path) -> None:
    """Restore the backup SOURCE as the data directory (--data), which must be new or empty.

    Every file is checked against the backup's manifest first; nothing is written if one does
    not match. A backup of an earlier schema version is restored as it is: 'clinsearch upgrade'
    then migrates it.
    """
    from clinsearch.services.backup import BackupError, restore

    try:
        manifest = restore(source, data)
    except BackupError as exc:
        fail(str(exc))
    out.print(f"restored {source} into {data}: {len(manifest['files'])} file(s) checked, backup of {manifest['created']}")


@click.group("nlp", invoke_without_command=True)
@click.option("--processes", type=click.IntRange(min=1), help="Worker processes [default: one per core].")
@click.option("--spark", is_flag=True, help="Annotate in Apache Spark (pyspark) instead of local worker processes.")
@click.option("--master", default="local[*]", show_default=True, help="Spark master URL (with --spark).")
@click.option("--reprocess", is_flag=True, help="Also annotate again the notes annotated by an earlier NLP version (after an upgrade).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_context
def nlp_command(ctx: click.Context, processes: int | None, spark: bool, master: str, reprocess: bool, as_json: bool) -> None:
    """Run the clinical NLP on every new or changed note, write note_nlp, update the search index.

    Notes annotated by an earlier version of the NLP keep their annotations until you ask for
    them to be annotated again with --reprocess (docs/nlp.md). 'clinsearch nlp evaluate PATH'
    measures the NLP on your own annotated notes instead."""
    if ctx.invoked_subcommand is not None:
        return
    from clinsearch.services.errors import WarehouseError
    from clinsearch.services.pipeline import process

    try:
        with StageBars(enabled=not as_json) as stages:
            run = process(ctx.obj, processes=processes, spark=spark, master=master, reprocess=reprocess, on_progress=stages)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        echo_json({**run.nlp.as_dict(), "index": run.index.as_dict()})
    else:
        render.run(run)


@nlp_command.command("evaluate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language of the notes [default: detected for each note].")
@click.option("--exact", is_flag=True, help="An entity is found only with exactly the annotated span [default: overlapping spans match].")
@click.option("--json", "as_json", is_flag=True, help='Print {"notes", "entities", "match", "labels": {LABEL: {"gold", "predicted", "precision", "recall", "f1"}}, "qualifiers": {...}}.')
def nlp_evaluate_command(path: Path, lang: str | None, exact: bool, as_json: bool) -> None:
    """Measure the NLP on annotated notes: precision, recall and F1 per entity label and per
    qualifier (negated, hypothesis, family).

    \b
    PATH: BRAT standoff (NAME.txt + NAME.ann, attributes such as Negation,
      Hypothesis, Family), a .jsonl file of {"text", "entities": [{"start",
      "end", "label", "negated", "hypothesis", "family"}]}, or a folder of them.
    Labels are compared with the lexicon concept, the code (E11 covers E11.9) or
      the kind (cim10, drug, date ...) of the entities found; the qualifiers are
      judged on every annotated mention (docs/nlp.md).
    Exit code 1, with the file and line, when an annotation file cannot be read."""
    from clinsearch.services.nlp_evaluation import AnnotationError, evaluate_annotations

    try:
        result = evaluate_annotations(path, lang, exact)
    except AnnotationError as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    _evaluation_tables(result)


def _evaluation_tables(result: dict) -> None:
    from rich.table import Table

    from clinsearch.cli.console import out

    def number(value) -> str:
        return "—" if value is None else f"{value:.3f}"

    out.print(f"{result['notes']} note(s), {result['entities']} annotated entities, spans matched by {result['match']}")
    labels = Table(title="entities per label")
    for column in ("label", "gold", "predicted", "precision", "recall", "F1"):
        labels.add_column(column, justify="left" if column == "label" else "right")
    for label, row in result["labels"].items():
        labels.add_row(label, str(row["gold"]), str(row["predicted"]), number(row["precision"]), number(row["recall"]), number(row["f1"]))
    out.print(labels)
    qualifiers = Table(title="qualifiers, on every annotated entity")
    for column in ("qualifier", "n", "positives", "precision", "recall", "F1"):
        qualifiers.add_column(column, justify="left" if column == "qualifier" else "right")
    for name, row in result["qualifiers"].items():
        if isinstance(row, dict):
            qualifiers.add_row(name, str(row["n"]), str(row["positives"]), number(row["precision"]), number(row["recall"]), number(row["f1"]))
    out.print(qualifiers)
    if result["qualifiers"]["not_found"]:
        out.print(f"[yellow]{result['qualifiers']['not_found']} annotated entities not found even as target terms (counted as not qualified)[/yellow]")


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Start from an empty index instead of updating the one there.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_obj
def index_command(data: Path, rebuild: bool, as_json: bool) -> None:
    """Bring the search index up to date with the warehouse (ingest and nlp do it themselves)."""
    from clinsearch.services.errors import WarehouseError
    from clinsearch.services.pipeline import reindex

    try:
        with StageBars(enabled=not as_json) as stages:
            summary = reindex(data, rebuild=rebuild, on_progress=stages)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        echo_json(summary.as_dict())
    else:
        render.index_summary(summary)
