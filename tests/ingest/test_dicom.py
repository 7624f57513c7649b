"""The DICOM reader on pydicom's own bundled test files and on headers written here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file

from tests.helpers import counts, load, quarantine, query


def bundled(name: str) -> Path:
    return Path(get_testdata_file(name, download=False))


def copy(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(bundled(name), folder / name)
    return folder


def patients(data: Path, tmp_path: Path) -> None:
    """The patients of pydicom's test files (PatientID 1CT1 and 4MR1), loaded first: an image
    of a patient the warehouse does not have is quarantined."""
    (tmp_path / "person.csv").write_text("person_id,year_of_birth,person_source_value\n1,1950,1CT1\n2,1960,4MR1\n")
    assert load(data, tmp_path / "person.csv").ok


def test_real_dicom_files_become_one_image_occurrence_per_series(data, tmp_path):
    patients(data, tmp_path)
    folder = copy(tmp_path / "pacs", "CT_small.dcm", "MR_small.dcm")
    result = load(data, folder)
    assert result.ok and result.summaries[0].format == "dicom"
    rows = query(data, "SELECT modality_source_value, image_occurrence_date, person_source_value, image_series_uid FROM image_occurrence ORDER BY 1")
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [("CT", "2004-01-19", "1CT1"), ("MR", "2004-08-26", "4MR1")]
    ct = pydicom.dcmread(bundled("CT_small.dcm"), stop_before_pixels=True)
    assert rows[0][3] == ct.SeriesInstanceUID


def test_instances_of_one_series_are_counted_in_one_row(data, tmp_path):
    patients(data, tmp_path)
    folder = copy(tmp_path / "pacs", "MR_small.dcm")
    shutil.copy(bundled("MR_small.dcm"), folder / "MR_small_copy.dcm")
    load(data, folder)
    assert query(data, "SELECT number_of_instances FROM image_occurrence") == [(2,)]


def test_images_are_tied_to_the_person_with_that_patient_id(data, tmp_path):
    (tmp_path / "person.csv").write_text("person_id,year_of_birth,person_source_value\n42,1950,1CT1\n")
    copy(tmp_path / "pacs", "CT_small.dcm")
    load(data, tmp_path / "person.csv", tmp_path / "pacs")
    assert query(data, "SELECT person_id FROM image_occurrence") == [(42,)]


def test_truncated_files_are_quarantined_and_the_intact_ones_load(data, tmp_path):
    patients(data, tmp_path)
    folder = copy(tmp_path / "pacs", "CT_small.dcm", "MR_truncated.dcm", "rtplan_truncated.dcm")
    cut = folder / "CT_cut.dcm"
    cut.write_bytes(bundled("CT_small.dcm").read_bytes()[:3000])
    result = load(data, folder)
    assert result.summaries[0].loaded == 1 and result.summaries[0].quarantined == 3
    reasons = {q["source_record"]: q["reason"] for q in quarantine(data)}
    assert reasons["MR_truncated.dcm"].startswith("truncated DICOM file: pixel data needs 8192 bytes")
    assert reasons["rtplan_truncated.dcm"].startswith("truncated DICOM header")
    assert "CT_cut.dcm" in reasons


def test_an_image_of_a_patient_the_warehouse_does_not_have_is_quarantined_not_loaded(data, tmp_path):
    result = load(data, copy(tmp_path / "pacs", "CT_small.dcm"))
    assert result.summaries[0].status == "quarantined" and result.summaries[0].orphans == 1
    assert counts(data)["image_occurrence"] == 0
    reason = quarantine(data)[0]["reason"]
    assert reason.startswith("no patient with person_id") and "person_source_value '1CT1'" in reason


def test_a_file_without_patient_id_is_quarantined(data, tmp_path):
    folder = tmp_path / "pacs"
    folder.mkdir()
    ds = pydicom.dcmread(bundled("CT_small.dcm"))
    del ds.PatientID
    ds.save_as(folder / "anonymous.dcm")
    load(data, folder)
    assert quarantine(data)[0]["reason"] == "no PatientID: the image cannot be tied to a patient"
    assert counts(data)["image_occurrence"] == 0


def test_a_dcm_file_that_is_not_dicom_is_quarantined(data, tmp_path):
    folder = tmp_path / "pacs"
    folder.mkdir()
    (folder / "fake.dcm").write_bytes(b"this is not DICOM at all" * 10)
    load(data, folder)
    assert "fake.dcm" == quarantine(data)[0]["source_record"]
