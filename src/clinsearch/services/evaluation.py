"""Evaluating scores against outcomes: on a table the user brings (an upload, a file) or on a
cohort of the warehouse, as the principal may see it (counts under 10 blurred for researchers,
the report withheld when it would show them)."""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources

from clinsearch.cohort import labels
from clinsearch.cohort.definition import read
from clinsearch.evaluate.cohort import from_cohort
from clinsearch.evaluate.data import EvaluationError, dataset
from clinsearch.evaluate.defaults import DEFAULT_THRESHOLDS
from clinsearch.evaluate.data import load as load_table
from clinsearch.evaluate.report import render
from clinsearch.evaluate.report_words import say  # noqa: F401 -- for the web face: the warnings in the page's language
from clinsearch.evaluate.run import evaluate, probabilities
from clinsearch.model import saved
from clinsearch.model.features import Spec
from clinsearch.model.run import apply as apply_model
from clinsearch.services.access import AccessDenied, Request, audit, blur, require_patient_data, scope, spend_query
from clinsearch.services.disclosure import quotes_small_count, small, threshold, withheld_warnings
from clinsearch.warehouse.store import open_store

JOB_SECONDS = 900  # a finished job's page is kept this long
MAX_JOBS = 100  # kept at most (the oldest finished ones forgotten first)
MAX_UPLOAD = 50 * 1024 * 1024  # bytes: a table of scores of a million patients is a few tens of MB
COUNTS = ("n", "events", "rows", "flagged", "tp", "fp", "fn", "tn", "observed", "patients", "with_outcome", "not_computed")


def example_outcome() -> dict:
    """The outcome the evaluation form shows as an example: the demo's (MI or stroke in 10 years)."""
    return json.loads(resources.files("clinsearch.demo").joinpath("examples", "mace-outcome.json").read_text("utf-8"))


def outcome_criteria(outcome: dict, lang: str = "en") -> list[str]:
    """The outcome's criteria as the evaluation form lists them (``check`` first: raises
    DefinitionError for an outcome that cannot run): label and window from the index date, in ``lang``."""
    definition = read({"name": outcome.get("name") or "outcome", "inclusion": outcome.get("inclusion", [])}, indexed=True)
    return [labels.criterion(c, lang) + (f", {labels.window(c.window, lang)}" if c.window else "") for c in definition.inclusion]


