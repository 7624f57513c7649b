# Contains code adapted from EDS-NLP 0.23 (https://github.com/aphp/edsnlp):
# ``DirectTokenWrites.process`` and the ``_judge`` methods follow the ``process`` methods of
# ``NegationQualifier``, ``HypothesisQualifier`` and ``FamilyContextQualifier``
# (edsnlp/pipes/qualifiers/). Copyright 2021 Assistance Publique - Hôpitaux de Paris (AP-HP);
# BSD 3-Clause licence, whose text is in LICENSE-EDSNLP next to this file.
"""The qualifiers' verdicts on every token, written faster, with the same values.

Judging every token (``on_ents_only=False``), EDS-NLP builds a result object for each token and
then writes its verdict through spaCy's ``token._`` -- two ``Underscore`` objects per token and
qualifier: most of the qualifiers' time. ``DirectTokenWrites`` runs EDS-NLP's own cue and
boundary logic (edsnlp 0.23: ``get_cues``, ``_boundaries`` -- clinsearch's enumeration change
included --, ``filter_spans``, ``consume_spans``, entity results, all unchanged) but writes the
tokens' verdicts itself -- the same value, ``token._.x or verdict``, under the same key --
straight into the document's ``user_data``, where spaCy keeps extension values
(``spacy/tokens/underscore.py``: ``("._.", name, token.idx, None)``), all at once at the end. A
token is negated (or hypothetical) when a preceding cue ends before it or a following cue starts
after it: EDS-NLP's two ``any`` over the cues, once per token, are the same as two ranges of
tokens, from the earliest end on and before the latest start. Most of a note's ~50 boundaries
(sentences, terminations) hold no cue and no entity: their tokens are all False, and EDS-NLP's
``consume_spans``, which takes the leading spans its filter accepts, is called only where the
first span passes -- it would take nothing elsewhere.

``apply_to(nlp)`` gives each qualifier pipe of ``QUICKER`` (clinsearch's negation, hypothesis and family,
French and English, and EDS-NLP's family) its subclass here; ``remove_from(nlp)`` gives it its
class back. ``tests/nlp/test_qualifiers.py`` compares every token's and entity's values and cues
with EDS-NLP's own code, in French and English, on sentences and on demo notes through the full
pipeline.
"""

from __future__ import annotations

from edsnlp.pipes.qualifiers.base import RuleBasedQualifier
from edsnlp.pipes.qualifiers.family.family import EntFamilyResults, FamilyContextQualifier, FamilyResults
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import EntHypothesisResults, HypothesisResults
from edsnlp.pipes.qualifiers.negation.negation import EntNegationResults, NegationResults
from edsnlp.utils.filter import consume_spans, filter_spans
from edsnlp.utils.inclusion import check_inclusion
from edsnlp.utils.span_getters import get_spans
from spacy.attrs import IDX
from spacy.tokens import Doc, Span, Token

from clinsearch.nlp.qualifiers import EnglishHypothesis, EnglishNegation, EnumerationHypothesis, EnumerationNegation, ListedFamily


class DirectTokenWrites(RuleBasedQualifier):
    """Mixed into an EDS-NLP qualifier judging every token: ``process`` writes the tokens'
    verdicts itself and hands EDS-NLP's ``__call__`` only the entities' results. (A
    ``RuleBasedQualifier`` itself, so that the classes mixing it in have the same instance layout
    as EDS-NLP's, and a qualifier's class can be swapped for them and back.)"""
    qualifier = ""  # the token extension, also the name of the verdict in EDS-NLP's results
    results_type = ent_results_type = None  # EDS-NLP's result classes for this qualifier
    judged_labels = frozenset()  # the cues' labels that ``_judge`` reads

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
        # sorted by start, consumed boundary by boundary: each boundary takes the cues that start
        # in it, with or without the others (terminations...) that the verdicts do not read
        matches = [m for m in matches if m.label_ in self.judged_labels]
        ents, ent_results = [], []
        state = self._start(doc)
        judged = bytearray(len(doc))  # 1: the token is in a boundary (EDS-NLP writes its verdict)
        verdicts = bytearray(len(doc))  # 1: its verdict is True
        for start, end in boundaries:
            # EDS-NLP's consume_spans takes the leading spans its filter accepts: called only
            # where the first span passes (or entities wait for a second chance), it takes the same
            if ents or (entities and check_inclusion(entities[0], start, end)):
                ents, entities = consume_spans(entities, filter=lambda s, a=start, b=end: check_inclusion(s, a, b), second_chance=ents)
            sub_matches = []
            if matches and start <= matches[0].start < end:
                sub_matches, matches = consume_spans(matches, lambda s, a=start, b=end: a <= s.start < b)
            judged[start:end] = b"\x01" * (end - start)
            if not (sub_matches or ents or state):
                continue  # no cue, no entity, no section: every token's verdict is False
            true_ranges, ent_results_here = self._judge(doc, start, end, sub_matches, ents, state)
            for a, b in true_ranges:
                if a < b:
                    verdicts[a:b] = b"\x01" * (b - a)
            ent_results.extend(ent_results_here)
        _write_verdicts(doc, self.qualifier, default, judged, verdicts)
        return self.results_type(tokens=[], ents=ent_results)

    def _start(self, doc):
        return None


