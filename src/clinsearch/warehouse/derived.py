"""The OMOP tables computed from the others, as OHDSI's tools expect them.

After each ingest (and each vocabulary load) the derived tables are computed again, whole, in one
transaction, so that they always describe the rows beside them:

* ``observation_period``: one period per person, from their first to their last dated record of
  any clinical table (OHDSI's convention for data without enrolment periods: EHR, hospital),
  ``period_type_concept_id`` 32817 ("EHR");
* ``condition_era``: the condition occurrences of a person and concept merged when one starts at most 30 days after the end of the ones before it (OHDSI's
  persistence window); an occurrence without an end date lasts one day, as in OHDSI's script;
* ``drug_era``: the drug exposures rolled up to their ingredient (``concept_ancestor`` to a
  concept of class Ingredient, when a vocabulary is loaded; a drug with no known ingredient
  stands for itself -- OHDSI leaves it out, but a hospital's local drug codes would then have no
  era at all), overlapping exposures merged, then eras merged with the 30-day window;
  ``gap_days`` is the era's length minus the days exposed, as OHDSI counts them; an exposure's end
  is its end date, else its start plus its days of supply, else its start plus one day;
* ``dose_era``: periods of a constant daily dose of one ingredient, where ``drug_strength`` gives
  the amount and the exposure its quantity and days of supply (amount x quantity / days), merged
  with the same 30-day window;
* ``cdm_source``: the one row that describes this warehouse.

A record's concept is its standard concept, else the concept of the hospital's own code (its
``*_source_concept_id``: CIM-10, ATC ...): OHDSI counts standard concepts only, which would leave
a warehouse without a licensed vocabulary -- every hospital's at first -- without any era.

``derived_state`` records the last load the tables were computed after: a load killed between
its files and the derivation leaves them one load behind, which ``stale`` tells and the next
ingest repairs (``clinsearch stats`` reports it).
"""

from __future__ import annotations

import datetime as dt

import clinsearch

PERSISTENCE_DAYS = 30  # OHDSI's persistence window for condition, drug and dose eras
EHR_PERIOD = 32817  # concept "EHR": the type of an observation period derived from EHR records
CDM_VERSION_CONCEPT = 756265  # concept "OMOP CDM Version 5.4.0"

# The dated columns of each clinical table: a person is observed from the first to the last of them.
DATED = {
    "visit_occurrence": ("visit_start_date", "visit_end_date"),
    "visit_detail": ("visit_detail_start_date", "visit_detail_end_date"),
    "condition_occurrence": ("condition_start_date", "condition_end_date"),
    "drug_exposure": ("drug_exposure_start_date", "drug_exposure_end_date"),
    "procedure_occurrence": ("procedure_date", "procedure_end_date"),
    "device_exposure": ("device_exposure_start_date", "device_exposure_end_date"),
    "measurement": ("measurement_date",),
    "observation": ("observation_date",),
    "note": ("note_date",),
    "specimen": ("specimen_date",),
    "death": ("death_date",),
    "image_occurrence": ("image_occurrence_date",),
    "episode": ("episode_start_date", "episode_end_date"),
}


def derive(store) -> dict[str, int]:
    """Compute every derived table again (one transaction); the rows of each."""
    with store.transaction():
        return derive_within(store)


def derive_within(store) -> dict[str, int]:
    """``derive`` inside the caller's transaction (an upgrade's)."""
    counts = {
        "observation_period": _replace(store, "observation_period", _observation_periods()),
        "condition_era": _replace(store, "condition_era", _condition_eras()),
        "drug_era": _replace(store, "drug_era", _drug_eras()),
        "dose_era": _replace(store, "dose_era", _dose_eras()),
    }
    store.execute("DELETE FROM cdm_source")
    store.insert("cdm_source", [_cdm_source(store)])
    counts["cdm_source"] = 1
    store.execute("DELETE FROM derived_state")
    store.execute("INSERT INTO derived_state SELECT coalesce(max(load_id), 0), ? FROM load_log", [_now()])
    return counts


def stale(store) -> bool:
    """Whether a load finished after the derived tables were last computed."""
    (behind,) = store.query("SELECT coalesce((SELECT max(load_id) FROM load_log), 0) > coalesce((SELECT max(load_id) FROM derived_state), -1)")[0]
    return bool(behind)


def _replace(store, table: str, select: str) -> int:
    store.execute(f"DELETE FROM {table}")
    store.execute(f"INSERT INTO {table} {select}")
    return store.query(f"SELECT count(*) FROM {table}")[0][0]


def _observation_periods() -> str:
    dates = " UNION ALL ".join(f"SELECT person_id, {column} AS day FROM {table} WHERE {column} IS NOT NULL"
                               for table, columns in DATED.items() for column in columns)
    return (f"SELECT row_number() OVER (ORDER BY person_id), person_id, min(day), max(day), {EHR_PERIOD} "
            f"FROM ({dates}) dated WHERE person_id IN (SELECT person_id FROM person) GROUP BY person_id")


