"""``clinsearch model``: create a prediction model on the warehouse's own patients (train),
use it (apply), and see the saved ones (list, show)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from clinsearch.cli.console import echo_json, err, fail, out

FEATURE_KINDS = ("demographics", "conditions", "drugs", "procedures", "measurements", "notes")


@click.group("model")
def model_group() -> None:
    """Prediction models made on this hospital's patients: train, apply, list, show.

    \b
      clinsearch --data DIR model train --cohort adults.json
        --outcome-definition mace.json --model logistic --save mace-lr --report r.html
      clinsearch --data DIR model apply mace-lr --cohort other.json --output p.csv
      clinsearch --data DIR evaluate --cohort c.json --score-name score2
        --outcome-definition mace.json --model mace-lr     (compared with SCORE2)
    """


class _Steps:
    """The steps of a training on stderr, each with its time."""

    def __init__(self, quiet: bool):
        self.quiet, self.started, self.current, self.times = quiet, time.monotonic(), None, {}

    def __call__(self, step: str) -> None:
        self._close()
        self.current, self.started = step, time.monotonic()
        if not self.quiet:
            err.print(f"[dim]{step}…[/dim]")

    def _close(self) -> None:
        if self.current is not None:
            self.times[self.current] = round(time.monotonic() - self.started, 2)

    def done(self) -> dict:
        self._close()
        self.current = None
        return self.times


@model_group.command("train")
@click.option("--cohort", "cohort", required=True, help="The patients and their index dates: a definition file or a saved cohort's name.")
@click.option("--outcome-definition", "outcome_file", required=True, type=click.Path(path_type=Path),
              help='JSON {"name", "inclusion": [criteria]} with windows in days from the index date.')
@click.option("--model", "kind", type=click.Choice(["logistic", "gbm"]), default="logistic", show_default=True,
              help="logistic: L1-penalised logistic regression; gbm: gradient-boosted trees.")
@click.option("--features", "features", multiple=True, type=click.Choice(FEATURE_KINDS), help="Feature kinds (repeatable) [default: all].")
@click.option("--lookback", "lookback", type=click.IntRange(min=1), help="Only events of the last DAYS before the index date [default: the whole history].")
@click.option("--qualified", type=click.Choice(["omit", "separate"]), default="omit", show_default=True,
              help="Negated, hypothetical and family mentions of the notes: left out, or features of their own.")
@click.option("--split", type=click.Choice(["patient", "time"]), default="patient", show_default=True,
              help="Held-back patients: a random stratified quarter, or the latest quarter of index dates.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the split and the folds.")
@click.option("--balance", is_flag=True, help="Re-weight the classes (inflates predicted risks: see the calibration).")
@click.option("--shuffle-outcome", is_flag=True, help="Shuffle the outcomes first: a negative control (the test AUROC must be about 0.5).")
@click.option("--save", "save", metavar="NAME", help="Save the model under NAME (then: model apply NAME, evaluate --model NAME).")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write the evaluation report of the held-back patients with the model card (HTML).")
@click.option("--pseudonymised", is_flag=True, help="As a researcher: the cohort built pseudonymised, counts under 10 blurred.")
@click.option("--json", "as_json", is_flag=True, help='Print {"n_train", "n_test", "events_test", "features": [{"name", "weight"}], "test": {...the evaluate --json metrics...}, "card": {...}}.')
@click.pass_obj
def train_command(data: Path, cohort: str, outcome_file: Path, kind: str, features: tuple[str, ...], lookback: int | None, qualified: str,
                  split: str, seed: int, balance: bool, shuffle_outcome: bool, save: str | None, report_path: Path | None, pseudonymised: bool,
                  as_json: bool) -> None:
    """Train a model predicting an outcome for a cohort's patients at their index
    dates, from what the warehouse held before (demographics, coded conditions,
    drugs and procedures with their hierarchy, latest measurements in converted
    units, affirmed concepts of the notes); evaluate it on held-back patients
    (discrimination, calibration, decision curve, subgroups) with its model card
    and the TRIPOD+AI checklist.
    """
    from clinsearch.cli.evaluate import json_file
    from clinsearch.files import atomic
    from clinsearch.services import models
    from clinsearch.services.access import command_line
    from clinsearch.services.cohorts import definition_of
    from clinsearch.services.errors import AccessDenied, DefinitionError, ModelError, OutputError, TrainingError, WarehouseError

    request = command_line(data, "researcher" if pseudonymised else "clinician")
    steps = _Steps(as_json)
    try:
        result = models.train_model(request, definition_of(request, cohort), json_file(outcome_file), kind, features=list(features) or None,
                                    lookback_days=lookback, qualified=qualified, split=split, seed=seed, balance=balance, save=save,
                                    report=report_path is not None, shuffle_outcome=shuffle_outcome, on_step=steps)
        html = result.pop("report_html", None)
        if report_path and html:
            atomic(report_path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    except (DefinitionError, ModelError) as exc:
        fail(str(exc), code=2)
    except (TrainingError, AccessDenied, WarehouseError, OutputError) as exc:
        fail(str(exc))
    result["seconds"] = steps.done()
    if as_json:
        echo_json(result)
        return
    _show_training(result, report_path)


def _show_training(result: dict, report_path: Path | None) -> None:
    name = result["name"]
    auroc = result["test"]["scores"][name]["auroc"]
    ci = f" ({auroc['ci_low']:.3f}-{auroc['ci_high']:.3f})" if auroc.get("ci_low") is not None else ""
    out.print(f"[bold]{escape(result['model'])}[/bold] on {escape(result['cohort'])!s}: {result['n_train']} training patients "
              f"({result['events_train']} events), {result['n_test']} held back ({result['events_test']} events, {result['split']} split)")
    out.print(f"AUROC held back {auroc['value']:.3f}{ci}; on the training patients {result['train_auroc']['value']:.3f}; "
              f"chosen by cross-validation: {result['hyperparameters']}")
    table = Table(title=f"features ({result['features_used']} used of {result['features_built']})")
    table.add_column("feature")
    table.add_column("weight" if result["model"] == "logistic" else "importance", justify="right")
    for feature in result["features"][:20]:
        table.add_row(escape(feature["label"]), f"{feature['weight']:+.4f}")
    out.print(table)
    for warning in result["test"].get("warnings", []):
        out.print(f"[yellow]warning[/yellow] {escape(warning)}")
    out.print("steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["seconds"].items()))
    if result.get("saved"):
        out.print(f"saved as {escape(result['saved'])}")
    if report_path:
        out.print(f"report: {escape(str(report_path))}")


@model_group.command("apply")
@click.argument("name")
@click.option("--cohort", "cohort", required=True, help="The patients to score: a definition file or a saved cohort's name.")
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), help="Write the predictions as CSV (person_id, index_date, probability).")
@click.option("--pseudonymised", is_flag=True, help="As a researcher: pseudonyms and shifted index dates.")
@click.option("--json", "as_json", is_flag=True, help='Print {"model", "cohort", "n", "patients": [{"person_id", "index_date", "probability"}]}.')
@click.pass_obj
def apply_command(data: Path, name: str, cohort: str, output: Path | None, pseudonymised: bool, as_json: bool) -> None:
    """The saved model NAME's probability for each patient of a cohort at their
    index date, from the same features it was trained on."""
    import csv

    from clinsearch.files import atomic
    from clinsearch.services import models
    from clinsearch.services.access import command_line
    from clinsearch.services.cohorts import definition_of
    from clinsearch.services.errors import AccessDenied, DefinitionError, ModelError, OutputError, WarehouseError

    request = command_line(data, "researcher" if pseudonymised else "clinician")
    try:
        result = models.apply_model(request, name, definition_of(request, cohort))
        if output:
            def write(tmp: Path) -> None:
                with tmp.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(handle, ["person_id", "index_date", "probability"])
                    writer.writeheader()
                    writer.writerows(result["patients"])

            atomic(output, write)
    except (DefinitionError, ModelError) as exc:
        fail(str(exc), code=2)
    except (AccessDenied, WarehouseError, OutputError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    out.print(f"{escape(name)} on {escape(result['cohort'])}: {result['n']} patients" + (f" -> {escape(str(output))}" if output else ""))
    if not output:
        for row in result["patients"][:20]:
            out.print(f"{row['person_id']}\t{row['index_date']}\t{row['probability']:.4f}")


@model_group.command("list")
@click.option("--json", "as_json", is_flag=True, help='Print {"models": [{"name", "model", "cohort", "outcome", "trained_at", "trained_by", "n_train", "test_auroc"}]}.')
@click.pass_obj
def list_command(data: Path, as_json: bool) -> None:
    """The saved models."""
    from clinsearch.services import models
    from clinsearch.services.access import command_line

    found = models.models(command_line(data))
    if as_json:
        echo_json({"models": found})
        return
    if not found:
        out.print("no model saved yet (model train ... --save NAME)")
    for m in found:
        auroc = f"{m['test_auroc']:.3f}" if m["test_auroc"] is not None else "-"
        out.print(f"{escape(m['name'])}\t{m['model']}\t{escape(str(m['cohort']))} -> {escape(str(m['outcome']))}\tAUROC {auroc}\t{m['trained_at']}")


@model_group.command("show")
@click.argument("name")
@click.pass_obj
def show_command(data: Path, name: str) -> None:
    """A saved model's definition, evaluation and card, as JSON."""
    from clinsearch.services import models
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import ModelError

    try:
        echo_json(models.model(command_line(data), name))
    except ModelError as exc:
        fail(str(exc), code=2)
