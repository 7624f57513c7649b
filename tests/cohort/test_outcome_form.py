"""The evaluation's outcome is built on the web page with the cohort form's own criterion
fields, criterion by criterion (windows from each index date), not typed as JSON; the
evaluation then runs on the outcome built (the audit log holds it)."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from clinsearch.security.audit import AuditLog
from clinsearch.security.users import Users
from clinsearch.server import create_app
from clinsearch.warehouse.store import open_store

PASSWORD = "a long enough password"


@pytest.fixture
def page(data):
    with open_store(data) as store:
        store.upsert("person", [{"person_id": p, "year_of_birth": 1960} for p in (1, 2)])
    users = Users(data)
    users.add("clara", PASSWORD, "clinician")
    users.close()
    c = TestClient(create_app(data))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "clara", "password": PASSWORD, "purpose": "test", "csrf_token": token})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/cohorts").text).group(1)
    saved = c.post("/cohorts", data={"csrf_token": csrf, "action": "save", "name": "adultes",
                                     "definition": json.dumps({"name": "adultes", "inclusion": [{"type": "demographics", "age": {"min": 18}}]})})
    assert saved.status_code == 200
    return data, c, csrf


def outcome_of(text: str) -> dict:
    return json.loads(html.unescape(re.search(r'<textarea name="outcome"[^>]*>(.*?)</textarea>', text, re.S).group(1)))


def test_the_outcome_is_built_with_the_criterion_form_and_evaluated(page):
    data, c, csrf = page
    first = c.get("/evaluate").text
    assert 'name="codes"' in first and 'name="window_from"' in first and 'name="value_of"' in first  # the cohort form's fields
    outcome = {"name": "événement", "inclusion": []}
    step = {"csrf_token": csrf, "mode": "cohort", "outcome": json.dumps(outcome), "outcome_name": "IDM après l'index"}
    added = c.post("/evaluate", data={**step, "action": "add-outcome", "type": "condition", "codes": "I21*, SNOMED:22298006",
                                      "window_from": "1", "window_to": "3650"})
    assert added.status_code == 200
    built = outcome_of(added.text)
    assert built == {"name": "IDM après l'index", "inclusion": [{"type": "condition", "codes": ["I21*", "SNOMED:22298006"], "window": {"from": 1, "to": 3650}}]}
    assert "diagnostic I21* SNOMED:22298006, de 1 jours après à 3650 jours après" in html.unescape(added.text)

    second = c.post("/evaluate", data={**step, "outcome": json.dumps(built), "action": "add-outcome", "type": "measurement", "code": "4548-4",
                                       "min": "7", "unit": "%", "bounds": "strict", "value_of": "max", "window_from": "0"})
    both = outcome_of(second.text)
    assert both["inclusion"][1] == {"type": "measurement", "code": "4548-4", "above": 7.0, "unit": "%", "value_of": "max", "window": {"from": 0}}

    refused = c.post("/evaluate", data={**step, "outcome": json.dumps(both), "action": "add-outcome", "type": "condition", "codes": "44054006"})
    assert "is not a CIM-10 code; a SNOMED (or RxNorm) code?" in html.unescape(refused.text)
    assert outcome_of(refused.text) == both  # the outcome so far is kept

    removed = outcome_of(c.post("/evaluate", data={**step, "outcome": json.dumps(both), "action": "remove-outcome:2"}).text)
    assert removed == built

    c.post("/evaluate", data={**step, "outcome": json.dumps(removed), "action": "evaluate", "cohort": "1", "score_name": "score2"})
    log = AuditLog(data)
    try:
        entry = next(e for e in log.entries(20, 0) if e["action"] == "evaluate-cohort")
    finally:
        log.close()
    assert "SNOMED:22298006" in json.dumps(entry, ensure_ascii=False)
