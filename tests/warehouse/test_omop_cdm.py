"""The whole OMOP CDM v5.4, against OHDSI's field-level specification, and the tables derived
from the others (observation_period, eras, cdm_source) against values computed here, in Python,
from the rows they come from."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict

import pytest

from clinsearch.warehouse.derived import DATED, PERSISTENCE_DAYS
from clinsearch.warehouse.schema import DERIVED, PROVENANCE, TABLES, schema_sql
from clinsearch.warehouse.store import open_store
from tests.helpers import DATA, counts, query, run_cli
from tests.helpers import load as ingest_paths

with open(DATA / "omop_cdm_5.4" / "OMOP_CDMv5.4_Field_Level.csv", encoding="utf-8-sig", newline="") as handle:
    FIELDS = list(csv.DictReader(handle))
SPEC: dict[str, list[dict]] = defaultdict(list)
for row in FIELDS:
    SPEC[row["cdmTableName"].lower()].append(dict(row, cdmFieldName=row["cdmFieldName"].strip('"').lower()))
# OHDSI's types and the warehouse types that hold them (integers may be wider: see schema.sql).
TYPES = {"integer": ("INTEGER", "BIGINT"), "float": ("DOUBLE",), "date": ("DATE",), "datetime": ("TIMESTAMP",), "varchar": ("VARCHAR",)}


def test_the_specification_names_39_tables():
    assert len(SPEC) == 39 and len(FIELDS) > 400


@pytest.mark.parametrize("table", sorted(SPEC))
def test_every_omop_table_has_the_standards_columns_in_order_with_their_types(table):
    assert table in TABLES, f"{table}: an OMOP CDM v5.4 table missing from schema.sql"
    ours = TABLES[table]
    names = [f["cdmFieldName"].lower() for f in SPEC[table]]
    assert [c for c in ours.column_names if c in names] == names, f"{table}: OHDSI's columns, in OHDSI's order"
    for field in SPEC[table]:
        kind = field["cdmDatatype"].lower().split("(")[0]
        column = ours.column(field["cdmFieldName"].lower())
        assert column.type in TYPES[kind], f"{table}.{column.name}: {column.type} does not hold OHDSI's {field['cdmDatatype']}"


def test_the_warehouses_own_columns_are_provenance_or_marked_extensions():
    marked = {table: {line.split()[0] for line in body.splitlines() if "-- ext" in line}
              for table, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", schema_sql(), re.S)}
    for table in SPEC:
        extra = set(TABLES[table].column_names) - {f["cdmFieldName"].lower() for f in SPEC[table]}
        assert extra <= set(PROVENANCE) | marked[table], f"{table}: columns that are neither OHDSI's, provenance nor marked ext: {sorted(extra)}"


# --- derived tables, on the demo ------------------------------------------------------------


def eras(events: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date, int, int]]:
    """OHDSI's eras, the slow obvious way: (start, end, events, days exposed) of the ``events``
    (start, end) of one person and concept."""
    out = []
    for start, end in sorted(events):
        if out and start <= out[-1]["end"] + dt.timedelta(days=PERSISTENCE_DAYS):
            out[-1]["end"] = max(out[-1]["end"], end)
            out[-1]["events"].append((start, end))
        else:
            out.append({"start": start, "end": end, "events": [(start, end)]})
    result = []
    for era in out:
        days = set()
        for start, end in era["events"]:
            days.update(start + dt.timedelta(days=i) for i in range((end - start).days))
        result.append((era["start"], era["end"], len(era["events"]), len(days)))
    return result


@pytest.fixture(scope="module")
def synthea(tmp_path_factory):
    """Synthea's public FHIR bundles (tests/data/synthea_fhir), loaded: data this project did not write."""
    data = tmp_path_factory.mktemp("synthea") / "warehouse"
    result = run_cli("--data", data, "ingest", "--no-nlp", DATA / "synthea_fhir")
    assert result.exit_code in (0, 1), result.stderr
    return data


@pytest.fixture(params=["demo", "synthea"])
def warehouse(request):
    return request.getfixturevalue(request.param)


def test_observation_periods_span_each_persons_first_to_last_dated_record(warehouse):
    demo = warehouse
    dates: dict[int, list[dt.date]] = defaultdict(list)
    for table, columns in DATED.items():
        for column in columns:
            for person, day in query(demo, f"SELECT person_id, {column} FROM {table} WHERE {column} IS NOT NULL"):
                dates[person].append(day)
    expected = {p: (min(d), max(d)) for p, d in dates.items()}
    periods = {p: (s, e) for p, s, e in query(demo, "SELECT person_id, observation_period_start_date, observation_period_end_date FROM observation_period")}
    assert len(expected) >= 10 and periods == expected
    assert query(demo, "SELECT DISTINCT period_type_concept_id FROM observation_period") == [(32817,)]


