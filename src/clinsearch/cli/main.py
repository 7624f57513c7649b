"""The ``clinsearch`` command group: the global options, and every command in its noun's module."""

from __future__ import annotations

from pathlib import Path

import click

from clinsearch import __version__
from clinsearch.cli import annotate, cohort, demo, evaluate, model, patient, score, search, serve, similar, users, warehouse
from clinsearch.cli.quarantine import quarantine_group
from clinsearch.cli.vocabulary import vocabulary_group
from clinsearch.config import choose_warehouse, data_dir


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path), envvar="CLINSEARCH_DATA", help="Data directory of the warehouse [env CLINSEARCH_DATA; default ./clinsearch-data].")
@click.option("--warehouse", "warehouse_url", metavar="postgresql://USER@HOST:PORT/DB",
              help="Keep the warehouse of the data directory on this PostgreSQL server (recorded in the data directory) "
                   "[default: the embedded DuckDB file; CLINSEARCH_WAREHOUSE: the server of new data directories].")
@click.version_option(__version__, prog_name="clinsearch")
@click.pass_context
def main(ctx: click.Context, data: Path | None, warehouse_url: str | None) -> None:
    """clinsearch: an on-premise clinical data warehouse and medical search engine."""
    ctx.obj = data_dir(data)
    if warehouse_url:
        try:
            choose_warehouse(ctx.obj, warehouse_url)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None


for command in (warehouse.ingest_command, warehouse.stats_command, warehouse.upgrade_command, warehouse.backup_command, warehouse.restore_command, demo.demo_command, warehouse.nlp_command, warehouse.index_command,
                search.search_command, patient.patient_command, similar.similar_command, cohort.cohort_command, evaluate.evaluate_command, score.score_command, users.user_group,
                users.audit_group, serve.serve_command, annotate.annotate_command):
    main.add_command(command)

main.add_command(vocabulary_group)
main.add_command(quarantine_group)
main.add_command(model.model_group)
