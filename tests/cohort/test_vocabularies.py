"""Cohorts on the codes Synthea writes (SNOMED CT conditions, RxNorm drugs, LOINC labs): each
cohort returns exactly the patients counted from the FHIR bundles themselves, read here as JSON,
not through clinsearch. Then the OMOP vocabulary tables (concept_relationship "Maps to",
concept_ancestor) carry CIM-10 and ATC codes across to SNOMED and RxNorm, and take descendants."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import defaultdict
from pathlib import Path

import pytest

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import DefinitionError, read
from clinsearch.warehouse.store import open_store
from tests.helpers import DATA, load

BUNDLES = sorted((DATA / "synthea_fhir_r4_smart").glob("*.json.gz")) + sorted((DATA / "synthea_fhir").glob("*.json.gz"))
SYSTEMS = {"SNOMED": "http://snomed.info/sct", "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm", "LOINC": "http://loinc.org"}


@pytest.fixture(scope="module")
def synthea(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("synthea") / "warehouse"
    assert load(data, *BUNDLES).ok
    return data


def bundle_resources():
    for path in BUNDLES:
        for entry in json.loads(gzip.decompress(path.read_bytes())).get("entry", []):
            yield entry["resource"]


def patient_of(resource: dict) -> str:
    return resource["subject"]["reference"].split(":")[-1].split("/")[-1]


def counted(resource_type: str, field: str, vocabulary: str, code: str) -> set[str]:
    """The FHIR Patient ids with a resource of that type coded so (any of its codings)."""
    return {patient_of(r) for r in bundle_resources() if r["resourceType"] == resource_type
            and any(c.get("system") == SYSTEMS[vocabulary] and c.get("code") == code for c in r.get(field, {}).get("coding", []))}


def members(data: Path, definition: dict) -> set[str]:
    """The cohort's patients, by their FHIR Patient id (person_source_value)."""
    with open_store(data, read_only=True) as store:
        cohort = build(store, data, read({"name": "x", "as_of": "2030-01-01", **definition}))
        ids = [p for p, _ in cohort.members]
        return {s for (s,) in store.query("SELECT person_source_value FROM person WHERE person_id IN (SELECT unnest(?))", [ids])}


@pytest.mark.parametrize("code", ["44054006", "38341003", "15777000", "444814009"])  # diabetes, hypertension, prediabetes, viral sinusitis
def test_a_snomed_condition_finds_exactly_the_bundles_patients(synthea, code):
    expected = counted("Condition", "code", "SNOMED", code)
    assert expected
    assert members(synthea, {"inclusion": [{"type": "condition", "codes": [f"SNOMED:{code}"]}]}) == expected
    assert members(synthea, {"inclusion": [{"type": "condition", "vocabulary": "snomed ct", "codes": [code]}]}) == expected


@pytest.mark.parametrize("code", ["860975", "316049", "313782", "309362"])  # metformin ER, hydrochlorothiazide, acetaminophen, clopidogrel
def test_an_rxnorm_drug_finds_exactly_the_bundles_patients(synthea, code):
    expected = counted("MedicationRequest", "medicationCodeableConcept", "RxNorm", code)
    assert expected
    assert members(synthea, {"inclusion": [{"type": "drug", "codes": [f"RxNorm:{code}"]}]}) == expected


def latest_values(code: str) -> dict[str, float]:
    """Each patient's latest value of LOINC ``code`` (Observation.valueQuantity), from the bundles."""
    found: dict[str, tuple[str, float]] = {}
    for r in bundle_resources():
        if r["resourceType"] == "Observation" and "valueQuantity" in r and any(
                c.get("system") == SYSTEMS["LOINC"] and c.get("code") == code for c in r["code"].get("coding", [])):
            who, when = patient_of(r), r["effectiveDateTime"]
            if who not in found or when > found[who][0]:
                found[who] = (when, r["valueQuantity"]["value"])
    return {who: value for who, (_, value) in found.items()}


def test_loinc_measurements_latest_value_and_any_value_as_counted_in_the_bundles(synthea):
    """HbA1c (4548-4): any measurement, the latest >= 6 %, and any value ever >= 6 % (more patients)."""
    latest = latest_values("4548-4")
    assert members(synthea, {"inclusion": [{"type": "measurement", "code": "4548-4"}]}) == set(latest)
    high_latest = {p for p, v in latest.items() if v >= 6.0}
    assert members(synthea, {"inclusion": [{"type": "measurement", "code": "4548-4", "min": 6.0, "unit": "%"}]}) == high_latest
    ever = {patient_of(r) for r in bundle_resources() if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "4548-4"
            and r.get("valueQuantity", {}).get("value", 0) >= 6.0}
    assert members(synthea, {"inclusion": [{"type": "measurement", "code": "4548-4", "min": 6.0, "unit": "%", "value_of": "any"}]}) == ever
    assert high_latest < ever  # the latest value and any value ever are different cohorts here


