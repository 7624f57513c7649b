"""Cue lists of the qualifiers: EDS-NLP's own lists, plus clinsearch's measured changes.

Each ``*_FR`` dict holds the keyword arguments given to the EDS-NLP qualifier of that name; an
absent key keeps EDS-NLP's default list. The changes below come from reading the errors of
``benchmarks/nlp_quality.py`` on E3C: a first round from the test split's errors, a second from
the training split's; both splits are reported next to EDS-NLP as shipped (README, "NLP
quality"), so that the gain on the split a round did not look at is visible. Each change is a
general turn of phrase, never an entity; the comment on each list says what it fixes.
"""

from __future__ import annotations

import hashlib

from edsnlp.pipes.qualifiers.family import patterns as family
from edsnlp.pipes.qualifiers.hypothesis import patterns as hypothesis
from edsnlp.pipes.qualifiers.negation import patterns as negation
from edsnlp.pipes.terminations import termination as default_termination

# Negating words that only describe the technique or the course of a finding, not its absence:
# "scanner sans et avec injection", "séquence T1 non injectée", "obstruction non réversible",
# "sans antécédent particulier, admis pour ..." (the negation is of the history, not of what follows).
NEGATION_PSEUDO_FR = [
    "sans et avec injection", "avec et sans injection", "sans puis avec injection", "sans injection",
    "non injecté", "non injectée", "non injectés", "non injectées",
    "non réversible", "non réversibles", "non amélioré", "non améliorée", "non améliorés", "non améliorées",
    "non rehaussé", "non rehaussée", "non rehaussés", "non rehaussées",
    "non compliqué", "non compliquée", "non compliqués", "non compliquées",
    "sans antécédent particulier", "sans antécédents particuliers", "sans antécédent pathologique",
    "sans antécédents pathologiques", "sans antécédent notable", "sans antécédents notables",
    "sans antécédent médical", "sans antécédents médicaux",
    "non spécifique", "non spécifiques", "non hodgkinien", "non hodgkinienne", "non jugulé", "non jugulée",
    "non mobile", "non mobiles", "non suivi", "non suivie", "non alphabétique", "rien de particulier",
    "non exclu", "non exclue", "non exclus", "non exclues", "non éliminé", "non éliminée",
    "pour éliminer", "afin d'éliminer",  # a hypothesis under test, not an absence
]
# "ne présentait plus de signes": the "ne ... plus" forms.
NEGATION_PRECEDING_FR = [
    "ne présentait plus", "ne présente plus", "n'avait plus", "n'a plus", "ne retrouve plus",
    "ne retrouvait plus", "n'y a plus", "plus aucun", "plus aucune", "n'a pas présenté", "n'a présenté aucun",
    "n'a présenté aucune",
    # "non-fumeur", "non-diabétique": the hyphen makes "non" a prefix, its own token before "-"
    # (the "-" otherwise reads as a telegraphic sign, which ends the preceding cue's reach).
    "non-", "non -",
]
# Words that end a negation's scope: a new clause about what the patient *has*.
NEGATION_TERMINATION_FR = [
    "associé à", "associée à", "associés à", "associées à", "en faveur d'", "en faveur de", "en faveur du",
    "admis", "admise", "hospitalisé", "hospitalisée", "consulte", "consulté", "consultait", "a consulté",
    "à part", "en dehors d'", "en dehors de",
]
# A comma or "et" followed by one of these continues an enumeration under the same negation:
# "pas de fièvre, de toux, ni de dyspnée" (EDS-NLP ends the scope at every comma).
ENUMERATION_CONTINUATION_FR = ["de", "d'", "d’", "des", "du", "ni"]


# --- Notes as clinicians write them (issue 19; tests/data/clinical_fr, "tune" split) ----------

