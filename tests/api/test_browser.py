"""End to end in a real browser: Debian's chromium driven by Playwright, against the demo
hospital served by uvicorn on the loopback address (the fixtures: ``conftest.py``; logging in
and screenshots: ``browsing.py``).
"""

from __future__ import annotations

import re

from tests.api.browsing import log_in, shot


def test_a_clinician_finds_confirmed_embolisms_opens_a_patient_and_reads_a_note(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    shot_login = page.goto(f"{server}/login")
    assert shot_login.status == 200
    shot(page, "login")
    log_in(page, server, "clinicien")
    assert "clinicien (clinician)" in page.get_by_test_id("who").inner_text()
    query = page.get_by_label(re.compile("Requête|Query"))
    query.fill("embolie pulmonaire")
    query.press("Enter")
    page.wait_for_selector(".hit")
    assert page.locator(".badge.ctx-affirmed").count() > 0 and page.locator(".badge.ctx-negated").count() == 0
    shot(page, "search")
    page.goto(f"{server}/search?q=neg%3AEP")
    page.wait_for_selector(".hit")
    assert page.locator(".snippet .badge.ctx-negated").first.inner_text() == "nié"
    shot(page, "search-negated")
    page.locator(".hit .meta a").first.click()
    page.wait_for_url(re.compile(r"/patients/\d+$"))
    assert page.locator("h2", has_text="Documents").count() == 1
    shot(page, "patient")
    page.locator("[data-testid=documents] a[href^='/notes/']").first.click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    assert page.locator("pre.note mark").count() > 0
    shot(page, "note")
    page.get_by_role("button", name=re.compile("Déconnexion|Log out")).click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(f"{server}/patients/1")
    assert page.url.endswith("/login")  # logged out: refused
    page.close()


def small_query(demo) -> str:
    """A query with 1 to 9 matching documents on the demo, as a researcher searches it (the
    pseudonymised view, dates shifted: its true count read by the engine)."""
    from clinsearch.search.engine import search

    for candidate in ("EP type:CRO", "fam:EP type:URG", "EP after:2025", "fam:EP after:2025", "hyp:EP type:CRO", "fam:AVC type:CRO", "EP before:2015-06"):
        if 1 <= search(demo, candidate, view="pseudonymised").total <= 9:
            return candidate
    raise AssertionError("no small query on the demo")


def test_a_researcher_sees_pseudonymised_text_and_blurred_counts(server, browser, demo):
    from urllib.parse import quote_plus

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, "chercheur")
    page.goto(f"{server}/search?q={quote_plus(small_query(demo))}&patients=1")
    page.wait_for_selector("[data-testid=total]")
    assert page.get_by_test_id("total").inner_text().startswith("<10")
    text = page.locator("main").inner_text()
    assert page.locator(".hit").count() == 0 and not re.search(r"IPP \d", text)  # fewer than 10: nothing listed
    page.goto(f"{server}/search?q=EP")
    page.wait_for_selector(".hit")
    assert re.search(r"P-[0-9a-f]{10}", page.locator("main").inner_text())
    shot(page, "search-researcher")
    page.locator(".hit h3 a").first.click()
    page.wait_for_url(re.compile(r"/notes/\d+\?q=EP#first-hit$"))
    note = page.get_by_test_id("note-text").inner_text()
    assert "[NOM]" in note or "[PRÉNOM]" in note
    assert not re.search(r"IPP \d{10}", note)
    page.close()


def test_the_english_interface(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/login?lang=en")
    assert page.get_by_role("button", name="Log in").count() == 1
    page.close()


def test_a_clinician_builds_a_cohort_with_live_counts(server, browser, demo):
    from clinsearch.cohort.build import build
    from clinsearch.cohort.definition import read
    from clinsearch.warehouse.store import open_store

    index = {"event": {"type": "text", "query": "embolie pulmonaire"}}
    drug = {"type": "drug", "codes": ["B01A*"], "window": {"from": 0, "to": 30}}
    with open_store(demo, read_only=True) as store:
        indexed = build(store, demo, read({"name": "x", "index": index}), members=False).size
        treated = build(store, demo, read({"name": "x", "index": index, "inclusion": [drug]}))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    log_in(page, server, "clinicien")
    page.get_by_role("link", name="Cohortes").click()
    page.wait_for_url(re.compile(r"/cohorts$"))
    page.get_by_label("Nom de la cohorte").fill("EP traitée")
    page.get_by_label("Rôle").select_option("index")
    page.get_by_label("Type de critère").select_option("text")
    assert page.get_by_label("Codes", exact=False).is_hidden()  # only the fields of a text criterion
    page.get_by_label("Requête texte", exact=False).fill("embolie pulmonaire")
    live = page.get_by_test_id("live-count")
    page.wait_for_function("n => document.querySelector('[data-testid=live-count]').textContent === n", arg=str(indexed))
    page.get_by_test_id("add").click()
    page.wait_for_selector("[data-testid=attrition]")
    page.get_by_label("Type de critère").select_option("drug")
    page.get_by_label("Codes", exact=False).fill("B01A*")
    page.get_by_label("Fenêtre", exact=False).fill("0")
    page.get_by_label("au jour", exact=False).fill("30")
    page.wait_for_function("n => document.querySelector('[data-testid=live-count]').textContent === n", arg=str(treated.size))
    assert live.inner_text() == str(treated.size)
    page.get_by_test_id("add").click()
    page.get_by_test_id("run").click()
    page.wait_for_selector("[data-testid=table-one]")
    assert page.get_by_test_id("cohort-size").inner_text().startswith(f"{treated.size} patient")
    assert page.locator("[data-testid=cohort-patients] tbody tr").count() == min(treated.size, 100)
    shot(page, "cohort")
    page.close()


def test_a_clinician_evaluates_score2_on_a_saved_cohort(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    log_in(page, server, "clinicien")
    page.get_by_role("link", name="Évaluer un algorithme").click()
    page.wait_for_url(re.compile(r"/evaluate$"))
    page.locator("select[name=cohort]").select_option(label="Adultes 40-69 ans avec un bilan lipidique")  # saved by `clinsearch demo`
    page.locator("select[name=score_name]").select_option("score2")
    page.locator("form.evaluate").nth(1).get_by_role("button", name="Évaluer").click()
    report = page.frame_locator("[data-testid=report]")
    report.locator("h1").wait_for()
    assert "score2" in report.locator("h1").inner_text()
    assert report.locator("img[alt='courbe de calibration']").count() == 1
    assert int(report.get_by_test_id("n").inner_text()) > 100
    shot(page, "evaluation")
    page.close()
