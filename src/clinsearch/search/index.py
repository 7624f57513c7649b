"""The full-text index: embedded Tantivy, kept in ``DATA/index/``, updated incrementally.

One Tantivy document per note, imaging study, article, patient record and patient
(``sources.py``).
Their text is split by context into separate fields, as Dr Warehouse does, but at the level of
tokens rather than sentences (the NLP judges every token): ``affirmed_fr``, ``negated_fr``,
``hypothetical_fr``, ``family_fr``, ``unqualified_fr`` and the same in English; the codes of NLP
entities and of coded data go to ``code_affirmed`` ... ``code_family``. The text no NLP read (coded
data, articles, imaging headers) is also in ``plain_fr`` / ``plain_en``: a lexicon term is looked
for as text only there, the NLP's entities stand for it elsewhere (``expand.Matches``). Filters and facets use
fast fields: ``source``, ``person_id``, ``date`` (YYYYMMDD), ``year``, ``type``, ``department``
(``visit_id`` is kept too). The text and its contexts are stored (``body``) for the snippets.

Each document is indexed twice over, once as written and once **pseudonymised** (the researcher's
view, ``VIEWS``): the text fields, the stored body and title, the date and the year of the second
view (``p_affirmed_fr`` ..., ``p_body``, ``p_title``, ``p_date``, ``p_year``) are made from the
text with the patient's identifiers replaced and every date shifted by the patient's secret
offset, so that a researcher's query never reads an identifier nor a real date -- it cannot
confirm a name, an IPP or a birth date, nor bisect a note's real date.

``update(store, data)`` compares each document's fingerprint with the one indexed
(``index_state`` in the warehouse) and re-indexes only what changed: re-running it after nothing
changed touches nothing. ``rebuild`` starts from an empty index. The index is a cache of the
warehouse: deleting ``DATA/index/`` loses nothing, the next update rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import tantivy

from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift
from clinsearch.search import analysis
from clinsearch.search.sources import CONTEXTS, PLAIN, IndexDoc, PatientDoc, documents, fingerprints, pseudonymised
from clinsearch.warehouse.duckdb import DuckDBStore

VIEWS = ("identified", "pseudonymised")
PREFIX = {"identified": "", "pseudonymised": "p_"}  # of the fields of each view

INDEX_VERSION = "7"  # change when the schema or the analysis changes: the next update rebuilds
WRITER_HEAP = 256_000_000  # bytes
COMMIT_EVERY = 50_000  # documents


@dataclass
class IndexSummary:
    documents: int = 0  # in the index, patients' documents included
    added: int = 0  # notes, imaging studies, articles and records (re)indexed
    patients: int = 0  # patients' documents (re)built
    removed: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    def as_dict(self) -> dict:
        return {"documents": self.documents, "added": self.added, "patients": self.patients, "removed": self.removed, "seconds": round(self.seconds, 2), "rebuilt": self.rebuilt}


def index_dir(data: Path) -> Path:
    return Path(data) / "index"


def text_field(context: str, lang: str, view: str = "identified") -> str:
    return f"{PREFIX[view]}{context}_{lang}"


def code_field(context: str) -> str:
    return f"code_{context}"


def view_field(name: str, view: str = "identified") -> str:
    """The field of ``name`` (``date``, ``year``, ``title``, ``body``) in ``view``."""
    return PREFIX[view] + name


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    builder.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
    builder.add_integer_field("id", stored=True, indexed=True)
    builder.add_integer_field("person_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("visit_id", stored=True, indexed=True)
    for view in VIEWS:
        builder.add_integer_field(view_field("date", view), stored=True, indexed=True, fast=True)
        builder.add_integer_field(view_field("year", view), indexed=True, fast=True)
        builder.add_text_field(view_field("title", view), stored=True, tokenizer_name="raw", index_option="basic")
        builder.add_bytes_field(view_field("body", view), stored=True)
    for name in ("type", "department", "language"):
        builder.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    for context in CONTEXTS:
        for lang in analysis.LANGUAGES:
            for view in VIEWS:
                builder.add_text_field(text_field(context, lang, view), tokenizer_name=analysis.analyzer_name(lang), index_option="position")
        builder.add_text_field(code_field(context), tokenizer_name="raw", index_option="basic")
    for lang in analysis.LANGUAGES:
        for view in VIEWS:
            builder.add_text_field(text_field(PLAIN, lang, view), tokenizer_name=analysis.analyzer_name(lang), index_option="position")
    return builder.build()


SCHEMA = build_schema()


def open_index(data: Path, create: bool = False) -> tantivy.Index | None:
    """The index of the data directory (None when there is none and ``create`` is false)."""
    folder = index_dir(data)
    if not _current(folder):
        return _create(folder) if create else None
    index = tantivy.Index(SCHEMA, path=str(folder), reuse=True)
    analysis.register(index)
    return index


def _create(folder: Path) -> tantivy.Index:
    """An empty index in ``folder`` (whatever was there is removed)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "clinsearch.json").write_text(json.dumps({"version": INDEX_VERSION}), "utf-8")
    index = tantivy.Index(SCHEMA, path=str(folder), reuse=True)
    analysis.register(index)
    return index


