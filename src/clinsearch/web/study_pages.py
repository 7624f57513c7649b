"""The researcher's pages: cohorts (built criterion by criterion, counted live, run, saved, exported) and the evaluation of an algorithm."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from clinsearch.services import access, cohorts, evaluation, models
from clinsearch.services.choices import DEFAULT_THRESHOLDS
from clinsearch.services.errors import AccessDenied, DefinitionError, EvaluationError, ModelError, QueryError, SearchError
from clinsearch.web import cohort_form, jobs
from clinsearch.web.face import Face, form, lang, refusal
from clinsearch.web.i18n import words


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/cohorts")
    def cohorts_page(request: Request, saved: str = "") -> Response:
        def build(service):
            found = cohorts.saved_cohorts(service, saved[:200]) if saved else None
            current = found["definition"] if found else {"name": words(lang(request))["new_cohort"]}
            return _cohort_state(service, current, run=bool(found), lang=lang(request))

        return face.page(request, "cohorts.html", build=build)

    @routes.post("/cohorts")
    async def cohorts_step(request: Request) -> Response:
        """One step of the form: add or remove a criterion, run, save or export."""
        fields = await form(request)
        if (refused := refusal(face, request, fields)) is not None:
            return refused
        action = fields.get("action", "")
        if action.startswith("export-"):
            return await run_in_threadpool(_export_step, face.data, face.current(request), fields, action.removeprefix("export-"))

        def build(service):
            try:
                definition = cohort_form.definition(fields.get("definition", ""), fields.get("name", ""))
                if action == "add":
                    definition = cohort_form.with_criterion(definition, fields.get("section", "inclusion"), cohort_form.criterion(fields))
                    cohorts.check(definition)
                elif action.startswith("remove:"):
                    _, section, position = (action.split(":") + ["", ""])[:3]
                    definition = cohort_form.without(definition, section, int(position) if position.isdigit() else 0)
                elif action == "save":
                    cohorts.save_cohort(service, definition)
            except (DefinitionError, QueryError, SearchError) as exc:
                state = _cohort_state(service, cohort_form.definition(fields.get("definition", ""), fields.get("name", "")), run=False, lang=lang(request))
                return {**state, "error": str(exc), "fields": fields}
            return {**_cohort_state(service, definition, run=action == "run", lang=lang(request)), "saved_now": action == "save"}

        return await run_in_threadpool(face.page, request, "cohorts.html", build=build)

    @routes.post("/cohorts/preview")
    async def cohorts_preview(request: Request) -> Response:
        """The live count of the form: how many patients remain with the criterion being written
        (one audit entry per editing session of the page: ``cohorts.preview``)."""
        fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        found, principal = face.current(request)
        if found is None or not secrets.compare_digest(found.csrf, fields.get("csrf_token", "")):
            return JSONResponse({"error": "not logged in"}, status_code=403)

        def count() -> dict:
            service = access.Request(face.data, principal, found.purpose)
            try:
                base = definition = cohort_form.definition(fields.get("definition", ""), fields.get("name", ""))
                if fields.get("type"):
                    definition = cohort_form.with_criterion(definition, fields.get("section", "inclusion"), cohort_form.criterion(fields))
                result = cohorts.preview(service, definition, base, fields.get("preview_session", ""), lang(request))
            except (DefinitionError, QueryError, SearchError, AccessDenied) as exc:
                return {"error": str(exc)}
            return {"count": result["size"], "label": result["attrition"][-1]["label"]}

        return JSONResponse(await run_in_threadpool(count))

    @routes.get("/evaluate")
    def evaluate_page(request: Request) -> Response:
        return face.page(request, "evaluate.html", build=lambda service: _evaluate_state(service, {}, None, lang=lang(request)))

    @routes.post("/evaluate")
    async def evaluate_step(request: Request) -> Response:
        """Evaluate an uploaded file or a cohort of the warehouse; answers with the report (the
        page without JavaScript: ``evaluate.js`` runs the same work as a job, with its progress)."""
        fields, name, content = await _evaluate_form(request)
        if (refused := refusal(face, request, fields)) is not None:
            return refused
        return await run_in_threadpool(face.page, request, "evaluate.html",
                                       build=lambda service: _evaluation(service, fields, name, content, None, lang(request)))

    @routes.post("/evaluate/jobs")
    async def evaluate_job(request: Request) -> Response:
        """The same evaluation in the background: answers at once with the job's addresses
        (its progress as JSON, then its page), for ``evaluate.js`` to poll."""
        fields, name, content = await _evaluate_form(request)
        found, principal = face.current(request)
        if found is None or not secrets.compare_digest(found.csrf, fields.get("csrf_token", "")):
            return JSONResponse({"error": "not logged in"}, status_code=403)
        service, language = access.Request(face.data, principal, found.purpose), lang(request)
        job = evaluation.start_job(found.token, lambda on_step: _evaluation(service, fields, name, content, on_step, language))
        return JSONResponse({"job": job, "progress": f"/evaluate/jobs/{job}", "page": f"/evaluate/jobs/{job}/page"}, status_code=202)

    jobs.add(routes, face, "/evaluate", evaluation.STEPS, "evaluate.html")


async def _evaluate_form(request: Request) -> tuple[dict, str, bytes]:
    """The evaluation form's fields, the uploaded file's name and content."""
    async with request.form() as form:  # closes the uploaded file's temporary copy
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        content = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        name = getattr(upload, "filename", "") or ""
    return fields, name, content


def _evaluation(service: access.Request, fields: dict, name: str, content: bytes, on_step, language: str) -> dict:
    """One step of the evaluation form: build the outcome criterion by criterion, or evaluate
    (a file, or a saved cohort) and show the report; ``on_step``: the job's progress."""
    thresholds = [float(t) for t in fields.get("thresholds", "").replace(";", " ").replace(",", " ").split() if _is_number(t)] or None
    try:
        if fields.get("mode") == "cohort":
            outcome = cohort_form.definition(fields.get("outcome", ""), fields.get("outcome_name", ""))
            action = fields.get("action", "evaluate")
            if action == "add-outcome" or action.startswith("remove-outcome:"):  # the outcome built criterion by criterion
                position = action.partition(":")[2]
                outcome = (cohort_form.with_criterion(outcome, "inclusion", cohort_form.criterion(fields)) if action == "add-outcome"
                           else cohort_form.without(outcome, "inclusion", int(position) if position.isdigit() else 0))
                evaluation.outcome_criteria(outcome)
                kept = {k: v for k, v in fields.items() if k in ("mode", "cohort", "score_name")}
                return _evaluate_state(service, kept, None, outcome, lang=language)
            saved = cohorts.saved_cohorts(service, fields.get("cohort", "")[:200])
            result = evaluation.evaluate_cohort(service, saved["definition"], outcome, fields.get("score_name", "score2"), region=fields.get("region", "low"),
                                                thresholds=thresholds, report=True, on_step=on_step, lang=language, model=fields.get("model") or None)
        else:
            scores = [x.strip() for x in fields.get("scores", "").split(",") if x.strip()][:2]
            groups = [x.strip() for x in fields.get("groups", "").split(",") if x.strip()][:10]
            result = evaluation.evaluate_table(service, evaluation.read_upload(name or "upload.csv", content), name or "upload", fields.get("outcome_column", ""),
                                               scores, groups, thresholds, fields.get("rescale") or None, report=True, on_step=on_step, lang=language)
    except (EvaluationError, DefinitionError, QueryError, SearchError, ModelError) as exc:
        return _evaluate_state(service, fields, str(exc), lang=language)
    return {**_evaluate_state(service, fields, None, lang=language), "report": result.get("report_html"),
            "warnings": [evaluation.say(w, language) for w in result["warnings"]]}


