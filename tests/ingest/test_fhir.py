"""The FHIR reader on real Synthea bundles and on FHIR written to break it."""

from __future__ import annotations

import base64
import datetime as dt
import csv
import gzip
import json
from pathlib import Path

import pytest

from tests.helpers import DATA, counts, load, quarantine, query, run_cli

SMART = DATA / "synthea_fhir_r4_smart"
CHILDREN = DATA / "synthea_fhir"
MAPPED_IN_SMART = ("Patient", "Encounter", "Condition", "Procedure", "MedicationRequest", "ImagingStudy")


@pytest.fixture(scope="module")
def synthea(tmp_path_factory) -> Path:
    """Both Synthea sets loaded once into one warehouse (through the CLI, with --json)."""
    data = tmp_path_factory.mktemp("synthea") / "warehouse"
    files = sorted(SMART.glob("*.json.gz")) + sorted(CHILDREN.glob("*.json.gz"))
    result = run_cli("--data", data, "ingest", "--json", *files)
    assert result.exit_code == 0, result.stderr
    data.joinpath("summary.json").write_text(result.stdout)
    return data


def expected_smart() -> list[dict]:
    with open(SMART / "expected_counts.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def summary(data: Path) -> dict:
    return json.loads(data.joinpath("summary.json").read_text())


def test_both_synthea_sets_load_with_nothing_quarantined(synthea):
    totals = summary(synthea)["totals"]
    assert totals["quarantined"] == 0 and totals["failed"] == 0
    assert counts(synthea)["person"] == 60


def test_smart_counts_match_the_data_sets_manifest(synthea):
    rows = expected_smart()
    by_file = {Path(s["source"]).name: s for s in summary(synthea)["sources"]}
    for row in rows:
        loaded = by_file[row["file"] + ".gz"]
        assert loaded["read"] == int(row["entries"]), row["file"]
        skipped_claims = loaded["skipped_reasons"].get("unmapped resource type Claim", 0)
        assert skipped_claims == int(row["Claim"]), row["file"]
    expected_encounters = sum(int(r["Encounter"]) for r in rows)
    smart_persons = query(synthea, "SELECT count(*) FROM person WHERE source_file LIKE '%synthea_fhir_r4_smart%'")[0][0]
    assert smart_persons == len(rows) == 50
    smart = "source_file LIKE '%synthea_fhir_r4_smart%'"
    assert query(synthea, f"SELECT count(*) FROM visit_occurrence WHERE {smart}")[0][0] == expected_encounters
    assert query(synthea, f"SELECT count(*) FROM condition_occurrence WHERE {smart}")[0][0] == sum(int(r["Condition"]) for r in rows)
    assert query(synthea, f"SELECT count(*) FROM procedure_occurrence WHERE {smart}")[0][0] == sum(int(r["Procedure"]) for r in rows)
    medications = query(synthea, f"SELECT count(*) FROM drug_exposure WHERE drug_source_concept_id IN (SELECT concept_id FROM concept WHERE vocabulary_id <> 'CVX') AND {smart}")[0][0]
    assert medications == sum(int(r["MedicationRequest"]) for r in rows)
    studies = query(synthea, f"SELECT count(DISTINCT image_study_uid) FROM image_occurrence WHERE {smart}")[0][0]
    assert studies == sum(int(r["ImagingStudy"]) for r in rows) == 10
    deaths = query(synthea, f"SELECT count(*) FROM death WHERE {smart}")[0][0]
    assert deaths == sum(1 for r in rows if r["deceased_date"]) == 6


def test_every_observation_is_stored_and_blood_pressure_components_become_measurements(synthea):
    rows = expected_smart()
    smart = "source_file LIKE '%synthea_fhir_r4_smart%'"
    observations = query(synthea, f"SELECT count(DISTINCT source_file || source_record) FROM measurement WHERE {smart}")[0][0]
    observations += query(synthea, f"SELECT count(*) FROM observation WHERE source_record NOT LIKE '%AllergyIntolerance/%' AND {smart}")[0][0]
    assert observations == sum(int(r["Observation"]) for r in rows)
    sbp = query(synthea, f"SELECT count(*), count(DISTINCT person_id) FROM measurement WHERE measurement_source_value = '8480-6' AND {smart}")[0]
    dbp = query(synthea, f"SELECT count(*) FROM measurement WHERE measurement_source_value = '8462-4' AND {smart}")[0][0]
    assert sbp == (325, 50) and dbp == 325  # counts given by the data set's README
    chol = query(synthea, f"SELECT count(*), count(DISTINCT person_id), min(unit_source_value) FROM measurement WHERE measurement_source_value = '2093-3' AND {smart}")[0]
    assert chol == (115, 41, "mg/dL")


def test_allergies_and_immunizations_are_mapped_as_the_fhir_to_omop_guide_does_not_skipped(synthea):
    rows = expected_smart()
    smart = "source_file LIKE '%synthea_fhir_r4_smart%'"
    allergies = query(synthea, f"SELECT count(*) FROM observation WHERE source_record LIKE '%AllergyIntolerance/%' AND {smart}")[0][0]
    assert allergies == sum(int(r["AllergyIntolerance"]) for r in rows) == 16
    vaccines = query(synthea, f"SELECT count(*) FROM drug_exposure d JOIN concept c ON c.concept_id = d.drug_source_concept_id WHERE c.vocabulary_id = 'CVX' AND d.{smart}")[0][0]
    assert vaccines == sum(int(r["Immunization"]) for r in rows)
    children = query(synthea, "SELECT count(*) FROM drug_exposure WHERE source_record LIKE '%Immunization/%' AND source_file LIKE '%synthea_fhir/%'")[0][0]
    assert children == 242  # the children's README counts 242 Immunization resources
    mould = query(synthea, "SELECT observation_source_value, qualifier_source_value FROM observation WHERE observation_source_value = '419474003' LIMIT 1")
    assert mould == [("419474003", "allergy")]
    skipped = {reason for s in summary(synthea)["sources"] for reason in s["skipped_reasons"]}
    assert not skipped & {f"unmapped resource type {t}" for t in ("AllergyIntolerance", "Immunization", "Organization", "Practitioner")}


def test_practitioners_and_organizations_become_providers_and_care_sites_that_visits_point_at(synthea):
    visits, with_provider, with_site = query(synthea, "SELECT count(*), count(p.provider_id), count(c.care_site_id) FROM visit_occurrence v "
                                                      "LEFT JOIN provider p ON p.provider_id = v.provider_id LEFT JOIN care_site c ON c.care_site_id = v.care_site_id")[0]
    encounters = [e["resource"] for path in sorted(SMART.glob("*.json.gz")) + sorted(CHILDREN.glob("*.json.gz"))
                  for e in json.load(gzip.open(path))["entry"] if e["resource"]["resourceType"] == "Encounter"]
    assert visits == with_site == len(encounters)  # every Synthea encounter names its serviceProvider
    assert with_provider == sum(1 for e in encounters if any(p.get("individual") for p in e.get("participant") or []))
    name, npi = query(synthea, "SELECT provider_name, npi FROM provider WHERE npi = '400'")[0]
    assert name == "Dr. Rex Bode" and npi == "400"
    city = query(synthea, "SELECT l.city FROM care_site c JOIN location l USING (location_id) WHERE c.care_site_name = 'NASHOBA VALLEY MEDICAL CENTER'")
    assert city == [("AYER",)]


def test_smoking_status_is_an_observation_with_its_text(synthea):
    values = dict(query(synthea, "SELECT value_as_string, count(*) FROM observation WHERE observation_source_value = '72166-2' AND source_file LIKE '%smart%' GROUP BY 1"))
    assert values == {"Never smoker": 238, "Former smoker": 87}


def test_references_are_resolved_to_the_patient_and_encounter(synthea):
    orphans = query(synthea, "SELECT count(*) FROM condition_occurrence c LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL")[0][0]
    assert orphans == 0
    unlinked = query(synthea, "SELECT count(*) FROM condition_occurrence c LEFT JOIN visit_occurrence v USING (visit_occurrence_id) WHERE v.visit_occurrence_id IS NULL")[0][0]
    assert unlinked == 0


def test_a_patient_is_identified_by_birth_and_gender_as_in_the_manifest(synthea):
    for row in expected_smart():
        sql = "SELECT gender_source_value, year_of_birth, month_of_birth, day_of_birth FROM person WHERE source_file LIKE ?"
        gender, year, month, day = query(synthea, sql, ["%" + row["file"] + ".gz"])[0]
        assert gender == row["gender"] and f"{year}-{month:02d}-{day:02d}" == row["birth_date"]


def test_codes_keep_their_vocabulary_in_the_concept_table(synthea):
    rows = query(synthea, "SELECT DISTINCT k.vocabulary_id FROM condition_occurrence c JOIN concept k ON k.concept_id = c.condition_source_concept_id")
    assert {r[0] for r in rows} == {"SNOMED"}
    label = query(synthea, "SELECT concept_name FROM concept WHERE vocabulary_id = 'LOINC' AND concept_code = '2093-3'")[0][0]
    assert "Cholesterol" in label


def test_loading_the_same_bundles_again_changes_nothing(synthea):
    before = counts(synthea)
    files = sorted(CHILDREN.glob("*.json.gz"))
    result = run_cli("--data", synthea, "ingest", "--json", *files)
    assert result.exit_code == 0
    assert {s["status"] for s in json.loads(result.stdout)["sources"]} == {"already loaded"}
    assert counts(synthea) == before


# --- hand-written FHIR ------------------------------------------------------------------------

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-05-04", "name": [{"family": "Durand", "given": ["Anne"]}]}


def condition(cid: str, **extra) -> dict:
    resource = {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I26.9", "display": "Pulmonary embolism"}]},
        "onsetDateTime": "2023-01-02",
    }
    resource.update(extra)
    return resource


def write(path: Path, value) -> Path:
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def test_ndjson_bulk_export_loads_resource_by_resource(data, tmp_path):
    lines = [PATIENT, condition("c1"), {"resourceType": "Claim", "id": "x"}]
    path = write(tmp_path / "export.ndjson", "\n".join(json.dumps(r) for r in lines) + "\n")
    result = load(data, path)
    assert result.ok
    assert (result.summaries[0].loaded, result.summaries[0].skipped) == (2, 1)
    assert counts(data)["condition_occurrence"] == 1


def test_a_single_resource_file_loads(data, tmp_path):
    assert load(data, write(tmp_path / "patient.json", PATIENT)).ok
    assert query(data, "SELECT year_of_birth, gender_concept_id FROM person")[0] == (1960, 8532)
    assert query(data, "SELECT family_name, given_name FROM person_identity")[0] == ("Durand", "Anne")


def test_malformed_json_is_one_clear_error_and_nothing_is_loaded(data, tmp_path):
    path = write(tmp_path / "broken.json", '{"resourceType": "Bundle", "entry": [{"resource": ')
    result = run_cli("--data", data, "ingest", path)
    assert result.exit_code == 1
    assert "broken.json" in result.stderr and "malformed JSON at line 1" in result.stderr
    assert counts(data)["person"] == 0
    assert quarantine(data)[0]["source_record"] == "file"


def test_a_bad_ndjson_line_is_quarantined_and_the_good_ones_load(data, tmp_path):
    path = write(tmp_path / "export.ndjson", json.dumps(PATIENT) + "\n{not json\n" + json.dumps(condition("c1")) + "\n")
    result = load(data, path)
    assert not result.ok and result.summaries[0].loaded == 2
    assert quarantine(data)[0]["source_record"] == "line 2"


@pytest.mark.parametrize(
    "resource, reason",
    [
        ({"resourceType": "Patiant", "id": "x"}, "unknown FHIR resource type 'Patiant'"),
        (condition("c2", subject=None), "invalid FHIR Condition: subject: Field required"),
        (condition("c3", subject={"reference": "Group/g1"}), "missing or invalid patient reference in subject"),
        (condition("c4", onsetDateTime="le 3 mars"), "invalid FHIR Condition"),
        (condition("c5", onsetDateTime=None, recordedDate=None), "no onset date"),
        (condition("c6", code={"coding": [{"system": "http://snomed.info/sct"}]}), "no condition code"),
        ({"resourceType": "Patient", "id": "p9", "gender": "female"}, "Patient without a birthDate"),
        ({"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}, "subject": {"reference": "Patient/p1"}, "valueQuantity": {"value": "high"}}, "invalid FHIR Observation"),
    ],
)
def test_bad_resources_are_quarantined_with_their_reason(data, tmp_path, resource, reason):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}, {"resource": {k: v for k, v in resource.items() if v is not None}}]}
    result = load(data, write(tmp_path / "bundle.json", bundle))
    assert result.summaries[0].loaded == 1 and result.summaries[0].quarantined == 1
    entry = quarantine(data)[0]
    assert entry["source_record"].startswith("entry 2") and reason in entry["reason"]
    assert counts(data)["person"] == 1


