"""The same NLP on Apache Spark, for hospitals whose notes outgrow one machine.

``annotate_notes(notes)`` takes a Spark DataFrame with ``note_id``, ``note_text`` and optionally
``language_source_value`` and returns a DataFrame of ``note_nlp`` rows (the warehouse's own
columns), computed by the clinsearch pipeline in every Python worker (``mapInPandas``; each
worker loads the pipeline once from the disk cache). A hospital runs it on its own notes table
and writes the result where its warehouse reads it::

    from clinsearch.nlp.spark import annotate_notes
    annotate_notes(spark.table("edsprod.note")).write.parquet("hdfs:///.../note_nlp.parquet")

``clinsearch nlp --spark [--master local[*]]`` does the whole round trip for the embedded
warehouse: the notes still to process are sent to Spark, their rows come back into ``note_nlp``
and ``note_nlp_state``, exactly as ``run_nlp`` writes them.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Iterator

from clinsearch.warehouse.schema import PROVENANCE, TABLES

SPARK_TYPES = {"BIGINT": "long", "INTEGER": "int", "DOUBLE": "double", "DATE": "date", "TIMESTAMP": "timestamp", "VARCHAR": "string"}
COLUMNS = [c for c in TABLES["note_nlp"].columns if c.name not in PROVENANCE]
SPARK_READ = 50_000  # notes sent to Spark per job: the driver holds one batch of texts at a time


def note_nlp_schema() -> str:
    return ", ".join(f"`{c.name}` {SPARK_TYPES[c.type]}" for c in COLUMNS)


def session(master: str = "local[*]"):
    """A Spark session whose Python workers are this interpreter (so they import clinsearch)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("clinsearch-nlp")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _annotate_batches(batches: Iterator) -> Iterator:
    import pandas as pd

    from clinsearch.nlp.annotate import analyse
    from clinsearch.nlp.language import detect
    from clinsearch.nlp.pipeline import ready_pipeline
    from clinsearch.nlp.run import LANGUAGES_WITH_PIPELINE, nlp_system
    from clinsearch.nlp.to_note_nlp import note_nlp_rows

    system = nlp_system()
    for language in LANGUAGES_WITH_PIPELINE:
        ready_pipeline(language)  # an executor annotates many notes: fill the matchers at once
    for frame in batches:
        when = dt.datetime.now().replace(microsecond=0)
        rows = []
        languages = frame["language_source_value"] if "language_source_value" in frame else [None] * len(frame)
        for note_id, text, language in zip(frame["note_id"], frame["note_text"], languages):
            text = text or ""
            language = (language or detect(text)).lower()[:2]
            if language not in LANGUAGES_WITH_PIPELINE:
                continue
            analysis = analyse(text, language)
            rows.extend(note_nlp_rows(int(note_id), text, analysis.entities, system, when, analysis.contexts))
        yield pd.DataFrame(rows, columns=[c.name for c in COLUMNS])


def annotate_notes(notes):
    """note_nlp rows (a Spark DataFrame) for a DataFrame of notes."""
    if "language_source_value" not in notes.columns:
        from pyspark.sql import functions as F

        notes = notes.withColumn("language_source_value", F.lit(None).cast("string"))
    return notes.select("note_id", "note_text", "language_source_value").mapInPandas(_annotate_batches, schema=note_nlp_schema())


def run_spark_nlp(store, master: str = "local[*]", *, reprocess: bool = False):
    """``run_nlp``'s round trip with the annotation done by Spark (``reprocess`` as there)."""
    from clinsearch.nlp.language import detect
    from clinsearch.nlp.run import LANGUAGES_WITH_PIPELINE, begin, pending, save

    start = dt.datetime.now()
    system, ids, summary = begin(store, reprocess)
    if not summary.notes:
        return summary
    spark = session(master)
    try:
        for notes in pending(store, ids, size=SPARK_READ):
            frame = spark.createDataFrame(notes, "note_id long, note_text string, language_source_value string")
            by_note: dict[int, list[dict]] = {}
            for row in annotate_notes(frame).collect():
                by_note.setdefault(row["note_id"], []).append(row.asDict())
            items = []
            for note_id, text, language in notes:
                language = (language or detect(text or "")).lower()[:2]
                items.append((note_id, text or "", language, by_note.get(note_id, []) if language in LANGUAGES_WITH_PIPELINE else None))
            save(store, items, system, summary)
    finally:
        spark.stop()
    summary.seconds = (dt.datetime.now() - start).total_seconds()
    return summary
