"""FHIR R4 resources mapped to OMOP rows, one function per resource type.

Each mapper takes the resource (a dict) and the bundle's references and returns the rows it
becomes, a string saying why it is skipped, or raises ``MappingError`` (the resource is
quarantined). Mapping follows the HL7 FHIR-to-OMOP guidance in spirit: Patient -> person (+
death, + person_identity), Encounter -> visit_occurrence, Condition -> condition_occurrence,
Observation -> measurement (numeric values, one row per component) or observation (coded or
text values), Medication* -> drug_exposure, Procedure -> procedure_occurrence,
DocumentReference / DiagnosticReport text -> note, ImagingStudy -> image_occurrence (per series).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Callable

from clinsearch.ids import person_id_for, stable_id
from clinsearch.ingest.codes import omop_concept
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
from clinsearch.warehouse.records import Row

EHR = 32817  # OMOP type concept "EHR"


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
    period = resource.get("period") or {}
    end, end_at = when({"end": period.get("end")}, "end")
    kind = (resource.get("class") or {}).get("code")
    type_text = next((t.get("text") or (first_coding(t) or ("", "", ""))[2] for t in resource.get("type") or []), None)
    return [
        Row(
            "visit_occurrence",
            {
                "visit_occurrence_id": stable_id("visit_occurrence", resource_key(resource)),
                "person_id": person_of(resource, refs),
                "visit_concept_id": omop_concept("visit", kind) or 0,
                "visit_start_date": start,
                "visit_start_datetime": start_at,
                "visit_end_date": end,
                "visit_end_datetime": end_at,
                "visit_type_concept_id": EHR,
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
        "person_id": person,
        "condition_concept_id": 0,
        "condition_start_date": start,
        "condition_start_datetime": start_at,
        "condition_end_date": end,
        "condition_end_datetime": end_at,
        "condition_type_concept_id": EHR,
        "visit_occurrence_id": visit_of(resource, refs),
        "condition_source_value": code,
        "condition_source_concept_id": concept_id,
        "condition_status_source_value": status[1] if status else None,
    }
    return [Row("condition_occurrence", row), *concepts]


def observation(resource: dict, refs: References) -> list[Row]:
    person = person_of(resource, refs)
    day, moment = when(resource, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued", required="effective")
    code, concept_id, concepts = code_rows(resource.get("code"), "Measurement", "observation")
    base = {"person_id": person, "visit_occurrence_id": visit_of(resource, refs)}
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
                    **base,
                    "measurement_id": stable_id("measurement", rid + suffix),
                    "measurement_concept_id": 0,
                    "measurement_date": day,
                    "measurement_datetime": moment,
                    "measurement_type_concept_id": EHR,
                    "value_as_number": number(quantity.get("value")),
                    "range_low": low,
                    "range_high": high,
                    "measurement_source_value": q_code,
                    "measurement_source_concept_id": q_concept,
                    "unit_source_value": quantity.get("unit") or quantity.get("code"),
                    "value_source_value": text_of(quantity.get("value")),
                },
            )
        )
    if rows:
        return rows + concepts
    return [Row("observation", {**base, **_observation_value(resource), "observation_id": stable_id("observation", rid), "observation_concept_id": 0, "observation_date": day, "observation_datetime": moment, "observation_type_concept_id": EHR, "observation_source_value": code, "observation_source_concept_id": concept_id}), *concepts]


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
    period = resource.get("effectivePeriod") or {}
    end, end_at = when({"end": period.get("end")}, "end")
    dosage = (resource.get("dosageInstruction") or resource.get("dosage") or [{}])
    dosage = dosage[0] if isinstance(dosage, list) else dosage
    dispense = resource.get("dispenseRequest") or {}
    supply = (dispense.get("expectedSupplyDuration") or {}).get("value")
    row = {
        "drug_exposure_id": stable_id("drug_exposure", resource_key(resource)),
        "person_id": person,
        "drug_concept_id": 0,
        "drug_exposure_start_date": start,
        "drug_exposure_start_datetime": start_at,
        "drug_exposure_end_date": end or start,
        "drug_exposure_end_datetime": end_at,
        "drug_type_concept_id": EHR,
        "stop_reason": (resource.get("statusReason") or {}).get("text") if isinstance(resource.get("statusReason"), dict) else None,
        "quantity": number((dispense.get("quantity") or {}).get("value")),
        "days_supply": int(supply) if isinstance(supply, (int, float)) else None,
        "sig": dosage.get("text") if isinstance(dosage, dict) else None,
        "visit_occurrence_id": visit_of(resource, refs, "encounter" if "encounter" in resource else "context"),
        "drug_source_value": code,
        "drug_source_concept_id": concept_id,
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
    period = resource.get("performedPeriod") or {}
    end, end_at = when({"end": period.get("end")}, "end")
    row = {
        "procedure_occurrence_id": stable_id("procedure_occurrence", resource_key(resource)),
        "person_id": person,
        "procedure_concept_id": 0,
        "procedure_date": day,
        "procedure_datetime": moment,
        "procedure_end_date": end,
        "procedure_end_datetime": end_at,
        "procedure_type_concept_id": EHR,
        "visit_occurrence_id": visit_of(resource, refs),
        "procedure_source_value": code,
        "procedure_source_concept_id": concept_id,
    }
    return [Row("procedure_occurrence", row), *concepts]


def _attachment_text(attachment: dict) -> str | None:
    kind = (attachment.get("contentType") or "text/plain").split(";")[0].strip().lower()
    data = attachment.get("data")
    if not data:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise MappingError("attachment data is not valid base64") from None
    if kind == "application/pdf":
        from clinsearch.ingest.documents import pdf_text

        try:
            return pdf_text(raw)
        except ValueError as exc:
            raise MappingError(f"attachment: {exc}") from None
    if not kind.startswith("text/"):
        raise MappingError(f"attachment of type {kind} holds no text clinsearch can read")
    charset = re.search(r"charset=([\w-]+)", attachment.get("contentType") or "")
    text = raw.decode(charset.group(1) if charset else "utf-8", errors="replace")
    if kind == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    return text


def _notes(resource: dict, refs: References, attachments: list[dict], title_concept: dict | None, date_fields: tuple[str, ...]) -> list[Row] | str:
    person = person_of(resource, refs)
    day, moment = when(resource, *date_fields, required="document")
    title = (title_concept or {}).get("text") or ((first_coding(title_concept) or (None, None, None))[2])
    rows = []
    for index, attachment in enumerate(attachments):
        text = _attachment_text(attachment or {})
        if not text or not text.strip():
            continue
        suffix = f"#{index}" if len(attachments) > 1 else ""
        rows.append(
            Row(
                "note",
                {
                    "note_id": stable_id("note", resource_key(resource) + suffix),
                    "person_id": person,
                    "note_date": day,
                    "note_datetime": moment,
                    "note_type_concept_id": EHR,
                    "note_class_concept_id": 0,
                    "note_title": attachment.get("title") or title,
                    "note_text": text,
                    "encoding_concept_id": 0,
                    "language_concept_id": 0,
                    "visit_occurrence_id": visit_of(resource, refs),
                    "note_source_value": resource_key(resource) + suffix,
                    "note_class_source_value": title,
                    "language_source_value": (attachment.get("language") or "").split("-")[0] or None,
                },
            )
        )
    return rows or f"{resource['resourceType']} without text"


def document_reference(resource: dict, refs: References) -> list[Row] | str:
    context = resource.get("context") or {}
    encounters = context.get("encounter") or []
    resource = dict(resource, encounter=encounters[0] if encounters else None, contextPeriod=context.get("period"))
    attachments = [c.get("attachment") for c in resource.get("content") or []]
    return _notes(resource, refs, attachments, resource.get("type"), ("date", "contextPeriod"))


def diagnostic_report(resource: dict, refs: References) -> list[Row] | str:
    attachments = list(resource.get("presentedForm") or [])
    if not attachments and resource.get("conclusion"):
        text = base64.b64encode(resource["conclusion"].encode("utf-8")).decode("ascii")
        attachments = [{"contentType": "text/plain", "data": text}]
    return _notes(resource, refs, attachments, resource.get("code"), ("effectiveDateTime", "effectivePeriod", "issued"))


def imaging_study(resource: dict, refs: References) -> list[Row]:
    person = person_of(resource, refs)
    day, _ = when(resource, "started", required="started")
    # The study UID: an identifier in system urn:dicom:uid, or any identifier written urn:oid:...
    study_uid = next(
        (
            str(i.get("value")).removeprefix("urn:oid:")
            for i in resource.get("identifier") or []
            if i.get("system") == "urn:dicom:uid" or str(i.get("value", "")).startswith("urn:oid:")
        ),
        None,
    )
    base = {
        "person_id": person,
        "visit_occurrence_id": visit_of(resource, refs),
        "image_occurrence_date": day,
        "image_study_uid": study_uid,
        "image_study_description": resource.get("description"),
    }
    rows = []
    for series in resource.get("series") or [{}]:
        body = series.get("bodySite") or {}
        rows.append(
            Row(
                "image_occurrence",
                {
                    **base,
                    "image_occurrence_id": stable_id("image_occurrence", f"{resource_key(resource)}#{series.get('uid', '')}"),
                    "image_series_uid": series.get("uid"),
                    "modality_source_value": (series.get("modality") or {}).get("code"),
                    "anatomic_site_source_value": body.get("display") or body.get("code"),
                    "image_series_description": series.get("description"),
                    "number_of_instances": series.get("numberOfInstances"),
                },
            )
        )
    return rows


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
}