def test_a_bare_code_keeps_its_meaning_and_a_snomed_code_written_bare_is_refused_with_the_fix():
    with pytest.raises(DefinitionError, match=r"'44054006' is not a CIM-10 code; a SNOMED \(or RxNorm\) code\? write it SNOMED:44054006"):
        read({"name": "x", "inclusion": [{"type": "condition", "codes": ["44054006"]}]})
    with pytest.raises(DefinitionError, match=r"'SNOMED:E11' is not a SNOMED code"):
        read({"name": "x", "inclusion": [{"type": "condition", "codes": ["SNOMED:E11"]}]})
    definition = read({"name": "x", "inclusion": [{"type": "condition", "codes": ["SNOMED:44054006", "RxNorm:860975", "E11*"]}]})
    assert definition.inclusion[0].label == "condition SNOMED:44054006 RxNorm:860975 E11*"


# Rows in the shape of OHDSI Athena's tables (concept ids made up for the test; the codes are real):
# ICD10 E11 "Maps to" SNOMED 44054006; SNOMED 73211009 (diabetes mellitus) is an ancestor of 44054006;
# ATC A10BA02 (metformin) is an ancestor of RxNorm 860975.
ATHENA_CONCEPTS = [(1001, "ICD10", "E11", "N"), (1002, "SNOMED", "44054006", "S"), (1003, "SNOMED", "73211009", "S"),
                   (1004, "ATC", "A10BA02", "C"), (1005, "RxNorm", "860975", "S")]
RELATIONSHIPS = [(1001, 1002, "Maps to"), (1002, 1002, "Maps to")]
ANCESTORS = [(1003, 1002, 1), (1002, 1002, 0), (1004, 1005, 2), (1005, 1005, 0)]


def with_vocabularies(data: Path, rows: bool) -> None:
    with open_store(data) as store:
        store.execute("CREATE TABLE IF NOT EXISTS concept_relationship (concept_id_1 BIGINT, concept_id_2 BIGINT, relationship_id VARCHAR, "
                      "valid_start_date DATE, valid_end_date DATE, invalid_reason VARCHAR)")
        store.execute("CREATE TABLE IF NOT EXISTS concept_ancestor (ancestor_concept_id BIGINT, descendant_concept_id BIGINT, "
                      "min_levels_of_separation INTEGER, max_levels_of_separation INTEGER)")
        for table in ("concept_relationship", "concept_ancestor"):
            store.execute(f"DELETE FROM {table}")
        store.execute("DELETE FROM concept WHERE concept_id < 2000")
        if not rows:
            return
        for concept_id, vocabulary, code, standard in ATHENA_CONCEPTS:
            store.execute("INSERT INTO concept (concept_id, concept_name, vocabulary_id, concept_code, standard_concept) VALUES (?, ?, ?, ?, ?)",
                          [concept_id, code, vocabulary, code, standard])
        for one, two, relationship in RELATIONSHIPS:
            store.execute("INSERT INTO concept_relationship (concept_id_1, concept_id_2, relationship_id, valid_start_date, valid_end_date) "
                          "VALUES (?, ?, ?, ?, ?)", [one, two, relationship, dt.date(1970, 1, 1), dt.date(2099, 12, 31)])
        for ancestor, descendant, levels in ANCESTORS:
            store.execute("INSERT INTO concept_ancestor (ancestor_concept_id, descendant_concept_id, min_levels_of_separation, max_levels_of_separation) VALUES (?, ?, ?, ?)", [ancestor, descendant, levels, levels])


def test_the_omop_vocabularies_map_codes_across_vocabularies_and_take_descendants(synthea):
    diabetics = counted("Condition", "code", "SNOMED", "44054006")
    on_metformin = counted("MedicationRequest", "medicationCodeableConcept", "RxNorm", "860975")
    cim10 = {"inclusion": [{"type": "condition", "codes": ["E11*"]}]}
    atc = {"inclusion": [{"type": "drug", "codes": ["A10BA02"]}]}
    parent = {"inclusion": [{"type": "condition", "codes": ["SNOMED:73211009"]}]}
    try:
        with_vocabularies(synthea, rows=False)  # the tables present and empty: codes stay in their vocabulary
        assert members(synthea, cim10) == members(synthea, atc) == members(synthea, parent) == set()
        with_vocabularies(synthea, rows=True)
        assert members(synthea, cim10) == diabetics and len(diabetics) == 2
        assert members(synthea, parent) == diabetics
        assert members(synthea, atc) == on_metformin and len(on_metformin) == 1
    finally:
        with_vocabularies(synthea, rows=False)
