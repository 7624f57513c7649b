-- clinsearch warehouse schema: OMOP CDM v5.4 table and column names.
-- Source: OHDSI CommonDataModel, inst/ddl/5.4 (OMOPCDM_duckdb_5.4_ddl.sql), and the OMOP
-- medical-imaging extension (Park et al., JMIR Med Inform 2022, table image_occurrence).
--
-- Departures from the reference DDL, all deliberate:
--   * concept ids are BIGINT: local concepts (codes the sources carry, no licensed vocabulary
--     needed) get stable ids >= 2,000,000,000 derived from vocabulary and code.
--   * every data table carries its provenance: source_file, source_record, load_id
--     (load_log gives the load time).
--   * columns marked "ext" are clinsearch extensions the OMOP model has no place for.
-- The loader reads column names, types and the "required" markers from this file: a column
-- whose line ends with "-- required" must be present in an OMOP table file and non-empty.

CREATE TABLE IF NOT EXISTS person (
    person_id BIGINT, -- required
    gender_concept_id BIGINT,
    year_of_birth INTEGER, -- required
    month_of_birth INTEGER,
    day_of_birth INTEGER,
    birth_datetime TIMESTAMP,
    race_concept_id BIGINT,
    ethnicity_concept_id BIGINT,
    location_id BIGINT,
    provider_id BIGINT,
    care_site_id BIGINT,
    person_source_value VARCHAR,
    gender_source_value VARCHAR,
    gender_source_concept_id BIGINT,
    race_source_value VARCHAR,
    race_source_concept_id BIGINT,
    ethnicity_source_value VARCHAR,
    ethnicity_source_concept_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

-- ext: direct identifiers, kept apart from person so that research views never see them and the
-- pseudonymiser can use the patient's own identity.
CREATE TABLE IF NOT EXISTS person_identity (
    person_id BIGINT, -- required
    family_name VARCHAR,
    given_name VARCHAR,
    birth_date DATE,
    address VARCHAR,
    city VARCHAR,
    postal_code VARCHAR,
    phone VARCHAR,
    email VARCHAR,
    identifiers VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS death (
    person_id BIGINT, -- required
    death_date DATE, -- required
    death_datetime TIMESTAMP,
    death_type_concept_id BIGINT,
    cause_concept_id BIGINT,
    cause_source_value VARCHAR,
    cause_source_concept_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS care_site (
    care_site_id BIGINT, -- required
    care_site_name VARCHAR,
    place_of_service_concept_id BIGINT,
    location_id BIGINT,
    care_site_source_value VARCHAR,
    place_of_service_source_value VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS visit_occurrence (
    visit_occurrence_id BIGINT, -- required
    person_id BIGINT, -- required
    visit_concept_id BIGINT,
    visit_start_date DATE, -- required
    visit_start_datetime TIMESTAMP,
    visit_end_date DATE,
    visit_end_datetime TIMESTAMP,
    visit_type_concept_id BIGINT,
    provider_id BIGINT,
    care_site_id BIGINT,
    visit_source_value VARCHAR,
    visit_source_concept_id BIGINT,
    admitted_from_concept_id BIGINT,
    admitted_from_source_value VARCHAR,
    discharged_to_concept_id BIGINT,
    discharged_to_source_value VARCHAR,
    preceding_visit_occurrence_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS condition_occurrence (
    condition_occurrence_id BIGINT, -- required
    person_id BIGINT, -- required
    condition_concept_id BIGINT,
    condition_start_date DATE, -- required
    condition_start_datetime TIMESTAMP,
    condition_end_date DATE,
    condition_end_datetime TIMESTAMP,
    condition_type_concept_id BIGINT,
    condition_status_concept_id BIGINT,
    stop_reason VARCHAR,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    condition_source_value VARCHAR,
    condition_source_concept_id BIGINT,
    condition_status_source_value VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS measurement (
    measurement_id BIGINT, -- required
    person_id BIGINT, -- required
    measurement_concept_id BIGINT,
    measurement_date DATE, -- required
    measurement_datetime TIMESTAMP,
    measurement_time VARCHAR,
    measurement_type_concept_id BIGINT,
    operator_concept_id BIGINT,
    value_as_number DOUBLE,
    value_as_concept_id BIGINT,
    unit_concept_id BIGINT,
    range_low DOUBLE,
    range_high DOUBLE,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    measurement_source_value VARCHAR,
    measurement_source_concept_id BIGINT,
    unit_source_value VARCHAR,
    unit_source_concept_id BIGINT,
    value_source_value VARCHAR,
    measurement_event_id BIGINT,
    meas_event_field_concept_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS observation (
    observation_id BIGINT, -- required
    person_id BIGINT, -- required
    observation_concept_id BIGINT,
    observation_date DATE, -- required
    observation_datetime TIMESTAMP,
    observation_type_concept_id BIGINT,
    value_as_number DOUBLE,
    value_as_string VARCHAR,
    value_as_concept_id BIGINT,
    qualifier_concept_id BIGINT,
    unit_concept_id BIGINT,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    observation_source_value VARCHAR,
    observation_source_concept_id BIGINT,
    unit_source_value VARCHAR,
    qualifier_source_value VARCHAR,
    value_source_value VARCHAR,
    observation_event_id BIGINT,
    obs_event_field_concept_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS drug_exposure (
    drug_exposure_id BIGINT, -- required
    person_id BIGINT, -- required
    drug_concept_id BIGINT,
    drug_exposure_start_date DATE, -- required
    drug_exposure_start_datetime TIMESTAMP,
    drug_exposure_end_date DATE,
    drug_exposure_end_datetime TIMESTAMP,
    verbatim_end_date DATE,
    drug_type_concept_id BIGINT,
    stop_reason VARCHAR,
    refills INTEGER,
    quantity DOUBLE,
    days_supply INTEGER,
    sig VARCHAR,
    route_concept_id BIGINT,
    lot_number VARCHAR,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    drug_source_value VARCHAR,
    drug_source_concept_id BIGINT,
    route_source_value VARCHAR,
    dose_unit_source_value VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS procedure_occurrence (
    procedure_occurrence_id BIGINT, -- required
    person_id BIGINT, -- required
    procedure_concept_id BIGINT,
    procedure_date DATE, -- required
    procedure_datetime TIMESTAMP,
    procedure_end_date DATE,
    procedure_end_datetime TIMESTAMP,
    procedure_type_concept_id BIGINT,
    modifier_concept_id BIGINT,
    quantity INTEGER,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    procedure_source_value VARCHAR,
    procedure_source_concept_id BIGINT,
    modifier_source_value VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS note (
    note_id BIGINT, -- required
    person_id BIGINT, -- required
    note_date DATE, -- required
    note_datetime TIMESTAMP,
    note_type_concept_id BIGINT,
    note_class_concept_id BIGINT,
    note_title VARCHAR,
    note_text VARCHAR, -- required
    encoding_concept_id BIGINT,
    language_concept_id BIGINT,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    note_source_value VARCHAR,
    note_event_id BIGINT,
    note_event_field_concept_id BIGINT,
    note_class_source_value VARCHAR, -- ext: the hospital's document type (CRH, CRO, ...)
    language_source_value VARCHAR, -- ext: fr, en
    care_site_id BIGINT, -- ext: the department that wrote the note
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS note_nlp (
    note_nlp_id BIGINT, -- required
    note_id BIGINT, -- required
    section_concept_id BIGINT,
    snippet VARCHAR,
    "offset" VARCHAR,
    lexical_variant VARCHAR,
    note_nlp_concept_id BIGINT,
    note_nlp_source_concept_id BIGINT,
    nlp_system VARCHAR,
    nlp_date DATE,
    nlp_datetime TIMESTAMP,
    term_exists VARCHAR,
    term_temporal VARCHAR,
    term_modifiers VARCHAR,
    start_char INTEGER, -- ext
    end_char INTEGER, -- ext
    label VARCHAR, -- ext: entity kind (cim10, drug, date, measurement, lexicon ...)
    normalized_term VARCHAR, -- ext
    code VARCHAR, -- ext: code found (CIM-10, ATC, lexicon id)
    code_vocabulary VARCHAR, -- ext
    section VARCHAR, -- ext
    entity_date DATE, -- ext
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

-- ext: which notes the NLP has processed, on which text and with which system, so that re-runs
-- only process new or changed notes.
CREATE TABLE IF NOT EXISTS note_nlp_state (
    note_id BIGINT, -- required
    text_hash VARCHAR,
    nlp_system VARCHAR,
    language VARCHAR,
    entities INTEGER,
    status VARCHAR,
    processed_at TIMESTAMP
);

-- Which version of each document the search index holds (clinsearch.search.index).
CREATE TABLE IF NOT EXISTS index_state (
    doc_key VARCHAR, -- required
    fingerprint VARCHAR
);

-- OMOP medical-imaging extension (one row per series; a study without series gets one row).
CREATE TABLE IF NOT EXISTS image_occurrence (
    image_occurrence_id BIGINT, -- required
    person_id BIGINT, -- required
    procedure_occurrence_id BIGINT,
    visit_occurrence_id BIGINT,
    anatomic_site_concept_id BIGINT,
    wadors_uri VARCHAR,
    local_path VARCHAR,
    image_occurrence_date DATE, -- required
    image_study_uid VARCHAR,
    image_series_uid VARCHAR,
    modality_concept_id BIGINT,
    modality_source_value VARCHAR, -- ext: DICOM Modality (CT, MR, ...)
    anatomic_site_source_value VARCHAR, -- ext: DICOM BodyPartExamined
    image_study_description VARCHAR, -- ext
    image_series_description VARCHAR, -- ext
    accession_number VARCHAR, -- ext
    number_of_instances INTEGER, -- ext
    person_source_value VARCHAR, -- ext: DICOM PatientID as read
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS concept (
    concept_id BIGINT, -- required
    concept_name VARCHAR,
    domain_id VARCHAR,
    vocabulary_id VARCHAR, -- required
    concept_class_id VARCHAR,
    standard_concept VARCHAR,
    concept_code VARCHAR, -- required
    valid_start_date DATE,
    valid_end_date DATE,
    invalid_reason VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

-- ext: scientific literature (PubMed / MEDLINE citations, JATS articles).
CREATE TABLE IF NOT EXISTS article (
    article_id BIGINT, -- required
    pmid VARCHAR,
    pmcid VARCHAR,
    doi VARCHAR,
    title VARCHAR, -- required
    abstract VARCHAR,
    authors VARCHAR,
    journal VARCHAR,
    publication_date DATE,
    publication_year INTEGER,
    mesh_terms VARCHAR,
    keywords VARCHAR,
    language VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

-- ext: one row per load of one file (or one manifest of documents).
CREATE TABLE IF NOT EXISTS load_log (
    load_id BIGINT,
    source_file VARCHAR,
    checksum VARCHAR,
    format VARCHAR,
    status VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    records_read BIGINT,
    records_loaded BIGINT,
    records_skipped BIGINT,
    records_quarantined BIGINT,
    message VARCHAR
);

-- ext: every record that could not be loaded, with where it was and why.
CREATE TABLE IF NOT EXISTS quarantine (
    quarantine_id BIGINT,
    load_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    reason VARCHAR,
    raw VARCHAR,
    quarantined_at TIMESTAMP
);

-- OMOP standardized vocabularies (CDM v5.4 names and types, OHDSI DDL), loaded from an Athena
-- download by `clinsearch vocabulary load` (concept, above, is shared with the local codes).
CREATE TABLE IF NOT EXISTS vocabulary (
    vocabulary_id VARCHAR, -- required
    vocabulary_name VARCHAR, -- required
    vocabulary_reference VARCHAR,
    vocabulary_version VARCHAR,
    vocabulary_concept_id BIGINT, -- required
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS domain (
    domain_id VARCHAR, -- required
    domain_name VARCHAR, -- required
    domain_concept_id BIGINT, -- required
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS concept_class (
    concept_class_id VARCHAR, -- required
    concept_class_name VARCHAR, -- required
    concept_class_concept_id BIGINT, -- required
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS concept_relationship (
    concept_id_1 BIGINT, -- required
    concept_id_2 BIGINT, -- required
    relationship_id VARCHAR, -- required
    valid_start_date DATE, -- required
    valid_end_date DATE, -- required
    invalid_reason VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS relationship (
    relationship_id VARCHAR, -- required
    relationship_name VARCHAR, -- required
    is_hierarchical VARCHAR, -- required
    defines_ancestry VARCHAR, -- required
    reverse_relationship_id VARCHAR, -- required
    relationship_concept_id BIGINT, -- required
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS concept_synonym (
    concept_id BIGINT, -- required
    concept_synonym_name VARCHAR, -- required
    language_concept_id BIGINT, -- required
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS concept_ancestor (
    ancestor_concept_id BIGINT, -- required
    descendant_concept_id BIGINT, -- required
    min_levels_of_separation BIGINT, -- required
    max_levels_of_separation BIGINT, -- required
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS drug_strength (
    drug_concept_id BIGINT, -- required
    ingredient_concept_id BIGINT, -- required
    amount_value DOUBLE,
    amount_unit_concept_id BIGINT,
    numerator_value DOUBLE,
    numerator_unit_concept_id BIGINT,
    denominator_value DOUBLE,
    denominator_unit_concept_id BIGINT,
    box_size BIGINT,
    valid_start_date DATE, -- required
    valid_end_date DATE, -- required
    invalid_reason VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

-- OMOP CDM v5.4 clinical and health-system tables the FHIR reader fills (HL7 FHIR-to-OMOP IG:
-- Device -> device_exposure, Specimen -> specimen, Location and addresses -> location,
-- Practitioner -> provider; Organization -> care_site, above).
CREATE TABLE IF NOT EXISTS device_exposure (
    device_exposure_id BIGINT, -- required
    person_id BIGINT, -- required
    device_concept_id BIGINT,
    device_exposure_start_date DATE, -- required
    device_exposure_start_datetime TIMESTAMP,
    device_exposure_end_date DATE,
    device_exposure_end_datetime TIMESTAMP,
    device_type_concept_id BIGINT,
    unique_device_id VARCHAR,
    production_id VARCHAR,
    quantity INTEGER,
    provider_id BIGINT,
    visit_occurrence_id BIGINT,
    visit_detail_id BIGINT,
    device_source_value VARCHAR,
    device_source_concept_id BIGINT,
    unit_concept_id BIGINT,
    unit_source_value VARCHAR,
    unit_source_concept_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS specimen (
    specimen_id BIGINT, -- required
    person_id BIGINT, -- required
    specimen_concept_id BIGINT,
    specimen_type_concept_id BIGINT,
    specimen_date DATE, -- required
    specimen_datetime TIMESTAMP,
    quantity DOUBLE,
    unit_concept_id BIGINT,
    anatomic_site_concept_id BIGINT,
    disease_status_concept_id BIGINT,
    specimen_source_id VARCHAR,
    specimen_source_value VARCHAR,
    unit_source_value VARCHAR,
    anatomic_site_source_value VARCHAR,
    disease_status_source_value VARCHAR,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS location (
    location_id BIGINT, -- required
    address_1 VARCHAR,
    address_2 VARCHAR,
    city VARCHAR,
    state VARCHAR,
    zip VARCHAR,
    county VARCHAR,
    location_source_value VARCHAR,
    country_concept_id BIGINT,
    country_source_value VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);

CREATE TABLE IF NOT EXISTS provider (
    provider_id BIGINT, -- required
    provider_name VARCHAR,
    npi VARCHAR,
    dea VARCHAR,
    specialty_concept_id BIGINT,
    care_site_id BIGINT,
    year_of_birth INTEGER,
    gender_concept_id BIGINT,
    provider_source_value VARCHAR,
    specialty_source_value VARCHAR,
    specialty_source_concept_id BIGINT,
    gender_source_value VARCHAR,
    gender_source_concept_id BIGINT,
    source_file VARCHAR,
    source_record VARCHAR,
    load_id BIGINT
);
