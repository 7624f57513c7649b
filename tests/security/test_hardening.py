"""The access layer as an attacker and a careless operator would try it: stolen session tables,
lockouts of the real user, accounts that must stop working, file permissions, headers, refused
attempts left out of the log, answers that tell which patients exist."""

from __future__ import annotations

import sqlite3
import stat

import pytest
from fastapi.testclient import TestClient

from clinsearch.security.audit import AuditLog
from clinsearch.security.sessions import Sessions
from clinsearch.security.users import Users
from clinsearch.server import create_app
from tests.api.test_api import PASSWORD, data  # noqa: F401 (the API tests' warehouse)
from tests.helpers import run_cli


def client(data, username=None):  # noqa: F811
    c = TestClient(create_app(data))
    if username:
        response = c.post("/api/v1/login", json={"username": username, "password": PASSWORD, "purpose": "test"})
        assert response.status_code == 200, response.text
        c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return c


def last_actions(data, n=5):  # noqa: F811
    log = AuditLog(data)
    try:
        return [(e["action"], e["username"], e["target"]) for e in log.entries(n, 0)]
    finally:
        log.close()


def test_a_copy_of_the_session_table_opens_no_session(data):  # noqa: F811
    c = client(data, "clara")
    token = c.cookies.get("clinsearch_session")
    stored = [row[0] for row in sqlite3.connect(data / "security.sqlite").execute("SELECT token FROM app_session")]
    assert token not in stored
    thief = TestClient(create_app(data))
    for value in stored:
        thief.cookies.set("clinsearch_session", value)
        assert thief.get("/api/v1/me").status_code == 401


def test_failed_logins_lock_out_the_guessing_address_not_the_real_user(data):  # noqa: F811
    sessions = Sessions(data)
    try:
        for _ in range(5):
            sessions.failed("alice-target", "attacker")
        assert sessions.blocked("alice-target", "attacker")
        assert not sessions.blocked("alice-target", "alice's workstation")
    finally:
        sessions.close()


def test_a_disabled_or_removed_account_stops_working_and_its_sessions_end(data):  # noqa: F811
    users = Users(data)
    users.add("dora", PASSWORD, "clinician")
    users.close()
    c = TestClient(create_app(data))
    assert c.post("/api/v1/login", json={"username": "dora", "password": PASSWORD}).status_code == 200
    assert run_cli("--data", data, "user", "sessions", "dora").stdout.strip().endswith("1 open session(s)")
    assert run_cli("--data", data, "user", "disable", "dora").exit_code == 0
    assert c.get("/api/v1/me").status_code == 401
    assert TestClient(create_app(data)).post("/api/v1/login", json={"username": "dora", "password": PASSWORD}).status_code == 401
    assert run_cli("--data", data, "user", "enable", "dora").exit_code == 0
    assert run_cli("--data", data, "user", "passwd", "dora", "--password", "another long password").exit_code == 0
    assert TestClient(create_app(data)).post("/api/v1/login", json={"username": "dora", "password": "another long password"}).status_code == 200
    assert run_cli("--data", data, "user", "sessions", "dora", "--revoke").exit_code == 0
    assert run_cli("--data", data, "user", "remove", "dora").exit_code == 0
    assert run_cli("--data", data, "user", "remove", "dora").exit_code == 2
    assert any(action == "user-remove" and user.endswith("(command line)") and target == "dora" for action, user, target in last_actions(data, 3))


def test_the_data_folder_is_readable_by_its_owner_only(data):  # noqa: F811
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_answers_carry_security_headers_and_no_cdn_page(data):  # noqa: F811
    c = client(data, "clara")
    response = c.get("/api/v1/search", params={"q": "EP"})
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert c.get("/docs").status_code == 404 and c.get("/openapi.json").status_code == 200


def test_a_refused_access_is_written_to_the_audit_log(data):  # noqa: F811
    assert client(data, "ada").get("/api/v1/patients/1").status_code == 403
    assert ("refused", "ada", "") in last_actions(data)


@pytest.mark.parametrize("person", ["1", "999999"])
def test_a_restricted_clinician_cannot_tell_a_missing_patient_from_one_outside(data, person):  # noqa: F811
    response = client(data, "paula").get(f"/api/v1/patients/{person}")
    assert response.status_code == 403 and "outside the departments" in response.json()["detail"]


