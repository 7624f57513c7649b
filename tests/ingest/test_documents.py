"""The document reader: text, Markdown, DOCX, PDF, manifests, sidecars and notes CSVs."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import docx

from tests.helpers import DATA, counts, load, make_pdf, quarantine, query, run_cli

PERSON = "person_id,year_of_birth,person_source_value\n7,1950,IPP7\n"


def person7(data: Path, tmp_path: Path) -> None:
    """The patient the documents below belong to, loaded first (a note of a patient the
    warehouse does not have is quarantined)."""
    folder = tmp_path.with_name(tmp_path.name + "-persons")  # beside the folders the tests load whole
    folder.mkdir(exist_ok=True)
    (folder / "person.csv").write_text(PERSON)
    assert load(data, folder / "person.csv").ok


def sidecar(path: Path, **meta) -> Path:
    path.with_name(path.name + ".json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def make_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Créatinine", "98 µmol/L"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_text_note_with_a_sidecar_is_tied_to_the_patient_by_ipp(data, tmp_path):
    (tmp_path / "person.csv").write_text(PERSON)
    note = tmp_path / "crh.txt"
    note.write_text("Pas de diabète. HTA connue.", encoding="utf-8")
    sidecar(note, person_source_value="IPP7", date="12/03/2024", type="CRH", title="Compte rendu d'hospitalisation")
    assert load(data, tmp_path).ok
    row = query(data, "SELECT person_id, note_date, note_class_source_value, note_title, note_text FROM note")[0]
    assert row == (7, dt.date(2024, 3, 12), "CRH", "Compte rendu d'hospitalisation", "Pas de diabète. HTA connue.")


def test_a_latin1_text_note_is_decoded(data, tmp_path):
    person7(data, tmp_path)
    note = tmp_path / "cr.txt"
    note.write_bytes("Embolie pulmonaire écartée.".encode("latin-1"))
    sidecar(note, person_id=7, date="2024-03-12")
    assert load(data, note).ok
    assert query(data, "SELECT note_text FROM note")[0][0] == "Embolie pulmonaire écartée."


def test_docx_and_pdf_documents_are_read_from_a_manifest(data, tmp_path):
    person7(data, tmp_path)
    (tmp_path / "a.docx").write_bytes(make_docx(["Compte rendu opératoire", "Appendicectomie sans complication."]))
    (tmp_path / "b.pdf").write_bytes(make_pdf(["Scanner thoracique", "Absence d'embolie pulmonaire."]))
    (tmp_path / "c.md").write_text("# Consultation\n\nSuspicion de BPCO.", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,person_id,date,type\na.docx,7,2024-01-01,CRO\nb.pdf,7,2024-01-02,CRI\nc.md,7,2024-01-03,CONS\n")
    result = load(data, tmp_path)
    assert result.ok and len(result.summaries) == 1 and result.summaries[0].format == "manifest"
    texts = [r[0] for r in query(data, "SELECT note_text FROM note ORDER BY note_date")]
    assert "Appendicectomie sans complication." in texts[0] and "98 µmol/L" in texts[0]
    assert "Absence d'embolie pulmonaire." in texts[1]
    assert "Suspicion de BPCO." in texts[2]


def test_a_pdf_without_a_text_layer_is_quarantined_and_the_others_load(data, tmp_path):
    person7(data, tmp_path)
    (tmp_path / "scan.pdf").write_bytes(make_pdf([]))
    (tmp_path / "ok.txt").write_text("HTA.", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,person_id,date\nscan.pdf,7,2024-01-01\nok.txt,7,2024-01-02\n")
    result = load(data, tmp_path)
    assert result.summaries[0].loaded == 1 and result.summaries[0].quarantined == 1
    entry = quarantine(data)[0]
    assert entry["source_record"] == "line 2 (scan.pdf)" and "PDF without a text layer" in entry["reason"]


def test_a_document_without_sidecar_or_manifest_is_a_clear_error(data, tmp_path):
    note = tmp_path / "orphan.txt"
    note.write_text("Pas de fièvre.", encoding="utf-8")
    result = run_cli("--data", data, "ingest", note)
    assert result.exit_code == 1
    assert "orphan.txt: no metadata: put a sidecar orphan.txt.json or a manifest.csv beside it" in result.stderr
    assert counts(data)["note"] == 0


def test_manifest_lines_with_bad_metadata_are_quarantined_by_line(data, tmp_path):
    person7(data, tmp_path)
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_text("Texte.", encoding="utf-8")
    (tmp_path / "e.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (tmp_path / "manifest.csv").write_text(
        "file,person_id,date\na.txt,7,2024-01-01\nb.txt,7,hier\nc.txt,,2024-01-01\nmissing.txt,7,2024-01-01\ne.txt,7,2024-01-01\nd.txt,7,2024-01-05\n"
    )
    result = load(data, tmp_path)
    assert result.summaries[0].loaded == 2
    reasons = {q["source_record"]: q["reason"] for q in quarantine(data)}
    assert "unknown date format 'hier'" in reasons["line 3 (b.txt)"]
    assert "no patient for the document" in reasons["line 4 (c.txt)"]
    assert reasons["line 5"] == "listed file 'missing.txt' not found beside the manifest"
    assert reasons["line 6 (e.txt)"] == "binary content (NUL bytes), not text"


def test_a_broken_docx_is_quarantined(data, tmp_path):
    person7(data, tmp_path)
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "manifest.csv").write_text("file,person_id,date\nbroken.docx,7,2024-01-01\n")
    load(data, tmp_path)
    assert "unreadable DOCX" in quarantine(data)[0]["reason"]


def test_mtsamples_reports_load_as_english_notes_through_a_notes_csv_sidecar(data, tmp_path):
    shutil.copytree(DATA / "mtsamples", tmp_path / "mtsamples")
    result = load(data, tmp_path / "mtsamples")
    assert result.ok, result.as_dict()
    assert counts(data)["note"] == 20
    title, kind, language, source = query(data, "SELECT note_title, note_class_source_value, language_source_value, note_source_value FROM note WHERE note_source_value LIKE '%:0'")[0]
    assert (title, kind, language) == ("Allergic Rhinitis", "Allergy / Immunology", "en")
    persons = query(data, "SELECT count(DISTINCT person_id) FROM note")[0][0]
    assert persons == 20  # one anonymous patient per report, from the sidecar's default


def test_loading_a_manifest_twice_changes_nothing_until_a_document_changes(data, tmp_path):
    person7(data, tmp_path)
    (tmp_path / "a.txt").write_text("Première version.", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,person_id,date\na.txt,7,2024-01-01\n")
    load(data, tmp_path)
    assert load(data, tmp_path).summaries[0].status == "already loaded"
    (tmp_path / "a.txt").write_text("Deuxième version.", encoding="utf-8")
    assert load(data, tmp_path).summaries[0].status == "loaded"
    assert query(data, "SELECT note_text FROM note") == [("Deuxième version.",)]
