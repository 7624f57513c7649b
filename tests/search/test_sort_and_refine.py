"""Sorting by date, refining by facets, marking a query in one note, and what patient rows carry,
on the small hospital (real NLP, real Tantivy index)."""

from __future__ import annotations

import json

import pytest

from clinsearch.search.engine import note_marks, search
from clinsearch.search.query import QueryError, parse
from clinsearch.search.refine import active_filters, facet_active, facet_filter, refined
from clinsearch.services.search import _age, _band
from tests.helpers import query, run_cli


def names(data) -> dict[int, str]:
    return dict(query(data, "SELECT note_id, note_source_value FROM note"))


def files(data, text: str, **options) -> list[str]:
    known = names(data)
    return [known.get(d.note_id, f"{d.source}:{d.id}") for d in search(data, text, limit=50, **options).documents]


def note_id(data, file: str) -> int:
    return {v: k for k, v in names(data).items()}[file]


def test_sort_by_date_lists_the_newest_document_first(hospital):
    by_date = files(hospital, "any:EP", sort="date")
    assert by_date == ["g1.txt", "c1.txt", "b1.txt", "a1.txt", "d1.txt", "h1.txt"]  # 2023-03-03 ... 2018-04-04
    by_relevance = files(hospital, "any:EP")
    assert set(by_relevance) == set(by_date) and by_relevance != by_date
    result = search(hospital, "any:EP", sort="date")
    assert result.sort == "date" and all(d.score is None for d in result.documents)
    assert all(d.score > 0 for d in search(hospital, "any:EP").documents)


def test_the_command_line_sorts_by_date_too(hospital):
    shown = json.loads(run_cli("--data", hospital, "search", "any:EP", "--sort", "date", "--json").stdout)
    assert [names(hospital)[d["note_id"]] for d in shown["documents"]] == ["g1.txt", "c1.txt", "b1.txt", "a1.txt", "d1.txt", "h1.txt"]
    refused = run_cli("--data", hospital, "search", "any:EP", "--sort", "age")
    assert refused.exit_code == 2 and "'age' is not one of 'relevance', 'date'" in refused.stderr


def test_paging_by_date_continues_the_order(hospital):
    page = search(hospital, "any:EP", sort="date", limit=2, offset=2)
    assert [names(hospital)[d.note_id] for d in page.documents] == ["b1.txt", "a1.txt"]
    assert page.total == 6


def test_sort_by_date_in_the_pseudonymised_view_follows_the_shifted_dates(hospital):
    days = [d.date for d in search(hospital, "any:EP", sort="date", view="pseudonymised").documents]
    assert days == sorted(days, reverse=True) and len(days) == 6
    real = [d.date for d in search(hospital, "any:EP", sort="date").documents]
    assert days != real  # shifted


def test_patients_by_date_come_by_their_latest_matching_document(hospital):
    result = search(hospital, "any:EP", patients=True, sort="date")
    assert [p.person_id for p in result.patients] == [8, 3, 2, 1, 4, 9]
    assert result.patients_total == search(hospital, "any:EP", patients=True).patients_total == 6
    later = search(hospital, "any:EP", patients=True, sort="date", limit=2, offset=1)
    assert [p.person_id for p in later.patients] == [3, 2]


def test_an_unknown_sort_is_refused(hospital):
    with pytest.raises(QueryError, match="sort"):
        search(hospital, "EP", sort="alphabetical")


def test_the_matching_documents_patients_are_counted(hospital):
    assert search(hospital, "any:EP").document_patients == 6
    assert search(hospital, "embolie pulmonaire").document_patients == 2  # a1 (patient 1), h1 (patient 9)
    assert search(hospital, "embolie pulmonaire").as_dict()["document_patients"] == 2


def test_a_facet_value_becomes_the_filter_that_keeps_its_documents(hospital):
    result = search(hospital, "any:EP")
    for name, values in result.facets.items():
        for value, count in values.items():
            narrowed = search(hospital, refined("any:EP", name, value))
            assert narrowed.total == count, (name, value)
    assert refined("EP OR AVC", "type", "CRH") == "(EP OR AVC) type:CRH"
    assert search(hospital, refined("EP OR AVC", "type", "CONS")).total == 1  # a2: the stroke; without parentheses, all EP notes too
    assert facet_filter("department", "Médecine interne") == 'department:"Médecine interne"'
    assert facet_filter("year", "2021") == "after:2021 before:2022"
    with pytest.raises(QueryError):
        facet_filter("patient", "1")