def _swap(new: Path, current: Path) -> None:
    """Put the index built in ``new`` in place of ``current``. Between the two renames a reader
    finds no index and answers "no index" (an error), never a partial one."""
    old = current.with_name(current.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        current.rename(old)
    new.rename(current)
    shutil.rmtree(old, ignore_errors=True)


def _current(folder: Path) -> bool:
    try:
        meta = json.loads((folder / "clinsearch.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("version") == INDEX_VERSION and (folder / "meta.json").exists()


def update(store: DuckDBStore, data: Path, rebuild: bool = False, on_progress: Callable[[int, int], None] | None = None) -> IndexSummary:
    """Bring the index in line with the warehouse; returns what was done.

    A rebuild (asked for, or when the index is missing or of another version) is written beside
    the index being served (``index.new``) and swapped in when complete: searches keep their
    answers meanwhile, and a rebuild killed half-way leaves the old index serving (its half-built
    folder is started again by the next rebuild). The warehouse's ``index_state`` is written
    after the swap, so that a kill between the two only makes the next update redo some work."""
    start = time.perf_counter()
    summary = IndexSummary()
    summary.rebuilt = rebuild or not _current(index_dir(data))
    building = index_dir(data).with_name(index_dir(data).name + ".new")
    index = _create(building) if summary.rebuilt else open_index(data)
    current = fingerprints(store)
    indexed = {} if summary.rebuilt else dict(store.query("SELECT doc_key, fingerprint FROM index_state"))
    removed = [key for key, fingerprint in indexed.items() if current.get(key, (None,))[0] != fingerprint]
    added = {key: person for key, (fingerprint, person) in current.items() if indexed.get(key) != fingerprint}
    if removed or added or summary.rebuilt:
        _write(index, store, removed, added, on_progress, secret_key(data), fresh=summary.rebuilt)
    if summary.rebuilt:
        del index
        _swap(building, index_dir(data))
        index = open_index(data)
    if removed or added or summary.rebuilt:
        with store.transaction():
            if summary.rebuilt:
                store.execute("DELETE FROM index_state")
            store.execute("DELETE FROM index_state WHERE doc_key IN (SELECT unnest(?))", [removed])
            store.insert("index_state", [{"doc_key": key, "fingerprint": current[key][0]} for key in added])
    index.reload()
    summary.patients = sum(key.startswith("patient:") for key in added)
    summary.added = len(added) - summary.patients
    summary.removed = len([k for k in removed if k not in current and not k.startswith("patient:")])
    summary.documents = index.searcher().num_docs
    summary.seconds = time.perf_counter() - start
    return summary


def _write(index: tantivy.Index, store: DuckDBStore, removed: list[str], added: dict[str, int | None], on_progress, secret: bytes,
           fresh: bool = False) -> None:
    writer = index.writer(heap_size=WRITER_HEAP)
    try:
        for key in removed:
            writer.delete_documents_by_term("key", key)
        done = 0
        for doc in documents(store, added):
            if not fresh:  # an empty index has nothing to replace
                writer.delete_documents_by_term("key", doc.key)  # idempotent after an interrupted run
            writer.add_document(patient_document(doc, secret) if isinstance(doc, PatientDoc) else to_tantivy(doc, secret))
            done += 1
            if done % COMMIT_EVERY == 0:
                with store.paused():  # the index's own work: the warehouse is free meanwhile
                    writer.commit()
            if on_progress and done % 500 == 0:
                on_progress(done, len(added))
        with store.paused():
            writer.commit()
            writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    if on_progress:
        on_progress(len(added), len(added))


def to_tantivy(doc: IndexDoc, secret: bytes) -> tantivy.Document:
    out = tantivy.Document()
    out.add_text("key", doc.key)
    out.add_text("source", doc.source)
    out.add_integer("id", doc.id)
    if doc.person_id is not None:
        out.add_integer("person_id", doc.person_id)
    if doc.visit_id is not None:
        out.add_integer("visit_id", doc.visit_id)
    out.add_text("type", doc.type or "")
    out.add_text("language", doc.language)
    if doc.department:
        out.add_text("department", doc.department)
    for context, codes in doc.codes.items():
        for code in sorted(codes):
            out.add_text(code_field(context), code)
    for view, seen in zip(VIEWS, (doc, _pseudonymised(doc, secret))):
        if seen.date is not None:
            out.add_integer(view_field("date", view), day_number(seen.date))
            out.add_integer(view_field("year", view), seen.date.year)
        out.add_text(view_field("title", view), seen.title or "")
        body = {"text": seen.text, "contexts": seen.contexts, "entities": seen.entities, "unread": seen.unread}
        out.add_bytes(view_field("body", view), json.dumps(body, ensure_ascii=False).encode("utf-8"))
        _add_segments(out, seen, view)
    return out


def _pseudonymised(doc: IndexDoc, secret: bytes) -> IndexDoc:
    return pseudonymised(doc, date_shift(doc.person_id, secret)) if doc.person_id is not None else doc


def _add_segments(out: tantivy.Document, doc: IndexDoc, view: str) -> None:
    for context, text in doc.segments().items():
        if text:
            out.add_text(text_field(context, doc.language, view), text)
    if doc.unread:
        out.add_text(text_field(PLAIN, doc.language, view), doc.plain())


def patient_document(patient: PatientDoc, secret: bytes) -> tantivy.Document:
    """A patient's document: the text of each of their documents in the fields of its contexts
    and language (in both views), and all their codes; nothing stored but the key and the person."""
    out = tantivy.Document()
    out.add_text("key", patient.key)
    out.add_text("source", "patients")
    out.add_integer("id", patient.person_id)
    out.add_integer("person_id", patient.person_id)
    codes: dict[str, set[str]] = {}
    for member in patient.members:
        _add_segments(out, member, "identified")
        _add_segments(out, _pseudonymised(member, secret), "pseudonymised")
        for context, found in member.codes.items():
            codes.setdefault(context, set()).update(found)
    for context, found in codes.items():
        for code in sorted(found):
            out.add_text(code_field(context), code)
    return out


def day_number(date: dt.date) -> int:
    return date.year * 10_000 + date.month * 100 + date.day


def from_day_number(value: int | None) -> dt.date | None:
    if not value:
        return None
    return dt.date(value // 10_000, value // 100 % 100, value % 100)
