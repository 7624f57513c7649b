"""The standard OMOP concept ids clinsearch writes (``clinsearch.warehouse.concepts``, from OHDSI
Athena) and the FHIR codes that become them (``ingest/fhir_codes.json``)."""

from __future__ import annotations

import doctest

import pytest

from clinsearch.ingest.codes import omop_concept
from clinsearch.warehouse import concepts


def test_the_concepts_are_the_athena_ids():
    assert (concepts.MALE, concepts.FEMALE, concepts.GENDER["other"], concepts.GENDER["unknown"]) == (8507, 8532, 8521, 8551)
    assert (concepts.VISIT_INPATIENT, concepts.VISIT_OUTPATIENT, concepts.VISIT_EMERGENCY, concepts.VISIT_EMERGENCY_AND_INPATIENT) == (9201, 9202, 9203, 262)
    assert (concepts.EHR, concepts.NLP) == (32817, 32858)
    assert "athena" in concepts.SOURCE.lower()


def test_the_concepts_module_examples_run():
    failures, tried = doctest.testmod(concepts)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("group, code, expected", [
    ("gender", "male", 8507), ("gender", "female", 8532), ("gender", "other", 8521), ("gender", "unknown", 8551), ("gender", "M", None),
    ("visit", "IMP", 9201), ("visit", "ACUTE", 9201), ("visit", "NONAC", 9201), ("visit", "OBSENC", 9201), ("visit", "inpatient", 9201),
    ("visit", "AMB", 9202), ("visit", "outpatient", 9202), ("visit", "EMER", 9203), ("visit", "emergency", 9203),
    ("visit", "HH", 581476), ("visit", "VR", 5083), ("visit", "FLD", None), ("visit", None, None),
    ("type", "ehr", 32817), ("type", "nlp", 32858),
])
def test_fhir_codes_become_standard_concepts(group, code, expected):
    assert omop_concept(group, code) == expected
