"""A patient's rows as the summary needs them: one query per table, plain dicts, dates as
``datetime.date``. Nothing here decides what a row means (``problems``, ``treatments``, ``labs``
do); ``departments`` (a restricted clinician's) hides the notes of other departments and what the
NLP found in them."""

from __future__ import annotations

import datetime as dt

NOTES = """SELECT n.note_id, n.note_date AS date, n.note_class_source_value AS type, n.note_title AS title, n.note_text AS text,
    n.language_source_value AS language, n.visit_occurrence_id AS visit_id, c.care_site_name AS department
    FROM note n LEFT JOIN care_site c USING (care_site_id) WHERE n.person_id = ? ORDER BY n.note_date, n.note_id"""

# What the NLP found, with codes: conditions (CIM-10), drugs (ATC) and the lexicon's other concepts.
MENTIONS = """SELECT x.note_id, x.start_char AS start, x.end_char AS "end", x.lexical_variant AS text, x.normalized_term AS concept,
    x.code, x.code_vocabulary AS vocabulary, x.label, x.term_exists = 'N' AS negated, coalesce(x.term_modifiers, '') AS modifiers,
    x.term_temporal = 'past' AS history, n.note_date AS date
    FROM note_nlp x JOIN note n ON n.note_id = x.note_id
    WHERE n.person_id = ? AND x.label NOT IN ('context', 'date', 'measurement') AND x.code IS NOT NULL AND x.code_vocabulary IS NOT NULL
    ORDER BY n.note_date, x.note_id, x.start_char"""

CONDITIONS = """SELECT x.condition_occurrence_id AS id, x.condition_start_date AS date, x.condition_end_date AS end_date,
    x.condition_source_value AS source_value, c.vocabulary_id AS vocabulary, c.concept_code AS code, c.concept_name AS name,
    s.concept_name AS standard_name, s.vocabulary_id AS standard_vocabulary, s.concept_code AS standard_code
    FROM condition_occurrence x LEFT JOIN concept c ON c.concept_id = x.condition_source_concept_id
    LEFT JOIN concept s ON s.concept_id = x.condition_concept_id AND x.condition_concept_id <> 0
    WHERE x.person_id = ? ORDER BY x.condition_start_date, x.condition_occurrence_id"""

DRUGS = """SELECT x.drug_exposure_id AS id, x.drug_exposure_start_date AS date, x.drug_exposure_end_date AS end_date,
    x.drug_source_value AS source_value, x.sig, x.quantity, x.route_source_value AS route, x.dose_unit_source_value AS dose_unit,
    c.vocabulary_id AS vocabulary, c.concept_code AS code, c.concept_name AS name, s.concept_name AS standard_name
    FROM drug_exposure x LEFT JOIN concept c ON c.concept_id = x.drug_source_concept_id
    LEFT JOIN concept s ON s.concept_id = x.drug_concept_id AND x.drug_concept_id <> 0
    WHERE x.person_id = ? ORDER BY x.drug_exposure_start_date, x.drug_exposure_id"""

PROCEDURES = """SELECT x.procedure_occurrence_id AS id, x.procedure_date AS date, x.procedure_source_value AS source_value,
    c.vocabulary_id AS vocabulary, c.concept_code AS code, c.concept_name AS name, x.visit_occurrence_id AS visit_id
    FROM procedure_occurrence x LEFT JOIN concept c ON c.concept_id = x.procedure_source_concept_id
    WHERE x.person_id = ? ORDER BY x.procedure_date, x.procedure_occurrence_id"""

MEASUREMENTS = """SELECT x.measurement_id AS id, x.measurement_date AS date, x.measurement_source_value AS source_value,
    c.vocabulary_id AS vocabulary, c.concept_code AS code, c.concept_name AS name, x.value_as_number AS value,
    x.unit_source_value AS unit, x.range_low, x.range_high
    FROM measurement x LEFT JOIN concept c ON c.concept_id = x.measurement_source_concept_id
    WHERE x.person_id = ? AND x.value_as_number IS NOT NULL ORDER BY x.measurement_date, x.measurement_id"""

OBSERVATIONS = """SELECT x.observation_id AS id, x.observation_date AS date, x.observation_source_value AS source_value,
    c.vocabulary_id AS vocabulary, c.concept_code AS code, c.concept_name AS name, x.value_as_string, x.value_source_value,
    x.qualifier_source_value AS qualifier
    FROM observation x LEFT JOIN concept c ON c.concept_id = x.observation_source_concept_id
    WHERE x.person_id = ? ORDER BY x.observation_date, x.observation_id"""

IMAGING = """SELECT image_occurrence_id AS id, image_occurrence_date AS date, modality_source_value AS modality,
    anatomic_site_source_value AS body_part, image_study_description AS description, visit_occurrence_id AS visit_id
    FROM image_occurrence WHERE person_id = ? ORDER BY image_occurrence_date, image_occurrence_id"""

VISITS = """SELECT visit_occurrence_id AS id, visit_start_date AS date, visit_end_date AS end_date, visit_source_value AS kind
    FROM visit_occurrence WHERE person_id = ? ORDER BY visit_start_date, visit_occurrence_id"""

PERSON = """SELECT p.person_id, p.person_source_value AS ipp, p.gender_source_value AS sex, p.year_of_birth, p.month_of_birth,
    p.day_of_birth, p.birth_datetime, i.family_name, i.given_name, d.death_date
    FROM person p LEFT JOIN person_identity i USING (person_id) LEFT JOIN death d USING (person_id) WHERE p.person_id = ?"""


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def rows(store, sql: str, person_id: int) -> list[dict]:
    return [{k: _day(v) for k, v in row.items()} for row in store.query_dicts(sql, [person_id])]


def read_record(store, person_id: int, departments: tuple[str, ...] | None = None) -> dict:
    """Every table the summary reads, for one patient."""
    notes = rows(store, NOTES, person_id)
    mentions = rows(store, MENTIONS, person_id)
    if departments is not None:
        notes = [n for n in notes if n["department"] in departments]
        seen = {n["note_id"] for n in notes}
        mentions = [m for m in mentions if m["note_id"] in seen]
    for m in mentions:
        m["negated"], m["history"] = bool(m["negated"]), bool(m["history"])
    found = store.query_dicts(PERSON, [person_id])
    return {
        "person": {k: _day(v) for k, v in found[0].items()} if found else {"person_id": person_id},
        "notes": notes, "mentions": mentions,
        "conditions": rows(store, CONDITIONS, person_id), "drugs": rows(store, DRUGS, person_id),
        "procedures": rows(store, PROCEDURES, person_id), "measurements": rows(store, MEASUREMENTS, person_id),
        "observations": rows(store, OBSERVATIONS, person_id), "imaging": rows(store, IMAGING, person_id),
        "visits": rows(store, VISITS, person_id),
    }
