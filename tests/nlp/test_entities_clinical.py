"""Entities as clinicians write them: ambiguous abbreviations, look-alikes, and EDS-NLP's
comorbidity pipes kept only where they name the concept a search means (``nlp.trim``).

``<ent concept=X>`` marks words an entity with lexicon concept X must cover (EDS-NLP's spans may
run longer: "IRC stade 4, DFG 24"); the sentences of
``ABSENT`` must not yield the concept named beside them. The sentences are written for these
tests, not taken from ``tests/data/clinical_fr``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinsearch.nlp.annotate import annotate
from clinsearch.search.query import parse as parse_query
from tests.nlp.markup import parse

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical_fr"

PRESENT = [
    # the same abbreviations where they do name the disease
    "Suivi pour <ent concept=icc>IC</ent> à FEVG altérée, NYHA III.",
    "Angioscanner : <ent concept=ep>EP</ent> bilatérale proximale.",
    "Reprise des <ent concept=anticoagulant>AC</ent> à J3 de la chirurgie.",
    "<ent concept=irc>IRC</ent> stade 4, DFG 24 mL/min.",
    "<ent concept=hta>HTA</ent> essentielle sous amlodipine.",
    # a comorbidity pipe's match kept, and named by the concept it is
    "Connu pour une <ent concept=fa>fibrillation auriculaire</ent> permanente.",
    "<ent concept=fa>AC/FA</ent> à 120/min.",
    "Antécédent d'<ent concept=avc>accident vasculaire cérébral</ent> en 2018.",
    "<ent concept=dt2>Diabète de type 2 non insulinorequérant</ent> depuis 2010.",
    "Angine de poitrine sur <ent concept=coronaropathie>coronaropathie</ent> monotronculaire.",
    "<ent concept=asthme>Asthme</ent> allergique depuis l'enfance.",
    "<ent concept=idm>Infarctus du myocarde</ent> inférieur en 2012.",
    "Diagnostic final : <ent concept=idm>NSTEMI</ent> sur lésion de l'IVA.",
    # the lexicon's terms in the plural (the search stems the number away, the NLP must read it)
    "Angioscanner : <ent concept=ep>embolies pulmonaires</ent> bilatérales.",
    "Antécédents de <ent concept=pneumopathie>pneumopathies</ent> à répétition.",
    "Arrêt des <ent concept=anticoagulant>anticoagulants</ent> avant le geste.",
    # a comorbidity pipe's window ends with its clause: the next finding keeps its own concept
    "Antécédents : <ent concept=avc>Infarctus cérébral</ent> chez le père, <ent concept=idm>syndrome coronarien aigu ST+</ent> (2012).",
    "Conclusion : <ent concept=idm>Infarctus du myocarde</ent> confirmé, <ent concept=icc>insuffisance cardiaque</ent> à confirmer.",
]

ABSENT = [
    # ambiguous abbreviations: a confidence interval, a cardiac index, a pleural effusion, an antibody, a respiratory failure
    ("Risque relatif 0,81 (IC 95 % 0,70-0,93) dans le bras traité.", "icc"),
    ("Débit cardiaque 5,1 L/min, IC à 2,8 L/min/m².", "icc"),
    ("Radiographie de thorax : EP droit de faible abondance.", "ep"),
    ("Échographie pleurale : EP cloisonné, ponction prévue.", "ep"),
    ("Bilan immunologique : AC anti-TPO positifs.", "anticoagulant"),
    ("IRC obstructive sous O2 au long cours.", "irc"),
    # look-alikes
    ("Hypertension intracrânienne idiopathique, ponction lombaire évacuatrice.", "hta"),
    ("HTAP post-embolique, PAPm 40 mmHg.", "hta"),
    ("Diabète insipide néphrogénique sous thiazidiques.", "diabete"),
    ("Infarctus cérébral jonctionnel droit.", "idm"),
    ("Embolie pulmonaire grave thrombolysée en réanimation.", "avc"),
    # the comorbidity pipes' other matches
    ("Syndrome d'apnées du sommeil appareillé.", "bpco"),
    ("Oxygénothérapie à domicile 1 L/min.", "bpco"),
    ("Porteur d'un pacemaker double chambre.", "icc"),
    ("Valvulopathie mitrale minime.", "icc"),
    ("Stent actif sur l'IVA en 2019.", "idm"),
    ("Coronaropathie tritronculaire stable.", "idm"),
    ("Néphroangiosclérose sur HTA ancienne.", "irc"),
]


@pytest.mark.parametrize("marked", PRESENT)
def test_entities_are_found_with_the_concept_they_name(marked):
    text, expected = parse(marked)
    entities = annotate(text)
    for want in expected:
        found = [e.concept for e in entities if e.start <= want["start"] and want["end"] <= e.end and e.label not in ("date", "measurement")]
        assert found == [want["concept"]], f"{want['text']!r}: {found}; all: {[(e.text, e.concept) for e in entities]}"


@pytest.mark.parametrize(("text", "concept"), ABSENT)
def test_abbreviations_and_look_alikes_do_not_name_the_wrong_concept(text, concept):
    entities = annotate(text)
    assert not [e.text for e in entities if e.concept == concept], f"{concept} found in {text!r}: {[(e.text, e.label) for e in entities]}"


WORDS_READ_AS_CODES = [
    ("Frère ayant présenté un AVC à 50 ans.", "A50"),  # "à 50" folds to the code of congenital syphilis
    ("Mère décédée à 70 ans d'un cancer.", "A70"),
    ("Contrôle à 30 jours.", "A30"),
]


@pytest.mark.parametrize(("text", "code"), WORDS_READ_AS_CODES)
def test_ordinary_words_are_not_read_as_a_written_code(text, code):
    assert code not in [e.code for e in annotate(text)]


def test_a_code_written_in_capitals_is_still_found():
    assert "J18" in [e.code for e in annotate("Séjour codé J18.")]


def read(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def test_the_hand_written_notes_are_well_formed():
    notes = read("notes.jsonl")
    assert len(notes) >= 40 and len({n["person_id"] for n in notes}) >= 40
    assert len({n["note_id"] for n in notes}) == len(notes)
    for note in notes:
        assert note["text"].strip() and isinstance(note["person_id"], int), note["note_id"]
        for entity in note["entities"]:
            assert 0 <= entity["start"] < entity["end"] <= len(note["text"]), (note["note_id"], entity)
            assert note["text"][entity["start"]:entity["end"]] == entity["text"], (note["note_id"], entity)
            assert entity["label"] and all(isinstance(entity[k], bool) for k in ("negated", "hypothesis", "family")), entity


def test_the_queries_parse_and_their_answers_follow_from_the_labels():
    notes, queries = read("notes.jsonl"), read("queries.jsonl")

    def patients(concepts, context):
        def context_of(e):
            return "family" if e["family"] else "negated" if e["negated"] else "hypothetical" if e["hypothesis"] else "affirmed"
        return {n["person_id"] for n in notes for e in n["entities"] if e["label"] in concepts and context_of(e) == context}

    assert len(queries) >= 25 and len({q["id"] for q in queries}) == len(queries)
    held_out = sum(q["split"] == "test" for q in queries) / len(queries)
    assert {q["split"] for q in queries} == {"tune", "test"} and 0.25 <= held_out <= 0.35
    for query in queries:
        parse_query(query["query"])
        spec = query["relevant"]
        expected = set.intersection(*[patients(set(c), spec["context"]) for c in spec["all"]])
        for concepts in spec["none"]:
            expected -= patients(set(concepts), "affirmed")
        assert sorted(expected) == query["patients"], query["id"]


@pytest.mark.parametrize(("text", "flag"), [
    ("Résultats : Accident vasculaire cérébral ne peut être exclu.", "hypothesis"),
    ("Conclusion : Accident vasculaire cérébral non retrouvé.", "negated"),
    ("Résultats : Accident vasculaire cérébral nég.", "negated"),
])
def test_a_pipe_match_leaves_the_qualifier_after_it_outside(text, flag):
    """EDS-NLP's stroke pipe takes a word after its match ("AVC ne", "AVC non"): trimmed, the
    qualifier's cue is outside the entity again and qualifies it."""
    stroke = [e for e in annotate(text) if e.concept == "avc"]
    assert len(stroke) == 1 and getattr(stroke[0], flag), [(e.text, e.negated, e.hypothesis) for e in stroke]