def test_duplicated_resource_ids_in_one_bundle_are_quarantined(data, tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}, {"resource": condition("c1")}, {"resource": condition("c1")}]}
    load(data, write(tmp_path / "dup.json", bundle))
    assert "duplicate condition_occurrence_id" in quarantine(data)[0]["reason"]
    assert "first at entry 2" in quarantine(data)[0]["reason"]
    assert counts(data)["condition_occurrence"] == 1


def test_transaction_bundle_urn_uuid_references_resolve(data, tmp_path):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:aaa", "resource": {k: v for k, v in PATIENT.items() if k != "id"}, "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:bbb", "resource": {"resourceType": "Encounter", "status": "finished", "class": {"code": "EMER"}, "subject": {"reference": "urn:uuid:aaa"}, "period": {"start": "2023-01-02T10:00:00+01:00"}}},
            {"fullUrl": "urn:uuid:ccc", "resource": condition("c1", subject={"reference": "urn:uuid:aaa"}, encounter={"reference": "urn:uuid:bbb"})},
        ],
    }
    assert load(data, write(tmp_path / "tx.json", bundle)).ok
    rows = query(data, "SELECT p.person_source_value, v.visit_concept_id, v.visit_start_datetime FROM condition_occurrence c JOIN person p USING (person_id) JOIN visit_occurrence v USING (visit_occurrence_id)")
    assert rows[0][0] == "aaa" and rows[0][1] == 9203 and str(rows[0][2]) == "2023-01-02 10:00:00"


