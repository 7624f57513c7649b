"""FHIR R4 resources mapped to OMOP rows, one function per resource type.

Each mapper takes the resource (a dict) and the bundle's references and returns the rows it
becomes, a string saying why it is skipped, or raises ``MappingError`` (the resource is
quarantined). Mapping follows the HL7 FHIR-to-OMOP guidance in spirit: Patient -> person (+
death, + person_identity), Encounter -> visit_occurrence, Condition -> condition_occurrence,
Observation -> measurement (numeric values, one row per component) or observation (coded or
text values), Medication* -> drug_exposure, Procedure -> procedure_occurrence; the resources
that carry documents (DocumentReference, DiagnosticReport, ImagingStudy) are mapped in
``fhir_documents``, AllergyIntolerance, Immunization, Device and Specimen in ``fhir_exposures``,
Practitioner, Organization and Location in ``fhir_providers``. ``MAPPERS`` names the mapper of
every resource type.
"""

from __future__ import annotations

import json
from typing import Callable

from clinsearch.ids import person_id_for, stable_id
from clinsearch.ingest.codes import omop_concept
from clinsearch.ingest.fhir_documents import diagnostic_report, document_reference, imaging_study
from clinsearch.ingest.fhir_exposures import allergy_intolerance, device, immunization, specimen
from clinsearch.ingest.fhir_providers import care_site_id, location, organization, practitioner, provider_id
from clinsearch.ingest.fhir_fields import (
    MappingError,
    References,
    code_rows,
    first_coding,
    number,
    person_of,
    resource_key,
    text_of,
    visit_of,
    when,
)
from clinsearch.ingest.values import parse_partial_date
from clinsearch.warehouse.concepts import EHR
from clinsearch.warehouse.records import Row


# --- columns every event row has -------------------------------------------------------------


def _event(domain: str, person: int, visit: int | None, code: str | None, concept_id: int | None) -> dict:
    """The columns of a coded event row of table ``domain``: patient, visit, the EHR type, the
    source code and its local concept, no standard concept (0: no licensed vocabulary maps it)."""
    return {"person_id": person, "visit_occurrence_id": visit, f"{domain}_concept_id": 0, f"{domain}_type_concept_id": EHR,
            f"{domain}_source_value": code, f"{domain}_source_concept_id": concept_id}


def _span(prefix: str, start, start_at, end, end_at) -> dict:
    """The ``{prefix}_start_date``, ``_start_datetime``, ``_end_date`` and ``_end_datetime`` columns."""
    return {f"{prefix}_start_date": start, f"{prefix}_start_datetime": start_at, f"{prefix}_end_date": end, f"{prefix}_end_datetime": end_at}


def _period_end(resource: dict, name: str) -> tuple:
    """(date, datetime) of the end of the resource's Period ``name``; (None, None) without one."""
    return when({"end": (resource.get(name) or {}).get("end")}, "end")


# --- mappers ----------------------------------------------------------------------------------


def patient(resource: dict, refs: References) -> list[Row]:
    pid = resource.get("id")
    if not pid:
        raise MappingError("Patient without an id")
    birth = resource.get("birthDate")
    if not birth:
        raise MappingError("Patient without a birthDate (OMOP needs the year of birth)")
    try:
        born = parse_partial_date(birth)
    except ValueError as exc:
        raise MappingError(f"birthDate: {exc}") from None
    person_id = person_id_for(pid)
    gender = resource.get("gender")
    race = _extension_text(resource, "us-core-race")
    ethnicity = _extension_text(resource, "us-core-ethnicity")
    rows = [
        Row(
            "person",
            {
                "person_id": person_id,
                "gender_concept_id": omop_concept("gender", gender) or 0,
                "year_of_birth": born.year,
                "month_of_birth": born.month if len(birth) >= 7 else None,
                "day_of_birth": born.day if len(birth) >= 10 else None,
                "race_concept_id": 0,
                "ethnicity_concept_id": 0,
                "person_source_value": pid,
                "gender_source_value": gender,
                "race_source_value": race,
                "ethnicity_source_value": ethnicity,
            },
        ),
        Row("person_identity", _identity(resource, person_id, born)),
    ]
    if resource.get("deceasedDateTime"):
        died, died_at = when(resource, "deceasedDateTime")
        rows.append(Row("death", {"person_id": person_id, "death_date": died, "death_datetime": died_at, "death_type_concept_id": EHR}))
    return rows


