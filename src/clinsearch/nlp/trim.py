"""Fixes to entity spans before the qualifiers run: what an entity covers and what it names.

* **Trailing words.** Some EDS-NLP patterns take the word after a disorder into the span
  ("Accident vasculaire cérébral à" in "Accident vasculaire cérébral à éliminer"); the qualifier
  then cannot see the cue "à éliminer", which starts inside the span, and the suspected stroke
  reads as affirmed. ``trim_entities`` drops such trailing words (``TRAILING``) and punctuation.
* **EDS-NLP's comorbidity pipes as search entities** (``restrict_disorders``). They were built to
  score comorbidities (Charlson): ``eds.copd`` is "chronic pulmonary disease" (pulmonary
  hypertension, oxygen, sleep apnoea), ``eds.congestive_heart_failure`` takes atrial
  fibrillation, pacemakers and valve disease, ``eds.cerebrovascular_accident`` a thrombolysis.
  ``lexicon/eds_pipes.csv`` says, per pipe, which matches name which lexicon concept (the first
  pattern matching the folded span text wins); the others stay entities without a concept or a
  code (``UNNAMED``), so that no search finds them under the wrong name; the precision measured per
  pipe is in ``docs/clinical-language.md`` ("Entities").
* **Ambiguous abbreviations and look-alikes** (``disambiguate``). ``IC 95 %`` is a confidence
  interval, ``EP`` in a chest X-ray a pleural effusion, ``hypertension artérielle pulmonaire`` no
  arterial hypertension: ``abbreviations.csv`` holds, per concept and written form, rules on the
  words before or after the entity or on its sentence, each deciding ``drop`` or ``keep``; the
  first rule that matches decides, and an entity no rule matches is kept.
* **Words read as codes** (``written_code``). ``eds.cim10`` also matches a code written in the
  text, on its accent- and case-folded form: "à 50 ans" reads as A50 (congenital syphilis). A
  code a clinician writes is in capitals, without an accent or a space ("E11.9", "I21"); a match
  whose folded text is code-shaped but whose written text is not is dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from edsnlp.core import registry
from spacy.tokens import Doc, Span

from clinsearch.nlp.lexicon import load_eds_labels
from clinsearch.text import fold

TRAILING = {"à", "a", "au", "aux", "de", "d'", "du", "des", "le", "la", "les", "l'", "et", "ou", "en", "par", "pour", "sur", "avec", "sans",
            # the start of a qualifier after the finding, which a comorbidity pipe's pattern may swallow ("AVC ne peut être exclu", "AVC nég.")
            "non", "pas", "ne", "n'", "nég", "neg", "négatif", "négative", "positif", "positive"}
WHERE = ("after", "before", "sentence", "always")
EDS_LABELS = load_eds_labels()  # EDS-NLP pipe label -> the lexicon concept it stands for
UNNAMED = "disorder"  # the label of a comorbidity pipe's match that names none of the lexicon's concepts


@dataclass(frozen=True)
class Rule:
    """One disambiguation rule of ``abbreviations.csv``."""

    concept: str
    forms: frozenset[str]  # folded written forms (regular expressions) the rule applies to: "ic", "hypertension arterielle"
    where: str  # after, before, sentence (the folded text there is searched) or always
    pattern: re.Pattern | None
    action: str  # drop or keep


def _rows(package: str, name: str) -> list[dict]:
    return list(csv.DictReader(resources.files(package).joinpath(name).read_text("utf-8").splitlines()))


@lru_cache(maxsize=1)
def pipe_rules() -> dict[str, list[tuple[re.Pattern, str | None]]]:
    """EDS-NLP pipe label -> [(pattern, lexicon id or None to drop)], from ``lexicon/eds_pipes.csv``."""
    rules: dict[str, list[tuple[re.Pattern, str | None]]] = {}
    for row in _rows("clinsearch.nlp.lexicon", "eds_pipes.csv"):
        rules.setdefault(row["eds_label"], []).append((re.compile(row["pattern"]), row["lexicon_id"] or None))
    return rules


@lru_cache(maxsize=1)
def abbreviation_rules() -> dict[str, list[Rule]]:
    """Concept -> its rules in file order, from ``abbreviations.csv``."""
    rules: dict[str, list[Rule]] = {}
    for number, row in enumerate(_rows("clinsearch.nlp", "abbreviations.csv"), start=2):
        if row["where"] not in WHERE or row["action"] not in ("drop", "keep"):
            raise ValueError(f"abbreviations.csv line {number}: where must be one of {WHERE}, action drop or keep")
        pattern = re.compile(row["pattern"]) if row["pattern"] else None
        forms = frozenset(fold(f.strip()) for f in row["form"].split("|"))
        rules.setdefault(row["concept"], []).append(Rule(row["concept"], forms, row["where"], pattern, row["action"]))
    return rules


def restrict(spans) -> list[tuple[Span, str]]:
    """(span, lexicon id) for the spans of EDS-NLP comorbidity pipes kept as search entities."""
    table = pipe_rules()
    kept = []
    for span in spans:
        rules = table.get(span.label_)
        if rules is None:
            continue
        text = fold(span.text)
        concept = next((target for pattern, target in rules if pattern.search(text)), None)
        if concept:
            kept.append((span, concept))
    return kept


def restrict_disorders(doc: Doc) -> Doc:
    """The comorbidity pipes' entities with the lexicon concept they name: an entity keeps the
    pipe's label when it names the pipe's own concept (``lexicon/eds_labels.csv``), takes the
    lexicon id of the concept it names otherwise ("AC/FA": atrial fibrillation, not heart
    failure), and ``UNNAMED`` -- an entity with no code and no concept -- when it names none
    ("saignement", "apnées du sommeil" stay mentions of a disorder, searched by their words only).
    The unnamed ones wait in ``doc.spans`` until ``trim_entities``, after the lexicon matcher, so
    that they hide none of its matches ("stenté, FA paroxystique sous Eliquis": FA, Eliquis)."""
    table, own = pipe_rules(), EDS_LABELS
    if not any(span.label_ in table for span in doc.ents):
        return doc
    doc.ents = [cut_at_clause(span) if span.label_ in table else span for span in doc.ents]
    relabelled = {(s.start, s.end): concept for s, concept in restrict(doc.ents)}
    entities, unnamed = [], []
    for span in doc.ents:
        if span.label_ not in table:
            entities.append(span)
        elif (span.start, span.end) in relabelled:
            concept = relabelled[(span.start, span.end)]
            entities.append(span if own.get(span.label_) == concept else Span(doc, span.start, span.end, label=concept))
        else:  # a mention of something, but of no concept a search means by the pipe's name
            unnamed.append(Span(doc, span.start, span.end, label=UNNAMED))
    doc.ents = entities
    doc.spans[UNNAMED] = unnamed  # given back by ``trim_entities`` where no other entity took the words
    return doc


CLAUSE_ENDS = {",", ";", ":"}


def cut_at_clause(span: Span) -> Span:
    """A comorbidity pipe's match ends with its clause: the pipes look for their words within a
    window, which may run over a comma into the next finding ("Infarctus du myocarde confirmé,
    insuffisance cardiaque à confirmer"; "Infarctus cérébral chez le père, syndrome coronarien")."""
    for token in span[1:]:
        if token.text in CLAUSE_ENDS or token.is_sent_start:
            return Span(span.doc, span.start, token.i, label=span.label_)
    return span


def keeps(span: Span) -> bool:
    """Whether ``span`` (an entity labelled with a lexicon id) names its concept here."""
    rules = abbreviation_rules().get(EDS_LABELS.get(span.label_, span.label_))
    if not rules:
        return True
    form = fold(span.text)
    doc, sentence = span.doc, span.sent
    windows = {
        "after": lambda: fold(doc.text[span.end_char: sentence.end_char]),
        "before": lambda: fold(doc.text[sentence.start_char: span.start_char]),
        "sentence": lambda: fold(sentence.text),
    }
    for rule in rules:
        if not any(re.fullmatch(f, form) for f in rule.forms):
            continue
        if rule.where == "always" or rule.pattern.search(windows[rule.where]()):
            return rule.action == "keep"
    return True


CODE_SHAPED = re.compile(r"[a-z]\d{2}(?:\.?\d{1,2})?[+*]?\d?")
WRITTEN_CODE = re.compile(r"[A-Z]\d{2}(?:\.?\d{1,2})?[+*]?\d?")


def written_code(span: Span) -> bool:
    """Whether a CIM-10 match is not a code-shaped reading of ordinary words ("à 50")."""
    if span.label_ != "cim10" or not CODE_SHAPED.fullmatch(fold(span.text).replace(" ", "")):
        return True
    return bool(WRITTEN_CODE.fullmatch(span.text))


def disambiguate(doc: Doc) -> Doc:
    """The entities whose abbreviation or look-alike means something else here, dropped (and
    words read as codes, ``written_code``)."""
    table = abbreviation_rules()
    if any(EDS_LABELS.get(span.label_, span.label_) in table or span.label_ == "cim10" for span in doc.ents):
        entities = [span for span in doc.ents if keeps(span) and written_code(span)]
        if len(entities) != len(doc.ents):
            doc.ents = entities
    return doc


def trim_entities(doc: Doc) -> Doc:
    entities, changed = [], False
    for span in doc.ents:
        end = span.end
        while end - 1 > span.start and (doc[end - 1].is_punct or doc[end - 1].lower_ in TRAILING):
            end -= 1
        if end != span.end:
            span, changed = Span(doc, span.start, end, label=span.label, kb_id=span.kb_id), True
        entities.append(span)
    unnamed = doc.spans.get(UNNAMED, [])
    if len(unnamed):
        taken = {i for span in entities for i in range(span.start, span.end)}
        free = [span for span in unnamed if not any(i in taken for i in range(span.start, span.end))]
        if free:
            entities, changed = sorted(entities + free, key=lambda span: span.start), True
        del doc.spans[UNNAMED]
    if changed:
        doc.ents = entities
    return disambiguate(doc)


class TrimEntities:
    """The pipeline component running ``trim_entities`` (trailing words, then ``disambiguate``)."""

    def __init__(self, nlp=None, name: str = "trim_entities"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        return trim_entities(doc)


class RestrictDisorders:
    """The pipeline component running ``restrict_disorders``, right after the comorbidity pipes."""

    def __init__(self, nlp=None, name: str = "restrict_disorders"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        return restrict_disorders(doc)


create_component = registry.factory.register("clinsearch.trim_entities", assigns=["doc.ents"])(TrimEntities)
create_restrict = registry.factory.register("clinsearch.restrict_disorders", assigns=["doc.ents"])(RestrictDisorders)
