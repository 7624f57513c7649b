"""Exporting a cohort: its patients as CSV or Parquet, or the OMOP tables of its patients.

``export(store, data, cohort, path, pseudonymised=...)`` picks the form from ``path``:

* ``*.csv`` / ``*.parquet`` -- one row per patient: ``person_id``, ``index_date``, ``sex``,
  ``age_at_index`` (and ``year_of_birth`` when identified);
* anything else is a folder of OMOP tables as Parquet (``person.parquet``,
  ``condition_occurrence.parquet`` ... and OMOP's own ``cohort.parquet``), the cohort's patients'
  rows only. Direct identifiers (``person_identity``) are never exported.

Pseudonymised (the researcher's form): patients are named by pseudonym (``P-...``; in OMOP tables
a stable 48-bit number, the pseudonym in ``person_source_value``), every date of a patient is
shifted by the patient's secret offset (intervals kept), birth month and day are dropped, note
texts are pseudonymised (NLP offsets moved with them), and provenance columns (source file and
record), DICOM UIDs and accession numbers are emptied.

Files are written next to their destination and renamed into place: an export that fails leaves
nothing half-written.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from clinsearch.cohort.build import BIRTH, SEX, Cohort
from clinsearch.config import secret_key
from clinsearch.files import atomic
from clinsearch.nlp.pseudonymize import date_shift, moved, person_number, person_pseudonym, pseudonymize
from clinsearch.warehouse.schema import PROVENANCE, TABLES

OMOP_TABLES = ("person", "death", "observation_period", "visit_occurrence", "condition_occurrence", "drug_exposure", "procedure_occurrence",
               "measurement", "observation", "note", "note_nlp", "image_occurrence", "condition_era", "drug_era", "dose_era")
IDENTIFYING = {
    "person": ("month_of_birth", "day_of_birth", "birth_datetime"),
    "note": ("note_source_value",),
    "note_nlp": ("snippet",),
    "image_occurrence": ("wadors_uri", "local_path", "image_study_uid", "image_series_uid", "accession_number", "person_source_value"),
}
NOT_PATIENT_DATES = ("nlp_date", "nlp_datetime")


@dataclass
class Exported:
    path: Path
    form: str  # csv, parquet, omop
    patients: int
    rows: dict[str, int]
    pseudonymised: bool

    def as_dict(self) -> dict:
        return {"path": str(self.path), "form": self.form, "patients": self.patients, "rows": self.rows, "pseudonymised": self.pseudonymised}


def form_of(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".parquet": "parquet"}.get(suffix, "omop")


def export(store, data: Path, cohort: Cohort, path: Path, *, pseudonymised: bool, cohort_id: int = 1,
           departments: tuple[str, ...] | None = None, whole: tuple[int, ...] = ()) -> Exported:
    """``departments``: only the notes written in them are exported, but for the patients of
    ``whole`` (a clinician restricted to departments reads no other note)."""
    path = Path(path)
    form = form_of(path)
    secret = secret_key(data) if pseudonymised else b""
    mapping = _mapping(cohort, secret, pseudonymised)
    store.register("_exported", mapping)
    store.register("_readable", _readable_notes(store, departments, whole))
    try:
        if form == "omop":
            rows = _omop(store, cohort, path, pseudonymised, secret, cohort_id)
        else:
            table = _patients(store, pseudonymised)
            atomic(path, lambda tmp: _write_table(table, tmp, form))
            rows = {"patients": table.num_rows}
    finally:
        store.unregister("_exported")
        store.unregister("_readable")
    return Exported(path, form, cohort.size, rows, pseudonymised)


def _readable_notes(store, departments: tuple[str, ...] | None, whole: tuple[int, ...]) -> pa.Table:
    """The exported patients' notes the exporter may read."""
    sql = "SELECT n.note_id FROM note n JOIN _exported m USING (person_id)"
    params: list = []
    if departments is not None:
        sql += (" WHERE n.person_id IN (SELECT unnest(?)) OR n.care_site_id IN "
                "(SELECT care_site_id FROM care_site WHERE care_site_name IN (SELECT unnest(?)))")
        params = [list(whole), list(departments)]
    return store.arrow(sql, params)