def test_condition_eras_follow_ohdsis_30_day_persistence_window(warehouse):
    demo = warehouse
    events = defaultdict(list)
    for person, concept, source, start, end in query(demo, "SELECT person_id, condition_concept_id, condition_source_concept_id, condition_start_date, "
                                                           "condition_end_date FROM condition_occurrence WHERE condition_start_date IS NOT NULL"):
        events[(person, concept or source)].append((start, end or start + dt.timedelta(days=1)))
    expected = sorted((p, c, s, e, n) for (p, c), evs in events.items() if c for s, e, n, _ in eras(evs))
    found = sorted(query(demo, "SELECT person_id, condition_concept_id, condition_era_start_date, condition_era_end_date, condition_occurrence_count FROM condition_era"))
    assert len(expected) > 30 and found == expected


def test_drug_eras_count_exposures_and_gap_days_as_ohdsi_does(warehouse):
    demo = warehouse
    events = defaultdict(list)
    for person, concept, source, start, end, supply in query(demo, "SELECT person_id, drug_concept_id, drug_source_concept_id, drug_exposure_start_date, "
                                                                   "drug_exposure_end_date, days_supply FROM drug_exposure WHERE drug_exposure_start_date IS NOT NULL"):
        end = end or (start + dt.timedelta(days=supply) if supply is not None else start + dt.timedelta(days=1))
        events[(person, concept or source)].append((start, max(end, start)))
    expected = sorted((p, c, s, e, n, (e - s).days - days) for (p, c), evs in events.items() if c for s, e, n, days in eras(evs))
    found = sorted(query(demo, "SELECT person_id, drug_concept_id, drug_era_start_date, drug_era_end_date, drug_exposure_count, gap_days FROM drug_era"))
    assert len(expected) > 10 and found == expected


def test_cdm_source_describes_the_warehouse(demo):
    [row] = query(demo, "SELECT cdm_version, cdm_version_concept_id, source_release_date, vocabulary_version FROM cdm_source")
    assert row[:2] == ("5.4", 756265)
    assert row[2] == query(demo, "SELECT max(finished_at)::DATE FROM load_log WHERE status <> 'failed'")[0][0]
    assert row[3]


# --- derived tables, by hand ------------------------------------------------------------------


