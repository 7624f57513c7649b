"""The data engineer's sequence, written once: load sources, run the NLP on new or changed
notes, bring the search index up to date. Every face (``clinsearch ingest``, ``nlp``, ``index``,
``demo``) calls these functions; progress is reported through ``on_progress(stage, done, total)``
(stage ``"nlp"`` or ``"index"``) and the ingest ``Reporter``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from clinsearch.ingest.run import IngestResult, Reporter
from clinsearch.ingest.run import ingest as load_sources
from clinsearch.nlp.run import NlpSummary, run_nlp, waiting
from clinsearch.search.index import IndexSummary, update
from clinsearch.warehouse.store import open_store

Progress = Callable[[str, int, int], None]


@dataclass
class Run:
    """What one run did: the load (if any), the NLP (if it ran), the index update."""

    index: IndexSummary
    ingest: IngestResult | None = None
    nlp: NlpSummary | None = None

    @property
    def ok(self) -> bool:
        return self.ingest is None or self.ingest.ok

    def as_dict(self) -> dict:
        return {**(self.ingest.as_dict() if self.ingest else {}), "nlp": self.nlp.as_dict() if self.nlp else None, "index": self.index.as_dict()}


def _stage(on_progress: Progress | None, stage: str):
    """The stage's own callback; the stage is announced (0 of 0) before its work starts."""
    if on_progress is None:
        return None
    on_progress(stage, 0, 0)
    return lambda done, total: on_progress(stage, done, total)


def ingest(data: Path, paths: list[Path], reporter: Reporter | None = None, *, nlp: bool = True, on_progress: Progress | None = None) -> Run:
    """Load ``paths`` (files or folders, each file in one transaction); then, with ``nlp``, annotate
    every note waiting for it -- loaded now, or left by an earlier run that was killed or had
    ``--no-nlp`` -- then update the index."""
    with open_store(data) as store:
        result = load_sources(store, list(paths), reporter)
        summary = None
        if nlp and waiting(store):
            summary = run_nlp(store, on_progress=_stage(on_progress, "nlp"))
        indexed = update(store, data, on_progress=_stage(on_progress, "index"))
    return Run(indexed, result, summary)


def process(data: Path, *, processes: int | None = None, spark: bool = False, master: str = "local[*]", reprocess: bool = False,
            on_progress: Progress | None = None) -> Run:
    """Annotate every new or changed note (``reprocess``: also the notes annotated by an earlier
    NLP version), locally or in Spark, and update the index."""
    options = {"reprocess": True} if reprocess else {}
    with open_store(data) as store:
        if spark:
            from clinsearch.nlp.spark import run_spark_nlp  # pyspark only when asked for

            summary = run_spark_nlp(store, master, **options)
        else:
            summary = run_nlp(store, processes=processes, on_progress=_stage(on_progress, "nlp"), **options)
        indexed = update(store, data, on_progress=_stage(on_progress, "index"))
    return Run(indexed, None, summary)


def reindex(data: Path, *, rebuild: bool = False, on_progress: Progress | None = None) -> IndexSummary:
    """Bring the search index up to date with the warehouse (``rebuild``: from empty)."""
    with open_store(data) as store:
        return update(store, data, rebuild=rebuild, on_progress=_stage(on_progress, "index"))