def _mapping(cohort: Cohort, secret: bytes, pseudonymised: bool) -> pa.Table:
    people = [p for p, _ in cohort.members]
    return pa.table({
        "person_id": pa.array(people, pa.int64()),
        "index_date": pa.array([d for _, d in cohort.members], pa.date32()),
        "shift": pa.array([date_shift(p, secret) if pseudonymised else 0 for p in people], pa.int32()),
        "number": pa.array([person_number(p, secret) if pseudonymised else p for p in people], pa.int64()),
        "pseudonym": pa.array([person_pseudonym(p, secret) if pseudonymised else None for p in people], pa.string()),
    })


def _patients(store, pseudonymised: bool) -> pa.Table:
    age = f"date_sub('year', {BIRTH}, m.index_date)"
    if pseudonymised:
        sql = (f"SELECT m.pseudonym AS person_id, m.index_date + m.shift AS index_date, {SEX} AS sex, {age} AS age_at_index "
               "FROM _exported m JOIN person p USING (person_id) ORDER BY m.pseudonym")
    else:
        sql = (f"SELECT m.person_id, m.index_date, {SEX} AS sex, p.year_of_birth, {age} AS age_at_index "
               "FROM _exported m JOIN person p USING (person_id) ORDER BY m.person_id")
    return store.arrow(sql)


def _omop(store, cohort: Cohort, folder: Path, pseudonymised: bool, secret: bytes, cohort_id: int) -> dict[str, int]:
    tables: dict[str, pa.Table] = {}
    for name in OMOP_TABLES:
        tables[name] = store.arrow(_select(name, pseudonymised))
    if pseudonymised:
        tables["note"], tables["note_nlp"] = _pseudonymised_notes(store, tables["note"], tables["note_nlp"], secret)
        owners = _owners(store)
        for name in OMOP_TABLES:
            if name != "note_nlp":
                tables[name] = _pseudonymised_strings(tables[name], owners, skip=("note_text", "person_source_value"))
    tables["cohort"] = store.arrow(
        "SELECT CAST(? AS BIGINT) AS cohort_definition_id, m.number AS subject_id, m.index_date + m.shift AS cohort_start_date, "
        "m.index_date + m.shift AS cohort_end_date FROM _exported m ORDER BY subject_id", [cohort_id])
    tables["concept"] = store.arrow(f"SELECT {', '.join(c for c in TABLES['concept'].column_names if c not in PROVENANCE)} FROM concept")

    def write(tmp: Path) -> None:
        tmp.mkdir()
        for name, table in tables.items():
            pq.write_table(table, tmp / f"{name}.parquet")

    atomic(folder, write)
    return {name: table.num_rows for name, table in tables.items()}


def _select(name: str, pseudonymised: bool) -> str:
    table = TABLES[name]
    if name == "note_nlp":
        scope = "t.note_id IN (SELECT note_id FROM _readable)"
        join = ""
    else:
        scope = "t.note_id IN (SELECT note_id FROM _readable)" if name == "note" else "true"
        join = "JOIN _exported m USING (person_id)"
    if not pseudonymised:
        return f"SELECT t.* FROM {name} t {join} WHERE {scope} ORDER BY 1"
    columns = []
    for column in table.columns:
        c = column.name
        if c in PROVENANCE:
            continue
        if c in IDENTIFYING.get(name, ()):
            columns.append(f"NULL::{column.type} AS {c}")
        elif c == "person_id":
            columns.append("m.number AS person_id")
        elif c == "person_source_value" and name == "person":
            columns.append("m.pseudonym AS person_source_value")
        elif column.type in ("DATE", "TIMESTAMP") and c not in NOT_PATIENT_DATES and name != "note_nlp":
            columns.append(f"CAST(t.{c} + to_days(m.shift) AS {column.type}) AS {c}")
        else:
            columns.append(f"t.{c}")
    if name == "note_nlp":  # dates moved with their note (below); no person_id of its own
        return f"SELECT {', '.join(columns)} FROM {name} t WHERE {scope} ORDER BY 1"
    return f"SELECT {', '.join(columns)} FROM {name} t {join} WHERE {scope} ORDER BY 1"


