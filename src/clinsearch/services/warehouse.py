"""What the warehouse holds: row counts and the quarantine (no patient data)."""

from __future__ import annotations

from pathlib import Path

from clinsearch.nlp.run import outdated, waiting
from clinsearch.services.access import Request, blur
from clinsearch.warehouse.stats import quarantine_summary, stats
from clinsearch.warehouse.store import open_store


def table_counts(data: Path) -> dict:
    """``{"tables": {name: rows}, "quarantine": N, "nlp": {"waiting": N, "outdated": N}}``:
    ``waiting`` notes have no NLP yet (searched as unqualified text until ``clinsearch nlp``),
    ``outdated`` ones were annotated by an earlier NLP version (``clinsearch nlp --reprocess``)."""
    with open_store(data, read_only=True) as store:
        return _counts(store)


def _counts(store) -> dict:
    return {**stats(store), "nlp": {"waiting": waiting(store), "outdated": outdated(store)}}


def overview(data: Path) -> tuple[dict, list[dict]]:
    """The counts of ``table_counts`` and the quarantine's most frequent reasons."""
    with open_store(data, read_only=True) as store:
        return _counts(store), quarantine_summary(store)


def stats_for(request: Request) -> dict:
    """The counts as the principal may see them: a researcher's are suppressed or rounded."""
    counts = table_counts(request.data)
    if request.principal.role == "researcher":
        counts["tables"] = {name: blur(n) for name, n in counts["tables"].items()}
        counts["quarantine"] = blur(counts["quarantine"])
        counts["nlp"] = {name: blur(n) for name, n in counts["nlp"].items()}
    return counts


def upgrade(data: Path) -> dict:
    """Bring the warehouse of ``data`` to this clinsearch's schema version, in place, in one
    transaction: ``{"warehouse", "before", "after", "tables"}`` (``before`` None: a new warehouse)."""
    with open_store(data) as store:
        before, after = store.upgraded
        return {"warehouse": str(store.path), "before": before, "after": after, "tables": stats(store)["tables"]}