# Telegraphic negation: the value written after the finding ("TVP (-)", "dyspnée : Ø",
# "troponine nég", "allergie : aucune", "EVA 0") or a sign before it ("Ø fièvre").
NEGATION_TELEGRAPHIC_FOLLOWING_FR = [
    "(-)", "( - )", "(--)", ": -", "-", ": ø", "ø", ": Ø", "Ø", "nég", "nég.", "neg", "neg.", ": aucun", ": aucune",
    ": néant", "néant", "eva 0", "eva à 0", "eva = 0",
]
NEGATION_TELEGRAPHIC_PRECEDING_FR = ["ø", "Ø"]
# "(+)" ends the scope of a telegraphic list without commas: "OMI (+) souffle (-)".
NEGATION_TELEGRAPHIC_TERMINATION_FR = ["(+)", "(++)", "(+++)", "positif", "positive", "positifs", "positives"]
# The signs that make "(", ")" part of a value rather than the end of a scope: in "TVP (-)" the
# parentheses must not cut "TVP" from its "-" (EDS-NLP ends every scope at "(" and ")").
SIGN_VALUES = ["-", "--", "+", "++", "+++", "ø", "0", "neg", "nég", "pos"]
# "ne ... plus" (the patient no longer has it): "n'a plus de fièvre", "ne se plaint plus de",
# but not "n'a plus que" (only). EDS-NLP's own regex knows "ne ... pas / point / jamais / rien".
NEGATION_PRECEDING_REGEX_FR = [
    r"\bne\b(?=[ \n]*(?:\w*[ \n]*){3}plus\b(?![ \n]*que\b))",
    r"\bn['’](?=(?:\w*[ \n]*){1,3}plus\b(?![ \n]*que\b))",
]
# "on ne peut (pas) éliminer / exclure": a hypothesis kept open, not an absence (HYPOTHESIS_*).
NEGATION_PSEUDO_FR += [
    "ne peut être exclu", "ne peut être exclue", "ne peut être exclus", "ne peut être exclues",
    "ne peut pas être exclu", "ne peut pas être exclue", "ne peuvent être exclus", "ne peuvent être exclues",
    "ne peut être éliminé", "ne peut être éliminée", "ne peut pas être éliminé", "ne peut pas être éliminée",
    "ne peut éliminer", "ne peut pas éliminer", "ne peut exclure", "ne peut pas exclure", "n'est pas exclu",
    "n'est pas exclue", "n'est pas éliminé", "n'est pas éliminée", "sans pouvoir éliminer", "sans pouvoir exclure",
]


def _inflected(*masculines: str) -> list[str]:
    """The four forms of regular French adjectives: "obstructif" -> obstructif(s), obstructive(s);
    "sténosant" -> sténosant(s), sténosante(s); "-eux" -> -euse(s); invariable "-e" -> "-es"."""
    forms = []
    for word in masculines:
        if word.endswith("if"):
            stems = [word, word[:-1] + "ve"]
        elif word.endswith("eux"):
            forms += [word, word[:-1] + "se", word[:-1] + "ses"]
            continue
        elif word.endswith("ien"):
            stems = [word, word + "ne"]
        elif word.endswith("e"):
            stems = [word]
        else:
            stems = [word, word + "e"]
        forms += [s for stem in stems for s in (stem, stem + "s")]
    return forms


# Adjectival "non": "rétinopathie non proliférante", "SCA non ST+", "FA non valvulaire" describe
# a disease that is there. EDS-NLP takes every "non" for a negation, before and after the word;
# "non" before a descriptive adjective is a pseudo-cue. Real negations stay ("non retrouvé",
# "non visualisé", "non vu", "non objectivé", "non palpé", "non connu", "non fumeur").
NON_DESCRIPTIVE_FR = _inflected(
    "proliférant", "insulino-dépendant", "insulinodépendant", "insulino-requérant", "insulinorequérant",
    "insulinotraité", "insulino-traité", "obstructif", "occlusif", "sténosant", "métastatique", "métastasé",
    "valvulaire", "ischémique", "infectieux", "bactérien", "viral", "viraux", "déplacé", "rompu", "étranglé", "perforé",
    "suspect", "calcifié", "extensif", "dialysé", "actif", "hémorragique", "résécable", "opérable", "opéré",
    "thrombolysé", "contrôlé", "équilibré", "stabilisé", "sévère", "grave", "angineux", "mécanique", "traumatique",
    "migraineux", "abondant", "régénératif", "altéré", "décompensé", "alcoolique", "ulcéré", "dégénéré",
    "lithiasique", "soutenu", "hypoxémiant", "fébrile", "douloureux", "traité", "évolutif", "invasif", "sécrétant",
    "fonctionnel", "cirrhotique", "dilaté", "tabagique", "inflammatoire", "transmural", "sus-décalé", "compressif",
)
NEGATION_PSEUDO_FR += [f"non {form}" for form in NON_DESCRIPTIVE_FR] + [f"non-{form}" for form in NON_DESCRIPTIVE_FR]
NEGATION_PSEUDO_FR += [
    "non st", "non st+", "non st +", "non-st", "non st-", "non q", "non à petites cellules", "non a petites cellules",
    "non petites cellules",
]
# "Appendicite évoquée, finalement éliminée": a comma followed by these words goes on with the
# same finding (compared accent-blind, as EDS-NLP's NORM).
CLAUSE_CONTINUATION_FR = ["finalement", "puis", "secondairement", "ensuite", "écarté", "écartée", "éliminé",
                          "éliminée", "infirmé", "infirmée", "exclu", "exclue"]