def test_web_logout_ends_the_session_even_without_its_csrf_token(data):  # noqa: F811
    c = client(data, "clara")
    assert c.get("/api/v1/me").status_code == 200
    c.post("/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    c.cookies.clear()
    assert TestClient(create_app(data)).get("/api/v1/me").status_code == 401


def test_a_researcher_reads_warehouse_counts_suppressed_or_rounded(data):  # noqa: F811
    counts = client(data, "remi").get("/api/v1/stats").json()
    assert all(v in (0, "<10") or v % 5 == 0 for v in counts["tables"].values())
    exact = client(data, "clara").get("/api/v1/stats").json()
    assert exact["tables"]["note"] == 10 and exact["tables"]["person"] == 9


def test_a_definition_cannot_hold_the_server_for_minutes(data):  # noqa: F811
    c = client(data, "clara")
    from clinsearch.cohort.definition import cim10_codes

    codes = [f"{c}*" for c in sorted({code[:3] for code in cim10_codes()} - {"I10"})[:199]]  # 199 real prefixes (+ I10: the schema allows 200 a criterion)
    huge = {"name": "huge", "inclusion": [{"type": "condition", "codes": codes} for _ in range(50)]}
    refused = c.post("/api/v1/cohorts/count", json={"definition": huge})
    assert refused.status_code == 400 and "at most" in refused.json()["detail"]
    one = c.post("/api/v1/cohorts/count", json={"definition": {"name": "many prefixes", "inclusion": [{"type": "condition", "codes": codes + ["I10"]}]}})
    assert one.status_code == 200 and one.json()["attrition"][-1]["remaining"] == 1  # patient 7's I10 (and only it) matches


def test_hostile_requests_get_a_clear_4xx_never_a_500(data):  # noqa: F811
    c = client(data, "clara")
    surrogate = c.post("/api/v1/cohorts/count", content='{"definition": {"name": "\\ud800", "inclusion": []}}', headers={"content-type": "application/json"})
    assert surrogate.status_code == 400 and "Unicode" in surrogate.json()["detail"]
    for value in ("NaN", "1e999", "Infinity"):
        body = '{"cohort": {"name": "x"}, "outcome": {}, "score_name": "score2", "thresholds": [%s]}' % value
        response = c.post("/api/v1/evaluate/cohort", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422 and "thresholds" in response.json()["detail"] and value not in response.text
    assert c.get("/api/v1/patients/" + "9" * 64).status_code == 404
    assert c.get("/api/v1/scores/bmi", params={"patient": "9" * 64}).status_code == 404
    duplicated = c.post("/api/v1/evaluate", data={"outcome": "y", "score": ["s"]}, files={"file": ("d.csv", b"y,s,s\n1,0.2,0.3\n0,0.1,0.2\n", "text/csv")})
    assert duplicated.status_code == 400 and "more than once" in duplicated.json()["detail"]


def test_the_admin_reads_the_audit_log_with_pseudonyms_not_person_ids(data):  # noqa: F811
    from clinsearch.services.access import pseudonym

    assert client(data, "clara").get("/api/v1/patients/1").status_code == 200
    clara_search = client(data, "clara").get("/api/v1/search", params={"q": "M. MARTIN Paul"})
    assert clara_search.status_code == 200
    entries = client(data, "ada").get("/api/v1/audit", params={"limit": 20}).json()["entries"]
    patient = next(e for e in entries if e["action"] == "patient" and e["username"] == "clara")
    assert patient["target"] == pseudonym(data, 1)
    query = next(e for e in entries if e["action"] == "search" and e["username"] == "clara")
    assert "MARTIN" not in query["target"] and "[NOM]" in query["target"]


def test_a_researcher_making_too_many_counting_requests_is_refused_for_the_hour(data, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CLINSEARCH_QUERY_BUDGET", "3")
    users = Users(data)
    users.add("rita", PASSWORD, "researcher")
    users.close()
    c = client(data, "rita")
    answers = [c.get("/api/v1/search", params={"q": f"EP after:2020-01-0{day}"}).status_code for day in range(1, 6)]
    assert answers == [200, 200, 200, 403, 403]
    assert client(data, "clara").get("/api/v1/search", params={"q": "EP"}).status_code == 200  # clinicians have no such budget
    assert ("refused", "rita", "EP after:2020-01-04") in last_actions(data, 5)


def test_the_server_answers_only_to_its_own_host_names(data, monkeypatch):  # noqa: F811
    """TrustedHost: a page reached under another name (DNS rebinding, a forged link) gets 400."""
    from clinsearch.config import allowed_hosts

    monkeypatch.setenv("CLINSEARCH_ALLOWED_HOSTS", "clinsearch.chu.example")
    app = create_app(data, allowed_hosts("127.0.0.1"))
    assert TestClient(app, base_url="http://attacker.example").get("/login").status_code == 400
    assert TestClient(app, base_url="http://clinsearch.chu.example").get("/login").status_code == 200
    assert TestClient(app, base_url="http://127.0.0.1:8000").get("/login").status_code == 200
    monkeypatch.delenv("CLINSEARCH_ALLOWED_HOSTS")
    assert "10.0.0.5" in allowed_hosts("10.0.0.5") and "localhost" in allowed_hosts("127.0.0.1")
    with pytest.raises(ValueError, match="CLINSEARCH_ALLOWED_HOSTS"):
        allowed_hosts("0.0.0.0")
    result = run_cli("--data", data, "serve", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "CLINSEARCH_ALLOWED_HOSTS" in result.stderr
