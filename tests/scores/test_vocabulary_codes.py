"""Scores read their conditions as cohorts do (``cohort.codes``): on Synthea's SNOMED-coded
records, a score's CIM-10 hypertension (I10-I15, CHA2DS2-VASc's H) is found once the OMOP
vocabularies map CIM-10 to SNOMED, and not before."""

from __future__ import annotations

import datetime as dt

from clinsearch.scores.patient import PatientInputs, comorbidities
from clinsearch.warehouse.store import open_store
from tests.cohort.test_vocabularies import counted, synthea, with_vocabularies  # noqa: F401 (the fixture)

# ICD10 I10 "Maps to" SNOMED 38341003 (hypertensive disorder), as Athena relates them.
CONCEPTS = [(1101, "ICD10", "I10", "N"), (1102, "SNOMED", "38341003", "S")]


def hypertensive(data) -> dict[str, str]:
    """The patients whose CHA2DS2-VASc hypertension item is 1, by FHIR Patient id, with its source."""
    spec = comorbidities()["flags"]["hypertension"]
    with open_store(data, read_only=True) as store:
        out = {}
        for person_id, fhir_id in store.query("SELECT person_id, person_source_value FROM person"):
            found = PatientInputs(store, person_id, dt.date(2030, 1, 1), 365 * 50).flag("hypertension", spec)
            if found.value:
                out[fhir_id] = found.source
        return out


def test_a_score_finds_snomed_coded_hypertension_once_the_vocabularies_map_cim10_to_it(synthea):  # noqa: F811
    expected = counted("Condition", "code", "SNOMED", "38341003")
    assert expected
    try:
        with_vocabularies(synthea, rows=False)
        assert not set(hypertensive(synthea)) & expected  # a SNOMED code is not a CIM-10 code
        with open_store(synthea) as store:
            for concept_id, vocabulary, code, standard in CONCEPTS:
                store.execute("INSERT INTO concept (concept_id, concept_name, vocabulary_id, concept_code, standard_concept) VALUES (?, ?, ?, ?, ?)",
                              [concept_id, code, vocabulary, code, standard])
            store.execute("INSERT INTO concept_relationship (concept_id_1, concept_id_2, relationship_id, valid_start_date, valid_end_date) "
                          "VALUES (1101, 1102, 'Maps to', DATE '1970-01-01', DATE '2099-12-31')")
        found = hypertensive(synthea)
        assert expected <= set(found)
        assert all("condition_occurrence" in found[p] and "38341003" in found[p] for p in expected)
    finally:
        with_vocabularies(synthea, rows=False)
