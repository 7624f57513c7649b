"""The service on the small hospital: who may see what (clinicians, a restricted clinician,
researchers), the audit entry written before the warehouse is read, and the empty answers."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from clinsearch.security.audit import AuditLog
from clinsearch.security.users import Principal
from clinsearch.services import similar as service
from clinsearch.services.access import AccessDenied, NotFound, Request, command_line, pseudonym
from clinsearch.similar import cache
from clinsearch.warehouse.store import open_store


def clinician(data, **restriction) -> Request:
    return Request(data, Principal("dr-test", "clinician", **restriction), "test")


def ids(found: dict) -> list:
    return [p["person_id"] for p in found["patients"]]


def test_a_coded_and_a_written_hypertension_make_two_patients_alike(small):
    found = service.similar(command_line(small), "7")
    assert found["person_id"] == 7 and ids(found) == [6]
    first = found["patients"][0]
    assert first["similarity"] == pytest.approx(1.0)
    assert [f["concept"] for f in first["shared"]] == ["CIM10:I10"]
    assert first["shared"][0]["label"] and first["shared"][0]["kind"] == "condition" and first["shared"][0]["patients"] == 2
    assert first["different"] == {"only_query": [], "only_similar": []}
    assert found["compared"] == 1 and found["reason"] is None and found["min_count"] is None


def test_the_embolism_patients_rank_each_other_first_with_the_difference_shown(small):
    found = service.similar(command_line(small), "9")
    assert ids(found) == [1]  # the only other patient with an affirmed embolism (2, 3, 4, 8: negated, hypothetical, family)
    assert [f["concept"] for f in found["patients"][0]["shared"]] == ["CIM10:I26"]
    assert {f["concept"] for f in found["patients"][0]["different"]["only_similar"]} == {"CIM10:I63", "ATC:B01AF02"}
    assert sum(f["weight"] for f in found["patients"][0]["shared"]) == pytest.approx(found["patients"][0]["similarity"], abs=1e-3)


def test_nothing_to_compare_and_an_unknown_patient(small):
    found = service.similar(command_line(small), "2")
    assert found["patients"] == [] and found["profile"] == [] and found["reason"] == "no_concepts"
    with pytest.raises(NotFound):
        service.similar(command_line(small), "424242")
    with pytest.raises(NotFound):
        service.similar(command_line(small), "abc")


def test_a_restricted_clinician_sees_their_perimeter_and_their_notes_only(small):
    internal = clinician(small, departments=("Médecine interne",))  # notes of patients 1, 5, 6
    found = service.similar(internal, "6")
    assert ids(found) == []  # patient 7, coded hypertension, has no note in Médecine interne: outside the perimeter
    assert service.similar(clinician(small, departments=("Médecine interne",), patients=(7,)), "6")["patients"][0]["person_id"] == 7
    seen = service.similar(internal, "1")
    assert [f["concept"] for f in seen["profile"]] == ["CIM10:I63"]  # the embolism and apixaban are written in Pneumologie
    with pytest.raises(AccessDenied):
        service.similar(internal, "9")  # no note in Médecine interne


def test_a_researcher_never_sees_a_group_under_ten_nor_a_rare_concept(small):
    researcher = command_line(small, "researcher")
    alias = pseudonym(small, 9)
    found = service.similar(researcher, alias, limit=3)
    assert found["person_id"] == alias and found["limit"] == 10  # a list under 10 is never asked for
    assert found["patients"] == [] and found["reason"] == "small_group" and found["compared"] == "<10"
    assert found["profile"] == [] and found["withheld"] == 1  # I26, held by 2 patients
    with pytest.raises(NotFound):
        service.similar(researcher, "9")  # researchers name patients by pseudonym


def test_an_administrator_is_refused(small):
    with pytest.raises(AccessDenied):
        service.similar(Request(small, Principal("root", "admin"), "test"), "9")


def test_the_request_is_audited_before_the_warehouse_is_read(small, monkeypatch):
    log = AuditLog(small)
    try:
        before = log.verify().entries
        service.similar(clinician(small), "9", limit=5)
        entry = log.entries(1)[0]
        assert log.verify().entries == before + 1
    finally:
        log.close()
    assert (entry["action"], entry["target"], entry["username"]) == ("similar", "9", "dr-test")

    read = []
    monkeypatch.setattr(service, "concepts", lambda *args, **kwargs: read.append(args))

    def broken(*args, **kwargs):
        raise OSError("the audit log cannot be written")

    monkeypatch.setattr(service, "audit", broken)
    with pytest.raises(OSError):
        service.similar(clinician(small), "9")
    assert read == []  # no audit, no read


@pytest.mark.duckdb_only
def test_the_matrix_is_kept_until_the_warehouse_changes(small, tmp_path):
    data = tmp_path / "warehouse"
    shutil.copytree(small, data)
    with open_store(data, read_only=True) as store:
        first = cache.concepts(store, data)
        assert cache.concepts(store, data) is first  # unchanged warehouse: the same matrix, not read again
        assert cache.concepts(store, data, ("Urgences",), ()) is not first  # a restricted view is a matrix of its own
    assert ids(service.similar(command_line(data), "7")) == [6]
    with open_store(data) as store:  # a load: patient 2 is coded with a hypertension
        store.upsert("condition_occurrence", [{"condition_occurrence_id": 99, "person_id": 2, "condition_start_date": dt.date(2024, 1, 1),
                                               "condition_source_value": "I10"}])
    with open_store(data, read_only=True) as store:
        assert cache.concepts(store, data) is not first
    assert ids(service.similar(command_line(data), "7")) == [2, 6]  # read again: patient 2 is like patient 7 now (tie by person id)
