"""The page of a cohort drafted from criteria written in words: ``/cohorts/draft``. The text
in a form; the draft shown criterion by criterion (the words, the criterion in words, inclusion
or exclusion, how it was read), what was not understood, and a form that opens the draft in
the cohort builder (``POST /cohorts`` with the definition, as the builder carries it from step
to step), its JSON beside to copy. The page's JSON twin is ``POST /api/v1/cohorts/draft``."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clinsearch.services import criteria
from clinsearch.services.errors import DefinitionError
from clinsearch.web.face import Face, form, lang, refusal


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/cohorts/draft")
    def draft_page(request: Request) -> Response:
        return face.page(request, "criteria.html", build=lambda service: _state("", lang(request), None, None))

    @routes.post("/cohorts/draft")
    async def draft_step(request: Request) -> Response:
        fields = await form(request)
        if (refused := refusal(face, request, fields)) is not None:
            return refused
        text, text_lang = fields.get("text", ""), fields.get("text_lang") or lang(request)

        def build(service):
            try:
                made = criteria.draft_cohort(service, text, text_lang)
            except DefinitionError as exc:
                return _state(text, text_lang, None, str(exc))
            return _state(text, text_lang, made, None)

        return await run_in_threadpool(face.page, request, "criteria.html", build=build)  # the terminology's first read takes seconds


def _state(text: str, text_lang: str, made: dict | None, error: str | None) -> dict:
    return {"text": text, "text_lang": text_lang, "draft": made, "error": error, "max_text": criteria.MAX_TEXT,
            "definition_json": json.dumps(made["definition"], ensure_ascii=False, indent=1) if made else ""}
