"""Pseudonymisation on hand-written French notes: identifiers removed, look-alikes kept.

    python benchmarks/pseudonymisation.py [--data FILE] [--quaero DIR] [--misses]

Reads ``tests/data/pseudonymisation_fr/notes.jsonl`` (60 notes written by hand, fictitious people:
see its README), runs ``pseudonymize(text, identity, SHIFT_DAYS)`` on each and prints one JSON
object: for the code as it is (``after``) and, in the same run, as it was at git ``HEAD``
(``before``), the share of identifiers removed and of look-alikes kept, by kind, and the time per
note. ``--misses`` adds what survived and what was damaged.

Text nobody here wrote, when ``../shared/data/quaero`` is there (QUAERO French Medical Corpus,
GFDL, read in place and never copied): the share of its 16,000 annotated medical entities (drugs,
disorders, anatomy ... in EMEA leaflets and MEDLINE titles, which name no patient) left unchanged,
the look-alike measure on text the rules were not written against.

Definitions, the ones ``tests/nlp/test_pseudonymize.py`` holds the code to:

* an identifier (``start``, ``end``) is **removed** when (a) every letter and digit of the span
  lies inside a replacement that changed the text (a date of birth shifted counts, one written back
  unchanged does not) and (b) no capitalised word of the span of three letters or more (a name, a
  street, a city; hyphenated ones whole) appears, case ignored, as a capitalised word of the output
  outside the look-alikes kept -- so a name replaced here but left two lines further counts as
  missed. (b) is not applied to dates of birth, whose month names come back in shifted dates.
* a look-alike (``start``, ``end``) is **kept** when it lies outside every replacement and the output
  holds its text unchanged at the place ``moved`` maps it to.

The scoring functions import nothing from the project and run nothing at import.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "pseudonymisation_fr" / "notes.jsonl"
SHIFT_DAYS = -43  # any shift: not a multiple of a week or a year, so that a shifted date differs
MODULE = "src/clinsearch/nlp/pseudonymize.py"
MARK = re.compile(r"\[\[(.+?)\|(\w+)\]\]|\{\{(.+?)\|(\w+)\}\}", re.S)
NAME_WORD = re.compile(r"(?=[^\W\d_]{3})[^\W\d_]+(?:-[^\W\d_]+)*")  # "Lilas", "Saint-Denis" (whole), "DIAYE" of "N'DIAYE"


def unmark(marked: str) -> tuple[str, list[dict], list[dict]]:
    """(text, identifiers, look-alikes) of a marked-up note: ``[[Dupont|patient]]`` marks an
    identifier and its kind, ``{{maladie de Parkinson|eponym}}`` a look-alike that must stay.

    >>> unmark("Mme [[Petit|patient]] : {{petit épanchement|homonym}}.")[1:]
    ([{'start': 4, 'end': 9, 'kind': 'patient', 'text': 'Petit'}], [{'start': 12, 'end': 29, 'why': 'homonym', 'text': 'petit épanchement'}])
    """
    text, identifiers, keep, position = "", [], [], 0
    for match in MARK.finditer(marked):
        text += marked[position:match.start()]
        inner, label = (match.group(1), match.group(2)) if match.group(1) is not None else (match.group(3), match.group(4))
        span = {"start": len(text), "end": len(text) + len(inner)}
        if match.group(1) is not None:
            identifiers.append({**span, "kind": label, "text": inner})
        else:
            keep.append({**span, "why": label, "text": inner})
        text += inner
        position = match.end()
    return text + marked[position:], identifiers, keep


def load_notes(path: Path = DATA) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def span_errors(note: dict) -> list[str]:
    """What is wrong with a note's spans: text not at its offsets, overlaps, unknown fields."""
    errors, text = [], note["text"]
    spans = [("identifier", s) for s in note["identifiers"]] + [("keep", s) for s in note["keep"]]
    for role, span in spans:
        if not 0 <= span["start"] < span["end"] <= len(text) or text[span["start"]:span["end"]] != span["text"]:
            errors.append(f"{note['id']}: {role} {span} is not at its offsets")
    ordered = sorted(spans, key=lambda item: item[1]["start"])
    for (_, a), (_, b) in zip(ordered, ordered[1:]):
        if b["start"] < a["end"]:
            errors.append(f"{note['id']}: {a['text']!r} and {b['text']!r} overlap")
    return errors


def capitalised_words(text: str) -> list[re.Match]:
    return [m for m in NAME_WORD.finditer(text) if m.group(0)[0].isupper()]


def unlabelled_repeats(note: dict) -> list[str]:
    """Capitalised words of an identifier written again elsewhere in the note, outside every
    labelled span: a label the note forgot (``Vernon, le ...`` after ``27200 Vernon``)."""
    covered = [(s["start"], s["end"]) for s in note["identifiers"] + note["keep"]]
    words = {m.group(0).casefold() for s in note["identifiers"] if s["kind"] != "birth_date" for m in capitalised_words(s["text"])}
    return [f"{note['id']}: {m.group(0)!r} at {m.start()}" for m in capitalised_words(note["text"])
            if m.group(0).casefold() in words and not any(a <= m.start() < b for a, b in covered)]