def _eras(events: str, group: str) -> str:
    """``events`` (``person_id``, the columns of ``group``, ``s``, ``e``: start and end dates)
    merged into eras: an event starting more than the persistence window after the latest end
    of those before it starts a new era. Rows: the group's columns, era start, end, event count
    and the days the events cover (overlaps counted once)."""
    partition = f"PARTITION BY person_id, {group}"
    return f"""
        WITH events AS ({events}),
        ordered AS (
            SELECT *, max(e) OVER ({partition} ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
            FROM events),
        numbered AS (
            SELECT *, sum(CASE WHEN before_end IS NULL OR s > before_end + {PERSISTENCE_DAYS} THEN 1 ELSE 0 END)
                      OVER ({partition} ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS era,
                      CASE WHEN before_end IS NULL OR s > before_end THEN e - s
                           WHEN e > before_end THEN e - before_end ELSE 0 END AS covered
            FROM ordered)
        SELECT person_id, {group}, min(s) AS era_start, max(e) AS era_end, count(*) AS events, sum(covered) AS covered
        FROM numbered GROUP BY person_id, {group}, era"""


def _condition_eras() -> str:
    events = (f"SELECT * FROM (SELECT person_id, {_concept('condition')} AS concept, condition_start_date AS s, "
              "coalesce(condition_end_date, condition_start_date + 1) AS e FROM condition_occurrence) c "
              "WHERE concept IS NOT NULL AND s IS NOT NULL")
    return (f"SELECT row_number() OVER (ORDER BY person_id, concept, era_start), person_id, concept, era_start, era_end, events "
            f"FROM ({_eras(events, 'concept')}) eras")


def _exposures() -> str:
    """Drug exposures with their ingredient and their end (OHDSI's defaults)."""
    return f"""
        SELECT d.person_id, coalesce(i.ingredient, d.drug) AS ingredient, d.drug AS drug_concept_id, d.quantity, d.days_supply,
               d.drug_exposure_start_date AS s,
               greatest(coalesce(d.drug_exposure_end_date, d.drug_exposure_start_date + d.days_supply, d.drug_exposure_start_date + 1),
                        d.drug_exposure_start_date) AS e
        FROM (SELECT *, {_concept('drug')} AS drug FROM drug_exposure) d
        LEFT JOIN (SELECT a.descendant_concept_id AS drug, min(a.ancestor_concept_id) AS ingredient
                   FROM concept_ancestor a JOIN concept c ON c.concept_id = a.ancestor_concept_id
                   WHERE c.concept_class_id = 'Ingredient' GROUP BY a.descendant_concept_id) i ON i.drug = d.drug
        WHERE d.drug IS NOT NULL AND d.drug_exposure_start_date IS NOT NULL"""


def _concept(domain: str) -> str:
    """The concept of a condition or drug record: its standard concept, else the concept of the
    hospital's own code (``*_source_concept_id``: CIM-10, ATC ... without a licensed vocabulary;
    OHDSI counts standard concepts only, which would leave such a warehouse without eras)."""
    return f"coalesce(nullif({domain}_concept_id, 0), nullif({domain}_source_concept_id, 0))"


def _drug_eras() -> str:
    events = f"SELECT person_id, ingredient, s, e FROM ({_exposures()}) x"
    return (f"SELECT row_number() OVER (ORDER BY person_id, ingredient, era_start), person_id, ingredient, era_start, era_end, events, "
            f"(era_end - era_start) - covered FROM ({_eras(events, 'ingredient')}) eras")


def _dose_eras() -> str:
    doses = f"""
        SELECT x.person_id, x.ingredient, coalesce(ds.amount_unit_concept_id, ds.numerator_unit_concept_id) AS unit,
               round(coalesce(ds.amount_value, ds.numerator_value) * x.quantity / x.days_supply, 6) AS dose, x.s, x.e
        FROM ({_exposures()}) x JOIN drug_strength ds ON ds.drug_concept_id = x.drug_concept_id AND ds.ingredient_concept_id = x.ingredient
        WHERE x.quantity > 0 AND x.days_supply > 0 AND coalesce(ds.amount_value, ds.numerator_value) IS NOT NULL
          AND coalesce(ds.amount_unit_concept_id, ds.numerator_unit_concept_id) IS NOT NULL"""
    return (f"SELECT row_number() OVER (ORDER BY person_id, ingredient, unit, dose, era_start), person_id, ingredient, unit, dose, era_start, era_end "
            f"FROM ({_eras(doses, 'ingredient, unit, dose')}) eras")


def _cdm_source(store) -> dict:
    loads, last = store.query("SELECT count(*), max(finished_at) FROM load_log WHERE status <> 'failed'")[0]
    vocabulary = store.query("SELECT vocabulary_version FROM vocabulary WHERE vocabulary_id = 'None' AND vocabulary_version IS NOT NULL LIMIT 1")
    today = _now().date()
    return {
        "cdm_source_name": "clinsearch warehouse",
        "cdm_source_abbreviation": "clinsearch",
        "cdm_holder": "the hospital running this clinsearch",
        "source_description": f"{loads} source file(s) loaded by clinsearch (load_log holds each, with its checksum); derived tables computed after the last",
        "source_documentation_reference": "docs/data-engineering.md",
        "cdm_etl_reference": f"clinsearch {clinsearch.__version__}",
        "source_release_date": last.date() if isinstance(last, dt.datetime) else today,
        "cdm_release_date": today,
        "cdm_version": "5.4",
        "cdm_version_concept_id": CDM_VERSION_CONCEPT,
        "vocabulary_version": vocabulary[0][0] if vocabulary else "local codes only (no OMOP vocabulary loaded)",
    }


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