def _write_verdicts(doc, qualifier: str, default, judged: bytearray, verdicts: bytearray) -> None:
    """What EDS-NLP's token loop leaves in ``doc.user_data``: ``token._.x = token._.x or
    verdict`` for each judged token, under spaCy's key for a token extension."""
    store, offsets = doc.user_data, doc.to_array(IDX).tolist()
    keys = [("._.", qualifier, offsets[i], None) for i, j in enumerate(judged) if j]
    values = [bool(v) for v, j in zip(verdicts, judged) if j]
    if default or any(map(store.__contains__, keys)):
        values = [store.get(k, default) or v for k, v in zip(keys, values)]
    store.update(zip(keys, values))


class CueScopes(DirectTokenWrites):
    """Negation and hypothesis: cues before the words they qualify, or after them."""
    judged_labels = frozenset({"preceding", "following", "verbs_preceding", "verbs_following"})

    def _judge(self, doc, start, end, sub_matches, ents, state):
        """(token ranges whose verdict is True, entities' results) in the boundary [start, end)."""
        preceding = [m for m in sub_matches if m.label_ == "preceding"]
        following = [m for m in sub_matches if m.label_ == "following"]
        preceding += [m for m in sub_matches if m.label_ == "verbs_preceding"]
        following += [m for m in sub_matches if m.label_ == "verbs_following"]
        # EDS-NLP: token i is qualified when any(m.end <= i for m in preceding) or
        # any(m.start > i for m in following): i from the earliest end on, or before the latest start
        after = min((m.end for m in preceding), default=end)
        before = max((m.start for m in following), default=start)
        results = []
        for ent in ents:
            if self.within_ents:
                found = [m for m in preceding if m.end <= ent.end] + [m for m in following if m.start >= ent.start]
            else:
                found = [m for m in preceding if m.end <= ent.start] + [m for m in following if m.start >= ent.end]
            results.append(self.ent_results_type(ent=ent, cues=found, **{self.qualifier: bool(found)}))
        return [(start, min(before, end)), (max(after, start), end)], results


class FamilyWrites(DirectTokenWrites):
    """Family history: a cue, or the section "antécédents familiaux", makes its whole span family."""
    judged_labels = frozenset({"family"})

    def _start(self, doc):
        if not self.sections:
            return []
        return [Span(doc, s.start, s.end, label="FAMILY") for s in doc.spans["sections"] if s.label_ == "antécédents familiaux"]

    def _judge(self, doc, start, end, sub_matches, ents, sections):
        sub_sections, sections[:] = consume_spans(sections, lambda s: doc[start] in s)
        found = [m for m in sub_matches if m.label_ == "family"]
        found.extend(sub_sections)
        family = bool(found)
        return [(start, end)] if family else [], [EntFamilyResults(ent=ent, cues=found, family=family) for ent in ents]


class DirectEnumerationNegation(CueScopes, EnumerationNegation):
    qualifier = "negation"
    results_type, ent_results_type = NegationResults, EntNegationResults


class DirectEnumerationHypothesis(CueScopes, EnumerationHypothesis):
    qualifier = "hypothesis"
    results_type, ent_results_type = HypothesisResults, EntHypothesisResults


class DirectEnglishNegation(CueScopes, EnglishNegation):
    qualifier = "negation"
    results_type, ent_results_type = NegationResults, EntNegationResults


class DirectEnglishHypothesis(CueScopes, EnglishHypothesis):
    qualifier = "hypothesis"
    results_type, ent_results_type = HypothesisResults, EntHypothesisResults


class DirectFamily(FamilyWrites, FamilyContextQualifier):
    qualifier = "family"
    results_type = FamilyResults


class DirectListedFamily(FamilyWrites, ListedFamily):
    qualifier = "family"
    results_type = FamilyResults


# the qualifier classes of the pipelines -> their subclasses writing verdicts directly
QUICKER = {
    EnumerationNegation: DirectEnumerationNegation,
    EnumerationHypothesis: DirectEnumerationHypothesis,
    EnglishNegation: DirectEnglishNegation,
    EnglishHypothesis: DirectEnglishHypothesis,
    FamilyContextQualifier: DirectFamily,
    ListedFamily: DirectListedFamily,
}


def apply_to(nlp) -> int:
    """Give each qualifier of ``nlp`` found in ``QUICKER`` its direct-writing subclass, in place."""
    return _swap(nlp, QUICKER)


def remove_from(nlp) -> int:
    """Give each qualifier of ``nlp`` its class back."""
    return _swap(nlp, {quick: base for base, quick in QUICKER.items()})


def _swap(nlp, classes: dict) -> int:
    changed = 0
    for _, pipe in nlp.pipeline:
        new = classes.get(type(pipe))
        if new is not None:
            pipe.__class__ = new
            changed += 1
    return changed
