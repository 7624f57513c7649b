"""The web pages, served by the same app as the API: login with CSRF, search with labelled
snippets, patient and note pages, roles (the researcher sees pseudonymised text and "<10")."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services.access import pseudonym
from tests.api.test_api import PASSWORD, data, note_id  # noqa: F401 (the module's warehouse fixture)


def logged_in(data, username: str) -> TestClient:  # noqa: F811
    c = TestClient(create_app(data))
    form = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = c.post("/login", data={"username": username, "password": PASSWORD, "purpose": "soins", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] in ("/search", "/audit")  # admins land on the audit
    return c


def test_pages_redirect_to_login_without_a_session(data):  # noqa: F811
    c = TestClient(create_app(data))
    for path in ("/search?q=EP", "/patients/1", f"/notes/{note_id(data, 'a1.txt')}"):
        response = c.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_login_needs_the_form_token(data):  # noqa: F811
    c = TestClient(create_app(data))
    c.get("/login")
    response = c.post("/login", data={"username": "clara", "password": PASSWORD, "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403 and "session" not in response.headers.get("set-cookie", "")


def test_the_login_page_is_labelled_and_localised(data):  # noqa: F811
    c = TestClient(create_app(data))
    french = c.get("/login").text
    assert '<label for="username">Identifiant</label>' in french and 'lang="fr"' in french
    english = c.get("/login?lang=en").text
    assert '<label for="username">User name</label>' in english and 'lang="en"' in english


def test_a_clinician_finds_a_confirmed_embolism_and_reads_the_note(data):  # noqa: F811
    c = logged_in(data, "clara")
    page = c.get("/search", params={"q": "neg:EP"}).text
    assert "clara (clinician)" in page
    assert 'class="badge ctx-negated">nié</span>' in page and "<mark>embolie pulmonaire</mark>" in page
    page = c.get("/search", params={"q": "EP", "patients": 1}).text
    assert 'data-testid="patients-total">2 patient(s)' in page
    note = c.get(f"/notes/{note_id(data, 'b1.txt')}").text
    assert '<mark class="ctx-negated"' in note and "embolie pulmonaire</mark>" in note
    record = c.get("/patients/1").text
    documents = record[record.index('data-testid="documents"'):record.index('data-testid="scores"')]
    assert "MARTIN" in record and len(re.findall(r'href="/notes/\d+"', documents)) == 3


def test_a_bad_query_is_shown_not_crashed(data):  # noqa: F811
    page = logged_in(data, "clara").get("/search", params={"q": 'EP "TVP'}).text
    assert "unbalanced quote" in page and 'role="alert"' in page


def test_a_researcher_sees_pseudonyms_and_blurred_counts(data):  # noqa: F811
    c = logged_in(data, "remi")
    page = c.get("/search", params={"q": "EP", "patients": 1}).text
    assert "&lt;10 document(s)" in page and "MARTIN" not in page
    assert not re.search(r'href="/patients/', page)  # fewer than 10: no patient listed (docs/security.md)
    alias = pseudonym(data, 1)
    assert c.get(f"/patients/{alias}").status_code == 200
    assert c.get("/patients/1").status_code == 404


def test_a_restricted_clinician_is_refused_other_patients(data):  # noqa: F811
    response = logged_in(data, "paula").get("/patients/1")
    assert response.status_code == 403 and "outside the departments" in response.text


def test_logout_ends_the_session(data):  # noqa: F811
    c = logged_in(data, "clara")
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/search").text).group(1)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert c.get("/search", follow_redirects=False).status_code == 303


def test_static_files_are_served_locally(data):  # noqa: F811
    response = TestClient(create_app(data)).get("/static/style.css")
    assert response.status_code == 200 and "ctx-negated" in response.text


def test_the_admin_reads_the_audit_log_and_users_in_the_ui(data):  # noqa: F811
    logged_in(data, "clara").get("/search", params={"q": "EP"})
    page = logged_in(data, "ada").get("/audit").text
    assert 'data-testid="verify" class="ok"' in page and "clara" in page and "search" in page and "remi" in page
    assert logged_in(data, "clara").get("/audit").status_code == 403
