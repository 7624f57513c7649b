"""The web application: server-rendered pages (Jinja2, no build step, no CDN, no JavaScript
needed) over the same service functions as the API, whose routes are each page's JSON twin:
``/search`` ↔ ``/api/v1/search``, ``/patients/{id}`` ↔ ``/api/v1/patients/{id}``, ``/notes/{id}``
↔ ``/api/v1/notes/{id}``. French by default, English with ``?lang=en`` (remembered in a cookie).

Forms are protected against CSRF: before login by a double-submit token (cookie and hidden
field), after login by the session's own token.
"""

from __future__ import annotations

import html
import json
import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from clinsearch.services import access, admin, cohorts, evaluation, patients, scores, sessions
from clinsearch.services import search as search_service
from clinsearch.services.choices import DEFAULT_THRESHOLDS
from clinsearch.services.errors import AccessDenied, DefinitionError, EvaluationError, LoginRefused, NotFound, QueryError, SearchError, WarehouseError
from clinsearch.web import cohort_form
from clinsearch.web.i18n import LANGUAGES, words

COOKIE = "clinsearch_session"
LOGIN_CSRF = "clinsearch_login_csrf"
LANG = "clinsearch_lang"
PAGE = 20

templates = Environment(loader=PackageLoader("clinsearch.web", "templates"), autoescape=select_autoescape(["html"]))


