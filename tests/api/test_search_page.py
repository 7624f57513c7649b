"""The search page and the opened note in a real browser (Debian's chromium through Playwright) on
the demo hospital: facets that filter, chips that remove, sort by date, the query's terms marked
in the opened note, spelling suggestions, cited passages, example queries, patient rows."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest

from clinsearch.services import patients as patient_service
from clinsearch.services.access import Request
from clinsearch.services.sessions import Principal
from tests.api.browsing import log_in, shot


@pytest.fixture(scope="module")
def clinician(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, "clinicien")
    yield page
    page.close()


@pytest.fixture(scope="module")
def researcher(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, "chercheur")
    yield page
    page.close()


def total(page) -> int:
    return int(re.match(r"(\d+)", page.get_by_test_id("total").inner_text()).group(1))


def dates(page) -> list[str]:
    return [d for d in page.locator(".hit [data-testid=date]").all_inner_texts() if d]


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def test_a_facet_filters_the_results_and_its_chip_removes_the_filter(server, clinician):
    page = clinician
    page.goto(f"{server}/search?q=EP")
    everything = total(page)
    crh = page.locator("[data-facet=type] li", has_text="CRH")
    expected = int(crh.locator(".count").inner_text())
    assert 0 < expected < everything
    crh.get_by_role("link").click()
    page.wait_for_url(re.compile(r"type%3ACRH"))
    assert page.get_by_label(re.compile("Requête")).input_value() == "EP type:CRH"  # the filter is written in the query, editable
    assert total(page) == expected
    assert all(" · CRH" in meta for meta in page.locator(".hit .meta").all_inner_texts())
    chip = page.get_by_test_id("chips").get_by_role("link", name=re.compile("type:CRH"))
    assert chip.is_visible()
    assert page.locator("[data-facet=type] .active-facet").inner_text() == "CRH"  # no longer a link
    shot(page, "search-facets")
    year = page.locator("[data-facet=year] li a").first
    chosen = year.inner_text()
    year.click()
    page.wait_for_url(re.compile(rf"after%3A{chosen}\+before%3A{int(chosen) + 1}"))
    assert dates(page) and all(d.startswith(chosen) for d in dates(page))
    assert all(" · CRH" in meta for meta in page.locator(".hit .meta").all_inner_texts())
    assert page.get_by_test_id("chips").get_by_role("link").count() == 3  # type:, after:, before:
    page.get_by_test_id("chips").get_by_role("link", name=re.compile("type:CRH")).click()
    page.wait_for_load_state()
    assert page.get_by_label(re.compile("Requête")).input_value() == f"EP after:{chosen} before:{int(chosen) + 1}"
    assert any(" · CRH" not in meta for meta in page.locator(".hit .meta").all_inner_texts())  # the other types are back


def test_sort_by_date_lists_the_newest_first_and_paging_keeps_it(server, clinician):
    page = clinician
    page.goto(f"{server}/search?q=EP")
    by_relevance = dates(page)
    assert by_relevance != sorted(by_relevance, reverse=True)  # else the test would prove nothing
    page.get_by_test_id("sort").get_by_role("link", name=re.compile("date")).click()
    page.wait_for_url(re.compile(r"sort=date"))
    first = dates(page)
    assert len(first) == 20 and first == sorted(first, reverse=True)
    shot(page, "search-sorted")
    page.get_by_role("link", name=re.compile("Suivants")).click()
    page.wait_for_url(re.compile(r"sort=date.*offset=20|offset=20.*sort=date"))
    second = dates(page)
    assert second == sorted(second, reverse=True) and second[0] <= first[-1]
    page.get_by_test_id("sort").get_by_role("link", name=re.compile("pertinence")).click()
    page.wait_for_load_state()
    assert "sort=" not in page.url and dates(page) == by_relevance


def test_an_opened_result_marks_the_query_terms_synonyms_included(server, clinician):
    page = clinician
    page.goto(f"{server}/search?q=EP")
    # a result whose highlight is the written-out synonym: EP is marked where the note says "embolie pulmonaire"
    hit = page.locator(".hit", has=page.locator(".snippet mark", has_text=re.compile("^embolie pulmonaire$", re.I))).first
    hit.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?q=EP#first-hit$"))
    marks = [m.lower() for m in page.locator("pre.note mark.term").all_inner_texts()]
    assert "embolie pulmonaire" in marks
    assert set(marks) <= {"ep", "embolie pulmonaire", "embolies pulmonaires", "pulmonary embolism"}
    assert in_view(page, "#first-hit")
    assert page.locator("pre.note mark.term.ctx-negated").count() == 0  # a bare EP marks affirmed mentions only
    shot(page, "note-highlight")
    page.get_by_role("link", name=re.compile("retour aux résultats")).click()
    page.wait_for_url(re.compile(r"/search\?q=EP$"))


def test_a_misspelt_word_is_suggested_also_with_no_result_and_at_patient_level(server, clinician):
    page = clinician
    page.goto(f"{server}/search")
    query = page.get_by_label(re.compile("Requête"))
    query.fill("diabte")
    query.press("Enter")
    page.wait_for_url(re.compile(r"q=diabte"))
    assert total(page) == 0 and page.get_by_text("Aucun résultat.").is_visible()
    suggestion = page.get_by_test_id("suggestions")
    assert "Vouliez-vous dire" in suggestion.inner_text()
    shot(page, "search-suggestion")
    suggestion.get_by_role("link", name="diabete").click()
    page.wait_for_url(re.compile(r"q=diabete"))
    assert total(page) > 0 and page.locator(".hit").count() > 0
    page.goto(f"{server}/search?q=diabte&patients=1&sort=date")
    assert page.get_by_test_id("patients-total").inner_text().startswith("0 ")
    page.get_by_test_id("suggestions").get_by_role("link", name="diabete").click()
    page.wait_for_url(re.compile(r"q=diabete"))
    assert "patients=1" in page.url and "sort=date" in page.url
    assert page.get_by_test_id("patient-row").count() == 20


def test_a_citation_marks_the_passage_of_the_text_the_researcher_sees(server, researcher, demo):
    page = researcher
    page.goto(f"{server}/search?q={quote_plus('embolie pulmonaire')}")
    href = page.locator(".hit h3 a").first.get_attribute("href")
    note_id = int(re.search(r"/notes/(\d+)", href).group(1))
    seen = patient_service.note(Request(demo, Principal("chercheur", "researcher")), note_id)["text"]
    real = patient_service.note(Request(demo, Principal("clinicien", "clinician")), note_id)["text"]
    assert seen != real  # pseudonymised: names replaced, dates shifted
    # the conclusion: after the replaced name and IPP, where offsets in the real text would be wrong
    start = seen.index("Conclusion")
    end = seen.index("\n", start)
    assert real.index("Conclusion") != start
    page.goto(f"{server}/notes/{note_id}?cite={start}-{end}")
    assert page.locator("mark.cited#cited").inner_text() == seen[start:end]
    assert in_view(page, "#cited")  # scrolled there (search.js: the link had no fragment)
    shot(page, "note-cited")
    page.goto(f"{server}/notes/{note_id}?cite={end}-{len(seen) + 50}")
    assert page.locator("#cited").count() == 0 and page.get_by_role("alert").is_visible()


def test_a_clinician_citation_spans_the_marks_inside_it(server, clinician, demo):
    page = clinician
    page.goto(f"{server}/search?q=EP")
    note_id = int(re.search(r"/notes/(\d+)", page.locator(".hit h3 a").first.get_attribute("href")).group(1))
    text = patient_service.note(Request(demo, Principal("clinicien", "clinician")), note_id)["text"]
    page.goto(f"{server}/notes/{note_id}?q=EP&cite=0-{len(text)}")
    assert page.locator("#cited").text_content() == text
    assert page.locator("#cited mark.term").count() >= 1  # the query's marks nest inside the passage


def test_the_empty_page_offers_example_queries_that_give_results(server, clinician):
    page = clinician
    page.goto(f"{server}/search")
    examples = page.get_by_test_id("examples").get_by_role("link")
    assert 5 <= examples.count() <= 8
    shot(page, "search-examples")
    queries = examples.all_inner_texts()
    assert {"neg:EP", "HTA", "EP type:CRH", "EP -neg:TVP", "AVC after:2022", "code:E11"} <= set(queries)
    for written in queries:
        page.goto(f"{server}/search")
        page.get_by_test_id("examples").get_by_role("link", name=written, exact=True).click()
        page.wait_for_url(re.compile(r"/search\?q="))
        assert page.get_by_label(re.compile("Requête")).input_value() == written
        assert total(page) > 0, written
    page.goto(f"{server}/search?lang=en")
    assert page.get_by_role("heading", name="Example queries").is_visible()
    page.goto(f"{server}/search?q=EP&lang=en")
    assert "Sort by" in page.get_by_test_id("sort").inner_text() and "of" in page.get_by_test_id("counts").inner_text()
    page.goto(f"{server}/search?lang=fr")


def test_patient_rows_give_sex_age_snippet_and_why_and_counts_explained(server, clinician, researcher):
    clinician.goto(f"{server}/search?q=EP&patients=1")
    counts = clinician.get_by_test_id("counts").inner_text()
    documents, people = map(int, re.match(r"(\d+) document\(s\) chez (\d+) patient\(s\)", counts).groups())
    assert documents == total(clinician) and 0 < people < documents
    rows = clinician.get_by_test_id("patient-row")
    assert rows.count() == 20
    assert set(rows.locator("[data-testid=sex]").all_inner_texts()) <= {"femme", "homme"}
    assert all(re.fullmatch(r"\d+ ans", a) for a in rows.locator("[data-testid=age]").all_inner_texts())
    assert rows.locator("[data-testid=patient-snippet] mark").count() >= 10
    assert all(re.fullmatch(r"EP : (Documents|Diagnostics codés|Documents, Diagnostics codés)", w) for w in rows.locator(".why").all_inner_texts())
    shot(clinician, "search-patients")
    researcher.goto(f"{server}/search?q=EP&patients=1")
    rows = researcher.get_by_test_id("patient-row")
    assert rows.count() == 20
    assert all(re.fullmatch(r"P-[0-9a-f]{10}", p) for p in rows.locator("td:first-child").all_inner_texts())
    assert all(re.fullmatch(r"\d+-\d+|90\+", a) for a in rows.locator("[data-testid=age]").all_inner_texts())
    assert rows.locator("[data-testid=patient-snippet]").count() >= 10
    assert rows.locator("a[href^='/notes/']").count() == 0  # no document list for researchers
    documents, people = map(int, re.match(r"(\d+) document\(s\) chez (\d+) patient\(s\)", researcher.get_by_test_id("counts").inner_text()).groups())
    assert documents % 5 == 0 and people % 5 == 0  # rounded (disclosure control)
