"""Clinical NLP: EDS-NLP pipelines for French (and English), entities to note_nlp, pseudonymisation."""