def _cohort_state(service: access.Request, definition: dict, run: bool, lang: str = "fr") -> dict:
    """What the cohort page shows for ``definition``: its attrition (counted at every step) and,
    when run, Table 1 and the patients."""
    state = {"definition": definition, "definition_json": json.dumps(definition, ensure_ascii=False, indent=1), "error": None,
             "result": None, "saved": cohorts.saved_cohorts(service), "fields": {}, "saved_now": False,
             "preview_session": secrets.token_urlsafe(12)}  # one per page shown: the live counts' audit session
    try:
        state["result"] = cohorts.cohort(service, definition, members=run, lang=lang)
    except (DefinitionError, QueryError, SearchError) as exc:
        state["error"] = str(exc)
    return state


def _export_step(data: Path, logged, fields: dict, form: str) -> Response:
    found, principal = logged
    service = access.Request(data, principal, found.purpose)
    try:
        definition = cohort_form.definition(fields.get("definition", ""), fields.get("name", ""))
        exported = cohorts.export_file(service, definition, form if form in cohorts.EXPORT_FORMS else "csv")
        headers = {"Content-Disposition": f'attachment; filename="{exported.filename}"', "X-Clinsearch-Patients": str(exported.patients)}
        return Response(exported.content, media_type=exported.media_type, headers=headers)
    except (DefinitionError, QueryError, SearchError) as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")


def _evaluate_state(service: access.Request, fields: dict, error: str | None, outcome: dict | None = None, lang: str = "fr") -> dict:
    """The evaluation page; the outcome is the one being built (else the one sent, else the demo's example)."""
    if outcome is None:
        try:
            outcome = cohort_form.definition(fields["outcome"], fields.get("outcome_name", "")) if fields.get("outcome", "").strip() else evaluation.example_outcome()
        except DefinitionError:
            outcome = evaluation.example_outcome()
    try:
        labels = evaluation.outcome_criteria(outcome, lang)
    except (DefinitionError, QueryError) as exc:
        labels, error = [], error or str(exc)
    return {"fields": fields, "error": error, "saved": cohorts.saved_cohorts(service), "report": None, "warnings": [], "saved_models": models.models(service) if service.principal.role in ("clinician", "researcher") else [],
            "outcome": outcome, "outcome_labels": labels, "outcome_json": json.dumps(outcome, ensure_ascii=False, indent=1),
            "default_thresholds": " ".join(map(str, DEFAULT_THRESHOLDS)), "steps": evaluation.STEPS}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