def judge(note: dict, result, moved) -> tuple[list[bool], list[bool]]:
    """(removed?, per identifier), (kept?, per look-alike) of one pseudonymised note."""
    text, out = note["text"], result.text
    changed = [(r.start, r.end) for r in result.replacements if r.written != text[r.start:r.end]]
    kept, keep_places = [], []
    for span in note["keep"]:
        place = moved(result.replacements, span["start"], span["end"])
        kept.append(place is not None and out[place[0]:place[1]] == span["text"])
        if place is not None:
            keep_places.append(place)
    left = {m.group(0).casefold() for m in capitalised_words(out) if not any(a <= m.start() < b for a, b in keep_places)}
    removed = []
    for span in note["identifiers"]:
        hidden = all(any(a <= i < b for a, b in changed) for i in range(span["start"], span["end"]) if text[i].isalnum())
        leaked = span["kind"] != "birth_date" and any(m.group(0).casefold() in left for m in capitalised_words(span["text"]))
        removed.append(hidden and not leaked)
    return removed, kept


def score(pseudonymize, moved, notes: list[dict], shift_days: int = SHIFT_DAYS, misses: bool = False) -> dict:
    """Identifiers removed and look-alikes kept over ``notes``, overall and by kind, and the mean
    time per note (best of three passes)."""
    removed, kept = defaultdict(list), defaultdict(list)
    missed, damaged = [], []
    for note in notes:
        result = pseudonymize(note["text"], note["identity"], shift_days)
        gone, stayed = judge(note, result, moved)
        for span, ok in zip(note["identifiers"], gone):
            removed[span["kind"]].append(ok)
            if not ok:
                missed.append(f"{note['id']}: {span['kind']} {span['text']!r}")
        for span, ok in zip(note["keep"], stayed):
            kept[span["why"]].append(ok)
            if not ok:
                damaged.append(f"{note['id']}: {span['why']} {span['text']!r}")
    passes = []
    for _ in range(3):
        began = time.perf_counter()
        for note in notes:
            pseudonymize(note["text"], note["identity"], shift_days)
        passes.append(time.perf_counter() - began)
    out = {
        "identifiers_removed": _rate(sum(removed.values(), [])),
        "lookalikes_kept": _rate(sum(kept.values(), [])),
        "removed_by_kind": {kind: _rate(values) for kind, values in sorted(removed.items())},
        "kept_by_kind": {kind: _rate(values) for kind, values in sorted(kept.items())},
        "us_per_note": round(min(passes) / len(notes) * 1e6, 1),
    }
    if misses:
        out.update(missed=missed, damaged=damaged)
    return out


def _rate(values: list[bool]) -> dict:
    return {"n": len(values), "rate": round(sum(values) / len(values), 4) if values else None}


def quaero_entities(root: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """(text, entity spans) of every QUAERO document (BRAT ``T`` lines; discontinuous ones left out)."""
    documents = []
    for path in sorted(root.rglob("*.ann")):
        spans = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if line.startswith("T") and len(parts) == 3 and ";" not in parts[1]:
                spans.append(tuple(int(x) for x in parts[1].split()[1:3]))
        documents.append((path.with_suffix(".txt").read_text(encoding="utf-8"), spans))
    return documents


def entities_kept(pseudonymize, moved, documents: list) -> dict:
    kept = []
    for text, spans in documents:
        result = pseudonymize(text, {}, SHIFT_DAYS)
        for start, end in spans:
            place = moved(result.replacements, start, end)
            kept.append(place is not None and result.text[place[0]:place[1]] == text[start:end])
    return _rate(kept)


def module_at(revision: str) -> ModuleType | None:
    """``pseudonymize.py`` as it was at ``revision``, loaded from a temporary file (None outside
    a git checkout)."""
    shown = subprocess.run(["git", "show", f"{revision}:{MODULE}"], cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    if shown.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pseudonymize_at_revision.py"
        path.write_text(shown.stdout, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("pseudonymize_at_revision", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while it runs
        try:
            spec.loader.exec_module(module)
        finally:
            del sys.modules[spec.name]
    return module


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--baseline", default="HEAD", help="git revision measured as 'before'")
    parser.add_argument("--quaero", type=Path, default=ROOT.parent / "shared" / "data" / "quaero")
    parser.add_argument("--misses", action="store_true", help="list identifiers missed and look-alikes damaged")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from clinsearch.nlp import pseudonymize as current

    notes = load_notes(args.data)
    out = {"command": "python benchmarks/pseudonymisation.py", "data": str(args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data),
           "notes": len(notes), "identifiers": sum(len(n["identifiers"]) for n in notes), "lookalikes": sum(len(n["keep"]) for n in notes),
           "shift_days": SHIFT_DAYS}
    before = module_at(args.baseline)
    quaero = quaero_entities(args.quaero) if args.quaero.is_dir() else []
    for name, module in (("before", before), ("after", current)):
        if module is not None:
            out[name] = {"revision": args.baseline if name == "before" else "working tree",
                         **score(module.pseudonymize, module.moved, notes, misses=args.misses)}
            if quaero:
                out[name]["quaero_entities_kept"] = entities_kept(module.pseudonymize, module.moved, quaero)
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
