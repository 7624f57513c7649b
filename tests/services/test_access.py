"""The access rules, called directly (the HTTP tests drive the same functions through the API):
who may see what, pseudonyms, small counts, restricted clinicians, and one audit entry for
every read of patient data, refused or not."""

from __future__ import annotations

import json

import pytest

from clinsearch.security.audit import AuditLog
from clinsearch.security.users import Principal
from clinsearch.services import access, cohorts, patients, scores
from clinsearch.services import search as search_service
from clinsearch.services.access import AccessDenied, NotFound, Request
from tests.helpers import query, run_cli
from tests.search.conftest import write_hospital

PERSON = "person_id,year_of_birth,gender_source_value\n" + "".join(f"{i},{1940 + i},{'M' if i % 2 else 'F'}\n" for i in range(1, 10))
EP = {"name": "EP", "inclusion": [{"type": "text", "query": "embolie pulmonaire"}]}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("access")
    sources = write_hospital(root / "sources")
    (sources / "omop" / "person.csv").write_text(PERSON, encoding="utf-8")
    data = root / "warehouse"
    result = run_cli("--data", data, "ingest", sources)
    assert result.exit_code == 0, result.stderr
    return data


def request(data, role: str, **restrictions) -> Request:
    return Request(data, Principal(f"test-{role}", role, **restrictions), "unit test")


def last_entries(data, n: int = 1) -> list[dict]:
    log = AuditLog(data)
    try:
        return log.entries(n, 0)
    finally:
        log.close()


def note_of(data, name: str) -> int:
    return query(data, "SELECT note_id FROM note WHERE note_source_value = ?", [name])[0][0]


@pytest.mark.parametrize("call", [
    lambda r: search_service.search(r, "EP"),
    lambda r: patients.patient_record(r, "1"),
    lambda r: patients.note(r, note_of(r.data, "a1.txt")),
    lambda r: cohorts.cohort(r, EP),
    lambda r: cohorts.saved_cohorts(r),
    lambda r: scores.score(r, "score2", "1"),
])
def test_an_admin_reads_no_patient_data(data, call):
    with pytest.raises(AccessDenied):
        call(request(data, "admin"))


def test_a_researcher_names_patients_by_pseudonym_only(data):
    researcher = request(data, "researcher")
    with pytest.raises(NotFound):
        access.resolve_patient(researcher, "1")
    alias = access.pseudonym(data, 1)
    assert alias.startswith("P-") and access.resolve_patient(researcher, alias) == 1
    record = patients.patient_record(researcher, alias)
    assert record["person"] == {"person_id": alias, "sex": "M"}


def test_a_researcher_gets_no_score_trail(data):
    with pytest.raises(AccessDenied):
        scores.score(request(data, "researcher"), "score2", access.pseudonym(data, 1))


def test_a_restricted_clinician_stays_in_their_departments_and_patients(data):
    urgences = request(data, "clinician", departments=("Urgences",))
    patients.patient_record(urgences, "3")  # c1.txt: a note in Urgences
    with pytest.raises(AccessDenied):
        patients.patient_record(urgences, "1")
    with pytest.raises(NotFound):  # a note of a patient outside: the answer for a note that does not exist
        patients.note(urgences, note_of(data, "a1.txt"))
    assert {d["person_id"] for d in search_service.search(urgences, "EP OR embolie")["documents"]} <= {3, 8}
    own = request(data, "clinician", patients=(1,))
    assert patients.patient_record(own, "1")["person"]["person_id"] == 1


