"""``clinsearch demo``: the synthetic hospital, loaded and served."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from clinsearch.cli import render
from clinsearch.cli.console import err, fail, out
from clinsearch.cli.progress import IngestBar, StageBars
from clinsearch.cli.serve import serve


@click.command("demo")
@click.option("--generate-only", "generate_only", type=click.Path(file_okay=False, path_type=Path), help="Only write the synthetic hospital's source files into this folder.")
@click.option("--patients", default=500, show_default=True, help="Number of synthetic patients.")
@click.option("--notes", default=5000, show_default=True, help="Number of synthetic notes.")
@click.option("--seed", default=42, show_default=True, help="Random seed (the same seed gives the same hospital).")
@click.option("--no-nlp", is_flag=True, help="Do not run the NLP on the notes.")
@click.option("--serve/--no-serve", "serving", default=True, show_default=True, help="Serve the web application afterwards (on 127.0.0.1:8000).")
@click.pass_obj
def demo_command(data: Path, generate_only: Path | None, patients: int, notes: int, seed: int, no_nlp: bool, serving: bool) -> None:
    """Build the demo warehouse from a synthetic French hospital, show what it holds, create demo
    users and serve the web application."""
    from clinsearch.services import demo
    from clinsearch.services.errors import WarehouseError

    target = generate_only or data / "demo-source"
    with err.status(f"writing the synthetic hospital to {target} ..."):
        written = demo.write_sources(target, patients=patients, notes=notes, seed=seed)
    err.print(f"demo sources written to {target}: " + ", ".join(f"{k} {v:,}" for k, v in written.items()))
    if generate_only:
        return
    try:
        with IngestBar(enabled=True) as reporter, StageBars(enabled=True) as stages:
            built = demo.load(data, target, reporter, nlp=not no_nlp, on_progress=stages)
    except WarehouseError as exc:
        fail(str(exc))
    render.run(built.run)
    table = Table(title="the demo warehouse answers", show_lines=True)
    table.add_column("question", overflow="fold")
    table.add_column("answer", justify="right")
    for example in built.examples:
        table.add_row(example["question"], str(example["answer"]))
    out.print(table)
    out.print(f"Look further with: clinsearch --data {data} stats   (or open {data}/warehouse.duckdb in DuckDB)")
    out.print("demo users (web application): " + ", ".join(f"{name} / {password} ({role})" for name, role, password in built.users))
    out.print("evaluate SCORE2 on the demo: clinsearch --data " + str(data) + " evaluate --cohort src/clinsearch/demo/examples/score2-cohort.json "
              "--score-name score2 --outcome-definition src/clinsearch/demo/examples/mace-outcome.json --report score2.html", soft_wrap=True)
    if serving and built.run.ok:
        serve(data, "127.0.0.1", 8000)
    sys.exit(0 if built.run.ok else 1)
