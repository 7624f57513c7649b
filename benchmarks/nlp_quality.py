"""NLP quality on data nobody here wrote: negation and hypothesis on E3C (French, official test
split), and on the demo generator's ground truth; and on the hand-written clinical sentences of
``tests/data/clinical_fr`` and ``tests/data/clinical_en`` (per qualifier, per split).

    python benchmarks/nlp_quality.py [--shared ../shared/data] [--demo-notes 300] [--only clinical]

Each gold entity is given to the pipeline as a target term (the ``annotate --term`` mechanism)
together with its sentence; the qualifier flags of the entity found at the gold position are
compared with the gold labels. In the same run, the bare EDS-NLP qualifiers (default cue lists)
are measured on the same inputs: the anchor the clinsearch cue changes must beat.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEDGED = {"HEDGED", "HYPOTHETICAL-IF", "HYPOTHETICAL-OTHER"}


def scores(pairs: list[tuple[bool, bool]]) -> dict:
    """Precision, recall, F1 of the positive class from (gold, predicted) pairs."""
    tp = sum(1 for g, p in pairs if g and p)
    fp = sum(1 for g, p in pairs if not g and p)
    fn = sum(1 for g, p in pairs if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(pairs), "positives": tp + fn, "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def e3c_rows(shared: Path, split: str = "test") -> list[dict]:
    with open(shared / "e3c" / "French" / "clinentities.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if r["split"] == split and r["event_polarity"]]


def locate(sentence: str, text: str, offset: int) -> tuple[int, int] | None:
    """The occurrence of ``text`` in ``sentence`` nearest to ``offset``."""
    starts, at = [], sentence.find(text)
    while at >= 0:
        starts.append(at)
        at = sentence.find(text, at + 1)
    if not starts:
        return None
    start = min(starts, key=lambda s: abs(s - offset))
    return start, start + len(text)


def predict(nlp_process, entities_of, sentence: str, text: str, offset: int):
    from clinsearch.nlp.annotate import TARGET

    span = locate(sentence, text, offset)
    doc = nlp_process(sentence, (text,))
    found = [e for e in entities_of(doc) if span and e.start < span[1] and span[0] < e.end]
    found.sort(key=lambda e: (e.label != TARGET, -(min(e.end, span[1]) - max(e.start, span[0]))))
    return found[0] if found else None


def run_e3c(shared: Path, process, entities, split: str = "test") -> dict:
    negation, hypothesis, missed = [], [], 0
    for row in e3c_rows(shared, split):
        offset = int(row["begin"]) - int(row["sentence_begin"])
        entity = predict(process, entities, row["sentence"], row["text"], offset)
        missed += entity is None
        negation.append((row["event_polarity"] == "NEG", bool(entity and entity.negated)))
        hypothesis.append((row["event_modality"] in HEDGED, bool(entity and entity.hypothesis)))
    return {"negation": scores(negation), "hypothesis": scores(hypothesis), "entities_not_found": missed}


def run_negex(shared: Path, process, entities) -> dict:
    """English negation on the NegEx test kit: each concept given as a target term."""
    import re

    pairs, missed = [], 0
    with open(shared / "negex" / "Annotations-1-120.txt", newline="", encoding="utf-8", errors="replace") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        sentence = re.sub(r"\s+", " ", row["Sentence"]).strip().strip('"')
        concept = re.sub(r"\s+", " ", row["Concept"]).strip()
        at = sentence.lower().find(concept.lower())
        doc = process(sentence, (concept,))
        hits = [e for e in entities(doc) if at >= 0 and e.start < at + len(concept) and at < e.end]
        hits.sort(key=lambda e: e.label != "target")
        missed += not hits
        pairs.append((row["Negation"].strip() == "Negated", bool(hits and hits[0].negated)))
    return {"negation": scores(pairs), "entities_not_found": missed}


QUALIFIER_FLAGS = (("negated", "negated"), ("hypothesis", "hypothesis"), ("family", "family"))


def run_sentences(path: Path, process, entities) -> dict:
    """Per-qualifier P/R/F1 on hand-written marked-up sentences (``tests/data/clinical_*``), by
    split ("tune": read while changing the cues; "test": held out) and by family of error.
    Each gold entity is given as a target term, as for E3C; its flags are compared with the gold."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs: dict = {}
    missed = 0
    for row in rows:
        doc = process(row["text"], tuple(sorted({row["text"][e["start"]:e["end"]] for e in row["entities"]})))
        found = entities(doc)
        for gold in row["entities"]:
            entity = predict_at(found, gold["start"], gold["end"])
            missed += entity is None
            for key, attribute in QUALIFIER_FLAGS:
                pair = (bool(gold[key]), bool(entity and getattr(entity, attribute)))
                for group in (row["split"], "all", f"family:{row['family_of_error']}"):
                    pairs.setdefault(group, {}).setdefault(key, []).append(pair)
    result = {"sentences": len(rows), "entities": sum(len(r["entities"]) for r in rows), "entities_not_found": missed}
    for group in sorted(pairs, key=lambda g: (g.startswith("family:"), g)):
        result[group] = {key: scores(values) for key, values in pairs[group].items()}
    return result


