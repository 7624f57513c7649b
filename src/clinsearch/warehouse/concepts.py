"""The standard OMOP concept ids clinsearch writes and reads (gender, visit, record type), by
name: the ids are data (``concepts.json``, with their OHDSI Athena source), loaded once here so
that every layer uses the same ones.

>>> MALE, FEMALE, EHR
(8507, 8532, 32817)
>>> VISIT["emergency"], VISIT_EMERGENCY_AND_INPATIENT
(9203, 262)
"""

from __future__ import annotations

import json
from importlib import resources

_CONCEPTS = json.loads(resources.files("clinsearch.warehouse").joinpath("concepts.json").read_text("utf-8"))

SOURCE: str = _CONCEPTS["source"]
GENDER: dict[str, int] = _CONCEPTS["gender"]  # male, female, other, unknown
VISIT: dict[str, int] = _CONCEPTS["visit"]  # inpatient, outpatient, emergency, emergency_and_inpatient, home, telehealth
TYPE: dict[str, int] = _CONCEPTS["type"]  # ehr, nlp

MALE = GENDER["male"]
FEMALE = GENDER["female"]
VISIT_INPATIENT = VISIT["inpatient"]
VISIT_OUTPATIENT = VISIT["outpatient"]
VISIT_EMERGENCY = VISIT["emergency"]
VISIT_EMERGENCY_AND_INPATIENT = VISIT["emergency_and_inpatient"]
EHR = TYPE["ehr"]  # type concept of a row read from the hospital's records
NLP = TYPE["nlp"]  # type concept of a row derived by natural language processing
