"""Patients like mine over HTTP: the API route (the service's object, pseudonyms for researchers)
and the page in a real browser (Debian's chromium), reached from the button on the patient page."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services import similar as service
from clinsearch.services.access import command_line, pseudonym
from tests.api.browsing import PASSWORDS, log_in, shot


def rare_patient(demo) -> int:
    """A patient with lung cancer (one of the demo's rarest conditions) whose first-ranked similar patient has it too."""
    patients = json.loads((demo / "demo-source" / "ground_truth.json").read_text(encoding="utf-8"))["patients"]
    documented = {p["person_id"]: set(p["documented"]) for p in patients.values()}
    for pid in sorted(p for p, found in documented.items() if "cancer_poumon" in found):
        first = service.similar(command_line(demo), str(pid), limit=1)["patients"][0]
        if "cancer_poumon" in documented[first["person_id"]]:
            return pid
    raise AssertionError("no lung cancer patient ranks another one first")


def api(demo, username: str | None) -> TestClient:
    c = TestClient(create_app(demo))
    if username:
        response = c.post("/api/v1/login", json={"username": username, "password": PASSWORDS[username], "purpose": "test"})
        assert response.status_code == 200, response.text
    return c


def test_the_api_gives_the_services_object_to_a_clinician_and_pseudonyms_to_a_researcher(demo):
    pid = rare_patient(demo)
    assert api(demo, None).get(f"/api/v1/patients/{pid}/similar").status_code == 401
    clinician = api(demo, "clinicien")
    response = clinician.get(f"/api/v1/patients/{pid}/similar", params={"limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body == json.loads(json.dumps(service.similar(command_line(demo), str(pid), limit=5)))
    assert len(body["patients"]) == 5 and {"person_id", "similarity", "shared", "different"} <= set(body["patients"][0])
    assert "CIM10:C34" in [f["concept"] for f in body["patients"][0]["shared"]]
    assert clinician.get(f"/api/v1/patients/{pid}/similar", params={"limit": 0}).status_code == 422
    assert clinician.get(f"/api/v1/patients/{pid}/similar", params={"limit": 101}).status_code == 422
    assert clinician.get("/api/v1/patients/999999/similar").status_code == 404
    english = clinician.get(f"/api/v1/patients/{pid}/similar", params={"limit": 1, "lang": "en"}).json()
    assert english["patients"][0]["person_id"] == body["patients"][0]["person_id"]

    researcher = api(demo, "chercheur")
    assert researcher.get(f"/api/v1/patients/{pid}/similar").status_code == 404  # a person id: researchers name pseudonyms
    found = researcher.get(f"/api/v1/patients/{pseudonym(demo, pid)}/similar", params={"limit": 5}).json()
    assert found["person_id"] == pseudonym(demo, pid) and len(found["patients"]) == 10
    assert all(p["person_id"].startswith("P-") for p in found["patients"])
    assert api(demo, "admin").get(f"/api/v1/patients/{pid}/similar").status_code == 403


def test_the_patient_pages_button_opens_the_similar_patients(server, browser, demo):
    pid = rare_patient(demo)
    expected = service.similar(command_line(demo), str(pid), limit=10)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    log_in(page, server, "clinicien")
    page.goto(f"{server}/patients/{pid}")
    link = page.get_by_test_id("similar-link")
    assert link.inner_text() == "Patients similaires" and link.get_attribute("href") == f"/patients/{pid}/similar"
    link.click()
    page.wait_for_url(re.compile(rf"/patients/{pid}/similar$"))
    assert str(pid) in page.get_by_test_id("similar-title").inner_text()
    rows = page.locator("[data-testid=similar-patients] tbody tr")
    assert rows.count() == 10
    assert [rows.nth(i).get_attribute("data-person") for i in range(10)] == [str(p["person_id"]) for p in expected["patients"]]
    first = rows.first
    assert first.locator("[data-testid=shared] li[data-concept='CIM10:C34']").count() == 1
    assert expected["patients"][0]["shared"][0]["label"] in first.locator("[data-testid=shared]").inner_text()
    profile = page.get_by_test_id("similar-profile").inner_text()
    assert all(f["label"] in profile for f in expected["profile"])
    shot(page, "similar")
    page.get_by_label("Nombre de patients").fill("3")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"limit=3"))
    assert page.locator("[data-testid=similar-patients] tbody tr").count() == 3
    first_link = page.locator("[data-testid=similar-patients] tbody tr").first.get_by_role("link", name=str(expected["patients"][0]["person_id"]), exact=True)
    first_link.click()
    page.wait_for_url(re.compile(rf"/patients/{expected['patients'][0]['person_id']}$"))
    page.goto(f"{server}/patients/{pid}/similar?lang=en")
    assert page.get_by_test_id("similar-title").inner_text().startswith("Patients similar to")
    page.close()


def test_a_researcher_reads_the_page_with_pseudonyms_and_rare_concepts_withheld(server, browser, demo):
    patients = json.loads((demo / "demo-source" / "ground_truth.json").read_text(encoding="utf-8"))["patients"]
    pid = min(p["person_id"] for p in patients.values() if "diabete_t1" in p["documented"])  # type 1 diabetes: under 10 patients
    alias = pseudonym(demo, pid)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    log_in(page, server, "chercheur")
    page.goto(f"{server}/patients/{alias}")
    page.get_by_test_id("similar-link").click()
    page.wait_for_url(re.compile(rf"/patients/{alias}/similar$"))
    assert page.locator("[data-testid=similar-patients] tbody tr").count() == 10
    assert page.locator("li[data-concept='CIM10:E10']").count() == 0
    assert page.get_by_test_id("similar-withheld").count() == 1 and page.get_by_test_id("similar-researcher").count() == 1
    assert all(page.locator("[data-testid=similar-patients] tbody tr").nth(i).get_attribute("data-person").startswith("P-") for i in range(10))
    assert page.goto(f"{server}/patients/{pid}/similar").status == 404
    page.close()