def _extension_text(resource: dict, name: str) -> str | None:
    for extension in resource.get("extension") or []:
        if str(extension.get("url", "")).endswith(name):
            for inner in extension.get("extension") or []:
                if inner.get("url") == "text" and inner.get("valueString"):
                    return inner["valueString"]
    return None


def _identity(resource: dict, person_id: int, born) -> dict:
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    address = (resource.get("address") or [{}])[0]
    telecom = resource.get("telecom") or []
    identifiers = [
        {"system": i.get("system"), "value": i.get("value"), "type": ((i.get("type") or {}).get("text"))}
        for i in resource.get("identifier") or []
        if i.get("value")
    ]
    return {
        "person_id": person_id,
        "family_name": name.get("family"),
        "given_name": " ".join(name.get("given") or []) or None,
        "birth_date": born,
        "address": ", ".join(address.get("line") or []) or None,
        "city": address.get("city"),
        "postal_code": address.get("postalCode"),
        "phone": next((t.get("value") for t in telecom if t.get("system") == "phone"), None),
        "email": next((t.get("value") for t in telecom if t.get("system") == "email"), None),
        "identifiers": json.dumps(identifiers, ensure_ascii=False) if identifiers else None,
    }


def encounter(resource: dict, refs: References) -> list[Row]:
    start, start_at = when(resource, "period", required="start")
    end, end_at = _period_end(resource, "period")
    kind = (resource.get("class") or {}).get("code")
    site = refs.resolve(resource.get("serviceProvider"), "Organization")
    performer = next((refs.resolve(p.get("individual"), "Practitioner") for p in resource.get("participant") or []
                      if refs.resolve(p.get("individual"), "Practitioner")), None)
    type_text = next((t.get("text") or (first_coding(t) or ("", "", ""))[2] for t in resource.get("type") or []), None)
    return [
        Row(
            "visit_occurrence",
            {
                "visit_occurrence_id": stable_id("visit_occurrence", resource_key(resource)),
                "person_id": person_of(resource, refs),
                "visit_concept_id": omop_concept("visit", kind) or 0,
                **_span("visit", start, start_at, end, end_at),
                "visit_type_concept_id": EHR,
                "provider_id": provider_id(performer) if performer else None,
                "care_site_id": care_site_id(site) if site else None,
                "visit_source_value": " | ".join(v for v in (kind, type_text) if v) or None,
            },
        )
    ]


def condition(resource: dict, refs: References) -> list[Row]:
    person = person_of(resource, refs)
    code, concept_id, concepts = code_rows(resource.get("code"), "Condition", "condition")
    start, start_at = when(resource, "onsetDateTime", "onsetPeriod", "recordedDate", required="onset")
    end, end_at = when(resource, "abatementDateTime", "abatementPeriod")
    status = first_coding(resource.get("clinicalStatus"))
    row = {
        "condition_occurrence_id": stable_id("condition_occurrence", resource_key(resource)),
        **_event("condition", person, visit_of(resource, refs), code, concept_id),
        **_span("condition", start, start_at, end, end_at),
        "condition_status_source_value": status[1] if status else None,
    }
    return [Row("condition_occurrence", row), *concepts]


