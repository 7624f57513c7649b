"""clinsearch's changes to EDS-NLP's qualifier logic: enumerations, and no French verbs in English.

EDS-NLP ends a cue's scope at every comma and at "et", so that in "pas de fièvre, de toux ni de
dyspnée" only "fièvre" is negated. ``EnumerationNegation`` keeps EDS-NLP's negation whole and
only drops the terminations that continue an enumeration: a comma or "et" followed by one of
``cues.ENUMERATION_CONTINUATION_FR`` ("de", "d'", "des", "du", "ni"). ``EnumerationHypothesis``
does the same for hypotheses ("diagnostics évoqués : un sarcome, une tumeur ovarienne ...").

English: EDS-NLP conjugates French verbs into cues, and given an empty list of verbs it takes
*every* French verb (``edsnlp.utils.resources.get_verbs`` returns all verbs for ``[]``), which
makes "trace" or "place" negation cues in English text. ``EnglishNegation`` and
``EnglishHypothesis`` conjugate no verb.

These change what the pipeline finds, on purpose (README, "NLP quality"), with the speed-ups on
or off. The speed-ups give these classes faster subclasses with the same verdicts
(``clinsearch.nlp.speedups.qualifiers``).
"""

from __future__ import annotations

from edsnlp.core import registry
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier

from clinsearch.nlp import cues


class EnumerationNegation(NegationQualifier):
    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, cues.ENUMERATION_CONTINUATION_FR)]
        return super()._boundaries(doc, kept)


class EnumerationHypothesis(HypothesisQualifier):
    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, cues.ENUMERATION_CONTINUATION_HYPOTHESIS_FR)]
        return super()._boundaries(doc, kept)


def _continues_enumeration(termination, continuations: list[str]) -> bool:
    if termination.text not in (",", "et"):
        return False
    doc = termination.doc
    following = doc[termination.end] if termination.end < len(doc) else None
    return following is not None and following.norm_ in continuations


class EnglishNegation(NegationQualifier):
    def load_verbs(self, verbs):
        return [], []


class EnglishHypothesis(HypothesisQualifier):
    def load_verbs(self, verbs_hyp, verbs_eds):
        return [], []


# Registered like EDS-NLP's own pipes, so that pipelines add them by name.
create_component = registry.factory.register("clinsearch.negation", assigns=["span._.negation"])(EnumerationNegation)
create_hypothesis = registry.factory.register("clinsearch.hypothesis", assigns=["span._.hypothesis"])(EnumerationHypothesis)
create_english_negation = registry.factory.register("clinsearch.negation_en", assigns=["span._.negation"])(EnglishNegation)
create_english_hypothesis = registry.factory.register("clinsearch.hypothesis_en", assigns=["span._.hypothesis"])(EnglishHypothesis)
