"""Annotating text: the entities the pipeline finds, with their codes and qualifiers.

>>> [(e.text, e.code, e.negated) for e in annotate("Pas d'embolie pulmonaire.", full=False)]
[('embolie pulmonaire', 'I26', True)]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

from spacy.attrs import IDX, LENGTH

from clinsearch.nlp.lexicon import LEXICON, load_eds_labels
from clinsearch.nlp.pipeline import QUALIFIERS, load_pipeline
from clinsearch.nlp.spans import non_overlapping

TARGET = "target"
EDS_LABELS = load_eds_labels()


@dataclass
class Entity:
    text: str
    start: int  # character offsets in the text
    end: int
    label: str  # cim10, drug, lexicon, target, date, measurement, tnm, or an EDS-NLP disorder
    code: str | None  # CIM-10 / ATC code, lexicon id, or the normalised value (dates, measurements)
    vocabulary: str | None  # CIM10, ATC, lexicon, date, measurement
    negated: bool
    hypothesis: bool
    family: bool
    history: bool
    reported: bool
    section: str | None
    concept: str | None = None  # lexicon id when the entity is a lexicon concept

    def as_dict(self) -> dict:
        return asdict(self)


# The contexts a stretch of text can be in, by precedence: a negated mention of a family
# member's disease is family; "pas de suspicion de ..." is negated. Text in none is affirmed.
CONTEXTS = ("family", "negated", "hypothetical")


@dataclass
class Context:
    """A stretch of text (character offsets) that is not an affirmed statement about the
    patient: the search index keeps it apart (DESIGN.md, search semantics)."""

    start: int
    end: int
    context: str  # one of CONTEXTS


@dataclass
class Analysis:
    entities: list[Entity]
    contexts: list[Context]


CHUNK = 20_000  # characters: longer texts are annotated in pieces cut at line ends


def annotate(text: str, lang: str = "fr", terms: Iterable[str] = (), full: bool = True) -> list[Entity]:
    """Entities of ``text``; ``terms`` are target phrases added to the matcher for this call."""
    return analyse(text, lang, terms, full).entities


def analyse(text: str, lang: str = "fr", terms: Iterable[str] = (), full: bool = True) -> Analysis:
    """Entities and contexts of ``text``.

    EDS-NLP's qualifiers cost grows faster than the length of a text (a 1 MB note takes over a
    minute in one piece), so texts longer than ``CHUNK`` are cut at line ends (else sentence
    ends) and their pieces annotated one by one; offsets stay those of the whole text."""
    result = Analysis([], [])
    for offset, piece in chunks(text):
        doc = process(piece, lang, tuple(terms), full)
        for entity in entities(doc):
            entity.start += offset
            entity.end += offset
            result.entities.append(entity)
        for span in contexts(doc):
            span.start += offset
            span.end += offset
            result.contexts.append(span)
    return result


def chunks(text: str, size: int = CHUNK) -> list[tuple[int, str]]:
    """(offset, piece) covering ``text``, each piece at most about ``size`` characters."""
    pieces, start = [], 0
    while len(text) - start > size:
        window = text[start: start + size]
        cut = max(window.rfind("\n"), window.rfind(". "))
        end = start + (cut + 1 if cut > size // 2 else size)
        pieces.append((start, text[start:end]))
        start = end
    pieces.append((start, text[start:]))
    return pieces


def process(text: str, lang: str = "fr", terms: tuple[str, ...] = (), full: bool = True, bare: bool = False):
    """The processed spaCy ``Doc`` (target terms matched just before the qualifiers run)."""
    nlp = load_pipeline(lang, full, bare)
    if not terms:
        return nlp(text)
    doc = nlp.make_doc(text)
    for name, component in nlp.pipeline:
        if name == QUALIFIERS[0]:
            doc = _add_targets(nlp, doc, terms)
        doc = component(doc)
    return doc


def _add_targets(nlp, doc, terms: tuple[str, ...]):
    from edsnlp.matchers.phrase import EDSPhraseMatcher

    matcher = EDSPhraseMatcher(nlp.vocab, attr="NORM", ignore_excluded=True)
    matcher.build_patterns(nlp=nlp, terms={TARGET: list(terms)})
    targets = list(matcher(doc, as_spans=True))
    if targets:
        # A target phrase wins over any entity it overlaps.
        kept = [e for e in doc.ents if not any(e.start < t.end and t.start < e.end for t in targets)]
        doc.ents = sorted(kept + non_overlapping(targets, lambda s: (s.start, s.end)), key=lambda s: s.start)
    return doc


def entities(doc) -> list[Entity]:
    sections = [(s.start, s.end, s.label_) for s in doc.spans.get("sections", [])]
    found = [_entity(span, sections) for span in doc.ents]
    for group, label in (("dates", "date"), ("measurements", "measurement")):
        for span in doc.spans.get(group, []):
            found.append(_entity(span, sections, label))
    return sorted(found, key=lambda e: (e.start, e.end))


def contexts(doc) -> list[Context]:
    """The runs of tokens in a context other than affirmed. The qualifiers judge every token
    (``on_ents_only=False``); inside an entity the entity's own qualifiers decide, so that the
    index and ``note_nlp`` always agree."""
    offsets = doc.to_array([IDX, LENGTH]).tolist() if len(doc) else []  # no Token objects made
    labels = _token_contexts(doc, [idx for idx, _ in offsets])
    for span in doc.ents:
        label = _context(span)
        for i in range(span.start, span.end):
            labels[i] = label
    runs: list[Context] = []
    previous = None
    for (idx, length), label in zip(offsets, labels):
        if label is not None:
            if previous == label:
                runs[-1].end = idx + length
            else:
                runs.append(Context(idx, idx + length, label))
        previous = label
    return runs


# Token extension values, by precedence (the last written wins): spaCy keeps them in
# ``doc.user_data`` under ("._.", name, token.idx, None); reading that dict once is ten times
# faster than asking every token through ``token._``.
_TOKEN_CONTEXTS = (("hypothesis", "hypothetical"), ("negation", "negated"), ("family", "family"))


def _token_contexts(doc, starts: list[int]) -> list[str | None]:
    """Each token's context (``starts``: the tokens' character offsets) from its qualifiers."""
    index = {idx: i for i, idx in enumerate(starts)}
    labels: list[str | None] = [None] * len(starts)
    wanted = dict(_TOKEN_CONTEXTS)
    found: dict[str, list[int]] = {name: [] for name in wanted}
    for key, value in doc.user_data.items():
        if value is True and isinstance(key, tuple) and len(key) == 4 and key[0] == "._." and key[1] in wanted and key[3] is None and key[2] in index:
            found[key[1]].append(index[key[2]])
    for name, context in _TOKEN_CONTEXTS:
        for i in found[name]:
            labels[i] = context
    return labels


def _context(obj) -> str | None:
    extensions = obj._
    for name, context in (("family", "family"), ("negation", "negated"), ("hypothesis", "hypothetical")):
        if _get(extensions, name):
            return context
    return None


def _entity(span, sections, label: str | None = None) -> Entity:
    label = label or span.label_
    extensions = span._  # one spaCy ``Underscore`` for all the reads
    code, vocabulary, concept = _code(span, label, extensions)
    section = next((name for start, end, name in sections if start <= span.start < end), None)
    return Entity(
        text=span.text,
        start=span.start_char,
        end=span.end_char,
        label="lexicon" if label in LEXICON else label,
        code=code,
        vocabulary=vocabulary,
        negated=bool(_get(extensions, "negation")),
        hypothesis=bool(_get(extensions, "hypothesis")),
        family=bool(_get(extensions, "family")),
        history=bool(_get(extensions, "history")),
        reported=bool(_get(extensions, "reported_speech")),
        section=section,
        concept=concept,
    )


def _code(span, label: str, extensions) -> tuple[str | None, str | None, str | None]:
    if label == "cim10":
        return span.kb_id_ or None, "CIM10", None
    if label == "drug":
        return span.kb_id_ or None, "ATC", None
    if label in LEXICON or label in EDS_LABELS:
        entry = LEXICON[EDS_LABELS.get(label, label)]
        vocabulary, code = entry.code or (None, None)
        return code, vocabulary, entry.id
    if label == "date":
        value = _get(extensions, "date")
        return (str(value) if value is not None else None), "date", None
    if label == "measurement":
        value = _get(extensions, "value")
        return (str(value) if value is not None else None), "measurement", None
    return None, None, None


def _get(extensions, name: str):
    """A span's extension value (``extensions``: its ``span._``), None when not registered."""
    return getattr(extensions, name, None)
