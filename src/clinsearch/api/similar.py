"""The API route of patients like mine: ``GET /api/v1/patients/{key}/similar`` (docs/similar.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query
from fastapi import Path as PathParam

from clinsearch.api.auth import Auth
from clinsearch.services import similar as service


def add(app: FastAPI, service_request) -> None:
    @app.get("/api/v1/patients/{key}/similar", tags=["patients"])
    def patient_similar(auth: Auth, key: Annotated[str, PathParam(max_length=64)],
                        limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 10,
                        lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr") -> dict:
        """The patients most like this one (TF-IDF of coded and affirmed written concepts, cosine), each with the concepts
        both share and those that tell them apart; researchers: pseudonyms, no concept held by fewer than 10 patients, no list under 10."""
        return service.similar(service_request(auth), key, limit, lang)
