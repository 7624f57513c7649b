"""FHIR R4 Practitioner, Organization and Location mapped to OMOP's health-system tables.

As the HL7 FHIR-to-OMOP implementation guide maps them: Practitioner -> ``provider``,
Organization -> ``care_site`` (its address -> ``location``), Location -> ``location``. Ids are
stable ids of the resource (``stable_id("provider", "Practitioner/<id>")``), so that an
Encounter's ``participant`` and ``serviceProvider`` point at the same rows
(``visit_occurrence.provider_id`` and ``care_site_id``) whichever bundle is loaded first.
These tables hold no patient data.
"""

from __future__ import annotations

from clinsearch.ids import stable_id
from clinsearch.ingest.codes import omop_concept
from clinsearch.ingest.fhir_fields import MappingError, References, first_coding, number, resource_key
from clinsearch.ingest.values import parse_partial_date
from clinsearch.warehouse.records import Row

NPI = "http://hl7.org/fhir/sid/us-npi"
RPPS = "urn:oid:1.2.250.1.71.4.2.1"  # the French health professionals' directory (RPPS/ADELI)


def provider_id(reference_id: str) -> int:
    return stable_id("provider", f"Practitioner/{reference_id}")


def care_site_id(reference_id: str) -> int:
    return stable_id("care_site", f"Organization/{reference_id}")


def _location(address: dict | None, key: str, name: str | None = None, position: dict | None = None) -> Row | None:
    address = address or {}
    lines = address.get("line") or []
    if not (lines or address.get("city") or address.get("postalCode") or position):
        return None
    return Row(
        "location",
        {
            "location_id": stable_id("location", key),
            "address_1": lines[0] if lines else None,
            "address_2": ", ".join(lines[1:]) or None,
            "city": address.get("city"),
            "state": address.get("state"),
            "zip": address.get("postalCode"),
            "county": address.get("district"),
            "location_source_value": name or key,
            "country_concept_id": 0,
            "country_source_value": address.get("country"),
            "latitude": number((position or {}).get("latitude")),
            "longitude": number((position or {}).get("longitude")),
        },
    )


def _id(resource: dict) -> str:
    if not resource.get("id"):
        raise MappingError(f"{resource['resourceType']} without an id")
    return resource["id"]


def practitioner(resource: dict, refs: References) -> list[Row]:
    rid = _id(resource)
    names = resource.get("name") or [{}]
    name = names[0]
    full = " ".join([*(name.get("prefix") or []), *(name.get("given") or []), name.get("family") or ""]).strip() or name.get("text")
    identifiers = {i.get("system"): i.get("value") for i in resource.get("identifier") or [] if i.get("value")}
    gender = resource.get("gender")
    born = resource.get("birthDate")
    return [
        Row(
            "provider",
            {
                "provider_id": provider_id(rid),
                "provider_name": full or None,
                "npi": identifiers.get(NPI) or identifiers.get(RPPS),
                "specialty_concept_id": 0,
                "year_of_birth": parse_partial_date(born).year if born else None,
                "gender_concept_id": omop_concept("gender", gender) or 0,
                "provider_source_value": rid,
                "specialty_source_value": _qualification(resource),
                "gender_source_value": gender,
            },
        )
    ]


def _qualification(resource: dict) -> str | None:
    for qualification in resource.get("qualification") or []:
        coding = first_coding(qualification.get("code"))
        if coding:
            return coding[2]
    return None


def organization(resource: dict, refs: References) -> list[Row]:
    rid = _id(resource)
    kind = next((t.get("text") or (first_coding(t) or ("", "", ""))[2] for t in resource.get("type") or []), None)
    location = _location((resource.get("address") or [None])[0], f"Organization/{rid}", resource.get("name"))
    identifier = next((i.get("value") for i in resource.get("identifier") or [] if i.get("value")), None)
    row = {
        "care_site_id": care_site_id(rid),
        "care_site_name": resource.get("name"),
        "place_of_service_concept_id": 0,
        "location_id": location.values["location_id"] if location else None,
        "care_site_source_value": identifier or rid,
        "place_of_service_source_value": kind,
    }
    return [Row("care_site", row)] + ([location] if location else [])


def location(resource: dict, refs: References) -> list[Row] | str:
    row = _location(resource.get("address"), resource_key(resource), resource.get("name"), resource.get("position"))
    return [row] if row else "Location without an address or position"
