"""The REST API against a real warehouse and index: sessions, CSRF, roles on every route,
pseudonymisation for researchers, and an audit entry for every access to patient data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.security.audit import AuditLog
from clinsearch.security.users import Users
from clinsearch.services.access import pseudonym
from tests.helpers import run_cli
from tests.search.conftest import NOTES, write_hospital

PASSWORD = "a long enough password"
IDENTITY = "person_id,family_name,given_name,birth_date,city\n1,MARTIN,Paul,1950-03-12,Rouen\n"
PERSON = "person_id,year_of_birth,gender_source_value\n" + "".join(f"{i},{1940 + i},{'M' if i % 2 else 'F'}\n" for i in range(1, 10))
NAMED_NOTE = ("a3.txt", 1, "2023-09-01", "CRH", 1, "fr", "Patient : M. MARTIN Paul, né le 12/03/1950. Embolie pulmonaire confirmée, traitée.")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    sources = write_hospital(root / "sources", notes=[*NOTES, NAMED_NOTE])
    (sources / "omop" / "person_identity.csv").write_text(IDENTITY, encoding="utf-8")
    (sources / "omop" / "person.csv").write_text(PERSON, encoding="utf-8")
    data = root / "warehouse"
    result = run_cli("--data", data, "ingest", sources)
    assert result.exit_code == 0, result.stderr
    users = Users(data)
    users.add("clara", PASSWORD, "clinician")
    users.add("paula", PASSWORD, "clinician", departments=["Urgences"])
    users.add("remi", PASSWORD, "researcher")
    users.add("ada", PASSWORD, "admin")
    users.add("victor", PASSWORD, "clinician")  # the target of the brute-force test
    users.close()
    return data


def client(data, username: str | None = None) -> TestClient:
    c = TestClient(create_app(data))
    if username:
        response = c.post("/api/v1/login", json={"username": username, "password": PASSWORD, "purpose": "test"})
        assert response.status_code == 200, response.text
        c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return c


def note_id(data, name: str) -> int:
    from tests.helpers import query

    return query(data, "SELECT note_id FROM note WHERE note_source_value = ?", [name])[0][0]


PATIENT_ROUTES = ["/api/v1/search?q=EP", "/api/v1/search?q=EP&patients=true", "/api/v1/patients/1", "/api/v1/notes/{note}", "/api/v1/scores/score2?patient=1"]


def test_every_route_but_login_needs_a_session(data):
    anonymous = client(data)
    for route in [*PATIENT_ROUTES, "/api/v1/me", "/api/v1/stats", "/api/v1/audit", "/api/v1/audit/verify"]:
        assert anonymous.get(route.format(note=note_id(data, "a1.txt"))).status_code == 401, route
    assert anonymous.post("/api/v1/logout").status_code == 401


def test_wrong_passwords_are_refused_and_rate_limited(data):
    anonymous = client(data)
    for _ in range(5):
        assert anonymous.post("/api/v1/login", json={"username": "victor", "password": "wrong password!"}).status_code == 401
    assert anonymous.post("/api/v1/login", json={"username": "victor", "password": PASSWORD}).status_code == 429


def test_the_session_cookie_is_httponly_and_strict(data):
    response = TestClient(create_app(data)).post("/api/v1/login", json={"username": "clara", "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_state_changes_need_the_csrf_token(data):
    c = client(data, "clara")
    token = c.headers.pop("X-CSRF-Token")
    assert c.post("/api/v1/logout").status_code == 403
    assert c.post("/api/v1/logout", headers={"X-CSRF-Token": token}).status_code == 200
    assert c.get("/api/v1/me").status_code == 401  # logged out


def test_a_clinician_searches_and_reads_identified_data(data):
    c = client(data, "clara")
    body = c.get("/api/v1/search", params={"q": "EP", "patients": True}).json()
    assert {d["person_id"] for d in body["documents"]} == {1, 9}
    assert body["patients"][0]["person_id"] in (1, 9)
    record = c.get("/api/v1/patients/1").json()
    assert record["person"]["family_name"] == "MARTIN" and len(record["notes"]) == 3
    named = c.get(f"/api/v1/notes/{note_id(data, 'a3.txt')}").json()
    assert "MARTIN Paul" in named["text"]
    negated = c.get(f"/api/v1/notes/{note_id(data, 'b1.txt')}").json()
    assert any(a["text"] == "embolie pulmonaire" and a["context"] == "negated" for a in negated["annotations"])


def test_a_restricted_clinician_sees_only_their_departments(data):
    c = client(data, "paula")  # Urgences: notes c1 (patient 3) and g1 (patient 8)
    body = c.get("/api/v1/search", params={"q": "any:EP", "patients": True}).json()
    assert {d["person_id"] for d in body["documents"]} == {3, 8}
    assert {p["person_id"] for p in body["patients"]} == {3, 8}
    assert c.get("/api/v1/patients/3").status_code == 200
    assert c.get("/api/v1/patients/1").status_code == 403
    assert c.get(f"/api/v1/notes/{note_id(data, 'a1.txt')}").status_code == 404  # a note outside: as one that does not exist


def test_a_researcher_reads_pseudonymised_data_only(data):
    c = client(data, "remi")
    body = c.get("/api/v1/search", params={"q": "EP", "patients": True}).json()
    assert body["total"] == "<10" and body["patients_total"] == "<10"
    assert body["documents"] == [] and body["patients"] == []  # fewer than 10: nothing listed (docs/security.md)
    alias = pseudonym(data, 1)
    # no route gives a researcher identified text: not by person id, not by note
    assert c.get("/api/v1/patients/1").status_code == 404
    record = c.get(f"/api/v1/patients/{alias}").json()
    assert record["person"] == {"person_id": alias, "sex": None} or set(record["person"]) == {"person_id", "sex"}
    named = c.get(f"/api/v1/notes/{note_id(data, 'a3.txt')}").json()
    assert "MARTIN" not in named["text"] and "[NOM]" in named["text"] and named["person_id"] == alias
    assert all(named["text"][a["start"]: a["end"]] == a["text"] for a in named["annotations"])


def test_the_admin_reads_the_audit_log_but_no_patient_data(data):
    c = client(data, "ada")
    for route in PATIENT_ROUTES:
        assert c.get(route.format(note=note_id(data, "a1.txt"))).status_code == 403, route
    assert c.get("/api/v1/audit/verify").json()["ok"] is True
    assert client(data, "clara").get("/api/v1/audit").status_code == 403


def test_every_access_to_patient_data_is_audited(data):
    log = AuditLog(data)
    before = log.verify().entries
    c = client(data, "clara")
    for route in PATIENT_ROUTES:
        assert c.get(route.format(note=note_id(data, "a1.txt"))).status_code == 200
    entries = log.entries(len(PATIENT_ROUTES))
    assert log.verify().entries == before + len(PATIENT_ROUTES)
    assert [e["action"] for e in reversed(entries)] == ["search", "search", "patient", "note", "score"]
    assert all(e["username"] == "clara" and e["role"] == "clinician" and e["purpose"] == "test" for e in entries)


def test_bad_queries_are_400_with_the_reason(data):
    c = client(data, "clara")
    response = c.get("/api/v1/search", params={"q": 'EP "TVP'})
    assert response.status_code == 400 and "unbalanced quote" in response.json()["detail"]
    assert c.get("/api/v1/search", params={"q": "x" * 5000}).status_code == 422
    assert c.get("/api/v1/notes/123456789").status_code == 404


def test_the_openapi_schema_is_served(data):
    schema = TestClient(create_app(data)).get("/openapi.json").json()
    assert {"/api/v1/search", "/api/v1/patients/{key}", "/api/v1/notes/{note_id}", "/api/v1/login"} <= set(schema["paths"])


def test_scores_with_their_trail_are_for_clinicians(data):
    body = client(data, "clara").get("/api/v1/scores/score2", params={"patient": 1}).json()
    assert body["score"] == "score2" and body["value"] is None and {m["name"] for m in body["missing"]} >= {"sbp", "total_chol"}
    assert client(data, "clara").get("/api/v1/scores/nonsense", params={"patient": 1}).status_code == 400
    assert client(data, "remi").get("/api/v1/scores/score2", params={"patient": 1}).status_code == 403
    assert client(data, "paula").get("/api/v1/scores/score2", params={"patient": 1}).status_code == 403
