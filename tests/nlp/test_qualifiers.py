"""The French qualifiers on real turns of phrase, as marked-up sentences."""

from __future__ import annotations

import pytest

from clinsearch.nlp.annotate import annotate
from tests.nlp.markup import check, parse
from tests.nlp.modes import speedups_applied

SENTENCES = [
    # affirmed, with the lexicon's codes
    "Patient présentant une <ent code=I26>embolie pulmonaire</ent> confirmée.",
    "<ent code=I10>HTA</ent> connue, traitée.",
    # negation
    "Pas d'<ent negated code=I26>embolie pulmonaire</ent>.",
    "Absence d'<ent negated>EP</ent> à l'angioscanner.",
    "Le patient ne présente pas de <ent negated>BPCO</ent>.",
    # "non-" as a prefix: its own token before the hyphen
    "Mode de vie : non-<ent negated code=F17>fumeur</ent>, sédentaire.",
    "Patiente non-<ent negated>diabétique</ent>, sans allergie connue.",
    "<ent>Diabète</ent> non-insulinodépendant sous metformine.",
    "Aucun argument pour une <ent negated>TVP</ent>.",
    "Pas de fièvre, de <ent negated>dyspnée</ent> ni de <ent negated>douleur thoracique</ent>.",
    "Scanner sans et avec injection : <ent>embolie pulmonaire</ent> bilatérale.",
    "Sans antécédent particulier, admis pour <ent>pneumopathie</ent>.",
    # hypothesis
    "Suspicion d'<ent hypothesis>EP</ent>.",
    "<ent hypothesis>Embolie pulmonaire</ent> à éliminer.",
    "Bilan à la recherche d'un <ent hypothesis>diabète</ent>.",
    "Possible <ent hypothesis>FA</ent>, à explorer.",
    # family
    "Antécédents familiaux : <ent family history>HTA</ent> chez la mère.",  # "antécédents" also marks history
    "Mère <ent family>diabétique</ent>.",
    "Père suivi pour une <ent family>BPCO</ent>.",
    # history
    "Antécédent d'<ent history code=I21>IDM</ent> en 2015.",
    # abbreviations are case-sensitive: "ait" is a verb, "AIT" a transient ischaemic attack
    "Il faut qu'il ait un suivi. Bilan d'<ent code=G45>AIT</ent> récent.",
]


@pytest.mark.parametrize("marked", SENTENCES)
def test_french_qualifiers_on_marked_up_sentences(marked):
    text, expected = parse(marked)
    check(annotate(text, full=False), expected)


def test_a_lower_case_abbreviation_is_not_an_entity():
    assert [e.text for e in annotate("Il faut qu'il ait un suivi.", full=False)] == []


def test_target_terms_are_matched_and_qualified():
    entities = annotate("Pas de lombalgie mécanique ce jour.", terms=["lombalgie mécanique"], full=False)
    assert [(e.text, e.label, e.negated) for e in entities] == [("lombalgie mécanique", "target", True)]


ENGLISH = [
    "The patient denies <ent negated>chest pain</ent>.",
    "No <ent negated>fever</ent>, chills or cough.",
    "<ent negated>Pneumonia</ent> was ruled out.",
    "Possible <ent hypothesis>pneumonia</ent>.",
    "Mother had <ent family>breast cancer</ent>.",
    "History of <ent history>MI</ent>.",
    "There is trace <ent>pneumonia</ent>.",  # French verb conjugations ("trace") are not English cues
    "No change in the size of the <ent>pleural effusion</ent>.",
]


@pytest.mark.parametrize("marked", ENGLISH)
def test_english_qualifiers_on_marked_up_sentences(marked):
    text, expected = parse(marked)
    check(annotate(text, "en", terms=["pleural effusion"], full=False), expected)


@pytest.mark.parametrize(
    "marked",
    [
        "Trois diagnostics ont été évoqués : un <ent hypothesis>cancer du poumon</ent>, une <ent hypothesis>pneumopathie</ent> ou une <ent hypothesis>EP</ent>.",
        "Angioscanner pour éliminer une <ent hypothesis>EP</ent>.",
        "Une <ent hypothesis>embolie pulmonaire</ent> était évoquée.",
    ],
)
def test_diagnoses_under_discussion_are_hypotheses(marked):
    text, expected = parse(marked)
    check(annotate(text, full=False), expected)


