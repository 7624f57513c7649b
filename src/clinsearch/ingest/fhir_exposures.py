"""FHIR R4 AllergyIntolerance, Immunization, Device and Specimen mapped to OMOP rows.

As the HL7 FHIR-to-OMOP implementation guide maps them (build.fhir.org/ig/HL7/fhir-omop-ig,
StructureMaps ``AllergyMap`` and ``ImmunizationMap``, logical models ``DeviceExposure`` and
``Specimen``):

* AllergyIntolerance -> ``observation`` (OMOP has no allergy table): the allergy's code, its
  onset (or recorded date), the reaction's manifestations as ``value_as_string``, its type
  (allergy, intolerance) as ``qualifier_source_value``; a refuted or entered-in-error one is
  skipped;
* Immunization -> ``drug_exposure`` (the vaccine, CVX or other code, given on the occurrence
  date, with its lot number, route and dose); one not done is skipped;
* Device -> ``device_exposure`` for a device tied to a patient (an inventory device without a
  patient is skipped). R4's Device has no use period: the start is the first date it carries
  (``manufactureDate``; a DeviceUseStatement would give the real one), the end its
  ``expirationDate``;
* Specimen -> ``specimen`` (type, collection date, quantity, body site, accession identifier).
"""

from __future__ import annotations

from clinsearch.ids import stable_id
from clinsearch.ingest.fhir_fields import References, code_rows, first_coding, number, person_of, resource_key, visit_of, when
from clinsearch.warehouse.concepts import EHR
from clinsearch.warehouse.records import Row


def _status(resource: dict, name: str) -> str | None:
    coding = first_coding(resource.get(name)) if isinstance(resource.get(name), dict) else None
    return coding[1] if coding else None


def allergy_intolerance(resource: dict, refs: References) -> list[Row] | str:
    verification = _status(resource, "verificationStatus")
    if verification in ("refuted", "entered-in-error"):
        return f"AllergyIntolerance {verification}"
    person = person_of(resource, refs, "patient")
    code, concept_id, concepts = code_rows(resource.get("code"), "Observation", "allergy")
    day, moment = when(resource, "onsetDateTime", "onsetPeriod", "recordedDate", required="onset or recorded")
    manifestations = [
        m.get("text") or (first_coding(m) or ("", "", ""))[2]
        for reaction in resource.get("reaction") or []
        for m in reaction.get("manifestation") or []
    ]
    row = {
        "observation_id": stable_id("observation", resource_key(resource)),
        "person_id": person,
        "observation_concept_id": 0,
        "observation_date": day,
        "observation_datetime": moment,
        "observation_type_concept_id": EHR,
        "value_as_string": "; ".join(m for m in manifestations if m) or None,
        "visit_occurrence_id": visit_of(resource, refs),
        "observation_source_value": code,
        "observation_source_concept_id": concept_id,
        "qualifier_source_value": resource.get("type"),
        "value_source_value": _status(resource, "clinicalStatus"),
    }
    return [Row("observation", row), *concepts]


def immunization(resource: dict, refs: References) -> list[Row] | str:
    if resource.get("status") == "not-done":
        return "Immunization not done"
    person = person_of(resource, refs, "patient")
    code, concept_id, concepts = code_rows(resource.get("vaccineCode"), "Drug", "vaccine")
    day, moment = when(resource, "occurrenceDateTime", "recorded", required="occurrence")
    route = first_coding(resource.get("route"))
    dose = resource.get("doseQuantity") or {}
    row = {
        "drug_exposure_id": stable_id("drug_exposure", resource_key(resource)),
        "person_id": person,
        "drug_concept_id": 0,
        "drug_exposure_start_date": day,
        "drug_exposure_start_datetime": moment,
        "drug_exposure_end_date": day,
        "drug_exposure_end_datetime": moment,
        "drug_type_concept_id": EHR,
        "quantity": number(dose.get("value")),
        "lot_number": resource.get("lotNumber"),
        "visit_occurrence_id": visit_of(resource, refs),
        "drug_source_value": code,
        "drug_source_concept_id": concept_id,
        "route_source_value": route[1] if route else None,
        "dose_unit_source_value": dose.get("unit") or dose.get("code"),
    }
    return [Row("drug_exposure", row), *concepts]


def device(resource: dict, refs: References) -> list[Row] | str:
    if not resource.get("patient"):
        return "Device without a patient (an inventory device)"
    person = person_of(resource, refs, "patient")
    code, concept_id, concepts = code_rows(resource.get("type"), "Device", "device type")
    start, start_at = when(resource, "manufactureDate", required="device (manufactureDate)")
    end, end_at = when(resource, "expirationDate")
    udi = (resource.get("udiCarrier") or [{}])[0]
    row = {
        "device_exposure_id": stable_id("device_exposure", resource_key(resource)),
        "person_id": person,
        "device_concept_id": 0,
        "device_exposure_start_date": start,
        "device_exposure_start_datetime": start_at,
        "device_exposure_end_date": end,
        "device_exposure_end_datetime": end_at,
        "device_type_concept_id": EHR,
        "unique_device_id": udi.get("deviceIdentifier") or resource.get("distinctIdentifier"),
        "production_id": resource.get("lotNumber") or resource.get("serialNumber"),
        "device_source_value": code,
        "device_source_concept_id": concept_id,
    }
    return [Row("device_exposure", row), *concepts]


def specimen(resource: dict, refs: References) -> list[Row]:
    person = person_of(resource, refs)
    code, concept_id, concepts = code_rows(resource.get("type"), "Specimen", "specimen type")
    collection = resource.get("collection") or {}
    day, moment = when({**collection, "receivedTime": resource.get("receivedTime")}, "collectedDateTime", "collectedPeriod", "receivedTime",
                       required="collection")
    quantity = collection.get("quantity") or {}
    site = first_coding(collection.get("bodySite"))
    row = {
        "specimen_id": stable_id("specimen", resource_key(resource)),
        "person_id": person,
        "specimen_concept_id": 0,
        "specimen_type_concept_id": EHR,
        "specimen_date": day,
        "specimen_datetime": moment,
        "quantity": number(quantity.get("value")),
        "specimen_source_id": (resource.get("accessionIdentifier") or {}).get("value"),
        "specimen_source_value": code,
        "unit_source_value": quantity.get("unit") or quantity.get("code"),
        "anatomic_site_source_value": site[1] if site else None,
    }
    return [Row("specimen", row), *concepts]
