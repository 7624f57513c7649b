"""The OMOP standard vocabularies of a warehouse: loading an Athena download, and looking codes
and names up in the terminology (the open defaults and the loaded vocabularies).

Loading is a data engineer's act on the command line, like ``ingest``: it reads no patient data.
After the load the search index is brought up to date, since coded records now carry the loaded
concepts' codes."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from clinsearch import terminology
from clinsearch.search.index import update
from clinsearch.terminology import omop
from clinsearch.terminology.athena import VocabularyError, load as load_athena
from clinsearch.warehouse.derived import derive
from clinsearch.warehouse.store import open_store

__all__ = ["VocabularyError", "load", "lookup"]


def load(data: Path, folder: Path, *, on_progress: Callable[[str, int], None] | None = None, index: bool = True) -> dict:
    """Load the Athena download in ``folder`` in one transaction (``VocabularyError`` names the
    file and line of the first bad row; nothing is written then); returns the summary, with the
    index update's when ``index``."""
    with open_store(data) as store:
        summary = load_athena(store, Path(folder), data=data, on_progress=on_progress)
        summary["derived"] = derive(store)  # drug eras roll up to the ingredients the vocabulary gives
        if index:
            summary["index"] = update(store, data).as_dict()
    return summary


def lookup(data: Path, text: str) -> dict:
    """``{"query", "concepts": [...]}``: the concepts named ``text`` or, for ``VOCABULARY:CODE``
    (or a bare code), that concept and what it maps to and includes."""
    vocabulary, _, code = text.partition(":") if ":" in text else ("", "", text)
    concepts = [c.as_dict() for c in terminology.lookup(text, data=data)]
    if code and not concepts:
        for voc in ([vocabulary.upper()] if vocabulary else ["CIM10", "ATC", "ORPHA", "LOINC", "HPO", "BDPM"]):
            found = terminology.concept(voc, code.replace(".", "") if voc == "CIM10" else code)
            if found is not None:
                concepts.append({**found.as_dict(), "descendants": len(terminology.descendants(voc, found.code)) - 1})
        for voc, cod in omop.related(data, [(vocabulary or None, code)]):
            concepts.append({"vocabulary": voc, "code": cod, "source": "OMOP vocabularies (Athena)"})
    return {"query": text, "vocabularies": omop.loaded(data), "concepts": concepts}
