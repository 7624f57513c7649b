"""Concept-aware search on real notes through the real NLP and index: hierarchy (diabète finds
type 1 and type 2), tumour names under their cancer, drug classes through substances and brand
names, misspellings corrected or suggested, and ``code:`` with the codes of a loaded Athena
vocabulary (tests/data/athena_small)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clinsearch.search.engine import search
from tests.helpers import DATA, run_cli
from tests.search.conftest import write_hospital

# (file, person_id, date, type, care_site_id, language, text)
NOTES = [
    ("d1.txt", 1, "2021-01-04", "CONS", 1, "fr", "Diabète de type 1 connu depuis l'enfance, sous insuline."),
    ("d2.txt", 2, "2021-02-04", "CONS", 1, "fr", "Patient DNID sous metformine depuis 2015."),
    ("d3.txt", 3, "2021-03-04", "CONS", 1, "fr", "DT2 mal équilibré, HbA1c à 8,1 %."),
    ("d4.txt", 4, "2021-04-04", "CONS", 1, "fr", "Pas de diabète. Hypertension artérielle traitée."),
    ("s1.txt", 5, "2022-01-10", "CRH", 2, "fr", "Carcinome canalaire infiltrant du sein gauche, grade II de Elston et Ellis."),
    ("s2.txt", 6, "2022-02-10", "CRH", 2, "fr", "Adénocarcinome mammaire droit traité par tumorectomie et radiothérapie."),
    ("s3.txt", 7, "2022-03-10", "CRH", 2, "fr", "Mère traitée pour un cancer du sein à 50 ans. Pas de cancer chez la patiente."),
    ("p1.txt", 8, "2022-04-10", "CRH", 3, "fr", "Carcinome épidermoïde bronchique du lobe supérieur droit, stade IIIA."),
    ("a1.txt", 9, "2023-01-05", "URG", 4, "fr", "Traitement habituel : Eliquis 5 mg deux fois par jour."),
    ("a2.txt", 10, "2023-02-05", "URG", 4, "fr", "Lovenox 4000 UI en sous-cutané une fois par jour."),
    ("a3.txt", 11, "2023-03-05", "CRH", 4, "fr", "Héparine à la seringue électrique, TCA contrôlé."),
    ("a4.txt", 12, "2023-04-05", "CONS", 4, "fr", "Kardégic 75 mg le matin. Pas d'anticoagulant."),
    ("f1.txt", 13, "2023-05-05", "CONS", 4, "fr", "Fibrillation auriculaire paroxystique découverte au Holter."),
    ("e1.txt", 14, "2023-06-05", "CRH", 3, "fr", "Embolie pulmonaire segmentaire droite."),
    # a typo of one note (17), the right spelling in five others
    ("t1.txt", 17, "2023-07-05", "CONS", 4, "fr", "Insufisance mitrale modérée, sous bisoprolol."),
    ("t2.txt", 18, "2023-07-06", "CRH", 4, "fr", "Décompensation d'une insuffisance cardiaque droite."),
    ("t3.txt", 19, "2023-07-07", "CONS", 4, "fr", "Insuffisance mitrale minime."),
    ("t4.txt", 20, "2023-07-08", "CONS", 4, "fr", "Insuffisance veineuse des membres inférieurs."),
    ("t5.txt", 21, "2023-07-09", "CONS", 4, "fr", "Insuffisance respiratoire chronique sous O2."),
    ("t6.txt", 22, "2023-07-10", "CONS", 4, "fr", "Insuffisance surrénalienne substituée."),
    # look-alikes: the words of a concept where the NLP put another one, or none
    ("l1.txt", 23, "2023-08-01", "CRH", 3, "fr", "Radio de thorax : petit EP gauche de faible abondance, non ponctionnable."),
    ("l2.txt", 24, "2023-08-02", "CRH", 3, "fr", "HTAP sévère : hypertension artérielle pulmonaire du groupe 1."),
    ("l3.txt", 25, "2023-08-03", "CRH", 3, "fr", "Diabète insipide central après chirurgie hypophysaire."),
    ("l4.txt", 26, "2023-08-04", "CRH", 3, "fr", "Angioscanner : EP segmentaire droite.\nRadio de thorax : petit EP gauche de faible abondance."),
]
# Patient 15: a condition coded in SNOMED CT only; patient 16: in CIM-10 (E11.9) only.
CONDITIONS = "condition_occurrence_id,person_id,condition_start_date,condition_source_value\n1,15,2020-01-01,44054006\n2,16,2020-01-01,E11.9\n"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clinic")
    sources = write_hospital(root / "sources", NOTES)
    (sources / "omop" / "condition_occurrence.csv").write_text(CONDITIONS, encoding="utf-8")
    people = "person_id,year_of_birth\n" + "".join(f"{n},1960\n" for n in range(1, 27))
    (sources / "omop" / "person.csv").write_text(people, encoding="utf-8")
    data = root / "warehouse"
    result = run_cli("--data", data, "ingest", sources)
    assert result.exit_code == 0, result.stderr
    return data


def patients(data: Path, query: str) -> set[int]:
    result = search(data, query, patients=True, limit=100)
    return {p.person_id for p in result.patients}


def test_diabete_finds_type_1_and_type_2_but_not_a_negated_mention(clinic):
    assert patients(clinic, "diabète") == {1, 2, 3, 16}
    assert patients(clinic, "diabete") == {1, 2, 3, 16}  # without its accent
    assert patients(clinic, "diabète de type 2") == {2, 3, 16}  # DNID is type 2; the lexicon concept stays as narrow as it was
    expansion = search(clinic, "diabète").expansions[0]
    assert {"E10", "E11"} <= set(expansion["codes"]) and "CLINSEARCH:diabete" in expansion["concepts"]


def test_cancer_du_sein_finds_the_tumour_names_and_not_the_mothers(clinic):
    assert patients(clinic, "cancer du sein") == {5, 6}
    assert patients(clinic, "breast cancer") == {5, 6}
    assert patients(clinic, "carcinome canalaire infiltrant") == {5, 6}  # a tumour name names the whole group


def test_cancer_du_poumon_finds_a_bronchial_squamous_cell_carcinoma(clinic):
    assert patients(clinic, "cancer du poumon") == {8}
    assert patients(clinic, "cancer du sein") & patients(clinic, "cancer du poumon") == set()


def test_anticoagulant_finds_brands_and_heparin_but_not_aspirin(clinic):
    assert patients(clinic, "anticoagulant") == {9, 10, 11}
    assert patients(clinic, "héparine") == {10, 11}  # enoxaparin (Lovenox) is a heparin
    assert patients(clinic, "apixaban") == {9}  # a substance finds its brand
    assert 12 not in patients(clinic, "anticoagulant OR héparine")


def test_a_misspelt_word_is_corrected_and_said(clinic):
    result = search(clinic, "embolie pulmonnaire", patients=True)
    assert {p.person_id for p in result.patients} == {14, 26}
    assert result.corrections == [{"word": "pulmonnaire", "correction": "pulmonaire", "candidates": ["pulmonaire"], "position": 9, "as_typed": False}]
    assert result.suggestions == ["embolie pulmonaire"]
    assert patients(clinic, "fibrilation auriculaire") == {13}


def test_a_typo_of_the_notes_is_searched_as_typed_and_corrected(clinic):
    result = search(clinic, "insufisance mitrale", patients=True)
    assert {p.person_id for p in result.patients} == {17, 19}  # the note with the typo, and the one without
    assert result.corrections[0]["correction"] == "insuffisance" and result.corrections[0]["as_typed"] is True
    assert patients(clinic, "insuffisance mitrale") == {19}  # the right spelling never guesses at typos


def test_the_words_of_a_concept_do_not_match_where_the_nlp_read_another_thing(clinic):
    assert patients(clinic, "EP") == patients(clinic, "embolie pulmonaire") == {14, 26}  # not the pleural effusion (EP) of 23
    assert 24 not in patients(clinic, "hypertension artérielle")  # pulmonary arterial hypertension is another disease
    assert 4 in patients(clinic, "hypertension artérielle") and 24 in patients(clinic, "HTAP")
    assert 25 not in patients(clinic, "diabète")  # diabetes insipidus is no diabetes mellitus
    assert 25 in patients(clinic, "insipide")  # the words themselves are still searchable


def test_a_concept_is_highlighted_where_the_nlp_found_it_not_where_its_words_mean_another_thing(clinic):
    snippets = search(clinic, "EP patient:26").documents[0].snippets
    highlights = [(snippet.text, s, e) for snippet in snippets for s, e in snippet.highlights]
    assert len(highlights) == 1  # the embolism, not the "EP" of the effusion in the same snippet
    text, start, end = highlights[0]
    assert text[start:end] == "EP" and text[end:].startswith(" segmentaire") and "abondance" in text


def test_a_known_word_or_a_word_of_the_notes_is_never_corrected(clinic):
    assert search(clinic, "holter").corrections == []  # not a medical word of the terminology, but in a note
    assert search(clinic, "embolie pulmonaire").corrections == []
    assert search(clinic, "=pulmonnaire").corrections == []  # "=word" is taken as written
    assert search(clinic, "zzzzzzzzq").corrections == []  # nothing near: no answer, no guess


def test_spelling_fields_are_in_the_json_of_the_cli(clinic):
    import json

    result = run_cli("--data", clinic, "search", "--json", "embolie pulmonnaire")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["suggestions"] == ["embolie pulmonaire"] and out["corrections"][0]["correction"] == "pulmonaire"


def test_code_takes_snomed_codes_once_the_athena_vocabulary_is_loaded(clinic, tmp_path):
    data = tmp_path / "warehouse"
    shutil.copytree(clinic, data)
    assert patients(data, "code:44054006") == {15}  # before: only the raw code
    assert patients(data, "code:73211009") == set()
    result = run_cli("--data", data, "vocabulary", "load", DATA / "athena_small")
    assert result.exit_code == 0, result.stderr
    # type 2 diabetes: the SNOMED code, the CIM-10 codes mapping to it (E11.9), the notes coded E11 by the NLP (DNID, DT2)
    assert patients(data, "code:44054006") == {2, 3, 15, 16}
    assert patients(data, "code:SNOMED:44054006") == {2, 3, 15, 16}
    # diabetes mellitus: its SNOMED descendants (type 1, type 2) and what maps to them (E10, E11)
    assert patients(data, "code:SNOMED:73211009") == {1, 2, 3, 15, 16}
    assert patients(data, "code:E11") == {2, 3, 15, 16}
    # the CIM-10 concept now also finds the SNOMED-coded patient
    assert 15 in patients(data, "diabète")


def test_the_web_search_page_says_did_you_mean(clinic):
    import re

    from fastapi.testclient import TestClient

    from clinsearch.security.users import Users
    from clinsearch.server import create_app

    users = Users(clinic)
    users.add("clara", "a long enough password", "clinician")
    users.close()
    c = TestClient(create_app(clinic))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "clara", "password": "a long enough password", "purpose": "soins", "csrf_token": token})
    page = c.get("/search", params={"q": "embolie pulmonnaire", "patients": 1}).text
    assert 'data-testid="suggestions">Vouliez-vous dire : <a href="/search?q=embolie+pulmonaire&amp;patients=1">embolie pulmonaire</a>' in page
    assert "« pulmonnaire » cherché comme « pulmonaire »" in page
    assert 'data-testid="suggestions"' not in c.get("/search", params={"q": "embolie pulmonaire"}).text