def _owners(store) -> dict[int, dict]:
    """The exported patients by pseudonymous number: their identity and date shift."""
    return {row["number"]: row for row in store.query_dicts(
        "SELECT m.number, m.shift, p.person_source_value AS ipp, i.family_name, i.given_name, i.address, i.city, i.phone, i.email "
        "FROM _exported m JOIN person p USING (person_id) LEFT JOIN person_identity i USING (person_id)")}


def _pseudonymised_strings(table: pa.Table, owners: dict[int, dict], skip: tuple[str, ...] = ()) -> pa.Table:
    """Every text column of a patient's table (titles, descriptions, source values, free text) through
    the pseudonymiser with its owner's identity and shift: whatever a source wrote there, no
    identifier leaves in an export. Each distinct value is pseudonymised once per patient."""
    if "person_id" not in table.column_names or not table.num_rows:
        return table
    people = table.column("person_id").to_pylist()
    for index, column in enumerate(table.schema):
        if not pa.types.is_string(column.type) or column.name in skip:
            continue
        seen: dict[tuple, str | None] = {}
        values = []
        for person, value in zip(people, table.column(index).to_pylist()):
            if value is None or person not in owners:
                values.append(value)
                continue
            key = (person, value)
            if key not in seen:
                seen[key] = pseudonymize(value, owners[person], owners[person]["shift"]).text
            values.append(seen[key])
        table = table.set_column(index, column.name, pa.array(values, pa.string()))
    return table


def _pseudonymised_notes(store, notes: pa.Table, annotations: pa.Table, secret: bytes) -> tuple[pa.Table, pa.Table]:
    """Note texts pseudonymised with each patient's identity; NLP offsets moved with the text,
    entities whose text was replaced dropped, entity dates shifted."""
    identities = {row["person_id"]: row for row in store.query_dicts(
        "SELECT p.person_id, m.number, m.shift, p.person_source_value AS ipp, i.family_name, i.given_name, i.address, i.city, i.phone, i.email "
        "FROM _exported m JOIN person p USING (person_id) LEFT JOIN person_identity i USING (person_id)")}
    by_number = {row["number"]: row for row in identities.values()}
    texts = notes.column("note_text").to_pylist()
    owners = notes.column("person_id").to_pylist()
    replacements, new_texts = {}, []
    for note_id, owner, text in zip(notes.column("note_id").to_pylist(), owners, texts):
        identity = by_number[owner]
        result = pseudonymize(text or "", identity, identity["shift"])
        replacements[note_id] = (result.replacements, result.text, identity["shift"])
        new_texts.append(result.text)
    notes = notes.set_column(notes.schema.get_field_index("note_text"), "note_text", pa.array(new_texts, pa.string()))
    keep, starts, ends, variants, dates = [], [], [], [], []
    rows = annotations.select(["note_id", "start_char", "end_char", "entity_date"]).to_pylist()
    for position, row in enumerate(rows):
        found = replacements.get(row["note_id"])
        place = moved(found[0], row["start_char"], row["end_char"]) if found and row["start_char"] is not None else None
        if place is None:
            continue
        keep.append(position)
        starts.append(place[0])
        ends.append(place[1])
        variants.append(found[1][place[0]: place[1]])
        dates.append(row["entity_date"] and row["entity_date"] + dt.timedelta(days=found[2]))
    annotations = annotations.take(pa.array(keep, pa.int64()))
    for name, values, kind in (("start_char", starts, pa.int32()), ("end_char", ends, pa.int32()),
                               ("lexical_variant", variants, pa.string()), ("entity_date", dates, pa.date32())):
        annotations = annotations.set_column(annotations.schema.get_field_index(name), name, pa.array(values, kind))
    return notes, annotations


def _write_table(table: pa.Table, path: Path, form: str) -> None:
    if form == "parquet":
        pq.write_table(table, path)
        return
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow(["" if v is None else v for v in row.values()])
