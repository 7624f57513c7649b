"""clinsearch's one change to EDS-NLP's qualifier logic: negation runs on through enumerations.

EDS-NLP ends a cue's scope at every comma and at "et", so that in "pas de fièvre, de toux ni de
dyspnée" only "fièvre" is negated. ``EnumerationNegation`` keeps EDS-NLP's negation whole and
only drops the terminations that continue an enumeration: a comma or "et" followed by one of
``cues.ENUMERATION_CONTINUATION_FR`` ("de", "d'", "des", "du", "ni").

And one change of speed, none of logic: judging every token (``on_ents_only=False``), EDS-NLP
writes each token's verdict through spaCy's ``token._`` -- two ``Underscore`` objects per token
and qualifier, a third of the qualifiers' time. ``DirectTokenWrites`` writes the same value,
``token._.x or verdict``, under the same key straight into the document's ``user_data``, where
spaCy keeps extension values (``spacy/tokens/underscore.py``: ``("._.", name, token.idx, None)``).
"""

from __future__ import annotations

from edsnlp.core import registry
from edsnlp.pipes.qualifiers.family.family import FamilyContextQualifier
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier
from spacy.tokens import Token

from clinsearch.nlp import cues


class DirectTokenWrites:
    """Mixed into an EDS-NLP qualifier: its per-token verdicts are written by ``process`` itself,
    directly, and handed on empty to EDS-NLP's ``__call__``, which then writes the entities'."""

    qualifier = ""  # the token extension, also the name of the verdict in EDS-NLP's results

    def process(self, doc_like):
        results = super().process(doc_like)
        default, method, getter, setter = Token.get_extension(self.qualifier)
        if self.on_ents_only or not results.tokens or method or getter or setter:
            return results
        data, name = doc_like.doc.user_data, self.qualifier
        for verdict in results.tokens:
            key = ("._.", name, verdict.token.idx, None)
            data[key] = data.get(key, default) or getattr(verdict, name)
        results.tokens = []
        return results


class EnumerationNegation(DirectTokenWrites, NegationQualifier):
    qualifier = "negation"

    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, cues.ENUMERATION_CONTINUATION_FR)]
        return super()._boundaries(doc, kept)


class EnumerationHypothesis(DirectTokenWrites, HypothesisQualifier):
    """The same for hypotheses: "diagnostics évoqués : un sarcome, une tumeur ovarienne ..."."""

    qualifier = "hypothesis"

    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, cues.ENUMERATION_CONTINUATION_HYPOTHESIS_FR)]
        return super()._boundaries(doc, kept)


class Family(DirectTokenWrites, FamilyContextQualifier):
    qualifier = "family"


# Registered like EDS-NLP's own pipes, so that pipelines add them by name.
create_component = registry.factory.register("clinsearch.negation", assigns=["span._.negation"])(EnumerationNegation)
create_hypothesis = registry.factory.register("clinsearch.hypothesis", assigns=["span._.hypothesis"])(EnumerationHypothesis)
create_family = registry.factory.register("clinsearch.family", assigns=["span._.family"])(Family)


def _continues_enumeration(termination, continuations: list[str]) -> bool:
    if termination.text not in (",", "et"):
        return False
    doc = termination.doc
    following = doc[termination.end] if termination.end < len(doc) else None
    return following is not None and following.norm_ in continuations


# English: EDS-NLP conjugates French verbs into cues, and given an empty list of verbs it takes
# *every* French verb (edsnlp.utils.resources.get_verbs returns all verbs for []), which makes
# "trace" or "place" negation cues in English text. These subclasses conjugate no verb.
class EnglishNegation(DirectTokenWrites, NegationQualifier):
    qualifier = "negation"

    def load_verbs(self, verbs):
        return [], []


class EnglishHypothesis(DirectTokenWrites, HypothesisQualifier):
    qualifier = "hypothesis"

    def load_verbs(self, verbs_hyp, verbs_eds):
        return [], []


create_english_negation = registry.factory.register("clinsearch.negation_en", assigns=["span._.negation"])(EnglishNegation)
create_english_hypothesis = registry.factory.register("clinsearch.hypothesis_en", assigns=["span._.hypothesis"])(EnglishHypothesis)