def write(folder, name: str, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_drug_eras_roll_up_to_ingredients_and_dose_eras_keep_constant_doses(data, tmp_path):
    omop = tmp_path / "omop"
    write(omop, "person.csv", "person_id,year_of_birth\n1,1950\n")
    # 10 and 20 are two brands of ingredient 100 (class Ingredient), 30 a drug with no ingredient known.
    write(omop, "concept.csv", "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,concept_code\n"
                               "100,apixaban,Drug,RxNorm,Ingredient,1364430\n10,Eliquis 5 mg,Drug,RxNorm,Branded Drug,1\n"
                               "20,apixaban 5 mg,Drug,RxNorm,Clinical Drug,2\n30,local drug,Drug,LOCAL,Drug,3\n")
    write(omop, "concept_ancestor.csv", "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation\n"
                                        "100,10,1,1\n100,20,1,1\n100,100,0,0\n")
    write(omop, "drug_strength.csv", "drug_concept_id,ingredient_concept_id,amount_value,amount_unit_concept_id,valid_start_date,valid_end_date\n"
                                     "10,100,5,8576,1970-01-01,2099-12-31\n20,100,5,8576,1970-01-01,2099-12-31\n")
    write(omop, "drug_exposure.csv",
          "drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date,drug_exposure_end_date,quantity,days_supply\n"
          "1,1,10,2024-01-01,2024-01-30,60,30\n"   # 10 mg a day
          "2,1,20,2024-02-20,2024-03-20,60,30\n"   # 21 days after: same era, same dose
          "3,1,20,2024-06-01,2024-06-30,30,30\n"   # 73 days after: a new era, 5 mg a day
          "4,1,30,2024-01-05,,,\n")                 # no end, no supply: one day
    ingest_paths(data, omop)
    drug = query(data, "SELECT drug_concept_id, drug_era_start_date, drug_era_end_date, drug_exposure_count, gap_days FROM drug_era ORDER BY 1, 2")
    assert drug == [(30, dt.date(2024, 1, 5), dt.date(2024, 1, 6), 1, 0),
                    (100, dt.date(2024, 1, 1), dt.date(2024, 3, 20), 2, (dt.date(2024, 2, 20) - dt.date(2024, 1, 30)).days),
                    (100, dt.date(2024, 6, 1), dt.date(2024, 6, 30), 1, 0)]
    dose = query(data, "SELECT drug_concept_id, unit_concept_id, dose_value, dose_era_start_date, dose_era_end_date FROM dose_era ORDER BY 4")
    assert dose == [(100, 8576, 10.0, dt.date(2024, 1, 1), dt.date(2024, 3, 20)), (100, 8576, 5.0, dt.date(2024, 6, 1), dt.date(2024, 6, 30))]


def test_condition_occurrences_within_30_days_of_each_other_make_one_era(data, tmp_path):
    omop = tmp_path / "omop"
    write(omop, "person.csv", "person_id,year_of_birth\n1,1950\n")
    write(omop, "condition_occurrence.csv", "condition_occurrence_id,person_id,condition_concept_id,condition_start_date,condition_end_date,condition_source_concept_id\n"
                                            "1,1,201826,2020-01-01,,\n"            # one day: ends 2020-01-02
                                            "2,1,201826,2020-01-20,2020-02-10,\n"  # 18 days later: the same era
                                            "3,1,201826,2020-03-12,,\n"            # 31 days after 2020-02-10: a new era
                                            "4,1,0,2020-01-05,,2000000042\n")      # no standard concept: the hospital's code's
    ingest_paths(data, omop)
    assert query(data, "SELECT condition_concept_id, condition_era_start_date, condition_era_end_date, condition_occurrence_count FROM condition_era ORDER BY 1, 2") == [
        (201826, dt.date(2020, 1, 1), dt.date(2020, 2, 10), 2), (201826, dt.date(2020, 3, 12), dt.date(2020, 3, 13), 1),
        (2000000042, dt.date(2020, 1, 5), dt.date(2020, 1, 6), 1)]


def test_tables_without_an_id_keep_every_row_and_load_twice_the_same(data, tmp_path):
    omop = tmp_path / "omop"
    write(omop, "person.csv", "person_id,year_of_birth\n1,1950\n")
    write(omop, "fact_relationship.csv", "domain_concept_id_1,fact_id_1,domain_concept_id_2,fact_id_2,relationship_concept_id\n"
                                         "21,1,21,2,44818721\n21,1,21,3,44818721\n21,1,21,2,44818721\n")
    write(omop, "concept_ancestor.csv", "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation\n"
                                        "100,10,1,1\n100,20,1,1\n")
    result = ingest_paths(data, omop)
    assert counts(data)["fact_relationship"] == 2 and counts(data)["concept_ancestor"] == 2
    [summary] = [s for s in result.summaries if s.source.endswith("fact_relationship.csv")]
    assert summary.quarantined == 1  # the repeated row, named by its key
    assert "duplicate domain_concept_id_1 21, fact_id_1 1, domain_concept_id_2 21, fact_id_2 2" in query(data, "SELECT reason FROM quarantine")[0][0]
    (omop / "fact_relationship.csv").write_text("domain_concept_id_1,fact_id_1,domain_concept_id_2,fact_id_2,relationship_concept_id\n"
                                                "21,1,21,2,44818721\n21,1,21,3,44818721\n21,1,21,4,44818721\n", encoding="utf-8")
    ingest_paths(data, omop)
    assert sorted(r[0] for r in query(data, "SELECT fact_id_2 FROM fact_relationship")) == [2, 3, 4]


def test_a_derived_table_in_a_source_folder_is_passed_over_with_the_reason(data, tmp_path):
    omop = tmp_path / "omop"
    write(omop, "person.csv", "person_id,year_of_birth\n1,1950\n")
    write(omop, "observation_period.csv", "observation_period_id,person_id,observation_period_start_date,observation_period_end_date,period_type_concept_id\n1,1,2000-01-01,2001-01-01,32817\n")
    result = ingest_paths(data, omop)
    [ignored] = result.ignored
    assert ignored.path.name == "observation_period.csv" and "derived by clinsearch" in ignored.reason
    assert counts(data)["observation_period"] == 0  # person 1 has no dated record
    cli = run_cli("--data", data, "ingest", omop / "observation_period.csv")
    assert cli.exit_code != 0 and "observation_period is derived by clinsearch" in cli.stderr


def test_derived_tables_lagging_behind_a_load_are_said_and_computed_by_the_next_ingest(data, tmp_path):
    from clinsearch.warehouse.load import load
    from clinsearch.warehouse.records import Parsed, Row
    from clinsearch.warehouse.stats import stats

    omop = tmp_path / "omop"
    write(omop, "person.csv", "person_id,year_of_birth\n1,1950\n")
    write(omop, "condition_occurrence.csv", "condition_occurrence_id,person_id,condition_concept_id,condition_start_date\n1,1,201826,2020-01-01\n")
    ingest_paths(data, omop)
    assert counts(data)["condition_era"] == 1
    with open_store(data) as store:  # a load whose run stops before the derivation (killed)
        load(store, "late.csv", "omop", "late", lambda: iter([Parsed("line 2", [Row("condition_occurrence", {
            "condition_occurrence_id": 2, "person_id": 1, "condition_concept_id": 201826, "condition_start_date": dt.date(2023, 5, 1)})])]))
        assert stats(store)["derived_stale"] is True
    assert "lag behind the last load" in run_cli("--data", data, "stats").stdout
    ingest_paths(data, omop)  # nothing new to load: the derivation is caught up
    assert query(data, "SELECT observation_period_end_date FROM observation_period") == [(dt.date(2023, 5, 1),)]
    assert counts(data)["condition_era"] == 2
    with open_store(data, read_only=True) as store:
        assert stats(store)["derived_stale"] is False


@pytest.mark.parametrize("table", DERIVED)
def test_derived_tables_are_omop_tables(table):
    assert table in SPEC