def test_document_reference_and_diagnostic_report_text_become_notes(data, tmp_path):
    text = "Compte rendu : pas d'embolie pulmonaire."
    encoded = base64.b64encode(text.encode("utf-8")).decode()
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": PATIENT},
            {"resource": {"resourceType": "DocumentReference", "id": "d1", "status": "current", "type": {"text": "CRH"}, "subject": {"reference": "Patient/p1"}, "date": "2023-02-01T08:00:00Z", "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": encoded, "language": "fr-FR"}}]}},
            {"resource": {"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "code": {"text": "Angioscanner thoracique"}, "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2023-02-02", "presentedForm": [{"contentType": "text/html", "data": base64.b64encode(b"<p>Absence d'EP.</p>").decode()}]}},
            {"resource": {"resourceType": "DiagnosticReport", "id": "r2", "status": "final", "code": {"text": "Lipid panel"}, "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2023-02-02"}},
        ],
    }
    result = load(data, write(tmp_path / "docs.json", bundle))
    assert result.ok and result.summaries[0].skipped == 1
    notes = query(data, "SELECT note_title, note_text, language_source_value, note_date FROM note ORDER BY note_date")
    assert notes[0][:3] == ("CRH", text, "fr")
    assert notes[1][0] == "Angioscanner thoracique" and "Absence d'EP." in notes[1][1] and "<p>" not in notes[1][1]


