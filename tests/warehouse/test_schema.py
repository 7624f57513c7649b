"""The warehouse schema against OHDSI's own specification of the OMOP CDM v5.4 (the DDL in
``tests/data/omop_cdm_5.4``): an OMOP table of ours has OHDSI's columns, with their names, in
their order; our additions are extra columns (provenance, ``ext``) or extra tables."""

from __future__ import annotations

import re

import pytest

from clinsearch.warehouse.schema import TABLES
from tests.helpers import DATA

DDL = (DATA / "omop_cdm_5.4" / "OMOPCDM_duckdb_5.4_ddl.sql").read_text(encoding="utf-8")
OHDSI = {name.lower(): [line.split()[0].strip('"') for line in body.strip().splitlines() if line.strip()]
         for name, body in re.findall(r"CREATE TABLE @cdmDatabaseSchema\.(\w+) \((.*?)\);", DDL, re.S)}
SHARED = sorted(set(OHDSI) & set(TABLES))


def test_the_specification_is_read_whole():
    assert len(OHDSI) == 39 and OHDSI["person"][0] == "person_id"


@pytest.mark.parametrize("table", SHARED)
def test_an_omop_table_has_ohdsis_columns_in_ohdsis_order(table):
    ours = TABLES[table].column_names
    missing = [c for c in OHDSI[table] if c not in ours]
    assert missing == [], f"{table}: columns of OHDSI's DDL missing from schema.sql"
    assert [c for c in ours if c in OHDSI[table]] == OHDSI[table], f"{table}: columns out of OHDSI's order"


@pytest.mark.parametrize("table", ["device_exposure", "specimen", "location", "provider", "care_site", "observation", "drug_exposure"])
def test_the_tables_the_fhir_reader_fills_are_omop_tables(table):
    assert table in SHARED
