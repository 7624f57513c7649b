"""Readers, one per source format, and the ingest run that feeds them to the warehouse."""
