"""The API routes of prediction models: train (and save), list, read one, apply to a cohort."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from clinsearch.api.auth import Auth
from clinsearch.services import access, models

FEATURE_PATTERN = "^(demographics|conditions|drugs|procedures|measurements|notes)$"


class ModelTraining(BaseModel):
    cohort: dict = Field(description="A cohort definition with an index event: the patients and their index dates.")
    outcome: dict = Field(description='{"name", "inclusion": [criteria]}: the outcome, windows in days from each index date.')
    model: str = Field(default="logistic", pattern="^(logistic|gbm)$", description="logistic: L1-penalised logistic regression; gbm: gradient-boosted trees.")
    features: list[Annotated[str, Field(pattern=FEATURE_PATTERN)]] | None = Field(default=None, max_length=6, description="Feature kinds (default: all).")
    lookback_days: int | None = Field(default=None, ge=1, le=36_500, description="Only events of the last days before the index date (default: all).")
    qualified: str = Field(default="omit", pattern="^(omit|separate)$", description="Negated, hypothetical and family mentions: left out, or features of their own.")
    split: str = Field(default="patient", pattern="^(patient|time)$")
    seed: int = Field(default=42, ge=0, le=2**31 - 1)
    balance: bool = False
    shuffle_outcome: bool = Field(default=False, description="A negative control: the outcomes shuffled before training.")
    save: str | None = Field(default=None, max_length=64, description="Save the model under this name.")
    format: str = Field(default="json", pattern="^(json|html)$", description="json: the result and card; html: the report with the card.")
    lang: str = Field(default="en", pattern="^(fr|en)$")


class ModelApplication(BaseModel):
    cohort: dict = Field(description="The cohort whose patients the saved model scores at their index dates.")


def add(app: FastAPI, service_request) -> None:
    @app.post("/api/v1/models/train", tags=["models"])
    def train(auth: Auth, body: ModelTraining) -> Response:
        """Train a model on a cohort's patients, evaluate it on held-back ones, with its card (TRIPOD+AI)."""
        result = models.train_model(service_request(auth), body.cohort, body.outcome, body.model, features=body.features,
                                    lookback_days=body.lookback_days, qualified=body.qualified, split=body.split, seed=body.seed,
                                    balance=body.balance, save=body.save, report=body.format == "html", shuffle_outcome=body.shuffle_outcome,
                                    lang=body.lang)
        report = result.pop("report_html", None)
        if body.format == "html":
            if report is None:
                raise access.AccessDenied("no report")
            return HTMLResponse(report)
        return JSONResponse(result)

    @app.get("/api/v1/models", tags=["models"])
    def saved_models(auth: Auth) -> dict:
        return {"models": models.models(service_request(auth))}

    @app.get("/api/v1/models/{name}", tags=["models"])
    def saved_model(auth: Auth, name: Annotated[str, PathParam(max_length=64)]) -> dict:
        """A saved model's definition, evaluation and card (not its patients' predictions)."""
        return models.model(service_request(auth), name)

    @app.post("/api/v1/models/{name}/apply", tags=["models"])
    def apply(auth: Auth, name: Annotated[str, PathParam(max_length=64)], body: ModelApplication) -> dict:
        """The saved model's probability for each patient of a cohort (pseudonyms for researchers)."""
        return models.apply_model(service_request(auth), name, body.cohort)
