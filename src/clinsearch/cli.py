"""The command line: parses, calls the service functions, prints. Nothing else.

Exit codes (DESIGN.md): 0 success, 1 bad data (something quarantined or unreadable), 2 usage
error; every failure prints a one-line reason on stderr naming the file and record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clinsearch import __version__
from clinsearch.config import data_dir
from clinsearch.files import OutputError, atomic
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.store import open_store

if TYPE_CHECKING:
    from clinsearch.ingest.detect import Source
    from clinsearch.ingest.run import IngestResult
    from clinsearch.warehouse.load import LoadSummary

# Each command imports what it uses: `clinsearch annotate` must not wait for DuckDB and Arrow.

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
@click.option("--no-nlp", is_flag=True, help="Do not run the NLP on new notes after the load.")
@click.pass_obj
def ingest_command(data: Path, paths: tuple[Path, ...], as_json: bool, no_nlp: bool) -> None:
    """Load files or folders (OMOP CSV/Parquet, FHIR, documents, DICOM, PubMed/JATS) into the warehouse.

    Formats are detected per file; folders are walked. Each file loads in one transaction;
    bad records go to the quarantine. New or changed notes then go through the NLP (unless
    --no-nlp), and the search index is brought up to date. Exit code 1 when anything was
    quarantined or unreadable.
    """
    from clinsearch.ingest.run import ingest

    nlp = None
    try:
        with open_store(data) as store, _ProgressReporter(enabled=not as_json) as reporter:
            result = ingest(store, list(paths), reporter)
            if not no_nlp and any(s.rows.get("note") for s in result.summaries):
                nlp = _run_nlp(store, show=not as_json)
            indexed = _run_index(store, data, show=not as_json)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({**result.as_dict(), "nlp": nlp.as_dict() if nlp else None, "index": indexed.as_dict()}, ensure_ascii=False, default=str))
    else:
        _print_summary(result)
        if nlp:
            _print_nlp(nlp)
        _print_index(indexed)
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
    from clinsearch.warehouse.stats import quarantine_summary, stats

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
@click.option("--no-nlp", is_flag=True, help="Do not run the NLP on the notes.")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the web application afterwards (on 127.0.0.1:8000).")
@click.pass_obj
def demo_command(data: Path, generate_only: Path | None, patients: int, notes: int, seed: int, no_nlp: bool, serve: bool) -> None:
    """Build the demo warehouse from a synthetic French hospital, show what it holds, create demo
    users and serve the web application."""
    from clinsearch.demo.generator import generate
    from clinsearch.demo.showcase import showcase
    from clinsearch.ingest.run import ingest

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
            if not no_nlp:
                _print_nlp(_run_nlp(store, show=True))
            _print_index(_run_index(store, data, show=True))
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
    _demo_users(data)
    _demo_cohorts(data)
    if serve and result.ok:
        _serve(data, "127.0.0.1", 8000)
    sys.exit(0 if result.ok else 1)


# Demo accounts of the synthetic hospital only (never created outside `clinsearch demo`).
DEMO_USERS = (("clinicien", "clinician", "demo-clinicien"), ("chercheur", "researcher", "demo-chercheur"), ("admin", "admin", "demo-admin-2024"))


def _demo_users(data: Path) -> None:
    from clinsearch.security.users import Users

    users = Users(data)
    try:
        existing = {u["username"] for u in users.list()}
        for name, role, password in DEMO_USERS:
            if name not in existing:
                users.add(name, password, role)
    finally:
        users.close()
    out.print("demo users (web application): " + ", ".join(f"{name} / {password} ({role})" for name, role, password in DEMO_USERS))


def _demo_cohorts(data: Path) -> None:
    """The demo's example cohort, saved (the evaluation page offers it)."""
    from importlib import resources

    from clinsearch.cohort.saved import SavedCohorts

    saved = SavedCohorts(data)
    try:
        examples = resources.files("clinsearch.demo").joinpath("examples")
        definition = json.loads(examples.joinpath("score2-cohort.json").read_text("utf-8"))
        if saved.get(definition["name"]) is None:
            saved.save(definition, "demo")
    finally:
        saved.close()
    out.print("evaluate SCORE2 on the demo: clinsearch --data " + str(data) + " evaluate --cohort src/clinsearch/demo/examples/score2-cohort.json "
              "--score-name score2 --outcome-definition src/clinsearch/demo/examples/mace-outcome.json --report score2.html", soft_wrap=True)


