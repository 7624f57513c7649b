"""The API route of the cohort drafted from criteria written in words: ``POST /api/v1/cohorts/draft``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from clinsearch.api.auth import Auth
from clinsearch.services import criteria


class Draft(BaseModel):
    text: str = Field(max_length=50_000, description="The inclusion and exclusion criteria, in French or English (at most 5,000 characters).")
    lang: Literal["fr", "en"] | None = Field(None, description="The language of the explanations and labels (default: the text's).")


def add(app, service_request) -> None:
    @app.post("/api/v1/cohorts/draft", tags=["cohorts"])
    def cohort_draft(auth: Auth, body: Draft) -> dict:
        """A draft cohort definition from criteria written in words, criterion by criterion
        (the words, the criterion, inclusion or exclusion, why), and what was not understood.
        Nothing is run: correct it, then ``POST /api/v1/cohorts/run`` its ``definition``."""
        return criteria.draft_cohort(service_request(auth), body.text, body.lang)