def test_medication_statement_and_administration_become_drug_exposures(data, tmp_path):
    med = {"coding": [{"system": "http://www.whocc.no/atc", "code": "B01AF02", "display": "apixaban"}]}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": PATIENT},
            {"resource": {"resourceType": "MedicationStatement", "id": "s1", "status": "active", "medicationCodeableConcept": med, "subject": {"reference": "Patient/p1"}, "effectivePeriod": {"start": "2023-01-01", "end": "2023-06-30"}}},
            {"resource": {"resourceType": "MedicationAdministration", "id": "a1", "status": "completed", "medicationCodeableConcept": med, "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2023-01-05T09:00:00Z"}},
        ],
    }
    assert load(data, write(tmp_path / "meds.json", bundle)).ok
    rows = query(data, "SELECT drug_source_value, drug_exposure_start_date, drug_exposure_end_date FROM drug_exposure ORDER BY drug_exposure_start_date")
    assert [r[0] for r in rows] == ["B01AF02", "B01AF02"] and str(rows[0][2]) == "2023-06-30"
    assert query(data, "SELECT vocabulary_id FROM concept WHERE concept_code = 'B01AF02'")[0][0] == "ATC"


def test_gzipped_bundles_are_read(data, tmp_path):
    path = tmp_path / "bundle.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}]}, handle)
    assert load(data, path).ok and counts(data)["person"] == 1


def test_a_json_file_that_is_not_fhir_is_refused_by_name(data, tmp_path):
    path = write(tmp_path / "settings.json", {"theme": "dark"})
    result = run_cli("--data", data, "ingest", path)
    assert result.exit_code == 1 and "settings.json: unrecognised format" in result.stderr


