"""Cohorts through the API and the web form, on the demo warehouse with its demo accounts:
the same results as the service, pseudonymised and blurred for researchers, refused to
administrators, every call audited."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services.demo import DEMO_USERS
from clinsearch.security.audit import AuditLog

DEFINITION = {"name": "EP puis anticoagulant", "as_of": "2025-07-01",
              "index": {"event": {"type": "text", "query": "embolie pulmonaire"}},
              "inclusion": [{"type": "drug", "codes": ["B01A*"], "window": {"from": 0, "to": 30}}],
              "exclusion": [{"type": "demographics", "age": {"min": 80}}]}


def client(demo, role: str) -> TestClient:
    username, password = next((u, p) for u, r, p in DEMO_USERS if r == role)
    c = TestClient(create_app(demo))
    response = c.post("/api/v1/login", json={"username": username, "password": password, "purpose": "cohort tests"})
    assert response.status_code == 200, response.text
    c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return c


def audit_actions(demo) -> list[tuple[str, str]]:
    log = AuditLog(demo)
    try:
        return [(e["action"], e["username"]) for e in log.entries(50, 0)]
    finally:
        log.close()


def test_a_clinician_runs_counts_and_compares(demo):
    c = client(demo, "clinician")
    run = c.post("/api/v1/cohorts/run", json={"definition": DEFINITION, "compare": {**DEFINITION, "name": "sans exclusion", "exclusion": []}})
    assert run.status_code == 200, run.text
    body = run.json()
    assert body["size"] == len(body["patients"]) > 10 and body["compare"]["size"] >= body["size"]
    assert [s["where"] for s in body["attrition"]] == ["population", "index", "inclusion[1]", "exclusion[1]"]
    assert body["table_one"]["columns"] == ["EP puis anticoagulant", "sans exclusion"]
    count = c.post("/api/v1/cohorts/count", json={"definition": DEFINITION}).json()
    assert count["size"] == body["size"] and "patients" not in count
    assert ("cohort", "clinicien") in audit_actions(demo) and ("cohort-count", "clinicien") in audit_actions(demo)


def test_a_researcher_gets_pseudonyms_and_blurred_counts(demo):
    c = client(demo, "researcher")
    body = c.post("/api/v1/cohorts/run", json={"definition": DEFINITION}).json()
    assert all(p["person_id"].startswith("P-") for p in body["patients"])
    small = [s for s in body["attrition"] if s["removed"] == "<10" or s["remaining"] == "<10"]
    assert small, "the demo's exclusion of patients aged 80 or more removes fewer than 10"
    assert not any(isinstance(v, int) and 0 < v < 10 for s in body["attrition"] for v in (s["remaining"], s["removed"]))
    rows = body["table_one"]["rows"]
    assert any(v == "<10" or v == "<10 patients" for r in rows for v in r["values"])
    exported = c.post("/api/v1/cohorts/export", json={"definition": DEFINITION, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-disposition"].endswith('"cohort.csv"')
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["person_id"] for r in rows} == {p["person_id"] for p in body["patients"]}
    assert ("cohort-export", "chercheur") in audit_actions(demo)


def test_exports_in_parquet_and_omop(demo):
    c = client(demo, "clinician")
    parquet = c.post("/api/v1/cohorts/export", json={"definition": DEFINITION, "format": "parquet"})
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == int(parquet.headers["x-clinsearch-patients"])
    omop = c.post("/api/v1/cohorts/export", json={"definition": DEFINITION, "format": "omop"})
    names = zipfile.ZipFile(io.BytesIO(omop.content)).namelist()
    assert {"person.parquet", "measurement.parquet", "note.parquet", "cohort.parquet"} <= set(names)
    assert "person_identity.parquet" not in names


def test_saved_cohorts_through_the_api(demo):
    c = client(demo, "researcher")
    saved = c.post("/api/v1/cohorts", json={"definition": {**DEFINITION, "name": "API sauvegardée"}})
    assert saved.status_code == 200 and saved.json()["author"] == "chercheur"
    listed = c.get("/api/v1/cohorts").json()["cohorts"]
    assert "API sauvegardée" in [x["name"] for x in listed]
    again = c.post(f"/api/v1/cohorts/{saved.json()['id']}/run")
    assert again.status_code == 200 and again.json()["name"] == "API sauvegardée"
    assert c.get("/api/v1/cohorts/no-such-cohort").status_code == 404
    assert c.get("/api/v1/cohorts/schema").json()["title"] == "clinsearch cohort definition"


@pytest.mark.parametrize("definition, message", [
    ({"name": "x", "inclusion": [{"type": "condition", "codes": ["I21*"], "when": "soon"}]}, "inclusion[1] (condition): unknown field 'when'"),
    ({"name": "x", "inclusion": [{"type": "measurement", "code": "2093-3", "min": 1, "unit": "mmHg"}]}, "not a unit of cholesterol"),
    ({"name": "x", "inclusion": [{"type": "text", "query": "\"EP"}]}, "inclusion[1]"),
    ({"inclusion": []}, "'name' is required"),
])
def test_bad_definitions_are_400_naming_the_criterion(demo, definition, message):
    response = client(demo, "clinician").post("/api/v1/cohorts/count", json={"definition": definition})
    assert response.status_code == 400 and message in response.json()["detail"]


def test_administrators_and_strangers_get_no_cohort(demo):
    assert client(demo, "admin").post("/api/v1/cohorts/run", json={"definition": DEFINITION}).status_code == 403
    assert TestClient(create_app(demo)).post("/api/v1/cohorts/count", json={"definition": DEFINITION}).status_code == 401
    c = client(demo, "clinician")
    del c.headers["X-CSRF-Token"]
    assert c.post("/api/v1/cohorts/count", json={"definition": DEFINITION}).status_code == 403


def web_login(demo, role: str) -> tuple[TestClient, str]:
    username, password = next((u, p) for u, r, p in DEMO_USERS if r == role)
    c = TestClient(create_app(demo))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": username, "password": password, "purpose": "test", "csrf_token": token})
    page = c.get("/cohorts")
    assert page.status_code == 200
    return c, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def definition_of(page: str) -> str:
    import html

    return html.unescape(re.search(r'<textarea name="definition"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def test_the_web_form_builds_a_cohort_step_by_step(demo):
    from clinsearch.cohort.build import build
    from clinsearch.cohort.definition import read
    from clinsearch.warehouse.store import open_store

    c, csrf = web_login(demo, "clinician")
    step = c.post("/cohorts", data={"csrf_token": csrf, "definition": "", "name": "EP web", "action": "add", "section": "index", "type": "text", "query": "embolie pulmonaire"})
    step = c.post("/cohorts", data={"csrf_token": csrf, "definition": definition_of(step.text), "action": "add", "section": "inclusion",
                                    "type": "drug", "codes": "B01A*", "window_from": "0", "window_to": "30"})
    preview = c.post("/cohorts/preview", data={"csrf_token": csrf, "definition": definition_of(step.text), "section": "exclusion", "type": "demographics", "age_min": "80"})
    ran = c.post("/cohorts", data={"csrf_token": csrf, "definition": definition_of(step.text), "action": "run"})
    with open_store(demo, read_only=True) as store:
        expected = build(store, demo, read({"name": "EP web", "index": DEFINITION["index"], "inclusion": DEFINITION["inclusion"]}))
        with_exclusion = build(store, demo, read({k: v for k, v in DEFINITION.items() if k != "as_of"}))
    assert f"{expected.size} patient(s)" in ran.text and 'data-testid="table-one"' in ran.text
    assert all(f"/patients/{p}\"" in ran.text for p, _ in expected.members[:100])
    assert preview.json()["count"] == with_exclusion.size
    wrong = c.post("/cohorts", data={"csrf_token": csrf, "definition": definition_of(step.text), "action": "add", "type": "condition", "codes": "Z99.99"})
    assert "unknown CIM-10 code" in wrong.text and definition_of(wrong.text) == definition_of(step.text)
    removed = c.post("/cohorts", data={"csrf_token": csrf, "definition": definition_of(step.text), "action": "remove:inclusion:1"})
    assert json.loads(definition_of(removed.text))["inclusion"] == [] and "index" in json.loads(definition_of(removed.text))
    exported = c.post("/cohorts", data={"csrf_token": csrf, "definition": definition_of(step.text), "action": "export-csv"})
    assert exported.headers["content-type"].startswith("text/csv") and exported.text.count("\n") == expected.size + 1
    assert c.post("/cohorts", data={"csrf_token": "wrong", "definition": "", "action": "run"}).status_code == 403
