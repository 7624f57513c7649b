"""Prediction models made on the hospital's own patients, as the principal may use them: train
(features at the index dates, a held-back evaluation, the card), save, list, apply to a cohort.

Training reads every patient of a cohort but returns only aggregates (sizes, weights, measures);
for a researcher the cohort is built pseudonymised, every count is blurred as in an evaluation,
and a model whose held-back patients hold fewer than 10 events or non-events is not shown
(every measure would let the small count follow). Applying a model returns one probability per
patient: person ids for clinicians, pseudonyms and shifted index dates for researchers. Each
request is audited before it reads.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import numpy as np

from clinsearch.cohort.definition import read
from clinsearch.config import secret_key
from clinsearch.evaluate.report import render
from clinsearch.model import saved
from clinsearch.model.card import card, card_html
from clinsearch.model.features import KINDS as FEATURE_KINDS
from clinsearch.model.features import Spec
from clinsearch.model.run import STEPS, apply, fit  # noqa: F401 -- STEPS: the web page's progress
from clinsearch.nlp.pseudonymize import date_shift
from clinsearch.services.access import AccessDenied, Request, audit, blur, pseudonym, require_patient_data, scope, spend_query
from clinsearch.services.disclosure import small, threshold
from clinsearch.services.evaluation import blur_evaluation
from clinsearch.warehouse.store import open_store

MODEL_KINDS = ("logistic", "gbm")
SPLITS = ("patient", "time")
COUNTS = ("n_train", "n_test", "events_train", "events_test")


def example(name: str) -> dict:
    """One of the demo's example definitions (the model form's defaults, the learning path's)."""
    return json.loads(resources.files("clinsearch.demo").joinpath("examples", name).read_text("utf-8"))


def train_model(request: Request, cohort: dict, outcome: dict, kind: str = "logistic", *, features: list[str] | None = None,
                lookback_days: int | None = None, qualified: str = "omit", split: str = "patient", seed: int = 42, balance: bool = False,
                save: str | None = None, report: bool = False, shuffle_outcome: bool = False, lang: str = "en", on_step=None) -> dict:
    """Train and evaluate a model; ``save``: under that name (``saved.py``); ``report``: the
    evaluation report of the held-back patients with the model card (``report_html``)."""
    require_patient_data(request)
    if save:
        saved.check_name(save)
    definition = read(cohort)
    spec = Spec(tuple(features or FEATURE_KINDS), lookback_days, 1, qualified)
    spend_query(request, definition.name)
    audit(request, "model-train", definition.name, {"cohort": cohort, "outcome": outcome, "model": kind, "features": spec.as_dict(),
                                                     "split": split, "save": save})
    name = save or "model"
    with open_store(request.data, read_only=True) as store:
        fitted = fit(store, request.data, definition, outcome, kind, spec=spec, split=split, seed=seed, balance=balance, name=name,
                     shuffle_outcome=shuffle_outcome, pseudonymised=not request.principal.identified, on_step=on_step, **scope(request))
    result = fitted.result
    result["card"] = card(result, cohort, outcome)
    if save:
        trained = fitted.trained
        # the columns as ``apply`` lays them out (a C-ordered copy): the same numbers in the same order give
        # the same floating-point sums, so that applying the saved model reproduces these exactly
        columns = np.ascontiguousarray(fitted.features.values[:, [fitted.features.names.index(c) for c in trained.columns]])
        predictions = trained.pipeline.predict_proba(columns)[:, 1]
        saved.save(request.data, save, trained.pipeline, {
            "result": result, "cohort": cohort, "outcome": outcome, "columns": trained.columns, "spec": spec.as_dict(),
            "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "trained_by": request.principal.username,
            "predictions": [{"person_id": int(p), "index_date": d.isoformat(), "probability": float(v)}
                            for p, d, v in zip(fitted.features.person_ids, fitted.features.index_dates, predictions)]})
        result["saved"] = save
    if report:
        page = render(fitted.test_data, result["test"], {name: fitted.trained.p_test}, lang=lang)
        result["report_html"] = page.replace("</body>", card_html(result["card"]) + "</body>", 1)
    if not request.principal.identified:
        _blur(result)
    return result


def _blur(result: dict) -> None:
    if small(result["events_test"]) or small(result["n_test"] - result["events_test"]):
        raise AccessDenied(f"fewer than {threshold()} events or non-events among the held-back patients: the model is not shown to the researcher role")
    for key in COUNTS:
        result[key] = blur(result[key])
    if "report_html" in result:  # withheld with the evaluation's when it would show a small count
        result["test"]["report_html"] = result.pop("report_html")
    blur_evaluation(result["test"])
    if "report_html" in result["test"]:
        result["report_html"] = result["test"].pop("report_html")
    result["card"]["data"]["patients"], result["card"]["data"]["events"] = blur(result["card"]["data"]["patients"]), blur(result["card"]["data"]["events"])
    result["card"]["training"]["sample"] = {k: blur(v) for k, v in result["card"]["training"]["sample"].items()}


def models(request: Request) -> list[dict]:
    """The saved models (name, kind, cohort, outcome, when, by whom, test AUROC)."""
    require_patient_data(request)
    return saved.listed(request.data)


def model(request: Request, name: str) -> dict:
    """A saved model's result and card (without its patients' predictions)."""
    require_patient_data(request)
    found = saved.definition(request.data, name)
    out = {k: v for k, v in found.items() if k != "predictions"}
    if not request.principal.identified:
        result = out["result"]
        for key in COUNTS:
            result[key] = blur(result[key])
        blur_evaluation(result["test"])
    return out


def apply_model(request: Request, name: str, cohort: dict) -> dict:
    """The saved model's probability for each patient of ``cohort`` at their index date."""
    require_patient_data(request)
    definition = read(cohort)
    pipeline, meta = saved.load(request.data, name)
    spend_query(request, definition.name)
    audit(request, "model-apply", definition.name, {"model": name, "cohort": cohort})
    from clinsearch.cohort.build import build

    with open_store(request.data, read_only=True) as store:
        members = build(store, request.data, definition, pseudonymised=not request.principal.identified, **scope(request)).members
        features, probabilities = apply(store, pipeline, meta["columns"], Spec.of(meta["spec"]), members) if members else (None, [])
    rows = [{"person_id": int(p), "index_date": d.isoformat(), "probability": float(v)} for (p, d), v in zip(members, probabilities)]
    if not request.principal.identified:
        secret = secret_key(request.data)
        rows = [{"person_id": pseudonym(request.data, r["person_id"]),
                 "index_date": (dt.date.fromisoformat(r["index_date"]) + dt.timedelta(days=date_shift(r["person_id"], secret))).isoformat(),
                 "probability": r["probability"]} for r in rows]
    return {"model": name, "cohort": definition.name, "n": len(rows) if request.principal.identified else blur(len(rows)), "patients": rows}

