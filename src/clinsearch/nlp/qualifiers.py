"""clinsearch's changes to EDS-NLP's qualifier logic: enumerations, notes as clinicians write
them, and no French verbs in English.

EDS-NLP ends a cue's scope at every comma and at "et", so that in "pas de fièvre, de toux ni de
dyspnée" only "fièvre" is negated. ``EnumerationNegation`` keeps EDS-NLP's negation whole and
only drops the terminations that continue an enumeration: a comma or "et" followed by one of
``cues.ENUMERATION_CONTINUATION_FR`` ("de", "d'", "des", "du", "ni"), or a comma followed by one
of ``cues.CLAUSE_CONTINUATION_FR`` ("appendicite évoquée, finalement éliminée").
``EnumerationHypothesis`` does the same for hypotheses ("diagnostics évoqués : un sarcome, une
tumeur ovarienne ...").

Telegraphic notes (issue 19): in "TVP (-)" the parentheses hold the value of the finding, so a
"(" or ")" around a sign (``cues.SIGN_VALUES``) ends no scope; in English "Chest pain: denies",
"Edema: absent", a colon followed by a negative value (``cues_en.NEGATIVE_VALUES_EN``) ends none
either. A bare "-" is a negation cue only when it stands alone ("frissons : -", "weakness -"),
never inside "non-obstructif" or "X-ray".

Confirmed and ruled out: a hypothesis qualifier takes two more cue lists, ``confirmation`` and
``ruled_out`` ("suspicion d'EP confirmée", "suspected PE, ruled out by CT"): in the sentence of
such a cue, the hypothesis cues before it are dropped, unless a clause ends between them (a comma
not followed by ``cues.CLAUSE_CONTINUATION_FR``: "EP à confirmer, TVP confirmée") -- a suspicion
later confirmed is affirmed, one ruled out is left to the negation (DESIGN.md, search semantics). A cue of these lists that
overlaps another cue ("non confirmée", "pas confirmé") counts as that other cue.

A relative heading a list: in "Mère : diabète gestationnel sous insuline, HTA gravidique" (a
newborn's note), "Mother: diabetes, hypertension", every item is the relative's, though
EDS-NLP's family scope ends at the first comma. ``HeadedFamily`` drops the commas and "et"
("and") that follow a family cue directly followed by a colon, up to the end of its line.

English: EDS-NLP conjugates French verbs into cues, and given an empty list of verbs it takes
*every* French verb (``edsnlp.utils.resources.get_verbs`` returns all verbs for ``[]``), which
makes "trace" or "place" negation cues in English text. ``EnglishNegation`` and
``EnglishHypothesis`` conjugate no verb.

Everything here goes through the two methods EDS-NLP's ``process`` and the speed-ups' share
(``get_cues``, ``_boundaries``), so the verdicts are the same with the speed-ups on or off
(``clinsearch.nlp.speedups.qualifiers`` subclasses these classes).
"""

from __future__ import annotations

import unicodedata
from typing import List, Optional, Set, Union

from edsnlp.core import registry
from edsnlp.pipes.qualifiers.base import RuleBasedQualifier
from edsnlp.pipes.qualifiers.family.family import FamilyContextQualifier
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier
from edsnlp.utils.span_getters import SpanGetterArg

from clinsearch.nlp import cues, cues_en

HYPOTHESIS_LABELS = frozenset({"preceding", "following", "verbs_preceding", "verbs_following"})


def accentless(words: list[str]) -> frozenset[str]:
    """``words`` as EDS-NLP's NORM writes them (lower case, no accents)."""
    return frozenset("".join(c for c in unicodedata.normalize("NFD", w.lower()) if not unicodedata.combining(c)) for w in words)


ENUMERATION_NEGATION = accentless(cues.ENUMERATION_CONTINUATION_FR)
CLAUSE_CONTINUATION = accentless(cues.CLAUSE_CONTINUATION_FR)
ENUMERATION_HYPOTHESIS = accentless(cues.ENUMERATION_CONTINUATION_HYPOTHESIS_FR)
SIGNS = accentless(cues.SIGN_VALUES)
NEGATIVE_VALUES_EN = accentless(cues_en.NEGATIVE_VALUES_EN)


class TelegraphicCues(RuleBasedQualifier):
    """Negation cues as telegraphic notes write them: a bare "-" counts only standing alone. (A
    ``RuleBasedQualifier`` itself, so that the classes mixing it in keep EDS-NLP's instance layout
    and the speed-ups can swap their class.)"""

    def get_cues(self, doc, spans=None):
        matches = [m for m in super().get_cues(doc, spans) if not _dash_inside_word(m)]
        return _value_after_finding(_terminations_inside_cues_dropped(matches))


