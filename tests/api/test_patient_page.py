"""The patient's pages in a real browser (Debian's chromium): the summary, a citation opening
its note with the passage marked, the timeline and its periods, the scores loaded last, and
the drafted letter downloaded and opened with python-docx."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx

from clinsearch.services import summary as summaries
from clinsearch.services.access import command_line
from tests.api.browsing import log_in, shot


def test_a_clinician_reads_the_summary_and_opens_a_problems_source(server, browser, demo):
    expected = summaries.summary(command_line(demo), "1", with_scores=False)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, "clinicien")
    page.goto(f"{server}/patients/1")
    identity = page.get_by_test_id("identity").inner_text()
    assert expected["person"]["family_name"] in identity and f"{expected['person']['age']} ans" in identity
    rows = page.locator("[data-testid=problems] tbody tr")
    assert rows.count() == len(expected["problems"])
    assert page.locator("[data-testid=problems] tbody tr[data-status=active]").count() == sum(p["status"] == "active" for p in expected["problems"])
    page.wait_for_selector("#scores [data-score]")  # the scores, computed after the page, put in place
    shot(page, "patient")
    page.locator("[data-testid=timeline]").scroll_into_view_if_needed()
    shot(page, "patient-timeline")
    first = rows.first
    first.locator("details.sources summary").click()
    link = first.locator("details.sources a[data-cite]").first
    note_id, span = link.get_attribute("data-cite").split(":")
    start, end = map(int, span.split("-"))
    citation = next(c for c in expected["problems"][0]["citations"] if c.get("note_id") == int(note_id) and c["start"] == start)
    link.click()
    page.wait_for_url(re.compile(rf"/notes/{note_id}\?cite="))
    assert page.locator("mark#cited").inner_text() == citation["text"]
    assert page.evaluate("() => { const r = document.getElementById('cited').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")
    shot(page, "note-cited")
    page.close()


def test_the_timeline_zooms_by_period_and_each_mark_opens_its_source(server, browser, demo):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, "clinicien")
    page.goto(f"{server}/patients/1")
    marks = page.locator("svg.timeline a.mark")
    everything = marks.count()
    kinds = {marks.nth(i).get_attribute("data-kind") for i in range(everything)}
    assert {"visit", "note", "condition", "drug", "lab"} <= kinds
    page.get_by_role("link", name="1 an").click()
    page.wait_for_url(re.compile(r"period=1y"))
    assert 0 < page.locator("svg.timeline a.mark").count() < everything
    page.locator("svg.timeline a.mark[data-kind=note]").first.click()
    page.wait_for_url(re.compile(r"/notes/\d+"))
    assert page.locator("pre.note").count() == 1
    page.close()


def test_the_letter_is_drafted_with_sources_and_downloads_as_docx(server, browser, demo):
    letter = summaries.letter(command_line(demo), "1")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    log_in(page, server, "clinicien")
    page.goto(f"{server}/patients/1")
    page.get_by_role("link", name="Brouillon de courrier").click()
    page.wait_for_url(re.compile(r"/patients/1/letter"))
    article = page.get_by_test_id("letter")
    assert article.get_attribute("contenteditable") == "true"
    assert page.locator("ol.sources li").count() == len(letter["sources"])
    shot(page, "letter")
    with page.expect_download() as download:
        page.get_by_test_id("download-docx").click()
    content = Path(download.value.path()).read_bytes()
    paragraphs = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]
    for source in letter["sources"]:
        assert any(p.startswith(f"[{source['n']}] ") and source["text"] in p for p in paragraphs), source
    assert download.value.suggested_filename == "courrier-1.docx"
    page.close()


def test_a_researcher_sees_the_pseudonymised_summary_without_scores(server, browser, demo):
    from clinsearch.services.access import pseudonym

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, "chercheur")
    alias = pseudonym(demo, 1)
    page.goto(f"{server}/patients/{alias}")
    body = page.locator("main").inner_text()
    clinician = summaries.summary(command_line(demo), "1", with_scores=False)
    assert alias in body and clinician["person"]["family_name"] not in body and clinician["person"]["ipp"] not in body
    assert page.locator("#scores [data-score]").count() == 0
    assert page.goto(f"{server}/patients/1").status == 404
    page.close()
