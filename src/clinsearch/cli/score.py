"""``clinsearch score``: a decision-support score with its trail -- for a patient, a cohort, or
values typed in (calculator)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from clinsearch.cli.console import echo_json, err, fail, out
from clinsearch.services.choices import REGIONS


@click.command("score")
@click.argument("name")
@click.option("--patient", "person_id", type=int, help="Compute it for this patient (person_id), from the warehouse.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Calculator mode: an input (repeatable), e.g. --set age=55 --set sex=male.")
@click.option("--region", default="low", show_default=True, type=click.Choice(REGIONS), help="ESC risk region (France: low).")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d"]), help="Compute as of this date [default: today].")
@click.option("--max-age-days", default=5 * 365, show_default=True, type=click.IntRange(min=1), help="Inputs older than this are flagged stale.")
@click.option("--cohort", "cohort_file", type=click.Path(path_type=Path), help="Compute it for every patient of a cohort (a definition), at each index date.")
@click.option("--export", "export_path", type=click.Path(path_type=Path), help="With --cohort: write the rows to FILE.csv or FILE.parquet.")
@click.option("--json", "as_json", is_flag=True, help='Print {"score", "status", "value", "unit", "category", "inputs": [...], "missing": [...], "refusals": [...], "reference", ...}.')
@click.pass_obj
def score_command(data: Path, name: str, person_id: int | None, settings: tuple[str, ...], region: str, at, max_age_days: int,
                  cohort_file: Path | None, export_path: Path | None, as_json: bool) -> None:
    """Compute a decision-support score with its trail: every input, its date and its source.

    \b
    Scores: score2 (SCORE2, SCORE2-OP from 70), score2-op, score2-diabetes,
      framingham, cha2ds2-vasc, has-bled, ckd-epi-2021, charlson, bmi.
    Calculator: clinsearch score score2 --set age=55 --set sex=male --set smoker=1
      --set sbp=140 --set total_chol=6.3 --set hdl=1.4 --set diabetes=0
    Patient:    clinsearch --data DIR score score2 --patient 42
    Cohort:     clinsearch --data DIR score score2 --cohort adults.json --export s.csv
    Units: sbp mmHg, cholesterol mmol/L, HbA1c mmol/mol, eGFR mL/min/1.73 m2,
      creatinine mg/dL, weight kg, height cm; conditions 0|1 (chf=1 ...).
    Status: computed, stale (computed, an input is old), missing (an input is not
      found), not_applicable (CHA2DS2-VASc, HAS-BLED without atrial fibrillation),
      out_of_domain (outside the model's validated ages).
    Exit code 1 when the score cannot be computed (the reasons are listed).
    """
    from clinsearch.services import scores
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import NotFound, ScoreInputError, WarehouseError

    if cohort_file is not None:
        if person_id is not None or settings:
            raise click.UsageError("--cohort replaces --patient and --set")
        _cohort(data, name, cohort_file, region, export_path, as_json)
        return
    if export_path is not None:
        raise click.UsageError("--export goes with --cohort")
    if (person_id is None) == (not settings):
        raise click.UsageError("give either --patient ID, --set KEY=VALUE ... or --cohort DEFINITION")
    try:
        if person_id is not None:
            result = scores.score(command_line(data), name, str(person_id), region, at=at.date() if at else None, max_age_days=max_age_days)
            result.pop("title", None)
        else:
            result = scores.calculate(name, dict(_key_value(item) for item in settings), region)
    except ScoreInputError as exc:
        fail(str(exc), code=2)
    except (LookupError, WarehouseError, NotFound) as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
    else:
        show(result)
    if result["value"] is None:
        reasons = [*result["refusals"], *result["missing"]]
        err.print(f"[red]error:[/red] {result['score']} {result['status'].replace('_', ' ')}: " + "; ".join(f"{m['name']}: {m['reason']}" for m in reasons), soft_wrap=True)
        sys.exit(1)


def _cohort(data: Path, name: str, cohort_file: Path, region: str, export_path: Path | None, as_json: bool) -> None:
    from clinsearch.services import scores
    from clinsearch.services.access import command_line
    from clinsearch.services.cohorts import definition_of
    from clinsearch.services.errors import DefinitionError, OutputError, ScoreInputError, WarehouseError

    if export_path is not None and export_path.suffix.lower() not in (".csv", ".parquet"):
        fail(f"{export_path}: write .csv or .parquet", code=2)
    request = command_line(data)
    try:
        summary = scores.cohort_scores(request, name, definition_of(request, str(cohort_file)), region=region, export_to=export_path)
    except (DefinitionError, ScoreInputError) as exc:
        fail(str(exc), code=2)
    except (WarehouseError, OutputError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(summary)
        return
    out.print(f"[bold]{name}[/bold] over cohort {summary['cohort']!r}: {summary['computed']} of {summary['patients']} patients computed")
    for category, count in sorted(summary["categories"].items(), key=lambda x: str(x[0])):
        out.print(f"  {category}: {count}")
    for reason, count in summary["not_computed"].items():
        out.print(f"  [yellow]not computed[/yellow] (missing {reason}): {count}")
    if export_path:
        out.print(f"rows written to {export_path}")


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise click.UsageError(f"--set takes KEY=VALUE, not {item!r}")
    return key.strip(), value.strip()


def show(result: dict) -> None:
    who = f" for patient {result['person_id']}" if result["person_id"] is not None else ""
    if result["value"] is not None:
        out.print(f"[bold]{result['model']}[/bold]{who}: [bold]{result['value']:.1f} {result['unit']}[/bold] ({result['category']})")
    else:
        out.print(f"[bold]{result['model']}[/bold]{who}: not computed ({result['status'].replace('_', ' ')})")
    table = Table(title="inputs")
    for column in ("input", "value", "unit", "date", "source"):
        table.add_column(column, overflow="fold")
    for i in result["inputs"]:
        table.add_row(i["name"], str(i["value"]), i["unit"] or "", str(i["date"] or ""), escape(i["source"]))
    out.print(table)
    for r in result["refusals"]:
        out.print(f"[red]{r['status'].replace('_', ' ')}[/red] {r['name']}: {escape(r['reason'])}")
    for m in result["missing"]:
        out.print(f"[red]missing[/red] {m['name']}: {escape(m['reason'])}")
    for s in result["stale"]:
        out.print(f"[yellow]stale[/yellow] {escape(s)}")
    for n in result["notes"]:
        out.print(f"[dim]{escape(n)}[/dim]")
    out.print(f"[dim]{escape(result['reference'])} ({result['version']})[/dim]", soft_wrap=True)