def read_upload(name: str, content: bytes):
    """An uploaded file as an Arrow table (CSV or Parquet by its name), read from memory."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if len(content) > MAX_UPLOAD:
        raise EvaluationError(f"{name}: larger than {MAX_UPLOAD // 2**20} MB")
    if not content:
        raise EvaluationError(f"{name}: the file is empty")
    parquet = name.lower().endswith(".parquet")
    try:
        table = pq.read_table(io.BytesIO(content)) if parquet else None
        if table is None:
            content.decode("utf-8")
            table = pacsv.read_csv(io.BytesIO(content), convert_options=pacsv.ConvertOptions(strings_can_be_null=False))
        repeated = sorted({c for c in table.column_names if table.column_names.count(c) > 1})
        if repeated:
            raise EvaluationError(f"{name}: the column name(s) {', '.join(repeated)} appear more than once")
        return table
    except UnicodeDecodeError as exc:
        raise EvaluationError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except EvaluationError:
        raise
    except Exception as exc:  # noqa: BLE001 -- pyarrow's many parse errors: one clear message
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EvaluationError(f"{name}: cannot read it as {'Parquet' if parquet else 'CSV'}: {first}") from None


STEPS = ("reading", "scoring", "metrics", "report")  # what ``on_step`` is told, in this order


def evaluate_dataset(data, thresholds=None, rescale: str | None = None, report: bool = False, about: dict | None = None,
                     on_step=None, lang: str = "en") -> dict:
    """The measures of a dataset (``evaluate.data``); with ``report`` the HTML report under
    ``"report_html"`` (in ``lang``). No warehouse data: used as is for a file on the command line.
    ``on_step(name)``: told each of ``STEPS`` as it starts (the web page's progress)."""
    step = on_step or (lambda name: None)
    step("metrics")
    result = evaluate(data, thresholds or DEFAULT_THRESHOLDS, rescale)
    if about:
        result["cohort"] = about
    if report:
        step("report")
        result["report_html"] = render(data, result, probabilities(data, rescale)[0], lang=lang)
    return result


def evaluate_file(path, outcome: str, scores: list[str], groups: list[str] = (), thresholds=None, rescale: str | None = None,
                  report: bool = False) -> dict:
    """Evaluate the scores of a file on this machine (CSV or Parquet, one row per patient): the
    user's own table, no warehouse data read, nothing audited."""
    return evaluate_dataset(load_table(path, outcome, list(scores), list(groups)), thresholds, rescale, report)


def evaluate_table(request: Request, table, source: str, outcome: str, scores: list[str], groups: list[str] = (),
                   thresholds=None, rescale: str | None = None, report: bool = False, on_step=None, lang: str = "en") -> dict:
    """Evaluate scores the user brings (a table they uploaded): audited, no warehouse data read."""
    require_patient_data(request)
    audit(request, "evaluate", source, {"outcome": outcome, "scores": list(scores), "groups": list(groups)})
    if on_step:
        on_step("reading")
    return evaluate_dataset(dataset(table, source, outcome, list(scores), list(groups)), thresholds, rescale, report, on_step=on_step, lang=lang)


def evaluate_cohort(request: Request, cohort: dict, outcome: dict, score_name: str, *, region: str = "low", thresholds=None,
                    report: bool = False, on_step=None, lang: str = "en", model: str | None = None) -> dict:
    """Evaluate a score computed on a cohort of the warehouse against an outcome after each index
    date, as the principal may see it (``on_step``, ``lang``: as ``evaluate_dataset``); with
    ``model`` (a saved model's name), that model's predictions beside the score, compared on the
    same patients."""
    require_patient_data(request)
    definition = read(cohort)
    pipeline = saved.load(request.data, model) if model else None
    spend_query(request, definition.name)
    audit(request, "evaluate-cohort", definition.name, {"cohort": cohort, "outcome": outcome, "score": score_name, "region": region, "model": model})
    with open_store(request.data, read_only=True) as store:
        also = None
        if pipeline is not None:
            fitted, meta = pipeline

            def also(members):
                _, probabilities = apply_model(store, fitted, meta["columns"], Spec.of(meta["spec"]), members)
                return {f"model {model}": {int(p): float(v) for (p, _), v in zip(members, probabilities)}}

        data, about = from_cohort(store, request.data, definition, outcome, score_name, region=region, pseudonymised=not request.principal.identified,
                                  on_step=on_step, also=also, **scope(request))
    out = evaluate_dataset(data, thresholds, None, report, about, on_step=on_step, lang=lang)
    if not request.principal.identified:
        if small(out["n"]) or small(out["events"]) or small(out["n"] - out["events"]):
            # every measure (prevalence, net benefit, calibration) would let the small count follow
            raise AccessDenied(f"fewer than {threshold()} patients, events or non-events: the evaluation is not shown to the researcher role")
        blur_evaluation(out)
    return out


def blur_evaluation(out: dict) -> None:
    """The researcher's evaluation: every count suppressed or rounded (``disclosure``), wherever
    it is (groups, thresholds, the cohort); the measures of a group or threshold row resting on a
    small count (an O/E ratio, a net benefit, a PPV from 3 events) withheld with it; warnings
    quoting small counts withheld. The report, drawn from the exact counts, is withheld whenever
    any count is small."""
    found_small = _blur_counts(out)
    found_small = any(small(v) for v in out["missing"].values()) or found_small
    out["missing"] = {k: blur(v) for k, v in out["missing"].items()}
    if "cohort" in out:
        out["cohort"]["reasons"] = {k: blur(v) for k, v in out["cohort"]["reasons"].items()}
    warnings = withheld_warnings(out.get("warnings", []))
    if found_small and out.get("report_html"):
        out["report_html"] = None
        warnings.append(f"the report is withheld: it would show counts under {threshold()} to the researcher role")
    out["warnings"] = warnings


def _blur_counts(node) -> bool:
    """Blur the counts of ``node`` in place; a dict holding a small count loses its other measures."""
    found_small = False
    if isinstance(node, dict):
        here = False
        for key, value in node.items():
            if key in COUNTS and isinstance(value, int) and not isinstance(value, bool):
                here = here or small(value)
                node[key] = blur(value)
            elif isinstance(value, (dict, list)):
                found_small = _blur_counts(value) or found_small
            elif isinstance(value, str) and key == "warning" and quotes_small_count(value):
                node[key] = f"withheld: it quotes counts under {threshold()}"
        if here:
            for key, value in list(node.items()):
                if key not in COUNTS and isinstance(value, (int, float)) and not isinstance(value, bool):
                    node[key] = None  # a rate or ratio from a small count
        found_small = found_small or here
    elif isinstance(node, list):
        for item in node:
            found_small = _blur_counts(item) or found_small
    return found_small


# -- evaluations in the background: the web page shows their progress ---------------------------
@dataclass
class Job:
    """An evaluation running for one login session (``owner``): its current step (of
    ``STEPS``), and when done what it gave (``outcome()``: the page, or the error it raised)."""

    owner: str
    step: str | None = None
    done: bool = False
    finished: float = field(default=float("inf"))
    _result: dict | None = None
    _error: BaseException | None = None

    def outcome(self) -> dict:
        if self._error is not None:
            raise self._error
        return self._result or {}


_JOBS: dict[str, Job] = {}
_JOBS_LOCK = threading.Lock()
_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="clinsearch-evaluation")


def start_job(owner: str, work) -> str:
    """Run ``work(on_step)`` (an evaluation taking ``on_step``) in the background for ``owner``
    (the login session's token: no one else reads it); returns the job's id. The work does its
    own access checks and audit, as when run in the request."""
    job, state = secrets.token_urlsafe(16), Job(owner)
    with _JOBS_LOCK:
        now = time.monotonic()
        for key in [k for k, v in _JOBS.items() if now - v.finished > JOB_SECONDS]:
            del _JOBS[key]
        while len(_JOBS) >= MAX_JOBS:
            del _JOBS[min(_JOBS, key=lambda k: _JOBS[k].finished)]
        _JOBS[job] = state

    def run() -> None:
        try:
            state._result = work(lambda step: setattr(state, "step", step))
        except Exception as exc:  # noqa: BLE001 -- kept for the page, which raises it where the request would have
            state._error = exc
        finally:
            state.finished, state.done = time.monotonic(), True

    _WORKERS.submit(run)
    return job


def job(key: str, owner: str | None) -> Job | None:
    """The job ``key`` if ``owner`` started it."""
    with _JOBS_LOCK:
        found = _JOBS.get(key)
    return found if found is not None and owner is not None and secrets.compare_digest(found.owner, owner) else None
