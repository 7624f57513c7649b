"""A few questions the demo warehouse answers at once, as a first look at what it holds."""

from __future__ import annotations

from clinsearch.warehouse.duckdb import DuckDBStore

EXAMPLES = [
    (
        "Patients with a coded pulmonary embolism (CIM-10 I26*)",
        "SELECT count(DISTINCT person_id) FROM condition_occurrence WHERE condition_source_value LIKE 'I26%'",
    ),
    (
        "Notes whose raw text contains 'embolie pulmonaire' or 'EP' (negations and suspicions included)",
        r"SELECT count(*) FROM note WHERE regexp_matches(note_text, '(?i)embolie pulmonaire|\bEP\b')",
    ),
    (
        "... of which say 'pas d'/'absence d'' or 'suspicion d'' about it",
        r"SELECT count(*) FROM note WHERE regexp_matches(note_text, '(?i)(pas d''|absence d''|suspicion d'')(embolie pulmonaire|EP\b)')",
    ),
    (
        "Patients with an anticoagulant (ATC B01A*)",
        "SELECT count(DISTINCT person_id) FROM drug_exposure WHERE drug_source_value LIKE 'B01A%'",
    ),
    (
        "Mean systolic blood pressure (LOINC 8480-6) of patients coded with hypertension (I10)",
        "SELECT round(avg(value_as_number), 1) FROM measurement WHERE measurement_source_value = '8480-6' "
        "AND person_id IN (SELECT person_id FROM condition_occurrence WHERE condition_source_value = 'I10')",
    ),
    (
        "Imaging series by modality",
        "SELECT string_agg(modality_source_value || ' ' || n, ', ') FROM "
        "(SELECT modality_source_value, count(*) AS n FROM image_occurrence GROUP BY 1 ORDER BY 1)",
    ),
]


def showcase(store: DuckDBStore) -> list[dict]:
    """Each example question with its answer and the SQL that answers it."""
    return [{"question": q, "answer": store.query(sql)[0][0], "sql": sql} for q, sql in EXAMPLES]
