"""``clinsearch evaluate``: a score against observed outcomes, from a file or a cohort."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from clinsearch.cli.console import echo_json, fail, out
from clinsearch.services.choices import DEFAULT_THRESHOLDS, REGIONS


@click.command("evaluate")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--outcome", help="Outcome column (0/1, true/false, yes/no).")
@click.option("--score", "scores", multiple=True, help="Score column (repeatable: two are compared).")
@click.option("--group", "groups", multiple=True, help="Subgroup column (repeatable): every measure per group, and the gaps.")
@click.option("--threshold", "thresholds", multiple=True, type=float, help=f"Risk threshold of the threshold table (repeatable) [default: {' '.join(map(str, DEFAULT_THRESHOLDS))}].")
@click.option("--rescale", type=click.Choice(["percent", "logistic"]), help="Scores outside [0, 1]: divide by 100, or map with a logistic regression fitted on these data.")
@click.option("--cohort", "cohort_file", type=click.Path(path_type=Path), help="Evaluate on a cohort of the warehouse instead of a file (a definition, see 'clinsearch cohort').")
@click.option("--score-name", help="With --cohort: the score computed for each patient at the index date (e.g. score2).")
@click.option("--outcome-definition", "outcome_file", type=click.Path(path_type=Path), help='With --cohort: JSON {"name", "inclusion": [criteria]} with windows from the index date.')
@click.option("--model", "model", metavar="NAME", help="With --cohort: a saved model's predictions beside the score, compared on the same patients (paired DeLong test, both decision curves).")
@click.option("--region", default="low", show_default=True, type=click.Choice(REGIONS), help="With --cohort: ESC risk region of SCORE2.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write the HTML report for clinicians (self-contained) here.")
@click.option("--json", "as_json", is_flag=True, help='Print {"n", "events", "missing", "scores": {...}, "groups": {...}, "comparison": {...}}.')
@click.pass_obj
def evaluate_command(data: Path, file: Path | None, outcome: str | None, scores: tuple[str, ...], groups: tuple[str, ...], thresholds: tuple[float, ...],
                     rescale: str | None, cohort_file: Path | None, score_name: str | None, outcome_file: Path | None, model: str | None, region: str,
                     report_path: Path | None, as_json: bool) -> None:
    """Evaluate a score against observed outcomes: discrimination, calibration,
    net benefit, thresholds, subgroups.

    \b
    From a file (CSV or Parquet, one row per patient):
      clinsearch evaluate predictions.csv --outcome died --score model_a
        --score model_b --group sex --threshold 0.1 --report report.html
    From the warehouse (a cohort, a score at each index date, an outcome after it):
      clinsearch --data DIR evaluate --cohort adults.json --score-name score2
        --outcome-definition mace.json --report report.html
    AUROC with DeLong's CI, AUPRC, Brier, calibration (in-the-large, slope, O/E,
    plot), decision curve, sensitivity/specificity/PPV/NPV at thresholds, every
    measure per subgroup with fairlearn's gaps, and the paired DeLong test of
    two scores.
    """
    from clinsearch.files import atomic
    from clinsearch.services import evaluation
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import DefinitionError, EvaluationError, ModelError, OutputError, ScoreInputError, WarehouseError

    try:
        if cohort_file is not None:
            if file is not None or scores or outcome:
                raise click.UsageError("--cohort replaces FILE, --outcome and --score (use --score-name and --outcome-definition)")
            if not score_name or outcome_file is None:
                raise click.UsageError("--cohort needs --score-name and --outcome-definition")
            from clinsearch.services.cohorts import definition_of

            request = command_line(data)
            result = evaluation.evaluate_cohort(request, definition_of(request, str(cohort_file)), json_file(outcome_file), score_name, region=region,
                                                thresholds=thresholds or None, report=report_path is not None, model=model)
        else:
            if model:
                raise click.UsageError("--model needs --cohort (a saved model scores the cohort's patients)")
            if file is None or not outcome or not scores:
                raise click.UsageError("give FILE --outcome COL --score COL (or --cohort ...)")
            if len(scores) > 2:
                raise click.UsageError("at most two --score columns (they are compared)")
            result = evaluation.evaluate_file(file, outcome, list(scores), list(groups), thresholds or None, rescale, report_path is not None)
        html = result.pop("report_html", None)
        if report_path and html is not None:
            atomic(report_path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    except (EvaluationError, DefinitionError, ScoreInputError, ModelError) as exc:
        fail(str(exc), code=1 if isinstance(exc, EvaluationError) else 2)
    except (WarehouseError, OutputError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    show(result, report_path)


def json_file(path: Path) -> dict:
    from clinsearch.services.errors import DefinitionError

    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot read a JSON object ({exc})") from exc
    if not isinstance(found, dict):
        raise DefinitionError(f"{path}: a JSON object is expected")
    return found


def show(result: dict, report_path: Path | None) -> None:
    out.print(f"[bold]{escape(result['source'])}[/bold]: {result['n']} patients, {result['events']} events"
              + (f" ({sum(result['missing'].values())} rows left out for missing values)" if sum(result["missing"].values()) else ""))
    table = Table()
    for column in ("score", "AUROC (95% CI)", "AUPRC", "Brier", "O/E", "CITL", "slope"):
        table.add_column(column)
    for name, s in result["scores"].items():
        a, c = s["auroc"], s.get("calibration", {})
        table.add_row(escape(name), f"{a['value']:.3f} ({a['ci_low']:.3f}-{a['ci_high']:.3f})" if a["ci_low"] is not None else f"{a['value']:.3f}", f"{s['auprc']:.3f}",
                      f"{s['brier']:.4f}" if "brier" in s else "-", f"{c['oe']:.2f}" if c.get("oe") is not None else "-",
                      f"{c['intercept']:.2f}" if c else "-", f"{c['slope']:.2f}" if c and c["slope"] is not None else "-")
    out.print(table)
    if "comparison" in result:
        c = result["comparison"]
        out.print(f"{escape(c['scores'][0])} - {escape(c['scores'][1])}: AUROC difference {c['auroc_difference']:+.3f} "
                  f"({c['ci_low']:+.3f} to {c['ci_high']:+.3f}), p = {c['p_value']:.3g} (DeLong)")
    for name, s in result["scores"].items():
        for t in s.get("thresholds", []):
            out.print(f"{escape(name)} >= {t['threshold']:g}: flagged {t['flagged']}, sensitivity {_pct(t['sensitivity'])}, "
                      f"specificity {_pct(t['specificity'])}, PPV {_pct(t['ppv'])}, NPV {_pct(t['npv'])}")
    for warning in result["warnings"]:
        out.print(f"[yellow]warning[/yellow] {escape(warning)}")
    if report_path:
        out.print(f"report: {escape(str(report_path))}")


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
