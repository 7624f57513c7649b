"""A cohort drafted from criteria written in words, through the API (``POST
/api/v1/cohorts/draft``), the web page ``/cohorts/draft`` and the command line, on the demo
hospital with its demo accounts: the draft criterion by criterion, what was not understood,
the draft opened in the cohort builder and counted there like the same definition written by
hand; logged-in users only, administrators refused, the text bounded."""

from __future__ import annotations

import html
import json
import re

from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services import cohorts
from clinsearch.services.access import command_line
from clinsearch.services.demo import DEMO_USERS
from tests.helpers import run_cli

CRITERIA = ("Critères d'inclusion :\n- patients de 40 à 75 ans avec un diabète de type 2\n- HbA1c > 8 %\n"
            "Critères de non-inclusion :\n- insuffisance rénale chronique\n- consentement non signé")
BY_HAND = {"name": "à la main", "inclusion": [{"type": "demographics", "age": {"min": 40, "max": 75}}, {"type": "condition", "codes": ["E11*"]},
                                              {"type": "measurement", "code": "4548-4", "above": 8, "unit": "%"}],
           "exclusion": [{"type": "condition", "codes": ["N18*"]}]}


def client(demo, role: str) -> TestClient:
    username, password = next((u, p) for u, r, p in DEMO_USERS if r == role)
    c = TestClient(create_app(demo))
    response = c.post("/api/v1/login", json={"username": username, "password": password, "purpose": "criteria tests"})
    assert response.status_code == 200, response.text
    c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return c


def web_login(demo, role: str) -> tuple[TestClient, str]:
    username, password = next((u, p) for u, r, p in DEMO_USERS if r == role)
    c = TestClient(create_app(demo))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": username, "password": password, "purpose": "test", "csrf_token": token})
    page = c.get("/cohorts/draft")
    assert page.status_code == 200 and 'data-testid="draft-text"' in page.text
    return c, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_api_drafts_and_the_draft_runs_as_the_same_definition_by_hand(demo):
    c = client(demo, "clinician")
    response = c.post("/api/v1/cohorts/draft", json={"text": CRITERIA})
    assert response.status_code == 200, response.text
    made = response.json()
    assert made["language"] == "fr" and made["not_understood"] == ["consentement non signé"]
    assert [(e["where"], e["criterion"]["type"]) for e in made["criteria"]] == [
        ("inclusion", "demographics"), ("inclusion", "condition"), ("inclusion", "measurement"), ("exclusion", "condition")]
    ran = c.post("/api/v1/cohorts/count", json={"definition": made["definition"]}).json()
    expected = cohorts.cohort(command_line(demo), BY_HAND, members=False)
    assert ran["size"] == expected["size"] > 0
    assert [s["remaining"] for s in ran["attrition"]] == [s["remaining"] for s in expected["attrition"]]
    english = c.post("/api/v1/cohorts/draft", json={"text": CRITERIA, "lang": "en"}).json()
    assert english["language"] == "en" and english["criteria"][0]["label"] == "age 40-75"
    assert [e["criterion"]["type"] for e in english["criteria"]] == [e["criterion"]["type"] for e in made["criteria"]]


def test_the_api_bounds_the_text_and_refuses_strangers_and_administrators(demo):
    c = client(demo, "researcher")
    too_long = c.post("/api/v1/cohorts/draft", json={"text": "diabète, " * 600})
    assert too_long.status_code == 400 and "at most 5,000 characters" in too_long.json()["detail"]
    assert c.post("/api/v1/cohorts/draft", json={"text": "  "}).status_code == 400
    assert c.post("/api/v1/cohorts/draft", json={"text": "DT2", "lang": "de"}).status_code == 422
    assert c.post("/api/v1/cohorts/draft", json={"text": "DT2"}).status_code == 200
    assert TestClient(create_app(demo)).post("/api/v1/cohorts/draft", json={"text": "DT2"}).status_code == 401
    assert client(demo, "admin").post("/api/v1/cohorts/draft", json={"text": "DT2"}).status_code == 403


def test_the_page_shows_the_draft_and_opens_it_in_the_cohort_builder(demo):
    c, csrf = web_login(demo, "clinician")
    page = c.post("/cohorts/draft", data={"csrf_token": csrf, "text": CRITERIA}).text
    table = page[page.index('data-testid="draft-criteria"'):page.index("</table>")]
    rows = re.findall(r'<tr data-where="(\w+)" data-type="(\w*)">', table)
    assert rows == [("inclusion", "demographics"), ("inclusion", "condition"), ("inclusion", "measurement"), ("exclusion", "condition")]
    assert "<q>de 40 à 75 ans</q>" in table and "âge 40-75" in table and "diabète de type 2" in table and "mesure LOINC 4548-4 &gt; 8 %" in table
    assert "<li><q>consentement non signé</q></li>" in page[page.index('data-testid="not-understood"'):]
    shown = json.loads(html.unescape(re.search(r'<textarea[^>]*data-testid="draft-json">(.*?)</textarea>', page, re.S).group(1)))
    opening = page[page.index('data-testid="open-in-builder"'):]
    definition = html.unescape(re.search(r'name="definition" value="([^"]*)"', opening).group(1))
    name = html.unescape(re.search(r'name="name" value="([^"]*)"', opening).group(1))
    assert json.loads(definition) == shown and shown["exclusion"] == [{"type": "condition", "codes": ["N18*"], "name": "insuffisance rénale chronique"}]
    builder = c.post("/cohorts", data={"csrf_token": csrf, "definition": definition, "name": name, "action": "open"})
    assert builder.status_code == 200 and 'data-testid="attrition"' in builder.text
    expected = cohorts.cohort(command_line(demo), BY_HAND, members=False)
    assert f"{expected['size']} patient(s) dans la cohorte" in builder.text
    assert "sans insuffisance rénale chronique" in builder.text and "HbA1c &gt; 8 %" in builder.text
    english = c.post("/cohorts/draft?lang=en", data={"csrf_token": csrf, "text": CRITERIA}).text
    assert "Not understood (to enter by hand)" in english and "LOINC measurement 4548-4 &gt; 8 %" in english


def test_the_page_says_what_is_wrong_and_needs_its_token(demo):
    c, csrf = web_login(demo, "researcher")
    page = c.post("/cohorts/draft", data={"csrf_token": csrf, "text": "x" * 5001})
    assert page.status_code == 200 and 'data-testid="draft-error"' in page.text and "5,000" in page.text
    assert c.post("/cohorts/draft", data={"csrf_token": "forged", "text": "DT2"}).status_code == 403
    stranger = TestClient(create_app(demo))
    assert stranger.get("/cohorts/draft", follow_redirects=False).headers["location"] == "/login"


def test_the_command_line_prints_the_draft(demo, tmp_path):
    written = tmp_path / "criteria.txt"
    written.write_text(CRITERIA, encoding="utf-8")
    result = run_cli("--data", demo, "cohort", "--draft", f"@{written}", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == cohorts_draft(demo)
    table = run_cli("--data", demo, "cohort", "--draft", CRITERIA)
    assert table.exit_code == 0 and "not understood consentement non signé" in table.stdout and "N18*" in table.stdout
    assert run_cli("--data", demo, "cohort", "--draft", "").exit_code == 2
    assert run_cli("--data", demo, "cohort", "--draft", f"@{tmp_path / 'missing.txt'}").exit_code == 2


def cohorts_draft(demo) -> dict:
    from clinsearch.services.criteria import draft_cohort

    return draft_cohort(command_line(demo), CRITERIA)
