"""The audit page: filters (user, patient by pseudonym, action, days), paging, the CSV export
(safe in a spreadsheet), where an admin lands, and the page in one language at a time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from fastapi.testclient import TestClient

from clinsearch.security.audit import AuditLog
from clinsearch.security.users import Principal
from clinsearch.server import create_app
from clinsearch.services.access import pseudonym
from clinsearch.web.admin_pages import landing
from tests.api.test_api import PASSWORD, data  # noqa: F401 (the module's warehouse fixture)


def logged_in(data, username: str) -> TestClient:  # noqa: F811
    c = TestClient(create_app(data))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    response = c.post("/login", data={"username": username, "password": PASSWORD, "purpose": "contrôle", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    return c


def rows(page: str) -> list[str]:
    table = page.split('data-testid="audit-entries"')[1].split("</table>")[0]
    return re.findall(r"<tr><td>\d+</td>.*?</tr>", table)


def test_an_admin_lands_on_the_audit_log_and_the_others_on_the_search():
    assert landing(Principal("ada", "admin")) == "/audit"
    assert landing(Principal("clara", "clinician")) == landing(Principal("remi", "researcher")) == "/search"


def test_the_audit_page_filters_by_user_action_patient_and_day(data):  # noqa: F811
    clara, remi = logged_in(data, "clara"), logged_in(data, "remi")
    assert clara.get("/patients/1").status_code == 200 and clara.get("/patients/9").status_code == 200
    assert remi.get(f"/patients/{pseudonym(data, 1)}").status_code == 200
    log = AuditLog(data)
    try:
        log.append("clara", "clinician", "search", "EP", purpose="soins")  # another action, to be filtered out
    finally:
        log.close()
    ada = logged_in(data, "ada")
    by_clara = rows(ada.get("/audit", params={"user": "clara"}).text)
    assert len(by_clara) >= 2 and all("<td>clara</td>" in r for r in by_clara)
    action = re.findall(r"<td>([a-z-]+)</td>", by_clara[-1])[-1]  # what the patient page writes (patient, summary ...)
    of_action = rows(ada.get("/audit", params={"action": action}).text)
    assert of_action and all(f"<td>{action}</td>" in r for r in of_action) and len(of_action) < len(rows(ada.get("/audit").text))
    alias = pseudonym(data, 1)
    about_1 = rows(ada.get("/audit", params={"patient": alias}).text)
    # clara's (by person id) and remi's (by pseudonym) reads, and what else named patient 1, all shown by pseudonym
    assert about_1 and all(alias in r for r in about_1) and {"<td>clara</td>" in r for r in about_1} == {True, False}
    assert any("<td>remi</td>" in r for r in about_1)
    about_9 = rows(ada.get("/audit", params={"patient": pseudonym(data, 9)}).text)
    assert about_9 and all("<td>clara</td>" in r and pseudonym(data, 9) in r for r in about_9)
    assert not any(">1<" in r.split("</td>", 5)[-1] for r in about_1)  # the person id is never shown
    assert rows(ada.get("/audit", params={"patient": "P-0000000000"}).text) == []
    today = dt.datetime.now(dt.timezone.utc).date()
    assert len(rows(ada.get("/audit", params={"user": "clara", "since": today.isoformat(), "until": today.isoformat()}).text)) >= 2
    assert rows(ada.get("/audit", params={"user": "clara", "until": (today - dt.timedelta(days=1)).isoformat()}).text) == []
    bad = ada.get("/audit", params={"since": "hier"})
    assert bad.status_code == 200 and "not a day" in bad.text


def test_the_audit_page_is_paged(data):  # noqa: F811
    log = AuditLog(data)
    try:
        for i in range(60):
            log.append("paging-bot", "clinician", "search", f"q{i}", purpose="test")
    finally:
        log.close()
    ada = logged_in(data, "ada")
    first = ada.get("/audit", params={"user": "paging-bot"}).text
    assert len(rows(first)) == 50 and "60 entrée(s)" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = ada.get("/audit", params={"user": "paging-bot", "page": 2}).text
    assert len(rows(second)) == 10 and 'rel="prev"' in second and 'rel="next"' not in second
    assert "<td>q0</td>" in second and "<td>q0</td>" not in first  # newest first
    assert 'data-testid="verify" class="ok"' in second  # the hash chain still verifies


def test_the_csv_export_keeps_the_filters_and_defuses_formulas(data):  # noqa: F811
    log = AuditLog(data)
    try:
        log.append("csv-bot", "clinician", "search", "=HYPERLINK(\"http://evil\")", purpose="@SUM(A1)")
        log.append("csv-bot", "clinician", "search", "-2+3", purpose="soins")
        log.append("other-bot", "clinician", "search", "ok", purpose="soins")
    finally:
        log.close()
    ada = logged_in(data, "ada")
    response = ada.get("/audit.csv", params={"user": "csv-bot"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["username"] for r in table] == ["csv-bot", "csv-bot"]
    assert table[0]["target"] == "'-2+3" and table[1]["target"].startswith("'=HYPERLINK") and table[1]["purpose"] == "'@SUM(A1)"
    assert logged_in(data, "clara").get("/audit.csv").status_code == 403
    assert rows(ada.get("/audit", params={"action": "audit-export", "user": "ada"}).text)  # the export is audited


def test_the_audit_page_speaks_one_language(data):  # noqa: F811
    ada = logged_in(data, "ada")
    french, english = ada.get("/audit").text, ada.get("/audit", params={"lang": "en"}).text
    for word in ("Filter", "Export as CSV", "Role<", "Live counts", "entry(ies)", "From<", "Users"):
        assert word not in french, word
    for word in ("Filtrer", "Exporter", "Rôle", "Comptages", "entrée(s)", "Utilisateurs", "Journal"):
        assert word not in english, word


def test_the_live_counts_of_one_editing_write_one_entry_and_spend_the_budget(data, monkeypatch):  # noqa: F811
    remi = logged_in(data, "remi")
    page = remi.get("/cohorts").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session = re.search(r'name="preview_session" value="([^"]+)"', page).group(1)
    definition = '{"name": "live"}'

    def typed(text: str, session: str = session) -> dict:
        fields = {"csrf_token": csrf, "preview_session": session, "definition": definition, "name": "live", "type": "text", "query": text}
        return remi.post("/cohorts/preview", data=fields).json()

    answers = [typed(text) for text in ("embolie", "embolie pulmonaire", "EP", "pulmonaire")]
    assert all(a.get("count") == "<10" for a in answers), answers  # blurred, every one
    ada = logged_in(data, "ada")
    entries = [r for r in rows(ada.get("/audit", params={"user": "remi", "action": "cohort-count"}).text) if "<td>live</td>" in r]
    assert len(entries) == 1 and "+ 3 comptage(s)" in entries[0]
    details = [e for e in _entries(data, "remi") if e["target"] == "live"][0]["details"]
    assert '"live_counts"' in details and '"query": "embolie"' in details  # says live counts were made, on what
    typed("embolie", session="another-session-id")
    assert len([r for r in rows(ada.get("/audit", params={"user": "remi", "action": "cohort-count"}).text) if "<td>live</td>" in r]) == 2
    monkeypatch.setenv("CLINSEARCH_QUERY_BUDGET", "6")  # the page's own count, four live counts, one more: six
    assert "budget" in typed("embolie p").get("error", "")  # folded counts are spent too


def _entries(data, user: str) -> list[dict]:
    log = AuditLog(data)
    try:
        return [e for e in log.entries(1000) if e["username"] == user]
    finally:
        log.close()
