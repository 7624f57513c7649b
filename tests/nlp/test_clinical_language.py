"""Qualifiers on notes as clinicians write them (issue 19): telegraphic negation, adjectival
"non", other people than the patient, hypothesis in other clothes -- in French and in English.

Each sentence is marked up (``tests/nlp/markup.py``); the marked words are given to the pipeline
as target terms, so that these tests pin the qualifiers whatever the lexicon finds. The
sentences are written for these tests, not taken from ``tests/data/clinical_*``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinsearch.nlp.annotate import annotate
from tests.nlp.markup import check, parse

DATA = Path(__file__).resolve().parent.parent / "data"


def assert_marked(marked: str, lang: str = "fr") -> None:
    text, expected = parse(marked)
    check(annotate(text, lang, tuple(e["text"] for e in expected), full=False), expected)


@pytest.mark.parametrize("marked", [
    "<ent negated>Souffle systolique</ent> (-)",
    "Cardio : <ent negated>frottement</ent> (-), <ent>OMI</ent> (+), <ent negated>reflux hépato-jugulaire</ent> (-)",
    "Cardio : <ent>OMI</ent> (+) <ent negated>souffle</ent> (-)",
    "<ent negated>Hémoptysie</ent> : Ø",
    "Ø <ent negated>vomissement</ent>, Ø <ent negated>diarrhée</ent>",
    "<ent negated>Toxoplasmose</ent> nég.",
    "<ent negated>Urée</ent> : - / <ent negated>créatinine</ent> : -",
    "La patiente n'a plus de <ent negated>vertiges</ent> depuis l'arrêt du traitement",
    "Il ne ressent plus de <ent negated>palpitations</ent>",
    "<ent negated>Réaction allergique</ent> : aucune",
])
def test_telegraphic_negation_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Il n'a plus que des <ent>céphalées</ent> matinales",  # "ne ... plus que": only, not an absence
    "<ent>Épanchement</ent> non-compressif et <ent>hématome</ent> (+)",
])
def test_telegraphic_affirmations_stay_affirmed_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "<ent>Néphropathie diabétique</ent> non proliférante",
    "<ent>Diabète de type 2</ent> non insulino-requérant",
    "<ent>SCA</ent> non ST+ inférieur",
    "<ent>Sténose de l'artère rénale</ent> non sténosante",
    "<ent>Carcinome hépatocellulaire</ent> non métastatique",
    "<ent>Fibrillation auriculaire</ent> non valvulaire",
    "<ent>Artériopathie</ent> non occlusive",
    "<ent>Colite</ent> non infectieuse",
])
def test_adjectival_non_describes_a_disease_that_is_there_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "<ent negated>Fracture</ent> non visualisée",
    "<ent negated>Calcul</ent> non retrouvé",
])
def test_non_before_a_finding_verb_still_negates_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Son conjoint présente une <ent family>hépatite B</ent>",
    "Sa compagne est suivie pour un <ent family>lupus</ent>",
    "Un ami proche a une <ent family>tuberculose</ent>",
    "Sa voisine a eu une <ent family>méningite</ent>",
    "Le colocataire est porteur d'une <ent family>gale</ent>",
    "Un collègue de bureau a une <ent family>coqueluche</ent>",
])
def test_other_people_are_not_the_patient_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Mère : <ent family>diabète gestationnel</ent> sous <ent family>insuline</ent>, <ent family>HTA gravidique</ent>.",
    "Père : <ent family>infarctus</ent> à 50 ans, <ent family>AVC</ent> et <ent family>cancer du côlon</ent>",
    # the list ends with its line: the next line is the patient's again
    "Sœur : <ent family>lupus</ent>\nPatiente : <ent>asthme</ent>, <ent>eczéma</ent>",
    # without the colon the cue's scope still ends at the comma, as in EDS-NLP
    "Mère diabétique, <ent>HTA</ent> chez la patiente",
])
def test_a_relative_heading_a_list_has_every_item_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Conclusion : susp. <ent hypothesis>EP</ent>.",
    "Résultats : susp <ent hypothesis>AVC</ent>, <ent>pneumopathie</ent> (+)",
    "<ent hypothesis>TVP</ent> ?",
    # a confirmation settles the hypothesis of its own clause, not of the one before
    "Conclusion : <ent hypothesis>EP</ent> à confirmer, <ent>phlébite</ent> confirmée.",
    "Suspicion d'<ent>EP</ent>, confirmée par l'angioscanner.",
])
def test_telegraphic_hypothesis_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "L'enfant est hospitalisé pour une <ent>gastro-entérite</ent>",
    "Enfant de 7 ans, <ent>asthme</ent> mal contrôlé",
    "La maman signale une <ent>fièvre</ent> chez l'enfant depuis la veille",
])
def test_the_child_of_a_paediatric_note_is_the_patient_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Le médecin traitant évoquait une <ent hypothesis>thrombose</ent>",
    "Aspect pouvant correspondre à une <ent hypothesis>métastase</ent> hépatique",
    "Image compatible avec une <ent hypothesis>embolie</ent>",
    "Tableau évocateur d'une <ent hypothesis>pancréatite</ent>",
    "Une <ent hypothesis>cardiopathie</ent> ne peut être exclue",
    "On ne peut éliminer une <ent hypothesis>péritonite</ent>",
    "Dépistage d'une <ent hypothesis>hépatite C</ent>",
    "<ent hypothesis>Pneumopathie</ent> à confirmer",
])
def test_hypothesis_in_other_clothes_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Suspicion de <ent>thrombose</ent> confirmée par le doppler",
    "<ent>Cholécystite</ent> suspectée puis confirmée à l'échographie",
])
def test_a_suspicion_later_confirmed_is_affirmed_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "Suspicion de <ent negated>pneumothorax</ent> écartée par la radiographie",
    "<ent negated>Occlusion</ent> évoquée, finalement éliminée par le scanner",
])
def test_a_suspicion_ruled_out_is_negated_not_hypothetical_fr(marked):
    assert_marked(marked)


@pytest.mark.parametrize("marked", [
    "<ent negated>Leukocytes</ent> (-), <ent negated>nitrites</ent> (-)",
    "<ent negated>Strep test</ent> negative.",
    "<ent negated>Lyme titer</ent> neg.",
    "<ent negated>Vomiting</ent>: denies.",
    "<ent negated>Tenderness</ent>: absent.",
    "Neuro: <ent negated>tremor</ent> -, <ent negated>ataxia</ent> -",
    "She no longer has <ent negated>palpitations</ent>.",
    "<ent negated>Effusion</ent> not appreciated on ultrasound.",
])
def test_telegraphic_negation_en(marked):
    assert_marked(marked, "en")


@pytest.mark.parametrize("marked", [
    "<ent>Non-obstructive coronary disease</ent> on angiogram.",
    "<ent>Cardiomyopathy</ent>, non-ischemic.",
    "<ent>Lung cancer</ent>, non-small cell, stage II.",
    "<ent>Cough</ent>, non-productive, for 3 days.",
    "Chest <ent>X-ray</ent> showed <ent>pneumonia</ent>.",
])
def test_adjectival_non_describes_a_disease_that_is_there_en(marked):
    assert_marked(marked, "en")


@pytest.mark.parametrize("marked", [
    "Her husband has <ent family>hepatitis B</ent> infection.",
    "His girlfriend was treated for <ent family>gonorrhea</ent>.",
    "A classmate has <ent family>measles</ent>.",
    "Her roommate had <ent family>influenza</ent> last week.",
    "Father reports <ent>wheezing</ent> in the child at night.",
])
def test_other_people_are_not_the_patient_en(marked):
    assert_marked(marked, "en")


@pytest.mark.parametrize("marked", [
    "Mother: <ent family>diabetes</ent>, <ent family>hypertension</ent> and <ent family>asthma</ent>.",
    "Brother: <ent family>epilepsy</ent>\nPatient: <ent>migraine</ent>, <ent>asthma</ent>",
])
def test_a_relative_heading_a_list_has_every_item_en(marked):
    assert_marked(marked, "en")


@pytest.mark.parametrize("marked", [
    "Findings could represent <ent hypothesis>abscess</ent>.",
    "Screening for <ent hypothesis>prostate cancer</ent>.",
    "Work-up for <ent hypothesis>syncope</ent>.",
    "DDx: <ent hypothesis>gout</ent> vs <ent hypothesis>cellulitis</ent>.",
    "Suspected <ent>cholecystitis</ent>, confirmed by ultrasound.",
    "Suspected <ent negated>fracture</ent>, ruled out by x-ray.",
    "Cannot exclude <ent hypothesis>abscess</ent>.",
])
def test_hypothesis_in_other_clothes_en(marked):
    assert_marked(marked, "en")


@pytest.mark.parametrize("folder", ["clinical_fr", "clinical_en"])
def test_the_hand_written_sets_are_well_formed(folder):
    rows = [json.loads(line) for line in (DATA / folder / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= (300 if folder == "clinical_fr" else 150)
    ids = set()
    for row in rows:
        assert set(row) == {"id", "text", "entities", "family_of_error", "split"}, row["id"]
        assert row["id"] not in ids
        ids.add(row["id"])
        assert row["split"] in ("tune", "test")
        assert row["entities"], row["id"]
        for entity in row["entities"]:
            assert set(entity) == {"start", "end", "label", "negated", "hypothesis", "family"}, row["id"]
            assert 0 <= entity["start"] < entity["end"] <= len(row["text"]), row["id"]
            mention = row["text"][entity["start"]:entity["end"]]
            assert mention == mention.strip() and mention, row["id"]
            assert all(isinstance(entity[k], bool) for k in ("negated", "hypothesis", "family")), row["id"]
    share = sum(r["split"] == "test" for r in rows) / len(rows)
    assert 0.25 <= share <= 0.35
