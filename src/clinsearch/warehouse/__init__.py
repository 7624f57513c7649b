"""The OMOP-shaped store: schema, embedded DuckDB backend, transactional loads."""
