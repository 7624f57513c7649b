"""Reader for DICOM files and folders: headers only, one ``image_occurrence`` per series.

Files are read with ``stop_before_pixels``: pixel data never enters memory. The DICOM files
of one folder are one load; their instances are grouped by SeriesInstanceUID (a file without
one is its own series). The person is found by PatientID, the hospital's patient identifier.

A file is quarantined when it is not DICOM, when its header is truncated (an element claims
more bytes than the file holds) or when its pixel data is cut short, when it has no PatientID
or no study date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from clinsearch.ids import stable_id
from clinsearch.warehouse.records import Parsed, Record, Rejected, Row

UNDEFINED_LENGTH = 0xFFFFFFFF
PIXEL_TAGS = {(0x7FE0, 0x0010), (0x7FE0, 0x0008), (0x7FE0, 0x0009)}
SEQUENCE_END_LE = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def is_dicom(path: Path) -> bool:
    """DICOM Part 10 files have 'DICM' after a 128-byte preamble; .dcm files without it are
    accepted too (old files with no meta header)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(128)
            if handle.read(4) == b"DICM":
                return True
    except OSError:
        return False
    return path.suffix.lower() == ".dcm"


def checksum(paths: list[Path]) -> str:
    """Identity of a set of DICOM files without reading their pixel data: name, size and the
    first 64 KiB (the header) of each."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{path.name}\x1f{os.path.getsize(path)}\x1f".encode())
        with open(path, "rb") as handle:
            digest.update(handle.read(65536))
    return digest.hexdigest()


@dataclass
class _Series:
    first: str
    values: dict
    files: list[str] = field(default_factory=list)


def read(paths: list[Path], resolve_person: Callable[[str], int], root: Path | None = None) -> Iterator[Record]:
    series: dict[str, _Series] = {}
    for path in sorted(paths):
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
        try:
            values = header(path)
        except ValueError as exc:
            yield Rejected(name, str(exc))
            continue
        key = values["image_series_uid"] or f"file:{name}"
        if key in series:
            series[key].files.append(name)
            continue
        series[key] = _Series(name, values, [name])
    for key, item in series.items():
        values = item.values
        row = {
            "image_occurrence_id": stable_id("image_occurrence", f"{values['image_study_uid']}#{key}"),
            "person_id": resolve_person(values["person_source_value"]),
            "local_path": item.first,
            "number_of_instances": len(item.files),
            **values,
        }
        yield Parsed(f"series {key} ({item.first})", [Row("image_occurrence", row)])


def header(path: Path) -> dict:
    """The image_occurrence fields of one file's header; ``ValueError`` when unusable."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    size = os.path.getsize(path)
    if size == 0:
        raise ValueError("empty file")
    try:
        with open(path, "rb") as handle:
            ds = pydicom.dcmread(handle, stop_before_pixels=True)
            pixel_start = handle.tell()
            _check_complete(ds, handle, pixel_start, size)
    except InvalidDicomError as exc:
        raise ValueError(f"not a DICOM file ({exc})") from None
    # pydicom raises NotImplementedError for encodings it cannot read: the file is unusable here.
    except (EOFError, OSError, struct.error, KeyError, TypeError, NotImplementedError) as exc:
        raise ValueError(f"unreadable DICOM header ({type(exc).__name__}: {exc})") from None
    patient = str(ds.get("PatientID") or "").strip()
    if not patient:
        raise ValueError("no PatientID: the image cannot be tied to a patient")
    day = _date(ds.get("StudyDate")) or _date(ds.get("SeriesDate")) or _date(ds.get("AcquisitionDate"))
    if day is None:
        raise ValueError("no valid StudyDate, SeriesDate or AcquisitionDate")
    return {
        "person_source_value": patient,
        "image_occurrence_date": day,
        "image_study_uid": _text(ds.get("StudyInstanceUID")),
        "image_series_uid": _text(ds.get("SeriesInstanceUID")),
        "modality_source_value": _text(ds.get("Modality")),
        "anatomic_site_source_value": _text(ds.get("BodyPartExamined")),
        "image_study_description": _text(ds.get("StudyDescription")),
        "image_series_description": _text(ds.get("SeriesDescription")),
        "accession_number": _text(ds.get("AccessionNumber")),
    }


def _check_complete(ds, handle, pixel_start: int, size: int) -> None:
    for tag in ds.keys():
        raw = ds.get_item(tag)
        tell, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
        if tell is not None and length not in (None, UNDEFINED_LENGTH) and tell + length > size:
            raise ValueError(f"truncated DICOM header: element {tag} needs {length} bytes, the file ends first")
    if pixel_start >= size:
        # No pixel data: the header-only file must end exactly where its last element ends.
        keys = list(ds.keys())
        last = ds.get_item(keys[-1]) if keys else None
        tell, length = getattr(last, "value_tell", None), getattr(last, "length", None)
        if tell is not None and length not in (None, UNDEFINED_LENGTH) and tell + length != size:
            raise ValueError(f"truncated DICOM file: it ends inside an element ({size - tell - length} stray bytes)")
        return
    implicit, little = getattr(ds, "original_encoding", (False, True))
    handle.seek(pixel_start)
    head = handle.read(12)
    order = "<" if little in (True, None) else ">"
    if len(head) < 8:
        raise ValueError("truncated DICOM file: pixel data header cut short")
    group, element = struct.unpack(order + "HH", head[:4])
    if (group, element) not in PIXEL_TAGS:
        return
    if implicit:
        length, offset = struct.unpack(order + "I", head[4:8])[0], 8
    else:
        if len(head) < 12:
            raise ValueError("truncated DICOM file: pixel data header cut short")
        length, offset = struct.unpack(order + "I", head[8:12])[0], 12
    if length == UNDEFINED_LENGTH:
        handle.seek(max(size - 8, 0))
        if handle.read(8) != SEQUENCE_END_LE:
            raise ValueError("truncated DICOM file: encapsulated pixel data has no end marker")
    elif pixel_start + offset + length > size:
        raise ValueError(f"truncated DICOM file: pixel data needs {length} bytes, {size - pixel_start - offset} remain")


def _date(value) -> dt.date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
