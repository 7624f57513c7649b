"""The NLP measured on a hospital's own annotated notes (``clinsearch nlp evaluate PATH``).

Two formats are read, and a bad file is refused with its name and line (``AnnotationError``):

* **BRAT standoff** (brat.nlplab.org/standoff.html), as EDS-NLP's ``read_standoff`` and medkit
  read it: ``NAME.txt`` and ``NAME.ann`` side by side, entities as ``T1<TAB>LABEL START END<TAB>text``
  (discontinuous spans ``START END;START END``), qualifiers as attributes, binary
  (``A1<TAB>Negation T1``) or valued (``A2<TAB>Assertion T1 hypothetical``). Which attribute names
  and values mean negated, hypothesis and family is data (``evaluation_attributes.json``).
  Relations, events, normalisations and notes (``R``, ``E``, ``N``, ``#``, ``*`` lines) are ignored.
* **JSON lines**: one note per line, ``{"text": ..., "entities": [{"start", "end", "label",
  "negated", "hypothesis", "family"}]}`` (character offsets, end exclusive; qualifiers default false).

What is measured, each as precision, recall and F1:

* **entities, per label**: a gold entity is found when the pipeline finds an entity that overlaps
  it (or has exactly its span, ``exact=True``) and carries its label -- the label is compared with
  the predicted entity's lexicon concept, code (a code label such as ``E11`` covers ``E11.9``),
  EDS-NLP label or kind (``cim10``, ``drug``, ``date`` ...), case and accents ignored. Precision
  counts the predicted entities that carry the label. The ``all`` row compares spans whatever the
  label, among the predictions that carry one of the labels the annotators used.
* **qualifiers** (negated, hypothesis, family): every gold entity is given to the pipeline as a
  target term (the ``annotate --term`` mechanism, as ``benchmarks/nlp_quality.py`` does), so the
  qualifiers are judged on every annotated mention, found by the entity recognition or not.

>>> note = AnnotatedNote("n1", "Pas de fièvre.", [GoldEntity(7, 13, "fievre", "fièvre", negated=True)])
>>> prf(tp=3, predicted=4, gold=6)
{'precision': 0.75, 'recall': 0.5, 'f1': 0.6}
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

QUALIFIERS = ("negated", "hypothesis", "family")
IGNORED_BRAT = ("R", "E", "N", "#", "*")


class AnnotationError(ValueError):
    """An annotation file that cannot be read: the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line = str(path), line
        super().__init__(f"{path}{f':{line}' if line else ''}: {message}")


@dataclass
class GoldEntity:
    start: int
    end: int
    label: str
    text: str
    negated: bool = False
    hypothesis: bool = False
    family: bool = False


@dataclass
class AnnotatedNote:
    name: str  # file name, or file:line for JSON lines
    text: str
    entities: list[GoldEntity] = field(default_factory=list)


# -- reading ------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def attribute_names() -> dict:
    """The attribute names and values that mean each qualifier (``evaluation_attributes.json``)."""
    raw = json.loads(resources.files("clinsearch.nlp").joinpath("evaluation_attributes.json").read_text("utf-8"))
    return {q: {k: frozenset(fold(v) for v in raw[q][k]) for k in ("names", "true_values", "false_values")} for q in QUALIFIERS}


def fold(text: str) -> str:
    """Lower case, no accents, no dots or surrounding spaces: ``"Négation"`` → ``"negation"``."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(".", "")


def read_annotations(path: Path) -> list[AnnotatedNote]:
    """Every annotated note under ``path``: a ``.jsonl`` file, a ``.ann`` (or ``.txt``) file of a
    BRAT pair, or a folder of both (searched recursively, in name order)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".ann", ".jsonl") and p.is_file())
        if not files:
            raise AnnotationError(path, None, "no annotation file here (expected NAME.txt + NAME.ann pairs, or .jsonl files)")
        return [note for f in files for note in read_annotations(f)]
    if not path.exists():
        raise AnnotationError(path, None, "no such file or folder")
    if path.suffix in (".jsonl", ".json"):
        return read_jsonl(path)
    if path.suffix in (".ann", ".txt"):
        return [read_brat(path.with_suffix(".txt"), path.with_suffix(".ann"))]
    raise AnnotationError(path, None, "unknown annotation format (expected .ann + .txt for BRAT, or .jsonl)")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AnnotationError(path, None, f"not UTF-8 text (byte {exc.start})") from None
    except FileNotFoundError:
        raise AnnotationError(path, None, "no such file") from None


