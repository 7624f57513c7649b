"""The models pages: the saved models, a form to create one (a cohort, an outcome, a kind of
model), its evaluation on held-back patients with its card, and a saved model's page. Training
runs as a background job whose steps the page shows (``evaluate.js``, shared with the
evaluation page); without JavaScript the form posts and the page answers when done."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from clinsearch.services import access, cohorts, evaluation, models
from clinsearch.services.errors import AccessDenied, DefinitionError, ModelError, QueryError, SearchError, TrainingError
from clinsearch.web import jobs
from clinsearch.web.face import Face, form, lang, refusal


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/models")
    def models_page(request: Request) -> Response:
        return face.page(request, "models.html", build=lambda service: _state(service, {}, None))

    @routes.post("/models")
    async def models_train(request: Request) -> Response:
        fields = await _fields(request, face)
        if isinstance(fields, Response):
            return fields
        return await run_in_threadpool(face.page, request, "models.html", build=lambda service: _train(service, fields, None, lang(request)))

    @routes.post("/models/jobs")
    async def models_job(request: Request) -> Response:
        fields = await _fields(request, face)
        if isinstance(fields, Response):
            return JSONResponse({"error": "not logged in"}, status_code=403)
        found, principal = face.current(request)
        service, language = access.Request(face.data, principal, found.purpose), lang(request)
        job = evaluation.start_job(found.token, lambda on_step: _train(service, fields, on_step, language))
        return JSONResponse({"job": job, "progress": f"/models/jobs/{job}", "page": f"/models/jobs/{job}/page"}, status_code=202)

    jobs.add(routes, face, "/models", models.STEPS, "models.html")

    @routes.get("/models/{name}")
    def model_page(request: Request, name: str) -> Response:
        def build(service):
            found = models.model(service, name[:64])
            return {"shown": found["result"], "saved_model": found, "card": found["result"].get("card"), "report": None}

        return face.page(request, "model.html", build=build)


async def _fields(request: Request, face: Face):
    fields = await form(request)
    return refusal(face, request, fields) or fields


def _train(service: access.Request, fields: dict, on_step, language: str) -> dict:
    try:
        cohort = _json(fields.get("cohort", ""), "cohort")
        if fields.get("saved_cohort"):
            cohort = cohorts.saved_cohorts(service, fields["saved_cohort"][:200])["definition"]
        outcome = _json(fields.get("outcome", ""), "outcome")
        lookback = fields.get("lookback", "").strip()
        result = models.train_model(service, cohort, outcome, fields.get("model", "logistic") if fields.get("model") in models.MODEL_KINDS else "logistic",
                                    split=fields.get("split") if fields.get("split") in models.SPLITS else "patient",
                                    qualified="separate" if fields.get("qualified") == "separate" else "omit",
                                    lookback_days=int(lookback) if lookback.isdigit() and int(lookback) > 0 else None,
                                    shuffle_outcome=fields.get("shuffle") == "on", save=fields.get("save", "").strip() or None,
                                    report=True, lang=language, on_step=on_step)
    except (DefinitionError, QueryError, SearchError, TrainingError, ModelError, AccessDenied) as exc:
        return _state(service, fields, str(exc))
    return {**_state(service, fields, None), "shown": result, "report": result.pop("report_html", None)}


def _json(text: str, what: str) -> dict:
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{what}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(found, dict):
        raise DefinitionError(f"{what}: a JSON object is expected")
    return found


def _state(service: access.Request, fields: dict, error: str | None) -> dict:
    cohort = fields.get("cohort") or json.dumps(models.example("model-cohort.json"), ensure_ascii=False, indent=1)
    outcome = fields.get("outcome") or json.dumps(models.example("cv-outcome.json"), ensure_ascii=False, indent=1)
    return {"fields": fields, "error": error, "saved_models": models.models(service), "saved": cohorts.saved_cohorts(service),
            "cohort_json": cohort, "outcome_json": outcome, "shown": None, "report": None, "steps": models.STEPS}