@main.command("nlp")
@click.option("--processes", type=click.IntRange(min=1), help="Worker processes [default: one per core].")
@click.option("--spark", is_flag=True, help="Annotate in Apache Spark (pyspark) instead of local worker processes.")
@click.option("--master", default="local[*]", show_default=True, help="Spark master URL (with --spark).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_obj
def nlp_command(data: Path, processes: int | None, spark: bool, master: str, as_json: bool) -> None:
    """Run the clinical NLP on every new or changed note, write note_nlp, update the search index."""
    try:
        with open_store(data) as store:
            if spark:
                from clinsearch.nlp.spark import run_spark_nlp

                summary = run_spark_nlp(store, master)
            else:
                summary = _run_nlp(store, show=not as_json, processes=processes)
            indexed = _run_index(store, data, show=not as_json)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({**summary.as_dict(), "index": indexed.as_dict()}))
    else:
        _print_nlp(summary)
        _print_index(indexed)


@main.command("index")
@click.option("--rebuild", is_flag=True, help="Start from an empty index instead of updating the one there.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_obj
def index_command(data: Path, rebuild: bool, as_json: bool) -> None:
    """Bring the search index up to date with the warehouse (ingest and nlp do it themselves)."""
    try:
        with open_store(data) as store:
            summary = _run_index(store, data, show=not as_json, rebuild=rebuild)
    except WarehouseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    else:
        _print_index(summary)


@main.command("search")
@click.argument("query")
@click.option("--patients", is_flag=True, help="Rank patients (the query over each one's whole record) as well as documents.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Results per page.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0), help="Results to skip (paging).")
@click.option("--json", "as_json", is_flag=True, help='Print {"documents": [...], "patients": [...], "facets": {...}, ...}.')
@click.pass_obj
def search_command(data: Path, query: str, patients: bool, limit: int, offset: int, as_json: bool) -> None:
    """Search notes, imaging studies and articles in medical language.

    \b
    Bare words find affirmed mentions about the patient (not "pas de ...",
    "suspicion de ...", nor the family's); synonyms, abbreviations and codes
    are expanded (EP = embolie pulmonaire = I26).
      "exact phrase"   -term (exclude)   a OR b   ( ... )
      neg:  hyp:  fam:  any:   search negated, hypothetical, family, all mentions
      =term            no expansion
      type:CRH  department:cardio  after:2020-01  before:2024  code:E11
      patient:ID  source:notes|imaging|articles
    """
    from clinsearch.search.engine import SearchError, search
    from clinsearch.search.query import QueryError

    try:
        result = search(data, query, patients=patients, limit=limit, offset=offset)
    except QueryError as exc:
        fail(f"query: {exc}", code=2)
    except SearchError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    _print_search(result)


@main.command("cohort")
@click.argument("definition", required=False)
@click.option("--compare", "compare", metavar="DEFINITION", help="A second cohort to describe side by side (file or saved name).")
@click.option("--export", "export_path", type=click.Path(path_type=Path), help="Write the cohort: FILE.csv or FILE.parquet (one row per patient), or a folder (OMOP tables as Parquet).")
@click.option("--pseudonymised", is_flag=True, help="As a researcher sees it: pseudonyms, shifted dates, counts under 10 blurred.")
@click.option("--save", is_flag=True, help="Save the definition under its name (re-run it later by that name).")
@click.option("--list", "list_saved", is_flag=True, help="List the saved cohorts.")
@click.option("--json", "as_json", is_flag=True, help='Print {"name", "size", "attrition": [...], "table_one": {...}, "patients": [...], ...}.')
@click.pass_obj
def cohort_command(data: Path, definition: str | None, compare: str | None, export_path: Path | None, pseudonymised: bool,
                   save: bool, list_saved: bool, as_json: bool) -> None:
    """Build a cohort from inclusion and exclusion criteria on text and coded data.

    \b
    DEFINITION is a JSON file (schema: docs/cohorts.md) or the name of a saved
    cohort. Criteria: demographics, condition (CIM-10, I21*), measurement (LOINC,
    threshold and unit), drug (ATC), procedure (CCAM), imaging, visit, and text
    (any search query, negation-aware), each with a window in days around the
    index event and an occurrence count. Prints the attrition table and Table 1.
    Every export is written to the audit log.
    """
    import getpass

    from clinsearch.cohort.definition import DefinitionError
    from clinsearch.search.engine import SearchError
    from clinsearch.security import access
    from clinsearch.security.users import Principal

    role = "researcher" if pseudonymised else "clinician"
    request = access.Request(data, Principal(f"{getpass.getuser()} (command line)", role), "command line")
    if list_saved:
        saved = access.saved_cohorts(request)
        if as_json:
            click.echo(json.dumps({"cohorts": saved}, ensure_ascii=False))
        for item in saved if not as_json else []:
            out.print(f"{item['id']:>4}  {item['name']}  [dim]{item['author']}, {item['updated_at']}[/dim]")
        return
    if definition is None:
        raise click.UsageError("give a DEFINITION (a JSON file or a saved cohort's name), or --list")
    try:
        raw = _definition(data, definition)
        second = _definition(data, compare) if compare else None
        if save:
            access.save_cohort(request, raw)
        result = access.cohort(request, raw, compare=second, export_to=export_path)
    except DefinitionError as exc:
        fail(str(exc), code=2)
    except (OutputError, WarehouseError, access.NotFound) as exc:
        fail(str(exc))
    except SearchError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    _print_cohort(result)


def _definition(data: Path, given: str) -> dict:
    """A definition from a JSON file, else the saved cohort of that name or id."""
    from clinsearch.cohort.definition import DefinitionError, load
    from clinsearch.cohort.saved import SavedCohorts

    path = Path(given)
    if path.exists() or given.endswith(".json"):
        return load(path).raw
    saved = SavedCohorts(data)
    try:
        found = saved.get(given)
    finally:
        saved.close()
    if found is None:
        raise DefinitionError(f"{given}: no such file, and no saved cohort of that name")
    return found["definition"]


def _print_cohort(result: dict) -> None:
    from rich.markup import escape

    out.print(f"[bold]{escape(result['name'])}[/bold]: {result['size']} patients ({result['seconds']:.2f} s)")
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


@main.command("evaluate")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--outcome", help="Outcome column (0/1, true/false, yes/no).")
@click.option("--score", "scores", multiple=True, help="Score column (repeatable: two are compared).")
@click.option("--group", "groups", multiple=True, help="Subgroup column (repeatable): every measure per group, and the gaps.")
@click.option("--threshold", "thresholds", multiple=True, type=float, help="Risk threshold of the threshold table (repeatable) [default: 0.05 0.1 0.2].")
@click.option("--rescale", type=click.Choice(["percent", "logistic"]), help="Scores outside [0, 1]: divide by 100, or map with a logistic regression fitted on these data.")
@click.option("--cohort", "cohort_file", type=click.Path(path_type=Path), help="Evaluate on a cohort of the warehouse instead of a file (a definition, see 'clinsearch cohort').")
@click.option("--score-name", help="With --cohort: the score computed for each patient at the index date (e.g. score2).")
@click.option("--outcome-definition", "outcome_file", type=click.Path(path_type=Path), help='With --cohort: JSON {"name", "inclusion": [criteria]} with windows from the index date.')
@click.option("--region", default="low", show_default=True, type=click.Choice(["low", "moderate", "high", "very_high"]), help="With --cohort: ESC risk region of SCORE2.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write the HTML report for clinicians (self-contained) here.")
@click.option("--json", "as_json", is_flag=True, help='Print {"n", "events", "missing", "scores": {...}, "groups": {...}, "comparison": {...}}.')
@click.pass_obj
def evaluate_command(data: Path, file: Path | None, outcome: str | None, scores: tuple[str, ...], groups: tuple[str, ...], thresholds: tuple[float, ...],
                     rescale: str | None, cohort_file: Path | None, score_name: str | None, outcome_file: Path | None, region: str,
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
    from clinsearch.cohort.definition import DefinitionError, load
    from clinsearch.evaluate.data import EvaluationError
    from clinsearch.evaluate.data import load as load_table
    from clinsearch.evaluate.run import evaluate
    from clinsearch.scores.model import ScoreInputError

    about = None
    try:
        if cohort_file is not None:
            if file is not None or scores or outcome:
                raise click.UsageError("--cohort replaces FILE, --outcome and --score (use --score-name and --outcome-definition)")
            if not score_name or outcome_file is None:
                raise click.UsageError("--cohort needs --score-name and --outcome-definition")
            from clinsearch.evaluate.cohort import from_cohort

            outcome_raw = _json_file(outcome_file)
            with open_store(data, read_only=True) as store:
                dataset, about = from_cohort(store, data, load(cohort_file), outcome_raw, score_name, region=region)
        else:
            if file is None or not outcome or not scores:
                raise click.UsageError("give FILE --outcome COL --score COL (or --cohort ...)")
            if len(scores) > 2:
                raise click.UsageError("at most two --score columns (they are compared)")
            dataset = load_table(file, outcome, list(scores), list(groups))
        result = evaluate(dataset, thresholds or (0.05, 0.1, 0.2), rescale)
        if about:
            result["cohort"] = about
        if report_path:
            from clinsearch.evaluate.report import render
            from clinsearch.evaluate.run import probabilities

            html = render(dataset, result, probabilities(dataset, rescale)[0])
            atomic(report_path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    except (EvaluationError, DefinitionError, ScoreInputError) as exc:
        fail(str(exc), code=1 if isinstance(exc, EvaluationError) else 2)
    except (WarehouseError, OutputError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    _print_evaluation(result, report_path)


def _json_file(path: Path) -> dict:
    from clinsearch.cohort.definition import DefinitionError

    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot read a JSON object ({exc})") from exc
    if not isinstance(found, dict):
        raise DefinitionError(f"{path}: a JSON object is expected")
    return found


def _print_evaluation(result: dict, report_path: Path | None) -> None:
    from rich.markup import escape

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
            pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"  # noqa: E731
            out.print(f"{escape(name)} >= {t['threshold']:g}: flagged {t['flagged']}, sensitivity {pct(t['sensitivity'])}, "
                      f"specificity {pct(t['specificity'])}, PPV {pct(t['ppv'])}, NPV {pct(t['npv'])}")
    for warning in result["warnings"]:
        out.print(f"[yellow]warning[/yellow] {escape(warning)}")
    if report_path:
        out.print(f"report: {escape(str(report_path))}")


@main.command("score")
@click.argument("name")
@click.option("--patient", "person_id", type=int, help="Compute it for this patient (person_id), from the warehouse.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Calculator mode: an input (repeatable), e.g. --set age=55 --set sex=male.")
@click.option("--region", default="low", show_default=True, type=click.Choice(["low", "moderate", "high", "very_high"]), help="ESC risk region (France: low).")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d"]), help="Compute as of this date [default: today].")
@click.option("--max-age-days", default=5 * 365, show_default=True, type=click.IntRange(min=1), help="Inputs older than this are flagged stale.")
@click.option("--cohort", "cohort_file", type=click.Path(path_type=Path), help="Compute it for every patient of a cohort (a definition), at each index date.")
@click.option("--export", "export_path", type=click.Path(path_type=Path), help="With --cohort: write the rows to FILE.csv or FILE.parquet.")
@click.option("--json", "as_json", is_flag=True, help='Print {"score", "value", "unit", "category", "inputs": [...], "missing": [...], "reference", ...}.')
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
    Exit code 1 when the score cannot be computed (the reasons are listed).
    """
    from clinsearch.scores.model import ScoreInputError
    from clinsearch.scores.registry import compute, compute_for_patient

    if cohort_file is not None:
        if person_id is not None or settings:
            raise click.UsageError("--cohort replaces --patient and --set")
        _score_cohort(data, name, cohort_file, region, export_path, as_json)
        return
    if export_path is not None:
        raise click.UsageError("--export goes with --cohort")
    if (person_id is None) == (not settings):
        raise click.UsageError("give either --patient ID, --set KEY=VALUE ... or --cohort DEFINITION")
    try:
        if person_id is not None:
            with open_store(data, read_only=True) as store:
                result = compute_for_patient(store, name, person_id, at=at.date() if at else None, region=region, max_age_days=max_age_days)
        else:
            given = dict(_key_value(item) for item in settings)
            given.setdefault("region", region)
            result = compute(name, given)
    except ScoreInputError as exc:
        fail(str(exc), code=2)
    except (LookupError, WarehouseError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_score(result)
    if not result.computed:
        err.print(f"[red]error:[/red] {result.score}: " + "; ".join(f"{m['name']}: {m['reason']}" for m in result.missing), soft_wrap=True)
        sys.exit(1)


def _score_cohort(data: Path, name: str, cohort_file: Path, region: str, export_path: Path | None, as_json: bool) -> None:
    import getpass
    from collections import Counter

    import pyarrow.parquet as pq

    from clinsearch.cohort.definition import DefinitionError, load
    from clinsearch.scores.cohort import score_cohort, table
    from clinsearch.scores.model import ScoreInputError
    from clinsearch.security import access
    from clinsearch.security.users import Principal

    try:
        definition = load(cohort_file)
        with open_store(data, read_only=True) as store:
            rows = score_cohort(store, data, name, definition, region=region)
    except (DefinitionError, ScoreInputError) as exc:
        fail(str(exc), code=2)
    except WarehouseError as exc:
        fail(str(exc))
    if export_path is not None:
        form = export_path.suffix.lower()
        if form not in (".csv", ".parquet"):
            fail(f"{export_path}: write .csv or .parquet", code=2)
        request = access.Request(data, Principal(f"{getpass.getuser()} (command line)", "clinician"), "command line")
        access.audit(request, "score-export", f"{name} {definition.name}", {"path": str(export_path), "patients": len(rows)})
        import pyarrow.csv as pacsv

        found = table(rows)
        try:
            atomic(export_path, lambda tmp: pq.write_table(found, tmp) if form == ".parquet" else pacsv.write_csv(found, tmp))
        except OutputError as exc:
            fail(str(exc))
    computed = [r for r in rows if r["value"] is not None]
    summary = {"score": name, "cohort": definition.name, "patients": len(rows), "computed": len(computed),
               "categories": dict(Counter(r["category"] for r in computed)),
               "not_computed": dict(Counter(r["not_computed_because"].split(":")[0] for r in rows if r["value"] is None)),
               "export": str(export_path) if export_path else None}
    if as_json:
        click.echo(json.dumps({**summary, "rows": rows}, ensure_ascii=False, default=str))
        return
    out.print(f"[bold]{name}[/bold] over cohort {definition.name!r}: {len(computed)} of {len(rows)} patients computed")
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


def _print_score(result) -> None:
    from rich.markup import escape

    who = f" for patient {result.person_id}" if result.person_id is not None else ""
    if result.computed:
        out.print(f"[bold]{result.model}[/bold]{who}: [bold]{result.value:.1f} {result.unit}[/bold] ({result.category})")
    else:
        out.print(f"[bold]{result.model}[/bold]{who}: not computed")
    table = Table(title="inputs")
    for column in ("input", "value", "unit", "date", "source"):
        table.add_column(column, overflow="fold")
    for i in result.inputs:
        table.add_row(i.name, str(i.value), i.unit or "", str(i.date or ""), escape(i.source))
    out.print(table)
    for m in result.missing:
        out.print(f"[red]missing[/red] {m['name']}: {escape(m['reason'])}")
    for s in result.stale:
        out.print(f"[yellow]stale[/yellow] {escape(s)}")
    for n in result.notes:
        out.print(f"[dim]{escape(n)}[/dim]")
    out.print(f"[dim]{escape(result.reference)} ({result.version})[/dim]", soft_wrap=True)


@main.group("user")
def user_group() -> None:
    """Local users of the web application and API (roles: clinician, researcher, admin)."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["clinician", "researcher", "admin"]), help="What the user may see.")
@click.option("--department", "departments", multiple=True, help="Clinician restricted to this department (repeatable).")
@click.option("--patient", "patients", multiple=True, type=int, help="Clinician restricted to this patient (repeatable).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters [prompted when not given].")
@click.pass_obj
def user_add_command(data: Path, username: str, role: str, departments: tuple[str, ...], patients: tuple[int, ...], password: str) -> None:
    """Create a user; the password is stored as an argon2id hash."""
    from clinsearch.security.users import UserError, Users

    users = Users(data)
    try:
        users.add(username, password, role, list(departments), list(patients))
    except UserError as exc:
        fail(str(exc), code=2)
    finally:
        users.close()
    out.print(f"user {username} added ({role}" + (f"; departments {', '.join(departments)}" if departments else "") + (f"; patients {', '.join(map(str, patients))}" if patients else "") + ")")


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the users as one JSON object.")
@click.pass_obj
def user_list_command(data: Path, as_json: bool) -> None:
    """The users, their roles and restrictions (never their passwords)."""
    from clinsearch.security.users import Users

    users = Users(data)
    try:
        rows = users.list()
    finally:
        users.close()
    if as_json:
        click.echo(json.dumps({"users": rows}, ensure_ascii=False))
        return
    table = Table(title="users")
    for column in ("username", "role", "departments", "patients", "created_at"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["username"], r["role"], ", ".join(r["departments"]), ", ".join(map(str, r["patients"])), r["created_at"][:19])
    out.print(table)


@main.group("audit")
def audit_group() -> None:
    """The audit log of every access to patient data."""


@audit_group.command("verify")
@click.pass_obj
def audit_verify_command(data: Path) -> None:
    """Check the hash chain: exit 1 and say where when an entry was edited or deleted."""
    from clinsearch.security.audit import AuditLog

    log = AuditLog(data)
    try:
        result = log.verify()
    finally:
        log.close()
    if result.ok:
        out.print(f"audit log intact: {result.entries:,} entries")
        return
    for problem in result.problems:
        err.print(f"[red]error:[/red] audit log: {problem}", soft_wrap=True)
    sys.exit(1)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default: nothing leaves the machine).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def serve_command(data: Path, host: str, port: int) -> None:
    """Serve the web application and the REST API on this machine."""
    _serve(data, host, port)


def _serve(data: Path, host: str, port: int) -> None:
    import uvicorn

    from clinsearch.api.app import create_app

    out.print(f"clinsearch serving {data} on http://{host}:{port}  (web: /, API: /api/v1, schema: /openapi.json)")
    uvicorn.run(create_app(data), host=host, port=port, log_level="warning")


@main.command("annotate")
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Annotate the text of this file.")
@click.option("--lines", "lines", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Annotate each line of this file on its own (plain text, or JSON {\"text\", \"terms\"}); one JSON object per line.")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language of the text [default: detected].")
@click.option("--term", "terms", multiple=True, help="A target phrase to find and qualify (repeatable).")
@click.option("--json", "as_json", is_flag=True, help='Print {"entities": [...]}.')
def annotate_command(text: str | None, file: Path | None, lines: Path | None, lang: str | None, terms: tuple[str, ...], as_json: bool) -> None:
    """Show what the NLP understands in a text: entities, codes, negation, hypothesis, family, history."""
    from clinsearch.nlp.annotate import annotate
    from clinsearch.nlp.language import detect

    if sum(x is not None for x in (text, file, lines)) != 1:
        raise click.UsageError("give exactly one of TEXT, --file F or --lines F")
    try:
        if lines is not None:
            for number, line in enumerate(_read_text(lines).splitlines(), start=1):
                line_text, line_terms = _line(line, lines, number)
                entities = annotate(line_text, lang or detect(line_text), (*terms, *line_terms))
                click.echo(json.dumps({"entities": [_public(e) for e in entities]}, ensure_ascii=False))
            return
        body = text if text is not None else _read_text(file)
        entities = annotate(body, lang or detect(body), terms)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({"entities": [_public(e) for e in entities]}, ensure_ascii=False))
        return
    table = Table(title="entities")
    for column in ("text", "label", "code", "negated", "hypothesis", "family", "history", "section"):
        table.add_column(column, overflow="fold")
    for e in entities:
        table.add_row(e.text, e.label, e.code or "", *("yes" if v else "" for v in (e.negated, e.hypothesis, e.family, e.history)), e.section or "")
    out.print(table)


def _read_text(path: Path) -> str:
    from clinsearch.ingest.values import decode_text

    try:
        return decode_text(path.read_bytes())[0]
    except ValueError as exc:
        fail(f"{path}: {exc}")


def _line(line: str, path: Path, number: int) -> tuple[str, list[str]]:
    if not line.lstrip().startswith("{"):
        return line, []
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        fail(f"{path}: line {number}: malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        fail(f"{path}: line {number}: expected a JSON object with a 'text' string")
    terms = value.get("terms") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        fail(f"{path}: line {number}: 'terms' must be a list of strings")
    return value["text"], terms


def _public(entity) -> dict:
    """The annotate JSON contract: text, start, end, label, code, negated, hypothesis, family, history (+ the rest)."""
    return entity.as_dict()


def _run_nlp(store, show: bool, processes: int | None = None):
    from clinsearch.nlp.run import run_nlp

    if not show or not err.is_terminal:
        if show:
            err.print("nlp: annotating new or changed notes ...")
        return run_nlp(store, processes=processes)
    with Progress(TextColumn("[bold]nlp"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("nlp", total=None)
        return run_nlp(store, processes=processes, on_progress=lambda done, total: bar.update(task, completed=done, total=total))


def _run_index(store, data: Path, show: bool, rebuild: bool = False):
    from clinsearch.search.index import update

    if not show or not err.is_terminal:
        return update(store, data, rebuild=rebuild)
    with Progress(TextColumn("[bold]index"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("index", total=None)
        return update(store, data, rebuild=rebuild, on_progress=lambda done, total: bar.update(task, completed=done, total=total))


def _print_index(summary) -> None:
    what = "rebuilt" if summary.rebuilt else "updated"
    out.print(f"index: {what}, {summary.added:,} document(s) indexed, {summary.removed:,} removed, {summary.documents:,} in the index ({summary.seconds:.1f} s)")


CONTEXT_STYLES = {"affirmed": "green", "negated": "red", "hypothetical": "yellow", "family": "magenta"}


def _print_search(result) -> None:
    from rich.markup import escape

    shown = f"{result.offset + 1}-{result.offset + len(result.documents)}" if result.documents else "0"
    out.print(f"[bold]{result.total:,}[/bold] document(s) for [bold]{escape(result.query)}[/bold] (showing {shown})")
    for e in result.expansions:
        out.print(f"  [dim]{escape(e['query'])} = {escape(', '.join(e['terms'] + e['codes']))}[/dim]", soft_wrap=True)
    for rank, d in enumerate(result.documents, start=result.offset + 1):
        who = f"patient {d.person_id}" if d.person_id is not None else d.department or ""
        out.print(f"\n{rank}. [bold]{escape(d.title)}[/bold]  {d.date or ''}  {escape(d.type)}  {escape(who)}  [dim]{d.source} {d.id}  score {d.score:.2f}[/dim]")
        for snip in d.snippets:
            style = CONTEXT_STYLES.get(snip.context, "white")
            out.print(f"   [{style}]{snip.context:>12}[/{style}]  " + _highlighted(snip), soft_wrap=True)
    if result.patients is not None:
        table = Table(title=f"{result.patients_total:,} patient(s)")
        for column in ("person_id", "documents", "coded data", "last document"):
            table.add_column(column, justify="right")
        for p in result.patients:
            table.add_row(str(p.person_id), str(p.hits), "yes" if p.coded else "", str(p.last_date or ""))
        out.print(table)
    for name, values in result.facets.items():
        if values:
            out.print(f"[dim]{name}: " + escape(", ".join(f"{k} {v}" for k, v in values.items())) + "[/dim]", soft_wrap=True)


def _highlighted(snippet) -> str:
    from rich.markup import escape

    parts, at = [], 0
    for start, end in snippet.highlights:
        parts.append(escape(snippet.text[at:start]) + "[bold reverse]" + escape(snippet.text[start:end]) + "[/bold reverse]")
        at = end
    return "".join(parts) + escape(snippet.text[at:])


def _print_nlp(summary) -> None:
    skipped = ", ".join(f"{reason}: {count}" for reason, count in summary.skipped.items())
    out.print(
        f"nlp: {summary.processed:,} note(s) annotated, {summary.entities:,} entities written to note_nlp"
        + (f", skipped {skipped}" if skipped else "")
        + f" ({summary.seconds:.1f} s)"
    )


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