def test_a_department_restricted_clinician_reads_only_the_notes_of_their_departments(data):
    """Per note: patient 1 has a note in Pneumologie (a1) and one in Médecine interne (a2)."""
    pneumologie = request(data, "clinician", departments=("Pneumologie",))
    record = patients.patient_record(pneumologie, "1")
    assert [n["department"] for n in record["notes"]] == ["Pneumologie"]
    assert record["conditions"] == patients.patient_record(request(data, "clinician"), "1")["conditions"]  # the structured record is whole
    assert "embolie" in patients.note(pneumologie, note_of(data, "a1.txt"))["text"]
    with pytest.raises(NotFound, match="no note"):
        patients.note(pneumologie, note_of(data, "a2.txt"))
    assert last_entries(data)[0]["action"] == "refused"
    with pytest.raises(NotFound, match="no note"):  # the same answer as for a note that does not exist
        patients.note(pneumologie, 987654)
    assert not search_service.search(pneumologie, "accident vasculaire cérébral")["documents"]
    assert search_service.search(request(data, "clinician"), "accident vasculaire cérébral")["documents"]
    a2 = note_of(data, "a2.txt")  # its stroke is evidence for the scores of whoever may read it
    cited = lambda r: {str(i.get("source", "")) for s in scores.score_panel(r, "1") for i in s.get("inputs", [])}  # noqa: E731
    assert any(f"note {a2}" in c for c in cited(request(data, "clinician")))
    assert not any(f"note {a2}" in c for c in cited(pneumologie))
    export = lambda r, folder: cohorts.export_cohort(r, {"name": "p1", "inclusion": [{"type": "text", "query": "embolie pulmonaire"}]}, folder)  # noqa: E731
    import pyarrow.parquet as pq
    export(pneumologie, data.parent / "export-pneumo")
    assert note_of(data, "a2.txt") not in pq.read_table(data.parent / "export-pneumo" / "note.parquet").column("note_id").to_pylist()
    export(request(data, "clinician"), data.parent / "export-all")
    assert note_of(data, "a2.txt") in pq.read_table(data.parent / "export-all" / "note.parquet").column("note_id").to_pylist()
    named = request(data, "clinician", departments=("Pneumologie",), patients=(1,))  # a patient given by name is seen whole
    assert len(patients.patient_record(named, "1")["notes"]) == 2
    assert patients.note(named, note_of(data, "a2.txt"))["person_id"] == 1


def cited_notes(found) -> set[int]:
    """Every note id anywhere in a summary or letter (citations, timeline marks, sections)."""
    if isinstance(found, dict):
        own = {found["note_id"]} if isinstance(found.get("note_id"), int) else set()
        return own.union(*(cited_notes(v) for v in found.values()))
    if isinstance(found, list):
        return set().union(*(cited_notes(v) for v in found))
    return set()


def test_a_department_restricted_clinician_s_summary_and_letter_cite_only_their_departments_notes(data):
    from clinsearch.services import summary as summaries

    a1, a2 = note_of(data, "a1.txt"), note_of(data, "a2.txt")
    whole = summaries.summary(request(data, "clinician"), "1")
    assert {a1, a2} <= cited_notes(whole)  # both notes are evidence in the whole record
    pneumologie = request(data, "clinician", departments=("Pneumologie",))
    restricted = summaries.summary(pneumologie, "1")
    assert a1 in cited_notes(restricted) and a2 not in cited_notes(restricted)
    assert a2 not in cited_notes(summaries.letter(pneumologie, "1"))
    assert str(a2) not in json.dumps(restricted["timeline"])
    assert last_entries(data)[0]["action"] == "summary"


def test_an_unknown_patient_is_not_found(data):
    with pytest.raises(NotFound):
        patients.patient_record(request(data, "clinician"), "999")


@pytest.mark.parametrize("count, shown", [(None, None), (0, 0), (1, "<10"), (9, "<10"), (10, 10), (250, 250)])
def test_counts_under_ten_are_blurred(count, shown):
    assert access.blur(count) == shown


def test_researchers_see_blurred_counts_and_pseudonyms_in_search(data):
    found = search_service.search(request(data, "researcher"), "embolie pulmonaire", patients=True)
    assert found["total"] == "<10"
    assert all(str(d["person_id"]).startswith("P-") for d in found["documents"])
    assert all(str(p["person_id"]).startswith("P-") and p["hits"] == "<10" for p in found["patients"])


@pytest.mark.parametrize("action, call", [
    ("search", lambda r: search_service.search(r, "EP")),
    ("patient", lambda r: patients.patient_record(r, "1")),
    ("note", lambda r: patients.note(r, note_of(r.data, "a1.txt"))),
    ("cohort", lambda r: cohorts.cohort(r, EP)),
    ("cohort-count", lambda r: cohorts.cohort(r, EP, members=False)),
    ("score", lambda r: scores.score(r, "bmi", "1")),
    ("scores", lambda r: scores.score_panel(r, "1")),
])
def test_every_read_of_patient_data_writes_one_audit_entry(data, action, call):
    clinician = request(data, "clinician")
    before = last_entries(data)[0]["id"] if last_entries(data) else 0
    call(clinician)
    entries = [e for e in last_entries(data, 5) if e["id"] > before]
    assert [(e["action"], e["username"], e["role"], e["purpose"]) for e in entries] == [(action, "test-clinician", "clinician", "unit test")]


