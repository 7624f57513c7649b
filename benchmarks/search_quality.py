"""Search quality: patient-level precision/recall/F1 on the demo hospital and on hand-written French notes, and nDCG@10 on NFCorpus.

Part 1 -- the demo hospital (``clinsearch.demo``: notes full of negations, hypotheses, family
history and abbreviations, and a ground truth of what each patient has). The judgments are
derived from the ground truth, not written by hand: a condition query is relevant for the
patients whose condition is documented (written as present or past in a note, or coded); a
``neg:``/``hyp:``/``fam:`` query for the patients with a note that mentions the condition in
that context; combinations follow their boolean logic. Each query runs through clinsearch at
patient level, and through the baseline a user would otherwise get: plain BM25 over the raw
note text (one Tantivy field, the same French analyzer -- case, accents and stemming -- but no
contexts, no expansion, no coded data), a patient matching when one of their notes has every
word of the query.

Part 2 -- NFCorpus (``../shared/data/nfcorpus``, test split: 3,161 documents, 325 plain-English
queries, graded judgments; academic use only, so it is read from there, never copied). The
documents are indexed as articles; each query runs through clinsearch (its words joined by
``OR``, as a ranked search is written in clinsearch's language) and through plain BM25 over the
same text with Tantivy's default analyzer (lower case, no stemming) and with the English
stemmer, in the same run. nDCG@10 uses trec_eval's linear gain.

Part 3 -- hand-written French notes (``tests/data/clinical_fr``: 47 notes of 42 patients written
the way clinicians write, 34 patient-level queries with their answers, 10 held out). The notes
go into a fresh warehouse (OMOP person and note tables, real ingest, NLP and index) and each query
runs through clinsearch, through the same queries with the qualifiers ignored (``any:`` on every
term: the context-blind baseline), and through clinsearch over EDS-NLP's pipeline as shipped
(a second warehouse). ``nlp_entities`` gives the patients the NLP's entities alone name (the
query's judged concepts in ``note_nlp``), apart from the engine's text matching; and the precision
of each EDS-NLP comorbidity pipe as a search entity, as shipped and as clinsearch keeps it.

    python benchmarks/search_quality.py [--only-clinical] [--patients 500] [--notes 5000] [--shared ../shared/data]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import tantivy

from clinsearch.demo.generator import generate
from clinsearch.ingest.run import ingest
from clinsearch.nlp.run import run_nlp
from clinsearch.search import analysis
from clinsearch.search.engine import search
from clinsearch.search.index import update
from clinsearch.warehouse.store import open_store

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Judged:
    query: str  # in clinsearch's language
    baseline: str  # what the user would type in a plain full-text engine
    kind: str
    relevant: set[int]


# condition key -> (abbreviation query, code query) where the demo's lexicon has them
ABBREVIATIONS = {"diabete_t2": "DT2", "diabete_t1": "DT1", "hta": "HTA", "idm": "IDM", "ep": "EP", "tvp": "TVP", "avc": "AVC", "ait": "AIT", "bpco": "BPCO", "fa": "FA", "icc": "ICC", "irc": "IRC"}
CODES = {"ep": "I26", "diabete_t2": "E11", "hta": "I10", "avc": "I63", "fa": "I48", "bpco": "J44"}


def judgments(truth: dict) -> list[Judged]:
    people = {p["person_id"]: p for p in truth["patients"].values()}
    ipp = {code: p["person_id"] for code, p in truth["patients"].items()}

    def documented(condition: str) -> set[int]:
        return {pid for pid, p in people.items() if condition in p["documented"]}

    def mentioned(condition: str, status: str) -> set[int]:
        return {ipp[n["person_source_value"]] for n in truth["notes"].values() for m in n["mentions"] if m["condition"] == condition and m["status"] == status}

    judged = []
    for key, condition in truth["conditions"].items():
        term = condition["variants"][0]
        judged.append(Judged(term, term, "term", documented(key)))
        if key in ABBREVIATIONS:
            judged.append(Judged(ABBREVIATIONS[key], ABBREVIATIONS[key], "abbreviation", documented(key)))
        if key in CODES:
            judged.append(Judged(f"code:{CODES[key]}", CODES[key], "code", documented(key)))
    for key, status, prefix in (("ep", "negated", "neg"), ("avc", "negated", "neg"), ("idm", "hypothetical", "hyp"), ("ep", "hypothetical", "hyp"), ("idm", "family", "fam"), ("diabete_t2", "family", "fam")):
        term = truth["conditions"][key]["variants"][0]
        judged.append(Judged(f'{prefix}:"{term}"', term, status, mentioned(key, status)))
    judged += [
        Judged("EP FA", "EP FA", "combination", documented("ep") & documented("fa")),
        Judged("diabète de type 2 IRC", "diabète de type 2 IRC", "combination", documented("diabete_t2") & documented("irc")),
        Judged("AVC OR AIT", "AVC OR AIT", "combination", documented("avc") | documented("ait")),
        Judged("HTA -DT2", "HTA -DT2", "exclusion", documented("hta") - documented("diabete_t2")),
        Judged("IDM -HTA", "IDM -HTA", "exclusion", documented("idm") - documented("hta")),
    ]
    return judged


def build_demo(work: Path, patients: int, notes: int, seed: int) -> tuple[Path, dict]:
    generate(work / "demo-source", patients=patients, notes=notes, seed=seed)
    data = work / "warehouse"
    with open_store(data) as store:
        ingest(store, [work / "demo-source" / "sources"])
        run_nlp(store)
        update(store, data)
    return data, json.loads((work / "demo-source" / "ground_truth.json").read_text("utf-8"))


def baseline_index(data: Path, lang: str = "fr"):
    """Plain BM25 over the raw note text: one Tantivy document per note, one text field."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("person_id", stored=True, fast=True)
    builder.add_text_field("text", tokenizer_name=analysis.analyzer_name(lang))
    schema = builder.build()
    index = tantivy.Index(schema)
    analysis.register(index)
    writer = index.writer(heap_size=200_000_000)
    with open_store(data, read_only=True) as store:
        for person_id, text in store.query("SELECT person_id, note_text FROM note"):
            writer.add_document(tantivy.Document(person_id=person_id, text=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, schema


def baseline_patients(index, schema, text: str) -> set[int]:
    """Patients with a note holding every word of ``text`` ("-word" excluded; "a OR b" either)."""
    searcher = index.searcher()
    alternatives = [part.split() for part in text.split(" OR ")]
    should = []
    for words in alternatives:
        clauses = []
        for word in words:
            occur = tantivy.Occur.MustNot if word.startswith("-") else tantivy.Occur.Must
            for term in analysis.terms(word.lstrip("-"), "fr"):
                clauses.append((occur, tantivy.Query.term_query(schema, "text", term)))
        if not any(o == tantivy.Occur.Must for o, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        should.append((tantivy.Occur.Should, tantivy.Query.boolean_query(clauses)))
    hits = searcher.search(tantivy.Query.boolean_query(should), limit=max(searcher.num_docs, 1), count=False).hits
    return {p for p in searcher.fast_field_values("person_id", [a for _, a in hits]) if p is not None}


def clinsearch_patients(data: Path, text: str) -> set[int]:
    return {p.person_id for p in search(data, text, patients=True, limit=1000).patients}


def scores(found: set[int], relevant: set[int]) -> dict:
    tp = len(found & relevant)
    precision = tp / len(found) if found else (1.0 if not relevant else 0.0)
    recall = tp / len(relevant) if relevant else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": len(found - relevant), "fn": len(relevant - found), "precision": precision, "recall": recall, "f1": f1}


def summarise(rows: list[dict]) -> dict:
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    precision, recall = tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0
    return {
        "queries": len(rows),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0,
        "macro_f1": round(sum(r["f1"] for r in rows) / len(rows), 3),
    }


def demo_quality(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="clinsearch-search-quality-"))
    started = time.perf_counter()
    data, truth = build_demo(work, args.patients, args.notes, args.seed)
    built = time.perf_counter() - started
    index, schema = baseline_index(data)
    per_query, ours, theirs = [], [], []
    for judged in judgments(truth):
        a = scores(clinsearch_patients(data, judged.query), judged.relevant)
        b = scores(baseline_patients(index, schema, judged.baseline), judged.relevant)
        ours.append({**a, "kind": judged.kind})
        theirs.append({**b, "kind": judged.kind})
        per_query.append({"query": judged.query, "kind": judged.kind, "relevant": len(judged.relevant), "clinsearch_f1": round(a["f1"], 3), "bm25_f1": round(b["f1"], 3)})
    kinds = sorted({row["kind"] for row in ours})
    return {
        "patients": args.patients,
        "notes": args.notes,
        "build_seconds": round(built, 1),
        "clinsearch": summarise(ours),
        "bm25_raw_text": summarise(theirs),
        "by_kind": {k: {"clinsearch": summarise([r for r in ours if r["kind"] == k]), "bm25_raw_text": summarise([r for r in theirs if r["kind"] == k])} for k in kinds},
        "queries": per_query,
    }


# -- NFCorpus ---------------------------------------------------------------------------------
def read_tsv(path: Path) -> list[list[str]]:
    return [line.rstrip("\r").split("\t") for line in path.read_text("utf-8").split("\n") if line.strip()]


def ndcg_at_10(ranked: list[str], judged: dict[str, int]) -> float:
    gains = [judged.get(doc, 0) for doc in ranked[:10]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(judged.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def nfcorpus(shared: Path) -> dict | None:
    folder = shared / "nfcorpus"
    if not (folder / "test.docs").exists():
        return None
    docs = read_tsv(folder / "test.docs")
    queries = read_tsv(folder / "test.titles.queries")
    qrels: dict[str, dict[str, int]] = {}
    for query_id, _, doc_id, level in read_tsv(folder / "test.2-1-0.qrel"):
        qrels.setdefault(query_id, {})[doc_id] = int(level)
    queries = [(q, text) for q, text in queries if q in qrels]
    # clinsearch: the documents as articles in a warehouse, indexed by clinsearch
    data = Path(tempfile.mkdtemp(prefix="clinsearch-nfcorpus-")) / "warehouse"
    ids = {}
    with open_store(data) as store:
        rows = []
        for number, (doc_id, text) in enumerate(docs, start=1):
            ids[number] = doc_id
            rows.append({"article_id": number, "pmid": doc_id, "title": text, "language": "eng"})  # the text starts with the title
        store.upsert("article", rows)
        started = time.perf_counter()
        update(store, data)
        indexed = time.perf_counter() - started
    result = {"documents": len(docs), "queries": len(queries), "index_seconds": round(indexed, 1)}
    runs = {}
    runs["clinsearch"] = [[ids[d.id] for d in search(data, " OR ".join(_words(text)), limit=10).documents] for _, text in queries]
    runs["clinsearch_no_expansion"] = [[ids[d.id] for d in search(data, " OR ".join("=" + w for w in _words(text)), limit=10).documents] for _, text in queries]
    for name, tokenizer in (("bm25_default_analyzer", "default"), ("bm25_english_stemmer", analysis.analyzer_name("en"))):
        runs[name] = _bm25_run(docs, queries, tokenizer)
    for name, ranked in runs.items():
        result[name] = {"ndcg@10": round(sum(ndcg_at_10(r, qrels[q]) for r, (q, _) in zip(ranked, queries)) / len(queries), 4)}
    return result


def _words(text: str) -> list[str]:
    return [w for w in text.split() if any(c.isalnum() for c in w)][:60]


def _bm25_run(docs, queries, tokenizer: str) -> list[list[str]]:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name=tokenizer)
    schema = builder.build()
    index = tantivy.Index(schema)
    analysis.register(index)
    writer = index.writer(heap_size=200_000_000)
    for doc_id, text in docs:
        writer.add_document(tantivy.Document(doc_id=doc_id, text=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    lang_terms = (lambda w: analysis.terms(w, "en")) if tokenizer != "default" else (lambda w: [t.lower() for t in analysis._WORD.findall(w)])
    runs = []
    for _, text in queries:
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "text", t)) for w in _words(text) for t in lang_terms(w)]
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=10).hits if clauses else []
        runs.append([searcher.doc(a).get_first("doc_id") for _, a in hits])
    return runs


# -- hand-written French notes (tests/data/clinical_fr) ---------------------------------------------
CLINICAL = ROOT / "tests" / "data" / "clinical_fr"
# What counts as a right entity for a concept: the concept itself or one of its kinds (the
# benchmark's own judging rule, not the NLP's).
KINDS = {"diabete": {"diabete", "dt1", "dt2"}, "anticoagulant": {"anticoagulant", "apixaban", "rivaroxaban", "dabigatran", "enoxaparine", "heparine", "warfarine", "fluindione"}}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def build_clinical(work: Path, notes: list[dict], bare: bool = False) -> Path:
    """A fresh warehouse holding the notes (OMOP person and note tables, real ingest, NLP and
    index); ``bare``: the NLP is EDS-NLP's pipeline as shipped (``pipeline.build_french(bare=True)``)."""
    import csv

    from clinsearch.nlp import annotate, pipeline
    from clinsearch.nlp import run as nlp_run

    source = work / "omop"
    source.mkdir(parents=True)
    people = sorted({n["person_id"] for n in notes})
    (source / "person.csv").write_text("person_id,year_of_birth\n" + "".join(f"{p},1950\n" for p in people), encoding="utf-8")
    with open(source / "note.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "person_id", "note_date", "note_title", "note_text", "note_class_source_value", "language_source_value"])
        for number, note in enumerate(notes, start=1):
            writer.writerow([number, note["person_id"], note["date"], note["title"], note["text"], note["type"], "fr"])
    data = work / "warehouse"
    patched = {}
    if bare:
        patched = {(annotate, "load_pipeline"): annotate.load_pipeline, (nlp_run, "ready_pipeline"): nlp_run.ready_pipeline}
        annotate.load_pipeline = lambda lang="fr", full=True, bare=False: pipeline.load_pipeline(lang, full, True)
        nlp_run.ready_pipeline = lambda lang="fr": pipeline.load_pipeline(lang, True, True)
    try:
        with open_store(data) as store:
            ingest(store, [source])
            run_nlp(store, processes=1)
            update(store, data)
    finally:
        for (module, name), value in patched.items():
            setattr(module, name, value)
    return data


def context_blind(query: str) -> str:
    """The same query with the qualifiers ignored: every word and phrase searched with ``any:``."""
    out = []
    for token in re.findall(r'-?(?:\w+:)?(?:"[^"]*"|\S+)', query):
        sign, rest = ("-", token[1:]) if token.startswith("-") else ("", token)
        rest = re.sub(r"^(neg|hyp|fam|any):", "", rest)
        out.append(token if rest == "OR" else f"{sign}any:{rest}")
    return " ".join(out)


def entity_precision(notes: list[dict]) -> dict:
    """Per EDS-NLP comorbidity pipe, as shipped and as clinsearch keeps it (``nlp.trim.restrict``):
    its entities, and the share of them that name the concept a reader would search them by
    (a gold mention of that concept, or of one of its kinds, overlapping the entity)."""
    from clinsearch.nlp.annotate import process
    from clinsearch.nlp.lexicon import load_eds_labels

    try:
        from clinsearch.nlp.trim import restrict
    except ImportError:  # before the restriction existed
        restrict = None
    eds = load_eds_labels()
    counts: dict[str, dict[str, int]] = {}

    def judge(key: str, concept: str, start: int, end: int, gold: list[dict]) -> None:
        row = counts.setdefault(key, {"entities": 0, "right": 0})
        row["entities"] += 1
        row["right"] += any(g["start"] < end and start < g["end"] and g["label"] in KINDS.get(concept, {concept}) for g in gold)

    for note in notes:
        doc = process(note["text"], bare=True)
        shipped = [(e.label_, e.start_char, e.end_char) for e in doc.ents if e.label_ in eds]
        for label, start, end in shipped:
            judge(f"{label} (as shipped)", eds[label], start, end, note["entities"])
        if restrict is not None:
            for span, concept in restrict([e for e in doc.ents if e.label_ in eds]):
                judge(f"{span.label_} (clinsearch)", concept, span.start_char, span.end_char, note["entities"])
    return {k: {**v, "precision": round(v["right"] / v["entities"], 3) if v["entities"] else None} for k, v in sorted(counts.items())}


def entity_patients(data: Path, query: dict) -> set[int]:
    """The patients the NLP's entities alone give a query (its judged concepts, in its context, from
    ``note_nlp``): what search would return if a concept matched the NLP's entities and not the raw
    text. Judges the entity side apart from the text matching of the search engine."""
    spec = query["relevant"]
    flags = {"affirmed": "x.term_exists = 'Y' AND coalesce(x.term_modifiers, '') NOT SIMILAR TO '.*(hypothesis|family).*'",
             "negated": "x.term_exists = 'N' AND coalesce(x.term_modifiers, '') NOT LIKE '%family%'",
             "family": "coalesce(x.term_modifiers, '') LIKE '%family%'"}
    sql = ("SELECT DISTINCT n.person_id FROM note_nlp x JOIN note n USING (note_id) "
           "WHERE x.label <> 'context' AND x.normalized_term IN (SELECT unnest(?)) AND ")
    with open_store(data, read_only=True) as store:
        def who(concepts, context):
            return {row[0] for row in store.query(sql + flags[context], [list(concepts)])}
        found = set.intersection(*[who(c, spec["context"]) for c in spec["all"]])
        for concepts in spec["none"]:
            found -= who(concepts, "affirmed")
    return found


def clinical_quality(args) -> dict:
    notes, queries = read_jsonl(CLINICAL / "notes.jsonl"), read_jsonl(CLINICAL / "queries.jsonl")
    work = Path(tempfile.mkdtemp(prefix="clinsearch-clinical-fr-"))
    started = time.perf_counter()
    ours = build_clinical(work / "clinsearch", notes)
    bare = build_clinical(work / "bare", notes, bare=True)
    built = time.perf_counter() - started
    runs = {"clinsearch": lambda q: clinsearch_patients(ours, q),
            "context_blind": lambda q: clinsearch_patients(ours, context_blind(q)),
            "bare_edsnlp": lambda q: clinsearch_patients(bare, q)}
    by_query = {q["query"]: q for q in queries}
    runs["nlp_entities"] = lambda q: entity_patients(ours, by_query[q])
    runs["bare_edsnlp_entities"] = lambda q: entity_patients(bare, by_query[q])
    rows: dict[str, list[dict]] = {name: [] for name in runs}
    per_query = []
    for query in queries:
        relevant = set(query["patients"])
        line = {"id": query["id"], "query": query["query"], "kind": query["kind"], "split": query["split"], "relevant": len(relevant)}
        for name, run in runs.items():
            found = run(query["query"])
            score = scores(found, relevant)
            rows[name].append({**score, "split": query["split"]})
            line[f"{name}_f1"] = round(score["f1"], 3)
            if name == "clinsearch":
                line["false_positives"], line["missed"] = sorted(found - relevant), sorted(relevant - found)
        per_query.append(line)
    result = {"notes": len(notes), "patients": len({n["person_id"] for n in notes}), "queries": len(queries), "build_seconds": round(built, 1)}
    for split in ("all", "tune", "test"):
        result[split] = {name: summarise([r for r in found if split == "all" or r["split"] == split]) for name, found in rows.items()}
    result["entity_precision"] = entity_precision(notes)
    result["per_query"] = per_query
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--notes", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--skip-demo", action="store_true", help="Leave out the demo hospital.")
    parser.add_argument("--only-clinical", action="store_true", help="Only the hand-written French notes (part 3).")
    args = parser.parse_args()
    report = {}
    if not args.skip_demo and not args.only_clinical:
        report["demo"] = demo_quality(args)
    report["clinical_fr"] = clinical_quality(args)
    if not args.only_clinical:
        report["nfcorpus"] = nfcorpus(args.shared)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