def read_brat(txt: Path, ann: Path) -> AnnotatedNote:
    """One BRAT document. Offsets index the .txt as written (BRAT keeps CRLF line ends)."""
    if not txt.exists():
        raise AnnotationError(txt, None, f"missing: {ann.name} needs its text beside it, {txt.name}")
    try:
        text = txt.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnnotationError(txt, None, f"not UTF-8 text (byte {exc.start})") from None
    entities: dict[str, GoldEntity] = {}
    attributes: list[tuple[int, str, str, str | None]] = []
    for number, line in enumerate(_read_text(ann).splitlines(), start=1):
        if not line.strip() or line.startswith(IGNORED_BRAT):
            continue
        fields = line.split("\t")
        if line.startswith("T"):
            entities[fields[0]] = _brat_entity(ann, number, fields, text)
        elif line.startswith(("A", "M")):
            parts = fields[1].split() if len(fields) > 1 else []
            if len(parts) not in (2, 3):
                raise AnnotationError(ann, number, f"an attribute line is 'A1<TAB>NAME T1 [VALUE]', not {line!r}")
            attributes.append((number, parts[0], parts[1], parts[2] if len(parts) == 3 else None))
        else:
            raise AnnotationError(ann, number, f"not a BRAT standoff line (T, A, M, R, E, N, # or *): {line[:60]!r}")
    for number, name, target, value in attributes:
        if target not in entities:
            raise AnnotationError(ann, number, f"attribute {name} refers to {target}, which is not an entity of this file")
        _apply(entities[target], name, value)
    return AnnotatedNote(ann.with_suffix("").name, text, sorted(entities.values(), key=lambda e: (e.start, e.end)))


def _brat_entity(ann: Path, number: int, fields: list[str], text: str) -> GoldEntity:
    if len(fields) < 3:
        raise AnnotationError(ann, number, "an entity line is 'T1<TAB>LABEL START END<TAB>text'")
    label, _, offsets = fields[1].partition(" ")
    try:
        spans = [tuple(int(x) for x in piece.split()) for piece in offsets.split(";")]
    except ValueError:
        raise AnnotationError(ann, number, f"offsets must be integers, not {offsets!r}") from None
    if not label or not spans or any(len(s) != 2 or not 0 <= s[0] < s[1] <= len(text) for s in spans):
        raise AnnotationError(ann, number, f"bad span {offsets!r} (the text has {len(text)} characters)")
    written = " ".join(text[s:e] for s, e in spans)
    if fields[2] != written and " ".join(fields[2].split()) != " ".join(written.split()):
        raise AnnotationError(ann, number, f"the entity text {fields[2]!r} is not the text at {offsets} ({written!r}): offsets and .txt disagree")
    return GoldEntity(spans[0][0], spans[-1][1], label, written)


def _apply(entity: GoldEntity, name: str, value: str | None) -> None:
    for qualifier, names in attribute_names().items():
        if fold(name) not in names["names"]:
            continue
        if value is None:
            setattr(entity, qualifier, True)
        elif fold(value) in names["true_values"]:
            setattr(entity, qualifier, True)
        elif fold(value) in names["false_values"]:
            setattr(entity, qualifier, False)


def read_jsonl(path: Path) -> list[AnnotatedNote]:
    notes = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnnotationError(path, number, f"not JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not isinstance(record.get("entities", []), list):
            raise AnnotationError(path, number, 'expected {"text": "...", "entities": [{"start", "end", "label", ...}]}')
        text = record["text"]
        entities = [_json_entity(path, number, i, e, text) for i, e in enumerate(record.get("entities", []))]
        notes.append(AnnotatedNote(str(record.get("id") or f"{path.name}:{number}"), text, sorted(entities, key=lambda e: (e.start, e.end))))
    return notes


def _json_entity(path: Path, number: int, index: int, raw, text: str) -> GoldEntity:
    where = f"entity {index + 1}"
    if not isinstance(raw, dict):
        raise AnnotationError(path, number, f"{where}: expected an object with start, end and label")
    start, end, label = raw.get("start"), raw.get("end"), raw.get("label")
    if not (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) and 0 <= start < end <= len(text)):
        raise AnnotationError(path, number, f"{where}: start and end must be offsets with 0 <= start < end <= {len(text)}, not {start!r}, {end!r}")
    if not isinstance(label, str) or not label.strip():
        raise AnnotationError(path, number, f"{where}: a label (text) is required")
    for qualifier in QUALIFIERS:
        if not isinstance(raw.get(qualifier, False), bool):
            raise AnnotationError(path, number, f"{where}: {qualifier} must be true or false, not {raw[qualifier]!r}")
    if "text" in raw and raw["text"] != text[start:end]:
        raise AnnotationError(path, number, f"{where}: its text {raw['text']!r} is not the text at {start}-{end} ({text[start:end]!r})")
    return GoldEntity(start, end, label.strip(), text[start:end], **{q: raw.get(q, False) for q in QUALIFIERS})