def predict_at(found, start: int, end: int):
    """The entity found at the gold span: a target term first, then the widest overlap."""
    from clinsearch.nlp.annotate import TARGET

    hits = [e for e in found if e.start < end and start < e.end]
    hits.sort(key=lambda e: (e.label != TARGET, -(min(e.end, end) - max(e.start, start))))
    return hits[0] if hits else None


def run_demo(notes: int, process, entities) -> dict:
    """Per-mention flags on the demo generator's ground truth (context of each mention)."""
    import tempfile

    from clinsearch.demo.generator import generate

    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), patients=max(notes // 10, 1), notes=notes, seed=3)
        truth = json.loads((Path(folder) / "ground_truth.json").read_text(encoding="utf-8"))
        texts = {}
        for path in (Path(folder) / "sources" / "documents").rglob("*.txt"):
            texts[path.stem] = path.read_text(encoding="utf-8")
    results = {k: [] for k in ("negated", "hypothetical", "family", "history")}
    for source, note in truth["notes"].items():
        text = texts[source]
        doc = process(text, tuple(sorted({m["text"] for m in note["mentions"]})))
        found = entities(doc)
        for mention in note["mentions"]:
            hits = [e for e in found if e.start < mention["end"] and mention["start"] < e.end]
            entity = hits[0] if hits else None
            status = mention["status"]
            results["negated"].append((status == "negated", bool(entity and entity.negated)))
            results["hypothetical"].append((status == "hypothetical", bool(entity and entity.hypothesis)))
            results["family"].append((status == "family", bool(entity and entity.family)))
            results["history"].append((status == "history", bool(entity and entity.history)))
    return {k: scores(v) for k, v in results.items()}


# Which of our entity labels stand for which UMLS semantic group.
GROUPS = {
    "DISO": {"cim10", "diabetes", "ckd", "copd", "congestive_heart_failure", "myocardial_infarction", "cerebrovascular_accident", "disorder", "lexicon:condition", "lexicon:finding"},
    "CHEM": {"drug", "lexicon:drug"},
}


def brat_documents(folder: Path) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(text, [(group, start, end)]) of every BRAT document under ``folder`` (discontinuous
    spans kept by their outer bounds; Mantra's group read from its annotator note)."""
    import re

    documents = []
    for ann in sorted(folder.rglob("*.ann")):
        text = ann.with_suffix(".txt").read_text(encoding="utf-8")
        spans, groups = [], {}
        lines = ann.read_text(encoding="utf-8").splitlines()
        for line in lines:
            if line.startswith("#") and "AnnotatorNotes" in line:
                target = line.split()[2]
                group = re.findall(r'"([A-Z]{4})"\s*$', line)
                if group:
                    groups[target] = group[0]
        for line in lines:
            if not line.startswith("T"):
                continue
            name, middle, _ = line.split("\t", 2)
            kind, *offsets = re.split(r"[ ;]", middle)
            numbers = [int(o) for o in offsets]
            spans.append((groups.get(name, kind), min(numbers), max(numbers)))
        documents.append((text, spans))
    return documents


def run_entities(documents, annotate) -> dict:
    """Per UMLS group: precision and recall of overlapping spans."""
    from clinsearch.nlp.lexicon import LEXICON

    results = {}
    for group, labels in GROUPS.items():
        predicted = correct = gold = found = 0
        for text, spans in documents:
            entities = [e for e in annotate(text) if _our_label(e, LEXICON) in labels]
            truth = [(s, e) for g, s, e in spans if g == group]
            gold += len(truth)
            found += sum(1 for s, e in truth if any(x.start < e and s < x.end for x in entities))
            predicted += len(entities)
            correct += sum(1 for x in entities if any(x.start < e and s < x.end for s, e in truth))
        precision = correct / predicted if predicted else 0.0
        recall = found / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        results[group] = {"gold": gold, "predicted": predicted, "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
    return results


def _our_label(entity, lexicon) -> str:
    if entity.label == "lexicon" and entity.concept in lexicon:
        return f"lexicon:{lexicon[entity.concept].kind}"
    return entity.label


def run_pseudonymization(notes: int) -> dict:
    """Identifiers planted by the generator (names, IPP, phones, doctors, birth dates): recall of
    those fully replaced, and precision of the non-date replacements (dates are all shifted)."""
    import tempfile

    from clinsearch.demo.generator import generate
    from clinsearch.nlp.pseudonymize import pseudonymize

    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), patients=max(notes // 10, 1), notes=notes, seed=5)
        truth = json.loads((Path(folder) / "ground_truth.json").read_text(encoding="utf-8"))
        with open(Path(folder) / "sources" / "omop" / "person_identity.csv", newline="", encoding="utf-8") as handle:
            identities = {int(r["person_id"]): r for r in csv.DictReader(handle)}
        texts = {p.stem: p.read_text(encoding="utf-8") for p in (Path(folder) / "sources" / "documents").rglob("*.txt")}
    planted = found = replaced = right = 0
    for source, note in truth["notes"].items():
        identity = dict(identities[truth["patients"][note["person_source_value"]]["person_id"]], ipp=note["person_source_value"])
        result = pseudonymize(texts[source], identity, 17)
        for i in note["identifiers"]:
            planted += 1
            found += any(r.start <= i["start"] and i["end"] <= r.end for r in result.replacements)
        for r in result.replacements:
            if r.kind != "DATE":
                replaced += 1
                right += any(r.start < i["end"] and i["start"] < r.end for i in note["identifiers"])
    return {"identifiers": planted, "recall": round(found / planted, 4), "replacements": replaced, "precision": round(right / replaced, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--demo-notes", type=int, default=300)
    parser.add_argument("--only", choices=["clinical"], help="measure the hand-written clinical sentences only")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    from clinsearch.nlp import annotate

    report = {
        "benchmark": "nlp_quality",
        "anchors_given": {
            "e3c_negation_bare_edsnlp_0.23": {"precision": 0.859, "recall": 0.910, "f1": 0.884, "n": 561},
            "negex_kit_negspacy_1.1_en_clinical": {"f1": 0.940, "n": 2376},
        },
    }
    start = time.perf_counter()
    clinical_fr = HERE.parent / "tests" / "data" / "clinical_fr" / "sentences.jsonl"
    clinical_en = HERE.parent / "tests" / "data" / "clinical_en" / "sentences.jsonl"

    def english(text, terms):
        return annotate.process(text, "en", terms, full=False)

    def measure(bare: bool) -> dict:
        def run(text, terms):
            return annotate.process(text, "fr", terms, full=False, bare=bare)

        if args.only == "clinical":
            return {"clinical_fr": run_sentences(clinical_fr, run, annotate.entities)}
        return {
            "clinical_fr": run_sentences(clinical_fr, run, annotate.entities),
            "e3c_fr_test": run_e3c(args.shared, run, annotate.entities, "test"),
            "e3c_fr_train": run_e3c(args.shared, run, annotate.entities, "train"),
            "demo_fr": run_demo(args.demo_notes, run, annotate.entities),
        }

    report["clinsearch"] = measure(bare=False)
    # EDS-NLP ships no English cue lists: the English set has no bare anchor (docs/nlp-quality.md
    # gives the English figures from before the clinical-language changes).
    report["clinsearch"]["clinical_en"] = run_sentences(clinical_en, english, annotate.entities)
    if args.only == "clinical":
        report["bare_edsnlp"] = measure(bare=True)
        report["seconds"] = round(time.perf_counter() - start, 1)
        print(json.dumps(report, indent=2))
        return
    report["clinsearch"]["pseudonymization_demo"] = run_pseudonymization(args.demo_notes)
    full = lambda text: annotate.annotate(text, "fr")  # noqa: E731
    report["clinsearch"]["quaero_test_entities"] = run_entities(brat_documents(args.shared / "quaero" / "test"), full)
    report["clinsearch"]["mantra_fr_entities"] = run_entities(brat_documents(args.shared / "mantra_gsc" / "French"), full)
    report["clinsearch"]["negex_en"] = run_negex(args.shared, english, annotate.entities)
    # EDS-NLP's qualifiers as shipped, same inputs and same target-term mechanism: the anchor.
    report["bare_edsnlp"] = measure(bare=True)
    report["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
