"""Reader for free-text documents: ``.txt``, ``.md``, ``.docx``, ``.pdf`` (text layer) and CSV
exports of a document store. Every format is described with a complete example in
``docs/data-engineering.md``.

A document's patient and date come from, in this order:

* a sidecar JSON beside it (``report.pdf.json`` or ``report.json``):
  ``{"person_source_value": "IPP123", "date": "2024-03-01", "type": "CRH", "title": "..."}``;
* a document manifest in its folder, one line per document, with a ``file`` column and the same
  fields as columns (the manifest is then loaded as one unit, one record per line). A manifest is
  recognised by its columns -- ``file`` and a patient column (``person_id`` or
  ``person_source_value``; ``patient`` with a ``date`` column) -- whatever its name
  (``manifest.csv`` is usual).

Fields: ``person_id`` (the warehouse id) or ``person_source_value`` (the hospital's patient
identifier, IPP), ``date`` (required), ``datetime``, ``type``, ``title``, ``language``, ``id``,
``visit_occurrence_id``, ``care_site_id``, and, for persons a source creates, ``year_of_birth``
and ``gender``. A document with neither sidecar nor manifest is an error that says so.

A CSV of notes (one note per row) is read when a sidecar ``notes.csv.json`` maps its columns:
``{"columns": {"text": "transcription", "title": "sample_name", "type": "medical_specialty",
"id": ""}, "defaults": {"person_source_value": "mtsamples-{id}", "date": "2023-02-01"},
"create_persons": true}``; ``columns`` maps a field to the CSV column holding it (``text`` is
required; ``""`` is the CSV's unnamed first column), ``defaults`` gives the fields no column
holds, where ``{field}`` is replaced by that row's value of the field.

A note must belong to a patient the warehouse has; otherwise the loader quarantines it. With
``"create_persons": true`` (a notes CSV's or a document's sidecar) the source says that its
patients are its own: a person is created for each identifier not in the warehouse yet (with
``year_of_birth`` and ``gender`` when the source gives them), and an existing person is never
changed.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Callable, Iterator

from clinsearch.ids import stable_id
from clinsearch.ingest.codes import omop_concept
from clinsearch.ingest.values import decode_text, parse_date, parse_datetime, parse_int
from clinsearch.warehouse.concepts import EHR
from clinsearch.warehouse.records import Parsed, Record, Rejected, Row, UnreadableFile

DOCUMENT_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MANIFEST_NAME = "manifest.csv"
FIELDS = ("person_id", "person_source_value", "date", "datetime", "type", "title", "language", "id", "visit_occurrence_id", "care_site_id",
          "year_of_birth", "gender")
PATIENT_COLUMNS = ("person_id", "person_source_value", "patient")

PersonResolver = Callable[[str], int]


def sidecar_for(path: Path) -> Path | None:
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate.is_file() and candidate != path:
            return candidate
    return None


def document_text(path: Path, data: bytes | None = None) -> str:
    """The text of a document file; ``ValueError`` when it has none or cannot be read."""
    data = path.read_bytes() if data is None else data
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = pdf_text(data)
        if not text.strip():
            raise ValueError("PDF without a text layer (a scanned document? OCR it first)")
        return text
    if suffix == ".docx":
        return docx_text(data)
    if not data.strip():
        raise ValueError("empty document")
    return decode_text(data)[0]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValueError(f"unreadable PDF ({exc})") from None


def docx_text(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML and package errors alike
        raise ValueError(f"unreadable DOCX ({type(exc).__name__}: {exc})") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    text = "\n".join(parts)
    if not text.strip():
        raise ValueError("DOCX without text")
    return text


def read_with_sidecar(path: Path, resolve_person: PersonResolver) -> Iterator[Record]:
    """One document whose metadata is in its sidecar JSON."""
    sidecar = sidecar_for(path)
    if sidecar is None:
        raise UnreadableFile(str(path), f"no metadata: put a sidecar {path.name}.json or a {MANIFEST_NAME} beside it")
    meta = _sidecar(sidecar)
    create = meta.pop("create_persons", False) is True
    yield _document(path, meta, "document", resolve_person, default_id=path.name, create=create)


def read_manifest(manifest: Path, resolve_person: PersonResolver) -> Iterator[Record]:
    """Every document listed in a manifest CSV, one record per line."""
    rows = _csv_rows(manifest)
    first = next(rows, None)
    if first is None:
        raise UnreadableFile(str(manifest), "empty manifest (no header line)")
    names = [h.strip().lower() for h in first[1]]
    folder = os.path.abspath(manifest.parent)
    if "file" not in names:
        raise UnreadableFile(str(manifest), "manifest has no 'file' column")
    for number, fields in rows:
        if not any(f.strip() for f in fields):
            continue
        position = f"line {number}"
        if len(fields) != len(names):
            yield Rejected(position, f"expected {len(names)} fields, got {len(fields)}", ",".join(fields))
            continue
        meta = {k: v for k, v in zip(names, fields) if v.strip()}
        name = meta.pop("file", "")
        target = Path(os.path.normpath(os.path.join(folder, name)))
        if not name or not target.is_file():
            yield Rejected(position, f"listed file {name!r} not found beside the manifest", ",".join(fields))
            continue
        yield _document(target, meta, position, resolve_person, default_id=name)


def manifest_kind(path: Path) -> str | None:
    """'manifest' when a CSV's header is a document manifest's (``file`` and a patient column),
    'inventory' when it lists files without patients (a data set's own list of its files and
    expected counts, as Synthea's ``manifest.csv``), None otherwise."""
    try:
        first = next(_csv_rows(path), None)
    except UnreadableFile:
        return None
    header = {h.strip().lower() for h in first[1]} if first else set()
    if "file" not in header:
        return None
    # person_id / person_source_value are this format's own names; "patient" alone is a common
    # word (Synthea's manifest counts Patient resources), so it needs a date column beside it.
    if header & {"person_id", "person_source_value"} or ("patient" in header and header & {"date", "datetime"}):
        return "manifest"
    return "inventory"


def manifest_files(manifest: Path) -> list[Path]:
    """The documents a manifest lists (for checksums and to know they are covered)."""
    try:
        rows = _csv_rows(manifest)
        header = [h.strip().lower() for h in next(rows, (0, []))[1]]
        index = header.index("file")
    except (ValueError, UnreadableFile):
        return []
    folder = os.path.abspath(manifest.parent)
    return [
        Path(os.path.normpath(os.path.join(folder, fields[index].strip())))
        for _, fields in rows
        if len(fields) > index and fields[index].strip()
    ]


def read_notes_csv(path: Path, resolve_person: PersonResolver) -> Iterator[Record]:
    """A CSV of notes, one per row, mapped by its sidecar's ``columns`` and ``defaults``."""
    mapping = _sidecar(sidecar_for(path))
    columns = mapping.get("columns") or {}
    defaults = mapping.get("defaults") or {}
    create = mapping.get("create_persons", False)
    if not isinstance(create, bool):
        raise UnreadableFile(str(path), f"the sidecar's 'create_persons' must be true or false, not {create!r}")
    if "text" not in columns:
        raise UnreadableFile(str(path), "the sidecar's 'columns' must name the 'text' column")
    rows = _csv_rows(path)
    first = next(rows, None)
    if first is None:
        raise UnreadableFile(str(path), "empty file (no header line)")
    header = first[1]
    missing = [c for c in columns.values() if c not in header]
    if missing:
        raise UnreadableFile(str(path), f"column(s) {', '.join(map(repr, missing))} named in the sidecar are not in the header")
    for number, fields in rows:
        position = f"line {number}"
        if len(fields) != len(header):
            yield Rejected(position, f"expected {len(header)} fields, got {len(fields)}", ",".join(fields)[:2000])
            continue
        values = dict(zip(header, fields))
        meta = {field: values[column].strip() for field, column in columns.items() if values[column].strip()}
        for field, default in defaults.items():
            if field not in meta:
                meta[field] = str(default).format(**{k: v for k, v in meta.items() if k != "text"})
        text = meta.pop("text", "")
        if not text:
            yield Rejected(position, "empty note text", ",".join(fields)[:2000])
            continue
        yield _note(text, meta, position, resolve_person, source=f"{path.name}:{meta.get('id', number)}", create=create)


def _document(path: Path, meta: dict, position: str, resolve_person: PersonResolver, default_id: str, create: bool = False) -> Record:
    try:
        text = document_text(path)
    except (ValueError, OSError) as exc:
        return Rejected(f"{position} ({path.name})", str(exc))
    where = f"{position} ({path.name})" if position != "document" else path.name
    return _note(text, meta, where, resolve_person, source=meta.get("id") or default_id, create=create)


def _note(text: str, meta: dict, position: str, resolve_person: PersonResolver, source: str, create: bool = False) -> Record:
    try:
        person_id = _person(meta, resolve_person)
        person = _new_person(person_id, meta) if create else None
        if "datetime" in meta:
            moment = parse_datetime(meta["datetime"])
            day = moment.date()
        elif "date" in meta:
            day, moment = parse_date(meta["date"]), None
        else:
            raise ValueError("no date for the document (field 'date')")
        visit = parse_int(meta["visit_occurrence_id"]) if meta.get("visit_occurrence_id") else None
        care_site = parse_int(meta["care_site_id"]) if meta.get("care_site_id") else None
    except ValueError as exc:
        return Rejected(position, str(exc))
    note = note_row(
        note_id=stable_id("note", f"document:{source}"),
        person_id=person_id,
        note_date=day,
        note_datetime=moment,
        note_title=meta.get("title") or meta.get("type"),
        note_text=text,
        visit_occurrence_id=visit,
        note_source_value=source,
        note_class_source_value=meta.get("type"),
        language_source_value=meta.get("language"),
        care_site_id=care_site,
    )
    return Parsed(position, [note] if person is None else [person, note])


def _new_person(person_id: int, meta: dict) -> Row:
    """The person a source creates for its note (written only if the warehouse has none)."""
    gender = str(meta["gender"]).strip().lower() if meta.get("gender") else None
    values = {
        "person_id": person_id,
        "gender_concept_id": omop_concept("gender", gender) or 0,
        "year_of_birth": parse_int(str(meta["year_of_birth"])) if meta.get("year_of_birth") else None,
        "race_concept_id": 0,
        "ethnicity_concept_id": 0,
        "person_source_value": meta.get("person_source_value") or meta.get("patient"),
        "gender_source_value": gender,
    }
    return Row("person", values, if_absent=True)


def note_row(**columns) -> Row:
    """A ``note`` row: the given columns, read from the hospital's records (type EHR), with no
    standard class, encoding or language concept (0: the source values are kept)."""
    return Row("note", {"note_type_concept_id": EHR, "note_class_concept_id": 0, "encoding_concept_id": 0, "language_concept_id": 0, **columns})


def _person(meta: dict, resolve_person: PersonResolver) -> int:
    if meta.get("person_id"):
        return parse_int(str(meta["person_id"]))
    source = meta.get("person_source_value") or meta.get("patient")
    if not source:
        raise ValueError("no patient for the document (field 'person_id' or 'person_source_value')")
    return resolve_person(str(source))


def _sidecar(path: Path | None) -> dict:
    if path is None:
        raise UnreadableFile("?", "no sidecar")
    try:
        meta = json.loads(decode_text(path.read_bytes())[0])
    except json.JSONDecodeError as exc:
        raise UnreadableFile(str(path), f"malformed JSON in sidecar at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise UnreadableFile(str(path), f"unreadable sidecar ({exc})") from None
    if not isinstance(meta, dict):
        raise UnreadableFile(str(path), "the sidecar must hold a JSON object")
    return {k: v for k, v in meta.items() if v not in (None, "")} if "columns" not in meta else meta


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        text, _ = decode_text(path.read_bytes())
    except (ValueError, OSError) as exc:
        raise UnreadableFile(str(path), str(exc)) from None
    if not text.strip():
        raise UnreadableFile(str(path), "empty file (no header line)")
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for fields in reader:
            yield line, fields
            line = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(str(path), f"line {line}: malformed CSV ({exc})") from None
