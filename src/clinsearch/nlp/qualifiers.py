"""clinsearch's one change to EDS-NLP's qualifier logic: negation runs on through enumerations.

EDS-NLP ends a cue's scope at every comma and at "et", so that in "pas de fièvre, de toux ni de
dyspnée" only "fièvre" is negated. ``EnumerationNegation`` keeps EDS-NLP's negation whole and
only drops the terminations that continue an enumeration: a comma or "et" followed by one of
``cues.ENUMERATION_CONTINUATION_FR`` ("de", "d'", "des", "du", "ni").

And one change of speed, none of logic: judging every token (``on_ents_only=False``), EDS-NLP
builds a result object for each token and then writes its verdict through spaCy's ``token._`` --
two ``Underscore`` objects per token and qualifier: most of the qualifiers' time.
``DirectTokenWrites`` runs EDS-NLP's own ``process`` (edsnlp 0.23, ``NegationQualifier``,
``HypothesisQualifier``, ``FamilyContextQualifier``: cues, boundaries, entity results, all
unchanged) but writes each token's verdict as it is decided -- the same value, ``token._.x or
verdict``, under the same key -- straight into the document's ``user_data``, where spaCy keeps
extension values (``spacy/tokens/underscore.py``: ``("._.", name, token.idx, None)``). A token
is negated (or hypothetical) when a preceding cue ends before it or a following cue starts after
it: EDS-NLP's two ``any`` over the cues, once per token, are the same as comparing the token with
the earliest end and the latest start. ``tests/nlp/test_qualifiers.py`` compares every token's
and entity's values and cues with EDS-NLP's own code, in French and English.
"""

from __future__ import annotations

from edsnlp.core import registry
from edsnlp.pipes.qualifiers.family.family import EntFamilyResults, FamilyContextQualifier, FamilyResults
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import EntHypothesisResults, HypothesisQualifier, HypothesisResults
from edsnlp.pipes.qualifiers.negation.negation import EntNegationResults, NegationQualifier, NegationResults
from edsnlp.utils.filter import consume_spans, filter_spans
from edsnlp.utils.inclusion import check_inclusion
from edsnlp.utils.span_getters import get_spans
from spacy.attrs import IDX
from spacy.tokens import Doc, Span, Token

from clinsearch.nlp import cues


class DirectTokenWrites:
    """Mixed into an EDS-NLP qualifier judging every token: ``process`` writes the tokens'
    verdicts itself and hands EDS-NLP's ``__call__`` only the entities' results."""

    qualifier = ""  # the token extension, also the name of the verdict in EDS-NLP's results
    results_type = ent_results_type = None  # EDS-NLP's result classes for this qualifier

    def process(self, doc_like):
        default, method, getter, setter = Token.get_extension(self.qualifier)
        if self.on_ents_only or method or getter or setter or not isinstance(doc_like, Doc):
            return super().process(doc_like)
        doc = doc_like
        entities = list(get_spans(doc, self.span_getter))
        matches = self.get_cues(doc, None)
        terminations = [m for m in matches if m.label_ == "termination"]
        boundaries = self._boundaries(doc, terminations)
        matches = filter_spans(matches, label_to_remove="pseudo")  # duplicates and pseudo-cues out
        store, offsets = doc.user_data, doc.to_array(IDX).tolist()
        ents, ent_results = None, []
        state = self._start(doc)
        for start, end in boundaries:
            ents, entities = consume_spans(entities, filter=lambda s, a=start, b=end: check_inclusion(s, a, b), second_chance=ents)
            sub_matches, matches = consume_spans(matches, lambda s, a=start, b=end: a <= s.start < b)
            verdict, ent_results_here = self._judge(doc, start, end, sub_matches, ents, state)
            for i in range(start, end):
                key = ("._.", self.qualifier, offsets[i], None)
                store[key] = store.get(key, default) or verdict(i)
            ent_results.extend(ent_results_here)
        return self.results_type(tokens=[], ents=ent_results)

    def _start(self, doc):
        return None


class CueScopes(DirectTokenWrites):
    """Negation and hypothesis: cues before the words they qualify, or after them."""

    def _judge(self, doc, start, end, sub_matches, ents, state):
        preceding = [m for m in sub_matches if m.label_ == "preceding"]
        following = [m for m in sub_matches if m.label_ == "following"]
        preceding += [m for m in sub_matches if m.label_ == "verbs_preceding"]
        following += [m for m in sub_matches if m.label_ == "verbs_following"]
        after = min((m.end for m in preceding), default=end)  # any(m.end <= i for m in preceding)
        before = max((m.start for m in following), default=start)  # any(m.start > i for m in following)
        results = []
        for ent in ents:
            if self.within_ents:
                found = [m for m in preceding if m.end <= ent.end] + [m for m in following if m.start >= ent.start]
            else:
                found = [m for m in preceding if m.end <= ent.start] + [m for m in following if m.start >= ent.end]
            results.append(self.ent_results_type(ent=ent, cues=found, **{self.qualifier: bool(found)}))
        return (lambda i: i >= after or i < before), results


class EnumerationNegation(CueScopes, NegationQualifier):
    qualifier = "negation"
    results_type, ent_results_type = NegationResults, EntNegationResults

    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, cues.ENUMERATION_CONTINUATION_FR)]
        return super()._boundaries(doc, kept)


class EnumerationHypothesis(CueScopes, HypothesisQualifier):
    """The same for hypotheses: "diagnostics évoqués : un sarcome, une tumeur ovarienne ..."."""

    qualifier = "hypothesis"
    results_type, ent_results_type = HypothesisResults, EntHypothesisResults

    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, cues.ENUMERATION_CONTINUATION_HYPOTHESIS_FR)]
        return super()._boundaries(doc, kept)


class Family(DirectTokenWrites, FamilyContextQualifier):
    """Family history: a cue, or the section "antécédents familiaux", makes its whole span family."""

    qualifier = "family"
    results_type = FamilyResults

    def _start(self, doc):
        if not self.sections:
            return []
        return [Span(doc, s.start, s.end, label="FAMILY") for s in doc.spans["sections"] if s.label_ == "antécédents familiaux"]

    def _judge(self, doc, start, end, sub_matches, ents, sections):
        sub_sections, sections[:] = consume_spans(sections, lambda s: doc[start] in s)
        found = [m for m in sub_matches if m.label_ == "family"]
        found.extend(sub_sections)
        family = bool(found)
        return (lambda i: family), [EntFamilyResults(ent=ent, cues=found, family=family) for ent in ents]


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
class EnglishNegation(CueScopes, NegationQualifier):
    qualifier = "negation"
    results_type, ent_results_type = NegationResults, EntNegationResults

    def load_verbs(self, verbs):
        return [], []


class EnglishHypothesis(CueScopes, HypothesisQualifier):
    qualifier = "hypothesis"
    results_type, ent_results_type = HypothesisResults, EntHypothesisResults

    def load_verbs(self, verbs_hyp, verbs_eds):
        return [], []


create_english_negation = registry.factory.register("clinsearch.negation_en", assigns=["span._.negation"])(EnglishNegation)
create_english_hypothesis = registry.factory.register("clinsearch.hypothesis_en", assigns=["span._.hypothesis"])(EnglishHypothesis)
