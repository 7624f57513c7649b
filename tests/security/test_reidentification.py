"""A researcher's re-identification and differencing attacks, played against a real warehouse
and index: identifiers never match, dates are the shifted ones, titles are pseudonymised, small
counts can neither be read nor recomputed. Each attack is also played as a clinician, whose
identified view finds what the researcher must not: the attack is real, the defence is what
fails it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift
from clinsearch.search import engine
from clinsearch.security.users import Principal
from clinsearch.services import cohorts, patients
from clinsearch.services import search as search_service
from clinsearch.services.access import Request, pseudonym
from clinsearch.services.errors import QueryError
from tests.helpers import query, run_cli
from tests.search.conftest import NOTES, write_hospital

IPP = "8000000001"
IDENTITY = "person_id,family_name,given_name,birth_date,city\n1,GIRARD,Karim,1933-12-09,Rouen\n"
PERSON = ("person_id,year_of_birth,month_of_birth,day_of_birth,gender_source_value,person_source_value\n"
          + "".join(f"{i},{1930 + i},{1 + i % 12},{1 + i % 28},{'M' if i % 2 else 'F'},{IPP if i == 1 else 8000000000 + i}\n" for i in range(1, 10)))
NAMED = ("named.txt", 1, "2023-09-01", "CRH", 1, "fr",
         f"Consultation de M. GIRARD Karim (IPP {IPP}) né le 09/12/1933. Embolie pulmonaire confirmée, traitée.")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("reid")
    sources = write_hospital(root / "sources", notes=[*NOTES, NAMED])
    (sources / "omop" / "person_identity.csv").write_text(IDENTITY, encoding="utf-8")
    (sources / "omop" / "person.csv").write_text(PERSON, encoding="utf-8")
    manifest = sources / "documents" / "manifest.csv"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    lines[0] += ",title"
    lines = [lines[0]] + [line + ("," + f"Consultation de M. GIRARD Karim (IPP {IPP})" if line.startswith("named.txt") else ",") for line in lines[1:]]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = root / "warehouse"
    result = run_cli("--data", data, "ingest", sources)
    assert result.exit_code == 0, result.stderr
    return data


def researcher(data) -> Request:
    return Request(data, Principal("remi", "researcher"), "étude")


def clinician(data) -> Request:
    return Request(data, Principal("clara", "clinician"), "soins")


def named_note(data) -> int:
    return query(data, "SELECT note_id FROM note WHERE note_source_value = 'named.txt'")[0][0]


@pytest.mark.parametrize("attack", [IPP, "GIRARD", "Karim", '"GIRARD Karim"', '"09/12/1933"', "any:GIRARD", "any:8000000001"])
def test_an_identifier_never_matches_for_a_researcher(data, attack):
    assert search_service.search(clinician(data), attack)["total"] >= 1  # the identified view has it
    assert search_service.search(researcher(data), attack)["total"] == 0


def test_patient_filter_takes_a_pseudonym_not_a_person_id_for_a_researcher(data):
    with pytest.raises(QueryError):
        search_service.search(researcher(data), "embolie patient:1")
    alias = pseudonym(data, 1)
    found = search_service.search(researcher(data), f"any:embolie OR any:EP patient:{alias}")
    assert {d["person_id"] for d in found["documents"]} <= {alias}


def test_a_researcher_reads_pseudonymised_titles_everywhere(data):
    found = search_service.search(clinician(data), "embolie pulmonaire confirmée")
    assert any("GIRARD" in d["title"] for d in found["documents"])
    for view in (search_service.search(researcher(data), '"pulmonaire confirmée"', patients=True)["documents"],
                 patients.patient_record(researcher(data), pseudonym(data, 1))["notes"],
                 [patients.note(researcher(data), named_note(data))]):
        text = json.dumps(view, ensure_ascii=False)
        assert "GIRARD" not in text and "Karim" not in text and IPP not in text and "09/12/1933" not in text


def test_the_date_filters_and_facets_of_a_researcher_are_the_shifted_ones(data):
    # the researcher's view of the index, below the services' suppression of small lists
    shift = date_shift(1, secret_key(data))
    real = dt.date(2023, 9, 1)
    seen = real + dt.timedelta(days=shift)
    one = 'any:"pulmonaire confirmée" patient:' + pseudonym(data, 1)

    def view(text):
        return engine.search(data, text, view="pseudonymised", patient_of=lambda alias: 1 if alias == pseudonym(data, 1) else None)

    found = view(one)
    assert [d.date for d in found.documents] == [seen] and found.facets["year"] == {str(seen.year): 1}
    assert "GIRARD" not in found.documents[0].title
    assert view(f"{one} after:{seen.isoformat()}").total == 1  # a bisection of date filters finds the shifted date...
    assert view(f"{one} after:{(seen + dt.timedelta(days=1)).isoformat()}").total == 0
    if shift > 0:  # ...never the real one: a bound past the real date still keeps the note
        assert view(f"{one} after:{(real + dt.timedelta(days=1)).isoformat()}").total == 1
    else:  # a bound on the real date already drops it
        assert view(f"{one} after:{real.isoformat()}").total == 0
    assert engine.search(data, 'any:"pulmonaire confirmée" after:2023-09-01 before:2023-09-02').total == 1  # the identified view: real dates


def birth_of(data, person_id: int) -> dt.date:
    return query(data, "SELECT coalesce(CAST(birth_datetime AS DATE), make_date(year_of_birth, coalesce(month_of_birth, 7), "
                       "coalesce(day_of_birth, 1))) FROM person WHERE person_id = ?", [person_id])[0][0]


def aged(as_of: dt.date, age: int) -> dict:
    return {"name": "aged", "as_of": as_of.isoformat(),
            "inclusion": [{"type": "text", "query": 'any:"pulmonaire confirmée"'}, {"type": "demographics", "age": {"min": age}}]}


def test_a_researcher_cohort_never_matches_an_identifier(data):
    ipp = {"name": "IPP", "inclusion": [{"type": "text", "query": f"any:{IPP}"}]}
    assert cohorts.cohort(clinician(data), ipp, members=False)["size"] == 1
    assert cohorts.cohort(researcher(data), ipp, members=False)["size"] == 0


def test_an_age_bound_at_as_of_reveals_the_shifted_birthday_not_the_real_one(data):
    birth = birth_of(data, 1)
    birthday = birth.replace(year=2020)
    age = 2020 - birth.year
    size = lambda request, day: cohorts.cohort(request, aged(day, age), members=False)["size"]  # noqa: E731
    assert (size(clinician(data), birthday - dt.timedelta(days=1)), size(clinician(data), birthday)) == (0, 1)
    shifted = birthday + dt.timedelta(days=date_shift(1, secret_key(data)))
    assert (size(researcher(data), shifted - dt.timedelta(days=1)), size(researcher(data), shifted)) == (0, "<10")


def test_small_counts_are_neither_listed_nor_exact(data):
    found = search_service.search(researcher(data), "embolie pulmonaire", patients=True)
    assert found["total"] == "<10" and found["documents"] == [] and found["patients"] == []
    everything = search_service.search(researcher(data), "any:pas OR any:le OR any:la OR any:de")
    assert all(v == "<10" or v == 0 or v % 5 == 0 for values in everything["facets"].values() for v in values.values())
    cohort = cohorts.cohort(researcher(data), {"name": "EP", "inclusion": [{"type": "text", "query": "embolie pulmonaire"}]})
    assert cohort["size"] == "<10" and cohort["patients"] == []
    for step in cohort["attrition"]:
        for value in (step["remaining"], step["removed"]):
            assert value in (0, "<10") or value % 5 == 0
