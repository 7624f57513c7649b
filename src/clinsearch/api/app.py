"""The REST API (FastAPI), versioned under ``/api/v1``; the OpenAPI schema at ``/openapi.json``.

Routes are thin: they authenticate, call a service function (``clinsearch.services``) and
return its result; every decision (who may see what, blurring, auditing) is the service's. Every route
but ``/login`` needs a session (cookie ``clinsearch_session``); every state-changing request
needs the session's CSRF token in ``X-CSRF-Token``.

    clinsearch --data DIR serve          # http://127.0.0.1:8000/api/v1/...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from clinsearch import __version__
from clinsearch.services import access, admin, cohorts, evaluation, patients, scores, sessions
from clinsearch.services import search as search_service
from clinsearch.services import summary as summaries
from clinsearch.services import warehouse as warehouse_service
from clinsearch.services.choices import DEFAULT_THRESHOLDS, REGION_PATTERN
from clinsearch.services.errors import HTTP_STATUS, LoginRefused
from clinsearch.services.sessions import Principal, Session
from clinsearch.api import criteria as criteria_api
from clinsearch.api import models as models_api
from clinsearch.api import similar as similar_api
from clinsearch.api.auth import COOKIE, Auth

class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    purpose: str = Field(default="", max_length=200, description="Why the data is accessed (written to the audit log with every access).")


class CohortQuery(BaseModel):
    definition: dict = Field(description="A cohort definition (GET /api/v1/cohorts/schema gives its JSON Schema; docs/cohorts.md).")
    compare: dict | None = Field(default=None, description="A second definition, described side by side.")


class CohortSave(BaseModel):
    definition: dict = Field(description="A cohort definition, saved under its name (a new version when you own that name).")
    shared: bool | None = Field(default=None, description="Readable by every user (default: private to you; unchanged for a new version).")


class CohortExport(BaseModel):
    definition: dict
    format: str = Field(default="csv", pattern="^(csv|parquet|omop)$", description="csv or parquet: one row per patient; omop: a zip of OMOP tables (Parquet).")


class CohortEvaluation(BaseModel):
    cohort: dict = Field(description="A cohort definition: the patients and their index dates.")
    outcome: dict = Field(description='{"name", "inclusion": [criteria]}: the outcome, windows in days from each index date.')
    score_name: str = Field(max_length=40, description="The score computed for each patient at the index date (score2, score2-op, score2-diabetes).")
    region: str = Field(default="low", pattern=REGION_PATTERN)
    thresholds: list[Annotated[float, Field(gt=0, lt=1)]] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS), max_length=20)
    format: str = Field(default="json", pattern="^(json|html)$", description="json: the measures; html: the report.")
    model: str | None = Field(default=None, max_length=64, description="A saved model's name: its predictions beside the score, compared on the same patients.")


class Me(BaseModel):
    username: str
    role: str
    departments: list[str]
    patients: list[int]
    purpose: str
    csrf_token: str


def create_api(data: Path) -> FastAPI:
    """The API's routes on a FastAPI app (``clinsearch.server.create_app`` adds the web pages)."""
    data = Path(data)
    # No /docs nor /redoc: their pages load Swagger UI from a CDN; the schema stays at /openapi.json.
    app = FastAPI(title="clinsearch", version=__version__, description="On-premise clinical data warehouse and medical search engine.",
                  docs_url=None, redoc_url=None)
    app.state.data = data
    app.middleware("http")(_security_headers)

    for error, status in HTTP_STATUS.items():
        app.add_exception_handler(error, _handler(status))
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(UnicodeError, _unreadable_text)

    def service_request(auth: tuple[Session, Principal]) -> access.Request:
        found, principal = auth
        return access.Request(data, principal, found.purpose)

    @app.post("/api/v1/login", response_model=Me, tags=["session"])
    def login(body: Login, request: Request, response: Response) -> Me:
        address = request.client.host if request.client else "?"
        try:
            found, principal = sessions.login(data, body.username, body.password, body.purpose, address)
        except LoginRefused as exc:
            raise HTTPException(exc.status, str(exc)) from None
        response.set_cookie(COOKIE, found.token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
        return _me(found, principal)

    @app.post("/api/v1/logout", tags=["session"])
    def logout(auth: Auth, response: Response) -> dict:
        sessions.logout(data, auth[0].token)
        response.delete_cookie(COOKIE, path="/")
        return {"logged_out": True}

    @app.get("/api/v1/me", response_model=Me, tags=["session"])
    def me(auth: Auth) -> Me:
        return _me(*auth)

    @app.get("/api/v1/search", tags=["search"])
    def search(auth: Auth, q: Annotated[str, Query(max_length=1000, description="A query in clinsearch's language (docs/search.md).")],
               patients: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 20, offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
               sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance") -> dict:
        return search_service.search(service_request(auth), q, patients=patients, limit=limit, offset=offset, sort=sort)

    @app.get("/api/v1/patients/{key}", tags=["patients"])
    def patient(auth: Auth, key: Annotated[str, PathParam(max_length=64)]) -> dict:
        return patients.patient_record(service_request(auth), key)

    @app.get("/api/v1/patients/{key}/summary", tags=["patients"])
    def patient_summary(auth: Auth, key: Annotated[str, PathParam(max_length=64)], lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
                        with_scores: Annotated[bool, Query(alias="scores")] = True) -> dict:
        """The summary: problems with their citations, family history, negated and hypothetical mentions apart, treatments,
        allergies, procedures, imaging, labs by panel, the scores that apply (``scores=false``: without them) and the timeline."""
        return summaries.summary(service_request(auth), key, lang, with_scores=with_scores)

    @app.get("/api/v1/patients/{key}/letter", tags=["patients"])
    def patient_letter(auth: Auth, key: Annotated[str, PathParam(max_length=64)], format: Annotated[str, Query(pattern="^(json|docx|html)$")] = "json",
                       kind: Annotated[str, Query(pattern="^(discharge|referral)$")] = "discharge",
                       lang: Annotated[str | None, Query(pattern="^(fr|en)$")] = None) -> Response:
        """A drafted letter, every sentence with its sources: as JSON, or a file (docx, html) to edit."""
        if format == "json":
            return JSONResponse(summaries.letter(service_request(auth), key, kind, lang))
        found = summaries.letter_file(service_request(auth), key, format, kind, lang)
        return Response(found.content, media_type=found.media_type, headers={"Content-Disposition": f'attachment; filename="{found.filename}"'})

    @app.get("/api/v1/notes/{note_id}", tags=["patients"])
    def note(auth: Auth, note_id: Annotated[int, PathParam(ge=0, le=2**62)]) -> dict:
        return patients.note(service_request(auth), note_id)

    @app.get("/api/v1/scores/{name}", tags=["scores"])
    def score(auth: Auth, name: Annotated[str, PathParam(max_length=40)], patient: Annotated[str, Query(max_length=64)],
              region: Annotated[str, Query(pattern=REGION_PATTERN)] = "low") -> dict:
        return scores.score(service_request(auth), name, patient, region)

    @app.get("/api/v1/cohorts/schema", tags=["cohorts"])
    def cohort_schema(auth: Auth) -> dict:
        return cohorts.schema()

    @app.post("/api/v1/cohorts/count", tags=["cohorts"])
    def cohort_count(auth: Auth, body: CohortQuery) -> dict:
        """The attrition table only: the live counts of the cohort form."""
        return cohorts.cohort(service_request(auth), body.definition, members=False)

    @app.post("/api/v1/cohorts/run", tags=["cohorts"])
    def cohort_run(auth: Auth, body: CohortQuery) -> dict:
        """Attrition, Table 1 (beside ``compare``), the patients (pseudonymised for researchers)."""
        return cohorts.cohort(service_request(auth), body.definition, compare=body.compare)

    @app.post("/api/v1/cohorts/export", tags=["cohorts"])
    def cohort_export(auth: Auth, body: CohortExport) -> Response:
        """The cohort as a file (pseudonymised for researchers); written to the audit log."""
        return exported(service_request(auth), body.definition, body.format)

    @app.get("/api/v1/cohorts", tags=["cohorts"])
    def cohorts_saved(auth: Auth) -> dict:
        return {"cohorts": cohorts.saved_cohorts(service_request(auth))}

    @app.post("/api/v1/cohorts", tags=["cohorts"])
    def cohort_save(auth: Auth, body: CohortSave) -> dict:
        """Save a definition under its name: yours, or a new version of yours (another user's name is refused)."""
        return cohorts.save_cohort(service_request(auth), body.definition, shared=body.shared)

    @app.get("/api/v1/cohorts/{key}", tags=["cohorts"])
    def cohort_saved(auth: Auth, key: Annotated[str, PathParam(max_length=200)]) -> dict:
        return cohorts.saved_cohorts(service_request(auth), key)

    @app.post("/api/v1/cohorts/{key}/run", tags=["cohorts"])
    def cohort_saved_run(auth: Auth, key: Annotated[str, PathParam(max_length=200)]) -> dict:
        request = service_request(auth)
        return cohorts.cohort(request, cohorts.saved_cohorts(request, key)["definition"])

    @app.post("/api/v1/evaluate", tags=["evaluation"])
    async def evaluate_file(auth: Auth, file: UploadFile, outcome: Annotated[str, Form(max_length=200)],
                            score: Annotated[list[str], Form(max_length=2)], group: Annotated[list[str], Form(max_length=10)] = [],
                            threshold: Annotated[list[Annotated[float, Field(gt=0, lt=1)]], Form(max_length=20)] = [], rescale: Annotated[str, Form(pattern="^(|percent|logistic)$")] = "",
                            format: Annotated[str, Form(pattern="^(json|html)$")] = "json") -> Response:
        """Evaluate the scores of an uploaded CSV or Parquet file (one row per patient)."""
        if file.size is not None and file.size > evaluation.MAX_UPLOAD:  # refused before it is read into memory
            raise HTTPException(413, f"{file.filename}: larger than {evaluation.MAX_UPLOAD // 2**20} MB")
        table = evaluation.read_upload(file.filename or "upload.csv", await file.read())
        result = await run_in_threadpool(evaluation.evaluate_table, service_request(auth), table, file.filename or "upload", outcome, score, group,
                                         threshold or None, rescale or None, format == "html")
        return _evaluation_response(result, format)

    @app.post("/api/v1/evaluate/cohort", tags=["evaluation"])
    def evaluate_cohort(auth: Auth, body: CohortEvaluation) -> Response:
        """Evaluate a score computed on a cohort of the warehouse against an outcome after each index date."""
        result = evaluation.evaluate_cohort(service_request(auth), body.cohort, body.outcome, body.score_name, region=body.region,
                                        thresholds=body.thresholds, report=body.format == "html", model=body.model)
        return _evaluation_response(result, body.format)

    @app.get("/api/v1/stats", tags=["warehouse"])
    def stats(auth: Auth) -> dict:
        return warehouse_service.stats_for(service_request(auth))

    @app.get("/api/v1/audit", tags=["admin"])
    def audit_entries(auth: Auth, limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> dict:
        return {"entries": admin.audit_entries(service_request(auth), limit, offset)}

    @app.get("/api/v1/audit/verify", tags=["admin"])
    def audit_verify(auth: Auth) -> dict:
        result = admin.verify_audit(service_request(auth))
        return {"ok": result.ok, "entries": result.entries, "problems": result.problems}

    for area in (models_api, similar_api, criteria_api):
        area.add(app, service_request)
    return app


def _evaluation_response(result: dict, form: str) -> Response:
    report = result.pop("report_html", None)
    if form == "html":
        if report is None:
            raise access.AccessDenied("; ".join(result["warnings"][-1:]) or "no report")
        return HTMLResponse(report)
    return JSONResponse(result)


def exported(request: access.Request, definition: dict, form: str) -> Response:
    """The cohort exported as a download (OMOP tables zipped)."""
    found = cohorts.export_file(request, definition, form)
    headers = {"Content-Disposition": f'attachment; filename="{found.filename}"', "X-Clinsearch-Patients": str(found.patients)}
    return Response(found.content, media_type=found.media_type, headers=headers)


def _me(found: Session, principal: Principal) -> Me:
    return Me(username=principal.username, role=principal.role, departments=list(principal.departments), patients=list(principal.patients), purpose=found.purpose, csrf_token=found.csrf)


HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def _security_headers(request: Request, call_next):
    """Every answer: no framing by another site, no sniffing, no outside source; nothing of a patient cached."""
    response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A request that does not fit the schema: 422 naming each field and what was wrong, never
    echoing the value sent (NaN, 1e999 or a surrogate would not even be valid JSON back)."""
    problems = ["/".join(str(p) for p in error.get("loc", ())) + ": " + str(error.get("msg", "invalid")) for error in exc.errors()]
    return JSONResponse({"detail": "; ".join(problems)[:2000]}, status_code=422)


async def _unreadable_text(request: Request, exc: UnicodeError) -> JSONResponse:
    return JSONResponse({"detail": "the request holds text that is not valid Unicode (a lone surrogate)"}, status_code=400)


def _handler(status: int):
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        headers = {"Retry-After": "5"} if status == 503 else None  # the index or the store is back in seconds (a swap, a load)
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    return handle