class EnumerationNegation(TelegraphicCues, NegationQualifier):
    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not (_continues_enumeration(t, ENUMERATION_NEGATION)
                                                      or _continues_clause(t) or _holds_a_sign(t))]
        return super()._boundaries(doc, kept)


class SettledHypothesis(RuleBasedQualifier):
    """A hypothesis qualifier with ``confirmation`` and ``ruled_out`` cue lists (module docstring)."""

    # EDS-NLP's registry validates the keyword arguments by name: HypothesisQualifier's, written out.
    def __init__(self, nlp, name: Optional[str] = "hypothesis", *, pseudo: Optional[List[str]] = None,
                 preceding: Optional[List[str]] = None, following: Optional[List[str]] = None,
                 verbs_eds: Optional[List[str]] = None, verbs_hyp: Optional[List[str]] = None,
                 termination: Optional[List[str]] = None, attr: str = "NORM", span_getter: Optional[SpanGetterArg] = None,
                 on_ents_only: Union[bool, str, List[str], Set[str]] = True, within_ents: bool = False,
                 explain: bool = False, confirmation: Optional[List[str]] = None, ruled_out: Optional[List[str]] = None):
        super().__init__(nlp, name, pseudo=pseudo, preceding=preceding, following=following, verbs_eds=verbs_eds,
                         verbs_hyp=verbs_hyp, termination=termination, attr=attr, span_getter=span_getter,
                         on_ents_only=on_ents_only, within_ents=within_ents, explain=explain)
        settled = {"confirmation": list(confirmation or []), "ruled_out": list(ruled_out or [])}
        self.phrase_matcher.build_patterns(nlp=nlp, terms={k: v for k, v in settled.items() if v})

    def get_cues(self, doc, spans=None):
        matches = _terminations_inside_cues_dropped(super().get_cues(doc, spans))
        settling = [m for m in matches if m.label_ in ("confirmation", "ruled_out")]
        others = [m for m in matches if m.label_ not in ("confirmation", "ruled_out")]
        settling = [s for s in settling if not any(o.start < s.end and s.start < o.end for o in others)]
        if not settling:
            return others
        stops = {t.start for t in others if t.label_ == "termination" and not (_goes_on(t) or _continues_enumeration(t, ENUMERATION_HYPOTHESIS))}
        stops |= {t.i for t in doc if t.text in (",", ";") and not (_goes_on(doc[t.i:t.i + 1]) or _continues_enumeration(doc[t.i:t.i + 1], ENUMERATION_HYPOTHESIS))}
        return [m for m in others if not (m.label_ in HYPOTHESIS_LABELS and any(_settles(s, m, sorted(stops)) for s in settling))]


class EnumerationHypothesis(SettledHypothesis, HypothesisQualifier):
    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not _continues_enumeration(t, ENUMERATION_HYPOTHESIS)]
        return super()._boundaries(doc, kept)


class HeadedFamily(RuleBasedQualifier):
    """Family cues heading a list with a colon keep the whole line (module docstring)."""

    def get_cues(self, doc, spans=None):
        return _list_after_heading_kept(super().get_cues(doc, spans))


class ListedFamily(HeadedFamily, FamilyContextQualifier):
    pass


LIST_SEPARATORS = frozenset({",", "et", "and"})


def _list_after_heading_kept(matches: list) -> list:
    """Without the colon, commas and "et" on the line after "<family cue> :" ("Mère : A, B, C")."""
    heads = [m for m in matches if m.label_ == "family" and m.end < len(m.doc) and m.doc[m.end].text == ":"]
    if not heads:
        return matches
    return [m for m in matches if not (m.label_ == "termination" and any(_in_list(h, m) for h in heads))]


def _in_list(head, termination) -> bool:
    if termination.start == head.end:  # the colon itself (a termination in English)
        return True
    return termination.text.lower() in LIST_SEPARATORS and _on_line_after(head, termination)


def _on_line_after(head, termination) -> bool:
    doc = head.doc
    return head.end < termination.start and not any("\n" in doc[i].text_with_ws for i in range(head.end, termination.start))


# After a comma, the words that go on about the same finding ("Suspicion d'EP, confirmée par ...",
# "suspected PE, ruled out by CT"): no clause ends there for a confirmation or a ruling out.
SETTLING_GOES_ON = CLAUSE_CONTINUATION | accentless(cues.CONFIRMATION_FR) | accentless(cues.RULED_OUT_FR) | accentless(
    [w for cue in (*cues_en.HYPOTHESIS_EN["confirmation"], *cues_en.HYPOTHESIS_EN["ruled_out"]) for w in cue.split()[:1]]
    + ["later", "then", "subsequently", "finally", "eventually"])