# -- measuring ----------------------------------------------------------------------------------------
def prf(tp: int, predicted: int, gold: int, found: int | None = None) -> dict:
    """Precision (``tp`` of ``predicted``), recall (``found``, default ``tp``, of ``gold``) and F1;
    ``None`` where there is nothing to divide."""
    found = tp if found is None else found
    precision = tp / predicted if predicted else None
    recall = found / gold if gold else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if precision is not None and recall is not None else None)
    return {"precision": _round(precision), "recall": _round(recall), "f1": _round(f1)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def names_of(entity) -> set[str]:
    """The folded names a predicted entity answers to: kind, lexicon concept, code (and its
    prefixes, dots ignored)."""
    out = {fold(x) for x in (entity.label, entity.concept, entity.vocabulary) if x}
    if entity.code and entity.label not in ("date", "measurement"):
        code = fold(entity.code)
        out.update(code[:n] for n in range(3, len(code) + 1))
        out.add(code)
    return out


def _overlaps(a, b, exact: bool) -> bool:
    return (a.start, a.end) == (b.start, b.end) if exact else a.start < b.end and b.start < a.end


def entity_scores(notes: list[AnnotatedNote], predictions: list[list], exact: bool = False) -> dict:
    """Per gold label and ``all``: gold count, predicted count, precision, recall, F1."""
    labels = sorted({e.label for note in notes for e in note.entities})
    wanted = {fold(label) for label in labels}
    rows = {}
    counts = {label: [0, 0, 0, 0] for label in [*labels, "all"]}  # tp (predictions right), predicted, found (gold found), gold
    for note, predicted in zip(notes, predictions):
        predicted = [(p, names_of(p)) for p in predicted if p.label != "target"]
        for label in labels:
            key = fold(label)
            gold = [g for g in note.entities if g.label == label]
            mine = [p for p, names in predicted if key in names]
            _count(counts[label], gold, mine, exact)
        _count(counts["all"], note.entities, [p for p, names in predicted if names & wanted], exact)
    for label, (tp, n_predicted, found, n_gold) in counts.items():
        rows[label] = {"gold": n_gold, "predicted": n_predicted, **prf(tp, n_predicted, n_gold, found)}
    return rows


def _count(row: list[int], gold: list, predicted: list, exact: bool) -> None:
    row[0] += sum(1 for p in predicted if any(_overlaps(p, g, exact) for g in gold))
    row[1] += len(predicted)
    row[2] += sum(1 for g in gold if any(_overlaps(p, g, exact) for p in predicted))
    row[3] += len(gold)


def at_gold(gold: GoldEntity, predicted: list):
    """The predicted entity standing for ``gold``: the target term at its place, else the entity
    that overlaps it most."""
    found = [p for p in predicted if p.start < gold.end and gold.start < p.end]
    found.sort(key=lambda p: (p.label != "target", -(min(p.end, gold.end) - max(p.start, gold.start))))
    return found[0] if found else None


def qualifier_scores(notes: list[AnnotatedNote], targeted: list[list]) -> dict:
    """Per qualifier: n (gold entities), positives (gold true), precision, recall and F1 of the
    positive class, on every gold entity; and how many gold entities the pipeline missed even
    as a target term (counted as predicted false)."""
    pairs: dict[str, list[tuple[bool, bool]]] = {q: [] for q in QUALIFIERS}
    missed = 0
    for note, predicted in zip(notes, targeted):
        for gold in note.entities:
            entity = at_gold(gold, predicted)
            missed += entity is None
            for q in QUALIFIERS:
                pairs[q].append((getattr(gold, q), bool(entity is not None and getattr(entity, q))))
    out: dict = {}
    for q, found in pairs.items():
        tp = sum(1 for g, p in found if g and p)
        out[q] = {"n": len(found), "positives": sum(1 for g, _ in found if g), **prf(tp, sum(1 for _, p in found if p), sum(1 for g, _ in found if g))}
    out["not_found"] = missed
    return out


def evaluate(notes: list[AnnotatedNote], analyse: Callable[[str, tuple[str, ...]], list], exact: bool = False,
             on_note: Callable[[int], None] | None = None) -> dict:
    """Entity and qualifier scores of ``notes``. ``analyse(text, terms)`` is the pipeline: the
    entities of ``text``, with ``terms`` matched as target phrases when given."""
    predictions, targeted = [], []
    for index, note in enumerate(notes):
        predictions.append(analyse(note.text, ()))
        terms = tuple(dict.fromkeys(g.text for g in note.entities))
        targeted.append(analyse(note.text, terms) if terms else [])
        if on_note:
            on_note(index + 1)
    return {
        "notes": len(notes), "entities": sum(len(n.entities) for n in notes), "match": "exact" if exact else "overlap",
        "labels": entity_scores(notes, predictions, exact), "qualifiers": qualifier_scores(notes, targeted),
    }
