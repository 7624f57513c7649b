"""The warehouse's schema version, and the migration of an older warehouse in place.

A warehouse records the version of ``schema.sql`` it was brought to (``schema_version``); one
made before versions were recorded is version 1. Opening a warehouse for writing upgrades it;
opening it read-only (a request being served) refuses an older one with the command that
upgrades it (``clinsearch upgrade``), rather than answer from tables it does not have. A newer
warehouse than this clinsearch knows is refused both ways.

Each migration runs in one transaction with the version it brings: killed half-way, the
warehouse is left as it was, at its old version.

* 1 -> 2: the 15 tables of OMOP CDM v5.4 the warehouse lacked (visit_detail, payer_plan_period,
  cost, fact_relationship, episode, episode_event, metadata, source_to_concept_map, cohort,
  cohort_definition, and the derived observation_period, condition_era, drug_era, dose_era,
  cdm_source), the bookkeeping of the derivation, then the derived tables computed from the rows
  already there.
"""

from __future__ import annotations

import datetime as dt

from clinsearch.warehouse.derived import derive_within
from clinsearch.warehouse.errors import WarehouseError
from clinsearch.warehouse.schema import SCHEMA_VERSION, schema_sql


def version(store) -> int | None:
    """The schema version of the warehouse; None for a new, empty one."""
    tables = store.tables()
    if "schema_version" in tables:
        (found,) = store.query("SELECT max(version) FROM schema_version")[0]
        if found is not None:
            return found
    return 1 if "person" in tables else None


def check(store, path) -> None:
    """Refuse a read-only warehouse of another version (``WarehouseError``)."""
    found = version(store)
    if found is not None and found != SCHEMA_VERSION:
        raise WarehouseError(_other_version(path, found))


def upgrade(store, path) -> tuple[int | None, int]:
    """Bring the warehouse opened for writing to this schema version: (version before, after)."""
    found = version(store)
    if found == SCHEMA_VERSION:
        return found, found
    if found is not None and found > SCHEMA_VERSION:
        raise WarehouseError(_other_version(path, found))
    with store.transaction():
        # Every migration so far adds tables: creating those missing is the whole of it.
        store.execute(schema_sql())
        if found is not None:
            derive_within(store)
        store.execute("INSERT INTO schema_version VALUES (?, ?)", [SCHEMA_VERSION, dt.datetime.now().replace(microsecond=0)])
    return found, SCHEMA_VERSION


def _other_version(path, found: int) -> str:
    if found > SCHEMA_VERSION:
        return (f"{path}: a warehouse of schema version {found}, made by a newer clinsearch (this one knows version {SCHEMA_VERSION}): "
                "upgrade clinsearch")
    return (f"{path}: a warehouse of schema version {found} (this clinsearch reads version {SCHEMA_VERSION}): "
            "run 'clinsearch upgrade' to migrate it in place, in one transaction")
