"""Running the NLP over the warehouse: every new or changed note, once, on all cores.

``run_nlp(store)`` finds the notes that are new, whose text changed since they were last
processed, or that have no NLP state (``note_nlp_state``), reads them ``READ`` at a time (memory
stays flat however many wait), annotates them in worker processes forked once from a parent that
has loaded the pipeline, and writes their ``note_nlp`` rows batch
by batch, each batch in one transaction (a note's old rows are replaced). Re-running with nothing
new writes nothing. Notes annotated by another version of the NLP (``nlp_system``) are counted by
``outdated(store)`` and re-annotated only when asked: ``run_nlp(store, reprocess=True)``.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import multiprocessing
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from clinsearch.nlp import cues, cues_en
from clinsearch.nlp.annotate import Analysis, analyse
from clinsearch.nlp.language import detect
from clinsearch.nlp.lexicon import fingerprint
from clinsearch.nlp.pipeline import PIPELINE_VERSION, ready_pipeline
from clinsearch.nlp.to_note_nlp import CONTEXT, note_nlp_rows
from clinsearch.warehouse.duckdb import DuckDBStore

TASK = 10  # notes per task: small, so that no core waits long for the last ones
WRITE = 200  # notes per transaction: writing costs less in larger batches
READ = 2_000  # notes read from the warehouse at a time (texts in memory, whatever the backlog)
FORK_FROM = 100  # notes: fewer are annotated in this process, without forking
LANGUAGES_WITH_PIPELINE = ("fr", "en")


def nlp_system() -> str:
    """The NLP version written to ``note_nlp`` and ``note_nlp_state``: what determines the output,
    and nothing else -- ``PIPELINE_VERSION`` (bumped on purpose when the code changes the output),
    EDS-NLP's version, and the fingerprints of the lexicon and of the French and English cue lists
    (data). Not the code's text: a comment, a refactoring or a speed-up leaves it as it is.

    >>> nlp_system()  # doctest: +ELLIPSIS
    'clinsearch nlp ... (edsnlp 0.23..., lexicon ..., cues fr ... en ...)'
    """
    import edsnlp

    return (f"clinsearch nlp {PIPELINE_VERSION} (edsnlp {edsnlp.__version__}, lexicon {fingerprint()[:8]}, "
            f"cues fr {cues.fingerprint()[:8]} en {cues_en.fingerprint()[:8]})")


@dataclass
class NlpSummary:
    notes: int = 0
    processed: int = 0
    entities: int = 0
    skipped: dict = field(default_factory=dict)  # reason -> notes
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"notes": self.notes, "processed": self.processed, "entities": self.entities, "skipped": self.skipped, "seconds": round(self.seconds, 2)}


def text_hash(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # DuckDB's md5() gives the same


# A note waits when no NLP state holds its present text (and, with reprocess, this NLP's system).
# The hashes are computed before the join so that the texts stream through it: on DuckDB a
# NOT EXISTS on md5(note_text) held every text at once (2.1 GB at a million notes, 130 MB so).
PENDING = ("FROM (SELECT note_id, md5(note_text) AS text_hash FROM note) n LEFT JOIN note_nlp_state s "
           "ON s.note_id = n.note_id AND s.text_hash = n.text_hash AND NOT (? AND s.nlp_system IS DISTINCT FROM ?) "
           "WHERE s.note_id IS NULL")


def pending_ids(store: DuckDBStore, system: str, reprocess: bool = False):
    """The ids of the notes to annotate, in order, as an Arrow array (8 bytes a note): those with
    no NLP state, or whose text changed since; with ``reprocess``, also those annotated by
    another NLP than ``system``. One pass over the texts (their hashes)."""
    return store.arrow(f"SELECT n.note_id {PENDING} ORDER BY n.note_id", [reprocess, system]).column(0)


def pending(store: DuckDBStore, ids, size: int = READ) -> Iterator[list[tuple[int, str, str | None]]]:
    """(note_id, text, language) of the notes ``ids`` (``pending_ids``), ``size`` at a time,
    each batch read when the previous one is done with: memory holds one batch of texts however
    many notes wait."""
    for start in range(0, len(ids), size):
        batch = ids.slice(start, size).to_pylist()
        yield store.query("SELECT note_id, note_text, language_source_value FROM note "
                          "WHERE note_id BETWEEN ? AND ? AND note_id IN (SELECT unnest(?)) ORDER BY note_id", [batch[0], batch[-1], batch])


def count_pending(store: DuckDBStore, system: str, reprocess: bool = False) -> int:
    return store.query(f"SELECT count(*) {PENDING}", [reprocess, system])[0][0]


def waiting(store: DuckDBStore) -> int:
    """The notes a plain ``run_nlp`` would annotate: never annotated (a load killed before its NLP,
    ``ingest --no-nlp``) or changed since. Until then the index holds them as unqualified text."""
    return count_pending(store, "", reprocess=False)


def outdated(store: DuckDBStore) -> int:
    """The notes a plain ``run_nlp`` leaves as another version of the NLP annotated them (their
    text unchanged since): what ``run_nlp(store, reprocess=True)`` would re-annotate besides."""
    return store.query(
        "SELECT count(*) FROM note n JOIN note_nlp_state s USING (note_id) "
        "WHERE s.text_hash = md5(n.note_text) AND s.nlp_system IS DISTINCT FROM ?",
        [nlp_system()],
    )[0][0]


def begin(store: DuckDBStore, reprocess: bool = False) -> tuple[str, object, NlpSummary]:
    """(system, ids of the pending notes, summary to fill) at the start of a run, local or Spark."""
    system = nlp_system()
    ids = pending_ids(store, system, reprocess)
    return system, ids, NlpSummary(notes=len(ids))


def run_nlp(store: DuckDBStore, processes: int | None = None, on_progress: Callable[[int, int], None] | None = None,
            *, reprocess: bool = False) -> NlpSummary:
    """Annotate the new notes, those whose text changed and those with no NLP state; with
    ``reprocess``, also those annotated by another version of the NLP (``outdated``)."""
    start = dt.datetime.now()
    system, ids, summary = begin(store, reprocess)
    if not summary.notes:
        return summary
    done = 0
    with ExitStack() as workers:
        with store.paused():  # loading the pipelines takes a while: requests are served meanwhile
            for language in LANGUAGES_WITH_PIPELINE:
                ready_pipeline(language)  # once, in the parent: forked workers share it
            # forked while the warehouse is let go: a worker must not inherit the writer's hold on it
            annotated = workers.enter_context(_annotator((processes or os.cpu_count() or 1) if summary.notes >= FORK_FROM else 1))
        for notes in pending(store, ids, READ):
            analyses = annotated(notes)
            while True:
                with store.paused():  # the file is free for requests while the batch is annotated
                    batch, results = _next_batch(analyses, WRITE)
                if not batch:
                    break
                _write(store, batch, results, system, summary)
                done += len(batch)
                if on_progress:
                    on_progress(done, max(done, summary.notes))
    summary.seconds = (dt.datetime.now() - start).total_seconds()
    return summary


def _next_batch(annotated: Iterator[tuple[list, list]], size: int) -> tuple[list, list]:
    """At least ``size`` notes (or all that are left) with their analyses."""
    batch: list = []
    results: list = []
    for task, analyses in annotated:
        batch += task
        results += analyses
        if len(batch) >= size:
            break
    return batch, results


@contextmanager
def _annotator(processes: int) -> Iterator[Callable[[list], Iterator[tuple[list, list]]]]:
    """A function from notes to an iterator of (task, analyses), tasks of ``TASK`` notes: in this
    process, or in ``processes`` workers forked once for the whole run (they end on exit)."""
    def tasks(notes: list) -> list[list]:
        return [notes[i: i + TASK] for i in range(0, len(notes), TASK)]

    if processes <= 1:
        yield lambda notes: ((task, _annotate_batch(task)) for task in tasks(notes))
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_worker_start) as pool:
        yield lambda notes: zip(tasks(notes), pool.imap(_annotate_batch, tasks(notes)))


def _worker_start() -> None:
    """In each forked worker: the objects it inherits -- above all the pipelines, 200,000 objects
    loaded once and kept -- left out of the garbage collector's full collections, which walked
    them all every few hundred notes (Python's ``gc.freeze``; the parent is left as it is)."""
    gc.freeze()


def _annotate_batch(batch) -> list[tuple[str, Analysis | None]]:
    """(language, analysis or None when the language has no pipeline) for each note."""
    results = []
    for _, text, language in batch:
        language = (language or detect(text)).lower()[:2]
        results.append((language, analyse(text, language) if language in LANGUAGES_WITH_PIPELINE else None))
    return results


def _write(store: DuckDBStore, batch, results, system: str, summary: NlpSummary) -> None:
    when = dt.datetime.now().replace(microsecond=0)
    items = []
    for (note_id, text, _), (language, analysis) in zip(batch, results):
        rows = note_nlp_rows(note_id, text, analysis.entities, system, when, analysis.contexts) if analysis is not None else None
        items.append((note_id, text, language, rows))
    save(store, items, system, summary)


def save(store: DuckDBStore, items, system: str, summary: NlpSummary) -> None:
    """Write, in one transaction, the note_nlp rows of each ``(note_id, text, language, rows)``
    (``rows`` None when the language has no pipeline) and the notes' ``note_nlp_state``."""
    when = dt.datetime.now().replace(microsecond=0)
    all_rows, states = [], []
    for note_id, text, language, rows in items:
        status = "processed" if rows is not None else f"no {language} pipeline yet"
        found = sum(row["label"] != CONTEXT for row in rows or [])
        if rows is None:
            summary.skipped[status] = summary.skipped.get(status, 0) + 1
        else:
            all_rows.extend(rows)
            summary.processed += 1
            summary.entities += found
        states.append({"note_id": note_id, "text_hash": text_hash(text), "nlp_system": system, "language": language, "entities": found, "status": status, "processed_at": when})
    with store.transaction():
        store.execute("DELETE FROM note_nlp WHERE note_id IN (SELECT unnest(?))", [[s["note_id"] for s in states]])
        store.insert("note_nlp", all_rows)
        store.upsert("note_nlp_state", states)