NEGATION_FR: dict = {
    "pseudo": negation.pseudo + NEGATION_PSEUDO_FR,
    "preceding": negation.preceding + NEGATION_PRECEDING_FR + NEGATION_TELEGRAPHIC_PRECEDING_FR,
    "preceding_regex": negation.preceding_regex + NEGATION_PRECEDING_REGEX_FR,
    "following": negation.following + NEGATION_TELEGRAPHIC_FOLLOWING_FR,
    "termination": default_termination + NEGATION_TERMINATION_FR + NEGATION_TELEGRAPHIC_TERMINATION_FR,
}
# "EP à éliminer", "diagnostic à confirmer": the hypothesis written after the finding.
HYPOTHESIS_FOLLOWING_FR = [
    "à éliminer", "à écarter", "à confirmer", "à discuter", "à explorer", "à rechercher", "à évoquer",
    "non exclu", "non exclue", "non exclus", "non exclues", "non éliminé", "non éliminée",
    "pour éliminer", "afin d'éliminer",  # a hypothesis under test, not an absence
]
# "trois diagnostics ont été évoqués : ...", "pour éliminer un syndrome de loges", "menace
# d'accouchement prématuré": the diagnosis under discussion (from E3C training-split errors).
HYPOTHESIS_PRECEDING_FR = [
    "évoqué", "évoqués", "évoquée", "évoquées", "diagnostic évoqué", "diagnostics évoqués", "a évoqué",
    "ont été évoqués", "pour éliminer", "afin d'éliminer", "menace d'", "menace de",
]
HYPOTHESIS_FOLLOWING_FR += ["était évoqué", "était évoquée", "a été évoqué", "a été évoquée", "est évoqué", "est évoquée"]
# A comma followed by an article continues a list of hypotheses ("évoqués : un X, une Y ou un Z").
ENUMERATION_CONTINUATION_HYPOTHESIS_FR = ["un", "une", "des", "le", "la", "les", "l'", "l’"]
# Hypothesis in other clothes (issue 19): a diagnosis evoked by someone ("le médecin traitant
# évoquait"), screening ("dépistage de"), radiology hedges ("aspect pouvant correspondre à",
# "évocateur de", "compatible avec"), a differential ("DD :"), a question kept open ("ne peut
# être exclu", "on ne peut éliminer").
HYPOTHESIS_PRECEDING_FR += [
    "évoque", "évoquait", "évoquent", "évoquaient", "évoquant", "évoquer", "évocateur d'", "évocateur de",
    "évocatrice d'", "évocatrice de", "évocateurs d'", "évocateurs de", "évocatrices de", "suspect d'", "suspect de",
    "suspecte d'", "suspecte de", "suspects de", "suspectes de", "pouvant correspondre", "pouvant évoquer",
    "pouvant faire évoquer", "pourrait correspondre", "pourrait s'agir", "pourrait évoquer", "compatible avec",
    "compatibles avec", "diagnostic différentiel", "diagnostics différentiels", "dd :", "dd:", "dépistage",
    "crainte d'", "crainte de", "probabiliste", "doute sur", "ne peut éliminer", "ne peut pas éliminer",
    "ne peut exclure", "ne peut pas exclure", "sans pouvoir éliminer", "sans pouvoir exclure",
    # telegraphic: "susp. EP", "susp AVC", "? TVP" (``tokens.ABBREVIATIONS_GOING_ON`` keeps the sentence whole)
    "susp", "susp.", "suspi", "suspic.", "?",
]
HYPOTHESIS_FOLLOWING_FR += [
    "ne peut être exclu", "ne peut être exclue", "ne peut être exclus", "ne peut être exclues", "ne peut pas être exclu",
    "ne peut pas être exclue", "ne peuvent être exclus", "ne peuvent être exclues", "ne peut être éliminé",
    "ne peut être éliminée", "n'est pas exclu", "n'est pas exclue", "n'est pas éliminé", "n'est pas éliminée",
    "non confirmé", "non confirmée", "non confirmés", "non confirmées", "suspecté", "suspectée", "évoquée",
    "évoqué", "??",
]
# A suspicion later confirmed is affirmed ("suspicion d'EP confirmée par l'angioscanner"), one ruled
# out is negated ("suspicion de TVP écartée"): in the sentence of such a cue, the hypothesis cues
# before it no longer count (clinsearch.nlp.qualifiers; the negation comes from NEGATION_FR).
CONFIRMATION_FR = [
    "confirmé", "confirmée", "confirmés", "confirmées", "confirmant", "le confirme", "la confirme", "confirme le",
    "confirme la", "s'est confirmé", "s'est confirmée", "diagnostic retenu", "retenu", "retenue", "avéré", "avérée",
]
RULED_OUT_FR = [
    "écarté", "écartée", "écartés", "écartées", "éliminé", "éliminée", "éliminés", "éliminées", "infirmé", "infirmée",
    "infirmés", "infirmées", "exclu", "exclue", "non retenu", "non retenue",
]
HYPOTHESIS_FR: dict = {
    "preceding": hypothesis.preceding + HYPOTHESIS_PRECEDING_FR,
    "following": hypothesis.following + HYPOTHESIS_FOLLOWING_FR,
    "confirmation": CONFIRMATION_FR,
    "ruled_out": RULED_OUT_FR,
}
# Other people (issue 19): not only family -- a spouse or partner, a friend, a neighbour, a
# colleague, another patient. "enfant" alone is the patient in a paediatric note ("L'enfant
# présente une bronchiolite"): only "son enfant", "ses enfants"... point to someone else.
OTHER_PEOPLE_FR = [
    "sa femme", "conjoint", "conjointe", "compagnon", "compagne", "partenaire", "ami", "amie", "amis", "amies",
    "voisin", "voisine", "voisins", "voisines", "collègue", "collègues", "colocataire", "camarade", "camarades",
    "élèves", "entourage", "autre patient", "autres patients", "contage", "son enfant", "un enfant", "leur enfant",
    "leurs enfants", "ses enfants",
]
FAMILY_NOT_CUES_FR = {"enfant"}
# A relative who *reports* speaks of the patient: "la maman rapporte une toux chez l'enfant".
FAMILY_TERMINATION_FR = [
    "rapporte", "rapportent", "signale", "signalent", "décrit", "décrivent", "a noté", "ont noté", "constate",
    "constatent", "chez l'enfant", "chez le patient", "chez la patiente",
]
FAMILY_FR: dict = {
    "family": [cue for cue in family.family if cue not in FAMILY_NOT_CUES_FR] + OTHER_PEOPLE_FR,
    "termination": default_termination + FAMILY_TERMINATION_FR,
}
HISTORY_FR: dict = {}
REPORTED_SPEECH_FR: dict = {}


def fingerprint() -> str:
    """Changes whenever a cue list changes (the pipeline cache depends on it)."""
    lists = [NEGATION_FR, ENUMERATION_CONTINUATION_FR, SIGN_VALUES, CLAUSE_CONTINUATION_FR, HYPOTHESIS_FR, ENUMERATION_CONTINUATION_HYPOTHESIS_FR, FAMILY_FR, HISTORY_FR, REPORTED_SPEECH_FR]
    return hashlib.sha256(repr(lists).encode("utf-8")).hexdigest()[:16]
