"""Evaluation through the API and the web page, with the demo's accounts: uploads, cohorts of
the warehouse, reports, researchers' blurred counts, audit."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from tests.cohort.test_cohort_api import client, web_login
from clinsearch.security.audit import AuditLog
from clinsearch.services.disclosure import shown

EXAMPLES = Path(__file__).parent.parent.parent / "src" / "clinsearch" / "demo" / "examples"
DF_BINARY = resources.files("dcurves").joinpath("data", "df_binary.csv")


def upload(c, **fields):
    data = {"outcome": "cancer", "score": ["cancerpredmarker"], **fields}
    return c.post("/api/v1/evaluate", data=data, files={"file": ("df_binary.csv", DF_BINARY.read_bytes(), "text/csv")})


def test_an_uploaded_file_is_evaluated_and_audited(demo):
    c = client(demo, "clinician")
    response = upload(c, group=["famhistory"], threshold=["0.1"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["n"], body["events"]) == (750, 105) and set(body["groups"]) == {"famhistory"}
    html = upload(c, format="html")
    assert html.headers["content-type"].startswith("text/html") and "data:image/png;base64," in html.text
    log = AuditLog(demo)
    try:
        assert any(e["action"] == "evaluate" and e["target"] == "df_binary.csv" for e in log.entries(20, 0))
    finally:
        log.close()


def test_bad_uploads_are_400(demo):
    c = client(demo, "clinician")
    assert "not binary" in c.post("/api/v1/evaluate", data={"outcome": "risk_group", "score": ["cancerpredmarker"]},
                                  files={"file": ("d.csv", DF_BINARY.read_bytes(), "text/csv")}).json()["detail"]
    empty = c.post("/api/v1/evaluate", data={"outcome": "y", "score": ["p"]}, files={"file": ("e.csv", b"", "text/csv")})
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    binary = c.post("/api/v1/evaluate", data={"outcome": "y", "score": ["p"]}, files={"file": ("b.csv", b"\xff\xfe\x00garbage", "text/csv")})
    assert binary.status_code == 400 and "not UTF-8" in binary.json()["detail"]
    assert client(demo, "admin").post("/api/v1/evaluate", data={"outcome": "cancer", "score": ["cancerpredmarker"]},
                                      files={"file": ("d.csv", DF_BINARY.read_bytes(), "text/csv")}).status_code == 403


def test_a_cohort_evaluation_clinician_and_researcher(demo):
    body = {"cohort": json.loads((EXAMPLES / "score2-cohort.json").read_text(encoding="utf-8")),
            "outcome": json.loads((EXAMPLES / "mace-outcome.json").read_text(encoding="utf-8")), "score_name": "score2"}
    clinician = client(demo, "clinician").post("/api/v1/evaluate/cohort", json=body)
    assert clinician.status_code == 200, clinician.text
    exact = clinician.json()
    assert 0 < exact["events"] < 10  # the demo's MACE: 8 events in 190 patients
    refused = client(demo, "researcher").post("/api/v1/evaluate/cohort", json=body)
    assert refused.status_code == 403 and "fewer than 10" in refused.json()["detail"]  # its prevalence or net benefit would give 8 back
    assert client(demo, "clinician").post("/api/v1/evaluate/cohort", json={**body, "format": "html"}).text.startswith("<!doctype html>")


BROADER = ["any:HTA OR any:hypertension OR code:I10", "any:diabète OR code:E11 OR any:DT2", "any:dyspnée OR any:douleur OR any:fièvre"]


def test_a_researcher_evaluation_shows_rounded_counts_and_withholds_small_groups(demo):
    cohort = json.loads((EXAMPLES / "score2-cohort.json").read_text(encoding="utf-8"))
    for query in BROADER:
        body = {"cohort": cohort, "score_name": "score2",
                "outcome": {"name": "outcome", "inclusion": [{"type": "text", "query": query, "window": {"from": -36500, "to": 36500}}]}}
        exact = client(demo, "clinician").post("/api/v1/evaluate/cohort", json=body).json()
        if exact["events"] >= 10 and exact["n"] - exact["events"] >= 10:
            break
    else:
        raise AssertionError("no outcome of the demo with 10 events and 10 non-events")
    researcher = client(demo, "researcher").post("/api/v1/evaluate/cohort", json=body).json()
    assert researcher["events"] == shown(exact["events"]) and researcher["n"] == shown(exact["n"])  # rounded to 5 (services/disclosure.py)
    assert researcher["scores"]["score2"]["auroc"] == exact["scores"]["score2"]["auroc"]
    for groups in researcher["groups"].values():
        for group in groups.values():
            assert not (isinstance(group["events"], int) and 0 < group["events"] < 10)
            if group["events"] == "<10":
                assert all(v is None for k, v in group.items() if isinstance(v, float))


def test_the_web_page_evaluates_an_upload(demo):
    c, csrf = web_login(demo, "clinician")
    page = c.get("/evaluate")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    answer = c.post("/evaluate", data={"csrf_token": csrf, "mode": "file", "outcome_column": "cancer", "scores": "cancerpredmarker, marker",
                                       "rescale": "logistic", "thresholds": "0.1 0.2"},
                    files={"file": ("df_binary.csv", DF_BINARY.read_bytes(), "text/csv")})
    assert answer.status_code == 200 and 'data-testid="report"' in answer.text and "sandbox" in answer.text
    assert "DeLong test for two correlated ROC curves" in answer.text
    wrong = c.post("/evaluate", data={"csrf_token": csrf, "mode": "file", "outcome_column": "nope", "scores": "marker"},
                   files={"file": ("df_binary.csv", DF_BINARY.read_bytes(), "text/csv")})
    assert re.search(r"no column &#39;nope&#39;|no column 'nope'", wrong.text)
