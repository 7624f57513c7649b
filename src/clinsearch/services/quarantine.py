"""The quarantine, as a data engineer works through it: which sources have records in it and
why, one entry with the record as it was read, and clearing a source once dealt with.

Quarantined records may carry identified data (a note's text, a patient's identifier, a FHIR
resource as read): only an administrator -- the role that loads and maintains the warehouse;
``clinsearch quarantine`` runs as one, like ``clinsearch user`` -- reads them, and every call is
written to the audit log before it reads. Researchers and clinicians are refused (and that is
audited too).

What each reason means and what to do about it: ``docs/data-engineering.md``.
"""

from __future__ import annotations

from clinsearch.services.access import NotFound, Request, audit, refuse
from clinsearch.warehouse.stats import clear_quarantine, quarantine_entries, quarantine_entry, quarantine_sources
from clinsearch.warehouse.store import open_store

WHAT = "the quarantine"


def _require_data_engineer(request: Request, target: str) -> None:
    if request.principal.role != "admin":
        raise refuse(request, target, f"only administrators (who load the warehouse) read {WHAT}: its records may hold identified data")


def listing(request: Request, source: str | None = None, limit: int = 100) -> dict:
    """``{"sources": [{source_file, format, status, records, first_id, top_reason}], "entries": [...]}``;
    ``entries`` (without raw content) are those of ``source`` when one is given, else the first
    ``limit`` of all."""
    _require_data_engineer(request, source or WHAT)
    audit(request, "quarantine-list", source or WHAT)
    with open_store(request.data, read_only=True) as store:
        return {"sources": quarantine_sources(store), "entries": quarantine_entries(store, source, limit)}


def entry(request: Request, quarantine_id: int) -> dict:
    """One entry: source, record, reason, the raw record as read, the load's format and status."""
    target = f"quarantine {quarantine_id}"
    _require_data_engineer(request, target)
    audit(request, "quarantine-show", target)
    with open_store(request.data, read_only=True) as store:
        found = quarantine_entry(store, quarantine_id)
    if found is None:
        raise NotFound(f"no quarantine entry {quarantine_id} ('clinsearch quarantine list' shows them)")
    return found


def clear(request: Request, source: str) -> dict:
    """Drop the entries of ``source`` (a path as listed, or the end of one, such as a file
    name, when that names one source only); its unchanged file is then not read again by
    ``ingest`` (a changed one is). ``{"source": ..., "cleared": N}``."""
    _require_data_engineer(request, source)
    with open_store(request.data, read_only=True) as store:
        names = [row["source_file"] for row in quarantine_sources(store)]
    matches = [n for n in names if n == source] or [n for n in names if n.endswith("/" + source.lstrip("/")) or n.endswith(source)]
    if not matches:
        raise NotFound(f"no quarantined records from {source!r} ('clinsearch quarantine list' shows the sources)")
    if len(matches) > 1:
        raise NotFound(f"{source!r} names {len(matches)} sources ({', '.join(matches[:3])} ...): give the full path")
    audit(request, "quarantine-clear", matches[0])
    with open_store(request.data) as store:
        dropped = clear_quarantine(store, matches[0])
    return {"source": matches[0], "cleared": dropped}