def test_the_filters_of_a_query_are_found_and_each_can_be_cut_out(hospital):
    text = 'EP -type:URG department:"Médecine interne" after:2020 before:2021'
    found = active_filters(text)
    assert [(f["field"], f["value"], f["negated"]) for f in found] == [("type", "URG", True), ("department", "Médecine interne", False),
                                                                        ("after", "2020", False), ("before", "2021", False)]
    assert found[0]["text"] == "-type:URG" and found[0]["without"] == 'EP department:"Médecine interne" after:2020 before:2021'
    assert found[1]["without"] == "EP -type:URG after:2020 before:2021"
    for f in found:
        parse(f["without"])  # what is left is a query still
    assert facet_active(found, "year", "2020") and not facet_active(found, "year", "2021")
    assert not facet_active(found, "type", "URG")  # excluded, not chosen
    assert active_filters("type:CRH")[0]["without"] == ""
    assert active_filters("EP OR type:CRH") == [] and active_filters("(") == []


def test_a_note_marks_what_the_query_matched_there_synonyms_included(hospital):
    text, marks = note_marks(hospital, "EP", note_id(hospital, "a1.txt"))
    assert [(text[s:e], c) for s, e, c in marks] == [("embolie pulmonaire", "affirmed")]
    text, marks = note_marks(hospital, "neg:EP", note_id(hospital, "b1.txt"))
    assert [(text[s:e], c) for s, e, c in marks] == [("embolie pulmonaire", "negated")]
    assert note_marks(hospital, "EP", note_id(hospital, "b1.txt"))[1] == []  # a bare EP: the negated mention is not its match
    assert note_marks(hospital, "embolie pulmonnaire", note_id(hospital, "a1.txt"))[1]  # the spelling correction applies
    assert note_marks(hospital, "EP", 987654321) == (None, [])


def test_a_pseudonymised_note_is_marked_in_its_own_offsets(hospital):
    identified, _ = note_marks(hospital, "EP", note_id(hospital, "a1.txt"))
    text, marks = note_marks(hospital, "EP", note_id(hospital, "a1.txt"), view="pseudonymised")
    assert [text[s:e] for s, e, _ in marks] == ["embolie pulmonaire"]
    assert text is not None and identified is not None


def test_patient_rows_carry_the_best_documents_snippet(hospital):
    rows = search(hospital, "embolie pulmonaire", patients=True).patients
    assert {p.person_id for p in rows} == {1, 9}
    for row in rows:
        assert row.snippet is not None and row.snippet.highlights
        start, end = row.snippet.highlights[0]
        assert row.snippet.text[start:end].lower().startswith("embolie")
    pseudonymised = search(hospital, "embolie pulmonaire", patients=True, view="pseudonymised").patients
    assert all(p.snippet is not None and not p.documents for p in pseudonymised)


def test_ages_and_bands():
    import datetime as dt

    today = dt.date(2026, 6, 1)
    assert _age({"year_of_birth": 1980, "birth_datetime": dt.datetime(1980, 6, 2)}, today) == 45
    assert _age({"year_of_birth": 1980, "birth_datetime": None}, today) == 45  # mid-year when only the year is known (1 July)
    assert _age({"birth_datetime": dt.datetime(1950, 1, 1), "death_date": dt.date(2000, 1, 1)}, today) == 50  # age at death
    assert _age({}, today) is None
    assert [_band(a) for a in (0, 4, 5, 47, 89, 90, 104)] == ["0-4", "0-4", "5-9", "45-49", "85-89", "90+", "90+"]


def test_the_note_service_marks_the_served_text_and_says_when_it_cannot(hospital):
    from clinsearch.services import search as service
    from clinsearch.services.access import Request
    from clinsearch.services.sessions import Principal

    a1 = note_id(hospital, "a1.txt")
    for role in ("clinician", "researcher"):
        found = service.note(Request(hospital, Principal("someone", role)), a1, "EP", "0-11")
        assert [found["text"][s:e] for s, e, _ in found["marks"]] == ["embolie pulmonaire"]
        assert found["cite"] == (0, 11) and not found["cite_invalid"] and not found["marks_unavailable"]
    bad = service.note(Request(hospital, Principal("someone", "clinician")), a1, "EP (", "5-2")
    assert bad["query_error"] and bad["marks"] == [] and bad["cite"] is None and bad["cite_invalid"]
    # the warehouse's text changed since the index was built: offsets of the old text are not shown
    from clinsearch.warehouse.store import open_store

    with open_store(hospital) as store:
        store.execute("UPDATE note SET note_text = 'Nouveau texte : ' || note_text WHERE note_id = ?", [a1])
    try:
        stale = service.note(Request(hospital, Principal("someone", "clinician")), a1, "EP")
        assert stale["marks"] == [] and stale["marks_unavailable"]
    finally:
        with open_store(hospital) as store:
            store.execute("UPDATE note SET note_text = substr(note_text, 17) WHERE note_id = ?", [a1])
