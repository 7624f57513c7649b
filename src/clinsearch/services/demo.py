"""The demo warehouse: a synthetic French hospital generated, loaded, annotated and indexed, with
demo accounts and the example cohort saved -- what ``clinsearch demo`` (and ``make demo``) does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from clinsearch.cohort.saved import SavedCohorts
from clinsearch.demo.generator import generate
from clinsearch.demo.showcase import showcase
from clinsearch.ingest.run import Reporter
from clinsearch.security.users import Users
from clinsearch.services.pipeline import Progress, Run, ingest
from clinsearch.warehouse.store import open_store

# Demo accounts of the synthetic hospital only (never created outside `clinsearch demo`).
DEMO_USERS = (("clinicien", "clinician", "demo-clinicien"), ("chercheur", "researcher", "demo-chercheur"), ("admin", "admin", "demo-admin-2024"))
EXAMPLE_COHORT = "score2-cohort.json"


@dataclass
class Demo:
    run: Run
    examples: list[dict]  # the questions the demo answers at once, with their answers
    users: tuple = DEMO_USERS


def write_sources(target: Path, *, patients: int, notes: int, seed: int) -> dict:
    """The synthetic hospital's source files, written under ``target``: counts per kind."""
    return generate(target, patients=patients, notes=notes, seed=seed)


def load(data: Path, target: Path, reporter: Reporter | None = None, *, nlp: bool = True, on_progress: Progress | None = None) -> Demo:
    """Load the sources written by ``write_sources`` into the warehouse of ``data`` (NLP and
    index included), then create the demo users and save the example cohort."""
    run = ingest(data, [Path(target) / "sources"], reporter, nlp=nlp, on_progress=on_progress)
    with open_store(data, read_only=True) as store:
        examples = showcase(store)
    _users(data)
    _cohorts(data)
    return Demo(run, examples)


def _users(data: Path) -> None:
    users = Users(data)
    try:
        existing = {u["username"] for u in users.list()}
        for name, role, password in DEMO_USERS:
            if name not in existing:
                users.add(name, password, role)
    finally:
        users.close()


def _cohorts(data: Path) -> None:
    """The demo's example cohort, saved (the evaluation page offers it)."""
    saved = SavedCohorts(data)
    try:
        definition = json.loads(resources.files("clinsearch.demo").joinpath("examples", EXAMPLE_COHORT).read_text("utf-8"))
        if saved.get(definition["name"]) is None:
            saved.save(definition, "demo", shared=True)  # every demo user is offered it
    finally:
        saved.close()
