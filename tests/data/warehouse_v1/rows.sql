-- A few rows, written by hand, in a warehouse of schema version 1 (tests/warehouse/test_upgrade.py).
INSERT INTO load_log VALUES (1, 'omop/person.csv', 'c1', 'omop', 'loaded', TIMESTAMP '2026-11-30 10:00:00', TIMESTAMP '2026-11-30 10:00:01', 2, 2, 0, 0, '');
INSERT INTO load_log VALUES (2, 'omop/condition_occurrence.csv', 'c2', 'omop', 'loaded', TIMESTAMP '2026-11-30 10:00:02', TIMESTAMP '2026-11-30 10:00:03', 3, 3, 0, 0, '');
INSERT INTO person (person_id, gender_concept_id, year_of_birth, person_source_value, source_file, source_record, load_id) VALUES
    (1, 8532, 1950, 'IPP0001', 'omop/person.csv', 'line 2', 1),
    (2, 8507, 1961, 'IPP0002', 'omop/person.csv', 'line 3', 1);
INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_source_value, condition_source_concept_id, source_file, source_record, load_id) VALUES
    (10, 1, 0, DATE '2021-01-04', 'I26.9', 2000000101, 'omop/condition_occurrence.csv', 'line 2', 2),
    (11, 1, 0, DATE '2021-01-20', 'I26.9', 2000000101, 'omop/condition_occurrence.csv', 'line 3', 2),
    (12, 2, 0, DATE '2022-06-30', 'E11.9', 2000000102, 'omop/condition_occurrence.csv', 'line 4', 2);
INSERT INTO note (note_id, person_id, note_date, note_title, note_text, source_file, source_record, load_id) VALUES
    (100, 2, DATE '2023-02-01', 'Consultation', 'Pas d''embolie pulmonaire. Diabète de type 2 équilibré.', 'omop/note.csv', 'line 2', 2);