def _settles(settling, cue, stops: list[int]) -> bool:
    """A confirmation or a ruling out settles a hypothesis cue before it in its sentence, unless
    a clause ends between them ("EP à confirmer, TVP confirmée": the EP is still a hypothesis)."""
    return cue.sent.start == settling.sent.start and cue.start < settling.start and not any(cue.end <= t < settling.start for t in stops)


def _goes_on(termination) -> bool:
    doc = termination.doc
    return termination.text == "," and termination.end < len(doc) and doc[termination.end].norm_ in SETTLING_GOES_ON


def _continues_enumeration(termination, continuations: frozenset[str]) -> bool:
    if termination.text not in (",", "et"):
        return False
    doc = termination.doc
    following = doc[termination.end] if termination.end < len(doc) else None
    return following is not None and following.norm_ in continuations


def _continues_clause(termination) -> bool:
    """A comma followed by "finalement", "puis", "écartée"...: the same finding goes on."""
    doc = termination.doc
    return termination.text == "," and termination.end < len(doc) and doc[termination.end].norm_ in CLAUSE_CONTINUATION


def _holds_a_sign(termination) -> bool:
    """ "(" or ")" of "(-)", "(+)", "(nég)": the value of the finding before it, not a new clause."""
    doc, i = termination.doc, termination.start
    if termination.text == "(":
        return i + 2 < len(doc) and doc[i + 1].norm_ in SIGNS and doc[i + 2].text == ")"
    if termination.text == ")":
        return i >= 2 and doc[i - 1].norm_ in SIGNS and doc[i - 2].text == "("
    return False


def _terminations_inside_cues_dropped(matches: list) -> list:
    """A termination inside a longer cue is part of it: "compatible avec", "incompatible avec"
    (EDS-NLP would end the cue's scope at its own "avec")."""
    covered = set()
    for m in matches:
        if m.label_ != "termination" and len(m) > 1:
            covered.update(range(m.start, m.end))
    if not covered:
        return matches
    return [m for m in matches if not (m.label_ == "termination" and m.start in covered and m.end - 1 in covered)]


def _value_after_finding(matches: list) -> list:
    """A word that is both a preceding and a following cue ("negative", "non") and ends its
    clause ("HIV test negative, ...", "Fièvre : non.") is the value of what comes before it."""
    following = {(m.start, m.end) for m in matches if m.label_ == "following"}
    if not following:
        return matches
    doc = matches[0].doc
    return [m for m in matches if not (m.label_ == "preceding" and (m.start, m.end) in following
                                       and (m.end >= len(doc) or doc[m.end].is_punct))]


def _dash_inside_word(match) -> bool:
    """A cue made of a bare "-" glued to a word: "non-obstructive", "X-ray", "ST-"."""
    if match.text != "-":
        return False
    doc, i = match.doc, match.start
    glued_before = i > 0 and not doc[i - 1].whitespace_
    glued_after = bool(match[-1].whitespace_ == "" and i + 1 < len(doc) and doc[i + 1].is_alpha)
    return glued_before or glued_after


def _colon_before_value(termination) -> bool:
    """English "Chest pain: denies", "Edema: absent": the colon introduces the finding's value."""
    doc = termination.doc
    return termination.text == ":" and termination.end < len(doc) and doc[termination.end].norm_ in NEGATIVE_VALUES_EN


class EnglishNegation(TelegraphicCues, NegationQualifier):
    def load_verbs(self, verbs):
        return [], []

    def _boundaries(self, doc, terminations=None):
        kept = [t for t in terminations or [] if not (_colon_before_value(t) or _holds_a_sign(t))]
        return super()._boundaries(doc, kept)


class EnglishHypothesis(SettledHypothesis, HypothesisQualifier):
    def load_verbs(self, verbs_hyp, verbs_eds):
        return [], []


# Registered like EDS-NLP's own pipes, so that pipelines add them by name.
create_component = registry.factory.register("clinsearch.negation", assigns=["span._.negation"])(EnumerationNegation)
create_hypothesis = registry.factory.register("clinsearch.hypothesis", assigns=["span._.hypothesis"])(EnumerationHypothesis)
create_english_negation = registry.factory.register("clinsearch.negation_en", assigns=["span._.negation"])(EnglishNegation)
create_english_hypothesis = registry.factory.register("clinsearch.hypothesis_en", assigns=["span._.hypothesis"])(EnglishHypothesis)
create_family = registry.factory.register("clinsearch.family", assigns=["span._.family"])(ListedFamily)