def test_device_specimen_and_location_resources_become_their_omop_rows(data, tmp_path):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": PATIENT},
            {"resource": {"resourceType": "Device", "id": "dev1", "patient": {"reference": "Patient/p1"}, "manufactureDate": "2022-03-01",
                          "expirationDate": "2032-03-01", "lotNumber": "L42", "udiCarrier": [{"deviceIdentifier": "00844588003288"}],
                          "type": {"coding": [{"system": "http://snomed.info/sct", "code": "72506001", "display": "Implantable defibrillator"}]}}},
            {"resource": {"resourceType": "Device", "id": "stock", "type": {"text": "Pompe"}}},
            {"resource": {"resourceType": "Specimen", "id": "sp1", "subject": {"reference": "Patient/p1"}, "accessionIdentifier": {"value": "ACC-9"},
                          "type": {"coding": [{"system": "http://snomed.info/sct", "code": "119297000", "display": "Blood specimen"}]},
                          "collection": {"collectedDateTime": "2023-04-05T08:30:00Z", "quantity": {"value": 5, "unit": "mL"}}}},
            {"resource": {"resourceType": "Location", "id": "loc1", "name": "Hôpital Nord", "address": {"line": ["1 rue de l'Hôpital"], "city": "Lyon", "postalCode": "69004", "country": "FR"},
                          "position": {"latitude": 45.77, "longitude": 4.83}}},
        ],
    }
    result = load(data, write(tmp_path / "more.json", bundle))
    assert result.ok and result.summaries[0].skipped_reasons == {"Device without a patient (an inventory device)": 1}
    assert query(data, "SELECT device_source_value, unique_device_id, production_id, device_exposure_start_date, device_exposure_end_date FROM device_exposure") == [
        ("72506001", "00844588003288", "L42", dt.date(2022, 3, 1), dt.date(2032, 3, 1))]
    assert query(data, "SELECT specimen_source_value, specimen_source_id, specimen_date, quantity, unit_source_value FROM specimen") == [
        ("119297000", "ACC-9", dt.date(2023, 4, 5), 5.0, "mL")]
    assert query(data, "SELECT city, zip, country_source_value, latitude FROM location") == [("Lyon", "69004", "FR", 45.77)]


def test_a_refuted_allergy_and_an_immunization_not_done_are_skipped_with_their_reason(data, tmp_path):
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"}, "recordedDate": "2020-01-01",
               "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "refuted"}]},
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91936005", "display": "Allergy to penicillin"}]}}
    vaccine = {"resourceType": "Immunization", "id": "i1", "status": "not-done", "patient": {"reference": "Patient/p1"}, "occurrenceDateTime": "2021-01-01",
               "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}, {"resource": allergy}, {"resource": vaccine}]}
    result = load(data, write(tmp_path / "b.json", bundle))
    assert result.summaries[0].skipped_reasons == {"AllergyIntolerance refuted": 1, "Immunization not done": 1}
    assert counts(data)["observation"] == 0 and counts(data)["drug_exposure"] == 0


def test_a_resource_of_a_patient_the_warehouse_does_not_have_is_quarantined_in_every_table(data, tmp_path):
    other = {"reference": "Patient/nobody"}
    lines = [PATIENT, condition("c1"), condition("c2", subject=other),
             {"resourceType": "Immunization", "id": "i2", "status": "completed", "patient": other, "occurrenceDateTime": "2021-01-01",
              "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}}]
    result = load(data, write(tmp_path / "export.ndjson", "\n".join(json.dumps(r) for r in lines) + "\n"))
    summary = result.summaries[0]
    assert (summary.status, summary.loaded, summary.orphans) == ("partly quarantined", 2, 2)
    assert counts(data)["condition_occurrence"] == 1 and counts(data)["drug_exposure"] == 0
    assert {q["source_record"] for q in quarantine(data)} == {"line 3 (Condition/c2)", "line 4 (Immunization/i2)"}
    orphans = query(data, "SELECT count(*) FROM condition_occurrence c LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL")[0][0]
    assert orphans == 0


def test_a_bulk_export_whose_patients_come_in_a_later_file_loads_them_first(data, tmp_path):
    (tmp_path / "Condition.ndjson").write_text(json.dumps(condition("c1")) + "\n", encoding="utf-8")
    (tmp_path / "Patient.ndjson").write_text(json.dumps(PATIENT) + "\n", encoding="utf-8")
    result = load(data, tmp_path)
    assert result.ok and [Path(s.source).name for s in result.summaries] == ["Patient.ndjson", "Condition.ndjson"]
    assert counts(data)["condition_occurrence"] == 1


def test_a_patient_later_in_the_same_bundle_than_its_conditions_is_no_orphan(data, tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": condition("c1")}, {"resource": PATIENT}]}
    assert load(data, write(tmp_path / "late.json", bundle)).ok
    assert counts(data)["condition_occurrence"] == 1
