"""One patient: the record (demographics and timeline) and its notes with their NLP annotations,
identified for clinicians, pseudonymised for researchers."""

from __future__ import annotations

import datetime as dt

from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift, moved, pseudonymize
from clinsearch.services.access import (AccessDenied, NotFound, Request, audit, check_note, check_patient, identities, note_departments, pseudonym,
                                        require_patient_data, resolve_patient)
from clinsearch.warehouse.store import open_store


def patient_record(request: Request, key: str) -> dict:
    """Demographics and the timeline: visits, notes, conditions, measurements, drugs,
    procedures, imaging -- identified for clinicians, pseudonymised for researchers."""
    person_id = resolve_patient(request, key)
    with open_store(request.data, read_only=True) as store:
        check_patient(request, store, person_id)
        audit(request, "patient", str(key))
        record = _record(store, person_id, note_departments(request, person_id))
        identity = identities(store, {person_id}).get(person_id)
    if request.principal.identified:
        return record
    shift = date_shift(person_id, secret_key(request.data))
    return _shift_record(record, shift, pseudonym(request.data, person_id), identity)


def _record(store, person_id: int, departments: tuple[str, ...] | None = None) -> dict:
    person = store.query_dicts(
        "SELECT p.person_id, p.person_source_value AS ipp, p.gender_source_value AS sex, p.year_of_birth, p.birth_datetime, "
        "i.family_name, i.given_name FROM person p LEFT JOIN person_identity i USING (person_id) WHERE p.person_id = ?", [person_id])[0]
    birth = person.pop("birth_datetime")
    person["birth_date"] = birth.date().isoformat() if birth else None

    def rows(sql: str) -> list[dict]:
        return [{k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in row.items()} for row in store.query_dicts(sql, [person_id])]

    notes = rows("SELECT n.note_id AS id, n.note_date AS date, n.note_class_source_value AS type, n.note_title AS title, c.care_site_name AS department, "
                 "(SELECT count(*) FROM note_nlp x WHERE x.note_id = n.note_id AND x.label <> 'context') AS entities "
                 "FROM note n LEFT JOIN care_site c USING (care_site_id) WHERE n.person_id = ? ORDER BY date, id")
    if departments is not None:  # the notes of other departments are not listed (access.note_departments)
        notes = [n for n in notes if n["department"] in departments]
    return {
        "person": person,
        "visits": rows("SELECT visit_occurrence_id AS id, visit_start_date AS date, visit_end_date AS end_date, visit_source_value AS kind FROM visit_occurrence WHERE person_id = ? ORDER BY date"),
        "notes": notes,
        "conditions": rows("SELECT x.condition_occurrence_id AS id, x.condition_start_date AS date, x.condition_source_value AS code, c.concept_name AS label "
                           "FROM condition_occurrence x LEFT JOIN concept c ON c.concept_id = x.condition_source_concept_id WHERE x.person_id = ? ORDER BY date"),
        "measurements": rows("SELECT x.measurement_id AS id, x.measurement_date AS date, x.measurement_source_value AS code, c.concept_name AS label, "
                             "x.value_as_number AS value, x.unit_source_value AS unit FROM measurement x LEFT JOIN concept c ON c.concept_id = x.measurement_source_concept_id "
                             "WHERE x.person_id = ? ORDER BY code, date"),
        "drugs": rows("SELECT x.drug_exposure_id AS id, x.drug_exposure_start_date AS date, x.drug_source_value AS code, c.concept_name AS label "
                      "FROM drug_exposure x LEFT JOIN concept c ON c.concept_id = x.drug_source_concept_id WHERE x.person_id = ? ORDER BY date"),
        "procedures": rows("SELECT x.procedure_occurrence_id AS id, x.procedure_date AS date, x.procedure_source_value AS code, c.concept_name AS label "
                           "FROM procedure_occurrence x LEFT JOIN concept c ON c.concept_id = x.procedure_source_concept_id WHERE x.person_id = ? ORDER BY date"),
        "imaging": rows("SELECT image_occurrence_id AS id, image_occurrence_date AS date, modality_source_value AS modality, anatomic_site_source_value AS body_part, "
                        "image_study_description AS description FROM image_occurrence WHERE person_id = ? ORDER BY date"),
    }


