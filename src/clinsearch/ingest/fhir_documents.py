"""FHIR R4 resources that carry documents mapped to OMOP rows: DocumentReference and
DiagnosticReport text -> note (one per attachment: plain text, HTML or a PDF's text layer),
ImagingStudy -> image_occurrence (one per series).

The mappers follow the contract of ``fhir_mapping``: rows, a string saying why the resource is
skipped, or ``MappingError`` (the resource is quarantined).
"""

from __future__ import annotations

import base64
import binascii
import re

from clinsearch.ids import stable_id
from clinsearch.ingest.documents import note_row, pdf_text
from clinsearch.ingest.fhir_fields import MappingError, References, first_coding, person_of, resource_key, visit_of, when
from clinsearch.warehouse.records import Row


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
            note_row(
                note_id=stable_id("note", resource_key(resource) + suffix),
                person_id=person,
                note_date=day,
                note_datetime=moment,
                note_title=attachment.get("title") or title,
                note_text=text,
                visit_occurrence_id=visit_of(resource, refs),
                note_source_value=resource_key(resource) + suffix,
                note_class_source_value=title,
                language_source_value=(attachment.get("language") or "").split("-")[0] or None,
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
