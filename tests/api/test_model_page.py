"""Models over HTTP: the API's routes (train, list, read, apply; a researcher's pseudonyms) and
the page in a real browser: the training's steps, then its figures, weights and report with the
card; the saved model's page with its TRIPOD+AI checklist; the evaluation form offering it."""

from __future__ import annotations

import json
import re
from importlib import resources

from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services.demo import DEMO_USERS
from tests.api.browsing import log_in, shot

EXAMPLES = resources.files("clinsearch.demo").joinpath("examples")
COHORT = json.loads(EXAMPLES.joinpath("model-cohort.json").read_text("utf-8"))
OUTCOME = json.loads(EXAMPLES.joinpath("cv-outcome.json").read_text("utf-8"))


def logged_in(demo, username: str) -> tuple[TestClient, dict]:
    client = TestClient(create_app(demo))
    me = client.post("/api/v1/login", json={"username": username, "password": {u: p for u, _, p in DEMO_USERS}[username], "purpose": "test"})
    assert me.status_code == 200, me.text
    return client, {"X-CSRF-Token": me.json()["csrf_token"]}


def test_the_api_trains_saves_lists_and_applies_a_model(demo):
    client, csrf = logged_in(demo, "clinicien")
    trained = client.post("/api/v1/models/train", json={"cohort": COHORT, "outcome": OUTCOME, "save": "api-cv-lr"}, headers=csrf)
    assert trained.status_code == 200, trained.text
    body = trained.json()
    assert body["test"]["scores"]["api-cv-lr"]["auroc"]["value"] > 0.7 and body["card"]["tripod_ai"]
    assert "api-cv-lr" in [m["name"] for m in client.get("/api/v1/models").json()["models"]]
    assert "predictions" not in client.get("/api/v1/models/api-cv-lr").json()
    applied = client.post("/api/v1/models/api-cv-lr/apply", json={"cohort": COHORT}, headers=csrf).json()
    assert applied["n"] == body["n_train"] + body["n_test"] and all(isinstance(r["person_id"], int) for r in applied["patients"])
    assert client.post("/api/v1/models/train", json={"cohort": COHORT, "outcome": OUTCOME}).status_code == 403  # no CSRF token
    unknown = client.post("/api/v1/models/nothing/apply", json={"cohort": COHORT}, headers=csrf)
    assert unknown.status_code == 400 and "no model named" in unknown.json()["detail"]
    html = client.post("/api/v1/models/train", json={"cohort": COHORT, "outcome": OUTCOME, "format": "html"}, headers=csrf)
    assert html.status_code == 200 and "TRIPOD+AI" in html.text
    researcher, rcsrf = logged_in(demo, "chercheur")
    seen = researcher.post("/api/v1/models/api-cv-lr/apply", json={"cohort": COHORT}, headers=rcsrf).json()
    assert all(isinstance(r["person_id"], str) and not r["person_id"].isdigit() for r in seen["patients"])
    admin, acsrf = logged_in(demo, "admin")
    assert admin.post("/api/v1/models/api-cv-lr/apply", json={"cohort": COHORT}, headers=acsrf).status_code == 403


def test_a_clinician_creates_a_model_in_the_page_and_compares_it(server, browser, demo):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    log_in(page, server, "clinicien")
    page.goto(f"{server}/models")
    assert page.get_by_test_id("model-progress").is_hidden()
    page.locator("input[name=save]").fill("page-cv-lr")
    page.get_by_test_id("train").click()
    page.get_by_test_id("model-progress").wait_for(state="visible")
    page.get_by_test_id("test-auroc").wait_for(timeout=90_000)
    assert re.search(r"/models/jobs/[\w-]+/page$", page.url)
    assert float(page.get_by_test_id("test-auroc").inner_text().split()[0]) > 0.7
    assert page.locator("[data-testid=model-weights] tbody tr").count() > 1
    assert "TRIPOD+AI" in page.frame_locator("[data-testid=report]").locator("#model-card").inner_text()
    shot(page, "model")
    page.get_by_test_id("saved-as").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/models/page-cv-lr$"))
    assert page.locator("[data-testid=tripod] tbody tr").count() >= 27
    page.goto(f"{server}/evaluate")
    assert "page-cv-lr" in page.get_by_test_id("compare-model").inner_text()
    page.goto(f"{server}/models")
    assert "page-cv-lr" in page.get_by_test_id("saved-models").inner_text()
    page.close()


def test_a_bad_definition_is_said_in_the_page(server, browser):
    page = browser.new_page()
    log_in(page, server, "clinicien")
    page.goto(f"{server}/models")
    page.locator("textarea[name=cohort]").fill("{not json")
    page.get_by_test_id("train").click()
    page.get_by_test_id("model-error").wait_for(timeout=30_000)
    assert "not JSON" in page.get_by_test_id("model-error").inner_text()
    page.close()
