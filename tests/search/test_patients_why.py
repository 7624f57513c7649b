"""Search as it is used: each patient row says why it matched (which term, in which of their
documents or coded data), the patient and document levels differ for a reason the result
states (a patient's exclusion covers the whole record, a document's only that document), and a
query starting with "-" is a query on the command line, not an option."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from fastapi.testclient import TestClient

from clinsearch.security.users import Users
from clinsearch.server import create_app
from tests.helpers import query, run_cli
from tests.search.conftest import write_hospital

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def hospital(tmp_path_factory) -> Path:
    """The small hospital of tests/search/conftest.py, its patients in ``person`` first."""
    root = tmp_path_factory.mktemp("why")
    sources = write_hospital(root / "sources")
    person = root / "person.csv"
    person.write_text("person_id,year_of_birth\n" + "".join(f"{p},1960\n" for p in range(1, 10)), encoding="utf-8")
    data = root / "warehouse"
    for path in (person, sources):
        result = run_cli("--data", data, "ingest", path)
        assert result.exit_code == 0, result.stderr
    users = Users(data)
    users.add("clara", PASSWORD, "clinician")
    users.close()
    return data


def search(data: Path, *words: str) -> dict:
    result = run_cli("--data", data, "search", *words, "--patients", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def note_of(data: Path, file: str) -> int:
    return query(data, "SELECT note_id FROM note WHERE note_source_value LIKE ?", [f"%{file}"])[0][0]


def test_a_patient_matching_terms_of_two_notes_is_shown_with_both_notes(hospital):
    """Patient 1 has the embolism in one note (a1) and the stroke in another (a2): a patient, no document."""
    out = search(hospital, "EP AVC")
    assert out["total"] == 0 and [p["person_id"] for p in out["patients"]] == [1]
    row = out["patients"][0]
    assert row["why"] == [{"term": "EP", "in_documents": True, "in_coded_data": False, "excluded": False},
                          {"term": "AVC", "in_documents": True, "in_coded_data": False, "excluded": False}]
    assert {d["note_id"] for d in row["documents"]} == {note_of(hospital, "a1.txt"), note_of(hospital, "a2.txt")}


def test_an_exclusion_covers_the_patients_whole_record_but_a_document_only_itself(hospital):
    """``AVC -apixaban``: note a2 (stroke, no apixaban) is a document; its patient, on apixaban in a1, is not."""
    out = search(hospital, "AVC -apixaban")
    assert [d["id"] for d in out["documents"]] == [note_of(hospital, "a2.txt")]
    assert out["patients"] == []
    kept = search(hospital, "embolie pulmonaire -neg:TVP")
    reasons = {p["person_id"]: p["why"] for p in kept["patients"]}
    assert set(reasons) == {1, 9}
    assert reasons[9] == [{"term": "embolie pulmonaire", "in_documents": True, "in_coded_data": True, "excluded": False},
                          {"term": "neg:TVP", "in_documents": False, "in_coded_data": False, "excluded": True}]


def test_the_terminal_says_why_and_what_each_level_means(hospital):
    result = run_cli("--data", hospital, "search", "EP", "AVC", "--patients")
    assert result.exit_code == 0, result.stderr
    assert "patient 1: EP: documents; AVC: documents; " in result.stdout
    assert "an excluded term in none of its documents" in " ".join(result.stdout.split())


@pytest.mark.parametrize("words, expected", [
    (["-neg:embolie"], "-neg:embolie"),
    (["-hyp:EP"], "-hyp:EP"),  # -h is not read as the help option
    (["embolie", "-neg:TVP", "--limit", "5"], "embolie -neg:TVP"),  # several words, options among them
    (["--", "--patients"], "--patients"),  # after --, everything is the query
])
def test_a_query_starting_with_a_dash_is_a_query(hospital, words, expected):
    result = run_cli("--data", hospital, "search", "--json", *words)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["query"] == expected


def test_the_web_page_explains_the_two_levels_and_each_patients_reasons(hospital):
    c = TestClient(create_app(hospital))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "clara", "password": PASSWORD, "purpose": "test", "csrf_token": token})
    page = html.unescape(c.get("/search", params={"q": "EP AVC", "patients": "1", "lang": "en"}).text)
    assert "an excluded term must be in none of the patient's documents nor coded data" in page
    why = re.search(r'<td data-testid="why">(.*?)</td>', page, re.S).group(1)
    assert "EP : Documents" in why and "AVC : Documents" in why
    # each opens at the query's first match (search_pages: ?q= marks the query's terms in the note)
    assert f'href="/notes/{note_of(hospital, "a1.txt")}?q=EP+AVC#first-hit"' in why and f'href="/notes/{note_of(hospital, "a2.txt")}?q=EP+AVC#first-hit"' in why