def observation(resource: dict, refs: References) -> list[Row]:
    person = person_of(resource, refs)
    day, moment = when(resource, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued", required="effective")
    code, concept_id, concepts = code_rows(resource.get("code"), "Measurement", "observation")
    visit = visit_of(resource, refs)
    rid = resource_key(resource)
    quantities = []
    if isinstance(resource.get("valueQuantity"), dict):
        quantities.append((code, concept_id, resource["valueQuantity"], resource, ""))
    for index, component in enumerate(resource.get("component") or []):
        if isinstance(component.get("valueQuantity"), dict):
            c_code, c_concept, c_rows = code_rows(component.get("code"), "Measurement", "component")
            concepts.extend(c_rows)
            quantities.append((c_code, c_concept, component["valueQuantity"], component, f"#{index}"))
    rows = []
    for q_code, q_concept, quantity, holder, suffix in quantities:
        low, high = _range(holder)
        rows.append(
            Row(
                "measurement",
                {
                    **_event("measurement", person, visit, q_code, q_concept),
                    "measurement_id": stable_id("measurement", rid + suffix),
                    "measurement_date": day,
                    "measurement_datetime": moment,
                    "value_as_number": number(quantity.get("value")),
                    "range_low": low,
                    "range_high": high,
                    "unit_source_value": quantity.get("unit") or quantity.get("code"),
                    "value_source_value": text_of(quantity.get("value")),
                },
            )
        )
    if rows:
        return rows + concepts
    row = {**_event("observation", person, visit, code, concept_id), **_observation_value(resource), "observation_id": stable_id("observation", rid),
           "observation_date": day, "observation_datetime": moment}
    return [Row("observation", row), *concepts]


def _observation_value(resource: dict) -> dict:
    if isinstance(resource.get("valueCodeableConcept"), dict):
        coding = first_coding(resource["valueCodeableConcept"])
        text = resource["valueCodeableConcept"].get("text") or (coding[2] if coding else None)
        return {"value_as_string": text, "value_source_value": coding[1] if coding else text}
    for name in ("valueString", "valueDateTime", "valueTime"):
        if resource.get(name) is not None:
            return {"value_as_string": str(resource[name]), "value_source_value": str(resource[name])}
    for name in ("valueInteger", "valueBoolean"):
        if resource.get(name) is not None:
            return {"value_as_number": float(resource[name]), "value_source_value": str(resource[name])}
    return {}


def _range(holder: dict) -> tuple:
    ranges = holder.get("referenceRange") or [{}]
    return number((ranges[0].get("low") or {}).get("value")), number((ranges[0].get("high") or {}).get("value"))


def _medication(resource: dict, refs: References, date_fields: tuple[str, ...]) -> list[Row]:
    person = person_of(resource, refs)
    if resource.get("medicationCodeableConcept"):
        code, concept_id, concepts = code_rows(resource["medicationCodeableConcept"], "Drug", "medication")
    else:
        display = (resource.get("medicationReference") or {}).get("display")
        if not display:
            raise MappingError("no medication code (medicationCodeableConcept or medicationReference.display)")
        code, concept_id, concepts = display, None, []
    start, start_at = when(resource, *date_fields, required="start")
    end, end_at = _period_end(resource, "effectivePeriod")
    dosage = (resource.get("dosageInstruction") or resource.get("dosage") or [{}])
    dosage = dosage[0] if isinstance(dosage, list) else dosage
    dispense = resource.get("dispenseRequest") or {}
    supply = (dispense.get("expectedSupplyDuration") or {}).get("value")
    row = {
        "drug_exposure_id": stable_id("drug_exposure", resource_key(resource)),
        **_event("drug", person, visit_of(resource, refs, "encounter" if "encounter" in resource else "context"), code, concept_id),
        **_span("drug_exposure", start, start_at, end or start, end_at),
        "stop_reason": (resource.get("statusReason") or {}).get("text") if isinstance(resource.get("statusReason"), dict) else None,
        "quantity": number((dispense.get("quantity") or {}).get("value")),
        "days_supply": int(supply) if isinstance(supply, (int, float)) else None,
        "sig": dosage.get("text") if isinstance(dosage, dict) else None,
    }
    return [Row("drug_exposure", row), *concepts]


def medication_request(resource: dict, refs: References) -> list[Row]:
    return _medication(resource, refs, ("authoredOn",))


def medication_statement(resource: dict, refs: References) -> list[Row]:
    return _medication(resource, refs, ("effectiveDateTime", "effectivePeriod", "dateAsserted"))


def medication_administration(resource: dict, refs: References) -> list[Row]:
    return _medication(resource, refs, ("effectiveDateTime", "effectivePeriod"))


def procedure(resource: dict, refs: References) -> list[Row]:
    person = person_of(resource, refs)
    code, concept_id, concepts = code_rows(resource.get("code"), "Procedure", "procedure")
    day, moment = when(resource, "performedDateTime", "performedPeriod", required="performed")
    end, end_at = _period_end(resource, "performedPeriod")
    row = {
        "procedure_occurrence_id": stable_id("procedure_occurrence", resource_key(resource)),
        **_event("procedure", person, visit_of(resource, refs), code, concept_id),
        "procedure_date": day,
        "procedure_datetime": moment,
        "procedure_end_date": end,
        "procedure_end_datetime": end_at,
    }
    return [Row("procedure_occurrence", row), *concepts]


MAPPERS: dict[str, Callable[[dict, References], list[Row] | str]] = {
    "Patient": patient,
    "Encounter": encounter,
    "Condition": condition,
    "Observation": observation,
    "MedicationRequest": medication_request,
    "MedicationStatement": medication_statement,
    "MedicationAdministration": medication_administration,
    "Procedure": procedure,
    "DocumentReference": document_reference,
    "DiagnosticReport": diagnostic_report,
    "ImagingStudy": imaging_study,
    "AllergyIntolerance": allergy_intolerance,
    "Immunization": immunization,
    "Device": device,
    "Specimen": specimen,
    "Practitioner": practitioner,
    "Organization": organization,
    "Location": location,
}