FREE_TEXT = ("title", "description", "label")  # what a record's rows may carry that a person wrote


def _shift_record(record: dict, shift: int, alias: str, identity: dict | None) -> dict:
    """The researcher's record: the pseudonym, dates shifted, every free-text field pseudonymised
    (note titles, imaging descriptions), no name, no birth date, no IPP."""
    def moved_date(value):
        return (dt.date.fromisoformat(value[:10]) + dt.timedelta(days=shift)).isoformat() if value else None

    def text(value):
        return pseudonymize(value, identity, shift).text if isinstance(value, str) and value else value

    out = {"person": {"person_id": alias, "sex": record["person"]["sex"]}}
    for name, items in record.items():
        if name == "person":
            continue
        out[name] = [{**item, **{k: moved_date(item[k]) for k in ("date", "end_date") if k in item},
                      **{k: text(item[k]) for k in FREE_TEXT if k in item}} for item in items]
    return out


def note(request: Request, note_id: int) -> dict:
    """A note's text with its NLP annotations (entities and context stretches)."""
    require_patient_data(request)
    with open_store(request.data, read_only=True) as store:
        rows = store.query_dicts(
            "SELECT n.note_id, n.person_id, n.note_date AS date, n.note_class_source_value AS type, n.note_title AS title, n.note_text AS text, "
            "p.person_source_value AS ipp, i.family_name, i.given_name, i.address, i.city, i.phone, i.email, c.care_site_name AS department "
            "FROM note n JOIN person p USING (person_id) LEFT JOIN person_identity i USING (person_id) LEFT JOIN care_site c ON c.care_site_id = n.care_site_id "
            "WHERE n.note_id = ?", [note_id])
        if not rows:
            raise NotFound(f"no note {note_id}")
        row = rows[0]
        try:
            check_patient(request, store, row["person_id"])
        except AccessDenied:  # audited; answered as a note that does not exist, so ids tell nothing
            raise NotFound(f"no note {note_id}") from None
        check_note(request, row["person_id"], row["department"], note_id)
        audit(request, "note", str(note_id))
        annotations = store.query_dicts(
            "SELECT start_char AS start, end_char AS \"end\", label, lexical_variant AS text, normalized_term AS concept, code, code_vocabulary AS vocabulary, "
            "term_exists = 'N' AS negated, coalesce(term_modifiers, '') AS modifiers, term_temporal = 'past' AS history "
            "FROM note_nlp WHERE note_id = ? ORDER BY start_char", [note_id])
    for a in annotations:
        a["history"] = bool(a["history"])
        a["context"] = a["concept"] if a["label"] == "context" else ("family" if "family" in a["modifiers"] else "negated" if a["negated"] else "hypothetical" if "hypothesis" in a["modifiers"] else "affirmed")
    out = {"note_id": row["note_id"], "person_id": row["person_id"], "date": row["date"].isoformat(), "type": row["type"], "title": row["title"], "text": row["text"], "annotations": annotations}
    if request.principal.identified:
        return out
    shift = date_shift(row["person_id"], secret_key(request.data))
    result = pseudonymize(row["text"] or "", row, shift)
    kept = []
    for a in annotations:
        place = moved(result.replacements, a["start"], a["end"])
        if place is not None:
            kept.append({**a, "start": place[0], "end": place[1], "text": result.text[place[0]: place[1]]})
    out.update(person_id=pseudonym(request.data, row["person_id"]), date=(row["date"] + dt.timedelta(days=shift)).isoformat(), text=result.text,
               title=pseudonymize(row["title"], row, shift).text if row["title"] else row["title"], annotations=kept)
    return out