def router(data: Path) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def current(request: Request):
        return sessions.current(data, request.cookies.get(COOKIE))

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        lang = _lang(request)
        other = "en" if lang == "fr" else "fr"
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        body = templates.get_template(name).render(lang=lang, t=words(lang), other_lang=other, other_lang_query=urlencode({**query, "lang": other}), **context)
        response = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG, lang, samesite="strict", httponly=True)
        return response

    def page(request: Request, name: str, **context) -> Response:
        """A page that needs a login: redirects to /login without one."""
        found, principal = current(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        service = access.Request(data, principal, found.purpose)
        t = words(_lang(request))
        try:
            extra = context.pop("build")(service)
        except AccessDenied as exc:
            return render(request, "error.html", 403, principal=principal, csrf=found.csrf, heading=t["forbidden"], message=str(exc))
        except NotFound as exc:
            return render(request, "error.html", 404, principal=principal, csrf=found.csrf, heading="404", message=str(exc))
        except (SearchError, WarehouseError) as exc:  # momentarily unavailable (a load, an index swap): say so, never a 500
            response = render(request, "error.html", 503, principal=principal, csrf=found.csrf, heading="503", message=str(exc))
            response.headers["Retry-After"] = "5"
            return response
        return render(request, name, principal=principal, csrf=found.csrf, **extra, **context)

    @routes.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/search", status_code=303)

    @routes.get("/login")
    def login_form(request: Request) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", principal=None, csrf=token, error=None)
        response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict")
        return response

    @routes.post("/login")
    def login(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024),
              purpose: str = Form("", max_length=200), csrf_token: str = Form("")) -> Response:
        t = words(_lang(request))
        expected = request.cookies.get(LOGIN_CSRF)
        if not expected or not secrets.compare_digest(expected, csrf_token):
            return render(request, "login.html", 403, principal=None, csrf=expected or "", error=t["forbidden"] + " (CSRF)")
        address = request.client.host if request.client else "?"
        try:
            found, principal = sessions.login(data, username, password, purpose, address)
        except LoginRefused as exc:
            message = f"{t['username']} / {t['password']} ?" if exc.status == 401 else str(exc)
            return render(request, "login.html", exc.status, principal=None, csrf=expected, error=message)
        response = RedirectResponse("/search", status_code=303)
        response.set_cookie(COOKIE, found.token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
        response.delete_cookie(LOGIN_CSRF)
        return response

    @routes.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        # The session ends whatever the CSRF token: a forged logout costs a login, a logout that
        # silently fails leaves a session open on a shared workstation.
        found, _ = current(request)
        if found is not None:
            sessions.logout(data, found.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @routes.get("/search")
    def search(request: Request, q: str = "", patients: int = 0, offset: int = 0) -> Response:
        def build(service):
            if not q.strip():
                return {"result": None, "error": None}
            try:
                result = search_service.search(service, q, patients=bool(patients), limit=PAGE, offset=max(0, min(offset, 10_000)))
            except QueryError as exc:
                return {"result": None, "error": str(exc)}
            for document in result["documents"]:
                for snippet in document["snippets"]:
                    snippet["html"] = _marked(snippet["text"], snippet["highlights"])
            total = result["total"] if isinstance(result["total"], int) else 0
            base = {"q": q, "patients": patients}
            prev_url = f"/search?{urlencode({**base, 'offset': max(0, offset - PAGE)})}" if offset > 0 else None
            next_url = f"/search?{urlencode({**base, 'offset': offset + PAGE})}" if offset + PAGE < total else None
            return {"result": result, "error": None, "prev_url": prev_url, "next_url": next_url}

        return page(request, "search.html", q=q, patients=bool(patients), build=build)

    @routes.get("/patients/{key}")
    def patient(request: Request, key: str) -> Response:
        def build(service):
            record = patients.patient_record(service, key[:64])
            panel = scores.score_panel(service, key[:64]) if service.principal.identified else None
            return {"record": record, "measurements": _series(record["measurements"]), "scores": panel}

        return page(request, "patient.html", build=build)

    @routes.get("/notes/{note_id}")
    def note(request: Request, note_id: int) -> Response:
        def build(service):
            found = patients.note(service, note_id)
            return {"note": found, "html": _annotated(found["text"] or "", found["annotations"])}

        return page(request, "note.html", build=build)

    @routes.get("/cohorts")
    def cohorts_page(request: Request, saved: str = "") -> Response:
        def build(service):
            found = cohorts.saved_cohorts(service, saved[:200]) if saved else None
            current = found["definition"] if found else {"name": words(_lang(request))["new_cohort"]}
            return _cohort_state(service, current, run=bool(found))

        return page(request, "cohorts.html", build=build)

    @routes.post("/cohorts")
    async def cohorts_step(request: Request) -> Response:
        """One step of the form: add or remove a criterion, run, save or export."""
        fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        found, _ = current(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        if not secrets.compare_digest(found.csrf, fields.get("csrf_token", "")):
            return Response("missing or wrong CSRF token", status_code=403)
        action = fields.get("action", "")
        if action.startswith("export-"):
            return await run_in_threadpool(_export_step, data, current(request), fields, action.removeprefix("export-"))

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
                state = _cohort_state(service, cohort_form.definition(fields.get("definition", ""), fields.get("name", "")), run=False)
                return {**state, "error": str(exc), "fields": fields}
            return {**_cohort_state(service, definition, run=action == "run"), "saved_now": action == "save"}

        return await run_in_threadpool(page, request, "cohorts.html", build=build)

    @routes.post("/cohorts/preview")
    async def cohorts_preview(request: Request) -> Response:
        """The live count of the form: how many patients remain with the criterion being written."""
        fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        found, principal = current(request)
        if found is None or not secrets.compare_digest(found.csrf, fields.get("csrf_token", "")):
            return JSONResponse({"error": "not logged in"}, status_code=403)

        def count() -> dict:
            service = access.Request(data, principal, found.purpose)
            try:
                definition = cohort_form.definition(fields.get("definition", ""), fields.get("name", ""))
                if fields.get("type"):
                    definition = cohort_form.with_criterion(definition, fields.get("section", "inclusion"), cohort_form.criterion(fields))
                result = cohorts.cohort(service, definition, members=False)
            except (DefinitionError, QueryError, SearchError, AccessDenied) as exc:
                return {"error": str(exc)}
            return {"count": result["size"], "label": result["attrition"][-1]["label"]}

        return JSONResponse(await run_in_threadpool(count))

    @routes.get("/evaluate")
    def evaluate_page(request: Request) -> Response:
        return page(request, "evaluate.html", build=lambda service: _evaluate_state(service, {}, None))

    @routes.post("/evaluate")
    async def evaluate_step(request: Request) -> Response:
        """Evaluate an uploaded file or a cohort of the warehouse; answers with the report."""
        async with request.form() as form:  # closes the uploaded file's temporary copy
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            content = await upload.read() if upload is not None and not isinstance(upload, str) else b""
            name = getattr(upload, "filename", "") or ""
        found, _ = current(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        if not secrets.compare_digest(found.csrf, fields.get("csrf_token", "")):
            return Response("missing or wrong CSRF token", status_code=403)

        def build(service):
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
                        return _evaluate_state(service, {k: v for k, v in fields.items() if k in ("mode", "cohort", "score_name")}, None, outcome)
                    saved = cohorts.saved_cohorts(service, fields.get("cohort", "")[:200])
                    result = evaluation.evaluate_cohort(service, saved["definition"], outcome, fields.get("score_name", "score2"),
                                                    region=fields.get("region", "low"), thresholds=thresholds, report=True)
                else:
                    scores = [x.strip() for x in fields.get("scores", "").split(",") if x.strip()][:2]
                    groups = [x.strip() for x in fields.get("groups", "").split(",") if x.strip()][:10]
                    result = evaluation.evaluate_table(service, evaluation.read_upload(name or "upload.csv", content), name or "upload", fields.get("outcome_column", ""),
                                                   scores, groups, thresholds, fields.get("rescale") or None, report=True)
            except (EvaluationError, DefinitionError, QueryError, SearchError) as exc:
                return _evaluate_state(service, fields, str(exc))
            return {**_evaluate_state(service, fields, None), "report": result.get("report_html"), "warnings": result["warnings"]}

        return await run_in_threadpool(page, request, "evaluate.html", build=build)

    @routes.get("/audit")
    def audit_page(request: Request) -> Response:
        return page(request, "audit.html", build=lambda service: admin.audit_page(service))

    return routes


def _cohort_state(service: access.Request, definition: dict, run: bool) -> dict:
    """What the cohort page shows for ``definition``: its attrition (counted at every step) and,
    when run, Table 1 and the patients."""
    state = {"definition": definition, "definition_json": json.dumps(definition, ensure_ascii=False, indent=1), "error": None,
             "result": None, "saved": cohorts.saved_cohorts(service), "fields": {}, "saved_now": False}
    try:
        state["result"] = cohorts.cohort(service, definition, members=run)
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


def _evaluate_state(service: access.Request, fields: dict, error: str | None, outcome: dict | None = None) -> dict:
    """The evaluation page; the outcome is the one being built (else the one sent, else the demo's example)."""
    if outcome is None:
        try:
            outcome = cohort_form.definition(fields["outcome"], fields.get("outcome_name", "")) if fields.get("outcome", "").strip() else evaluation.example_outcome()
        except DefinitionError:
            outcome = evaluation.example_outcome()
    try:
        labels = evaluation.outcome_criteria(outcome)
    except (DefinitionError, QueryError) as exc:
        labels, error = [], error or str(exc)
    return {"fields": fields, "error": error, "saved": cohorts.saved_cohorts(service), "report": None, "warnings": [],
            "outcome": outcome, "outcome_labels": labels, "outcome_json": json.dumps(outcome, ensure_ascii=False, indent=1),
            "default_thresholds": " ".join(map(str, DEFAULT_THRESHOLDS))}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG) or "fr"
    return asked if asked in LANGUAGES else "fr"


def _marked(text: str, highlights: list) -> str:
    parts, at = [], 0
    for start, end in sorted(highlights):
        if start < at:
            continue
        parts.append(html.escape(text[at:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>")
        at = end
    return "".join(parts) + html.escape(text[at:])


def _annotated(text: str, annotations: list[dict]) -> str:
    """The note with each entity marked in the colour of its context (title: label and code)."""
    parts, at = [], 0
    for a in sorted((a for a in annotations if a["label"] != "context"), key=lambda a: (a["start"], -a["end"])):
        if a["start"] < at or a["end"] > len(text):
            continue
        title = " ".join(str(x) for x in (a["label"], a.get("vocabulary") or "", a.get("code") or "", a["context"]) if x)
        parts.append(html.escape(text[at: a["start"]]))
        parts.append(f'<mark class="ctx-{html.escape(a["context"])}" title="{html.escape(title)}">{html.escape(text[a["start"]: a["end"]])}</mark>')
        at = a["end"]
    return "".join(parts) + html.escape(text[at:])


def _series(measurements: list[dict]) -> list[dict]:
    """One small SVG line per measured code (values over time)."""
    by_code: dict[str, list[dict]] = {}
    for m in measurements:
        if m["value"] is not None:
            by_code.setdefault(m["code"] or "?", []).append(m)
    out = []
    for code, points in sorted(by_code.items()):
        values = [p["value"] for p in points]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        width, height = 220, 50
        step = width / max(len(values) - 1, 1)
        coords = " ".join(f"{i * step:.1f},{height - 5 - (v - low) / span * (height - 10):.1f}" for i, v in enumerate(values))
        label = points[-1]["label"] or code
        svg = (f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(label)}: {len(values)} values from {low:g} to {high:g}">'
               f'<polyline fill="none" stroke="#0b5cad" stroke-width="2" points="{coords}"/></svg>')
        out.append({"label": label, "unit": points[-1]["unit"] or "", "last": f"{values[-1]:g} ({points[-1]['date']})", "svg": svg})
    return out
