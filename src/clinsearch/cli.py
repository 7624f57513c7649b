"""The command line: parses, calls the service functions, prints. Nothing else.

Exit codes (DESIGN.md): 0 success, 1 bad data (something quarantined or unreadable), 2 usage
error; every failure prints a one-line reason on stderr naming the file and record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clinsearch import __version__
from clinsearch.config import data_dir
from clinsearch.ingest.detect import Source
from clinsearch.ingest.run import IngestResult, ingest
from clinsearch.warehouse.duckdb import WarehouseError
from clinsearch.warehouse.load import LoadSummary
from clinsearch.warehouse.stats import quarantine_summary, stats
from clinsearch.warehouse.store import open_store

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path), envvar="CLINSEARCH_DATA", help="Data directory of the warehouse [env CLINSEARCH_DATA; default ./clinsearch-data].")
@click.version_option(__version__, prog_name="clinsearch")
@click.pass_context
def main(ctx: click.Context, data: Path | None) -> None:
    """clinsearch: an on-premise clinical data warehouse and medical search engine."""
    ctx.obj = data_dir(data)


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the load summary as one JSON object.")
@click.pass_obj
def ingest_command(data: Path, paths: tuple[Path, ...], as_json: bool) -> None:
    """Load files or folders (OMOP CSV/Parquet, FHIR, documents, DICOM, PubMed/JATS) into the warehouse.

    Formats are detected per file; folders are walked. Each file loads in one transaction;
    bad records go to the quarantine. Exit code 1 when anything was quarantined or unreadable.
    """
    try:
        with open_store(data) as store, _ProgressReporter(enabled=not as_json) as reporter:
            result = ingest(store, list(paths), reporter)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_summary(result)
    for problem in result.problems:
        err.print(f"[red]error:[/red] {problem.path}: {problem.reason}", soft_wrap=True)
    for summary in result.summaries:
        if summary.status == "failed":
            err.print(f"[red]error:[/red] {summary.source}: {summary.message}", soft_wrap=True)
        elif summary.quarantined:
            err.print(f"[yellow]quarantined:[/yellow] {summary.source}: {summary.quarantined} record(s); see 'clinsearch stats'", soft_wrap=True)
    sys.exit(0 if result.ok else 1)


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help='Print {"tables": {...}, "quarantine": N}.')
@click.pass_obj
def stats_command(data: Path, as_json: bool) -> None:
    """Row counts of every table and a summary of the quarantine."""
    try:
        with open_store(data, read_only=True) as store:
            counts = stats(store)
            reasons = quarantine_summary(store)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(counts))
        return
    table = Table(title=f"clinsearch warehouse {data}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts["tables"].items():
        table.add_row(name, f"{count:,}")
    table.add_row("[bold]quarantine[/bold]", f"{counts['quarantine']:,}")
    out.print(table)
    if reasons:
        q = Table(title="quarantine (most frequent reasons)")
        for column in ("source_file", "reason", "records", "first_record"):
            q.add_column(column, overflow="fold")
        for row in reasons:
            q.add_row(row["source_file"], row["reason"], str(row["records"]), row["first_record"])
        out.print(q)


@main.command("demo")
@click.option("--generate-only", "generate_only", type=click.Path(file_okay=False, path_type=Path), help="Only write the synthetic hospital's source files into this folder.")
@click.option("--patients", default=500, show_default=True, help="Number of synthetic patients.")
@click.option("--notes", default=5000, show_default=True, help="Number of synthetic notes.")
@click.option("--seed", default=42, show_default=True, help="Random seed (the same seed gives the same hospital).")
@click.pass_obj
def demo_command(data: Path, generate_only: Path | None, patients: int, notes: int, seed: int) -> None:
    """Build the demo warehouse from a synthetic French hospital, and show what it holds."""
    from clinsearch.demo.generator import generate
    from clinsearch.demo.showcase import showcase

    target = generate_only or data / "demo-source"
    with err.status(f"writing the synthetic hospital to {target} ..."):
        written = generate(target, patients=patients, notes=notes, seed=seed)
    err.print(f"demo sources written to {target}: " + ", ".join(f"{k} {v:,}" for k, v in written.items()))
    if generate_only:
        return
    try:
        with open_store(data) as store, _ProgressReporter(enabled=True) as reporter:
            result = ingest(store, [target / "sources"], reporter)
            _print_summary(result)
            examples = showcase(store)
    except WarehouseError as exc:
        fail(str(exc))
    table = Table(title="the demo warehouse answers", show_lines=True)
    table.add_column("question", overflow="fold")
    table.add_column("answer", justify="right")
    for example in examples:
        table.add_row(example["question"], str(example["answer"]))
    out.print(table)
    out.print(f"Look further with: clinsearch --data {data} stats   (or open {data}/warehouse.duckdb in DuckDB)")
    sys.exit(0 if result.ok else 1)


class _ProgressReporter:
    """A rich progress bar on a terminal; one plain line per source otherwise (logs, tests)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.live = enabled and err.is_terminal
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[records]:>10,} records"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.task = None

    def __enter__(self) -> "_ProgressReporter":
        if self.live:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()

    def start(self, source: Source, index: int, total: int) -> None:
        if not self.enabled:
            return
        if not self.live:
            err.print(f"ingest {index}/{total}: {source.label} ({source.format})", soft_wrap=True)
            return
        if self.task is None:
            self.task = self.bar.add_task("ingest", total=total, records=0)
        self.bar.update(self.task, description=f"ingest {Path(source.label).name[:40]}", records=0)

    def progress(self, records: int) -> None:
        if self.live and self.task is not None:
            self.bar.update(self.task, records=records)

    def done(self, summary: LoadSummary) -> None:
        if self.live and self.task is not None:
            self.bar.advance(self.task)


def _print_summary(result: IngestResult) -> None:
    table = Table(title="ingest summary")
    for column in ("source", "format", "status", "read", "loaded", "skipped", "quarantined"):
        table.add_column(column, justify="right" if column in ("read", "loaded", "skipped", "quarantined") else "left", overflow="fold")
    for s in result.summaries:
        style = {"failed": "red", "already loaded": "dim"}.get(s.status, "yellow" if s.quarantined else "")
        table.add_row(Path(s.source).name, s.format, s.status, f"{s.read:,}", f"{s.loaded:,}", f"{s.skipped:,}", f"{s.quarantined:,}", style=style)
    for p in result.problems:
        table.add_row(p.path.name, "?", "failed", "0", "0", "0", "0", style="red")
    totals = result.totals()
    table.add_section()
    table.add_row(
        f"[bold]{len(result.summaries)} source(s), {totals['already_loaded']} already loaded, {totals['failed']} failed[/bold]",
        "", "", f"{totals['read']:,}", f"{totals['loaded']:,}", f"{totals['skipped']:,}", f"{totals['quarantined']:,}",
    )
    out.print(table)
    skipped = {}
    for s in result.summaries:
        for reason, count in s.skipped_reasons.items():
            skipped[reason] = skipped.get(reason, 0) + count
    if skipped:
        out.print("skipped (valid, not mapped): " + ", ".join(f"{reason} x{count}" for reason, count in sorted(skipped.items())))


if __name__ == "__main__":
    main(prog_name="clinsearch")
