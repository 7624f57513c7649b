"""Each patient's concepts read from the warehouse: coded and written merged by code, only the
affirmed mentions, a restricted clinician's notes only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clinsearch.similar.concepts import concept_key, kind_of, labels, read_concepts
from clinsearch.terminology.defaults import default
from clinsearch.warehouse.store import open_store


def concepts_of(found, person_id: int) -> dict[str, float]:
    row = found.counts[found.row(person_id)]
    return {":".join(found.keys[c]): v for c, v in zip(row.indices.tolist(), row.data.tolist())}


@pytest.mark.parametrize("given, expected", [
    (("CIM10", "E11.9", None), ("CIM10", "E11")),
    (("ICD10CM", "c34.90", None), ("CIM10", "C34")),
    (("CIM10", "K766", None), ("CIM10", "K76")),
    (("ATC", "b01af02", None), ("ATC", "B01AF02")),
    ((None, "I26.9", "condition_occurrence"), ("CIM10", "I26")),
    ((None, "B01AF02", "drug_exposure"), ("ATC", "B01AF02")),
    ((None, "HHFA016", "procedure_occurrence"), ("CCAM", "HHFA016")),
    ((None, "I26.9", "drug_exposure"), ("?", "I26.9")),  # not the form of an ATC code
    (("SNOMED", "59282003", None), ("SNOMED", "59282003")),
    (("CIM10", "  ", None), None),
])
def test_a_code_becomes_its_concept(given, expected):
    assert concept_key(*given) == expected


def test_kinds_by_vocabulary_then_by_table():
    assert kind_of(("CIM10", "I26")) == "condition" and kind_of(("ATC", "B01AF02")) == "drug" and kind_of(("CCAM", "HHFA016")) == "procedure"
    assert kind_of(("SNOMED", "59282003"), "condition_occurrence") == "condition" and kind_of(("HPO", "x")) == "mention"


def test_coded_and_written_are_one_concept_and_only_affirmed_mentions_count(small):
    with open_store(small, read_only=True) as store:
        found = read_concepts(store)
    assert found.persons.tolist() == list(range(1, 10))
    assert concepts_of(found, 9) == {"CIM10:I26": 2.0}  # coded I26.9 + "Embolies pulmonaires multiples": one concept, two records
    assert concepts_of(found, 7) == {"CIM10:I10": 1.0}  # coded only
    assert concepts_of(found, 6) == {"CIM10:I10": 1.0}  # written only: the same column
    assert concepts_of(found, 1) == {"CIM10:I26": 1.0, "CIM10:I63": 1.0, "ATC:B01AF02": 1.0}  # "Pas de fièvre": negated, left out
    assert concepts_of(found, 2) == {}  # "pas d'embolie pulmonaire", "pas de TVP": negated
    assert concepts_of(found, 3) == {"CIM10:R06": 1.0}  # "Suspicion d'EP": a hypothesis, left out; the dyspnoea counts
    assert concepts_of(found, 4) == {}  # "Mère décédée d'une embolie pulmonaire": family, left out
    assert concepts_of(found, 8) == {"CIM10:R07": 1.0}  # English note: "No evidence of pulmonary embolism" negated
    assert found.kinds[found.column(("ATC", "B01AF02"))] == "drug"


def test_a_clinician_restricted_to_departments_has_the_nlp_of_their_notes_only(small):
    with open_store(small, read_only=True) as store:
        internal = read_concepts(store, ("Médecine interne",), ())
        named = read_concepts(store, ("Médecine interne",), (1,))
    # patient 1: the embolism and apixaban are written in Pneumologie, the stroke in Médecine interne
    assert concepts_of(internal, 1) == {"CIM10:I63": 1.0}
    assert concepts_of(internal, 9) == {"CIM10:I26": 1.0}  # the coded embolism stays, the Pneumologie note goes
    assert concepts_of(internal, 5) == {"CIM10:E11": 1.0, "CIM10:R50": 1.0, "ATC:A10BA02": 1.0}  # Médecine interne: all of it
    assert concepts_of(named, 1) == {"CIM10:I26": 1.0, "CIM10:I63": 1.0, "ATC:B01AF02": 1.0}  # a patient given by name: seen whole


def test_labels_from_the_terminology_then_the_warehouse_then_the_code(small):
    with open_store(small, read_only=True) as store:
        names = labels(store, default(), [("CIM10", "I26"), ("ATC", "B01AF02"), ("CCAM", "ZZZZ999")], "fr")
    assert names[("CIM10", "I26")] == "Embolie pulmonaire"
    assert names[("ATC", "B01AF02")] == "Apixaban"  # the terminology's upper case made readable
    assert names[("CCAM", "ZZZZ999")] == "ZZZZ999"


def test_the_demo_matrix_merges_coded_and_written_conditions(demo):
    """On the demo, a coded condition (CIM-10 E11.9) and the written one (the NLP's E11) are one
    column whose count is the coded rows plus the affirmed mentions, checked against SQL."""
    with open_store(demo, read_only=True) as store:
        found = read_concepts(store)
        coded = dict(store.query("SELECT person_id, count(*) FROM condition_occurrence WHERE condition_source_value LIKE 'E11%' GROUP BY 1"))
        written = dict(store.query(
            "SELECT n.person_id, count(*) FROM note_nlp x JOIN note n ON n.note_id = x.note_id WHERE x.code LIKE 'E11%' AND x.code_vocabulary = 'CIM10' "
            "AND x.label NOT IN ('context', 'date', 'measurement') AND x.term_exists = 'Y' AND coalesce(x.term_modifiers, '') NOT LIKE '%hypothesis%' "
            "AND coalesce(x.term_modifiers, '') NOT LIKE '%family%' GROUP BY 1"))
        names = labels(store, default(), found.keys, "fr")
    column = found.column(("CIM10", "E11"))
    assert not [k for k in found.keys if k[0] == "CIM10" and len(k[1]) != 3]  # every CIM-10 concept at its category
    counts = found.counts[:, column].toarray().ravel()
    expected = np.array([coded.get(int(p), 0) + written.get(int(p), 0) for p in found.persons])
    assert coded and written and set(coded) & set(written)  # patients with both, merged
    assert (counts == expected).all()
    truth = json.loads((demo / "demo-source" / "ground_truth.json").read_text(encoding="utf-8"))
    diabetics = {p["person_id"] for p in truth["patients"].values() if "diabete_t2" in p["documented"]}
    assert diabetics <= {int(p) for p, n in zip(found.persons, counts) if n > 0}
    assert names[("CIM10", "E11")].startswith("Diabète")
    assert {kind for kind in found.kinds} == {"condition", "drug", "procedure"}