QUALIFIERS = ("negation", "hypothesis", "family")


def token_verdicts(nlp, text: str) -> list[tuple]:
    doc = nlp(text)
    def cues(spans):
        return [(c.start, c.end, c.label_) for c in spans or []]

    stored = sorted((k, v) for k, v in doc.user_data.items() if isinstance(k, tuple) and k[:1] == ("._.",) and k[1] in QUALIFIERS and k[3] is None)
    return [stored] + [(t.i, t._.negation, t._.hypothesis, t._.family) for t in doc] + [
        (e.start, e.end, e._.negation, e._.hypothesis, e._.family, cues(e._.negation_cues), cues(e._.hypothesis_cues), cues(e._.family_cues))
        for e in doc.ents
    ]


def with_edsnlp_process(nlp, monkeypatch) -> None:
    """``nlp``'s three qualifiers with EDS-NLP's own ``process`` (which leaves the token writes
    to EDS-NLP's ``__call__``)."""
    import types

    from edsnlp.pipes.qualifiers.family.family import FamilyContextQualifier
    from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
    from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier

    for name, base in zip(QUALIFIERS, (NegationQualifier, HypothesisQualifier, FamilyContextQualifier)):
        pipe = nlp.get_pipe(name)
        monkeypatch.setattr(pipe, "process", types.MethodType(base.process, pipe))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_direct_token_writes_give_every_token_the_value_edsnlp_writes(lang, monkeypatch):
    """speedups.qualifiers.DirectTokenWrites only changes how the verdicts are stored: with
    EDS-NLP's own ``process``, every token and entity ends with the same values, under the same keys."""
    from clinsearch.nlp.pipeline import load_pipeline

    texts = [parse(s)[0] for s in SENTENCES] if lang == "fr" else [
        "No evidence of pulmonary embolism, fever or chest pain.",
        "Rule out DVT. Possible atrial fibrillation.",
        "Mother with diabetes; father had a stroke. The patient denies chest pain.",
    ]
    with speedups_applied(load_pipeline(lang, full=False)) as nlp, monkeypatch.context() as patch:
        assert type(nlp.get_pipe("negation")).__module__ == "clinsearch.nlp.speedups.qualifiers"
        ours = [token_verdicts(nlp, t) for t in texts]
        with_edsnlp_process(nlp, patch)
        assert [token_verdicts(nlp, t) for t in texts] == ours
    assert any(v[1] is False for doc in ours for v in doc[1:]) and any(v[1] is True for doc in ours for v in doc[1:])


def test_direct_token_writes_on_demo_notes_through_the_full_pipeline(nlp, demo_texts, monkeypatch):
    """The same on whole notes: sections (family history), dozens of boundaries, entities of
    every pipe, entities across boundaries, cues that qualify nothing and cues that do."""
    texts = demo_texts[:12] + [
        "Antécédents familiaux :\nMère diabétique, père HTA.\n\nAntécédents :\nPas d'IDM. Suspicion d'EP.\n",
        # entities across a termination (a comma, "et"): EDS-NLP gives them a second chance
        "Pas de diabète de type 2, compliqué d'une rétinopathie et d'une néphropathie. Insuffisance rénale chronique, stade 3, connue.",
        "Diabète de type 2, compliqué d'une rétinopathie. Le reste est exclu. Le bilan est négatif.",
    ]
    with speedups_applied(nlp), monkeypatch.context() as patch:
        assert type(nlp.get_pipe("family")).__module__ == "clinsearch.nlp.speedups.qualifiers"
        ours = [token_verdicts(nlp, t) for t in texts]
        with_edsnlp_process(nlp, patch)
        assert [token_verdicts(nlp, t) for t in texts] == ours
    values = [v for doc in ours for v in doc[1:] if len(v) == 4]
    for position in (1, 2, 3):  # negated, hypothetical and family tokens all occur
        assert any(v[position] is True for v in values)
