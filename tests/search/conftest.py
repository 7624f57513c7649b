"""A small hospital to search: real notes through the real NLP pipeline and the real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli

# (file, person_id, date, type, care_site_id, language, text)
NOTES = [
    ("a1.txt", 1, "2021-03-02", "CRH", 1, "fr", "Angioscanner thoracique : embolie pulmonaire bilatérale. Traitement par apixaban."),
    ("a2.txt", 1, "2023-06-10", "CONS", 2, "fr", "Antécédent d'accident vasculaire cérébral ischémique en 2019. Pas de fièvre."),
    ("b1.txt", 2, "2022-01-15", "CRI", 3, "fr", "Angioscanner : pas d'embolie pulmonaire. Pas de thrombose veineuse profonde."),
    ("c1.txt", 3, "2022-05-20", "URG", 4, "fr", "Dyspnée aiguë. Suspicion d'EP, angioscanner demandé."),
    ("d1.txt", 4, "2020-11-30", "CRH", 1, "fr", "Mère décédée d'une embolie pulmonaire. Le patient va bien."),
    ("e1.txt", 5, "2019-09-09", "CONS", 2, "fr", "Patient DT2 sous metformine, HbA1c 7,2 %. Fièvre à 39 °C depuis deux jours."),
    ("f1.txt", 6, "2024-02-02", "CONS", 2, "fr", "Hypertension artérielle connue, bien équilibrée."),
    ("g1.txt", 8, "2023-03-03", "URG", 4, "en", "No evidence of pulmonary embolism. The patient reports chest pain."),
    ("h1.txt", 9, "2018-04-04", "CRH", 1, "fr", "Embolies pulmonaires multiples en 2017, traitées."),
]
CARE_SITES = "care_site_id,care_site_name\n1,Pneumologie\n2,Médecine interne\n3,Radiologie\n4,Urgences\n"
# Patient 7 has no note: only a coded hypertension (CIM-10 I10).
CONDITIONS = "condition_occurrence_id,person_id,condition_start_date,condition_source_value\n1,7,2020-01-01,I10\n2,9,2017-05-01,I26.9\n"


def write_hospital(folder: Path, notes=NOTES) -> Path:
    documents = folder / "documents"
    documents.mkdir(parents=True)
    lines = ["file,person_id,date,type,care_site_id,language"]
    for name, person, date, kind, site, language, text in notes:
        (documents / name).write_text(text, encoding="utf-8")
        lines.append(f"{name},{person},{date},{kind},{site},{language}")
    (documents / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    omop = folder / "omop"
    omop.mkdir()
    (omop / "care_site.csv").write_text(CARE_SITES, encoding="utf-8")
    (omop / "person.csv").write_text("person_id,year_of_birth\n" + "".join(f"{i},{1950 + i}\n" for i in range(1, 10)), encoding="utf-8")
    (omop / "condition_occurrence.csv").write_text(CONDITIONS, encoding="utf-8")
    return folder


@pytest.fixture(scope="package")
def hospital(tmp_path_factory) -> Path:
    """The data directory of the small hospital, ingested (NLP and index included)."""
    root = tmp_path_factory.mktemp("hospital")
    data = root / "warehouse"
    result = run_cli("--data", data, "ingest", write_hospital(root / "sources"))
    assert result.exit_code == 0, result.stderr
    return data
