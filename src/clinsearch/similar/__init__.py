"""Patients like mine: each patient's concepts (coded and written) weighted by rarity (TF-IDF),
the most similar patients by cosine, and what they share and what tells them apart
(docs/similar.md). ``concepts`` reads the warehouse, ``rank`` weighs and compares."""
