"""Stable identifiers: the same natural key always gives the same integer.

Rows read from sources that have no OMOP integer ids (FHIR resources, documents, DICOM series)
get an id derived from their natural key, so that loading the same record twice, or in any
order across files, lands on the same row. Ids stay below 2**53 so that JavaScript clients
read them exactly.

>>> stable_id("person", "abc") == stable_id("person", "abc")
True
>>> stable_id("person", "abc") != stable_id("note", "abc")
True
>>> local_concept_id("ICD10", "E11") >= LOCAL_CONCEPT_BASE
True
"""

from __future__ import annotations

import hashlib

MAX_ID = 2**53 - 1
# OMOP reserves concept ids above two billion for local (site-specific) concepts.
LOCAL_CONCEPT_BASE = 2_000_000_000


def _hash(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def stable_id(kind: str, key: str) -> int:
    """A positive integer id for ``key`` within ``kind`` (a table or a namespace)."""
    return (_hash(kind, key) & MAX_ID) or 1


def person_id_for(source_value: str) -> int:
    """The person id of a patient known by a source identifier (FHIR id, IPP, DICOM PatientID)."""
    return stable_id("person", source_value)


def local_concept_id(vocabulary_id: str, code: str) -> int:
    """The id of the local concept for ``code`` in ``vocabulary_id``."""
    return LOCAL_CONCEPT_BASE + _hash("concept", vocabulary_id, code) % (MAX_ID - LOCAL_CONCEPT_BASE)
