"""The pages of work run in the background (an evaluation, a model's training): its progress as
JSON for ``evaluate.js`` to poll, then its page; only the login session that started it reads it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from clinsearch.services import evaluation
from clinsearch.web.face import Face


def add(routes: APIRouter, face: Face, prefix: str, steps: tuple[str, ...], template: str) -> None:
    """``GET {prefix}/jobs/ID`` (the step, the steps, done) and ``GET {prefix}/jobs/ID/page``."""

    @routes.get(f"{prefix}/jobs/{{job}}", name=f"{prefix}-progress")
    def progress(request: Request, job: str) -> Response:
        found, _ = face.current(request)
        state = evaluation.job(job, found.token if found else None)
        if state is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return JSONResponse({"step": state.step, "steps": list(steps), "done": state.done})

    @routes.get(f"{prefix}/jobs/{{job}}/page", name=f"{prefix}-result")
    def result(request: Request, job: str) -> Response:
        found, _ = face.current(request)
        state = evaluation.job(job, found.token if found else None)
        if found is not None and (state is None or not state.done):  # no login: the page sends to /login
            return RedirectResponse(prefix, status_code=303)
        return face.page(request, template, build=lambda service: state.outcome())
