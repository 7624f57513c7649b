"""The evaluation's progress in a real browser (the job and its polled steps, the page without
JavaScript all the same), and the study pages in one language at a time: Table 1, the
attrition, the outcome's criteria and the evaluation report, French by default, English on demand."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from clinsearch.server import create_app
from clinsearch.services.demo import DEMO_USERS
from tests.api.browsing import log_in

COHORT = "Adultes 40-69 ans avec un bilan lipidique"  # saved by `clinsearch demo`
# English words the French pages once showed (Table 1, attrition, outcome, report), and back.
ENGLISH = ("Age at index", ">Sex<", ">Conditions<", ">Drugs<", "Measurements", "female", "years", "patients in the warehouse",
           "not computed", "The sample", "Discrimination:", "patients evaluated", "calibration plot", "What this evaluation covers",
           "sensitivity", "days after", "the index date", "Evaluation of", ">inpatient<", "too small")
FRENCH = ("Âge", ">Sexe<", "Diagnostics", "Médicaments", "Mesures", "femme", ", ans<", "entrepôt", "L'échantillon", "patients évalués",
          "courbe de calibration", "Ce que couvre", "sensibilité", "jours après", "la date index", "Évaluation de", ">hospitalisation<", "trop petit")



def test_the_evaluation_shows_its_steps_then_its_report_in_french(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    log_in(page, server, "clinicien")
    page.goto(f"{server}/evaluate")
    assert page.get_by_test_id("evaluate-progress").is_hidden()
    page.locator("select[name=cohort]").select_option(label=COHORT)
    page.locator("form.evaluate").nth(1).get_by_role("button", name="Évaluer").click()
    page.get_by_test_id("evaluate-progress").wait_for(state="visible")
    report = page.frame_locator("[data-testid=report]")
    report.locator("h1").wait_for(timeout=60_000)
    assert re.search(r"/evaluate/jobs/[\w-]+/page$", page.url)
    assert report.locator("h1").inner_text().startswith("Évaluation de score2")
    assert report.locator("img[alt='courbe de calibration']").count() == 1
    text = report.locator("body").inner_html()
    assert int(report.get_by_test_id("n").inner_text()) > 100
    for word in ENGLISH:
        assert word not in text, word
    page.close()


def test_the_progress_follows_the_real_steps(server, browser):
    page = browser.new_page()
    log_in(page, server, "clinicien")
    page.goto(f"{server}/evaluate")
    page.locator("select[name=cohort]").select_option(label=COHORT)
    polled: list[dict] = []
    page.on("response", lambda r: _keep(polled, r) if re.search(r"/evaluate/jobs/[\w-]+$", r.url) else None)
    page.locator("form.evaluate").nth(1).get_by_role("button", name="Évaluer").click()
    page.frame_locator("[data-testid=report]").locator("h1").wait_for(timeout=60_000)
    steps = [p["step"] for p in polled if p.get("step")]
    order = ["reading", "scoring", "metrics", "report"]
    assert len(set(steps)) >= 2, steps  # the server told several steps while working, in their order
    assert steps == sorted(steps, key=order.index)
    final = page.evaluate("url => fetch(url).then(r => r.json())", page.url.removesuffix("/page"))
    assert final["done"] is True and final["step"] == "report"  # the page opened once the job was done
    page.close()


def _keep(polled: list, response) -> None:
    """A polled answer's body (the last one may be gone: the page navigates when it says done)."""
    try:
        polled.append(response.json())
    except Exception:  # noqa: BLE001 -- playwright's "body not available" after the navigation
        pass


def test_without_javascript_the_form_still_evaluates(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, server, "clinicien")
    page.goto(f"{server}/evaluate")
    page.locator("select[name=cohort]").select_option(label=COHORT)
    page.locator("form.evaluate").nth(1).get_by_role("button", name="Évaluer").click()
    page.frame_locator("[data-testid=report]").locator("h1").wait_for(timeout=60_000)
    assert page.url.endswith("/evaluate")  # the plain POST answered with the report
    context.close()


def _client(demo, username: str) -> TestClient:
    c = TestClient(create_app(demo))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    password = {name: password for name, _, password in DEMO_USERS}[username]
    c.post("/login", data={"username": username, "password": password, "purpose": "test", "csrf_token": token})
    return c


def test_the_cohort_and_evaluation_pages_speak_one_language(demo):
    c = _client(demo, "clinicien")
    saved = re.search(r'href="/cohorts\?saved=(\d+)">' + re.escape(COHORT), c.get("/cohorts").text).group(1)
    french, english = c.get("/cohorts", params={"saved": saved}).text, c.get("/cohorts", params={"saved": saved, "lang": "en"}).text
    assert 'data-testid="table-one"' in french and 'data-testid="table-one"' in english
    french += c.get("/evaluate", params={"lang": "fr"}).text
    english += c.get("/evaluate", params={"lang": "en"}).text
    for word in ENGLISH:
        assert word not in french, word
    for word in FRENCH:
        assert word not in english, word
    assert "Âge à la date index" in french and "Age at index" in english  # the words checked are there to be found
    c.close()
