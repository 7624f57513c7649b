"""Pseudonymisation: measured on identifiers planted by the demo generator, and hostile input."""

from __future__ import annotations

import csv
import datetime
import json
import re

import pytest

from clinsearch.config import secret_key
from clinsearch.demo.generator import generate
from clinsearch.nlp.pseudonymize import date_shift, nir_key_ok, pseudonymize


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pseudo")
    generate(folder, patients=60, notes=400, seed=11)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    with open(folder / "sources" / "omop" / "person_identity.csv", newline="", encoding="utf-8") as handle:
        identities = {int(r["person_id"]): r for r in csv.DictReader(handle)}
    return folder, truth, identities


def test_every_planted_identifier_is_removed(hospital):
    folder, truth, identities = hospital
    planted = found = 0
    for source, note in truth["notes"].items():
        text = next((folder / "sources" / "documents").rglob(f"{source}.txt")).read_text(encoding="utf-8")
        patient = truth["patients"][note["person_source_value"]]
        identity = dict(identities[patient["person_id"]], ipp=note["person_source_value"])
        result = pseudonymize(text, identity, shift_days=17)
        for identifier in note["identifiers"]:
            planted += 1
            covered = any(r.start <= identifier["start"] and identifier["end"] <= r.end for r in result.replacements)
            found += covered
            assert identifier["text"] not in result.text or identifier["kind"] == "birth_date", (source, identifier)
    assert planted > 1000 and found == planted  # recall 1.0 on names, IPP, phones, doctors, birth dates


def test_pseudonymisation_keeps_the_clinical_content(hospital):
    folder, truth, identities = hospital
    note = next(iter(truth["notes"].values()))
    source = next(iter(truth["notes"]))
    text = next((folder / "sources" / "documents").rglob(f"{source}.txt")).read_text(encoding="utf-8")
    result = pseudonymize(text, {}, shift_days=0)
    for mention in note["mentions"]:
        assert mention["text"] in result.text  # conditions are never taken for identifiers


def test_dates_are_shifted_keeping_intervals():
    text = "Entrée le 01/03/2024, sortie le 11/03/2024, contrôle le 2024-04-10 et le 3 mai 2024."
    result = pseudonymize(text, shift_days=-40)
    assert result.text == "Entrée le 21/01/2024, sortie le 31/01/2024, contrôle le 2024-03-01 et le 24 mars 2024."


def test_nir_needs_a_valid_key():
    assert nir_key_ok("255081416802538") and not nir_key_ok("255081416802539")
    assert nir_key_ok("185072A123456" + f"{97 - int('1850719123456') % 97:02d}")  # Corsica: 2A counts as 19
    assert pseudonymize("NIR 2 55 08 14 168 025 38").text == "NIR [NIR]"
    assert pseudonymize("Réf 2 55 08 14 168 025 39").text == "Réf 2 55 08 14 168 025 39"


def test_the_patients_own_identity_is_found_anywhere_ignoring_case_and_accents():
    identity = {"family_name": "Lefèvre", "given_name": "Hélène", "city": "Évreux", "ipp": "8000000042"}
    text = "helene LEFEVRE, d'Evreux, dossier 8000000042 : Hélène va bien."
    assert pseudonymize(text, identity).text == "[PRÉNOM] [NOM], d'[VILLE], dossier [IPP] : [PRÉNOM] va bien."


def test_date_shifts_are_stable_secret_and_never_zero(tmp_path):
    secret = secret_key(tmp_path)
    assert secret == secret_key(tmp_path) and len(secret) == 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    shifts = [date_shift(pid, secret) for pid in range(1, 500)]
    assert shifts == [date_shift(pid, secret) for pid in range(1, 500)]
    assert 0 not in shifts and all(-365 <= s <= 365 for s in shifts) and len(set(shifts)) > 200
    assert shifts != [date_shift(pid, b"another secret") for pid in range(1, 500)]


@pytest.mark.parametrize("text", ["", "\x00\xff\ufffd" * 100, "Ã©tÃ© diabÃ¨te, né le 01/02/1950", ("M. Dupont 06 12 34 56 78 " * 40_000)[:1_000_000]])
def test_hostile_texts(text):
    result = pseudonymize(text, {"family_name": "Dupont"}, shift_days=3)
    assert isinstance(result.text, str)
    assert "Dupont" not in result.text and not re.search(r"06 12 34 56 78", result.text)


def test_the_researcher_reads_a_pseudonymised_note_from_the_warehouse(data, tmp_path):
    from clinsearch.security.users import Principal
    from clinsearch.services.access import Request
    from clinsearch.services.patients import note as read_note
    from clinsearch.warehouse.store import open_store
    from tests.helpers import load

    (tmp_path / "person.csv").write_text("person_id,year_of_birth,person_source_value\n5,1950,IPP5\n", encoding="utf-8")
    (tmp_path / "person_identity.csv").write_text("person_id,family_name,given_name\n5,Martin,Paul\n", encoding="utf-8")
    note = tmp_path / "cr.txt"
    note.write_text("M. MARTIN Paul (IPP5), vu le 10/01/2024 : Paul va mieux.", encoding="utf-8")
    note.with_name("cr.txt.json").write_text('{"person_source_value": "IPP5", "date": "2024-01-10"}', encoding="utf-8")
    assert load(data, tmp_path).ok
    with open_store(data) as store:
        note_id = store.query("SELECT note_id FROM note")[0][0]
    view = read_note(Request(data, Principal("remi", "researcher"), "test"), note_id)
    shift = date_shift(5, secret_key(data))
    assert "Martin" not in view["text"] and "MARTIN" not in view["text"] and "Paul" not in view["text"] and "IPP5" not in view["text"]
    shifted = datetime.date(2024, 1, 10) + datetime.timedelta(days=shift)
    assert view["date"] == shifted.isoformat()
    assert shifted.strftime("%d/%m/%Y") in view["text"] and "10/01/2024" not in view["text"]