def audited_actions(data, since: int) -> list[tuple[str, str]]:
    return [(e["action"], e["username"]) for e in last_entries(data, 50) if e["id"] > since]


def latest_id(data) -> int:
    entries = last_entries(data)
    return entries[0]["id"] if entries else 0


@pytest.mark.parametrize("args, action", [
    (["search", "embolie pulmonaire"], "search"),
    (["search", "EP", "--patients", "--json"], "search"),
    (["score", "bmi", "--patient", "1"], "score"),
    (["cohort", "{cohort}"], "cohort"),
    (["cohort", "{cohort}", "--pseudonymised", "--json"], "cohort"),
    (["score", "bmi", "--cohort", "{cohort}"], "score-cohort"),
    (["evaluate", "--cohort", "{cohort}", "--score-name", "score2", "--outcome-definition", "{outcome}"], "evaluate-cohort"),
])
def test_every_cli_command_that_reads_patient_data_is_audited(data, tmp_path, args, action):
    cohort = tmp_path / "cohort.json"
    cohort.write_text(json.dumps(EP), encoding="utf-8")
    outcome = tmp_path / "outcome.json"
    outcome.write_text(json.dumps({"name": "AVC", "inclusion": [{"type": "text", "query": "AVC", "window": {"from": 1, "to": 3650}}]}), encoding="utf-8")
    since = latest_id(data)
    run_cli("--data", data, *[a.format(cohort=cohort, outcome=outcome) for a in args])
    actions = audited_actions(data, since)
    assert any(a == action and user.endswith("(command line)") for a, user in actions), actions


def test_the_calculator_reads_no_patient_data_and_writes_no_entry(data):
    since = latest_id(data)
    result = run_cli("--data", data, "score", "bmi", "--set", "weight=70", "--set", "height=175")
    assert result.exit_code == 0, result.stderr
    assert audited_actions(data, since) == []


def test_the_calculator_passes_the_region_only_to_the_scores_that_take_one(data):
    bmi = run_cli("--data", data, "score", "cha2ds2-vasc", "--set", "age=45", "--set", "sex=male", "--json")
    assert bmi.exit_code in (0, 1) and "unknown input" not in bmi.stderr, bmi.stderr
    low = run_cli("score", "score2", *[f"--set={kv}" for kv in ("age=55", "sex=male", "smoker=1", "sbp=140", "total_chol=6.3", "hdl=1.4", "diabetes=0")],
                  "--region", "low", "--json")
    high = run_cli("score", "score2", *[f"--set={kv}" for kv in ("age=55", "sex=male", "smoker=1", "sbp=140", "total_chol=6.3", "hdl=1.4", "diabetes=0")],
                   "--region", "very_high", "--json")
    assert json.loads(low.stdout)["value"] < json.loads(high.stdout)["value"]


def test_a_saved_cohort_is_its_owners_versioned_and_private_unless_shared(data):
    clara, remi = request(data, "clinician"), request(data, "researcher")
    first = cohorts.save_cohort(clara, {**EP, "name": "EP de Clara"})
    second = cohorts.save_cohort(clara, {"name": "EP de Clara", "inclusion": [{"type": "text", "query": "EP"}]})
    assert second["id"] == first["id"] and (first["version"], second["version"]) == (1, 2)
    assert [v["version"] for v in cohorts.saved_cohorts(clara, "EP de Clara")["versions"]] == [1, 2]
    with pytest.raises(NotFound):
        cohorts.saved_cohorts(remi, "EP de Clara")  # private: a definition may name someone
    assert "EP de Clara" not in [c["name"] for c in cohorts.saved_cohorts(remi)]
    with pytest.raises(AccessDenied):
        cohorts.save_cohort(remi, {**EP, "name": "EP de Clara"})  # a researcher cannot replace a clinician's cohort
    assert last_entries(data)[0]["action"] == "refused"
    cohorts.save_cohort(clara, {**EP, "name": "EP de Clara"}, shared=True)
    shared = cohorts.saved_cohorts(remi, "EP de Clara")
    assert shared["version"] == 3 and shared["author"] == "test-clinician"
